//! Ending the QEMU run with a status the CI can read.
//!
//! Pass: ACPI soft-off through the q35 PM1a control register (I/O port 0x604, SLP_TYPa = 0 with
//! SLP_EN), which makes QEMU exit with status 0. The shutdown is asynchronous, so the cpu then
//! halts. Fail: the `isa-debug-exit` device at port 0xf4 (`-device
//! isa-debug-exit,iobase=0xf4,iosize=0x04`); writing 1 makes QEMU exit with (1 << 1) | 1 = 3.

use super::cpu::{halt_forever, outl, outw};

const ACPI_PM1A_CNT: u16 = 0x604;
const ACPI_SLP_EN: u16 = 1 << 13;
const DEBUG_EXIT_PORT: u16 = 0xf4;
const DEBUG_EXIT_FAILURE: u32 = 1;

/// Powers the machine off: status 0 when `success`, else 3.
///
/// # Context
/// Never returns; any context (the other cpus are stopped with the machine).
pub fn exit(success: bool) -> ! {
    // SAFETY: both ports belong to QEMU's power-off paths; writing them ends the run.
    unsafe {
        if success {
            outw(ACPI_PM1A_CNT, ACPI_SLP_EN);
        } else {
            outl(DEBUG_EXIT_PORT, DEBUG_EXIT_FAILURE);
        }
    }
    halt_forever()
}
