//! A small cooperative scheduler: kernel tasks with a pid and a name, one run queue per cpu, an
//! idle task per cpu, sleep and wake-up, and wake-ups the tests can direct to a cpu.
//!
//! - A task runs until it sleeps, yields (`preempt_schedule()` when a reschedule is pending and
//!   preemption is re-enabled), or exits. There is no timer tick: nothing needs one.
//! - A wake-up queues the task on a chosen cpu and kicks that cpu with the rescheduling IPI (an
//!   idle cpu halts with `sti; hlt` and wakes on it; a busy one notes need-resched).
//! - A task is "on cpu" from the moment a cpu picks it until the next task on that cpu has
//!   finished switching away from it. A waker waits for that before queueing it elsewhere, so no
//!   cpu can resume a stack another cpu is still running on.
//! - The per-cpu preempt count is not part of a task's saved state (see `percpu.rs`): schedule()
//!   expects it to be zero, reports "scheduling while atomic" otherwise and resets it, as Linux
//!   does. The pagefault-disable counter is in the task's `TaskContext` and moves with it.
//! - Tasks live in a fixed pool of slots with 64 KiB stacks; a slot is recycled once its task
//!   has exited and the cpu has switched off its stack.

use core::cell::{Cell, UnsafeCell};
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU8, Ordering};

use mightfault_core::{kprint, PreemptCountStore, TaskContext};

use super::cpu::{
    disable_irqs, enable_irqs, enable_irqs_and_halt, irq_restore, irq_save, irqs_disabled,
};
use super::percpu::{self, PerCpuPreemptCount, MAX_CPUS, PREEMPT_NEED_RESCHED};
use super::{apic, context, exit, smp, X86};

/// Most tasks alive at once (idle tasks not counted).
pub const MAX_TASKS: usize = 32;
const TASK_STACK_SIZE: usize = 64 * 1024;
/// Written at the bottom of every task stack and checked at each switch: a cheap overflow alarm.
const STACK_CANARY: u64 = 0x57ac_4ca7_a5ee_d5e5;
const NO_CPU: u32 = u32::MAX;
const QUEUE_CAPACITY: usize = MAX_TASKS + 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum State {
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
type TaskEntry = (fn(usize), usize);

/// A kernel task. `#[repr(C)]` with the core's `TaskContext` first, so the per-cpu current-task
/// pointer is also a pointer to the running task's `TaskContext`.
#[repr(C)]
pub struct Task {
    context: UnsafeCell<TaskContext>,
    saved_rsp: UnsafeCell<usize>,
    state: AtomicU8,
    on_cpu: AtomicBool,
    /// The cpu it last ran on.
    cpu: AtomicU32,
    /// Where its next wake-up resumes it (NO_CPU: not directed).
    directed_wake: AtomicU32,
    /// What the task runs, and its argument.
    entry: Cell<Option<TaskEntry>>,
    /// Who to wake (and on which cpu) when this task exits.
    exit_wake: Cell<Option<(&'static Task, u32)>>,
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
            saved_rsp: UnsafeCell::new(0),
            state: AtomicU8::new(State::Running as u8),
            on_cpu: AtomicBool::new(false),
            cpu: AtomicU32::new(NO_CPU),
            directed_wake: AtomicU32::new(NO_CPU),
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

    fn state(&self) -> State {
        State::from_raw(self.state.load(Ordering::SeqCst))
    }

    fn set_state(&self, state: State) {
        self.state.store(state as u8, Ordering::SeqCst);
    }

    fn take_directed_wake(&self) -> Option<u32> {
        let cpu = self.directed_wake.swap(NO_CPU, Ordering::Relaxed);
        (cpu != NO_CPU).then_some(cpu)
    }

    fn is_idle(&self) -> bool {
        IDLE.iter().any(|idle| ptr::eq(idle, self))
    }
}

const _: () = assert!(MAX_CPUS == 8, "IDLE lists one idle task per cpu");
static IDLE: [Task; MAX_CPUS] = [
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

struct RunQueue {
    slots: [Option<&'static Task>; QUEUE_CAPACITY],
    head: usize,
    len: usize,
}

impl RunQueue {
    fn push_back(&mut self, task: &'static Task) {
        assert!(self.len < QUEUE_CAPACITY, "run queue overflow");
        self.slots[(self.head + self.len) % QUEUE_CAPACITY] = Some(task);
        self.len += 1;
    }

    fn push_front(&mut self, task: &'static Task) {
        assert!(self.len < QUEUE_CAPACITY, "run queue overflow");
        self.head = (self.head + QUEUE_CAPACITY - 1) % QUEUE_CAPACITY;
        self.slots[self.head] = Some(task);
        self.len += 1;
    }

    fn pop_front(&mut self) -> Option<&'static Task> {
        if self.len == 0 {
            return None;
        }
        let task = self.slots[self.head].take();
        self.head = (self.head + 1) % QUEUE_CAPACITY;
        self.len -= 1;
        task
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One cpu's scheduler state.
struct CpuSched {
    /// Taken only with interrupts masked.
    queue: spin::Mutex<RunQueue>,
    /// The task this cpu just switched away from (finish_switch() settles it).
    prev: Cell<*const Task>,
    /// A wake-up to perform once the previous task is off this cpu (a page-in's completion).
    deferred_wake: Cell<Option<(&'static Task, u32)>>,
}

// SAFETY: the queue is a lock; the Cells are used only by their own cpu with interrupts masked.
unsafe impl Sync for CpuSched {}

static CPUS: [CpuSched; MAX_CPUS] = [const {
    CpuSched {
        queue: spin::Mutex::new(RunQueue {
            slots: [None; QUEUE_CAPACITY],
            head: 0,
            len: 0,
        }),
        prev: Cell::new(ptr::null()),
        deferred_wake: Cell::new(None),
    }
}; MAX_CPUS];

fn current_task() -> &'static Task {
    // SAFETY: the per-cpu current pointer always points at a static task (idle or pool).
    unsafe { &*percpu::current() }
}

fn this_cpu() -> usize {
    percpu::cpu_id() as usize
}

fn write_canary(stack_bottom: usize) {
    // SAFETY: the bottom word of a stack this task owns; nothing else lives there.
    unsafe { (stack_bottom as *mut u64).write_volatile(STACK_CANARY) }
}

fn check_canary(task: &Task) {
    let bottom = task.stack_bottom.get();
    // SAFETY: as write_canary().
    if bottom != 0 && unsafe { (bottom as *const u64).read_volatile() } != STACK_CANARY {
        kprint!(
            X86,
            "BUG: stack overflow in task {}/{} (canary at {:#x} overwritten)\n",
            task.context().name(),
            task.context().pid(),
            bottom
        );
        exit(false);
    }
}

/// Makes cpu `cpu`'s idle task (running on the stack whose lowest address is `stack_bottom`)
/// its current task and sets up its per-cpu area.
///
/// # Safety
/// Once per cpu, on that cpu, after its GDT is loaded and before anything reads per-cpu data.
///
/// # Context
/// Never sleeps; cpu bring-up, interrupts masked.
pub unsafe fn init_cpu(cpu: usize, stack_bottom: usize) {
    let idle = &IDLE[cpu];
    idle.stack_bottom.set(stack_bottom);
    write_canary(stack_bottom);
    idle.cpu.store(cpu as u32, Ordering::Relaxed);
    idle.on_cpu.store(true, Ordering::Relaxed);
    idle.set_state(State::Running);
    // SAFETY: the caller's contract; the idle task is static.
    unsafe { percpu::install(cpu, idle) };
}

/// Picks the next task on this cpu and switches to it. The caller has masked interrupts and set
/// the current task's state: Runnable and queued (a yield), Sleeping (someone will wake it), or
/// Dead. A task still Running had its sleep cancelled by an early wake-up and keeps the cpu.
fn schedule() {
    debug_assert!(irqs_disabled());
    let prev = current_task();
    let cpu = this_cpu();
    let idle = &IDLE[cpu];
    check_canary(prev);
    let count = percpu::raw_preempt_count() & !PREEMPT_NEED_RESCHED;
    if count != 0 {
        kprint!(
            X86,
            "BUG: scheduling while atomic: {}/{}/{:#010x}\n",
            prev.context().name(),
            prev.context().pid(),
            count
        );
        percpu::reset_preempt_count();
    }
    PerCpuPreemptCount::clear_need_resched();
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
    next.cpu.store(cpu as u32, Ordering::Relaxed);
    next.set_state(State::Running);
    CPUS[cpu].prev.set(prev);
    // SAFETY: interrupts are masked; next is not running anywhere (on_cpu was clear), and its
    // saved stack pointer came from its last switch or from spawn. prev's save slot is static.
    unsafe {
        percpu::set_current(next);
        context::switch(prev.saved_rsp.get(), *next.saved_rsp.get());
    }
    // Running as `prev` again, possibly on another cpu: re-read everything per-cpu.
    finish_switch();
}

/// Settles the task this cpu just left: it is off the cpu now (a waker may queue it elsewhere),
/// its slot is freed if it exited, and a deferred wake-up is delivered.
fn finish_switch() {
    let sched = &CPUS[this_cpu()];
    let prev = sched.prev.replace(ptr::null());
    let deferred = sched.deferred_wake.take();
    if !prev.is_null() {
        // SAFETY: prev points at a static task.
        let prev = unsafe { &*prev };
        let dead = prev.state() == State::Dead;
        prev.on_cpu.store(false, Ordering::Release);
        if dead {
            SLOT_USED[prev.slot.get()].store(false, Ordering::Release);
        }
    }
    if let Some((task, cpu)) = deferred {
        wake_on(task, cpu);
    }
}

/// Queues `task` on cpu `target` and makes that cpu look at its queue.
fn enqueue(target: u32, task: &'static Task, front: bool) {
    {
        let mut queue = CPUS[target as usize].queue.lock();
        if front {
            queue.push_front(task);
        } else {
            queue.push_back(task);
        }
    }
    kick(target);
}

fn kick(target: u32) {
    if target as usize == this_cpu() {
        if !current_task().is_idle() {
            PerCpuPreemptCount::set_need_resched();
        }
    } else {
        apic::send_ipi(smp::apic_id(target as usize), apic::VECTOR_RESCHED);
    }
}

/// Wakes a sleeping `task` on cpu `target`. Returns false when it was not asleep.
fn wake_on(task: &'static Task, target: u32) -> bool {
    let flags = irq_save();
    let woke = task
        .state
        .compare_exchange(
            State::Sleeping as u8,
            State::Runnable as u8,
            Ordering::SeqCst,
            Ordering::SeqCst,
        )
        .is_ok();
    if woke {
        if ptr::eq(task, current_task()) {
            // Woken before it got to switch away: it simply keeps running.
            task.set_state(State::Running);
        } else {
            // It may still be switching away on its old cpu.
            while task.on_cpu.load(Ordering::Acquire) {
                core::hint::spin_loop();
            }
            enqueue(target, task, false);
        }
    }
    irq_restore(flags);
    woke
}

/// The rescheduling IPI: a task was queued here. An idle cpu finds it when its `hlt` returns;
/// a busy one is asked to reschedule at its next opportunity.
///
/// # Context
/// Hard interrupt context.
pub fn resched_ipi() {
    if !current_task().is_idle() {
        PerCpuPreemptCount::set_need_resched();
    }
}

extern "C" fn task_entry() -> ! {
    finish_switch();
    // SAFETY: a task starts with interrupts enabled; its cpu is fully up.
    unsafe { enable_irqs() };
    if let Some((entry, arg)) = current_task().entry.get() {
        entry(arg);
    }
    exit_current()
}

fn alloc_task(pid: u32, name: &'static str, entry: fn(usize), arg: usize) -> &'static Task {
    let slot = SLOT_USED
        .iter()
        .position(|used| {
            used.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        })
        .expect("x86_64: out of task slots");
    let task = &POOL[slot];
    let stack_bottom = STACKS[slot].0.get() as usize;
    // SAFETY: the slot was free, so no reference to the task or its stack exists; the old
    // context is overwritten in place without being dropped (it owns nothing).
    unsafe {
        ptr::write(task.context.get(), TaskContext::new(pid, name));
        *task.saved_rsp.get() = context::initial_stack(stack_bottom + TASK_STACK_SIZE, task_entry);
    }
    write_canary(stack_bottom);
    task.stack_bottom.set(stack_bottom);
    task.slot.set(slot);
    task.entry.set(Some((entry, arg)));
    task.exit_wake.set(None);
    task.cpu.store(NO_CPU, Ordering::Relaxed);
    task.directed_wake.store(NO_CPU, Ordering::Relaxed);
    task.on_cpu.store(false, Ordering::Relaxed);
    task.set_state(State::Runnable);
    task
}

fn next_pid() -> u32 {
    NEXT_PID.fetch_add(1, Ordering::Relaxed)
}

/// Starts `entry(arg)` as a new task called `name` on cpu `cpu` and returns its pid. The task
/// exits when `entry` returns.
///
/// # Context
/// Never sleeps; task context. Panics when every task slot is taken or `cpu` is not online.
pub fn spawn(name: &'static str, entry: fn(usize), arg: usize, cpu: u32) -> u32 {
    spawn_with_pid(next_pid(), name, entry, arg, cpu)
}

/// [`spawn`] with a given pid (the boot code starts the seed task as pid 1).
///
/// # Context
/// Never sleeps; task context or the end of boot. Panics as [`spawn`] does.
pub(super) fn spawn_with_pid(
    pid: u32,
    name: &'static str,
    entry: fn(usize),
    arg: usize,
    cpu: u32,
) -> u32 {
    assert!(cpu < smp::nr_cpus(), "cpu {cpu} is not online");
    let task = alloc_task(pid, name, entry, arg);
    let flags = irq_save();
    enqueue(cpu, task, false);
    irq_restore(flags);
    pid
}

/// The current task ends: it wakes whoever waits for its exit, and never runs again.
///
/// # Context
/// Never returns; a pool task (not an idle task).
pub fn exit_current() -> ! {
    disable_irqs();
    let me = current_task();
    assert!(!me.is_idle(), "the idle task cannot exit");
    if let Some((parent, cpu)) = me.exit_wake.take() {
        wake_on(parent, cpu);
    }
    me.set_state(State::Dead);
    schedule();
    unreachable!("a dead task was scheduled again")
}

/// Gives the cpu to the next queued task, if any; the current task stays runnable on this cpu.
///
/// # Context
/// May sleep (switch); task context with interrupts enabled.
pub fn yield_now() {
    let flags = irq_save();
    let me = current_task();
    let cpu = this_cpu();
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
        schedule();
    } else {
        PerCpuPreemptCount::clear_need_resched();
    }
    irq_restore(flags);
}

/// `Arch::preempt_schedule()`: the count just dropped to zero with a reschedule pending. Only a
/// preemptible context (interrupts enabled) yields; otherwise the request stays pending.
///
/// # Context
/// May sleep (switch); called by `preempt_enable()`.
pub fn preempt_schedule() {
    if irqs_disabled() {
        return;
    }
    yield_now();
}

fn other_cpu(cpu: u32) -> u32 {
    let online = smp::nr_cpus();
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
pub fn direct_next_wakeup(cpu: u32) {
    assert!(cpu < smp::nr_cpus(), "cpu {cpu} is not online");
    current_task().directed_wake.store(cpu, Ordering::Relaxed);
}

/// The sleep of a page-in: the current task sleeps once, as if waiting for the disk, and its
/// wake-up (delivered as soon as it is off the cpu) resumes it on the cpu set by
/// [`direct_next_wakeup`], or else on another cpu than this one, to exercise migration.
///
/// # Context
/// Sleeps; the page fault handler (task context, `faulthandler_disabled()` false).
pub fn sleep_for_page_in() {
    let flags = irq_save();
    let me = current_task();
    let cpu = this_cpu();
    let target = me
        .take_directed_wake()
        .unwrap_or_else(|| other_cpu(cpu as u32));
    me.set_state(State::Sleeping);
    me.context().note_voluntary_switch();
    CPUS[cpu].deferred_wake.set(Some((me, target)));
    schedule();
    irq_restore(flags);
}

/// Puts the current task to sleep; while it sleeps, runs `other(arg)` as a new task called
/// `name` on the cpu the current task leaves, to completion; then resumes the current task on
/// `resume_on`. The explicit cpu wins over (and consumes) a pending [`direct_next_wakeup`].
///
/// # Context
/// Sleeps; task context. Panics when `resume_on` is not online or no task slot is free.
pub fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
    assert!(resume_on < smp::nr_cpus(), "cpu {resume_on} is not online");
    let me = current_task();
    let child = alloc_task(next_pid(), name, other, arg);
    child.exit_wake.set(Some((me, resume_on)));
    let flags = irq_save();
    let cpu = this_cpu();
    let _ = me.take_directed_wake();
    me.set_state(State::Sleeping);
    me.context().note_voluntary_switch();
    // The child goes first on this cpu's queue and runs as soon as we are off it; it cannot
    // run before, as nothing here preempts us.
    CPUS[cpu].queue.lock().push_front(child);
    schedule();
    irq_restore(flags);
}

/// Counts down completions and wakes the one task waiting for the count to reach zero (the
/// boot self-test waits for its per-cpu tasks with it).
pub struct Completion {
    remaining: AtomicU32,
    waiter: AtomicPtr<Task>,
}

impl Completion {
    /// A completion that needs `count` calls of [`Completion::complete_one`].
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`).
    pub const fn new(count: u32) -> Self {
        Self {
            remaining: AtomicU32::new(count),
            waiter: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Re-arms the completion for `count` more completions (no task may be waiting).
    ///
    /// # Context
    /// Never sleeps; task context.
    pub fn reset(&self, count: u32) {
        self.waiter.store(ptr::null_mut(), Ordering::SeqCst);
        self.remaining.store(count, Ordering::SeqCst);
    }

    /// Counts one completion; the last one wakes the waiter on the cpu it last ran on.
    ///
    /// # Context
    /// Never sleeps; task context.
    pub fn complete_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            let waiter = self.waiter.load(Ordering::SeqCst);
            if !waiter.is_null() {
                // SAFETY: the waiter is a static task, asleep in wait() or about to be.
                let waiter = unsafe { &*waiter };
                wake_on(waiter, waiter.cpu.load(Ordering::Relaxed));
            }
        }
    }

    /// Sleeps until the count reaches zero.
    ///
    /// # Context
    /// Sleeps; task context. One waiter at a time.
    pub fn wait(&self) {
        let me = current_task();
        self.waiter
            .store(me as *const Task as *mut Task, Ordering::SeqCst);
        loop {
            let flags = irq_save();
            me.set_state(State::Sleeping);
            if self.remaining.load(Ordering::SeqCst) == 0 {
                me.set_state(State::Running);
                irq_restore(flags);
                return;
            }
            me.context().note_voluntary_switch();
            schedule();
            irq_restore(flags);
        }
    }
}

/// Each cpu's idle task: runs what its queue holds, else halts until an interrupt (the
/// rescheduling IPI) arrives.
///
/// # Context
/// Never returns; the end of each cpu's bring-up.
pub fn idle_loop() -> ! {
    let cpu = this_cpu();
    loop {
        disable_irqs();
        if CPUS[cpu].queue.lock().is_empty() {
            // SAFETY: the cpu is fully up; `sti; hlt` cannot miss an IPI that arrives after the
            // check above (it stays pending until hlt).
            unsafe { enable_irqs_and_halt() };
            continue;
        }
        schedule();
    }
}
