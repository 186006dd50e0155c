//! The sleeping-function report from each atomic context: hardirq, softirq, RCU reader and
//! irqs off, with the fields Linux prints; and softirqs deferred by local_bh_disable().

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use mightfault_core::softirq::{open_softirq, raise_softirq_irqoff, Softirq};
use mightfault_core::{
    config, in_hardirq, in_interrupt, in_serving_softirq, in_softirq, in_task, local_bh_disable,
    local_bh_enable, local_irq_restore, local_irq_save, might_sleep, preempt_count,
    rcu_preempt_depth, rcu_read_lock, rcu_read_unlock,
};

use super::{count_reports, wait_until, NO_DEBUG};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::support::{captured, check, Line};

/// What a handler saw of its context: bit flags plus the preempt count.
static SEEN_FLAGS: AtomicU32 = AtomicU32::new(0);
static SEEN_COUNT: AtomicU32 = AtomicU32::new(0);
static SOFTIRQ_RAN: AtomicBool = AtomicBool::new(false);
/// Whether the tasklet softirq handler calls might_sleep() (the bh case only records).
static SOFTIRQ_SLEEPS: AtomicBool = AtomicBool::new(false);

const SAW_HARDIRQ: u32 = 1 << 0;
const SAW_INTERRUPT: u32 = 1 << 1;
const SAW_TASK: u32 = 1 << 2;
const SAW_SERVING_SOFTIRQ: u32 = 1 << 3;
const SAW_SOFTIRQ: u32 = 1 << 4;
const SAW_IRQS_OFF: u32 = 1 << 5;

fn record_context<M: ContextMachine>() {
    let mut flags = 0;
    for (bit, holds) in [
        (SAW_HARDIRQ, in_hardirq::<M>()),
        (SAW_INTERRUPT, in_interrupt::<M>()),
        (SAW_TASK, in_task::<M>()),
        (SAW_SERVING_SOFTIRQ, in_serving_softirq::<M>()),
        (SAW_SOFTIRQ, in_softirq::<M>()),
        (SAW_IRQS_OFF, M::irqs_disabled()),
    ] {
        if holds {
            flags |= bit;
        }
    }
    SEEN_FLAGS.store(flags, Ordering::SeqCst);
    SEEN_COUNT.store(preempt_count::<M>(), Ordering::SeqCst);
}

fn hardirq_sleeps<M: ContextMachine>(_: usize) {
    record_context::<M>();
    might_sleep::<M>();
}

/// Checks the captured text holds exactly one sleeping-function report with these fields.
fn one_report_with<M: ContextMachine>(
    text: &str,
    in_atomic: u8,
    irqs_disabled: u8,
    count: u32,
    rcu_depth: u32,
) -> Outcome {
    check!(
        M,
        count_reports(text) == 1,
        "expected one report:\n{}",
        text
    );
    let fields = Line::<96>::format(format_args!(
        "in_atomic(): {in_atomic}, irqs_disabled(): {irqs_disabled}, non_block: 0, pid: "
    ));
    check!(
        M,
        text.contains(fields.as_str()),
        "expected `{}`:\n{}",
        fields.as_str(),
        text
    );
    let count_line = Line::<64>::format(format_args!("preempt_count: {count:x}, expected: 0\n"));
    check!(
        M,
        text.contains(count_line.as_str()),
        "expected `{}`:\n{}",
        count_line.as_str(),
        text
    );
    if config::PREEMPT {
        let rcu_line =
            Line::<64>::format(format_args!("RCU nest depth: {rcu_depth}, expected: 0\n"));
        check!(
            M,
            text.contains(rcu_line.as_str()),
            "expected `{}`:\n{}",
            rcu_line.as_str(),
            text
        );
    }
    check!(
        M,
        text.contains(file!()),
        "the report must name this file:\n{}",
        text
    );
    Outcome::Pass
}

pub(super) fn might_sleep_in_hardirq_reports<M: ContextMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return NO_DEBUG;
    }
    let ran = M::run_in_hardirq(hardirq_sleeps::<M>, 0);
    let flags = SEEN_FLAGS.load(Ordering::SeqCst);
    let text_outcome = captured::<M, _>(|text| one_report_with::<M>(text, 1, 1, 0x10000, 0));
    check!(M, ran, "no interrupt ran the handler");
    check!(
        M,
        flags == SAW_HARDIRQ | SAW_INTERRUPT | SAW_IRQS_OFF,
        "in the handler: in_hardirq, in_interrupt and irqs off only; saw {:#x}",
        flags
    );
    check!(
        M,
        SEEN_COUNT.load(Ordering::SeqCst) == 0x10000,
        "preempt_count in the handler {:#x}",
        SEEN_COUNT.load(Ordering::SeqCst)
    );
    text_outcome
}

fn tasklet_handler<M: ContextMachine>() {
    record_context::<M>();
    if SOFTIRQ_SLEEPS.load(Ordering::SeqCst) {
        might_sleep::<M>();
    }
    SOFTIRQ_RAN.store(true, Ordering::SeqCst);
}

fn hardirq_raises_tasklet<M: ContextMachine>(_: usize) {
    raise_softirq_irqoff::<M>(Softirq::Tasklet);
}

pub(super) fn might_sleep_in_softirq_reports<M: ContextMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return NO_DEBUG;
    }
    open_softirq::<M>(Softirq::Tasklet, tasklet_handler::<M>);
    SOFTIRQ_RAN.store(false, Ordering::SeqCst);
    SOFTIRQ_SLEEPS.store(true, Ordering::SeqCst);
    let interrupted = M::run_in_hardirq(hardirq_raises_tasklet::<M>, 0);
    let ran = interrupted && wait_until::<M>(|| SOFTIRQ_RAN.load(Ordering::SeqCst));
    SOFTIRQ_SLEEPS.store(false, Ordering::SeqCst);
    let text_outcome = captured::<M, _>(|text| one_report_with::<M>(text, 1, 0, 0x100, 0));
    check!(M, ran, "the raised softirq never ran");
    let flags = SEEN_FLAGS.load(Ordering::SeqCst);
    check!(
        M,
        flags == SAW_INTERRUPT | SAW_SERVING_SOFTIRQ | SAW_SOFTIRQ,
        "in the softirq: in_interrupt, in_serving_softirq, in_softirq only; saw {:#x}",
        flags
    );
    text_outcome
}

pub(super) fn softirq_waits_for_bh_enable<M: ContextMachine>() -> Outcome {
    open_softirq::<M>(Softirq::Tasklet, tasklet_handler::<M>);
    SOFTIRQ_RAN.store(false, Ordering::SeqCst);
    local_bh_disable::<M>();
    let interrupted = M::run_in_hardirq(hardirq_raises_tasklet::<M>, 0);
    // Bottom halves are off and this task cannot leave its cpu: the interrupt's exit must
    // have left the softirq pending.
    let ran_early = SOFTIRQ_RAN.load(Ordering::SeqCst);
    local_bh_enable::<M>();
    let ran_at_enable = SOFTIRQ_RAN.load(Ordering::SeqCst);
    captured::<M, _>(|_| ());
    check!(M, interrupted, "no interrupt ran the handler");
    check!(
        M,
        !ran_early,
        "the softirq ran while bottom halves were disabled"
    );
    check!(
        M,
        ran_at_enable,
        "local_bh_enable() did not run the pending softirq"
    );
    check!(
        M,
        SEEN_FLAGS.load(Ordering::SeqCst) & SAW_SERVING_SOFTIRQ != 0,
        "the handler did not run as a softirq"
    );
    Outcome::Pass
}

pub(super) fn might_sleep_in_rcu_reader_reports<M: ContextMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return NO_DEBUG;
    }
    rcu_read_lock::<M>();
    let depth = rcu_preempt_depth::<M>();
    might_sleep::<M>();
    rcu_read_unlock::<M>();
    // With preempt, a reader is seen by its depth; without, by the preempt count it raises.
    let (in_atomic, count, rcu) = if config::PREEMPT {
        (0, 0, 1)
    } else {
        (1, 1, 0)
    };
    let outcome = captured::<M, _>(|text| one_report_with::<M>(text, in_atomic, 0, count, rcu));
    check!(
        M,
        depth == rcu,
        "rcu_preempt_depth() in the reader: {}",
        depth
    );
    outcome
}

pub(super) fn might_sleep_irqs_off_reports<M: ContextMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return NO_DEBUG;
    }
    let flags = local_irq_save::<M>();
    might_sleep::<M>();
    local_irq_restore::<M>(flags);
    captured::<M, _>(|text| one_report_with::<M>(text, 0, 1, 0, 0))
}
