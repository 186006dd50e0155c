//! `SeedMachine` for a bare-metal image, written once: every bare-metal arch runs the portable
//! scheduler (`mightfault_test_kernel::sched`) and the portable user area (`mightfault_test_kernel::user_area`),
//! so what the suites ask of the machine is the same calls into both; only the arch's own cases
//! differ.

/// Implements `SeedMachine` for the bare-metal machine `$machine` (a type implementing
/// `mightfault_test_kernel::user_area::UserAreaHooks`, and with it `SchedHooks`), with `$arch_suite`
/// (a `Suite`) as its own cases.
///
/// A macro rather than a blanket impl: `SeedMachine` is this crate's trait but the machines are
/// the arch crate's types, and a blanket `impl<A: UserAreaHooks> SeedMachine for A` would clash
/// with the host's impl.
macro_rules! bare_metal_seed_machine {
    ($machine:ty, $arch_suite:expr $(,)?) => {
        bare_metal_seed_machine!($machine, $arch_suite, separate_user_space = false);
    };
    ($machine:ty, $arch_suite:expr, separate_user_space = $separate:expr $(,)?) => {
        impl $crate::machine::SeedMachine for $machine {
            const PAGE_SIZE: usize =
                <$machine as mightfault_test_kernel::user_area::UserAreaHooks>::PAGE_SIZE;
            const SEPARATE_USER_SPACE: bool = $separate;

            fn nr_cpus() -> u32 {
                <$machine as mightfault_test_kernel::sched::SchedHooks>::nr_cpus()
            }

            fn map_user_pages(kinds: &[$crate::machine::PageKind]) -> usize {
                mightfault_test_kernel::user_area::map_user_pages::<$machine>(kinds)
            }

            fn user_page_present(addr: usize) -> bool {
                mightfault_test_kernel::user_area::user_page_present::<$machine>(addr)
            }

            fn evict_user_page(addr: usize) -> bool {
                mightfault_test_kernel::user_area::evict_user_page::<$machine>(addr)
            }

            fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
                mightfault_test_kernel::user_area::peek_user::<$machine>(addr, buf)
            }

            fn poke_user(addr: usize, data: &[u8]) -> bool {
                mightfault_test_kernel::user_area::poke_user::<$machine>(addr, data)
            }

            fn direct_next_wakeup(cpu: u32) {
                mightfault_test_kernel::sched::direct_next_wakeup::<$machine>(cpu);
            }

            fn sleep_while_other_runs(
                other: fn(usize),
                arg: usize,
                name: &'static str,
                resume_on: u32,
            ) {
                mightfault_test_kernel::sched::sleep_while_other_runs::<$machine>(
                    other, arg, name, resume_on,
                );
            }

            fn arch_suite() -> Option<$crate::ktap::Suite> {
                Some($arch_suite)
            }
        }

        impl $crate::context_machine::ContextMachine for $machine {
            fn set_tick(hz: u32, slice_ticks: u32) {
                mightfault_test_kernel::sched::set_tick_hz(hz);
                mightfault_test_kernel::sched::set_time_slice_ticks(slice_ticks);
            }

            fn spawn(name: &'static str, entry: fn(usize), arg: usize, cpu: u32, pinned: bool) {
                if pinned {
                    mightfault_test_kernel::sched::spawn_pinned::<$machine>(name, entry, arg, cpu);
                } else {
                    mightfault_test_kernel::sched::spawn::<$machine>(name, entry, arg, cpu);
                }
            }

            fn yield_now() {
                mightfault_test_kernel::sched::yield_now::<$machine>();
            }

            fn cond_resched() {
                mightfault_test_kernel::sched::cond_resched::<$machine>();
            }

            fn run_in_hardirq(func: fn(usize), arg: usize) -> bool {
                mightfault_test_kernel::sched::run_in_hardirq::<$machine>(func, arg)
            }

            fn synchronize_rcu() {
                mightfault_core::synchronize_rcu::<$machine>(|| {
                    mightfault_test_kernel::sched::yield_now::<$machine>()
                });
            }

            fn switch_stats() -> (u64, u64) {
                mightfault_test_kernel::sched::switch_stats()
            }
        }
    };
}
