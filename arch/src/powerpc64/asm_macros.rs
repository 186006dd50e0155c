//! Assembly building blocks shared by the entry, exception and accessor code.

/// Loads the 64-bit absolute address of a symbol into a register (five instructions: the
/// kernel lives at 0xc000..., out of reach of shorter forms; the code runs before r2 is set).
macro_rules! load64 {
    ($reg:literal, $sym:literal) => {
        concat!(
            "lis ",
            $reg,
            ", ",
            $sym,
            "@highest\n",
            "ori ",
            $reg,
            ", ",
            $reg,
            ", ",
            $sym,
            "@higher\n",
            "rldicr ",
            $reg,
            ", ",
            $reg,
            ", 32, 31\n",
            "oris ",
            $reg,
            ", ",
            $reg,
            ", ",
            $sym,
            "@high\n",
            "ori ",
            $reg,
            ", ",
            $reg,
            ", ",
            $sym,
            "@l\n"
        )
    };
}

/// An exception-table entry for the instruction at label `$insn`, continuing at `$fixup`: two
/// 32-bit offsets relative to their own fields (the core's `ExtableEntry`).
macro_rules! ex_entry {
    ($insn:literal, $fixup:literal) => {
        concat!(
            ".pushsection __ex_table, \"a\"\n",
            ".balign 4\n",
            ".long (",
            $insn,
            " - .), (",
            $fixup,
            " - .)\n",
            ".popsection\n"
        )
    };
}

/// Starts out-of-line fixup code (kept away from the fast path).
macro_rules! fixup_begin {
    () => {
        ".pushsection .text.fixup, \"ax\"\n"
    };
}

/// Ends out-of-line fixup code.
macro_rules! fixup_end {
    () => {
        ".popsection\n"
    };
}
