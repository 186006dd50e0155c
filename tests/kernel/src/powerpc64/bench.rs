//! What one interrupt costs: a benchmark of the exception entry and exit path.
//!
//! [`irq_round_trip`] takes decrementer interrupts back to back on this cpu through
//! [`trap::interrupt_round_trip_ns`]: the decrementer stays negative, so each `rfid` is
//! followed at once by the next interrupt, through the real vector, the real-mode and
//! translated entry (`trap.rs`), the Rust dispatch with `irq_enter`/`irq_exit` and the
//! scheduler's `irq_return`, and the full exit; only the tick's own work is left out, as the
//! other arches' figures leave out their handlers'. Time is the time base.
//!
//! Preemption is disabled throughout; the tick is re-armed after each batch.

use mightfault_core::{preempt_disable, preempt_enable};

use super::{trap, Ppc64};
use crate::batch_spread::{BatchSpread, BATCHES};

/// Most round trips per call.
pub const MAX_ITERATIONS: usize = 256;

/// What [`irq_round_trip`] measured, in nanoseconds per round trip.
#[derive(Clone, Copy, Debug, Default)]
pub struct IrqRoundTrip(pub BatchSpread);

impl core::fmt::Display for IrqRoundTrip {
    fn fmt(&self, out: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            out,
            "irq round trip {} ns (decrementer interrupts back to back through \
             irq_enter/irq_exit/irq_return; {})",
            self.0.median_ns, self.0
        )
    }
}

/// Measures `iterations` (at most [`MAX_ITERATIONS`], at least one per batch) interrupt round
/// trips on this cpu (see the module doc) and returns the cost of one.
///
/// Interrupts are enabled inside whatever the caller's state, and that state is restored
/// before returning; the tick resumes after each batch. Takes a few milliseconds under TCG.
///
/// # Context
/// Never sleeps; task context on a fully up cpu (preemption is disabled inside).
pub fn irq_round_trip(iterations: usize) -> IrqRoundTrip {
    let iterations = iterations.clamp(BATCHES, MAX_ITERATIONS);
    let per_batch = iterations / BATCHES;
    let mut rounds = [0u64; BATCHES];

    preempt_disable::<Ppc64>();
    // Warm-up, untimed: the first round trips pay for cold caches (and QEMU's translation).
    let _ = trap::interrupt_round_trip_ns(per_batch as u32);
    for round in rounds.iter_mut() {
        *round = trap::interrupt_round_trip_ns(per_batch as u32) / per_batch as u64;
    }
    preempt_enable::<Ppc64>();
    IrqRoundTrip(BatchSpread::of(&mut rounds, per_batch))
}
