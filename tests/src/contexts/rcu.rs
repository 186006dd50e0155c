//! RCU: synchronize_rcu() waits for readers, preempted ones included.

use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::{rcu_read_lock, rcu_read_unlock};

use super::{spin_for, wait_until, with_fast_tick, ATOMIC_SPIN_NS, FAST_TICK_HZ, FINISHED};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::support::{captured, check};

static READER_IN: AtomicBool = AtomicBool::new(false);
static READER_OUT: AtomicBool = AtomicBool::new(false);

fn reader<M: ContextMachine>(_: usize) {
    rcu_read_lock::<M>();
    READER_IN.store(true, Ordering::SeqCst);
    // Long enough for the updater to start its grace period, and (with preempt) for this
    // reader to be preempted inside its section.
    spin_for::<M>(ATOMIC_SPIN_NS);
    READER_OUT.store(true, Ordering::SeqCst);
    rcu_read_unlock::<M>();
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

pub(super) fn synchronize_rcu_waits_for_readers<M: ContextMachine>() -> Outcome {
    let cpus = M::nr_cpus();
    for reader_cpu in [M::cpu_id(), (M::cpu_id() + 1) % cpus] {
        READER_IN.store(false, Ordering::SeqCst);
        READER_OUT.store(false, Ordering::SeqCst);
        FINISHED.store(0, Ordering::SeqCst);
        let waited = with_fast_tick::<M, _>(FAST_TICK_HZ, || {
            M::spawn("ctx/reader", reader::<M>, 0, reader_cpu, true);
            let started = wait_until::<M>(|| READER_IN.load(Ordering::SeqCst));
            M::synchronize_rcu();
            let out = READER_OUT.load(Ordering::SeqCst);
            let finished = wait_until::<M>(|| FINISHED.load(Ordering::SeqCst) == 1);
            started && finished && out
        });
        check!(
            M,
            waited,
            "synchronize_rcu() returned before the reader on cpu {} finished",
            reader_cpu
        );
    }
    // With no reader at all it returns too.
    M::synchronize_rcu();
    captured::<M, _>(|_| ());
    Outcome::Pass
}
