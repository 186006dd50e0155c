//! The kernel's 4-level page tables.
//!
//! Boot (`boot.rs`) builds `boot_pml4` in 32-bit code: physical 0..4 GiB with 2 MiB pages,
//! mapped three times (identity for the switch to long mode, the direct map at PHYS_OFFSET, the
//! kernel image at KERNEL_OFFSET), all supervisor-only. The application processors come up on
//! it too, since their trampoline needs the identity map.
//!
//! Once running in the higher half, every cpu switches to `KERNEL_PML4`, which shares the direct
//! map and the kernel mapping with the boot tables but has no identity map: its lower half is
//! user space, empty except for the test's user area, whose page-table chain (PDPT, PD, PT,
//! all with U/S set) is allocated here once and never changes, so only leaf entries in one page
//! table ever change (see `user_pages.rs`) and the paging-structure caches never go stale.

use core::ptr::addr_of;
use core::sync::atomic::{AtomicU64, Ordering};

use super::cpu::write_cr3;
use super::layout::{image_virt_to_phys, phys_to_virt, USER_AREA_BASE};

/// Present.
pub const PTE_PRESENT: u64 = 1 << 0;
/// Writable.
pub const PTE_WRITABLE: u64 = 1 << 1;
/// User-accessible (must be set at every level for a user page).
pub const PTE_USER: u64 = 1 << 2;
/// Large page (1 GiB in a PDPT entry, 2 MiB in a PD entry).
pub const PTE_HUGE: u64 = 1 << 7;
/// The physical-address bits of an entry.
pub const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// How many leaf entries the user area's page table offers.
pub const USER_AREA_ENTRIES: usize = 512;

/// One 4 KiB page table. Entries are atomics because the hardware walker (on any cpu) and the
/// debugging walk in [`translate`] read them while the owner of the user area may write them.
#[repr(C, align(4096))]
pub struct PageTable([AtomicU64; 512]);

impl PageTable {
    const fn new() -> Self {
        Self([const { AtomicU64::new(0) }; 512])
    }

    fn phys(&self) -> u64 {
        image_virt_to_phys(self as *const Self as usize)
    }
}

extern "C" {
    /// The boot page tables' top level (boot.rs).
    static boot_pml4: PageTable;
}

static KERNEL_PML4: PageTable = PageTable::new();
static USER_PDPT: PageTable = PageTable::new();
static USER_PD: PageTable = PageTable::new();
static USER_PT: PageTable = PageTable::new();

const fn index(virt: usize, level: u32) -> usize {
    (virt >> (12 + 9 * level)) & 511
}

/// Builds `KERNEL_PML4`: the boot tables' direct map and kernel mapping, and the user area's
/// chain down to its page table.
///
/// # Safety
/// Once, on the boot cpu, before any cpu loads [`kernel_cr3`].
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() {
    // SAFETY: boot_pml4 was built before Rust ran and is never written again.
    let boot = unsafe { &*addr_of!(boot_pml4) };
    for slot in [
        index(super::layout::PHYS_OFFSET, 3),
        index(super::layout::KERNEL_OFFSET, 3),
    ] {
        let entry = boot.0[slot].load(Ordering::Relaxed);
        KERNEL_PML4.0[slot].store(entry, Ordering::Relaxed);
    }
    let table_flags = PTE_PRESENT | PTE_WRITABLE | PTE_USER;
    KERNEL_PML4.0[index(USER_AREA_BASE, 3)]
        .store(USER_PDPT.phys() | table_flags, Ordering::Relaxed);
    USER_PDPT.0[index(USER_AREA_BASE, 2)].store(USER_PD.phys() | table_flags, Ordering::Relaxed);
    USER_PD.0[index(USER_AREA_BASE, 1)].store(USER_PT.phys() | table_flags, Ordering::Relaxed);
}

/// The CR3 value of the kernel's tables.
///
/// # Context
/// Never sleeps; any context.
pub fn kernel_cr3() -> u64 {
    KERNEL_PML4.phys()
}

/// The CR3 value of the boot tables (with the identity map), for the AP trampoline.
///
/// # Context
/// Never sleeps; any context.
pub fn boot_cr3() -> u64 {
    image_virt_to_phys(addr_of!(boot_pml4) as usize)
}

/// Switches this cpu to the kernel's tables (dropping the identity map).
///
/// # Safety
/// After [`init`]; the cpu must already run, and keep its stack and descriptor tables, in the
/// higher half.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn activate() {
    // SAFETY: the kernel tables map the image and the direct map exactly as the boot tables do.
    unsafe { write_cr3(kernel_cr3()) }
}

/// Leaf entry `index` of the user area's page table (virtual address
/// `USER_AREA_BASE + index * 4096`).
///
/// # Context
/// Never sleeps; any context. Writers must hold the user area's lock.
pub fn user_pte(index: usize) -> &'static AtomicU64 {
    &USER_PT.0[index]
}

/// Walks the kernel's tables for `virt`: the physical address it maps to and the leaf entry's
/// flags, or None when some level is not present. A software walk, so it never faults.
///
/// # Context
/// Never sleeps; any context.
pub fn translate(virt: usize) -> Option<(u64, u64)> {
    let mut table = KERNEL_PML4.phys();
    for level in (0..4).rev() {
        let slot = phys_to_virt(table) as *const AtomicU64;
        // SAFETY: every table of the kernel's tree is a 4 KiB page within the direct map, and
        // index() is below 512.
        let entry = unsafe { (*slot.add(index(virt, level))).load(Ordering::Acquire) };
        if entry & PTE_PRESENT == 0 {
            return None;
        }
        let base = entry & PTE_ADDR_MASK;
        if level == 0 || (level <= 2 && entry & PTE_HUGE != 0) {
            let page_mask = (1u64 << (12 + 9 * level)) - 1;
            let phys = (base & !page_mask) | (virt as u64 & page_mask);
            return Some((phys, entry & !PTE_ADDR_MASK));
        }
        table = base;
    }
    None
}
