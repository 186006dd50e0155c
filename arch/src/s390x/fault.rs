//! Classification of s390x program interruptions for data accesses, for the contract's
//! decision (`crate::data_fault::decide`).
//!
//! A kernel's program-check handler copies what the cpu stored in its lowcore (the interruption
//! code, the instruction-length code, the translation-exception identification) and the program
//! old PSW into a [`ProgramInterruption`], then hands it to [`classify_program_interruption`]:
//!
//! - only the DAT exceptions are data-access faults a user access can take: the translation
//!   exceptions (segment [`PGM_SEGMENT_TRANSLATION`], page [`PGM_PAGE_TRANSLATION`], and the
//!   [`PGM_ASCE_TYPE`] and region exceptions 0x38-0x3b, raised for an address beyond the ASCE's
//!   reach) and the protection exception ([`PGM_PROTECTION`], a store to a DAT-protected page).
//!   Anything else is `None`: a kernel bug, which the kernel reports with
//!   [`exception_name`];
//! - user memory is its own address space, the secondary one (CR7), as Linux runs s390: the
//!   kernel executes in the primary space and reaches user memory only with the accessors
//!   (`super::uaccess`'s MVCOS naming the secondary space, `super::futex`'s `cs` in the
//!   secondary-space mode). The TEID's bits 62-63 say in which space the failing address was
//!   translated ([`TEID_AS_SECONDARY`] for a user access). A fault in any other space is a
//!   fault on kernel memory, whatever the address: a plain kernel load or store of an address
//!   that only the user's space maps faults in the kernel's space and is
//!   [`DataFault::FixupOnly`] (fixed up when the instruction has an entry, an oops otherwise),
//!   never a page-in of user memory. So is a protection exception whose TEID holds no address
//!   (bit 61 clear: low-address or key-controlled protection, never a user page; bits 62-63
//!   are then unpredictable too), as Linux treats it, and an address at or above the kernel's
//!   user limit;
//! - a user-space fault below the user limit is a [`DataFault::User`]: a write for a
//!   protection exception (DAT protection only stops stores), and for a translation exception
//!   when the TEID's fetch/store indication (facility 75) says store; a read otherwise (a
//!   store taken for a read pages the page in and, if the page is read-only, faults again as a
//!   protection exception, as on Linux);
//! - interrupts were on when the old PSW's external-interruption bit is set.
//!
//! Where to go on afterwards is [`ProgramInterruption::faulting_instruction`]: translation
//! exceptions nullify, so the old PSW points at the faulting instruction; a protection
//! exception suppresses, so the old PSW points past it and the instruction starts `ilc` bytes
//! earlier (unless a transaction was aborted, where the PSW is already right). That address is
//! both the one to look up in the exception table and the one to retry at.
//!
//! Every function here is pure (no `asm!`, no lowcore access): it only reads the values the
//! handler copied, so it may run anywhere in the handler, and on any target (the example runs
//! on the host as a doctest).
//!
//! ```
//! use mightfault_arch::data_fault::DataFault;
//! use mightfault_arch::s390x::fault::*;
//! use mightfault_arch::s390x::psw::PSW_EXT;
//!
//! const USER_LIMIT: usize = 0x100_0000_0000;
//! // A store to a user page that is not present: a page-translation exception, which
//! // nullifies (the old PSW points at the store itself).
//! let check = ProgramInterruption {
//!     code: PGM_PAGE_TRANSLATION,
//!     ilc: 6,
//!     teid: 0x4000_1000 | TEID_FSI_STORE << TEID_FSI_SHIFT | TEID_AS_SECONDARY,
//!     psw_mask: PSW_EXT,
//!     psw_addr: 0x10_2000,
//! };
//! assert_eq!(
//!     classify_program_interruption(&check, USER_LIMIT),
//!     Some(DataFault::User { address: 0x4000_1000, write: true, irqs_were_on: true })
//! );
//! assert_eq!(check.faulting_instruction(), 0x10_2000);
//! // The same address loaded plainly by the kernel faults in the kernel's (primary) space:
//! // not user memory, nothing to page in.
//! let plain = ProgramInterruption { teid: 0x4000_1000 | TEID_AS_PRIMARY, ..check };
//! assert_eq!(classify_program_interruption(&plain, USER_LIMIT), Some(DataFault::FixupOnly));
//! // A protection exception suppresses: the faulting store is `ilc` bytes back.
//! let protection = ProgramInterruption {
//!     code: PGM_PROTECTION,
//!     teid: 0x4000_1000 | TEID_PROTECTION_ADDRESS_VALID | TEID_AS_SECONDARY,
//!     ..check
//! };
//! assert_eq!(protection.faulting_instruction(), 0x10_2000 - 6);
//! ```

use crate::data_fault::DataFault;

use super::psw::PSW_EXT;

/// Program interruption code: protection (a store to a DAT-protected page). Suppressing.
pub const PGM_PROTECTION: u16 = 0x04;
/// Program interruption code: segment translation (invalid segment-table entry). Nullifying.
pub const PGM_SEGMENT_TRANSLATION: u16 = 0x10;
/// Program interruption code: page translation (invalid page-table entry). Nullifying.
pub const PGM_PAGE_TRANSLATION: u16 = 0x11;
/// Program interruption code: ASCE type (the address is beyond the reach of the ASCE's
/// highest table). Nullifying.
pub const PGM_ASCE_TYPE: u16 = 0x38;
/// Program interruption code: region-first translation. Nullifying.
pub const PGM_REGION_FIRST_TRANSLATION: u16 = 0x39;
/// Program interruption code: region-second translation. Nullifying.
pub const PGM_REGION_SECOND_TRANSLATION: u16 = 0x3a;
/// Program interruption code: region-third translation. Nullifying.
pub const PGM_REGION_THIRD_TRANSLATION: u16 = 0x3b;

/// The bits of the interruption code that name the exception; others flag, among other
/// things, a PER event ([`PGM_PER_EVENT`]) or a transaction abort ([`PGM_TRANSACTION_ABORT`])
/// alongside it.
pub const PGM_EXCEPTION_MASK: u16 = 0x7f;
/// Interruption-code flag: a PER event is reported with the exception.
pub const PGM_PER_EVENT: u16 = 0x80;
/// Interruption-code flag: the interruption aborted a transaction (the old PSW is the
/// transaction's abort address, not derived from the faulting instruction).
pub const PGM_TRANSACTION_ABORT: u16 = 0x200;

/// TEID bits 0-51: the failing address, page-aligned.
pub const TEID_ADDRESS_MASK: u64 = !0xfff;
/// TEID bits 52-53 (fetch/store indication, facility 75), shifted down: a store.
pub const TEID_FSI_STORE: u64 = 1;
/// TEID fetch/store indication: a fetch.
pub const TEID_FSI_FETCH: u64 = 2;
/// Where the fetch/store indication sits in the TEID (bits 52-53 count from the left).
pub const TEID_FSI_SHIFT: u32 = 10;
/// TEID bit 61: for a protection exception, set when it is DAT protection and bits 0-51 hold
/// the address (enhanced suppression on protection); clear for low-address or key-controlled
/// protection, where the address is unpredictable.
pub const TEID_PROTECTION_ADDRESS_VALID: u64 = 0x4;
/// TEID bits 62-63: the address space the failing address was translated in (the PSW's
/// address-space control values, or the one an MVCOS operand-access control named).
pub const TEID_AS_MASK: u64 = 0x3;
/// TEID address-space indication: the primary space (the kernel's).
pub const TEID_AS_PRIMARY: u64 = 0;
/// TEID address-space indication: the access-register mode.
pub const TEID_AS_ACCESS_REGISTER: u64 = 1;
/// TEID address-space indication: the secondary space (the user's).
pub const TEID_AS_SECONDARY: u64 = 2;
/// TEID address-space indication: the home space.
pub const TEID_AS_HOME: u64 = 3;

/// A program interruption as the cpu reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramInterruption {
    /// The program interruption code (lowcore halfword 0x8e), flags included.
    pub code: u16,
    /// The instruction-length code halfword (lowcore 0x8c): bits 13-14 are the length of the
    /// interrupted instruction in halfwords, i.e. `ilc & 6` is its length in bytes.
    pub ilc: u16,
    /// The translation-exception identification (lowcore doubleword 0xa8).
    pub teid: u64,
    /// The program old PSW's mask.
    pub psw_mask: u64,
    /// The program old PSW's address: the faulting instruction for a nullifying exception, the
    /// next one for a suppressing one.
    pub psw_addr: u64,
}

impl ProgramInterruption {
    /// The exception's code, without the PER and transaction flags.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn exception(&self) -> u16 {
        self.code & PGM_EXCEPTION_MASK
    }

    /// Whether this is a translation exception (segment, page, region or ASCE type): the
    /// address has no valid translation. These nullify.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn is_translation(&self) -> bool {
        matches!(
            self.exception(),
            PGM_SEGMENT_TRANSLATION
                | PGM_PAGE_TRANSLATION
                | PGM_ASCE_TYPE
                | PGM_REGION_FIRST_TRANSLATION
                | PGM_REGION_SECOND_TRANSLATION
                | PGM_REGION_THIRD_TRANSLATION
        )
    }

    /// Whether this is a protection exception: a store to a DAT-protected page. It suppresses.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn is_protection(&self) -> bool {
        self.exception() == PGM_PROTECTION
    }

    /// Whether this is a data-access fault a user access may take (translation or
    /// protection); every other program interruption in kernel code is a bug.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn is_data_access(&self) -> bool {
        self.is_translation() || self.is_protection()
    }

    /// The length in bytes of the interrupted instruction (2, 4 or 6).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn instruction_length(&self) -> usize {
        usize::from(self.ilc & 0x6)
    }

    /// The address of the instruction that faulted: where to look in the exception table and
    /// where to resume for a retry. The old PSW's address for a nullifying exception (or after
    /// a transaction abort); for a suppressing one (protection), the instruction
    /// [`instruction_length`](Self::instruction_length) bytes before it.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn faulting_instruction(&self) -> usize {
        let next = self.psw_addr as usize;
        if self.is_protection() && self.code & PGM_TRANSACTION_ABORT == 0 {
            next.wrapping_sub(self.instruction_length())
        } else {
            next
        }
    }

    /// The failing address from the TEID (bits 0-51, so page-aligned); `None` for a protection
    /// exception whose TEID does not hold it ([`TEID_PROTECTION_ADDRESS_VALID`] clear).
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn failing_address(&self) -> Option<usize> {
        if self.is_protection() && self.teid & TEID_PROTECTION_ADDRESS_VALID == 0 {
            None
        } else {
            Some((self.teid & TEID_ADDRESS_MASK) as usize)
        }
    }

    /// Whether the failing address was translated in the secondary space, the user's (the TEID's
    /// bits 62-63). Only meaningful when [`failing_address`](Self::failing_address) is known.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn in_user_space(&self) -> bool {
        self.teid & TEID_AS_MASK == TEID_AS_SECONDARY
    }

    /// Whether the access was a store: always for a protection exception; for a translation
    /// exception `Some` only when the TEID's fetch/store indication says which (facility 75),
    /// `None` when it does not.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn is_store(&self) -> Option<bool> {
        if self.is_protection() {
            return Some(true);
        }
        match (self.teid >> TEID_FSI_SHIFT) & 3 {
            TEID_FSI_STORE => Some(true),
            TEID_FSI_FETCH => Some(false),
            _ => None,
        }
    }

    /// Whether the interrupted code ran with external interruptions enabled.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline]
    pub fn irqs_were_on(&self) -> bool {
        self.psw_mask & PSW_EXT != 0
    }
}

/// What a program interruption is, for `crate::data_fault::decide`: `None` when it is not a
/// data-access fault (not a translation or protection exception: the kernel reports it as a
/// bug); a [`DataFault::User`] for a fault in the user's (secondary) space below `user_limit`
/// (the kernel's first address above user space); a [`DataFault::FixupOnly`] otherwise: a fault
/// in the kernel's own space whatever the address (a plain dereference of a user pointer
/// among them), an address at or above `user_limit`, or an unknown one. Look the fault up at
/// [`ProgramInterruption::faulting_instruction`].
///
/// # Context
/// Never sleeps; any context (the program-check handler).
#[inline]
pub fn classify_program_interruption(
    check: &ProgramInterruption,
    user_limit: usize,
) -> Option<DataFault> {
    if !check.is_data_access() {
        return None;
    }
    Some(match check.failing_address() {
        Some(address) if address < user_limit && check.in_user_space() => DataFault::User {
            address,
            write: check.is_store() == Some(true),
            irqs_were_on: check.irqs_were_on(),
        },
        _ => DataFault::FixupOnly,
    })
}

/// A name for a program interruption's exception code (flags stripped), for an oops.
///
/// # Context
/// Never sleeps; any context.
pub fn exception_name(code: u16) -> &'static str {
    match code & PGM_EXCEPTION_MASK {
        0x01 => "operation exception",
        0x02 => "privileged-operation exception",
        0x03 => "execute exception",
        0x04 => "protection exception",
        0x05 => "addressing exception",
        0x06 => "specification exception",
        0x07 => "data exception",
        0x08 => "fixed-point overflow exception",
        0x09 => "fixed-point divide exception",
        0x10 => "segment-translation exception",
        0x11 => "page-translation exception",
        0x12 => "translation-specification exception",
        0x13 => "special-operation exception",
        0x38 => "ASCE-type exception",
        0x39 => "region-first-translation exception",
        0x3a => "region-second-translation exception",
        0x3b => "region-third-translation exception",
        _ => "program interruption",
    }
}
