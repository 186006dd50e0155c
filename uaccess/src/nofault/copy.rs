//! copy_to_user_nofault() and copy_from_user_nofault(): Linux's mm/maccess.c.

use mightfault_core::{pagefault_disable, pagefault_enable, Efault, RawUserAccess};

use crate::access_ok::access_ok;

/// Copies `from` to user address `to` without ever sleeping: `Ok(())` when every byte was
/// copied, `Err(Efault)` (-EFAULT) otherwise, as Linux's `copy_to_user_nofault()`.
///
/// The range must pass access_ok() (a kernel address is refused before any access). Page faults
/// are disabled around the access, so a page that is not present is not paged in: the copy
/// stops at it. On `Err` the bytes before the first one that faulted have been written and
/// none after it. No might_fault() check and no report, in any configuration.
///
/// ```
/// # use minikernel::{machine, PageState, USER_BASE};
/// # use minikernel::Mini as MyKernel;
/// use mightfault_uaccess::nofault::copy_to_user_nofault;
/// use mightfault_uaccess::Efault;
///
/// machine().memory().lay_out(&[PageState::Present { writable: true }, PageState::NotPresent]);
/// assert_eq!(copy_to_user_nofault::<MyKernel>(USER_BASE, b"hi"), Ok(()));
/// assert_eq!(copy_to_user_nofault::<MyKernel>(USER_BASE + 4096, b"hi"), Err(Efault));
/// assert_eq!(machine().memory().state(USER_BASE + 4096), Some(PageState::NotPresent));
/// ```
///
/// # Context
/// Never sleeps and never faults a page in; any context (under a spinlock, with preemption or
/// interrupts disabled, in an interrupt handler).
#[inline]
pub fn copy_to_user_nofault<A: RawUserAccess>(to: usize, from: &[u8]) -> Result<(), Efault> {
    if !access_ok::<A>(to, from.len()) {
        return Err(Efault);
    }
    pagefault_disable::<A>();
    // SAFETY: `from` is a valid slice and the user range was checked by access_ok() above; with
    // page faults disabled a fault ends the copy instead of sleeping.
    let left = unsafe { A::raw_copy_to_user(to, from.as_ptr(), from.len()) };
    pagefault_enable::<A>();
    if left == 0 {
        Ok(())
    } else {
        Err(Efault)
    }
}

/// Copies from user address `from` into `to` without ever sleeping: `Ok(())` when every byte
/// was copied, `Err(Efault)` (-EFAULT) otherwise, as Linux's `copy_from_user_nofault()`.
///
/// The range must pass access_ok(). Page faults are disabled around the access, so a page that
/// is not present is not paged in. On `Err` the bytes of `to` before the first user byte that
/// faulted are copied and the rest are left as they were (Linux's semantics: unlike
/// copy_from_user(), the tail is not zeroed). No might_fault() check and no report.
///
/// # Context
/// Never sleeps and never faults a page in; any context.
#[inline]
pub fn copy_from_user_nofault<A: RawUserAccess>(to: &mut [u8], from: usize) -> Result<(), Efault> {
    if !access_ok::<A>(from, to.len()) {
        return Err(Efault);
    }
    pagefault_disable::<A>();
    // SAFETY: `to` is a valid mutable slice and the user range was checked by access_ok()
    // above; with page faults disabled a fault ends the copy instead of sleeping.
    let left = unsafe { A::raw_copy_from_user(to.as_mut_ptr(), from, to.len()) };
    pagefault_enable::<A>();
    if left == 0 {
        Ok(())
    } else {
        Err(Efault)
    }
}
