//! Atomic operations on a futex word in user memory, for use under pagefault_disable().
//!
//! The futex code updates the word while it holds a hash-bucket spinlock, so the update must
//! not sleep: it runs with page faults disabled, and a fault returns -EFAULT instead of
//! sleeping. The caller then drops its locks, faults the word's page in where it may sleep
//! ([`fault_in_user_writeable`]), and tries again:
//!
//! ```
//! # use minikernel::{machine, PageState, USER_BASE};
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::{pagefault_disable, pagefault_enable, FutexOp, RawSpinLock};
//! use mightfault_uaccess::{fault_in_user_writeable, futex_atomic_op_inuser};
//!
//! static BUCKET: RawSpinLock = RawSpinLock::new("futex_bucket");
//!
//! /// Adds one to the futex word at `uaddr`; returns its old value.
//! fn futex_add_one(uaddr: usize) -> Result<u32, mightfault_uaccess::Efault> {
//!     loop {
//!         let guard = BUCKET.lock::<MyKernel>();
//!         pagefault_disable::<MyKernel>();
//!         let old = futex_atomic_op_inuser::<MyKernel>(FutexOp::Add, 1, uaddr);
//!         pagefault_enable::<MyKernel>();
//!         drop(guard);
//!         match old {
//!             Ok(old) => return Ok(old),
//!             // Outside the lock a fault may sleep: bring the page in and retry.
//!             Err(_) => fault_in_user_writeable::<MyKernel>(uaddr)?,
//!         }
//!     }
//! }
//!
//! machine().memory().lay_out(&[PageState::NotPresent]);
//! assert_eq!(futex_add_one(USER_BASE), Ok(0));
//! assert_eq!(futex_add_one(USER_BASE), Ok(1));
//! ```

use mightfault_core::{might_fault, Efault, FutexOp, RawUserFutex};

use crate::access_ok::access_ok;

/// The size of a futex word.
const FUTEX_WORD: usize = core::mem::size_of::<u32>();

/// Whether `uaddr` can name a futex word: inside user space and 4-byte aligned (an unaligned
/// word would take an alignment fault on some arches and is not atomic on others; Linux's
/// futex calls refuse it before they get here).
#[inline(always)]
fn futex_word_ok<A: RawUserFutex>(uaddr: usize) -> bool {
    uaddr.is_multiple_of(FUTEX_WORD) && access_ok::<A>(uaddr, FUTEX_WORD)
}

/// Atomically compares the futex word at `uaddr` with `old` and, if equal, replaces it with
/// `new`. Returns the value the word held (equal to `old` exactly when `new` was stored), or
/// `Err(Efault)` when `uaddr` is not an aligned user address or the access faulted (the word
/// unchanged).
///
/// # Context
/// Never sleeps when called, as intended, with page faults disabled (a fault then returns
/// -EFAULT); then any context, spinlocks held included. Calls no might_fault().
#[inline(always)]
pub fn futex_atomic_cmpxchg_inatomic<A: RawUserFutex>(
    uaddr: usize,
    old: u32,
    new: u32,
) -> Result<u32, Efault> {
    if !futex_word_ok::<A>(uaddr) {
        return Err(Efault);
    }
    // SAFETY: the word is aligned and lies in user space (checked above).
    unsafe { A::raw_futex_cmpxchg(uaddr, old, new) }
}

/// Atomically applies `op` with `oparg` to the futex word at `uaddr` and returns the word's
/// old value, or `Err(Efault)` when `uaddr` is not an aligned user address or the access
/// faulted (the word unchanged).
///
/// # Context
/// Never sleeps when called, as intended, with page faults disabled (a fault then returns
/// -EFAULT); then any context, spinlocks held included. Calls no might_fault().
#[inline(always)]
pub fn futex_atomic_op_inuser<A: RawUserFutex>(
    op: FutexOp,
    oparg: u32,
    uaddr: usize,
) -> Result<u32, Efault> {
    if !futex_word_ok::<A>(uaddr) {
        return Err(Efault);
    }
    // SAFETY: the word is aligned and lies in user space (checked above).
    unsafe { A::raw_futex_op(op, oparg, uaddr) }
}

/// Makes the page of the futex word at `uaddr` present and writable without changing the word,
/// as Linux's `fault_in_user_writeable()`: an atomic add of zero with page faults enabled, so
/// the write fault is resolved (possibly sleeping) and the word rewritten with its own value
/// in one atomic operation. `Err(Efault)` when `uaddr` is not an aligned user address or cannot
/// be made writable.
///
/// [`fault_in_writeable`](crate::fault_in_writeable) would do for a buffer, but not for a word
/// other cpus update atomically: it reads a byte and writes it back in two accesses, and an
/// update that lands between them is lost.
///
/// # Context
/// May sleep to page the word in. Process context, no spinlock held, page faults enabled; with
/// debug-atomic-sleep, a call in atomic context is reported.
#[track_caller]
pub fn fault_in_user_writeable<A: RawUserFutex>(uaddr: usize) -> Result<(), Efault> {
    might_fault::<A>();
    futex_atomic_op_inuser::<A>(FutexOp::Add, 0, uaddr).map(|_| ())
}
