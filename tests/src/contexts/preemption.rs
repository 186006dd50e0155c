//! Preemption: a preemptible task gives way to another on its cpu; one inside an atomic
//! section does not.

use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::{
    config, local_bh_disable, local_bh_enable, local_irq_restore, local_irq_save, preempt_disable,
    preempt_enable, RawSpinLock,
};

use super::{
    spin_for, wait_until, with_fast_tick, ATOMIC_SPIN_NS, FAST_TICK_HZ, FINISHED, PATIENCE_NS,
};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::support::check;

static OTHER_RAN: AtomicBool = AtomicBool::new(false);
static SPINNER_SAW_OTHER: AtomicBool = AtomicBool::new(false);
/// Set when the other task ran while the spinner held an atomic section.
static RAN_INSIDE_SECTION: AtomicBool = AtomicBool::new(false);

const PREEMPTIBLE: usize = usize::MAX;
const SECTION_NAMES: [&str; 4] = [
    "preempt_disable",
    "spin_lock",
    "local_irq_save",
    "local_bh_disable",
];
static SECTION_LOCK: RawSpinLock = RawSpinLock::new("contexts_section_lock");

fn other_task(_: usize) {
    OTHER_RAN.store(true, Ordering::SeqCst);
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

/// Queues the other task behind the spinner on the spinner's cpu. The spinner does it itself,
/// once it runs (and, for the atomic cases, holds its section), so that the other task cannot
/// have run before.
fn spawn_other<M: ContextMachine>() {
    M::spawn("ctx/other", other_task, 0, M::cpu_id(), true);
}

fn preemptible_spinner<M: ContextMachine>(_: usize) {
    spawn_other::<M>();
    // Spin without giving the cpu away: only a preemption lets the other task run here.
    // Without preempt none comes, so a short spin shows it.
    let spin = if config::PREEMPT {
        PATIENCE_NS
    } else {
        ATOMIC_SPIN_NS
    };
    let deadline = M::now_ns().saturating_add(spin);
    while !OTHER_RAN.load(Ordering::SeqCst) && M::now_ns() < deadline {
        M::cpu_relax();
    }
    SPINNER_SAW_OTHER.store(OTHER_RAN.load(Ordering::SeqCst), Ordering::SeqCst);
    wait_until::<M>(|| OTHER_RAN.load(Ordering::SeqCst));
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

/// Spawns the spinner pinned to a cpu (it spawns the other task there) and waits for both.
fn run_pair<M: ContextMachine>(spinner: fn(usize), section: usize) -> bool {
    OTHER_RAN.store(false, Ordering::SeqCst);
    SPINNER_SAW_OTHER.store(false, Ordering::SeqCst);
    RAN_INSIDE_SECTION.store(false, Ordering::SeqCst);
    FINISHED.store(0, Ordering::SeqCst);
    let cpu = M::nr_cpus() - 1;
    M::spawn("ctx/spinner", spinner, section, cpu, true);
    wait_until::<M>(|| FINISHED.load(Ordering::SeqCst) == 2)
}

/// With `preempt` the spinner is preempted and the other task runs while it spins; without,
/// nothing preempts it (Linux without CONFIG_PREEMPT: only explicit scheduling points switch).
pub(super) fn preemptible_task_is_preempted<M: ContextMachine>() -> Outcome {
    let (before, _) = M::switch_stats();
    let finished = with_fast_tick::<M, _>(FAST_TICK_HZ, || {
        run_pair::<M>(preemptible_spinner::<M>, PREEMPTIBLE)
    });
    let (after, _) = M::switch_stats();
    check!(M, finished, "the two tasks did not finish");
    let saw_other = SPINNER_SAW_OTHER.load(Ordering::SeqCst);
    if config::PREEMPT {
        check!(
            M,
            saw_other,
            "the other task never ran on the spinning task's cpu"
        );
        check!(M, after > before, "no preemption counted");
    } else {
        check!(
            M,
            !saw_other,
            "the spinning task was preempted without preempt"
        );
        check!(
            M,
            after == before,
            "{} preemptions without preempt",
            after - before
        );
    }
    Outcome::Pass
}

/// Runs `body` inside atomic section `section` (an index into `SECTION_NAMES`).
fn in_section<M: ContextMachine>(section: usize, body: impl FnOnce()) {
    match section {
        0 => {
            preempt_disable::<M>();
            body();
            preempt_enable::<M>();
        }
        1 => {
            let guard = SECTION_LOCK.lock::<M>();
            body();
            drop(guard);
        }
        2 => {
            let flags = local_irq_save::<M>();
            body();
            local_irq_restore::<M>(flags);
        }
        _ => {
            local_bh_disable::<M>();
            body();
            local_bh_enable::<M>();
        }
    }
}

fn atomic_spinner<M: ContextMachine>(section: usize) {
    in_section::<M>(section, || {
        spawn_other::<M>();
        spin_for::<M>(ATOMIC_SPIN_NS);
        if OTHER_RAN.load(Ordering::SeqCst) {
            RAN_INSIDE_SECTION.store(true, Ordering::SeqCst);
        }
    });
    // Now the other task may run: give it the cpu until it has.
    wait_until::<M>(|| OTHER_RAN.load(Ordering::SeqCst));
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

pub(super) fn atomic_sections_are_not_preempted<M: ContextMachine>() -> Outcome {
    for (section, name) in SECTION_NAMES.iter().enumerate() {
        let finished =
            with_fast_tick::<M, _>(FAST_TICK_HZ, || run_pair::<M>(atomic_spinner::<M>, section));
        check!(M, finished, "{}: the two tasks did not finish", name);
        check!(
            M,
            !RAN_INSIDE_SECTION.load(Ordering::SeqCst),
            "{}: the other task ran on the cpu while the spinner held it",
            name
        );
    }
    Outcome::Pass
}
