//! Per-task state across an involuntary migration: the pagefault counter goes with the task.

use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::{config, pagefault_disable, pagefault_disabled, pagefault_enable};

use super::{wait_until, with_fast_tick, FAST_TICK_HZ, FINISHED, NO_PREEMPT, PATIENCE_NS};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::support::check;

static MOVER_DONE: AtomicBool = AtomicBool::new(false);
static MOVER_MIGRATED: AtomicBool = AtomicBool::new(false);
static MOVER_KEPT_COUNTER: AtomicBool = AtomicBool::new(true);
static BYSTANDER_SAW_LEAK: AtomicBool = AtomicBool::new(false);

fn mover<M: ContextMachine>(_: usize) {
    pagefault_disable::<M>();
    let start = M::cpu_id();
    // The next preemption queues this task on the next cpu (a directed wake-up of a preempted
    // task), so it resumes there without having slept.
    M::direct_next_wakeup((start + 1) % M::nr_cpus());
    let deadline = M::now_ns().saturating_add(PATIENCE_NS);
    // Spin preemptibly (page faults off does not disable preemption) until a preemption moves
    // this task to another cpu.
    while M::cpu_id() == start && M::now_ns() < deadline {
        if !pagefault_disabled::<M>() || M::current_task().pagefault_disable_depth() != 1 {
            MOVER_KEPT_COUNTER.store(false, Ordering::SeqCst);
        }
        M::cpu_relax();
    }
    MOVER_MIGRATED.store(M::cpu_id() != start, Ordering::SeqCst);
    if !pagefault_disabled::<M>() || M::current_task().pagefault_disable_depth() != 1 {
        MOVER_KEPT_COUNTER.store(false, Ordering::SeqCst);
    }
    pagefault_enable::<M>();
    MOVER_DONE.store(true, Ordering::SeqCst);
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

fn bystander<M: ContextMachine>(_: usize) {
    while !MOVER_DONE.load(Ordering::SeqCst) {
        if pagefault_disabled::<M>() {
            BYSTANDER_SAW_LEAK.store(true, Ordering::SeqCst);
        }
        M::cpu_relax();
    }
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

pub(super) fn pagefault_counter_follows_preempted_task<M: ContextMachine>() -> Outcome {
    if !config::PREEMPT {
        return NO_PREEMPT;
    }
    if M::nr_cpus() < 2 {
        return Outcome::Skip("needs two cpus");
    }
    MOVER_DONE.store(false, Ordering::SeqCst);
    MOVER_MIGRATED.store(false, Ordering::SeqCst);
    MOVER_KEPT_COUNTER.store(true, Ordering::SeqCst);
    BYSTANDER_SAW_LEAK.store(false, Ordering::SeqCst);
    FINISHED.store(0, Ordering::SeqCst);
    let bystanders = M::nr_cpus();
    let finished = with_fast_tick::<M, _>(FAST_TICK_HZ, || {
        M::spawn("ctx/mover", mover::<M>, 0, 0, false);
        for cpu in 0..bystanders {
            M::spawn("ctx/bystander", bystander::<M>, 0, cpu, true);
        }
        wait_until::<M>(|| FINISHED.load(Ordering::SeqCst) == bystanders + 1)
    });
    check!(M, finished, "the tasks did not finish");
    check!(
        M,
        MOVER_MIGRATED.load(Ordering::SeqCst),
        "the task was never moved"
    );
    check!(
        M,
        MOVER_KEPT_COUNTER.load(Ordering::SeqCst),
        "the moved task lost its pagefault counter"
    );
    check!(
        M,
        !BYSTANDER_SAW_LEAK.load(Ordering::SeqCst),
        "a task that ran meanwhile saw page faults disabled"
    );
    Outcome::Pass
}
