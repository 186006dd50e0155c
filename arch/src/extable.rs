//! Exception-table glue for a kernel's own assembler: the entry and fixup-section snippets as
//! macros that expand to string literals (so they can sit among the pieces of an `asm!`
//! template), and [`linker_ex_table!`](crate::linker_ex_table) to find the entries the linker
//! collected.
//!
//! Every user accessor of this crate emits its entries with these macros; a kernel that writes
//! its own user access in `asm!` uses the same ones, and its entries land in the same table.
//! The entry format is `mightfault_core::extable::ExtableEntry`: two 32-bit offsets, each
//! relative to its own field, as Linux's.
//!
//! Labels are the caller's: local numeric labels, and on x86_64 never ones made of the digits
//! 0 and 1 alone, which the Intel-syntax parser would read as binary numbers.
//!
//! # Where the section goes
//! Entries go to the section `__ex_table` (allocated, 4-byte aligned); fixup code goes to
//! `.text.fixup` (allocated, executable). Both need nothing from the kernel's linker script:
//! - with no linker script, or one that leaves `__ex_table` out of its `SECTIONS`, the linker
//!   places it as an orphan section and defines `__start___ex_table`/`__stop___ex_table`
//!   around it (GNU ld and LLD both do for a section whose name is a C identifier);
//! - a script that places it itself must keep it (`KEEP(*(__ex_table))`) and define those two
//!   symbols around it, or hand the entries to `ExceptionTable::install` some other way.
//!
//! `.text.fixup` matches the usual `*(.text .text.*)` pattern, so fixups sit among the
//! kernel's text unless the script places them apart.

/// An exception-table entry for the instruction at label `$insn` whose fault continues at
/// label `$fixup`: two 32-bit offsets, each relative to its own field (one `.long` each, so
/// that `.` is that field).
///
/// ```
/// let snippet = mightfault_arch::ex_entry!("2b", "4f");
/// assert!(snippet.contains(".pushsection __ex_table"));
/// assert!(snippet.contains(".long 2b - .") && snippet.contains(".long 4f - ."));
/// ```
#[macro_export]
macro_rules! ex_entry {
    ($insn:literal, $fixup:literal) => {
        concat!(
            ".pushsection __ex_table, \"a\"\n",
            ".balign 4\n",
            ".long ",
            $insn,
            " - .\n",
            ".long ",
            $fixup,
            " - .\n",
            ".popsection\n"
        )
    };
}

/// Starts out-of-line fixup code: it goes to `.text.fixup`, away from the fast path, as
/// Linux's `.fixup` section did. End it with [`fixup_end!`](crate::fixup_end).
#[macro_export]
macro_rules! fixup_begin {
    () => {
        ".pushsection .text.fixup, \"ax\"\n"
    };
}

/// Ends out-of-line fixup code started by [`fixup_begin!`](crate::fixup_begin).
#[macro_export]
macro_rules! fixup_end {
    () => {
        ".popsection\n"
    };
}

/// The exception-table entries the linker collected from every `__ex_table` section, as a
/// `&'static mut [ExtableEntry]` for `ExceptionTable::install`.
///
/// It refers to `__start___ex_table` and `__stop___ex_table`, which the linker defines (see
/// the module documentation); a kernel that does not invoke this macro never refers to them.
///
/// # Safety
/// The expansion calls an `unsafe fn`, so it must stand inside the caller's `unsafe` block:
/// call it once, at boot, before the table is in use, and hand the result straight to
/// `ExceptionTable::install` (it aliases the linked section).
#[macro_export]
macro_rules! linker_ex_table {
    () => {{
        extern "C" {
            static mut __start___ex_table: $crate::__private::ExtableEntry;
            static mut __stop___ex_table: $crate::__private::ExtableEntry;
        }
        $crate::__private::linked_section_mut(
            core::ptr::addr_of_mut!(__start___ex_table),
            core::ptr::addr_of_mut!(__stop___ex_table),
        )
    }};
}

/// The records of type `T` a linker collected between `start` and `stop` (the
/// `__start_`/`__stop_` symbols of a section), as one slice.
///
/// # Safety
/// `start` and `stop` bound a section of `T` records, `start <= stop`, suitably aligned; the
/// caller takes the only reference to them for as long as it keeps the slice.
///
/// # Context
/// Never sleeps; boot.
#[doc(hidden)]
pub unsafe fn linked_section_mut<T>(start: *mut T, stop: *mut T) -> &'static mut [T] {
    let len = (stop as usize - start as usize) / core::mem::size_of::<T>();
    // SAFETY: the caller's contract: the linker bounds a run of `len` aligned records, and
    // this is the only reference to them.
    unsafe { core::slice::from_raw_parts_mut(start, len) }
}
