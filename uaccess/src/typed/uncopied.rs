//! `Uncopied`: the bytes a typed copy could not transfer.

use core::fmt;

use mightfault_core::Efault;

/// The bytes a copy could not transfer, as Linux's copies return them: the error of every
/// typed copy. Convert it to [`Efault`] with `?` where a short copy is simply -EFAULT.
///
/// # Context
/// Never sleeps; any context (a plain value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a short copy: return -EFAULT, or retry the bytes not copied"]
pub struct Uncopied {
    pub(super) not_copied: usize,
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
