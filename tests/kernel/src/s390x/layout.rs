//! The kernel's virtual address space: one primary ASCE with a region-third table (4 TiB).
//!
//! ```text
//! 0x0000_0000_0000_0000  user space; the test's user area at USER_AREA_BASE (1 GiB),
//!                        everything else invalid
//! 0x0000_0200_0000_0000  USER_LIMIT (2 TiB): the first address above user space
//! 0x0000_0300_0000_0000  KERNEL_BASE (3 TiB): all of RAM (MAPPED_RAM), 4 KiB pages; the
//!                        kernel image runs here (linked at KERNEL_BASE + 1 MiB, loaded at 1 MiB)
//! 0x0000_0400_0000_0000  end of the ASCE's reach: any access above is an ASCE-type exception
//! ```
//!
//! Every kernel address is above USER_LIMIT, so access_ok() alone keeps a user pointer from
//! reaching kernel memory. The lowcore (prefix area) of the running cpu is at KERNEL_BASE + 0:
//! virtual KERNEL_BASE maps to real 0, which prefixing turns into this cpu's own prefix area.

/// Size of a page.
pub const PAGE_SIZE: usize = 4096;

/// Where physical memory (and so the kernel image) is mapped: virtual = physical + KERNEL_BASE.
/// Must match `link.ld`; the entry code loads its bits 16-31 with `llihl`.
pub const KERNEL_BASE: usize = 0x0000_0300_0000_0000;

/// `KERNEL_BASE >> 32`, the halfword `llihl` puts in bits 16-31.
pub const KERNEL_BASE_HL: u16 = (KERNEL_BASE >> 32) as u16;

/// How much RAM the alias maps (QEMU runs the image with `-m 256M`).
pub const MAPPED_RAM: usize = 256 << 20;

/// The first address above user space.
pub const USER_LIMIT: usize = 0x0000_0200_0000_0000;

/// Where the test's user pages are laid out: region-third entry 0, segment 1024.
pub const USER_AREA_BASE: usize = 0x4000_0000;

const _: () = assert!(
    KERNEL_BASE & 0xffff_0000_ffff_ffff == 0,
    "llihl loads bits 16-31 only"
);
const _: () = assert!(USER_LIMIT <= KERNEL_BASE);

/// Physical address of a kernel virtual address.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn virt_to_phys(virt: usize) -> usize {
    debug_assert!(virt >= KERNEL_BASE);
    virt - KERNEL_BASE
}

/// Kernel virtual address of physical address `phys`.
///
/// # Context
/// Never sleeps; any context. Panics when `phys` is beyond the mapped RAM.
#[inline]
pub fn phys_to_virt(phys: usize) -> usize {
    assert!(phys < MAPPED_RAM, "physical address {phys:#x} not mapped");
    KERNEL_BASE + phys
}
