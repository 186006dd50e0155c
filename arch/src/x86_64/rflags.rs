//! RFLAGS bits the building blocks read (pure constants, available on every target).

/// RFLAGS.IF: interrupts enabled.
pub const RFLAGS_IF: u64 = 1 << 9;

/// RFLAGS.AC: alignment check / SMAP override (set by `stac`).
pub const RFLAGS_AC: u64 = 1 << 18;
