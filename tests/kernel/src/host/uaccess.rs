//! The simulation's raw user accessors: byte-exact, faulting through the core's decision.

use mightfault_core::fault::FaultAction;
use mightfault_core::{Arch, Efault, FutexOp, RawUserAccess, RawUserFutex, UserScalar};

use super::extable::{self, Site};
use super::irq::opportunity;
use super::machine::current;
use super::memory::{PAGE_SIZE, USER_LIMIT};
use super::placement::{CountPlacement, Host};

/// Moves `n` bytes at user address `addr` page by page through `each(page_bytes, done)`;
/// returns how many bytes were not moved. A fault ends the access exactly at the first byte
/// of the page that faulted: every byte before it is done, none after it.
fn transfer<A: Arch>(
    site: &'static Site,
    addr: usize,
    n: usize,
    write: bool,
    mut each: impl FnMut(&mut [u8], usize),
) -> usize {
    let machine = current().0;
    let mut done = 0;
    while done < n {
        // The access may be interrupted before each page (see `irq`).
        opportunity::<A>();
        let at = addr.wrapping_add(done);
        let offset = at % PAGE_SIZE;
        let chunk = (n - done).min(PAGE_SIZE - offset);
        let moved = match machine.memory().accessible(at, write) {
            Some(page) => {
                each(&mut page[offset..offset + chunk], done);
                true
            }
            None => false,
        };
        if moved {
            done += chunk;
            continue;
        }
        match machine.fault::<A>(at, write, site) {
            FaultAction::Retry => {}
            FaultAction::Fixup | FaultAction::Oops => return n - done,
        }
    }
    0
}

/// Makes `[addr, addr + len)` accessible as a whole, faulting in what is missing; `Err` when a
/// fault is fixed up. get/put_user use it so that they never do half an access.
fn whole<A: Arch>(site: &'static Site, addr: usize, len: usize, write: bool) -> Result<(), Efault> {
    let machine = current().0;
    loop {
        opportunity::<A>();
        let missing = machine.memory().first_inaccessible(addr, len, write);
        let Some(at) = missing else {
            return Ok(());
        };
        match machine.fault::<A>(at, write, site) {
            FaultAction::Retry => {}
            FaultAction::Fixup | FaultAction::Oops => return Err(Efault),
        }
    }
}

/// Where in a u64's native bytes a value of `size` bytes sits.
fn scalar_bytes(size: usize) -> std::ops::Range<usize> {
    if cfg!(target_endian = "little") {
        0..size
    } else {
        8 - size..8
    }
}

// SAFETY: every access goes through `transfer` or `whole`, which stop at the first byte that
// faulted and route each fault through `Machine::fault` (the core's decision).
unsafe impl<P: CountPlacement> RawUserAccess for Host<P> {
    const USER_LIMIT: usize = USER_LIMIT;

    unsafe fn raw_copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
        transfer::<Self>(&extable::COPY_TO_USER, to, n, true, |page, done| {
            // SAFETY: the caller guarantees `from` is readable for `n` bytes and
            // `done + page.len() <= n`.
            let source = unsafe { std::slice::from_raw_parts(from.add(done), page.len()) };
            page.copy_from_slice(source);
        })
    }

    unsafe fn raw_copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
        transfer::<Self>(&extable::COPY_FROM_USER, from, n, false, |page, done| {
            // SAFETY: the caller guarantees `to` is writable for `n` bytes and
            // `done + page.len() <= n`.
            let target = unsafe { std::slice::from_raw_parts_mut(to.add(done), page.len()) };
            target.copy_from_slice(page);
        })
    }

    unsafe fn raw_clear_user(to: usize, n: usize) -> usize {
        transfer::<Self>(&extable::CLEAR_USER, to, n, true, |page, _| page.fill(0))
    }

    unsafe fn raw_get_user<T: UserScalar>(value: &mut T, from: usize) -> Result<(), Efault> {
        *value = T::from_bits(0);
        whole::<Self>(&extable::GET_USER, from, T::SIZE, false)?;
        let mut bits = [0u8; 8];
        let range = scalar_bytes(T::SIZE);
        let read = current().0.peek_user(from, &mut bits[range]);
        debug_assert!(read, "the range was made accessible just before");
        *value = T::from_bits(u64::from_ne_bytes(bits));
        Ok(())
    }

    unsafe fn raw_put_user<T: UserScalar>(to: usize, value: T) -> Result<(), Efault> {
        whole::<Self>(&extable::PUT_USER, to, T::SIZE, true)?;
        let bits = value.to_bits().to_ne_bytes();
        let written = current().0.poke_user(to, &bits[scalar_bytes(T::SIZE)]);
        debug_assert!(written, "the range was made accessible just before");
        Ok(())
    }
}

/// One read-modify-write of the aligned 32-bit word at `uaddr`, as one write access: `update`
/// gives the new value from the old, or `None` to leave the word as it is; returns the old
/// value. Atomic because nothing between `whole` and the write lets another simulated task or
/// interrupt run (only `whole` offers an interrupt opportunity).
fn futex_update<A: Arch>(
    uaddr: usize,
    update: impl FnOnce(u32) -> Option<u32>,
) -> Result<u32, Efault> {
    whole::<A>(&extable::FUTEX, uaddr, 4, true)?;
    let machine = current().0;
    let mut word = [0u8; 4];
    let read = machine.peek_user(uaddr, &mut word);
    debug_assert!(read, "the word was made accessible just before");
    let old = u32::from_ne_bytes(word);
    if let Some(new) = update(old) {
        let written = machine.poke_user(uaddr, &new.to_ne_bytes());
        debug_assert!(written, "the word was made accessible just before");
    }
    Ok(old)
}

// SAFETY: the word is made accessible through `whole` (every fault through the core's
// decision) and then read and written with no simulated task or interrupt in between; a
// fixed-up fault writes nothing.
unsafe impl<P: CountPlacement> RawUserFutex for Host<P> {
    unsafe fn raw_futex_cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
        futex_update::<Self>(uaddr, |current| (current == old).then_some(new))
    }

    unsafe fn raw_futex_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
        futex_update::<Self>(uaddr, |current| Some(op.apply(current, oparg)))
    }
}

impl<P: CountPlacement> Host<P> {
    /// Reads a user byte the way a buggy kernel would: a plain dereference with no exception
    /// table entry. A fault here is an oops (the task panics), which tests use to show that
    /// only user accessors are fixed up.
    ///
    /// # Context
    /// Inside a simulated task; may sleep to page the byte in.
    pub fn plain_read_user_byte(addr: usize) -> u8 {
        let mut byte = 0;
        let left = transfer::<Self>(&extable::PLAIN_ACCESS, addr, 1, false, |page, _| {
            byte = page[0]
        });
        debug_assert_eq!(left, 0, "a fault without an exception-table entry oopses");
        byte
    }
}
