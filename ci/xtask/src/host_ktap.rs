//! `cargo xtask host-ktap`: the host suites' KTAP alone, for Linux's KUnit parser.
//!
//! The host tests print each run's console with `println!`, among the test harness's own lines
//! (`test NAME ... ` lands on the line of the first `KTAP version 1`), which no KTAP reader can
//! take as it is. This command builds and runs the `host-ktap` example of `mightfault-tests`
//! (tests/examples/host-ktap.rs: the same machine setup as tests/tests/seed_host.rs, through
//! `mightfault_test_kernel::host::run_suites`) in one configuration, writes exactly what the
//! machine printed (one KTAP document per run, with the kernel's log lines such as reports
//! between its lines) to a file or stdout, and then judges that text with [`crate::ktap`]. Its
//! own messages go to stderr, so stdout carries the KTAP alone.

use crate::cmd::{self, host_cargo, root, Result};
use crate::config::{self, Config};
use crate::ktap;
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

/// Where the preempt count lives in the runs asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Per simulated cpu (x86_64's placement).
    PerCpu,
    /// In the task (s390x's and powerpc64's).
    PerTask,
    /// One run of each, per-cpu first: two documents.
    Both,
}

impl Placement {
    /// The example's `--placement` value.
    fn arg(self) -> &'static str {
        match self {
            Placement::PerCpu => "per-cpu",
            Placement::PerTask => "per-task",
            Placement::Both => "both",
        }
    }

    /// The runs, in the order their documents are written.
    fn runs(self) -> &'static [&'static str] {
        match self {
            Placement::PerCpu => &["per-cpu"],
            Placement::PerTask => &["per-task"],
            Placement::Both => &["per-cpu", "per-task"],
        }
    }
}

/// What `host-ktap` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The host configuration (cargo features) the suites are built in.
    pub config: &'static Config,
    /// Where the KTAP goes; stdout when None.
    pub out: Option<PathBuf>,
    /// Simulated cpus.
    pub cpus: u32,
    /// The scheduler's and the interrupts' seed.
    pub seed: u64,
    /// Which preempt-count placements run.
    pub placement: Placement,
}

impl Options {
    /// The defaults: debug, stdout, 2 cpus, seed 1, per-cpu (one document, which is what
    /// Linux's parser reads from a file).
    pub fn new(config: &'static Config) -> Self {
        Options {
            config,
            out: None,
            cpus: 2,
            seed: 1,
            placement: Placement::PerCpu,
        }
    }
}

/// A seed in decimal or `0x` hexadecimal.
fn parse_seed(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Parses `host-ktap` arguments; the error is a usage message.
pub fn parse_args(args: &[String]) -> std::result::Result<Options, String> {
    let mut o = Options::new(config::config("debug").expect("debug is a configuration"));
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--config" => {
                let v = value()?;
                o.config = config::config(v).ok_or_else(|| format!("unknown config `{v}`"))?;
            }
            "--out" => o.out = Some(PathBuf::from(value()?)),
            "--cpus" => {
                let v = value()?;
                o.cpus = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| format!("bad --cpus `{v}`"))?;
            }
            "--seed" => {
                let v = value()?;
                o.seed = parse_seed(v).ok_or_else(|| format!("bad --seed `{v}`"))?;
            }
            "--placement" => {
                o.placement = match value()? {
                    "per-cpu" => Placement::PerCpu,
                    "per-task" => Placement::PerTask,
                    "both" => Placement::Both,
                    v => return Err(format!("bad --placement `{v}`")),
                }
            }
            f if f.starts_with('-') => return Err(format!("unknown option `{f}`")),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    Ok(o)
}

/// The file `cargo xtask test` writes a configuration's KTAP to.
pub fn test_output(config: &Config) -> PathBuf {
    root()
        .join("target")
        .join(format!("host-ktap-{}.ktap", config.name))
}

/// Runs the example in `o`'s configuration, writes its KTAP and judges it. Fails when the
/// example fails (a case failed, or it could not be built or run), when the text holds other
/// than one document per run, or when a document does not pass xtask's KTAP parser; the text
/// is written in every case, for reading.
pub fn run(o: &Options) -> Result {
    let features = o.config.workspace_features();
    let mut c = host_cargo();
    c.args([
        "run",
        "-p",
        config::TESTS_PACKAGE,
        "--example",
        "host-ktap",
        "--no-default-features",
        "--features",
        &features,
        "--",
        "--cpus",
        &o.cpus.to_string(),
        "--seed",
        &o.seed.to_string(),
        "--placement",
        o.placement.arg(),
    ]);
    // cargo's messages and the example's errors go to our stderr; stdout is the KTAP.
    c.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let shown = cmd::display(&c);
    eprintln!("$ {shown}");
    let output = c
        .output()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if output.stdout.is_empty() {
        // Nothing ran (a build error, a bad argument): cargo's stderr said why.
        cmd::check(output.status, &shown)?;
    }
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    match &o.out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("host-ktap: wrote {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("stdout: {e}"))?;
        }
    }
    let verdict = judge(&text, o.placement.runs());
    for line in &verdict.lines {
        eprintln!("host-ktap: {line}");
    }
    cmd::check(output.status, &shown)?;
    if verdict.passed {
        Ok(())
    } else {
        Err(format!(
            "the host KTAP ({}) does not pass",
            o.out
                .as_ref()
                .map_or("stdout".to_string(), |p| p.display().to_string())
        ))
    }
}

/// The judgement of one output: the lines to print and whether it passed.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    lines: Vec<String>,
    passed: bool,
}

/// Judges `text`, which must hold one passing KTAP document for each of `runs`, in order.
fn judge(text: &str, runs: &[&str]) -> Verdict {
    let documents = ktap::split_documents(text);
    let mut lines = Vec::new();
    let mut passed = documents.len() == runs.len();
    if !passed {
        lines.push(format!(
            "{} KTAP document(s) for {} run(s) ({})",
            documents.len(),
            runs.len(),
            runs.join(", ")
        ));
    }
    for (document, run) in documents.iter().zip(runs) {
        let o = ktap::parse(document);
        lines.push(format!(
            "{run}: {} passed, {} failed, {} skipped",
            o.passed, o.failed, o.skipped
        ));
        // xtask's parser takes a header at the end of a line of firmware junk; Linux's takes the
        // text before it as a prefix and strips that many characters from every line after.
        if !document.lines().any(|l| l.trim_end() == "KTAP version 1") {
            lines.push(format!(
                "{run}: no `KTAP version 1` line that starts a line (Linux's parser would cut \
                 the text before it from every following line)"
            ));
            passed = false;
        }
        for f in &o.failures {
            lines.push(format!("{run}: not ok: {f}"));
        }
        for e in &o.errors {
            lines.push(format!("{run}: KTAP: {e}"));
        }
        passed &= o.passed();
    }
    Verdict { lines, passed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_and_flags() {
        let o = parse_args(&[]).unwrap();
        assert_eq!(
            (o.config.name, o.out, o.cpus, o.seed, o.placement),
            ("debug", None, 2, 1, Placement::PerCpu)
        );
        let o = parse_args(&args(
            "--config production --out /tmp/h.ktap --cpus 4 --seed 0xdeadbeef --placement both",
        ))
        .unwrap();
        assert_eq!(o.config.name, "production");
        assert_eq!(o.out, Some(PathBuf::from("/tmp/h.ktap")));
        assert_eq!(
            (o.cpus, o.seed, o.placement),
            (4, 0xdead_beef, Placement::Both)
        );
        // The host runs every configuration, the image-less ones too.
        assert_eq!(
            parse_args(&args("--config full")).unwrap().config.name,
            "full"
        );
        assert_eq!(parse_args(&args("--seed 7")).unwrap().seed, 7);
        for bad in [
            "--config nope",
            "--config",
            "--cpus 0",
            "--cpus x",
            "--seed -1",
            "--placement sideways",
            "--out",
            "--frob",
            "extra",
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn runs_and_outputs() {
        assert_eq!(Placement::Both.runs(), ["per-cpu", "per-task"]);
        assert_eq!(Placement::PerTask.arg(), "per-task");
        assert!(test_output(config::config("legacy").unwrap())
            .ends_with("target/host-ktap-legacy.ktap"));
    }

    const DOC: &str = concat!(
        "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: seed\n    1..2\n",
        "BUG: a report line\n    ok 1 a\n    ok 2 b # SKIP n/a\n",
        "    # seed: pass:1 fail:0 skip:1 total:2\nok 1 seed\n",
        "# Totals: pass:1 fail:0 skip:1 total:2\n",
    );

    #[test]
    fn one_passing_document_per_run() {
        assert!(judge(DOC, &["per-cpu"]).passed);
        let two = format!("{DOC}{DOC}");
        let v = judge(&two, &["per-cpu", "per-task"]);
        assert!(v.passed, "{:?}", v.lines);
        assert_eq!(v.lines[1], "per-task: 1 passed, 0 failed, 1 skipped");
        // Too few or too many documents.
        assert!(!judge(DOC, &["per-cpu", "per-task"]).passed);
        assert!(!judge(&two, &["per-cpu"]).passed);
        assert!(!judge("", &["per-cpu"]).passed);
    }

    #[test]
    fn harness_lines_fail() {
        // What `cargo test -- --nocapture` prints: the harness's line joined to the header.
        let mixed = format!("\nrunning 1 test\ntest suites_pass ... {DOC}ok\n");
        let v = judge(&mixed, &["per-cpu"]);
        assert!(!v.passed, "{:?}", v.lines);
        assert!(
            v.lines
                .iter()
                .any(|l| l.contains("no `KTAP version 1` line that starts")),
            "{:?}",
            v.lines
        );
        let bad = DOC.replace("    ok 1 a", "    not ok 1 a");
        let v = judge(&bad, &["per-cpu"]);
        assert!(!v.passed);
        assert!(v.lines.iter().any(|l| l == "per-cpu: not ok: seed/a"));
    }
}
