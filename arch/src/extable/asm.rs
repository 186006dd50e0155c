//! The assembler snippets that build the exception table, as macros that expand to string
//! literals (so they can sit among the pieces of an `asm!` template). The directives are the
//! same for every arch's assembler; only the instructions around them differ.
//!
//! Labels are the caller's: local numeric labels, and on x86_64 never ones made of the digits 0
//! and 1 alone, which the Intel-syntax parser would read as binary numbers.

/// An exception-table entry for the instruction at label `$insn` whose fault continues at label
/// `$fixup`: two 32-bit offsets, each relative to its own field, matching
/// `mightfault_core::extable::ExtableEntry` (one `.long` each, so that `.` is that field).
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
