//! Atomic operations on a futex word in user memory: a load-reserve / store-conditional loop
//! (`lwarx`/`stwcx.`) on the user address inside a KUAP window open for loads and stores
//! ([`super::kuap::AMR_ALLOW_READ_WRITE`]), with an exception-table entry on both
//! instructions, as Linux's powerpc futex operations.
//!
//! Ordering is Linux's for an atomic operation that returns a value: a `sync` before the loop
//! and one after it (its `PPC_ATOMIC_ENTRY_BARRIER`/`PPC_ATOMIC_EXIT_BARRIER`), so the update
//! is ordered against every access before and after it, as the futex code needs for the
//! waiter/waker handshake.
//!
//! A `stwcx.` that faults stores nothing, and a faulting `lwarx` reads nothing, so when a
//! fault is not resolved (page faults disabled, or nothing mapped) the fixup, out of line in
//! `.text.fixup`, only sets the error and branches to the window's close: the word keeps its
//! value. A resolved fault retries the faulting instruction; if that is the `stwcx.`, the
//! interrupt has cleared the reservation, so it fails and the loop starts again from `lwarx`.
//!
//! `crate::impl_raw_user_access!` makes these the kernel's `RawUserFutex`; the checked
//! wrappers (alignment and range) are `mightfault-uaccess`'s.

use core::arch::asm;

use mightfault_core::{Efault, FutexOp};

use super::kuap::{AMR_ALLOW_READ_WRITE, AMR_BLOCKED};

/// What a fixup puts in the error register.
const EFAULT: i64 = Efault::ERRNO as i64;

/// The `lwarx`/`stwcx.` loop of one futex operation: `$op` computes `{new}` from `{old}` and
/// `{arg}`.
macro_rules! futex_op_loop {
    ($op:literal, $uaddr:expr, $arg:expr) => {{
        let old: u32;
        let error: i64;
        // SAFETY: a reservation loop on the user word inside a read-write window; both
        // accesses have an exception-table entry whose fixup sets the error and branches to
        // the close. A faulting lwarx or stwcx. writes nothing. `old` and `new` are early
        // outputs: the loop writes them while `addr`, `arg` and the window values are still
        // to be read. The caller checked the address and its alignment.
        unsafe {
            asm!(
                kuap_open!("{open}"),
                "sync",
                "2: lwarx {old}, 0, {addr}",
                $op,
                "3: stwcx. {new}, 0, {addr}",
                "bne- 2b",
                "sync",
                "4:",
                kuap_close!("{blocked}"),
                ex_entry!("2b", "5f"),
                ex_entry!("3b", "5f"),
                fixup_begin!(),
                "5: li {error}, {efault}",
                "b 4b",
                fixup_end!(),
                addr = in(reg_nonzero) $uaddr,
                arg = in(reg) $arg as u64,
                old = out(reg) old,
                new = out(reg) _,
                error = inout(reg) 0i64 => error,
                open = in(reg) AMR_ALLOW_READ_WRITE,
                blocked = in(reg) AMR_BLOCKED,
                efault = const EFAULT,
                options(nostack),
            );
        }
        (old, error)
    }};
}

/// Atomically compares the u32 at user address `uaddr` with `old` and, if equal, stores `new`;
/// returns the value found (equal to `old` exactly when `new` was stored), or `Err(Efault)`
/// when the access faulted and was fixed up (the word unchanged).
///
/// # Safety
/// `uaddr` is 4-byte aligned and range-checked by the caller (`access_ok`).
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled it may sleep to resolve a fault.
#[inline(always)]
pub unsafe fn cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
    let found: u32;
    let error: i64;
    // SAFETY: as futex_op_loop!, with a compare that leaves the loop without storing when the
    // word differs from `old` (the reservation is simply dropped). `cmpw` compares the low
    // words: lwarx zero-extends, and `old` is passed zero-extended.
    unsafe {
        asm!(
            kuap_open!("{open}"),
            "sync",
            "2: lwarx {found}, 0, {addr}",
            "cmpw {found}, {old}",
            "bne- 4f",
            "3: stwcx. {new}, 0, {addr}",
            "bne- 2b",
            "sync",
            "4:",
            kuap_close!("{blocked}"),
            ex_entry!("2b", "5f"),
            ex_entry!("3b", "5f"),
            fixup_begin!(),
            "5: li {error}, {efault}",
            "b 4b",
            fixup_end!(),
            addr = in(reg_nonzero) uaddr,
            old = in(reg) old as u64,
            new = in(reg) new as u64,
            found = out(reg) found,
            error = inout(reg) 0i64 => error,
            open = in(reg) AMR_ALLOW_READ_WRITE,
            blocked = in(reg) AMR_BLOCKED,
            efault = const EFAULT,
            options(nostack),
        );
    }
    match error {
        0 => Ok(found),
        _ => Err(Efault),
    }
}

/// Atomically replaces the u32 at user address `uaddr` by `op.apply(old, oparg)` and returns
/// `old`, or `Err(Efault)` when the access faulted and was fixed up (the word unchanged).
///
/// # Safety
/// `uaddr` is 4-byte aligned and range-checked by the caller (`access_ok`).
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled it may sleep to resolve a fault.
#[inline(always)]
pub unsafe fn atomic_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
    let (old, error) = match op {
        FutexOp::Set => futex_op_loop!("mr {new}, {arg}", uaddr, oparg),
        FutexOp::Add => futex_op_loop!("add {new}, {old}, {arg}", uaddr, oparg),
        FutexOp::Or => futex_op_loop!("or {new}, {old}, {arg}", uaddr, oparg),
        FutexOp::AndN => futex_op_loop!("andc {new}, {old}, {arg}", uaddr, oparg),
        FutexOp::Xor => futex_op_loop!("xor {new}, {old}, {arg}", uaddr, oparg),
    };
    match error {
        0 => Ok(old),
        _ => Err(Efault),
    }
}
