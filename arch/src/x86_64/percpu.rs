//! Single-instruction access to the kernel's per-cpu area through `gs`.
//!
//! The kernel owns its per-cpu area: its layout, where it lives, and pointing `IA32_GS_BASE`
//! at it on each cpu. These helpers read and write one field of it at a byte offset known at
//! compile time (`memoffset::offset_of!` on the kernel's `#[repr(C)]` struct), each one
//! gs-relative `mov`, so that `current`, the cpu number and the preempt count cost one
//! instruction as on Linux.
//!
//! Every helper requires that `gs` already points at this cpu's area, that the area is at least
//! `OFFSET + size` bytes long, and that the field at `OFFSET` has the size named.

use core::arch::asm;

/// Reads the `u32` at byte `OFFSET` of this cpu's area: one `mov r32, gs:[OFFSET]`.
///
/// # Safety
/// `gs` points at this cpu's per-cpu area, which holds a `u32` at `OFFSET`.
///
/// # Context
/// Never sleeps; any context once the cpu's `gs` base is set.
#[inline(always)]
pub unsafe fn read_u32<const OFFSET: usize>() -> u32 {
    let value: u32;
    // SAFETY: the caller's contract; the load reads this cpu's own field.
    unsafe {
        asm!("mov {:e}, dword ptr gs:[{off}]", out(reg) value, off = const OFFSET,
             options(nostack, readonly, preserves_flags))
    }
    value
}

/// Reads the pointer-sized value at byte `OFFSET` of this cpu's area: one `mov r64, gs:[OFFSET]`.
///
/// # Safety
/// `gs` points at this cpu's per-cpu area, which holds a `usize` (or pointer) at `OFFSET`.
///
/// # Context
/// Never sleeps; any context once the cpu's `gs` base is set.
#[inline(always)]
pub unsafe fn read_usize<const OFFSET: usize>() -> usize {
    let value: usize;
    // SAFETY: the caller's contract; the load reads this cpu's own field.
    unsafe {
        asm!("mov {}, qword ptr gs:[{off}]", out(reg) value, off = const OFFSET,
             options(nostack, readonly, preserves_flags))
    }
    value
}

/// Writes the pointer-sized value at byte `OFFSET` of this cpu's area: one `mov gs:[OFFSET], r64`.
///
/// # Safety
/// `gs` points at this cpu's per-cpu area, which holds a `usize` (or pointer) at `OFFSET`
/// inside an `UnsafeCell`, and nothing else relies on the old value.
///
/// # Context
/// Never sleeps; any context once the cpu's `gs` base is set.
#[inline(always)]
pub unsafe fn write_usize<const OFFSET: usize>(value: usize) {
    // SAFETY: the caller's contract; the store writes this cpu's own field.
    unsafe {
        asm!("mov qword ptr gs:[{off}], {}", in(reg) value, off = const OFFSET,
             options(nostack, preserves_flags))
    }
}
