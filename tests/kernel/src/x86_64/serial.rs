//! The console: the first 16550 UART (COM1, I/O port 0x3F8), which QEMU's `-serial stdio` shows.
//!
//! One [`write()`] call is one unit: a spin lock keeps it from interleaving with another cpu's
//! call, and interrupts are masked while it is held so that an interrupt handler that prints on
//! the same cpu cannot deadlock against it. Bytes go out as they are (no `\r` added), so KTAP
//! lines reach the log unchanged.

use core::sync::atomic::{AtomicBool, Ordering};

use super::cpu::{inb, irq_restore, irq_save, outb};

const COM1: u16 = 0x3f8;
const REG_DATA: u16 = 0;
const REG_IER: u16 = 1;
const REG_FCR: u16 = 2;
const REG_LCR: u16 = 3;
const REG_MCR: u16 = 4;
const REG_LSR: u16 = 5;
const LSR_THR_EMPTY: u8 = 0x20;

static LOCK: spin::Mutex<()> = spin::Mutex::new(());
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

fn put_str(text: &str) {
    if !READY.load(Ordering::Acquire) {
        return;
    }
    for byte in text.bytes() {
        put_byte(byte);
    }
}

/// Writes `text` to the console as one unit.
///
/// # Context
/// Never sleeps; any context, including interrupt handlers (interrupts are masked while the
/// console lock is held).
pub fn write(text: &str) {
    let flags = irq_save();
    let guard = LOCK.lock();
    put_str(text);
    drop(guard);
    irq_restore(flags);
}

/// Writes `text` even if the console lock cannot be had: for oops and panic output, where the
/// lock may be held by the very code that crashed. Waits a while for the lock first so that a
/// healthy cpu's line is not torn.
///
/// # Context
/// Never sleeps; any context, including a fault handler that will not return.
pub fn write_forced(text: &str) {
    let flags = irq_save();
    let mut guard = None;
    for _ in 0..1_000_000 {
        if let Some(g) = LOCK.try_lock() {
            guard = Some(g);
            break;
        }
        core::hint::spin_loop();
    }
    put_str(text);
    drop(guard);
    irq_restore(flags);
}

/// A `core::fmt::Write` sink for [`write_forced`], for the oops path (which must not depend on
/// the core crate's report machinery).
pub struct ForcedWriter;

impl core::fmt::Write for ForcedWriter {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        write_forced(text);
        Ok(())
    }
}
