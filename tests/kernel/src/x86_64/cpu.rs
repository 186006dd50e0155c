//! Thin wrappers around single privileged instructions: port I/O, MSRs, control registers,
//! RFLAGS and the interrupt flag, the TSC.

use core::arch::asm;

// Interrupt masking is a building block of the library; the kernel uses it from there.
pub use mightfault_arch::x86_64::irq::{
    disable_irqs, enable_irqs, irq_restore, irq_save, irqs_disabled, rflags,
};

/// CR0.WP: supervisor writes honour read-only pages (a kernel `put_user` to a read-only page
/// faults).
pub const CR0_WP: u64 = 1 << 16;
/// CR4.SMEP: supervisor-mode execution prevention.
pub const CR4_SMEP: u64 = 1 << 20;
/// CR4.SMAP: supervisor-mode access prevention.
pub const CR4_SMAP: u64 = 1 << 21;

/// IA32_APIC_BASE.
pub const MSR_APIC_BASE: u32 = 0x1b;
/// IA32_GS_BASE: the base of `gs`, our per-cpu pointer.
pub const MSR_GS_BASE: u32 = 0xc000_0101;

/// Writes a byte to an I/O port.
///
/// # Safety
/// The port write must not break the machine (device programming is the caller's business).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: the caller vouches for the device effect; the instruction touches no memory.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags))
    }
}

/// Writes a 16-bit word to an I/O port.
///
/// # Safety
/// As [`outb`].
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn outw(port: u16, value: u16) {
    // SAFETY: as outb.
    unsafe {
        asm!("out dx, ax", in("dx") port, in("ax") value, options(nomem, nostack, preserves_flags))
    }
}

/// Writes a 32-bit word to an I/O port.
///
/// # Safety
/// As [`outb`].
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn outl(port: u16, value: u32) {
    // SAFETY: as outb.
    unsafe {
        asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags))
    }
}

/// Reads a byte from an I/O port.
///
/// # Safety
/// Reading some ports has device side effects; the caller vouches for them.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: the caller vouches for the device effect; the instruction touches no memory.
    unsafe {
        asm!("in al, dx", in("dx") port, out("al") value, options(nomem, nostack, preserves_flags))
    }
    value
}

/// Reads a model-specific register.
///
/// # Safety
/// `msr` must exist on this cpu (else #GP).
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: the caller guarantees the MSR exists; rdmsr touches no memory.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
/// `msr` must exist and `value` must be valid for it; the effect is the caller's business.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller guarantees the MSR and value are valid. Not `nomem`: writing GS_BASE
    // changes what later gs-relative loads see, so the compiler must not move them across.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack, preserves_flags))
    }
}

/// CR0.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn read_cr0() -> u64 {
    let value: u64;
    // SAFETY: reading CR0 has no side effects.
    unsafe { asm!("mov {}, cr0", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// CR2: the linear address of the last page fault on this cpu.
///
/// # Context
/// Never sleeps; any context (meaningful at the top of the #PF handler).
#[inline]
pub fn read_cr2() -> u64 {
    let value: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// CR3: the physical address of the top-level page table.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn read_cr3() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// Loads CR3, which also flushes every non-global TLB entry of this cpu.
///
/// # Safety
/// `value` must point at a page table that maps the running code, stack and data.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub unsafe fn write_cr3(value: u64) {
    // SAFETY: the caller guarantees the new tables map everything in use. Not `nomem`: page-table
    // stores made before must reach memory before the switch.
    unsafe { asm!("mov cr3, {}", in(reg) value, options(nostack, preserves_flags)) }
}

/// CR4.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn read_cr4() -> u64 {
    let value: u64;
    // SAFETY: reading CR4 has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// Loads CR4.
///
/// # Safety
/// Only bits the cpu supports; the new mode must not break running code.
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub unsafe fn write_cr4(value: u64) {
    // SAFETY: the caller guarantees the bits are supported and safe to flip now.
    unsafe { asm!("mov cr4, {}", in(reg) value, options(nostack, preserves_flags)) }
}

/// Enables interrupts and halts until one arrives, atomically: `sti` takes effect after the next
/// instruction, so an interrupt that became pending before cannot slip in between and be missed.
///
/// # Safety
/// As [`enable_irqs`].
///
/// # Context
/// The idle loop only.
#[inline(always)]
pub unsafe fn enable_irqs_and_halt() {
    // SAFETY: the caller guarantees interrupts may arrive now. A compiler barrier.
    unsafe { asm!("sti", "hlt", options(nostack)) }
}

/// Masks interrupts and halts for good.
///
/// # Context
/// Never returns; any context.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: cli; hlt stops this cpu and touches nothing.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) }
    }
}

/// The time-stamp counter.
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc reads a counter and touches no memory.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// CPUID leaf `leaf`, subleaf `sub`: (eax, ebx, ecx, edx).
///
/// # Context
/// Never sleeps; any context.
#[inline]
pub fn cpuid(leaf: u32, sub: u32) -> (u32, u32, u32, u32) {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// The highest basic CPUID leaf.
///
/// # Context
/// Never sleeps; any context.
pub fn cpuid_max_leaf() -> u32 {
    cpuid(0, 0).0
}
