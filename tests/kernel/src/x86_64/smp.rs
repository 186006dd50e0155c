//! Bringing up the application processors.
//!
//! An AP starts in 16-bit real mode at the page named by the STARTUP IPI, so a trampoline is
//! copied to physical 0x8000 (below 1 MiB, page-aligned). It switches to protected mode with
//! its own small GDT, enables PAE, loads the boot page tables (they keep the identity map the
//! switch needs), enables long mode and paging, and jumps to `mf_ap_main` in the higher half
//! with its stack and cpu number, which the boot cpu wrote into the trampoline's data words.
//! The boot cpu starts one AP at a time (INIT, 10 ms, STARTUP, 200 µs, STARTUP) and waits for it
//! to report online before reusing the data words for the next.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::ptr::addr_of;
use core::sync::atomic::{AtomicU32, Ordering};

use super::layout::phys_to_virt;
use super::percpu::MAX_CPUS;
use crate::console;
use crate::online_cpus::{mark_online, nr_cpus, wait_online};
use crate::sched;

use super::{acpi, apic, clock, gdt, idt, paging, smap, X86};

/// Physical address of the AP trampoline (STARTUP vector 0x08).
pub const AP_TRAMPOLINE_PHYS: usize = 0x8000;

const AP_STACK_SIZE: usize = 64 * 1024;
// The stack walkers take every stack to be as large as a task's (`sched::current_stack_range`).
const _: () = assert!(AP_STACK_SIZE == crate::sched::TASK_STACK_SIZE);

global_asm!(
    ".pushsection .rodata.mf_ap_trampoline, \"a\"",
    ".balign 16",
    ".globl mf_ap_trampoline_start",
    "mf_ap_trampoline_start:",
    ".code16",
    "cli",
    "cld",
    "movw %cs, %ax",
    "movw %ax, %ds",
    "lgdtl (mf_ap_gdt_pointer - mf_ap_trampoline_start)",
    "movl %cr0, %eax",
    "orl $1, %eax",
    "movl %eax, %cr0",
    "ljmpl $0x18, $({base} + mf_ap_protected - mf_ap_trampoline_start)",
    ".code32",
    "mf_ap_protected:",
    "movw $0x10, %ax",
    "movw %ax, %ds",
    "movw %ax, %es",
    "movw %ax, %ss",
    "movl %cr4, %eax",
    "orl $0x20, %eax", // PAE
    "movl %eax, %cr4",
    "movl ({base} + mf_ap_cr3 - mf_ap_trampoline_start), %eax",
    "movl %eax, %cr3",
    "movl $0xc0000080, %ecx", // EFER
    "rdmsr",
    "orl $0x100, %eax", // LME
    "wrmsr",
    "movl %cr0, %eax",
    "orl $0x80010000, %eax", // PG | WP
    "movl %eax, %cr0",
    "ljmpl $0x08, $({base} + mf_ap_long - mf_ap_trampoline_start)",
    ".code64",
    "mf_ap_long:",
    "movw $0x10, %ax",
    "movw %ax, %ds",
    "movw %ax, %es",
    "movw %ax, %ss",
    "movq ({base} + mf_ap_stack - mf_ap_trampoline_start), %rsp",
    "movq ({base} + mf_ap_cpu - mf_ap_trampoline_start), %rdi",
    "movq ({base} + mf_ap_entry - mf_ap_trampoline_start), %rax",
    "xorl %ebp, %ebp",
    "callq *%rax",
    "ud2",
    ".balign 8",
    "mf_ap_gdt:",
    ".quad 0",
    ".quad 0x00af9a000000ffff", // 0x08: 64-bit code
    ".quad 0x00cf92000000ffff", // 0x10: data
    ".quad 0x00cf9a000000ffff", // 0x18: 32-bit code
    "mf_ap_gdt_pointer:",
    ".word mf_ap_gdt_pointer - mf_ap_gdt - 1",
    ".long {base} + mf_ap_gdt - mf_ap_trampoline_start",
    ".balign 8",
    ".globl mf_ap_cr3",
    "mf_ap_cr3: .quad 0",
    ".globl mf_ap_stack",
    "mf_ap_stack: .quad 0",
    ".globl mf_ap_cpu",
    "mf_ap_cpu: .quad 0",
    ".globl mf_ap_entry",
    "mf_ap_entry: .quad 0",
    ".globl mf_ap_trampoline_end",
    "mf_ap_trampoline_end:",
    ".popsection",
    base = const AP_TRAMPOLINE_PHYS,
    options(att_syntax)
);

extern "C" {
    static mf_ap_trampoline_start: u8;
    static mf_ap_trampoline_end: u8;
    static mf_ap_cr3: u8;
    static mf_ap_stack: u8;
    static mf_ap_cpu: u8;
    static mf_ap_entry: u8;
}

#[repr(C, align(16))]
struct ApStack(UnsafeCell<[u8; AP_STACK_SIZE]>);

// SAFETY: AP n's stack is used by AP n only (first by its bring-up, then as its idle task's).
unsafe impl Sync for ApStack {}

static AP_STACKS: [ApStack; MAX_CPUS] =
    [const { ApStack(UnsafeCell::new([0; AP_STACK_SIZE])) }; MAX_CPUS];

static APIC_IDS: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];

/// The APIC id of cpu `cpu`.
///
/// # Context
/// Never sleeps; any context.
pub fn apic_id(cpu: usize) -> u32 {
    APIC_IDS[cpu].load(Ordering::Relaxed)
}

/// Writes one of the trampoline's data words (in its copy below 1 MiB).
fn set_trampoline_word(word: *const u8, value: u64) {
    let offset = word as usize - addr_of!(mf_ap_trampoline_start) as usize;
    let at = phys_to_virt((AP_TRAMPOLINE_PHYS + offset) as u64) as *mut u64;
    // SAFETY: the copy at AP_TRAMPOLINE_PHYS is ours (boot), and no AP reads it right now.
    unsafe { at.write_volatile(value) }
}

/// Starts every other enabled cpu of the MADT and returns how many cpus are online.
///
/// # Safety
/// Once, on the boot cpu, after its own bring-up (page tables, IDT, APIC, clock, scheduler);
/// physical memory at [`AP_TRAMPOLINE_PHYS`] must be free (nothing is read from there after
/// the PVH start_info was consumed).
///
/// # Context
/// Never sleeps; boot (takes about 10 ms per cpu).
pub unsafe fn start_aps(rsdp_paddr: u64) -> u32 {
    let boot_apic_id = apic::id();
    APIC_IDS[0].store(boot_apic_id, Ordering::Relaxed);
    let Some(list) = acpi::cpus(rsdp_paddr) else {
        console::write::<X86>("x86_64: no ACPI MADT found, running on the boot cpu only\n");
        return nr_cpus();
    };
    if list.dropped > 0 {
        console::write::<X86>("x86_64: more cpus than MAX_CPUS; the extra ones stay offline\n");
    }

    let start = addr_of!(mf_ap_trampoline_start) as usize;
    let end = addr_of!(mf_ap_trampoline_end) as usize;
    // SAFETY: the destination is free low memory in the direct map; the source is our image.
    unsafe {
        core::ptr::copy_nonoverlapping(
            start as *const u8,
            phys_to_virt(AP_TRAMPOLINE_PHYS as u64) as *mut u8,
            end - start,
        );
    }

    for &id in list.ids().iter().filter(|&&id| id != boot_apic_id) {
        let cpu = nr_cpus() as usize;
        APIC_IDS[cpu].store(id, Ordering::Relaxed);
        let stack_top = AP_STACKS[cpu].0.get() as u64 + AP_STACK_SIZE as u64;
        set_trampoline_word(addr_of!(mf_ap_cr3), paging::boot_cr3());
        set_trampoline_word(addr_of!(mf_ap_stack), stack_top);
        set_trampoline_word(addr_of!(mf_ap_cpu), cpu as u64);
        set_trampoline_word(addr_of!(mf_ap_entry), mf_ap_main as *const () as u64);

        apic::send_init(id);
        clock::delay_us(10_000);
        let page = (AP_TRAMPOLINE_PHYS >> 12) as u8;
        apic::send_startup(id, page);
        clock::delay_us(200);
        apic::send_startup(id, page);

        let deadline = clock::now_ns() + 1_000_000_000;
        if !wait_online(cpu, || clock::now_ns() >= deadline) {
            console::write::<X86>("x86_64: an application processor did not come up\n");
            break;
        }
    }
    nr_cpus()
}

/// Where an AP lands in the higher half, on its own stack: the same bring-up as the boot cpu's
/// (GDT/TSS, per-cpu area, IDT, kernel page tables, SMEP/SMAP, local APIC), then its idle loop.
///
/// # Context
/// Never returns; AP bring-up, interrupts masked.
extern "C" fn mf_ap_main(cpu: u64) -> ! {
    let cpu = cpu as usize;
    let stack_bottom = AP_STACKS[cpu].0.get() as usize;
    // SAFETY: each step runs once on this new cpu, in the order each requires, with interrupts
    // masked; the boot cpu set up everything shared (IDT, page tables, SMAP patching) before.
    unsafe {
        gdt::load(cpu);
        sched::init_cpu::<X86>(cpu, stack_bottom);
        idt::load();
        paging::activate();
        smap::enable_this_cpu();
        apic::init_this_cpu();
    }
    mark_online(cpu);
    sched::idle_loop::<X86>()
}
