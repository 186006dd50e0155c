//! The exception table is installed out of order, on purpose.
//!
//! Every table the linker has produced here so far happens to be sorted already, so a kernel
//! that installed it as linked would never notice if `ExceptionTable::install` stopped sorting:
//! the binary search would still find every entry. Reversed, the table is out of order on every
//! boot of every image, and each fault the suites fix up depends on the library's sort. A real
//! kernel hands its linked table over as it is.

use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_core::extable::{is_sorted, ExtableEntry};

/// Whether [`reverse`] left the table out of order.
static OUT_OF_ORDER: AtomicBool = AtomicBool::new(false);

/// Reverses a table in place, before it is installed. Entries are relative to where they
/// stand, so each one is re-pointed at the other's targets rather than copied.
pub(crate) fn reverse(entries: &mut [ExtableEntry]) {
    let len = entries.len();
    for low in 0..len / 2 {
        let high = len - 1 - low;
        let low_targets = (entries[low].insn_addr(), entries[low].fixup_addr());
        let high_targets = (entries[high].insn_addr(), entries[high].fixup_addr());
        // Both entries and all their targets lie in this one image, well within 2 GiB.
        let placed = entries[low].set(high_targets.0, high_targets.1)
            && entries[high].set(low_targets.0, low_targets.1);
        assert!(placed, "an exception-table entry cannot reach its target");
    }
    OUT_OF_ORDER.store(!is_sorted(entries), Ordering::Relaxed);
}

/// Whether the table was out of order when boot installed it (false before that): the tests
/// check it so that a table that happened to stay sorted cannot pass for one the library
/// sorted.
///
/// # Context
/// Never sleeps; any context.
pub fn installed_out_of_order() -> bool {
    OUT_OF_ORDER.load(Ordering::Relaxed)
}
