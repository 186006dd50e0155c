//! powerpc64 (ELFv2, radix MMU) building blocks, as Linux on powerpc64 has them:
//! - the preempt count lives in the task, as Linux keeps it in thread_info on powerpc64: the
//!   kernel names `mightfault_core::preempt_count::TaskPreemptCount` as its
//!   `Arch::PreemptCount`, and nothing of it is here; `percpu` reads the kernel's hot
//!   per-cpu fields (`current`, the cpu number) from the r13-based area (Linux's PACA) with
//!   one load each, so `preempt_disable()` is that load of `current` and one add;
//! - `irq`: MSR\[EE\] save/restore/enable/disable (`mfmsr`, `mtmsrd` with L=1);
//! - [`kuap`]: kernel user-access prevention with the AMR, as Linux's KUAP on radix: user
//!   access is blocked ([`kuap::AMR_BLOCKED`]) except inside an accessor's window, opened for
//!   the accessor's direction only and closed on every path out, fixups included. A kernel's
//!   own user-access `asm!` brackets its accesses with [`kuap_open!`](crate::kuap_open) and
//!   [`kuap_close!`](crate::kuap_close) and uses the shared [`ex_entry!`](crate::ex_entry),
//!   [`fixup_begin!`](crate::fixup_begin) and [`fixup_end!`](crate::fixup_end). The kernel's
//!   part: block at cpu bring-up (`kuap::block_user_access`); at every interrupt entry save
//!   the AMR in the frame and block, at the exit restore the saved value; hand the saved
//!   value to [`fault::classify_data_access`];
//! - `uaccess`: the raw user accessors: single loads/stores, copies 32 bytes per iteration
//!   with a byte fallback that keeps the residual exact, each access with a relative
//!   exception-table entry;
//! - `futex`: `lwarx`/`stwcx.` loops on the user word (compare-and-exchange and the futex
//!   operations), between full barriers as Linux's;
//! - [`fault`]: which data storage (0x300) or data segment (0x380) interrupt is a user fault,
//!   load or store, with interrupts on or off.
//!
//! `fault`, `kuap`'s constants and snippets, and the register bits compile for every target
//! (they are pure, so a kernel's host tests and these docs' examples can use them); the rest
//! only for this arch.
//!
//! The pagefault-disable counter is never per-cpu: it lives in the task (`TaskContext`).

// Before the modules whose `asm!` uses its macros.
#[macro_use]
pub mod kuap;

pub mod fault;
#[cfg(target_arch = "powerpc64")]
pub mod futex;
#[cfg(target_arch = "powerpc64")]
pub mod irq;
pub mod msr;
#[cfg(target_arch = "powerpc64")]
pub mod percpu;
#[cfg(target_arch = "powerpc64")]
pub mod uaccess;
pub mod unwind;
