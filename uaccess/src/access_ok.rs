//! access_ok(): does a range lie wholly in user space?

use mightfault_core::RawUserAccess;

/// Whether `[addr, addr + len)` lies below the machine's user limit without wrapping.
///
/// It says nothing about whether the range is mapped: that is found out by faulting.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn access_ok<A: RawUserAccess>(addr: usize, len: usize) -> bool {
    // Written as a subtraction so that neither side can overflow: addr <= limit - len.
    len <= A::USER_LIMIT && addr <= A::USER_LIMIT - len
}
