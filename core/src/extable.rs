//! The exception table: for each instruction that may fault on user memory, where to continue
//! when the fault is not resolved.
//!
//! Entries hold 32-bit offsets relative to the entry's own fields, as Linux's do, so the table is
//! position independent and half the size of absolute pointers. Backends emit entries beside
//! each user-access instruction, get the table's bounds from the linker (or build it at run
//! time, as the host simulation does), sort it once at boot and search it on every fault.

use core::mem::size_of;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// One exception-table entry: a faulting instruction and its fixup, both relative.
#[repr(C)]
#[derive(Debug)]
pub struct ExtableEntry {
    insn: i32,
    fixup: i32,
}

const FIXUP_FIELD_OFFSET: usize = size_of::<i32>();

impl ExtableEntry {
    /// An entry that must be placed with [`ExtableEntry::set`] before use.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn empty() -> Self {
        Self { insn: 0, fixup: 0 }
    }

    fn base(&self) -> usize {
        self as *const Self as usize
    }

    /// The address of the instruction this entry covers.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn insn_addr(&self) -> usize {
        self.base().wrapping_add_signed(self.insn as isize)
    }

    /// The address to continue at when the instruction's fault is fixed up.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn fixup_addr(&self) -> usize {
        (self.base() + FIXUP_FIELD_OFFSET).wrapping_add_signed(self.fixup as isize)
    }

    /// Points this entry, where it stands, at `insn` and `fixup`. Returns false (and leaves the
    /// entry alone) when either lies more than 2 GiB away, which a relative entry cannot hold.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn set(&mut self, insn: usize, fixup: usize) -> bool {
        let insn_rel = i32::try_from(insn.wrapping_sub(self.base()) as isize);
        let fixup_rel =
            i32::try_from(fixup.wrapping_sub(self.base() + FIXUP_FIELD_OFFSET) as isize);
        match (insn_rel, fixup_rel) {
            (Ok(insn), Ok(fixup)) => {
                self.insn = insn;
                self.fixup = fixup;
                true
            }
            _ => false,
        }
    }
}

/// Swaps entries `a` and `b` of `table`, keeping each one's absolute targets: an entry that moves
/// by `delta` bytes needs its offsets moved by `-delta`.
fn swap_entries(table: &mut [ExtableEntry], a: usize, b: usize) {
    if a == b {
        return;
    }
    let delta = (b as isize - a as isize) * size_of::<ExtableEntry>() as isize;
    let delta = delta as i32;
    let (insn_a, fixup_a) = (table[a].insn, table[a].fixup);
    let (insn_b, fixup_b) = (table[b].insn, table[b].fixup);
    table[a].insn = insn_b.wrapping_add(delta);
    table[a].fixup = fixup_b.wrapping_add(delta);
    table[b].insn = insn_a.wrapping_sub(delta);
    table[b].fixup = fixup_a.wrapping_sub(delta);
}

/// Sorts a table by instruction address in place (heapsort: no allocation, no recursion, and
/// safe to run before anything else works at boot).
///
/// # Context
/// Never sleeps; boot or single-threaded setup (it rewrites the table).
pub fn sort(table: &mut [ExtableEntry]) {
    let len = table.len();
    for start in (0..len / 2).rev() {
        sift_down(table, start, len);
    }
    for end in (1..len).rev() {
        swap_entries(table, 0, end);
        sift_down(table, 0, end);
    }
}

fn sift_down(table: &mut [ExtableEntry], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && table[child + 1].insn_addr() > table[child].insn_addr() {
            child += 1;
        }
        if table[root].insn_addr() >= table[child].insn_addr() {
            return;
        }
        swap_entries(table, root, child);
        root = child;
    }
}

/// Whether the table is sorted by instruction address.
///
/// # Context
/// Never sleeps; any context.
pub fn is_sorted(table: &[ExtableEntry]) -> bool {
    table
        .windows(2)
        .all(|pair| pair[0].insn_addr() <= pair[1].insn_addr())
}

/// Finds the entry for the instruction at `ip` in a sorted table.
///
/// # Context
/// Never sleeps; any context, including the fault handler.
pub fn search(table: &[ExtableEntry], ip: usize) -> Option<&ExtableEntry> {
    table
        .binary_search_by(|entry| entry.insn_addr().cmp(&ip))
        .ok()
        .map(|index| &table[index])
}

/// A kernel's exception table: the entries its user accessors emitted, sorted once and then
/// searched by the fault handler.
///
/// Where the entries come from is the kernel's choice: the linker's `__ex_table` section
/// (`mightfault_arch::linker_ex_table!`), a table built at run time, or several. Until
/// [`ExceptionTable::install`] has run, every search finds nothing, so a fault that early is
/// reported as a bug instead of being fixed up through an unsorted table.
pub struct ExceptionTable {
    entries: AtomicPtr<ExtableEntry>,
    len: AtomicUsize,
}

impl ExceptionTable {
    /// An empty table; [`ExceptionTable::install`] fills it.
    ///
    /// # Context
    /// Never sleeps; any context (it is a `const fn`, meant for a `static`).
    pub const fn new() -> Self {
        Self {
            entries: AtomicPtr::new(core::ptr::null_mut()),
            len: AtomicUsize::new(0),
        }
    }

    /// Sorts `entries` by instruction address (unless they already are) and makes them the
    /// table that [`ExceptionTable::search`] looks in. Returns the number of entries.
    ///
    /// # Safety
    /// Nothing else may write `entries` from now on, and no fault handler may search this
    /// table while it is being installed (install it at boot, before the first user access).
    ///
    /// # Context
    /// Never sleeps; boot, before other cpus use the table.
    pub unsafe fn install(&self, entries: &'static mut [ExtableEntry]) -> usize {
        if !is_sorted(entries) {
            sort(entries);
        }
        let len = entries.len();
        self.len.store(len, Ordering::Relaxed);
        self.entries.store(entries.as_mut_ptr(), Ordering::Release);
        len
    }

    /// The installed entries (empty before [`ExceptionTable::install`]).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn entries(&self) -> &'static [ExtableEntry] {
        let start = self.entries.load(Ordering::Acquire);
        if start.is_null() {
            return &[];
        }
        // SAFETY: install() published a 'static slice of this length before the pointer
        // (Release/Acquire), and nothing writes it afterwards (install's contract).
        unsafe { core::slice::from_raw_parts(start, self.len.load(Ordering::Relaxed)) }
    }

    /// The entry for the instruction at `ip`, if that instruction is a user access.
    ///
    /// # Context
    /// Never sleeps; any context, including the fault handlers.
    pub fn search(&self, ip: usize) -> Option<&'static ExtableEntry> {
        search(self.entries(), ip)
    }
}

impl Default for ExceptionTable {
    fn default() -> Self {
        Self::new()
    }
}
