//! Timing a batch of calls with the machine's clock, and the samples' minimum and median.

use mightfault_core::Arch;

/// Most samples a figure holds.
const MAX_SAMPLES: usize = 32;

/// One figure's samples, in picoseconds per call.
#[derive(Clone, Copy)]
pub(super) struct Samples {
    values: [u64; MAX_SAMPLES],
    len: usize,
}

impl Samples {
    pub(super) const fn new() -> Self {
        Samples {
            values: [0; MAX_SAMPLES],
            len: 0,
        }
    }

    /// Adds a sample (beyond `MAX_SAMPLES` it is dropped).
    pub(super) fn push(&mut self, picoseconds: u64) {
        if self.len < MAX_SAMPLES {
            self.values[self.len] = picoseconds;
            self.len += 1;
        }
    }

    /// The smallest and the median sample (0, 0 when there are none).
    pub(super) fn min_median(&mut self) -> (u64, u64) {
        let values = &mut self.values[..self.len];
        values.sort_unstable();
        match values {
            [] => (0, 0),
            _ => (values[0], values[values.len() / 2]),
        }
    }
}

/// Runs `call` `calls` times and returns the time per call in picoseconds, from the
/// machine's clock (nanoseconds; a sample spans many calls so that the clock's resolution
/// does not matter).
#[inline(never)]
pub(super) fn per_call<M: Arch>(calls: u32, mut call: impl FnMut()) -> u64 {
    let start = M::now_ns();
    for _ in 0..calls {
        call();
    }
    let elapsed = M::now_ns().saturating_sub(start);
    elapsed.saturating_mul(1000) / u64::from(calls.max(1))
}
