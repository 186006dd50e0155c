//! `cargo xtask kallsyms ELF...`: fills an image's symbol-table area (mightfault-core's
//! `kallsyms_area!`) with the image's own functions, after linking, as Linux's kallsyms step
//! does, so that the image's reports print `function+0x1c/0x90` without a host tool.
//!
//! The function symbols come from LLVM's nm (demangled); the table format is core's
//! `symbol_table.rs`, compiled here from the same source file. The area's file offset comes
//! from the ELF's program headers; only its bytes change, so no address moves.

use crate::cmd::{self, Result};
use std::path::Path;
use std::process::Command;

#[path = "../../../core/src/symbol_table.rs"]
#[allow(dead_code)]
mod symbol_table;

use symbol_table::{encode, short_name, Symbol};

/// LLVM's nm, from the llvm-22 that ci/install.sh installs (it reads every arch's ELF).
const NM: &str = "llvm-nm-22";
/// The symbol the area is exported under (core's `kallsyms_area::KALLSYMS_SYMBOL`).
const AREA_SYMBOL: &str = "mightfault_kallsyms";

/// One line of `nm -S`: address, size (if the image gave one), type letter, name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NmSymbol {
    address: u64,
    size: Option<u64>,
    kind: char,
    name: String,
}

/// Parses `llvm-nm -S -n -C` output (`address [size] type name`).
fn parse_nm(text: &str) -> Vec<NmSymbol> {
    let mut symbols = Vec::new();
    for line in text.lines() {
        let mut fields = line.splitn(4, ' ');
        let (Some(address), Some(second), Some(third)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(address) = u64::from_str_radix(address, 16) else {
            continue;
        };
        // With a size: `addr size t name`; without: `addr t name` (name may hold spaces).
        let (size, kind, name) = match u64::from_str_radix(second, 16) {
            Ok(size) if second.len() > 1 => match fields.next() {
                Some(name) => (Some(size), third, name.to_string()),
                None => continue,
            },
            _ => {
                let rest = fields.next().map_or(String::new(), |r| format!(" {r}"));
                (None, second, format!("{third}{rest}"))
            }
        };
        let mut letters = kind.chars();
        let (Some(kind), None) = (letters.next(), letters.next()) else {
            continue;
        };
        symbols.push(NmSymbol {
            address,
            size,
            kind,
            name,
        });
    }
    symbols
}

/// The image's functions as the table holds them: text symbols, short names, sorted by
/// address, one per address (the first name nm gives for an alias).
fn functions(symbols: &[NmSymbol]) -> Vec<(u64, u64, String)> {
    let mut out: Vec<(u64, u64, String)> = symbols
        .iter()
        .filter(|s| matches!(s.kind, 't' | 'T'))
        .filter(|s| !s.name.starts_with(".L") && !s.name.is_empty())
        .map(|s| {
            let mut buf = vec![0u8; s.name.len()];
            let len = short_name(&s.name, &mut buf);
            buf.truncate(len);
            let name = String::from_utf8(buf).unwrap_or_else(|_| s.name.clone());
            (s.address, s.size.unwrap_or(0), name)
        })
        .collect();
    out.sort_by_key(|(address, size, _)| (*address, std::cmp::Reverse(*size)));
    out.dedup_by_key(|(address, _, _)| *address);
    out
}

/// The file offset of virtual address `addr` (`len` bytes) in ELF64 image `elf`, from its
/// loadable program headers; either byte order.
fn file_offset(elf: &[u8], addr: u64, len: u64) -> std::result::Result<u64, String> {
    if elf.len() < 64 || elf[..4] != *b"\x7fELF" || elf[4] != 2 {
        return Err("not an ELF64 file".into());
    }
    let big = match elf[5] {
        1 => false,
        2 => true,
        other => return Err(format!("unknown ELF byte order {other}")),
    };
    let word = |at: usize, n: usize| -> Option<u64> {
        let bytes = elf.get(at..at + n)?;
        let mut value = 0u64;
        for i in 0..n {
            let b = if big { bytes[i] } else { bytes[n - 1 - i] };
            value = value << 8 | b as u64;
        }
        Some(value)
    };
    let bad = || "truncated ELF header".to_string();
    let phoff = word(0x20, 8).ok_or_else(bad)? as usize;
    let phentsize = word(0x36, 2).ok_or_else(bad)? as usize;
    let phnum = word(0x38, 2).ok_or_else(bad)? as usize;
    for index in 0..phnum {
        let at = phoff + index * phentsize;
        let kind = word(at, 4).ok_or_else(bad)?;
        if kind != 1 {
            continue; // not PT_LOAD
        }
        let offset = word(at + 8, 8).ok_or_else(bad)?;
        let vaddr = word(at + 16, 8).ok_or_else(bad)?;
        let filesz = word(at + 32, 8).ok_or_else(bad)?;
        if addr >= vaddr && addr + len <= vaddr + filesz {
            return Ok(offset + (addr - vaddr));
        }
    }
    Err(format!(
        "no loaded segment holds {len} bytes at {addr:#x} in the file (is the area in .bss?)"
    ))
}

/// What [`embed`] wrote.
#[derive(Debug)]
pub struct Embedded {
    /// Functions in the table.
    pub symbols: usize,
    /// Bytes the table uses.
    pub used: usize,
    /// Bytes of the area.
    pub capacity: usize,
}

/// Fills the symbol-table area of image `elf` in place.
pub fn embed(elf: &Path) -> Result<Embedded> {
    let mut nm = Command::new(NM);
    nm.args(["--defined-only", "-S", "-n", "-C"]).arg(elf);
    let shown = cmd::display(&nm);
    let out = nm
        .output()
        .map_err(|e| format!("cannot start `{shown}` (run `cargo xtask install`): {e}"))?;
    cmd::check(out.status, &shown)?;
    let symbols = parse_nm(&String::from_utf8_lossy(&out.stdout));
    let area = symbols
        .iter()
        .find(|s| s.name == AREA_SYMBOL)
        .ok_or_else(|| {
            format!(
                "{} has no `{AREA_SYMBOL}` symbol: the image must reserve its table with \
                 mightfault_core::kallsyms_area!",
                elf.display()
            )
        })?;
    let capacity = area
        .size
        .ok_or_else(|| format!("`{AREA_SYMBOL}` in {} has no size", elf.display()))?;
    let functions = functions(&symbols);
    let table: Vec<Symbol<'_>> = functions
        .iter()
        .map(|(start, size, name)| Symbol {
            name,
            start: *start,
            size: *size,
        })
        .collect();
    let mut bytes = vec![0u8; capacity as usize];
    let used = encode(&table, &mut bytes).map_err(|e| {
        format!(
            "the symbol table of {} does not fit its area of {capacity} bytes: {e:?} \
             (make the kallsyms_area! larger)",
            elf.display()
        )
    })?;
    let mut image =
        std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let offset = file_offset(&image, area.address, capacity)
        .map_err(|e| format!("{}: {e}", elf.display()))? as usize;
    image[offset..offset + capacity as usize].copy_from_slice(&bytes);
    std::fs::write(elf, &image).map_err(|e| format!("cannot write {}: {e}", elf.display()))?;
    Ok(Embedded {
        symbols: table.len(),
        used,
        capacity: capacity as usize,
    })
}

/// `cargo xtask kallsyms ELF...`.
pub fn command(files: &[String]) -> Result {
    if files.is_empty() {
        return Err("kallsyms: name at least one ELF image".into());
    }
    for file in files {
        let done = embed(Path::new(file))?;
        println!(
            "kallsyms: {file}: {} functions, {} of {} bytes",
            done.symbols, done.used, done.capacity
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nm_lines_with_and_without_size() {
        let text = "ffffffff80100000 0000000000000020 T _start\n\
                    ffffffff80100020 t local label\n\
                    ffffffff80200000 0000000000030000 D mightfault_kallsyms\n\
                    ffffffff80100040 0000000000000010 t a::f::<b::C>\n\
                    garbage line\n";
        let symbols = parse_nm(text);
        assert_eq!(symbols.len(), 4);
        assert_eq!(symbols[1].size, None);
        assert_eq!(symbols[1].name, "local label");
        assert_eq!(symbols[2].size, Some(0x30000));
        let functions = functions(&symbols);
        assert_eq!(
            functions,
            vec![
                (0xffffffff80100000, 0x20, "_start".to_string()),
                (0xffffffff80100020, 0, "local label".to_string()),
                (0xffffffff80100040, 0x10, "a::f".to_string()),
            ]
        );
    }

    #[test]
    fn offsets_from_program_headers_in_both_byte_orders() {
        for big in [false, true] {
            let mut elf = vec![0u8; 0x40 + 56];
            elf[..4].copy_from_slice(b"\x7fELF");
            elf[4] = 2;
            elf[5] = if big { 2 } else { 1 };
            let put = |elf: &mut Vec<u8>, at: usize, n: usize, v: u64| {
                for i in 0..n {
                    let byte = (v >> (8 * i)) as u8;
                    let pos = if big { at + n - 1 - i } else { at + i };
                    elf[pos] = byte;
                }
            };
            put(&mut elf, 0x20, 8, 0x40);
            put(&mut elf, 0x36, 2, 56);
            put(&mut elf, 0x38, 2, 1);
            put(&mut elf, 0x40, 4, 1);
            put(&mut elf, 0x48, 8, 0x1000);
            put(&mut elf, 0x50, 8, 0x10_0000);
            put(&mut elf, 0x60, 8, 0x2000);
            assert_eq!(file_offset(&elf, 0x10_0100, 0x100), Ok(0x1100));
            assert!(file_offset(&elf, 0x10_1f00, 0x200).is_err());
        }
    }
}
