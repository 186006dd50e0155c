//! The simulation's exception table.
//!
//! Hardware backends put an entry beside each user-access instruction. The simulation has no
//! instructions to point at, so each access site is a static marker, and the table is built
//! from their addresses at first use with the same relative entries, the same sort and the
//! same `ExceptionTable` (sort at install, binary search) that the images use.

use std::cell::UnsafeCell;
use std::sync::Once;

use mightfault_core::extable::{ExceptionTable, ExtableEntry};

/// An access site: only its address matters. Each holds a different value so that no two can
/// be merged into one address.
#[repr(transparent)]
pub(crate) struct Site(#[allow(dead_code)] u8);

pub(crate) static COPY_TO_USER: Site = Site(1);
pub(crate) static COPY_FROM_USER: Site = Site(2);
pub(crate) static CLEAR_USER: Site = Site(3);
pub(crate) static GET_USER: Site = Site(4);
pub(crate) static PUT_USER: Site = Site(5);
pub(crate) static FUTEX: Site = Site(8);
/// A plain kernel dereference of a user address: deliberately without an entry.
pub(crate) static PLAIN_ACCESS: Site = Site(6);
/// Where fixed-up accesses continue; the simulation's accessors return from there.
static FIXUP: Site = Site(7);

const COVERED: [&Site; 6] = [
    &COPY_TO_USER,
    &COPY_FROM_USER,
    &CLEAR_USER,
    &GET_USER,
    &PUT_USER,
    &FUTEX,
];

struct Table(UnsafeCell<[ExtableEntry; COVERED.len()]>);

// SAFETY: the table is written only inside `BUILD.call_once`, before any reference to it is
// handed out; afterwards it is only read.
unsafe impl Sync for Table {}

// The table is a static (not a heap allocation) so that the sites, which are statics too, are
// within the ±2 GiB a relative entry can reach.
static TABLE: Table = Table(UnsafeCell::new(
    [const { ExtableEntry::empty() }; COVERED.len()],
));
static BUILD: Once = Once::new();

/// The address a site stands for.
pub(crate) fn site_addr(site: &'static Site) -> usize {
    site as *const Site as usize
}

static EXTABLE: ExceptionTable = ExceptionTable::new();

/// The installed table, built on first use.
pub(crate) fn table() -> &'static ExceptionTable {
    BUILD.call_once(|| {
        // SAFETY: inside call_once nobody else can see the entries yet (see `Table`).
        let entries = unsafe { &mut *TABLE.0.get() };
        // Filled in reverse so that the install's sort has work to do.
        for (entry, site) in entries.iter_mut().zip(COVERED.iter().rev()) {
            let placed = entry.set(site_addr(site), site_addr(&FIXUP));
            assert!(
                placed,
                "simulation access sites must lie within 2 GiB of the table"
            );
        }
        // SAFETY: once, inside call_once: nothing searches the table before it returns, and
        // the entries are never written again.
        unsafe { EXTABLE.install(entries) };
    });
    &EXTABLE
}

/// The fixup address for a faulting site, if the site is a user access.
pub(crate) fn fixup_for(site: &'static Site) -> Option<usize> {
    table()
        .search(site_addr(site))
        .map(ExtableEntry::fixup_addr)
}

/// Where every fixup of the simulation lands.
pub(crate) fn fixup_landing() -> usize {
    site_addr(&FIXUP)
}
