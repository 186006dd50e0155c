//! The lowcore (prefix area): the architected interruption slots and this kernel's per-cpu
//! fields.
//!
//! Each cpu's 8 KiB prefix area holds the old/new PSW pairs and the interruption codes. Real
//! addresses 0..8 KiB are redirected to it, and the kernel's address space maps virtual 0 to
//! real 0 (virtual = physical, see [`super::layout`]), so with DAT on or off the running cpu's
//! own area is at address 0: every access is a displacement off base register 0, one
//! instruction, as Linux reaches its lowcore. The kernel's fields live in 0x200..0x600, which
//! the architecture leaves to the program (Linux keeps its `current_task` and `cpu_nr` there
//! too).

use core::arch::asm;
use core::ptr;

/// External interruption: cpu address of the signalling cpu (halfword).
pub const EXT_CPU_ADDR: usize = 0x84;
/// External interruption code (halfword).
pub const EXT_INT_CODE: usize = 0x86;
/// Program interruption: instruction length (halfword; bits 13-14, i.e. length in bytes).
pub const PGM_ILC: usize = 0x8c;
/// Program interruption code (halfword).
pub const PGM_CODE: usize = 0x8e;
/// Translation-exception identification (doubleword): the failing address, page-aligned.
pub const TRANS_EXC_CODE: usize = 0xa8;

/// Old PSWs, stored by the cpu at an interruption.
pub const RESTART_OLD_PSW: usize = 0x120;
/// External old PSW.
pub const EXT_OLD_PSW: usize = 0x130;
/// Supervisor-call old PSW.
pub const SVC_OLD_PSW: usize = 0x140;
/// Program old PSW.
pub const PGM_OLD_PSW: usize = 0x150;
/// Machine-check old PSW.
pub const MCCK_OLD_PSW: usize = 0x160;
/// I/O old PSW.
pub const IO_OLD_PSW: usize = 0x170;
/// New PSWs, loaded by the cpu at an interruption.
pub const RESTART_NEW_PSW: usize = 0x1a0;
/// External new PSW.
pub const EXT_NEW_PSW: usize = 0x1b0;
/// Supervisor-call new PSW.
pub const SVC_NEW_PSW: usize = 0x1c0;
/// Program new PSW.
pub const PGM_NEW_PSW: usize = 0x1d0;
/// Machine-check new PSW.
pub const MCCK_NEW_PSW: usize = 0x1e0;
/// I/O new PSW.
pub const IO_NEW_PSW: usize = 0x1f0;

// The kernel's own fields.
/// Registers of a program interruption, saved by its real-mode stub (16 doublewords).
pub const SAVE_PGM: usize = 0x200;
/// Registers of an external interruption.
pub const SAVE_EXT: usize = 0x280;
/// Registers of any other (fatal) interruption.
pub const SAVE_OTHER: usize = 0x300;
/// Registers the return path restores (written with DAT on, loaded in real mode).
pub const RESTORE: usize = 0x380;
/// The PSW the return path finally loads.
pub const RETURN_PSW: usize = 0x400;
/// A PSW that switches to real mode at the return path's last stage.
pub const TO_REAL_PSW: usize = 0x410;
/// PSWs that switch the interruption stubs from real mode to their virtual half.
pub const CONT_PGM_PSW: usize = 0x420;
/// Continuation of the external stub.
pub const CONT_EXT_PSW: usize = 0x430;
/// Continuation of the fatal stubs.
pub const CONT_OTHER_PSW: usize = 0x440;
/// Continuation of a secondary cpu's start (restart) stub.
pub const CONT_START_PSW: usize = 0x450;
/// Which fatal interruption class the stub saw (doubleword).
pub const OTHER_CLASS: usize = 0x460;
/// The running task (doubleword pointer).
pub const CURRENT: usize = 0x480;
/// This cpu's number (word).
pub const CPU_NR: usize = 0x488;
/// Initial stack pointer of a secondary cpu.
pub const START_STACK: usize = 0x490;
/// Control registers 0-15 a secondary cpu loads at start.
pub const START_CREGS: usize = 0x500;

/// Size of a prefix area.
pub const LOWCORE_SIZE: usize = 8192;

/// A whole prefix area for a secondary cpu, 8 KiB aligned as SIGP set-prefix requires.
#[repr(C, align(8192))]
pub struct Lowcore(pub [u8; LOWCORE_SIZE]);

/// The running cpu's own prefix area: address 0.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn this_cpu_base() -> usize {
    0
}

/// The running task's pointer (the CURRENT field): one `lg` off base register 0.
///
/// The asm is `pure` and `readonly`: a task's own current pointer is the same on every cpu it
/// runs on, so the compiler may reuse a load until memory may have changed (a switch writes
/// memory).
///
/// # Context
/// Never sleeps; any context once the cpu is up.
#[inline(always)]
pub fn current() -> u64 {
    let value: u64;
    // SAFETY: address 0 is this cpu's lowcore, with DAT on (the kernel's space maps it) or off.
    unsafe {
        asm!(
            "lg {v}, {off}",
            v = out(reg) value,
            off = const CURRENT,
            options(pure, readonly, nostack, preserves_flags),
        )
    };
    value
}

/// This cpu's number (the CPU_NR field). Not `pure`: it changes under a task that migrates.
///
/// # Context
/// Never sleeps; any context once the cpu is up.
#[inline(always)]
pub fn cpu_nr() -> u32 {
    let value: u64;
    // SAFETY: as current().
    unsafe {
        asm!(
            "llgf {v}, {off}",
            v = out(reg) value,
            off = const CPU_NR,
            options(readonly, nostack, preserves_flags),
        )
    };
    value as u32
}

/// Writes a doubleword of this cpu's lowcore.
///
/// # Safety
/// `offset` must be one of this module's kernel fields, written by its owner.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn write_u64(offset: usize, value: u64) {
    // SAFETY: address 0 is this cpu's lowcore, and offset is not 0 (no null pointer); the
    // caller owns the field.
    unsafe { ptr::write_volatile((this_cpu_base() + offset) as *mut u64, value) }
}

/// Writes a word of this cpu's lowcore.
///
/// # Safety
/// As [`write_u64`].
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn write_u32(offset: usize, value: u32) {
    // SAFETY: as write_u64.
    unsafe { ptr::write_volatile((this_cpu_base() + offset) as *mut u32, value) }
}

/// Writes a PSW (mask, address) at `base + offset`.
///
/// # Safety
/// `base` is a prefix area (this cpu's at 0 or another cpu's, not yet started) and `offset` a
/// PSW slot in it (not 0).
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn write_psw(base: usize, offset: usize, mask: u64, addr: u64) {
    let slot = (base + offset) as *mut u64;
    // SAFETY: the caller's contract; PSW slots are doubleword aligned.
    unsafe {
        ptr::write_volatile(slot, mask);
        ptr::write_volatile(slot.add(1), addr);
    }
}
