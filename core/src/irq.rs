//! Local interrupt masking, as local_irq_save()/local_irq_restore(). Call these, not the
//! `Arch` methods: they also keep the irqs-off flag of the may-not-sleep word
//! (`crate::irq_tracking`) with debug-atomic-sleep.

use core::marker::PhantomData;

use crate::arch::{Arch, IrqFlags};
use crate::irq_tracking::{trace_hardirqs_off, trace_hardirqs_on};

/// Whether interrupts are masked on this cpu.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn irqs_disabled<A: Arch>() -> bool {
    A::irqs_disabled()
}

/// Masks interrupts on this cpu and returns the previous state. With debug-atomic-sleep it
/// also sets the irqs-off flag of the may-not-sleep word (`crate::irq_tracking`).
///
/// # Context
/// Never sleeps; any context. The caller must not sleep until [`local_irq_restore`].
#[inline(always)]
pub fn local_irq_save<A: Arch>() -> IrqFlags {
    let flags = A::local_irq_save();
    trace_hardirqs_off::<A>();
    flags
}

/// Restores the state saved by [`local_irq_save`] (clearing the irqs-off flag first when it
/// unmasks).
///
/// # Context
/// Never sleeps; on the cpu and task that saved the state.
#[inline(always)]
pub fn local_irq_restore<A: Arch>(flags: IrqFlags) {
    if !A::irqs_disabled_flags(flags) {
        trace_hardirqs_on::<A>();
    }
    A::local_irq_restore(flags)
}

/// Unmasks interrupts on this cpu.
///
/// # Context
/// Never sleeps; any context that may take interrupts (not inside an interrupt handler that
/// must finish masked, not under a lock that an interrupt handler also takes).
#[inline(always)]
pub fn local_irq_enable<A: Arch>() {
    trace_hardirqs_on::<A>();
    A::local_irq_enable()
}

/// Masks interrupts on this cpu.
///
/// # Context
/// Never sleeps; any context. The caller must not sleep until [`local_irq_enable`].
#[inline(always)]
pub fn local_irq_disable<A: Arch>() {
    A::local_irq_disable();
    trace_hardirqs_off::<A>();
}

/// Keeps interrupts masked until dropped, then restores the previous state.
///
/// # Context
/// Never sleeps; any context.
#[must_use = "interrupts are restored when the guard is dropped"]
pub struct IrqSaveGuard<A: Arch> {
    flags: IrqFlags,
    _arch: PhantomData<A>,
    _not_send: PhantomData<*const ()>,
}

impl<A: Arch> IrqSaveGuard<A> {
    /// Masks interrupts and returns the guard that restores them.
    ///
    /// # Context
    /// Never sleeps; any context.
    #[inline(always)]
    pub fn save() -> Self {
        Self {
            flags: local_irq_save::<A>(),
            _arch: PhantomData,
            _not_send: PhantomData,
        }
    }
}

impl<A: Arch> Drop for IrqSaveGuard<A> {
    #[inline(always)]
    fn drop(&mut self) {
        local_irq_restore::<A>(self.flags);
    }
}
