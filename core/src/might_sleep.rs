//! might_sleep(), might_fault() and cant_sleep(): annotations that say what a function may do,
//! checked with `debug-atomic-sleep` and free without it.

#[cfg(feature = "debug-atomic-sleep")]
use core::fmt::{self, Write};
#[cfg(feature = "debug-atomic-sleep")]
use core::panic::Location;

use crate::arch::{Arch, PreemptCountStore};

/// Declares that the caller may sleep. With `debug-atomic-sleep`, reports when called in atomic
/// context (a raised preempt count: spinlock, preempt_disable, hardirq, softirq, bh disabled),
/// with interrupts masked, or inside an RCU reader (at most once a second); without it,
/// compiles to nothing.
///
/// # Context
/// Never sleeps itself; call it from any function that may sleep, at the top.
#[inline(always)]
#[track_caller]
pub fn might_sleep<A: Arch>() {
    #[cfg(feature = "debug-atomic-sleep")]
    check_sleep_allowed::<A>(Location::caller());
}

/// Declares that the caller may fault on user memory, and so may sleep, unless the task
/// disabled page faults (then a fault is fixed up without sleeping). With
/// `legacy-might-fault` it also stays quiet whenever `in_atomic()`, the 2013–2015 behaviour
/// that hid `spin_lock(); copy_to_user();`.
///
/// # Context
/// Never sleeps itself; call it from every user-memory accessor that may fault.
#[inline(always)]
#[track_caller]
pub fn might_fault<A: Arch>() {
    // The fast test first: a zero word means sleeping is allowed, whatever the pagefault
    // counter says. Only a non-zero word looks further (out of line).
    if might_fault_pending::<A>() {
        might_fault_at::<A>(core::panic::Location::caller());
    }
}

/// [`might_fault`] in two halves, for an accessor that moves its whole slow path out of line
/// (so that its fast path makes no call, and needs no frame to survive one): whether the fast
/// test asks for the rest, [`might_fault_at`]. Always false without debug-atomic-sleep.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn might_fault_pending<A: Arch>() -> bool {
    #[cfg(feature = "debug-atomic-sleep")]
    {
        A::PreemptCount::count_nonzero()
    }
    #[cfg(not(feature = "debug-atomic-sleep"))]
    false
}

/// The second half of [`might_fault`] (see [`might_fault_pending`]), reporting at `at`: quiet
/// with page faults disabled (and, with legacy-might-fault, in atomic context); otherwise the
/// full decision and the report.
///
/// # Context
/// Never sleeps itself; called where [`might_fault`] would be.
#[inline]
pub fn might_fault_at<A: Arch>(at: &'static core::panic::Location<'static>) {
    #[cfg(feature = "debug-atomic-sleep")]
    might_fault_slow::<A>(at);
    #[cfg(not(feature = "debug-atomic-sleep"))]
    let _ = at;
}

/// The rest of [`might_fault`] when the word is not zero: quiet with page faults disabled
/// (and, with legacy-might-fault, in atomic context); otherwise the full decision.
#[cfg(feature = "debug-atomic-sleep")]
#[cold]
#[inline(never)]
fn might_fault_slow<A: Arch>(at: &'static Location<'static>) {
    if crate::pagefault::pagefault_disabled::<A>() {
        return;
    }
    #[cfg(feature = "legacy-might-fault")]
    if crate::preempt::in_atomic::<A>() {
        return;
    }
    if sleeping_forbidden::<A>() {
        report_sleep_in_atomic::<A>(at);
        crate::call_trace::keep_frame();
    }
}

/// The may-not-sleep word: zero exactly when the current context may sleep. With
/// debug-atomic-sleep it is the preempt count (preempt, softirq, hardirq and NMI fields) with
/// the irqs-off flag and the RCU read-side depth beside them, in one word where the arch keeps
/// the count (per-cpu behind gs on x86_64, in the task on s390x and powerpc64), so that
/// might_sleep() and might_fault() test one word. Without it, just the preempt count.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn may_not_sleep_word<A: Arch>() -> u32 {
    A::PreemptCount::count()
}

/// The full decision the report is made on: `in_atomic()`, interrupts masked (asked of the
/// cpu), or inside an RCU reader. With debug-atomic-sleep and the irq state tracked as
/// `crate::irq_tracking` asks, it is true exactly when [`may_not_sleep_word`] is not zero.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn sleeping_forbidden<A: Arch>() -> bool {
    crate::preempt::in_atomic::<A>()
        || A::irqs_disabled()
        || crate::rcu::rcu_preempt_depth::<A>() != 0
}

/// Declares that the caller relies on not being able to sleep. With `debug-atomic-sleep`,
/// reports when the context is preemptible (not atomic and interrupts enabled).
///
/// # Context
/// Never sleeps; meant for atomic context.
#[inline(always)]
#[track_caller]
pub fn cant_sleep<A: Arch>() {
    #[cfg(feature = "debug-atomic-sleep")]
    if !crate::preempt::in_atomic::<A>() && !A::irqs_disabled() {
        report_cant_sleep::<A>(Location::caller());
    }
}

#[cfg(feature = "debug-atomic-sleep")]
#[inline(always)]
fn check_sleep_allowed<A: Arch>(at: &'static Location<'static>) {
    if A::PreemptCount::count_nonzero() {
        might_sleep_slow::<A>(at);
    }
}

/// The rest of might_sleep() when the word is not zero: the full decision, then the report.
#[cfg(feature = "debug-atomic-sleep")]
#[cold]
#[inline(never)]
fn might_sleep_slow<A: Arch>(at: &'static Location<'static>) {
    if sleeping_forbidden::<A>() {
        report_sleep_in_atomic::<A>(at);
        crate::call_trace::keep_frame();
    }
}

/// The report of Linux's `__might_resched()`: its first three lines byte for byte, the RCU
/// nesting line with `preempt`, the spinlocks the task holds in lockdep's line format, where
/// preemption was disabled (debug-preempt), then dump_stack()'s lines and call trace; the
/// machine is tainted with TAINT_WARN after it, as Linux does.
#[cfg(feature = "debug-atomic-sleep")]
#[cold]
#[inline(never)]
fn report_sleep_in_atomic<A: Arch>(at: &'static Location<'static>) {
    if !A::debug_state().take_sleep_report_slot(A::now_ns()) {
        return;
    }
    crate::console::report_with_trace::<A>(|out, marker| write_sleep_report::<A>(out, at, marker));
    crate::taint::add_taint::<A>(crate::taint::TAINT_WARN);
}

#[cfg(feature = "debug-atomic-sleep")]
fn write_sleep_report<A: Arch>(
    out: &mut dyn Write,
    at: &'static Location<'static>,
    marker: usize,
) -> fmt::Result {
    let task = A::current_task();
    let count = crate::preempt::preempt_count::<A>();
    write!(
        out,
        "BUG: sleeping function called from invalid context at {}:{}\n\
         in_atomic(): {}, irqs_disabled(): {}, non_block: 0, pid: {}, name: {}\n\
         preempt_count: {:x}, expected: 0\n",
        at.file(),
        at.line(),
        (count != 0) as u8,
        A::irqs_disabled() as u8,
        task.pid(),
        task.name(),
        count,
    )?;
    // Linux prints this line whenever RCU readers can be preempted (CONFIG_PREEMPT_RCU).
    if crate::config::PREEMPT {
        writeln!(
            out,
            "RCU nest depth: {}, expected: 0",
            crate::rcu::rcu_preempt_depth::<A>()
        )?;
    }
    write_held_locks::<A>(out)?;
    #[cfg(feature = "debug-preempt")]
    write_preempt_disable_ip::<A>(out, count)?;
    crate::dump_stack::write_dump_stack::<A>(out, marker)
}

/// Lists the spinlocks the current task holds as lockdep's `debug_show_held_locks()` does:
///
/// ```text
/// 1 lock held by seed/1:
///  #0: ffffffff8022fb88 (seed_lock){....}-{2:2}, at: mightfault_tests::seed::copy_under_spinlock+0x3c/0x1f0
/// ```
///
/// The address is the lock's, 16 hex digits without `0x` (`%px`). The usage field `{....}` is
/// lockdep's for a class with no irq usage recorded: the crate does not track in which
/// contexts each lock was taken, so every lock prints it. `{2:2}` is the wait type of a
/// spinning lock (LD_WAIT_SPIN outer and inner), which every lock of the crate is. `at:` names
/// the code the lock function returned to; a backend without a stack walker prints the
/// caller's `file:line` there instead.
#[cfg(feature = "debug-atomic-sleep")]
pub(crate) fn write_held_locks<A: Arch>(out: &mut dyn Write) -> fmt::Result {
    let task = A::current_task();
    let locks = task.held_locks();
    let depth = locks.depth();
    if depth == 0 {
        return writeln!(out, "no locks held by {}/{}.", task.name(), task.pid());
    }
    writeln!(
        out,
        "{} lock{} held by {}/{}:",
        depth,
        if depth == 1 { "" } else { "s" },
        task.name(),
        task.pid()
    )?;
    for index in 0..depth {
        match locks.get(index) {
            Some(lock) => {
                write!(
                    out,
                    " #{}: {:016x} ({}){{....}}-{{2:2}}, at: ",
                    index, lock.addr, lock.name
                )?;
                write_code_site::<A>(out, lock.ip, lock.taken_at)?;
                out.write_char('\n')?;
            }
            None => writeln!(out, " #{index}: (not tracked)")?,
        }
    }
    Ok(())
}

/// A code address as `%pS`, or `file:line` when the walker gave none.
#[cfg(feature = "debug-atomic-sleep")]
fn write_code_site<A: Arch>(
    out: &mut dyn Write,
    ip: usize,
    at: &'static Location<'static>,
) -> fmt::Result {
    if ip == 0 {
        write!(out, "{}:{}", at.file(), at.line())
    } else {
        write!(out, "{}", crate::call_trace::symbolized::<A>(ip))
    }
}

/// Linux's `print_preempt_disable_ip()`: when the preempt count is not the one the caller may
/// sleep with (always 0 here), where the task raised it from 0, so that a report caused by a
/// lock or preempt_disable() taken far from the sleep names that place:
/// `Preemption disabled at:` and `[<address>] function+0x1c/0x90` (`print_ip_sym()`), or the
/// `file:line` of that place where the backend's walker found no address.
#[cfg(all(feature = "debug-atomic-sleep", feature = "debug-preempt"))]
pub(crate) fn write_preempt_disable_ip<A: Arch>(out: &mut dyn Write, count: u32) -> fmt::Result {
    if count == 0 {
        return Ok(());
    }
    let task = A::current_task();
    match task.preempt_disable_ip() {
        Some(at) => {
            out.write_str("Preemption disabled at:\n")?;
            let ip = task.preempt_disable_addr();
            if ip != 0 {
                write!(out, "[<{ip:016x}>] ")?;
            }
            write_code_site::<A>(out, ip, at)?;
            out.write_char('\n')
        }
        // This task never raised its count from 0 through preempt_disable() or
        // irq_enter(): a backend added to its store directly. Say so, as Linux's line
        // then shows a null address.
        None => out.write_str("Preemption disabled at:\n(not recorded)\n"),
    }
}

#[cfg(feature = "debug-atomic-sleep")]
#[cold]
#[inline(never)]
fn report_cant_sleep<A: Arch>(at: &'static Location<'static>) {
    if !A::debug_state().take_cant_sleep_report_slot(A::now_ns()) {
        return;
    }
    crate::console::report_with_trace::<A>(|out, marker| {
        let task = A::current_task();
        write!(
            out,
            "BUG: assuming atomic context at {}:{}\n\
             in_atomic(): 0, irqs_disabled(): 0, pid: {}, name: {}\n",
            at.file(),
            at.line(),
            task.pid(),
            task.name(),
        )?;
        write_held_locks::<A>(out)?;
        crate::dump_stack::write_dump_stack::<A>(out, marker)
    });
    crate::taint::add_taint::<A>(crate::taint::TAINT_WARN);
}
