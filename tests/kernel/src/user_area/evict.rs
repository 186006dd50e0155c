//! Evicting a present page: it stays valid and keeps its frame, but is not present, so the next
//! access faults and pages it in again (the tests' way to make a page go away between tries).

use super::hooks::UserAreaHooks;
use super::records::{page_index, with_area, Record};

/// Makes the present user page holding `addr` not present, keeping its frame (and so its
/// contents) and its writability for the next page-in. Returns false, changing nothing, when
/// the page is not present or lies outside the area.
///
/// The entry goes from valid to invalid, as an entry a new layout replaces does, so stale
/// translations are dropped on every cpu through the same hooks: [`UserAreaHooks::set_user_pte`]
/// (s390x's IPTE), [`UserAreaHooks::after_replace_locked`] (powerpc64's `tlbie`) and
/// [`UserAreaHooks::after_replace_unlocked`] (x86_64's shootdown). A stale translation would
/// reach the very same frame, so none of this is about memory safety: without it the next
/// access might just not fault.
///
/// # Context
/// Never sleeps, but may wait for every other cpu to acknowledge a TLB flush (x86_64): task
/// context with interrupts enabled (preemption may be disabled, a spinlock held).
pub fn evict_user_page<A: UserAreaHooks>(addr: usize) -> bool {
    let Some(index) = page_index::<A>(addr) else {
        return false;
    };
    let evicted = with_area::<A, _>(|area| {
        let Record::Present { frame, writable } = area[index] else {
            return false;
        };
        area[index] = Record::Evicted { frame, writable };
        // SAFETY: the area is locked with interrupts masked; index < MAX_USER_PAGES; clearing
        // an entry maps nothing.
        unsafe { A::set_user_pte(index, None) };
        A::after_replace_locked();
        true
    });
    if evicted {
        // Every cpu must fault on the page from now on: drop the translations it may cache.
        A::after_replace_unlocked();
    }
    evicted
}
