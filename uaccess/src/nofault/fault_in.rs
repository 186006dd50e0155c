//! fault_in_writeable() and fault_in_readable(): Linux's mm/gup.c.

use mightfault_core::{Efault, RawUserAccess};

use crate::access_ok::access_ok;
use crate::checked::{get_user, put_user};

/// The distance between two touches: every arch mightfault supports has 4 KiB base pages, and
/// touching every 4 KiB touches every page of any larger size as well.
pub const FAULT_IN_STRIDE: usize = 4096;

/// Makes every page of `[uaddr, uaddr + size)` present and writable, paging in what is not;
/// returns the number of bytes NOT faulted in (0 when all are), as Linux's
/// `fault_in_writeable()`.
///
/// It write-faults each page, starting with `uaddr` itself and then at each page boundary, and
/// stops at the first page that cannot be made writable: the result counts from there to the
/// end of the range. A range that fails access_ok() returns `size`; `size == 0` returns 0
/// without touching anything.
///
/// Unlike Linux's, which stores a zero (its callers overwrite the range anyway), the contents
/// are left as they were: each touch reads one byte with [`get_user`] and stores the same
/// value back with [`put_user`]. A store another thread makes to that byte between the two can
/// be lost; a kernel with get_user_pages() would use it instead (Linux's
/// `fault_in_safe_writeable()`).
///
/// # Context
/// May sleep to page user memory in. Process context, no spinlock held, page faults enabled
/// (with them disabled nothing is paged in and the bytes are reported as not faulted in); with
/// debug-atomic-sleep, a call in atomic context is reported.
#[track_caller]
pub fn fault_in_writeable<A: RawUserAccess>(uaddr: usize, size: usize) -> usize {
    fault_in::<A>(uaddr, size, true)
}

/// Makes every page of `[uaddr, uaddr + size)` present, paging in what is not; returns the
/// number of bytes NOT faulted in, as Linux's `fault_in_readable()`. Each touch is a one-byte
/// [`get_user`] at `uaddr` and then at each page boundary; it stops at the first that fails.
///
/// # Context
/// May sleep to page user memory in. Process context, no spinlock held, page faults enabled;
/// with debug-atomic-sleep, a call in atomic context is reported.
#[track_caller]
pub fn fault_in_readable<A: RawUserAccess>(uaddr: usize, size: usize) -> usize {
    fault_in::<A>(uaddr, size, false)
}

#[track_caller]
fn fault_in<A: RawUserAccess>(start: usize, size: usize, write: bool) -> usize {
    if size == 0 {
        return 0;
    }
    if !access_ok::<A>(start, size) {
        return size;
    }
    // access_ok() guarantees that the end does not wrap.
    let end = start + size;
    let mut at = start;
    while at < end {
        if touch::<A>(at, write).is_err() {
            return end - at;
        }
        match (at | (FAULT_IN_STRIDE - 1)).checked_add(1) {
            Some(next_page) => at = next_page,
            None => break,
        }
    }
    0
}

/// One access to the byte at `addr`: a read, and for `write` the same value written back.
#[track_caller]
fn touch<A: RawUserAccess>(addr: usize, write: bool) -> Result<(), Efault> {
    let mut byte = 0u8;
    get_user::<A, u8>(&mut byte, addr)?;
    if write {
        put_user::<A, u8>(byte, addr)?;
    }
    Ok(())
}
