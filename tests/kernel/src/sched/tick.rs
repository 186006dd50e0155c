//! The timer tick: time slices, hardirq work for the tests, and the statistics of involuntary
//! switches.
//!
//! Every cpu runs a one-shot timer that its arch re-arms from the handler
//! ([`SchedHooks::arm_tick`]) with the current period, so a new rate set by a test reaches
//! every cpu within one old period. Each tick, in hard interrupt context:
//! - counts down the running task's slice; when it is used up and some task waits in this
//!   cpu's run queue, sets need-resched (the return from the interrupt then preempts with `preempt`, and
//!   the next explicit scheduling point switches without it);
//! - runs the function a test queued for this cpu with [`run_in_hardirq`] (which may raise
//!   softirqs: they run at the exit of the interrupt).

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use mightfault_core::{irq_enter, irq_exit, Arch, PreemptCountStore};

use super::hooks::SchedHooks;
use super::runqueue::CPUS;
use super::switch::{current_task, this_cpu};
use super::MAX_CPUS;

/// The tick rate at boot: 100 Hz, Linux's common HZ.
const DEFAULT_TICK_HZ: u32 = 100;
/// Ticks a task runs before a waiting task may take its cpu, at boot.
const DEFAULT_SLICE_TICKS: u32 = 3;

static TICK_PERIOD_NS: AtomicU64 = AtomicU64::new(1_000_000_000 / DEFAULT_TICK_HZ as u64);
static SLICE_TICKS: AtomicU32 = AtomicU32::new(DEFAULT_SLICE_TICKS);

/// Tasks preempted on the return from an interrupt (Linux's involuntary switches).
pub(super) static PREEMPTIONS: AtomicU64 = AtomicU64::new(0);
/// Times a task resumed on another cpu than the one it last ran on.
pub(super) static MIGRATIONS: AtomicU64 = AtomicU64::new(0);

/// One queued hardirq call per cpu: the function (as an address, 0 = none) and its argument.
struct HardirqWork {
    func: AtomicUsize,
    arg: AtomicUsize,
    done: AtomicU64,
}

static HARDIRQ_WORK: [HardirqWork; MAX_CPUS] = [const {
    HardirqWork {
        func: AtomicUsize::new(0),
        arg: AtomicUsize::new(0),
        done: AtomicU64::new(0),
    }
}; MAX_CPUS];

/// Sets the tick rate of every cpu (each picks it up at its next tick).
///
/// # Context
/// Never sleeps; any context. `hz` is clamped to 10..=10000.
pub fn set_tick_hz(hz: u32) {
    let hz = hz.clamp(10, 10_000);
    TICK_PERIOD_NS.store(1_000_000_000 / u64::from(hz), Ordering::Relaxed);
}

/// Sets how many ticks a task runs before a waiting task may take its cpu.
///
/// # Context
/// Never sleeps; any context. At least 1.
pub fn set_time_slice_ticks(ticks: u32) {
    SLICE_TICKS.store(ticks.max(1), Ordering::Relaxed);
}

/// The current tick period in nanoseconds.
///
/// # Context
/// Never sleeps; any context.
pub fn tick_period_ns() -> u64 {
    TICK_PERIOD_NS.load(Ordering::Relaxed)
}

/// Involuntary switches (preemptions on interrupt return) and migrations since boot.
///
/// # Context
/// Never sleeps; any context.
pub fn switch_stats() -> (u64, u64) {
    (
        PREEMPTIONS.load(Ordering::Relaxed),
        MIGRATIONS.load(Ordering::Relaxed),
    )
}

/// Runs `func(arg)` in hard interrupt context on this cpu at its next tick, and returns whether
/// it ran within a second (a cpu whose tick is dead fails instead of hanging). The caller must
/// leave interrupts enabled (it spins; a preempted caller still waits for the cpu it asked).
///
/// # Context
/// Does not sleep (it spins with interrupts enabled); task context.
pub fn run_in_hardirq<H: SchedHooks>(func: fn(usize), arg: usize) -> bool {
    let flags = mightfault_core::local_irq_save::<H>();
    let cpu = this_cpu::<H>();
    let work = &HARDIRQ_WORK[cpu];
    let before = work.done.load(Ordering::Acquire);
    work.arg.store(arg, Ordering::Relaxed);
    work.func.store(func as usize, Ordering::Release);
    mightfault_core::local_irq_restore::<H>(flags);
    let deadline = H::now_ns().saturating_add(1_000_000_000);
    while work.done.load(Ordering::Acquire) == before {
        // Withdraw the request so that a late tick does not run it after the caller left; if
        // a tick already took it, it is running: wait for it.
        if H::now_ns() > deadline && work.func.swap(0, Ordering::AcqRel) != 0 {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

/// The tick: called by the arch's timer handler after it acknowledged the timer, interrupts
/// masked. Enters and leaves hardirq context itself (softirqs run at its exit) and re-arms the
/// timer. The arch then calls [`super::irq_return`] before restoring the interrupted state.
///
/// # Context
/// Hard interrupt entry, interrupts masked.
pub fn timer_interrupt<H: SchedHooks>() {
    irq_enter::<H>();
    let cpu = this_cpu::<H>();
    account_slice::<H>(cpu);
    let work = &HARDIRQ_WORK[cpu];
    let func = work.func.swap(0, Ordering::Acquire);
    if func != 0 {
        // SAFETY: the only non-zero values stored are `fn(usize)` pointers (run_in_hardirq).
        let func: fn(usize) = unsafe { core::mem::transmute::<usize, fn(usize)>(func) };
        func(work.arg.load(Ordering::Relaxed));
        work.done.fetch_add(1, Ordering::Release);
    }
    H::arm_tick(tick_period_ns());
    irq_exit::<H>();
}

fn account_slice<H: SchedHooks>(cpu: usize) {
    let sched = &CPUS[cpu];
    if current_task::<H>().is_idle() {
        return;
    }
    let used = sched.slice_used.get() + 1;
    sched.slice_used.set(used);
    if used >= SLICE_TICKS.load(Ordering::Relaxed) && !sched.queue.lock().is_empty() {
        <H as Arch>::PreemptCount::set_need_resched();
    }
}
