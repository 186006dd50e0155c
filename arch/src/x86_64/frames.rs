//! Page frames for user pages: a fixed pool in the kernel image's `.bss`.
//!
//! The user area holds at most 16 pages, and a new layout's frames are allocated before the old
//! layout's are freed (after the TLB shootdown), so 64 frames are plenty. A static pool needs no
//! memory map and its physical addresses are known (kernel image = physical + KERNEL_OFFSET).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};

use super::layout::{image_virt_to_phys, phys_to_virt, PAGE_SIZE};

const FRAMES: usize = 64;

#[repr(C, align(4096))]
struct Frame(UnsafeCell<[u8; PAGE_SIZE]>);

// SAFETY: a frame is used by whoever allocated it (the user area) and by the cpus that map it;
// the allocation bitmap hands each frame to one owner at a time.
unsafe impl Sync for Frame {}

static POOL: [Frame; FRAMES] = [const { Frame(UnsafeCell::new([0; PAGE_SIZE])) }; FRAMES];

/// Bit n set = frame n in use.
static USED: AtomicU64 = AtomicU64::new(0);

/// Allocates a zero-filled frame and returns its physical address, or None when the pool is
/// exhausted.
///
/// # Context
/// Never sleeps; any context.
pub fn alloc_zeroed() -> Option<u64> {
    let mut used = USED.load(Ordering::Relaxed);
    loop {
        let free = (!used).trailing_zeros() as usize;
        if free >= FRAMES {
            return None;
        }
        match USED.compare_exchange_weak(
            used,
            used | (1 << free),
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => {
                let phys = image_virt_to_phys(POOL[free].0.get() as usize);
                // SAFETY: the frame is ours now and nothing maps it.
                unsafe { core::ptr::write_bytes(phys_to_virt(phys) as *mut u8, 0, PAGE_SIZE) };
                return Some(phys);
            }
            Err(seen) => used = seen,
        }
    }
}

/// Returns the frame at physical address `phys` to the pool.
///
/// # Safety
/// `phys` must come from [`alloc_zeroed`], be freed once, and be mapped nowhere (any TLB entry
/// for it flushed on every cpu).
///
/// # Context
/// Never sleeps; any context.
pub unsafe fn free(phys: u64) {
    let first = image_virt_to_phys(POOL[0].0.get() as usize);
    let index = ((phys - first) / PAGE_SIZE as u64) as usize;
    assert!(
        index < FRAMES,
        "freeing a frame that is not from the pool: {phys:#x}"
    );
    let previous = USED.fetch_and(!(1 << index), Ordering::Release);
    assert!(
        previous & (1 << index) != 0,
        "double free of frame {phys:#x}"
    );
}

/// How many frames are in use (for diagnostics).
///
/// # Context
/// Never sleeps; any context.
pub fn in_use() -> u32 {
    USED.load(Ordering::Relaxed).count_ones()
}
