//! The `contexts` suite: every atomic context Linux's sleep checker sees, produced for real on
//! each backend (a timer tick, interrupts, softirqs, RCU readers, preemption and migration),
//! and a stress run that nests them all at random on every cpu.
//!
//! Cases that need the checker (`debug-atomic-sleep`) or involuntary preemption (`preempt`)
//! say `# SKIP` with the reason in configurations without them; the rest run everywhere.

mod migration;
mod preemption;
mod rcu;
mod reports;
mod stress;
mod user_access;

use core::sync::atomic::AtomicU32;

use crate::context_machine::ContextMachine;
use crate::ktap::{Case, Outcome, Suite};
use crate::support::{count, SLEEP_BUG};

use migration::pagefault_counter_follows_preempted_task;
use preemption::{atomic_sections_are_not_preempted, preemptible_task_is_preempted};
use rcu::synchronize_rcu_waits_for_readers;
use reports::{
    might_sleep_in_hardirq_reports, might_sleep_in_rcu_reader_reports,
    might_sleep_in_softirq_reports, might_sleep_irqs_off_reports, softirq_waits_for_bh_enable,
};
use stress::stress_nested_contexts;
use user_access::{
    copy_to_user_in_hardirq_is_fixed_up, irqs_off_user_fault_reported_before_resolve,
    spinlock_kernel_address_copy_reported,
};

/// The suite, for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: ContextMachine>() -> Suite {
    Suite {
        name: "contexts",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: ContextMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "preemptible_task_is_preempted",
            run: preemptible_task_is_preempted::<M>,
        },
        Case {
            name: "atomic_sections_are_not_preempted",
            run: atomic_sections_are_not_preempted::<M>,
        },
        Case {
            name: "might_sleep_in_hardirq_reports",
            run: might_sleep_in_hardirq_reports::<M>,
        },
        Case {
            name: "might_sleep_in_softirq_reports",
            run: might_sleep_in_softirq_reports::<M>,
        },
        Case {
            name: "softirq_waits_for_bh_enable",
            run: softirq_waits_for_bh_enable::<M>,
        },
        Case {
            name: "might_sleep_in_rcu_reader_reports",
            run: might_sleep_in_rcu_reader_reports::<M>,
        },
        Case {
            name: "might_sleep_irqs_off_reports",
            run: might_sleep_irqs_off_reports::<M>,
        },
        Case {
            name: "copy_to_user_in_hardirq_is_fixed_up",
            run: copy_to_user_in_hardirq_is_fixed_up::<M>,
        },
        Case {
            name: "pagefault_counter_follows_preempted_task",
            run: pagefault_counter_follows_preempted_task::<M>,
        },
        Case {
            name: "irqs_off_user_fault_reported_before_resolve",
            run: irqs_off_user_fault_reported_before_resolve::<M>,
        },
        Case {
            name: "spinlock_kernel_address_copy_reported",
            run: spinlock_kernel_address_copy_reported::<M>,
        },
        Case {
            name: "synchronize_rcu_waits_for_readers",
            run: synchronize_rcu_waits_for_readers::<M>,
        },
        Case {
            name: "stress_nested_contexts",
            run: stress_nested_contexts::<M>,
        },
    ];
}

/// The tick the suite runs its preemption cases at, and the slice in ticks.
const FAST_TICK_HZ: u32 = 1000;
/// The tick at boot, restored after each case that speeds it up.
const BOOT_TICK_HZ: u32 = 100;
const BOOT_SLICE_TICKS: u32 = 3;
/// How long a case waits for something that must happen before it calls it a failure.
const PATIENCE_NS: u64 = 10_000_000_000;
/// How long a task spins inside an atomic section to give a tick the chance to preempt it.
const ATOMIC_SPIN_NS: u64 = 30_000_000;

const NO_DEBUG: Outcome = Outcome::Skip("needs debug-atomic-sleep");
const NO_PREEMPT: Outcome = Outcome::Skip("needs preempt (involuntary preemption)");

/// Waits, giving the cpu away, until `done()` or the patience runs out; returns `done()`.
fn wait_until<M: ContextMachine>(done: impl Fn() -> bool) -> bool {
    wait_at_most::<M>(PATIENCE_NS, done)
}

/// [`wait_until`] with a patience of `patience_ns`.
fn wait_at_most<M: ContextMachine>(patience_ns: u64, done: impl Fn() -> bool) -> bool {
    let deadline = M::now_ns().saturating_add(patience_ns);
    while !done() {
        if M::now_ns() > deadline {
            return false;
        }
        M::yield_now();
        M::cpu_relax();
    }
    true
}

/// Spins on the cpu for `ns` nanoseconds without giving it away (unless preempted).
fn spin_for<M: ContextMachine>(ns: u64) {
    let end = M::now_ns().saturating_add(ns);
    while M::now_ns() < end {
        M::cpu_relax();
    }
}

/// Runs `body` with the tick at `hz` and a one-tick slice, then restores the boot tick.
fn with_fast_tick<M: ContextMachine, R>(hz: u32, body: impl FnOnce() -> R) -> R {
    M::set_tick(hz, 1);
    let result = body();
    M::set_tick(BOOT_TICK_HZ, BOOT_SLICE_TICKS);
    result
}

/// Tasks of the current case that have finished.
static FINISHED: AtomicU32 = AtomicU32::new(0);

/// How many sleeping-function reports `text` holds.
fn count_reports(text: &str) -> usize {
    count(text, SLEEP_BUG)
}
