//! The simulated machine: cpus, scheduler, simulated interrupts, user memory, clock, console and
//! debug state.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use mightfault_core::fault::{handle_user_fault, FaultAction};
use mightfault_core::{Arch, DebugState};

use super::clock::Clock;
use super::cpu::SimCpu;
use super::extable::{self, Site};
use super::irq::IrqSim;
use super::memory::UserMemory;
use super::sched::{Scheduler, SimTask, StopReason};
use crate::UserPageKind;

/// How a simulated machine is built.
#[derive(Clone, Copy, Debug)]
pub struct MachineConfig {
    /// Number of simulated cpus (at least 1).
    pub cpus: u32,
    /// Seed of the scheduler's choices (which cpu an undirected wake-up or a preempted task
    /// lands on) and of when simulated interrupts arrive.
    pub seed: u64,
    /// Also print console output to the host's stdout as it happens.
    pub echo_console: bool,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            cpus: 2,
            seed: 1,
            echo_console: false,
        }
    }
}

/// A simulated SMP machine.
pub struct Machine {
    cpus: Box<[SimCpu]>,
    sched: Scheduler,
    irq: IrqSim,
    memory: Mutex<UserMemory>,
    clock: Clock,
    debug: DebugState,
    state: mightfault_core::MachineState,
    console: Mutex<String>,
    echo_console: bool,
    next_pid: AtomicU32,
    threads: Mutex<Vec<JoinHandle<()>>>,
    first_panic: Mutex<Option<Box<dyn Any + Send>>>,
}

thread_local! {
    static CURRENT: Cell<Option<(&'static Machine, &'static SimTask)>> = const { Cell::new(None) };
}

/// The machine and task of the calling simulated task.
///
/// Panics outside a simulated task: kernel code only ever runs inside one
/// (see [`Machine::run`]).
pub(crate) fn current() -> (&'static Machine, &'static SimTask) {
    CURRENT.with(Cell::get).expect(
        "mightfault host backend used outside a simulated task: run it through Machine::run()",
    )
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Simulated tasks that panic are reported by `run`; their data stays consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Machine {
    /// Builds a machine. It lives for the rest of the process (tasks hold `'static`
    /// references to it, as kernel code holds references to its cpus).
    ///
    /// # Context
    /// Host code outside any simulated task.
    pub fn new(config: MachineConfig) -> &'static Machine {
        let cpus = config.cpus.max(1);
        Box::leak(Box::new(Machine {
            cpus: (0..cpus).map(|_| SimCpu::new()).collect(),
            sched: Scheduler::new(cpus, config.seed),
            irq: IrqSim::new(config.seed),
            memory: Mutex::new(UserMemory::default()),
            clock: Clock::new(),
            debug: DebugState::new(),
            state: mightfault_core::MachineState::new(),
            console: Mutex::new(String::new()),
            echo_console: config.echo_console,
            next_pid: AtomicU32::new(1),
            threads: Mutex::new(Vec::new()),
            first_panic: Mutex::new(None),
        }))
    }

    /// The machine the calling simulated task runs on.
    ///
    /// # Context
    /// Inside a simulated task only (panics elsewhere).
    pub fn current() -> &'static Machine {
        current().0
    }

    /// Runs `main` as a new task on cpu 0 and returns its result once every task it started
    /// has exited. A panic in any task is re-raised here; so is a simulated deadlock (tasks
    /// left that can never run).
    ///
    /// # Context
    /// Host code outside any simulated task; blocks until the simulation ends.
    pub fn run<R: Send + 'static>(
        &'static self,
        name: &'static str,
        main: impl FnOnce() -> R + Send + 'static,
    ) -> R {
        let result = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&result);
        self.spawn(name, 0, false, false, move || {
            *lock(&slot) = Some(main());
        });
        self.sched.kick();
        let stop = self.sched.wait_until_stopped();
        if stop == StopReason::AllExited {
            for handle in lock(&self.threads).drain(..) {
                // Task panics were caught inside the thread and are re-raised below.
                let _ = handle.join();
            }
        }
        if let Some(payload) = lock(&self.first_panic).take() {
            resume_unwind(payload);
        }
        assert_eq!(
            stop,
            StopReason::AllExited,
            "simulated deadlock: tasks remain but none can run"
        );
        let value = lock(&result).take();
        value.expect("the main task finished without a result")
    }

    /// Starts `body` as a new task called `name`, runnable on `cpu` behind the tasks already
    /// runnable; with `pinned` it only ever runs there, otherwise a preemption or a wake-up
    /// may move it. Returns its pid. The machine's `run` waits for it to exit.
    ///
    /// # Context
    /// Never sleeps; inside a simulated task.
    pub fn spawn_task(
        &'static self,
        name: &'static str,
        cpu: u32,
        pinned: bool,
        body: impl FnOnce() + Send + 'static,
    ) -> u32 {
        let cpu = cpu.min(self.nr_cpus() - 1);
        self.spawn(name, cpu, false, pinned, body)
    }

    /// Creates a task running `body` on `cpu`; returns its pid.
    fn spawn(
        &'static self,
        name: &'static str,
        cpu: u32,
        front: bool,
        pinned: bool,
        body: impl FnOnce() + Send + 'static,
    ) -> u32 {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let task: &'static SimTask = Box::leak(Box::new(SimTask::new(pid, name)));
        if pinned {
            task.pin(cpu);
        }
        self.sched.admit(task, cpu, front);
        let handle = thread::Builder::new()
            .name(format!("{name}/{pid}"))
            .spawn(move || {
                CURRENT.with(|current| current.set(Some((self, task))));
                self.sched.wait_for_baton(task);
                if let Err(payload) = catch_unwind(AssertUnwindSafe(body)) {
                    lock(&self.first_panic).get_or_insert(payload);
                }
                self.sched.exit(task);
            })
            .expect("the host could not start a thread for a simulated task");
        lock(&self.threads).push(handle);
        pid
    }

    /// Everything printed on the console so far.
    ///
    /// # Context
    /// Any host code.
    pub fn console_text(&self) -> String {
        lock(&self.console).clone()
    }

    /// Moves simulated time forward (report rate limits and watchdogs follow it).
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn advance_clock(&self, ns: u64) {
        self.clock.advance(ns);
    }

    /// Sets the simulated timer of every cpu to `hz`, and a task runs `slice_ticks` ticks
    /// before a waiting task may take its cpu. Each point where an interrupt may arrive
    /// counts as one `cpu_relax()` (1 µs) of every cpu's time, since the simulation runs its
    /// cpus one at a time: an interrupt arrives there with a chance of `hz` × cpus per
    /// million (at every point from 1,000,000 on). A machine starts with `hz` 0: no
    /// interrupts.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn set_tick(&self, hz: u32, slice_ticks: u32) {
        self.irq.set_tick(hz, slice_ticks, self.nr_cpus());
    }

    /// Restarts the generator that decides when simulated interrupts arrive.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn reseed_interrupts(&self, seed: u64) {
        self.irq.reseed(seed);
    }

    /// Makes `handler` run in hard interrupt context (after the tick's own work, before
    /// `irq_exit()`) at every simulated interrupt; `None` removes it.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn set_irq_handler(&self, handler: Option<fn()>) {
        self.irq.set_handler(handler);
    }

    /// Simulated interrupts delivered since the machine started.
    ///
    /// # Context
    /// Never sleeps; any host code.
    pub fn interrupts_delivered(&self) -> u64 {
        self.irq.delivered()
    }

    /// Tasks preempted on the return from a simulated interrupt, and dispatches of a task on
    /// another cpu than it last ran on, since the machine started.
    ///
    /// # Context
    /// Never sleeps; any host code.
    pub fn switch_stats(&self) -> (u64, u64) {
        self.sched.switch_stats()
    }

    /// Number of simulated cpus.
    ///
    /// # Context
    /// Any host code.
    pub fn nr_cpus(&self) -> u32 {
        self.sched.nr_cpus()
    }

    pub(crate) fn cpu(&self, cpu: u32) -> &SimCpu {
        &self.cpus[cpu as usize]
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.sched
    }

    pub(crate) fn irq(&self) -> &IrqSim {
        &self.irq
    }

    pub(crate) fn machine_state(&self) -> &mightfault_core::MachineState {
        &self.state
    }

    pub(crate) fn debug_state(&self) -> &DebugState {
        &self.debug
    }

    pub(crate) fn console_write(&self, text: &str) {
        lock(&self.console).push_str(text);
        if self.echo_console {
            print!("{text}");
        }
    }

    pub(crate) fn memory(&self) -> MutexGuard<'_, UserMemory> {
        lock(&self.memory)
    }

    /// Replaces the user address space with pages of `kinds` from `base`; false if they do
    /// not fit below the user limit or `base` is not page-aligned.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn map_user_pages(&self, base: usize, kinds: &[UserPageKind]) -> bool {
        self.memory().set_layout(base, kinds)
    }

    /// Whether the user page holding `addr` is present.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn user_page_present(&self, addr: usize) -> bool {
        self.memory().is_present(addr)
    }

    /// Makes the present user page holding `addr` not present, keeping its contents: the next
    /// access faults and pages it in again (sleeping once), with those contents and its
    /// writability. False (changing nothing) when the page is not present.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn evict_user_page(&self, addr: usize) -> bool {
        self.memory().evict(addr)
    }

    /// Reads user memory without faulting; false if any byte is not present.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn peek_user(&self, addr: usize, buf: &mut [u8]) -> bool {
        self.memory().inspect(addr, buf.len(), |bytes, done| {
            buf[done..done + bytes.len()].copy_from_slice(bytes)
        })
    }

    /// Writes user memory without faulting, read-only pages included; false if any byte is
    /// not present.
    ///
    /// # Context
    /// Never sleeps; inside or outside a simulated task.
    pub fn poke_user(&self, addr: usize, data: &[u8]) -> bool {
        self.memory().inspect(addr, data.len(), |bytes, done| {
            bytes.copy_from_slice(&data[done..done + bytes.len()])
        })
    }

    /// Makes the calling task's next wake-up resume it on `cpu`.
    ///
    /// # Context
    /// Never sleeps; inside a simulated task.
    pub fn direct_next_wakeup(&self, cpu: u32) {
        let (_, task) = current();
        self.sched
            .direct_next_wakeup(task, cpu.min(self.nr_cpus() - 1));
    }

    /// The calling task sleeps while `other` runs to completion as a new task on the cpu it
    /// leaves; then it resumes on `resume_on`. Like every switch, it reports a caller whose
    /// preempt count is not 0 as scheduling while atomic, and clears that count.
    ///
    /// # Context
    /// Sleeps; inside a simulated task.
    pub fn sleep_while_other_runs(
        &'static self,
        other: impl FnOnce() + Send + 'static,
        name: &'static str,
        resume_on: u32,
    ) {
        let (_, task) = current();
        let child = self.spawn(name, task.cpu(), true, false, other);
        self.sched
            .sleep_until_exit(task, child, resume_on.min(self.nr_cpus() - 1));
    }

    /// Handles a fault of the calling task at `addr` raised by access site `site`: the core
    /// decides, and resolving a not-present page sleeps once (possibly migrating).
    pub(crate) fn fault<A: Arch>(
        &'static self,
        addr: usize,
        write: bool,
        site: &'static Site,
    ) -> FaultAction {
        let fixup = extable::fixup_for(site);
        let action = handle_user_fault::<A>(fixup.is_some(), || {
            let resolved = self.memory().resolve(addr, write);
            if resolved.paged_in {
                self.sched.sleep_once(current().1);
            }
            resolved.resolution
        });
        match action {
            FaultAction::Fixup => debug_assert_eq!(fixup, Some(extable::fixup_landing())),
            FaultAction::Oops => self.oops::<A>(addr, write),
            FaultAction::Retry => {}
        }
        action
    }

    /// A fault outside any user access: print an oops and stop the task, as a kernel would.
    fn oops<A: Arch>(&self, addr: usize, write: bool) -> ! {
        // Linux's x86 page-fault oops, with the simulated task's call trace.
        mightfault_core::console::report_with_trace::<A>(|out, marker| {
            writeln!(
                out,
                "BUG: unable to handle page fault for address: {addr:016x}\n\
                 #PF: supervisor {} access in kernel mode\n\
                 Oops: Oops: {:04x} [#1] SMP",
                if write { "write" } else { "read" },
                if write { 2 } else { 0 },
            )?;
            mightfault_core::dump_stack::write_dump_stack::<A>(out, marker)?;
            writeln!(out, "{}", mightfault_core::warn::END_TRACE)
        });
        panic!("oops: page fault at {addr:#x} outside a user access");
    }
}
