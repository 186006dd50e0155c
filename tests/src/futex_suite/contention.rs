//! Several tasks on every cpu update the same futex words with page faults disabled while the
//! page keeps being made not present: Linux's futex pattern of an atomic try, a fault-in
//! outside the atomic section, and a retry.

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use mightfault_core::FutexOp;
use mightfault_uaccess::{
    fault_in_user_writeable, fault_in_writeable, futex_atomic_cmpxchg_inatomic,
    futex_atomic_op_inuser, Efault,
};

use super::{atomic_with_faults_disabled, no_reports, peek_word};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::machine::PageKind;
use crate::support::check;

/// Updates each task makes to the counter.
const ROUNDS: u32 = 600;
/// A task makes the page not present before every this many of its rounds.
const EVICT_EVERY: u32 = 16;
/// At most this many tasks (each owns one bit of the bit words).
const MAX_TASKS: u32 = 16;
/// How long the case waits for the tasks under a loaded TCG host.
const PATIENCE_NS: u64 = 120_000_000_000;

/// Where the words sit in the page: the counter, the or/andn word, the xor word.
const COUNTER: usize = 0;
const BITS: usize = 4;
const TOGGLES: usize = 8;

static USER: AtomicUsize = AtomicUsize::new(0);
static FINISHED: AtomicU32 = AtomicU32::new(0);
/// The first thing a task found wrong (an index into `WRONG`), plus one; 0 while nothing is.
static WRONG_AT: AtomicUsize = AtomicUsize::new(0);
static EFAULTS: AtomicU64 = AtomicU64::new(0);
static EVICTIONS: AtomicU64 = AtomicU64::new(0);

const WRONG: [&str; 5] = [
    "the fault-in outside the atomic section failed",
    "or found the task's own bit already set",
    "andn found the task's own bit clear",
    "xor found the task's own bit in the wrong state",
    "a section left a preempt count or pagefault depth behind",
];

fn wrong(index: usize) {
    let _ = WRONG_AT.compare_exchange(0, index + 1, Ordering::SeqCst, Ordering::SeqCst);
}

/// One futex update as the futex code makes it: tried in atomic context with page faults
/// disabled; on -EFAULT the page is faulted in where sleeping is allowed and the update tried
/// again. Returns the update's result.
fn update<M: ContextMachine>(uaddr: usize, attempt: impl Fn() -> Result<u32, Efault>) -> u32 {
    loop {
        let result = atomic_with_faults_disabled::<M, _>(&attempt);
        if M::current_task().pagefault_disable_depth() != 0
            || mightfault_core::preempt_count::<M>() != 0
        {
            wrong(4);
        }
        match result {
            Ok(old) => return old,
            Err(Efault) => {
                EFAULTS.fetch_add(1, Ordering::Relaxed);
                if fault_in_user_writeable::<M>(uaddr).is_err() {
                    wrong(0);
                    return 0;
                }
            }
        }
    }
}

fn contender<M: ContextMachine>(task: usize) {
    let user = USER.load(Ordering::SeqCst);
    let (counter, bits, toggles) = (user + COUNTER, user + BITS, user + TOGGLES);
    let bit = 1u32 << task;
    let mut guess = 0u32;
    for round in 0..ROUNDS {
        if round % EVICT_EVERY == task as u32 % EVICT_EVERY && M::evict_user_page(user) {
            EVICTIONS.fetch_add(1, Ordering::Relaxed);
        }
        if round % 2 == 0 {
            update::<M>(counter, || {
                futex_atomic_op_inuser::<M>(FutexOp::Add, 1, counter)
            });
        } else {
            // An increment by compare-and-swap, retried with the value found until it lands.
            loop {
                let found = update::<M>(counter, || {
                    futex_atomic_cmpxchg_inatomic::<M>(counter, guess, guess.wrapping_add(1))
                });
                if found == guess {
                    break;
                }
                guess = found;
            }
        }
        // Only this task touches its own bit, so each operation must find it as the task
        // left it, whatever the others do to theirs at the same time.
        if update::<M>(bits, || futex_atomic_op_inuser::<M>(FutexOp::Or, bit, bits)) & bit != 0 {
            wrong(1);
        }
        if update::<M>(bits, || {
            futex_atomic_op_inuser::<M>(FutexOp::AndN, bit, bits)
        }) & bit
            == 0
        {
            wrong(2);
        }
        let first = update::<M>(toggles, || {
            futex_atomic_op_inuser::<M>(FutexOp::Xor, bit, toggles)
        });
        let second = update::<M>(toggles, || {
            futex_atomic_op_inuser::<M>(FutexOp::Xor, bit, toggles)
        });
        if first & bit != 0 || second & bit == 0 {
            wrong(3);
        }
        M::cond_resched();
    }
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

/// Two tasks per cpu (at least four) contend on one page's futex words, each evicting the
/// page now and then: every update lands exactly once, every task's bit is found as it left
/// it, -EFAULT was seen and handled, and nothing was reported.
pub(super) fn futex_contention_loses_no_update<M: ContextMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    USER.store(user, Ordering::SeqCst);
    FINISHED.store(0, Ordering::SeqCst);
    WRONG_AT.store(0, Ordering::SeqCst);
    EFAULTS.store(0, Ordering::SeqCst);
    EVICTIONS.store(0, Ordering::SeqCst);
    let cpus = M::nr_cpus();
    let tasks = (2 * cpus).clamp(4, MAX_TASKS);
    for task in 0..tasks {
        M::spawn(
            "futex/contend",
            contender::<M>,
            task as usize,
            task % cpus,
            false,
        );
    }
    let deadline = M::now_ns().saturating_add(PATIENCE_NS);
    while FINISHED.load(Ordering::SeqCst) < tasks && M::now_ns() < deadline {
        M::yield_now();
        M::cpu_relax();
    }
    let finished = FINISHED.load(Ordering::SeqCst);
    let (efaults, evictions) = (
        EFAULTS.load(Ordering::SeqCst),
        EVICTIONS.load(Ordering::SeqCst),
    );
    mightfault_core::kprint!(
        M,
        "    # futex: {} tasks on {} cpus, {} evictions, {} -EFAULTs retried\n",
        tasks,
        cpus,
        evictions,
        efaults
    );
    check!(
        M,
        finished == tasks,
        "{} of {} tasks finished",
        finished,
        tasks
    );
    let wrong_at = WRONG_AT.load(Ordering::SeqCst);
    check!(M, wrong_at == 0, "{}", WRONG[wrong_at.saturating_sub(1)]);
    check!(
        M,
        fault_in_writeable::<M>(user, 12) == 0,
        "the final fault-in failed"
    );
    let (count, bits, toggles) = (
        peek_word::<M>(user + COUNTER),
        peek_word::<M>(user + BITS),
        peek_word::<M>(user + TOGGLES),
    );
    check!(
        M,
        count == Some(tasks * ROUNDS),
        "the counter is {:?}, expected {} (updates lost or doubled)",
        count,
        tasks * ROUNDS
    );
    check!(
        M,
        bits == Some(0) && toggles == Some(0),
        "bit words left at {:x?} and {:x?}",
        bits,
        toggles
    );
    // The first eviction comes before any fault-in, so the next update after it faults.
    check!(
        M,
        evictions > 0 && efaults > 0,
        "{} evictions, {} -EFAULTs: the fault path was not exercised",
        evictions,
        efaults
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}
