//! The console: the sPAPR virtual terminal through H_PUT_TERM_CHAR (terminal 0 is QEMU's
//! default vty), at most 16 bytes per call, packed big-endian into r6/r7.
//!
//! One [`write()`] call is one unit: a spin lock keeps it from interleaving with another cpu's.
//! The oops path uses [`ForcedWriter`], which does not wait for the lock forever.

use super::cpu::{irq_restore, irq_save};
use super::hcall::{hcall, H_PUT_TERM_CHAR};

static LOCK: spin::Mutex<()> = spin::Mutex::new(());

fn put_bytes(bytes: &[u8]) {
    for chunk in bytes.chunks(16) {
        let mut packed = [0u8; 16];
        packed[..chunk.len()].copy_from_slice(chunk);
        let hi = u64::from_be_bytes(packed[..8].try_into().expect("8 bytes"));
        let lo = u64::from_be_bytes(packed[8..].try_into().expect("8 bytes"));
        // SAFETY: H_PUT_TERM_CHAR only reads its register arguments.
        unsafe { hcall(H_PUT_TERM_CHAR, [0, chunk.len() as u64, hi, lo, 0, 0]) };
    }
}

/// Writes `text` to the console as one unit.
///
/// # Context
/// Never sleeps; any context (interrupts are masked while the lock is held, so an interrupt
/// handler's output cannot deadlock against its own cpu).
pub fn write(text: &str) {
    let flags = irq_save();
    {
        let _guard = LOCK.lock();
        put_bytes(text.as_bytes());
    }
    irq_restore(flags);
}

/// Writes `text` even if another cpu holds the console lock for long (the oops path): waits a
/// bounded time, then writes regardless.
///
/// # Context
/// Never sleeps; any context.
pub fn write_forced(text: &str) {
    let mut spins = 0u32;
    loop {
        if let Some(_guard) = LOCK.try_lock() {
            put_bytes(text.as_bytes());
            return;
        }
        spins += 1;
        if spins > 1_000_000 {
            put_bytes(text.as_bytes());
            return;
        }
        core::hint::spin_loop();
    }
}

/// A `core::fmt::Write` sink for [`write_forced`], for the oops path.
pub struct ForcedWriter;

impl core::fmt::Write for ForcedWriter {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        write_forced(text);
        Ok(())
    }
}
