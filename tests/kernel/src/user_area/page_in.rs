//! Resolving a fault on the area: the page-in.

use mightfault_core::fault::Resolution;

use super::hooks::UserAreaHooks;
use super::records::{alloc_frame, page_index, with_area, Record};

/// What a fault found in the records.
enum Lookup {
    /// No mapping, or a write to a read-only page.
    Refused,
    /// Present by now (another task paged it in first).
    AlreadyPresent,
    /// Was absent and is mapped now; the faulting task still has to sleep once.
    PagedIn,
}

/// Tries to resolve a fault at user address `addr` (`write` for a write access), as
/// `mightfault_core::fault::handle_user_fault` asks its `resolve` to: a valid but absent page is
/// paged in — a zeroed frame is mapped read-write (an evicted page's own frame, with its
/// writability) and the task sleeps once, as it would waiting
/// for the disk, waking on the cpu directed by `direct_next_wakeup` or else on another cpu —
/// and the access is retried; a page with no mapping, or a write to a read-only page, cannot be
/// resolved.
///
/// # Context
/// May sleep (and come back on another cpu); the fault handler only, with interrupts enabled
/// and `faulthandler_disabled()` false.
pub fn resolve<A: UserAreaHooks>(addr: usize, write: bool) -> Resolution {
    let Some(index) = page_index::<A>(addr) else {
        return Resolution::NoMapping;
    };
    let found = with_area::<A, _>(|area| match area[index] {
        Record::None => Lookup::Refused,
        Record::Present { writable, .. } if write && !writable => Lookup::Refused,
        Record::Present { .. } => Lookup::AlreadyPresent,
        Record::Absent | Record::Evicted { .. } => {
            let record = match area[index] {
                Record::Evicted { frame, writable } => Record::Present { frame, writable },
                _ => Record::Present {
                    frame: alloc_frame::<A>(),
                    writable: true,
                },
            };
            area[index] = record;
            // SAFETY: the area is locked with interrupts masked; index < MAX_USER_PAGES; the
            // frame came from the pool just now.
            unsafe { A::set_user_pte(index, record.mapping()) };
            A::after_page_in();
            Lookup::PagedIn
        }
    });
    match found {
        Lookup::Refused => Resolution::NoMapping,
        Lookup::AlreadyPresent => Resolution::Resolved,
        Lookup::PagedIn => {
            // The wait for the "disk": the frame is mapped already, the sleep is the cost.
            crate::sched::sleep_for_page_in::<A>();
            Resolution::Resolved
        }
    }
}
