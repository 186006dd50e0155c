//! Tasks: the pool they live in, their stacks, and their scheduling state.

use core::cell::{Cell, UnsafeCell};
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

use mightfault_core::{kprint, TaskContext};

use super::hooks::SchedHooks;
use super::MAX_CPUS;

/// Most tasks alive at once (idle tasks not counted).
pub const MAX_TASKS: usize = 32;
/// Every stack of the images, task or boot (idle) stack, is this large: the stack walkers'
/// bounds are the running task's `stack_bottom` plus this.
pub const TASK_STACK_SIZE: usize = 64 * 1024;
/// Written at the bottom of every task stack and checked at each switch: a cheap overflow alarm.
const STACK_CANARY: u64 = 0x57ac_4ca7_a5ee_d5e5;
pub(super) const NO_CPU: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum State {
    /// On a cpu (or the idle task).
    Running = 0,
    /// Queued on a cpu's run queue.
    Runnable = 1,
    /// Waiting for a wake-up.
    Sleeping = 2,
    /// Exited; its slot is freed once no cpu runs on its stack.
    Dead = 3,
}

impl State {
    fn from_raw(raw: u8) -> Self {
        match raw {
            0 => State::Running,
            1 => State::Runnable,
            2 => State::Sleeping,
            _ => State::Dead,
        }
    }
}

/// What a task runs: a function and its argument.
pub(super) type TaskEntry = (fn(usize), usize);

/// A kernel task. `#[repr(C)]` with the core's `TaskContext` first, so a per-cpu current-task
/// pointer is also a pointer to the running task's `TaskContext`.
#[repr(C)]
pub struct Task {
    context: UnsafeCell<TaskContext>,
    pub(super) saved_sp: UnsafeCell<usize>,
    state: AtomicU8,
    pub(super) on_cpu: AtomicBool,
    /// The cpu it last ran on.
    pub(super) cpu: AtomicU32,
    /// Where its next wake-up resumes it (NO_CPU: not directed).
    pub(super) directed_wake: AtomicU32,
    /// The only cpu it may run on after a preemption (NO_CPU: any; the balancer chooses).
    pub(super) affinity: AtomicU32,
    /// What the task runs, and its argument.
    pub(super) entry: Cell<Option<TaskEntry>>,
    /// Who to wake (and on which cpu) when this task exits.
    pub(super) exit_wake: Cell<Option<(&'static Task, u32)>>,
    stack_bottom: Cell<usize>,
    slot: Cell<usize>,
}

// SAFETY: the Cells and the saved stack pointer are written either while the task is not
// runnable (spawn, before it is queued; the scheduler, with interrupts masked, on the cpu that
// switches it) or by the task itself; queueing goes through a run queue's lock and the on_cpu
// handshake, which order those writes before the next cpu's reads.
unsafe impl Sync for Task {}

impl Task {
    const fn new(pid: u32, name: &'static str) -> Self {
        Self {
            context: UnsafeCell::new(TaskContext::new(pid, name)),
            saved_sp: UnsafeCell::new(0),
            state: AtomicU8::new(State::Running as u8),
            on_cpu: AtomicBool::new(false),
            cpu: AtomicU32::new(NO_CPU),
            directed_wake: AtomicU32::new(NO_CPU),
            affinity: AtomicU32::new(NO_CPU),
            entry: Cell::new(None),
            exit_wake: Cell::new(None),
            stack_bottom: Cell::new(0),
            slot: Cell::new(usize::MAX),
        }
    }

    /// The task's contract state: pid, name, pagefault counter.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn context(&self) -> &TaskContext {
        // SAFETY: the context is only replaced while the slot is free, when no reference to the
        // task exists.
        unsafe { &*self.context.get() }
    }

    pub(super) fn state(&self) -> State {
        State::from_raw(self.state.load(Ordering::SeqCst))
    }

    pub(super) fn set_state(&self, state: State) {
        self.state.store(state as u8, Ordering::SeqCst);
    }

    /// Moves the task from Sleeping to Runnable; false when it was not asleep.
    pub(super) fn try_wake(&self) -> bool {
        self.state
            .compare_exchange(
                State::Sleeping as u8,
                State::Runnable as u8,
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_ok()
    }

    pub(super) fn take_directed_wake(&self) -> Option<u32> {
        let cpu = self.directed_wake.swap(NO_CPU, Ordering::Relaxed);
        (cpu != NO_CPU).then_some(cpu)
    }

    pub(super) fn is_idle(&self) -> bool {
        IDLE.iter().any(|idle| ptr::eq(idle, self))
    }

    /// Makes this idle task the one running on `cpu`, on the stack starting at `stack_bottom`.
    pub(super) fn become_idle_of(&self, cpu: usize, stack_bottom: usize) {
        self.stack_bottom.set(stack_bottom);
        write_canary(stack_bottom);
        self.cpu.store(cpu as u32, Ordering::Relaxed);
        self.on_cpu.store(true, Ordering::Relaxed);
        self.set_state(State::Running);
    }

    /// Frees the task's slot (it is dead and off every cpu).
    pub(super) fn release_slot(&self) {
        SLOT_USED[self.slot.get()].store(false, Ordering::Release);
    }

    /// The bounds of this task's stack (`bottom..bottom + TASK_STACK_SIZE`), once it has one.
    pub fn stack_range(&self) -> Option<(usize, usize)> {
        let bottom = self.stack_bottom.get();
        (bottom != 0).then_some((bottom, bottom + TASK_STACK_SIZE))
    }

    /// Ends the run when the task overflowed its stack.
    pub(super) fn check_canary<H: SchedHooks>(&self) {
        let bottom = self.stack_bottom.get();
        // SAFETY: as write_canary().
        if bottom != 0 && unsafe { (bottom as *const u64).read_volatile() } != STACK_CANARY {
            kprint!(
                H,
                "BUG: stack overflow in task {}/{} (canary at {:#x} overwritten)\n",
                self.context().name(),
                self.context().pid(),
                bottom
            );
            H::exit(false);
        }
    }
}

const _: () = assert!(MAX_CPUS == 8, "IDLE lists one idle task per cpu");
/// One idle task per cpu (pid 0, as Linux's swapper).
pub(super) static IDLE: [Task; MAX_CPUS] = [
    Task::new(0, "swapper/0"),
    Task::new(0, "swapper/1"),
    Task::new(0, "swapper/2"),
    Task::new(0, "swapper/3"),
    Task::new(0, "swapper/4"),
    Task::new(0, "swapper/5"),
    Task::new(0, "swapper/6"),
    Task::new(0, "swapper/7"),
];

static POOL: [Task; MAX_TASKS] = [const { Task::new(0, "") }; MAX_TASKS];
static SLOT_USED: [AtomicBool; MAX_TASKS] = [const { AtomicBool::new(false) }; MAX_TASKS];

#[repr(C, align(16))]
struct TaskStack(UnsafeCell<[u8; TASK_STACK_SIZE]>);

// SAFETY: a stack belongs to the task in the same slot, which is the only code that uses it.
unsafe impl Sync for TaskStack {}

static STACKS: [TaskStack; MAX_TASKS] =
    [const { TaskStack(UnsafeCell::new([0; TASK_STACK_SIZE])) }; MAX_TASKS];

/// pid 0 is the idle tasks', 1 the seed task's.
static NEXT_PID: AtomicU32 = AtomicU32::new(2);

fn write_canary(stack_bottom: usize) {
    // SAFETY: the bottom word of a stack this task owns; nothing else lives there.
    unsafe { (stack_bottom as *mut u64).write_volatile(STACK_CANARY) }
}

/// Takes a free slot and prepares its task to enter `entry(arg)` through `trampoline` at its
/// first switch. Panics when every slot is taken.
pub(super) fn alloc_task<H: SchedHooks>(
    pid: u32,
    name: &'static str,
    entry: fn(usize),
    arg: usize,
    trampoline: extern "C" fn() -> !,
) -> &'static Task {
    let slot = SLOT_USED
        .iter()
        .position(|used| {
            used.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
        .expect("sched: out of task slots");
    let task = &POOL[slot];
    let stack_bottom = STACKS[slot].0.get() as usize;
    // SAFETY: the slot was free, so no reference to the task or its stack exists; the old
    // context is overwritten in place without being dropped (it owns nothing). The stack is the
    // slot's own, 16-byte aligned, and unused.
    unsafe {
        ptr::write(task.context.get(), TaskContext::new(pid, name));
        *task.saved_sp.get() = H::initial_stack(stack_bottom + TASK_STACK_SIZE, trampoline);
    }
    write_canary(stack_bottom);
    task.stack_bottom.set(stack_bottom);
    task.slot.set(slot);
    task.entry.set(Some((entry, arg)));
    task.exit_wake.set(None);
    task.cpu.store(NO_CPU, Ordering::Relaxed);
    task.directed_wake.store(NO_CPU, Ordering::Relaxed);
    task.affinity.store(NO_CPU, Ordering::Relaxed);
    task.on_cpu.store(false, Ordering::Relaxed);
    task.set_state(State::Runnable);
    task
}

/// A fresh pid.
pub(super) fn next_pid() -> u32 {
    NEXT_PID.fetch_add(1, Ordering::Relaxed)
}
