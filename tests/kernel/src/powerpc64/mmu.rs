//! The radix MMU (ISA 3.0) as a pseries guest uses it: a process table registered with
//! H_REGISTER_PROC_TBL (QEMU starts the partition in radix mode with no process table; VOF
//! does no client-architecture-support, and none is needed for this call), two radix trees of
//! the POWER9/10 shape (52-bit space, 4 KiB pages: 13/9/9/9 index bits), PIDR = 1.
//!
//! - Entry 0 (quadrant 3, the kernel): one 1 GiB leaf, `KERNEL_BASE + phys` -> `phys`,
//!   privileged, read/write/execute.
//! - Entry 1 (quadrant 0, user space): a single path down to one page table for the test's
//!   user area at `USER_AREA_BASE`, whose leaves `user_pages.rs` writes.
//!
//! Leaves are created with Reference and Change set: QEMU does not set them for a radix guest
//! and would fault instead.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use super::cpu::{exception_entry_msr, read_msr, write_msr, MSR_DR, MSR_IR};
use super::hcall::{hcall, H_REGISTER_PROC_TBL, H_SUCCESS};
use super::layout::{virt_to_phys, PAGE_SIZE, USER_AREA_BASE};
use super::paca::this_paca;

/// Entry bit: valid.
pub const R_VALID: u64 = 1 << 63;
/// Entry bit: leaf.
pub const R_LEAF: u64 = 1 << 62;
/// Leaf: referenced.
pub const R_REF: u64 = 0x100;
/// Leaf: changed.
pub const R_CHG: u64 = 0x80;
/// Leaf access authority: privileged only.
pub const EAA_PRIV: u64 = 0x8;
/// Leaf access authority: read.
pub const EAA_READ: u64 = 0x4;
/// Leaf access authority: read and write.
pub const EAA_RW: u64 = 0x2;
/// Leaf access authority: execute.
pub const EAA_EXEC: u64 = 0x1;
/// The physical address bits of a leaf.
pub const R_RPN: u64 = 0x01ff_ffff_ffff_f000;

/// Next-level size of every directory below the root (9 index bits).
const NLS_9: u64 = 9;
/// Root size (13 index bits: a 52-bit space with 4 KiB pages).
const ROOT_NLS: u64 = 13;
/// RTS of a 52-bit tree (52 - 31 = 21, split into the two RTS fields).
const RTS_52: u64 = (0x2 << 61) | (0x5 << 5);

/// The process id user space runs as (process-table entry 1).
const USER_PID: u64 = 1;

/// H_REGISTER_PROC_TBL flags: modify, register, radix, guest translation shootdown enable.
const PROC_TBL_FLAGS: u64 = 0x10 | 0x08 | 0x04 | 0x01;

#[repr(C, align(65536))]
struct Root([AtomicU64; 8192]);

#[repr(C, align(4096))]
struct Table([AtomicU64; 512]);

static PROCESS_TABLE: Table = Table([const { AtomicU64::new(0) }; 512]);
static KERNEL_ROOT: Root = Root([const { AtomicU64::new(0) }; 8192]);
static KERNEL_L1: Table = Table([const { AtomicU64::new(0) }; 512]);
static USER_ROOT: Root = Root([const { AtomicU64::new(0) }; 8192]);
static USER_L1: Table = Table([const { AtomicU64::new(0) }; 512]);
static USER_L2: Table = Table([const { AtomicU64::new(0) }; 512]);
static USER_L3: Table = Table([const { AtomicU64::new(0) }; 512]);

fn phys_of<T>(table: &T) -> u64 {
    virt_to_phys(table as *const T as usize) as u64
}

fn directory(next: u64) -> u64 {
    R_VALID | next | NLS_9
}

const fn table_index(addr: usize, shift: u32) -> usize {
    (addr >> shift) & 0x1ff
}

/// Builds both trees and registers the process table.
///
/// # Safety
/// Once, on the boot cpu, before any cpu turns translation on.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() {
    // Kernel: root[0] -> L1[0] = 1 GiB leaf at physical 0.
    KERNEL_ROOT.0[0].store(directory(phys_of(&KERNEL_L1)), Ordering::Relaxed);
    KERNEL_L1.0[0].store(
        R_VALID | R_LEAF | R_REF | R_CHG | EAA_PRIV | EAA_READ | EAA_RW | EAA_EXEC,
        Ordering::Relaxed,
    );
    // User: root -> L1 -> L2 -> the one page table of the user area.
    let root_index = (USER_AREA_BASE >> 39) & 0x1fff;
    USER_ROOT.0[root_index].store(directory(phys_of(&USER_L1)), Ordering::Relaxed);
    USER_L1.0[table_index(USER_AREA_BASE, 30)]
        .store(directory(phys_of(&USER_L2)), Ordering::Relaxed);
    USER_L2.0[table_index(USER_AREA_BASE, 21)]
        .store(directory(phys_of(&USER_L3)), Ordering::Relaxed);
    // Process table: 16-byte entries, the first doubleword holds the tree.
    PROCESS_TABLE.0[0].store(RTS_52 | phys_of(&KERNEL_ROOT) | ROOT_NLS, Ordering::Relaxed);
    PROCESS_TABLE.0[2 * USER_PID as usize]
        .store(RTS_52 | phys_of(&USER_ROOT) | ROOT_NLS, Ordering::Relaxed);
    ptesync();
    // SAFETY: the table is 4 KiB aligned (size field 0 = 4 KiB), fully built, and static.
    let (status, _) = unsafe {
        hcall(
            H_REGISTER_PROC_TBL,
            [PROC_TBL_FLAGS, phys_of(&PROCESS_TABLE), 0, 0, 0, 0],
        )
    };
    assert_eq!(status, H_SUCCESS, "H_REGISTER_PROC_TBL failed");
}

/// Sets PIDR and turns translation on for this cpu; the exception entry uses the same MSR.
///
/// # Safety
/// After [`init`], once per cpu, running at kernel (0xc000...) addresses.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn activate_this_cpu() {
    // SAFETY: PIDR (SPR 48) selects the user tree; the kernel quadrant ignores it.
    unsafe { asm!("mtspr 48, {}", "isync", in(reg) USER_PID, options(nostack)) };
    let msr = read_msr() | MSR_IR | MSR_DR;
    // SAFETY: the kernel tree maps the code and data this cpu runs at the same addresses.
    unsafe { write_msr(msr) };
    this_paca().set_kernel_msr(exception_entry_msr(msr));
}

/// The leaf entry of page `index` of the user area.
///
/// # Context
/// Never sleeps; any context.
pub fn user_leaf(index: usize) -> &'static AtomicU64 {
    &USER_L3.0[table_index(USER_AREA_BASE, 12) + index]
}

/// A present leaf for a user page at physical `frame`.
///
/// # Context
/// Never sleeps; any context.
pub fn user_leaf_value(frame: u64, writable: bool) -> u64 {
    R_VALID | R_LEAF | R_REF | R_CHG | frame | EAA_READ | if writable { EAA_RW } else { 0 }
}

/// Orders page-table updates before later translations.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn ptesync() {
    // SAFETY: a barrier only.
    unsafe { asm!("ptesync", options(nostack, preserves_flags)) };
}

/// Drops every cached user translation on every cpu: `tlbie` (process scoped, radix, all
/// entries) then the `eieio; tlbsync; ptesync` handshake that waits for the other cpus.
///
/// # Context
/// Never sleeps; any context.
pub fn flush_user_tlbs() {
    // SAFETY: invalidation only; LPCR[GTSE] was granted with the process table.
    unsafe {
        asm!(
            "ptesync",
            "tlbie {rb}, {rs}, 2, 1, 1",
            "eieio",
            "tlbsync",
            "ptesync",
            rb = in(reg) 0xc00u64,
            rs = in(reg) USER_PID << 32,
            options(nostack, preserves_flags),
        );
    }
}

/// The physical address of the page the user address `addr` maps to, and whether it is
/// writable, when it is present.
///
/// # Context
/// Never sleeps; any context.
pub fn translate_user(addr: usize) -> Option<(u64, bool)> {
    let offset = addr.checked_sub(USER_AREA_BASE)?;
    let page = offset / PAGE_SIZE;
    if page >= 512 - table_index(USER_AREA_BASE, 12) {
        return None;
    }
    let leaf = user_leaf(page).load(Ordering::Acquire);
    (leaf & R_VALID != 0).then_some((leaf & R_RPN, leaf & EAA_RW != 0))
}
