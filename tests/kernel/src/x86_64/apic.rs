//! The local APIC (xAPIC mode, memory-mapped, reached through the direct map): enabling it,
//! end-of-interrupt, inter-processor interrupts (including the INIT and STARTUP IPIs that
//! bring up the other cpus), and its timer (the tick, see `timer.rs`).
//!
//! The direct map covers the APIC page with cache-disabled 2 MiB pages (PCD|PWT above 3 GiB,
//! see boot.rs), as MMIO needs.

use core::sync::atomic::{AtomicUsize, Ordering};

use super::cpu::{rdmsr, wrmsr, MSR_APIC_BASE};
use super::layout::phys_to_virt;
use super::X86;

/// The local APIC timer (the scheduler tick), one priority class (0xe) below the IPIs.
pub const VECTOR_TIMER: u8 = 0xe0;
/// The interrupt-cost benchmark's vector (`bench.rs`): a self-IPI or an `int` instruction.
pub const VECTOR_BENCH: u8 = 0xe1;
/// Rescheduling IPI: a task was queued on the target cpu.
pub const VECTOR_RESCHED: u8 = 0xf0;
/// TLB-flush IPI (tlb.rs).
pub const VECTOR_TLB_FLUSH: u8 = 0xf1;
/// The APIC's spurious-interrupt vector.
pub const VECTOR_SPURIOUS: u8 = 0xff;

const REG_ID: usize = 0x20;
const REG_TPR: usize = 0x80;
const REG_EOI: usize = 0xb0;
const REG_SVR: usize = 0xf0;
const REG_ICR_LOW: usize = 0x300;
const REG_ICR_HIGH: usize = 0x310;
const REG_LVT_TIMER: usize = 0x320;
const REG_LVT_LINT0: usize = 0x350;
const REG_LVT_ERROR: usize = 0x370;
const REG_TIMER_INITIAL: usize = 0x380;
const REG_TIMER_CURRENT: usize = 0x390;
const REG_TIMER_DIVIDE: usize = 0x3e0;

const APIC_BASE_ENABLE: u64 = 1 << 11;
const SVR_ENABLE: u32 = 1 << 8;
const LVT_MASKED: u32 = 1 << 16;
/// LVT timer mode bits 17..18 = 01: periodic (00 is one-shot).
const LVT_TIMER_PERIODIC: u32 = 1 << 17;
const ICR_DELIVERY_PENDING: u32 = 1 << 12;
const ICR_LEVEL_ASSERT: u32 = 1 << 14;
const ICR_INIT: u32 = 0b101 << 8;
const ICR_STARTUP: u32 = 0b110 << 8;
const ICR_DEST_SELF: u32 = 0b01 << 18;
/// Divide configuration 0b0011: the timer counts at the APIC bus clock / 16. Under QEMU that
/// is 62.5 MHz (16 ns per count), so a 32-bit count spans over a minute while the finest
/// tick (100 µs) is still thousands of counts.
const TIMER_DIVIDE_BY_16: u32 = 0b0011;

/// Direct-map address of the APIC registers (the same physical page on every cpu).
static BASE: AtomicUsize = AtomicUsize::new(0);

fn read(reg: usize) -> u32 {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: base maps this cpu's APIC page (init()); registers are 32-bit, 16-byte aligned.
    unsafe { ((base + reg) as *const u32).read_volatile() }
}

fn write(reg: usize, value: u32) {
    let base = BASE.load(Ordering::Relaxed);
    // SAFETY: as read().
    unsafe { ((base + reg) as *mut u32).write_volatile(value) }
}

/// Enables this cpu's local APIC in xAPIC mode: software-enabled with the spurious vector,
/// accepting every priority, its timer, LINT0 (the legacy PIC's line) and error interrupt
/// masked.
///
/// # Safety
/// Once per cpu, on that cpu, with the direct map active and interrupts masked.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn init_this_cpu() {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 cpu; setting the global enable bit keeps the
    // APIC at the address the firmware chose.
    let msr = unsafe { rdmsr(MSR_APIC_BASE) };
    // SAFETY: as above.
    unsafe { wrmsr(MSR_APIC_BASE, msr | APIC_BASE_ENABLE) };
    BASE.store(phys_to_virt(msr & 0x000f_ffff_ffff_f000), Ordering::Relaxed);
    write(REG_TPR, 0);
    // The timer stays masked and stopped until the idle loop arms the first tick.
    write(REG_TIMER_INITIAL, 0);
    write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    write(REG_LVT_TIMER, LVT_MASKED);
    write(REG_LVT_LINT0, LVT_MASKED);
    write(REG_LVT_ERROR, LVT_MASKED);
    write(REG_SVR, SVR_ENABLE | u32::from(VECTOR_SPURIOUS));
}

/// This cpu's APIC id.
///
/// # Context
/// Never sleeps; any context after [`init_this_cpu`].
pub fn id() -> u32 {
    read(REG_ID) >> 24
}

/// Signals the end of the interrupt being served.
///
/// # Context
/// Hard interrupt context.
pub fn eoi() {
    write(REG_EOI, 0);
}

fn send(apic_id: u32, command: u32) {
    // ICR is two registers: masking interrupts keeps an interrupt handler on this cpu from
    // sending its own IPI between our two writes. Through core's wrappers, so the irqs-off
    // flag of the may-not-sleep word follows (IPIs are sent from tasks as well as handlers).
    let flags = mightfault_core::local_irq_save::<X86>();
    while read(REG_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
    write(REG_ICR_HIGH, apic_id << 24);
    write(REG_ICR_LOW, command);
    while read(REG_ICR_LOW) & ICR_DELIVERY_PENDING != 0 {
        core::hint::spin_loop();
    }
    mightfault_core::local_irq_restore::<X86>(flags);
}

/// Sends a fixed interrupt `vector` to the cpu with APIC id `apic_id`.
///
/// # Context
/// Never sleeps; any context.
pub fn send_ipi(apic_id: u32, vector: u8) {
    send(apic_id, ICR_LEVEL_ASSERT | u32::from(vector));
}

/// Sends fixed interrupt `vector` to this cpu (the "self" destination shorthand). With
/// interrupts masked it stays pending until they are unmasked.
///
/// # Context
/// Never sleeps; any context.
pub fn send_self_ipi(vector: u8) {
    send(0, ICR_DEST_SELF | ICR_LEVEL_ASSERT | u32::from(vector));
}

/// Starts this cpu's timer counting down once from `count` with its interrupt masked (LVT
/// masked, one-shot), for calibration: [`timer_current`] then tells how far it got.
///
/// # Context
/// Never sleeps; cpu bring-up, interrupts masked.
pub fn timer_start_masked(count: u32) {
    write(REG_LVT_TIMER, LVT_MASKED | u32::from(VECTOR_TIMER));
    write(REG_TIMER_INITIAL, count);
}

/// This cpu's timer's current count (0 once a one-shot count has run out).
///
/// # Context
/// Never sleeps; any context.
pub fn timer_current() -> u32 {
    read(REG_TIMER_CURRENT)
}

/// Stops this cpu's timer and masks its interrupt.
///
/// # Context
/// Never sleeps; any context.
pub fn timer_stop() {
    write(REG_LVT_TIMER, LVT_MASKED | u32::from(VECTOR_TIMER));
    write(REG_TIMER_INITIAL, 0);
}

/// Programs this cpu's timer to raise [`VECTOR_TIMER`] every `count` timer counts, the first
/// time `count` counts from now (periodic mode: the APIC reloads the count itself).
///
/// # Context
/// Never sleeps; this cpu, interrupts masked (the LVT and count writes belong together).
pub fn timer_periodic(count: u32) {
    write(REG_LVT_TIMER, LVT_TIMER_PERIODIC | u32::from(VECTOR_TIMER));
    // Writing the initial count (re)starts the countdown.
    write(REG_TIMER_INITIAL, count.max(1));
}

/// Sends an INIT IPI (reset into wait-for-SIPI).
///
/// # Context
/// Never sleeps; boot.
pub fn send_init(apic_id: u32) {
    send(apic_id, ICR_LEVEL_ASSERT | ICR_INIT);
}

/// Sends a STARTUP IPI: the target starts in real mode at `page_number * 4096`.
///
/// # Context
/// Never sleeps; boot.
pub fn send_startup(apic_id: u32, page_number: u8) {
    send(
        apic_id,
        ICR_LEVEL_ASSERT | ICR_STARTUP | u32::from(page_number),
    );
}
