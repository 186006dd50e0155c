//! Atomic operations on a user word (futexes): COMPARE AND SWAP (`cs`) on the word in the user
//! address space.
//!
//! MVCOS moves bytes between the spaces but is not atomic against other cpus, and `cs` has no
//! operand-access controls, so the accessor switches the PSW to the secondary-space mode around
//! the one `cs` (`sacf 256` ... `sacf 0`, back to the primary-space mode the kernel runs in), as
//! Linux does around its futex `cs`. In the secondary-space mode operands are translated by the
//! secondary ASCE (CR7, the user's) while instructions are still fetched from the primary
//! space, so the code keeps running; nothing between the two `sacf` touches memory but the
//! user word (no stack, no spill: the whole window is one `asm!`). `sacf` to the secondary mode
//! needs DAT on and CR0's secondary-space control (bit 37), as MVCOS does.
//!
//! Every path leaves the primary-space mode restored:
//! - an interruption inside the window (external or a fault) saves the PSW, secondary mode
//!   included, in the old PSW, and the handler runs from its new PSW in the mode that names;
//!   the return reloads the interrupted PSW, so a resolved fault re-executes the `cs` in the
//!   secondary mode, and a task preempted there resumes in it, on whichever cpu;
//! - a fault that is not resolved continues at the fixup with the faulting PSW's mode, still
//!   secondary: the fixup sets the error and jumps back to the `sacf 0` that ends the window.
//!
//! A fault on the word is a user-space fault in the TEID (secondary space), which `super::fault`
//! classifies as such: with page faults disabled it is fixed up to -EFAULT and the word is
//! unchanged (`cs` stores nothing when it faults).
//!
//! The operations of `futex_atomic_op_inuser` are a compare-and-swap loop over
//! `FutexOp::apply`: read the word (one MVCOS, [`super::uaccess::get_user`]), compute the new
//! value, `cs` it in; a `cs` that finds another value retries with that value.

use core::arch::asm;

use mightfault_core::{Efault, FutexOp};

use crate::scalar_access::verdict;

/// Atomically: reads the u32 at user address `uaddr` and, if it equals `old`, stores `new`.
/// Returns the value read (equal to `old` exactly when `new` was stored), or `Err(Efault)`
/// when the access faulted and was not resolved (the word unchanged).
///
/// # Safety
/// `uaddr` 4-byte aligned and range-checked by the caller (`access_ok`); the kernel's CR7 holds
/// the user ASCE and CR0 the secondary-space control.
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled a fault may sleep to page the word in.
#[inline(always)]
pub unsafe fn cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
    let seen: u32;
    let error: i32;
    // SAFETY: one `cs` on the aligned user word in the secondary space, between sacf 256 and
    // sacf 0; no other memory is touched inside the window. A fault is resolved and retried (in
    // the secondary mode the old PSW keeps), or fixed up to the out-of-line code, which sets
    // the error and rejoins at the sacf 0.
    unsafe {
        asm!(
            "sacf 256",
            "2: cs {seen}, {new}, 0({addr})",
            "3: sacf 0",
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: lhi {error}, {efault}",
            "jg 3b",
            fixup_end!(),
            seen = inout(reg) old => seen,
            new = in(reg) new,
            addr = in(reg_addr) uaddr,
            error = inout(reg) 0i32 => error,
            efault = const Efault::ERRNO,
            options(nostack),
        );
    }
    verdict(error).map(|()| seen)
}

/// Atomically replaces the u32 at user address `uaddr` by `op.apply(old, oparg)` and returns
/// `old`, or `Err(Efault)` when an access faulted and was not resolved (the word unchanged).
///
/// # Safety
/// As [`cmpxchg`].
///
/// # Context
/// Meant for page faults disabled, where it never sleeps; then any context. With page faults
/// enabled a fault may sleep to page the word in.
#[inline]
pub unsafe fn atomic_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
    let mut old = 0u32;
    // SAFETY: the caller's contract covers a 4-byte read at uaddr.
    unsafe { super::uaccess::get_user(&mut old, uaddr) }?;
    loop {
        // SAFETY: the caller's contract.
        let seen = unsafe { cmpxchg(uaddr, old, op.apply(old, oparg)) }?;
        if seen == old {
            return Ok(old);
        }
        old = seen;
    }
}
