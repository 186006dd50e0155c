//! The `futex` suite: atomic operations on a word in user memory
//! (`futex_atomic_cmpxchg_inatomic`, `futex_atomic_op_inuser`), the first user of
//! pagefault_disable() that the 2014 thread names.
//!
//! Each case runs the operations as the futex code does: in atomic context with page faults
//! disabled, where a fault must return -EFAULT without sleeping or reporting, and the caller
//! faults the page in outside the atomic section and retries.

mod contention;
mod ops;

use mightfault_core::{pagefault_disable, pagefault_enable, preempt_disable, preempt_enable};

use crate::context_machine::ContextMachine;
use crate::ktap::{Case, Suite};
use crate::machine::SeedMachine;
use crate::support::{captured, count};

use contention::futex_contention_loses_no_update;
use ops::{
    futex_fault_is_efault_with_pagefaults_disabled, futex_ops_return_old_value,
    futex_refuses_bad_addresses,
};

/// The suite, for machine `M`.
///
/// # Context
/// Never sleeps (it only builds the list); any context.
pub fn suite<M: ContextMachine>() -> Suite {
    Suite {
        name: "futex",
        cases: Cases::<M>::LIST,
    }
}

struct Cases<M>(core::marker::PhantomData<M>);

impl<M: ContextMachine> Cases<M> {
    const LIST: &'static [Case] = &[
        Case {
            name: "futex_ops_return_old_value",
            run: futex_ops_return_old_value::<M>,
        },
        Case {
            name: "futex_refuses_bad_addresses",
            run: futex_refuses_bad_addresses::<M>,
        },
        Case {
            name: "futex_fault_is_efault_with_pagefaults_disabled",
            run: futex_fault_is_efault_with_pagefaults_disabled::<M>,
        },
        Case {
            name: "futex_contention_loses_no_update",
            run: futex_contention_loses_no_update::<M>,
        },
    ];
}

/// Runs `body` as the futex code runs its user-word update: in atomic context (here preemption
/// disabled, standing for the hash-bucket lock) with page faults disabled.
fn atomic_with_faults_disabled<M: SeedMachine, R>(body: impl FnOnce() -> R) -> R {
    preempt_disable::<M>();
    pagefault_disable::<M>();
    let result = body();
    pagefault_enable::<M>();
    preempt_enable::<M>();
    result
}

/// The futex word's bytes as the machine stores a u32.
fn word_bytes(value: u32) -> [u8; 4] {
    value.to_ne_bytes()
}

/// Reads the word at `uaddr` without the accessors under test; `None` when it is not present.
fn peek_word<M: SeedMachine>(uaddr: usize) -> Option<u32> {
    let mut bytes = [0u8; 4];
    M::peek_user(uaddr, &mut bytes).then(|| u32::from_ne_bytes(bytes))
}

/// Whether the console stayed free of reports and warnings since the case began (this stops
/// the capture: call it once, at the end).
fn no_reports<M: SeedMachine>() -> bool {
    captured::<M, _>(|text| count(text, "BUG:") == 0 && count(text, "WARNING:") == 0)
}
