//! The console of the bare-metal images, written once: one lock and its two write paths. Each
//! arch supplies only its device ([`ConsoleDevice`]: COM1 on x86_64, the SCLP on s390x, the
//! hypervisor's virtual terminal on powerpc64).
//!
//! One [`write()`] call is one unit: the lock keeps it from interleaving with another cpu's
//! call, and interrupts are masked while it is held so that an interrupt handler that prints on
//! the same cpu cannot deadlock against the code it interrupted. The oops path uses
//! [`write_forced`] (or [`ForcedWriter`]), which does not wait for the lock forever: the cpu
//! that crashed may be the one holding it.

use core::fmt;
use core::marker::PhantomData;

use mightfault_core::Arch;

/// How long the forced path tries for the lock before it writes regardless: long enough for a
/// healthy cpu to finish its line (so that line is not torn), short enough not to hide an oops.
const FORCED_LOCK_SPINS: u32 = 1_000_000;

/// The one console of the image (one machine per image, so one lock).
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// The arch's console device: putting text out, nothing else. Locking and interrupt masking are
/// [`write()`]'s and [`write_forced`]'s.
pub trait ConsoleDevice: Arch {
    /// Puts `text` out as it is (no `\r` added, so KTAP lines reach the log unchanged).
    ///
    /// # Context
    /// Never sleeps; called by [`write()`] with the console lock held and interrupts masked.
    fn put(text: &str);

    /// Puts `text` out on the oops path, possibly while another cpu is inside [`Self::put`]
    /// (the lock could not be had). A device whose `put` uses state that must not be shared
    /// (s390x's control block) uses a separate one here. The default is [`Self::put`].
    ///
    /// # Context
    /// Never sleeps; called by [`write_forced`] with interrupts masked, lock held or not.
    fn put_forced(text: &str) {
        Self::put(text)
    }
}

/// Writes `text` to the console as one unit.
///
/// # Context
/// Never sleeps; any context, including interrupt handlers (interrupts are masked while the
/// console lock is held).
pub fn write<C: ConsoleDevice>(text: &str) {
    let flags = mightfault_core::local_irq_save::<C>();
    {
        let _guard = LOCK.lock();
        C::put(text);
    }
    mightfault_core::local_irq_restore::<C>(flags);
}

/// Writes `text` even if the console lock cannot be had: for oops and panic output, where the
/// lock may be held by the very code that crashed. Tries the lock for a bounded time first so
/// that a healthy cpu's line is not torn.
///
/// # Context
/// Never sleeps; any context, including a fault handler that will not return.
pub fn write_forced<C: ConsoleDevice>(text: &str) {
    let flags = mightfault_core::local_irq_save::<C>();
    let mut guard = None;
    for _ in 0..FORCED_LOCK_SPINS {
        guard = LOCK.try_lock();
        if guard.is_some() {
            break;
        }
        core::hint::spin_loop();
    }
    C::put_forced(text);
    drop(guard);
    mightfault_core::local_irq_restore::<C>(flags);
}

/// A `core::fmt::Write` sink for [`write_forced`], for the oops path (which must not depend on
/// the core crate's report machinery).
pub struct ForcedWriter<C>(PhantomData<C>);

impl<C: ConsoleDevice> ForcedWriter<C> {
    /// A writer to `C`'s console.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<C: ConsoleDevice> Default for ForcedWriter<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ConsoleDevice> fmt::Write for ForcedWriter<C> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        write_forced::<C>(text);
        Ok(())
    }
}
