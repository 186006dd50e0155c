//! The stack a walker may read: the bounds that make an unwinder fault-safe.
//!
//! A frame-pointer or back-chain walk follows pointers it read from the stack; a corrupt one
//! may point anywhere. The walkers of this crate read a frame only when it lies wholly inside
//! the range the kernel says is the stack in use, is aligned, and lies above the previous one,
//! so a bad chain ends the trace instead of faulting the reporter.

/// A stack's bounds: `low` (its lowest byte) up to, not including, `high`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackRange {
    /// The lowest address of the stack.
    pub low: usize,
    /// One past its highest address (where a downward-growing stack starts).
    pub high: usize,
}

impl StackRange {
    /// The range `low..high`.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn new(low: usize, high: usize) -> Self {
        Self { low, high }
    }

    /// Whether the `len` bytes at `addr` lie inside the range.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn contains(&self, addr: usize, len: usize) -> bool {
        addr >= self.low && addr.checked_add(len).is_some_and(|end| end <= self.high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_half_open() {
        let range = StackRange::new(0x1000, 0x2000);
        assert!(range.contains(0x1000, 16));
        assert!(range.contains(0x1ff0, 16));
        assert!(!range.contains(0x1ff8, 16));
        assert!(!range.contains(0xff8, 16));
        assert!(!range.contains(usize::MAX - 4, 16));
    }
}
