//! `cargo xtask`: mightfault's CI driver (see `cargo xtask help`).
//!
//! std only, so it builds on a fresh machine before anything is fetched; it is never part of the
//! cross builds (those name `-p mightfault-tests`).
#![forbid(unsafe_code)]

mod asm;
mod bench;
mod cmd;
mod config;
mod host_ktap;
mod kallsyms;
mod ktap;
mod library;
mod oops;
mod qemu;

use cmd::{host_cargo, secs, Result};
use config::{Arch, Config, ARCHES, CONFIGS};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// `cargo xtask help`.
const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  install                 install the cross toolchain, QEMU and tools (ci/install.sh)
  qemu <ARCH|all> [--config debug|production|legacy|all] [--smp N] [--timeout SECS]
                          build the seed image, boot it under QEMU and judge its KTAP output
                          (ARCH: x86_64, s390x, powerpc64; `all` = every arch that has an image;
                          defaults: --config all, --smp 2, --timeout 120); a case the QEMU
                          cpu guarantees (x86_64: SMAP under -cpu max) must pass, not skip; the
                          code addresses of an oops are printed as function and file:line
                          (llvm-addr2line-22)
  qemu <ARCH> --gdb [--config debug|production|legacy] [--smp N]
                          build one image (default --config debug), print the gdb-multiarch
                          command that attaches, and start QEMU with its gdb stub on tcp::1234,
                          stopped before the first instruction (-s -S), with no timeout
  asm-audit [ARCH] [--verbose]
                          instruction counts of the image's audit_* probes, production vs debug
                          (ARCH defaults to x86_64)
  bench [ARCH|all] [--config debug|production|legacy] [--smp N]
                          build the benchmark image, boot it and print its figures: the user
                          copies against copy_nonoverlapping/write_bytes at 64 B..64 KiB, and
                          get_user::<u64> and might_fault per call (defaults: all, production,
                          --smp 2); figures only, nothing is asserted
  bench [ARCH|all] --compare BASE,OTHER [--boots N] [--smp N]
                          boot the two configurations' benchmark images alternately, N times
                          each (default 5), and print OTHER against BASE: might_fault,
                          get_user::<u64> and copy_to_user of 64 B (medians of the per-boot
                          medians, the difference per call and the ratio)
  kallsyms <ELF>...       fill each image's symbol-table area (mightfault_core::kallsyms_area!) with
                          its functions, in place (llvm-nm-22), so its reports name them; every
                          image xtask builds gets this after linking (see PORTING.md)
  ktap <FILE|-> [--image ELF]
                          judge a saved serial log (or stdin) as `qemu` would, minus the exit
                          status; with --image (e.g. target/cross/images/seed-image-x86_64-debug),
                          also hold the log to that arch's guaranteed cases and resolve its oops
                          addresses in that image
  host-ktap [--config NAME] [--out FILE] [--cpus N] [--seed S] [--placement per-cpu|per-task|both]
                          run the host suites (tests/examples/host-ktap.rs) in a host
                          configuration (debug, production, legacy, full, preempt) and write
                          only the machine's console, one KTAP document per run, to FILE or
                          stdout (Linux's kunit.py parse reads one document per file), then
                          judge it as `ktap` does (defaults: debug, 2 cpus, seed 1, per-cpu)
  test                    everything: fmt, clippy and tests in every host configuration, the
                          second consumer (tests/minikernel), cargo doc (host and targets),
                          cargo package of the library, image clippy, then
                          `qemu all --config all` at -smp 2 and 4, and `bench all`
  help                    this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Usage(msg)) => {
            eprintln!("xtask: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Error::Failed(msg)) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command did not succeed: bad arguments, or a failed run.
#[derive(Debug, PartialEq, Eq)]
enum Error {
    Usage(String),
    Failed(String),
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Failed(s)
    }
}

/// Runs the command named by the first argument.
fn dispatch(args: &[String]) -> std::result::Result<(), Error> {
    let Some((command, rest)) = args.split_first() else {
        return Err(Error::Usage("no command given".into()));
    };
    match command.as_str() {
        "install" => {
            no_more(rest)?;
            Ok(cmd::install()?)
        }
        "qemu" => {
            let q = parse_qemu(rest)?;
            if q.gdb {
                Ok(qemu::debug(q.arches[0], q.configs[0], q.opts.smp)?)
            } else {
                Ok(qemu::run(&q.arches, &q.configs, q.opts)?)
            }
        }
        "asm-audit" => {
            let (arch, verbose) = parse_asm(rest)?;
            Ok(asm::run(arch, verbose)?)
        }
        "bench" => {
            let b = parse_bench(rest)?;
            match b.compare {
                Some((base, other)) => Ok(bench::compare(&b.arches, base, other, b.boots, b.smp)?),
                None => Ok(bench::run(&b.arches, b.config, b.smp)?),
            }
        }
        "ktap" => {
            let (file, image) = parse_ktap(rest)?;
            Ok(judge_log(file, image)?)
        }
        "kallsyms" => Ok(kallsyms::command(rest)?),
        "host-ktap" => Ok(host_ktap::run(
            &host_ktap::parse_args(rest).map_err(Error::Usage)?,
        )?),
        "test" => {
            no_more(rest)?;
            Ok(test_all()?)
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Error::Usage(format!("unknown command `{other}`"))),
    }
}

/// Rejects arguments left over after a command took its own.
fn no_more(rest: &[String]) -> std::result::Result<(), Error> {
    match rest.first() {
        None => Ok(()),
        Some(a) => Err(Error::Usage(format!("unexpected argument `{a}`"))),
    }
}

/// Parses `ktap` arguments: the log (`-` for stdin) and an optional `--image ELF`.
fn parse_ktap(args: &[String]) -> std::result::Result<(&str, Option<&str>), Error> {
    let mut file = None;
    let mut image = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--image" => {
                image = Some(
                    it.next()
                        .map(String::as_str)
                        .ok_or_else(|| Error::Usage("--image needs a value".into()))?,
                )
            }
            flag if flag.starts_with('-') && flag != "-" => {
                return Err(Error::Usage(format!("unknown option `{flag}`")))
            }
            f if file.is_none() => file = Some(f),
            extra => return Err(Error::Usage(format!("unexpected argument `{extra}`"))),
        }
    }
    let file = file.ok_or_else(|| Error::Usage("ktap needs a FILE or `-`".into()))?;
    Ok((file, image))
}

/// `cargo xtask ktap FILE [--image ELF]`: the KTAP verdict on a saved log, for checking output by
/// hand; with an image (its arch read from the ELF header), the log's oops addresses resolved.
fn judge_log(file: &str, image: Option<&str>) -> Result {
    let arch = image
        .map(|i| oops::elf_arch(std::path::Path::new(i)))
        .transpose()?;
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("stdin: {e}"))?
    } else {
        let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let o = ktap::parse(&text);
    println!(
        "{} passed, {} failed, {} skipped",
        o.passed, o.failed, o.skipped
    );
    for f in &o.failures {
        println!("not ok: {f}");
    }
    for e in &o.errors {
        println!("KTAP: {e}");
    }
    // The machine's guarantees hold only for a log of a boot under xtask's QEMU command line,
    // which is what an image named here is taken to be.
    let unmet = arch.map_or(Vec::new(), |arch| qemu::unmet_guarantees(arch, &o));
    for why in &unmet {
        println!("{why}");
    }
    if let (Some(arch), Some(image)) = (arch, image) {
        let (lines, _) = oops::report(arch, std::path::Path::new(image), text.lines());
        for line in &lines {
            println!("{line}");
        }
    }
    if o.passed() && unmet.is_empty() {
        Ok(())
    } else {
        Err("the log does not pass".into())
    }
}

/// Parsed `qemu` arguments.
#[derive(Debug)]
struct QemuArgs {
    arches: Vec<&'static Arch>,
    configs: Vec<&'static Config>,
    opts: qemu::Options,
    /// `--gdb`: one image, started under QEMU's gdb stub (one arch, one configuration).
    gdb: bool,
}

/// Parses `qemu` arguments; `all` expands to the arches that have an image.
fn parse_qemu(args: &[String]) -> std::result::Result<QemuArgs, Error> {
    let mut arch_arg: Option<&str> = None;
    let mut config_arg: Option<&str> = None;
    let mut opts = qemu::Options::default();
    let mut gdb = false;
    let mut timeout_given = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| Error::Usage(format!("{flag} needs a value")))
        };
        match a.as_str() {
            "--config" => config_arg = Some(value("--config")?),
            "--gdb" => gdb = true,
            "--smp" => {
                let v = value("--smp")?;
                opts.smp = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| Error::Usage(format!("bad --smp `{v}`")))?;
            }
            "--timeout" => {
                let v = value("--timeout")?;
                let s: u64 = v
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| Error::Usage(format!("bad --timeout `{v}`")))?;
                opts.timeout = Duration::from_secs(s);
                timeout_given = true;
            }
            flag if flag.starts_with('-') => {
                return Err(Error::Usage(format!("unknown option `{flag}`")))
            }
            positional if arch_arg.is_none() => arch_arg = Some(positional),
            extra => return Err(Error::Usage(format!("unexpected argument `{extra}`"))),
        }
    }
    let arch_arg = arch_arg.ok_or_else(|| Error::Usage("qemu needs an ARCH or `all`".into()))?;
    if gdb {
        // One image, debugged: one arch, one configuration, and no deadline.
        if arch_arg == "all" {
            return Err(Error::Usage("--gdb needs one ARCH, not `all`".into()));
        }
        if config_arg == Some("all") {
            return Err(Error::Usage(
                "--gdb needs one configuration, not `all`".into(),
            ));
        }
        if timeout_given {
            return Err(Error::Usage("--gdb runs without a timeout".into()));
        }
    }
    let config_arg = config_arg.unwrap_or(if gdb { "debug" } else { "all" });
    let arches: Vec<&'static Arch> = if arch_arg == "all" {
        // `all` is every arch that has an image; an arch named explicitly without one still fails.
        let with_image: Vec<_> = ARCHES.iter().filter(|a| a.has_image()).collect();
        if with_image.is_empty() {
            return Err(Error::Failed(
                "no arch has an image yet (no tests/kernel/src/<arch>/mod.rs)".into(),
            ));
        }
        let without: Vec<_> = ARCHES
            .iter()
            .filter(|a| !a.has_image())
            .map(|a| a.name)
            .collect();
        if !without.is_empty() {
            println!(
                "note: no image yet for {} (not part of `all`)",
                without.join(", ")
            );
        }
        with_image
    } else {
        vec![config::arch(arch_arg)
            .ok_or_else(|| Error::Usage(format!("unknown arch `{arch_arg}`")))?]
    };
    let configs: Vec<&'static Config> = if config_arg == "all" {
        CONFIGS.iter().filter(|c| c.image).collect()
    } else {
        match config::config(config_arg) {
            Some(c) if c.image => vec![c],
            _ => {
                return Err(Error::Usage(format!(
                    "unknown image configuration `{config_arg}`"
                )))
            }
        }
    };
    Ok(QemuArgs {
        arches,
        configs,
        opts,
        gdb,
    })
}

/// What `bench` was asked for.
struct BenchArgs {
    arches: Vec<&'static Arch>,
    config: &'static Config,
    /// `--compare BASE,OTHER`: boot both, alternated, `boots` times each.
    compare: Option<(&'static Config, &'static Config)>,
    boots: u32,
    smp: u32,
}

/// An image configuration by name, or a usage error.
fn image_config(name: &str) -> std::result::Result<&'static Config, Error> {
    config::config(name)
        .filter(|c| c.image)
        .ok_or_else(|| Error::Usage(format!("unknown image config `{name}`")))
}

/// A count of at least 1 given to `flag`, or a usage error.
fn count_arg(flag: &str, text: &str) -> std::result::Result<u32, Error> {
    text.parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| Error::Usage(format!("bad {flag} `{text}`")))
}

/// Parses `bench` arguments: an arch or `all` (default), `--config` (default production) or
/// `--compare BASE,OTHER` with `--boots N` (default 5), and `--smp` (default 2).
fn parse_bench(args: &[String]) -> std::result::Result<BenchArgs, Error> {
    let mut arches: Option<Vec<&'static Arch>> = None;
    let mut b = BenchArgs {
        arches: Vec::new(),
        config: config::config("production").expect("production is a configuration"),
        compare: None,
        boots: 5,
        smp: 2,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let flag = a.as_str();
        if flag.starts_with("--") && ["--config", "--compare", "--boots", "--smp"].contains(&flag) {
            let value = it
                .next()
                .ok_or_else(|| Error::Usage(format!("{flag} needs a value")))?;
            match flag {
                "--config" => b.config = image_config(value)?,
                "--compare" => {
                    let (base, other) = value.split_once(',').ok_or_else(|| {
                        Error::Usage(format!("--compare wants BASE,OTHER, not `{value}`"))
                    })?;
                    b.compare = Some((image_config(base)?, image_config(other)?));
                }
                "--boots" => b.boots = count_arg(flag, value)?,
                _ => b.smp = count_arg(flag, value)?,
            }
            continue;
        }
        match flag {
            f if f.starts_with('-') => return Err(Error::Usage(format!("unknown option `{f}`"))),
            "all" if arches.is_none() => {
                arches = Some(ARCHES.iter().filter(|a| a.has_image()).collect())
            }
            name if arches.is_none() => {
                let arch = config::arch(name)
                    .filter(|a| a.has_image())
                    .ok_or_else(|| Error::Usage(format!("unknown arch `{name}`")))?;
                arches = Some(vec![arch]);
            }
            extra => return Err(Error::Usage(format!("unexpected argument `{extra}`"))),
        }
    }
    b.arches = arches.unwrap_or_else(|| ARCHES.iter().filter(|a| a.has_image()).collect());
    Ok(b)
}

/// Parses `asm-audit` arguments: an optional arch (default x86_64) and `--verbose`.
fn parse_asm(args: &[String]) -> std::result::Result<(&'static Arch, bool), Error> {
    let mut arch = None;
    let mut verbose = false;
    for a in args {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            flag if flag.starts_with('-') => {
                return Err(Error::Usage(format!("unknown option `{flag}`")))
            }
            name if arch.is_none() => {
                arch = Some(
                    config::arch(name)
                        .ok_or_else(|| Error::Usage(format!("unknown arch `{name}`")))?,
                )
            }
            extra => return Err(Error::Usage(format!("unexpected argument `{extra}`"))),
        }
    }
    Ok((arch.unwrap_or(&ARCHES[0]), verbose))
}

/// One step of `cargo xtask test`.
struct Step {
    name: String,
    run: Box<dyn FnOnce() -> Result>,
}

/// A `cargo xtask test` step that runs the host cargo with `args`.
fn cargo_step(name: String, args: Vec<String>) -> Step {
    Step {
        name,
        run: Box::new(move || {
            let mut c = host_cargo();
            c.args(&args);
            cmd::run(&mut c)
        }),
    }
}

/// The steps of `cargo xtask test`, in order.
fn test_steps() -> Vec<Step> {
    let mut steps = vec![cargo_step(
        "cargo fmt --all --check".into(),
        vec!["fmt".into(), "--all".into(), "--check".into()],
    )];
    for c in &CONFIGS {
        let features = c.workspace_features();
        let common = [
            "--workspace",
            "--no-default-features",
            "--features",
            &features,
        ];
        let clippy: Vec<String> = ["clippy", "--all-targets"]
            .iter()
            .chain(&common)
            .chain(&["--", "-D", "warnings"])
            .map(|s| s.to_string())
            .collect();
        steps.push(cargo_step(format!("clippy [{}]", c.name), clippy));
        let test: Vec<String> = std::iter::once(&"test")
            .chain(&common)
            .map(|s| s.to_string())
            .collect();
        steps.push(cargo_step(format!("cargo test [{}]", c.name), test));
        // The same suites' KTAP alone, as Linux's parser takes it.
        steps.push(Step {
            name: format!("host-ktap [{}]", c.name),
            run: Box::new(move || {
                let mut o = host_ktap::Options::new(c);
                o.out = Some(host_ktap::test_output(c));
                host_ktap::run(&o)
            }),
        });
    }
    // The second consumer, as an outside kernel builds it.
    for config in library::MINIKERNEL_CONFIGS {
        steps.push(Step {
            name: format!("minikernel [{config}]"),
            run: Box::new(move || library::minikernel(config)),
        });
    }
    // The library as a registry and a reader see it.
    steps.push(Step {
        name: "cargo doc [host]".into(),
        run: Box::new(library::doc_host),
    });
    for arch in ARCHES.iter().filter(|a| a.has_image()) {
        steps.push(Step {
            name: format!("cargo doc [{}]", arch.name),
            run: Box::new(move || library::doc_target(arch)),
        });
    }
    steps.push(Step {
        name: "cargo package".into(),
        run: Box::new(library::package),
    });
    // The bare-metal code compiles only for its target: lint it there, in every image config.
    for arch in ARCHES.iter().filter(|a| a.has_image()) {
        for config in CONFIGS.iter().filter(|c| c.image) {
            steps.push(Step {
                name: format!("clippy image [{}/{}]", arch.name, config.name),
                run: Box::new(move || qemu::clippy_image(arch, config)),
            });
        }
    }
    // Every image boots with two cpus and again with four (more cpus, other interleavings).
    for smp in ["2", "4"] {
        steps.push(Step {
            name: format!("cargo xtask qemu all --config all --smp {smp}"),
            run: Box::new(move || {
                let args = ["all".to_string(), "--smp".into(), smp.into()];
                let q = parse_qemu(&args).map_err(|e| match e {
                    Error::Usage(m) | Error::Failed(m) => m,
                })?;
                qemu::run(&q.arches, &q.configs, q.opts)
            }),
        });
    }
    // The benchmark figures (printed, not asserted).
    steps.push(Step {
        name: "cargo xtask bench all".into(),
        run: Box::new(|| {
            let b = parse_bench(&[]).map_err(|e| match e {
                Error::Usage(m) | Error::Failed(m) => m,
            })?;
            bench::run(&b.arches, b.config, b.smp)
        }),
    });
    steps
}

/// `cargo xtask test`: every step in order, stopping at the first failure, then a summary.
fn test_all() -> Result {
    let steps = test_steps();
    let n = steps.len();
    let mut done: Vec<(String, f64, bool)> = Vec::new();
    let mut failure = None;
    let mut names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    for (i, step) in steps.into_iter().enumerate() {
        println!("\n==> [{}/{n}] {}", i + 1, step.name);
        let t = Instant::now();
        let r = (step.run)();
        done.push((step.name, secs(t), r.is_ok()));
        if let Err(e) = r {
            failure = Some(e);
            break;
        }
    }
    println!("\n| step | result | seconds |\n|---|---|---:|");
    for (name, s, ok) in &done {
        println!(
            "| {name} | {} | {s:.1} |",
            if *ok { "ok" } else { "FAILED" }
        );
    }
    for name in names.drain(done.len()..) {
        println!("| {name} | not run | - |");
    }
    let total: f64 = done.iter().map(|d| d.1).sum();
    println!("total: {total:.1} s");
    match failure {
        None => Ok(()),
        Some(e) => Err(format!(
            "step `{}` failed: {e}",
            done.last().map(|d| d.0.as_str()).unwrap_or("?")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn qemu_args() {
        let q = parse_qemu(&args("s390x --config debug --smp 4 --timeout 30")).unwrap();
        assert_eq!(
            q.arches.iter().map(|a| a.name).collect::<Vec<_>>(),
            ["s390x"]
        );
        assert_eq!(
            q.configs.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["debug"]
        );
        assert_eq!(q.opts.smp, 4);
        assert_eq!(q.opts.timeout, Duration::from_secs(30));
        let q = parse_qemu(&args("x86_64")).unwrap();
        assert_eq!(
            q.configs.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["debug", "production", "legacy"]
        );
        assert_eq!(q.opts.smp, 2);
        assert_eq!(q.opts.timeout, Duration::from_secs(120));
        assert!(!q.gdb);
    }

    #[test]
    fn qemu_gdb_args() {
        let q = parse_qemu(&args("x86_64 --gdb")).unwrap();
        assert!(q.gdb);
        assert_eq!(
            q.configs.iter().map(|c| c.name).collect::<Vec<_>>(),
            ["debug"]
        );
        let q = parse_qemu(&args("powerpc64 --gdb --config legacy --smp 1")).unwrap();
        assert_eq!(
            (q.arches[0].name, q.configs[0].name, q.opts.smp),
            ("powerpc64", "legacy", 1)
        );
        for bad in [
            "all --gdb",
            "x86_64 --gdb --config all",
            "x86_64 --gdb --timeout 5",
            "x86_64 --gdb --config full",
        ] {
            assert!(
                matches!(parse_qemu(&args(bad)), Err(Error::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn ktap_args() {
        assert_eq!(parse_ktap(&args("log")).unwrap(), ("log", None));
        assert_eq!(parse_ktap(&args("-")).unwrap(), ("-", None));
        assert_eq!(
            parse_ktap(&args("log --image img")).unwrap(),
            ("log", Some("img"))
        );
        assert_eq!(
            parse_ktap(&args("--image img -")).unwrap(),
            ("-", Some("img"))
        );
        for bad in ["", "log --image", "log other", "log --frob"] {
            assert!(
                matches!(parse_ktap(&args(bad)), Err(Error::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn qemu_bad_args() {
        for bad in [
            "",
            "mips",
            "x86_64 --config full",
            "x86_64 --smp 0",
            "x86_64 --timeout",
            "x86_64 --frob",
            "x86_64 s390x",
        ] {
            assert!(
                matches!(parse_qemu(&args(bad)), Err(Error::Usage(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn bench_args() {
        let b = parse_bench(&args("")).unwrap();
        assert_eq!(
            b.arches.len(),
            ARCHES.iter().filter(|a| a.has_image()).count()
        );
        assert_eq!(
            (b.config.name, b.smp, b.compare.is_none()),
            ("production", 2, true)
        );
        let b = parse_bench(&args("s390x --config debug --smp 4")).unwrap();
        assert_eq!(
            (b.arches[0].name, b.config.name, b.smp),
            ("s390x", "debug", 4)
        );
        let b = parse_bench(&args("x86_64 --compare production,debug --boots 3")).unwrap();
        let (base, other) = b.compare.unwrap();
        assert_eq!((base.name, other.name, b.boots), ("production", "debug", 3));
        assert!(parse_bench(&args("--compare debug")).is_err());
        assert!(parse_bench(&args("--boots 0")).is_err());
        assert!(parse_bench(&args("s390x x86_64")).is_err());
        assert!(parse_bench(&args("--config full")).is_err());
        assert!(parse_bench(&args("--smp 0")).is_err());
        assert!(parse_bench(&args("--fast")).is_err());
    }

    #[test]
    fn asm_args() {
        assert_eq!(parse_asm(&[]).unwrap().0.name, "x86_64");
        let (a, v) = parse_asm(&args("powerpc64 --verbose")).unwrap();
        assert_eq!((a.name, v), ("powerpc64", true));
        assert!(parse_asm(&args("vax")).is_err());
    }

    #[test]
    fn test_job_order() {
        let names: Vec<String> = test_steps().into_iter().map(|s| s.name).collect();
        assert_eq!(names.first().unwrap(), "cargo fmt --all --check");
        assert_eq!(names.last().unwrap(), "cargo xtask bench all");
        assert_eq!(
            names[names.len() - 2],
            "cargo xtask qemu all --config all --smp 4"
        );
        let images = ARCHES.iter().filter(|a| a.has_image()).count();
        let image_configs = CONFIGS.iter().filter(|c| c.image).count();
        let library = library::MINIKERNEL_CONFIGS.len() + 1 + images + 1;
        assert_eq!(
            names.len(),
            1 + 3 * CONFIGS.len() + library + images * image_configs + 2 + 1
        );
        assert_eq!(names[1], "clippy [debug]");
        assert_eq!(names[2], "cargo test [debug]");
        assert_eq!(names[3], "host-ktap [debug]");
        assert_eq!(names[4], "clippy [production]");
        assert_eq!(names[11], "cargo test [full]");
        assert_eq!(names[12], "host-ktap [full]");
        assert_eq!(names[3 * CONFIGS.len()], "host-ktap [preempt]");
    }

    #[test]
    fn unknown_command_is_usage_error() {
        assert!(matches!(
            dispatch(&args("frobnicate")),
            Err(Error::Usage(_))
        ));
        assert!(matches!(dispatch(&[]), Err(Error::Usage(_))));
        assert!(matches!(
            dispatch(&args("install extra")),
            Err(Error::Usage(_))
        ));
    }
}
