//! A subset of mightfault's `seed` suite (SCENARIOS.md), written against the public API only,
//! on minikernel. Each test runs on its own machine (one per test thread); cases that do not
//! apply to the configuration assert what the configuration promises instead.

use mightfault_core::console::{capture_start, capture_stop};
use mightfault_core::spinlock::{lock_value, LOCKUP_WATCHDOG_NS};
use mightfault_core::{
    config, pagefault_disable, pagefault_disabled, pagefault_enable, preempt_count,
    preempt_disable, preempt_enable, Arch, RawSpinLock,
};
use mightfault_uaccess::{
    __copy_to_user_inatomic, clear_user, copy_from_user, copy_to_user, get_user, put_user,
};
use minikernel::{machine, Mini, PageState, PAGE_SIZE, USER_BASE};

const DATA: [u8; 16] = *b"mightfault-mini!";
const SLEEP_BUG: &str = "BUG: sleeping function called from invalid context";
const ATOMIC_FAULT_WARNING: &str =
    "user access fault in atomic context without pagefault_disable()";

const PRESENT: PageState = PageState::Present { writable: true };

/// Runs `case` with the console captured; returns its result and what it printed.
fn captured<R>(case: impl FnOnce() -> R) -> (R, String) {
    Mini::debug_state().reset_ratelimit();
    Mini::debug_state().reset_warn_once();
    capture_start::<Mini>();
    let result = case();
    let text = capture_stop::<Mini, _>(|capture| capture.text().to_owned());
    (result, text)
}

#[test]
fn spinlock_copy_to_user_warns() {
    machine().memory().lay_out(&[PRESENT]);
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let (not_copied, text) = captured(|| {
        let guard = LOCK.lock::<Mini>();
        let not_copied = copy_to_user::<Mini>(USER_BASE, &DATA);
        drop(guard);
        not_copied
    });
    assert_eq!(not_copied, 0);
    assert_eq!(
        machine().memory().peek(USER_BASE, DATA.len()).unwrap(),
        DATA
    );
    let expected = usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT);
    assert_eq!(text.matches(SLEEP_BUG).count(), expected, "{text}");
    if expected == 1 {
        assert!(
            text.contains("(mini_lock)"),
            "the held lock is named: {text}"
        );
        assert!(text.contains("in_atomic(): 1"), "{text}");
    }
}

#[test]
fn pagefault_disabled_copy_is_silent() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    let switches = Mini::current_task().voluntary_switches();
    let (not_copied, text) = captured(|| {
        pagefault_disable::<Mini>();
        let not_copied = copy_to_user::<Mini>(USER_BASE, &DATA);
        pagefault_enable::<Mini>();
        not_copied
    });
    assert_eq!(not_copied, DATA.len());
    assert_eq!(text, "", "no report");
    assert_eq!(
        Mini::current_task().voluntary_switches(),
        switches,
        "no sleep"
    );
    assert_eq!(
        machine().memory().state(USER_BASE),
        Some(PageState::NotPresent)
    );
}

#[test]
fn spinlock_pagefault_disabled_is_silent() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let (not_copied, text) = captured(|| {
        let guard = LOCK.lock::<Mini>();
        pagefault_disable::<Mini>();
        let not_copied = copy_to_user::<Mini>(USER_BASE, &DATA);
        pagefault_enable::<Mini>();
        drop(guard);
        not_copied
    });
    assert_eq!(not_copied, DATA.len());
    assert_eq!(text, "", "no report");
}

#[test]
fn atomic_fault_fixup_warns_once() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    let (results, text) = captured(|| {
        preempt_disable::<Mini>();
        // SAFETY: a user-area address, checked by construction.
        let results = [(); 3].map(|_| unsafe { __copy_to_user_inatomic::<Mini>(USER_BASE, &DATA) });
        preempt_enable::<Mini>();
        results
    });
    if config::PREEMPT_COUNT {
        assert_eq!(results, [DATA.len(); 3]);
        assert_eq!(text.matches(ATOMIC_FAULT_WARNING).count(), 1, "{text}");
        assert_eq!(
            machine().memory().state(USER_BASE),
            Some(PageState::NotPresent)
        );
    } else {
        // Without a preempt count the context is not atomic: the fault is resolved.
        assert_eq!(results, [0; 3]);
        assert_eq!(text.matches(ATOMIC_FAULT_WARNING).count(), 0, "{text}");
    }
    assert_eq!(text.matches("BUG:").count(), 0, "{text}");
}

#[test]
fn sleepable_fault_resolves() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    let switches = Mini::current_task().voluntary_switches();
    let (not_copied, text) = captured(|| copy_to_user::<Mini>(USER_BASE + 8, &DATA));
    assert_eq!(not_copied, 0);
    assert_eq!(text, "");
    assert_eq!(
        Mini::current_task().voluntary_switches(),
        switches + 1,
        "it slept once"
    );
    assert_eq!(
        machine().memory().peek(USER_BASE + 8, DATA.len()).unwrap(),
        DATA
    );
}

#[test]
fn bad_address_efault() {
    machine().memory().lay_out(&[PRESENT, PageState::Unmapped]);
    let unmapped = USER_BASE + PAGE_SIZE;
    let kernel = DATA.as_ptr() as usize;
    for bad in [unmapped, kernel, usize::MAX - 3] {
        assert_eq!(copy_to_user::<Mini>(bad, &DATA), DATA.len(), "{bad:#x}");
        let mut buf = [0xaau8; 16];
        assert_eq!(copy_from_user::<Mini>(&mut buf, bad), buf.len(), "{bad:#x}");
        assert_eq!(buf, [0; 16], "copy_from_user zeroes what it could not copy");
        let mut value = u64::MAX;
        assert!(get_user::<Mini, u64>(&mut value, bad).is_err());
        assert_eq!(value, 0, "get_user's value is 0 on failure");
        assert!(put_user::<Mini, u32>(7, bad).is_err());
        assert_eq!(clear_user::<Mini>(bad, 16), 16);
    }
    assert_eq!(DATA, *b"mightfault-mini!", "kernel memory unchanged");
}

#[test]
fn partial_copy_exact() {
    machine().memory().lay_out(&[PRESENT, PageState::Unmapped]);
    let start = USER_BASE + PAGE_SIZE - 5;
    assert_eq!(copy_to_user::<Mini>(start, &DATA), DATA.len() - 5);
    assert_eq!(machine().memory().peek(start, 5).unwrap(), DATA[..5]);
}

#[test]
fn pagefault_counter_follows_task() {
    // This kernel's sleep wakes the task on the other cpu: the pagefault counter (in the task)
    // comes along, the per-cpu preempt count stays behind.
    machine().memory().lay_out(&[PageState::NotPresent]);
    let before = Mini::cpu_id();
    pagefault_disable::<Mini>();
    machine().sleep();
    let (after, disabled) = (Mini::cpu_id(), pagefault_disabled::<Mini>());
    pagefault_enable::<Mini>();
    assert_ne!(before, after);
    assert!(disabled);
    assert!(!pagefault_disabled::<Mini>());
}

#[test]
fn lock_migration_deadlock() {
    if config::PREEMPT_COUNT {
        // spin_lock() raises the preempt count: the fault is fixed up instead of sleeping.
        return;
    }
    machine().memory().lay_out(&[PageState::NotPresent]);
    let lock = RawSpinLock::new("migration_lock");
    let first = Mini::cpu_id();
    let ((not_copied, resumed_on, still_held, lockup), text) = captured(|| {
        let guard = lock.lock::<Mini>();
        let not_copied = copy_to_user::<Mini>(USER_BASE, &DATA);
        let resumed_on = Mini::cpu_id();
        guard.unlock();
        let still_held = lock.value();
        let lockup = lock.lock_with_watchdog::<Mini>(LOCKUP_WATCHDOG_NS).is_err();
        (not_copied, resumed_on, still_held, lockup)
    });
    assert_eq!(not_copied, 0);
    assert_ne!(
        resumed_on, first,
        "the fault slept and the task woke elsewhere"
    );
    assert_eq!(
        still_held,
        lock_value(first),
        "the unlock on the wrong cpu failed"
    );
    assert!(
        lockup,
        "a second spin_lock() must not take the orphaned lock"
    );
    assert!(
        text.contains("BUG: spinlock lockup suspected on CPU#"),
        "{text}"
    );
}

#[test]
fn debug_preempt_underflow() {
    if !config::DEBUG_PREEMPT {
        // Without the check the counters wrap, as Linux's do: nothing to assert.
        return;
    }
    let ((depth, count), text) = captured(|| {
        pagefault_enable::<Mini>();
        let depth = Mini::current_task().pagefault_disable_depth();
        preempt_enable::<Mini>();
        (depth, preempt_count::<Mini>())
    });
    assert_eq!((depth, count), (0, 0), "the counters stay at 0");
    let expected = 1 + usize::from(config::PREEMPT_COUNT);
    assert_eq!(
        text.matches("DEBUG_LOCKS_WARN_ON(").count(),
        expected,
        "{text}"
    );
}
