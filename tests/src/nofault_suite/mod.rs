//! The `nofault` suite: the copies that never sleep, fault-in, and the atomic copy with a
//! sleepable fallback (`mightfault_uaccess::nofault`).
//!
//! Pages are made not present in two ways: laid out so ([`crate::machine::PageKind::NotPresent`], paged in
//! zero-filled), or evicted after they were present ([`SeedMachine::evict_user_page`], paged in
//! with their contents). The retry cases evict from inside the closure that runs under the
//! lock, so the page goes away again between a fault-in and the next try.

mod copies;
mod fault_in;
mod locked;

use core::cell::Cell;

use mightfault_core::spinlock::lock_value;
use mightfault_core::{config, in_atomic, pagefault_disabled, RawSpinLock};

use crate::ktap::{Case, Suite};
use crate::machine::SeedMachine;
use crate::support::{captured, count, pattern};

use copies::{
    evict_keeps_contents, nofault_copies_never_page_in, nofault_copies_present,
    nofault_copies_refuse_bad_addresses, nofault_copies_silent_in_atomic_context,
};
use fault_in::{fault_in_counts_bytes_not_faulted_in, fault_in_makes_pages_present};
use locked::{
    locked_copy_efault_on_bad_memory, locked_copy_from_completes_after_fault_in,
    locked_copy_gives_up_after_max_tries, locked_copy_never_sleeps_under_lock,
    locked_copy_survives_eviction_between_tries, locked_copy_to_completes_after_fault_in,
};

pub(super) const DATA: [u8; 64] = pattern::<64>(0x31);
pub(super) const OLD: [u8; 64] = pattern::<64>(0x77);

/// The lock the retry cases copy under.
pub(super) static LOCK: RawSpinLock = RawSpinLock::new("nofault_lock");

/// The suite, instantiated for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: SeedMachine>() -> Suite {
    Suite {
        name: "nofault",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: SeedMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "evict_keeps_contents",
            run: evict_keeps_contents::<M>,
        },
        Case {
            name: "nofault_copies_present",
            run: nofault_copies_present::<M>,
        },
        Case {
            name: "nofault_copies_never_page_in",
            run: nofault_copies_never_page_in::<M>,
        },
        Case {
            name: "nofault_copies_refuse_bad_addresses",
            run: nofault_copies_refuse_bad_addresses::<M>,
        },
        Case {
            name: "nofault_copies_silent_in_atomic_context",
            run: nofault_copies_silent_in_atomic_context::<M>,
        },
        Case {
            name: "fault_in_makes_pages_present",
            run: fault_in_makes_pages_present::<M>,
        },
        Case {
            name: "fault_in_counts_bytes_not_faulted_in",
            run: fault_in_counts_bytes_not_faulted_in::<M>,
        },
        Case {
            name: "locked_copy_to_completes_after_fault_in",
            run: locked_copy_to_completes_after_fault_in::<M>,
        },
        Case {
            name: "locked_copy_from_completes_after_fault_in",
            run: locked_copy_from_completes_after_fault_in::<M>,
        },
        Case {
            name: "locked_copy_never_sleeps_under_lock",
            run: locked_copy_never_sleeps_under_lock::<M>,
        },
        Case {
            name: "locked_copy_survives_eviction_between_tries",
            run: locked_copy_survives_eviction_between_tries::<M>,
        },
        Case {
            name: "locked_copy_efault_on_bad_memory",
            run: locked_copy_efault_on_bad_memory::<M>,
        },
        Case {
            name: "locked_copy_gives_up_after_max_tries",
            run: locked_copy_gives_up_after_max_tries::<M>,
        },
    ];
}

/// How many times the current task has slept.
pub(super) fn switches<M: SeedMachine>() -> u64 {
    M::current_task().voluntary_switches()
}

/// Whether the console stayed free of reports and warnings since the case began (this stops
/// the capture: call it once, at the end).
pub(super) fn no_reports<M: SeedMachine>() -> bool {
    captured::<M, _>(|text| count(text, "BUG:") == 0 && count(text, "WARNING:") == 0)
}

/// What the closures that run under [`LOCK`] saw. Closures cannot fail a case themselves, so
/// they note the first thing that was wrong and the case checks it afterwards. Cells, so that
/// the two closures of a copy from user can share one.
#[derive(Default)]
pub(super) struct UnderLock {
    /// Calls of [`UnderLock::enter`] so far.
    calls: Cell<u32>,
    /// The first violation seen.
    wrong: Cell<Option<&'static str>>,
    /// The task's sleeps and cpu when the last call entered.
    switches: Cell<u64>,
    cpu: Cell<u32>,
}

impl UnderLock {
    pub(super) fn note(&self, what: &'static str) {
        if self.wrong.get().is_none() {
            self.wrong.set(Some(what));
        }
    }

    pub(super) fn calls(&self) -> u32 {
        self.calls.get()
    }

    pub(super) fn wrong(&self) -> Option<&'static str> {
        self.wrong.get()
    }

    /// Called first thing in a closure under the lock: the lock is held by this cpu (so the
    /// task has not moved since it took it), the context is atomic where the count exists, and
    /// page faults are enabled (the closure is not inside the no-fault copy). Records the
    /// sleeps and cpu.
    pub(super) fn enter<M: SeedMachine>(&self) {
        self.calls.set(self.calls.get() + 1);
        if LOCK.value() != lock_value(M::cpu_id()) {
            self.note("closure ran without the lock held by its cpu");
        }
        if config::PREEMPT_COUNT && !in_atomic::<M>() {
            self.note("closure ran outside atomic context");
        }
        if pagefault_disabled::<M>() {
            self.note("closure ran with page faults disabled");
        }
        self.switches.set(switches::<M>());
        self.cpu.set(M::cpu_id());
    }

    /// Called later under the same hold of the lock: nothing slept or moved the task since
    /// [`UnderLock::enter`].
    pub(super) fn still<M: SeedMachine>(&self) {
        if switches::<M>() != self.switches.get() {
            self.note("the task slept while holding the lock");
        }
        if M::cpu_id() != self.cpu.get() || LOCK.value() != lock_value(M::cpu_id()) {
            self.note("the task changed cpu while holding the lock");
        }
    }
}
