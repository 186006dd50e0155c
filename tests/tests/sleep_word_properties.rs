//! Property test of the may-not-sleep word (issue 10): for random nestings of every section
//! that forbids sleeping (preempt_disable, spin_lock, local_irq_save, local_irq_disable,
//! local_bh_disable, rcu_read_lock) and one that does not (pagefault_disable), entered and
//! left in random order while simulated interrupts arrive (and, with `preempt`, preempt and
//! migrate the task), the fast test of might_sleep() (the word is non-zero) says exactly what
//! the full decision says (`sleeping_forbidden`: in_atomic, interrupts masked, an RCU reader),
//! and both say what the sections the task holds say. Inside every interrupt handler both say
//! "forbidden".
//!
//! Without debug-atomic-sleep the word is only the preempt count: the test then checks that no
//! debug field leaks into it.

use std::cell::Cell;

use mightfault_core::{
    config, local_bh_disable, local_bh_enable, local_irq_disable, local_irq_enable,
    local_irq_restore, local_irq_save, may_not_sleep_word, pagefault_disable, pagefault_enable,
    preempt_count, preempt_disable, preempt_enable, rcu_read_lock, rcu_read_unlock,
    sleeping_forbidden, Arch, IrqFlags, RawSpinLock, SpinLockGuard,
};
use std::sync::atomic::{AtomicBool, Ordering};

use mightfault_test_kernel::host::{HostPerCpu, HostPerTask, Machine, MachineConfig};
use mightfault_tests::ContextMachine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 4_000;

static LOCK: RawSpinLock = RawSpinLock::new("word_prop_lock");
/// Tells the companion task to stop.
static STOP: AtomicBool = AtomicBool::new(false);
/// One machine at a time: the companion's flag and the handler's counter are shared.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A second task that keeps a queue non-empty, so that the tick preempts the checked task (with
/// `preempt`) and the scheduler moves it between cpus, its word going along (per task) or
/// handed over at each switch (per cpu).
fn companion<M: ContextMachine>(_: usize) {
    while !STOP.load(Ordering::SeqCst) {
        M::cpu_relax();
        M::yield_now();
    }
}

thread_local! {
    /// Interrupt handlers that found the word or the decision saying "may sleep".
    static WRONG_IN_IRQ: Cell<u32> = const { Cell::new(0) };
}

/// A section a task can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Preempt,
    SpinLock,
    IrqSave,
    IrqDisable,
    Bh,
    Rcu,
    Pagefault,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Open(Kind),
    Close,
    Relax,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => prop_oneof![
            Just(Kind::Preempt),
            Just(Kind::SpinLock),
            Just(Kind::IrqSave),
            Just(Kind::IrqDisable),
            Just(Kind::Bh),
            Just(Kind::Rcu),
            Just(Kind::Pagefault),
        ]
        .prop_map(Step::Open),
        4 => Just(Step::Close),
        2 => Just(Step::Relax),
    ]
}

/// What is open, innermost last, with what closing it needs.
struct Open<M: Arch> {
    kind: Kind,
    flags: Option<IrqFlags>,
    guard: Option<SpinLockGuard<'static, M>>,
}

/// Whether sleeping is forbidden by what the task holds (the model).
fn model_forbids<M: Arch>(open: &[Open<M>]) -> bool {
    open.iter().any(|o| o.kind != Kind::Pagefault)
}

fn irqs_off<M: Arch>(open: &[Open<M>]) -> bool {
    open.iter()
        .any(|o| matches!(o.kind, Kind::IrqSave | Kind::IrqDisable))
}

fn irq_handler<M: Arch>() {
    let word_says = may_not_sleep_word::<M>() != 0;
    if (config::DEBUG_ATOMIC_SLEEP && !word_says) || !sleeping_forbidden::<M>() {
        WRONG_IN_IRQ.with(|w| w.set(w.get() + 1));
    }
}

fn open_section<M: Arch>(kind: Kind) -> Open<M> {
    let mut flags = None;
    let mut guard = None;
    match kind {
        Kind::Preempt => preempt_disable::<M>(),
        Kind::SpinLock => guard = Some(LOCK.lock::<M>()),
        Kind::IrqSave => flags = Some(local_irq_save::<M>()),
        Kind::IrqDisable => local_irq_disable::<M>(),
        Kind::Bh => local_bh_disable::<M>(),
        Kind::Rcu => rcu_read_lock::<M>(),
        Kind::Pagefault => pagefault_disable::<M>(),
    }
    Open { kind, flags, guard }
}

fn close_section<M: Arch>(open: Open<M>) {
    match open.kind {
        Kind::Preempt => preempt_enable::<M>(),
        Kind::SpinLock => drop(open.guard),
        Kind::IrqSave => local_irq_restore::<M>(open.flags.expect("saved flags")),
        Kind::IrqDisable => local_irq_enable::<M>(),
        Kind::Bh => local_bh_enable::<M>(),
        Kind::Rcu => rcu_read_unlock::<M>(),
        Kind::Pagefault => pagefault_enable::<M>(),
    }
}

/// Checks the word against the decision and the model.
fn check<M: Arch>(open: &[Open<M>]) -> Result<(), TestCaseError> {
    let word = may_not_sleep_word::<M>();
    if config::DEBUG_ATOMIC_SLEEP {
        prop_assert_eq!(word != 0, sleeping_forbidden::<M>(), "word {:#x}", word);
        prop_assert_eq!(word != 0, model_forbids(open), "word {:#x}", word);
    } else {
        prop_assert_eq!(word, preempt_count::<M>(), "a debug field in the word");
    }
    prop_assert_eq!(M::irqs_disabled(), irqs_off(open));
    Ok(())
}

fn run_steps<M: Arch>(steps: &[Step], irq_hz: u32) -> Result<(), TestCaseError> {
    let machine = Machine::current();
    machine.set_tick(irq_hz, 1);
    let mut open: Vec<Open<M>> = Vec::new();
    let mut result = check::<M>(&open);
    for step in steps {
        if result.is_err() {
            break;
        }
        match *step {
            Step::Open(kind) => {
                let allowed = match kind {
                    // local_bh_enable() runs softirqs, which needs interrupts on (as Linux).
                    Kind::Bh => !irqs_off(&open),
                    // Its enable unmasks unconditionally: only at the outermost irq level.
                    Kind::IrqDisable => !irqs_off(&open),
                    // One lock, not recursive.
                    Kind::SpinLock => !open.iter().any(|o| o.kind == Kind::SpinLock),
                    _ => true,
                };
                if allowed {
                    open.push(open_section::<M>(kind));
                }
            }
            Step::Close => {
                if let Some(top) = open.pop() {
                    close_section::<M>(top);
                }
            }
            Step::Relax => M::cpu_relax(),
        }
        result = check::<M>(&open);
    }
    while let Some(top) = open.pop() {
        close_section::<M>(top);
    }
    machine.set_tick(0, 1);
    result?;
    check::<M>(&open)?;
    prop_assert_eq!(
        WRONG_IN_IRQ.with(Cell::get),
        0,
        "an interrupt handler could sleep"
    );
    Ok(())
}

fn run_properties<M: ContextMachine>(seed: u64) {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let machine = Machine::new(MachineConfig {
        cpus: 2,
        seed,
        echo_console: false,
    });
    let outcome = machine.run("word", || {
        Machine::current().set_irq_handler(Some(irq_handler::<M>));
        STOP.store(false, Ordering::SeqCst);
        M::spawn("word/companion", companion::<M>, 0, 1, false);
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            prop::collection::vec(step(), 1..40),
            prop_oneof![Just(0u32), Just(50_000), Just(500_000)],
        );
        let result = runner
            .run(&strategy, |(steps, hz)| run_steps::<M>(&steps, hz))
            .map_err(|err| err.to_string());
        STOP.store(true, Ordering::SeqCst);
        result.map(|()| M::switch_stats())
    });
    let (preempted, migrated) = match outcome {
        Ok(stats) => stats,
        Err(err) => panic!("{}: {err}", M::NAME),
    };
    assert!(
        !config::PREEMPT || (preempted > 100 && migrated > 100),
        "{}: only {preempted} preemptions and {migrated} migrations",
        M::NAME
    );
    assert!(
        machine.interrupts_delivered() > u64::from(CASES),
        "{}: only {} interrupts",
        M::NAME,
        machine.interrupts_delivered()
    );
}

#[test]
fn word_matches_the_decision_with_per_cpu_count() {
    run_properties::<HostPerCpu>(3);
}

#[test]
fn word_matches_the_decision_with_per_task_count() {
    run_properties::<HostPerTask>(5);
}
