//! The spinlock of the 2014 s390 thread: the lock word holds the owner's cpu-specific value.
//!
//! lock: preempt_disable(), then compare-and-swap 0 → `!cpu`, spinning while the word is not 0.
//! unlock: compare-and-swap `!cpu` → 0 with the *current* cpu's value, ignoring failure, then
//! preempt_enable(). A holder that sleeps and wakes on another cpu therefore fails to unlock
//! and the lock stays held forever: the deadlock the thread spent a week on. With
//! `debug-spinlock` such an unlock reports "wrong CPU"; a watchdog reports a spinner that
//! waits too long instead of letting it hang silently.

use core::marker::PhantomData;
use core::panic::Location;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::arch::Arch;
#[cfg(feature = "debug-atomic-sleep")]
use crate::held_locks::HeldLock;
use crate::preempt::{preempt_disable, preempt_enable};

/// How long a spinner waits before it reports a suspected lockup (Linux's debug spinlock
/// waited about a second).
pub const LOCKUP_WATCHDOG_NS: u64 = 1_000_000_000;

/// The value cpu `cpu` stores in a lock word it owns: the bitwise not of its number, so that
/// cpu 0's value is not 0 (free).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub const fn lock_value(cpu: u32) -> u32 {
    !cpu
}

/// A lock that could not be taken before the watchdog expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lockup {
    /// The lock word seen last.
    pub value: u32,
    /// The cpu whose value that is.
    pub owner_cpu: u32,
}

/// A spinlock whose word records the owning cpu. It guards no data of its own, like
/// Linux's `spinlock_t`; wrap data in your own type and take the lock around accesses.
pub struct RawSpinLock {
    word: AtomicU32,
    name: &'static str,
}

impl RawSpinLock {
    /// An unlocked lock with a name for reports.
    ///
    /// # Context
    /// Never sleeps; any context (`const fn`).
    pub const fn new(name: &'static str) -> Self {
        Self {
            word: AtomicU32::new(0),
            name,
        }
    }

    /// The name given at creation.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The raw lock word: 0 when free, else the owner's [`lock_value`].
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn value(&self) -> u32 {
        self.word.load(Ordering::Relaxed)
    }

    /// Whether the word is not 0.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn is_locked(&self) -> bool {
        self.value() != 0
    }

    /// Takes the lock, spinning as long as it takes. Every [`LOCKUP_WATCHDOG_NS`] of spinning
    /// prints a "spinlock lockup suspected" report and goes on spinning, as Linux's debug
    /// spinlock did.
    ///
    /// # Context
    /// Never sleeps; any context. The caller must not sleep until the guard is dropped.
    #[track_caller]
    // Out of line when locks are tracked, so that the return address names the caller, as
    // lockdep's `acquire_ip` does.
    #[cfg_attr(feature = "debug-atomic-sleep", inline(never))]
    pub fn lock<A: Arch>(&self) -> SpinLockGuard<'_, A> {
        let taken_at = Location::caller();
        let taken_at = (taken_at, lock_frame_marker!());
        preempt_disable::<A>();
        while let Err(lockup) = self.spin_until::<A>(LOCKUP_WATCHDOG_NS) {
            report_lockup::<A>(self, lockup);
        }
        self.acquired::<A>(taken_at)
    }

    /// Takes the lock unless it stays held longer than `timeout_ns`; then reports the suspected
    /// lockup once and returns it, with preemption as it was before the call.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[track_caller]
    // Out of line when locks are tracked, so that the return address names the caller, as
    // lockdep's `acquire_ip` does.
    #[cfg_attr(feature = "debug-atomic-sleep", inline(never))]
    pub fn lock_with_watchdog<A: Arch>(
        &self,
        timeout_ns: u64,
    ) -> Result<SpinLockGuard<'_, A>, Lockup> {
        let taken_at = Location::caller();
        let taken_at = (taken_at, lock_frame_marker!());
        preempt_disable::<A>();
        match self.spin_until::<A>(timeout_ns) {
            Ok(()) => Ok(self.acquired::<A>(taken_at)),
            Err(lockup) => {
                report_lockup::<A>(self, lockup);
                preempt_enable::<A>();
                Err(lockup)
            }
        }
    }

    /// Takes the lock if it is free right now.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[track_caller]
    // Out of line when locks are tracked, so that the return address names the caller, as
    // lockdep's `acquire_ip` does.
    #[cfg_attr(feature = "debug-atomic-sleep", inline(never))]
    pub fn try_lock<A: Arch>(&self) -> Option<SpinLockGuard<'_, A>> {
        let taken_at = Location::caller();
        let taken_at = (taken_at, lock_frame_marker!());
        preempt_disable::<A>();
        if A::compare_and_swap(&self.word, 0, lock_value(A::cpu_id())) {
            Some(self.acquired::<A>(taken_at))
        } else {
            preempt_enable::<A>();
            None
        }
    }

    /// Spins until this cpu's compare-and-swap takes the lock, or `timeout_ns` passes.
    fn spin_until<A: Arch>(&self, timeout_ns: u64) -> Result<(), Lockup> {
        let mine = lock_value(A::cpu_id());
        let start = A::now_ns();
        loop {
            if A::compare_and_swap(&self.word, 0, mine) {
                return Ok(());
            }
            // Spin on a plain load, not on the compare-and-swap, to keep the line shared.
            loop {
                let seen = self.word.load(Ordering::Relaxed);
                if seen == 0 {
                    break;
                }
                if A::now_ns().wrapping_sub(start) >= timeout_ns {
                    return Err(Lockup {
                        value: seen,
                        owner_cpu: !seen,
                    });
                }
                A::cpu_relax();
            }
        }
    }

    /// Records the lock as held, taken at `taken_at.0` by the caller of the function whose frame
    /// holds `taken_at.1` (a marker local; 0 without lock tracking).
    #[inline(always)]
    fn acquired<A: Arch>(
        &self,
        taken_at: (&'static Location<'static>, usize),
    ) -> SpinLockGuard<'_, A> {
        #[cfg(feature = "debug-atomic-sleep")]
        {
            let (at, marker) = taken_at;
            let ip = crate::call_trace::return_address::<A>(marker);
            A::current_task().held_locks().push(HeldLock {
                addr: self as *const Self as usize,
                name: self.name,
                taken_at: at,
                ip,
            });
            // Linux's get_lock_parent_ip(): a lock that raised the count from 0 names its
            // caller as where preemption was disabled, not the lock function.
            #[cfg(feature = "debug-preempt")]
            if crate::preempt::preempt_count::<A>() == crate::preempt_count::PREEMPT_OFFSET {
                A::current_task().set_preempt_disable_ip(at, ip);
            }
        }
        #[cfg(not(feature = "debug-atomic-sleep"))]
        let _ = taken_at;
        SpinLockGuard {
            lock: self,
            _arch: PhantomData,
            _not_send: PhantomData,
        }
    }

    /// Releases with the current cpu's value; a mismatch leaves the word as it is.
    fn unlock<A: Arch>(&self) {
        let cpu = A::cpu_id();
        #[cfg(feature = "debug-spinlock")]
        {
            let seen = self.value();
            if seen != lock_value(cpu) {
                report_wrong_cpu::<A>(self, seen);
            }
        }
        #[cfg(feature = "debug-atomic-sleep")]
        A::current_task()
            .held_locks()
            .remove(self as *const Self as usize);
        // Release ordering: the critical section's stores must be visible before the word is 0.
        let _ =
            self.word
                .compare_exchange(lock_value(cpu), 0, Ordering::Release, Ordering::Relaxed);
        preempt_enable::<A>();
    }
}

/// The marker a lock function passes to `acquired`: a local of its own frame with lock
/// tracking (so that the held lock records the return into its caller), 0 without.
macro_rules! lock_frame_marker {
    () => {{
        #[cfg(feature = "debug-atomic-sleep")]
        let marker = crate::frame_marker!();
        #[cfg(not(feature = "debug-atomic-sleep"))]
        let marker = 0usize;
        marker
    }};
}
use lock_frame_marker;

/// Holds a [`RawSpinLock`]; dropping it unlocks.
#[must_use = "the lock is released when the guard is dropped"]
pub struct SpinLockGuard<'a, A: Arch> {
    lock: &'a RawSpinLock,
    _arch: PhantomData<A>,
    // The unlock compares against the current cpu's value: the guard must not move threads.
    _not_send: PhantomData<*const ()>,
}

impl<A: Arch> SpinLockGuard<'_, A> {
    /// Unlocks now (the same as dropping the guard).
    ///
    /// # Context
    /// May sleep (reschedule) with `preempt` as preempt_enable() does; same context as the lock.
    pub fn unlock(self) {
        drop(self);
    }
}

impl<A: Arch> Drop for SpinLockGuard<'_, A> {
    fn drop(&mut self) {
        self.lock.unlock::<A>();
    }
}

#[cold]
#[inline(never)]
fn report_lockup<A: Arch>(lock: &RawSpinLock, lockup: Lockup) {
    let task = A::current_task();
    crate::kprint!(
        A,
        "BUG: spinlock lockup suspected on CPU#{}, {}/{}\n lock: {:#x} ({}), value: {:#010x}, owner cpu: {}\n",
        A::cpu_id(),
        task.name(),
        task.pid(),
        lock as *const RawSpinLock as usize,
        lock.name,
        lockup.value,
        lockup.owner_cpu
    );
    // Linux's spin_dump() ends with dump_stack().
    crate::dump_stack::dump_stack::<A>();
    crate::call_trace::keep_frame();
}

#[cfg(feature = "debug-spinlock")]
#[cold]
#[inline(never)]
fn report_wrong_cpu<A: Arch>(lock: &RawSpinLock, seen: u32) {
    let task = A::current_task();
    crate::kprint!(
        A,
        "BUG: spinlock wrong CPU on CPU#{}, {}/{}\n lock: {:#x} ({}), value: {:#010x}, owner cpu: {}\n",
        A::cpu_id(),
        task.name(),
        task.pid(),
        lock as *const RawSpinLock as usize,
        lock.name,
        seen,
        !seen
    );
    // Linux's spin_dump() ends with dump_stack().
    crate::dump_stack::dump_stack::<A>();
    crate::call_trace::keep_frame();
}
