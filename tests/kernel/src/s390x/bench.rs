//! What one interrupt costs: a benchmark of the external-interruption entry, the dispatch and
//! the exit path.
//!
//! [`irq_round_trip`] sends SIGP emergency-signal orders to its own cpu with interrupts
//! enabled, one at a time, each waited for until its handler ran. Every one is a real external
//! interruption (code 0x1201) through the same new PSW, stubs (`entry.rs`) and dispatch
//! (`trap.rs`) as the rescheduling IPI, with `irq_enter`/`irq_exit` around the scheduler's
//! `resched_ipi` and `irq_return` at the end. The same number of SIGP sense orders, which
//! raise no interruption, are timed as well and subtracted, so that what remains is the
//! interruption itself. Time is the TOD clock (bit 51 = 1 µs).
//!
//! Preemption is disabled throughout, so `irq_return` never switches tasks here, and the
//! emergency signal's `resched_ipi` at most asks for a reschedule that `preempt_enable` then
//! honours, as for any stale kick.

use core::sync::atomic::{AtomicU64, Ordering};

use mightfault_core::{
    local_irq_enable, local_irq_restore, local_irq_save, preempt_disable, preempt_enable,
};

use super::cpu::{self, sigp, SigpOrder};
use super::{lowcore, S390};
use crate::batch_spread::{BatchSpread, BATCHES};
use crate::sched::MAX_CPUS;

/// Emergency signals each cpu has taken since boot (counted by [`emergency_signal`]).
static HITS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Most round trips per call.
pub const MAX_ITERATIONS: usize = 256;
/// How long one batch may take before the measurement gives up on a signal that never
/// arrives (µs; a batch normally takes well under a millisecond under TCG).
const BATCH_TIMEOUT_US: u64 = 100_000;

/// TOD clock units (bit 51 = 1 µs: 4096 per µs) to nanoseconds.
const fn tod_to_ns(tod: u64) -> u64 {
    (tod as u128 * 125 / 512) as u64
}

/// What [`irq_round_trip`] measured, in nanoseconds per round trip.
#[derive(Clone, Copy, Debug, Default)]
pub struct IrqRoundTrip {
    /// Per batch: emergency signal round trip less SIGP sense.
    pub round_trip: BatchSpread,
    /// Median per-order cost of the emergency-signal batches, the SIGP included.
    pub signal_ns: u64,
    /// Median per-order cost of the SIGP sense batches.
    pub sense_ns: u64,
    /// Whether an emergency signal failed to arrive in time (the figures are then meaningless).
    pub lost: bool,
}

impl core::fmt::Display for IrqRoundTrip {
    fn fmt(&self, out: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.lost {
            return write!(
                out,
                "irq round trip unavailable (a SIGP emergency signal to self never arrived)"
            );
        }
        write!(
            out,
            "irq round trip {} ns (SIGP emergency signal to self through \
             irq_enter/irq_exit/irq_return: {} ns less SIGP sense {} ns; {})",
            self.round_trip.median_ns, self.signal_ns, self.sense_ns, self.round_trip
        )
    }
}

/// Counts an emergency signal on this cpu; called by the external-interruption dispatch
/// (trap.rs) between `irq_enter` and `irq_exit`.
///
/// # Context
/// Hard interrupt context.
pub fn emergency_signal() {
    HITS[lowcore::cpu_nr() as usize].fetch_add(1, Ordering::Relaxed);
}

/// One batch: `count` emergency signals to `addr` (this cpu), each waited for; returns the TOD
/// units it took, or None when one never arrived.
fn signal_batch(addr: u16, hits: &AtomicU64, count: usize) -> Option<u64> {
    let start = cpu::tod();
    let deadline = start + (BATCH_TIMEOUT_US << 12);
    for _ in 0..count {
        let before = hits.load(Ordering::Relaxed);
        // SAFETY: an emergency signal only raises an external interruption on this cpu, which
        // is up and handles it (trap.rs); interrupts are enabled, so it is taken right away.
        let _ = unsafe { sigp(addr, SigpOrder::EmergencySignal, 0) };
        let mut spins = 0u32;
        while hits.load(Ordering::Relaxed) == before {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(1024) && cpu::tod() > deadline {
                return None;
            }
            core::hint::spin_loop();
        }
    }
    Some(cpu::tod() - start)
}

/// One batch of `count` SIGP sense orders to `addr` (this cpu): the order without the
/// interruption. Returns the TOD units it took.
fn sense_batch(addr: u16, hits: &AtomicU64, count: usize) -> u64 {
    let start = cpu::tod();
    for _ in 0..count {
        // The same counter read as in the signal loop, so that only the interruption differs.
        core::hint::black_box(hits.load(Ordering::Relaxed));
        // SAFETY: sense only asks for the cpu's status.
        let _ = unsafe { sigp(addr, SigpOrder::Sense, 0) };
    }
    cpu::tod() - start
}

fn median(samples: &mut [u64; BATCHES]) -> u64 {
    BatchSpread::of(samples, 1).median_ns
}

/// Measures `iterations` (at most [`MAX_ITERATIONS`], at least one per batch) external
/// interruption round trips on this cpu (see the module doc) and returns the cost of one.
///
/// Interrupts are enabled inside whatever the caller's state, and that state is restored
/// before returning; every emergency signal sent is taken before it returns (or, if one is
/// lost, [`IrqRoundTrip::lost`] says so). The tick is not touched. Takes a few milliseconds
/// under TCG.
///
/// # Context
/// Never sleeps; task context on a fully up cpu (preemption is disabled inside).
pub fn irq_round_trip(iterations: usize) -> IrqRoundTrip {
    let iterations = iterations.clamp(BATCHES, MAX_ITERATIONS);
    let per_batch = iterations / BATCHES;
    let mut rounds = [0u64; BATCHES];
    let mut signals = [0u64; BATCHES];
    let mut senses = [0u64; BATCHES];
    let mut lost = false;

    preempt_disable::<S390>();
    // Through core's wrappers, not the raw PSW system-mask block: they keep the irqs-off flag
    // of the may-not-sleep word, which every emergency signal's entry and exit check against
    // the old PSW. Task context on a fully up cpu (the caller's contract), so unmasking is
    // sound; the caller's mask comes back below.
    let flags = local_irq_save::<S390>();
    local_irq_enable::<S390>();
    let addr = cpu::cpu_address();
    let hits = &HITS[lowcore::cpu_nr() as usize];
    // Warm-up, untimed: the first round trips pay for cold caches (and QEMU's translation).
    if signal_batch(addr, hits, per_batch).is_none() {
        lost = true;
    }
    let _ = sense_batch(addr, hits, per_batch);
    for batch in 0..BATCHES {
        if lost {
            break;
        }
        let Some(signal) = signal_batch(addr, hits, per_batch) else {
            lost = true;
            break;
        };
        let sense = sense_batch(addr, hits, per_batch);
        let per = per_batch as u64;
        signals[batch] = tod_to_ns(signal) / per;
        senses[batch] = tod_to_ns(sense) / per;
        rounds[batch] = tod_to_ns(signal.saturating_sub(sense)) / per;
    }
    local_irq_restore::<S390>(flags);
    preempt_enable::<S390>();

    IrqRoundTrip {
        round_trip: BatchSpread::of(&mut rounds, per_batch),
        signal_ns: median(&mut signals),
        sense_ns: median(&mut senses),
        lost,
    }
}
