//! The suites on the simulated host machine: both preempt-count placements, two and four cpus,
//! several scheduler seeds. Run with `--nocapture` to see the KTAP.

use std::sync::Mutex;

use mightfault_core::config;
use mightfault_test_kernel::host::{HostPerCpu, HostPerTask, Machine, MachineConfig};
use mightfault_tests::{run_all, ContextMachine};

const SEED_CASES: [&str; 11] = [
    "spinlock_copy_to_user_warns",
    "pagefault_disabled_copy_is_silent",
    "spinlock_pagefault_disabled_is_silent",
    "atomic_fault_fixup_warns_once",
    "sleepable_fault_resolves",
    "bad_address_efault",
    "partial_copy_exact",
    "pagefault_counter_follows_task",
    "legacy_regression_silent",
    "lock_migration_deadlock",
    "debug_preempt_underflow",
];

/// Whether SCENARIOS.md runs `case` in this build's configuration (otherwise it must be
/// reported as skipped).
fn applies(case: &str) -> bool {
    match case {
        "spinlock_copy_to_user_warns" => config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT,
        "spinlock_pagefault_disabled_is_silent" => config::DEBUG_ATOMIC_SLEEP,
        "atomic_fault_fixup_warns_once" => config::PREEMPT_COUNT,
        "legacy_regression_silent" => config::LEGACY_MIGHT_FAULT,
        "lock_migration_deadlock" => !config::PREEMPT_COUNT,
        "debug_preempt_underflow" => config::DEBUG_PREEMPT,
        _ => true,
    }
}

/// One machine at a time: the suites keep their cases' state in statics (as a kernel image
/// does), which machines running side by side in this process would share.
static ONE_MACHINE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run_on<M: ContextMachine>(cpus: u32, seed: u64) -> String {
    let _alone = ONE_MACHINE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let machine = Machine::new(MachineConfig {
        cpus,
        seed,
        echo_console: false,
    });
    let passed = machine.run("seed", run_all::<M>);
    let log = machine.console_text();
    println!("{log}");
    assert!(
        passed,
        "a case failed on {} with {} cpus (seed {}):\n{}",
        M::NAME,
        cpus,
        seed,
        log
    );
    log
}

fn assert_seed_results(log: &str) {
    assert!(!log.contains("not ok"), "{log}");
    assert!(
        log.contains("    1..11\n"),
        "the seed suite must plan 11 cases"
    );
    for (index, case) in SEED_CASES.iter().enumerate() {
        let line = format!("    ok {} {}", index + 1, case);
        let found = log
            .lines()
            .find(|l| *l == line || l.starts_with(&format!("{line} # SKIP ")))
            .unwrap_or_else(|| panic!("no result line for {case}:\n{log}"));
        let skipped = found.contains(" # SKIP ");
        assert_eq!(
            skipped,
            !applies(case),
            "{case} in configuration {}: {found}",
            config::name()
        );
    }
    assert!(log.contains("ok 1 seed\n") && log.contains("ok 2 uaccess\n"));
    assert!(log.contains("ok 3 contexts\n"), "{log}");
}

#[test]
fn suites_pass_with_per_cpu_count_on_two_cpus() {
    assert_seed_results(&run_on::<HostPerCpu>(2, 1));
}

#[test]
fn suites_pass_with_per_task_count_on_two_cpus() {
    assert_seed_results(&run_on::<HostPerTask>(2, 1));
}

#[test]
fn suites_pass_on_four_cpus_across_scheduler_seeds() {
    for seed in [2, 3, 0xdead_beef] {
        assert_seed_results(&run_on::<HostPerCpu>(4, seed));
        assert_seed_results(&run_on::<HostPerTask>(4, seed));
    }
}

#[test]
fn the_report_is_linux_format_byte_for_byte() {
    if !config::DEBUG_ATOMIC_SLEEP || config::LEGACY_MIGHT_FAULT {
        return;
    }
    let log = run_on::<HostPerCpu>(2, 1);
    let start = log
        .find("BUG: sleeping function called from invalid context at tests/src/seed.rs:")
        .expect("the seed case prints a report naming its own file");
    let report: Vec<&str> = log[start..].lines().take(9).collect();
    assert_eq!(
        report[1],
        "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1, name: seed"
    );
    assert_eq!(report[2], "preempt_count: 1, expected: 0");
    // Linux prints the RCU nesting depth right after the count when readers are preemptible
    // (CONFIG_PREEMPT_RCU, here `preempt`); every line after it moves down by one.
    let mut line = 3;
    if config::PREEMPT {
        assert_eq!(report[3], "RCU nest depth: 0, expected: 0");
        line = 4;
    }
    assert_eq!(report[line], "1 lock held by seed/1:");
    assert!(
        report[line + 1].contains("(seed_lock), at: tests/src/seed.rs:"),
        "{}",
        report[line + 1]
    );
    // Linux's print_preempt_disable_ip() (CONFIG_DEBUG_PREEMPT), after the held locks: where
    // the count was raised from 0, here the spin_lock() the lock line names.
    let mut rest = line + 2;
    if config::DEBUG_PREEMPT {
        let lock_site = report[line + 1].rsplit("at: ").next().unwrap_or_default();
        assert_eq!(report[line + 2], "Preemption disabled at:");
        assert_eq!(report[line + 3], lock_site);
        rest = line + 4;
    }
    assert!(report[rest].starts_with("CPU: "), "{}", report[rest]);
}
