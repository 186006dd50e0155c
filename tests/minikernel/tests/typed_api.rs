//! The typed API (`mightfault_core::context`, `mightfault_uaccess::typed`) on minikernel: the
//! seed scenarios written the way a kernel that is not mightfault's would write its syscalls,
//! with a `Sleepable` token made at the syscall entry, guards that borrow it, `UserPtr`s and
//! `UserSlice` cursors made from syscall arguments. Each test runs on its own machine (one per
//! test thread). The buggy patterns (a checked copy under a lock, ...) do not compile; the
//! workspace's `tests/compile-fail` holds those.

use mightfault_core::console::{capture_start, capture_stop};
use mightfault_core::context::{self, Sleepable};
use mightfault_core::{config, pagefault_disabled, preempt_count, Arch, Efault, RawSpinLock};
use mightfault_uaccess::nofault::{copy_to_user_locked, DEFAULT_MAX_TRIES};
use mightfault_uaccess::typed::{self, UserPtr, UserSlice};
use minikernel::{machine, Mini, PageState, PAGE_SIZE, USER_BASE};

const DATA: [u8; 16] = *b"mightfault-mini!";
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

/// The "syscall entry" of this kernel: the one place that vouches for the context.
fn syscall_entry() -> Sleepable<Mini> {
    // SAFETY: the test thread is this machine's only task, at its syscall entry: preemptible,
    // no spinlock held, interrupts on, outside any RCU reader.
    unsafe { Sleepable::<Mini>::assume() }
}

#[test]
fn syscall_entry_token_is_free_and_checked() {
    assert_eq!(core::mem::size_of::<Sleepable<Mini>>(), 0, "zero-sized");
    let (_, text) = captured(|| {
        let _cx = syscall_entry();
    });
    assert_eq!(text, "", "a true promise is silent");

    // A wrong promise (the token made under a raw spinlock) is reported at run time.
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let (_, text) = captured(|| {
        let guard = LOCK.lock::<Mini>();
        let _cx = syscall_entry();
        drop(guard);
    });
    let expected = usize::from(config::DEBUG_ATOMIC_SLEEP);
    assert_eq!(
        text.matches("BUG: sleeping function called from invalid context")
            .count(),
        expected,
        "{text}"
    );
}

#[test]
fn inatomic_copy_under_lock_is_short_and_silent() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let switches = Mini::current_task().voluntary_switches();
    let ((result, count_under, faults_off), text) = captured(|| {
        let mut cx = syscall_entry();
        let mut locked = context::spin_lock(&LOCK, &mut cx);
        let nofault = context::pagefault_disable(&mut locked);
        let result =
            typed::copy_to_user_inatomic(&nofault, UserPtr::from_syscall_arg(USER_BASE), &DATA);
        let under = (preempt_count::<Mini>(), pagefault_disabled::<Mini>());
        drop(nofault);
        drop(locked);
        (result, under.0, under.1)
    });
    let short = result.expect_err("a not-present page cannot be copied to with faults off");
    assert_eq!(short.bytes(), DATA.len(), "nothing copied");
    assert!(faults_off, "the NoFault token means pagefault_disabled()");
    assert_eq!(
        count_under != 0,
        config::PREEMPT_COUNT,
        "spin_lock raised the count"
    );
    assert_eq!(text, "", "no report");
    assert_eq!(
        Mini::current_task().voluntary_switches(),
        switches,
        "no sleep"
    );
    assert_eq!(
        machine().memory().state(USER_BASE),
        Some(PageState::NotPresent),
        "the page stays not present"
    );
    assert_eq!(preempt_count::<Mini>(), 0, "the guards released");
    assert!(!pagefault_disabled::<Mini>());
}

#[test]
fn sleepable_copy_faults_in() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    let switches = Mini::current_task().voluntary_switches();
    let (result, text) = captured(|| {
        let mut cx = syscall_entry();
        typed::copy_to_user(&mut cx, UserPtr::from_syscall_arg(USER_BASE + 8), &DATA)
    });
    assert_eq!(result, Ok(()));
    assert_eq!(text, "", "no report");
    assert_eq!(
        Mini::current_task().voluntary_switches(),
        switches + 1,
        "the page-in slept once"
    );
    assert_eq!(machine().memory().state(USER_BASE), Some(PRESENT));
    assert_eq!(
        machine().memory().peek(USER_BASE + 8, DATA.len()).unwrap(),
        DATA
    );
}

#[test]
fn copy_under_lock_then_rest_outside_it() {
    // A copy straddling a present page and a not-present one: under the lock the writer
    // advances past what it copied; the rest goes out after the unlock, where it may sleep.
    machine()
        .memory()
        .lay_out(&[PRESENT, PageState::NotPresent]);
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let start = USER_BASE + PAGE_SIZE - 6;
    let ((first, left_after_lock, rest), text) = captured(|| {
        let mut cx = syscall_entry();
        let mut out = UserSlice::from_syscall_args(start, DATA.len()).writer();
        let first = {
            let mut locked = context::spin_lock(&LOCK, &mut cx);
            let nofault = context::pagefault_disable(&mut locked);
            out.write_slice_inatomic(&nofault, &DATA)
        };
        let left = out.len();
        let rest = match first {
            Ok(()) => Ok(()),
            Err(short) => out.write_slice(&mut cx, &DATA[DATA.len() - short.bytes()..]),
        };
        assert!(out.is_empty(), "the writer reached the end");
        (first, left, rest)
    });
    assert_eq!(
        first.map_err(|short| short.bytes()),
        Err(DATA.len() - 6),
        "under the lock, only the present page's 6 bytes"
    );
    assert_eq!(left_after_lock, DATA.len() - 6, "the writer advanced by 6");
    assert_eq!(rest, Ok(()));
    assert_eq!(text, "", "no report");
    assert_eq!(machine().memory().peek(start, DATA.len()).unwrap(), DATA);
}

#[test]
fn locked_copy_with_fallback_completes_on_a_not_present_page() {
    machine().memory().lay_out(&[PageState::NotPresent]);
    static LOCK: RawSpinLock = RawSpinLock::new("mini_lock");
    let (done, text) = captured(|| {
        let mut buf = [0u8; DATA.len()];
        copy_to_user_locked::<Mini, _>(&LOCK, USER_BASE, &mut buf, DEFAULT_MAX_TRIES, |buf| {
            buf.copy_from_slice(&DATA)
        })
    });
    let done = done.expect("the page can be paged in");
    assert_eq!(done.tries, 2, "short under the lock, then complete");
    assert_eq!(text, "", "nothing slept under the lock");
    assert_eq!(
        machine().memory().peek(USER_BASE, DATA.len()).unwrap(),
        DATA
    );
}

#[test]
fn user_slice_cursors_advance() {
    machine().memory().lay_out(&[PRESENT]);
    let (read_back, text) = captured(|| {
        let mut cx = syscall_entry();
        let mut out = UserSlice::from_syscall_args(USER_BASE, 14).writer();
        out.write(&mut cx, 0x1122_3344u32).unwrap();
        assert_eq!(out.len(), 10);
        out.write(&mut cx, 0x5566_7788_99aa_bbccu64).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out.write(&mut cx, 1u32), Err(Efault), "past the end");
        assert_eq!(out.len(), 2, "a refused write does not advance");
        out.write_slice(&mut cx, b"ok").unwrap();
        assert!(out.is_empty());

        let mut input = UserSlice::from_syscall_args(USER_BASE, 14).reader();
        let a: u32 = input.read(&mut cx).unwrap();
        let b: u64 = input.read(&mut cx).unwrap();
        assert_eq!(input.read::<_, u32>(&mut cx), Err(Efault), "past the end");
        assert_eq!(input.len(), 2, "a refused read does not advance");
        let mut tail = [0u8; 2];
        input.read_slice(&mut cx, &mut tail).unwrap();
        assert!(input.is_empty());
        (a, b, tail)
    });
    assert_eq!(
        read_back,
        (0x1122_3344, 0x5566_7788_99aa_bbcc, *b"ok"),
        "each read starts where the last ended"
    );
    assert_eq!(text, "");
    // This kernel's user memory is big-endian (its put_user stores the high byte first).
    let mut bytes = 0x1122_3344u32.to_be_bytes().to_vec();
    bytes.extend_from_slice(&0x5566_7788_99aa_bbccu64.to_be_bytes());
    bytes.extend_from_slice(b"ok");
    assert_eq!(machine().memory().peek(USER_BASE, 14).unwrap(), bytes);
}

#[test]
fn get_user_returns_a_result() {
    machine().memory().lay_out(&[
        PRESENT,
        PageState::Present { writable: false },
        PageState::Unmapped,
    ]);
    let mut cx = syscall_entry();
    let word = UserPtr::<u64>::from_syscall_arg(USER_BASE + 8);
    assert_eq!(typed::put_user(&mut cx, 0xfeed_f00du64, word), Ok(()));
    assert_eq!(typed::get_user(&mut cx, word), Ok(0xfeed_f00d));
    let read_only = UserPtr::<u32>::from_syscall_arg(USER_BASE + PAGE_SIZE);
    assert_eq!(typed::get_user(&mut cx, read_only), Ok(0));
    assert_eq!(typed::put_user(&mut cx, 7u32, read_only), Err(Efault));
    let unmapped = UserPtr::<u32>::from_syscall_arg(USER_BASE + 2 * PAGE_SIZE);
    assert_eq!(typed::get_user(&mut cx, unmapped), Err(Efault));
    let kernel = UserPtr::<u8>::from_syscall_arg(DATA.as_ptr() as usize);
    assert_eq!(typed::get_user(&mut cx, kernel), Err(Efault));
    assert_eq!(typed::put_user(&mut cx, 0u8, kernel), Err(Efault));
    assert_eq!(DATA, *b"mightfault-mini!", "kernel memory unchanged");
}
