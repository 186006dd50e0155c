//! Boot: from QEMU's PVH entry to the seed task.
//!
//! QEMU finds the PVH ELF note (type 18, XEN_ELFNOTE_PHYS32_ENTRY, name "Xen") and enters
//! `mf_pvh_start32` in 32-bit protected mode with paging off and EBX = the physical address of
//! the `hvm_start_info`. The 32-bit code runs at physical addresses (symbol - KERNEL_OFFSET):
//! it zeroes `.bss`, builds the boot page tables (physical 0..4 GiB in 2 MiB pages, mapped at 0,
//! at PHYS_OFFSET and, the first 2 GiB, at KERNEL_OFFSET; the top GiB, where MMIO lives,
//! uncached), enables PAE, long mode, paging and write protection, and far-jumps into 64-bit
//! code, which continues in the higher half on the boot stack in `mf_boot_main`.
//!
//! `mf_boot_main` brings up the boot cpu (GDT/TSS, per-cpu area, IDT, SMAP/SMEP, the user
//! copy routines, kernel page tables, exception table, PIC off, TSC, local APIC and its
//! timer's rate), then the other
//! cpus, then starts the seed task (pid 1) on cpu 0 and becomes cpu 0's idle task (whose
//! entry arms the tick). The seed task shows every cpu running a
//! task, runs the image's KTAP suites (`mightfault_image_main`, defined by the image binary)
//! and exits QEMU with their verdict.

use core::arch::global_asm;
use core::ptr::addr_of;

use mightfault_arch::x86_64::user_copy;
use mightfault_core::kprint;

use super::layout::{phys_to_virt, KERNEL_OFFSET};
use super::{apic, clock, gdt, idt, paging, percpu, pic, smap, smp, timer, X86};
use crate::{extable, sched};

/// Size of the boot cpu's stack (later its idle task's).
const BOOT_STACK_SIZE: usize = 64 * 1024;
// The stack walkers take every stack to be as large as a task's (`sched::current_stack_range`).
const _: () = assert!(BOOT_STACK_SIZE == crate::sched::TASK_STACK_SIZE);

global_asm!(
    // The PVH entry note. Its descriptor is the 32-bit physical entry address, as a .quad.
    ".pushsection .note.mf_pvh, \"a\", @note",
    ".balign 4",
    ".long 4",
    ".long 8",
    ".long 18",
    ".asciz \"Xen\"",
    ".balign 4",
    ".quad mf_pvh_start32 - {koff}",
    ".balign 4",
    ".popsection",
    //
    ".pushsection .text.mf_boot, \"ax\"",
    ".code32",
    ".globl mf_pvh_start32",
    "mf_pvh_start32:",
    "cli",
    "cld",
    "movl %ebx, %esi", // start_info, kept in esi until Rust
    // Zero .bss (the boot page tables and stack live there).
    "movl $(__bss_start - {koff}), %edi",
    "movl $(__bss_end - {koff}), %ecx",
    "subl %edi, %ecx",
    "xorl %eax, %eax",
    "rep stosb",
    // PML4[0] (identity) and PML4[256] (direct map) -> pdpt_low; PML4[511] -> pdpt_high.
    "movl $(mf_boot_pdpt_low - {koff} + 3), %eax",
    "movl %eax, (boot_pml4 - {koff})",
    "movl %eax, (boot_pml4 - {koff} + 256 * 8)",
    "movl $(mf_boot_pdpt_high - {koff} + 3), %eax",
    "movl %eax, (boot_pml4 - {koff} + 511 * 8)",
    // pdpt_low[0..4] -> the four page directories (0..4 GiB).
    "movl $(mf_boot_pd - {koff} + 3), %eax",
    "movl $(mf_boot_pdpt_low - {koff}), %edi",
    "movl $4, %ecx",
    "2:",
    "movl %eax, (%edi)",
    "addl $4096, %eax",
    "addl $8, %edi",
    "decl %ecx",
    "jnz 2b",
    // pdpt_high[510..512] -> the first two page directories (KERNEL_OFFSET + 0..2 GiB).
    "movl $(mf_boot_pd - {koff} + 3), %eax",
    "movl %eax, (mf_boot_pdpt_high - {koff} + 510 * 8)",
    "addl $4096, %eax",
    "movl %eax, (mf_boot_pdpt_high - {koff} + 511 * 8)",
    // 2048 2 MiB pages: present, writable, large; PCD|PWT from 3 GiB up (MMIO, the APIC).
    "xorl %ecx, %ecx",
    "movl $(mf_boot_pd - {koff}), %edi",
    "3:",
    "movl %ecx, %eax",
    "shll $21, %eax",
    "orl $0x83, %eax",
    "cmpl $1536, %ecx",
    "jb 4f",
    "orl $0x18, %eax",
    "4:",
    "movl %eax, (%edi, %ecx, 8)",
    "incl %ecx",
    "cmpl $2048, %ecx",
    "jb 3b",
    // PAE, the boot tables, EFER.LME, then paging + write protect.
    "movl %cr4, %eax",
    "orl $0x20, %eax",
    "movl %eax, %cr4",
    "movl $(boot_pml4 - {koff}), %eax",
    "movl %eax, %cr3",
    "movl $0xc0000080, %ecx",
    "rdmsr",
    "orl $0x100, %eax",
    "wrmsr",
    "movl %cr0, %eax",
    "orl $0x80010001, %eax",
    "movl %eax, %cr0",
    "lgdt (mf_boot_gdt_pointer - {koff})",
    "ljmpl $0x08, $(mf_pvh_start64 - {koff})",
    ".code64",
    "mf_pvh_start64:",
    "movw $0x10, %ax",
    "movw %ax, %ds",
    "movw %ax, %es",
    "movw %ax, %ss",
    "xorl %eax, %eax",
    "movw %ax, %fs",
    "movw %ax, %gs",
    // Into the higher half, onto the boot stack.
    "movabsq $mf_boot_stack_top, %rsp",
    "movl %esi, %edi",
    "xorl %ebp, %ebp",
    "movabsq $mf_boot_main, %rax",
    "callq *%rax",
    "ud2",
    ".popsection",
    //
    ".pushsection .rodata.mf_boot_gdt, \"a\"",
    ".balign 16",
    "mf_boot_gdt:",
    ".quad 0",
    ".quad 0x00af9a000000ffff", // 0x08: 64-bit code
    ".quad 0x00cf92000000ffff", // 0x10: data
    "mf_boot_gdt_pointer:",
    ".word mf_boot_gdt_pointer - mf_boot_gdt - 1",
    ".long mf_boot_gdt - {koff}",
    ".popsection",
    //
    ".pushsection .bss.mf_boot, \"aw\", @nobits",
    ".balign 4096",
    ".globl boot_pml4",
    "boot_pml4: .skip 4096",
    "mf_boot_pdpt_low: .skip 4096",
    "mf_boot_pdpt_high: .skip 4096",
    "mf_boot_pd: .skip 4 * 4096",
    ".globl mf_boot_stack_bottom",
    "mf_boot_stack_bottom: .skip {stack}",
    "mf_boot_stack_top:",
    ".popsection",
    koff = const KERNEL_OFFSET,
    stack = const BOOT_STACK_SIZE,
    options(att_syntax)
);

extern "C" {
    static mf_boot_stack_bottom: u8;
}

/// Offset of `rsdp_paddr` in the PVH `hvm_start_info`.
const START_INFO_RSDP: u64 = 32;
const START_INFO_MAGIC: u32 = 0x336e_c578;

/// The boot cpu's Rust entry, on the boot stack in the higher half, still on the boot page
/// tables.
///
/// # Context
/// Never returns; boot, interrupts masked.
#[no_mangle]
extern "C" fn mf_boot_main(start_info: u32) -> ! {
    super::serial::init();
    let start_info = u64::from(start_info);
    // SAFETY: QEMU put the start_info in low RAM, inside the direct map.
    let (magic, rsdp) = unsafe {
        (
            (phys_to_virt(start_info) as *const u32).read(),
            (phys_to_virt(start_info + START_INFO_RSDP) as *const u64).read_unaligned(),
        )
    };
    // SAFETY: each step runs once on the boot cpu, in the order each requires, interrupts masked.
    let (extable_len, smap_sites, strings) = unsafe {
        gdt::load(0);
        sched::init_cpu::<X86>(0, addr_of!(mf_boot_stack_bottom) as usize);
        idt::init();
        idt::load();
        let smap_sites = smap::init_boot();
        // Before the first user access: rep movsb/stosb or the word loops, from CPUID.
        let strings = user_copy::select_at_boot();
        paging::init();
        paging::activate();
        smap::enable_this_cpu();
        (extable::init(), smap_sites, strings)
    };
    kprint!(
        X86,
        "mightfault x86_64: PVH boot (start_info {:#x}, magic {}), kernel at {:#x}\n",
        start_info,
        if magic == START_INFO_MAGIC {
            "ok"
        } else {
            "BAD"
        },
        KERNEL_OFFSET + 0x10_0000,
    );
    // SAFETY: once, on the boot cpu, with interrupts masked.
    let (tsc_hz, source, apic_timer_hz) = unsafe {
        pic::disable();
        let (tsc_hz, source) = clock::calibrate();
        apic::init_this_cpu();
        (tsc_hz, source, timer::calibrate())
    };
    kprint!(
        X86,
        "x86_64: SMEP {}, SMAP {} ({} stac/clac sites), user copies {:?}, clears {:?} \
         ({:?}), {} exception-table entries, TSC {} kHz ({:?}), APIC timer {} kHz\n",
        on_off(smap::smep_enabled()),
        on_off(smap::smap_enabled()),
        smap_sites,
        strings.copy_routine(),
        strings.clear_routine(),
        strings,
        extable_len,
        tsc_hz / 1000,
        source,
        apic_timer_hz / 1000,
    );
    // SAFETY: the boot cpu is fully up; the start_info (in low memory) is no longer needed.
    let online = unsafe { smp::start_aps(rsdp) };
    kprint!(X86, "x86_64: {} cpus online\n", online);
    sched::spawn_first_task::<X86>();
    debug_assert_eq!(percpu::cpu_id(), 0);
    sched::idle_loop::<X86>()
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}
