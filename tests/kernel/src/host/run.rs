//! One run of the suites on a fresh simulated machine, as the host tests and the `host-ktap`
//! example (`cargo xtask host-ktap`) both do it.

use std::sync::Mutex;

use super::{Machine, MachineConfig};

/// One machine at a time: the suites keep their cases' state in statics (as a kernel image
/// does), which machines running side by side in this process would share.
static ONE_MACHINE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// What one run of the suites left: their verdict and everything the machine printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteRun {
    /// What `suites` returned (true when no case failed).
    pub passed: bool,
    /// The machine's console text: the KTAP document and the kernel's log lines (reports)
    /// between its lines, nothing else.
    pub console: String,
}

/// Builds a machine of `cpus` cpus whose scheduler and interrupts follow `seed`, runs `suites`
/// on it as task 1 (`seed`, the name the reports print) and returns their verdict and the
/// console text. The console is not echoed to stdout; runs in this process are serialized.
///
/// # Context
/// Host code outside any simulated task; blocks until the simulation ends (a panic in a task
/// is re-raised here, see [`Machine::run`]).
pub fn run_suites(cpus: u32, seed: u64, suites: fn() -> bool) -> SuiteRun {
    let _alone = ONE_MACHINE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let machine = Machine::new(MachineConfig {
        cpus,
        seed,
        echo_console: false,
    });
    let passed = machine.run("seed", suites);
    SuiteRun {
        passed,
        console: machine.console_text(),
    }
}
