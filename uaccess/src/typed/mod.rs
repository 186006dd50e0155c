//! Typed user pointers, and the accessors that ask for a context token.
//!
//! The untyped accessors take user addresses as `usize` and return "bytes not copied" as a
//! plain `usize`; a kernel pointer passes as a user pointer, a result is easily ignored, and
//! nothing stops a call under a spinlock except the run-time report. Here:
//!
//! - a user address is a [`UserPtr<T>`] (or a [`UserSlice`]: address and length), made from a
//!   raw address only at the kernel's entry boundary ([`UserPtr::from_syscall_arg`],
//!   [`UserSlice::from_syscall_args`]) and never from a kernel reference: the type is Linux's
//!   `__user` annotation, checked by the compiler rather than by sparse;
//! - a [`UserSlice`] is read through a [`UserSliceReader`] and written through a
//!   [`UserSliceWriter`], cursors that advance over what they copied, so one user range is not
//!   fetched twice by accident (a double fetch lets user space change the data between the
//!   check and the use);
//! - [`get_user`] returns the value (`Result<T, Efault>`), with no out-parameter and no
//!   turbofish; every copy returns a `#[must_use]` `Result<(), Uncopied>` whose error carries
//!   the bytes not copied;
//! - the accessors that may sleep ask for `&mut impl MaySleep` (the
//!   [`Sleepable`](mightfault_core::context::Sleepable) token), so they cannot be called under
//!   a spinlock, preempt_disable, local_irq_save, local_bh_disable, an RCU reader or in an
//!   interrupt handler; the `_inatomic` copies ask for `&impl FaultsDisabled` (the
//!   [`NoFault`](mightfault_core::context::NoFault) token of `context::pagefault_disable`).
//!
//! Each calls the Linux-named accessor of this crate, so the run-time checks (might_fault(),
//! access_ok()) run exactly as for the untyped call, and the code inlines to the same
//! instructions (the tokens are zero-sized).
//!
//! ```
//! # use minikernel::{machine, PageState, USER_BASE};
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::context::{self, MaySleep, Sleepable};
//! use mightfault_core::{Efault, RawSpinLock};
//! use mightfault_uaccess::typed::{self, UserPtr, UserSlice};
//!
//! static STATS_LOCK: RawSpinLock = RawSpinLock::new("stats_lock");
//!
//! /// `stats(buf, len)`: copies the stats out. Under the lock page faults are disabled and
//! /// the copy may come up short; the rest is retried after the unlock, where it may sleep.
//! fn sys_stats(cx: &mut impl MaySleep<Arch = MyKernel>, buf: UserSlice) -> Result<(), Efault> {
//!     let mut out = buf.writer();
//!     let copied;
//!     let snapshot = {
//!         let mut locked = context::spin_lock(&STATS_LOCK, cx);
//!         let snapshot = *b"stat"; // what the lock protects
//!         let nofault = context::pagefault_disable(&mut locked);
//!         copied = out.write_slice_inatomic(&nofault, &snapshot);
//!         snapshot
//!     };
//!     if let Err(short) = copied {
//!         // Outside the lock: the same copy may now sleep to page the memory in.
//!         out.write_slice(cx, &snapshot[snapshot.len() - short.bytes()..])?;
//!     }
//!     Ok(())
//! }
//!
//! /// `double(ptr)`: reads a u64 from user space and writes it back doubled.
//! fn sys_double(cx: &mut impl MaySleep<Arch = MyKernel>, arg: UserPtr<u64>) -> Result<(), Efault> {
//!     let value = typed::get_user(cx, arg)?;
//!     typed::put_user(cx, value * 2, arg)
//! }
//!
//! # use mightfault_core::console::{capture_start, capture_stop};
//! machine().memory().lay_out(&[PageState::NotPresent]);
//! capture_start::<MyKernel>();
//! // SAFETY: the doctest's main thread is a task at its syscall entry.
//! let mut cx = unsafe { Sleepable::<MyKernel>::assume() };
//! sys_stats(&mut cx, UserSlice::from_syscall_args(USER_BASE, 4)).unwrap();
//! let mut back = [0u8; 4];
//! typed::copy_from_user(&mut cx, &mut back, UserPtr::from_syscall_arg(USER_BASE)).unwrap();
//! assert_eq!(&back, b"stat");
//! typed::put_user(&mut cx, 21u64, UserPtr::from_syscall_arg(USER_BASE + 8)).unwrap();
//! sys_double(&mut cx, UserPtr::from_syscall_arg(USER_BASE + 8)).unwrap();
//! assert_eq!(typed::get_user(&mut cx, UserPtr::<u64>::from_syscall_arg(USER_BASE + 8)), Ok(42));
//! let log = capture_stop::<MyKernel, _>(|text| text.text().to_string());
//! assert!(!log.contains("BUG"), "nothing slept under the lock: {log}");
//! ```

mod ops;
mod uncopied;
mod user_ptr;
mod user_slice;

pub use ops::{
    clear_user, copy_from_user, copy_from_user_inatomic, copy_to_user, copy_to_user_inatomic,
    get_user, put_user,
};
pub use uncopied::Uncopied;
pub use user_ptr::UserPtr;
pub use user_slice::{UserSlice, UserSliceReader, UserSliceWriter};
