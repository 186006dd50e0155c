//! `stac`/`clac` for the `asm!` blocks of this crate and of a kernel's own user access, as
//! macros that expand to string literals (so they can sit among the pieces of an `asm!`
//! template).
//!
//! Labels: local numeric labels only, and never ones made of the digits 0 and 1 alone, which
//! the Intel-syntax parser would read as binary numbers. 771/772 are reserved for the SMAP
//! sites below; the accessors use 2..=6. The exception-table macros are shared by every arch
//! (`crate::extable`).

/// `stac` (open user access), recorded in `smap_sites` so that boot can turn it into a NOP on a
/// cpu without SMAP, where the instruction itself would be #UD (see
/// [`x86_64::smap`](crate::x86_64::smap)).
#[macro_export]
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
#[macro_export]
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
