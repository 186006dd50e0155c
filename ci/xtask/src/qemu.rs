//! Cross-building the seed image and booting it under QEMU with a live, judged serial console.

use crate::cmd::{self, root, secs, Result};
use crate::config::{Arch, Config};
use crate::ktap::{Outcome, Parser};
use crate::oops;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Knobs of `cargo xtask qemu`.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// QEMU `-smp` (the migration cases need at least two cpus).
    pub smp: u32,
    /// Wall-clock limit for one boot; QEMU is killed when it runs out.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smp: 2,
            timeout: Duration::from_secs(120),
        }
    }
}

/// Where the cross builds go: apart from the host's target/debug, since a different rustc
/// (1.96 vs rustup's) would otherwise force rebuilds both ways. `MIGHTFAULT_CROSS_TARGET_DIR`
/// moves it (so that builds of different arches in one checkout do not wait on one lock).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("MIGHTFAULT_CROSS_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join("target/cross"),
    }
}

/// Runs ci/install.sh when something the cross build or boot of `arch` needs is missing.
pub fn ensure_tools(arch: &Arch) -> Result {
    let missing: Vec<&str> = [
        cmd::CROSS_CARGO,
        cmd::CROSS_RUSTC,
        cmd::LINKER,
        arch.qemu.binary,
    ]
    .into_iter()
    .filter(|p| !cmd::have_program(p))
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("missing {}: running ci/install.sh", missing.join(", "));
    cmd::install()
}

/// The test image: every suite.
pub const SEED_IMAGE: &str = "seed-image";
/// The benchmark image (`cargo xtask bench`).
pub const BENCH_IMAGE: &str = "bench-image";

/// Builds the seed image for `arch` in `config` and returns a copy of the ELF that later builds of
/// other configurations will not overwrite.
pub fn build(arch: &Arch, config: &Config) -> Result<PathBuf> {
    build_image(SEED_IMAGE, arch, config)
}

/// Builds image binary `image` ([`SEED_IMAGE`] or [`BENCH_IMAGE`]) for `arch` in `config` and
/// returns a copy of the ELF that later builds of other configurations will not overwrite.
pub fn build_image(image: &str, arch: &Arch, config: &Config) -> Result<PathBuf> {
    let target_dir = target_dir();
    let mut cargo = image_cargo("build", image, arch, config);
    cmd::run(&mut cargo)?;
    let elf = target_dir
        .join(arch.target_dir_name)
        .join("release")
        .join(image);
    if !elf.is_file() {
        return Err(format!("build succeeded but {} is missing", elf.display()));
    }
    let images = target_dir.join("images");
    std::fs::create_dir_all(&images).map_err(|e| format!("{}: {e}", images.display()))?;
    let copy = images.join(format!("{image}-{}-{}", arch.name, config.name));
    std::fs::copy(&elf, &copy)
        .map_err(|e| format!("copy {} -> {}: {e}", elf.display(), copy.display()))?;
    // The image's reports name functions from the table embedded here, after linking.
    let table = crate::kallsyms::embed(&copy)?;
    println!(
        "kallsyms: {} functions, {} of {} bytes",
        table.symbols, table.used, table.capacity
    );
    Ok(copy)
}

/// Debian's cargo running `subcommand` (build, clippy) on image binary `image` for `arch` in
/// `config`: release profile, build-std, the shared cross target dir.
fn image_cargo(subcommand: &str, image: &str, arch: &Arch, config: &Config) -> Command {
    let mut cargo = cmd::cross_cargo();
    cargo
        .args([
            subcommand,
            "--release",
            "-p",
            crate::config::TESTS_PACKAGE,
            "--bin",
            image,
        ])
        .args([
            "--no-default-features",
            "--features",
            &config.package_features(),
        ])
        .args(["--target", &arch.target_arg()])
        .arg("--target-dir")
        .arg(target_dir())
        .args([
            "-Zbuild-std=core,compiler_builtins",
            "-Zbuild-std-features=compiler-builtins-mem",
        ]);
    if arch.is_json() {
        cargo.arg("-Zjson-target-spec");
    }
    cargo
}

/// Runs clippy (Debian's, which matches the cross compiler) on the image for `arch` in
/// `config`, warnings denied: the bare-metal code is only compiled for its target.
pub fn clippy_image(arch: &Arch, config: &Config) -> Result {
    ensure_tools(arch)?;
    let mut cargo = image_cargo("clippy", SEED_IMAGE, arch, config);
    cargo.args(["--bin", BENCH_IMAGE]);
    // Debian's cargo finds `cargo-clippy` on PATH; rustup's must not shadow it.
    let path = std::env::var("PATH").unwrap_or_default();
    cargo.env("PATH", format!("/usr/bin:{path}"));
    cargo.args(["--", "-D", "warnings"]);
    cmd::run(&mut cargo)
}

/// The QEMU command line that boots `kernel`: the flags every arch shares, around the arch's own
/// from config.rs (see shared/TOOLCHAIN.md for why each flag).
pub fn qemu_command(arch: &Arch, kernel: &std::path::Path, smp: u32) -> Command {
    let q = &arch.qemu;
    let mut c = Command::new(q.binary);
    c.args(["-M", q.machine]);
    if let Some(cpu) = q.cpu {
        c.args(["-cpu", cpu]);
    }
    c.args([
        "-smp",
        &smp.to_string(),
        "-m",
        "256M",
        "-display",
        "none",
        "-serial",
        "stdio",
    ]);
    if q.nodefaults {
        c.arg("-nodefaults");
    }
    c.arg("-no-reboot");
    c.args(q.exit.qemu_args());
    c.arg("-kernel").arg(kernel);
    c.stdin(Stdio::null());
    c
}

/// How QEMU ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this status.
    Code(i32),
    /// Killed by a signal (not by us).
    Signal(i32),
    /// Still running at the deadline; we killed it.
    TimedOut,
}

impl Exit {
    /// Human-readable reason, decoding the arch's exit convention (e.g. x86's isa-debug-exit).
    pub fn describe(&self, arch: &Arch) -> String {
        match *self {
            Exit::Code(0) => "exit status 0".into(),
            Exit::Code(c) => arch.qemu.exit.describe(c),
            Exit::Signal(s) => format!("QEMU killed by signal {s}"),
            Exit::TimedOut => "timed out; QEMU was killed".into(),
        }
    }
}

/// What one boot produced.
#[derive(Debug)]
pub struct Boot {
    /// How QEMU ended.
    pub exit: Exit,
    /// The parsed KTAP.
    pub outcome: Outcome,
    /// The console (QEMU's stdout), line by line, for the oops addresses.
    pub console: Vec<String>,
    /// Wall-clock seconds of the boot.
    pub secs: f64,
}

impl Boot {
    /// Pass means QEMU exited 0 and the KTAP was complete with no `not ok`.
    pub fn passed(&self) -> bool {
        self.exit == Exit::Code(0) && self.outcome.passed()
    }
}

/// One line of QEMU output, by the pipe it came from.
enum Chunk {
    Out(String),
    Err(String),
}

/// Reads `pipe` line by line (a last partial line included) into `tx`.
fn pump<R: Read + Send + 'static>(pipe: R, tx: mpsc::Sender<Chunk>, wrap: fn(String) -> Chunk) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    // Serial consoles may carry bytes that are not UTF-8; keep going regardless.
                    let line = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    if tx.send(wrap(line)).is_err() {
                        break;
                    }
                }
            }
        }
    });
}

/// Boots `kernel`, streaming its console to stdout with `prefix`, and judges the result.
pub fn boot(arch: &Arch, kernel: &std::path::Path, opts: Options, prefix: &str) -> Result<Boot> {
    supervise(qemu_command(arch, kernel, opts.smp), opts.timeout, prefix)
}

/// Runs `command` (QEMU, or a stand-in in tests) under `timeout`: its stdout is the console,
/// echoed with `prefix` and parsed as KTAP; its stderr is echoed; it is killed at the deadline.
pub fn supervise(mut command: Command, timeout: Duration, prefix: &str) -> Result<Boot> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = cmd::display(&command);
    println!("{prefix}$ {shown}");
    let start = Instant::now();
    let deadline = start + timeout;
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let (tx, rx) = mpsc::channel();
    pump(child.stdout.take().expect("piped"), tx.clone(), Chunk::Out);
    pump(child.stderr.take().expect("piped"), tx, Chunk::Err);

    let mut parser = Parser::new();
    let mut console = Vec::new();
    let mut out = std::io::stdout();
    let mut show = |chunk: Chunk, parser: &mut Parser| match chunk {
        Chunk::Out(line) => {
            let _ = writeln!(out, "{prefix}{line}");
            parser.feed(&line);
            console.push(line);
        }
        Chunk::Err(line) => {
            let _ = writeln!(out, "{prefix}qemu: {line}");
        }
    };
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => show(chunk, &mut parser),
            // Both pipes closed: QEMU is exiting (or has exited).
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
        }
    }
    // The pipes can close a moment before the process is reaped; keep honouring the deadline.
    let status = loop {
        if timed_out {
            let _ = child.kill();
            break None;
        }
        match child
            .try_wait()
            .map_err(|e| format!("waiting for `{shown}`: {e}"))?
        {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => timed_out = true,
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    // Reap a killed QEMU so no zombie outlives us.
    let _ = child.wait();
    // A killed QEMU's last, unterminated line only arrives now that its pipes are closed; it is
    // often the most telling one. The grace period bounds a pipe held open by anything else.
    let grace = Instant::now() + Duration::from_secs(2);
    while let Ok(chunk) = rx.recv_timeout(grace.saturating_duration_since(Instant::now())) {
        show(chunk, &mut parser);
    }
    let exit = match status {
        None => Exit::TimedOut,
        Some(s) => match s.code() {
            Some(c) => Exit::Code(c),
            None => {
                use std::os::unix::process::ExitStatusExt;
                Exit::Signal(s.signal().unwrap_or(0))
            }
        },
    };
    if exit == Exit::TimedOut {
        println!("{prefix}*** timeout after {} s: killed", timeout.as_secs());
    }
    Ok(Boot {
        exit,
        outcome: parser.finish(),
        console,
        secs: secs(start),
    })
}

/// Why `outcome` breaks what the machine model guarantees (see `Qemu::guarantees`): each
/// guaranteed case that was skipped or never reported. Empty when every one passed; a case
/// that failed is not repeated here, its `not ok` already fails the image.
pub fn unmet_guarantees(arch: &Arch, outcome: &Outcome) -> Vec<String> {
    let has = |list: &[String], case: &str| list.iter().any(|p| p == case);
    arch.qemu
        .guarantees
        .iter()
        .filter_map(|g| {
            if has(&outcome.passes, g.case) || has(&outcome.failures, g.case) {
                None
            } else if has(&outcome.skips, g.case) {
                Some(format!(
                    "{} was skipped, but {}: the image did not detect it",
                    g.case, g.because
                ))
            } else {
                Some(format!(
                    "{} did not run, but {}: the image must run it",
                    g.case, g.because
                ))
            }
        })
        .collect()
}

/// The verdict on one (arch, configuration) pair, for the summary.
#[derive(Debug)]
pub struct ImageReport {
    /// Architecture name.
    pub arch: &'static str,
    /// Configuration name.
    pub config: &'static str,
    /// Whether it passed.
    pub passed: bool,
    /// The KTAP counts, when it booted.
    pub outcome: Option<Outcome>,
    /// Seconds spent building.
    pub build_secs: f64,
    /// Seconds spent booting.
    pub boot_secs: f64,
    /// Why it failed (empty when it passed).
    pub reasons: Vec<String>,
}

/// Builds, boots and judges one image, never failing early: every problem lands in the report.
pub fn run_image(arch: &'static Arch, config: &'static Config, opts: Options) -> ImageReport {
    let prefix = format!("[{}/{}] ", arch.name, config.name);
    let mut report = ImageReport {
        arch: arch.name,
        config: config.name,
        passed: false,
        outcome: None,
        build_secs: 0.0,
        boot_secs: 0.0,
        reasons: Vec::new(),
    };
    if !arch.has_image() {
        // A missing image is a failure, never a skip: CI must not go green without it.
        let why = format!(
            "no image for {}: {} does not exist",
            arch.name,
            arch.marker().display()
        );
        println!("{prefix}FAIL: {why}");
        report.reasons.push(why);
        return report;
    }
    if let Err(e) = ensure_tools(arch) {
        report
            .reasons
            .push(format!("toolchain install failed: {e}"));
        return report;
    }
    println!("{prefix}building");
    let t = Instant::now();
    let elf = build(arch, config);
    report.build_secs = secs(t);
    let elf = match elf {
        Ok(elf) => elf,
        Err(e) => {
            println!("{prefix}FAIL: build: {e}");
            report.reasons.push(format!("build failed: {e}"));
            return report;
        }
    };
    println!(
        "{prefix}booting {} (smp {}, timeout {} s)",
        elf.display(),
        opts.smp,
        opts.timeout.as_secs()
    );
    let boot = match boot(arch, &elf, opts, &prefix) {
        Ok(b) => b,
        Err(e) => {
            report.reasons.push(e);
            return report;
        }
    };
    report.boot_secs = boot.secs;
    if boot.exit != Exit::Code(0) {
        report.reasons.push(boot.exit.describe(arch));
    }
    let o = &boot.outcome;
    if !o.failures.is_empty() {
        report
            .reasons
            .push(format!("not ok: {}", o.failures.join(", ")));
    }
    report
        .reasons
        .extend(o.errors.iter().map(|e| format!("KTAP: {e}")));
    let unmet = unmet_guarantees(arch, o);
    report.passed = boot.passed() && unmet.is_empty();
    report.reasons.extend(unmet);
    println!(
        "{prefix}{}: {} passed, {} failed, {} skipped (boot {:.1} s)",
        if report.passed { "PASS" } else { "FAIL" },
        o.passed,
        o.failed,
        o.skipped,
        boot.secs
    );
    for r in &report.reasons {
        println!("{prefix}  {r}");
    }
    // An oops's code addresses, resolved with the kept image's debug info (release keeps
    // `debug = true`); the summary repeats them under the image's failure reasons.
    let (lines, locations) = oops::report(arch, &elf, boot.console.iter().map(String::as_str));
    for line in &lines {
        println!("{prefix}{line}");
    }
    report
        .reasons
        .extend(locations.iter().map(|l| format!("oops {l}")));
    report.outcome = Some(boot.outcome);
    report
}

/// Prints the arch × configuration summary as a markdown table, then each failure's reasons.
pub fn print_summary(reports: &[ImageReport]) {
    println!();
    println!("| arch | config | result | passed | failed | skipped | build s | boot s |");
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for r in reports {
        let (p, f, s) = match &r.outcome {
            Some(o) => (
                o.passed.to_string(),
                o.failed.to_string(),
                o.skipped.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "| {} | {} | {} | {p} | {f} | {s} | {:.1} | {:.1} |",
            r.arch,
            r.config,
            if r.passed { "PASS" } else { "FAIL" },
            r.build_secs,
            r.boot_secs
        );
    }
    for r in reports.iter().filter(|r| !r.passed) {
        println!("{}/{} failed:", r.arch, r.config);
        for why in &r.reasons {
            println!("  - {why}");
        }
    }
    let passed = reports.iter().filter(|r| r.passed).count();
    // The plain closing line CI reads: images, not cases.
    println!("images: {passed} passed, {} failed", reports.len() - passed);
}

/// `cargo xtask qemu`: every requested (arch, config) pair, then the summary. Fails if any did.
pub fn run(arches: &[&'static Arch], configs: &[&'static Config], opts: Options) -> Result {
    let total = arches.len() * configs.len();
    let mut reports = Vec::with_capacity(total);
    for arch in arches {
        for config in configs {
            println!(
                "=== image {}/{total}: {}/{} ===",
                reports.len() + 1,
                arch.name,
                config.name
            );
            reports.push(run_image(arch, config, opts));
        }
    }
    print_summary(&reports);
    let failed = reports.iter().filter(|r| !r.passed).count();
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} of {total} image(s) failed"))
    }
}

/// The gdb stub `-s` opens (tcp::1234).
pub const GDB_PORT: u16 = 1234;

/// The gdb that attaches to any of the arches (Debian package `gdb-multiarch`).
pub const GDB: &str = "gdb-multiarch";

/// The gdb command line that attaches to QEMU's stub with `elf`'s symbols.
pub fn gdb_command(arch: &Arch, elf: &std::path::Path) -> Command {
    let mut c = Command::new(GDB);
    c.arg("-q")
        .arg("-ex")
        .arg(format!("set architecture {}", arch.gdb_arch))
        .arg("-ex")
        .arg(format!("target remote :{GDB_PORT}"))
        .arg(elf);
    c
}

/// `cargo xtask qemu <arch> --gdb`: builds the image in `config`, keeps it, and starts QEMU with
/// its gdb stub listening on tcp::1234, stopped before the first instruction (`-s -S`), with no
/// timeout; prints the gdb command line that attaches, then waits for QEMU to exit. The console
/// goes straight to the terminal, unjudged.
pub fn debug(arch: &'static Arch, config: &'static Config, smp: u32) -> Result {
    if !arch.has_image() {
        return Err(format!(
            "no image for {}: {} does not exist",
            arch.name,
            arch.marker().display()
        ));
    }
    ensure_tools(arch)?;
    println!("building {}/{}", arch.name, config.name);
    let elf = build(arch, config)?;
    let mut qemu = qemu_command(arch, &elf, smp);
    qemu.args(["-s", "-S"]);
    let shown = cmd::display(&qemu);
    println!("image: {}", elf.display());
    println!("$ {shown}");
    println!(
        "QEMU is stopped before the first instruction, its gdb stub on tcp::{GDB_PORT}; attach with:"
    );
    println!("    {}", cmd::display(&gdb_command(arch, &elf)));
    if !cmd::have_program(GDB) {
        println!("    ({GDB} is not installed: apt-get install {GDB})");
    }
    println!("(no timeout: QEMU runs until the image exits, or gdb's `kill`, or Ctrl-C here)");
    let _ = std::io::stdout().flush();
    let status = qemu
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    let exit = match status.code() {
        Some(c) => Exit::Code(c),
        None => {
            use std::os::unix::process::ExitStatusExt;
            Exit::Signal(status.signal().unwrap_or(0))
        }
    };
    println!("QEMU ended: {}", exit.describe(arch));
    if exit == Exit::Code(0) {
        Ok(())
    } else {
        Err(format!(
            "{}/{}: {}",
            arch.name,
            config.name,
            exit.describe(arch)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::arch;

    const GOOD: &str = "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: seed\n    1..2\n    ok 1 a\n    ok 2 b # SKIP n/a\nok 1 seed\n";

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn clean_exit_with_good_ktap_passes() {
        let b = supervise(
            sh(&format!("printf '{GOOD}'; echo noise >&2")),
            Duration::from_secs(20),
            "[t] ",
        )
        .unwrap();
        assert_eq!(b.exit, Exit::Code(0));
        assert_eq!((b.outcome.passed, b.outcome.skipped), (1, 1));
        assert!(b.passed());
    }

    #[test]
    fn crash_after_good_ktap_fails() {
        let b = supervise(
            sh(&format!("printf '{GOOD}'; exit 3")),
            Duration::from_secs(20),
            "[t] ",
        )
        .unwrap();
        assert_eq!(b.exit, Exit::Code(3));
        assert!(b.outcome.passed());
        assert!(!b.passed());
    }

    #[test]
    fn hang_is_killed_at_the_deadline() {
        let t = Instant::now();
        let script = "printf 'KTAP version 1\\n1..1\\n    KTAP version 1\\n    1..2\\n    ok 1 a'; exec sleep 30";
        let b = supervise(sh(script), Duration::from_secs(1), "[t] ").unwrap();
        assert!(t.elapsed() < Duration::from_secs(10));
        assert_eq!(b.exit, Exit::TimedOut);
        // The partial last line (no newline) still reached the parser.
        assert_eq!(b.outcome.passed, 1);
        assert!(!b.outcome.passed());
        assert!(!b.passed());
    }

    #[test]
    fn stdin_is_null() {
        // `cat` would block on an inherited terminal or pipe; on /dev/null it ends at once.
        let b = supervise(
            sh(&format!("cat; printf '{GOOD}'")),
            Duration::from_secs(20),
            "[t] ",
        )
        .unwrap();
        assert!(b.passed());
    }

    /// A run whose `x86_64` suite reports the SMAP case as `line` (or not at all when empty).
    fn x86_suite(line: &str) -> Outcome {
        let cases = if line.is_empty() {
            "    1..1\n    ok 1 other\n".to_string()
        } else {
            format!("    1..2\n    ok 1 other\n    {line}\n")
        };
        let verdict = if line.starts_with("not ok") {
            "not ok"
        } else {
            "ok"
        };
        crate::ktap::parse(&format!(
            "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: x86_64\n{cases}{verdict} 1 x86_64\n"
        ))
    }

    #[test]
    fn a_guaranteed_case_must_pass_not_skip() {
        let x86 = arch("x86_64").unwrap();
        let passed = x86_suite("ok 2 smap_blocks_plain_user_read");
        assert!(passed.passed());
        assert!(unmet_guarantees(x86, &passed).is_empty());

        let skipped = x86_suite(
            "ok 2 smap_blocks_plain_user_read # SKIP the cpu has no SMAP (boot with -cpu max)",
        );
        assert!(skipped.passed(), "KTAP alone accepts the skip");
        let why = unmet_guarantees(x86, &skipped);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(
            why[0].starts_with(
                "x86_64/smap_blocks_plain_user_read was skipped, but -cpu max has SMAP"
            ),
            "{why:?}"
        );

        let missing = x86_suite("");
        let why = unmet_guarantees(x86, &missing);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(why[0].contains("did not run"), "{why:?}");

        // A failure is already named by its `not ok`; it is not reported twice.
        let failed = x86_suite("not ok 2 smap_blocks_plain_user_read");
        assert!(!failed.passed());
        assert!(unmet_guarantees(x86, &failed).is_empty());

        // The other arches' default cpu models guarantee nothing.
        for name in ["s390x", "powerpc64"] {
            assert!(unmet_guarantees(arch(name).unwrap(), &skipped).is_empty());
        }
    }

    #[test]
    fn exit_descriptions() {
        let x86 = arch("x86_64").unwrap();
        let s390 = arch("s390x").unwrap();
        assert!(Exit::Code(7)
            .describe(x86)
            .contains("isa-debug-exit code 0x3"));
        assert!(Exit::Code(1).describe(x86).contains("QEMU error"));
        assert!(Exit::Code(1).describe(s390).contains("failure exit"));
        assert_eq!(Exit::Code(0).describe(s390), "exit status 0");
    }

    #[test]
    fn gdb_command_lines() {
        let k = std::path::Path::new("/img/seed-image-x86_64-debug");
        assert_eq!(
            cmd::display(&gdb_command(arch("x86_64").unwrap(), k)),
            "gdb-multiarch -q -ex 'set architecture i386:x86-64' -ex 'target remote :1234' \
             /img/seed-image-x86_64-debug"
        );
        let ppc = cmd::display(&gdb_command(arch("powerpc64").unwrap(), k));
        assert!(ppc.contains("'set architecture powerpc:common64'"), "{ppc}");
        let s390 = cmd::display(&gdb_command(arch("s390x").unwrap(), k));
        assert!(s390.contains("'set architecture s390:64-bit'"), "{s390}");
    }

    #[test]
    fn console_is_kept_for_the_oops_addresses() {
        let b = supervise(
            sh("printf 'RIP: 0xffffffff8010abcd CS: 0x8\\n'; printf 'x\\r\\n' >&2"),
            Duration::from_secs(20),
            "[t] ",
        )
        .unwrap();
        assert_eq!(b.console, ["RIP: 0xffffffff8010abcd CS: 0x8"]);
        let x86 = arch("x86_64").unwrap();
        assert_eq!(
            oops::addresses(x86, b.console.iter().map(String::as_str)),
            [0xffffffff8010abcd]
        );
    }

    #[test]
    fn qemu_command_lines() {
        let k = std::path::Path::new("/k");
        let ppc = cmd::display(&qemu_command(arch("powerpc64").unwrap(), k, 3));
        assert!(
            ppc.starts_with("qemu-system-ppc64 -M pseries,x-vof=on,"),
            "{ppc}"
        );
        assert!(
            ppc.contains("-smp 3 -m 256M -display none -serial stdio -nodefaults -no-reboot"),
            "{ppc}"
        );
        assert!(
            ppc.ends_with("-action panic=exit-failure -kernel /k"),
            "{ppc}"
        );
        assert_eq!(
            ppc,
            "qemu-system-ppc64 -M pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,\
             cap-ccf-assist=off -smp 3 -m 256M -display none -serial stdio -nodefaults -no-reboot \
             -action panic=exit-failure -kernel /k"
        );
        let x86 = cmd::display(&qemu_command(arch("x86_64").unwrap(), k, 2));
        assert_eq!(
            x86,
            "qemu-system-x86_64 -M q35 -cpu max -smp 2 -m 256M -display none -serial stdio -no-reboot \
             -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel /k"
        );
        let s390 = cmd::display(&qemu_command(arch("s390x").unwrap(), k, 2));
        assert_eq!(
            s390,
            "qemu-system-s390x -M s390-ccw-virtio -smp 2 -m 256M -display none -serial stdio -no-reboot \
             -action panic=exit-failure -kernel /k"
        );
    }
}
