//! The layout of the preempt count, with Linux's masks, and the per-task placement.

use core::marker::PhantomData;

use bitflags::bitflags;

use crate::arch::{Arch, PreemptCountStore};

bitflags! {
    /// The fields of the preempt count (Linux's `include/linux/preempt.h` layout).
    ///
    /// Bits 0-7 count preempt_disable() nesting, 8-15 softirq, 16-19 hardirq, 20-23 NMI, and
    /// bit 31 is the need-resched bit that x86_64 folds in inverted (set = no reschedule).
    ///
    /// With `debug-atomic-sleep` two more fields make the word zero exactly when sleeping is
    /// allowed (see `crate::irq_tracking` and `crate::might_sleep`): bit 24 says interrupts
    /// are masked, bits 25-30 hold the RCU read-side depth under `preempt` (saturating at 63).
    /// Linux's preempt_count() is the word masked to [`COUNT_FIELDS`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PreemptCount: u32 {
        /// preempt_disable() nesting depth.
        const PREEMPT = 0x0000_00ff;
        /// Softirq nesting (bit 8) and local_bh_disable() depth (bits 9-15).
        const SOFTIRQ = 0x0000_ff00;
        /// Hard interrupt nesting.
        const HARDIRQ = 0x000f_0000;
        /// NMI nesting.
        const NMI = 0x00f0_0000;
        /// Interrupts masked (kept only with debug-atomic-sleep).
        const IRQS_OFF = 0x0100_0000;
        /// RCU read-side depth under `preempt`, saturating (kept only with
        /// debug-atomic-sleep).
        const RCU = 0x7e00_0000;
        /// Need-resched (folded, inverted, on x86_64 only).
        const NEED_RESCHED = 0x8000_0000;
    }
}

/// One level of preempt_disable().
pub const PREEMPT_OFFSET: u32 = 1 << 0;
/// Serving a softirq.
pub const SOFTIRQ_OFFSET: u32 = 1 << 8;
/// One level of local_bh_disable(): twice SOFTIRQ_OFFSET, so that serving and disabling differ.
pub const SOFTIRQ_DISABLE_OFFSET: u32 = 2 * SOFTIRQ_OFFSET;
/// One level of hard interrupt.
pub const HARDIRQ_OFFSET: u32 = 1 << 16;
/// One level of NMI.
pub const NMI_OFFSET: u32 = 1 << 20;
/// The irqs-off flag of the may-not-sleep word.
pub const IRQS_OFF_FLAG: u32 = 1 << 24;
/// One level of RCU read-side nesting in the may-not-sleep word.
pub const RCU_DEPTH_OFFSET: u32 = 1 << 25;
/// The deepest RCU nesting the word counts; deeper levels leave it at this (still non-zero).
pub const RCU_DEPTH_MAX: u32 = 63;
/// The fields of Linux's preempt_count(): preempt, softirq, hardirq and NMI.
pub const COUNT_FIELDS: u32 = 0x00ff_ffff;
/// Every field that forbids sleeping: the whole word but the need-resched bit.
pub const SLEEP_FORBIDDEN_FIELDS: u32 = 0x7fff_ffff;

const _: () = assert!(PreemptCount::RCU.bits() == RCU_DEPTH_MAX * RCU_DEPTH_OFFSET);
const _: () = assert!(
    PreemptCount::PREEMPT
        .union(PreemptCount::SOFTIRQ)
        .union(PreemptCount::HARDIRQ)
        .union(PreemptCount::NMI)
        .bits()
        == COUNT_FIELDS
);
const _: () = assert!(
    COUNT_FIELDS | PreemptCount::IRQS_OFF.bits() | PreemptCount::RCU.bits()
        == SLEEP_FORBIDDEN_FIELDS
);

/// The preempt count kept in the task (`thread_info` on s390x and powerpc64).
///
/// Because the count travels with the task, a task that sleeps and wakes elsewhere takes its
/// count along. The need-resched flag is kept beside it, not folded.
pub struct TaskPreemptCount<A: Arch>(PhantomData<A>);

impl<A: Arch> PreemptCountStore for TaskPreemptCount<A> {
    #[inline(always)]
    fn count() -> u32 {
        A::current_task().preempt_count_cell().get()
    }

    #[inline(always)]
    fn add(val: u32) {
        let cell = A::current_task().preempt_count_cell();
        cell.set(cell.get().wrapping_add(val));
    }

    #[inline(always)]
    fn sub(val: u32) {
        let cell = A::current_task().preempt_count_cell();
        cell.set(cell.get().wrapping_sub(val));
    }

    #[inline(always)]
    fn sub_and_test(val: u32) -> bool {
        let task = A::current_task();
        let cell = task.preempt_count_cell();
        let left = cell.get().wrapping_sub(val);
        cell.set(left);
        left == 0 && task.need_resched_cell().get()
    }

    #[inline(always)]
    fn need_resched() -> bool {
        A::current_task().need_resched_cell().get()
    }

    #[inline(always)]
    fn set_need_resched() {
        A::current_task().need_resched_cell().set(true);
    }

    #[inline(always)]
    fn clear_need_resched() {
        A::current_task().need_resched_cell().set(false);
    }
}
