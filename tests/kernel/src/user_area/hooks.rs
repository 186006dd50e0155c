//! What the portable user area needs from an arch.

use crate::sched::SchedHooks;

/// The arch-specific half of the user area. Interrupt masking comes from
/// [`mightfault_core::Arch`], the sleep of a page-in from the scheduler ([`SchedHooks`]).
///
/// # Safety
/// Implementors promise that [`UserAreaHooks::set_user_pte`] maps exactly user page `index`
/// (`AREA_BASE + index * PAGE_SIZE`) and nothing else, that [`UserAreaHooks::translate_user`]
/// reports what the entries map now, and that once [`UserAreaHooks::after_replace_unlocked`]
/// returns no cpu can still reach a frame through an entry that was replaced.
pub unsafe trait UserAreaHooks: SchedHooks {
    /// The user address of page 0 of the area.
    const AREA_BASE: usize;

    /// Size of a user page in bytes (a power of two).
    const PAGE_SIZE: usize;

    /// The physical address of `virt`, an address inside the kernel image (where the shared
    /// frame pool lives).
    fn image_virt_to_phys(virt: usize) -> u64;

    /// Points the entry of user page `index` at `frame` (with its writability), or clears it
    /// (`None`). An arch whose hardware caches valid entries purges the old one here if it has
    /// to (s390x's IPTE); one that flushes whole layouts does so in the hooks below.
    ///
    /// # Safety
    /// The caller holds the area lock with interrupts masked; `index` is below
    /// [`super::MAX_USER_PAGES`]; `frame` came from the shared frame pool and is mapped nowhere else.
    unsafe fn set_user_pte(index: usize, frame: Option<(u64, bool)>);

    /// Called under the area lock after a page-in's entry is written, before the faulting
    /// access is retried. The default does nothing (an invalid entry is never cached).
    fn after_page_in() {}

    /// Called under the area lock after every entry of a new layout is written, and after a
    /// page's entry is cleared by an eviction. The default does nothing.
    fn after_replace_locked() {}

    /// Called with the area unlocked and interrupts as the caller had them, after a new layout
    /// is written and before the old frames are freed, and after an eviction: a flush that
    /// waits for other cpus (an IPI shootdown) belongs here. The default does nothing.
    fn after_replace_unlocked() {}

    /// The physical address user byte `addr` maps to now, when its page is present. A software
    /// walk: it never faults.
    fn translate_user(addr: usize) -> Option<u64>;

    /// The kernel's virtual address of physical address `phys`.
    fn phys_to_virt(phys: u64) -> usize;
}
