//! Kernel user-access prevention with the Authority Mask Register (Linux's KUAP on radix).
//!
//! On a radix MMU, a privileged load or store to a page whose entry is not marked privileged
//! (a user page) is allowed only as far as the AMR's key-0 bits let it: bit 0 (the most
//! significant) blocks stores, bit 1 blocks loads. The kernel keeps both set at all times
//! ([`AMR_BLOCKED`]), so a plain dereference of a user pointer takes a data storage interrupt
//! even when the page is present, as SMAP makes it fault on x86_64. A user accessor opens a
//! window for exactly the direction it needs ([`AMR_ALLOW_READ`], [`AMR_ALLOW_WRITE`],
//! [`AMR_ALLOW_READ_WRITE`]), makes its accesses, and closes it again; its fixups branch back
//! to the close, so no path leaves the window open.
//!
//! The ISA asks for a context synchronising instruction before and after `mtspr AMR` (Power ISA
//! 3.0B, the table of required synchronisation for SPR updates; Linux's `set_kuap()` follows
//! it): the one before keeps earlier accesses from being checked against the new value, the
//! one after makes later accesses see it. [`kuap_open!`](crate::kuap_open) and
//! [`kuap_close!`](crate::kuap_close) are that sequence as `asm!` template pieces, so a
//! kernel's own user-access assembly brackets its accesses the same way;
//! [`kuap_open_read!`](crate::kuap_open_read) and [`kuap_open_write!`](crate::kuap_open_write)
//! derive the window value from the register that holds the blocked value for the close, one
//! instruction instead of two.
//!
//! The other keys' bits have no meaning under radix (its entries carry no key), so
//! [`AMR_BLOCKED`] sets all of them: one `li` loads it, where key 0's two bits alone need two
//! instructions. The window values are key 0's bits alone, as Linux's are without storage keys.
//!
//! A kernel's interrupt entry must save the interrupted AMR and block (the interrupted code
//! may be inside a window, and the handler must not run with one open); its exit restores the
//! saved value, so a task preempted or sleeping on a page-in inside a window gets it back on
//! whatever cpu it resumes. Its fault handler reads the saved value: a fault on a user address
//! whose direction the interrupted AMR blocked is a kernel bug, not a page-in
//! ([`super::fault::classify_data_access`]).
//!
//! Under QEMU's TCG (10.0) a page's permissions are computed with the AMR of the moment and
//! kept in QEMU's software TLB, which an AMR write does not flush: right after a window touched
//! a page, a plain access to it still gets through there until the translation is dropped
//! (hardware checks the AMR on every access). A test that shows a plain access faulting must
//! drop the user translations first.

/// The AMR's privileged SPR number (Linux's `SPRN_AMR`). SPR 13 names the same register for
/// problem state; QEMU keeps the two apart and checks accesses against this one, so the
/// kernel must use 29.
pub const SPRN_AMR: u32 = 29;

/// AMR key 0, bit 0 (the most significant bit): stores to user pages are blocked.
pub const AMR_BLOCK_WRITE: u64 = 1 << 63;

/// AMR key 0, bit 1: loads from user pages are blocked.
pub const AMR_BLOCK_READ: u64 = 1 << 62;

/// Both directions blocked (and every other key's bits, which radix ignores): the AMR outside
/// every user-access window.
pub const AMR_BLOCKED: u64 = u64::MAX;

/// A window for loads from user memory (get_user, copy_from_user): stores stay blocked.
pub const AMR_ALLOW_READ: u64 = AMR_BLOCK_WRITE;

/// A window for stores to user memory (put_user, copy_to_user, clear_user): loads stay
/// blocked.
pub const AMR_ALLOW_WRITE: u64 = AMR_BLOCK_READ;

/// A window for both (the futex operations' load-reserve / store-conditional pairs).
pub const AMR_ALLOW_READ_WRITE: u64 = 0;

/// Whether the AMR value `amr` blocks a kernel access to user memory in that direction
/// (`write`: a store).
///
/// ```
/// use mightfault_arch::powerpc64::kuap::{amr_blocks, AMR_ALLOW_READ, AMR_BLOCKED};
/// assert!(amr_blocks(AMR_BLOCKED, false) && amr_blocks(AMR_BLOCKED, true));
/// assert!(!amr_blocks(AMR_ALLOW_READ, false) && amr_blocks(AMR_ALLOW_READ, true));
/// ```
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub const fn amr_blocks(amr: u64, write: bool) -> bool {
    let bit = if write {
        AMR_BLOCK_WRITE
    } else {
        AMR_BLOCK_READ
    };
    amr & bit != 0
}

/// Opens a user-access window: the `asm!` template piece `isync; mtspr AMR, $amr; isync`,
/// where `$amr` names a register operand holding [`AMR_ALLOW_READ`], [`AMR_ALLOW_WRITE`] or
/// [`AMR_ALLOW_READ_WRITE`].
///
/// ```
/// let snippet = mightfault_arch::kuap_open!("{amr}");
/// assert_eq!(snippet, "isync\nmtspr 29, {amr}\nisync\n");
/// ```
#[macro_export]
macro_rules! kuap_open {
    ($amr:literal) => {
        concat!("isync\n", "mtspr 29, ", $amr, "\n", "isync\n")
    };
}

/// Opens a window for loads, deriving [`AMR_ALLOW_READ`] from the register `$blocked`, which
/// holds [`AMR_BLOCKED`] for the close anyway, into the scratch register `$scratch` (one
/// `rldicr` keeps only the top bit, where loading the constant takes two instructions).
///
/// ```
/// let snippet = mightfault_arch::kuap_open_read!("{t}", "{blocked}");
/// assert!(snippet.starts_with("rldicr {t}, {blocked}, 0, 0\n"));
/// ```
#[macro_export]
macro_rules! kuap_open_read {
    ($scratch:literal, $blocked:literal) => {
        concat!(
            "rldicr ",
            $scratch,
            ", ",
            $blocked,
            ", 0, 0\n",
            $crate::kuap_open!($scratch)
        )
    };
}

/// Opens a window for stores, deriving [`AMR_ALLOW_WRITE`] from the register `$blocked`
/// (holding [`AMR_BLOCKED`]) into `$scratch`: one `rldic` keeps only bit 1.
///
/// ```
/// let snippet = mightfault_arch::kuap_open_write!("{t}", "{blocked}");
/// assert!(snippet.starts_with("rldic {t}, {blocked}, 62, 1\n"));
/// ```
#[macro_export]
macro_rules! kuap_open_write {
    ($scratch:literal, $blocked:literal) => {
        concat!(
            "rldic ",
            $scratch,
            ", ",
            $blocked,
            ", 62, 1\n",
            $crate::kuap_open!($scratch)
        )
    };
}

/// Closes a user-access window: the same synchronised `mtspr`, with `$amr` naming a register
/// operand holding [`AMR_BLOCKED`]. Place it where every path out of the accesses passes
/// (the fixups branch back to it, or run one of their own).
///
/// ```
/// let snippet = mightfault_arch::kuap_close!("{blocked}");
/// assert_eq!(snippet, "isync\nmtspr 29, {blocked}\nisync\n");
/// ```
#[macro_export]
macro_rules! kuap_close {
    ($amr:literal) => {
        concat!("isync\n", "mtspr 29, ", $amr, "\n", "isync\n")
    };
}

// What the derived window values of `kuap_open_read!`/`kuap_open_write!` rely on: the blocked
// value is all ones, and each window value is one of its bits (rldicr ..., 0, 0 keeps bit 0;
// rldic ..., 62, 1 rotates by 62, which leaves all ones, and keeps bit 1 alone).
const _: () = assert!(AMR_BLOCKED == u64::MAX);
const _: () = assert!(AMR_ALLOW_READ == 1 << 63 && AMR_ALLOW_WRITE == 1 << 62);

/// This cpu's AMR (`mfspr`).
///
/// # Context
/// Never sleeps; any context.
#[cfg(target_arch = "powerpc64")]
#[inline(always)]
pub fn read_amr() -> u64 {
    let amr: u64;
    // SAFETY: reading the AMR has no side effect.
    unsafe {
        core::arch::asm!("mfspr {}, 29", out(reg) amr, options(nomem, nostack, preserves_flags))
    };
    amr
}

/// Blocks user access on this cpu (cpu bring-up, before anything runs that could touch user
/// memory): the AMR becomes [`AMR_BLOCKED`].
///
/// # Context
/// Never sleeps; any context outside a user-access window.
#[cfg(target_arch = "powerpc64")]
#[inline(always)]
pub fn block_user_access() {
    // SAFETY: setting the AMR only withdraws the kernel's access to user pages; the
    // accessors open their own windows. Not `nomem`: no access to memory may move across.
    unsafe {
        core::arch::asm!(
            kuap_close!("{amr}"),
            amr = in(reg) AMR_BLOCKED,
            options(nostack, preserves_flags),
        )
    };
}
