//! This kernel's exception table: the library's `ExceptionTable`, filled at boot with the
//! entries the linker collected from every `__ex_table` section (the library's accessors' and
//! this kernel's own).

use mightfault_core::extable::{ExceptionTable, ExtableEntry};

/// The table every fault handler of this kernel searches.
pub static EXTABLE: ExceptionTable = ExceptionTable::new();

/// Sorts the linked entries and installs them. Returns the number of entries.
///
/// # Safety
/// Once, on the boot cpu, before any user access and before other cpus run.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() -> usize {
    // SAFETY: the caller's contract: once, at boot, before the table is searched; the linked
    // section is handed over whole and nothing else writes it.
    unsafe { EXTABLE.install(mightfault_arch::linker_ex_table!()) }
}

/// The entry for the instruction at `addr`, if it is a user access. None before [`init`].
///
/// # Context
/// Never sleeps; any context, including the fault handlers.
pub fn search(addr: usize) -> Option<&'static ExtableEntry> {
    EXTABLE.search(addr)
}
