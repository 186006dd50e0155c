//! The legacy 8259 interrupt controllers, which this kernel does not use.
//!
//! The firmware leaves them programmed (the master at vectors 8-15, where the cpu's own
//! exceptions live) and the PIT ticking on IRQ 0. They are moved to vectors 0x20-0x2f, so that a
//! stray interrupt could never pose as a double fault, and then fully masked: every interrupt
//! here comes through the local APIC.

use super::cpu::outb;

const MASTER_COMMAND: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_COMMAND: u16 = 0xa0;
const SLAVE_DATA: u16 = 0xa1;

/// Remaps both controllers away from the exception vectors and masks every line.
///
/// # Safety
/// Once, on the boot cpu, with interrupts masked.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn disable() {
    // SAFETY: the standard initialisation sequence of the two 8259s (ICW1..ICW4), then the mask
    // registers; nothing else lives at these ports.
    unsafe {
        outb(MASTER_COMMAND, 0x11); // ICW1: edge, cascade, ICW4 follows
        outb(SLAVE_COMMAND, 0x11);
        outb(MASTER_DATA, 0x20); // ICW2: vector base
        outb(SLAVE_DATA, 0x28);
        outb(MASTER_DATA, 0x04); // ICW3: slave on IRQ 2
        outb(SLAVE_DATA, 0x02);
        outb(MASTER_DATA, 0x01); // ICW4: 8086 mode
        outb(SLAVE_DATA, 0x01);
        outb(MASTER_DATA, 0xff); // mask everything
        outb(SLAVE_DATA, 0xff);
    }
}
