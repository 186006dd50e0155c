//! Page frames for user pages: a fixed pool in the kernel image's `.bss`, shared by every arch.
//!
//! A layout holds at most [`MAX_USER_PAGES`] pages, and a new layout's frames are allocated
//! before the old layout's are freed (after no cpu can translate to them), so two layouts plus
//! their page-ins fit in 64 frames. A static pool needs no memory map, and its physical
//! addresses follow from the image's (the arch's [`UserAreaHooks::image_virt_to_phys`]).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};

use super::hooks::UserAreaHooks;
use super::MAX_USER_PAGES;

/// Frames in the pool: one bit each in [`USED`].
const FRAMES: usize = 64;
/// Size of a frame; every arch's user pages are 4 KiB.
const FRAME_SIZE: usize = 4096;
const _: () = assert!(
    FRAMES >= 3 * MAX_USER_PAGES,
    "two layouts and their page-ins"
);

#[repr(C, align(4096))]
struct Frame(UnsafeCell<[u8; FRAME_SIZE]>);

// SAFETY: a frame is used by whoever allocated it (the user area) and by the cpus that map it;
// the allocation bitmap hands each frame to one owner at a time.
unsafe impl Sync for Frame {}

static POOL: [Frame; FRAMES] = [const { Frame(UnsafeCell::new([0; FRAME_SIZE])) }; FRAMES];

/// Bit n set = frame n in use.
static USED: AtomicU64 = AtomicU64::new(0);

/// Allocates a zero-filled frame and returns its physical address, or None when the pool is
/// exhausted.
///
/// # Context
/// Never sleeps; any context.
pub(super) fn alloc_zeroed<A: UserAreaHooks>() -> Option<u64> {
    const { assert!(A::PAGE_SIZE == FRAME_SIZE, "user pages are 4 KiB") };
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
                let frame = POOL[free].0.get();
                // SAFETY: the frame is ours now and nothing maps it.
                unsafe { core::ptr::write_bytes(frame, 0, 1) };
                return Some(A::image_virt_to_phys(frame as usize));
            }
            Err(seen) => used = seen,
        }
    }
}

/// Returns the frame at physical address `phys` to the pool.
///
/// # Safety
/// `phys` must come from [`alloc_zeroed`], be freed once, and be mapped nowhere (any cached
/// translation to it dropped on every cpu).
///
/// # Context
/// Never sleeps; any context.
pub(super) unsafe fn free<A: UserAreaHooks>(phys: u64) {
    let first = A::image_virt_to_phys(POOL[0].0.get() as usize);
    let index = (phys.wrapping_sub(first) / FRAME_SIZE as u64) as usize;
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
