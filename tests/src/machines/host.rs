//! The simulated host machine runs the suites in both preempt-count placements.

use mightfault_test_kernel::host::{CountPlacement, Host, Machine, PAGE_SIZE};

use crate::context_machine::ContextMachine;
use crate::machine::{PageKind, SeedMachine};

/// Where the suites lay out their user pages in the simulation.
const TEST_AREA: usize = 0x4000_0000;

impl<P: CountPlacement> SeedMachine for Host<P> {
    const PAGE_SIZE: usize = PAGE_SIZE;

    fn nr_cpus() -> u32 {
        Machine::current().nr_cpus()
    }

    fn map_user_pages(kinds: &[PageKind]) -> usize {
        let laid_out = Machine::current().map_user_pages(TEST_AREA, &kinds[..kinds.len().min(16)]);
        assert!(laid_out, "the test area lies below the user limit");
        TEST_AREA
    }

    fn user_page_present(addr: usize) -> bool {
        Machine::current().user_page_present(addr)
    }

    fn evict_user_page(addr: usize) -> bool {
        Machine::current().evict_user_page(addr)
    }

    fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
        Machine::current().peek_user(addr, buf)
    }

    fn poke_user(addr: usize, data: &[u8]) -> bool {
        Machine::current().poke_user(addr, data)
    }

    fn direct_next_wakeup(cpu: u32) {
        Machine::current().direct_next_wakeup(cpu);
    }

    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
        Machine::current().sleep_while_other_runs(move || other(arg), name, resume_on);
    }
}

/// The simulation's interrupts, scheduler and grace period (see the test kernel's `host`
/// module): interrupts arrive at points the seed chooses, at the rate set here.
impl<P: CountPlacement> ContextMachine for Host<P> {
    fn set_tick(hz: u32, slice_ticks: u32) {
        Machine::current().set_tick(hz, slice_ticks);
    }

    fn spawn(name: &'static str, entry: fn(usize), arg: usize, cpu: u32, pinned: bool) {
        Machine::current().spawn_task(name, cpu, pinned, move || entry(arg));
    }

    fn yield_now() {
        Host::<P>::yield_now();
    }

    fn cond_resched() {
        Host::<P>::cond_resched();
    }

    fn run_in_hardirq(func: fn(usize), arg: usize) -> bool {
        Host::<P>::run_in_hardirq(move || func(arg))
    }

    fn synchronize_rcu() {
        mightfault_core::synchronize_rcu::<Self>(Host::<P>::yield_now);
    }

    fn switch_stats() -> (u64, u64) {
        Machine::current().switch_stats()
    }
}
