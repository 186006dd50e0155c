//! `cargo xtask asm-audit`: instruction counts of the image's probe functions, per configuration.
//!
//! The probes are `#[no_mangle] #[inline(never)]` wrappers in the image around one primitive each,
//! so their size is what the primitive costs once inlined into a caller. Counting production
//! against debug shows what the debug checks add and that production compiles them away.

use crate::cmd::{self, Result};
use crate::config::{self, Arch, Config};
use std::collections::HashMap;
use std::process::Command;

/// The probe symbols the image exports for the audit.
pub const PROBES: [&str; 9] = [
    "audit_preempt_disable",
    "audit_preempt_enable",
    "audit_pagefault_disable",
    "audit_pagefault_enable",
    "audit_might_fault",
    "audit_get_user_u64",
    "audit_get_user_u64_result",
    "audit_typed_get_user_u64",
    "audit_typed_preempt_off",
];

/// The configurations compared: production first (the one that matters), then a preemptible
/// kernel without debug checks (the preempt-count fast paths), then debug.
const AUDIT_CONFIGS: [&str; 3] = ["production", "preempt", "debug"];

/// A disassembler: LLVM 22's objdump when present (same LLVM as rustc 1.96), else binutils'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disassembler {
    /// Program to run.
    pub program: String,
}

impl Disassembler {
    /// Picks the best available disassembler for `arch`.
    pub fn find(arch: &Arch) -> Result<Self> {
        if cmd::have_program("llvm-objdump-22") {
            return Ok(Disassembler {
                program: "llvm-objdump-22".into(),
            });
        }
        // A plain binutils objdump only knows the host architecture.
        if arch.is_x86() && cmd::have_program("objdump") {
            return Ok(Disassembler {
                program: "objdump".into(),
            });
        }
        Err(format!(
            "no disassembler for {}: run `cargo xtask install` (llvm-22)",
            arch.name
        ))
    }

    /// Runs the disassembler with `args` on `elf` and returns its stdout.
    fn output(&self, args: &[&str], elf: &std::path::Path) -> Result<String> {
        let mut c = Command::new(&self.program);
        c.args(args).arg(elf);
        let shown = cmd::display(&c);
        let out = c
            .output()
            .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
        cmd::check(out.status, &shown)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Function symbols of an `objdump -t` listing: name → (address, size).
pub fn parse_symbols(listing: &str) -> HashMap<String, (u64, u64)> {
    let mut map = HashMap::new();
    for line in listing.lines() {
        // "<addr> <flags> <section>\t<size> [<st_other>|.hidden] <name>": both objdumps put a tab
        // before the size; the flags column has spaces, and what sits between size and name
        // varies (ppc64 ELFv2 prints the local-entry bits, e.g. `0x60`).
        let Some((left, right)) = line.split_once('\t') else {
            continue;
        };
        let left: Vec<&str> = left.split_whitespace().collect();
        let right: Vec<&str> = right.split_whitespace().collect();
        if left.len() < 3 || !left[1..left.len() - 1].contains(&"F") || right.len() < 2 {
            continue;
        }
        let (Ok(addr), Ok(size)) = (
            u64::from_str_radix(left[0], 16),
            u64::from_str_radix(right[0], 16),
        ) else {
            continue;
        };
        map.insert(right[right.len() - 1].to_string(), (addr, size));
    }
    map
}

/// One disassembled instruction: address and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insn {
    /// Its address.
    pub addr: u64,
    /// Mnemonic and operands as the disassembler printed them.
    pub text: String,
}

/// Instruction lines of an `objdump -d --no-show-raw-insn` listing.
pub fn parse_disassembly(listing: &str) -> Vec<Insn> {
    let mut out = Vec::new();
    for line in listing.lines() {
        let trimmed = line.trim_start();
        let Some(colon) = trimmed.find(':') else {
            continue;
        };
        let (addr, rest) = (&trimmed[..colon], trimmed[colon + 1..].trim());
        // Symbol headers ("0000 <name>:") have a space before the colon; zero fill prints "...".
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit()) || rest.is_empty() {
            continue;
        }
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        out.push(Insn {
            addr,
            text: rest.split_whitespace().collect::<Vec<_>>().join(" "),
        });
    }
    out
}

/// x86 prefixes that llvm-objdump prints on a line of their own; they belong to the next
/// instruction and must not be counted twice (`lock` + `incl` is one instruction).
const X86_PREFIXES: [&str; 19] = [
    "lock", "rep", "repe", "repz", "repne", "repnz", "data16", "data32", "addr32", "cs", "ds",
    "es", "fs", "gs", "ss", "notrack", "xacquire", "xrelease", "bnd",
];

/// The instructions of `[addr, addr + size)`, with stand-alone x86 prefixes folded into the
/// instruction they prefix.
pub fn function_body(insns: &[Insn], addr: u64, size: u64, x86: bool) -> Vec<Insn> {
    let mut body: Vec<Insn> = Vec::new();
    let mut pending: Option<Insn> = None;
    for insn in insns
        .iter()
        .filter(|i| i.addr >= addr && i.addr < addr + size)
    {
        if x86 && X86_PREFIXES.contains(&insn.text.as_str()) {
            let p = pending.take();
            pending = Some(match p {
                Some(p) => Insn {
                    addr: p.addr,
                    text: format!("{} {}", p.text, insn.text),
                },
                None => insn.clone(),
            });
            continue;
        }
        match pending.take() {
            Some(p) => body.push(Insn {
                addr: p.addr,
                text: format!("{} {}", p.text, insn.text),
            }),
            None => body.push(insn.clone()),
        }
    }
    body.extend(pending);
    body
}

/// What an instruction does to the flow of control, as far as the success path cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// Falls through to the next instruction (calls included: the callee is not counted).
    Next,
    /// Returns.
    Return,
    /// Returns or falls through (powerpc64's `beqlr`, s390x's `ber %r14`).
    MaybeReturn,
    /// Jumps, always (to `target` when it is an address in the text).
    Jump(Option<u64>),
    /// Jumps or falls through.
    Branch(Option<u64>),
}

/// The last `0x...` operand of a disassembled branch: its target.
fn branch_target(text: &str) -> Option<u64> {
    text.rsplit(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|t| t.strip_prefix("0x"))
        .find_map(|t| u64::from_str_radix(t, 16).ok())
}

/// How `text` (mnemonic and operands, as llvm-objdump prints them) moves control on `arch`.
fn flow(text: &str, x86: bool, s390x: bool) -> Flow {
    let mut words = text.split_whitespace();
    let mnemonic = words.next().unwrap_or("");
    let operands: Vec<&str> = words.collect();
    let target = branch_target(text);
    if x86 {
        return match mnemonic {
            "ret" | "retq" => Flow::Return,
            "jmp" | "jmpq" => Flow::Jump(target),
            m if m.starts_with('j') => Flow::Branch(target),
            _ => Flow::Next,
        };
    }
    if s390x {
        let r14 = operands
            .last()
            .is_some_and(|o| o.trim_end_matches(',') == "%r14");
        return match mnemonic {
            "br" if r14 => Flow::Return,
            "br" => Flow::Jump(None),
            "j" | "jg" | "jgu" => Flow::Jump(target),
            m if m.starts_with('b') && m.ends_with('r') && r14 && m != "bcr" => Flow::MaybeReturn,
            m if m.starts_with('j') || m == "brc" || m == "brcl" => Flow::Branch(target),
            _ => Flow::Next,
        };
    }
    // powerpc64
    match mnemonic {
        "blr" => Flow::Return,
        "b" | "ba" => Flow::Jump(target),
        "bl" | "bla" | "bctrl" => Flow::Next,
        "bctr" => Flow::Jump(None),
        m if m.starts_with('b') && m.ends_with("lr") => Flow::MaybeReturn,
        m if m.starts_with('b') && !m.ends_with("ctr") => Flow::Branch(target),
        _ => Flow::Next,
    }
}

/// Mnemonics of the user access itself: a user-access probe's success path passes one (the
/// access, not the early -EFAULT return of a refused address).
const USER_ACCESS_MNEMONICS: [&str; 4] = ["stac", "mvcos", "mtamr", "mtspr"];

/// Whether `probe` is a user access whose success path must pass the access.
pub fn is_user_access_probe(probe: &str) -> bool {
    probe.contains("get_user")
}

/// Whether `body` opens with an ELFv2 global-entry TOC setup (`addis 2, 12, ..` then
/// `addi 2, 2, ..`).
fn elfv2_global_entry(body: &[Insn]) -> bool {
    matches!(body, [first, second, ..]
        if first.text.starts_with("addis 2, 12,") && second.text.starts_with("addi 2, 2,"))
}

/// The success path of a probe: the fewest instructions executed from its entry to a return
/// of its own (the fast path with no report, no fault, no reschedule), following branches
/// inside the function; a jump out of it (a tail call) is not a return. With `through_access`
/// the path must pass the user access ([`USER_ACCESS_MNEMONICS`]). `None` when no such return
/// is reachable.
pub fn success_path(body: &[Insn], x86: bool, s390x: bool, through_access: bool) -> Option<usize> {
    use std::collections::VecDeque;
    let index: HashMap<u64, usize> = body
        .iter()
        .enumerate()
        .map(|(i, insn)| (insn.addr, i))
        .collect();
    let is_access = |i: usize| {
        let mnemonic = body[i].text.split_whitespace().next().unwrap_or("");
        USER_ACCESS_MNEMONICS.contains(&mnemonic)
    };
    // State: (instruction, whether the access was passed); steps to reach it.
    let mut steps = vec![[usize::MAX; 2]; body.len()];
    let mut queue = VecDeque::new();
    // An ELFv2 function that sets up its TOC pointer has a global entry (`addis 2,12,..;
    // addi 2,2,..`) and, 8 bytes on, the local entry every direct call uses: start there.
    let start = usize::from(elfv2_global_entry(body)) * 2;
    if start < body.len() {
        let passed = usize::from(is_access(start));
        steps[start][passed] = 1;
        queue.push_back((start, passed));
    }
    let mut best: Option<usize> = None;
    while let Some((at, passed)) = queue.pop_front() {
        let here = steps[at][passed];
        let done = !through_access || passed == 1;
        let mut next = Vec::new();
        match flow(&body[at].text, x86, s390x) {
            Flow::Next => next.push(at + 1),
            Flow::Return if done => best = Some(best.map_or(here, |b| b.min(here))),
            Flow::Return => {}
            Flow::MaybeReturn => {
                if done {
                    best = Some(best.map_or(here, |b| b.min(here)));
                }
                next.push(at + 1);
            }
            Flow::Jump(target) => next.extend(target.and_then(|t| index.get(&t).copied())),
            Flow::Branch(target) => {
                next.push(at + 1);
                next.extend(target.and_then(|t| index.get(&t).copied()));
            }
        }
        for n in next {
            if n >= body.len() {
                continue;
            }
            let passed_n = passed.max(usize::from(is_access(n)));
            if steps[n][passed_n] == usize::MAX {
                steps[n][passed_n] = here + 1;
                queue.push_back((n, passed_n));
            }
        }
    }
    best
}

/// One probe in one configuration.
#[derive(Debug)]
enum Probe {
    Missing,
    Found { size: u64, body: Vec<Insn> },
}

/// `cargo xtask asm-audit <arch> [--verbose]`.
pub fn run(arch: &'static Arch, verbose: bool) -> Result {
    if !arch.has_image() {
        return Err(format!(
            "no image for {}: {} does not exist",
            arch.name,
            arch.marker().display()
        ));
    }
    crate::qemu::ensure_tools(arch)?;
    let dis = Disassembler::find(arch)?;
    let configs: Vec<&'static Config> = AUDIT_CONFIGS
        .iter()
        .map(|n| config::config(n).expect("audit configs are defined"))
        .collect();

    let mut columns: Vec<HashMap<&str, Probe>> = Vec::new();
    for config in &configs {
        println!("== building {}/{} (release)", arch.name, config.name);
        let elf = crate::qemu::build(arch, config)?;
        let symbols = parse_symbols(&dis.output(&["-t"], &elf)?);
        let insns = parse_disassembly(&dis.output(&["-d", "--no-show-raw-insn"], &elf)?);
        let mut column = HashMap::new();
        for probe in PROBES {
            let entry = match symbols.get(probe) {
                None => Probe::Missing,
                Some(&(addr, size)) => Probe::Found {
                    size,
                    body: function_body(&insns, addr, size, arch.is_x86()),
                },
            };
            if verbose {
                println!("\n{probe} ({}/{}):", arch.name, config.name);
                match &entry {
                    Probe::Missing => println!("  (missing)"),
                    Probe::Found { body, .. } => {
                        for i in body {
                            println!("  {:8x}:  {}", i.addr, i.text);
                        }
                    }
                }
            }
            column.insert(probe, entry);
        }
        columns.push(column);
    }

    println!();
    println!(
        "Instruction counts of the audit probes ({}, release, {}); the success path is the \
         fewest instructions from the entry (ELFv2: the local entry) to a return of the \
         probe's own (no report, no fault, no reschedule; for get_user, through the access):",
        arch.name, dis.program
    );
    println!();
    let mut header = String::from("| probe |");
    let mut rule = String::from("|---|");
    for c in &configs {
        header += &format!(" {0} insns | {0} success path | {0} bytes |", c.name);
        rule += "---:|---:|---:|";
    }
    println!("{header}\n{rule}");
    let mut missing = Vec::new();
    for probe in PROBES {
        let mut row = format!("| `{probe}` |");
        for (config, column) in configs.iter().zip(&columns) {
            match &column[probe] {
                Probe::Missing => {
                    row += " missing | missing | missing |";
                    missing.push(format!("{probe} ({})", config.name));
                }
                Probe::Found { size, body } => {
                    let path = success_path(
                        body,
                        arch.is_x86(),
                        arch.name == "s390x",
                        is_user_access_probe(probe),
                    )
                    .map_or("-".to_string(), |n| n.to_string());
                    row += &format!(" {} | {path} | {size} |", body.len())
                }
            }
        }
        println!("{row}");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "probe symbol(s) missing from the image: {}",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LLVM_SYMS: &str = "\
target/x/seed-image:\tfile format elf64-x86-64

SYMBOL TABLE:
0000000000000000 l    df *ABS*\t0000000000000000 seed.1
00000000000012e0 g     F .text\t0000000000000004 audit_preempt_disable
00000000000012f0 g     F .text\t0000000000000010 .hidden audit_hidden
000000000040001c g     F .text\t0000000000000038 0x60 audit_ppc_local_entry
0000000000002000 g     O .data\t0000000000000008 NOT_A_FUNCTION
";

    const LLVM_DIS: &str = "\
Disassembly of section .text:

00000000000012e0 <audit_preempt_disable>:
    12e0:      \tlock
    12e1:      \tincl\t(%rdi)
    12e3:      \tretq
    12e4:      \tint3
\t\t...
00000000000012f0 <audit_hidden>:
    12f0:      \trep
    12f1:      \tmovsb\t(%rsi), %es:(%rdi)
    12f3:      \tretq
";

    const GNU_DIS: &str = "\
00000000000012e0 <audit_preempt_disable>:
    12e0:\tlock incl (%rdi)
    12e3:\tret
    12e4:\tint3
";

    #[test]
    fn symbols_functions_only_with_sizes() {
        let s = parse_symbols(LLVM_SYMS);
        assert_eq!(s.get("audit_preempt_disable"), Some(&(0x12e0, 4)));
        assert_eq!(s.get("audit_hidden"), Some(&(0x12f0, 0x10)));
        assert_eq!(s.get("audit_ppc_local_entry"), Some(&(0x40001c, 0x38)));
        assert!(!s.contains_key("NOT_A_FUNCTION"));
        assert!(!s.contains_key("seed.1"));
    }

    #[test]
    fn llvm_prefix_lines_fold_and_padding_is_excluded() {
        let insns = parse_disassembly(LLVM_DIS);
        let body = function_body(&insns, 0x12e0, 4, true);
        let texts: Vec<&str> = body.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["lock incl (%rdi)", "retq"]);
        let body = function_body(&insns, 0x12f0, 0x10, true);
        assert_eq!(body.len(), 2);
        assert_eq!(body[0].text, "rep movsb (%rsi), %es:(%rdi)");
        assert_eq!(body[0].addr, 0x12f0);
    }

    #[test]
    fn gnu_listing_counts_the_same() {
        let insns = parse_disassembly(GNU_DIS);
        assert_eq!(function_body(&insns, 0x12e0, 4, true).len(), 2);
    }

    fn insns(lines: &[(u64, &str)]) -> Vec<Insn> {
        lines
            .iter()
            .map(|&(addr, text)| Insn {
                addr,
                text: text.to_string(),
            })
            .collect()
    }

    #[test]
    fn success_path_takes_the_shortest_way_to_a_return() {
        // x86_64 debug might_fault: test, branch to the cold call, return.
        let x86 = insns(&[
            (0x10, "movl %gs:0x0, %eax"),
            (0x18, "testl $0x7fffffff, %eax"),
            (0x1d, "jne 0x21 <p+0x11>"),
            (0x1f, "retq"),
            (0x21, "callq 0x100 <cold>"),
            (0x26, "retq"),
        ]);
        assert_eq!(success_path(&x86, true, false, false), Some(4));
        // A tail call out of the function is not a return.
        let tail = insns(&[
            (0x10, "testl %eax, %eax"),
            (0x12, "jne 0x200 <other>"),
            (0x14, "jmp 0x300 <x>"),
        ]);
        assert_eq!(success_path(&tail, true, false, false), None);
        // powerpc64: a conditional return ends the path where it is.
        let ppc = insns(&[
            (0x0, "ld 3, 16(13)"),
            (0x4, "lwz 4, 8(3)"),
            (0x8, "cmplwi 4, 0"),
            (0xc, "beqlr 0"),
            (0x10, "b 0x400 <cold>"),
        ]);
        assert_eq!(success_path(&ppc, false, false, false), Some(4));
        // From the local entry of an ELFv2 function with a TOC setup.
        let toc = insns(&[
            (0x0, "addis 2, 12, 4"),
            (0x4, "addi 2, 2, -1234"),
            (0x8, "ld 3, 0(13)"),
            (0xc, "lwz 3, 304(3)"),
            (0x10, "cmplwi 3, 0"),
            (0x14, "bclr 12, 2, 0"),
            (0x18, "b 0x400 <cold>"),
        ]);
        assert_eq!(success_path(&toc, false, false, false), Some(4));
        // s390x: a branch around the cold part to `br %r14`.
        let s390 = insns(&[
            (0x0, "lg %r1, 1152"),
            (0x6, "lt %r0, 36(%r1)"),
            (0xc, "jne 0x12"),
            (0x10, "br %r14"),
            (0x12, "jg 0x500"),
        ]);
        assert_eq!(success_path(&s390, false, true, false), Some(4));
        // A user-access probe: the refused address returns early, the success path goes
        // through the access.
        let get = insns(&[
            (0x0, "clgfi %r2, 2147483640"),
            (0x6, "jh 0x20"),
            (0xa, "la %r1, 160(%r15)"),
            (0xe, "mvcos 0(%r1), 0(%r2), %r3"),
            (0x14, "lg %r2, 160(%r15)"),
            (0x1a, "br %r14"),
            (0x20, "lghi %r2, 0"),
            (0x24, "br %r14"),
        ]);
        assert_eq!(success_path(&get, false, true, false), Some(4));
        assert_eq!(success_path(&get, false, true, true), Some(6));
    }

    #[test]
    fn non_x86_does_not_fold() {
        let insns = vec![
            Insn {
                addr: 0,
                text: "lock".into(),
            },
            Insn {
                addr: 4,
                text: "blr".into(),
            },
        ];
        assert_eq!(function_body(&insns, 0, 8, false).len(), 2);
    }
}
