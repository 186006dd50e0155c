//! Assembler snippets shared by the `asm!` blocks of this backend, as macros that expand to
//! string literals (so they can sit among the pieces of an `asm!` template).
//!
//! Labels: local numeric labels only, and never ones made of the digits 0 and 1 alone, which
//! the Intel-syntax parser would read as binary numbers. 771/772 are reserved for the SMAP
//! sites below; the accessors use 2..=6.

/// An exception-table entry for the instruction at label `$insn` whose fault continues at label
/// `$fixup`: two 32-bit offsets, each relative to its own field, matching
/// `mightfault_core::extable::ExtableEntry`.
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

/// `stac` (open user access), recorded in `smap_sites` so that boot can turn it into a NOP on a
/// cpu without SMAP, where the instruction itself would be #UD.
macro_rules! stac {
    () => {
        concat!(
            "771: stac\n",
            ".pushsection smap_sites, \"a\"\n",
            ".balign 4\n",
            ".long 771b - .\n",
            ".popsection\n"
        )
    };
}

/// `clac` (close user access), recorded in `smap_sites` like [`stac!`].
macro_rules! clac {
    () => {
        concat!(
            "772: clac\n",
            ".pushsection smap_sites, \"a\"\n",
            ".balign 4\n",
            ".long 772b - .\n",
            ".popsection\n"
        )
    };
}

/// Starts out-of-line fixup code: it goes to `.text.fixup`, away from the fast path, as Linux's
/// `.fixup` section did. End it with [`fixup_end!`].
macro_rules! fixup_begin {
    () => {
        ".pushsection .text.fixup, \"ax\"\n"
    };
}

/// Ends out-of-line fixup code started by [`fixup_begin!`].
macro_rules! fixup_end {
    () => {
        ".popsection\n"
    };
}
