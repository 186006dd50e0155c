//! The `seed` suite: the contract of SCENARIOS.md, case for case, with its exact case names.

use core::sync::atomic::{AtomicU32, Ordering};

use mightfault_core::spinlock::lock_value;
use mightfault_core::{
    config, pagefault_disable, pagefault_disabled, pagefault_enable, preempt_count,
    preempt_disable, preempt_enable, RawSpinLock,
};
use mightfault_uaccess::{__copy_to_user_inatomic, copy_to_user};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::report_shape::{check_sleep_report, check_traces, ExpectedReport};
use crate::support::{
    captured, check, code_site, count, names_location, names_site, pattern, CodeSite,
};

const DATA: [u8; 64] = pattern::<64>(0x11);
const SLEEP_BUG: &str = "BUG: sleeping function called from invalid context at ";
const LOCKUP_BUG: &str = "BUG: spinlock lockup suspected on CPU#";
const CUT_HERE: &str = "------------[ cut here ]------------";
const ATOMIC_FAULT_WARNING: &str =
    "user access fault in atomic context without pagefault_disable()";
/// How long the deadlock case lets a spinner wait before its watchdog reports.
const LOCKUP_WATCHDOG_NS: u64 = 50_000_000;

/// The suite, instantiated for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: SeedMachine>() -> crate::ktap::Suite {
    Suite {
        name: "seed",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: SeedMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "spinlock_copy_to_user_warns",
            run: spinlock_copy_to_user_warns::<M>,
        },
        Case {
            name: "pagefault_disabled_copy_is_silent",
            run: pagefault_disabled_copy_is_silent::<M>,
        },
        Case {
            name: "spinlock_pagefault_disabled_is_silent",
            run: spinlock_pagefault_disabled_is_silent::<M>,
        },
        Case {
            name: "atomic_fault_fixup_warns_once",
            run: atomic_fault_fixup_warns_once::<M>,
        },
        Case {
            name: "sleepable_fault_resolves",
            run: sleepable_fault_resolves::<M>,
        },
        Case {
            name: "bad_address_efault",
            run: bad_address_efault::<M>,
        },
        Case {
            name: "partial_copy_exact",
            run: partial_copy_exact::<M>,
        },
        Case {
            name: "pagefault_counter_follows_task",
            run: pagefault_counter_follows_task::<M>,
        },
        Case {
            name: "legacy_regression_silent",
            run: legacy_regression_silent::<M>,
        },
        Case {
            name: "lock_migration_deadlock",
            run: lock_migration_deadlock::<M>,
        },
        Case {
            name: "debug_preempt_underflow",
            run: debug_preempt_underflow::<M>,
        },
    ];
}

/// What `spin_lock(); copy_to_user(); spin_unlock();` did, and where.
struct SpinlockCopy {
    lock_site: CodeSite,
    copy_site: CodeSite,
    not_copied: usize,
}

/// The code the thread was about: a copy to user memory under a spinlock.
fn copy_under_spinlock<M: SeedMachine>(user: usize) -> SpinlockCopy {
    let lock = RawSpinLock::new("seed_lock");
    let (lock_site, guard) = (code_site::<M>(), lock.lock::<M>());
    let (copy_site, not_copied) = (code_site::<M>(), copy_to_user::<M>(user, &DATA));
    drop(guard);
    SpinlockCopy {
        lock_site,
        copy_site,
        not_copied,
    }
}

fn user_bytes_are<M: SeedMachine>(addr: usize, expected: &[u8]) -> bool {
    let mut seen = [0u8; 64];
    let seen = &mut seen[..expected.len()];
    M::peek_user(addr, seen) && seen == expected
}

fn spinlock_copy_to_user_warns<M: SeedMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return Outcome::Skip("needs debug-atomic-sleep");
    }
    if config::LEGACY_MIGHT_FAULT {
        return Outcome::Skip(
            "legacy-might-fault hides this report (see legacy_regression_silent)",
        );
    }
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let done = copy_under_spinlock::<M>(user);
    let expected = ExpectedReport {
        sleep_at: done.copy_site.location,
        caller: done.copy_site,
        lock_name: "seed_lock",
        lock_site: done.lock_site,
    };
    let (reports, names_copy, names_lock, atomic, shape) = captured::<M, _>(|text| {
        (
            count(text, SLEEP_BUG),
            names_location(text, SLEEP_BUG, done.copy_site.location),
            names_site::<M>(text, "(seed_lock){....}-{2:2}, at: ", &done.lock_site),
            text.contains("in_atomic(): 1"),
            check_sleep_report::<M>(text, &expected),
        )
    });
    check!(
        M,
        reports == 1,
        "expected exactly one report, saw {}",
        reports
    );
    check!(
        M,
        names_copy,
        "the report must name the copy at {}",
        done.copy_site
    );
    check!(
        M,
        names_lock,
        "the report must list seed_lock taken at {}",
        done.lock_site
    );
    check!(M, atomic, "the report must say in_atomic(): 1");
    if let Err(why) = &shape {
        check!(M, false, "not Linux's report: {}", why.as_str());
    }
    check!(
        M,
        done.not_copied == 0,
        "the copy left {} bytes",
        done.not_copied
    );
    check!(
        M,
        user_bytes_are::<M>(user, &DATA),
        "the data did not arrive"
    );
    Outcome::Pass
}

fn pagefault_disabled_copy_is_silent<M: SeedMachine>() -> Outcome {
    disabled_copy_to_not_present_is_silent::<M>(false)
}

fn spinlock_pagefault_disabled_is_silent<M: SeedMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return Outcome::Skip("needs debug-atomic-sleep");
    }
    disabled_copy_to_not_present_is_silent::<M>(true)
}

/// pagefault_disable(); copy_to_user() to a not-present page; pagefault_enable(), optionally
/// inside a spinlock: the copy fails whole, with no report, no sleep and no page-in.
fn disabled_copy_to_not_present_is_silent<M: SeedMachine>(under_spinlock: bool) -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let sleeps = M::current_task().voluntary_switches();
    let lock = RawSpinLock::new("seed_lock");
    let guard = under_spinlock.then(|| lock.lock::<M>());
    pagefault_disable::<M>();
    let not_copied = copy_to_user::<M>(user, &DATA);
    pagefault_enable::<M>();
    drop(guard);
    let reports = captured::<M, _>(|text| count(text, "BUG:") + count(text, "WARNING:"));
    check!(
        M,
        not_copied == DATA.len(),
        "returned {} instead of {}",
        not_copied,
        DATA.len()
    );
    check!(M, reports == 0, "{} reports printed", reports);
    check!(
        M,
        M::current_task().voluntary_switches() == sleeps,
        "the task slept"
    );
    check!(M, !M::user_page_present(user), "the page was paged in");
    Outcome::Pass
}

fn atomic_fault_fixup_warns_once<M: SeedMachine>() -> Outcome {
    if !config::PREEMPT_COUNT {
        return Outcome::Skip(
            "preempt_disable() does not raise the preempt count without preempt-count",
        );
    }
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let mut results = [0usize; 3];
    preempt_disable::<M>();
    for result in &mut results {
        // SAFETY: `user` is a page of the test's user area, checked by construction.
        *result = unsafe { __copy_to_user_inatomic::<M>(user, &DATA) };
    }
    preempt_enable::<M>();
    let (warnings, bugs, traces) = captured::<M, _>(|text| {
        (
            count(text, ATOMIC_FAULT_WARNING),
            count(text, "BUG:"),
            check_traces::<M>(text, ATOMIC_FAULT_WARNING, "warn_atomic_fault_once", None),
        )
    });
    check!(
        M,
        results.iter().all(|&left| left == DATA.len()),
        "returned {:?}",
        results
    );
    check!(M, warnings == 1, "the warning appeared {} times", warnings);
    check!(M, bugs == 0, "{} BUG reports printed", bugs);
    if let Err(why) = &traces {
        check!(M, false, "{}", why.as_str());
    }
    check!(M, !M::user_page_present(user), "the page was paged in");
    Outcome::Pass
}

fn sleepable_fault_resolves<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let sleeps = M::current_task().voluntary_switches();
    let not_copied = copy_to_user::<M>(user, &DATA);
    let slept = M::current_task().voluntary_switches() - sleeps;
    let reports = captured::<M, _>(|text| count(text, "BUG:") + count(text, "WARNING:"));
    check!(M, not_copied == 0, "the copy left {} bytes", not_copied);
    check!(
        M,
        user_bytes_are::<M>(user, &DATA),
        "the data did not arrive"
    );
    check!(
        M,
        slept == 1,
        "a page-in sleeps once; the task slept {} times",
        slept
    );
    check!(M, reports == 0, "{} reports printed", reports);
    Outcome::Pass
}

fn bad_address_efault<M: SeedMachine>() -> Outcome {
    crate::uaccess_suite::every_accessor_refuses::<M>()
}

fn partial_copy_exact<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    for before_boundary in [1usize, 7, 33, 63] {
        let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
        let boundary = user + page;
        let start = boundary - before_boundary;
        let not_copied = copy_to_user::<M>(start, &DATA);
        check!(
            M,
            not_copied == DATA.len() - before_boundary,
            "copy_to_user {} bytes before the boundary left {}",
            before_boundary,
            not_copied
        );
        check!(
            M,
            user_bytes_are::<M>(start, &DATA[..before_boundary]),
            "the bytes before the boundary were not all copied"
        );

        let source = pattern::<64>(0x77);
        M::poke_user(start, &source[..before_boundary]);
        let mut into = [0xaau8; 64];
        let not_read = mightfault_uaccess::copy_from_user::<M>(&mut into, start);
        check!(
            M,
            not_read == DATA.len() - before_boundary,
            "copy_from_user left {}",
            not_read
        );
        check!(
            M,
            into[..before_boundary] == source[..before_boundary],
            "bytes before the boundary differ"
        );
        check!(
            M,
            into[before_boundary..].iter().all(|&b| b == 0),
            "the tail was not zeroed"
        );

        let not_cleared = mightfault_uaccess::clear_user::<M>(start, 64);
        check!(
            M,
            not_cleared == 64 - before_boundary,
            "clear_user left {}",
            not_cleared
        );
        check!(
            M,
            user_bytes_are::<M>(start, &[0u8; 64][..before_boundary]),
            "clear_user missed bytes"
        );
    }
    Outcome::Pass
}

/// What task B saw while task A slept.
struct Observed {
    pagefault_disabled: AtomicU32,
    cpu: AtomicU32,
}

const UNSEEN: u32 = u32::MAX;

fn observe_as_task_b<M: SeedMachine>(observed: usize) {
    // SAFETY: `observed` is the address of an `Observed` on task A's stack; A sleeps until this
    // task exits, so the frame outlives every use here.
    let observed = unsafe { &*(observed as *const Observed) };
    observed
        .pagefault_disabled
        .store(pagefault_disabled::<M>() as u32, Ordering::Relaxed);
    observed.cpu.store(M::cpu_id(), Ordering::Relaxed);
}

fn pagefault_counter_follows_task<M: SeedMachine>() -> Outcome {
    if M::nr_cpus() < 2 {
        return Outcome::Skip("needs two cpus");
    }
    let old_cpu = M::cpu_id();
    let new_cpu = (old_cpu + 1) % M::nr_cpus();
    let observed = Observed {
        pagefault_disabled: AtomicU32::new(UNSEEN),
        cpu: AtomicU32::new(UNSEEN),
    };
    pagefault_disable::<M>();
    M::sleep_while_other_runs(
        observe_as_task_b::<M>,
        &observed as *const Observed as usize,
        "seed-b",
        new_cpu,
    );
    let resumed_on = M::cpu_id();
    let still_disabled = pagefault_disabled::<M>();
    pagefault_enable::<M>();
    let b_disabled = observed.pagefault_disabled.load(Ordering::Relaxed);
    let b_cpu = observed.cpu.load(Ordering::Relaxed);
    check!(
        M,
        resumed_on == new_cpu,
        "A resumed on cpu {} instead of {}",
        resumed_on,
        new_cpu
    );
    check!(
        M,
        still_disabled,
        "A lost its pagefault_disable() on the new cpu"
    );
    check!(
        M,
        b_cpu == old_cpu,
        "B ran on cpu {} instead of A's old cpu {}",
        b_cpu,
        old_cpu
    );
    check!(
        M,
        b_disabled == 0,
        "B saw pagefault_disabled() = {}",
        b_disabled
    );
    check!(
        M,
        !pagefault_disabled::<M>(),
        "the counter did not drop back"
    );
    Outcome::Pass
}

fn legacy_regression_silent<M: SeedMachine>() -> Outcome {
    if !config::LEGACY_MIGHT_FAULT {
        return Outcome::Skip("shows the legacy-might-fault behaviour only");
    }
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let done = copy_under_spinlock::<M>(user);
    let reports = captured::<M, _>(|text| count(text, "BUG:"));
    check!(
        M,
        reports == 0,
        "legacy might_fault() printed {} reports",
        reports
    );
    check!(
        M,
        done.not_copied == 0,
        "the copy left {} bytes",
        done.not_copied
    );
    Outcome::Pass
}

fn lock_migration_deadlock<M: SeedMachine>() -> Outcome {
    if config::PREEMPT_COUNT {
        return Outcome::Skip("spin_lock() raises the preempt count here, so the fault is fixed up instead of sleeping");
    }
    if M::nr_cpus() < 2 {
        return Outcome::Skip("needs two cpus");
    }
    let first_cpu = M::cpu_id();
    let other_cpu = (first_cpu + 1) % M::nr_cpus();
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let lock = RawSpinLock::new("migration_lock");
    let guard = lock.lock::<M>();
    check!(
        M,
        lock.value() == lock_value(first_cpu),
        "lock word {:#x}",
        lock.value()
    );
    M::direct_next_wakeup(other_cpu);
    let not_copied = copy_to_user::<M>(user, &DATA);
    let resumed_on = M::cpu_id();
    guard.unlock();
    let still_held = lock.value();
    let site = code_site::<M>();
    let retry = lock.lock_with_watchdog::<M>(LOCKUP_WATCHDOG_NS);
    let lockup = retry.as_ref().err().copied();
    drop(retry);
    let (report, traces) = captured::<M, _>(|text| {
        (
            LockupReport::parse(text),
            check_traces::<M>(text, LOCKUP_BUG, "report_lockup", Some(&site)),
        )
    });
    match &traces {
        Ok(checked) => check!(M, *checked == 1, "{} lockup reports", checked),
        Err(why) => check!(M, false, "{}", why.as_str()),
    }
    check!(M, not_copied == 0, "the copy left {} bytes", not_copied);
    check!(
        M,
        resumed_on == other_cpu,
        "the task resumed on cpu {} instead of {}",
        resumed_on,
        other_cpu
    );
    check!(
        M,
        still_held == lock_value(first_cpu),
        "the unlock on the wrong cpu should fail; the word is {:#x}",
        still_held
    );
    let Some(lockup) = lockup else {
        check!(M, false, "a second spin_lock() took the orphaned lock");
        return Outcome::Fail;
    };
    // The owner is the cpu that took the lock, not the one spinning on it now: the report must
    // point at cpu 0's orphaned value, or the deadlock's cause is misattributed.
    check!(
        M,
        lockup.value == lock_value(first_cpu) && lockup.owner_cpu == first_cpu,
        "the lockup names value {:#x} owned by cpu {}, expected {:#x} owned by cpu {}",
        lockup.value,
        lockup.owner_cpu,
        lock_value(first_cpu),
        first_cpu
    );
    let Some(report) = report else {
        check!(M, false, "the watchdog printed no lockup report");
        return Outcome::Fail;
    };
    check!(
        M,
        report.spinning_cpu == resumed_on,
        "the report says the spinner is on CPU#{}, not {}",
        report.spinning_cpu,
        resumed_on
    );
    check!(
        M,
        report.value == lock_value(first_cpu),
        "the report prints value {:#x}, expected {:#x}",
        report.value,
        lock_value(first_cpu)
    );
    check!(
        M,
        report.owner_cpu == first_cpu,
        "the report names owner cpu {}, expected {}",
        report.owner_cpu,
        first_cpu
    );
    Outcome::Pass
}

/// The fields of the first `BUG: spinlock lockup suspected` report in a console text:
/// `... on CPU#<spinning_cpu>, <comm>/<pid>\n lock: <addr> (<name>), value: <value>, owner cpu:
/// <owner_cpu>`.
struct LockupReport {
    spinning_cpu: u32,
    value: u32,
    owner_cpu: u32,
}

impl LockupReport {
    fn parse(text: &str) -> Option<Self> {
        let start = text.find(LOCKUP_BUG)?;
        let report = &text[start + LOCKUP_BUG.len()..];
        // The report is two lines; stop before anything printed after it.
        let end = report
            .match_indices('\n')
            .nth(1)
            .map_or(report.len(), |(at, _)| at);
        let report = &report[..end];
        Some(Self {
            spinning_cpu: leading_number(report, 10)?,
            value: leading_number(field(report, "value: 0x")?, 16)?,
            owner_cpu: leading_number(field(report, "owner cpu: ")?, 10)?,
        })
    }
}

/// What follows the first `label` in `text`.
fn field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.find(label).map(|at| &text[at + label.len()..])
}

/// The number in base `radix` at the start of `text`.
fn leading_number(text: &str, radix: u32) -> Option<u32> {
    let end = text
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(text.len());
    u32::from_str_radix(&text[..end], radix).ok()
}

fn debug_preempt_underflow<M: SeedMachine>() -> Outcome {
    if !config::DEBUG_PREEMPT {
        return Outcome::Skip("needs debug-preempt");
    }
    // The WARN reports' call traces must name this function, which the site is in.
    let site = code_site::<M>();
    pagefault_enable::<M>();
    let pagefault_depth = M::current_task().pagefault_disable_depth();
    preempt_enable::<M>();
    let count_after = preempt_count::<M>();
    let expected = 1 + config::PREEMPT_COUNT as usize;
    let (warnings, traces) = captured::<M, _>(|text| {
        (
            count(text, "DEBUG_LOCKS_WARN_ON("),
            check_traces::<M>(text, CUT_HERE, "debug_locks_warn", Some(&site)),
        )
    });
    check!(
        M,
        warnings == expected,
        "{} DEBUG_LOCKS_WARN_ON reports, expected {}",
        warnings,
        expected
    );
    match &traces {
        Ok(framed) => check!(
            M,
            *framed == expected,
            "{} reports framed by cut here, expected {}",
            framed,
            expected
        ),
        Err(why) => check!(M, false, "{}", why.as_str()),
    }
    check!(
        M,
        pagefault_depth == 0,
        "the pagefault counter is {}",
        pagefault_depth
    );
    check!(
        M,
        count_after == 0,
        "the preempt count is {:#x}",
        count_after
    );
    Outcome::Pass
}
