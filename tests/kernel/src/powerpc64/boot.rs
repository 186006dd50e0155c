//! Boot: the entry QEMU's pseries machine (VOF firmware) jumps to at physical 0x400000, in real
//! mode, big-endian, 64-bit; and the entry of the cpus started with RTAS `start-cpu`.
//!
//! Both entries switch to 64-bit mode (VOF enters with MSR\[SF\] clear), move to the kernel's 0xc000... alias (real mode ignores the top address bits,
//! so this works before translation), set r2 to the TOC, r13 to the cpu's PACA and r1 to its
//! boot stack, enable floating point (MSR\[FP\]: the compiler may use FP registers) and mark
//! the state recoverable (MSR\[RI\]: the exception entry checks it), and call
//! Rust: the boot cpu after zeroing .bss. Each cpu blocks user access (the AMR, KUAP) first
//! thing in Rust; from then on only the accessors' windows open it. The boot cpu then installs the exception vectors,
//! builds the radix tables, turns translation on, starts the other cpus and queues the first
//! task (`sched::spawn_first_task`), which runs `mightfault_image_main()`.

use core::arch::global_asm;
use core::ptr::addr_of;

use mightfault_arch::powerpc64::kuap;
use mightfault_core::kprint;

use super::cpu::{self, MSR_DR, MSR_IR, MSR_RI};
use super::layout::KERNEL_BASE;
use super::paca::{paca, PACA_SIZE};
use super::{mmu, smp, trap, xics, Ppc64};
use crate::sched;
use crate::{extable, online_cpus};

/// Size of each cpu's boot (idle) stack.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

global_asm!(
    ".pushsection .text.mf_boot, \"ax\"",
    ".globl mf_ppc_entry",
    "mf_ppc_entry:",
    "li 3, 0",
    "b 0f",
    ".globl mf_ppc_secondary_entry",
    "mf_ppc_secondary_entry:",
    "0:",
    // VOF enters in 32-bit mode: switch to 64-bit (MSR[SF]) before using 64-bit addresses.
    "mfmsr 11",
    "li 12, 1",
    "rldicr 12, 12, 63, 0",
    "or 11, 11, 12",
    "mtmsrd 11",
    "isync",
    // Continue at the 0xc000... alias of the next instruction.
    load64!("12", "1f"),
    "mtctr 12",
    "bctr",
    "1:",
    load64!("2", ".TOC."),
    load64!("13", "mf_ppc_pacas"),
    "mulli 4, 3, {paca_size}",
    "add 13, 13, 4",
    load64!("4", "mf_ppc_stack_tops"),
    "sldi 5, 3, 3",
    "ldx 1, 4, 5",
    "li 0, 0",
    "stdu 0, -32(1)",
    "mfmsr 4",
    "ori 4, 4, {msr_fp_ri}",
    "mtmsrd 4",
    "isync",
    "cmpdi 3, 0",
    "bne 3f",
    // The boot cpu zeroes .bss (its own stack included: nothing is on it yet but zeros).
    load64!("4", "__bss_start"),
    load64!("5", "__bss_end"),
    "2:",
    "cmpld 4, 5",
    "bge 4f",
    "std 0, 0(4)",
    "addi 4, 4, 8",
    "b 2b",
    "4:",
    "std 0, 0(1)",
    "bl mf_ppc_boot_main",
    "nop",
    "b .",
    "3:",
    "bl mf_ppc_secondary_main",
    "nop",
    "b .",
    ".popsection",
    ".pushsection .data.mf_ppc_stack_tops, \"aw\"",
    ".balign 8",
    ".globl mf_ppc_stack_tops",
    "mf_ppc_stack_tops:",
    ".quad mf_ppc_boot_stack + {stack}",
    ".skip {more_tops}",
    ".popsection",
    ".pushsection .bss.mf_ppc_boot_stack, \"aw\", @nobits",
    ".balign 4096",
    ".globl mf_ppc_boot_stack",
    "mf_ppc_boot_stack: .skip {stack}",
    ".popsection",
    paca_size = const PACA_SIZE,
    msr_fp_ri = const cpu::MSR_FP | MSR_RI,
    stack = const BOOT_STACK_SIZE,
    more_tops = const 8 * (sched::MAX_CPUS - 1),
);

extern "C" {
    static mf_ppc_boot_stack: u8;
}

/// The boot cpu's Rust entry: real mode, r1/r2/r13 set, .bss zeroed.
#[no_mangle]
extern "C" fn mf_ppc_boot_main() -> ! {
    cpu::quiet_decrementer();
    kuap::block_user_access();
    paca(0).setup(0, 0, cpu::exception_entry_msr(cpu::read_msr()));
    // SAFETY: once, on the boot cpu, before anything faults or reads per-cpu data; the vector
    // area (real 0..0x1000) belonged to the firmware, which is no longer called.
    let extable_len = unsafe {
        trap::install_vectors();
        sched::init_cpu::<Ppc64>(0, addr_of!(mf_ppc_boot_stack) as usize);
        mmu::init();
        mmu::activate_this_cpu();
        xics::init_this_cpu();
        extable::init()
    };
    kprint!(
        Ppc64,
        "mightfault powerpc64: pseries (VOF), radix MMU on (MSR {:#x}, AMR {:#x}), kernel at \
         {:#x}, {} exception-table entries\n",
        cpu::read_msr(),
        kuap::read_amr(),
        KERNEL_BASE + 0x40_0000,
        extable_len,
    );
    debug_assert_eq!(cpu::read_msr() & (MSR_IR | MSR_DR), MSR_IR | MSR_DR);
    let online = smp::start_secondaries();
    kprint!(Ppc64, "powerpc64: {} cpus online\n", online);
    sched::spawn_first_task::<Ppc64>();
    sched::idle_loop::<Ppc64>()
}

/// A started cpu's Rust entry: real mode, r1/r2/r13 set; `cpu` is its logical number.
#[no_mangle]
extern "C" fn mf_ppc_secondary_main(cpu: usize) -> ! {
    cpu::quiet_decrementer();
    kuap::block_user_access();
    let area = paca(cpu);
    area.set_kernel_msr(cpu::exception_entry_msr(cpu::read_msr()));
    // SAFETY: once, on this cpu, before it reads per-cpu data; the tables are built (the boot
    // cpu built them before starting this one).
    unsafe {
        sched::init_cpu::<Ppc64>(cpu, smp::stack_bottom(cpu));
        mmu::activate_this_cpu();
        xics::init_this_cpu();
    }
    online_cpus::mark_online(cpu);
    sched::idle_loop::<Ppc64>()
}
