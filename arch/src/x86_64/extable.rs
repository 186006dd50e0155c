//! The kernel's exception table: the `__ex_table` section the linker script collects between
//! `__start___ex_table` and `__stop___ex_table`, sorted once at boot and searched by the fault
//! handlers with the core's `extable::search`.
//!
//! Entries are emitted by `ex_entry!` beside each user-access instruction (and the SMAP probe);
//! each is two 32-bit offsets relative to its own field, the core's `ExtableEntry`.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::extable::{self, ExtableEntry};

extern "C" {
    static mut __start___ex_table: ExtableEntry;
    static mut __stop___ex_table: ExtableEntry;
}

static SORTED: AtomicBool = AtomicBool::new(false);

fn table_bounds() -> (*mut ExtableEntry, usize) {
    // The linker defines both symbols around the collected entries (link.ld).
    let start = addr_of_mut!(__start___ex_table);
    let stop = addr_of_mut!(__stop___ex_table);
    let len = (stop as usize - start as usize) / core::mem::size_of::<ExtableEntry>();
    (start, len)
}

/// Sorts the table by instruction address (entries arrive in link order, not address order).
/// Returns the number of entries.
///
/// # Safety
/// Once, on the boot cpu, before any user access and before other cpus run.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() -> usize {
    let (start, len) = table_bounds();
    // SAFETY: the section is ours, mapped writable, and nothing reads it yet.
    let table = unsafe { core::slice::from_raw_parts_mut(start, len) };
    if !extable::is_sorted(table) {
        extable::sort(table);
    }
    SORTED.store(true, Ordering::Release);
    len
}

/// The whole table, read-only.
///
/// # Context
/// Never sleeps; any context after [`init`].
pub fn table() -> &'static [ExtableEntry] {
    debug_assert!(SORTED.load(Ordering::Acquire));
    let (start, len) = table_bounds();
    // SAFETY: after init() the table is never written again.
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// The entry for the instruction at `rip`, if it is a user access (or the SMAP probe).
///
/// # Context
/// Never sleeps; any context, including the fault handlers.
pub fn search(rip: u64) -> Option<&'static ExtableEntry> {
    extable::search(table(), rip as usize)
}
