//! The arch-suite case every bare-metal image runs about its exception table: the kernel hands
//! `ExceptionTable::install` its linked entries out of order (see
//! `mightfault_test_kernel::extable_reverse`), and the installed table must still find every
//! entry.
//!
//! The suites' faults show the same thing one access site at a time; this case covers every
//! entry, including sites no case happens to fault at, so a sort that misplaces a few entries
//! is caught too.

use mightfault_core::extable::is_sorted;
use mightfault_test_kernel::{extable, extable_reverse};

use crate::ktap::Outcome;
use crate::machine::SeedMachine;
use crate::support::check;

/// The installed table came from an out-of-order one, is sorted, and finds every entry at its
/// own instruction with its own fixup.
///
/// # Context
/// Never sleeps; task context.
pub(super) fn exception_table_sorted_at_install<M: SeedMachine>() -> Outcome {
    check!(
        M,
        extable_reverse::installed_out_of_order(),
        "the kernel installed its exception table in order: nothing depended on the sort"
    );
    let entries = extable::EXTABLE.entries();
    check!(
        M,
        entries.len() >= 2,
        "{} exception-table entries installed",
        entries.len()
    );
    check!(M, is_sorted(entries), "the installed table is out of order");
    for entry in entries {
        let insn = entry.insn_addr();
        let found = extable::EXTABLE
            .search(insn)
            .map(|found| found.fixup_addr());
        check!(
            M,
            found == Some(entry.fixup_addr()),
            "a fault at {:#x} finds fixup {:x?}, expected {:#x}",
            insn,
            found,
            entry.fixup_addr()
        );
    }
    Outcome::Pass
}
