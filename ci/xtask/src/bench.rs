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

/// The median of `values` (0 when empty).
fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// One figure of a comparison: its name and how to find its median in a boot's figures.
struct Compared {
    name: &'static str,
    pick: fn(&Figures) -> Option<u64>,
}

const COMPARED: [Compared; 4] = [
    Compared {
        name: "might_fault",
        pick: |f| {
            f.calls
                .iter()
                .find(|c| c.name == "might_fault")
                .map(|c| c.median_ps)
        },
    },
    Compared {
        name: "get_user::<u64>",
        pick: |f| {
            f.calls
                .iter()
                .find(|c| c.name == "get_user_u64")
                .map(|c| c.median_ps)
        },
    },
    Compared {
        name: "copy_to_user 64 B",
        pick: |f| {
            f.copies
                .iter()
                .find(|c| c.op == "copy_to_user" && c.size == 64)
                .map(|c| c.median_ps)
        },
    },
    Compared {
        name: "empty loop",
        pick: |f| {
            f.calls
                .iter()
                .find(|c| c.name == "empty_loop")
                .map(|c| c.median_ps)
        },
    },
];

/// The comparison table: for each figure, the median over the boots of each configuration's
/// per-boot median, the difference per call and the ratio.
pub fn comparison_table(base: &str, other: &str, boots: &[(Figures, Figures)]) -> String {
    let mut out = format!(
        "| figure | {base} ns | {other} ns | {other} - {base} ns | {other} / {base} |\n|---|---:|---:|---:|---:|\n"
    );
    for figure in &COMPARED {
        let mut a: Vec<u64> = boots.iter().filter_map(|(b, _)| (figure.pick)(b)).collect();
        let mut b: Vec<u64> = boots.iter().filter_map(|(_, o)| (figure.pick)(o)).collect();
        let (a, b) = (median(&mut a), median(&mut b));
        let diff = b as i64 - a as i64;
        let sign = if diff < 0 { "-" } else { "+" };
        let diff = diff.unsigned_abs();
        // Below a nanosecond the base is a loop that compiled away: no ratio to speak of.
        let ratio = if a < 1000 {
            "-".to_string()
        } else {
            ratio(b, a)
        };
        out += &format!(
            "| {} | {} | {} | {sign}{} | {ratio} |\n",
            figure.name,
            ns(a),
            ns(b),
            ns(diff),
        );
    }
    out
}

/// Boots the benchmark images of `base` and `other` alternately, `boots` times each, on each
/// arch, and prints the comparison (`cargo xtask bench --compare`).
pub fn compare(
    arches: &[&'static Arch],
    base: &'static Config,
    other: &'static Config,
    boots: u32,
    smp: u32,
) -> Result {
    let mut tables = Vec::new();
    for arch in arches {
        qemu::ensure_tools(arch)?;
        let images = [
            qemu::build_image(qemu::BENCH_IMAGE, arch, base)?,
            qemu::build_image(qemu::BENCH_IMAGE, arch, other)?,
        ];
        let mut pairs = Vec::new();
        for boot in 0..boots {
            let mut pair = Vec::new();
            for (config, image) in [base, other].iter().zip(&images) {
                let prefix = format!("[bench {}/{} #{}] ", arch.name, config.name, boot + 1);
                let run = qemu::boot(
                    arch,
                    image,
                    Options {
                        smp,
                        timeout: TIMEOUT,
                    },
                    &prefix,
                )?;
                if run.exit != Exit::Code(0) {
                    return Err(format!(
                        "{} {} benchmark image: {}",
                        arch.name,
                        config.name,
                        run.exit.describe(arch)
                    ));
                }
                pair.push(parse(&run.console).map_err(|e| format!("{}: {e}", arch.name))?);
            }
            let other_figures = pair.pop().expect("two boots");
            pairs.push((pair.pop().expect("two boots"), other_figures));
        }
        tables.push((arch.name, comparison_table(base.name, other.name, &pairs)));
    }
    for (arch, table) in &tables {
        println!(
            "\n### {arch}: {} vs {} (-smp {smp}, TCG; {boots} boots of each, alternated; median of \
             the per-boot medians)\n",
            other.name, base.name
        );
        println!("{table}");
    }
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
    fn comparison_takes_medians_across_boots() {
        let boot = |might_fault: u64, get_user: u64| Figures {
            config: String::new(),
            copies: vec![CopyFigure {
                op: "copy_to_user".into(),
                size: 64,
                min_ps: 0,
                median_ps: get_user * 10,
                base: "copy_nonoverlapping".into(),
                base_min_ps: 0,
                base_median_ps: 0,
            }],
            calls: vec![
                CallFigure {
                    name: "might_fault".into(),
                    min_ps: 0,
                    median_ps: might_fault,
                },
                CallFigure {
                    name: "get_user_u64".into(),
                    min_ps: 0,
                    median_ps: get_user,
                },
            ],
        };
        let boots = [
            (boot(0, 10_000), boot(1_000, 10_500)),
            (boot(0, 12_000), boot(1_500, 12_000)),
            (boot(0, 11_000), boot(900, 99_000)),
        ];
        let table = comparison_table("production", "debug", &boots);
        assert!(
            table.contains("| might_fault | 0.0 | 1.0 | +1.0 | - |"),
            "{table}"
        );
        assert!(
            table.contains("| get_user::<u64> | 11.0 | 12.0 | +1.0 | 1.09 |"),
            "{table}"
        );
        assert!(
            table.contains("| copy_to_user 64 B | 110.0 | 120.0 | +10.0 | 1.09 |"),
            "{table}"
        );
    }

    #[test]
    fn a_console_without_figures_is_an_error() {
        assert!(parse(&console(&["KTAP version 1", "# bench copy=x size=oops"])).is_err());
        assert!(parse(&console(&["nothing here"])).is_err());
    }
}
