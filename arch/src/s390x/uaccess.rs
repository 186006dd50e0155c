//! The raw user accessors: every user access is an MVCOS (move with optional specifications)
//! whose operand-access controls name the secondary address space for the user operand, with
//! an exception-table entry.
//!
//! User memory lives in its own address space, as Linux runs s390: the kernel executes in the
//! primary space (CR1, the kernel's ASCE) and user memory is the secondary space (CR7, the user
//! ASCE). A plain load or store of the kernel never reaches user memory; MVCOS is the one
//! instruction that moves bytes between the two spaces without leaving the primary-space mode:
//! general register 0 holds two operand-access controls (OAC, one halfword per operand, bits
//! 32-47 for the first operand and 48-63 for the second), and an OAC whose A bit (its last bit)
//! is one makes its AS field (bits 8-9 of the halfword) the address space of that operand; the
//! other operand's OAC is zero, so it uses the PSW's space, the kernel's. MVCOS needs DAT on
//! and, for the secondary space, CR0's secondary-space control (bit 37): the kernel sets both.
//!
//! - get/put: one MVCOS of 1, 2, 4 or 8 bytes between the user address and a doubleword on the
//!   kernel's stack, which a load or store then moves to or from a register. The
//!   exception-table entry leads to an `asm!` label whose arm yields -EFAULT (and 0 for get),
//!   so the fast path needs no error register.
//! - copies and clear: MVCOS moves at most 4096 bytes per execution (condition code 3 says
//!   more are left), so the loop advances both operands by 4096 until one reports condition
//!   code 0. `clear_user` moves from a page of zeros, which the source never leaves.
//!
//! # Exact residuals
//! A fault that is resolved (page-in) retries the faulting MVCOS: it was nullified (translation
//! exceptions) or suppressed (protection), so it moved nothing and its registers still describe
//! the chunk. A fault that is not resolved goes to the fixup, which copies again, only up to the
//! user operand's next page boundary, and stops there: whatever happens, the first byte not
//! done is where the count says. That is exact because
//! - the kernel operand never faults (the caller's contract: it is kernel memory, mapped);
//! - user faults are page granular: a chunk of at most 4096 bytes covers at most two user
//!   pages, the one holding its first byte and the next. If the first page faulted, the
//!   fallback faults on it again and nothing of the chunk counts as done. If the first page is
//!   there, the fault was on the second, whose first byte is the boundary: the fallback moves
//!   exactly the bytes before it, and the chunk's bytes from the boundary on are inaccessible,
//!   so none of them was written (a store to a page that faults writes nothing);
//! - a chunk that fits before the boundary faulted on its only page: nothing is done.
//!
//! Every fault the accessors take must reach the kernel's program-check handler and from there
//! the contract's decision (`crate::data_fault::decide`, with `super::fault`'s classification,
//! which sees the secondary space in the TEID). `crate::impl_raw_user_access!` makes these the
//! kernel's `RawUserAccess`.
//!
//! # access_ok
//! With user memory in its own space there is no kernel address to keep a user pointer away
//! from: a kernel address handed to an accessor is resolved in the user's space, where it means
//! whatever the user mapped there (in a kernel that maps nothing there: -EFAULT), never kernel
//! memory. So the user limit only refuses ranges that wrap or reach past the user ASCE's reach
//! as the kernel defines it (Linux's s390 takes `-PAGE_SIZE`, so `access_ok` refuses only
//! wrapping ranges); the address mask ([`mask_user_address`]) is not needed and not used.

use core::arch::asm;
use core::mem::MaybeUninit;

use mightfault_core::Efault;

/// What a fixup puts in the error register.
const EFAULT: i32 = Efault::ERRNO;

/// Operand-access control (one halfword): AS field (bits 8-9) = secondary space (binary 10),
/// A bit (bit 15) = the AS field is valid. Key and K bit zero: the PSW key applies.
pub const OAC_SECONDARY: u16 = (0b10 << 6) | 1;

/// General register 0 for an MVCOS whose first operand (the destination) is user memory.
pub const GR0_USER_DESTINATION: u64 = (OAC_SECONDARY as u64) << 16;

/// General register 0 for an MVCOS whose second operand (the source) is user memory.
pub const GR0_USER_SOURCE: u64 = OAC_SECONDARY as u64;

/// The most bytes one MVCOS moves.
pub const MVCOS_MAX: usize = 4096;

/// The user address is never masked here (see the module documentation): s390x relies on the
/// separate address space, not on a branch-free clamp.
pub const MASKS_USER_ADDRESS: bool = false;

/// Returns `addr` unchanged: no masking on s390x (see [`MASKS_USER_ADDRESS`]).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn mask_user_address(addr: usize, _limit: usize) -> usize {
    addr
}

/// The source of `clear_user`: one MVCOS worth of zeros.
#[repr(C, align(4096))]
struct ZeroPage([u8; MVCOS_MAX]);

static ZERO_PAGE: ZeroPage = ZeroPage([0; MVCOS_MAX]);

/// One get: MVCOS of `$size` bytes from user `$from` into the low-order end of a kernel
/// doubleword, then a load of that doubleword (zero-extended: the rest of it is zeroed first
/// only for sizes below 8). Evaluates to `(value, error)`. The exception-table entry leads
/// straight to the error arm (an `asm!` label), so the fast path carries no error register.
macro_rules! get_user_asm {
    ($from:expr, $size:literal) => {{
        let mut slot = MaybeUninit::<u64>::uninit();
        if $size < 8 {
            slot.write(0);
        }
        'access: {
            // SAFETY: one MVCOS of $size bytes from a user address the caller range-checked,
            // in the secondary space (GR0), into the doubleword on our stack; a fault is
            // resolved and retried, or fixed up to the label, which yields (0, -EFAULT).
            unsafe {
                asm!(
                    concat!("2: mvcos 8-", $size, "({slot}), 0({from}), {len}"),
                    ex_entry!("2b", "{fault}"),
                    slot = in(reg_addr) slot.as_mut_ptr(),
                    from = in(reg_addr) $from,
                    len = in(reg) $size as u64,
                    fault = label { break 'access (0u64, EFAULT) },
                    in("r0") GR0_USER_SOURCE,
                    options(nostack),
                );
            }
            // SAFETY: the MVCOS wrote the low-order $size bytes (the rest were zeroed above).
            (unsafe { slot.assume_init() }, 0i32)
        }
    }};
}

/// One put: the value's low-order `$size` bytes, from a kernel doubleword, by one MVCOS to user
/// `$to`. Evaluates to the error; the exception-table entry leads to the error arm.
macro_rules! put_user_asm {
    ($to:expr, $bits:expr, $size:literal) => {{
        let slot: u64 = $bits;
        'access: {
            // SAFETY: one MVCOS of $size bytes to a user address the caller range-checked, in
            // the secondary space (GR0), from the doubleword on our stack; a fault is resolved
            // and retried, or fixed up to the label (nothing written).
            unsafe {
                asm!(
                    concat!("2: mvcos 0({to}), 8-", $size, "({slot}), {len}"),
                    ex_entry!("2b", "{fault}"),
                    to = in(reg_addr) $to,
                    slot = in(reg_addr) &slot,
                    len = in(reg) $size as u64,
                    fault = label { break 'access EFAULT },
                    in("r0") GR0_USER_DESTINATION,
                    options(nostack),
                );
            }
            0i32
        }
    }};
}

/// Copies `n` bytes from kernel memory at `from` to user address `to`; returns the number of
/// bytes not copied, exact (see the module documentation): nothing at or past the first byte
/// not copied is written.
///
/// # Safety
/// `from` readable for `n` bytes; `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    let mut left = n;
    // SAFETY: MVCOS chunks of at most 4096 bytes from kernel memory the caller vouches for to
    // user memory (secondary space, GR0) the caller range-checked. A fault not resolved goes
    // to the out-of-line fallback (the exception-table entry of 2:), which moves the bytes up
    // to the user operand's next page boundary, if any (its own fault ends it, entry of 4:),
    // and comes back to 6: with `left` exact.
    unsafe {
        asm!(
            "2: mvcos 0({to}), 0({from}), {left}",
            "jz 5f",
            "aghi {left}, -4096",
            "aghi {to}, 4096",
            "aghi {from}, 4096",
            "j 2b",
            "5: lghi {left}, 0",
            "6:",
            ex_entry!("2b", "3f"),
            ex_entry!("4f", "6b"),
            fixup_begin!(),
            // rem = bytes from `to` up to the next page boundary (0 when `to` is on one).
            "3: la {rem}, 4095({to})",
            "nill {rem}, 0xf000",
            "sgr {rem}, {to}",
            // Every byte left sits before the boundary: the page that faulted holds them all.
            "clgr {left}, {rem}",
            "jnh 6b",
            "4: mvcos 0({to}), 0({from}), {rem}",
            "sgr {left}, {rem}",
            "jg 6b",
            fixup_end!(),
            to = inout(reg_addr) to => _,
            from = inout(reg_addr) from => _,
            left = inout(reg) left,
            rem = out(reg_addr) _,
            in("r0") GR0_USER_DESTINATION,
            options(nostack),
        );
    }
    left
}

/// Copies `n` bytes from user address `from` to kernel memory at `to`; returns the number of
/// bytes not copied, exact (see the module documentation). The uncopied tail of `to` is left
/// as it was.
///
/// # Safety
/// `to` writable for `n` bytes; `from` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
    let mut left = n;
    // SAFETY: as copy_to_user, with the user operand the source (GR0 names its space) and the
    // page boundary taken from it.
    unsafe {
        asm!(
            "2: mvcos 0({to}), 0({from}), {left}",
            "jz 5f",
            "aghi {left}, -4096",
            "aghi {to}, 4096",
            "aghi {from}, 4096",
            "j 2b",
            "5: lghi {left}, 0",
            "6:",
            ex_entry!("2b", "3f"),
            ex_entry!("4f", "6b"),
            fixup_begin!(),
            "3: la {rem}, 4095({from})",
            "nill {rem}, 0xf000",
            "sgr {rem}, {from}",
            "clgr {left}, {rem}",
            "jnh 6b",
            "4: mvcos 0({to}), 0({from}), {rem}",
            "sgr {left}, {rem}",
            "jg 6b",
            fixup_end!(),
            to = inout(reg_addr) to => _,
            from = inout(reg_addr) from => _,
            left = inout(reg) left,
            rem = out(reg_addr) _,
            in("r0") GR0_USER_SOURCE,
            options(nostack),
        );
    }
    left
}

/// Zeroes `n` bytes at user address `to`; returns the number of bytes not zeroed, exact (see
/// the module documentation).
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user(to: usize, n: usize) -> usize {
    let mut left = n;
    // SAFETY: as copy_to_user, the source being the zero page for every chunk (it is 4096
    // bytes, the most one MVCOS moves).
    unsafe {
        asm!(
            "2: mvcos 0({to}), 0({zero}), {left}",
            "jz 5f",
            "aghi {left}, -4096",
            "aghi {to}, 4096",
            "j 2b",
            "5: lghi {left}, 0",
            "6:",
            ex_entry!("2b", "3f"),
            ex_entry!("4f", "6b"),
            fixup_begin!(),
            "3: la {rem}, 4095({to})",
            "nill {rem}, 0xf000",
            "sgr {rem}, {to}",
            "clgr {left}, {rem}",
            "jnh 6b",
            "4: mvcos 0({to}), 0({zero}), {rem}",
            "sgr {left}, {rem}",
            "jg 6b",
            fixup_end!(),
            to = inout(reg_addr) to => _,
            zero = in(reg_addr) ZERO_PAGE.0.as_ptr(),
            left = inout(reg) left,
            rem = out(reg_addr) _,
            in("r0") GR0_USER_DESTINATION,
            options(nostack),
        );
    }
    left
}

scalar_user_accessors! {
    get: get_user_asm(1, 2, 4, 8),
    put: put_user_asm(1, 2, 4, 8),
}
