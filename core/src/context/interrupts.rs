//! The tokens an interrupt dispatch hands to its handlers: never sleepable.

use core::marker::PhantomData;

use crate::arch::Arch;

use super::traits::{sealed, Context, Marker, PreemptDisabled};

macro_rules! interrupt_token {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        pub struct $name<A: Arch> {
            _marker: Marker<A>,
        }

        impl<A: Arch> $name<A> {
            #[doc = concat!("The interrupt dispatch vouches that the current code is ", $what, ".")]
            /// With `debug-atomic-sleep` it runs [`crate::cant_sleep()`], which reports a
            /// preemptible context.
            ///
            /// # Safety
            #[doc = concat!("Not memory safety but the contract of the token: the caller is ", $what, ",")]
            /// and hands the token only to the handler it runs there.
            ///
            /// # Context
            /// Never sleeps; the context named above, which must not sleep.
            #[inline(always)]
            #[track_caller]
            pub unsafe fn assume() -> Self {
                crate::might_sleep::cant_sleep::<A>();
                Self {
                    _marker: PhantomData,
                }
            }
        }

        impl<A: Arch> sealed::Sealed for $name<A> {}
        impl<A: Arch> Context for $name<A> {
            type Arch = A;
        }
        impl<A: Arch> PreemptDisabled for $name<A> {}
    };
}

interrupt_token!(
    /// A hard interrupt handler's context, between `irq_enter()` and `irq_exit()`.
    ///
    /// # Context
    /// Hard interrupt context: never sleeps, never receives a [`Sleepable`](super::Sleepable).
    HardIrq,
    "a hard interrupt handler run between `irq_enter()` and `irq_exit()`"
);

interrupt_token!(
    /// A softirq handler's context (`SOFTIRQ_OFFSET` held).
    ///
    /// # Context
    /// Softirq context: never sleeps, never receives a [`Sleepable`](super::Sleepable).
    SoftIrq,
    "a softirq handler run while the softirqs are served"
);

interrupt_token!(
    /// A timer callback's context: Linux runs timers from the timer softirq.
    ///
    /// # Context
    /// Softirq context: never sleeps, never receives a [`Sleepable`](super::Sleepable).
    TimerCallback,
    "a timer callback run from the timer softirq (or the tick's interrupt)"
);
