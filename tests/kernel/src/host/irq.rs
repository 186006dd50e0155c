//! Simulated interrupts: a timer tick that arrives at points the seed chooses.
//!
//! Real hardware can interrupt a task wherever it runs with interrupts enabled. The simulation
//! has no instruction stream to interrupt, so it offers the interrupt at the points the host
//! machine passes through often ([`opportunity`]): every `cpu_relax()`, every
//! `local_irq_restore()`/`local_irq_enable()` that unmasks, and every page of a user access.
//! At each one a seeded generator decides, at the rate `set_tick` configured, whether the
//! interrupt arrives. One that arrives on a cpu with interrupts enabled, outside another
//! interrupt on that cpu, is delivered as the bare-metal timer interrupt is:
//!
//! 1. interrupts masked, `irq_enter()`;
//! 2. the tick: the running task's time slice is counted down, and when it is used up while
//!    another task waits, need-resched is set; a function queued by `run_in_hardirq` for this
//!    cpu runs; the machine's interrupt handler (a test's, if set) runs;
//! 3. `irq_exit()`, which runs the softirqs raised meanwhile;
//! 4. the interrupt return: when `preemptible_on_irq_return()` says so (with `preempt`, count
//!    0, need-resched set), the task is preempted: it is queued on another cpu the scheduler
//!    draws from the seed (unless pinned) and the next runnable task runs; it resumes later
//!    there, with interrupts enabled as the return restores them.
//!
//! Nothing is delivered while interrupts are masked, inside another delivery on the same cpu
//! (softirqs unmask interrupts while they run), or inside the scheduler (it calls none of the
//! hooks that offer one). A machine starts with the rate at 0, so host tests that do not ask
//! for interrupts run exactly as before.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use mightfault_core::{
    hardirqs_off_on_entry, hardirqs_restore_on_exit, irq_enter, irq_exit,
    preemptible_on_irq_return, Arch, PreemptCountStore,
};

use super::clock::RELAX_NS;
use super::machine::{current, Machine};
use super::placement::{CountPlacement, Host};
use super::sched::SimTask;

/// The rate is a chance per opportunity, in millionths.
const PER_MILLION: u32 = 1_000_000;

/// The interrupt half of a simulated machine.
pub(crate) struct IrqSim {
    /// Chance per opportunity that an interrupt arrives, in millionths (0: never).
    rate: AtomicU32,
    /// Ticks a task runs before a waiting task may take its cpu.
    slice_ticks: AtomicU32,
    rng: AtomicU64,
    /// A test's handler, run in hardirq context at every interrupt (a `fn()` as an address,
    /// 0: none).
    handler: AtomicUsize,
    delivered: AtomicU64,
}

impl IrqSim {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rate: AtomicU32::new(0),
            slice_ticks: AtomicU32::new(3),
            rng: AtomicU64::new(mix(seed)),
            handler: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
        }
    }

    /// Sets the rate from a tick frequency: every opportunity stands for one `cpu_relax()`
    /// of simulated time on every cpu (the simulation runs its cpus one at a time, so one
    /// simulated second holds a second of each cpu's ticks, as on a machine whose cpus run
    /// side by side): `hz` × `nr_cpus` interrupts per simulated second of spinning, at most
    /// one per opportunity; 0 stops them.
    pub(crate) fn set_tick(&self, hz: u32, slice_ticks: u32, nr_cpus: u32) {
        let per_opportunity =
            u64::from(hz) * u64::from(nr_cpus) * RELAX_NS * u64::from(PER_MILLION) / 1_000_000_000;
        self.rate.store(
            per_opportunity.min(u64::from(PER_MILLION)) as u32,
            Ordering::Relaxed,
        );
        self.slice_ticks
            .store(slice_ticks.max(1), Ordering::Relaxed);
    }

    pub(crate) fn reseed(&self, seed: u64) {
        self.rng.store(mix(seed), Ordering::Relaxed);
    }

    pub(crate) fn set_handler(&self, handler: Option<fn()>) {
        self.handler
            .store(handler.map_or(0, |f| f as usize), Ordering::Release);
    }

    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// One draw of the generator: whether an interrupt arrives now.
    fn arrives(&self) -> bool {
        let rate = self.rate.load(Ordering::Relaxed);
        if rate == 0 {
            return false;
        }
        // One task runs at a time, so a plain load and store cannot lose a draw.
        let mut x = self.rng.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.store(x, Ordering::Relaxed);
        (x % u64::from(PER_MILLION)) < u64::from(rate)
    }
}

/// A seed spread over the word (xorshift must not start at 0).
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) | 1
}

/// A point where the running task could be interrupted: an interrupt arrives if the seeded
/// generator says so, and is delivered if this cpu can take it.
///
/// # Context
/// Inside a simulated task, outside the scheduler, holding no host lock of the machine.
pub(crate) fn opportunity<A: Arch>() {
    let (machine, task) = current();
    if machine.irq().arrives() {
        deliver::<A>(machine, task);
    }
}

/// Delivers an interrupt to the running task's cpu now; false if that cpu has interrupts
/// masked or is already handling one (then nothing happens).
pub(crate) fn deliver<A: Arch>(machine: &'static Machine, task: &'static SimTask) -> bool {
    let cpu = machine.cpu(task.cpu());
    if cpu.irqs_disabled() || cpu.delivering.swap(true, Ordering::Acquire) {
        return false;
    }
    // The hardware masks interrupts on entry; the entry code records it.
    cpu.set_irqs_disabled(true);
    hardirqs_off_on_entry::<A>(true);
    irq_enter::<A>();
    machine.irq().delivered.fetch_add(1, Ordering::Relaxed);
    tick::<A>(machine, task);
    let work = cpu
        .hardirq_work
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(work) = work {
        work();
    }
    let handler = machine.irq().handler.load(Ordering::Acquire);
    if handler != 0 {
        // SAFETY: the only non-zero values stored are `fn()` pointers (`IrqSim::set_handler`).
        let handler: fn() = unsafe { core::mem::transmute::<usize, fn()>(handler) };
        handler();
    }
    irq_exit::<A>();
    // The interrupt return. The task was running with interrupts enabled (else nothing would
    // have been delivered), so that is the state the return restores.
    let preempt = preemptible_on_irq_return::<A>(true);
    cpu.delivering.store(false, Ordering::Release);
    // The return restores the interrupted state: interrupts enabled. A preempted task
    // switches out with that state and gets it back wherever it resumes.
    hardirqs_restore_on_exit::<A>(true);
    cpu.set_irqs_disabled(false);
    if preempt {
        <A::PreemptCount as PreemptCountStore>::clear_need_resched();
        machine.scheduler().requeue(task, true);
    }
    true
}

/// The tick's slice accounting: a task that used up its slice while another waits gets
/// need-resched set.
fn tick<A: Arch>(machine: &'static Machine, task: &'static SimTask) {
    let cpu = machine.cpu(task.cpu());
    let used = if cpu.slice_owner.swap(task.pid(), Ordering::Relaxed) == task.pid() {
        cpu.slice_used.fetch_add(1, Ordering::Relaxed) + 1
    } else {
        cpu.slice_used.store(1, Ordering::Relaxed);
        1
    };
    if used >= machine.irq().slice_ticks.load(Ordering::Relaxed)
        && machine.scheduler().anyone_waiting()
    {
        <A::PreemptCount as PreemptCountStore>::set_need_resched();
        cpu.slice_used.store(0, Ordering::Relaxed);
    }
}

impl<P: CountPlacement> Host<P> {
    /// Delivers a simulated interrupt to this cpu now, as if the generator had chosen this
    /// point; returns false (and does nothing) when this cpu has interrupts masked or is
    /// already in a simulated interrupt. The interrupt return may preempt the caller.
    ///
    /// # Context
    /// Inside a simulated task; may switch tasks (preemption) with `preempt`.
    pub fn interrupt_now() -> bool {
        let (machine, task) = current();
        deliver::<Self>(machine, task)
    }

    /// Runs `func` in hard interrupt context on this cpu: a simulated interrupt is delivered
    /// at once and runs it, then returns true (the interrupt may preempt the caller as any
    /// other). With interrupts masked, or inside a simulated interrupt, no interrupt can come:
    /// `func` does not run and it returns false.
    ///
    /// # Context
    /// Inside a simulated task, interrupts enabled. May switch tasks with `preempt`.
    pub fn run_in_hardirq(func: impl FnOnce() + Send + 'static) -> bool {
        let (machine, task) = current();
        let cpu = machine.cpu(task.cpu());
        let mut work = cpu
            .hardirq_work
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cpu.irqs_disabled() || cpu.delivering.load(Ordering::Relaxed) {
            return false;
        }
        *work = Some(Box::new(func));
        drop(work);
        deliver::<Self>(machine, task)
    }

    /// Linux's `cond_resched()`: when a reschedule is pending and the caller is preemptible
    /// (interrupts enabled, preempt count 0), gives up the cpu voluntarily and is queued
    /// behind the runnable tasks on a cpu the scheduler draws (its own if pinned), so it may
    /// migrate; otherwise does nothing.
    ///
    /// # Context
    /// May sleep (switch); inside a simulated task.
    pub fn cond_resched() {
        type Count<P> = <Host<P> as Arch>::PreemptCount;
        if !Count::<P>::need_resched()
            || Self::irqs_disabled()
            || mightfault_core::preempt_count::<Self>() != 0
        {
            return;
        }
        Count::<P>::clear_need_resched();
        let (machine, task) = current();
        machine.scheduler().requeue(task, false);
    }

    /// Gives the cpu to the next runnable task, if any, and clears a pending reschedule; the
    /// caller stays on its cpu.
    ///
    /// # Context
    /// May sleep (switch); inside a simulated task.
    pub fn yield_now() {
        <Self as Arch>::PreemptCount::clear_need_resched();
        let (machine, task) = current();
        machine.scheduler().yield_now(task);
    }
}
