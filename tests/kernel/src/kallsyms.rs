//! The images' symbol table area: reserved here, filled by `cargo xtask kallsyms` after each
//! link (xtask does it for every image it builds), read by every arch's `Arch::kernel_symbols`.

// Room for the images' ~500 functions (about 60 KiB of names and entries today) with headroom;
// the build tool says so when a table no longer fits.
mightfault_core::kallsyms_area!(pub fn kernel_symbols, 192 * 1024);
