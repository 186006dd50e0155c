//! Single-instruction loads from the kernel's per-cpu area through r13 (Linux's PACA).
//!
//! The ELFv2 ABI reserves r13 (the thread pointer), so the compiler never allocates it. The
//! kernel owns its per-cpu area: its layout, where it lives, and pointing r13 at it on each cpu
//! before any Rust code runs (and never changing it after; an exception exit must not restore
//! r13 from a saved frame, since a task that slept may come back on another cpu). These helpers
//! read one field of it at a byte offset known at compile time (`core::mem::offset_of!` on the
//! kernel's `#[repr(C)]` struct), each one r13-relative load, so that `current` and the cpu
//! number cost one instruction as on Linux.
//!
//! The loads are `pure`: two reads with no memory write between them may be merged, which is
//! what a per-cpu field that only changes under the scheduler (behind a compiler barrier) wants.
//!
//! Every helper requires that r13 already points at this cpu's area, that the area holds a
//! field of the size named at `OFFSET`, and that `OFFSET` fits a D-form displacement (below
//! 32 KiB; checked at compile time).

use core::arch::asm;

/// Reads the `u32` at byte `OFFSET` of this cpu's area: one `lwz rD, OFFSET(13)`.
///
/// # Safety
/// r13 points at this cpu's per-cpu area, which holds a `u32` at `OFFSET`.
///
/// # Context
/// Never sleeps; any context once the cpu's r13 is set.
#[inline(always)]
pub unsafe fn read_u32<const OFFSET: usize>() -> u32 {
    const { assert!(OFFSET < 0x8000, "beyond a D-form displacement") };
    let value: u32;
    // SAFETY: the caller's contract; the load reads this cpu's own field.
    unsafe {
        asm!("lwz {}, {off}(13)", out(reg) value, off = const OFFSET,
             options(nostack, readonly, pure, preserves_flags));
    }
    value
}

/// Reads the pointer-sized value at byte `OFFSET` of this cpu's area: one `ld rD, OFFSET(13)`.
///
/// # Safety
/// r13 points at this cpu's per-cpu area, which holds a `usize` (or pointer) at `OFFSET`,
/// 4-byte aligned at least (a DS-form displacement).
///
/// # Context
/// Never sleeps; any context once the cpu's r13 is set.
#[inline(always)]
pub unsafe fn read_usize<const OFFSET: usize>() -> usize {
    const {
        assert!(
            OFFSET < 0x8000 && OFFSET.is_multiple_of(4),
            "not a DS-form displacement"
        )
    };
    let value: usize;
    // SAFETY: the caller's contract; the load reads this cpu's own field.
    unsafe {
        asm!("ld {}, {off}(13)", out(reg) value, off = const OFFSET,
             options(nostack, readonly, pure, preserves_flags));
    }
    value
}
