//! The portable half of mightfault: everything that decides whether the current context may sleep.
//!
//! This crate knows nothing about any processor. It reaches the machine only through the
//! [`Arch`] trait (where the preempt count lives, the current cpu and task, the irq state, a
//! console and a clock) and, for user memory, through [`RawUserAccess`]. Each backend in
//! `mightfault-arch` implements both; `mightfault-uaccess` builds the user accessors on top.
//!
//! Every function is generic over the backend (`A: Arch`), so each call is resolved statically
//! and inlines down to the backend's own instructions: `preempt_disable::<A>()` is one
//! gs-relative `add` on x86_64, and `might_fault::<A>()` is nothing at all when
//! `debug-atomic-sleep` is off.
//!
//! A kernel implements [`Arch`] (and [`RawUserAccess`]) on a type of its own and names it at
//! each call. Here the kernel is the repository's second consumer, `minikernel`:
//!
//! ```
//! # use minikernel::Mini as MyKernel;
//! use mightfault_core::console::{capture_start, capture_stop};
//! use mightfault_core::{config, might_fault, pagefault_disable, pagefault_enable, RawSpinLock};
//!
//! static LOCK: RawSpinLock = RawSpinLock::new("stats_lock");
//!
//! capture_start::<MyKernel>();
//! let guard = LOCK.lock::<MyKernel>();
//! pagefault_disable::<MyKernel>();
//! might_fault::<MyKernel>(); // deliberate: page faults are disabled, so this is silent
//! pagefault_enable::<MyKernel>();
//! might_fault::<MyKernel>(); // the bug: a fault here would sleep under the spinlock
//! drop(guard);
//! let reports = capture_stop::<MyKernel, _>(|text| {
//!     text.text().matches("BUG: sleeping function called from invalid context").count()
//! });
//! assert_eq!(reports, usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT));
//! ```
#![no_std]

pub mod arch;
pub mod call_trace;
pub mod config;
pub mod console;
pub mod context;
pub mod debug_state;
pub mod dump_stack;
pub mod extable;
pub mod fault;
#[cfg(feature = "debug-atomic-sleep")]
pub mod held_locks;
pub mod irq;
pub mod irq_entry;
pub mod irq_tracking;
pub mod kallsyms_area;
pub mod machine_state;
pub mod might_sleep;
pub mod pagefault;
pub mod preempt;
pub mod preempt_count;
pub mod rcu;
pub mod schedule_bug;
pub mod softirq;
pub mod spinlock;
pub mod symbol_table;
pub mod taint;
pub mod task;
pub mod user_access;
pub mod user_futex;
pub mod warn;

pub use arch::{Arch, IrqFlags, PreemptCountStore};
pub use call_trace::{CallTraceStyle, StackFrame, TraceStart};
pub use debug_state::DebugState;
pub use dump_stack::dump_stack;
pub use irq::{
    irqs_disabled, local_irq_disable, local_irq_enable, local_irq_restore, local_irq_save,
    IrqSaveGuard,
};
pub use irq_entry::{irq_enter, irq_exit, preemptible_on_irq_return};
pub use irq_tracking::{
    hardirqs_off_on_entry, hardirqs_restore_on_exit, irqs_off_flag_in_sync, trace_hardirqs_off,
    trace_hardirqs_on,
};
pub use machine_state::MachineState;
pub use might_sleep::{
    cant_sleep, may_not_sleep_word, might_fault, might_fault_at, might_fault_pending, might_sleep,
    sleeping_forbidden,
};
pub use pagefault::{
    faulthandler_disabled, pagefault_disable, pagefault_disabled, pagefault_enable,
    PagefaultDisabledGuard,
};
pub use preempt::{
    in_atomic, in_hardirq, in_interrupt, in_task, preempt_count, preempt_disable, preempt_enable,
    preempt_enable_no_resched, prepare_task_switch, PreemptDisabledGuard,
};
pub use preempt_count::PreemptCount;
pub use rcu::{rcu_preempt_depth, rcu_read_lock, rcu_read_unlock, synchronize_rcu, RcuReadGuard};
pub use softirq::{
    in_serving_softirq, in_softirq, local_bh_disable, local_bh_enable, raise_softirq,
    BhDisabledGuard, Softirq,
};
pub use spinlock::{Lockup, RawSpinLock, SpinLockGuard};
pub use task::TaskContext;
pub use user_access::{Efault, RawUserAccess, UserScalar};
pub use user_futex::{FutexOp, RawUserFutex};
