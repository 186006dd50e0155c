//! `cargo xtask bench`: boots the benchmark image (`tests/src/bin/bench-image.rs`) of each arch
//! and prints its figures as tables. Figures, not tests: nothing is asserted beyond the image
//! booting, measuring and exiting cleanly.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cmd::Result;
use crate::config::{Arch, Config};
use crate::qemu::{self, Exit, Options};

/// How long one benchmark boot may take under a loaded TCG host.
const TIMEOUT: Duration = Duration::from_secs(300);

/// One `# bench copy=...` line: a user copy and its kernel counterpart, picoseconds per call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyFigure {
    pub op: String,
    pub size: u64,
    pub min_ps: u64,
    pub median_ps: u64,
    pub base: String,
    pub base_min_ps: u64,
    pub base_median_ps: u64,
}

/// One `# bench call=...` line: picoseconds per call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFigure {
    pub name: String,
    pub min_ps: u64,
    pub median_ps: u64,
}

/// Everything one boot printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub config: String,
    pub copies: Vec<CopyFigure>,
    pub calls: Vec<CallFigure>,
}

/// The `key=value` fields of a `# bench ` line, or `None` for any other line.
fn fields(line: &str) -> Option<BTreeMap<&str, &str>> {
    let rest = line.trim().strip_prefix("# bench ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .collect(),
    )
}

/// Parses the benchmark lines of a console; other lines are ignored.
pub fn parse(console: &[String]) -> std::result::Result<Figures, String> {
    let mut figures = Figures::default();
    for line in console {
        let Some(f) = fields(line) else { continue };
        let num = |key: &str| -> std::result::Result<u64, String> {
            f.get(key)
                .ok_or_else(|| format!("`{key}` missing in `{line}`"))?
                .parse::<u64>()
                .map_err(|e| format!("`{key}` in `{line}`: {e}"))
        };
        let text = |key: &str| -> std::result::Result<String, String> {
            f.get(key)
                .map(|v| v.to_string())
                .ok_or_else(|| format!("`{key}` missing in `{line}`"))
        };
        if f.contains_key("copy") {
            figures.copies.push(CopyFigure {
                op: text("copy")?,
                size: num("size")?,
                min_ps: num("min_ps")?,
                median_ps: num("median_ps")?,
                base: text("base")?,
                base_min_ps: num("base_min_ps")?,
                base_median_ps: num("base_median_ps")?,
            });
        } else if f.contains_key("call") {
            figures.calls.push(CallFigure {
                name: text("call")?,
                min_ps: num("min_ps")?,
                median_ps: num("median_ps")?,
            });
        } else if let Some(config) = f.get("config") {
            figures.config = config.to_string();
        }
    }
    if figures.copies.is_empty() || figures.calls.is_empty() {
        return Err("the image printed no benchmark figures".into());
    }
    Ok(figures)
}

/// Picoseconds as nanoseconds with one decimal.
fn ns(ps: u64) -> String {
    format!("{}.{}", ps / 1000, (ps % 1000) / 100)
}

/// `a / b` with two decimals ("-" when b is 0).
fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

/// The copy figures as a Markdown table: one row per size, for each user copy its median
/// (min) in ns, its kernel counterpart's, and the ratio of the medians.
pub fn copy_table(figures: &Figures) -> String {
    let mut ops: Vec<(&str, &str)> = Vec::new();
    for c in &figures.copies {
        if !ops.iter().any(|(op, _)| *op == c.op) {
            ops.push((&c.op, &c.base));
        }
    }
    let mut sizes: Vec<u64> = figures.copies.iter().map(|c| c.size).collect();
    sizes.dedup();
    let mut out = String::from("| size |");
    for (op, base) in &ops {
        out += &format!(" {op} ns | {base} ns | ratio |");
    }
    out += "\n|---:|";
    out += &"---:|---:|---:|".repeat(ops.len());
    out += "\n";
    for size in sizes {
        out += &format!("| {size} B |");
        for (op, _) in &ops {
            match figures
                .copies
                .iter()
                .find(|c| c.size == size && c.op == *op)
            {
                Some(c) => {
                    out += &format!(
                        " {} ({}) | {} ({}) | {} |",
                        ns(c.median_ps),
                        ns(c.min_ps),
                        ns(c.base_median_ps),
                        ns(c.base_min_ps),
                        ratio(c.median_ps, c.base_median_ps)
                    )
                }
                None => out += " - | - | - |",
            }
        }
        out += "\n";
    }
    out
}

/// The per-call figures as one Markdown row per call.
pub fn call_table(figures: &Figures) -> String {
    let mut out = String::from("| call | median ns | min ns |\n|---|---:|---:|\n");
    for c in &figures.calls {
        out += &format!("| {} | {} | {} |\n", c.name, ns(c.median_ps), ns(c.min_ps));
    }
    out
}

/// Builds and boots the benchmark image of each arch in `config`, printing its tables.
pub fn run(arches: &[&'static Arch], config: &'static Config, smp: u32) -> Result {
    let mut tables = Vec::new();
    for arch in arches {
        qemu::ensure_tools(arch)?;
        let image = qemu::build_image(qemu::BENCH_IMAGE, arch, config)?;
        let prefix = format!("[bench {}/{}] ", arch.name, config.name);
        let boot = qemu::boot(
            arch,
            &image,
            Options {
                smp,
                timeout: TIMEOUT,
            },
            &prefix,
        )?;
        if boot.exit != Exit::Code(0) {
            return Err(format!(
                "{} benchmark image: {}",
                arch.name,
                boot.exit.describe(arch)
            ));
        }
        let figures = parse(&boot.console).map_err(|e| format!("{}: {e}", arch.name))?;
        tables.push((arch.name, figures, boot.secs));
    }
    for (arch, figures, secs) in &tables {
        println!(
            "\n### {arch} ({}, -smp {smp}, TCG; medians, minimum in parentheses; {secs:.0} s)\n",
            figures.config
        );
        println!("{}", copy_table(figures));
        println!("{}", call_table(figures));
    }
    println!(
        "Figures from QEMU TCG on this host: they compare code paths within one run, not \
         hardware."
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn parses_and_tabulates() {
        let figures = parse(&console(&[
            "x86_64: boot",
            "# bench config=production cpus=2 repetitions=11",
            "# bench copy=copy_to_user size=64 min_ps=20000 median_ps=25500 base=copy_nonoverlapping base_min_ps=10000 base_median_ps=10200",
            "# bench copy=copy_to_user size=4096 min_ps=900000 median_ps=1000000 base=copy_nonoverlapping base_min_ps=800000 base_median_ps=800000",
            "# bench call=get_user_u64 min_ps=3000 median_ps=3500",
        ]))
        .expect("parses");
        assert_eq!(figures.config, "production");
        assert_eq!(figures.copies.len(), 2);
        assert_eq!(figures.calls[0].median_ps, 3500);
        let table = copy_table(&figures);
        assert!(
            table.contains("| 64 B | 25.5 (20.0) | 10.2 (10.0) | 2.50 |"),
            "{table}"
        );
        assert!(
            table.contains("| 4096 B | 1000.0 (900.0) | 800.0 (800.0) | 1.25 |"),
            "{table}"
        );
        assert!(call_table(&figures).contains("| get_user_u64 | 3.5 | 3.0 |"));
    }

    #[test]
    fn a_console_without_figures_is_an_error() {
        assert!(parse(&console(&["KTAP version 1", "# bench copy=x size=oops"])).is_err());
        assert!(parse(&console(&["nothing here"])).is_err());
    }
}
