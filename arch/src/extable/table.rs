//! The linker-collected table: its bounds, the boot-time sort and the search.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::extable::{self, ExtableEntry};

extern "C" {
    static mut __start___ex_table: ExtableEntry;
    static mut __stop___ex_table: ExtableEntry;
}

/// Set once [`init`] has sorted the table; the search trusts the order only then.
static SORTED: AtomicBool = AtomicBool::new(false);

fn bounds() -> (*mut ExtableEntry, usize) {
    // The linker defines both symbols around the collected entries (each arch's link.ld).
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
    let (start, len) = bounds();
    // SAFETY: the section is ours, mapped writable, and nothing reads it yet.
    let table = unsafe { core::slice::from_raw_parts_mut(start, len) };
    if !extable::is_sorted(table) {
        extable::sort(table);
    }
    SORTED.store(true, Ordering::Release);
    len
}

/// The entry for the instruction at `addr`, if it is a user access. None before [`init`]: an
/// unsorted table cannot be searched, and a fault that early is a bug to report, not to fix up.
///
/// # Context
/// Never sleeps; any context, including the fault handlers.
pub fn search(addr: usize) -> Option<&'static ExtableEntry> {
    if !SORTED.load(Ordering::Acquire) {
        return None;
    }
    let (start, len) = bounds();
    // SAFETY: after init() the table is never written again.
    let table = unsafe { core::slice::from_raw_parts(start, len) };
    extable::search(table, addr)
}
