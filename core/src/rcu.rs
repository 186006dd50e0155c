//! RCU readers and a simple grace period.
//!
//! `rcu_read_lock()`/`rcu_read_unlock()` mark a read-side critical section. With `preempt`
//! they keep a per-task nesting depth and leave preemption on (Linux's PREEMPT_RCU): a reader
//! may be preempted, and migrate, but must not sleep; `might_sleep()` reports a non-zero depth
//! with Linux's `RCU nest depth:` line. Without `preempt` a reader disables preemption, as
//! Linux's non-preemptible RCU does.
//!
//! [`synchronize_rcu`] returns once every reader that had started when it was called has
//! finished. It needs two things from the kernel's scheduler, both cheap:
//! [`rcu_note_context_switch`] on every task switch, and [`rcu_idle_enter`]/[`rcu_idle_exit`]
//! around the idle wait. The grace period then
//! 1. waits until every other cpu known to RCU has switched tasks or sat idle since it began:
//!    a reader running on a cpu when the grace period began has by then finished, or was
//!    switched out inside its section and counted as blocked (only possible with `preempt`);
//! 2. flips the phase that newly blocked readers are counted in, and waits until no reader
//!    blocked in the old phase is left (each one's outermost `rcu_read_unlock()` uncounts it).
//!
//! Readers blocked after the flip began after the grace period did, so they are not waited
//! for; readers blocked before it were all counted in the old phase, because every grace
//! period drains its old phase before the next one flips back to it.

#[cfg(feature = "debug-preempt")]
use core::panic::Location;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::arch::Arch;
use crate::machine_state::{CacheLine, MAX_CPUS};
use crate::task::TaskContext;

/// RCU's view of one cpu.
struct RcuCpu {
    /// Task switches seen on this cpu (a quiescent state each).
    switches: AtomicU64,
    /// The cpu is in its idle wait (an extended quiescent state).
    idle: AtomicBool,
    /// The cpu has switched tasks or gone idle at least once, so it reports quiescent states.
    known: AtomicBool,
}

/// The RCU half of [`crate::machine_state::MachineState`].
pub(crate) struct RcuState {
    /// Held by the one grace period in progress.
    gp_busy: AtomicBool,
    /// The phase (0 or 1) newly blocked readers are counted in.
    phase: AtomicUsize,
    /// Readers switched out inside their section, per phase.
    blocked: [AtomicU32; 2],
    cpus: [CacheLine<RcuCpu>; MAX_CPUS],
}

impl RcuState {
    pub(crate) const fn new() -> Self {
        Self {
            gp_busy: AtomicBool::new(false),
            phase: AtomicUsize::new(0),
            blocked: [AtomicU32::new(0), AtomicU32::new(0)],
            cpus: [const {
                CacheLine(RcuCpu {
                    switches: AtomicU64::new(0),
                    idle: AtomicBool::new(false),
                    known: AtomicBool::new(false),
                })
            }; MAX_CPUS],
        }
    }
}

/// Enters an RCU read-side critical section (nests).
///
/// # Context
/// Never sleeps; any context. The section must not sleep: with `preempt` it may be preempted
/// and migrate, without `preempt` it runs with preemption disabled.
#[inline(always)]
#[track_caller]
pub fn rcu_read_lock<A: Arch>() {
    #[cfg(feature = "preempt")]
    {
        #[cfg(feature = "debug-atomic-sleep")]
        word_depth::change::<A>(1);
        #[cfg(not(feature = "debug-atomic-sleep"))]
        {
            let depth = A::current_task().rcu_read_lock_nesting_cell();
            depth.set(depth.get() + 1);
        }
        A::compiler_barrier();
    }
    #[cfg(not(feature = "preempt"))]
    crate::preempt::preempt_disable::<A>();
}

/// Leaves the RCU read-side critical section entered by the matching [`rcu_read_lock`]. With
/// `debug-preempt`, an unlock without a lock is reported and changes nothing.
///
/// # Context
/// Never sleeps, except that without `preempt` it re-enables preemption (see
/// `preempt_enable()`); on the task that took the lock.
#[inline(always)]
#[track_caller]
pub fn rcu_read_unlock<A: Arch>() {
    #[cfg(feature = "preempt")]
    {
        A::compiler_barrier();
        let task = A::current_task();
        let depth = task.rcu_read_lock_nesting_cell();
        #[cfg(feature = "debug-preempt")]
        if depth.get() == 0 {
            crate::warn::debug_locks_warn::<A>("rcu_preempt_depth() == 0", Location::caller());
            return;
        }
        #[cfg(feature = "debug-atomic-sleep")]
        word_depth::change::<A>(-1);
        #[cfg(not(feature = "debug-atomic-sleep"))]
        depth.set(depth.get() - 1);
        if depth.get() == 0 && task.rcu_blocked_phase_cell().get() != 0 {
            unblock_reader::<A>(task);
        }
        // A reschedule requested inside the reader found the word non-zero, so no
        // preempt_enable() there could act on it: act on it now that the word may be zero.
        #[cfg(feature = "debug-atomic-sleep")]
        {
            use crate::arch::PreemptCountStore;
            if A::PreemptCount::count() == 0 && A::PreemptCount::need_resched() {
                A::preempt_schedule();
            }
        }
    }
    #[cfg(not(feature = "preempt"))]
    crate::preempt::preempt_enable::<A>();
}

/// With debug-atomic-sleep (and `preempt`), the task's RCU depth and its copy in the
/// may-not-sleep word change together.
#[cfg(all(feature = "preempt", feature = "debug-atomic-sleep"))]
mod word_depth {
    use crate::arch::{Arch, PreemptCountStore};
    use crate::preempt_count::{RCU_DEPTH_MAX, RCU_DEPTH_OFFSET};

    /// Adds `delta` (+1 or -1) to the depth and, below the field's maximum, to the word.
    /// Where the word is the cpu's, interrupts are masked across both changes: a task switched
    /// out between them would carry a depth to its next cpu that the word there does not match
    /// (`prepare_task_switch` copies the depth into the word). The raw `Arch` methods are
    /// enough: the state is restored before anything could look at the irqs-off flag.
    #[inline(always)]
    pub(super) fn change<A: Arch>(delta: i32) {
        let flags = A::PreemptCount::KEPT_PER_CPU.then(A::local_irq_save);
        let depth = A::current_task().rcu_read_lock_nesting_cell();
        let (counted, next) = if delta > 0 {
            (depth.get() < RCU_DEPTH_MAX, depth.get() + 1)
        } else {
            (depth.get() <= RCU_DEPTH_MAX, depth.get() - 1)
        };
        if counted {
            if delta > 0 {
                A::PreemptCount::add(RCU_DEPTH_OFFSET);
            } else {
                A::PreemptCount::sub(RCU_DEPTH_OFFSET);
            }
        }
        depth.set(next);
        if let Some(flags) = flags {
            A::local_irq_restore(flags);
        }
    }
}

/// The outermost unlock of a reader that was switched out inside its section.
#[cfg(feature = "preempt")]
#[cold]
#[inline(never)]
fn unblock_reader<A: Arch>(task: &TaskContext) {
    // Masked so that a switch cannot see the flag half cleared.
    let flags = crate::irq::local_irq_save::<A>();
    let phase = task.rcu_blocked_phase_cell().replace(0);
    if phase != 0 {
        A::machine_state().rcu.blocked[usize::from(phase - 1)].fetch_sub(1, Ordering::SeqCst);
    }
    crate::irq::local_irq_restore::<A>(flags);
}

/// The RCU read-side nesting depth of the current task: always 0 without `preempt` (readers
/// are then preempt-disabled regions, seen in the preempt count).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn rcu_preempt_depth<A: Arch>() -> u32 {
    #[cfg(feature = "preempt")]
    {
        A::current_task().rcu_read_lock_nesting_cell().get()
    }
    #[cfg(not(feature = "preempt"))]
    {
        0
    }
}

/// Tells RCU that this cpu is switching away from `outgoing`: a quiescent state for the cpu,
/// and, if `outgoing` is inside a read-side section, a reader the next grace period must wait
/// for. The kernel's scheduler calls it on every task switch, before the switch.
///
/// # Context
/// Never sleeps; the scheduler, interrupts masked, on the cpu `outgoing` runs on.
pub fn rcu_note_context_switch<A: Arch>(outgoing: &TaskContext) {
    let rcu = &A::machine_state().rcu;
    if outgoing.rcu_read_lock_nesting_cell().get() != 0
        && outgoing.rcu_blocked_phase_cell().get() == 0
    {
        let phase = rcu.phase.load(Ordering::SeqCst);
        rcu.blocked[phase].fetch_add(1, Ordering::SeqCst);
        outgoing.rcu_blocked_phase_cell().set(phase as u8 + 1);
    }
    let cpu = &rcu.cpus[A::cpu_id() as usize].0;
    cpu.known.store(true, Ordering::Relaxed);
    cpu.switches.fetch_add(1, Ordering::SeqCst);
}

/// Tells RCU that this cpu is about to wait idle: it runs no reader until [`rcu_idle_exit`].
///
/// # Context
/// Never sleeps; the idle task, interrupts masked, right before the wait.
pub fn rcu_idle_enter<A: Arch>() {
    let cpu = &A::machine_state().rcu.cpus[A::cpu_id() as usize].0;
    cpu.known.store(true, Ordering::Relaxed);
    cpu.idle.store(true, Ordering::SeqCst);
}

/// Tells RCU that this cpu left its idle wait.
///
/// # Context
/// Never sleeps; the idle task after the wait (an interrupt handler that runs readers during
/// the wait must call it first; the bundled kernels run none).
pub fn rcu_idle_exit<A: Arch>() {
    let cpu = &A::machine_state().rcu.cpus[A::cpu_id() as usize].0;
    cpu.switches.fetch_add(1, Ordering::SeqCst);
    cpu.idle.store(false, Ordering::SeqCst);
}

/// Waits until every RCU reader that had started when it was called has finished. `wait` is
/// how the caller gives up its cpu while waiting (the kernel's yield or a short sleep); it is
/// called repeatedly until the grace period ends.
///
/// # Context
/// Sleeps (through `wait`); task context, outside any read-side section, with no spinlock held
/// and interrupts enabled (`might_sleep()` reports otherwise). Concurrent callers each wait for
/// a full grace period.
#[track_caller]
pub fn synchronize_rcu<A: Arch>(mut wait: impl FnMut()) {
    crate::might_sleep::might_sleep::<A>();
    let rcu = &A::machine_state().rcu;
    while rcu
        .gp_busy
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        wait();
    }
    // 1. Every other known cpu passes a quiescent state. The caller's own cpu is in one now.
    let me = A::cpu_id() as usize;
    let mut seen = [0u64; MAX_CPUS];
    for (snapshot, cpu) in seen.iter_mut().zip(rcu.cpus.iter()) {
        *snapshot = cpu.0.switches.load(Ordering::SeqCst);
    }
    for (index, cpu) in rcu.cpus.iter().enumerate() {
        let cpu = &cpu.0;
        if index == me {
            continue;
        }
        while cpu.known.load(Ordering::Relaxed)
            && !cpu.idle.load(Ordering::SeqCst)
            && cpu.switches.load(Ordering::SeqCst) == seen[index]
        {
            wait();
        }
    }
    // 2. Readers switched out before now were counted in the old phase: drain it.
    let old = rcu.phase.fetch_xor(1, Ordering::SeqCst);
    while rcu.blocked[old].load(Ordering::SeqCst) != 0 {
        wait();
    }
    rcu.gp_busy.store(false, Ordering::Release);
}

/// Keeps an RCU read-side critical section open until dropped.
///
/// # Context
/// Never sleeps to create; dropping it is [`rcu_read_unlock`].
#[must_use = "the read-side section ends when the guard is dropped"]
pub struct RcuReadGuard<A: Arch> {
    _arch: core::marker::PhantomData<A>,
    // A reader belongs to its task: the guard must stay on this thread.
    _not_send: core::marker::PhantomData<*const ()>,
}

impl<A: Arch> RcuReadGuard<A> {
    /// Enters a read-side section and returns the guard that leaves it.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    #[track_caller]
    pub fn lock() -> Self {
        rcu_read_lock::<A>();
        Self {
            _arch: core::marker::PhantomData,
            _not_send: core::marker::PhantomData,
        }
    }
}

impl<A: Arch> Drop for RcuReadGuard<A> {
    #[inline(always)]
    fn drop(&mut self) {
        rcu_read_unlock::<A>();
    }
}
