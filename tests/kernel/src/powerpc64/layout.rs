//! The address-space layout.
//!
//! Radix MMU (ISA 3.0), registered with the hypervisor through H_REGISTER_PROC_TBL:
//! - quadrant 3 (`0xc000_0000_0000_0000` and up, process-table entry 0) is the kernel: one 1 GiB
//!   leaf maps `KERNEL_BASE + phys` to `phys` for the first GiB of guest memory, so the image
//!   (physical 0x400000, linked at `KERNEL_BASE + 0x400000`) and everything it allocates sits
//!   far above [`USER_LIMIT`], and every kernel address fails access_ok();
//! - quadrant 0 (below [`USER_LIMIT`], 52 bits as Linux's radix TASK_SIZE) is user space,
//!   translated through process-table entry 1 (PIDR = 1 on every cpu); only the test's user area
//!   at [`USER_AREA_BASE`] has page tables.
//!
//! Real mode ignores the top four effective-address bits, so the same kernel addresses work
//! before the MMU is on and in the exception vectors' first instructions.

/// Size of a page (4 KiB radix leaves for the user area).
pub const PAGE_SIZE: usize = 4096;

/// Where the kernel's linear map of guest memory starts: `KERNEL_BASE + phys` is `phys`.
pub const KERNEL_BASE: usize = 0xc000_0000_0000_0000;

/// The first address above user space: the 52-bit quadrant 0 (Linux's radix TASK_SIZE_MAX).
pub const USER_LIMIT: usize = 0x0010_0000_0000_0000;

/// Where the test's user area starts (256 MiB: inside the one user page table there is).
pub const USER_AREA_BASE: usize = 0x1000_0000;

/// The physical (guest real) address of a kernel address.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub const fn virt_to_phys(virt: usize) -> usize {
    virt & !KERNEL_BASE
}

/// The kernel address of a physical address.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub const fn phys_to_virt(phys: usize) -> usize {
    phys | KERNEL_BASE
}
