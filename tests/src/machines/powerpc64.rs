//! The powerpc64 image under QEMU (pseries) runs the suites on a real radix MMU, a real data
//! storage interrupt handler and the portable SMP scheduler (see
//! `mightfault_test_kernel::powerpc64`, built from `mightfault_arch::powerpc64`).

use mightfault_test_kernel::powerpc64::{self as ppc, Ppc64};

use mightfault_uaccess::{get_user, put_user};

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

bare_metal_seed_machine!(
    Ppc64,
    Suite {
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
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<Ppc64>,
            },
        ],
    }
);

/// An unchecked access to an unmapped address in the kernel quadrant (a data storage
/// interrupt: the radix walk finds no entry) is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    kernel_address_access_is_fixed_up::<Ppc64>(0xc000_1000_0000_0000)
}

/// An address in quadrant 1 or 2 has no translation at all (a data segment interrupt, 0x380);
/// inside a user access it is fixed up too.
fn segment_fault_is_fixed_up() -> Outcome {
    untranslatable_access_is_fixed_up::<Ppc64>(0x4000_0000_0000_0000)
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
