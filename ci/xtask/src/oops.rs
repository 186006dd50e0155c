//! Oops addresses as function and file:line: the code addresses an image's oops printed (where
//! each arch prints them is in config.rs), resolved with the release image's debug info.

use crate::cmd::{self, Result};
use crate::config::{self, Arch, OopsAddress};
use std::path::Path;
use std::process::Command;

/// Whether `label` starts at byte `at` of `line` on a word boundary.
fn starts_word(line: &str, at: usize) -> bool {
    line[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_')
}

/// Parses a hexadecimal code address, `0x` optional.
fn parse_hex(word: &str) -> Option<u64> {
    let digits = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// The addresses `spec` finds in `line` (every occurrence of its label).
fn find(line: &str, spec: &OopsAddress, out: &mut Vec<u64>) {
    let mut from = 0;
    while let Some(i) = line[from..].find(spec.label) {
        let at = from + i;
        from = at + spec.label.len();
        if !starts_word(line, at) {
            continue;
        }
        if let Some(addr) = line[from..]
            .split_whitespace()
            .nth(spec.field)
            .and_then(parse_hex)
        {
            out.push(addr);
        }
    }
}

/// The code addresses `arch`'s oops lines in `lines` carry, in order of appearance, each once.
pub fn addresses<'a>(arch: &Arch, lines: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let mut found = Vec::new();
    for line in lines {
        let mut here = Vec::new();
        for spec in arch.oops {
            find(line, spec, &mut here);
        }
        for addr in here {
            if !found.contains(&addr) {
                found.push(addr);
            }
        }
    }
    found
}

/// One resolved address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The address.
    pub addr: u64,
    /// The function containing it (`??` when unknown).
    pub function: String,
    /// `file:line` (`??:0` when unknown).
    pub file_line: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:#018x}: {} at {}",
            self.addr, self.function, self.file_line
        )
    }
}

/// The program that maps addresses to function and file:line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbolizer {
    /// Program to run (an addr2line).
    pub program: &'static str,
}

impl Symbolizer {
    /// LLVM 22's addr2line (ci/install.sh's llvm-22, the same that brings llvm-objdump-22), else
    /// binutils' addr2line, which only knows the host (x86_64) architecture.
    pub fn find(arch: &Arch) -> Result<Self> {
        if cmd::have_program("llvm-addr2line-22") {
            return Ok(Symbolizer {
                program: "llvm-addr2line-22",
            });
        }
        if arch.is_x86() && cmd::have_program("addr2line") {
            return Ok(Symbolizer {
                program: "addr2line",
            });
        }
        Err(format!(
            "no addr2line for {}: run `cargo xtask install` (llvm-22)",
            arch.name
        ))
    }

    /// The command that resolves `addrs` in `elf`.
    pub fn command(&self, elf: &Path, addrs: &[u64]) -> Command {
        let mut c = Command::new(self.program);
        c.args(["-f", "-C", "-e"]).arg(elf);
        c.args(addrs.iter().map(|a| format!("{a:#x}")));
        c
    }

    /// Resolves `addrs` in `elf` with one run of the program.
    pub fn resolve(&self, elf: &Path, addrs: &[u64]) -> Result<Vec<Location>> {
        let mut c = self.command(elf, addrs);
        let shown = cmd::display(&c);
        let out = c
            .output()
            .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
        cmd::check(out.status, &shown)?;
        parse_addr2line(&String::from_utf8_lossy(&out.stdout), addrs).ok_or_else(|| {
            format!("`{shown}` printed something other than function/file:line pairs")
        })
    }
}

/// Pairs `addr2line -f` output (a function line, then a file:line line, per address) with
/// `addrs`.
pub fn parse_addr2line(output: &str, addrs: &[u64]) -> Option<Vec<Location>> {
    let lines: Vec<&str> = output.lines().collect();
    if lines.len() != 2 * addrs.len() {
        return None;
    }
    Some(
        addrs
            .iter()
            .zip(lines.chunks(2))
            .map(|(&addr, pair)| Location {
                addr,
                function: pair[0].trim().to_string(),
                // GNU addr2line may append " (discriminator N)".
                file_line: pair[1]
                    .split(" (discriminator")
                    .next()
                    .unwrap_or(pair[1])
                    .trim()
                    .to_string(),
            })
            .collect(),
    )
}

/// Finds `arch`'s oops addresses in `lines` and resolves them in `elf`: the lines to print (a
/// header, then `  <addr>: <function> at <file>:<line>` each), and the resolved locations
/// (empty when none was found or the resolution failed; the lines then say why).
pub fn report<'a>(
    arch: &Arch,
    elf: &Path,
    lines: impl IntoIterator<Item = &'a str>,
) -> (Vec<String>, Vec<Location>) {
    let addrs = addresses(arch, lines);
    if addrs.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let resolved = Symbolizer::find(arch).and_then(|s| {
        let locations = s.resolve(elf, &addrs)?;
        Ok((s, locations))
    });
    match resolved {
        Ok((s, locations)) => {
            let mut out = vec![format!(
                "oops code addresses ({} -f -C -e {}):",
                s.program,
                elf.display()
            )];
            out.extend(locations.iter().map(|l| format!("  {l}")));
            (out, locations)
        }
        Err(e) => {
            let mut out = vec![format!("oops code addresses (not resolved: {e}):")];
            out.extend(addrs.iter().map(|a| format!("  {a:#018x}")));
            (out, Vec::new())
        }
    }
}

/// The architecture of an ELF image, from its header's `e_machine`.
pub fn elf_arch(elf: &Path) -> Result<&'static Arch> {
    let bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let machine =
        elf_machine(&bytes).ok_or_else(|| format!("{}: not an ELF file", elf.display()))?;
    config::arch_by_elf_machine(machine).ok_or_else(|| {
        format!(
            "{}: ELF machine {machine} is none of the image arches",
            elf.display()
        )
    })
}

/// `e_machine` of an ELF header (in the file's byte order).
fn elf_machine(bytes: &[u8]) -> Option<u16> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    let raw = [bytes[18], bytes[19]];
    match bytes[5] {
        1 => Some(u16::from_le_bytes(raw)),
        2 => Some(u16::from_be_bytes(raw)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::arch;

    /// The x86_64 oops (tests/kernel/src/x86_64/trap.rs), as the qemu command echoes it.
    const X86_OOPS: &str = "\
[x86_64/debug] Oops: page fault (vector 14), error code 0x2
[x86_64/debug] CPU: 1 PID: 3 Comm: worker (x86_64)
[x86_64/debug] RIP: 0xffffffff8010abcd CS: 0x8 RFLAGS: 0x00010086
[x86_64/debug] RSP: 0xffffffff80400f80 SS: 0x10 CR2: 0x0000000000000008
[x86_64/debug] RAX: 0x0000000000000000 RBX: 0xffffffff80101000 RCX: 0x0000000000000001
[x86_64/debug] preempt_count: 0x1 pagefault_disabled: 0
[x86_64/debug] ---[ end trace ]---
";

    /// The s390x oops (tests/kernel/src/s390x/trap.rs).
    const S390_OOPS: &str = "\
Oops: page translation (code 0x0011, ilc 2, teid 0x0000000000000800)
CPU: 0 PID: 1 Comm: seed (s390x)
Krnl PSW : 0400000180000000 000000000001b2c4
Krnl GPRS: 0000000000000000 0000000000000001 00000000000be000 0000000000000000
           0000000000000000 0000000000000000 0000000000000000 0000000000000000
preempt_count: 0x0 pagefault_disabled: 0
---[ end trace ]---
";

    /// The powerpc64 oops (tests/kernel/src/powerpc64/trap.rs).
    const PPC_OOPS: &str = "\
Oops: data storage (vector 0x300)
CPU: 1 PID: 1 Comm: seed (powerpc64)
NIP: 0x0000000000412a30 LR: 0x00000000004129f4 CTR: 0x0000000000000000
MSR: 0x8000000000001032 CR: 28000422 XER: 20000000
DAR: 0x0000000000000008 DSISR: 40000000
GPR00: 00000000004129f4 0000000000f0ff00 0000000000438800 0000000000000008
preempt_count: 0x0 pagefault_disabled: 0
---[ end trace ]---
";

    #[test]
    fn x86_rip() {
        let x86 = arch("x86_64").unwrap();
        assert_eq!(addresses(x86, X86_OOPS.lines()), [0xffffffff8010abcd]);
        // Without the echo prefix, as a saved raw console has it.
        assert_eq!(
            addresses(x86, ["RIP: 0xffffffff80101000 CS: 0x8 RFLAGS: 0x2"]),
            [0xffffffff80101000]
        );
    }

    #[test]
    fn s390x_psw_address() {
        let s390 = arch("s390x").unwrap();
        assert_eq!(addresses(s390, S390_OOPS.lines()), [0x1b2c4]);
    }

    #[test]
    fn powerpc64_nip_and_lr() {
        let ppc = arch("powerpc64").unwrap();
        assert_eq!(addresses(ppc, PPC_OOPS.lines()), [0x412a30, 0x4129f4]);
    }

    #[test]
    fn other_lines_and_arches_give_nothing() {
        let x86 = arch("x86_64").unwrap();
        let ppc = arch("powerpc64").unwrap();
        // Each arch reads only its own format.
        assert!(addresses(x86, PPC_OOPS.lines()).is_empty());
        assert!(addresses(ppc, X86_OOPS.lines()).is_empty());
        assert!(addresses(arch("s390x").unwrap(), X86_OOPS.lines()).is_empty());
        // A label inside a word, a missing or non-hex word: no address.
        assert!(addresses(ppc, ["XLR: 0x10", "NIP:", "NIP: zz LR: 0x"]).is_empty());
        assert!(addresses(x86, ["ok 1 seed", "BUG: sleeping function called"]).is_empty());
    }

    #[test]
    fn repeated_addresses_once_in_order() {
        let ppc = arch("powerpc64").unwrap();
        let twice = format!("{PPC_OOPS}{PPC_OOPS}NIP: 0x10 LR: 0x412a30 CTR: 0x0\n");
        assert_eq!(addresses(ppc, twice.lines()), [0x412a30, 0x4129f4, 0x10]);
    }

    #[test]
    fn addr2line_pairs() {
        let out = "mightfault_test_kernel::x86_64::trap::oops\n\
                   /work/main/tests/kernel/src/x86_64/trap.rs:136\n\
                   ??\n??:0\n\
                   f\n/x/y.rs:7 (discriminator 3)\n";
        let l = parse_addr2line(out, &[0xffffffff8010d8b0, 0xdead, 1]).unwrap();
        assert_eq!(
            l[0].to_string(),
            "0xffffffff8010d8b0: mightfault_test_kernel::x86_64::trap::oops at \
             /work/main/tests/kernel/src/x86_64/trap.rs:136"
        );
        assert_eq!(l[1].to_string(), "0x000000000000dead: ?? at ??:0");
        assert_eq!(l[2].file_line, "/x/y.rs:7");
        assert!(parse_addr2line(out, &[1]).is_none());
    }

    #[test]
    fn symbolizer_command_line() {
        let s = Symbolizer {
            program: "llvm-addr2line-22",
        };
        let c = s.command(Path::new("/img"), &[0xffffffff8010abcd, 0x1b2c4]);
        assert_eq!(
            cmd::display(&c),
            "llvm-addr2line-22 -f -C -e /img 0xffffffff8010abcd 0x1b2c4"
        );
    }

    #[test]
    fn elf_machine_in_either_byte_order() {
        let mut le = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        assert_eq!(elf_machine(&le), Some(62));
        le[5] = 2;
        le[18..20].copy_from_slice(&[0, 21]);
        assert_eq!(elf_machine(&le), Some(21));
        assert_eq!(
            config::arch_by_elf_machine(21).map(|a| a.name),
            Some("powerpc64")
        );
        assert_eq!(elf_machine(b"#!/bin/sh\n"), None);
    }
}
