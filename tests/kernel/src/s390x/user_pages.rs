//! s390x's half of the portable user area (`crate::user_area`): the entries of the user page
//! table (`paging`), the frame pool and the kernel's mapping of RAM.
//!
//! An entry that was valid is invalidated with IPTE before it changes: IPTE purges the
//! translation from every cpu's TLB, so no shootdown IPI is needed. Turning an invalid entry
//! valid (a page-in) needs no purge, as invalid entries are never cached.

use core::arch::asm;

use crate::user_area::UserAreaHooks;

use super::layout::{phys_to_virt, PAGE_SIZE, USER_AREA_BASE};
use super::paging::{self, PTE_INVALID, PTE_PROTECT};
use super::S390;

// SAFETY: set_user_pte writes only entry `index` of the user page table, which maps
// USER_AREA_BASE + index * 4096, and purges a valid old entry from every TLB with IPTE before
// the entry changes, so nothing is left to flush once a layout is written; translate_user reads
// the live entries.
unsafe impl UserAreaHooks for S390 {
    const AREA_BASE: usize = USER_AREA_BASE;
    const PAGE_SIZE: usize = PAGE_SIZE;

    fn image_virt_to_phys(virt: usize) -> u64 {
        super::layout::virt_to_phys(virt) as u64
    }

    unsafe fn set_user_pte(index: usize, frame: Option<(u64, bool)>) {
        let pte = match frame {
            None => PTE_INVALID,
            Some((frame, writable)) => frame | if writable { 0 } else { PTE_PROTECT },
        };
        let slot = paging::user_pte(index);
        // SAFETY: the slot is the user page table's, changed only under the area lock, which
        // the caller holds.
        let old = unsafe { slot.read_volatile() };
        if old & PTE_INVALID == 0 {
            let vaddr = USER_AREA_BASE + index * PAGE_SIZE;
            // SAFETY: IPTE marks the entry invalid and purges it from every cpu's TLB.
            unsafe {
                asm!(
                    "ipte {pto}, {va}",
                    pto = in(reg) paging::user_page_table_phys(),
                    va = in(reg) vaddr as u64,
                    options(nostack),
                )
            };
        }
        // SAFETY: as above.
        unsafe { slot.write_volatile(pte) };
    }

    fn translate_user(addr: usize) -> Option<u64> {
        paging::translate_user(addr).map(|(phys, _)| phys as u64)
    }

    fn phys_to_virt(phys: u64) -> usize {
        phys_to_virt(phys as usize)
    }
}
