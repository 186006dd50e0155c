//! The tests' view of the area that bypasses the accessors: presence, and reads and writes
//! through the kernel's own mapping of the frames.

use super::hooks::UserAreaHooks;
use super::records::with_area;

/// Whether the user page containing `addr` is present now.
///
/// # Context
/// Never sleeps; any context.
pub fn user_page_present<A: UserAreaHooks>(addr: usize) -> bool {
    A::translate_user(addr).is_some()
}

/// Calls `f(kernel_address, chunk_len, offset_in_buf)` for each page-sized piece of
/// `[addr, addr + len)`, after checking that every page is present; returns false (calling `f`
/// never) otherwise. Runs with the area locked so the frames cannot go away meanwhile.
fn for_each_present_chunk<A: UserAreaHooks>(
    addr: usize,
    len: usize,
    mut f: impl FnMut(usize, usize, usize),
) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    with_area::<A, _>(|_area| {
        let mut page = addr & !(A::PAGE_SIZE - 1);
        while page < end {
            if A::translate_user(page).is_none() {
                return false;
            }
            page += A::PAGE_SIZE;
        }
        let mut at = addr;
        while at < end {
            let chunk = (A::PAGE_SIZE - at % A::PAGE_SIZE).min(end - at);
            let phys = A::translate_user(at).expect("checked present above");
            f(A::phys_to_virt(phys), chunk, at - addr);
            at += chunk;
        }
        true
    })
}

/// Reads user memory through the kernel's mapping, bypassing the accessors (and SMAP, and
/// faults). Returns false, filling nothing, when any byte is not present.
///
/// # Context
/// Never sleeps; any context.
pub fn peek_user<A: UserAreaHooks>(addr: usize, buf: &mut [u8]) -> bool {
    let dst = buf.as_mut_ptr();
    for_each_present_chunk::<A>(addr, buf.len(), |src, len, offset| {
        // SAFETY: src is the kernel address of `len` present bytes (one page at most) that stay
        // mapped while the area is locked; dst + offset is within buf.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.add(offset), len) }
    })
}

/// Writes user memory through the kernel's mapping, bypassing the accessors and page
/// protections (read-only pages are written too: this is for test setup). Returns false,
/// writing nothing, when any byte is not present.
///
/// # Context
/// Never sleeps; any context.
pub fn poke_user<A: UserAreaHooks>(addr: usize, data: &[u8]) -> bool {
    let src = data.as_ptr();
    for_each_present_chunk::<A>(addr, data.len(), |dst, len, offset| {
        // SAFETY: dst is the kernel address of `len` present bytes that stay mapped while the
        // area is locked; src + offset is within data.
        unsafe { core::ptr::copy_nonoverlapping(src.add(offset), dst as *mut u8, len) }
    })
}
