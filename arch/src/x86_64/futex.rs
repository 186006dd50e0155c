//! Atomic operations on a futex word in user memory: each is one locked instruction on the
//! user address between `stac` and `clac`, with an exception-table entry for every
//! instruction that touches the user word.
//!
//! - compare-and-exchange: `lock cmpxchg`;
//! - set: `xchg`, which locks the bus without a prefix when one operand is in memory;
//! - add: `lock xadd`, which hands back the old value in the register;
//! - or, and-not, xor: x86 has no fetch-and-op that returns the old value for them, so a plain
//!   load starts a `lock cmpxchg` loop that retries until no other cpu changed the word between
//!   the read and the exchange.
//!
//! A locked instruction that faults writes nothing, so when a fault is not resolved (page
//! faults disabled, or nothing mapped) the fixup, out of line in `.text.fixup`, only sets the
//! error and jumps to the `clac`: the word keeps its value. A resolved fault retries the
//! faulting instruction, as for every other accessor.
//!
//! `crate::impl_raw_user_access!` makes these the kernel's `RawUserFutex`; the checked
//! wrappers (alignment and range) are `mightfault-uaccess`'s.

use core::arch::asm;

use mightfault_core::{Efault, FutexOp};

/// What a fixup puts in the error register.
const EFAULT: i32 = Efault::ERRNO;

/// One locked read-modify-write of the user word at `$uaddr` whose old value comes back in
/// the register it read its operand from (`xchg`, `xadd`): `$insn` names `{value:e}` and
/// `{addr}`.
macro_rules! fetch_and_op {
    ($insn:literal, $uaddr:expr, $operand:expr) => {{
        let old: u32;
        let error: i32;
        // SAFETY: one locked access to the user word inside stac/clac; a fault is resolved and
        // retried or fixed up to the out-of-line code, which sets the error and returns to the
        // clac. A faulting locked instruction writes nothing. The caller checked the address.
        unsafe {
            asm!(
                stac!(),
                concat!("2: ", $insn),
                "3:",
                clac!(),
                ex_entry!("2b", "4f"),
                fixup_begin!(),
                "4: mov {error:e}, {efault}",
                "jmp 3b",
                fixup_end!(),
                addr = in(reg) $uaddr,
                value = inout(reg) $operand => old,
                error = inout(reg) 0i32 => error,
                efault = const EFAULT,
                options(nostack),
            );
        }
        (old, error)
    }};
}

/// The `lock cmpxchg` loop of the operations without a fetch-and-op instruction: `$op` turns
/// `{new:e}` (a copy of the old value) into the new value with `{arg:e}`.
macro_rules! cmpxchg_loop {
    ($op:literal, $uaddr:expr, $arg:expr) => {{
        let old: u32;
        let error: i32;
        // SAFETY: a load and a locked compare-and-exchange of the user word inside stac/clac,
        // each with an exception-table entry whose fixup sets the error and returns to the
        // clac. The exchange stores only when the word still holds the value the new one was
        // computed from (ZF set); otherwise cmpxchg has put the current value in eax and the
        // loop recomputes. A faulting load or exchange writes nothing. The caller checked the
        // address.
        unsafe {
            asm!(
                stac!(),
                "2: mov eax, dword ptr [{addr}]",
                "3: mov {new:e}, eax",
                $op,
                "4: lock cmpxchg dword ptr [{addr}], {new:e}",
                "jnz 3b",
                "5:",
                clac!(),
                ex_entry!("2b", "6f"),
                ex_entry!("4b", "6f"),
                fixup_begin!(),
                "6: mov {error:e}, {efault}",
                "jmp 5b",
                fixup_end!(),
                addr = in(reg) $uaddr,
                arg = in(reg) $arg,
                new = out(reg) _,
                out("eax") old,
                error = inout(reg) 0i32 => error,
                efault = const EFAULT,
                options(nostack),
            );
        }
        (old, error)
    }};
}

/// Atomically: reads the u32 at user address `uaddr` and, if it equals `old`, stores `new`
/// (`lock cmpxchg`). Returns the value read, or `Err(Efault)` when the access faulted and was
/// fixed up (the word unchanged).
///
/// # Safety
/// `uaddr` is 4-byte aligned and checked by the caller (`access_ok`).
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled a fault may sleep to page the word in.
#[inline(always)]
pub unsafe fn cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
    let seen: u32;
    let error: i32;
    // SAFETY: one locked compare-and-exchange of the user word inside stac/clac, with an
    // exception-table entry whose fixup sets the error and returns to the clac; a faulting
    // cmpxchg writes nothing. The caller checked the address.
    unsafe {
        asm!(
            stac!(),
            "2: lock cmpxchg dword ptr [{addr}], {new:e}",
            "3:",
            clac!(),
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: mov {error:e}, {efault}",
            "jmp 3b",
            fixup_end!(),
            addr = in(reg) uaddr,
            new = in(reg) new,
            inout("eax") old => seen,
            error = inout(reg) 0i32 => error,
            efault = const EFAULT,
            options(nostack),
        );
    }
    crate::scalar_access::verdict(error).map(|()| seen)
}

/// Atomically replaces the u32 at user address `uaddr` by `op.apply(old, oparg)` and returns
/// `old`, or `Err(Efault)` when the access faulted and was fixed up (the word unchanged).
///
/// # Safety
/// `uaddr` is 4-byte aligned and checked by the caller (`access_ok`).
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled a fault may sleep to page the word in.
#[inline(always)]
pub unsafe fn atomic_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
    let (old, error) = match op {
        FutexOp::Set => fetch_and_op!("xchg dword ptr [{addr}], {value:e}", uaddr, oparg),
        FutexOp::Add => fetch_and_op!("lock xadd dword ptr [{addr}], {value:e}", uaddr, oparg),
        FutexOp::Or => cmpxchg_loop!("or {new:e}, {arg:e}", uaddr, oparg),
        FutexOp::AndN => cmpxchg_loop!("and {new:e}, {arg:e}", uaddr, !oparg),
        FutexOp::Xor => cmpxchg_loop!("xor {new:e}, {arg:e}", uaddr, oparg),
    };
    crate::scalar_access::verdict(error).map(|()| old)
}
