//! Classification of powerpc64 data-access interrupts for the contract's decision
//! (`crate::data_fault::decide`).
//!
//! Two interrupts report a data access that failed to translate (radix MMU, ISA 3.0):
//! - the data storage interrupt ([`VECTOR_DATA_STORAGE`], 0x300): the radix walk found no valid
//!   entry or the entry forbids the access; DAR holds the address, DSISR says why and whether
//!   it was a store ([`DSISR_STORE`]);
//! - the data segment interrupt ([`VECTOR_DATA_SEGMENT`], 0x380): the address lies in a
//!   quadrant (or beyond the tree's size) that has no translation at all; DAR holds the
//!   address, DSISR is not set.
//!
//! A kernel's handler reads DAR and DSISR first (before anything can fault again), takes the
//! faulting code's MSR from SRR1 and its AMR from what the interrupt entry saved, and hands
//! them to [`classify_data_access`]:
//! - a data segment interrupt, or an address at or above the user limit: only a user accessor
//!   handed such a pointer may fault there; fixed up if the instruction has an entry, an oops
//!   otherwise;
//! - a user address touched while the faulting code's AMR blocked that direction (outside a
//!   user-access window, [`super::kuap`]): the kernel dereferenced a user pointer, which no
//!   page-in cures (as Linux's `bad_kuap_fault`, and x86_64's SMAP violation); handled as the
//!   previous case, so a plain load of a user page oopses unless it has an entry of its own;
//! - otherwise a user fault, a store when DSISR says so, with interrupts on when the faulting
//!   code's MSR\[EE\] was set; the contract resolves it (may sleep) or fixes it up;
//! - any other vector is not a data access: an oops.
//!
//! The AMR decides, not DSISR: a blocked access to a present user page is a protection fault
//! (DSISR\[PROTFAULT\], or \[KEYFAULT\] on hardware that reports the key), but so is a store to a
//! read-only page inside a window, which the contract must see; and a blocked access to a
//! missing page reports the missing entry first.

use crate::data_fault::DataFault;

use super::kuap::amr_blocks;
use super::msr::MSR_EE;

/// The data storage interrupt's vector.
pub const VECTOR_DATA_STORAGE: u64 = 0x300;
/// The data segment interrupt's vector.
pub const VECTOR_DATA_SEGMENT: u64 = 0x380;

/// DSISR: no valid translation (the radix walk found no valid entry).
pub const DSISR_NOHPTE: u64 = 0x4000_0000;
/// DSISR: the entry forbids the access (a protection fault).
pub const DSISR_PROTFAULT: u64 = 0x0800_0000;
/// DSISR: the access was a store.
pub const DSISR_STORE: u64 = 0x0200_0000;
/// DSISR: the storage key (the AMR, under radix) forbids the access.
pub const DSISR_KEYFAULT: u64 = 0x0020_0000;

/// A data storage or data segment interrupt as the cpu reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataAccessFault {
    /// The vector: [`VECTOR_DATA_STORAGE`] or [`VECTOR_DATA_SEGMENT`].
    pub vector: u64,
    /// The faulting address (DAR).
    pub dar: usize,
    /// Why the access failed (DSISR; meaningful for the data storage interrupt only).
    pub dsisr: u64,
    /// The faulting code's MSR (SRR1, as saved by the exception entry).
    pub srr1: u64,
    /// The faulting code's AMR, as the interrupt entry saved it before blocking user access
    /// (`super::kuap`).
    pub amr: u64,
}

impl DataAccessFault {
    /// Whether this is a data segment interrupt (an address with no translation at all).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_segment_fault(&self) -> bool {
        self.vector == VECTOR_DATA_SEGMENT
    }

    /// Whether the access was a store (DSISR; the data storage interrupt only).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_store(&self) -> bool {
        self.dsisr & DSISR_STORE != 0
    }

    /// Whether this is a kernel touch of user memory in a direction the faulting code's AMR
    /// blocked: outside a user-access window (or in a window for the other direction).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_kuap_violation(&self, user_limit: usize) -> bool {
        self.vector == VECTOR_DATA_STORAGE
            && self.dar < user_limit
            && amr_blocks(self.amr, self.is_store())
    }
}

/// What a data storage or data segment interrupt is, for `crate::data_fault::decide`.
/// `user_limit` is the kernel's first address above user space.
///
/// ```
/// use mightfault_arch::data_fault::DataFault;
/// use mightfault_arch::powerpc64::fault::{
///     classify_data_access, DataAccessFault, DSISR_NOHPTE, DSISR_PROTFAULT, DSISR_STORE,
///     VECTOR_DATA_SEGMENT, VECTOR_DATA_STORAGE,
/// };
/// use mightfault_arch::powerpc64::kuap::{AMR_ALLOW_READ, AMR_ALLOW_WRITE, AMR_BLOCKED};
///
/// const LIMIT: usize = 0x0010_0000_0000_0000;
/// // A store inside a write window to a page that is not there: a user fault.
/// let store = DataAccessFault {
///     vector: VECTOR_DATA_STORAGE,
///     dar: 0x1000_0000,
///     dsisr: DSISR_NOHPTE | DSISR_STORE,
///     srr1: 1 << 15, // MSR[EE]
///     amr: AMR_ALLOW_WRITE,
/// };
/// assert_eq!(
///     classify_data_access(&store, LIMIT),
///     DataFault::User { address: 0x1000_0000, write: true, irqs_were_on: true }
/// );
/// // The same store inside a read window, or outside any window: a bad kernel access.
/// let read_window = DataAccessFault { amr: AMR_ALLOW_READ, ..store };
/// assert_eq!(classify_data_access(&read_window, LIMIT), DataFault::FixupOnly);
/// let plain_load = DataAccessFault { dsisr: DSISR_PROTFAULT, amr: AMR_BLOCKED, ..store };
/// assert_eq!(classify_data_access(&plain_load, LIMIT), DataFault::FixupOnly);
/// let kernel = DataAccessFault { dar: 0xc000_1000_0000_0000, ..store };
/// assert_eq!(classify_data_access(&kernel, LIMIT), DataFault::FixupOnly);
/// let segment = DataAccessFault { vector: VECTOR_DATA_SEGMENT, dar: 0x4000_0000_0000_0000, ..store };
/// assert_eq!(classify_data_access(&segment, LIMIT), DataFault::FixupOnly);
/// ```
///
/// # Context
/// Never sleeps; any context (the data storage and data segment handlers).
pub fn classify_data_access(fault: &DataAccessFault, user_limit: usize) -> DataFault {
    match fault.vector {
        VECTOR_DATA_SEGMENT => DataFault::FixupOnly,
        VECTOR_DATA_STORAGE if fault.dar >= user_limit => DataFault::FixupOnly,
        VECTOR_DATA_STORAGE if fault.is_kuap_violation(user_limit) => DataFault::FixupOnly,
        VECTOR_DATA_STORAGE => DataFault::User {
            address: fault.dar,
            write: fault.is_store(),
            irqs_were_on: fault.srr1 & MSR_EE != 0,
        },
        _ => DataFault::Fatal,
    }
}
