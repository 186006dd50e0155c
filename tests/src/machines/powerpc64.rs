//! The powerpc64 image under QEMU (pseries) runs the suites on a real radix MMU, a real data
//! storage interrupt handler and the portable SMP scheduler (see
//! `mightfault_test_kernel::powerpc64`, built from `mightfault_arch::powerpc64`).

use mightfault_core::{pagefault_disable, pagefault_enable};
use mightfault_test_kernel::powerpc64::{self as ppc, kuap, Ppc64};

use mightfault_uaccess::{
    clear_user, copy_from_user, copy_to_user, futex_atomic_op_inuser, get_user, put_user, Efault,
    FutexOp,
};

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
                name: "kuap_blocks_plain_user_read",
                run: kuap_blocks_plain_user_read,
            },
            Case {
                name: "kuap_window_closed_after_fixup",
                run: kuap_window_closed_after_fixup,
            },
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

/// With KUAP (the AMR blocking user access outside the accessors' windows), a kernel load
/// from or store to a present user page faults, as under SMAP on x86_64, while get_user and
/// put_user of the same address work: a plain dereference of a user pointer is caught, even
/// right after a window filled the translation.
fn kuap_blocks_plain_user_read() -> Outcome {
    check!(
        Ppc64,
        kuap::user_access_blocked(),
        "user access is open in task context (AMR {:#x})",
        kuap::amr()
    );
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    Ppc64::poke_user(user, &[0x42]);
    check!(
        Ppc64,
        kuap::probe_plain_read(user),
        "a plain read of a present user page did not fault"
    );
    let mut value = 0u8;
    let got = get_user::<Ppc64, u8>(&mut value, user);
    check!(
        Ppc64,
        got.is_ok() && value == 0x42,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    check!(
        Ppc64,
        kuap::probe_plain_read(user),
        "a plain read right after get_user's window did not fault"
    );
    check!(
        Ppc64,
        kuap::probe_plain_write(user, 0x99),
        "a plain write to a present user page did not fault"
    );
    let put = put_user::<Ppc64, u8>(0x17, user);
    check!(Ppc64, put.is_ok(), "put_user: {:?}", put);
    let mut byte = [0u8];
    Ppc64::peek_user(user, &mut byte);
    check!(
        Ppc64,
        byte[0] == 0x17,
        "the page holds {:#x}, not put_user's 0x17 (a plain write got through?)",
        byte[0]
    );
    check!(
        Ppc64,
        kuap::user_access_blocked(),
        "user access left open (AMR {:#x})",
        kuap::amr()
    );
    Outcome::Pass
}

/// Every accessor whose fault is fixed up closes its window on the way out: after a get_user,
/// put_user, copy, clear and futex operation that faulted on an unmapped page (the copies
/// partway, from the page before it), the AMR is blocked again and a plain load of the
/// present page faults. Page faults are disabled around the futex operation, as its callers
/// have them.
fn kuap_window_closed_after_fixup() -> Outcome {
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let hole = user + ppc::PAGE_SIZE;
    Ppc64::poke_user(user, &[0x5a; 64]);
    let mut value = u64::MAX;
    let got = get_user::<Ppc64, u64>(&mut value, hole);
    check!(Ppc64, got == Err(Efault), "get_user of a hole: {:?}", got);
    check!(
        Ppc64,
        window_closed(user),
        "after get_user: AMR {:#x}",
        kuap::amr()
    );
    let put = put_user::<Ppc64, u64>(1, hole);
    check!(Ppc64, put == Err(Efault), "put_user to a hole: {:?}", put);
    check!(
        Ppc64,
        window_closed(user),
        "after put_user: AMR {:#x}",
        kuap::amr()
    );
    // 40 bytes before the hole, 24 in it.
    let start = hole - 40;
    let mut buf = [0u8; 64];
    let left = copy_from_user::<Ppc64>(&mut buf, start);
    check!(Ppc64, left == 24, "copy_from_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after copy_from_user: AMR {:#x}",
        kuap::amr()
    );
    let left = copy_to_user::<Ppc64>(start, &[0xa5; 64]);
    check!(Ppc64, left == 24, "copy_to_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after copy_to_user: AMR {:#x}",
        kuap::amr()
    );
    let left = clear_user::<Ppc64>(start, 64);
    check!(Ppc64, left == 24, "clear_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after clear_user: AMR {:#x}",
        kuap::amr()
    );
    pagefault_disable::<Ppc64>();
    let old = futex_atomic_op_inuser::<Ppc64>(FutexOp::Add, 1, hole);
    pagefault_enable::<Ppc64>();
    check!(Ppc64, old == Err(Efault), "futex op on a hole: {:?}", old);
    check!(
        Ppc64,
        window_closed(user),
        "after futex_atomic_op_inuser: AMR {:#x}",
        kuap::amr()
    );
    Outcome::Pass
}

/// Whether user access is blocked (no window open) and a plain read of the present user page
/// at `user` faults.
fn window_closed(user: usize) -> bool {
    kuap::user_access_blocked() && kuap::probe_plain_read(user)
}

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
