//! The s390x image under QEMU runs the suites on real DAT tables, a real program-check handler
//! and a real SMP scheduler (see `mightfault_arch::s390x`).

use mightfault_arch::s390x::{self as s390, UserPageKind, S390};

use mightfault_uaccess::{__get_user, __put_user, Efault};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

impl SeedMachine for S390 {
    const PAGE_SIZE: usize = s390::PAGE_SIZE;

    fn nr_cpus() -> u32 {
        s390::nr_cpus()
    }

    fn map_user_pages(kinds: &[PageKind]) -> usize {
        let mut layout = [UserPageKind::Unmapped; s390::MAX_USER_PAGES];
        let layout = layout
            .get_mut(..kinds.len())
            .expect("at most MAX_USER_PAGES user pages");
        for (slot, kind) in layout.iter_mut().zip(kinds) {
            *slot = arch_kind(*kind);
        }
        s390::map_user_pages(layout)
    }

    fn user_page_present(addr: usize) -> bool {
        s390::user_page_present(addr)
    }

    fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
        s390::peek_user(addr, buf)
    }

    fn poke_user(addr: usize, data: &[u8]) -> bool {
        s390::poke_user(addr, data)
    }

    fn direct_next_wakeup(cpu: u32) {
        s390::direct_next_wakeup(cpu);
    }

    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
        s390::sleep_while_other_runs(other, arg, name, resume_on);
    }

    fn arch_suite() -> Option<Suite> {
        Some(Suite {
            name: "s390x",
            cases: &[
                Case {
                    name: "kernel_address_fault_is_fixed_up",
                    run: kernel_address_fault_is_fixed_up,
                },
                Case {
                    name: "asce_type_fault_is_fixed_up",
                    run: asce_type_fault_is_fixed_up,
                },
                Case {
                    name: "protection_fault_is_fixed_up",
                    run: protection_fault_is_fixed_up,
                },
            ],
        })
    }
}

/// The backend's name for a page kind.
fn arch_kind(kind: PageKind) -> UserPageKind {
    match kind {
        PageKind::PresentRw => UserPageKind::PresentRw,
        PageKind::PresentRo => UserPageKind::PresentRo,
        PageKind::NotPresent => UserPageKind::NotPresent,
        PageKind::Unmapped => UserPageKind::Unmapped,
    }
}

/// An unchecked access to an unmapped kernel address (a segment-translation exception above
/// USER_LIMIT) is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    let unmapped_kernel = s390::layout::KERNEL_BASE + (1 << 30);
    // SAFETY: deliberately unchecked: nothing is mapped there, the fault is fixed up.
    let put = unsafe { __put_user::<S390, u32>(7, unmapped_kernel) };
    check!(S390, put == Err(Efault), "__put_user: {:?}", put);
    let mut value = 5u32;
    // SAFETY: as above.
    let got = unsafe { __get_user::<S390, u32>(&mut value, unmapped_kernel) };
    check!(
        S390,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {}",
        got,
        value
    );
    Outcome::Pass
}

/// An address beyond the region-third table's reach raises an ASCE-type exception (0x38), not
/// a translation exception; inside a user access it is fixed up too.
fn asce_type_fault_is_fixed_up() -> Outcome {
    let beyond = 0xffff_ff00_0000_0000usize;
    let mut value = u64::MAX;
    // SAFETY: deliberately unchecked: the access faults and is fixed up.
    let got = unsafe { __get_user::<S390, u64>(&mut value, beyond) };
    check!(
        S390,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {:#x}",
        got,
        value
    );
    // SAFETY: as above.
    let put = unsafe { __put_user::<S390, u64>(1, beyond) };
    check!(S390, put == Err(Efault), "__put_user: {:?}", put);
    Outcome::Pass
}

/// A store to a read-only user page is a protection exception, which suppresses (the old PSW
/// points past the store): the handler finds the store's entry `ilc` bytes back and fixes it
/// up; the page is unchanged and a load from it still works.
fn protection_fault_is_fixed_up() -> Outcome {
    let user = S390::map_user_pages(&[PageKind::PresentRo]);
    S390::poke_user(user, &0x1122_3344_5566_7788u64.to_be_bytes());
    for _ in 0..2 {
        // SAFETY: a checked-by-construction user address in the test's area.
        let put = unsafe { __put_user::<S390, u64>(0, user) };
        check!(S390, put == Err(Efault), "__put_user: {:?}", put);
    }
    let mut value = 0u64;
    // SAFETY: as above.
    let got = unsafe { __get_user::<S390, u64>(&mut value, user) };
    check!(
        S390,
        got.is_ok() && value == 0x1122_3344_5566_7788,
        "__get_user: {:?} {:#x}",
        got,
        value
    );
    Outcome::Pass
}
