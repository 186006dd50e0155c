//! Switching tasks: picking the next one, the stack switch, and settling the one left behind.

use core::ptr;
use core::sync::atomic::Ordering;

use mightfault_core::rcu::rcu_note_context_switch;
use mightfault_core::{Arch, PreemptCountStore};

use super::api::exit_current;
use super::hooks::SchedHooks;
use super::runqueue::CPUS;
use super::task::{State, Task, IDLE, NO_CPU};
use super::tick::MIGRATIONS;

type Count<H> = <H as Arch>::PreemptCount;

pub(super) fn current_task<H: SchedHooks>() -> &'static Task {
    H::current()
}

pub(super) fn this_cpu<H: SchedHooks>() -> usize {
    H::cpu_id() as usize
}

/// Picks the next task on this cpu and switches to it. The caller has masked interrupts and set
/// the current task's state: Runnable and queued (a yield), Sleeping (someone will wake it), or
/// Dead. A task still Running had its sleep cancelled by an early wake-up and keeps the cpu.
pub(super) fn schedule<H: SchedHooks>() {
    debug_assert!(H::irqs_disabled());
    // The may-not-sleep word's irqs-off flag must agree with the cpu here, on every switch of
    // every suite: a mask or unmask behind mightfault's back shows up as a panic, not as a
    // report that should have been printed and was not.
    assert!(
        mightfault_core::irq_tracking::irqs_off_flag_in_sync::<H>(),
        "the irqs-off flag of the may-not-sleep word disagrees with the cpu at a task switch"
    );
    let prev = current_task::<H>();
    let cpu = this_cpu::<H>();
    let idle = &IDLE[cpu];
    prev.check_canary::<H>();
    // Linux's preempt_count(): the may-not-sleep word's irqs-off flag (set: the caller masked
    // interrupts) and RCU depth (a preempted reader) are not atomicity.
    let count = mightfault_core::preempt_count::<H>();
    if count != 0 {
        mightfault_core::schedule_bug::report_scheduling_while_atomic::<H>(count);
        Count::<H>::sub(count);
    }
    Count::<H>::clear_need_resched();
    if prev.state() == State::Running && !ptr::eq(prev, idle) {
        return;
    }
    let next = CPUS[cpu].queue.lock().pop_front().unwrap_or(idle);
    if ptr::eq(next, prev) {
        prev.set_state(State::Running);
        return;
    }
    debug_assert!(!next.on_cpu.load(Ordering::Acquire));
    next.on_cpu.store(true, Ordering::Relaxed);
    let last_cpu = next.cpu.swap(cpu as u32, Ordering::Relaxed);
    if last_cpu != NO_CPU && last_cpu != cpu as u32 {
        MIGRATIONS.fetch_add(1, Ordering::Relaxed);
    }
    rcu_note_context_switch::<H>(prev.context());
    mightfault_core::prepare_task_switch::<H>(next.context());
    CPUS[cpu].slice_used.set(0);
    next.set_state(State::Running);
    CPUS[cpu].prev.set(prev);
    // SAFETY: interrupts are masked; next is not running anywhere (on_cpu was clear), and its
    // saved stack pointer came from its last switch or from spawn. prev's save slot is static.
    unsafe { H::set_current(next) };
    // Where the word is the task's, a task that never ran has its irqs-off flag clear, yet it
    // first runs masked (to task_entry's unmask): say so. For a resumed task it is already set.
    mightfault_core::trace_hardirqs_off::<H>();
    // SAFETY: as above; `next` is now this cpu's current task.
    unsafe { H::switch_stacks(prev.saved_sp.get(), *next.saved_sp.get()) };
    // Back as `prev`, maybe on another cpu: neither the switch nor the time off the cpu may
    // have left its word saying otherwise than the cpu.
    assert!(
        mightfault_core::irq_tracking::irqs_off_flag_in_sync::<H>(),
        "the irqs-off flag of the may-not-sleep word disagrees with the cpu on resume from a \
         task switch"
    );
    // Running as `prev` again, possibly on another cpu: re-read everything per-cpu.
    finish_switch::<H>();
}

/// Settles the task this cpu just left: it is off the cpu now (a waker may queue it elsewhere),
/// its slot is freed if it exited, and a deferred wake-up is delivered.
pub(super) fn finish_switch<H: SchedHooks>() {
    let sched = &CPUS[this_cpu::<H>()];
    let prev = sched.prev.replace(ptr::null());
    let deferred = sched.deferred_wake.take();
    let requeue = sched.deferred_requeue.take();
    if !prev.is_null() {
        // SAFETY: prev points at a static task.
        let prev = unsafe { &*prev };
        let dead = prev.state() == State::Dead;
        prev.on_cpu.store(false, Ordering::Release);
        if dead {
            prev.release_slot();
        }
    }
    if let Some((task, cpu)) = deferred {
        wake_on::<H>(task, cpu);
    }
    if let Some(task) = requeue {
        requeue_preempted::<H>(task);
    }
}

/// Queues a task preempted on this cpu: on its pinned cpu; else where a directed wake-up
/// ([`super::direct_next_wakeup`]) says; else where the balancer says. The balancer moves the
/// task to the first other cpu (in order from this one) whose queue is at most one longer than
/// this cpu's, since the task would wait behind this cpu's next task anyway; otherwise to the
/// shortest queue. So preempted tasks migrate often, which is what the tests want to see. A
/// busy target is not interrupted: the task waits there for the running task's slice to end;
/// an idle one is woken.
fn requeue_preempted<H: SchedHooks>(task: &'static Task) {
    let here = this_cpu::<H>() as u32;
    let pinned = task.affinity.load(Ordering::Relaxed);
    let target = if pinned != NO_CPU {
        pinned
    } else if let Some(cpu) = task.take_directed_wake() {
        cpu
    } else {
        balance_target::<H>(here)
    };
    CPUS[target as usize].queue.lock().push_back(task);
    if target != here && CPUS[target as usize].idle.load(Ordering::SeqCst) {
        H::send_resched_ipi(target);
    }
}

fn balance_target<H: SchedHooks>(here: u32) -> u32 {
    let online = H::nr_cpus();
    let queued = |cpu: u32| CPUS[cpu as usize].queue.lock().len();
    let local = queued(here);
    let mut shortest = (local, here);
    for step in 1..online {
        let cpu = (here + step) % online;
        let len = queued(cpu);
        if len <= local + 1 {
            return cpu;
        }
        if len < shortest.0 {
            shortest = (len, cpu);
        }
    }
    shortest.1
}

/// Queues `task` on cpu `target` and makes that cpu look at its queue.
pub(super) fn enqueue<H: SchedHooks>(target: u32, task: &'static Task, front: bool) {
    {
        let mut queue = CPUS[target as usize].queue.lock();
        if front {
            queue.push_front(task);
        } else {
            queue.push_back(task);
        }
    }
    kick::<H>(target);
}

fn kick<H: SchedHooks>(target: u32) {
    if target as usize == this_cpu::<H>() {
        if !current_task::<H>().is_idle() {
            Count::<H>::set_need_resched();
        }
    } else {
        H::send_resched_ipi(target);
    }
}

/// Wakes a sleeping `task` on cpu `target`. Returns false when it was not asleep.
pub(super) fn wake_on<H: SchedHooks>(task: &'static Task, target: u32) -> bool {
    let flags = mightfault_core::local_irq_save::<H>();
    let woke = task.try_wake();
    if woke {
        if ptr::eq(task, current_task::<H>()) {
            // Woken before it got to switch away: it simply keeps running.
            task.set_state(State::Running);
        } else {
            // It may still be switching away on its old cpu.
            while task.on_cpu.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
            enqueue::<H>(target, task, false);
        }
    }
    mightfault_core::local_irq_restore::<H>(flags);
    woke
}

/// Where every new task starts: settle the switch, unmask interrupts, run, exit.
pub(super) extern "C" fn task_entry<H: SchedHooks>() -> ! {
    finish_switch::<H>();
    mightfault_core::trace_hardirqs_on::<H>();
    // SAFETY: a task starts with interrupts enabled; its cpu is fully up.
    unsafe { H::enable_irqs() };
    if let Some((entry, arg)) = current_task::<H>().entry.get() {
        entry(arg);
    }
    exit_current::<H>()
}
