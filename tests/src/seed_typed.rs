//! The `seed_typed` suite: the seed scenarios of SCENARIOS.md written with the typed API
//! (`mightfault_core::context`, `mightfault_uaccess::typed`), in their *correct* form.
//!
//! Each case starts where a syscall would, by making the [`Sleepable`] token once; the guards
//! of `context::spin_lock` and `context::pagefault_disable` borrow it, user memory is a
//! [`UserPtr`] or a [`UserSlice`] made from "syscall arguments", and every copy returns a
//! `#[must_use]` result. The cases:
//!
//! - `spinlock_nofault_copy_is_short_and_silent`: the deliberate copy under a lock, with page
//!   faults disabled (`copy_to_user_inatomic`, which asks for the `NoFault` token): a
//!   not-present page makes it short (-EFAULT), silently, without a sleep or a page-in;
//! - `sleepable_copy_faults_in`: the copy outside the lock, with the `Sleepable` token: the
//!   page is faulted in (one sleep) and the data arrives;
//! - `copy_under_lock_then_rest_outside`: the two together through a `UserSlice` writer: what
//!   the copy under the lock got out stays out (the cursor advanced past it), the rest goes out
//!   after the unlock;
//! - `locked_copy_with_fallback_completes`: the atomic copy with a sleepable fallback
//!   ([`copy_to_user_locked`]) completing on a not-present page;
//! - `get_put_user_round_trip`: typed `put_user`/`get_user` through `UserSlice` cursors, and
//!   `Err(Efault)` (not a stray value) for a kernel address.
//!
//! The buggy patterns of the `seed` suite do not compile in this form: a checked copy under a
//! lock (`spinlock_copy_to_user_warns`), a copy while preemption is off relied on as if page
//! faults were disabled (`atomic_fault_fixup_warns_once`), `_inatomic` without
//! `pagefault_disable`. `tests/compile-fail` holds those, each with the error it gets.

use mightfault_core::context::{self, Sleepable};
use mightfault_core::{pagefault_disabled, preempt_count, Efault, RawSpinLock};
use mightfault_uaccess::nofault::{copy_to_user_locked, DEFAULT_MAX_TRIES};
use mightfault_uaccess::typed::{self, UserPtr, UserSlice};

use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{captured, check, count, kernel_addr, pattern};

const DATA: [u8; 64] = pattern::<64>(0x2d);

static LOCK: RawSpinLock = RawSpinLock::new("seed_typed_lock");

/// The suite, instantiated for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: SeedMachine>() -> Suite {
    Suite {
        name: "seed_typed",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: SeedMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "spinlock_nofault_copy_is_short_and_silent",
            run: spinlock_nofault_copy_is_short_and_silent::<M>,
        },
        Case {
            name: "sleepable_copy_faults_in",
            run: sleepable_copy_faults_in::<M>,
        },
        Case {
            name: "copy_under_lock_then_rest_outside",
            run: copy_under_lock_then_rest_outside::<M>,
        },
        Case {
            name: "locked_copy_with_fallback_completes",
            run: locked_copy_with_fallback_completes::<M>,
        },
        Case {
            name: "get_put_user_round_trip",
            run: get_put_user_round_trip::<M>,
        },
    ];
}

/// The case's "syscall entry": the one place that vouches for the context.
fn syscall_entry<M: SeedMachine>() -> Sleepable<M> {
    // SAFETY: every case runs from the suite's task in process context, preemptible, with no
    // lock held, interrupts on and outside any RCU reader (`ktap::run`'s contract), and the
    // token stays in the case.
    unsafe { Sleepable::<M>::assume() }
}

fn switches<M: SeedMachine>() -> u64 {
    M::current_task().voluntary_switches()
}

/// How many reports (`BUG:` and `WARNING:`) the case printed; stops the capture.
fn reports<M: SeedMachine>() -> usize {
    captured::<M, _>(|text| count(text, "BUG:") + count(text, "WARNING:"))
}

fn user_bytes_are<M: SeedMachine>(addr: usize, expected: &[u8]) -> bool {
    let mut seen = [0u8; 64];
    let seen = &mut seen[..expected.len()];
    M::peek_user(addr, seen) && seen == expected
}

/// `spin_lock; pagefault_disable; copy_to_user_inatomic` to a not-present page: short, silent.
fn spinlock_nofault_copy_is_short_and_silent<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let before = switches::<M>();
    let mut cx = syscall_entry::<M>();
    let (result, faults_off) = {
        let mut locked = context::spin_lock(&LOCK, &mut cx);
        let nofault = context::pagefault_disable(&mut locked);
        let result = typed::copy_to_user_inatomic(&nofault, UserPtr::from_syscall_arg(user), &DATA);
        (result, pagefault_disabled::<M>())
    };
    let reports = reports::<M>();
    check!(
        M,
        result.map_err(typed::Uncopied::bytes) == Err(DATA.len()),
        "expected all {} bytes not copied, got {:?}",
        DATA.len(),
        result
    );
    check!(
        M,
        faults_off,
        "the NoFault token did not disable page faults"
    );
    check!(M, reports == 0, "{} reports printed", reports);
    check!(M, switches::<M>() == before, "the task slept");
    check!(M, !M::user_page_present(user), "the page was paged in");
    check!(
        M,
        !pagefault_disabled::<M>() && preempt_count::<M>() == 0 && !LOCK.is_locked(),
        "the guards did not release"
    );
    Outcome::Pass
}

/// `copy_to_user` with the `Sleepable` token to a not-present page: faulted in, data arrives.
fn sleepable_copy_faults_in<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let before = switches::<M>();
    let mut cx = syscall_entry::<M>();
    let result = typed::copy_to_user(&mut cx, UserPtr::from_syscall_arg(user), &DATA);
    let slept = switches::<M>() - before;
    let reports = reports::<M>();
    check!(M, result.is_ok(), "the copy came up short: {:?}", result);
    check!(
        M,
        user_bytes_are::<M>(user, &DATA),
        "the data did not arrive"
    );
    check!(M, M::user_page_present(user), "the page is not present");
    check!(
        M,
        slept == 1,
        "a page-in sleeps once; the task slept {} times",
        slept
    );
    check!(M, reports == 0, "{} reports printed", reports);
    Outcome::Pass
}

/// A `UserSlice` writer straddling a present and a not-present page: under the lock, with page
/// faults disabled, it gets out what lies on the present page and advances past it; after the
/// unlock the rest goes out with the `Sleepable` token.
fn copy_under_lock_then_rest_outside<M: SeedMachine>() -> Outcome {
    const ON_FIRST_PAGE: usize = 24;
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::NotPresent]);
    let start = user + M::PAGE_SIZE - ON_FIRST_PAGE;
    let before = switches::<M>();
    let mut cx = syscall_entry::<M>();
    let mut out = UserSlice::from_syscall_args(start, DATA.len()).writer();
    let first = {
        let mut locked = context::spin_lock(&LOCK, &mut cx);
        let nofault = context::pagefault_disable(&mut locked);
        out.write_slice_inatomic(&nofault, &DATA)
    };
    let slept_under_lock = switches::<M>() - before;
    let left = out.len();
    let rest = match first {
        Ok(()) => Ok(()),
        Err(short) => out.write_slice(&mut cx, &DATA[DATA.len() - short.bytes()..]),
    };
    let reports = reports::<M>();
    check!(
        M,
        first.map_err(typed::Uncopied::bytes) == Err(DATA.len() - ON_FIRST_PAGE),
        "under the lock: {:?}, expected {} bytes not copied",
        first,
        DATA.len() - ON_FIRST_PAGE
    );
    check!(
        M,
        left == DATA.len() - ON_FIRST_PAGE,
        "the writer has {} bytes left after the copy under the lock",
        left
    );
    check!(M, slept_under_lock == 0, "the task slept under the lock");
    check!(M, rest.is_ok(), "the rest came up short: {:?}", rest);
    check!(M, out.is_empty(), "the writer has {} bytes left", out.len());
    check!(
        M,
        user_bytes_are::<M>(start, &DATA),
        "the data did not arrive"
    );
    check!(
        M,
        switches::<M>() - before == 1,
        "one page-in, {} sleeps",
        switches::<M>() - before
    );
    check!(M, reports == 0, "{} reports printed", reports);
    Outcome::Pass
}

/// `copy_to_user_locked` to a not-present page: short under the lock, faulted in outside it,
/// complete on the second try.
fn locked_copy_with_fallback_completes<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::NotPresent]);
    let before = switches::<M>();
    let mut buf = [0u8; 64];
    let done = copy_to_user_locked::<M, _>(&LOCK, user, &mut buf, DEFAULT_MAX_TRIES, |buf| {
        buf.copy_from_slice(&DATA);
    });
    let reports = reports::<M>();
    let Ok(done) = done else {
        check!(M, false, "the copy failed: {:?}", done);
        return Outcome::Fail;
    };
    check!(M, done.tries == 2, "expected 2 tries, took {}", done.tries);
    check!(
        M,
        user_bytes_are::<M>(user, &DATA),
        "the data did not arrive"
    );
    check!(M, M::user_page_present(user), "the page is not present");
    check!(
        M,
        switches::<M>() - before == 1,
        "one page-in, {} sleeps",
        switches::<M>() - before
    );
    check!(M, !LOCK.is_locked(), "the lock stayed held");
    check!(M, reports == 0, "{} reports printed", reports);
    Outcome::Pass
}

/// `put_user`/`get_user` through a `UserSlice`'s cursors, and -EFAULT for a kernel address.
fn get_put_user_round_trip<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let mut cx = syscall_entry::<M>();
    let mut out = UserSlice::from_syscall_args(user, 12).writer();
    let wrote = (
        out.write(&mut cx, 0x1234_5678u32),
        out.write(&mut cx, 0x0123_4567_89ab_cdefu64),
        out.write(&mut cx, 1u8),
    );
    let mut input = UserSlice::from_syscall_args(user, 12).reader();
    let first = input.read::<_, u32>(&mut cx);
    let left = input.len();
    let second = input.read::<_, u64>(&mut cx);
    let past_end = input.read::<_, u8>(&mut cx);
    let direct = typed::get_user(&mut cx, UserPtr::<u64>::from_syscall_arg(user + 4));
    let kernel = UserPtr::<u64>::from_syscall_arg(kernel_addr());
    let from_kernel = typed::get_user(&mut cx, kernel);
    let to_kernel = typed::put_user(&mut cx, 0u64, kernel);
    let reports = reports::<M>();
    check!(
        M,
        wrote == (Ok(()), Ok(()), Err(Efault)),
        "writes: {:?} (the third is past the end)",
        wrote
    );
    check!(M, first == Ok(0x1234_5678), "read {:?}", first);
    check!(
        M,
        left == 8,
        "the reader did not advance by 4: {} left",
        left
    );
    check!(M, second == Ok(0x0123_4567_89ab_cdef), "read {:?}", second);
    check!(
        M,
        past_end == Err(Efault) && input.is_empty(),
        "past the end: {:?}, {} left",
        past_end,
        input.len()
    );
    check!(M, direct == second, "get_user read {:?}", direct);
    check!(
        M,
        from_kernel == Err(Efault) && to_kernel == Err(Efault),
        "a kernel address: get {:?}, put {:?}",
        from_kernel,
        to_kernel
    );
    check!(M, crate::support::canary_intact(), "kernel memory changed");
    check!(M, reports == 0, "{} reports printed", reports);
    Outcome::Pass
}
