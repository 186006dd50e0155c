//! The `nofault` suite: the copies that never sleep, fault-in, and the atomic copy with a
//! sleepable fallback (`mightfault_uaccess::nofault`).
//!
//! Pages are made not present in two ways: laid out so ([`PageKind::NotPresent`], paged in
//! zero-filled), or evicted after they were present ([`SeedMachine::evict_user_page`], paged in
//! with their contents). The retry cases evict from inside the closure that runs under the
//! lock, so the page goes away again between a fault-in and the next try.

use core::cell::Cell;

use mightfault_core::spinlock::lock_value;
use mightfault_core::{
    config, in_atomic, local_irq_restore, local_irq_save, pagefault_disabled, preempt_disable,
    preempt_enable, Efault, RawSpinLock,
};
use mightfault_uaccess::nofault::{
    copy_from_user_locked, copy_from_user_locked_with, copy_from_user_nofault, copy_to_user_locked,
    copy_to_user_nofault, fault_in_readable, fault_in_writeable, LockedCopyError,
    DEFAULT_MAX_TRIES,
};
use mightfault_uaccess::{copy_from_user, put_user};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, captured, check, count, kernel_addr, pattern, KERNEL_CANARY};

const DATA: [u8; 64] = pattern::<64>(0x31);
const OLD: [u8; 64] = pattern::<64>(0x77);

/// The lock the retry cases copy under.
static LOCK: RawSpinLock = RawSpinLock::new("nofault_lock");

/// The suite, instantiated for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: SeedMachine>() -> Suite {
    Suite {
        name: "nofault",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: SeedMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "evict_keeps_contents",
            run: evict_keeps_contents::<M>,
        },
        Case {
            name: "nofault_copies_present",
            run: nofault_copies_present::<M>,
        },
        Case {
            name: "nofault_copies_never_page_in",
            run: nofault_copies_never_page_in::<M>,
        },
        Case {
            name: "nofault_copies_refuse_bad_addresses",
            run: nofault_copies_refuse_bad_addresses::<M>,
        },
        Case {
            name: "nofault_copies_silent_in_atomic_context",
            run: nofault_copies_silent_in_atomic_context::<M>,
        },
        Case {
            name: "fault_in_makes_pages_present",
            run: fault_in_makes_pages_present::<M>,
        },
        Case {
            name: "fault_in_counts_bytes_not_faulted_in",
            run: fault_in_counts_bytes_not_faulted_in::<M>,
        },
        Case {
            name: "locked_copy_to_completes_after_fault_in",
            run: locked_copy_to_completes_after_fault_in::<M>,
        },
        Case {
            name: "locked_copy_from_completes_after_fault_in",
            run: locked_copy_from_completes_after_fault_in::<M>,
        },
        Case {
            name: "locked_copy_never_sleeps_under_lock",
            run: locked_copy_never_sleeps_under_lock::<M>,
        },
        Case {
            name: "locked_copy_survives_eviction_between_tries",
            run: locked_copy_survives_eviction_between_tries::<M>,
        },
        Case {
            name: "locked_copy_efault_on_bad_memory",
            run: locked_copy_efault_on_bad_memory::<M>,
        },
        Case {
            name: "locked_copy_gives_up_after_max_tries",
            run: locked_copy_gives_up_after_max_tries::<M>,
        },
    ];
}

/// How many times the current task has slept.
fn switches<M: SeedMachine>() -> u64 {
    M::current_task().voluntary_switches()
}

/// Whether the console stayed free of reports and warnings since the case began (this stops
/// the capture: call it once, at the end).
fn no_reports<M: SeedMachine>() -> bool {
    captured::<M, _>(|text| count(text, "BUG:") == 0 && count(text, "WARNING:") == 0)
}

/// What the closures that run under [`LOCK`] saw. Closures cannot fail a case themselves, so
/// they note the first thing that was wrong and the case checks it afterwards. Cells, so that
/// the two closures of a copy from user can share one.
#[derive(Default)]
struct UnderLock {
    /// Calls of [`UnderLock::enter`] so far.
    calls: Cell<u32>,
    /// The first violation seen.
    wrong: Cell<Option<&'static str>>,
    /// The task's sleeps and cpu when the last call entered.
    switches: Cell<u64>,
    cpu: Cell<u32>,
}

impl UnderLock {
    fn note(&self, what: &'static str) {
        if self.wrong.get().is_none() {
            self.wrong.set(Some(what));
        }
    }

    fn calls(&self) -> u32 {
        self.calls.get()
    }

    fn wrong(&self) -> Option<&'static str> {
        self.wrong.get()
    }

    /// Called first thing in a closure under the lock: the lock is held by this cpu (so the
    /// task has not moved since it took it), the context is atomic where the count exists, and
    /// page faults are enabled (the closure is not inside the no-fault copy). Records the
    /// sleeps and cpu.
    fn enter<M: SeedMachine>(&self) {
        self.calls.set(self.calls.get() + 1);
        if LOCK.value() != lock_value(M::cpu_id()) {
            self.note("closure ran without the lock held by its cpu");
        }
        if config::PREEMPT_COUNT && !in_atomic::<M>() {
            self.note("closure ran outside atomic context");
        }
        if pagefault_disabled::<M>() {
            self.note("closure ran with page faults disabled");
        }
        self.switches.set(switches::<M>());
        self.cpu.set(M::cpu_id());
    }

    /// Called later under the same hold of the lock: nothing slept or moved the task since
    /// [`UnderLock::enter`].
    fn still<M: SeedMachine>(&self) {
        if switches::<M>() != self.switches.get() {
            self.note("the task slept while holding the lock");
        }
        if M::cpu_id() != self.cpu.get() || LOCK.value() != lock_value(M::cpu_id()) {
            self.note("the task changed cpu while holding the lock");
        }
    }
}

/// The test hook itself: an evicted page is not present, keeps its bytes and its writability,
/// and is paged in again (sleeping once) by the next access; only present pages are evicted.
fn evict_keeps_contents<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::PresentRw,
        PageKind::PresentRo,
        PageKind::NotPresent,
        PageKind::Unmapped,
    ]);
    check!(M, M::poke_user(user, &DATA), "setup write");
    check!(M, M::poke_user(user + page, &OLD), "setup write");
    check!(M, M::evict_user_page(user + 5), "evicting a present page");
    check!(M, !M::user_page_present(user), "evicted page still present");
    let mut peeked = [0u8; 64];
    check!(
        M,
        !M::peek_user(user, &mut peeked),
        "an evicted page can be peeked"
    );
    check!(M, !M::evict_user_page(user), "evicted twice");
    check!(
        M,
        !M::evict_user_page(user + 2 * page),
        "evicted a not-present page"
    );
    check!(
        M,
        !M::evict_user_page(user + 3 * page),
        "evicted an unmapped page"
    );
    let before = switches::<M>();
    let mut read = [0u8; 64];
    check!(
        M,
        copy_from_user::<M>(&mut read, user) == 0,
        "reading the evicted page"
    );
    check!(M, read == DATA, "the evicted page lost its contents");
    check!(
        M,
        switches::<M>() == before + 1,
        "page-in slept {} times",
        switches::<M>() - before
    );
    check!(M, M::user_page_present(user), "not present after page-in");
    check!(
        M,
        M::evict_user_page(user + page),
        "evicting a read-only page"
    );
    check!(
        M,
        put_user::<M, u8>(1, user + page) == Err(Efault),
        "an evicted read-only page came back writable"
    );
    check!(
        M,
        copy_from_user::<M>(&mut read, user + page) == 0 && read == OLD,
        "the read-only page lost its contents"
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Present pages: both copies complete, with the right bytes, without sleeping.
fn nofault_copies_present<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::PresentRw]);
    let before = switches::<M>();
    // Across the page boundary.
    let at = user + page - 20;
    check!(
        M,
        copy_to_user_nofault::<M>(at, &DATA) == Ok(()),
        "copy_to_user_nofault to present pages"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA,
        "wrong bytes in user memory"
    );
    let mut read = [0u8; 64];
    check!(
        M,
        copy_from_user_nofault::<M>(&mut read, at) == Ok(()),
        "copy_from_user_nofault from present pages"
    );
    check!(M, read == DATA, "read back other bytes");
    check!(
        M,
        copy_to_user_nofault::<M>(user, &[]) == Ok(()),
        "an empty copy"
    );
    check!(M, switches::<M>() == before, "a nofault copy slept");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Not-present pages (never present, or evicted with contents): both copies fail with -EFAULT,
/// page nothing in and do not sleep; a copy that reaches one stops exactly there.
fn nofault_copies_never_page_in<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::PresentRw,
        PageKind::PresentRw,
    ]);
    check!(M, M::poke_user(user + 2 * page, &OLD), "setup write");
    check!(M, M::evict_user_page(user + 2 * page), "setup eviction");
    let before = switches::<M>();
    for (addr, what) in [
        (user, "a not-present page"),
        (user + 2 * page, "an evicted page"),
    ] {
        check!(
            M,
            copy_to_user_nofault::<M>(addr, &DATA) == Err(Efault),
            "copy_to_user_nofault to {}",
            what
        );
        let mut read = [0xaau8; 64];
        check!(
            M,
            copy_from_user_nofault::<M>(&mut read, addr) == Err(Efault),
            "copy_from_user_nofault from {}",
            what
        );
        check!(
            M,
            read == [0xaa; 64],
            "copy_from_user_nofault from {} changed the buffer",
            what
        );
        check!(M, !M::user_page_present(addr), "{} was paged in", what);
    }
    // From the present page into the evicted one: the bytes before the boundary are written.
    let at = user + 2 * page - 16;
    check!(
        M,
        copy_to_user_nofault::<M>(at, &DATA) == Err(Efault),
        "a copy into an evicted page"
    );
    let mut seen = [0u8; 16];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA[..16],
        "the bytes before the boundary were not written"
    );
    let mut read = [0xaau8; 64];
    check!(
        M,
        copy_from_user_nofault::<M>(&mut read, at) == Err(Efault),
        "a copy from across into an evicted page"
    );
    check!(
        M,
        read[..16] == DATA[..16] && read[16..].iter().all(|&b| b == 0xaa),
        "copy_from_user_nofault: head not copied or tail changed"
    );
    check!(
        M,
        !M::user_page_present(user + 2 * page),
        "the evicted page was paged in"
    );
    check!(M, switches::<M>() == before, "a nofault copy slept");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Unmapped, read-only (for writes), kernel, NULL, wrapping and limit-crossing addresses:
/// -EFAULT, kernel memory untouched.
fn nofault_copies_refuse_bad_addresses<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::Unmapped, PageKind::PresentRo]);
    let read_only = user + M::PAGE_SIZE;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let bad = [
        (user, "an unmapped page"),
        (kernel_addr(), "a kernel address"),
        (0, "NULL"),
        (usize::MAX - 3, "a wrapping range"),
        (M::USER_LIMIT - 4, "a range across the user limit"),
    ];
    for (addr, what) in bad {
        check!(
            M,
            copy_to_user_nofault::<M>(addr, &DATA) == Err(Efault),
            "copy_to_user_nofault to {}",
            what
        );
        let mut read = [0u8; 64];
        check!(
            M,
            copy_from_user_nofault::<M>(&mut read, addr) == Err(Efault),
            "copy_from_user_nofault from {}",
            what
        );
    }
    check!(
        M,
        copy_to_user_nofault::<M>(read_only, &DATA) == Err(Efault),
        "copy_to_user_nofault wrote a read-only page"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(read_only, &mut seen) && seen == OLD,
        "the read-only page changed"
    );
    check!(
        M,
        copy_from_user_nofault::<M>(&mut seen, read_only) == Ok(()) && seen == OLD,
        "reading a read-only page"
    );
    check!(M, canary_intact(), "kernel memory changed");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Any context may call them: under a spinlock, with preemption disabled, with interrupts
/// disabled; present pages are copied, not-present ones refused, nothing reported.
fn nofault_copies_silent_in_atomic_context<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::NotPresent]);
    let absent = user + page;
    let mut read = [0u8; 64];

    let guard = LOCK.lock::<M>();
    let locked = (
        copy_to_user_nofault::<M>(user, &DATA),
        copy_to_user_nofault::<M>(absent, &DATA),
        copy_from_user_nofault::<M>(&mut read, absent),
    );
    drop(guard);
    check!(
        M,
        locked == (Ok(()), Err(Efault), Err(Efault)),
        "under a spinlock: {:?}",
        locked
    );

    preempt_disable::<M>();
    let preempt_off = (
        copy_from_user_nofault::<M>(&mut read, user),
        copy_to_user_nofault::<M>(absent, &DATA),
    );
    preempt_enable::<M>();
    check!(
        M,
        preempt_off == (Ok(()), Err(Efault)) && read == DATA,
        "with preemption disabled: {:?}",
        preempt_off
    );

    let flags = local_irq_save::<M>();
    let irqs_off = (
        copy_to_user_nofault::<M>(user, &OLD),
        copy_from_user_nofault::<M>(&mut read, absent),
    );
    local_irq_restore::<M>(flags);
    check!(
        M,
        irqs_off == (Ok(()), Err(Efault)),
        "with interrupts disabled: {:?}",
        irqs_off
    );
    check!(M, !M::user_page_present(absent), "a page was paged in");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// fault_in_writeable/fault_in_readable page in every page of a range (starting mid-page),
/// keep evicted pages' contents, and return 0.
fn fault_in_makes_pages_present<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::NotPresent,
        PageKind::NotPresent,
        PageKind::PresentRw,
        PageKind::NotPresent,
        PageKind::NotPresent,
    ]);
    let before = switches::<M>();
    let left = fault_in_writeable::<M>(user + 100, 2 * page + 10);
    check!(M, left == 0, "fault_in_writeable left {} bytes", left);
    for index in 0..3 {
        check!(
            M,
            M::user_page_present(user + index * page),
            "page {} not faulted in for writing",
            index
        );
    }
    check!(
        M,
        switches::<M>() >= before + 3,
        "three page-ins slept {} times",
        switches::<M>() - before
    );
    check!(
        M,
        copy_to_user_nofault::<M>(user + 2 * page, &DATA) == Ok(()),
        "a faulted-in page is not writable"
    );
    let left = fault_in_readable::<M>(user + 4 * page, 2 * page);
    check!(M, left == 0, "fault_in_readable left {} bytes", left);
    check!(
        M,
        M::user_page_present(user + 4 * page) && M::user_page_present(user + 5 * page),
        "pages not faulted in for reading"
    );
    // Evicted pages come back with their contents, also after a write fault-in.
    let kept = user + 3 * page + 8;
    check!(M, M::poke_user(kept, &OLD), "setup write");
    for (write, what) in [(true, "fault_in_writeable"), (false, "fault_in_readable")] {
        check!(M, M::evict_user_page(kept), "setup eviction");
        let left = if write {
            fault_in_writeable::<M>(kept, 64)
        } else {
            fault_in_readable::<M>(kept, 64)
        };
        check!(M, left == 0, "{} of an evicted page left {}", what, left);
        let mut seen = [0u8; 64];
        check!(
            M,
            M::peek_user(kept, &mut seen) && seen == OLD,
            "{} changed the page's contents",
            what
        );
    }
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// The result counts the bytes from the first page that could not be faulted in; bad ranges
/// return their size, empty ones 0.
fn fault_in_counts_bytes_not_faulted_in<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::Unmapped,
        PageKind::PresentRo,
    ]);
    let start = user + page - 10;
    let left = fault_in_writeable::<M>(start, 30);
    check!(
        M,
        left == 20,
        "fault_in_writeable into unmapped left {}",
        left
    );
    check!(
        M,
        M::user_page_present(user),
        "the first page not faulted in"
    );
    let left = fault_in_readable::<M>(start, 30);
    check!(
        M,
        left == 20,
        "fault_in_readable into unmapped left {}",
        left
    );
    let left = fault_in_writeable::<M>(user + page + 5, 100);
    check!(
        M,
        left == 100,
        "fault_in_writeable of unmapped left {}",
        left
    );
    let read_only = user + 2 * page;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let left = fault_in_writeable::<M>(read_only, 64);
    check!(
        M,
        left == 64,
        "fault_in_writeable of read-only left {}",
        left
    );
    let left = fault_in_readable::<M>(read_only, 64);
    check!(M, left == 0, "fault_in_readable of read-only left {}", left);
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(read_only, &mut seen) && seen == OLD,
        "the read-only page changed"
    );
    check!(
        M,
        fault_in_writeable::<M>(kernel_addr(), 64) == 64
            && fault_in_readable::<M>(kernel_addr(), 64) == 64,
        "a kernel address"
    );
    check!(
        M,
        fault_in_writeable::<M>(usize::MAX - 3, 8) == 8,
        "a wrapping range"
    );
    check!(
        M,
        fault_in_writeable::<M>(user + page, 0) == 0 && fault_in_readable::<M>(0, 0) == 0,
        "an empty range"
    );
    check!(M, canary_intact(), "kernel memory changed");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// A not-present destination: the first try under the lock comes up short, one fault-in (one
/// sleep, outside the lock) makes it present, the second try completes.
fn locked_copy_to_completes_after_fault_in<M: SeedMachine>() -> Outcome {
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
fn locked_copy_from_completes_after_fault_in<M: SeedMachine>() -> Outcome {
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
fn locked_copy_never_sleeps_under_lock<M: SeedMachine>() -> Outcome {
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
fn locked_copy_survives_eviction_between_tries<M: SeedMachine>() -> Outcome {
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
fn locked_copy_efault_on_bad_memory<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::Unmapped, PageKind::PresentRo, PageKind::Unmapped]);
    let read_only = user + page;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let cases = [
        (user, 1, "an unmapped page"),
        (read_only, 1, "a read-only page"),
        (read_only + page - 8, 1, "a range into an unmapped page"),
        (kernel_addr(), 0, "a kernel address"),
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
fn locked_copy_gives_up_after_max_tries<M: SeedMachine>() -> Outcome {
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
