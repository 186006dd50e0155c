//! The machine: two cpus, one task, a clock and a console, one machine per host thread (so
//! that `cargo test` runs each test on a machine of its own).

use core::cell::Cell;

use mightfault_core::{kprint, preempt_count, DebugState};

use crate::cpu::Cpu;
use crate::task::Task;
use crate::user_memory::UserMemory;
use crate::Mini;

/// How many cpus the machine has.
pub const NR_CPUS: usize = 2;

/// How far the clock moves at each reading: the machine has no timer, so time passes as it is
/// looked at, which keeps lock watchdogs and rate limits deterministic and fast.
const NS_PER_READING: u64 = 1_000_000;

/// One simulated machine.
pub struct Machine {
    cpus: [Cpu; NR_CPUS],
    on_cpu: Cell<usize>,
    task: Task,
    memory: UserMemory,
    clock_ns: Cell<u64>,
    debug: DebugState,
    state: mightfault_core::MachineState,
}

thread_local! {
    static MACHINE: &'static Machine = Box::leak(Box::new(Machine::new()));
}

/// This host thread's machine (created on first use).
///
/// # Context
/// Never sleeps; any context.
pub fn machine() -> &'static Machine {
    MACHINE.with(|machine| *machine)
}

impl Machine {
    fn new() -> Self {
        Self {
            cpus: [Cpu::new(0), Cpu::new(1)],
            on_cpu: Cell::new(0),
            task: Task::new(1, "mini"),
            memory: UserMemory::new(),
            clock_ns: Cell::new(0),
            debug: DebugState::new(),
            state: mightfault_core::MachineState::new(),
        }
    }

    /// The cpu the task runs on now.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn this_cpu(&self) -> &Cpu {
        &self.cpus[self.on_cpu.get()]
    }

    /// The running task.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn current(&self) -> &Task {
        &self.task
    }

    /// The user address space.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn memory(&self) -> &UserMemory {
        &self.memory
    }

    /// The report state mightfault keeps for this machine.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn debug_state(&self) -> &DebugState {
        &self.debug
    }

    /// The softirq and RCU state mightfault keeps for this machine.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn machine_state(&self) -> &mightfault_core::MachineState {
        &self.state
    }

    /// Reads the clock (which moves on by one millisecond each time).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn now_ns(&self) -> u64 {
        let now = self.clock_ns.get() + NS_PER_READING;
        self.clock_ns.set(now);
        now
    }

    /// The scheduler: the task sleeps and, this machine having nothing else to run, wakes on
    /// the next cpu. Sleeping while atomic is reported, as Linux's `schedule()` does.
    ///
    /// # Context
    /// Sleeps; task context with preemption enabled.
    pub fn sleep(&self) {
        let count = preempt_count::<Mini>();
        if count != 0 {
            kprint!(
                Mini,
                "BUG: scheduling while atomic: {}/{}/0x{:08x}\n",
                self.task.context.name(),
                self.task.context.pid(),
                count
            );
        }
        self.task.context.note_voluntary_switch();
        self.on_cpu.set((self.on_cpu.get() + 1) % NR_CPUS);
    }
}
