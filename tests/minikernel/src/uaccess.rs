//! This kernel's raw user accessors. The host has no MMU to fault, so each accessor asks the
//! machine's [`UserMemory`](crate::user_memory::UserMemory) for every byte and, on a miss,
//! "traps" into [`crate::fault::data_access_fault`] with the accessor's own instruction
//! address, as a cpu would. A real kernel's accessors are the arch crate's `asm!` instead
//! (`mightfault_arch::impl_raw_user_access!`); what follows the trap is the same.
//!
//! The "instruction" of each accessor is a static [`Site`]; [`extable`] builds this kernel's
//! exception table from them: every site has an entry, all fixups land on [`FIXUP`].

use std::cell::UnsafeCell;
use std::sync::Once;

use mightfault_core::extable::{ExceptionTable, ExtableEntry};
use mightfault_core::{Efault, FutexOp, UserScalar};

use crate::fault::{data_access_fault, Trap};
use crate::machine::machine;

/// An accessor's "instruction": only its address matters. Each holds a distinct value so that
/// no two statics share an address.
#[repr(transparent)]
pub struct Site(u8);

/// The access of `raw_copy_to_user`.
pub static COPY_TO_USER: Site = Site(1);
/// The access of `raw_copy_from_user`.
pub static COPY_FROM_USER: Site = Site(2);
/// The access of `raw_clear_user`.
pub static CLEAR_USER: Site = Site(3);
/// The access of `raw_get_user`.
pub static GET_USER: Site = Site(4);
/// The access of `raw_put_user`.
pub static PUT_USER: Site = Site(5);
/// The access of `raw_futex_cmpxchg` and `raw_futex_op`.
pub static FUTEX: Site = Site(7);
/// Where every fixed-up access continues.
pub static FIXUP: Site = Site(6);

impl Site {
    /// The address that stands for this site's instruction.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn addr(&'static self) -> usize {
        self as *const Site as usize
    }
}

const SITES: [&Site; 6] = [
    &COPY_TO_USER,
    &COPY_FROM_USER,
    &CLEAR_USER,
    &GET_USER,
    &PUT_USER,
    &FUTEX,
];

struct Entries(UnsafeCell<[ExtableEntry; SITES.len()]>);

// SAFETY: the entries are written once, inside `INSTALL.call_once`, before the table hands out
// any reference to them; afterwards only read.
unsafe impl Sync for Entries {}

// A static, not a heap allocation, so that the relative entries reach the sites (statics too).
static ENTRIES: Entries = Entries(UnsafeCell::new(
    [const { ExtableEntry::empty() }; SITES.len()],
));
static EXTABLE: ExceptionTable = ExceptionTable::new();
static INSTALL: Once = Once::new();

/// This kernel's exception table (built and installed on first use).
///
/// # Context
/// Never sleeps; any context.
pub fn extable() -> &'static ExceptionTable {
    INSTALL.call_once(|| {
        // SAFETY: inside call_once nobody else can see the entries (see `Entries`).
        let entries = unsafe { &mut *ENTRIES.0.get() };
        for (entry, site) in entries.iter_mut().zip(SITES) {
            assert!(entry.set(site.addr(), FIXUP.addr()), "sites out of reach");
        }
        // SAFETY: once; nothing writes the entries afterwards and no fault searches the
        // table before call_once returns.
        unsafe { EXTABLE.install(entries) };
    });
    &EXTABLE
}

/// Performs one access of `len` bytes at user address `addr` from `site`: every byte must be
/// reachable, or the access traps on the first one that is not. Returns whether the access
/// went through (after any page-in), false when the fault was fixed up.
fn access(site: &'static Site, addr: usize, len: usize, write: bool) -> bool {
    loop {
        let missing = (0..len)
            .map(|offset| addr.wrapping_add(offset))
            .find(|byte| machine().memory().translate(*byte, write).is_err());
        let Some(byte) = missing else {
            return true;
        };
        match data_access_fault(site.addr(), byte, write) {
            Trap::Retry => continue,
            Trap::Fixup => return false,
        }
    }
}

/// See `RawUserAccess::raw_copy_to_user`.
///
/// # Safety
/// `from` readable for `n` bytes.
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
pub unsafe fn copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
    for done in 0..n {
        let user = to.wrapping_add(done);
        if !access(&COPY_TO_USER, user, 1, true) {
            return n - done;
        }
        // SAFETY: the caller's contract: `from` is readable for n bytes.
        machine()
            .memory()
            .store(user, unsafe { from.add(done).read() });
    }
    0
}

/// See `RawUserAccess::raw_copy_from_user`.
///
/// # Safety
/// `to` writable for `n` bytes.
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
pub unsafe fn copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
    for done in 0..n {
        let user = from.wrapping_add(done);
        if !access(&COPY_FROM_USER, user, 1, false) {
            return n - done;
        }
        let byte = machine().memory().translate(user, false).unwrap_or(0);
        // SAFETY: the caller's contract: `to` is writable for n bytes.
        unsafe { to.add(done).write(byte) };
    }
    0
}

/// See `RawUserAccess::raw_clear_user`.
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
pub fn clear_user(to: usize, n: usize) -> usize {
    for done in 0..n {
        let user = to.wrapping_add(done);
        if !access(&CLEAR_USER, user, 1, true) {
            return n - done;
        }
        machine().memory().store(user, 0);
    }
    0
}

/// See `RawUserAccess::raw_get_user`: one access of `T::SIZE` bytes, big-endian in this
/// kernel's user memory; the value is zero on failure.
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
pub fn get_user<T: UserScalar>(value: &mut T, from: usize) -> Result<(), Efault> {
    if !access(&GET_USER, from, T::SIZE, false) {
        *value = T::from_bits(0);
        return Err(Efault);
    }
    let bits = (0..T::SIZE).fold(0u64, |bits, offset| {
        let byte = machine()
            .memory()
            .translate(from + offset, false)
            .unwrap_or(0);
        bits << 8 | u64::from(byte)
    });
    *value = T::from_bits(bits);
    Ok(())
}

/// See `RawUserAccess::raw_put_user`: one access of `T::SIZE` bytes, big-endian; nothing is
/// written on failure.
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
pub fn put_user<T: UserScalar>(to: usize, value: T) -> Result<(), Efault> {
    if !access(&PUT_USER, to, T::SIZE, true) {
        return Err(Efault);
    }
    let bits = value.to_bits();
    for offset in 0..T::SIZE {
        let shift = 8 * (T::SIZE - 1 - offset);
        machine().memory().store(to + offset, (bits >> shift) as u8);
    }
    Ok(())
}

/// One atomic read-modify-write of the 32-bit word at `uaddr` (big-endian), as one write
/// access: `update` gives the new value from the old, or `None` to leave the word as it is.
/// Returns the old value. This kernel runs one task at a time with nothing between the read
/// and the write, which is what makes it atomic.
///
/// # Context
/// Never sleeps with page faults disabled; otherwise may sleep to resolve a fault.
fn futex_update(uaddr: usize, update: impl FnOnce(u32) -> Option<u32>) -> Result<u32, Efault> {
    if !access(&FUTEX, uaddr, 4, true) {
        return Err(Efault);
    }
    let memory = machine().memory();
    let old = (0..4).fold(0u32, |word, offset| {
        word << 8 | u32::from(memory.translate(uaddr + offset, true).unwrap_or(0))
    });
    if let Some(new) = update(old) {
        for (offset, byte) in new.to_be_bytes().into_iter().enumerate() {
            memory.store(uaddr + offset, byte);
        }
    }
    Ok(old)
}

/// See `RawUserFutex::raw_futex_cmpxchg`.
///
/// # Context
/// Never sleeps with page faults disabled; otherwise may sleep to resolve a fault.
pub fn futex_cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
    futex_update(uaddr, |current| (current == old).then_some(new))
}

/// See `RawUserFutex::raw_futex_op`.
///
/// # Context
/// Never sleeps with page faults disabled; otherwise may sleep to resolve a fault.
pub fn futex_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
    futex_update(uaddr, |current| Some(op.apply(current, oparg)))
}
