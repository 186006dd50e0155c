//! The console device: the first 16550 UART (COM1, I/O port 0x3F8), which QEMU's
//! `-serial stdio` shows. The lock and the write paths are the shared `crate::console`'s; this
//! file only programs the UART and puts bytes out.

use core::sync::atomic::{AtomicBool, Ordering};

use super::cpu::{inb, outb};
use super::X86;
use crate::console::ConsoleDevice;

const COM1: u16 = 0x3f8;
const REG_DATA: u16 = 0;
const REG_IER: u16 = 1;
const REG_FCR: u16 = 2;
const REG_LCR: u16 = 3;
const REG_MCR: u16 = 4;
const REG_LSR: u16 = 5;
const LSR_THR_EMPTY: u8 = 0x20;

static READY: AtomicBool = AtomicBool::new(false);

/// Programs COM1 for 115200 baud, 8N1, FIFOs on, interrupts off.
///
/// # Context
/// Never sleeps; boot, before anything prints.
pub fn init() {
    // SAFETY: programming the UART's own registers; nothing else lives at these ports.
    unsafe {
        outb(COM1 + REG_IER, 0x00);
        outb(COM1 + REG_LCR, 0x80); // DLAB on: the next two bytes are the divisor
        outb(COM1 + REG_DATA, 0x01); // 115200 / 1
        outb(COM1 + REG_IER, 0x00);
        outb(COM1 + REG_LCR, 0x03); // 8 bits, no parity, one stop bit, DLAB off
        outb(COM1 + REG_FCR, 0xc7); // enable and clear FIFOs
        outb(COM1 + REG_MCR, 0x03); // DTR, RTS
    }
    READY.store(true, Ordering::Release);
}

fn put_byte(byte: u8) {
    // SAFETY: reading the line status and writing the data register of our own UART.
    unsafe {
        while inb(COM1 + REG_LSR) & LSR_THR_EMPTY == 0 {
            core::hint::spin_loop();
        }
        outb(COM1 + REG_DATA, byte);
    }
}

impl ConsoleDevice for X86 {
    fn put(text: &str) {
        // Output before `init()` is dropped: the UART's speed and format are not set yet.
        if !READY.load(Ordering::Acquire) {
            return;
        }
        for byte in text.bytes() {
            put_byte(byte);
        }
    }
}
