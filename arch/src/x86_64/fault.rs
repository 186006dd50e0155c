//! Classification of x86_64 data-access faults for the contract's decision
//! (`crate::data_fault::decide`).
//!
//! A kernel's #PF handler reads CR2 first (before anything can fault again), then hands the
//! address, the error code and the faulting code's RFLAGS to [`classify_page_fault`]:
//! - a kernel address (at or above the user limit): only a user accessor handed a kernel
//!   pointer may fault there; fixed up if the instruction has an entry, an oops otherwise;
//! - a user address touched with AC clear while SMAP is on: the kernel dereferenced a user
//!   pointer outside `stac`/`clac`. Not a user access, whatever the page: fixed up only where
//!   the instruction has an entry, an oops otherwise, as Linux treats it;
//! - reserved-bit or instruction-fetch faults: an oops;
//! - otherwise a user fault, which the contract resolves (may sleep) or fixes up.
//!
//! A #GP inside a user access (a non-canonical address, say `__get_user` of
//! 0x8000_0000_0000_0000) is [`GENERAL_PROTECTION`]: fixed up where there is an entry. Every
//! get_user()/put_user() of an address outside user space takes this path: the accessors'
//! address mask (`super::uaccess::mask_user_address`) turns such an address into a
//! non-canonical one, so the kernel's #GP handler must fix it up as it does a #PF.

use crate::data_fault::DataFault;

use super::rflags::{RFLAGS_AC, RFLAGS_IF};

/// #PF error code: the page was present (a protection fault).
pub const PF_PRESENT: u64 = 1 << 0;
/// #PF error code: a write.
pub const PF_WRITE: u64 = 1 << 1;
/// #PF error code: a reserved bit was set in a paging entry.
pub const PF_RESERVED: u64 = 1 << 3;
/// #PF error code: an instruction fetch.
pub const PF_INSTRUCTION: u64 = 1 << 4;

/// A page fault as the cpu reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFault {
    /// The faulting address (CR2).
    pub address: usize,
    /// The #PF error code.
    pub error: u64,
    /// The faulting code's RFLAGS (from the interrupt frame).
    pub rflags: u64,
}

impl PageFault {
    /// Whether this is a kernel touch of user memory outside `stac`/`clac` with SMAP on.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_smap_violation(&self, smap_on: bool, user_limit: usize) -> bool {
        smap_on && self.address < user_limit && self.rflags & RFLAGS_AC == 0
    }
}

/// What a page fault is, for `crate::data_fault::decide`. `user_limit` is the kernel's first
/// address above user space; `smap_on` whether CR4.SMAP is set on this cpu.
///
/// ```
/// use mightfault_arch::data_fault::DataFault;
/// use mightfault_arch::x86_64::fault::{classify_page_fault, PageFault, PF_WRITE};
///
/// const LIMIT: usize = 0x7fff_ffff_f000;
/// let inside_stac = PageFault { address: 0x4000_0000, error: PF_WRITE, rflags: 1 << 18 | 1 << 9 };
/// assert_eq!(
///     classify_page_fault(&inside_stac, LIMIT, true),
///     DataFault::User { address: 0x4000_0000, write: true, irqs_were_on: true }
/// );
/// let plain_deref = PageFault { rflags: 1 << 9, ..inside_stac };
/// assert_eq!(classify_page_fault(&plain_deref, LIMIT, true), DataFault::FixupOnly);
/// ```
///
/// # Context
/// Never sleeps; any context (the #PF handler).
pub fn classify_page_fault(fault: &PageFault, user_limit: usize, smap_on: bool) -> DataFault {
    if fault.address >= user_limit || fault.is_smap_violation(smap_on, user_limit) {
        DataFault::FixupOnly
    } else if fault.error & (PF_RESERVED | PF_INSTRUCTION) != 0 {
        DataFault::Fatal
    } else {
        DataFault::User {
            address: fault.address,
            write: fault.error & PF_WRITE != 0,
            irqs_were_on: fault.rflags & RFLAGS_IF != 0,
        }
    }
}

/// What a general-protection fault is: fixed up when the instruction is a user access (a
/// non-canonical user pointer), an oops otherwise.
pub const GENERAL_PROTECTION: DataFault = DataFault::FixupOnly;
