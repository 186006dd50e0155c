//! The area an image reserves for its symbol table, filled after linking.
//!
//! Linux links its kernel twice to embed kallsyms. Here the image links once with a fixed-size
//! area holding an empty table, under the fixed symbol name [`KALLSYMS_SYMBOL`]; the build tool
//! (`cargo xtask kallsyms ELF`) then reads the image's function symbols and writes the table
//! into the area's bytes in the ELF file. The area's size does not change, so no address moves
//! and the table describes the very image it sits in.

use core::cell::UnsafeCell;

use crate::symbol_table::{SymbolTable, HEADER_BYTES, MAGIC};

/// The symbol the area is exported under, which the build tool looks for.
pub const KALLSYMS_SYMBOL: &str = "mightfault_kallsyms";

/// A symbol-table area of `N` bytes. Made by [`crate::kallsyms_area!`].
#[repr(C, align(8))]
pub struct KallsymsArea<const N: usize> {
    // Interior mutability keeps the compiler from treating the contents as the constant they
    // were compiled as: they change in the file after linking.
    bytes: UnsafeCell<[u8; N]>,
}

// SAFETY: the bytes are never written while the kernel runs (only in the ELF file before it
// boots), so shared reads from any cpu are sound.
unsafe impl<const N: usize> Sync for KallsymsArea<N> {}

impl<const N: usize> KallsymsArea<N> {
    /// An area holding an empty table (valid header, no symbol), as linked.
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`, for a static).
    pub const fn new() -> Self {
        assert!(
            N >= HEADER_BYTES,
            "a symbol-table area needs room for its header"
        );
        let mut bytes = [0u8; N];
        let mut i = 0;
        while i < MAGIC.len() {
            bytes[i] = MAGIC[i];
            i += 1;
        }
        // Bytes used by the (empty) table: the header alone.
        bytes[24] = HEADER_BYTES as u8;
        Self {
            bytes: UnsafeCell::new(bytes),
        }
    }

    /// The table the build tool wrote (empty if it did not run).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn table(&'static self) -> SymbolTable<'static> {
        // SAFETY: nothing writes the area at run time (see the Sync impl), so a shared slice
        // of it stays valid and unchanged for the rest of the run.
        let bytes: &'static [u8; N] = unsafe { &*self.bytes.get() };
        SymbolTable::parse(bytes)
    }
}

impl<const N: usize> Default for KallsymsArea<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Reserves a symbol-table area of `$bytes` bytes in the image and defines `fn $name() ->
/// SymbolTable<'static>` that reads it; return it from [`crate::Arch::kernel_symbols`]. Use it
/// once per image, then run `cargo xtask kallsyms <image>` after every link (PORTING.md).
///
/// ```
/// mightfault_core::kallsyms_area!(pub fn kernel_symbols, 64 * 1024);
///
/// // Until `cargo xtask kallsyms` fills it, the table is empty and reports print addresses.
/// assert!(kernel_symbols().is_empty());
/// assert!(kernel_symbols().lookup(kernel_symbols as usize as u64).is_none());
/// ```
#[macro_export]
macro_rules! kallsyms_area {
    ($vis:vis fn $name:ident, $bytes:expr) => {
        /// The image's symbol table (empty until the build tool fills it).
        ///
        /// # Context
        /// Never sleeps; any context.
        $vis fn $name() -> $crate::symbol_table::SymbolTable<'static> {
            #[used]
            #[export_name = "mightfault_kallsyms"]
            static AREA: $crate::kallsyms_area::KallsymsArea<{ $bytes }> =
                $crate::kallsyms_area::KallsymsArea::new();
            AREA.table()
        }
    };
}
