//! The per-arch building blocks of the mightfault contract, for any kernel.
//!
//! `mightfault-core` decides whether the current context may sleep; it reaches the machine
//! only through the `Arch` and `RawUserAccess` traits, which the *kernel* implements on a type
//! of its own. This crate supplies what those implementations are made of on each processor,
//! without owning anything a kernel owns (no entry point, no linker script, no symbol the
//! kernel must define, no scheduler, no memory map):
//!
//! | arch | preempt count | irq flags | user accessors | fault classification |
//! |---|---|---|---|---|
//! | `x86_64` | per-cpu behind `gs` at the kernel's offset, need-resched folded inverted | `pushfq`/`cli`/`popfq` | single `mov`s at a branch-free masked address, `rep movsb`/`stosb` (FSRM/FSRS) or a word loop, inside `stac`/`clac` | #PF error code, SMAP, #GP |
//! | `s390x` | in the task (`mightfault_core::preempt_count::TaskPreemptCount`) | `stnsm`/`ssm` | MVCOS naming the secondary (user) space, up to 4 KiB each; futex `cs` under `sacf` | program-interruption codes, TEID address space |
//! | `powerpc64` | in the task | `mfmsr`/`mtmsrd` (L=1) EE | single loads/stores, 32-byte block copies, inside AMR (KUAP) windows | DSI/DSLB: DAR, DSISR, SRR1, saved AMR |
//!
//! Shared by every arch: the exception-table macros ([`ex_entry!`], [`fixup_begin!`],
//! [`fixup_end!`], [`linker_ex_table!`]) for the kernel's own `asm!`, the fault decision with
//! the kernel's resolution step ([`data_fault::decide`]), [`impl_raw_user_access!`], which
//! implements `RawUserAccess` for the kernel's type from [`native`]'s accessors, and
//! [`native_irq_methods!`], the interrupt methods of the kernel's `Arch` impl.
//!
//! Each arch module's pure parts (fault classification, register bits) exist on every target;
//! its instructions only on its own arch, which [`native`] names. PORTING.md in
//! the repository walks through a port.
#![no_std]

#[macro_use]
pub mod extable;
#[macro_use]
mod scalar_access;
pub mod data_fault;
pub mod stack_range;

// Every arch module exists on every target with its pure parts (fault classification,
// register bits); the parts with `asm!` exist only on their own arch.
pub mod powerpc64;
pub mod s390x;
pub mod x86_64;

cfg_if::cfg_if! {
    if #[cfg(target_arch = "x86_64")] {
        /// The building blocks of the arch this crate is compiled for.
        pub use x86_64 as native;
    } else if #[cfg(target_arch = "s390x")] {
        /// The building blocks of the arch this crate is compiled for.
        pub use s390x as native;
    } else if #[cfg(target_arch = "powerpc64")] {
        /// The building blocks of the arch this crate is compiled for.
        pub use powerpc64 as native;
    }
}

/// Implements `mightfault_core::RawUserAccess` and `mightfault_core::RawUserFutex` for a
/// kernel's machine type with [`native`]'s raw accessors (`copy_to_user`, `copy_from_user`,
/// `clear_user`, `get_user`, `put_user` and the address mask of `native::uaccess`; `cmpxchg`
/// and `atomic_op` of `native::futex`) and the kernel's user limit.
///
/// The kernel's fault handler must send every fault of these accessors through
/// [`data_fault::decide`] (or the core's `handle_user_fault`) with the kernel's exception
/// table, which must hold this crate's `__ex_table` entries: the `unsafe` in the invocation
/// is that promise.
///
/// ```text
/// mightfault_arch::impl_raw_user_access!(unsafe impl for MyKernel, user_limit = 0x7fff_ffff_f000);
/// ```
#[macro_export]
macro_rules! impl_raw_user_access {
    (unsafe impl for $machine:ty, user_limit = $limit:expr $(,)?) => {
        // SAFETY: the invoker's promise (see `impl_raw_user_access!`): every fault of the
        // accessors below reaches the contract's fault decision through the kernel's fault
        // handler and exception table; the accessors stop at the first faulting byte.
        unsafe impl $crate::__private::mightfault_core::RawUserAccess for $machine {
            const USER_LIMIT: usize = $limit;
            const MASKS_USER_ADDRESS: bool = $crate::native::uaccess::MASKS_USER_ADDRESS;

            #[inline(always)]
            fn mask_user_address(addr: usize) -> usize {
                $crate::native::uaccess::mask_user_address(addr, $limit)
            }

            #[inline(always)]
            unsafe fn raw_copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::uaccess::copy_to_user(to, from, n) }
            }

            #[inline(always)]
            unsafe fn raw_copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::uaccess::copy_from_user(to, from, n) }
            }

            #[inline(always)]
            unsafe fn raw_clear_user(to: usize, n: usize) -> usize {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::uaccess::clear_user(to, n) }
            }

            #[inline(always)]
            unsafe fn raw_get_user<T: $crate::__private::mightfault_core::UserScalar>(
                value: &mut T,
                from: usize,
            ) -> Result<(), $crate::__private::mightfault_core::Efault> {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::uaccess::get_user(value, from) }
            }

            #[inline(always)]
            unsafe fn raw_put_user<T: $crate::__private::mightfault_core::UserScalar>(
                to: usize,
                value: T,
            ) -> Result<(), $crate::__private::mightfault_core::Efault> {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::uaccess::put_user(to, value) }
            }
        }

        // SAFETY: the same promise covers the futex accessors: each is the arch's atomic
        // instruction on the user word with an exception-table entry, and a fault leaves the
        // word unchanged.
        unsafe impl $crate::__private::mightfault_core::RawUserFutex for $machine {
            #[inline(always)]
            unsafe fn raw_futex_cmpxchg(
                uaddr: usize,
                old: u32,
                new: u32,
            ) -> Result<u32, $crate::__private::mightfault_core::Efault> {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::futex::cmpxchg(uaddr, old, new) }
            }

            #[inline(always)]
            unsafe fn raw_futex_op(
                op: $crate::__private::mightfault_core::FutexOp,
                oparg: u32,
                uaddr: usize,
            ) -> Result<u32, $crate::__private::mightfault_core::Efault> {
                // SAFETY: the trait's contract is the accessor's.
                unsafe { $crate::native::futex::atomic_op(op, oparg, uaddr) }
            }
        }
    };
}

/// Expands, inside a kernel's `unsafe impl Arch`, to the six interrupt methods
/// (`irqs_disabled`, `local_irq_save`, `local_irq_restore`, `irqs_disabled_flags`,
/// `local_irq_enable`, `local_irq_disable`) from [`native`]'s `irq` module: RFLAGS.IF on x86_64, the PSW system
/// mask on s390x, MSR\[EE\] on powerpc64, each a compiler barrier.
///
/// `local_irq_enable` unmasks interrupts, which is only sound once the cpu can take them (its
/// vectors and handlers are set up): the `unsafe` in the invocation is the kernel's promise
/// that no `Arch` method runs on a cpu before that.
///
/// ```text
/// unsafe impl Arch for MyKernel {
///     mightfault_arch::native_irq_methods!(unsafe);
///     // current_task, cpu_id, ...
/// }
/// ```
#[macro_export]
macro_rules! native_irq_methods {
    (unsafe) => {
        #[inline(always)]
        fn irqs_disabled() -> bool {
            $crate::native::irq::irqs_disabled()
        }

        #[inline(always)]
        fn local_irq_save() -> $crate::__private::mightfault_core::IrqFlags {
            $crate::__private::mightfault_core::IrqFlags::from_raw(
                $crate::native::irq::irq_save() as usize
            )
        }

        #[inline(always)]
        fn local_irq_restore(flags: $crate::__private::mightfault_core::IrqFlags) {
            $crate::native::irq::irq_restore(flags.raw() as _)
        }

        #[inline(always)]
        fn irqs_disabled_flags(flags: $crate::__private::mightfault_core::IrqFlags) -> bool {
            $crate::native::irq::flags_disabled(flags.raw() as _)
        }

        #[inline(always)]
        fn local_irq_enable() {
            // SAFETY: the invoker's promise (`native_irq_methods!(unsafe)`): no Arch method
            // runs on a cpu before it can take interrupts.
            unsafe { $crate::native::irq::enable_irqs() }
        }

        #[inline(always)]
        fn local_irq_disable() {
            $crate::native::irq::disable_irqs()
        }
    };
}

/// What this crate's exported macros name; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::extable::linked_section_mut;
    pub use mightfault_core;
    pub use mightfault_core::extable::ExtableEntry;
}
