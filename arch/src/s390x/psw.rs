//! PSW bits the building blocks read (pure constants, available on every target).

/// PSW bit 6: I/O interruptions enabled.
pub const PSW_IO: u64 = 1 << 57;

/// PSW bit 7: external interruptions enabled.
pub const PSW_EXT: u64 = 1 << 56;

/// System-mask byte (PSW bits 0-7): the external-interruption bit (PSW bit 7).
pub const SYSTEM_MASK_EXT: u8 = 0x01;

/// System-mask byte: the I/O-interruption bit (PSW bit 6).
pub const SYSTEM_MASK_IO: u8 = 0x02;
