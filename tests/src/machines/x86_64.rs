//! The x86_64 image under QEMU runs the suites on real page tables, a real #PF handler and a
//! real SMP scheduler (see `mightfault_arch::x86_64`).

use mightfault_arch::x86_64::{self as x86, UserPageKind, X86};

use mightfault_uaccess::{__get_user, __put_user, get_user, Efault};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

impl SeedMachine for X86 {
    const PAGE_SIZE: usize = x86::PAGE_SIZE;

    fn nr_cpus() -> u32 {
        x86::nr_cpus()
    }

    fn map_user_pages(kinds: &[PageKind]) -> usize {
        let mut arch_kinds = [UserPageKind::Unmapped; x86::MAX_USER_PAGES];
        assert!(
            kinds.len() <= arch_kinds.len(),
            "at most {} user pages",
            arch_kinds.len()
        );
        for (slot, kind) in arch_kinds.iter_mut().zip(kinds) {
            *slot = match kind {
                PageKind::PresentRw => UserPageKind::PresentRw,
                PageKind::PresentRo => UserPageKind::PresentRo,
                PageKind::NotPresent => UserPageKind::NotPresent,
                PageKind::Unmapped => UserPageKind::Unmapped,
            };
        }
        x86::map_user_pages(&arch_kinds[..kinds.len()])
    }

    fn user_page_present(addr: usize) -> bool {
        x86::user_page_present(addr)
    }

    fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
        x86::peek_user(addr, buf)
    }

    fn poke_user(addr: usize, data: &[u8]) -> bool {
        x86::poke_user(addr, data)
    }

    fn direct_next_wakeup(cpu: u32) {
        mightfault_arch::sched::direct_next_wakeup::<X86>(cpu);
    }

    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
        mightfault_arch::sched::sleep_while_other_runs::<X86>(other, arg, name, resume_on);
    }

    fn arch_suite() -> Option<Suite> {
        Some(Suite {
            name: "x86_64",
            cases: &[
                Case {
                    name: "smap_blocks_plain_user_read",
                    run: smap_blocks_plain_user_read,
                },
                Case {
                    name: "noncanonical_gp_is_fixed_up",
                    run: noncanonical_gp_is_fixed_up,
                },
                Case {
                    name: "kernel_address_fault_is_fixed_up",
                    run: kernel_address_fault_is_fixed_up,
                },
            ],
        })
    }
}

/// With SMAP on, a kernel load from a present user page faults unless it is bracketed by
/// stac/clac, as the accessors are: a plain dereference of a user pointer is caught.
fn smap_blocks_plain_user_read() -> Outcome {
    if !x86::smap_enabled() {
        return Outcome::Skip("the cpu has no SMAP (boot with -cpu max)");
    }
    let user = X86::map_user_pages(&[PageKind::PresentRw]);
    X86::poke_user(user, &[0x42]);
    check!(
        X86,
        x86::smap_probe_plain_read(user),
        "a plain read of a user page did not fault"
    );
    let mut value = 0u8;
    let got = get_user::<X86, u8>(&mut value, user);
    check!(
        X86,
        got.is_ok() && value == 0x42,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    Outcome::Pass
}

/// A non-canonical address raises #GP, not #PF; inside a user access it is fixed up too.
fn noncanonical_gp_is_fixed_up() -> Outcome {
    let noncanonical = 0x8000_0000_0000_0000usize;
    let mut value = u64::MAX;
    // SAFETY: deliberately unchecked: the access faults (#GP) and is fixed up.
    let got = unsafe { __get_user::<X86, u64>(&mut value, noncanonical) };
    check!(
        X86,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {:#x}",
        got,
        value
    );
    // SAFETY: as above.
    let put = unsafe { __put_user::<X86, u64>(1, noncanonical) };
    check!(X86, put == Err(Efault), "__put_user: {:?}", put);
    Outcome::Pass
}

/// An unchecked access to an unmapped kernel address faults (#PF) and is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    let unmapped_kernel = 0xffff_c000_0000_0000usize;
    // SAFETY: deliberately unchecked: nothing is mapped there, the fault is fixed up.
    let put = unsafe { __put_user::<X86, u32>(7, unmapped_kernel) };
    check!(X86, put == Err(Efault), "__put_user: {:?}", put);
    let mut value = 5u32;
    // SAFETY: as above.
    let got = unsafe { __get_user::<X86, u32>(&mut value, unmapped_kernel) };
    check!(
        X86,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {}",
        got,
        value
    );
    Outcome::Pass
}
