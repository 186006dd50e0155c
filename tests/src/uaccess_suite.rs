//! The `uaccess` suite: every accessor against every kind of bad input, and the finer points
//! of their semantics (tail zeroing, in-atomic copies, strings, unchecked variants).

use core::panic::Location;

use mightfault_core::console::capture_start;
use mightfault_core::{
    config, pagefault_disable, pagefault_enable, preempt_disable, preempt_enable, Efault,
    RawSpinLock,
};
use mightfault_uaccess::{
    __clear_user, __copy_from_user, __copy_from_user_inatomic, __copy_to_user,
    __copy_to_user_inatomic, __get_user, __put_user, access_ok, clear_user, copy_from_user,
    copy_to_user, get_user, put_user, strncpy_from_user, strnlen_user,
};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{
    canary_intact, captured, check, code_site, count, here, kernel_addr, names_location,
    names_site, pattern, SLEEP_BUG,
};

const DATA: [u8; 64] = pattern::<64>(0x23);

/// The suite, instantiated for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: SeedMachine>() -> Suite {
    Suite {
        name: "uaccess",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: SeedMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "access_ok_bounds",
            run: access_ok_bounds::<M>,
        },
        Case {
            name: "bad_input_matrix",
            run: every_accessor_refuses::<M>,
        },
        Case {
            name: "read_only_page_refuses_writes",
            run: read_only_page_refuses_writes::<M>,
        },
        Case {
            name: "get_put_user_sizes",
            run: get_put_user_sizes::<M>,
        },
        Case {
            name: "straddling_scalar_is_all_or_nothing",
            run: straddling_scalar_is_all_or_nothing::<M>,
        },
        Case {
            name: "pagefault_disabled_scalar_efault",
            run: pagefault_disabled_scalar_efault::<M>,
        },
        Case {
            name: "inatomic_copy_keeps_tail",
            run: inatomic_copy_keeps_tail::<M>,
        },
        Case {
            name: "unchecked_accessors_do_not_report",
            run: unchecked_accessors_do_not_report::<M>,
        },
        Case {
            name: "strncpy_from_user_semantics",
            run: strncpy_from_user_semantics::<M>,
        },
        Case {
            name: "strnlen_user_semantics",
            run: strnlen_user_semantics::<M>,
        },
        Case {
            name: "checked_accessors_report_at_caller",
            run: checked_accessors_report_at_caller::<M>,
        },
        Case {
            name: "zero_length_checked_calls",
            run: zero_length_checked_calls::<M>,
        },
        Case {
            name: "inatomic_copies_do_not_report",
            run: inatomic_copies_do_not_report::<M>,
        },
        Case {
            name: "strings_longer_than_a_scan_chunk",
            run: strings_longer_than_a_scan_chunk::<M>,
        },
    ];
}

fn access_ok_bounds<M: SeedMachine>() -> Outcome {
    let limit = M::USER_LIMIT;
    check!(M, access_ok::<M>(0, 0), "an empty range at 0");
    check!(M, access_ok::<M>(limit, 0), "an empty range at the limit");
    check!(M, access_ok::<M>(limit - 1, 1), "the last user byte");
    check!(
        M,
        !access_ok::<M>(limit, 1),
        "the first byte above the limit"
    );
    check!(M, !access_ok::<M>(limit - 1, 2), "a range across the limit");
    check!(M, access_ok::<M>(0, limit), "all of user space");
    check!(
        M,
        !access_ok::<M>(1, limit),
        "one byte more than user space"
    );
    check!(M, !access_ok::<M>(usize::MAX - 3, 8), "a wrapping range");
    check!(M, !access_ok::<M>(8, usize::MAX), "a length that wraps");
    if M::SEPARATE_USER_SPACE {
        // No kernel range to refuse: the address is resolved in the user's space.
        check!(M, access_ok::<M>(kernel_addr(), 1), "a kernel address");
    } else {
        check!(M, !access_ok::<M>(kernel_addr(), 1), "a kernel address");
    }
    Outcome::Pass
}

/// Addresses that no checked accessor may touch, with what each stands for.
fn bad_addresses<M: SeedMachine>(unmapped: usize) -> [(usize, &'static str); 5] {
    [
        (0, "NULL"),
        (unmapped, "an unmapped user page"),
        (kernel_addr(), "a kernel address"),
        (usize::MAX - 3, "a wrapping range"),
        (M::USER_LIMIT - 4, "a range across the user limit"),
    ]
}

/// copy_to_user, copy_from_user, get_user, put_user and clear_user on each bad address:
/// bytes-not-copied = length or -EFAULT, get_user's value 0, copy_from_user's destination
/// zeroed, kernel memory unchanged.
pub(crate) fn every_accessor_refuses<M: SeedMachine>() -> Outcome {
    let unmapped = M::map_user_pages(&[PageKind::Unmapped, PageKind::PresentRw]);
    check!(
        M,
        M::SEPARATE_USER_SPACE || kernel_addr() >= M::USER_LIMIT,
        "the canary at {:#x} is not a kernel address",
        kernel_addr()
    );
    for (addr, what) in bad_addresses::<M>(unmapped) {
        let not_copied = copy_to_user::<M>(addr, &DATA);
        check!(
            M,
            not_copied == DATA.len(),
            "copy_to_user to {} returned {}",
            what,
            not_copied
        );

        let mut into = [0xaau8; 64];
        let not_read = copy_from_user::<M>(&mut into, addr);
        check!(
            M,
            not_read == into.len(),
            "copy_from_user from {} returned {}",
            what,
            not_read
        );
        check!(
            M,
            into.iter().all(|&b| b == 0),
            "copy_from_user from {} did not zero",
            what
        );

        let mut value = 0x1234_5678_9abc_def0u64;
        let got = get_user::<M, u64>(&mut value, addr);
        check!(
            M,
            got == Err(Efault),
            "get_user from {} returned {:?}",
            what,
            got
        );
        check!(M, value == 0, "get_user from {} left {:#x}", what, value);

        let put = put_user::<M, u64>(0xdead_beef, addr);
        check!(
            M,
            put == Err(Efault),
            "put_user to {} returned {:?}",
            what,
            put
        );

        let not_cleared = clear_user::<M>(addr, 64);
        check!(
            M,
            not_cleared == 64,
            "clear_user of {} returned {}",
            what,
            not_cleared
        );
        check!(M, Efault.to_errno() == -14, "-EFAULT is -14");
    }
    check!(M, canary_intact(), "kernel memory changed");
    Outcome::Pass
}

fn read_only_page_refuses_writes<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRo]);
    let original = pattern::<64>(0x42);
    M::poke_user(user, &original);
    check!(
        M,
        copy_to_user::<M>(user, &DATA) == DATA.len(),
        "copy_to_user wrote a read-only page"
    );
    check!(
        M,
        put_user::<M, u32>(7, user) == Err(Efault),
        "put_user wrote a read-only page"
    );
    check!(
        M,
        clear_user::<M>(user, 16) == 16,
        "clear_user wrote a read-only page"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(user, &mut seen) && seen == original,
        "the page changed"
    );
    let mut into = [0u8; 64];
    check!(
        M,
        copy_from_user::<M>(&mut into, user) == 0,
        "reading a read-only page failed"
    );
    check!(M, into == original, "read back other bytes");
    let mut value = 0u32;
    check!(
        M,
        get_user::<M, u32>(&mut value, user).is_ok(),
        "get_user from a read-only page"
    );
    Outcome::Pass
}

fn get_put_user_sizes<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::NotPresent]);
    let page = M::PAGE_SIZE;
    check!(M, put_user::<M, u8>(0xab, user).is_ok(), "put_user u8");
    check!(
        M,
        put_user::<M, u16>(0xabcd, user + 2).is_ok(),
        "put_user u16"
    );
    check!(
        M,
        put_user::<M, u32>(0x0123_4567, user + 4).is_ok(),
        "put_user u32"
    );
    check!(
        M,
        put_user::<M, u64>(0x89ab_cdef_0123_4567, user + 8).is_ok(),
        "put_user u64"
    );
    let (mut b, mut h, mut w, mut d) = (0u8, 0u16, 0u32, 0u64);
    check!(
        M,
        get_user::<M, u8>(&mut b, user).is_ok() && b == 0xab,
        "get_user u8 = {:#x}",
        b
    );
    check!(
        M,
        get_user::<M, u16>(&mut h, user + 2).is_ok() && h == 0xabcd,
        "get_user u16 = {:#x}",
        h
    );
    check!(
        M,
        get_user::<M, u32>(&mut w, user + 4).is_ok() && w == 0x0123_4567,
        "get_user u32 = {:#x}",
        w
    );
    check!(
        M,
        get_user::<M, u64>(&mut d, user + 8).is_ok() && d == 0x89ab_cdef_0123_4567,
        "get_user u64 = {:#x}",
        d
    );
    // Sizes land where they should: the u8 at offset 0 did not spill into offset 1.
    let mut raw = [0u8; 2];
    check!(
        M,
        M::peek_user(user, &mut raw) && raw[1] == 0,
        "put_user u8 wrote two bytes"
    );
    // A not-present page is paged in by get/put_user as by the copies.
    check!(
        M,
        put_user::<M, u64>(42, user + page).is_ok(),
        "put_user to a not-present page"
    );
    check!(
        M,
        get_user::<M, u64>(&mut d, user + page).is_ok() && d == 42,
        "get_user after page-in = {}",
        d
    );
    Outcome::Pass
}

fn straddling_scalar_is_all_or_nothing<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let at = user + M::PAGE_SIZE - 4;
    M::poke_user(at, &[1, 2, 3, 4]);
    let mut value = u64::MAX;
    check!(
        M,
        get_user::<M, u64>(&mut value, at) == Err(Efault),
        "get_user across into an unmapped page"
    );
    check!(M, value == 0, "get_user left {:#x}", value);
    check!(
        M,
        put_user::<M, u64>(u64::MAX, at) == Err(Efault),
        "put_user across into an unmapped page"
    );
    let mut seen = [0u8; 4];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == [1, 2, 3, 4],
        "put_user wrote half a value: {:?}",
        seen
    );
    Outcome::Pass
}

fn pagefault_disabled_scalar_efault<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let mut value = 5u32;
    pagefault_disable::<M>();
    let got = get_user::<M, u32>(&mut value, user);
    let put = put_user::<M, u32>(9, user);
    let mut into = [0xaau8; 16];
    let not_read = copy_from_user::<M>(&mut into, user);
    pagefault_enable::<M>();
    check!(
        M,
        got == Err(Efault) && value == 0,
        "get_user: {:?}, value {}",
        got,
        value
    );
    check!(M, put == Err(Efault), "put_user: {:?}", put);
    check!(
        M,
        not_read == 16 && into == [0; 16],
        "copy_from_user: {} left, tail zeroed",
        not_read
    );
    check!(M, !M::user_page_present(user), "the page was paged in");
    Outcome::Pass
}

fn inatomic_copy_keeps_tail<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let start = user + M::PAGE_SIZE - 8;
    M::poke_user(start, &DATA[..8]);
    let mut into = [0xaau8; 32];
    pagefault_disable::<M>();
    // SAFETY: `start` lies in the test's user area, below the user limit.
    let left = unsafe { __copy_from_user_inatomic::<M>(&mut into, start) };
    pagefault_enable::<M>();
    check!(M, left == 24, "__copy_from_user_inatomic left {}", left);
    check!(M, into[..8] == DATA[..8], "the first 8 bytes differ");
    check!(
        M,
        into[8..].iter().all(|&b| b == 0xaa),
        "the in-atomic copy touched the tail"
    );
    let mut zeroed = [0xaau8; 32];
    // SAFETY: as above.
    let left = unsafe { __copy_from_user::<M>(&mut zeroed, start) };
    check!(
        M,
        left == 24 && zeroed[8..].iter().all(|&b| b == 0),
        "__copy_from_user must zero the tail"
    );
    Outcome::Pass
}

fn unchecked_accessors_do_not_report<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let lock = RawSpinLock::new("unchecked_lock");
    let guard = lock.lock::<M>();
    // SAFETY: `user` is a present page of the test's user area (checked by construction).
    let results = unsafe {
        let mut value = 0u32;
        (
            __copy_to_user::<M>(user, &DATA),
            __copy_from_user::<M>(&mut [0u8; 8], user),
            __clear_user::<M>(user, 8),
            __put_user::<M, u32>(3, user),
            __get_user::<M, u32>(&mut value, user).map(|_| value),
        )
    };
    drop(guard);
    let reports = captured::<M, _>(|text| count(text, "BUG:"));
    check!(
        M,
        results.0 == 0 && results.1 == 0 && results.2 == 0,
        "copies left {:?}",
        (results.0, results.1, results.2)
    );
    check!(
        M,
        results.3.is_ok() && results.4 == Ok(3),
        "get/put: {:?} {:?}",
        results.3,
        results.4
    );
    check!(
        M,
        reports == 0,
        "an unchecked accessor reported ({} reports)",
        reports
    );
    Outcome::Pass
}

fn strncpy_from_user_semantics<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    M::poke_user(user, b"hello\0world");
    let mut dst = [0xffu8; 16];
    let got = strncpy_from_user::<M>(&mut dst, user);
    check!(
        M,
        got == Ok(5) && &dst[..6] == b"hello\0",
        "a short string: {:?}",
        got
    );
    check!(
        M,
        dst[6..].iter().all(|&b| b == 0xff),
        "bytes after the NUL were written"
    );

    let mut small = [0u8; 3];
    let got = strncpy_from_user::<M>(&mut small, user);
    check!(
        M,
        got == Ok(3) && &small == b"hel",
        "no NUL within count: {:?}",
        got
    );

    // A string that runs into the unmapped page has no end: -EFAULT.
    let tail = user + M::PAGE_SIZE - 4;
    M::poke_user(tail, b"abcd");
    let got = strncpy_from_user::<M>(&mut dst, tail);
    check!(
        M,
        got == Err(Efault),
        "a string running into a hole: {:?}",
        got
    );

    for (addr, what) in [(0, "NULL"), (kernel_addr(), "a kernel address")] {
        let got = strncpy_from_user::<M>(&mut dst, addr);
        check!(
            M,
            got == Err(Efault),
            "strncpy_from_user from {}: {:?}",
            what,
            got
        );
    }
    Outcome::Pass
}

fn strnlen_user_semantics<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    M::poke_user(user, b"hello\0");
    check!(M, strnlen_user::<M>(user, 64) == 6, "length with the NUL");
    check!(
        M,
        strnlen_user::<M>(user, 3) > 3,
        "no NUL within n must return more than n"
    );
    check!(M, strnlen_user::<M>(user, 0) == 0, "n = 0");
    let tail = user + M::PAGE_SIZE - 2;
    M::poke_user(tail, b"xy");
    check!(
        M,
        strnlen_user::<M>(tail, 64) == 0,
        "a string running into a hole"
    );
    check!(
        M,
        strnlen_user::<M>(kernel_addr(), 64) == 0,
        "a kernel address"
    );
    check!(M, strnlen_user::<M>(0, 64) == 0, "NULL");
    Outcome::Pass
}

/// How many sleeping-function reports one checked call under a spinlock must print here: one
/// with debug-atomic-sleep, none when legacy-might-fault silences might_fault() in atomic
/// context.
fn reports_due_under_spinlock() -> usize {
    usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT)
}

/// Runs `call` (one checked accessor) under a fresh spinlock with a fresh report budget, then
/// checks its report: exactly as many as are due, naming the call site `call` returns (the
/// accessor's caller, through `#[track_caller]`) and the lock, and with debug-preempt the
/// lock's site as where preemption was disabled. `call` also says whether its result was right.
fn one_report_at_caller<M: SeedMachine>(
    what: &str,
    call: impl FnOnce() -> (&'static Location<'static>, bool),
) -> Outcome {
    let lock = RawSpinLock::new("uaccess_lock");
    M::debug_state().reset_ratelimit();
    capture_start::<M>();
    let (lock_site, guard) = (code_site::<M>(), lock.lock::<M>());
    let (call_site, result_ok) = call();
    drop(guard);
    let (reports, names_call, names_lock, names_preempt_off) = captured::<M, _>(|text| {
        (
            count(text, SLEEP_BUG),
            names_location(text, SLEEP_BUG, call_site),
            names_site::<M>(text, "(uaccess_lock){....}-{2:2}, at: ", &lock_site),
            names_site::<M>(text, "Preemption disabled at:\n", &lock_site),
        )
    });
    let due = reports_due_under_spinlock();
    check!(M, result_ok, "{}: wrong result", what);
    check!(
        M,
        reports == due,
        "{}: {} reports, expected {}",
        what,
        reports,
        due
    );
    if due == 1 {
        check!(
            M,
            names_call,
            "{}: the report must name {}",
            what,
            call_site
        );
        check!(
            M,
            names_lock,
            "{}: the report must list uaccess_lock taken at {}",
            what,
            lock_site
        );
        check!(
            M,
            names_preempt_off == config::DEBUG_PREEMPT,
            "{}: `Preemption disabled at:` must name {} exactly with debug-preempt",
            what,
            lock_site
        );
    }
    Outcome::Pass
}

/// Fails the case with `outcome` unless it passed.
macro_rules! pass_or_return {
    ($outcome:expr) => {
        match $outcome {
            Outcome::Pass => {}
            other => return other,
        }
    };
}

/// Each of the seven checked accessors, called under a spinlock, on a good user address and
/// on a kernel address: exactly one report each (none with legacy-might-fault), naming the
/// caller's file:line, and the bad address still refused in full. might_fault() runs before
/// access_ok(), so the bug is reported whatever the pointer (Linux's order).
fn checked_accessors_report_at_caller<M: SeedMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return Outcome::Skip("needs debug-atomic-sleep");
    }
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let string = user + 64;
    const LEN: usize = 16;
    for (addr, good) in [(user, true), (kernel_addr(), false)] {
        // The string accessors read their own area, which the copies above leave alone.
        let text = if good { string } else { addr };
        M::poke_user(string, b"hello\0");
        pass_or_return!(one_report_at_caller::<M>("copy_to_user", || {
            let (site, left) = (here(), copy_to_user::<M>(addr, &DATA[..LEN]));
            (site, left == if good { 0 } else { LEN })
        }));
        pass_or_return!(one_report_at_caller::<M>("copy_from_user", || {
            let mut into = [0xaau8; LEN];
            let (site, left) = (here(), copy_from_user::<M>(&mut into, addr));
            let zeroed = good || into == [0; LEN];
            (site, zeroed && left == if good { 0 } else { LEN })
        }));
        pass_or_return!(one_report_at_caller::<M>("clear_user", || {
            let (site, left) = (here(), clear_user::<M>(addr + 32, LEN));
            (site, left == if good { 0 } else { LEN })
        }));
        pass_or_return!(one_report_at_caller::<M>("get_user", || {
            let mut value = u64::MAX;
            let (site, got) = (here(), get_user::<M, u64>(&mut value, addr));
            (site, got.is_ok() == good && (good || value == 0))
        }));
        pass_or_return!(one_report_at_caller::<M>("put_user", || {
            let (site, put) = (here(), put_user::<M, u64>(7, addr + 8));
            (site, put.is_ok() == good)
        }));
        pass_or_return!(one_report_at_caller::<M>("strncpy_from_user", || {
            let mut dst = [0xffu8; LEN];
            let (site, got) = (here(), strncpy_from_user::<M>(&mut dst, text));
            (site, got == if good { Ok(5) } else { Err(Efault) })
        }));
        pass_or_return!(one_report_at_caller::<M>("strnlen_user", || {
            let (site, len) = (here(), strnlen_user::<M>(text, LEN));
            (site, len == if good { 6 } else { 0 })
        }));
    }
    check!(M, canary_intact(), "kernel memory changed");
    Outcome::Pass
}

/// Zero lengths under a spinlock, as Linux: copies, clear_user and strncpy_from_user check the
/// context whatever the length (their might_fault() comes first), strnlen_user with n = 0
/// returns 0 before anything (Linux's has no might_fault() at all).
fn zero_length_checked_calls<M: SeedMachine>() -> Outcome {
    if !config::DEBUG_ATOMIC_SLEEP {
        return Outcome::Skip("needs debug-atomic-sleep");
    }
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    pass_or_return!(one_report_at_caller::<M>("copy_to_user of 0 bytes", || {
        let (site, left) = (here(), copy_to_user::<M>(user, &[]));
        (site, left == 0)
    }));
    pass_or_return!(one_report_at_caller::<M>(
        "copy_from_user of 0 bytes",
        || {
            let (site, left) = (here(), copy_from_user::<M>(&mut [], user));
            (site, left == 0)
        }
    ));
    pass_or_return!(one_report_at_caller::<M>("clear_user of 0 bytes", || {
        let (site, left) = (here(), clear_user::<M>(user, 0));
        (site, left == 0)
    }));
    pass_or_return!(one_report_at_caller::<M>(
        "strncpy_from_user into 0 bytes",
        || {
            let (site, got) = (here(), strncpy_from_user::<M>(&mut [], kernel_addr()));
            (site, got == Ok(0))
        }
    ));
    let lock = RawSpinLock::new("uaccess_lock");
    M::debug_state().reset_ratelimit();
    capture_start::<M>();
    let guard = lock.lock::<M>();
    let len = strnlen_user::<M>(user, 0);
    drop(guard);
    let reports = captured::<M, _>(|text| count(text, SLEEP_BUG));
    check!(M, len == 0, "strnlen_user(n = 0) returned {}", len);
    check!(
        M,
        reports == 0,
        "strnlen_user(n = 0) must return before its check; {} reports",
        reports
    );
    Outcome::Pass
}

/// The in-atomic copies are meant for atomic context: under preempt_disable() neither prints
/// anything (no might_fault() of their own), and on present pages both copy everything.
fn inatomic_copies_do_not_report<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let mut into = [0u8; 32];
    preempt_disable::<M>();
    // SAFETY: `user` is a present page of the test's user area, below the user limit.
    let (to_left, from_left) = unsafe {
        (
            __copy_to_user_inatomic::<M>(user, &DATA[..32]),
            __copy_from_user_inatomic::<M>(&mut into, user),
        )
    };
    preempt_enable::<M>();
    let printed = captured::<M, _>(|text| count(text, "BUG:") + count(text, "WARNING:"));
    check!(
        M,
        to_left == 0 && from_left == 0,
        "the copies left {} and {}",
        to_left,
        from_left
    );
    check!(M, into[..] == DATA[..32], "read back other bytes");
    check!(
        M,
        printed == 0,
        "an in-atomic copy reported ({} reports)",
        printed
    );
    Outcome::Pass
}

/// The longest string the chunk case builds, and its buffers' size.
const LONG: usize = 600;

/// String lengths around every multiple of the usual scan chunk sizes (32 to 512 bytes), so
/// that whatever chunk the scan reads by, strings end inside the first chunk, exactly at a
/// chunk's end, and several chunks in.
const LONG_LENGTHS: [usize; 22] = [
    0,
    1,
    31,
    32,
    33,
    63,
    64,
    65,
    100,
    127,
    128,
    129,
    191,
    192,
    193,
    255,
    256,
    257,
    511,
    512,
    513,
    LONG - 1,
];

/// strncpy_from_user and strnlen_user on strings longer than one scan chunk, starting 100
/// bytes before a page boundary so that the longer ones cross it: the length, the bytes, the
/// NUL and nothing after it; a count that ends inside the string; and a long string that runs
/// into a hole.
fn strings_longer_than_a_scan_chunk<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::PresentRw]);
    let start = user + M::PAGE_SIZE - 100;
    let mut source = [0u8; LONG + 1];
    for (index, byte) in source.iter_mut().enumerate() {
        // Never 0: only the terminator written below is a NUL.
        *byte = (index % 251) as u8 + 1;
    }
    for len in LONG_LENGTHS {
        let mut text = source;
        text[len] = 0;
        check!(M, M::poke_user(start, &text), "cannot set up {} bytes", len);
        let mut dst = [0xffu8; LONG + 1];
        let got = strncpy_from_user::<M>(&mut dst, start);
        check!(
            M,
            got == Ok(len),
            "strncpy_from_user of {} bytes: {:?}",
            len,
            got
        );
        check!(
            M,
            dst[..len] == source[..len] && dst[len] == 0,
            "strncpy_from_user of {} bytes copied other bytes",
            len
        );
        check!(
            M,
            dst[len + 1..].iter().all(|&b| b == 0xff),
            "strncpy_from_user of {} bytes wrote past the NUL",
            len
        );
        let size = strnlen_user::<M>(start, LONG + 1);
        check!(
            M,
            size == len + 1,
            "strnlen_user of {} bytes: {}",
            len,
            size
        );
        if len == 0 {
            continue;
        }
        // A count that ends at the string's last byte: no NUL within it.
        let mut exact = [0xffu8; LONG + 1];
        let got = strncpy_from_user::<M>(&mut exact[..len], start);
        check!(
            M,
            got == Ok(len) && exact[..len] == source[..len],
            "strncpy_from_user with count = length {}: {:?}",
            len,
            got
        );
        let size = strnlen_user::<M>(start, len);
        check!(
            M,
            size > len,
            "strnlen_user with n = length {} must return more than n: {}",
            len,
            size
        );
        let half = len.div_ceil(2);
        let size = strnlen_user::<M>(start, half);
        check!(
            M,
            size > half,
            "strnlen_user with n = {} inside {} bytes: {}",
            half,
            len,
            size
        );
    }
    // A long string with no NUL before an unmapped page: no end, so -EFAULT and 0.
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let start = user + M::PAGE_SIZE - 300;
    check!(M, M::poke_user(start, &source[..300]), "cannot set up");
    let mut dst = [0u8; LONG + 1];
    let got = strncpy_from_user::<M>(&mut dst, start);
    check!(
        M,
        got == Err(Efault),
        "a long string into a hole: {:?}",
        got
    );
    let size = strnlen_user::<M>(start, LONG + 1);
    check!(
        M,
        size == 0,
        "strnlen_user of a long string into a hole: {}",
        size
    );
    Outcome::Pass
}
