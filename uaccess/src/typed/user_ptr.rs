//! `UserPtr<T>`: a user-space address, made only from syscall arguments.

use core::fmt;
use core::marker::PhantomData;

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
