//! The simulated scheduler: one baton, passed from task to task.
//!
//! Every simulated task is an OS thread that runs only while it holds the baton, so exactly one
//! task runs at any moment and the interleaving is decided here, deterministically: runnable
//! tasks go in FIFO order, and a task woken without a directed cpu lands on a cpu drawn from a
//! seeded generator. Every switch away from a task first checks that it is not atomic
//! (`atomic_schedule`), as the bare-metal scheduler does.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use mightfault_core::TaskContext;

use super::atomic_schedule::check_switch_away;

/// A simulated task: the contract's per-task state plus the cpu it runs on.
pub(crate) struct SimTask {
    context: TaskContext,
    cpu: AtomicU32,
}

impl SimTask {
    pub(crate) fn new(pid: u32, name: &str) -> Self {
        Self {
            context: TaskContext::new(pid, name),
            cpu: AtomicU32::new(0),
        }
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

    /// Blocks the calling thread until `task` holds the baton.
    pub(crate) fn wait_for_baton(&self, task: &SimTask) {
        let mut state = self.lock();
        while state.running != Some(task.pid()) {
            state = self
                .baton
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
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

    fn dispatch_next(&self, state: &mut SchedState) {
        match state.runqueue.pop_front() {
            Some((task, cpu)) => {
                task.cpu.store(cpu, Ordering::Relaxed);
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

    /// The cpu a task wakes up on: the directed one if a test set it, else a seeded draw.
    fn wakeup_cpu(&self, state: &mut SchedState, task: &SimTask) -> u32 {
        if let Some(cpu) = state.directed_wakeup.remove(&task.pid()) {
            return cpu;
        }
        state.rng ^= state.rng << 13;
        state.rng ^= state.rng >> 7;
        state.rng ^= state.rng << 17;
        (state.rng % u64::from(self.nr_cpus)) as u32
    }

    /// Makes the next wake-up of `task` resume it on `cpu`.
    pub(crate) fn direct_next_wakeup(&self, task: &SimTask, cpu: u32) {
        self.lock().directed_wakeup.insert(task.pid(), cpu);
    }

    /// The running task sleeps once (as for a page-in), is woken at once, and waits behind
    /// every task already runnable; it may come back on another cpu.
    pub(crate) fn sleep_once(&self, task: &'static SimTask) {
        task.context().note_voluntary_switch();
        check_switch_away();
        let mut state = self.lock();
        let cpu = self.wakeup_cpu(&mut state, task);
        state.runqueue.push_back((task, cpu));
        self.dispatch_next(&mut state);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task gives the cpu to any runnable task and continues on the same cpu.
    pub(crate) fn yield_now(&self, task: &'static SimTask) {
        let mut state = self.lock();
        if state.runqueue.is_empty() {
            return;
        }
        // Only a real switch is checked, as on bare metal: a yield with nothing to run is not
        // a scheduling point.
        check_switch_away();
        state.runqueue.push_back((task, task.cpu()));
        self.dispatch_next(&mut state);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task sleeps until `child` (already admitted at the front) exits, then
    /// resumes on `resume_on`.
    pub(crate) fn sleep_until_exit(&self, task: &'static SimTask, child: u32, resume_on: u32) {
        task.context().note_voluntary_switch();
        check_switch_away();
        let mut state = self.lock();
        state.waiting_for_exit.insert(child, (task, resume_on));
        self.dispatch_next(&mut state);
        drop(state);
        self.wait_for_baton(task);
    }

    /// The running task has finished: wake whoever waited for it and pass the baton on.
    pub(crate) fn exit(&self, task: &SimTask) {
        // A task that ends atomic would leave a per-cpu count to the next task on its cpu.
        check_switch_away();
        let mut state = self.lock();
        state.live_tasks -= 1;
        if let Some((parent, cpu)) = state.waiting_for_exit.remove(&task.pid()) {
            state.runqueue.push_back((parent, cpu));
        }
        self.dispatch_next(&mut state);
    }
}
