//! The simulated scheduler: one baton, passed from task to task.
//!
//! Every simulated task is an OS thread that runs only while it holds the baton, so exactly one
//! task runs at any moment and the interleaving is decided here, deterministically: runnable
//! tasks go in FIFO order, and a task woken without a directed cpu lands on a cpu drawn from a
//! seeded generator. Every switch away from a task first checks that it is not atomic
//! (`atomic_schedule`), as the bare-metal scheduler does, and tells RCU about it
//! (`rcu_note_context_switch`).
//!
//! Only one task runs at a time, so at any moment only the cpu of the running task is busy:
//! a cpu that a switch leaves without a task is idle for RCU (`rcu_idle_enter`) until a task is
//! dispatched on it again (`rcu_idle_exit`). Preemption on a simulated interrupt's return (see
//! `irq`) and `cond_resched()` requeue the task on a cpu drawn from the seed (its own if it is
//! pinned), so preempted tasks migrate.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use mightfault_core::rcu::{rcu_idle_enter, rcu_idle_exit, rcu_note_context_switch};
use mightfault_core::{prepare_task_switch, trace_hardirqs_off, trace_hardirqs_on, TaskContext};

use super::atomic_schedule::check_switch_away;
use super::machine::current;
use super::placement::HostPerCpu;

/// `SimTask::affinity` of a task that may run anywhere.
const ANY_CPU: u32 = u32::MAX;

/// A simulated task: the contract's per-task state plus the cpu it runs on.
pub(crate) struct SimTask {
    context: TaskContext,
    cpu: AtomicU32,
    /// The only cpu it may run on (`ANY_CPU`: any).
    affinity: AtomicU32,
    /// It has been dispatched at least once (so a dispatch elsewhere is a migration).
    ran: AtomicBool,
    /// Its interrupt flag while it is off cpu: saved when it switches out, restored on the
    /// cpu it resumes on (a new task starts with interrupts enabled).
    irqs_disabled: AtomicBool,
}

impl SimTask {
    pub(crate) fn new(pid: u32, name: &str) -> Self {
        Self {
            context: TaskContext::new(pid, name),
            cpu: AtomicU32::new(0),
            affinity: AtomicU32::new(ANY_CPU),
            ran: AtomicBool::new(false),
            irqs_disabled: AtomicBool::new(false),
        }
    }

    /// Restricts the task to `cpu`.
    pub(crate) fn pin(&self, cpu: u32) {
        self.affinity.store(cpu, Ordering::Relaxed);
    }

    fn pinned(&self) -> Option<u32> {
        let cpu = self.affinity.load(Ordering::Relaxed);
        (cpu != ANY_CPU).then_some(cpu)
    }

    pub(crate) fn context(&self) -> &TaskContext {
        &self.context
    }

    pub(crate) fn pid(&self) -> u32 {
        self.context.pid()
    }

    pub(crate) fn cpu(&self) -> u32 {
        self.cpu.load(Ordering::Relaxed)
    }
}

struct SchedState {
    /// The task holding the baton.
    running: Option<u32>,
    /// Runnable tasks and the cpu each will run on.
    runqueue: VecDeque<(&'static SimTask, u32)>,
    /// Tasks asleep until a child exits: child pid → (parent, cpu to resume on).
    waiting_for_exit: HashMap<u32, (&'static SimTask, u32)>,
    /// Where a task's next wake-up must resume it.
    directed_wakeup: HashMap<u32, u32>,
    live_tasks: usize,
    /// Set when no task can run any more: all exited, or the rest sleep forever.
    stopped: Option<StopReason>,
    rng: u64,
}

/// Why a simulation stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopReason {
    AllExited,
    /// Tasks remain but none is runnable: a simulated deadlock.
    AllAsleep,
}

pub(crate) struct Scheduler {
    nr_cpus: u32,
    state: Mutex<SchedState>,
    baton: Condvar,
    /// Per cpu: no task is on it (RCU was told with `rcu_idle_enter`).
    idle: Box<[AtomicBool]>,
    /// Tasks preempted on the return from a simulated interrupt.
    preemptions: AtomicU64,
    /// Dispatches of a task on another cpu than the one it last ran on.
    migrations: AtomicU64,
}

impl Scheduler {
    pub(crate) fn new(nr_cpus: u32, seed: u64) -> Self {
        Self {
            nr_cpus,
            state: Mutex::new(SchedState {
                running: None,
                runqueue: VecDeque::new(),
                waiting_for_exit: HashMap::new(),
                directed_wakeup: HashMap::new(),
                live_tasks: 0,
                stopped: None,
                // xorshift must not start at 0.
                rng: seed | 1,
            }),
            baton: Condvar::new(),
            idle: (0..nr_cpus).map(|_| AtomicBool::new(true)).collect(),
            preemptions: AtomicU64::new(0),
            migrations: AtomicU64::new(0),
        }
    }

    pub(crate) fn nr_cpus(&self) -> u32 {
        self.nr_cpus
    }

    fn lock(&self) -> MutexGuard<'_, SchedState> {
        // A task thread that panicked while holding the lock leaves valid state behind (every
        // update is a single step), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new task, runnable on `cpu`, at the back (or the front) of the queue.
    pub(crate) fn admit(&self, task: &'static SimTask, cpu: u32, front: bool) {
        let mut state = self.lock();
        state.live_tasks += 1;
        state.stopped = None;
        if front {
            state.runqueue.push_front((task, cpu));
        } else {
            state.runqueue.push_back((task, cpu));
        }
    }

    /// Starts the simulation if no task holds the baton.
    pub(crate) fn kick(&self) {
        let mut state = self.lock();
        if state.running.is_none() {
            self.dispatch_next(&mut state);
        }
    }

    /// Blocks the calling thread until `task` holds the baton; then `task` is on its cpu,
    /// which is no longer idle.
    pub(crate) fn wait_for_baton(&self, task: &SimTask) {
        let mut state = self.lock();
        while state.running != Some(task.pid()) {
            state = self
                .baton
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        drop(state);
        let disabled = task.irqs_disabled.load(Ordering::Relaxed);
        current().0.cpu(task.cpu()).set_irqs_disabled(disabled);
        // The cpu's may-not-sleep word (the per-cpu placement's; the per-task placement
        // keeps its own in the task and ignores this one) takes on the task's RCU depth and
        // irq state, as a kernel's switch does.
        prepare_task_switch::<HostPerCpu>(task.context());
        if disabled {
            trace_hardirqs_off::<HostPerCpu>();
        } else {
            trace_hardirqs_on::<HostPerCpu>();
        }
        if self.idle[task.cpu() as usize].swap(false, Ordering::SeqCst) {
            rcu_idle_exit::<HostPerCpu>();
        }
    }

    /// What every switch away from the running `task` does before it passes the baton:
    /// the atomic check, RCU's quiescent state, and saving its interrupt flag.
    fn switch_out(&self, task: &SimTask) {
        check_switch_away();
        rcu_note_context_switch::<HostPerCpu>(task.context());
        let disabled = current().0.cpu(task.cpu()).irqs_disabled();
        task.irqs_disabled.store(disabled, Ordering::Relaxed);
    }

    /// Passes the baton from the running `task` to the next runnable task; the cpu `task`
    /// leaves goes idle unless the next task runs on it.
    fn pass_baton(&self, state: &mut SchedState, task: &SimTask) {
        let left = task.cpu();
        let next_cpu = state.runqueue.front().map(|&(_, cpu)| cpu);
        // Before the dispatch: it may be `task` itself that is dispatched, on another cpu.
        if next_cpu != Some(left) && !self.idle[left as usize].swap(true, Ordering::SeqCst) {
            // The calling thread is still `task`, on the cpu it leaves.
            rcu_idle_enter::<HostPerCpu>();
        }
        self.dispatch_next(state);
    }

    /// Blocks until the simulation stops; returns why.
    pub(crate) fn wait_until_stopped(&self) -> StopReason {
        let mut state = self.lock();
        loop {
            if let Some(reason) = state.stopped {
                return reason;
            }
            state = self
                .baton
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Gives the baton to the first runnable task.
    fn dispatch_next(&self, state: &mut SchedState) {
        match state.runqueue.pop_front() {
            Some((task, cpu)) => {
                let last = task.cpu.swap(cpu, Ordering::Relaxed);
                if task.ran.swap(true, Ordering::Relaxed) && last != cpu {
                    self.migrations.fetch_add(1, Ordering::Relaxed);
                }
                state.running = Some(task.pid());
            }
            None => {
                state.running = None;
                state.stopped = Some(if state.live_tasks == 0 {
                    StopReason::AllExited
                } else {
                    StopReason::AllAsleep
                });
            }
        }
        self.baton.notify_all();
    }

    fn draw(state: &mut SchedState) -> u64 {
        state.rng ^= state.rng << 13;
        state.rng ^= state.rng >> 7;
        state.rng ^= state.rng << 17;
        state.rng
    }

    /// The cpu a task wakes up on: its pinned cpu, else the directed one if a test set it,
    /// else a seeded draw.
    fn wakeup_cpu(&self, state: &mut SchedState, task: &SimTask) -> u32 {
        let directed = state.directed_wakeup.remove(&task.pid());
        if let Some(cpu) = task.pinned() {
            return cpu;
        }
        if let Some(cpu) = directed {
            return cpu;
        }
        (Self::draw(state) % u64::from(self.nr_cpus)) as u32
    }

    /// Makes the next wake-up of `task` resume it on `cpu`.
    pub(crate) fn direct_next_wakeup(&self, task: &SimTask, cpu: u32) {
        self.lock().directed_wakeup.insert(task.pid(), cpu);
    }

    /// Whether a runnable task waits for the baton (a used-up time slice then gives way).
    pub(crate) fn anyone_waiting(&self) -> bool {
        !self.lock().runqueue.is_empty()
    }

    /// Preemptions on interrupt return and migrations since the machine started.
    pub(crate) fn switch_stats(&self) -> (u64, u64) {
        (
            self.preemptions.load(Ordering::Relaxed),
            self.migrations.load(Ordering::Relaxed),
        )
    }

    /// The running task sleeps once (as for a page-in), is woken at once, and waits behind
    /// every task already runnable; it may come back on another cpu.
    pub(crate) fn sleep_once(&self, task: &'static SimTask) {
        task.context().note_voluntary_switch();
        self.switch_out(task);
        let mut state = self.lock();
        let cpu = self.wakeup_cpu(&mut state, task);
        state.runqueue.push_back((task, cpu));
        self.pass_baton(&mut state, task);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task gives the cpu to any runnable task and continues on the same cpu.
    pub(crate) fn yield_now(&self, task: &'static SimTask) {
        let mut state = self.lock();
        if state.runqueue.is_empty() {
            return;
        }
        drop(state);
        // Only a real switch is checked, as on bare metal: a yield with nothing to run is not
        // a scheduling point.
        self.switch_out(task);
        state = self.lock();
        state.runqueue.push_back((task, task.cpu()));
        self.pass_baton(&mut state, task);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task leaves its cpu and is queued behind every runnable task on another
    /// cpu drawn from the seed (its own if it is pinned or the only one), as the bare-metal
    /// balancer moves a preempted task to another cpu on a tie: a preemption on an interrupt
    /// return (`involuntary`) or `cond_resched()`.
    pub(crate) fn requeue(&self, task: &'static SimTask, involuntary: bool) {
        if involuntary {
            self.preemptions.fetch_add(1, Ordering::Relaxed);
        } else {
            task.context().note_voluntary_switch();
        }
        self.switch_out(task);
        let mut state = self.lock();
        let cpu = match task.pinned() {
            Some(cpu) => cpu,
            None if self.nr_cpus == 1 => 0,
            None => {
                let step = Self::draw(&mut state) % u64::from(self.nr_cpus - 1) + 1;
                ((u64::from(task.cpu()) + step) % u64::from(self.nr_cpus)) as u32
            }
        };
        state.runqueue.push_back((task, cpu));
        self.pass_baton(&mut state, task);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task sleeps until `child` (already admitted at the front) exits, then
    /// resumes on `resume_on`.
    pub(crate) fn sleep_until_exit(&self, task: &'static SimTask, child: u32, resume_on: u32) {
        task.context().note_voluntary_switch();
        self.switch_out(task);
        let mut state = self.lock();
        state.waiting_for_exit.insert(child, (task, resume_on));
        self.pass_baton(&mut state, task);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task has finished: wake whoever waited for it and pass the baton on.
    pub(crate) fn exit(&self, task: &SimTask) {
        // A task that ends atomic would leave a per-cpu count to the next task on its cpu.
        self.switch_out(task);
        let mut state = self.lock();
        state.live_tasks -= 1;
        if let Some((parent, cpu)) = state.waiting_for_exit.remove(&task.pid()) {
            state.runqueue.push_back((parent, cpu));
        }
        self.pass_baton(&mut state, task);
    }
}
