//! The test's user area: up to 16 pages at USER_AREA_BASE, present (read-write or read-only),
//! valid but not present (paged in by the first fault), or unmapped.
//!
//! One record per page plays the part of Linux's VMA and says whether a fault can be resolved;
//! the page-table entries live in the user page table (`paging`). Both change only under the
//! `AREA` lock. An entry that was valid is invalidated with IPTE before it changes: IPTE purges
//! the translation from every cpu's TLB, so no shootdown IPI is needed. Turning an invalid
//! entry valid (a page-in) needs no purge, as invalid entries are never cached.

use core::arch::asm;

use mightfault_core::fault::Resolution;

use super::cpu::{irq_restore, irq_save};
use super::layout::{phys_to_virt, PAGE_SIZE, USER_AREA_BASE};
use super::paging::{self, PTE_INVALID, PTE_PROTECT};
use super::{frames, S390};

/// Most pages a layout may have.
pub const MAX_USER_PAGES: usize = 16;

/// The state a user page is set up in (the tests' `PageKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserPageKind {
    /// Mapped and present, readable and writable.
    PresentRw,
    /// Mapped and present, read-only.
    PresentRo,
    /// Valid, not present: the first fault pages it in (zero-filled, sleeping once).
    NotPresent,
    /// No mapping: every access faults and is fixed up.
    Unmapped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vma {
    None,
    Absent,
    Present { frame: usize, writable: bool },
}

static AREA: spin::Mutex<[Vma; MAX_USER_PAGES]> = spin::Mutex::new([Vma::None; MAX_USER_PAGES]);

fn pte_of(vma: Vma) -> u64 {
    match vma {
        Vma::None | Vma::Absent => PTE_INVALID,
        Vma::Present { frame, writable } => frame as u64 | if writable { 0 } else { PTE_PROTECT },
    }
}

/// Sets user page `index` to `pte`, invalidating (and purging everywhere) the old one first.
fn set_pte(index: usize, pte: u64) {
    let slot = paging::user_pte(index);
    // SAFETY: the slot is the user page table's, changed only under AREA.
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

fn with_area<R>(f: impl FnOnce(&mut [Vma; MAX_USER_PAGES]) -> R) -> R {
    let flags = irq_save();
    let result = f(&mut AREA.lock());
    irq_restore(flags);
    result
}

/// Replaces the user area with `kinds.len()` pages of the given kinds and returns the address
/// of the first. Present pages start zero-filled; the old layout's frames are freed.
///
/// # Context
/// Never sleeps; task context. Panics for more than [`MAX_USER_PAGES`] pages or when the
/// frame pool runs out.
pub fn map_user_pages(kinds: &[UserPageKind]) -> usize {
    assert!(
        kinds.len() <= MAX_USER_PAGES,
        "at most {MAX_USER_PAGES} user pages"
    );
    let mut new = [Vma::None; MAX_USER_PAGES];
    for (vma, kind) in new.iter_mut().zip(kinds) {
        *vma = match kind {
            UserPageKind::PresentRw | UserPageKind::PresentRo => Vma::Present {
                frame: frames::alloc_zeroed().expect("user frame pool exhausted"),
                writable: *kind == UserPageKind::PresentRw,
            },
            UserPageKind::NotPresent => Vma::Absent,
            UserPageKind::Unmapped => Vma::None,
        };
    }
    let old = with_area(|area| {
        let old = *area;
        *area = new;
        for (index, vma) in new.iter().enumerate() {
            set_pte(index, pte_of(*vma));
        }
        old
    });
    for vma in old {
        if let Vma::Present { frame, .. } = vma {
            // SAFETY: from the pool; its entry was invalidated with IPTE above.
            unsafe { frames::free(frame) };
        }
    }
    USER_AREA_BASE
}

/// Tries to resolve a fault at user address `addr` (`write`: a protection exception, i.e. a
/// store to a read-only page), as the core's `handle_user_fault` asks its `resolve` to: an
/// absent page gets a zeroed frame mapped read-write and the task sleeps once, as if waiting
/// for the disk (waking where `direct_next_wakeup` says, or on another cpu); no mapping, or a
/// store to a read-only page, cannot be resolved.
///
/// # Context
/// May sleep; the program-check handler only, interrupts enabled, `faulthandler_disabled()`
/// false.
pub fn resolve(addr: usize, write: bool) -> Resolution {
    let index = match addr.checked_sub(USER_AREA_BASE).map(|off| off / PAGE_SIZE) {
        Some(index) if index < MAX_USER_PAGES => index,
        _ => return Resolution::NoMapping,
    };
    let found = with_area(|area| match area[index] {
        Vma::None => Lookup::Refused,
        Vma::Present {
            writable: false, ..
        } if write => Lookup::Refused,
        Vma::Present { .. } => Lookup::AlreadyPresent,
        Vma::Absent => {
            let frame = frames::alloc_zeroed().expect("user frame pool exhausted");
            area[index] = Vma::Present {
                frame,
                writable: true,
            };
            set_pte(index, pte_of(area[index]));
            Lookup::PagedIn
        }
    });
    match found {
        Lookup::Refused => Resolution::NoMapping,
        // Another task paged it in first: just retry.
        Lookup::AlreadyPresent => Resolution::Resolved,
        Lookup::PagedIn => {
            // The wait for the "disk": the frame is mapped already, the sleep is the cost.
            crate::sched::sleep_for_page_in::<S390>();
            Resolution::Resolved
        }
    }
}

/// What a fault found in the VMA records.
enum Lookup {
    /// No mapping, or a store to a read-only page.
    Refused,
    /// Present by now.
    AlreadyPresent,
    /// Was absent and is mapped now; the faulting task still has to sleep once.
    PagedIn,
}

/// Whether the user page containing `addr` is present now.
///
/// # Context
/// Never sleeps; any context.
pub fn user_page_present(addr: usize) -> bool {
    paging::translate_user(addr).is_some()
}

/// The kernel alias of user byte `addr`, when its page is present.
fn alias_of(addr: usize) -> Option<*mut u8> {
    paging::translate_user(addr).map(|(phys, _)| phys_to_virt(phys) as *mut u8)
}

/// Whether every page of `[addr, addr + len)` is present (an empty range is).
fn all_present(addr: usize, len: usize) -> bool {
    let Some(last) = (len > 0).then(|| addr.checked_add(len - 1)) else {
        return true;
    };
    let Some(last) = last else {
        return false;
    };
    (addr / PAGE_SIZE..=last / PAGE_SIZE).all(|page| alias_of(page * PAGE_SIZE).is_some())
}

/// Reads user memory through the kernel alias, bypassing the accessors and faults. False,
/// filling nothing, when any byte is not present.
///
/// # Context
/// Never sleeps; any context.
pub fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
    with_area(|_| {
        if !all_present(addr, buf.len()) {
            return false;
        }
        for (at, byte) in (addr..).zip(buf.iter_mut()) {
            let src = alias_of(at).expect("present, checked above");
            // SAFETY: the alias of a present user byte; the lock keeps its frame in place.
            *byte = unsafe { src.read() };
        }
        true
    })
}

/// Writes user memory through the kernel alias, bypassing the accessors and page protection
/// (test setup writes read-only pages too). False, writing nothing, when any byte is not
/// present.
///
/// # Context
/// Never sleeps; any context.
pub fn poke_user(addr: usize, data: &[u8]) -> bool {
    with_area(|_| {
        if !all_present(addr, data.len()) {
            return false;
        }
        for (at, byte) in (addr..).zip(data) {
            let dst = alias_of(at).expect("present, checked above");
            // SAFETY: as peek_user, the other way.
            unsafe { dst.write(*byte) };
        }
        true
    })
}
