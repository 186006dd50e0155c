//! The one interface through which the portable code reaches a machine.
//!
//! A backend implements [`Arch`] on a zero-sized type. All methods are associated functions (no
//! `self`): the machine is implicit, as it is for kernel code, and every call is resolved at
//! compile time so that the fast paths inline into single instructions.

use core::sync::atomic::{compiler_fence, AtomicU32, Ordering};

use crate::call_trace::{CallTraceStyle, StackFrame, TraceStart};
use crate::debug_state::DebugState;
use crate::machine_state::MachineState;
use crate::task::TaskContext;

/// Where the preempt count lives and how it is changed.
///
/// x86_64 keeps it per-cpu behind `gs` and folds an inverted need-resched flag into bit 31 so
/// that `preempt_enable()` is one `dec` plus a branch; s390x and powerpc64 keep it in the
/// task ([`crate::preempt_count::TaskPreemptCount`]). The portable code only sees these methods.
pub trait PreemptCountStore {
    /// Whether the word is the cpu's rather than the task's (x86_64's gs-relative count). The
    /// scheduler's [`crate::preempt::prepare_task_switch`] then hands the task's own fields
    /// (the RCU depth of the may-not-sleep word) to the next task.
    const KEPT_PER_CPU: bool = false;

    /// The word with the need-resched bit masked off: Linux's `preempt_count()` and, with
    /// debug-atomic-sleep, the irqs-off flag and the RCU depth (the may-not-sleep word, zero
    /// exactly when sleeping is allowed; `crate::preempt::preempt_count` masks them off).
    ///
    /// # Context
    /// Never sleeps; any context on this cpu (task, interrupt, fault handler).
    fn count() -> u32;
    /// Whether [`PreemptCountStore::count`] is not zero: the test of might_sleep() and
    /// might_fault(). A store that can test its word in memory without loading it first (x86_64:
    /// one `test` of the gs-relative word) overrides it.
    ///
    /// # Context
    /// Never sleeps; any context on this cpu.
    #[inline(always)]
    fn count_nonzero() -> bool {
        Self::count() != 0
    }
    /// Adds `val` to the count (one instruction where the hardware allows).
    ///
    /// # Context
    /// Never sleeps; any context. Must be one read-modify-write that an interrupt on this cpu
    /// cannot split (an interrupt restores what it changed).
    fn add(val: u32);
    /// Subtracts `val` from the count.
    ///
    /// # Context
    /// Never sleeps; any context, as [`PreemptCountStore::add`].
    fn sub(val: u32);
    /// Subtracts `val`; returns true when the count reached zero with a reschedule pending.
    ///
    /// # Context
    /// Never sleeps; any context. The caller (`preempt_enable()`) schedules when it returns true.
    fn sub_and_test(val: u32) -> bool;
    /// Whether a reschedule is pending.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn need_resched() -> bool;
    /// Marks a reschedule as pending (a wake-up of a higher-priority task, a tick).
    ///
    /// # Context
    /// Never sleeps; any context, typically a wake-up or a timer interrupt.
    fn set_need_resched();
    /// Clears the pending reschedule (the scheduler is about to pick the next task).
    ///
    /// # Context
    /// Never sleeps; the scheduler, interrupts masked.
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
/// [`Arch::cpu_id`] is the running cpu's number (below
/// [`crate::machine_state::MAX_CPUS`]), and that [`Arch::local_irq_save`] really masks
/// interrupts on this cpu until the matching restore.
pub unsafe trait Arch: Sized + 'static {
    /// Where this machine keeps the preempt count.
    type PreemptCount: PreemptCountStore;

    /// A short name for reports ("x86_64", "host/per-cpu", ...).
    const NAME: &'static str;

    /// The kernel release a report's CPU line prints where Linux prints `uname -r`. The
    /// default is this crate's version.
    const RELEASE: &'static str = env!("CARGO_PKG_VERSION");

    /// What a report's `Hardware name:` line says (Linux's `dump_stack_set_arch_desc()`); no
    /// line when `None`, the default.
    const HARDWARE_NAME: Option<&'static str> = None;

    /// How this machine's call traces are printed (the line shape of its Linux port). The
    /// default, [`CallTraceStyle::Plain`], suits a machine without one.
    const CALL_TRACE_STYLE: CallTraceStyle = CallTraceStyle::Plain;

    /// The running task.
    ///
    /// # Context
    /// Never sleeps; any context after the cpu is up. Must be cheap: every check calls it (one
    /// load through the per-cpu area on the bundled kernels).
    fn current_task() -> &'static TaskContext;

    /// The running cpu's number.
    ///
    /// # Context
    /// Never sleeps; any context. The value may change across a sleep (or, with preemption
    /// enabled, between any two instructions).
    fn cpu_id() -> u32;

    /// Whether interrupts are masked on this cpu.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn irqs_disabled() -> bool;

    /// Masks interrupts on this cpu and returns the previous state.
    ///
    /// # Context
    /// Never sleeps; any context. Must be a compiler barrier (no memory access moves across it).
    fn local_irq_save() -> IrqFlags;

    /// Restores the interrupt state saved by [`Arch::local_irq_save`].
    ///
    /// # Context
    /// Never sleeps; on the cpu and task that saved the state. A compiler barrier.
    fn local_irq_restore(flags: IrqFlags);

    /// Whether `flags` (from [`Arch::local_irq_save`]) say interrupts were masked: Linux's
    /// `arch_irqs_disabled_flags()`. `crate::irq::local_irq_restore` asks it to know, before
    /// it restores, whether interrupts are about to be unmasked.
    ///
    /// # Context
    /// Never sleeps; any context (it only looks at the value).
    fn irqs_disabled_flags(flags: IrqFlags) -> bool;

    /// Unmasks interrupts on this cpu (Linux's `local_irq_enable()`). The fault decision calls
    /// it before resolving a fault whose code ran with interrupts on.
    ///
    /// # Context
    /// Never sleeps; task context or a fault handler whose faulting code ran with interrupts
    /// on; never from an interrupt handler that must finish masked. A compiler barrier.
    fn local_irq_enable();

    /// Masks interrupts on this cpu (Linux's `local_irq_disable()`).
    ///
    /// # Context
    /// Never sleeps; any context. A compiler barrier.
    fn local_irq_disable();

    /// Called by `preempt_enable()` when the count drops to zero with a reschedule pending.
    /// May switch to another task (and the current one may come back on another cpu).
    ///
    /// # Context
    /// May sleep (switch away): called from `preempt_enable()` in task context with the count
    /// at zero and interrupts on; the task may resume on another cpu.
    fn preempt_schedule();

    /// A monotonic clock in nanoseconds, used by the report rate limit and lock watchdogs.
    ///
    /// # Context
    /// Never sleeps; any context, including with interrupts masked and inside a report.
    fn now_ns() -> u64;

    /// A pause inside a spin loop (`pause` on x86, a no-op or a yield elsewhere).
    ///
    /// # Context
    /// Never sleeps; any context (it is called while spinning on a lock).
    fn cpu_relax();

    /// Writes text to the console. One call is one unit: backends keep it from interleaving
    /// with another cpu's call.
    ///
    /// # Context
    /// Never sleeps; any context, including interrupt and fault handlers and with interrupts
    /// masked: reports are printed from wherever the bug is found. It must not call back into
    /// the checks (no `might_sleep()`, no sleeping lock).
    fn console_write(text: &str);

    /// The report and warn-once state of this machine.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn debug_state() -> &'static DebugState;

    /// The softirq and RCU state of this machine (one static per kernel).
    ///
    /// # Context
    /// Never sleeps; any context.
    fn machine_state() -> &'static MachineState;

    /// A compiler-only barrier, Linux's `barrier()`: the compiler may not move memory accesses
    /// across it, and the cpu is not told anything. preempt_disable() and pagefault_disable()
    /// put one on their inside. The default is `compiler_fence(SeqCst)`, which costs nothing on
    /// x86_64; LLVM turns it into a real fence on some targets (`sync` on powerpc64), where
    /// the backend supplies an empty `asm!` instead.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    fn compiler_barrier() {
        compiler_fence(Ordering::SeqCst);
    }

    /// Compare-and-swap of a lock word: stores `new` if the word holds `old`; returns whether
    /// it did. The default is the atomic instruction the compiler emits for the target
    /// (`lock cmpxchg`, `cs`, `lwarx`/`stwcx.`); a backend may supply its own.
    /// (`lock cmpxchg`, `cs`, `lwarx`/`stwcx.`); a backend may supply its own.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    fn compare_and_swap(word: &AtomicU32, old: u32, new: u32) -> bool {
        word.compare_exchange(old, new, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Walks the current stack from `start`, innermost frame first, calling `visit` for each
    /// frame until it returns false or the chain ends. Reports call it for their call trace;
    /// the default finds no frame (the trace is then empty, the rest of the report unchanged).
    /// Backends implement it with the walkers of `mightfault-arch` (x86_64 frame pointers, the
    /// s390x and powerpc64 back chains), giving them the bounds of the stack in use.
    ///
    /// # Context
    /// Never sleeps; any context, including fault and interrupt handlers and with interrupts
    /// masked. Must never fault: a frame outside the stack's bounds, misaligned or not above
    /// the previous one ends the walk.
    fn walk_stack(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
        let _ = (start, visit);
    }

    /// The image's symbol table (see [`crate::kallsyms_area!`]); the default is empty, and
    /// addresses print bare.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn kernel_symbols() -> crate::symbol_table::SymbolTable<'static> {
        crate::symbol_table::SymbolTable::empty()
    }

    /// Writes `address` as Linux's `%pS` (`function+0x1c/0x90`). The default looks it up in
    /// [`Arch::kernel_symbols`]; a machine with its own symbolizer (the host's backtrace)
    /// overrides it.
    ///
    /// # Context
    /// Never sleeps; any context.
    fn write_symbol(out: &mut dyn core::fmt::Write, address: usize) -> core::fmt::Result {
        crate::call_trace::write_symbol_from_table::<Self>(out, address)
    }
}
