//! The x86_64 image under QEMU runs the suites on real page tables, a real #PF handler and a
//! real SMP scheduler (see `mightfault_test_kernel::x86_64`).

use mightfault_test_kernel::x86_64::{self as x86, X86};

use mightfault_uaccess::get_user;

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::check;

bare_metal_seed_machine!(
    X86,
    Suite {
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
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<X86>,
            },
        ],
    }
);

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
    untranslatable_access_is_fixed_up::<X86>(0x8000_0000_0000_0000)
}

/// An unchecked access to an unmapped kernel address faults (#PF) and is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    kernel_address_access_is_fixed_up::<X86>(0xffff_c000_0000_0000)
}
