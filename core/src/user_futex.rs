//! What a backend provides for atomic operations on user memory: the futex primitives.
//!
//! Futexes are the first user of pagefault_disable() that the 2014 thread names: the futex
//! code holds a hash-bucket spinlock while it updates the futex word in user memory, so the
//! update must not sleep. It runs with page faults disabled; a fault returns -EFAULT, and the
//! caller drops its locks, faults the page in where it may sleep (`fault_in_writeable`) and
//! tries again. `mightfault-uaccess` adds the range and alignment checks.

use crate::user_access::{Efault, RawUserAccess};

/// An operation of `futex_atomic_op_inuser()` (Linux's `FUTEX_OP_SET` .. `FUTEX_OP_XOR`):
/// the new value of the futex word from its old value and the operation's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutexOp {
    /// `new = oparg`.
    Set,
    /// `new = old + oparg` (wrapping).
    Add,
    /// `new = old | oparg`.
    Or,
    /// `new = old & !oparg`.
    AndN,
    /// `new = old ^ oparg`.
    Xor,
}

impl FutexOp {
    /// Every operation, in Linux's numbering order (FUTEX_OP_SET = 0 .. FUTEX_OP_XOR = 4).
    pub const ALL: [FutexOp; 5] = [
        FutexOp::Set,
        FutexOp::Add,
        FutexOp::Or,
        FutexOp::AndN,
        FutexOp::Xor,
    ];

    /// Linux's number of the operation (`FUTEX_OP_SET` = 0, `ADD` = 1, `OR` = 2, `ANDN` = 3,
    /// `XOR` = 4).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn linux_number(self) -> u32 {
        match self {
            FutexOp::Set => 0,
            FutexOp::Add => 1,
            FutexOp::Or => 2,
            FutexOp::AndN => 3,
            FutexOp::Xor => 4,
        }
    }

    /// The operation with Linux's number `op`, or `None` for a number Linux refuses with
    /// -ENOSYS.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn from_linux_number(op: u32) -> Option<FutexOp> {
        match op {
            0 => Some(FutexOp::Set),
            1 => Some(FutexOp::Add),
            2 => Some(FutexOp::Or),
            3 => Some(FutexOp::AndN),
            4 => Some(FutexOp::Xor),
            _ => None,
        }
    }

    /// The word's new value: what a backend built on compare-and-swap stores (backends with a
    /// fetch-and-op instruction must agree with it).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn apply(self, old: u32, oparg: u32) -> u32 {
        match self {
            FutexOp::Set => oparg,
            FutexOp::Add => old.wrapping_add(oparg),
            FutexOp::Or => old | oparg,
            FutexOp::AndN => old & !oparg,
            FutexOp::Xor => old ^ oparg,
        }
    }
}

/// A backend's atomic operations on a 32-bit word in user memory. Each is the arch's atomic
/// instruction (or a reservation / compare-and-swap loop) on the user address, with an
/// exception-table entry; none checks the address or calls might_fault().
///
/// # Safety
/// Implementors promise that the update is atomic against every other cpu's atomic operation
/// on the same word, that every fault goes through the contract's fault path (so with page
/// faults disabled it is fixed up, never slept on), and that a fault leaves the word as it
/// was.
pub unsafe trait RawUserFutex: RawUserAccess {
    /// Atomically: reads the u32 at user address `uaddr` and, if it equals `old`, stores `new`.
    /// Returns the value read (equal to `old` exactly when `new` was stored), or `Err(Efault)`
    /// when the access faulted and was fixed up (the word unchanged).
    ///
    /// # Safety
    /// `uaddr` must be 4-byte aligned and checked by the caller (`access_ok`).
    ///
    /// # Context
    /// Meant for page faults disabled, where it never sleeps; then any context.
    unsafe fn raw_futex_cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault>;

    /// Atomically replaces the u32 at user address `uaddr` by `op.apply(old, oparg)` and
    /// returns `old`, or `Err(Efault)` when the access faulted and was fixed up (the word
    /// unchanged).
    ///
    /// # Safety
    /// `uaddr` must be 4-byte aligned and checked by the caller (`access_ok`).
    ///
    /// # Context
    /// Meant for page faults disabled, where it never sleeps; then any context.
    unsafe fn raw_futex_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault>;
}
