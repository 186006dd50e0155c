//! The stress run: random nesting of every section on every cpu, with invariants checked at
//! every step, while the tick preempts and migrates the tasks.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use mightfault_core::{
    config, local_bh_disable, local_bh_enable, local_irq_restore, local_irq_save,
    may_not_sleep_word, might_sleep, pagefault_disable, pagefault_enable, preempt_count,
    preempt_disable, preempt_enable, rcu_preempt_depth, rcu_read_lock, rcu_read_unlock,
    sleeping_forbidden, RawSpinLock,
};
use mightfault_uaccess::{copy_from_user, copy_to_user};

use super::{count_reports, wait_at_most, wait_until, with_fast_tick, FINISHED};
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::machine::PageKind;
use crate::support::{captured, check, count};

const STRESS_TASKS: u32 = 8;
/// Preemptions and migrations the stress run must see with `preempt`.
const STRESS_SWITCHES: u64 = 20_000;
/// How long the run goes on without `preempt` (no involuntary switches to count).
const STRESS_COOPERATIVE_NS: u64 = 2_000_000_000;
const STRESS_TICK_HZ: u32 = 4000;
/// How long the run may take to see its preemptions and migrations under a loaded TCG host.
const STRESS_PATIENCE_NS: u64 = 90_000_000_000;
/// Deliberate reports task 0 makes (one per this many of its iterations), at most.
const DELIBERATE_EVERY: u64 = 256;
const DELIBERATE_MAX: u32 = 6;

static STRESS_STOP: AtomicBool = AtomicBool::new(false);
/// The first invariant broken (an index into `VIOLATIONS`), plus one; 0 while none is.
static STRESS_VIOLATION: AtomicUsize = AtomicUsize::new(0);
static STRESS_INCREMENTS: AtomicU64 = AtomicU64::new(0);
static STRESS_ITERATIONS: AtomicU64 = AtomicU64::new(0);
static DELIBERATE: AtomicU32 = AtomicU32::new(0);
static STRESS_USER: AtomicUsize = AtomicUsize::new(0);

const VIOLATIONS: [&str; 7] = [
    "preempt_count() differs from the sections the task holds",
    "pagefault depth differs from the task's own",
    "RCU depth differs from the task's own",
    "irqs_disabled() differs from the task's irq-save depth",
    "a copy under the lock with page faults disabled did not complete",
    "the task's own user slot held another value",
    "the may-not-sleep word disagrees with the full decision",
];

/// Data only changed under `STRESS_LOCK`, deliberately non-atomic, so a broken lock loses
/// updates.
struct Shared(UnsafeCell<u64>);
// SAFETY: only accessed under STRESS_LOCK.
unsafe impl Sync for Shared {}
static SHARED: Shared = Shared(UnsafeCell::new(0));
static STRESS_LOCK: RawSpinLock = RawSpinLock::new("contexts_stress_lock");

/// What the task holds right now.
#[derive(Clone, Copy, Default)]
struct Held {
    preempt: u32,
    locks: u32,
    pagefault: u32,
    bh: u32,
    rcu: u32,
    irq: u32,
}

impl Held {
    fn expected_count(&self) -> u32 {
        let preempt_field = if config::PREEMPT_COUNT {
            self.preempt + self.locks + if config::PREEMPT { 0 } else { self.rcu }
        } else {
            0
        };
        preempt_field + self.bh * 0x200
    }
}

fn violate(index: usize) {
    let _ = STRESS_VIOLATION.compare_exchange(0, index + 1, Ordering::SeqCst, Ordering::SeqCst);
}

fn verify<M: ContextMachine>(held: &Held) {
    if preempt_count::<M>() != held.expected_count() {
        violate(0);
    }
    if M::current_task().pagefault_disable_depth() != held.pagefault {
        violate(1);
    }
    let rcu = if config::PREEMPT { held.rcu } else { 0 };
    if rcu_preempt_depth::<M>() != rcu {
        violate(2);
    }
    if M::irqs_disabled() != (held.irq > 0) {
        violate(3);
    }
    // With debug-atomic-sleep the fast test of might_sleep() (one word) must say what the full
    // decision says, at every step of every nesting, wherever the task was preempted or moved.
    if config::DEBUG_ATOMIC_SLEEP && (may_not_sleep_word::<M>() != 0) != sleeping_forbidden::<M>() {
        violate(6);
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64: cheap and good enough to pick sections.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One random section, possibly with more nested inside, checked before, inside and after.
fn section<M: ContextMachine>(task: usize, rng: &mut Rng, held: &mut Held, level: u32) {
    let kind = rng.next() % 6;
    let mut flags = None;
    match kind {
        0 => {
            preempt_disable::<M>();
            held.preempt += 1;
        }
        1 => {
            pagefault_disable::<M>();
            held.pagefault += 1;
        }
        // Bottom halves only with interrupts on: local_bh_enable() runs softirqs, which needs
        // them on (Linux warns otherwise).
        2 if held.irq == 0 => {
            local_bh_disable::<M>();
            held.bh += 1;
        }
        3 => {
            rcu_read_lock::<M>();
            held.rcu += 1;
        }
        4 => {
            flags = Some(local_irq_save::<M>());
            held.irq += 1;
        }
        5 if held.locks == 0 => {
            locked_copy::<M>(task, held);
            verify::<M>(held);
            return;
        }
        _ => return,
    }
    verify::<M>(held);
    for _ in 0..(rng.next() % 16) {
        M::cpu_relax();
    }
    if level < 4 && rng.next().is_multiple_of(2) {
        section::<M>(task, rng, held, level + 1);
    }
    verify::<M>(held);
    match kind {
        0 => {
            held.preempt -= 1;
            preempt_enable::<M>();
        }
        1 => {
            held.pagefault -= 1;
            pagefault_enable::<M>();
        }
        2 => {
            held.bh -= 1;
            local_bh_enable::<M>();
        }
        3 => {
            held.rcu -= 1;
            rcu_read_unlock::<M>();
        }
        _ => {
            held.irq -= 1;
            if let Some(flags) = flags {
                local_irq_restore::<M>(flags);
            }
        }
    }
    verify::<M>(held);
}

/// The legitimate copy under a spinlock: page faults disabled, the copy completes (the page
/// is present), the shared counter goes up by one.
fn locked_copy<M: ContextMachine>(task: usize, held: &mut Held) {
    let guard = STRESS_LOCK.lock::<M>();
    held.locks += 1;
    pagefault_disable::<M>();
    held.pagefault += 1;
    verify::<M>(held);
    // SAFETY: SHARED is only touched under STRESS_LOCK, which is held.
    unsafe {
        let value = SHARED.0.get().read_volatile();
        M::cpu_relax();
        SHARED.0.get().write_volatile(value + 1);
    }
    let slot = STRESS_USER.load(Ordering::Relaxed) + task * 8;
    let stamp = (task as u64) << 56 | STRESS_INCREMENTS.load(Ordering::Relaxed);
    if copy_to_user::<M>(slot, &stamp.to_le_bytes()) != 0 {
        violate(4);
    }
    held.pagefault -= 1;
    pagefault_enable::<M>();
    held.locks -= 1;
    drop(guard);
    STRESS_INCREMENTS.fetch_add(1, Ordering::Relaxed);
    // Outside the lock, the slot still holds this task's stamp: nobody else writes it. The
    // caller may still be atomic (this runs at any nesting level), so page faults are
    // disabled for the read, as they must be wherever sleeping is not allowed.
    let mut back = [0u8; 8];
    pagefault_disable::<M>();
    let not_read = copy_from_user::<M>(&mut back, slot);
    pagefault_enable::<M>();
    if not_read != 0 || back != stamp.to_le_bytes() {
        violate(5);
    }
}

fn stress_task<M: ContextMachine>(task: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (task as u64 + 1).wrapping_mul(0x2545_f491));
    let mut held = Held::default();
    let mut iterations = 0u64;
    while !STRESS_STOP.load(Ordering::Relaxed) {
        section::<M>(task, &mut rng, &mut held, 0);
        iterations += 1;
        if task == 0
            && iterations.is_multiple_of(DELIBERATE_EVERY)
            && DELIBERATE.load(Ordering::Relaxed) < DELIBERATE_MAX
        {
            // A report that is due: might_sleep() with preemption disabled.
            M::debug_state().reset_ratelimit();
            preempt_disable::<M>();
            might_sleep::<M>();
            preempt_enable::<M>();
            DELIBERATE.fetch_add(1, Ordering::Relaxed);
        }
        // Without preempt, this is where a task gives way (and may move).
        M::cond_resched();
    }
    STRESS_ITERATIONS.fetch_add(iterations, Ordering::Relaxed);
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

pub(super) fn stress_nested_contexts<M: ContextMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    STRESS_USER.store(user, Ordering::SeqCst);
    STRESS_STOP.store(false, Ordering::SeqCst);
    STRESS_VIOLATION.store(0, Ordering::SeqCst);
    STRESS_INCREMENTS.store(0, Ordering::SeqCst);
    STRESS_ITERATIONS.store(0, Ordering::SeqCst);
    DELIBERATE.store(0, Ordering::SeqCst);
    FINISHED.store(0, Ordering::SeqCst);
    // SAFETY: no stress task runs yet; nothing else touches SHARED.
    unsafe { SHARED.0.get().write_volatile(0) };
    let cpus = M::nr_cpus();
    let (preempted_before, migrated_before) = M::switch_stats();
    let (reached, finished) = with_fast_tick::<M, _>(STRESS_TICK_HZ, || {
        for task in 0..STRESS_TASKS {
            M::spawn(
                "ctx/stress",
                stress_task::<M>,
                task as usize,
                task % cpus,
                false,
            );
        }
        let reached = if config::PREEMPT {
            wait_at_most::<M>(STRESS_PATIENCE_NS, || {
                let (preempted, migrated) = M::switch_stats();
                preempted - preempted_before >= STRESS_SWITCHES
                    && migrated - migrated_before >= STRESS_SWITCHES
            })
        } else {
            let end = M::now_ns().saturating_add(STRESS_COOPERATIVE_NS);
            wait_until::<M>(|| M::now_ns() >= end)
        };
        STRESS_STOP.store(true, Ordering::SeqCst);
        let finished = wait_until::<M>(|| FINISHED.load(Ordering::SeqCst) == STRESS_TASKS);
        (reached, finished)
    });
    let (preempted, migrated) = M::switch_stats();
    let (preempted, migrated) = (preempted - preempted_before, migrated - migrated_before);
    let deliberate = DELIBERATE.load(Ordering::SeqCst) as usize;
    let due = if config::DEBUG_ATOMIC_SLEEP {
        deliberate
    } else {
        0
    };
    let (reports, other_bugs, warnings) = captured::<M, _>(|text| {
        (
            count_reports(text),
            count(text, "BUG:") - count_reports(text),
            count(text, "WARNING:"),
        )
    });
    mightfault_core::kprint!(
        M,
        "    # stress: {} tasks on {} cpus, {} iterations, {} preemptions, {} migrations\n",
        STRESS_TASKS,
        cpus,
        STRESS_ITERATIONS.load(Ordering::SeqCst),
        preempted,
        migrated
    );
    check!(M, finished, "the stress tasks did not stop");
    check!(
        M,
        config::PREEMPT || preempted == 0,
        "{} involuntary preemptions without preempt",
        preempted
    );
    check!(
        M,
        reached,
        "fewer than {} preemptions and migrations: {} and {}",
        STRESS_SWITCHES,
        preempted,
        migrated
    );
    let violation = STRESS_VIOLATION.load(Ordering::SeqCst);
    check!(
        M,
        violation == 0,
        "invariant broken: {}",
        VIOLATIONS[violation.saturating_sub(1)]
    );
    // SAFETY: every stress task has finished.
    let shared = unsafe { SHARED.0.get().read_volatile() };
    let increments = STRESS_INCREMENTS.load(Ordering::SeqCst);
    check!(
        M,
        shared == increments,
        "the lock lost updates: {} of {}",
        shared,
        increments
    );
    check!(
        M,
        reports == due,
        "{} sleeping-function reports, {} due",
        reports,
        due
    );
    check!(
        M,
        other_bugs == 0 && warnings == 0,
        "unexpected BUG or WARNING"
    );
    Outcome::Pass
}
