//! The one interface through which the portable code reaches a machine.
//!
//! A backend implements [`Arch`] on a zero-sized type. All methods are associated functions (no
//! `self`): the machine is implicit, as it is for kernel code, and every call is resolved at
//! compile time so that the fast paths inline into single instructions.

use core::sync::atomic::{compiler_fence, AtomicU32, Ordering};

use crate::debug_state::DebugState;
use crate::task::TaskContext;

/// Where the preempt count lives and how it is changed.
///
/// x86_64 keeps it per-cpu behind `gs` and folds an inverted need-resched flag into bit 31 so
/// that `preempt_enable()` is one `dec` plus a branch; s390x and powerpc64 keep it in the
/// task ([`crate::preempt_count::TaskPreemptCount`]). The portable code only sees these methods.
pub trait PreemptCountStore {
    /// The count with the need-resched bit masked off: Linux's `preempt_count()`.
    fn count() -> u32;
    /// Adds `val` to the count (one instruction where the hardware allows).
    fn add(val: u32);
    /// Subtracts `val` from the count.
    fn sub(val: u32);
    /// Subtracts `val`; returns true when the count reached zero with a reschedule pending.
    fn sub_and_test(val: u32) -> bool;
    /// Whether a reschedule is pending.
    fn need_resched() -> bool;
    /// Marks a reschedule as pending (a wake-up of a higher-priority task, a tick).
    fn set_need_resched();
    /// Clears the pending reschedule (the scheduler is about to pick the next task).
    fn clear_need_resched();
}

/// The saved interrupt state returned by [`Arch::local_irq_save`].
///
/// The raw value is the backend's own (RFLAGS on x86_64, the PSW system mask on s390x, the MSR
/// on powerpc64); the portable code only passes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the saved state must be passed to local_irq_restore()"]
pub struct IrqFlags(usize);

impl IrqFlags {
    /// Wraps a backend's raw saved interrupt state.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn from_raw(raw: usize) -> Self {
        Self(raw)
    }

    /// The backend's raw saved interrupt state.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn raw(self) -> usize {
        self.0
    }
}

/// A machine: what the portable contract needs from a processor and its kernel.
///
/// # Safety
/// Implementors promise that [`Arch::current_task`] returns the context of the task running
/// on this cpu and that it stays valid for as long as that task can run, that
/// [`Arch::cpu_id`] is the running cpu's number, and that [`Arch::local_irq_save`] really masks
/// interrupts on this cpu until the matching restore.
pub unsafe trait Arch: Sized + 'static {
    /// Where this machine keeps the preempt count.
    type PreemptCount: PreemptCountStore;

    /// A short name for reports ("x86_64", "host/per-cpu", ...).
    const NAME: &'static str;

    /// The running task.
    fn current_task() -> &'static TaskContext;

    /// The running cpu's number.
    fn cpu_id() -> u32;

    /// Whether interrupts are masked on this cpu.
    fn irqs_disabled() -> bool;

    /// Masks interrupts on this cpu and returns the previous state.
    fn local_irq_save() -> IrqFlags;

    /// Restores the interrupt state saved by [`Arch::local_irq_save`].
    fn local_irq_restore(flags: IrqFlags);

    /// Unmasks interrupts on this cpu (Linux's `local_irq_enable()`). The fault decision calls
    /// it before resolving a fault whose code ran with interrupts on.
    fn local_irq_enable();

    /// Masks interrupts on this cpu (Linux's `local_irq_disable()`).
    fn local_irq_disable();

    /// Called by `preempt_enable()` when the count drops to zero with a reschedule pending.
    /// May switch to another task (and the current one may come back on another cpu).
    fn preempt_schedule();

    /// A monotonic clock in nanoseconds, used by the report rate limit and lock watchdogs.
    fn now_ns() -> u64;

    /// A pause inside a spin loop (`pause` on x86, a no-op or a yield elsewhere).
    fn cpu_relax();

    /// Writes text to the console. One call is one unit: backends keep it from interleaving
    /// with another cpu's call.
    fn console_write(text: &str);

    /// The report and warn-once state of this machine.
    fn debug_state() -> &'static DebugState;

    /// A compiler-only barrier, Linux's `barrier()`: the compiler may not move memory accesses
    /// across it, and the cpu is not told anything. preempt_disable() and pagefault_disable()
    /// put one on their inside. The default is `compiler_fence(SeqCst)`, which costs nothing on
    /// x86_64; LLVM turns it into a real fence on some targets (`sync` on powerpc64), where
    /// the backend supplies an empty `asm!` instead.
    #[inline(always)]
    fn compiler_barrier() {
        compiler_fence(Ordering::SeqCst);
    }

    /// Compare-and-swap of a lock word: stores `new` if the word holds `old`; returns whether
    /// it did. The default is the atomic instruction the compiler emits for the target
    /// (`lock cmpxchg`, `cs`, `lwarx`/`stwcx.`); a backend may supply its own.
    #[inline(always)]
    fn compare_and_swap(word: &AtomicU32, old: u32, new: u32) -> bool {
        word.compare_exchange(old, new, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }
}
