//! The s390x image under QEMU runs the suites on real DAT tables (a kernel and a user address
//! space), a real program-check handler and a real SMP scheduler (see
//! `mightfault_test_kernel::s390x`).

use core::sync::atomic::{AtomicU32, Ordering};

use mightfault_test_kernel::s390x::{self as s390, S390};

use mightfault_core::{pagefault_disable, pagefault_enable, FutexOp};
use mightfault_uaccess::{
    __get_user, __put_user, access_ok, copy_from_user, copy_to_user, futex_atomic_cmpxchg_inatomic,
    futex_atomic_op_inuser, get_user, Efault,
};

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
                name: "plain_deref_cannot_read_user_memory",
                run: plain_deref_cannot_read_user_memory,
            },
            Case {
                name: "kernel_pointer_resolves_in_user_space",
                run: kernel_pointer_resolves_in_user_space,
            },
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
                name: "futex_fault_leaves_primary_space_mode",
                run: futex_fault_leaves_primary_space_mode,
            },
            Case {
                name: "futex_page_in_retries_in_secondary_space_mode",
                run: futex_page_in_retries_in_secondary_space_mode,
            },
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<S390>,
            },
        ],
    },
    separate_user_space = true,
);

/// A kernel word the accessors are pointed at as if it were a user pointer (in .data: mapped
/// and writable in the kernel's space).
static KERNEL_WORD: AtomicU32 = AtomicU32::new(0x5a5a_5a5a);

/// The kernel's space maps nothing at the user area, and a plain kernel load is translated
/// there: of a present user page filled with a marker, get_user (MVCOS in the user's space)
/// reads the marker while a plain load of the same address faults (fixed up by the probe's own
/// entry, never paged in) or reads something else.
fn plain_deref_cannot_read_user_memory() -> Outcome {
    const MARKER: u8 = 0xa7;
    let user = S390::map_user_pages(&[PageKind::PresentRw]);
    check!(
        S390,
        S390::poke_user(user, &[MARKER; 16]),
        "the user page is not present"
    );
    let mut value = 0u8;
    let got = get_user::<S390, u8>(&mut value, user + 5);
    check!(
        S390,
        got.is_ok() && value == MARKER,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    let plain = s390::isolation::plain_read_byte(user + 5);
    check!(
        S390,
        plain != Some(MARKER),
        "a plain kernel load read user memory: {:?}",
        plain
    );
    check!(
        S390,
        s390::isolation::address_space_mode() == 0,
        "not back in the primary-space mode"
    );
    Outcome::Pass
}

/// A kernel address handed to the accessors passes access_ok (no kernel range to refuse: user
/// memory is its own space) and is resolved in the user's space, where nothing is mapped
/// there: every accessor fails with -EFAULT and the kernel word is unchanged.
fn kernel_pointer_resolves_in_user_space() -> Outcome {
    let kernel = KERNEL_WORD.as_ptr() as usize;
    check!(
        S390,
        access_ok::<S390>(kernel, 4),
        "access_ok refused {:#x}",
        kernel
    );
    let mut value = 7u32;
    let got = get_user::<S390, u32>(&mut value, kernel);
    check!(
        S390,
        got == Err(Efault) && value == 0,
        "get_user of a kernel pointer: {:?} {:#x}",
        got,
        value
    );
    let written = copy_to_user::<S390>(kernel, &[0u8; 4]);
    check!(
        S390,
        written == 4,
        "copy_to_user to a kernel pointer left {}",
        written
    );
    let mut into = [0xffu8; 4];
    let read = copy_from_user::<S390>(&mut into, kernel);
    check!(
        S390,
        read == 4 && into == [0; 4],
        "copy_from_user from a kernel pointer: {} {:?}",
        read,
        into
    );
    pagefault_disable::<S390>();
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(kernel, 0x5a5a_5a5a, 1);
    let op = futex_atomic_op_inuser::<S390>(FutexOp::Set, 2, kernel);
    pagefault_enable::<S390>();
    check!(
        S390,
        swapped == Err(Efault) && op == Err(Efault),
        "futex on a kernel pointer: {:?} {:?}",
        swapped,
        op
    );
    check!(
        S390,
        KERNEL_WORD.load(Ordering::Relaxed) == 0x5a5a_5a5a,
        "the kernel word changed: {:#x}",
        KERNEL_WORD.load(Ordering::Relaxed)
    );
    Outcome::Pass
}

/// The unchecked accessors on a kernel address with nothing behind it in the user's space (a
/// segment-translation exception in the secondary space) are fixed up, not oopsed, and leave
/// the kernel word alone.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    let outcome = kernel_address_access_is_fixed_up::<S390>(KERNEL_WORD.as_ptr() as usize);
    check!(
        S390,
        KERNEL_WORD.load(Ordering::Relaxed) == 0x5a5a_5a5a,
        "the kernel word changed"
    );
    outcome
}

/// An address beyond the user segment table's reach raises an ASCE-type exception (0x38),
/// not a translation exception; inside a user access it is fixed up too.
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

/// The futex `cs` runs in the secondary-space mode; a fault there that is fixed up (page
/// faults disabled: a not-present page, then a read-only one) continues at the fixup in that
/// mode, which must end the window: afterwards the cpu is back in the primary-space mode, and
/// a successful `cs` on a present page updates the word and leaves it there too.
fn futex_fault_leaves_primary_space_mode() -> Outcome {
    let user = S390::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::PresentRo,
        PageKind::PresentRw,
    ]);
    let page = S390::PAGE_SIZE;
    S390::poke_user(user + page, &3u32.to_be_bytes());
    pagefault_disable::<S390>();
    let absent = futex_atomic_cmpxchg_inatomic::<S390>(user, 0, 1);
    let absent_mode = s390::isolation::address_space_mode();
    let read_only = futex_atomic_op_inuser::<S390>(FutexOp::Add, 1, user + page);
    let read_only_mode = s390::isolation::address_space_mode();
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(user + 2 * page, 0, 9);
    let swapped_mode = s390::isolation::address_space_mode();
    pagefault_enable::<S390>();
    check!(
        S390,
        absent == Err(Efault) && absent_mode == 0,
        "absent page: {:?}, mode {}",
        absent,
        absent_mode
    );
    check!(
        S390,
        read_only == Err(Efault) && read_only_mode == 0,
        "read-only page: {:?}, mode {}",
        read_only,
        read_only_mode
    );
    let mut word = [0u8; 4];
    S390::peek_user(user + page, &mut word);
    check!(
        S390,
        u32::from_be_bytes(word) == 3,
        "the read-only word changed"
    );
    check!(
        S390,
        swapped == Ok(0) && swapped_mode == 0,
        "present page: {:?}, mode {}",
        swapped,
        swapped_mode
    );
    S390::peek_user(user + 2 * page, &mut word);
    check!(
        S390,
        u32::from_be_bytes(word) == 9,
        "the word was not swapped"
    );
    Outcome::Pass
}

/// With page faults enabled, a futex `cs` on a page that is not present faults inside the
/// secondary-space window; the fault is resolved (the page-in sleeps, and the task may come
/// back on another cpu) and the `cs` re-executed in the mode the old PSW kept, so the update
/// lands, the old value comes back, and the cpu ends in the primary-space mode.
fn futex_page_in_retries_in_secondary_space_mode() -> Outcome {
    let user = S390::map_user_pages(&[PageKind::NotPresent, PageKind::NotPresent]);
    let page = S390::PAGE_SIZE;
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(user + 8, 0, 0x77);
    let swapped_mode = s390::isolation::address_space_mode();
    let old = futex_atomic_op_inuser::<S390>(FutexOp::Xor, 0x0f0f, user + page + 12);
    let op_mode = s390::isolation::address_space_mode();
    check!(
        S390,
        swapped == Ok(0) && swapped_mode == 0,
        "cmpxchg after page-in: {:?}, mode {}",
        swapped,
        swapped_mode
    );
    check!(
        S390,
        old == Ok(0) && op_mode == 0,
        "xor after page-in: {:?}, mode {}",
        old,
        op_mode
    );
    let mut word = [0u8; 4];
    check!(
        S390,
        S390::peek_user(user + 8, &mut word) && u32::from_be_bytes(word) == 0x77,
        "the swapped word reads {:#x}",
        u32::from_be_bytes(word)
    );
    check!(
        S390,
        S390::peek_user(user + page + 12, &mut word) && u32::from_be_bytes(word) == 0x0f0f,
        "the xored word reads {:#x}",
        u32::from_be_bytes(word)
    );
    Outcome::Pass
}
