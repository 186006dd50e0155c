//! The kernel's exception table: the `__ex_table` section the linker script collects between
//! `__start___ex_table` and `__stop___ex_table`, sorted once at boot and searched by the fault
//! handler with the core's `extable::search`.
//!
//! Entries are emitted by `ex_entry!` beside each user-access instruction in `uaccess.rs`.

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::extable::{self, ExtableEntry};

extern "C" {
    static mut __start___ex_table: ExtableEntry;
    static mut __stop___ex_table: ExtableEntry;
}

static SORTED: AtomicBool = AtomicBool::new(false);

fn bounds() -> (*mut ExtableEntry, usize) {
    // The linker defines both symbols around the collected entries (link.ld).
    let start = addr_of_mut!(__start___ex_table);
    let stop = addr_of_mut!(__stop___ex_table);
    let len = (stop as usize - start as usize) / core::mem::size_of::<ExtableEntry>();
    (start, len)
}

/// Sorts the table by instruction address; returns the number of entries.
///
/// # Safety
/// Once, on the boot cpu, before any user access and before other cpus run.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() -> usize {
    let (start, len) = bounds();
    // SAFETY: the section is ours and writable; nothing reads it yet.
    let table = unsafe { core::slice::from_raw_parts_mut(start, len) };
    if !extable::is_sorted(table) {
        extable::sort(table);
    }
    SORTED.store(true, Ordering::Release);
    len
}

/// The entry for the instruction at `nip`, if it is a user access.
///
/// # Context
/// Never sleeps; any context after [`init`], including the fault handler.
pub fn search(nip: u64) -> Option<&'static ExtableEntry> {
    if !SORTED.load(Ordering::Acquire) {
        return None;
    }
    let (start, len) = bounds();
    // SAFETY: after init() the table is never written again.
    let table = unsafe { core::slice::from_raw_parts(start, len) };
    extable::search(table, nip as usize)
}
