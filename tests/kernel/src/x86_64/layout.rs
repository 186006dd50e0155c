//! The kernel's virtual address space.
//!
//! ```text
//! 0x0000_0000_0000_0000  user space (lower canonical half); the test's user area at
//!                        USER_AREA_BASE, everything else unmapped
//! 0x0000_7fff_ffff_f000  USER_LIMIT (Linux's TASK_SIZE_MAX: the last user page is left out)
//! 0xffff_8000_0000_0000  PHYS_OFFSET: physical 0..4 GiB, supervisor-only (2 MiB pages)
//! 0xffff_ffff_8000_0000  KERNEL_OFFSET: the kernel image, physical 0..2 GiB, supervisor-only
//! ```
//!
//! Every kernel address is above USER_LIMIT, so access_ok() alone keeps a user pointer from
//! reaching kernel memory, as on Linux.

/// Size of a page (the user area uses 4 KiB pages).
pub const PAGE_SIZE: usize = 4096;

/// Where the kernel image is linked: virtual = physical + KERNEL_OFFSET. Must match `link.ld`.
pub const KERNEL_OFFSET: usize = 0xffff_ffff_8000_0000;

/// The direct map: physical address `p` (below [`DIRECT_MAP_SIZE`]) is at `PHYS_OFFSET + p`.
pub const PHYS_OFFSET: usize = 0xffff_8000_0000_0000;

/// How much physical memory the direct map covers: all of the low 4 GiB, including the local
/// APIC and other MMIO just below 4 GiB.
pub const DIRECT_MAP_SIZE: usize = 4 << 30;

/// The first address above user space, Linux's TASK_SIZE_MAX on 4-level paging.
pub const USER_LIMIT: usize = 0x0000_7fff_ffff_f000;

/// Where the user area (`crate::user_area::map_user_pages`) lays out the test's user pages (1 GiB: PML4 slot 0,
/// PDPT slot 1, a page table of its own).
pub const USER_AREA_BASE: usize = 0x0000_0000_4000_0000;

/// Physical address of a kernel-image virtual address (code, statics).
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn image_virt_to_phys(virt: usize) -> u64 {
    debug_assert!(virt >= KERNEL_OFFSET);
    (virt - KERNEL_OFFSET) as u64
}

/// The direct-map virtual address of physical address `phys`.
///
/// # Context
/// Never sleeps; any context. Panics when `phys` is beyond the direct map.
#[inline]
pub fn phys_to_virt(phys: u64) -> usize {
    assert!(
        (phys as usize) < DIRECT_MAP_SIZE,
        "physical address {phys:#x} not mapped"
    );
    PHYS_OFFSET + phys as usize
}
