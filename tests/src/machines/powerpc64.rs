//! The powerpc64 image under QEMU (pseries) runs the suites on a real radix MMU, a real data
//! storage interrupt handler and the portable SMP scheduler (see `mightfault_arch::powerpc64`).

use mightfault_arch::powerpc64::{self as ppc, Ppc64, UserPageKind};

use mightfault_uaccess::{__get_user, __put_user, get_user, put_user, Efault};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

impl SeedMachine for Ppc64 {
    const PAGE_SIZE: usize = ppc::PAGE_SIZE;

    fn nr_cpus() -> u32 {
        ppc::nr_cpus()
    }

    fn map_user_pages(kinds: &[PageKind]) -> usize {
        let mut arch_kinds = [UserPageKind::Unmapped; ppc::MAX_USER_PAGES];
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
        ppc::map_user_pages(&arch_kinds[..kinds.len()])
    }

    fn user_page_present(addr: usize) -> bool {
        ppc::user_page_present(addr)
    }

    fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
        ppc::peek_user(addr, buf)
    }

    fn poke_user(addr: usize, data: &[u8]) -> bool {
        ppc::poke_user(addr, data)
    }

    fn direct_next_wakeup(cpu: u32) {
        ppc::direct_next_wakeup(cpu);
    }

    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
        ppc::sleep_while_other_runs(other, arg, name, resume_on);
    }

    fn arch_suite() -> Option<Suite> {
        Some(Suite {
            name: "powerpc64",
            cases: &[
                Case {
                    name: "kernel_address_fault_is_fixed_up",
                    run: kernel_address_fault_is_fixed_up,
                },
                Case {
                    name: "segment_fault_is_fixed_up",
                    run: segment_fault_is_fixed_up,
                },
                Case {
                    name: "remap_drops_stale_translation",
                    run: remap_drops_stale_translation,
                },
                Case {
                    name: "user_limit_is_above_user_area",
                    run: user_limit_is_above_user_area,
                },
            ],
        })
    }
}

/// An unchecked access to an unmapped address in the kernel quadrant (a data storage
/// interrupt: the radix walk finds no entry) is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    let unmapped_kernel = 0xc000_1000_0000_0000usize;
    // SAFETY: deliberately unchecked: nothing is mapped there, the fault is fixed up.
    let put = unsafe { __put_user::<Ppc64, u32>(7, unmapped_kernel) };
    check!(Ppc64, put == Err(Efault), "__put_user: {:?}", put);
    let mut value = 5u32;
    // SAFETY: as above.
    let got = unsafe { __get_user::<Ppc64, u32>(&mut value, unmapped_kernel) };
    check!(
        Ppc64,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {}",
        got,
        value
    );
    Outcome::Pass
}

/// An address in quadrant 1 or 2 has no translation at all (a data segment interrupt, 0x380);
/// inside a user access it is fixed up too.
fn segment_fault_is_fixed_up() -> Outcome {
    let no_quadrant = 0x4000_0000_0000_0000usize;
    let mut value = u64::MAX;
    // SAFETY: deliberately unchecked: the access faults (0x380) and is fixed up.
    let got = unsafe { __get_user::<Ppc64, u64>(&mut value, no_quadrant) };
    check!(
        Ppc64,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {:#x}",
        got,
        value
    );
    // SAFETY: as above.
    let put = unsafe { __put_user::<Ppc64, u64>(1, no_quadrant) };
    check!(Ppc64, put == Err(Efault), "__put_user: {:?}", put);
    Outcome::Pass
}

/// The layout: the user area lies below USER_LIMIT and every kernel address above it.
fn user_limit_is_above_user_area() -> Outcome {
    let kernel = user_limit_is_above_user_area as *const () as usize;
    check!(
        Ppc64,
        ppc::USER_AREA_BASE + 16 * ppc::PAGE_SIZE <= ppc::USER_LIMIT && kernel >= ppc::USER_LIMIT,
        "user area {:#x}, limit {:#x}, kernel {:#x}",
        ppc::USER_AREA_BASE,
        ppc::USER_LIMIT,
        kernel
    );
    Outcome::Pass
}

/// A new layout at the same user address is seen at once: the old page's translation, cached
/// by the access before the remap, is flushed (`tlbie`) and the fresh page reads as zero.
fn remap_drops_stale_translation() -> Outcome {
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    let put = put_user::<Ppc64, u64>(0x5eed_5eed_5eed_5eed, user);
    check!(Ppc64, put.is_ok(), "put_user: {:?}", put);
    let again = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    check!(Ppc64, again == user, "the area moved: {:#x}", again);
    let mut value = u64::MAX;
    let got = get_user::<Ppc64, u64>(&mut value, user);
    check!(
        Ppc64,
        got.is_ok() && value == 0,
        "get_user after remap: {:?}, value {:#x}",
        got,
        value
    );
    Outcome::Pass
}
