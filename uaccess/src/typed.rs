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

use core::fmt;
use core::marker::PhantomData;

use mightfault_core::context::{FaultsDisabled, MaySleep};
use mightfault_core::{Efault, RawUserAccess, UserScalar};

use crate::access_ok::access_ok;

/// A user-space address of a `T`: Linux's `T __user *`.
///
/// It is `Copy` (it is only an address) and can be made only from a raw address handed in by
/// user space ([`UserPtr::from_syscall_arg`]); there is no conversion from a kernel reference
/// or pointer, so kernel memory cannot be passed where user memory is meant.
///
/// # Context
/// Never sleeps; any context (a plain value, not dereferenceable by the kernel).
pub struct UserPtr<T> {
    addr: usize,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    #[inline(always)]
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T> PartialEq for UserPtr<T> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}

impl<T> Eq for UserPtr<T> {}

impl<T> fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserPtr({:#x})", self.addr)
    }
}

impl<T> UserPtr<T> {
    /// The user address of a syscall argument (or any other value user space handed in): the
    /// kernel's entry boundary, the one place a raw address becomes a user pointer. Nothing is
    /// checked here; every access checks the range (access_ok()).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn from_syscall_arg(addr: usize) -> Self {
        Self {
            addr,
            _type: PhantomData,
        }
    }

    /// The raw user address (for logging, or for the untyped accessors).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn addr(self) -> usize {
        self.addr
    }

    /// Whether the address is 0.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn is_null(self) -> bool {
        self.addr == 0
    }

    /// The same address as a pointer to a `U`.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn cast<U>(self) -> UserPtr<U> {
        UserPtr::from_syscall_arg(self.addr)
    }

    /// The address `count` elements of `T` further, wrapping (a wrapped address fails
    /// access_ok() at the access).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn wrapping_add(self, count: usize) -> Self {
        Self::from_syscall_arg(
            self.addr
                .wrapping_add(count.wrapping_mul(core::mem::size_of::<T>())),
        )
    }
}

/// The bytes a copy could not transfer, as Linux's copies return them: the error of every
/// typed copy. Convert it to [`Efault`] with `?` where a short copy is simply -EFAULT.
///
/// # Context
/// Never sleeps; any context (a plain value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a short copy: return -EFAULT, or retry the bytes not copied"]
pub struct Uncopied {
    not_copied: usize,
}

impl Uncopied {
    /// The number of bytes not copied (at the end of the range; those before were copied).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn bytes(self) -> usize {
        self.not_copied
    }
}

impl From<Uncopied> for Efault {
    #[inline(always)]
    fn from(_: Uncopied) -> Self {
        Efault
    }
}

impl fmt::Display for Uncopied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes not copied (-EFAULT)", self.not_copied)
    }
}

#[inline(always)]
fn copied(not_copied: usize) -> Result<(), Uncopied> {
    if not_copied == 0 {
        Ok(())
    } else {
        Err(Uncopied { not_copied })
    }
}

/// Reads one `T` from user space; on failure returns `Err(Efault)`. Calls
/// [`crate::get_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token. With debug-atomic-sleep the
/// run-time check of [`crate::get_user`] runs as well.
#[inline(always)]
#[track_caller]
#[must_use = "the value read, or -EFAULT"]
pub fn get_user<C, T>(cx: &mut C, from: UserPtr<T>) -> Result<T, Efault>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
    T: UserScalar,
{
    let _ = cx;
    let mut value = T::from_bits(0);
    crate::get_user::<C::Arch, T>(&mut value, from.addr)?;
    Ok(value)
}

/// Writes `value` to user space in one access; nothing is written on failure. Calls
/// [`crate::put_user`]. The argument order is Linux's: `put_user(x, ptr)`.
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a write to user space can fail with -EFAULT"]
pub fn put_user<C, T>(cx: &mut C, value: T, to: UserPtr<T>) -> Result<(), Efault>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
    T: UserScalar,
{
    let _ = cx;
    crate::put_user::<C::Arch, T>(value, to.addr)
}

/// Copies `from` to user space at `to`. Calls [`crate::copy_to_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short copy leaves bytes not copied: return -EFAULT or retry them"]
pub fn copy_to_user<C>(cx: &mut C, to: UserPtr<u8>, from: &[u8]) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::copy_to_user::<C::Arch>(to.addr, from))
}

/// Fills `to` from user space at `from`; the part that could not be read is zeroed. Calls
/// [`crate::copy_from_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short copy leaves bytes not copied (zeroed): return -EFAULT or retry them"]
pub fn copy_from_user<C>(cx: &mut C, to: &mut [u8], from: UserPtr<u8>) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::copy_from_user::<C::Arch>(to, from.addr))
}

/// Zeroes `n` bytes of user space at `to`. Calls [`crate::clear_user`].
///
/// # Context
/// May sleep to page user memory in: asks for the sleepable token.
#[inline(always)]
#[track_caller]
#[must_use = "a short clear leaves bytes not zeroed: return -EFAULT or retry them"]
pub fn clear_user<C>(cx: &mut C, to: UserPtr<u8>, n: usize) -> Result<(), Uncopied>
where
    C: MaySleep,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    copied(crate::clear_user::<C::Arch>(to.addr, n))
}

/// Copies `from` to user space at `to` with page faults disabled: a fault ends the copy
/// without sleeping. Checks the range (access_ok()), then calls
/// [`crate::__copy_to_user_inatomic`].
///
/// # Context
/// Never sleeps: asks for the [`NoFault`](mightfault_core::context::NoFault) token of
/// `context::pagefault_disable`. Any context.
#[inline(always)]
#[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
pub fn copy_to_user_inatomic<C>(cx: &C, to: UserPtr<u8>, from: &[u8]) -> Result<(), Uncopied>
where
    C: FaultsDisabled,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    if !access_ok::<C::Arch>(to.addr, from.len()) {
        return copied(from.len());
    }
    // SAFETY: the user range was checked by access_ok() above.
    copied(unsafe { crate::__copy_to_user_inatomic::<C::Arch>(to.addr, from) })
}

/// Fills `to` from user space at `from` with page faults disabled: a fault ends the copy
/// without sleeping, and the unfilled tail of `to` is left as it was. Checks the range
/// (access_ok()), then calls [`crate::__copy_from_user_inatomic`].
///
/// # Context
/// Never sleeps: asks for the [`NoFault`](mightfault_core::context::NoFault) token. Any
/// context.
#[inline(always)]
#[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
pub fn copy_from_user_inatomic<C>(cx: &C, to: &mut [u8], from: UserPtr<u8>) -> Result<(), Uncopied>
where
    C: FaultsDisabled,
    C::Arch: RawUserAccess,
{
    let _ = cx;
    if !access_ok::<C::Arch>(from.addr, to.len()) {
        return copied(to.len());
    }
    // SAFETY: the user range was checked by access_ok() above.
    copied(unsafe { crate::__copy_from_user_inatomic::<C::Arch>(to, from.addr) })
}

/// A user-space byte range (address and length), as a syscall's `(buf, len)` arguments.
/// Neither `Copy` nor `Clone`: it is consumed by [`UserSlice::reader`] or
/// [`UserSlice::writer`], whose cursors advance, so the range is not fetched twice by accident.
///
/// # Context
/// Never sleeps; any context (a plain value).
#[derive(Debug)]
pub struct UserSlice {
    ptr: UserPtr<u8>,
    len: usize,
}

impl UserSlice {
    /// The range `len` bytes long at `ptr`.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn new(ptr: UserPtr<u8>, len: usize) -> Self {
        Self { ptr, len }
    }

    /// The range of a syscall's `(addr, len)` arguments: the kernel's entry boundary. Nothing is
    /// checked here; every access checks its range (access_ok()).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn from_syscall_args(addr: usize, len: usize) -> Self {
        Self::new(UserPtr::from_syscall_arg(addr), len)
    }

    /// The length in bytes.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the range is empty.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A cursor that reads the range from its start.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn reader(self) -> UserSliceReader {
        UserSliceReader {
            ptr: self.ptr,
            len: self.len,
        }
    }

    /// A cursor that writes the range from its start.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn writer(self) -> UserSliceWriter {
        UserSliceWriter {
            ptr: self.ptr,
            len: self.len,
        }
    }

    /// A reader and a writer over the same range (for a buffer that is read, then written
    /// back in place).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn reader_writer(self) -> (UserSliceReader, UserSliceWriter) {
        (
            UserSliceReader {
                ptr: self.ptr,
                len: self.len,
            },
            UserSliceWriter {
                ptr: self.ptr,
                len: self.len,
            },
        )
    }
}

/// Reads a [`UserSlice`] front to back; each read advances past the bytes it copied.
///
/// # Context
/// Never sleeps itself; each read states its own context.
#[derive(Debug)]
pub struct UserSliceReader {
    ptr: UserPtr<u8>,
    len: usize,
}

impl UserSliceReader {
    /// The bytes left to read.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is left to read.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Skips `n` bytes; `Err(Efault)` (and nothing skipped) when fewer are left.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub fn skip(&mut self, n: usize) -> Result<(), Efault> {
        if n > self.len {
            return Err(Efault);
        }
        self.advance(n);
        Ok(())
    }

    #[inline(always)]
    fn advance(&mut self, n: usize) {
        self.ptr = self.ptr.wrapping_add(n);
        self.len -= n;
    }

    /// Fills `out` from the cursor and advances past the bytes copied. When fewer than
    /// `out.len()` bytes are left, nothing is read, `out` is zeroed and all of it is reported
    /// not copied; on a fault, the unread tail of `out` is zeroed.
    ///
    /// # Context
    /// May sleep to page user memory in: asks for the sleepable token.
    #[inline(always)]
    #[track_caller]
    #[must_use = "a short copy leaves bytes not copied (zeroed): return -EFAULT or retry them"]
    pub fn read_slice<C>(&mut self, cx: &mut C, out: &mut [u8]) -> Result<(), Uncopied>
    where
        C: MaySleep,
        C::Arch: RawUserAccess,
    {
        if out.len() > self.len {
            out.fill(0);
            return copied(out.len());
        }
        let result = copy_from_user(cx, out, self.ptr);
        self.advance(out.len() - result.err().map_or(0, Uncopied::bytes));
        result
    }

    /// Fills `out` from the cursor with page faults disabled (a fault ends the copy without
    /// sleeping; the unfilled tail of `out` is left as it was), and advances past the bytes
    /// copied. When fewer than `out.len()` bytes are left, nothing is read.
    ///
    /// # Context
    /// Never sleeps: asks for the `NoFault` token. Any context.
    #[inline(always)]
    #[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
    pub fn read_slice_inatomic<C>(&mut self, cx: &C, out: &mut [u8]) -> Result<(), Uncopied>
    where
        C: FaultsDisabled,
        C::Arch: RawUserAccess,
    {
        if out.len() > self.len {
            return copied(out.len());
        }
        let result = copy_from_user_inatomic(cx, out, self.ptr);
        self.advance(out.len() - result.err().map_or(0, Uncopied::bytes));
        result
    }

    /// Reads one `T` at the cursor and advances past it; `Err(Efault)` (and no advance) when
    /// fewer than its size are left or the read faults.
    ///
    /// # Context
    /// May sleep to page user memory in: asks for the sleepable token.
    #[inline(always)]
    #[track_caller]
    #[must_use = "the value read, or -EFAULT"]
    pub fn read<C, T>(&mut self, cx: &mut C) -> Result<T, Efault>
    where
        C: MaySleep,
        C::Arch: RawUserAccess,
        T: UserScalar,
    {
        if T::SIZE > self.len {
            return Err(Efault);
        }
        let value = get_user(cx, self.ptr.cast::<T>())?;
        self.advance(T::SIZE);
        Ok(value)
    }
}

/// Writes a [`UserSlice`] front to back; each write advances past the bytes it copied.
///
/// # Context
/// Never sleeps itself; each write states its own context.
#[derive(Debug)]
pub struct UserSliceWriter {
    ptr: UserPtr<u8>,
    len: usize,
}

impl UserSliceWriter {
    /// The bytes left to write.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is left to write.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn advance(&mut self, n: usize) {
        self.ptr = self.ptr.wrapping_add(n);
        self.len -= n;
    }

    /// Copies `data` to the cursor and advances past the bytes copied. When fewer than
    /// `data.len()` bytes are left, nothing is written and all of it is reported not copied.
    ///
    /// # Context
    /// May sleep to page user memory in: asks for the sleepable token.
    #[inline(always)]
    #[track_caller]
    #[must_use = "a short copy leaves bytes not copied: return -EFAULT or retry them"]
    pub fn write_slice<C>(&mut self, cx: &mut C, data: &[u8]) -> Result<(), Uncopied>
    where
        C: MaySleep,
        C::Arch: RawUserAccess,
    {
        if data.len() > self.len {
            return copied(data.len());
        }
        let result = copy_to_user(cx, self.ptr, data);
        self.advance(data.len() - result.err().map_or(0, Uncopied::bytes));
        result
    }

    /// Copies `data` to the cursor with page faults disabled (a fault ends the copy without
    /// sleeping) and advances past the bytes copied. When fewer than `data.len()` bytes are
    /// left, nothing is written.
    ///
    /// # Context
    /// Never sleeps: asks for the `NoFault` token. Any context.
    #[inline(always)]
    #[must_use = "a short copy under pagefault_disable is expected: retry the rest where it may sleep"]
    pub fn write_slice_inatomic<C>(&mut self, cx: &C, data: &[u8]) -> Result<(), Uncopied>
    where
        C: FaultsDisabled,
        C::Arch: RawUserAccess,
    {
        if data.len() > self.len {
            return copied(data.len());
        }
        let result = copy_to_user_inatomic(cx, self.ptr, data);
        self.advance(data.len() - result.err().map_or(0, Uncopied::bytes));
        result
    }

    /// Writes one `T` at the cursor and advances past it; `Err(Efault)` (and no advance) when
    /// fewer than its size are left or the write faults.
    ///
    /// # Context
    /// May sleep to page user memory in: asks for the sleepable token.
    #[inline(always)]
    #[track_caller]
    #[must_use = "a write to user space can fail with -EFAULT"]
    pub fn write<C, T>(&mut self, cx: &mut C, value: T) -> Result<(), Efault>
    where
        C: MaySleep,
        C::Arch: RawUserAccess,
        T: UserScalar,
    {
        if T::SIZE > self.len {
            return Err(Efault);
        }
        put_user(cx, value, self.ptr.cast::<T>())?;
        self.advance(T::SIZE);
        Ok(())
    }
}
