//! The console device: the SCLP's ASCII console event (type 0x1a) through the service call. The
//! lock and the write paths are the shared `crate::console`'s.
//!
//! At boot a Write Event Mask tells the SCLP that we send (and accept) ASCII console events;
//! each write is then one Write Event Data with the text as one event. QEMU completes a service
//! call synchronously, so the control block can be reused as soon as `servc` returns. Its
//! completion also raises a service-signal external interruption, whose subclass mask we leave
//! off. The control block must be 4 KiB aligned below 2 GiB and is addressed physically.

use core::arch::asm;
use core::cell::UnsafeCell;

use super::layout::virt_to_phys;
use super::S390;
use crate::console::ConsoleDevice;

const SCLP_WRITE_EVENT_MASK: u32 = 0x0078_0005;
const SCLP_WRITE_EVENT_DATA: u32 = 0x0076_0005;
const EVENT_ASCII_CONSOLE: u8 = 0x1a;
/// The event-type mask bit of the ASCII console (type 26: bit 25 of a 32-bit mask).
const MASK_ASCII_CONSOLE: u32 = 0x8000_0000 >> (EVENT_ASCII_CONSOLE - 1);
/// SCCB header: length (2), function code (1), control mask (3), response code (2).
const SCCB_HEADER: usize = 8;
/// Event buffer header: length (2), type (1), flags (1), reserved (2).
const EVENT_HEADER: usize = 6;
const SCCB_SIZE: usize = 4096;
/// The most text one Write Event Data carries.
const CHUNK: usize = SCCB_SIZE - SCCB_HEADER - EVENT_HEADER;

#[repr(C, align(4096))]
struct Sccb(UnsafeCell<[u8; SCCB_SIZE]>);

// SAFETY: SCCB is used under the console lock (and by `init` before anything else prints);
// FORCED_SCCB only by the forced path, under the lock unless the lock could not be had.
unsafe impl Sync for Sccb {}

static SCCB: Sccb = Sccb(UnsafeCell::new([0; SCCB_SIZE]));
/// A second block for the oops path, which may write while another cpu still owns SCCB (the
/// console lock could not be had).
static FORCED_SCCB: Sccb = Sccb(UnsafeCell::new([0; SCCB_SIZE]));

fn put_u16(block: &mut [u8], at: usize, value: u16) {
    block[at..at + 2].copy_from_slice(&value.to_be_bytes());
}

/// Issues a service call on `sccb`; returns the condition code (0: done).
fn service_call(command: u32, sccb: &Sccb) -> u32 {
    let phys = virt_to_phys(sccb.0.get() as usize) as u64;
    loop {
        let cc: u32;
        // SAFETY: servc (.insn rre 0xb220) hands the SCLP a 4 KiB-aligned control block we own;
        // QEMU reads and writes it before the instruction completes.
        unsafe {
            asm!(
                ".insn rre, 0xb2200000, {cmd}, {sccb}",
                "ipm {cc}",
                "srl {cc}, 28",
                cmd = in(reg) u64::from(command),
                sccb = in(reg) phys,
                cc = lateout(reg) cc,
                options(nostack),
            )
        };
        // 2: busy with an earlier request.
        if cc != 2 {
            return cc;
        }
        core::hint::spin_loop();
    }
}

/// Enables the ASCII console events.
///
/// # Safety
/// Once, on the boot cpu, before any output and before other cpus run: it fills the control
/// block that [`ConsoleDevice::put`] uses under the console lock, without that lock.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() {
    // SAFETY: the caller's contract: nothing else uses the block yet.
    let block = unsafe { &mut *SCCB.0.get() };
    block.fill(0);
    let mask_len = 4usize;
    let len = SCCB_HEADER + 4 + 4 * mask_len;
    put_u16(block, 0, len as u16);
    put_u16(block, SCCB_HEADER + 2, mask_len as u16);
    // Masks: what we receive, what we send, then the SCLP's own two (filled by it).
    let masks = SCCB_HEADER + 4;
    block[masks..masks + 4].copy_from_slice(&MASK_ASCII_CONSOLE.to_be_bytes());
    block[masks + 4..masks + 8].copy_from_slice(&MASK_ASCII_CONSOLE.to_be_bytes());
    let _ = service_call(SCLP_WRITE_EVENT_MASK, &SCCB);
}

fn write_with(sccb: &Sccb, text: &str) {
    for chunk in text.as_bytes().chunks(CHUNK) {
        // SAFETY: `put` holds the console lock, the only way to SCCB after `init`;
        // FORCED_SCCB is the forced path's, which holds the lock too unless it waited it out
        // (a crash: the run is ending).
        let block = unsafe { &mut *sccb.0.get() };
        let event_len = EVENT_HEADER + chunk.len();
        block[..SCCB_HEADER + EVENT_HEADER].fill(0);
        put_u16(block, 0, (SCCB_HEADER + event_len) as u16);
        put_u16(block, SCCB_HEADER, event_len as u16);
        block[SCCB_HEADER + 2] = EVENT_ASCII_CONSOLE;
        let data = SCCB_HEADER + EVENT_HEADER;
        block[data..data + chunk.len()].copy_from_slice(chunk);
        let _ = service_call(SCLP_WRITE_EVENT_DATA, sccb);
    }
}

impl ConsoleDevice for S390 {
    fn put(text: &str) {
        write_with(&SCCB, text);
    }

    fn put_forced(text: &str) {
        write_with(&FORCED_SCCB, text);
    }
}
