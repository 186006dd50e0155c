//! This kernel's exception table: the library's `ExceptionTable`, filled at boot with the
//! entries the linker collected from every `__ex_table` section (the library's accessors' and
//! this kernel's own), handed over in reverse order on purpose (see `extable_reverse`).

use mightfault_core::extable::ExceptionTable;

/// The table every fault handler of this kernel searches.
pub static EXTABLE: ExceptionTable = ExceptionTable::new();

/// Reverses the linked entries, has the library sort and install them. Returns the number of
/// entries.
///
/// # Safety
/// Once, on the boot cpu, before any user access and before other cpus run.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() -> usize {
    // SAFETY: the caller's contract: once, at boot, before the table is in use; this is the
    // only reference to the linked section, rewritten here and then handed over whole.
    let entries = unsafe { mightfault_arch::linker_ex_table!() };
    crate::extable_reverse::reverse(entries);
    // SAFETY: the caller's contract: once, at boot, before the table is searched; nothing
    // else writes the linked section from now on.
    unsafe { EXTABLE.install(entries) }
}
