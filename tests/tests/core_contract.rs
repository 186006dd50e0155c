//! The core contract's finer points on the simulated machine: rate limits, counter checks,
//! the spinlock's owner check, context predicates, the exception table and oopses.

use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};

use mightfault_core::extable::{self, ExceptionTable, ExtableEntry};
use mightfault_core::preempt_count::SOFTIRQ_OFFSET;
use mightfault_core::softirq::{local_softirq_pending, open_softirq};
use mightfault_core::spinlock::lock_value;
use mightfault_core::{
    cant_sleep, config, in_atomic, in_hardirq, in_interrupt, in_serving_softirq, in_softirq,
    in_task, irq_enter, irq_exit, local_bh_disable, local_bh_enable, local_irq_enable,
    local_irq_restore, local_irq_save, might_sleep, preempt_count, preempt_disable, preempt_enable,
    raise_softirq, rcu_preempt_depth, rcu_read_lock, rcu_read_unlock, synchronize_rcu, Arch,
    IrqSaveGuard, PagefaultDisabledGuard, PreemptCountStore, PreemptDisabledGuard, RawSpinLock,
    Softirq,
};
use mightfault_test_kernel::host::{
    CountPlacement, Host, HostPerCpu, HostPerTask, Machine, MachineConfig, PerCpu, PerTask,
};
use mightfault_test_kernel::UserPageKind;
use mightfault_uaccess::{__get_user, copy_to_user};

fn on_machine<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> (R, String) {
    let machine = Machine::new(MachineConfig::default());
    let result = machine.run("core", body);
    (result, machine.console_text())
}

const SLEEP_BUG: &str = "BUG: sleeping function called from invalid context";

#[test]
fn might_sleep_reports_at_most_once_a_second() {
    let (_, log) = on_machine(|| {
        let _atomic = PreemptDisabledGuard::<HostPerCpu>::disable();
        might_sleep::<HostPerCpu>();
        might_sleep::<HostPerCpu>();
        Machine::current().advance_clock(999_999_999);
        might_sleep::<HostPerCpu>();
        Machine::current().advance_clock(1);
        might_sleep::<HostPerCpu>();
    });
    let expected = if config::DEBUG_ATOMIC_SLEEP { 2 } else { 0 };
    assert_eq!(log.matches(SLEEP_BUG).count(), expected, "{log}");
}

#[test]
fn might_sleep_with_irqs_disabled_reports_them() {
    let (_, log) = on_machine(|| {
        let flags = local_irq_save::<HostPerTask>();
        might_sleep::<HostPerTask>();
        local_irq_restore::<HostPerTask>(flags);
        assert!(!HostPerTask::irqs_disabled());
        might_sleep::<HostPerTask>();
    });
    if config::DEBUG_ATOMIC_SLEEP {
        assert_eq!(log.matches(SLEEP_BUG).count(), 1, "{log}");
        assert!(log.contains("in_atomic(): 0, irqs_disabled(): 1,"), "{log}");
        assert!(log.contains("no locks held by core/1."), "{log}");
    } else {
        assert!(log.is_empty(), "{log}");
    }
}

#[test]
fn cant_sleep_reports_only_when_preemptible() {
    let (_, log) = on_machine(|| {
        {
            let _irqs = IrqSaveGuard::<HostPerCpu>::save();
            cant_sleep::<HostPerCpu>();
        }
        cant_sleep::<HostPerCpu>();
    });
    let expected = usize::from(config::DEBUG_ATOMIC_SLEEP);
    assert_eq!(
        log.matches("BUG: assuming atomic context at ").count(),
        expected,
        "{log}"
    );
}

#[test]
fn preempt_count_nesting_past_the_field_is_refused_and_reported() {
    let ((peak, after), log) = on_machine(|| {
        for _ in 0..300 {
            preempt_disable::<HostPerCpu>();
        }
        let peak = preempt_count::<HostPerCpu>();
        for _ in 0..300 {
            preempt_enable::<HostPerCpu>();
        }
        (peak, preempt_count::<HostPerCpu>())
    });
    match (config::PREEMPT_COUNT, config::DEBUG_PREEMPT) {
        (true, true) => {
            assert_eq!(peak, 0xff, "the count must stop at the field's width");
            assert_eq!(after, 0);
            // 45 refused disables and then 45 refused enables.
            assert_eq!(log.matches("DEBUG_LOCKS_WARN_ON(").count(), 90, "{log}");
        }
        (true, false) => {
            // Without the checks the count overflows into the softirq field, as Linux's does.
            assert_eq!(peak, 300);
            assert_eq!(after, 0);
        }
        (false, _) => assert_eq!((peak, after), (0, 0)),
    }
}

#[test]
fn pagefault_guard_nests_and_does_not_disable_preemption() {
    let (depths, _) = on_machine(|| {
        let outer = PagefaultDisabledGuard::<HostPerTask>::disable();
        let inner = PagefaultDisabledGuard::<HostPerTask>::disable();
        let two = HostPerTask::current_task().pagefault_disable_depth();
        let atomic = in_atomic::<HostPerTask>();
        drop(inner);
        let one = HostPerTask::current_task().pagefault_disable_depth();
        drop(outer);
        (
            two,
            one,
            atomic,
            HostPerTask::current_task().pagefault_disable_depth(),
        )
    });
    assert_eq!(depths, (2, 1, false, 0));
}

#[test]
fn context_predicates_follow_the_preempt_count() {
    let (seen, _) = on_machine(|| {
        let task = (
            in_task::<HostPerCpu>(),
            in_interrupt::<HostPerCpu>(),
            in_hardirq::<HostPerCpu>(),
        );
        irq_enter::<HostPerCpu>();
        let irq = (
            in_task::<HostPerCpu>(),
            in_interrupt::<HostPerCpu>(),
            in_hardirq::<HostPerCpu>(),
            in_atomic::<HostPerCpu>(),
        );
        irq_exit::<HostPerCpu>();
        (task, irq, preempt_count::<HostPerCpu>())
    });
    assert_eq!(seen, ((true, false, false), (false, true, true, true), 0));
}

#[test]
fn preempt_enable_reschedules_when_asked() {
    let (resched_left, _) = on_machine(|| {
        type Count = <HostPerCpu as Arch>::PreemptCount;
        preempt_disable::<HostPerCpu>();
        Count::set_need_resched();
        preempt_enable::<HostPerCpu>();
        Count::need_resched()
    });
    // With `preempt` the enable that reaches zero calls preempt_schedule(), which clears the
    // request; without it the request waits for the next scheduling point.
    assert_eq!(resched_left, !config::PREEMPT);
}

static WRONG_CPU_WORD: AtomicU32 = AtomicU32::new(0);

#[test]
fn unlock_on_another_cpu_fails_and_debug_spinlock_says_so() {
    let (word, log) = on_machine(|| {
        let lock = Box::leak(Box::new(RawSpinLock::new("wandering_lock")));
        let guard = lock.lock::<HostPerTask>();
        let first = HostPerTask::cpu_id();
        // A scheduler switch, not a might_sleep() site: the lock migrates with its holder.
        Machine::current().sleep_while_other_runs(|| {}, "other", (first + 1) % 2);
        drop(guard);
        WRONG_CPU_WORD.store(lock.value(), Ordering::Relaxed);
        lock.value() == lock_value(first)
    });
    assert!(
        word,
        "the unlock on the wrong cpu must leave the word alone"
    );
    let reported = log.contains("BUG: spinlock wrong CPU on CPU#1, core/1");
    assert_eq!(reported, config::DEBUG_SPINLOCK, "{log}");
    // Sleeping with the lock held is itself the bug the scheduler reports wherever spin_lock()
    // raises the count (it then clears the count, as Linux's schedule_debug() does, so the
    // unlock's preempt_enable() underflows, which debug-preempt reports in turn).
    let atomic_schedule = log.contains("BUG: scheduling while atomic: core/1/");
    assert_eq!(atomic_schedule, config::PREEMPT_COUNT, "{log}");
    let underflow = log.contains("DEBUG_LOCKS_WARN_ON(!(preempt_count() & PREEMPT_MASK))");
    assert_eq!(
        underflow,
        config::PREEMPT_COUNT && config::DEBUG_PREEMPT,
        "{log}"
    );
}

#[test]
#[should_panic(expected = "oops")]
fn a_plain_dereference_of_user_memory_oopses() {
    on_machine(|| {
        Machine::current().map_user_pages(0x4000_0000, &[UserPageKind::Unmapped]);
        HostPerCpu::plain_read_user_byte(0x4000_0000)
    });
}

#[test]
fn extable_sorts_relative_entries_and_finds_them() {
    // Targets and entries on one stack frame, well within a relative entry's reach.
    let targets = [0u8; 8];
    let mut table: [ExtableEntry; 8] = std::array::from_fn(|_| ExtableEntry::empty());
    let order = [5usize, 1, 7, 0, 3, 6, 2, 4];
    for (entry, &target) in table.iter_mut().zip(&order) {
        let insn = &targets[target] as *const u8 as usize;
        assert!(entry.set(insn, insn + 0x100));
    }
    assert!(!extable::is_sorted(&table));
    extable::sort(&mut table);
    assert!(extable::is_sorted(&table));
    for target in &targets {
        let insn = target as *const u8 as usize;
        let entry = extable::search(&table, insn).expect("every instruction has its entry");
        assert_eq!(entry.insn_addr(), insn);
        assert_eq!(
            entry.fixup_addr(),
            insn + 0x100,
            "sorting must keep each fixup with its insn"
        );
    }
    assert!(extable::search(&table, targets.as_ptr() as usize + 8).is_none());
    // An entry cannot point further than 2 GiB away.
    assert!(!table[0].set(usize::MAX / 2, 0));
}

#[test]
fn exception_table_finds_nothing_before_install_and_sorts_at_install() {
    // 'static entries and targets, as a kernel's linked section is, in one allocation so that
    // the relative entries reach the targets; leaked so they never move.
    let image: &'static mut ([ExtableEntry; 4], [u8; 4]) = Box::leak(Box::new((
        std::array::from_fn(|_| ExtableEntry::empty()),
        [0u8; 4],
    )));
    let (entries, targets) = (&mut image.0, &image.1);
    for (entry, target) in entries.iter_mut().zip([2usize, 0, 3, 1]) {
        let insn = &targets[target] as *const u8 as usize;
        assert!(entry.set(insn, insn + 0x40));
    }
    let table = ExceptionTable::new();
    let first = targets.as_ptr() as usize;
    assert!(
        table.search(first).is_none(),
        "an unsorted table is never searched"
    );
    // SAFETY: installed once; nothing else writes the entries afterwards.
    assert_eq!(unsafe { table.install(entries) }, 4);
    assert!(extable::is_sorted(table.entries()));
    for target in targets {
        let insn = target as *const u8 as usize;
        let entry = table.search(insn).expect("every instruction has its entry");
        assert_eq!(entry.fixup_addr(), insn + 0x40);
    }
    assert!(table.search(first + 4).is_none());
}

/// A fault that will be resolved (and may sleep) with interrupts disabled and the preempt count
/// at 0: `faulthandler_disabled()` is false, so only the fault path's own might_sleep() can see
/// it. The report comes before the resolution: it names the cpu the task faulted on, and the
/// page-in then resumes the task on the other cpu.
fn irqs_off_fault_is_reported_before_it_resolves<A: Arch + mightfault_core::RawUserAccess>() {
    const USER: usize = 0x4000_0000;
    let machine = Machine::new(MachineConfig::default());
    let (faulted_on, resumed_on, read, present) = machine.run("irqsoff", || {
        let machine = Machine::current();
        assert!(machine.map_user_pages(USER, &[UserPageKind::NotPresent]));
        let faulted_on = A::cpu_id();
        machine.direct_next_wakeup((faulted_on + 1) % machine.nr_cpus());
        let flags = local_irq_save::<A>();
        let mut value = u64::MAX;
        // SAFETY: USER is a page of the simulation's user area, below the user limit.
        let read = unsafe { __get_user::<A, u64>(&mut value, USER) }.map(|()| value);
        let resumed_on = A::cpu_id();
        local_irq_restore::<A>(flags);
        // The simulated irq flag is per cpu and the page-in's switch does not carry it: the
        // cpu the task left is still masked. Go back there and unmask it, so that the machine
        // ends as it began.
        machine.sleep_while_other_runs(|| {}, "back", faulted_on);
        local_irq_enable::<A>();
        (
            faulted_on,
            resumed_on,
            read,
            machine.user_page_present(USER),
        )
    });
    let log = machine.console_text();
    assert_eq!(read, Ok(0), "the fault is resolved and the read retried");
    assert!(present, "the page was paged in");
    assert_ne!(resumed_on, faulted_on, "the page-in slept and migrated");
    if !config::DEBUG_ATOMIC_SLEEP {
        assert!(log.is_empty(), "{log}");
        return;
    }
    assert_eq!(log.matches(SLEEP_BUG).count(), 1, "{log}");
    assert!(
        log.contains(&format!("{SLEEP_BUG} at core/src/fault.rs:")),
        "the report names the fault path's might_sleep() site: {log}"
    );
    assert!(
        log.contains("in_atomic(): 0, irqs_disabled(): 1, non_block: 0, pid: 1, name: irqsoff\n"),
        "{log}"
    );
    assert!(log.contains("preempt_count: 0, expected: 0\n"), "{log}");
    assert!(
        !log.contains("Preemption disabled at:"),
        "the count is 0, so there is no place to name: {log}"
    );
    assert!(
        log.contains(&format!("CPU: {faulted_on} UID: 0 PID: 1 Comm: irqsoff")),
        "printed on the cpu of the fault, before the page-in moved the task: {log}"
    );
}

#[test]
fn irqs_off_fault_is_reported_before_it_resolves_per_cpu_count() {
    irqs_off_fault_is_reported_before_it_resolves::<HostPerCpu>();
}

#[test]
fn irqs_off_fault_is_reported_before_it_resolves_per_task_count() {
    irqs_off_fault_is_reported_before_it_resolves::<HostPerTask>();
}

/// spin_lock(); copy_to_user(kernel address): reported (might_fault() before access_ok()) and
/// refused in full.
#[test]
fn copy_to_user_under_spinlock_with_a_kernel_address_is_reported() {
    let ((site, left), log) = on_machine(|| {
        let lock = RawSpinLock::new("bad_pointer_lock");
        let guard = lock.lock::<HostPerCpu>();
        let kernel = SLEEP_BUG.as_ptr() as usize;
        let (site, left) = (Location::caller(), copy_to_user::<HostPerCpu>(kernel, b"x"));
        drop(guard);
        (site, left)
    });
    assert_eq!(left, 1, "a kernel address is refused in full");
    let due = usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT);
    assert_eq!(log.matches(SLEEP_BUG).count(), due, "{log}");
    if due == 1 {
        let at = format!("{SLEEP_BUG} at {}:{}\n", site.file(), site.line());
        assert!(log.contains(&at), "the report names the caller: {log}");
    }
}

/// The address this call returns to: a code address in the caller, between the code before
/// and after the call.
#[inline(never)]
fn code_address<A: Arch>() -> usize {
    mightfault_core::call_trace::return_address::<A>(mightfault_core::frame_marker!())
}

/// The code address a `Preemption disabled at:` line names (`[<address>] function+0x..`).
fn preempt_off_address(report: &str) -> Option<usize> {
    let rest = report.split("Preemption disabled at:\n[<").nth(1)?;
    usize::from_str_radix(rest.get(..16)?, 16).ok()
}

/// The `Preemption disabled at:` line (debug-preempt): the place the count was raised from 0,
/// not a nested raise; a new outermost raise replaces it; irq_enter() from 0 counts too; no
/// line when the count is 0 (only irqs disabled). The host names places by code address, as
/// Linux does: each raise is told apart by where its address falls between probes of the
/// code address placed around it.
fn preemption_disabled_at_names_the_outermost_site<A: Arch>() {
    fn reset<A: Arch>() {
        A::debug_state().reset_ratelimit();
    }
    let (sites, log) = on_machine(|| {
        let before_outer = code_address::<A>();
        let (_outer, ()) = (Location::caller(), preempt_disable::<A>());
        let after_outer = code_address::<A>();
        let lock = RawSpinLock::new("nested_lock");
        let guard = lock.lock::<A>();
        might_sleep::<A>();
        drop(guard);
        preempt_enable::<A>();
        reset::<A>();
        let before_second = code_address::<A>();
        let (_second, guard) = (Location::caller(), lock.lock::<A>());
        let after_second = code_address::<A>();
        might_sleep::<A>();
        drop(guard);
        reset::<A>();
        let before_irq = code_address::<A>();
        let (irq, ()) = (Location::caller(), irq_enter::<A>());
        let after_irq = code_address::<A>();
        might_sleep::<A>();
        irq_exit::<A>();
        reset::<A>();
        let flags = local_irq_save::<A>();
        might_sleep::<A>();
        local_irq_restore::<A>(flags);
        #[cfg(feature = "debug-preempt")]
        let recorded = A::current_task().preempt_disable_ip();
        #[cfg(not(feature = "debug-preempt"))]
        let recorded: Option<&'static Location<'static>> = None;
        let bounds = [
            (before_outer, after_outer),
            (before_second, after_second),
            (before_irq, after_irq),
        ];
        (bounds, irq, recorded)
    });
    let (bounds, irq, recorded) = sites;
    if !(config::DEBUG_ATOMIC_SLEEP && config::DEBUG_PREEMPT) {
        assert!(!log.contains("Preemption disabled at:"), "{log}");
        return;
    }
    assert_eq!(log.matches(SLEEP_BUG).count(), 4, "{log}");
    assert_eq!(log.matches("Preemption disabled at:").count(), 3, "{log}");
    let reports: Vec<&str> = log.split(SLEEP_BUG).skip(1).collect();
    let what = [
        "the outermost raise (not the nested lock)",
        "a new raise from 0",
        "irq_enter() from 0",
    ];
    for (index, (before, after)) in bounds.into_iter().enumerate() {
        let named = preempt_off_address(reports[index]);
        assert!(
            named.is_some_and(|ip| before < ip && ip <= after),
            "{}: {named:x?} not in {before:#x}..={after:#x}: {log}",
            what[index]
        );
    }
    assert!(!reports[3].contains("Preemption disabled at:"), "{log}");
    // Linux's order: the held locks, then where preemption was disabled, then the CPU line.
    let first = reports[0];
    let locks = first.find("1 lock held by").expect("the lock list");
    let preempt_off = first.find("Preemption disabled at:").expect("the line");
    let cpu = first.find("CPU: ").expect("the CPU line");
    assert!(locks < preempt_off && preempt_off < cpu, "{first}");
    let file_line = |site: &Location<'_>| (site.file().to_owned(), site.line());
    assert_eq!(
        recorded.map(file_line),
        Some(file_line(irq)),
        "the task keeps the last raise from 0"
    );
}

#[test]
fn preemption_disabled_at_names_the_outermost_site_per_cpu_count() {
    preemption_disabled_at_names_the_outermost_site::<HostPerCpu>();
}

#[test]
fn preemption_disabled_at_names_the_outermost_site_per_task_count() {
    preemption_disabled_at_names_the_outermost_site::<HostPerTask>();
}

/// The context predicates Linux defines on the preempt count, as (in_task, in_interrupt,
/// in_hardirq, in_softirq, in_serving_softirq).
type Contexts = (bool, bool, bool, bool, bool);

fn contexts<A: Arch>() -> Contexts {
    (
        in_task::<A>(),
        in_interrupt::<A>(),
        in_hardirq::<A>(),
        in_softirq::<A>(),
        in_serving_softirq::<A>(),
    )
}

/// What the NET_RX handler of `softirq_context_truth_table` saw, in the order it ran.
static SERVED_CONTEXTS: std::sync::Mutex<Vec<(Contexts, u32)>> = std::sync::Mutex::new(Vec::new());

fn record_served_context() {
    SERVED_CONTEXTS
        .lock()
        .unwrap()
        .push((contexts::<HostPerTask>(), preempt_count::<HostPerTask>()));
}

/// The truth table of the predicates in every context irq_enter()/irq_exit() and the bottom
/// halves produce: task, bottom halves disabled, hard interrupt over either, and the softirq
/// the outermost irq_exit() serves.
fn softirq_context_truth_table<A: Arch>() {
    let (seen, _) = on_machine(|| {
        open_softirq::<A>(Softirq::NetRx, record_served_context);
        let task = contexts::<A>();
        local_bh_disable::<A>();
        let bh = contexts::<A>();
        irq_enter::<A>();
        let irq_over_bh = contexts::<A>();
        irq_exit::<A>();
        local_bh_enable::<A>();
        let flags = local_irq_save::<A>();
        irq_enter::<A>();
        let irq = contexts::<A>();
        raise_softirq::<A>(Softirq::NetRx);
        irq_exit::<A>();
        local_irq_restore::<A>(flags);
        (task, bh, irq_over_bh, irq, contexts::<A>())
    });
    let (task, bh, irq_over_bh, irq, after) = seen;
    let t = true;
    let f = false;
    assert_eq!(task, (t, f, f, f, f), "task context");
    assert_eq!(bh, (t, t, f, t, f), "bottom halves disabled: still a task");
    assert_eq!(irq_over_bh, (f, t, t, t, f), "hardirq over bh-disabled");
    assert_eq!(irq, (f, t, t, f, f), "hardirq over a task");
    assert_eq!(after, (t, f, f, f, f), "back in the task");
    let served = SERVED_CONTEXTS.lock().unwrap().clone();
    assert_eq!(
        served,
        vec![((f, t, f, t, t), SOFTIRQ_OFFSET)],
        "the softirq runs once, at irq_exit(), serving with count 0x100"
    );
}

#[test]
fn softirq_context_truth_table_per_task_count() {
    softirq_context_truth_table::<HostPerTask>();
}

static BH_SOFTIRQ_RUNS: AtomicU32 = AtomicU32::new(0);
static BH_SOFTIRQ_IRQS_ON: AtomicU32 = AtomicU32::new(0);

fn count_bh_softirq() {
    BH_SOFTIRQ_RUNS.fetch_add(1, Ordering::SeqCst);
    if !HostPerCpu::irqs_disabled() && in_serving_softirq::<HostPerCpu>() {
        BH_SOFTIRQ_IRQS_ON.fetch_add(1, Ordering::SeqCst);
    }
}

/// A softirq raised while bottom halves are disabled waits, through an interrupt's exit, for
/// the local_bh_enable() that ends the section; an interrupt's exit runs it at once otherwise.
#[test]
fn local_bh_disable_defers_raised_softirqs_to_local_bh_enable() {
    let (runs, log) = on_machine(|| {
        type A = HostPerCpu;
        open_softirq::<A>(Softirq::Tasklet, count_bh_softirq);
        let runs = || BH_SOFTIRQ_RUNS.load(Ordering::SeqCst);
        local_bh_disable::<A>();
        raise_softirq::<A>(Softirq::Tasklet);
        let after_raise = runs();
        // An interrupt's exit must not serve it either: bottom halves are still off.
        assert!(A::interrupt_now(), "the simulated interrupt is taken");
        let after_irq = runs();
        let pending = local_softirq_pending::<A>();
        local_bh_enable::<A>();
        let after_enable = (runs(), local_softirq_pending::<A>(), preempt_count::<A>());
        // Without bottom halves disabled, the next interrupt's exit serves a raised softirq.
        raise_softirq::<A>(Softirq::Tasklet);
        let raised_in_task = runs();
        assert!(A::interrupt_now(), "the simulated interrupt is taken");
        (
            after_raise,
            after_irq,
            pending,
            after_enable,
            raised_in_task,
            runs(),
        )
    });
    let tasklet = 1 << Softirq::Tasklet as u32;
    assert_eq!(
        runs,
        (0, 0, tasklet, (1, 0, 0), 1, 2),
        "(after raise, after irq, pending, after bh-enable, raised in task, after irq)"
    );
    assert_eq!(
        BH_SOFTIRQ_IRQS_ON.load(Ordering::SeqCst),
        2,
        "served with irqs on"
    );
    assert!(!log.contains("WARN"), "{log}");
}

/// might_sleep() in an RCU reader: with `preempt` the reader is seen only by its depth, which
/// the report prints as `RCU nest depth: 1, expected: 0`; without it the reader disables
/// preemption and the report is an ordinary atomic one.
#[test]
fn might_sleep_in_rcu_reader_reports_the_nest_depth() {
    let ((depth, count), log) = on_machine(|| {
        type A = HostPerTask;
        rcu_read_lock::<A>();
        rcu_read_lock::<A>();
        rcu_read_unlock::<A>();
        let seen = (rcu_preempt_depth::<A>(), preempt_count::<A>());
        might_sleep::<A>();
        rcu_read_unlock::<A>();
        seen
    });
    let (depth_due, count_due) = match (config::PREEMPT, config::PREEMPT_COUNT) {
        (true, _) => (1, 0),
        (false, true) => (0, 1),
        (false, false) => (0, 0),
    };
    assert_eq!((depth, count), (depth_due, count_due));
    if !config::DEBUG_ATOMIC_SLEEP {
        assert!(log.is_empty(), "{log}");
        return;
    }
    assert_eq!(log.matches(SLEEP_BUG).count(), 1, "{log}");
    let report: Vec<&str> = log.lines().collect();
    if config::PREEMPT {
        assert_eq!(
            report[1],
            "in_atomic(): 0, irqs_disabled(): 0, non_block: 0, pid: 1, name: core"
        );
        assert_eq!(report[2], "preempt_count: 0, expected: 0");
        assert_eq!(report[3], "RCU nest depth: 1, expected: 0");
    } else {
        assert_eq!(report[2], "preempt_count: 1, expected: 0");
        assert!(!log.contains("RCU nest depth"), "{log}");
    }
}

/// Without `preempt`, an RCU reader is a preempt-disabled region: rcu_read_lock() raises the
/// preempt count (where there is one) and keeps no depth; with `preempt` it keeps a per-task
/// depth and leaves the count alone.
#[test]
fn rcu_read_lock_raises_the_count_only_without_preempt() {
    let (seen, _) = on_machine(|| {
        type A = HostPerCpu;
        let before = (preempt_count::<A>(), rcu_preempt_depth::<A>());
        rcu_read_lock::<A>();
        let inside = (
            preempt_count::<A>(),
            rcu_preempt_depth::<A>(),
            in_atomic::<A>(),
            A::current_task().rcu_read_lock_depth(),
        );
        rcu_read_unlock::<A>();
        (
            before,
            inside,
            preempt_count::<A>(),
            rcu_preempt_depth::<A>(),
        )
    });
    let raised = u32::from(!config::PREEMPT && config::PREEMPT_COUNT);
    let depth = u32::from(config::PREEMPT);
    assert_eq!(
        seen,
        ((0, 0), (raised, depth, raised != 0, depth), 0, 0),
        "(before, (count, depth, in_atomic, task depth) inside, count after, depth after)"
    );
}

static READER_STAGE: AtomicU32 = AtomicU32::new(0);

/// synchronize_rcu() waits for a reader that was switched out inside its section (preempted
/// on an interrupt return, with `preempt`) until that reader's rcu_read_unlock(); without
/// `preempt` a reader cannot be switched out, and the grace period waits for nothing.
fn synchronize_rcu_waits_for_a_switched_out_reader<P: CountPlacement>() {
    type Count<P> = <Host<P> as Arch>::PreemptCount;
    let machine = Machine::new(MachineConfig::default());
    let (stage_seen, waits, preempted, log) = machine.run("updater", || {
        READER_STAGE.store(0, Ordering::SeqCst);
        let machine = Machine::current();
        machine.spawn_task("reader", 1, true, || {
            rcu_read_lock::<Host<P>>();
            READER_STAGE.store(1, Ordering::SeqCst);
            if config::PREEMPT {
                // A tick finds a reschedule pending and preempts the reader inside its section.
                Count::<P>::set_need_resched();
                assert!(Host::<P>::interrupt_now());
            }
            READER_STAGE.store(2, Ordering::SeqCst);
            rcu_read_unlock::<Host<P>>();
        });
        // The reader runs until it is preempted (or, without preempt, to its end).
        Host::<P>::yield_now();
        let mut waits = 0u32;
        synchronize_rcu::<Host<P>>(|| {
            waits += 1;
            Host::<P>::yield_now();
        });
        let stage_seen = READER_STAGE.load(Ordering::SeqCst);
        (
            stage_seen,
            waits,
            machine.switch_stats().0,
            machine.console_text(),
        )
    });
    assert!(log.is_empty(), "{log}");
    assert_eq!(
        stage_seen, 2,
        "synchronize_rcu() returned before the reader left its section"
    );
    assert_eq!(
        preempted,
        u64::from(config::PREEMPT),
        "the reader was preempted"
    );
    if config::PREEMPT {
        assert!(waits > 0, "the grace period had to wait for the reader");
    }
}

#[test]
fn synchronize_rcu_waits_for_a_switched_out_reader_per_cpu_count() {
    synchronize_rcu_waits_for_a_switched_out_reader::<PerCpu>();
}

#[test]
fn synchronize_rcu_waits_for_a_switched_out_reader_per_task_count() {
    synchronize_rcu_waits_for_a_switched_out_reader::<PerTask>();
}
