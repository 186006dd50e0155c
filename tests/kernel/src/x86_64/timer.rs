//! The scheduler tick: each cpu's local APIC timer.
//!
//! The APIC timer counts at a rate the cpu does not tell us (the bus clock over the divider),
//! so the boot cpu measures it once against the calibrated TSC clock (`clock.rs`). Every local
//! APIC of a machine runs from the same bus clock, so that one figure serves the APs too.
//!
//! The portable tick asks for a one-shot timer re-armed from each tick's handler
//! (`SchedHooks::arm_tick`). We run the APIC timer in periodic mode instead and reprogram it
//! only when the period changes, which every caller sees the same way: the next tick comes one
//! period after the previous one (a new rate set by a test takes effect at each cpu's next
//! tick), and a cpu that never armed its timer (still booting) takes no tick at all, as the LVT
//! stays masked from `apic::init_this_cpu` until the cpu's idle loop calls [`arm`]. The reason
//! is cost under QEMU's TCG: re-arming a timer that has already fired makes QEMU wake its main
//! loop thread from the vCPU's MMIO write, and on a busy host that took 40-350 µs per tick on
//! average (the vCPU loses its host core), against about 3 µs for the whole tick in periodic
//! mode, where QEMU reloads the timer itself.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::percpu::{cpu_id, MAX_CPUS};
use super::{apic, clock};

/// How long the calibration counts: long enough that the two clock reads around it (and QEMU's
/// jitter) are noise, short enough not to slow the boot down.
const CALIBRATION_NS: u64 = 10_000_000;

/// APIC timer counts per nanosecond as a 32.32 fixed-point number (0 = not calibrated).
static COUNTS_PER_NS_FP: AtomicU64 = AtomicU64::new(0);
/// APIC timer counts per second, for the boot message.
static TIMER_HZ: AtomicU64 = AtomicU64::new(0);
/// The period each cpu's timer runs with, in timer counts (0 = stopped). Only its own cpu
/// touches an entry, with interrupts masked.
static PROGRAMMED: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];

/// Measures this cpu's APIC timer rate against the TSC clock and returns it in Hz.
///
/// # Safety
/// Once, on the boot cpu, after [`clock::calibrate`] and [`apic::init_this_cpu`], interrupts
/// masked, before any cpu arms its timer.
///
/// # Context
/// Never sleeps; boot (takes about 10 ms).
pub unsafe fn calibrate() -> u64 {
    apic::timer_start_masked(u32::MAX);
    let start = clock::now_ns();
    let mut now = start;
    while now - start < CALIBRATION_NS {
        core::hint::spin_loop();
        now = clock::now_ns();
    }
    let remaining = apic::timer_current();
    let elapsed_ns = (clock::now_ns() + now) / 2 - start;
    apic::timer_stop();
    // The count cannot have run out: u32::MAX counts outlast the calibration at any timer
    // rate below 400 GHz.
    let counts = u64::from(u32::MAX - remaining).max(1);
    let fixed_point = ((u128::from(counts) << 32) / u128::from(elapsed_ns.max(1))) as u64;
    COUNTS_PER_NS_FP.store(fixed_point.max(1), Ordering::Relaxed);
    let hz = counts * 1_000_000_000 / elapsed_ns.max(1);
    TIMER_HZ.store(hz, Ordering::Relaxed);
    hz
}

/// The APIC timer rate measured by [`calibrate`], in Hz (0 before).
///
/// # Context
/// Never sleeps; any context.
pub fn timer_hz() -> u64 {
    TIMER_HZ.load(Ordering::Relaxed)
}

/// Converts `ns` to APIC timer counts, at least 1 and saturating at the 32-bit counter's limit.
fn ns_to_counts(ns: u64, fixed_point: u64) -> u32 {
    let counts = (u128::from(ns) * u128::from(fixed_point)) >> 32;
    counts.clamp(1, u128::from(u32::MAX)) as u32
}

/// Arms this cpu's tick: its APIC timer raises `apic::VECTOR_TIMER` every `period_ns`, the
/// next time at most `period_ns` from now. Reprograms the timer only when the period changed
/// (see the module doc), so the call from every tick costs no device access. Before
/// calibration it does nothing (no cpu can take a tick that early).
///
/// # Context
/// Never sleeps; this cpu, interrupts masked (the idle loop's entry or the timer handler).
pub fn arm(period_ns: u64) {
    let fixed_point = COUNTS_PER_NS_FP.load(Ordering::Relaxed);
    if fixed_point == 0 {
        return;
    }
    let counts = ns_to_counts(period_ns, fixed_point);
    let programmed = &PROGRAMMED[cpu_id() as usize];
    if programmed.load(Ordering::Relaxed) != counts {
        programmed.store(counts, Ordering::Relaxed);
        apic::timer_periodic(counts);
    }
}
