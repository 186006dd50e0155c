//! A sleep inside an RCU read-side critical section: a grace period (synchronize_rcu) would
//! wait for the sleeper, and under PREEMPT_RCU it is a bug even though the reader is
//! preemptible.
use mightfault_core::context::{self, MaySleep, Sleepable};
use mightfault_test_kernel::host::HostPerCpu as K;

/// A kernel function that blocks (mutex_lock, msleep, ...).
fn mutex_lock_config(cx: &mut impl MaySleep) {
    context::might_sleep(cx);
}

fn lookup_route(cx: &mut Sleepable<K>) {
    let mut reader = context::rcu_read_lock(cx);
    mutex_lock_config(&mut reader);
}

fn main() {}
