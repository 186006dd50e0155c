//! What one interrupt costs: a benchmark of the entry stub, the dispatch and the exit path.
//!
//! [`irq_round_trip`] takes the benchmark vector ([`apic::VECTOR_BENCH`]) `iterations` times in
//! two ways, both through the same IDT gate, stub (`idt.rs`) and dispatch (`trap.rs`) as the
//! tick and the IPIs, with `irq_enter`/`irq_exit` and `irq_return` around a handler that only
//! counts:
//! - as a hardware interrupt: a self-IPI is made pending with interrupts masked, then a
//!   `sti; nop; cli` window takes it (EOI included). The send is outside the timed part, so
//!   this is the cost of delivering an already-pending interrupt and returning from it; the
//!   handler's own timestamp gives the entry part (window opened → handler);
//! - as a software interrupt (`int`): the same path without the APIC (no delivery, no EOI).
//!
//! Preemption is disabled throughout, so `irq_return` never switches tasks here.
//! The image prints its figure before the suites (`seed-image`), as the other arches do theirs.

use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use mightfault_core::{
    local_irq_restore, local_irq_save, preempt_disable, preempt_enable, trace_hardirqs_off,
    trace_hardirqs_on,
};

use super::apic::{self, VECTOR_BENCH};
use super::cpu::rdtsc;
use super::{clock, X86};

/// Benchmark interrupts taken since boot.
static HITS: AtomicU64 = AtomicU64::new(0);
/// The TSC at the top of the last benchmark handler.
static HANDLER_TSC: AtomicU64 = AtomicU64::new(0);
/// Whether the benchmark interrupts now come from the APIC (and need an EOI).
static FROM_APIC: AtomicBool = AtomicBool::new(false);

/// Most round trips of each kind per call (the samples live on the caller's stack).
pub const MAX_ITERATIONS: usize = 256;

/// One kind of round trip, in TSC cycles. The median is the figure to quote: under TCG a
/// round trip now and then takes far longer (the host deschedules the vCPU thread, a tick
/// lands in the window), which drags the mean up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    /// Median cycles per round trip.
    pub median: u64,
    /// Mean cycles per round trip.
    pub mean: u64,
    /// The fastest round trip.
    pub min: u64,
    /// Median cycles from opening the window to the top of the handler (self-IPI only).
    pub entry_median: u64,
}

impl Cost {
    fn from_samples(samples: &mut [u64], entries: &mut [u64]) -> Self {
        let count = samples.len().max(1) as u64;
        let mean = samples.iter().sum::<u64>() / count;
        samples.sort_unstable();
        entries.sort_unstable();
        Cost {
            median: samples.get(samples.len() / 2).copied().unwrap_or(0),
            mean,
            min: samples.first().copied().unwrap_or(0),
            entry_median: entries.get(entries.len() / 2).copied().unwrap_or(0),
        }
    }
}

/// What [`irq_round_trip`] measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct IrqRoundTrip {
    /// Round trips per kind.
    pub iterations: u32,
    /// A pending self-IPI taken and returned from.
    pub self_ipi: Cost,
    /// `int VECTOR_BENCH` and its return.
    pub software: Cost,
    /// The TSC rate used to convert cycles to nanoseconds.
    pub tsc_hz: u64,
}

impl IrqRoundTrip {
    /// `cycles` in nanoseconds at the calibrated TSC rate.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn ns(&self, cycles: u64) -> u64 {
        (u128::from(cycles) * 1_000_000_000 / u128::from(self.tsc_hz.max(1))) as u64
    }
}

impl core::fmt::Display for IrqRoundTrip {
    fn fmt(&self, out: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let ipi = &self.self_ipi;
        let soft = &self.software;
        write!(
            out,
            "irq round trip {} ns (median of {}, self-IPI through irq_enter/irq_exit/irq_return: \
             {} cycles, entry {} ns, min {}, mean {} cycles; int {} ns: {} cycles, min {}, mean \
             {} cycles)",
            self.ns(ipi.median),
            self.iterations,
            ipi.median,
            self.ns(ipi.entry_median),
            ipi.min,
            ipi.mean,
            self.ns(soft.median),
            soft.median,
            soft.min,
            soft.mean,
        )
    }
}

/// The benchmark vector's handler body, between `irq_enter` and `irq_exit` (trap.rs).
///
/// # Context
/// Hard interrupt context.
pub fn interrupt() {
    HANDLER_TSC.store(rdtsc(), Ordering::Relaxed);
    HITS.fetch_add(1, Ordering::Relaxed);
    if FROM_APIC.load(Ordering::Relaxed) {
        apic::eoi();
    }
}

/// Measures `iterations` (at most [`MAX_ITERATIONS`]) interrupt round trips of each kind on
/// this cpu (see the module doc).
///
/// # Context
/// Never sleeps; task context (interrupts are unmasked briefly inside, whatever the caller's
/// state: the cpu must be fully up). Takes a few milliseconds under TCG.
pub fn irq_round_trip(iterations: usize) -> IrqRoundTrip {
    let iterations = iterations.clamp(1, MAX_ITERATIONS);
    let mut samples = [0u64; MAX_ITERATIONS];
    let mut entries = [0u64; MAX_ITERATIONS];
    preempt_disable::<X86>();
    let flags = local_irq_save::<X86>();

    FROM_APIC.store(true, Ordering::Relaxed);
    for (sample, entry) in samples.iter_mut().zip(entries.iter_mut()).take(iterations) {
        let before = HITS.load(Ordering::Relaxed);
        apic::send_self_ipi(VECTOR_BENCH);
        let start = rdtsc();
        // The window normally takes the pending interrupt right after `sti`'s one-instruction
        // shadow; loop in case the emulator delivers it a little later.
        while HITS.load(Ordering::Relaxed) == before {
            // The window unmasks behind core's wrappers (one `sti; nop; cli`, so that the
            // figure is the delivery and not the wrappers), so it keeps the irqs-off flag of
            // the may-not-sleep word itself: clear before `sti`, set again after `cli`. (Only
            // with debug-atomic-sleep; in the other configurations both are nothing.)
            trace_hardirqs_on::<X86>();
            // SAFETY: the cpu is fully up (the caller's contract); the window only lets the
            // pending benchmark interrupt (or a tick/IPI that happens to be due) in, and
            // preemption is disabled, so nothing switches tasks inside it.
            unsafe { asm!("sti", "nop", "cli", options(nostack)) };
            trace_hardirqs_off::<X86>();
        }
        let end = rdtsc();
        *sample = end - start;
        *entry = HANDLER_TSC.load(Ordering::Relaxed).saturating_sub(start);
    }
    let self_ipi = Cost::from_samples(&mut samples[..iterations], &mut entries[..iterations]);

    FROM_APIC.store(false, Ordering::Relaxed);
    for sample in samples.iter_mut().take(iterations) {
        let start = rdtsc();
        // SAFETY: the benchmark vector has a ring-0 interrupt gate whose handler returns with
        // every register restored (the common stub); it sends no EOI for a software interrupt.
        unsafe { asm!("int {vector}", vector = const VECTOR_BENCH) };
        *sample = rdtsc() - start;
    }
    let software = Cost::from_samples(&mut samples[..iterations], &mut []);

    local_irq_restore::<X86>(flags);
    preempt_enable::<X86>();
    IrqRoundTrip {
        iterations: iterations as u32,
        self_ipi,
        software,
        tsc_hz: clock::tsc_hz(),
    }
}
