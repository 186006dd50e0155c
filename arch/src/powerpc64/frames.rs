//! A small pool of 4 KiB page frames for user pages, carved out of .bss.

use core::cell::UnsafeCell;

use super::layout::{phys_to_virt, virt_to_phys, PAGE_SIZE};

/// Frames in the pool: two full layouts plus page-ins, with room to spare.
const FRAMES: usize = 96;

#[repr(C, align(4096))]
struct Pool(UnsafeCell<[[u8; PAGE_SIZE]; FRAMES]>);

// SAFETY: a frame is only touched by whoever allocated it (USED says who owns which).
unsafe impl Sync for Pool {}

static POOL: Pool = Pool(UnsafeCell::new([[0; PAGE_SIZE]; FRAMES]));
static USED: spin::Mutex<[bool; FRAMES]> = spin::Mutex::new([false; FRAMES]);

/// Allocates a zeroed frame; returns its physical address.
///
/// # Context
/// Never sleeps; any context with interrupts masked or in task context (a spin lock).
pub fn alloc_zeroed() -> Option<u64> {
    let index = {
        let mut used = USED.lock();
        let index = used.iter().position(|u| !*u)?;
        used[index] = true;
        index
    };
    let frame = POOL.0.get() as usize + index * PAGE_SIZE;
    // SAFETY: the frame is inside the pool and now ours alone.
    unsafe { core::ptr::write_bytes(frame as *mut u8, 0, PAGE_SIZE) };
    Some(virt_to_phys(frame) as u64)
}

/// Returns a frame to the pool.
///
/// # Safety
/// `phys` came from [`alloc_zeroed`], nothing maps it any more and no cpu caches a
/// translation to it.
///
/// # Context
/// Never sleeps; task context.
pub unsafe fn free(phys: u64) {
    let index = (phys_to_virt(phys as usize) - POOL.0.get() as usize) / PAGE_SIZE;
    USED.lock()[index] = false;
}
