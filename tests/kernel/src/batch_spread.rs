//! The spread of a benchmark taken in batches: median, fastest and slowest batch. The images'
//! `# bench:` lines print it (the s390x and powerpc64 interrupt round trips).

/// Batches a benchmark is split into; its figure is the median of the batches.
pub const BATCHES: usize = 8;

/// Per-operation figures of [`BATCHES`] batches, in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct BatchSpread {
    /// Operations per batch.
    pub per_batch: u32,
    /// Median over the batches.
    pub median_ns: u64,
    /// The fastest batch.
    pub min_ns: u64,
    /// The slowest batch.
    pub max_ns: u64,
}

impl BatchSpread {
    /// The spread of `per_op_ns` (one figure per batch, in any order; sorted in place).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn of(per_op_ns: &mut [u64; BATCHES], per_batch: usize) -> Self {
        per_op_ns.sort_unstable();
        Self {
            per_batch: per_batch as u32,
            median_ns: per_op_ns[BATCHES / 2],
            min_ns: per_op_ns[0],
            max_ns: per_op_ns[BATCHES - 1],
        }
    }
}

impl core::fmt::Display for BatchSpread {
    /// `median of 8 batches of 32; min 612, max 700 ns`.
    fn fmt(&self, out: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            out,
            "median of {} batches of {}; min {}, max {} ns",
            BATCHES, self.per_batch, self.min_ns, self.max_ns
        )
    }
}
