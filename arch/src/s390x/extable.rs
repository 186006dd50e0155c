//! The kernel's exception table: the `__ex_table` section between `__start___ex_table` and
//! `__stop___ex_table` (link.ld), sorted once at boot with the core's `extable::sort` and
//! searched by the program-check handler with `extable::search`.
//!
//! `ex_entry!` emits an entry beside each user-access instruction: two 32-bit offsets, each
//! relative to its own field (the core's `ExtableEntry`).

use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::extable::{self, ExtableEntry};

extern "C" {
    static mut __start___ex_table: ExtableEntry;
    static mut __stop___ex_table: ExtableEntry;
}

static SORTED: AtomicBool = AtomicBool::new(false);

fn bounds() -> (*mut ExtableEntry, usize) {
    let start = addr_of_mut!(__start___ex_table);
    let stop = addr_of_mut!(__stop___ex_table);
    let len = (stop as usize - start as usize) / core::mem::size_of::<ExtableEntry>();
    (start, len)
}

/// Sorts the table (entries arrive in link order); returns the number of entries.
///
/// # Safety
/// Once, on the boot cpu, before any user access and before other cpus run.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() -> usize {
    let (start, len) = bounds();
    // SAFETY: the section is ours and writable, and nothing reads it yet.
    let table = unsafe { core::slice::from_raw_parts_mut(start, len) };
    extable::sort(table);
    SORTED.store(true, Ordering::Release);
    len
}

/// The entry for the instruction at `addr`, if it is a user access.
///
/// # Context
/// Never sleeps; any context after [`init`], including the program-check handler.
pub fn search(addr: usize) -> Option<&'static ExtableEntry> {
    debug_assert!(SORTED.load(Ordering::Acquire));
    let (start, len) = bounds();
    // SAFETY: after init() the table is never written again.
    let table = unsafe { core::slice::from_raw_parts(start, len) };
    extable::search(table, addr)
}

/// An exception-table entry for the instruction at local label `$insn`, continuing at `$fixup`.
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
            ".popsection"
        )
    };
}
