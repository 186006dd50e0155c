//! powerpc64's half of the portable user area (`crate::user_area`): the radix leaves of the one
//! user page table (`mmu.rs`), the frame pool and the kernel's linear map.
//!
//! When a layout replaces another, every cpu's TLB is flushed (`tlbie`, under the area lock)
//! before the old frames go back to the pool; a page-in only turns an invalid leaf valid, which
//! is never cached, so it needs only a `ptesync`.

use core::sync::atomic::Ordering;

use crate::user_area::UserAreaHooks;

use super::layout::{phys_to_virt, PAGE_SIZE, USER_AREA_BASE};
use super::{mmu, Ppc64};

// SAFETY: set_user_pte writes only leaf `index` of the user page table, which maps
// USER_AREA_BASE + index * 4096; after_replace_locked broadcasts tlbie and waits (tlbsync) for
// every cpu; translate_user reads the live leaves.
unsafe impl UserAreaHooks for Ppc64 {
    const AREA_BASE: usize = USER_AREA_BASE;
    const PAGE_SIZE: usize = PAGE_SIZE;

    fn image_virt_to_phys(virt: usize) -> u64 {
        super::layout::virt_to_phys(virt) as u64
    }

    unsafe fn set_user_pte(index: usize, frame: Option<(u64, bool)>) {
        let leaf = match frame {
            None => 0,
            Some((frame, writable)) => mmu::user_leaf_value(frame, writable),
        };
        mmu::user_leaf(index).store(leaf, Ordering::Release);
    }

    fn after_page_in() {
        mmu::ptesync();
    }

    fn after_replace_locked() {
        mmu::flush_user_tlbs();
    }

    fn translate_user(addr: usize) -> Option<u64> {
        // The leaf holds the frame; the byte's offset in the page comes from the address.
        mmu::translate_user(addr).map(|(frame, _)| frame + (addr % PAGE_SIZE) as u64)
    }

    fn phys_to_virt(phys: u64) -> usize {
        phys_to_virt(phys as usize)
    }
}
