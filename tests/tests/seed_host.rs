//! The suites on the simulated host machine: both preempt-count placements, two and four cpus,
//! several scheduler seeds. Run with `--nocapture` to see the KTAP.

use mightfault_core::config;
use mightfault_test_kernel::host::{run_suites, HostPerCpu, HostPerTask};
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

/// Runs every suite on a fresh machine (`run_suites` runs one machine at a time) and returns
/// its console text. `cargo xtask host-ktap` writes the same text without the harness's lines.
fn run_on<M: ContextMachine>(cpus: u32, seed: u64) -> String {
    let run = run_suites(cpus, seed, run_all::<M>);
    let (passed, log) = (run.passed, run.console);
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
    let report: Vec<&str> = log[start..].lines().take(16).collect();
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
    // lockdep's line: the lock's address as 16 hex digits, the usage and wait-type fields,
    // and the function that took the lock (the host names it from its debug info, without
    // the size the images print).
    let lock = report[line + 1];
    let address = lock.strip_prefix(" #0: ").unwrap_or_default();
    assert!(
        address.len() > 16 && address[..16].bytes().all(|b| b.is_ascii_hexdigit()),
        "{lock}"
    );
    assert!(
        address[16..].starts_with(
            " (seed_lock){....}-{2:2}, at: mightfault_tests::seed::copy_under_spinlock+0x"
        ),
        "{lock}"
    );
    // Linux's print_preempt_disable_ip() (CONFIG_DEBUG_PREEMPT), after the held locks: where
    // the count was raised from 0, here the spin_lock() the lock line names, as print_ip_sym()
    // prints it.
    let mut rest = line + 2;
    if config::DEBUG_PREEMPT {
        let lock_site = lock.rsplit("at: ").next().unwrap_or_default();
        assert_eq!(report[line + 2], "Preemption disabled at:");
        let ip_sym = report[line + 3];
        assert!(
            ip_sym.starts_with("[<") && ip_sym[18..].starts_with(">] "),
            "{ip_sym}"
        );
        assert_eq!(&ip_sym[21..], lock_site);
        rest = line + 4;
    }
    // dump_stack(): the CPU line (the seed case is the first report of the run: not tainted),
    // no Hardware name on the host, then the call trace from the reporter down.
    let model = if config::PREEMPT { "PREEMPT" } else { "NONE" };
    let cpu = report[rest];
    assert!(cpu.starts_with("CPU: "), "{cpu}");
    assert!(
        cpu.ends_with(&format!(
            " UID: 0 PID: 1 Comm: seed Not tainted {} #1 {model} ",
            env!("CARGO_PKG_VERSION")
        )),
        "{cpu:?}"
    );
    assert_eq!(report[rest + 1], "Call Trace:");
    let frames = &report[rest + 2..];
    assert!(
        frames[0].starts_with(" mightfault_core::might_sleep::report_sleep_in_atomic+0x"),
        "{frames:?}"
    );
    assert!(
        frames
            .iter()
            .any(|f| f.starts_with(" mightfault_tests::seed::copy_under_spinlock+0x")),
        "{frames:?}"
    );
}
