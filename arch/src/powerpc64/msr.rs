//! MSR bits the building blocks read (pure constants, available on every target).

/// MSR\[EE\]: external (and decrementer) interrupts enabled.
pub const MSR_EE: u64 = 1 << 15;

/// MSR\[RI\]: the interrupt state is recoverable.
pub const MSR_RI: u64 = 1 << 1;
