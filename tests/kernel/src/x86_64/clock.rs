//! The clock: the time-stamp counter, calibrated once at boot.
//!
//! Which calibration is used is printed at boot:
//! - CPUID leaf 0x15 when it gives the full ratio (crystal Hz × EBX / EAX = TSC Hz). QEMU's TCG
//!   `-cpu max` leaves the crystal frequency at 0, so under QEMU this is normally skipped.
//! - Otherwise the PIT: channel 2 counts down 10 ms (11932 ticks of 1.193182 MHz) in mode 0 with
//!   its gate held high, and the TSC is read when the count is loaded and when OUT2 goes high.
//!
//! Under QEMU (TCG) the TSC follows the host clock and is shared by all vCPUs, so one
//! calibration and one start value serve every cpu. `now_ns` is monotonic and starts near 0 at
//! calibration.

use core::sync::atomic::{AtomicU64, Ordering};

use super::cpu::{cpuid, cpuid_max_leaf, inb, outb, rdtsc};

const PIT_HZ: u64 = 1_193_182;
const PIT_CALIBRATION_TICKS: u64 = 11_932; // 10 ms
const PIT_CHANNEL2_DATA: u16 = 0x42;
const PIT_COMMAND: u16 = 0x43;
const PORT_B: u16 = 0x61;
const PORT_B_GATE2: u8 = 0x01;
const PORT_B_SPEAKER: u8 = 0x02;
const PORT_B_OUT2: u8 = 0x20;

static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static TSC_START: AtomicU64 = AtomicU64::new(0);
/// Nanoseconds per TSC cycle as a 32.32 fixed-point number.
static NS_PER_CYCLE_FP: AtomicU64 = AtomicU64::new(0);

/// Where the TSC frequency came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// CPUID leaf 0x15.
    Cpuid15,
    /// Measured against PIT channel 2.
    Pit,
}

fn from_cpuid() -> Option<u64> {
    if cpuid_max_leaf() < 0x15 {
        return None;
    }
    let (denominator, numerator, crystal_hz, _) = cpuid(0x15, 0);
    if denominator == 0 || numerator == 0 || crystal_hz == 0 {
        return None;
    }
    Some(u64::from(crystal_hz) * u64::from(numerator) / u64::from(denominator))
}

fn from_pit() -> u64 {
    // SAFETY: PIT channel 2 and port B's gate/speaker bits exist on every PC; the speaker stays
    // off, and nothing else uses channel 2.
    unsafe {
        let port_b = inb(PORT_B);
        outb(PORT_B, (port_b & !PORT_B_SPEAKER) | PORT_B_GATE2);
        // Channel 2, low byte then high byte, mode 0 (interrupt on terminal count), binary.
        outb(PIT_COMMAND, 0b1011_0000);
        outb(PIT_CHANNEL2_DATA, (PIT_CALIBRATION_TICKS & 0xff) as u8);
        outb(PIT_CHANNEL2_DATA, (PIT_CALIBRATION_TICKS >> 8) as u8);
        // Counting starts once the high byte is written.
        let start = rdtsc();
        while inb(PORT_B) & PORT_B_OUT2 == 0 {
            core::hint::spin_loop();
        }
        let end = rdtsc();
        outb(PORT_B, port_b);
        (end - start) * PIT_HZ / PIT_CALIBRATION_TICKS
    }
}

/// Finds the TSC frequency and starts the clock. Returns the frequency and where it came from.
///
/// # Safety
/// Once, on the boot cpu, before any cpu reads the clock.
///
/// # Context
/// Never sleeps; boot (takes about 10 ms).
pub unsafe fn calibrate() -> (u64, Source) {
    let (hz, source) = match from_cpuid() {
        Some(hz) => (hz, Source::Cpuid15),
        None => (from_pit(), Source::Pit),
    };
    let hz = hz.max(1_000_000);
    TSC_HZ.store(hz, Ordering::Relaxed);
    NS_PER_CYCLE_FP.store((1_000_000_000u64 << 32) / hz, Ordering::Relaxed);
    TSC_START.store(rdtsc(), Ordering::Release);
    (hz, source)
}

/// Nanoseconds since calibration.
///
/// # Context
/// Never sleeps; any context.
pub fn now_ns() -> u64 {
    let cycles = rdtsc().wrapping_sub(TSC_START.load(Ordering::Acquire));
    ((u128::from(cycles) * u128::from(NS_PER_CYCLE_FP.load(Ordering::Relaxed))) >> 32) as u64
}

/// Spins for at least `us` microseconds.
///
/// # Context
/// Never sleeps; any context after calibration.
pub fn delay_us(us: u64) {
    let end = now_ns() + us * 1000;
    while now_ns() < end {
        core::hint::spin_loop();
    }
}

/// The calibrated TSC frequency in Hz.
///
/// # Context
/// Never sleeps; any context.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}
