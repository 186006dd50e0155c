//! `UserSlice` and its advancing reader and writer cursors.

use mightfault_core::context::{FaultsDisabled, MaySleep};
use mightfault_core::{Efault, RawUserAccess, UserScalar};

use super::ops::{
    copied, copy_from_user, copy_from_user_inatomic, copy_to_user, copy_to_user_inatomic, get_user,
    put_user,
};
use super::{Uncopied, UserPtr};

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
