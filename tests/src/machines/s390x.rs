//! The s390x image under QEMU runs the suites on real DAT tables, a real program-check handler
//! and a real SMP scheduler (see `mightfault_test_kernel::s390x`).

use mightfault_test_kernel::s390x::{self as s390, S390};

use mightfault_uaccess::{__get_user, __put_user, Efault};

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

bare_metal_seed_machine!(
    S390,
    Suite {
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
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<S390>,
            },
        ],
    }
);

/// An unchecked access to an unmapped kernel address (a segment-translation exception above
/// USER_LIMIT) is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    kernel_address_access_is_fixed_up::<S390>(s390::layout::KERNEL_BASE + (1 << 30))
}

/// An address beyond the region-third table's reach raises an ASCE-type exception (0x38), not
/// a translation exception; inside a user access it is fixed up too.
fn asce_type_fault_is_fixed_up() -> Outcome {
    untranslatable_access_is_fixed_up::<S390>(0xffff_ff00_0000_0000)
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
