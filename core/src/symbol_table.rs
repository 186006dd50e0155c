//! The embedded symbol table, Linux's kallsyms for a kernel written with this crate: a sorted
//! list of functions (start address, size, name) that a report turns `0xffffffff80112060` into
//! `write_str+0x1c/0x5e` with, in the image itself, with no host tool.
//!
//! The table is produced at build time from the linked image (`cargo xtask kallsyms`; see
//! PORTING.md) and written into an area the image reserved for it ([`crate::kallsyms_area!`]), so
//! that filling it moves no address. This file is the format and both of its halves, the encoder
//! (used by the build tool on the host) and the lookup (used by the kernel): it names nothing
//! outside `core`, so that the build tool compiles the very same file.
//!
//! Layout, every integer little-endian whatever the target (the table is read rarely, and one
//! encoding serves every arch):
//!
//! ```text
//! 0   magic "MFKSYMS1"
//! 8   u32 number of symbols N
//! 12  u32 bytes of names
//! 16  u64 base address (the lowest symbol's start)
//! 24  u32 bytes used by the whole table (header + entries + names)
//! 28  u32 reserved (0)
//! 32  N entries of 16 bytes: u32 start - base, u32 size, u32 name offset, u32 name length
//! ..  the names, UTF-8, one after the other
//! ```
//!
//! Entries are sorted by start address. A symbol of size 0 (an assembly label) reaches to the
//! next symbol's start, as kallsyms treats symbols without a size.

/// The first eight bytes of a table, filled or not.
pub const MAGIC: [u8; 8] = *b"MFKSYMS1";
/// Bytes before the first entry.
pub const HEADER_BYTES: usize = 32;
/// Bytes of one entry.
pub const ENTRY_BYTES: usize = 16;

/// One function of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// Its name, demangled, without Rust's hash suffix or generic arguments.
    pub name: &'a str,
    /// Its first instruction's address.
    pub start: u64,
    /// Its length in bytes (0 if the image gave none and no next symbol bounds it).
    pub size: u64,
}

/// An address resolved against a table: the symbol and how far into it the address lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolHit<'a> {
    /// The function the address lies in.
    pub symbol: Symbol<'a>,
    /// `address - symbol.start`.
    pub offset: u64,
}

/// A table in memory, checked once when it is opened.
#[derive(Clone, Copy, Debug)]
pub struct SymbolTable<'a> {
    bytes: &'a [u8],
    count: usize,
    base: u64,
    names_at: usize,
    names_len: usize,
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let low = read_u32(bytes, at)? as u64;
    let high = read_u32(bytes, at + 4)? as u64;
    Some(low | high << 32)
}

impl<'a> SymbolTable<'a> {
    /// A table with no symbols: every lookup misses, and reports print bare addresses.
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`).
    pub const fn empty() -> SymbolTable<'static> {
        SymbolTable {
            bytes: &[],
            count: 0,
            base: 0,
            names_at: 0,
            names_len: 0,
        }
    }

    /// Opens the table at the start of `bytes`. A reserved area that was never filled (or a
    /// damaged one) opens as [`SymbolTable::empty`]'s equal, so a report never depends on it.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn parse(bytes: &'a [u8]) -> SymbolTable<'a> {
        Self::try_parse(bytes).unwrap_or(SymbolTable {
            bytes: &[],
            count: 0,
            base: 0,
            names_at: 0,
            names_len: 0,
        })
    }

    fn try_parse(bytes: &'a [u8]) -> Option<SymbolTable<'a>> {
        if bytes.get(..8)? != MAGIC {
            return None;
        }
        let count = read_u32(bytes, 8)? as usize;
        let names_len = read_u32(bytes, 12)? as usize;
        let base = read_u64(bytes, 16)?;
        let used = read_u32(bytes, 24)? as usize;
        let names_at = HEADER_BYTES.checked_add(count.checked_mul(ENTRY_BYTES)?)?;
        if names_at.checked_add(names_len)? != used || used > bytes.len() {
            return None;
        }
        Some(SymbolTable {
            bytes: &bytes[..used],
            count,
            base,
            names_at,
            names_len,
        })
    }

    /// How many symbols the table holds.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table holds no symbol.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn start_of(&self, index: usize) -> Option<u64> {
        let at = HEADER_BYTES + index * ENTRY_BYTES;
        Some(self.base.wrapping_add(read_u32(self.bytes, at)? as u64))
    }

    /// The symbol at position `index` (sorted by address), if the entry is sound.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn get(&self, index: usize) -> Option<Symbol<'a>> {
        if index >= self.count {
            return None;
        }
        let at = HEADER_BYTES + index * ENTRY_BYTES;
        let start = self.start_of(index)?;
        let mut size = read_u32(self.bytes, at + 4)? as u64;
        let name_off = read_u32(self.bytes, at + 8)? as usize;
        let name_len = read_u32(self.bytes, at + 12)? as usize;
        if name_off.checked_add(name_len)? > self.names_len {
            return None;
        }
        let from = self.names_at + name_off;
        let name = core::str::from_utf8(self.bytes.get(from..from + name_len)?).ok()?;
        if size == 0 {
            if let Some(next) = self.start_of(index + 1) {
                size = next.saturating_sub(start);
            }
        }
        Some(Symbol { name, start, size })
    }

    /// The function `address` lies in: the last symbol starting at or below it, if the address
    /// is inside that symbol's size.
    ///
    /// # Context
    /// Never sleeps; any context (a binary search, no allocation, no lock).
    pub fn lookup(&self, address: u64) -> Option<SymbolHit<'a>> {
        // The first index whose start is above the address; the candidate is just before it.
        let (mut low, mut high) = (0usize, self.count);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.start_of(mid)? <= address {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let symbol = self.get(low.checked_sub(1)?)?;
        let offset = address - symbol.start;
        (offset < symbol.size).then_some(SymbolHit { symbol, offset })
    }
}

/// Why a table could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The area is smaller than the table (the bytes it would need are given).
    TooSmall(usize),
    /// The symbols are not sorted by start address.
    Unsorted,
    /// A symbol lies more than 4 GiB above the lowest one, or is larger than 4 GiB.
    OutOfRange,
}

/// The bytes a table of `symbols` takes.
///
/// # Context
/// Never sleeps; any context.
pub fn encoded_len(symbols: &[Symbol<'_>]) -> usize {
    let names: usize = symbols.iter().map(|s| s.name.len()).sum();
    HEADER_BYTES + symbols.len() * ENTRY_BYTES + names
}

/// Writes a table of `symbols` (sorted by start) at the start of `out`; returns the bytes
/// used. The rest of `out` is left as it was.
///
/// # Context
/// Never sleeps; any context (it only writes `out`). Run by the build tool on the host.
pub fn encode(symbols: &[Symbol<'_>], out: &mut [u8]) -> Result<usize, EncodeError> {
    let used = encoded_len(symbols);
    if used > out.len() {
        return Err(EncodeError::TooSmall(used));
    }
    if symbols.windows(2).any(|pair| pair[0].start > pair[1].start) {
        return Err(EncodeError::Unsorted);
    }
    let base = symbols.first().map_or(0, |s| s.start);
    let names_len = used - HEADER_BYTES - symbols.len() * ENTRY_BYTES;
    let put = |out: &mut [u8], at: usize, value: u32| {
        out[at..at + 4].copy_from_slice(&value.to_le_bytes());
    };
    let narrow = |value: u64| u32::try_from(value).map_err(|_| EncodeError::OutOfRange);
    out[..8].copy_from_slice(&MAGIC);
    put(out, 8, narrow(symbols.len() as u64)?);
    put(out, 12, narrow(names_len as u64)?);
    put(out, 16, base as u32);
    put(out, 20, (base >> 32) as u32);
    put(out, 24, narrow(used as u64)?);
    put(out, 28, 0);
    let names_at = HEADER_BYTES + symbols.len() * ENTRY_BYTES;
    let mut name_off = 0usize;
    for (index, symbol) in symbols.iter().enumerate() {
        let at = HEADER_BYTES + index * ENTRY_BYTES;
        put(out, at, narrow(symbol.start - base)?);
        put(out, at + 4, narrow(symbol.size)?);
        put(out, at + 8, narrow(name_off as u64)?);
        put(out, at + 12, narrow(symbol.name.len() as u64)?);
        let from = names_at + name_off;
        out[from..from + symbol.name.len()].copy_from_slice(symbol.name.as_bytes());
        name_off += symbol.name.len();
    }
    Ok(used)
}

/// The name a report prints for a demangled Rust symbol: the path without the hash suffix and
/// without generic arguments (`a::b::f::<x::Y>` becomes `a::b::f`), so that a line reads like
/// Linux's `function+0x1c/0x90`. Trait impls keep their `<T as Trait>` head; an LLVM `.llvm.<digits>` suffix is dropped.
///
/// # Context
/// Never sleeps; any context. Run by the build tool on the host.
pub fn short_name(demangled: &str, out: &mut [u8]) -> usize {
    // LLVM renames a local symbol it promoted across codegen units `name.llvm.<digits>`, which
    // demanglers show as `name (.llvm.<digits>)`: the suffix is not part of the name, and
    // Linux's kallsyms drops it too.
    let demangled = match demangled
        .find(" (.llvm.")
        .or_else(|| demangled.find(".llvm."))
    {
        Some(cut) => &demangled[..cut],
        None => demangled,
    };
    let bytes = demangled.as_bytes();
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        // `::<` opens generic arguments: skip to the matching `>`.
        if bytes[i..].starts_with(b"::<") {
            let mut depth = 0usize;
            let mut j = i + 2;
            while j < bytes.len() {
                match bytes[j] {
                    b'<' => depth += 1,
                    b'>' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        // `::h` and 16 hex digits at the very end: the legacy mangling's hash.
        if bytes.len() - i == 19
            && bytes[i..].starts_with(b"::h")
            && bytes[i + 3..].iter().all(|b| b.is_ascii_hexdigit())
        {
            break;
        }
        if len < out.len() {
            out[len] = bytes[i];
            len += 1;
        }
        i += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str, start: u64, size: u64) -> Symbol<'_> {
        Symbol { name, start, size }
    }

    #[test]
    fn round_trip_and_lookup() {
        let symbols = [
            sym("first", 0xffff_ffff_8010_0000, 0x20),
            sym("label", 0xffff_ffff_8010_0040, 0),
            sym("second", 0xffff_ffff_8010_0080, 0x10),
        ];
        let mut area = [0u8; 256];
        let used = encode(&symbols, &mut area).unwrap();
        assert_eq!(used, encoded_len(&symbols));
        let table = SymbolTable::parse(&area);
        assert_eq!(table.len(), 3);
        let hit = table.lookup(0xffff_ffff_8010_001c).unwrap();
        assert_eq!(
            (hit.symbol.name, hit.offset, hit.symbol.size),
            ("first", 0x1c, 0x20)
        );
        // Past the end of `first`, before `label`: no symbol.
        assert!(table.lookup(0xffff_ffff_8010_0020).is_none());
        // A label without a size reaches to the next symbol.
        let hit = table.lookup(0xffff_ffff_8010_007f).unwrap();
        assert_eq!(
            (hit.symbol.name, hit.offset, hit.symbol.size),
            ("label", 0x3f, 0x40)
        );
        assert_eq!(
            table.lookup(0xffff_ffff_8010_0080).unwrap().symbol.name,
            "second"
        );
        assert!(table.lookup(0xffff_ffff_8010_0090).is_none());
        assert!(table.lookup(0x1000).is_none());
    }

    #[test]
    fn unfilled_or_damaged_area_is_empty() {
        let mut area = [0u8; 128];
        area[..8].copy_from_slice(&MAGIC);
        assert!(SymbolTable::parse(&area).is_empty());
        assert!(SymbolTable::parse(&[]).is_empty());
        let symbols = [sym("f", 0x1000, 4)];
        encode(&symbols, &mut area).unwrap();
        // A name running past the names area makes the entry unreadable, not a panic.
        area[HEADER_BYTES + 12] = 200;
        let table = SymbolTable::parse(&area);
        assert!(table.lookup(0x1000).is_none());
    }

    #[test]
    fn encode_refuses_bad_input() {
        let mut small = [0u8; 16];
        assert!(matches!(
            encode(&[sym("f", 0, 1)], &mut small),
            Err(EncodeError::TooSmall(_))
        ));
        let mut area = [0u8; 128];
        assert_eq!(
            encode(&[sym("b", 2, 1), sym("a", 1, 1)], &mut area),
            Err(EncodeError::Unsorted)
        );
        assert_eq!(
            encode(&[sym("a", 0, 1), sym("b", 1 << 33, 1)], &mut area),
            Err(EncodeError::OutOfRange)
        );
    }

    #[test]
    fn short_names() {
        let mut out = [0u8; 128];
        let cases = [
            (
                "mightfault_tests::seed::spinlock_copy_to_user_warns::<k::x86_64::X86>",
                "mightfault_tests::seed::spinlock_copy_to_user_warns",
            ),
            (
                "<mightfault_tests::support::Line<64> as core::fmt::Write>::write_str",
                "<mightfault_tests::support::Line<64> as core::fmt::Write>::write_str",
            ),
            ("a::with::<A, B<C>, D>::{closure#0}", "a::with::{closure#0}"),
            ("core::fmt::write::h0123456789abcdef", "core::fmt::write"),
            ("plain_c_name", "plain_c_name"),
            (
                "mightfault_core::spinlock::report_lockup (.llvm.11285635235928120669)",
                "mightfault_core::spinlock::report_lockup",
            ),
            ("local_fn.llvm.42", "local_fn"),
        ];
        for (input, expected) in cases {
            let len = short_name(input, &mut out);
            assert_eq!(core::str::from_utf8(&out[..len]).unwrap(), expected);
        }
    }
}
