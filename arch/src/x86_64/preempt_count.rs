//! The per-cpu preempt count of x86_64, as modern Linux keeps it, at an offset of the kernel's
//! per-cpu area that the kernel chooses ([`PreemptCountOffset`]).
//!
//! - It is per-cpu, not per-task, and is NOT saved and restored on a task switch: the kernel's
//!   scheduler switches only when the count is zero (reporting "scheduling while atomic" and
//!   clearing it otherwise, as Linux's `schedule_debug()` does), so every task finds the count
//!   it left behind. Because the count cannot follow a task that sleeps and wakes on another
//!   cpu, the pagefault-disable counter lives in the task (`TaskContext`), never here.
//! - Need-resched is folded into bit 31, inverted: the bit is SET when no reschedule is
//!   pending. A count of exactly zero therefore means "preemptible and a reschedule is
//!   pending", so `preempt_enable()` is `dec dword ptr gs:[count]` plus one conditional branch.
//!   The kernel initialises the word to [`PREEMPT_ENABLED`] on each cpu.
//! - Changes are single read-modify-write instructions on this cpu's memory. An interrupt on
//!   this cpu sees the count before or after, never half-done, and restores what it changed;
//!   no other cpu ever writes it. No `lock` prefix is needed.

use core::arch::asm;
use core::marker::PhantomData;

use mightfault_core::PreemptCountStore;

/// The inverted need-resched bit: set = no reschedule pending.
pub const PREEMPT_NEED_RESCHED: u32 = 0x8000_0000;

/// The word a cpu's count starts as: count 0, no reschedule pending.
pub const PREEMPT_ENABLED: u32 = PREEMPT_NEED_RESCHED;

/// Where in the kernel's per-cpu area (the memory `gs` points at) the preempt count word is.
///
/// # Safety
/// Implementors promise that on every cpu, from before the first preempt-count operation, `gs`
/// points at that cpu's per-cpu area, which holds at [`PreemptCountOffset::OFFSET`] a 4-byte
/// word that nothing but [`GsPreemptCount`] changes (behind an `UnsafeCell` in the kernel's
/// struct), initialised to [`PREEMPT_ENABLED`].
pub unsafe trait PreemptCountOffset: 'static {
    /// The byte offset of the count word in the per-cpu area.
    const OFFSET: usize;
}

/// The per-cpu preempt count at `L::OFFSET` behind `gs`: a kernel names it as its
/// `Arch::PreemptCount`.
pub struct GsPreemptCount<L: PreemptCountOffset>(PhantomData<L>);

impl<L: PreemptCountOffset> GsPreemptCount<L> {
    /// The raw count word, need-resched bit included (for reports and the scheduler).
    ///
    /// # Context
    /// Never sleeps; any context after cpu bring-up.
    #[inline(always)]
    pub fn raw() -> u32 {
        let raw: u32;
        // SAFETY: PreemptCountOffset's contract: gs points at this cpu's area with the word at
        // L::OFFSET. (A const-generic call to `percpu::read_u32` cannot name `L::OFFSET`.)
        unsafe {
            asm!("mov {:e}, dword ptr gs:[{off}]", out(reg) raw, off = const L::OFFSET,
                 options(nostack, readonly, preserves_flags))
        }
        raw
    }

    /// Whether the word, need-resched aside, is non-zero: one `test dword ptr gs:[count],
    /// 0x7fffffff` and a branch, the word never loaded into a register. With debug-atomic-sleep
    /// the word is the may-not-sleep word, so this is the whole fast test of `might_fault()`
    /// and `might_sleep()` (`test`, `jnz`, `ret` when sleeping is allowed); it is what a
    /// store's "is the count zero" test should compile to (`count() != 0` costs a `mov` more).
    ///
    /// # Context
    /// Never sleeps; any context after cpu bring-up.
    #[inline(always)]
    pub fn test_count() -> bool {
        // SAFETY: PreemptCountOffset's contract: gs points at this cpu's area with the word at
        // L::OFFSET; the test only reads it, then branches.
        unsafe {
            asm!("test dword ptr gs:[{off}], {mask}", "jnz {nonzero}", off = const L::OFFSET,
                 mask = const !PREEMPT_NEED_RESCHED, nonzero = label { return true; },
                 options(nostack, readonly))
        }
        false
    }

    /// Clears the count, keeping need-resched, after a scheduling-while-atomic report, as
    /// Linux's `schedule_debug()` does, so one bug does not poison every later task on this
    /// cpu.
    ///
    /// # Context
    /// Never sleeps; the scheduler, interrupts masked.
    #[inline(always)]
    pub fn reset() {
        // SAFETY: PreemptCountOffset's contract; one RMW of this cpu's own count.
        unsafe {
            asm!("and dword ptr gs:[{off}], {mask}", off = const L::OFFSET,
                 mask = const PREEMPT_NEED_RESCHED, options(nostack))
        }
    }
}

/// `add dword ptr gs:[count], $imm` for the offsets the core uses, so that each becomes a
/// single instruction with an immediate (asm! has no "register or immediate" operand; after
/// inlining the match folds to one arm).
macro_rules! gs_count_rmw {
    ($op:literal, $off:expr, $val:expr, [$($imm:literal),*]) => {
        match $val {
            $(
                $imm => {
                    // SAFETY: PreemptCountOffset's contract; one RMW of this cpu's own count.
                    unsafe {
                        asm!(concat!($op, " dword ptr gs:[{off}], ", stringify!($imm)),
                             off = const $off, options(nostack))
                    }
                }
            )*
            other => {
                // SAFETY: as above, with the value in a register.
                unsafe {
                    asm!(concat!($op, " dword ptr gs:[{off}], {val:e}"),
                         off = const $off, val = in(reg) other, options(nostack))
                }
            }
        }
    };
}

impl<L: PreemptCountOffset> PreemptCountStore for GsPreemptCount<L> {
    // The count is the cpu's: a task switch hands the task's own fields over.
    const KEPT_PER_CPU: bool = true;

    #[inline(always)]
    fn count_nonzero() -> bool {
        Self::test_count()
    }

    #[inline(always)]
    fn count() -> u32 {
        Self::raw() & !PREEMPT_NEED_RESCHED
    }

    #[inline(always)]
    fn add(val: u32) {
        // PREEMPT_OFFSET, SOFTIRQ_OFFSET, SOFTIRQ_DISABLE_OFFSET, HARDIRQ_OFFSET, NMI_OFFSET.
        gs_count_rmw!("add", L::OFFSET, val, [1, 0x100, 0x200, 0x10000, 0x100000]);
    }

    #[inline(always)]
    fn sub(val: u32) {
        gs_count_rmw!("sub", L::OFFSET, val, [1, 0x100, 0x200, 0x10000, 0x100000]);
    }

    #[inline(always)]
    fn sub_and_test(val: u32) -> bool {
        if val == 1 {
            // Linux's `decl %gs:__preempt_count; je preempt_schedule`: zero means the count
            // dropped to 0 AND the inverted need-resched bit is clear.
            // SAFETY: PreemptCountOffset's contract; one RMW of this cpu's own count, then a
            // branch.
            unsafe {
                asm!("dec dword ptr gs:[{off}]", "jz {resched}", off = const L::OFFSET,
                     resched = label { return true; }, options(nostack))
            }
            false
        } else {
            let zero: u8;
            // SAFETY: as above, with the value in a register and the result in a byte.
            unsafe {
                asm!("sub dword ptr gs:[{off}], {val:e}", "setz {zero}",
                     off = const L::OFFSET, val = in(reg) val, zero = out(reg_byte) zero,
                     options(nostack))
            }
            zero != 0
        }
    }

    #[inline(always)]
    fn need_resched() -> bool {
        Self::raw() & PREEMPT_NEED_RESCHED == 0
    }

    #[inline(always)]
    fn set_need_resched() {
        // SAFETY: PreemptCountOffset's contract; clearing the inverted bit marks a reschedule.
        unsafe {
            asm!("and dword ptr gs:[{off}], {mask}", off = const L::OFFSET,
                 mask = const !PREEMPT_NEED_RESCHED, options(nostack))
        }
    }

    #[inline(always)]
    fn clear_need_resched() {
        // SAFETY: PreemptCountOffset's contract; setting the inverted bit clears the request.
        unsafe {
            asm!("or dword ptr gs:[{off}], {mask}", off = const L::OFFSET,
                 mask = const PREEMPT_NEED_RESCHED, options(nostack))
        }
    }
}
