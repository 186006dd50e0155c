//! What arches and tests call: bring-up, spawning, sleeping, waking, yielding.

use core::sync::atomic::Ordering;

use mightfault_core::rcu::{rcu_idle_enter, rcu_idle_exit};
use mightfault_core::{preemptible_on_irq_return, Arch, PreemptCountStore};

use super::hooks::SchedHooks;
use super::runqueue::CPUS;
use super::switch::{current_task, enqueue, schedule, task_entry, this_cpu};
use super::task::{alloc_task, next_pid, State, IDLE};
use super::tick::PREEMPTIONS;

/// Makes cpu `cpu`'s idle task (running on the stack whose lowest address is `stack_bottom`)
/// its current task and sets up its per-cpu area.
///
/// # Safety
/// Once per cpu, on that cpu, before anything reads per-cpu data (as
/// [`SchedHooks::install_cpu`]).
///
/// # Context
/// Never sleeps; cpu bring-up, interrupts masked.
pub unsafe fn init_cpu<H: SchedHooks>(cpu: usize, stack_bottom: usize) {
    let idle = &IDLE[cpu];
    idle.become_idle_of(cpu, stack_bottom);
    // SAFETY: the caller's contract; the idle task is static.
    unsafe { H::install_cpu(cpu, idle) };
}

/// Each cpu's idle task: runs what its queue holds, else waits for an interrupt (the
/// rescheduling IPI).
///
/// # Context
/// Never returns; the end of each cpu's bring-up.
pub fn idle_loop<H: SchedHooks>() -> ! {
    let cpu = this_cpu::<H>();
    H::disable_irqs();
    mightfault_core::trace_hardirqs_off::<H>();
    H::arm_tick(super::tick::tick_period_ns());
    loop {
        H::disable_irqs();
        mightfault_core::trace_hardirqs_off::<H>();
        // Announce the wait before looking at the queue: a cpu that queues a task after the
        // look sees the flag and kicks this one (see requeue_preempted).
        CPUS[cpu].idle.store(true, Ordering::SeqCst);
        if CPUS[cpu].queue.lock().is_empty() {
            rcu_idle_enter::<H>();
            mightfault_core::trace_hardirqs_on::<H>();
            // SAFETY: the cpu is fully up; the hook cannot miss an IPI that arrives after the
            // check above.
            unsafe { H::enable_irqs_and_wait() };
            H::disable_irqs();
            mightfault_core::trace_hardirqs_off::<H>();
            rcu_idle_exit::<H>();
            CPUS[cpu].idle.store(false, Ordering::SeqCst);
            continue;
        }
        CPUS[cpu].idle.store(false, Ordering::SeqCst);
        schedule::<H>();
    }
}

/// The rescheduling IPI: a task was queued here. An idle cpu finds it when its wait ends; a
/// busy one is asked to reschedule at its next opportunity.
///
/// # Context
/// Hard interrupt context.
pub fn resched_ipi<H: SchedHooks>() {
    // A stale kick (its task already taken) must not preempt anyone: with nothing queued here
    // a preemption would only move the running task away.
    if !current_task::<H>().is_idle() && !CPUS[this_cpu::<H>()].queue.lock().is_empty() {
        <H as Arch>::PreemptCount::set_need_resched();
    }
}

/// Starts `entry(arg)` as a new task called `name` on cpu `cpu` and returns its pid. The task
/// exits when `entry` returns.
///
/// # Context
/// Never sleeps; task context. Panics when every task slot is taken or `cpu` is not online.
pub fn spawn<H: SchedHooks>(name: &'static str, entry: fn(usize), arg: usize, cpu: u32) -> u32 {
    spawn_with_pid::<H>(next_pid(), name, entry, arg, cpu)
}

/// [`spawn`], and the task only ever runs on `cpu` (preemption requeues it there).
///
/// # Context
/// Never sleeps; task context. Panics as [`spawn`] does.
pub fn spawn_pinned<H: SchedHooks>(
    name: &'static str,
    entry: fn(usize),
    arg: usize,
    cpu: u32,
) -> u32 {
    assert!(cpu < H::nr_cpus(), "cpu {cpu} is not online");
    let pid = next_pid();
    let task = alloc_task::<H>(pid, name, entry, arg, task_entry::<H>);
    task.affinity.store(cpu, Ordering::Relaxed);
    let flags = mightfault_core::local_irq_save::<H>();
    enqueue::<H>(cpu, task, false);
    mightfault_core::local_irq_restore::<H>(flags);
    pid
}

/// [`spawn`] with a given pid (the boot code starts the seed task as pid 1).
///
/// # Context
/// Never sleeps; task context or the end of boot. Panics as [`spawn`] does.
pub fn spawn_with_pid<H: SchedHooks>(
    pid: u32,
    name: &'static str,
    entry: fn(usize),
    arg: usize,
    cpu: u32,
) -> u32 {
    assert!(cpu < H::nr_cpus(), "cpu {cpu} is not online");
    let task = alloc_task::<H>(pid, name, entry, arg, task_entry::<H>);
    let flags = mightfault_core::local_irq_save::<H>();
    enqueue::<H>(cpu, task, false);
    mightfault_core::local_irq_restore::<H>(flags);
    pid
}

/// The current task ends: it wakes whoever waits for its exit, and never runs again.
///
/// # Context
/// Never returns; a pool task (not an idle task).
pub fn exit_current<H: SchedHooks>() -> ! {
    H::disable_irqs();
    mightfault_core::trace_hardirqs_off::<H>();
    let me = current_task::<H>();
    assert!(!me.is_idle(), "the idle task cannot exit");
    if let Some((parent, cpu)) = me.exit_wake.take() {
        super::switch::wake_on::<H>(parent, cpu);
    }
    me.set_state(State::Dead);
    schedule::<H>();
    unreachable!("a dead task was scheduled again")
}

/// Gives the cpu to the next queued task, if any; the current task stays runnable on this cpu.
///
/// # Context
/// May sleep (switch); task context with interrupts enabled.
pub fn yield_now<H: SchedHooks>() {
    let flags = mightfault_core::local_irq_save::<H>();
    let me = current_task::<H>();
    let cpu = this_cpu::<H>();
    let queued = {
        let mut queue = CPUS[cpu].queue.lock();
        if me.is_idle() || queue.is_empty() {
            false
        } else {
            me.set_state(State::Runnable);
            queue.push_back(me);
            true
        }
    };
    if queued {
        schedule::<H>();
    } else {
        <H as Arch>::PreemptCount::clear_need_resched();
    }
    mightfault_core::local_irq_restore::<H>(flags);
}

/// `Arch::preempt_schedule()`: the count just dropped to zero with a reschedule pending. Only a
/// preemptible context (interrupts enabled) yields; otherwise the request stays pending.
///
/// # Context
/// May sleep (switch); called by `preempt_enable()`.
pub fn preempt_schedule<H: SchedHooks>() {
    if H::irqs_disabled() {
        return;
    }
    yield_now::<H>();
}

/// Linux's `preempt_schedule_irq()`: the return from an interrupt found the interrupted task
/// preemptible with a reschedule pending. The task gives up its cpu involuntarily and is
/// queued where the balancer says once it is off this cpu; it resumes here, on whichever cpu
/// picks it, and the arch then restores the interrupted state.
///
/// # Context
/// Switches tasks; the end of an interrupt handler, interrupts masked, preempt count 0.
pub fn preempt_schedule_irq<H: SchedHooks>() {
    while <H as Arch>::PreemptCount::need_resched() {
        let me = current_task::<H>();
        // Nothing waits here (the kick was stale, or another cpu took the task): keep going.
        if me.is_idle() || CPUS[this_cpu::<H>()].queue.lock().is_empty() {
            <H as Arch>::PreemptCount::clear_need_resched();
            return;
        }
        PREEMPTIONS.fetch_add(1, Ordering::Relaxed);
        requeue_current_and_schedule::<H>(me);
    }
}

/// Linux's `cond_resched()`: an explicit scheduling point. When a reschedule is pending, the
/// task gives up its cpu as a preempted one would (so it may migrate), voluntarily.
///
/// # Context
/// May sleep (switch); task context with interrupts enabled and preempt count 0; otherwise
/// does nothing.
pub fn cond_resched<H: SchedHooks>() {
    if !<H as Arch>::PreemptCount::need_resched()
        || H::irqs_disabled()
        || mightfault_core::preempt_count::<H>() != 0
    {
        return;
    }
    let flags = mightfault_core::local_irq_save::<H>();
    let me = current_task::<H>();
    if !me.is_idle() && <H as Arch>::PreemptCount::need_resched() {
        requeue_current_and_schedule::<H>(me);
    }
    mightfault_core::local_irq_restore::<H>(flags);
}

fn requeue_current_and_schedule<H: SchedHooks>(me: &'static super::task::Task) {
    me.set_state(State::Runnable);
    CPUS[this_cpu::<H>()].deferred_requeue.set(Some(me));
    schedule::<H>();
}

/// What every interrupt handler of the bare-metal images calls last, after `irq_exit()`:
/// preempts the interrupted task when it may be (see `preemptible_on_irq_return`).
///
/// # Context
/// The end of an interrupt handler, interrupts masked; `interrupted_irqs_enabled` is the
/// interrupt state saved in the interrupt frame.
pub fn irq_return<H: SchedHooks>(interrupted_irqs_enabled: bool) {
    if preemptible_on_irq_return::<H>(interrupted_irqs_enabled) {
        preempt_schedule_irq::<H>();
    }
}

fn other_cpu<H: SchedHooks>(cpu: u32) -> u32 {
    let online = H::nr_cpus();
    if online > 1 {
        (cpu + 1) % online
    } else {
        cpu
    }
}

/// Makes the current task's next wake-up resume it on `cpu`.
///
/// # Context
/// Never sleeps; task context. Panics when `cpu` is not online.
pub fn direct_next_wakeup<H: SchedHooks>(cpu: u32) {
    assert!(cpu < H::nr_cpus(), "cpu {cpu} is not online");
    current_task::<H>()
        .directed_wake
        .store(cpu, Ordering::Relaxed);
}

/// The sleep of a page-in: the current task sleeps once, as if waiting for the disk, and its
/// wake-up (delivered as soon as it is off the cpu) resumes it on the cpu set by
/// [`direct_next_wakeup`], or else on another cpu than this one, to exercise migration.
///
/// # Context
/// Sleeps; the page fault handler (task context, `faulthandler_disabled()` false).
pub fn sleep_for_page_in<H: SchedHooks>() {
    let flags = mightfault_core::local_irq_save::<H>();
    let me = current_task::<H>();
    let cpu = this_cpu::<H>();
    let target = me
        .take_directed_wake()
        .unwrap_or_else(|| other_cpu::<H>(cpu as u32));
    me.set_state(State::Sleeping);
    me.context().note_voluntary_switch();
    CPUS[cpu].deferred_wake.set(Some((me, target)));
    schedule::<H>();
    mightfault_core::local_irq_restore::<H>(flags);
}

/// Puts the current task to sleep; while it sleeps, runs `other(arg)` as a new task called
/// `name` on the cpu the current task leaves, to completion; then resumes the current task on
/// `resume_on`. The explicit cpu wins over (and consumes) a pending [`direct_next_wakeup`].
///
/// # Context
/// Sleeps; task context. Panics when `resume_on` is not online or no task slot is free.
pub fn sleep_while_other_runs<H: SchedHooks>(
    other: fn(usize),
    arg: usize,
    name: &'static str,
    resume_on: u32,
) {
    assert!(resume_on < H::nr_cpus(), "cpu {resume_on} is not online");
    let me = current_task::<H>();
    let child = alloc_task::<H>(next_pid(), name, other, arg, task_entry::<H>);
    child.exit_wake.set(Some((me, resume_on)));
    let flags = mightfault_core::local_irq_save::<H>();
    let cpu = this_cpu::<H>();
    let _ = me.take_directed_wake();
    me.set_state(State::Sleeping);
    me.context().note_voluntary_switch();
    // The child goes first on this cpu's queue and runs as soon as we are off it; it cannot
    // run before, as nothing here preempts us.
    CPUS[cpu].queue.lock().push_front(child);
    schedule::<H>();
    mightfault_core::local_irq_restore::<H>(flags);
}
