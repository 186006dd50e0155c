//! DAT tables of the two address spaces (see [`super::layout`]):
//! - the kernel's ASCE (CR1 and CR13): a segment table (2 GiB reach) whose first
//!   `MAPPED_RAM / 1 MiB` entries map all RAM virtual = physical with 4 KiB pages; every other
//!   entry is invalid, the user area's addresses included;
//! - the user's ASCE (CR7): a segment table (2 GiB reach, the user limit) whose one valid entry
//!   leads to the user area's page table.
//!
//! `mf_s390_early_paging` runs before DAT is on; virtual = physical, so the statics' addresses
//! are what the table entries must hold.

use core::cell::UnsafeCell;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicU64, Ordering};

use super::layout::{virt_to_phys, MAPPED_RAM, PAGE_SIZE, USER_AREA_BASE};

/// Entries of a region or segment table.
const TABLE_ENTRIES: usize = 2048;
/// Entries of a page table.
const PT_ENTRIES: usize = 256;
/// Bytes one segment-table entry covers.
const SEGMENT_SIZE: usize = 1 << 20;
/// Segment-table entry: invalid.
const ENTRY_INVALID: u64 = 0x20;
/// ASCE designation type segment (DT = 00), full table length (2048 entries: 2 GiB).
const ASCE_SEGMENT: u64 = 0x03;
/// Page-table entry: invalid.
pub const PTE_INVALID: u64 = 0x400;
/// Page-table entry: write protected.
pub const PTE_PROTECT: u64 = 0x200;

const KERNEL_SEGMENTS: usize = MAPPED_RAM / SEGMENT_SIZE;
const _: () = assert!(KERNEL_SEGMENTS <= TABLE_ENTRIES);

#[repr(C, align(4096))]
struct Table(UnsafeCell<[u64; TABLE_ENTRIES]>);

#[repr(C, align(4096))]
struct PageTables<const N: usize>(UnsafeCell<[[u64; PT_ENTRIES]; N]>);

// SAFETY: the kernel tables are written once before DAT is on; the user page table is written
// only through `user_pages` (the user area's hooks), under the user area's lock (and read by
// the cpus' DAT).
unsafe impl Sync for Table {}
// SAFETY: as Table.
unsafe impl<const N: usize> Sync for PageTables<N> {}

static KERNEL_SEGMENT_TABLE: Table = Table(UnsafeCell::new([0; TABLE_ENTRIES]));
static KERNEL_PAGE_TABLES: PageTables<KERNEL_SEGMENTS> =
    PageTables(UnsafeCell::new([[0; PT_ENTRIES]; KERNEL_SEGMENTS]));
static USER_SEGMENT_TABLE: Table = Table(UnsafeCell::new([0; TABLE_ENTRIES]));
static USER_PAGE_TABLE: PageTables<1> = PageTables(UnsafeCell::new([[0; PT_ENTRIES]; 1]));

/// The user ASCE, for the entry code to load into CR7 (and smp.rs's copy of the control
/// registers to hand on).
#[no_mangle]
static MF_S390_USER_ASCE: AtomicU64 = AtomicU64::new(0);

/// Builds the tables of both spaces, leaves the user ASCE in `MF_S390_USER_ASCE` and returns
/// the kernel's ASCE.
///
/// # Safety
/// Once, on the boot cpu, with DAT off and .bss zeroed (called from `mf_start`).
#[no_mangle]
unsafe extern "C" fn mf_s390_early_paging() -> u64 {
    let kseg = KERNEL_SEGMENT_TABLE.0.get() as *mut u64;
    let kpt = KERNEL_PAGE_TABLES.0.get() as *mut u64;
    let useg = USER_SEGMENT_TABLE.0.get() as *mut u64;
    let upt = addr_of_mut!(*USER_PAGE_TABLE.0.get()) as *mut u64;
    // SAFETY: DAT is off and virtual = physical, so these addresses are the tables themselves;
    // every index stays inside its table.
    unsafe {
        let mut i = 0;
        while i < TABLE_ENTRIES {
            kseg.add(i).write_volatile(ENTRY_INVALID);
            useg.add(i).write_volatile(ENTRY_INVALID);
            i += 1;
        }
        let mut page = 0;
        while page < MAPPED_RAM / PAGE_SIZE {
            kpt.add(page).write_volatile((page * PAGE_SIZE) as u64);
            page += 1;
        }
        let mut seg = 0;
        while seg < KERNEL_SEGMENTS {
            kseg.add(seg)
                .write_volatile(kpt.add(seg * PT_ENTRIES) as u64);
            seg += 1;
        }
        let mut pte = 0;
        while pte < PT_ENTRIES {
            upt.add(pte).write_volatile(PTE_INVALID);
            pte += 1;
        }
        useg.add(USER_AREA_BASE / SEGMENT_SIZE)
            .write_volatile(upt as u64);
    }
    MF_S390_USER_ASCE.store(useg as u64 | ASCE_SEGMENT, Ordering::Relaxed);
    kseg as u64 | ASCE_SEGMENT
}

const _: () = assert!(
    USER_AREA_BASE / SEGMENT_SIZE < TABLE_ENTRIES && USER_AREA_BASE.is_multiple_of(SEGMENT_SIZE)
);

/// The user area's page-table entry `index` (0..256), as a pointer for `user_pages`.
///
/// # Context
/// Never sleeps; any context after boot.
pub fn user_pte(index: usize) -> *mut u64 {
    assert!(index < PT_ENTRIES);
    // SAFETY: in bounds of the one user page table.
    unsafe { (USER_PAGE_TABLE.0.get() as *mut u64).add(index) }
}

/// Physical address of the user page table (the origin IPTE needs).
///
/// # Context
/// Never sleeps; any context.
pub fn user_page_table_phys() -> u64 {
    virt_to_phys(USER_PAGE_TABLE.0.get() as usize) as u64
}

/// Physical frame and writability of a present user page at `addr`, or None.
///
/// # Context
/// Never sleeps; any context.
pub fn translate_user(addr: usize) -> Option<(usize, bool)> {
    let offset = addr.checked_sub(USER_AREA_BASE)?;
    let index = offset / PAGE_SIZE;
    if index >= PT_ENTRIES {
        return None;
    }
    // SAFETY: in bounds; entries are written whole (volatile) under the user-area lock.
    let pte = unsafe { user_pte(index).read_volatile() };
    (pte & PTE_INVALID == 0).then_some((
        (pte as usize & !(PAGE_SIZE - 1)) + offset % PAGE_SIZE,
        pte & PTE_PROTECT == 0,
    ))
}
