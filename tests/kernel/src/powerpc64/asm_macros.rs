//! Assembly building blocks of this kernel's entry and exception code (the user accessors and
//! their exception-table entries are the library's: `mightfault_arch::powerpc64::uaccess`).

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
