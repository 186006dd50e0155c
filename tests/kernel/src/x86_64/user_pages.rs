//! x86_64's half of the portable user area (`crate::user_area`): the leaf entries of the one
//! user page table (`paging`), the frame pool and the direct map.
//!
//! When a layout replaces another, every cpu's TLB is flushed (IPI shootdown, `tlb.rs`) before
//! the old frames go back to the pool; a page-in only turns a not-present entry present, which
//! x86 never caches, so it needs no flush.

use core::sync::atomic::Ordering;

use crate::user_area::UserAreaHooks;

use super::layout::{phys_to_virt, PAGE_SIZE, USER_AREA_BASE};
use super::paging::{self, PTE_PRESENT, PTE_USER, PTE_WRITABLE};
use super::{tlb, X86};

// SAFETY: set_user_pte writes only leaf `index` of the user page table, which maps
// USER_AREA_BASE + index * 4096; translate_user walks the live tables; the shootdown in
// after_replace_unlocked returns once every cpu has flushed its user translations.
unsafe impl UserAreaHooks for X86 {
    const AREA_BASE: usize = USER_AREA_BASE;
    const PAGE_SIZE: usize = PAGE_SIZE;

    fn image_virt_to_phys(virt: usize) -> u64 {
        super::layout::image_virt_to_phys(virt)
    }

    unsafe fn set_user_pte(index: usize, frame: Option<(u64, bool)>) {
        let pte = match frame {
            None => 0,
            Some((frame, writable)) => {
                frame | PTE_PRESENT | PTE_USER | if writable { PTE_WRITABLE } else { 0 }
            }
        };
        paging::user_pte(index).store(pte, Ordering::Release);
    }

    fn after_replace_unlocked() {
        // Waits for every other cpu's acknowledgement: never with the area lock held.
        tlb::flush_user_all_cpus();
    }

    fn translate_user(addr: usize) -> Option<u64> {
        paging::translate(addr).map(|(phys, _)| phys)
    }

    fn phys_to_virt(phys: u64) -> usize {
        phys_to_virt(phys)
    }
}
