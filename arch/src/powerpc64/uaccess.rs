//! The raw user accessors: every user access sits inside a KUAP window ([`super::kuap`]) opened
//! for its direction only, and has an exception-table entry whose fixup lands before the
//! window's close, so every path out of an accessor closes it.
//!
//! - get/put: one `lbz`/`lhz`/`lwz`/`ld` or `stb`/`sth`/`stw`/`std` between the open and the
//!   close. The fixup, out of line in `.text.fixup`, sets the error to -EFAULT (and, for get,
//!   zeroes the value) and branches back to the close, so the fast path stores the loaded
//!   register unconditionally.
//! - copies: 32 bytes per iteration (four `ld`/`std` pairs, the count in CTR), then a
//!   doubleword loop, then bytes. Misaligned doublewords are fine in cacheable memory, so
//!   neither side is aligned first. The pointers and the count of bytes not copied move only
//!   after a block's (or doubleword's) last store, so when an access of the wide loops faults
//!   and the fault is not resolved, the fixup falls back to the byte loop from the start of
//!   that block: it copies again the block's bytes before the faulting one (a store that
//!   crossed into a missing page may have written its first part; the same bytes are written
//!   again) and stops at the faulting byte itself, whose fixup leaves the loop with the exact
//!   count of bytes not copied. Nothing past the faulting byte is written: a faulting store
//!   writes nothing in the page that faulted. A resolved fault (a page-in) retries the same
//!   instruction.
//! - clear: the same shape with doubleword stores of zero.
//!
//! Every fault the accessors take must reach the kernel's data storage (0x300) and data
//! segment (0x380) handlers and from there the contract's decision
//! (`crate::data_fault::decide`, with [`super::fault`]'s classification, which needs the
//! interrupted AMR that the kernel's interrupt entry saved). The interrupt entry blocks user
//! access and its exit restores the saved AMR, so a window survives the task being preempted
//! or sleeping on a page-in. `crate::impl_raw_user_access!` makes these the kernel's
//! `RawUserAccess`.

use core::arch::asm;

use mightfault_core::Efault;

use super::kuap::AMR_BLOCKED;

/// What a fixup puts in the error register.
const EFAULT: i64 = Efault::ERRNO as i64;

/// Whether get_user/put_user clamp the address instead of checking it: no, powerpc64 checks
/// it (`access_ok`), as Linux does there.
pub const MASKS_USER_ADDRESS: bool = false;

/// The address itself: powerpc64 does not mask user addresses ([`MASKS_USER_ADDRESS`]).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn mask_user_address(addr: usize, _limit: usize) -> usize {
    addr
}

macro_rules! get_user_asm {
    ($from:expr, $load:literal) => {{
        let value: u64;
        let error: i64;
        // SAFETY: one load from a user address inside a read window; a fault is either
        // resolved and retried or fixed up to the out-of-line code, which sets error and value
        // and branches back to the close. The caller has range-checked the address
        // (RawUserAccess contract). `value` and `open` are early outputs: the close still
        // reads `blocked` after them.
        unsafe {
            asm!(
                kuap_open_read!("{open}", "{blocked}"),
                concat!("2: ", $load, " {value}, 0({addr})"),
                "3:",
                kuap_close!("{blocked}"),
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: li {error}, {efault}",
                "li {value}, 0",
                "b 3b",
                fixup_end!(),
                addr = in(reg_nonzero) $from,
                value = out(reg) value,
                error = inout(reg) 0i64 => error,
                open = out(reg) _,
                blocked = in(reg) AMR_BLOCKED,
                efault = const EFAULT,
                options(nostack, preserves_flags),
            );
        }
        (value, error)
    }};
}

macro_rules! put_user_asm {
    ($to:expr, $value:expr, $store:literal) => {{
        let error: i64;
        // SAFETY: one store to a user address inside a write window; a fault is resolved and
        // retried or fixed up (nothing written) back to the close. The caller has range-checked
        // the address.
        unsafe {
            asm!(
                kuap_open_write!("{open}", "{blocked}"),
                concat!("2: ", $store, " {value}, 0({addr})"),
                "3:",
                kuap_close!("{blocked}"),
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: li {error}, {efault}",
                "b 3b",
                fixup_end!(),
                addr = in(reg_nonzero) $to,
                value = in(reg) $value,
                error = inout(reg) 0i64 => error,
                open = out(reg) _,
                blocked = in(reg) AMR_BLOCKED,
                efault = const EFAULT,
                options(nostack, preserves_flags),
            );
        }
        error
    }};
}

/// Copies `$n` bytes from `$from` to `$to` (pointers) between user and kernel memory inside a
/// window that `$open` (`kuap_open_read` or `kuap_open_write`, for the user side's direction)
/// opens; evaluates to the bytes not copied. The caller guarantees `$to` writable and `$from`
/// readable for `$n` bytes, the user side range-checked.
macro_rules! copy_user_asm {
    ($to:expr, $from:expr, $n:expr, $open:ident) => {{
        let n: usize = $n;
        let left: usize;
        if n == 0 {
            0
        } else {
            // SAFETY: the caller's contract (see the macro's documentation). The pointers and
            // `left` move only after a block's or doubleword's last store, so a fault in the
            // wide loops that is not resolved falls back to the byte loop at that block's
            // start (label 7), which copies up to the faulting byte and whose own fixup leaves
            // with `left` = bytes not copied; nothing past the faulting byte is written, and
            // every path passes the close. `left` is not r0, which addi would read as zero.
            unsafe {
                asm!(
                    $open!("{open}", "{blocked}"),
                    "cmpldi {left}, 32",
                    "blt 5f",
                    "srdi {a}, {left}, 5",
                    "mtctr {a}",
                    "6:",
                    "10: ld {a}, 0({from})",
                    "11: ld {b}, 8({from})",
                    "12: ld {c}, 16({from})",
                    "13: ld {d}, 24({from})",
                    "14: std {a}, 0({to})",
                    "15: std {b}, 8({to})",
                    "16: std {c}, 16({to})",
                    "17: std {d}, 24({to})",
                    "addi {from}, {from}, 32",
                    "addi {to}, {to}, 32",
                    "addi {left}, {left}, -32",
                    "bdnz 6b",
                    "5: cmpldi {left}, 8",
                    "blt 7f",
                    "srdi {a}, {left}, 3",
                    "mtctr {a}",
                    "18: ld {a}, 0({from})",
                    "19: std {a}, 0({to})",
                    "addi {from}, {from}, 8",
                    "addi {to}, {to}, 8",
                    "addi {left}, {left}, -8",
                    "bdnz 18b",
                    "7: cmpldi {left}, 0",
                    "beq 9f",
                    "20: lbz {a}, 0({from})",
                    "21: stb {a}, 0({to})",
                    "addi {from}, {from}, 1",
                    "addi {to}, {to}, 1",
                    "addic. {left}, {left}, -1",
                    "bne 20b",
                    "9:",
                    kuap_close!("{blocked}"),
                    ex_entry!("10b", "7b"),
                    ex_entry!("11b", "7b"),
                    ex_entry!("12b", "7b"),
                    ex_entry!("13b", "7b"),
                    ex_entry!("14b", "7b"),
                    ex_entry!("15b", "7b"),
                    ex_entry!("16b", "7b"),
                    ex_entry!("17b", "7b"),
                    ex_entry!("18b", "7b"),
                    ex_entry!("19b", "7b"),
                    ex_entry!("20b", "9b"),
                    ex_entry!("21b", "9b"),
                    from = inout(reg_nonzero) $from => _,
                    to = inout(reg_nonzero) $to => _,
                    left = inout(reg_nonzero) n => left,
                    a = out(reg) _,
                    b = out(reg) _,
                    c = out(reg) _,
                    d = out(reg) _,
                    open = out(reg) _,
                    blocked = in(reg) AMR_BLOCKED,
                    out("ctr") _,
                    options(nostack),
                );
            }
            left
        }
    }};
}

/// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number of
/// bytes not copied (exact: see the module documentation).
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    // The caller guarantees `from` is readable for n bytes and `to` was checked (the macro's
    // contract); the user side is the store side, so the window allows stores.
    copy_user_asm!(to as *mut u8, from, n, kuap_open_write)
}

/// Copies `n` bytes from user address `from` to kernel memory at `to`; returns the number of
/// bytes not copied. The uncopied tail of `to` is left as it was.
///
/// # Safety
/// `to` writable for `n` bytes; `from` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
    // The caller guarantees `to` is writable for n bytes and `from` was checked (the macro's
    // contract); the user side is the load side, so the window allows loads.
    copy_user_asm!(to, from as *const u8, n, kuap_open_read)
}

/// Zeroes `n` bytes at user address `to` (32 bytes per iteration, then doublewords, then
/// bytes; the fallback to bytes after a fault as the copies'); returns the number of bytes not
/// zeroed.
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    let left: usize;
    if n == 0 {
        return 0;
    }
    // SAFETY: writes n bytes at `to` (checked by the caller) inside a write window. `to` and
    // `left` move only after a block's or doubleword's last store, so a fault in the wide
    // loops that is not resolved falls back to the byte loop at that block's start, and the
    // byte loop's fixup leaves with `left` = bytes not written; every path passes the close.
    unsafe {
        asm!(
            kuap_open_write!("{open}", "{blocked}"),
            "cmpldi {left}, 32",
            "blt 5f",
            "srdi {tmp}, {left}, 5",
            "mtctr {tmp}",
            "6:",
            "10: std {zero}, 0({to})",
            "11: std {zero}, 8({to})",
            "12: std {zero}, 16({to})",
            "13: std {zero}, 24({to})",
            "addi {to}, {to}, 32",
            "addi {left}, {left}, -32",
            "bdnz 6b",
            "5: cmpldi {left}, 8",
            "blt 7f",
            "srdi {tmp}, {left}, 3",
            "mtctr {tmp}",
            "14: std {zero}, 0({to})",
            "addi {to}, {to}, 8",
            "addi {left}, {left}, -8",
            "bdnz 14b",
            "7: cmpldi {left}, 0",
            "beq 9f",
            "15: stb {zero}, 0({to})",
            "addi {to}, {to}, 1",
            "addic. {left}, {left}, -1",
            "bne 15b",
            "9:",
            kuap_close!("{blocked}"),
            ex_entry!("10b", "7b"),
            ex_entry!("11b", "7b"),
            ex_entry!("12b", "7b"),
            ex_entry!("13b", "7b"),
            ex_entry!("14b", "7b"),
            ex_entry!("15b", "9b"),
            to = inout(reg_nonzero) to => _,
            left = inout(reg_nonzero) n => left,
            zero = in(reg) 0u64,
            tmp = out(reg) _,
            open = out(reg) _,
            blocked = in(reg) AMR_BLOCKED,
            out("ctr") _,
            options(nostack),
        );
    }
    left
}

scalar_user_accessors! {
    get: get_user_asm("lbz", "lhz", "lwz", "ld"),
    put: put_user_asm("stb", "sth", "stw", "std"),
}
