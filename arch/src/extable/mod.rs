//! The exception table of the bare-metal images, written once for every arch: the `__ex_table`
//! section each linker script collects between `__start___ex_table` and `__stop___ex_table`,
//! sorted once at boot and searched by the fault handlers with the core's `extable::search`.
//!
//! Entries are emitted by [`ex_entry!`](asm) beside each user-access instruction: two 32-bit
//! offsets, each relative to its own field (the core's `ExtableEntry`). The fixup code they
//! point at sits out of line between `fixup_begin!` and `fixup_end!`. What stays per arch is
//! only which instruction faults and what its fixup does.

#[macro_use]
mod asm;
mod table;

pub use table::{init, search};
