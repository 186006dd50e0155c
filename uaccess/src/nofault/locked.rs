//! The atomic copy with a sleepable fallback: try under the lock with page faults disabled; on a
//! short copy drop the lock, fault the range in (which may sleep), retake the lock and retry.

use mightfault_core::{might_fault, Efault, RawSpinLock, RawUserAccess};

use super::copy::{copy_from_user_nofault, copy_to_user_nofault};
use super::fault_in::{fault_in_readable, fault_in_writeable};
use crate::access_ok::access_ok;

/// A bound on tries that is generous for a range whose pages stay put once paged in (the second
/// try completes) and still ends a loop whose pages keep going away.
pub const DEFAULT_MAX_TRIES: u32 = 8;

/// Why a locked copy gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockedCopyError {
    /// The memory is truly bad: the range is not a user range, or fault-in could not make all
    /// of it present (unmapped, or read-only for a copy to user). -EFAULT.
    Efault,
    /// Every one of the `tries` came up short, although each fault-in in between made the range
    /// present: something keeps taking the pages away. Linux's callers return -EAGAIN or
    /// -EFAULT here; [`LockedCopyError::to_errno`] says -EAGAIN.
    TooManyTries {
        /// How many tries were made (the bound that was passed, at least 1).
        tries: u32,
    },
}

impl LockedCopyError {
    /// Linux's -EAGAIN.
    pub const EAGAIN: i32 = -11;

    /// The errno value: -EFAULT (-14) or -EAGAIN (-11).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn to_errno(self) -> i32 {
        match self {
            LockedCopyError::Efault => Efault::ERRNO,
            LockedCopyError::TooManyTries { .. } => Self::EAGAIN,
        }
    }
}

impl From<Efault> for LockedCopyError {
    fn from(_: Efault) -> Self {
        LockedCopyError::Efault
    }
}

/// A locked copy that completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the closure's result is in `value`"]
pub struct Copied<R> {
    /// What the closure returned on the try that completed.
    pub value: R,
    /// How many tries it took: 1 when the range was present the first time.
    pub tries: u32,
}

/// Copies bytes computed under `lock` to user address `to`, falling back to a sleepable
/// fault-in when the copy under the lock comes up short.
///
/// Each try takes `lock`, lets `produce` fill `buf` (the whole of it is copied, to
/// `[to, to + buf.len())`), and copies it with page faults disabled
/// ([`copy_to_user_nofault`]). When the copy completes, the lock is released and
/// `Ok(Copied { value, tries })` returned, `value` being what `produce` returned on that try.
/// When it comes up short, the guard is consumed (the lock is released), the range is faulted
/// in with [`fault_in_writeable`] — where it may sleep — and the next try retakes the lock and
/// calls `produce` again, so the bytes are recomputed from what the lock guards now. A
/// failed try's `value` is dropped under the lock.
///
/// Gives up with [`LockedCopyError::Efault`] when the range fails access_ok() (before taking
/// the lock) or fault-in cannot make it writable, and with [`LockedCopyError::TooManyTries`]
/// after `max_tries` short copies (a `max_tries` of 0 counts as 1). The user range then holds
/// whatever the last try wrote up to the byte that faulted.
///
/// **It never sleeps with `lock` held**: under the lock only `produce` and the copy run, and
/// the copy only ever runs with page faults disabled, so a missing page ends it instead of
/// being paged in. `produce` must not sleep either (it runs under a spinlock; with
/// debug-atomic-sleep a sleep there is reported, naming the caller's line as where the lock was
/// taken) and must not touch user memory.
///
/// # Context
/// May sleep (in the fault-in, with the lock released; and where preempt_enable() at unlock
/// reschedules). Process context, page faults enabled, and not holding `lock` or any other
/// spinlock; with debug-atomic-sleep a call from atomic context is reported on every call, as
/// might_fault() does, not only when a fault-in happens.
#[track_caller]
pub fn copy_to_user_locked<A: RawUserAccess, R>(
    lock: &RawSpinLock,
    to: usize,
    buf: &mut [u8],
    max_tries: u32,
    mut produce: impl FnMut(&mut [u8]) -> R,
) -> Result<Copied<R>, LockedCopyError> {
    might_fault::<A>();
    if !access_ok::<A>(to, buf.len()) {
        return Err(LockedCopyError::Efault);
    }
    let max_tries = max_tries.max(1);
    let mut tries = 0;
    loop {
        tries += 1;
        let guard = lock.lock::<A>();
        let value = produce(buf);
        let done = match copy_to_user_nofault::<A>(to, buf) {
            Ok(()) => Some(value),
            Err(Efault) => {
                drop(value);
                None
            }
        };
        guard.unlock();
        if let Some(value) = done {
            return Ok(Copied { value, tries });
        }
        if tries == max_tries {
            return Err(LockedCopyError::TooManyTries { tries });
        }
        // The lock is released: here the fault may sleep.
        if fault_in_writeable::<A>(to, buf.len()) != 0 {
            return Err(LockedCopyError::Efault);
        }
    }
}

/// Copies `buf.len()` bytes from user address `from` and hands them to `consume` under `lock`,
/// falling back to a sleepable fault-in when the copy under the lock comes up short: the
/// copy_from_user counterpart of [`copy_to_user_locked`]. The same as
/// [`copy_from_user_locked_with`] with nothing to recompute at the start of a try.
///
/// # Context
/// May sleep (in the fault-in, with the lock released). Process context, page faults enabled,
/// not holding `lock` or any other spinlock; never sleeps with `lock` held.
#[track_caller]
pub fn copy_from_user_locked<A: RawUserAccess, R>(
    lock: &RawSpinLock,
    from: usize,
    buf: &mut [u8],
    max_tries: u32,
    consume: impl FnOnce(&[u8]) -> R,
) -> Result<Copied<R>, LockedCopyError> {
    copy_from_user_locked_with::<A, R>(lock, from, buf, max_tries, || {}, consume)
}

/// Copies `buf.len()` bytes from user address `from` and hands them to `consume` under `lock`,
/// falling back to a sleepable fault-in when the copy under the lock comes up short.
///
/// Each try takes `lock`, calls `prepare` (to recompute, under the lock, whatever may have
/// changed while it was released), and copies from `[from, from + buf.len())` into `buf` with
/// page faults disabled ([`copy_from_user_nofault`]). When the copy completes, `consume(buf)`
/// runs under the same hold of the lock — it only ever sees a complete copy — and its result is
/// returned in [`Copied`]. When it comes up short, the guard is consumed (the lock released),
/// the range is faulted in with [`fault_in_readable`], where it may sleep, and the next try
/// starts over. Gives up as [`copy_to_user_locked`] does; `buf` then holds what the last try
/// copied up to the byte that faulted.
///
/// **It never sleeps with `lock` held**: under the lock only `prepare`, the copy (always with
/// page faults disabled) and `consume` run; the two closures must not sleep or touch user
/// memory.
///
/// # Context
/// May sleep (in the fault-in, with the lock released; and where preempt_enable() at unlock
/// reschedules). Process context, page faults enabled, not holding `lock` or any other
/// spinlock; with debug-atomic-sleep a call from atomic context is reported on every call.
#[track_caller]
pub fn copy_from_user_locked_with<A: RawUserAccess, R>(
    lock: &RawSpinLock,
    from: usize,
    buf: &mut [u8],
    max_tries: u32,
    mut prepare: impl FnMut(),
    consume: impl FnOnce(&[u8]) -> R,
) -> Result<Copied<R>, LockedCopyError> {
    might_fault::<A>();
    if !access_ok::<A>(from, buf.len()) {
        return Err(LockedCopyError::Efault);
    }
    let max_tries = max_tries.max(1);
    let mut tries = 0;
    let guard = loop {
        tries += 1;
        let guard = lock.lock::<A>();
        prepare();
        if copy_from_user_nofault::<A>(buf, from).is_ok() {
            break guard;
        }
        guard.unlock();
        if tries == max_tries {
            return Err(LockedCopyError::TooManyTries { tries });
        }
        // The lock is released: here the fault may sleep.
        if fault_in_readable::<A>(from, buf.len()) != 0 {
            return Err(LockedCopyError::Efault);
        }
    };
    let value = consume(buf);
    guard.unlock();
    Ok(Copied { value, tries })
}
