//! The two address spaces, as Linux on s390 has them: the kernel's (primary, CR1; also home,
//! CR13) and the user's (secondary, CR7). The same address names different memory in each.
//!
//! ```text
//! kernel ASCE (segment table, 2 GiB reach)    user ASCE (segment table, 2 GiB reach)
//! 0x0000_0000  the running cpu's lowcore       0x0000_0000  invalid (NULL faults)
//!              (real 0: prefixing)
//! 0x0010_0000  the kernel image (1 MiB)
//!      ...     all of RAM, virtual = physical
//! 0x1000_0000  end of RAM (MAPPED_RAM): invalid
//! 0x4000_0000  invalid: a plain kernel load    0x4000_0000  the test's user area
//!              of a user address faults                     (USER_AREA_BASE), 256 pages
//! 0x8000_0000  end of reach (ASCE-type)       end of reach: USER_LIMIT (ASCE-type above)
//! ```
//!
//! The kernel runs in the primary-space mode, so every plain load and store of kernel code is
//! translated by the kernel's ASCE: user memory is out of its reach, whatever the address. Only
//! the library's accessors reach user memory, by MVCOS with the user operand in the secondary
//! space (and `cs` under `sacf` for futexes).
//!
//! # What access_ok means here
//! There is no kernel address range to keep user pointers out of: an accessor handed a kernel
//! address resolves it in the user's space, where nothing is mapped there (-EFAULT), so kernel
//! memory is never touched, and access_ok need not (cannot) refuse it. The user limit is the
//! user ASCE's reach, 2 GiB: access_ok refuses what the user's space cannot translate at all
//! (and wrapping ranges); what it passes is resolved in the user's space. Linux's s390 takes
//! `-PAGE_SIZE` instead (its user ASCE grows with the process); a limit below 4 GiB makes the
//! check one compare with an immediate. An unchecked accessor (`__get_user`) handed an address
//! beyond the reach takes an ASCE-type exception in the secondary space, fixed up to -EFAULT.

/// Size of a page.
pub const PAGE_SIZE: usize = 4096;

/// How much RAM the kernel maps, virtual = physical (QEMU runs the image with `-m 256M`).
pub const MAPPED_RAM: usize = 256 << 20;

/// The first address above user space: the user ASCE's reach (a segment table: 2048 segments
/// of 1 MiB). See the module documentation for what access_ok means with it.
pub const USER_LIMIT: usize = 0x8000_0000;

/// Where the test's user pages are laid out in the user's space: segment 1024 (above all of
/// RAM, so the kernel's space has nothing there at all).
pub const USER_AREA_BASE: usize = 0x4000_0000;

const _: () = assert!(USER_AREA_BASE >= MAPPED_RAM && USER_AREA_BASE < USER_LIMIT);

/// Physical address of a kernel virtual address (the kernel's space maps RAM one to one).
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn virt_to_phys(virt: usize) -> usize {
    debug_assert!(virt < MAPPED_RAM);
    virt
}

/// Kernel virtual address of physical address `phys`.
///
/// # Context
/// Never sleeps; any context. Panics when `phys` is beyond the mapped RAM.
#[inline]
pub fn phys_to_virt(phys: usize) -> usize {
    assert!(phys < MAPPED_RAM, "physical address {phys:#x} not mapped");
    phys
}
