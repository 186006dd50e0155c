//! The host scheduler reports a task that gives up its cpu with a nonzero preempt count, in the
//! bare-metal scheduler's words (`BUG: scheduling while atomic: <comm>/<pid>/<count>`), and
//! clears the count, in both placements: the task resumes with count 0 (per-task count) and the
//! task that runs on the cpu it left does not inherit it (per-cpu count).
//!
//! The count is raised through the store itself, not through `preempt_disable()`, so that these
//! tests hold in every configuration (without `preempt-count`, `preempt_disable()` changes
//! nothing, but the scheduler's check is still there).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use mightfault_core::preempt_count::{HARDIRQ_OFFSET, PREEMPT_OFFSET};
use mightfault_core::{Arch, PreemptCountStore};
use mightfault_test_kernel::host::{CountPlacement, Host, Machine, MachineConfig, PerCpu, PerTask};

type Count<P> = <Host<P> as Arch>::PreemptCount;

const BUG: &str = "BUG: scheduling while atomic: ";
const UNSEEN: u32 = u32::MAX;

fn two_cpus() -> &'static Machine {
    Machine::new(MachineConfig {
        cpus: 2,
        seed: 1,
        echo_console: false,
    })
}

/// What happened when task `atomic` (pid 1) slept with `raised` added to its count and resumed
/// on the other cpu: its count after it resumed, the count task `other` saw on the cpu
/// `atomic` had left, and the console.
struct SleptAtomic {
    count_after: u32,
    count_seen_by_other: u32,
    console: String,
}

fn sleep_with_count<P: CountPlacement>(raised: u32) -> SleptAtomic {
    let machine = two_cpus();
    let seen_by_other = Arc::new(AtomicU32::new(UNSEEN));
    let slot = Arc::clone(&seen_by_other);
    let count_after = machine.run("atomic", move || {
        let cpu = Host::<P>::cpu_id();
        Count::<P>::add(raised);
        Machine::current().sleep_while_other_runs(
            move || slot.store(Count::<P>::count(), Ordering::Relaxed),
            "other",
            (cpu + 1) % 2,
        );
        Count::<P>::count()
    });
    SleptAtomic {
        count_after,
        count_seen_by_other: seen_by_other.load(Ordering::Relaxed),
        console: machine.console_text(),
    }
}

fn assert_reported_and_cleared(run: &SleptAtomic, expected_line: &str) {
    assert_eq!(run.console.matches(BUG).count(), 1, "{}", run.console);
    assert!(
        run.console.contains(expected_line),
        "expected `{expected_line}` in:\n{}",
        run.console
    );
    assert_eq!(
        run.count_after, 0,
        "the sleeping task kept its count:\n{}",
        run.console
    );
    assert_eq!(
        run.count_seen_by_other, 0,
        "the next task on the old cpu inherited the count:\n{}",
        run.console
    );
}

#[test]
fn sleeping_atomic_is_reported_and_cleared_with_per_cpu_count() {
    let run = sleep_with_count::<PerCpu>(2 * PREEMPT_OFFSET);
    assert_reported_and_cleared(&run, "BUG: scheduling while atomic: atomic/1/0x00000002\n");
}

#[test]
fn sleeping_atomic_is_reported_and_cleared_with_per_task_count() {
    let run = sleep_with_count::<PerTask>(HARDIRQ_OFFSET + PREEMPT_OFFSET);
    assert_reported_and_cleared(&run, "BUG: scheduling while atomic: atomic/1/0x00010001\n");
}

#[test]
fn sleeping_with_count_zero_is_not_reported() {
    for run in [
        sleep_with_count::<PerCpu>(0),
        sleep_with_count::<PerTask>(0),
    ] {
        assert!(!run.console.contains(BUG), "{}", run.console);
        assert_eq!((run.count_after, run.count_seen_by_other), (0, 0));
    }
}

/// Task `child` (pid 2) raises its count by one and exits on the cpu its parent left; the
/// parent then resumes on that same cpu. Returns the parent's count there and the console.
fn exit_with_count<P: CountPlacement>() -> (u32, String) {
    let machine = two_cpus();
    let count_after = machine.run("parent", || {
        let cpu = Host::<P>::cpu_id();
        Machine::current().sleep_while_other_runs(|| Count::<P>::add(PREEMPT_OFFSET), "child", cpu);
        Count::<P>::count()
    });
    (count_after, machine.console_text())
}

#[test]
fn exiting_atomic_is_reported_and_leaves_no_count_behind() {
    for (count_after, console) in [exit_with_count::<PerCpu>(), exit_with_count::<PerTask>()] {
        assert_eq!(console.matches(BUG).count(), 1, "{console}");
        assert!(
            console.contains("BUG: scheduling while atomic: child/2/0x00000001\n"),
            "{console}"
        );
        assert_eq!(count_after, 0, "{console}");
    }
}
