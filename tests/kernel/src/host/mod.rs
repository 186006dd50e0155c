//! A simulated SMP machine for host tests.
//!
//! Several cpus, tasks with pid and name, a deterministic seedable scheduler that can put a task
//! to sleep and resume it on a chosen cpu, a simulated user address space of pages beside the
//! kernel, and a fault path that goes through the same core decision and the same
//! exception-table code as the hardware backends.
//!
//! Each simulated task is an OS thread, but only one runs at a time: the scheduler hands a
//! baton from task to task, so every run is a deterministic interleaving chosen by the seed.
//! Both preempt-count placements exist, chosen by type: [`HostPerCpu`] keeps the count per
//! simulated cpu (x86_64's placement), [`HostPerTask`] in the task (s390x's and powerpc64's).

mod atomic_schedule;
mod clock;
mod cpu;
mod extable;
mod irq;
mod machine;
mod memory;
mod placement;
mod run;
mod sched;
mod stack_trace;
mod uaccess;

pub use machine::{Machine, MachineConfig};
pub use memory::{PAGE_SIZE, USER_LIMIT};
pub use placement::{CountPlacement, Host, HostPerCpu, HostPerTask, PerCpu, PerTask};
pub use run::{run_suites, SuiteRun};
