//! The first task of every bootable image: show that each cpu runs tasks, then run the suites.

use mightfault_core::kprint;

use super::api::{spawn, spawn_with_pid};
use super::completion::Completion;
use super::hooks::SchedHooks;
use super::MAX_CPUS;

extern "Rust" {
    /// Defined by the image binary (`#[no_mangle]`): runs the KTAP suites in the calling task
    /// and returns whether all passed.
    fn mightfault_image_main() -> bool;
}

/// Counts the per-cpu greeting tasks of the boot self-test.
static GREETINGS: Completion = Completion::new(0);

const GREETER_NAMES: [&str; MAX_CPUS] = [
    "hello/0", "hello/1", "hello/2", "hello/3", "hello/4", "hello/5", "hello/6", "hello/7",
];

fn greet<H: SchedHooks>(_: usize) {
    let task = H::current_task();
    kprint!(
        H,
        "{}: cpu {} runs task {} (pid {})\n",
        H::NAME,
        H::cpu_id(),
        task.name(),
        task.pid()
    );
    GREETINGS.complete_one::<H>();
}

fn seed_main<H: SchedHooks>(_: usize) {
    let cpus = H::nr_cpus();
    // Show that every cpu runs tasks before the suites rely on it.
    GREETINGS.reset(cpus);
    for cpu in 0..cpus {
        spawn::<H>(GREETER_NAMES[cpu as usize], greet::<H>, 0, cpu);
    }
    GREETINGS.wait::<H>();
    // SAFETY: the image binary defines this function with this signature (Rust ABI,
    // #[no_mangle]); it runs the suites in this task.
    let passed = unsafe { mightfault_image_main() };
    H::exit(passed)
}

/// Queues the first task (pid 1, "seed") on cpu 0: it greets from every cpu, runs the image's
/// suites and ends the run with their verdict.
///
/// # Context
/// Never sleeps; the end of the boot cpu's bring-up, once, with every cpu online.
pub fn spawn_first_task<H: SchedHooks>() {
    spawn_with_pid::<H>(1, "seed", seed_main::<H>, 0, 0);
}
