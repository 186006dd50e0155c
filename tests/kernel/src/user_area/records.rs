//! The per-page records (the VMA part) and the lock that guards them with the entries.

use super::hooks::UserAreaHooks;
use super::MAX_USER_PAGES;

/// What the kernel knows about one page of the area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Record {
    /// No mapping.
    None,
    /// Valid, not present: a fault allocates and maps a frame.
    Absent,
    /// Valid, not present, but evicted with its contents: a fault maps `frame` again with the
    /// writability it had.
    Evicted { frame: u64, writable: bool },
    /// Present at physical `frame`; `writable` says whether writes are allowed.
    Present { frame: u64, writable: bool },
}

impl Record {
    /// What the page-table entry says for this record: a frame, or nothing.
    pub(super) fn mapping(self) -> Option<(u64, bool)> {
        match self {
            Record::None | Record::Absent | Record::Evicted { .. } => None,
            Record::Present { frame, writable } => Some((frame, writable)),
        }
    }
}

/// The records of the one user area of this image (one machine per image, so one static).
static AREA: spin::Mutex<[Record; MAX_USER_PAGES]> =
    spin::Mutex::new([Record::None; MAX_USER_PAGES]);

/// Runs `f` with the area locked and interrupts masked (the lock is also taken from the fault
/// handler, which must not find it held by the code it interrupted).
pub(super) fn with_area<A: UserAreaHooks, R>(
    f: impl FnOnce(&mut [Record; MAX_USER_PAGES]) -> R,
) -> R {
    let flags = mightfault_core::local_irq_save::<A>();
    let result = f(&mut AREA.lock());
    mightfault_core::local_irq_restore::<A>(flags);
    result
}

/// The page index of user address `addr` in the area, if it lies inside.
pub(super) fn page_index<A: UserAreaHooks>(addr: usize) -> Option<usize> {
    let index = addr.checked_sub(A::AREA_BASE)? / A::PAGE_SIZE;
    (index < MAX_USER_PAGES).then_some(index)
}

/// A zeroed frame for a user page. Panics when the pool is exhausted: the tests size it.
pub(super) fn alloc_frame<A: UserAreaHooks>() -> u64 {
    super::frames::alloc_zeroed::<A>().expect("user page frame pool exhausted")
}
