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

/// A bounded walk's view of one stack, shared by the arch unwinders: it reads a word only
/// when it lies inside the stack and is aligned, and counts the frames a walk takes against a
/// budget, so that no chain, however corrupt, makes the walk fault or loop.
#[derive(Debug)]
pub struct StackReader {
    range: StackRange,
    steps: usize,
    max_steps: usize,
}

impl StackReader {
    /// A reader of `range` allowing `max_steps` frames.
    ///
    /// # Safety
    /// Every byte of `range` is readable memory for as long as the reader is used (a mapped
    /// kernel stack).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const unsafe fn new(range: StackRange, max_steps: usize) -> Self {
        Self {
            range,
            steps: 0,
            max_steps,
        }
    }

    /// The stack's bounds.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn range(&self) -> StackRange {
        self.range
    }

    /// Counts one frame of the walk; false once the budget is spent.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn step(&mut self) -> bool {
        if self.steps >= self.max_steps {
            return false;
        }
        self.steps += 1;
        true
    }

    /// Whether the `len` bytes at `addr` lie inside the stack and `addr` is a multiple of
    /// `align`.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn holds(&self, addr: usize, len: usize, align: usize) -> bool {
        addr.is_multiple_of(align) && self.range.contains(addr, len)
    }

    /// The word at `addr`, if it lies inside the stack and is aligned.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn read_word(&self, addr: usize) -> Option<usize> {
        const WORD: usize = core::mem::size_of::<usize>();
        if !self.holds(addr, WORD, WORD) {
            return None;
        }
        // SAFETY: inside the range (just checked), which `new`'s caller promised readable;
        // aligned. Volatile: the stack is memory this code does not own in the compiler's eyes.
        Some(unsafe { (addr as *const usize).read_volatile() })
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

    #[test]
    fn reader_reads_only_inside_and_counts_steps() {
        let words = [0x11usize, 0x22, 0x33, 0x44];
        let low = words.as_ptr() as usize;
        let range = StackRange::new(low, low + core::mem::size_of_val(&words));
        // SAFETY: the range is `words`, alive for the whole test.
        let mut reader = unsafe { StackReader::new(range, 2) };
        assert_eq!(reader.read_word(low + 8), Some(0x22));
        assert_eq!(reader.read_word(low + 4), None, "misaligned");
        assert_eq!(reader.read_word(low + 32), None, "past the top");
        assert_eq!(reader.read_word(low - 8), None, "below the bottom");
        assert!(reader.holds(low, 32, 8));
        assert!(!reader.holds(low + 8, 32, 8));
        assert!(reader.step() && reader.step() && !reader.step());
    }
}
