//! Runs every suite on the simulated host machine, as the host tests do
//! (`tests/tests/seed_host.rs`), and writes only the machine's console text to stdout: one KTAP
//! document per run, with the kernel's log lines (reports) between its lines and nothing from
//! a test harness, so Linux's KUnit parser reads it as it is. `cargo xtask host-ktap` builds and
//! runs it in a configuration and checks what it wrote.
//!
//! usage: host-ktap [--cpus N] [--seed S] [--placement per-cpu|per-task|both]
//! (defaults: 2 cpus, seed 1, per-cpu; `both` writes two documents, per-cpu then per-task).
//! Exits 1 when a run reports a failed case, 2 on bad arguments.

use std::io::Write;
use std::process::ExitCode;

use mightfault_test_kernel::host::{run_suites, HostPerCpu, HostPerTask, SuiteRun};
use mightfault_tests::{run_all, ContextMachine};

/// Where the preempt count lives in the runs asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Placement {
    PerCpu,
    PerTask,
    Both,
}

/// The run asked for on the command line.
#[derive(Debug)]
struct Args {
    cpus: u32,
    seed: u64,
    placement: Placement,
}

/// A seed in decimal or `0x` hexadecimal.
fn parse_seed(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        cpus: 2,
        seed: 1,
        placement: Placement::PerCpu,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--cpus" => {
                let v = value()?;
                parsed.cpus = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| format!("bad --cpus `{v}`"))?;
            }
            "--seed" => {
                let v = value()?;
                parsed.seed = parse_seed(v).ok_or_else(|| format!("bad --seed `{v}`"))?;
            }
            "--placement" => {
                parsed.placement = match value()? {
                    "per-cpu" => Placement::PerCpu,
                    "per-task" => Placement::PerTask,
                    "both" => Placement::Both,
                    other => return Err(format!("bad --placement `{other}`")),
                }
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    Ok(parsed)
}

fn run<M: ContextMachine>(args: &Args) -> SuiteRun {
    run_suites(args.cpus, args.seed, run_all::<M>)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&argv) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!(
                "host-ktap: {msg}\n\
                 usage: host-ktap [--cpus N] [--seed S] [--placement per-cpu|per-task|both]"
            );
            return ExitCode::from(2);
        }
    };
    let mut runs = Vec::new();
    if args.placement != Placement::PerTask {
        runs.push(run::<HostPerCpu>(&args));
    }
    if args.placement != Placement::PerCpu {
        runs.push(run::<HostPerTask>(&args));
    }
    let mut out = std::io::stdout().lock();
    for r in &runs {
        let mut text = r.console.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if let Err(e) = out.write_all(text.as_bytes()) {
            eprintln!("host-ktap: stdout: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("host-ktap: stdout: {e}");
        return ExitCode::FAILURE;
    }
    if runs.iter().all(|r| r.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
