//! The test's user area: up to 16 pages at USER_AREA_BASE, each present (read-write or
//! read-only), valid but not present (paged in on the first fault), or unmapped.
//!
//! A small record per page plays the part of Linux's VMA: it says whether a fault on the page
//! can be resolved. The radix leaves are those of the one user page table (`mmu.rs`), which
//! only this module writes, under the `AREA` lock. When a layout replaces another, every cpu's
//! TLB is flushed (`tlbie`) before the old frames go back to the pool; a page-in only turns an
//! invalid leaf valid, which is never cached, so it needs only a `ptesync`.

use core::sync::atomic::Ordering;

use mightfault_core::fault::Resolution;

use super::cpu::{irq_restore, irq_save};
use super::layout::{phys_to_virt, PAGE_SIZE, USER_AREA_BASE};
use super::{frames, mmu, Ppc64};
use crate::sched;

/// Most pages a layout may have.
pub const MAX_USER_PAGES: usize = 16;

/// The state a user page is set up in (the tests' `PageKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserPageKind {
    /// Mapped and present, readable and writable.
    PresentRw,
    /// Mapped and present, read-only: writes fault and cannot be resolved.
    PresentRo,
    /// A valid mapping whose page is not present yet: a fault pages it in (zero-filled, which
    /// sleeps once) unless the fault handler is disabled.
    NotPresent,
    /// No mapping: every access faults and is fixed up.
    Unmapped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Record {
    None,
    Absent,
    Present { frame: u64, writable: bool },
}

static AREA: spin::Mutex<[Record; MAX_USER_PAGES]> =
    spin::Mutex::new([Record::None; MAX_USER_PAGES]);

fn leaf_for(record: Record) -> u64 {
    match record {
        Record::None | Record::Absent => 0,
        Record::Present { frame, writable } => mmu::user_leaf_value(frame, writable),
    }
}

fn with_area<R>(f: impl FnOnce(&mut [Record; MAX_USER_PAGES]) -> R) -> R {
    let flags = irq_save();
    let result = f(&mut AREA.lock());
    irq_restore(flags);
    result
}

/// Replaces the user area with `kinds.len()` consecutive pages of the given kinds and returns
/// the user address of the first. Present pages start zero-filled. The old layout's leaves are
/// cleared and every TLB flushed before its frames are freed.
///
/// # Context
/// Never sleeps; task context. Panics for more than [`MAX_USER_PAGES`] pages or when the
/// frame pool is exhausted.
pub fn map_user_pages(kinds: &[UserPageKind]) -> usize {
    assert!(
        kinds.len() <= MAX_USER_PAGES,
        "at most {MAX_USER_PAGES} user pages"
    );
    let mut new = [Record::None; MAX_USER_PAGES];
    for (record, kind) in new.iter_mut().zip(kinds) {
        *record = match kind {
            UserPageKind::PresentRw | UserPageKind::PresentRo => Record::Present {
                frame: frames::alloc_zeroed().expect("user page frame pool exhausted"),
                writable: *kind == UserPageKind::PresentRw,
            },
            UserPageKind::NotPresent => Record::Absent,
            UserPageKind::Unmapped => Record::None,
        };
    }
    let old = with_area(|area| {
        let old = *area;
        *area = new;
        for (index, record) in new.iter().enumerate() {
            mmu::user_leaf(index).store(leaf_for(*record), Ordering::Release);
        }
        mmu::flush_user_tlbs();
        old
    });
    for record in old {
        if let Record::Present { frame, .. } = record {
            // SAFETY: the frame came from the pool, its leaf is gone and every TLB is flushed.
            unsafe { frames::free(frame) };
        }
    }
    USER_AREA_BASE
}

fn page_index(addr: usize) -> Option<usize> {
    let index = addr.checked_sub(USER_AREA_BASE)? / PAGE_SIZE;
    (index < MAX_USER_PAGES).then_some(index)
}

/// Tries to resolve a fault at user address `addr` (`write` for a store), as the core's
/// `handle_user_fault` asks its `resolve` to: a valid but absent page is paged in — a zeroed
/// frame is mapped read-write and the task sleeps once, as it would waiting for the disk — and
/// the access is retried; no mapping, or a store to a read-only page, cannot be resolved.
///
/// # Context
/// May sleep (and come back on another cpu); the fault handler only, with interrupts enabled
/// and `faulthandler_disabled()` false.
pub fn resolve(addr: usize, write: bool) -> Resolution {
    let Some(index) = page_index(addr) else {
        return Resolution::NoMapping;
    };
    let paged_in = with_area(|area| match area[index] {
        Record::None => Err(Resolution::NoMapping),
        Record::Present { writable, .. } => {
            if write && !writable {
                Err(Resolution::NoMapping)
            } else {
                Err(Resolution::Resolved)
            }
        }
        Record::Absent => {
            let frame = frames::alloc_zeroed().expect("user page frame pool exhausted");
            let record = Record::Present {
                frame,
                writable: true,
            };
            area[index] = record;
            mmu::user_leaf(index).store(leaf_for(record), Ordering::Release);
            mmu::ptesync();
            Ok(())
        }
    });
    match paged_in {
        Ok(()) => {
            sched::sleep_for_page_in::<Ppc64>();
            Resolution::Resolved
        }
        Err(resolution) => resolution,
    }
}

/// Whether the user page containing `addr` is present now.
///
/// # Context
/// Never sleeps; any context.
pub fn user_page_present(addr: usize) -> bool {
    mmu::translate_user(addr).is_some()
}

/// Calls `f(kernel_address, chunk_len, offset)` for each page-sized piece of
/// `[addr, addr + len)` after checking every page is present (else returns false, calling `f`
/// never), with the area locked so the frames cannot go away meanwhile.
fn for_each_present_chunk(addr: usize, len: usize, mut f: impl FnMut(usize, usize, usize)) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    with_area(|_area| {
        let mut page = addr & !(PAGE_SIZE - 1);
        while page < end {
            if mmu::translate_user(page).is_none() {
                return false;
            }
            page += PAGE_SIZE;
        }
        let mut at = addr;
        while at < end {
            let chunk = (PAGE_SIZE - at % PAGE_SIZE).min(end - at);
            let (frame, _) = mmu::translate_user(at).expect("checked present above");
            f(
                phys_to_virt(frame as usize + at % PAGE_SIZE),
                chunk,
                at - addr,
            );
            at += chunk;
        }
        true
    })
}

/// Reads user memory through the kernel's linear map, bypassing the accessors and faults.
/// Returns false, filling nothing, when any byte is not present.
///
/// # Context
/// Never sleeps; any context.
pub fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
    let dst = buf.as_mut_ptr();
    for_each_present_chunk(addr, buf.len(), |src, len, offset| {
        // SAFETY: src is the linear-map address of `len` present bytes (within one page) that
        // stay mapped while the area is locked; dst + offset is within buf.
        unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst.add(offset), len) }
    })
}

/// Writes user memory through the kernel's linear map, bypassing the accessors and page
/// protections (read-only pages too: this is for test setup). Returns false, writing nothing,
/// when any byte is not present.
///
/// # Context
/// Never sleeps; any context.
pub fn poke_user(addr: usize, data: &[u8]) -> bool {
    let src = data.as_ptr();
    for_each_present_chunk(addr, data.len(), |dst, len, offset| {
        // SAFETY: dst is the linear-map address of `len` present bytes that stay mapped while
        // the area is locked; src + offset is within data.
        unsafe { core::ptr::copy_nonoverlapping(src.add(offset), dst as *mut u8, len) }
    })
}
