//! Running suites and printing their results as KTAP (the format of Linux's KUnit).
//!
//! The layout is KUnit's: a top-level plan of suites, each suite a nested, indented KTAP
//! document with one result line per case, then the suite's own result line.

use mightfault_core::{config, kprint, preempt_count};

use crate::machine::SeedMachine;

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Pass,
    /// A check failed (the case printed why as a `#` diagnostic).
    Fail,
    /// The case does not apply to this configuration or machine; the reason is printed.
    Skip(&'static str),
}

/// One named case.
pub struct Case {
    /// The KTAP name.
    pub name: &'static str,
    /// The case body, already instantiated for a machine.
    pub run: fn() -> Outcome,
}

/// A named list of cases.
pub struct Suite {
    /// The KTAP name.
    pub name: &'static str,
    /// The cases, in order.
    pub cases: &'static [Case],
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    skip: usize,
}

/// Runs `suites` on `M` and prints KTAP; returns whether no case failed.
///
/// # Context
/// Sleeps (cases do); process context, no locks held.
pub fn run<M: SeedMachine>(suites: &[Suite]) -> bool {
    kprint!(M, "KTAP version 1\n1..{}\n", suites.len());
    let mut total = Tally::default();
    for (index, suite) in suites.iter().enumerate() {
        let tally = run_suite::<M>(suite);
        let ok = tally.fail == 0;
        kprint!(
            M,
            "{} {} {}\n",
            if ok { "ok" } else { "not ok" },
            index + 1,
            suite.name
        );
        total.pass += tally.pass;
        total.fail += tally.fail;
        total.skip += tally.skip;
    }
    kprint!(
        M,
        "# Totals: pass:{} fail:{} skip:{} total:{}\n",
        total.pass,
        total.fail,
        total.skip,
        total.pass + total.fail + total.skip
    );
    total.fail == 0
}

fn run_suite<M: SeedMachine>(suite: &Suite) -> Tally {
    kprint!(
        M,
        "    KTAP version 1\n    # Subtest: {}\n    # machine: {}, configuration: {}, cpus: {}\n    1..{}\n",
        suite.name,
        M::NAME,
        config::name(),
        M::nr_cpus(),
        suite.cases.len()
    );
    let mut tally = Tally::default();
    for (index, case) in suite.cases.iter().enumerate() {
        let outcome = run_case::<M>(case);
        let number = index + 1;
        match outcome {
            Outcome::Pass => {
                tally.pass += 1;
                kprint!(M, "    ok {} {}\n", number, case.name);
            }
            Outcome::Fail => {
                tally.fail += 1;
                kprint!(M, "    not ok {} {}\n", number, case.name);
            }
            Outcome::Skip(reason) => {
                tally.skip += 1;
                kprint!(M, "    ok {} {} # SKIP {}\n", number, case.name, reason);
            }
        }
    }
    kprint!(
        M,
        "    # {}: pass:{} fail:{} skip:{} total:{}\n",
        suite.name,
        tally.pass,
        tally.fail,
        tally.skip,
        suite.cases.len()
    );
    tally
}

/// Runs one case with fresh report limits and an armed console capture, then checks that it
/// left the context as it found it (a case that leaks a preempt or pagefault level would
/// poison every case after it).
fn run_case<M: SeedMachine>(case: &Case) -> Outcome {
    let debug = M::debug_state();
    debug.reset_ratelimit();
    debug.reset_warn_once();
    mightfault_core::console::capture_start::<M>();
    let outcome = (case.run)();
    mightfault_core::console::capture_stop::<M, _>(|_| ());
    let leaked_preempt = preempt_count::<M>();
    let leaked_pagefault = M::current_task().pagefault_disable_depth();
    let leaked_irqs = M::irqs_disabled();
    if leaked_preempt != 0 || leaked_pagefault != 0 || leaked_irqs {
        kprint!(
            M,
            "    # {}: left preempt_count {:#x}, pagefault depth {}, irqs disabled {}\n",
            case.name,
            leaked_preempt,
            leaked_pagefault,
            leaked_irqs
        );
        return Outcome::Fail;
    }
    outcome
}
