//! The atomic copy with a sleepable fallback: copy_to_user_locked / copy_from_user_locked.

use mightfault_uaccess::nofault::{
    copy_from_user_locked, copy_from_user_locked_with, copy_to_user_locked, fault_in_writeable,
    LockedCopyError, DEFAULT_MAX_TRIES,
};

use super::{no_reports, switches, UnderLock, DATA, LOCK, OLD};
use crate::ktap::Outcome;
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, check, kernel_addr, KERNEL_CANARY};

/// A not-present destination: the first try under the lock comes up short, one fault-in (one
/// sleep, outside the lock) makes it present, the second try completes.
pub(super) fn locked_copy_to_completes_after_fault_in<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let at = user + 40;
    let before = switches::<M>();
    let probe = UnderLock::default();
    let mut buf = [0u8; 64];
    let done = copy_to_user_locked::<M, u32>(&LOCK, at, &mut buf, DEFAULT_MAX_TRIES, |buf| {
        probe.enter::<M>();
        buf.copy_from_slice(&DATA);
        probe.calls()
    });
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    let Ok(done) = done else {
        check!(M, false, "the copy failed: {:?}", done);
        return Outcome::Fail;
    };
    check!(
        M,
        done.tries == 2 && done.value == 2 && probe.calls() == 2,
        "tries {}, value {}, closure calls {}",
        done.tries,
        done.value,
        probe.calls()
    );
    check!(
        M,
        switches::<M>() == before + 1,
        "one page-in, {} sleeps",
        switches::<M>() - before
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA,
        "wrong bytes in user memory"
    );
    check!(M, !LOCK.is_locked(), "the lock stayed held");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// The copy_from_user counterpart: an evicted source is faulted in (readable) outside the lock,
/// and the consumer, under the lock, sees the whole of it.
pub(super) fn locked_copy_from_completes_after_fault_in<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::PresentRw]);
    let at = user + M::PAGE_SIZE - 24;
    check!(M, M::poke_user(at, &DATA), "setup write");
    check!(M, M::evict_user_page(at + 30), "setup eviction");
    let before = switches::<M>();
    let probe = UnderLock::default();
    let mut buf = [0u8; 64];
    let done = copy_from_user_locked::<M, bool>(&LOCK, at, &mut buf, DEFAULT_MAX_TRIES, |bytes| {
        probe.enter::<M>();
        bytes == DATA
    });
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    check!(
        M,
        done == Ok(mightfault_uaccess::nofault::Copied {
            value: true,
            tries: 2
        }),
        "{:?}",
        done
    );
    check!(
        M,
        probe.calls() == 1,
        "consumer called {} times",
        probe.calls()
    );
    check!(
        M,
        switches::<M>() == before + 1,
        "one page-in, {} sleeps",
        switches::<M>() - before
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Nothing sleeps or moves the task while the lock is held, on every try: across three
/// not-present pages, the closures find the lock held by their own cpu, and from the start of
/// a try to its end (the copy included) the task's sleep count and cpu stay the same.
pub(super) fn locked_copy_never_sleeps_under_lock<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let kinds = [PageKind::NotPresent; 3];
    let user = M::map_user_pages(&kinds);
    let at = user + page - 8;
    let len = page + 16;
    let mut big = [0u8; 2 * 4096];
    let Some(buf) = big.get_mut(..len) else {
        check!(M, false, "pages larger than 4 KiB");
        return Outcome::Fail;
    };

    let probe = UnderLock::default();
    let done = copy_to_user_locked::<M, ()>(&LOCK, at, buf, DEFAULT_MAX_TRIES, |buf| {
        probe.enter::<M>();
        buf.fill(0x5c);
    });
    // Nothing slept between the last produce and the return: the copy under the lock included.
    let slept_after = switches::<M>() != probe.switches.get();
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    check!(M, !slept_after, "the copy under the lock slept");
    check!(
        M,
        matches!(done, Ok(ref d) if d.tries >= 2 && d.tries == probe.calls()),
        "{:?} after {} calls",
        done.map(|d| d.tries),
        probe.calls()
    );

    let user = M::map_user_pages(&kinds);
    let at = user + page - 8;
    let probe = UnderLock::default();
    let mut consumed = 0;
    let done = copy_from_user_locked_with::<M, ()>(
        &LOCK,
        at,
        buf,
        DEFAULT_MAX_TRIES,
        || probe.enter::<M>(),
        |bytes| {
            probe.still::<M>();
            consumed = bytes.len();
        },
    );
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    check!(
        M,
        matches!(done, Ok(ref d) if d.tries >= 2 && d.tries == probe.calls()),
        "{:?} after {} calls",
        done.map(|d| d.tries),
        probe.calls()
    );
    check!(M, consumed == len, "consumed {} bytes", consumed);
    check!(M, !LOCK.is_locked(), "the lock stayed held");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// The page is made not present again (evicted) under the lock on each of the first three
/// tries: three fault-ins, the fourth try completes, and the page's other bytes survive.
pub(super) fn locked_copy_survives_eviction_between_tries<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    check!(M, M::poke_user(user, &OLD), "setup write");
    let at = user + 256;
    let before = switches::<M>();
    let probe = UnderLock::default();
    let mut evict_failed = false;
    let mut buf = [0u8; 64];
    let done = copy_to_user_locked::<M, u32>(&LOCK, at, &mut buf, DEFAULT_MAX_TRIES, |buf| {
        probe.enter::<M>();
        if probe.calls() <= 3 && !M::evict_user_page(at) {
            evict_failed = true;
        }
        buf.copy_from_slice(&DATA);
        probe.calls()
    });
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    check!(M, !evict_failed, "the page was not present at a try");
    check!(
        M,
        matches!(done, Ok(d) if d.tries == 4 && d.value == 4),
        "{:?}",
        done
    );
    check!(
        M,
        switches::<M>() == before + 3,
        "three page-ins, {} sleeps",
        switches::<M>() - before
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA,
        "wrong bytes copied"
    );
    check!(
        M,
        M::peek_user(user, &mut seen) && seen == OLD,
        "the page lost its other contents"
    );

    // The same for the copy from user, evicting in the per-try prologue.
    let before = switches::<M>();
    let probe = UnderLock::default();
    let mut evict_failed = false;
    let done = copy_from_user_locked_with::<M, bool>(
        &LOCK,
        at,
        &mut buf,
        DEFAULT_MAX_TRIES,
        || {
            probe.enter::<M>();
            if probe.calls() <= 3 && !M::evict_user_page(at) {
                evict_failed = true;
            }
        },
        |bytes| bytes == DATA,
    );
    check!(
        M,
        probe.wrong().is_none(),
        "{}",
        probe.wrong().unwrap_or("")
    );
    check!(M, !evict_failed, "the page was not present at a try");
    check!(
        M,
        matches!(done, Ok(d) if d.tries == 4 && d.value),
        "{:?}",
        done
    );
    check!(
        M,
        switches::<M>() == before + 3,
        "three page-ins, {} sleeps",
        switches::<M>() - before
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Truly bad memory ends the loop with Efault: unmapped (after one try and a failed fault-in),
/// read-only for a copy to user, partly unmapped, and a kernel address (before the lock is
/// taken at all).
pub(super) fn locked_copy_efault_on_bad_memory<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::Unmapped, PageKind::PresentRo, PageKind::Unmapped]);
    let read_only = user + page;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let cases = [
        (user, 1, "an unmapped page"),
        (read_only, 1, "a read-only page"),
        (read_only + page - 8, 1, "a range into an unmapped page"),
        // Refused by access_ok before any try, unless user memory is its own address space
        // (then the one try faults there).
        (
            kernel_addr(),
            u32::from(M::SEPARATE_USER_SPACE),
            "a kernel address",
        ),
    ];
    let mut buf = [0u8; 64];
    for (addr, calls, what) in cases {
        let probe = UnderLock::default();
        let done = copy_to_user_locked::<M, ()>(&LOCK, addr, &mut buf, DEFAULT_MAX_TRIES, |buf| {
            probe.enter::<M>();
            buf.copy_from_slice(&DATA);
        });
        check!(
            M,
            probe.wrong().is_none(),
            "{}",
            probe.wrong().unwrap_or("")
        );
        check!(
            M,
            done == Err(LockedCopyError::Efault),
            "copy_to_user_locked to {}: {:?}",
            what,
            done
        );
        check!(
            M,
            probe.calls() == calls,
            "copy_to_user_locked to {}: {} tries",
            what,
            probe.calls()
        );
    }
    check!(
        M,
        LockedCopyError::Efault.to_errno() == -14,
        "Efault is not -EFAULT"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(read_only, &mut seen) && seen == OLD,
        "the read-only page changed"
    );
    for (addr, what) in [
        (user, "an unmapped page"),
        (kernel_addr(), "a kernel address"),
    ] {
        let mut consumed = false;
        let done = copy_from_user_locked::<M, ()>(&LOCK, addr, &mut buf, 4, |_| consumed = true);
        check!(
            M,
            done == Err(LockedCopyError::Efault) && !consumed,
            "copy_from_user_locked from {}: {:?}",
            what,
            done
        );
    }
    let done = copy_from_user_locked::<M, bool>(&LOCK, read_only, &mut buf, 4, |b| b == OLD);
    check!(
        M,
        matches!(done, Ok(d) if d.tries == 1 && d.value),
        "copy_from_user_locked from a read-only page: {:?}",
        done
    );
    check!(M, canary_intact(), "kernel memory changed");
    check!(M, KERNEL_CANARY.len() == 64, "canary size");
    check!(M, !LOCK.is_locked(), "the lock stayed held");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// A page that goes away on every try: the loop stops after `max_tries` with TooManyTries
/// (-EAGAIN), having faulted in between tries only; a bound of 0 counts as 1.
pub(super) fn locked_copy_gives_up_after_max_tries<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let mut buf = [0u8; 64];
    for max in [3u32, 1, 0] {
        let before = switches::<M>();
        let probe = UnderLock::default();
        let mut evict_failed = false;
        let done = copy_to_user_locked::<M, ()>(&LOCK, user, &mut buf, max, |buf| {
            probe.enter::<M>();
            evict_failed |= !M::evict_user_page(user);
            buf.copy_from_slice(&DATA);
        });
        let tries = max.max(1);
        check!(
            M,
            probe.wrong().is_none(),
            "{}",
            probe.wrong().unwrap_or("")
        );
        check!(M, !evict_failed, "the page was not present at a try");
        check!(
            M,
            done == Err(LockedCopyError::TooManyTries { tries }) && probe.calls() == tries,
            "max {}: {:?} after {} calls",
            max,
            done,
            probe.calls()
        );
        check!(
            M,
            switches::<M>() == before + u64::from(tries - 1),
            "max {}: {} fault-ins slept {} times",
            max,
            tries - 1,
            switches::<M>() - before
        );
        // The last try's eviction stands; page it back in for the next bound.
        check!(
            M,
            fault_in_writeable::<M>(user, 1) == 0,
            "page-in after giving up"
        );
    }
    check!(
        M,
        LockedCopyError::TooManyTries { tries: 3 }.to_errno() == -11,
        "TooManyTries is not -EAGAIN"
    );

    let before = switches::<M>();
    let mut calls = 0;
    let mut consumed = false;
    let done = copy_from_user_locked_with::<M, ()>(
        &LOCK,
        user,
        &mut buf,
        2,
        || {
            calls += 1;
            M::evict_user_page(user);
        },
        |_| consumed = true,
    );
    check!(
        M,
        done == Err(LockedCopyError::TooManyTries { tries: 2 }) && calls == 2 && !consumed,
        "copy_from_user_locked_with: {:?} after {} tries, consumed {}",
        done,
        calls,
        consumed
    );
    check!(
        M,
        switches::<M>() == before + 1,
        "one fault-in, {} sleeps",
        switches::<M>() - before
    );
    check!(M, !LOCK.is_locked(), "the lock stayed held");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}
