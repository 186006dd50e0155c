//! "BUG: scheduling while atomic": the check every switch away from a task makes, as the
//! bare-metal scheduler's `schedule()` does (and Linux's `schedule_debug()`).
//!
//! A task that gives up its cpu with a nonzero preempt count is reported as
//! `BUG: scheduling while atomic: <comm>/<pid>/<count>` and the count is cleared, so that the
//! next task on that cpu (per-cpu count) or the task itself when it resumes (per-task count)
//! does not run atomic by inheritance.
//!
//! The simulated machine holds both placements of the count at once (a word per cpu and a word
//! per task), and a run uses only one of them, through `HostPerCpu` or `HostPerTask`; the other
//! stays 0. The scheduler does not know which one its caller uses, so it checks both, each
//! through its own store.

use mightfault_core::{Arch, PreemptCountStore};

use super::placement::{HostPerCpu, HostPerTask};

/// Reports and clears a nonzero preempt count of the running task, in either placement.
///
/// # Context
/// Never sleeps; the scheduler calls it on the running task's thread, just before that task
/// passes the baton on.
pub(crate) fn check_switch_away() {
    check_store::<HostPerCpu>();
    check_store::<HostPerTask>();
}

fn check_store<A: Arch>() {
    let count = mightfault_core::preempt_count::<A>();
    if count == 0 {
        return;
    }
    mightfault_core::schedule_bug::report_scheduling_while_atomic::<A>(count);
    <A::PreemptCount as PreemptCountStore>::sub(count);
}
