//! fault_in_writeable / fault_in_readable.

use mightfault_uaccess::nofault::{copy_to_user_nofault, fault_in_readable, fault_in_writeable};

use super::{no_reports, switches, DATA, OLD};
use crate::ktap::Outcome;
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, check, kernel_addr};

/// fault_in_writeable/fault_in_readable page in every page of a range (starting mid-page),
/// keep evicted pages' contents, and return 0.
pub(super) fn fault_in_makes_pages_present<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::NotPresent,
        PageKind::NotPresent,
        PageKind::PresentRw,
        PageKind::NotPresent,
        PageKind::NotPresent,
    ]);
    let before = switches::<M>();
    let left = fault_in_writeable::<M>(user + 100, 2 * page + 10);
    check!(M, left == 0, "fault_in_writeable left {} bytes", left);
    for index in 0..3 {
        check!(
            M,
            M::user_page_present(user + index * page),
            "page {} not faulted in for writing",
            index
        );
    }
    check!(
        M,
        switches::<M>() >= before + 3,
        "three page-ins slept {} times",
        switches::<M>() - before
    );
    check!(
        M,
        copy_to_user_nofault::<M>(user + 2 * page, &DATA) == Ok(()),
        "a faulted-in page is not writable"
    );
    let left = fault_in_readable::<M>(user + 4 * page, 2 * page);
    check!(M, left == 0, "fault_in_readable left {} bytes", left);
    check!(
        M,
        M::user_page_present(user + 4 * page) && M::user_page_present(user + 5 * page),
        "pages not faulted in for reading"
    );
    // Evicted pages come back with their contents, also after a write fault-in.
    let kept = user + 3 * page + 8;
    check!(M, M::poke_user(kept, &OLD), "setup write");
    for (write, what) in [(true, "fault_in_writeable"), (false, "fault_in_readable")] {
        check!(M, M::evict_user_page(kept), "setup eviction");
        let left = if write {
            fault_in_writeable::<M>(kept, 64)
        } else {
            fault_in_readable::<M>(kept, 64)
        };
        check!(M, left == 0, "{} of an evicted page left {}", what, left);
        let mut seen = [0u8; 64];
        check!(
            M,
            M::peek_user(kept, &mut seen) && seen == OLD,
            "{} changed the page's contents",
            what
        );
    }
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// The result counts the bytes from the first page that could not be faulted in; bad ranges
/// return their size, empty ones 0.
pub(super) fn fault_in_counts_bytes_not_faulted_in<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::Unmapped,
        PageKind::PresentRo,
    ]);
    let start = user + page - 10;
    let left = fault_in_writeable::<M>(start, 30);
    check!(
        M,
        left == 20,
        "fault_in_writeable into unmapped left {}",
        left
    );
    check!(
        M,
        M::user_page_present(user),
        "the first page not faulted in"
    );
    let left = fault_in_readable::<M>(start, 30);
    check!(
        M,
        left == 20,
        "fault_in_readable into unmapped left {}",
        left
    );
    let left = fault_in_writeable::<M>(user + page + 5, 100);
    check!(
        M,
        left == 100,
        "fault_in_writeable of unmapped left {}",
        left
    );
    let read_only = user + 2 * page;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let left = fault_in_writeable::<M>(read_only, 64);
    check!(
        M,
        left == 64,
        "fault_in_writeable of read-only left {}",
        left
    );
    let left = fault_in_readable::<M>(read_only, 64);
    check!(M, left == 0, "fault_in_readable of read-only left {}", left);
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(read_only, &mut seen) && seen == OLD,
        "the read-only page changed"
    );
    check!(
        M,
        fault_in_writeable::<M>(kernel_addr(), 64) == 64
            && fault_in_readable::<M>(kernel_addr(), 64) == 64,
        "a kernel address"
    );
    check!(
        M,
        fault_in_writeable::<M>(usize::MAX - 3, 8) == 8,
        "a wrapping range"
    );
    check!(
        M,
        fault_in_writeable::<M>(user + page, 0) == 0 && fault_in_readable::<M>(0, 0) == 0,
        "an empty range"
    );
    check!(M, canary_intact(), "kernel memory changed");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}
