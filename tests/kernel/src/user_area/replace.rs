//! Replacing the whole layout of the area.

use super::hooks::UserAreaHooks;
use super::records::{alloc_frame, with_area, Record};
use crate::UserPageKind;

use super::MAX_USER_PAGES;

/// Replaces the user area with `kinds.len()` consecutive pages of the given kinds and returns
/// the user address of the first. Present pages start zero-filled. Any earlier layout is
/// discarded: its entries are replaced, stale translations are dropped on every cpu, then its
/// frames are freed.
///
/// # Context
/// Never sleeps, but may wait for every other cpu to acknowledge a TLB flush (x86_64): task
/// context with interrupts enabled only. Panics for more than [`MAX_USER_PAGES`] pages or when
/// the frame pool is exhausted.
pub fn map_user_pages<A: UserAreaHooks>(kinds: &[UserPageKind]) -> usize {
    assert!(
        kinds.len() <= MAX_USER_PAGES,
        "at most {MAX_USER_PAGES} user pages, asked for {}",
        kinds.len()
    );
    let mut new = [Record::None; MAX_USER_PAGES];
    for (record, kind) in new.iter_mut().zip(kinds) {
        *record = match kind {
            UserPageKind::PresentRw | UserPageKind::PresentRo => Record::Present {
                frame: alloc_frame::<A>(),
                writable: *kind == UserPageKind::PresentRw,
            },
            UserPageKind::NotPresent => Record::Absent,
            UserPageKind::Unmapped => Record::None,
        };
    }
    let old = with_area::<A, _>(|area| {
        let old = *area;
        *area = new;
        for (index, record) in new.iter().enumerate() {
            // SAFETY: the area is locked with interrupts masked; index < MAX_USER_PAGES; the
            // new frames came from the pool just now and are mapped nowhere else.
            unsafe { A::set_user_pte(index, record.mapping()) };
        }
        A::after_replace_locked();
        old
    });
    // No cpu may keep a translation of the old layout once its frames can be reused.
    A::after_replace_unlocked();
    for record in old {
        if let Record::Present { frame, .. } | Record::Evicted { frame, .. } = record {
            // SAFETY: the frame came from the pool, its entry is gone and no cpu can still
            // translate to it (the hooks above dropped every stale translation).
            unsafe { super::frames::free::<A>(frame) };
        }
    }
    A::AREA_BASE
}
