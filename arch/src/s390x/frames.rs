//! Page frames for user pages: 64 frames in the image's .bss, handed out by a free flag each.
//!
//! A layout holds at most 16 pages and the old layout's frames go back only after the new one
//! is installed, so 64 frames are plenty. Their physical addresses are the image's
//! (virtual - KERNEL_BASE).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use super::layout::{virt_to_phys, PAGE_SIZE};

const FRAMES: usize = 64;

#[repr(C, align(4096))]
struct Frame(UnsafeCell<[u8; PAGE_SIZE]>);

// SAFETY: each frame has one owner at a time, given by its `TAKEN` flag.
unsafe impl Sync for Frame {}

static FRAME_POOL: [Frame; FRAMES] = [const { Frame(UnsafeCell::new([0; PAGE_SIZE])) }; FRAMES];
static TAKEN: [AtomicBool; FRAMES] = [const { AtomicBool::new(false) }; FRAMES];

/// A zero-filled frame's physical address, or None when all are taken.
///
/// # Context
/// Never sleeps; any context.
pub fn alloc_zeroed() -> Option<usize> {
    let index = TAKEN.iter().position(|taken| {
        taken
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    })?;
    let virt = FRAME_POOL[index].0.get() as usize;
    // SAFETY: the frame is ours and mapped nowhere yet.
    unsafe { core::ptr::write_bytes(virt as *mut u8, 0, PAGE_SIZE) };
    Some(virt_to_phys(virt))
}

/// Gives the frame at `phys` back.
///
/// # Safety
/// `phys` came from [`alloc_zeroed`], is given back once and is mapped nowhere (its page-table
/// entry was invalidated with IPTE, which purges every cpu's TLB).
///
/// # Context
/// Never sleeps; any context.
pub unsafe fn free(phys: usize) {
    let first = virt_to_phys(FRAME_POOL[0].0.get() as usize);
    let index = (phys - first) / PAGE_SIZE;
    assert!(
        index < FRAMES && phys.is_multiple_of(PAGE_SIZE),
        "not a pool frame: {phys:#x}"
    );
    assert!(
        TAKEN[index].swap(false, Ordering::Release),
        "double free of frame {phys:#x}"
    );
}
