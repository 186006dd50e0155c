//! The interrupt descriptor table and the entry stubs of every vector we handle.
//!
//! Each stub makes the stack uniform (a zero error code where the cpu pushes none, then the
//! vector number), and jumps to one common path that clears AC, saves every general register
//! into a [`super::trap::TrapFrame`] and calls `mf_trap_dispatch` (trap.rs). The stack stays 16-byte aligned at
//! the call: the cpu aligns it before pushing its 5 words, and we push 2 + 15 more.
//!
//! Vectors: the 32 exceptions (double fault on IST1), the APIC timer (the tick), the benchmark
//! vector, the rescheduling and TLB-flush IPIs, and the local APIC's spurious vector. All are
//! interrupt gates, so interrupts are masked on entry; the page-fault handler unmasks them again
//! when the faulting code had them on.
//!
//! The return from a hardware interrupt may switch tasks (`crate::sched::irq_return`), and the
//! interrupted task may then resume on another cpu, returning through this same common path.
//! That is safe because the path keeps no per-cpu state across the call: every saved register
//! is on the interrupted task's own stack (only the double fault uses an IST stack, which is
//! per cpu, and it never returns), there is no ring 3 and so no `swapgs` (the gs base is always
//! the running cpu's own per-cpu area), and `iretq` takes RFLAGS (IF, AC) from the frame.

use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;
use core::mem::{offset_of, size_of};

use mightfault_arch::clac;
use mightfault_arch::x86_64::unwind::InterruptFrame;

use super::apic::{VECTOR_BENCH, VECTOR_RESCHED, VECTOR_SPURIOUS, VECTOR_TIMER, VECTOR_TLB_FLUSH};
use super::gdt::{IST_DOUBLE_FAULT, KERNEL_CS};
use super::trap::TrapFrame;

/// Vectors with a stub, in the order of `mf_isr_table`.
const STUB_VECTORS: [u8; 37] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    26,
    27,
    28,
    29,
    30,
    31,
    VECTOR_TIMER,
    VECTOR_BENCH,
    VECTOR_RESCHED,
    VECTOR_TLB_FLUSH,
    VECTOR_SPURIOUS,
];

/// The double-fault vector.
pub const VECTOR_DOUBLE_FAULT: u8 = 8;

// The stubs. `MF_ISR vector, has_error_code`.
global_asm!(
    ".macro MF_ISR vec, has_error",
    ".balign 16",
    r"mf_isr_\vec:",
    r".if \has_error == 0",
    "pushq $0",
    ".endif",
    r"pushq $\vec",
    "jmp mf_isr_common",
    ".endm",
    ".pushsection .text.mf_isr, \"ax\"",
    "MF_ISR 0, 0",
    "MF_ISR 1, 0",
    "MF_ISR 2, 0",
    "MF_ISR 3, 0",
    "MF_ISR 4, 0",
    "MF_ISR 5, 0",
    "MF_ISR 6, 0",
    "MF_ISR 7, 0",
    "MF_ISR 8, 1",
    "MF_ISR 9, 0",
    "MF_ISR 10, 1",
    "MF_ISR 11, 1",
    "MF_ISR 12, 1",
    "MF_ISR 13, 1",
    "MF_ISR 14, 1",
    "MF_ISR 15, 0",
    "MF_ISR 16, 0",
    "MF_ISR 17, 1",
    "MF_ISR 18, 0",
    "MF_ISR 19, 0",
    "MF_ISR 20, 0",
    "MF_ISR 21, 1",
    "MF_ISR 22, 0",
    "MF_ISR 23, 0",
    "MF_ISR 24, 0",
    "MF_ISR 25, 0",
    "MF_ISR 26, 0",
    "MF_ISR 27, 0",
    "MF_ISR 28, 0",
    "MF_ISR 29, 1",
    "MF_ISR 30, 1",
    "MF_ISR 31, 0",
    "MF_ISR {timer}, 0",
    "MF_ISR {bench}, 0",
    "MF_ISR 240, 0",
    "MF_ISR 241, 0",
    "MF_ISR 255, 0",
    ".balign 16",
    "mf_isr_common:",
    // The interrupted code may have been inside stac/clac: the handler must not inherit AC.
    // The saved RFLAGS keeps it, so iretq gives it back.
    clac!(),
    "cld",
    "pushq %rax",
    "pushq %rbx",
    "pushq %rcx",
    "pushq %rdx",
    "pushq %rsi",
    "pushq %rdi",
    "pushq %rbp",
    "pushq %r8",
    "pushq %r9",
    "pushq %r10",
    "pushq %r11",
    "pushq %r12",
    "pushq %r13",
    "pushq %r14",
    "pushq %r15",
    "movq %rsp, %rdi",
    // rsp points at the TrapFrame at the call, so the handler's frame record lies right below
    // it: what the stack walker's `InterruptFrame` needs (see `interrupt_frame`).
    "callq mf_trap_dispatch",
    ".Lmf_trap_return:",
    "popq %r15",
    "popq %r14",
    "popq %r13",
    "popq %r12",
    "popq %r11",
    "popq %r10",
    "popq %r9",
    "popq %r8",
    "popq %rbp",
    "popq %rdi",
    "popq %rsi",
    "popq %rdx",
    "popq %rcx",
    "popq %rbx",
    "popq %rax",
    "addq $16, %rsp",
    "iretq",
    ".popsection",
    ".pushsection .rodata.mf_isr_table, \"a\"",
    ".balign 8",
    // The return address of the common path's call into `mf_trap_dispatch`, for the stack
    // walker (a local label in the text, so that the trace still names `mf_isr_common+0x..`).
    ".globl mf_trap_return_address",
    "mf_trap_return_address:",
    ".quad .Lmf_trap_return",
    ".globl mf_isr_table",
    "mf_isr_table:",
    ".quad mf_isr_0",
    ".quad mf_isr_1",
    ".quad mf_isr_2",
    ".quad mf_isr_3",
    ".quad mf_isr_4",
    ".quad mf_isr_5",
    ".quad mf_isr_6",
    ".quad mf_isr_7",
    ".quad mf_isr_8",
    ".quad mf_isr_9",
    ".quad mf_isr_10",
    ".quad mf_isr_11",
    ".quad mf_isr_12",
    ".quad mf_isr_13",
    ".quad mf_isr_14",
    ".quad mf_isr_15",
    ".quad mf_isr_16",
    ".quad mf_isr_17",
    ".quad mf_isr_18",
    ".quad mf_isr_19",
    ".quad mf_isr_20",
    ".quad mf_isr_21",
    ".quad mf_isr_22",
    ".quad mf_isr_23",
    ".quad mf_isr_24",
    ".quad mf_isr_25",
    ".quad mf_isr_26",
    ".quad mf_isr_27",
    ".quad mf_isr_28",
    ".quad mf_isr_29",
    ".quad mf_isr_30",
    ".quad mf_isr_31",
    ".quad mf_isr_{timer}",
    ".quad mf_isr_{bench}",
    ".quad mf_isr_240",
    ".quad mf_isr_241",
    ".quad mf_isr_255",
    ".popsection",
    timer = const VECTOR_TIMER,
    bench = const VECTOR_BENCH,
    options(att_syntax)
);

// The stubs for the IPIs and the spurious vector are named by number above.
const _: () = assert!(VECTOR_RESCHED == 240 && VECTOR_TLB_FLUSH == 241 && VECTOR_SPURIOUS == 255);

extern "C" {
    /// Addresses of the stubs, one per entry of [`STUB_VECTORS`].
    static mf_isr_table: [u64; STUB_VECTORS.len()];
    /// Where `mf_trap_dispatch` returns to in the common path.
    static mf_trap_return_address: usize;
}

/// How a stack walk crosses the common entry path into the interrupted code: the handler's
/// frame record lies right below the [`TrapFrame`] the path saved, and returns to the
/// instruction after its call.
///
/// # Context
/// Never sleeps; any context.
pub fn interrupt_frame() -> InterruptFrame {
    InterruptFrame {
        // SAFETY: a word in .rodata written by the linker, never changed.
        return_address: unsafe { mf_trap_return_address },
        rip: offset_of!(TrapFrame, rip),
        rbp: offset_of!(TrapFrame, rbp),
        size: size_of::<TrapFrame>(),
    }
}

/// An IDT gate descriptor (16 bytes in long mode).
#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    flags: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

impl Gate {
    const MISSING: Gate = Gate {
        offset_low: 0,
        selector: 0,
        ist: 0,
        flags: 0,
        offset_mid: 0,
        offset_high: 0,
        reserved: 0,
    };

    /// A present ring-0 interrupt gate (type 0xE: interrupts masked on entry).
    fn interrupt(handler: u64, ist: u8) -> Self {
        Gate {
            offset_low: handler as u16,
            selector: KERNEL_CS,
            ist,
            flags: 0x8e,
            offset_mid: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct Idt(UnsafeCell<[Gate; 256]>);

// SAFETY: written once by the boot cpu in init() before any cpu loads it; read-only afterwards.
unsafe impl Sync for Idt {}

static IDT: Idt = Idt(UnsafeCell::new([Gate::MISSING; 256]));

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Fills the IDT with the stubs.
///
/// # Safety
/// Once, on the boot cpu, before any cpu loads the IDT.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init() {
    // SAFETY: nothing reads the IDT yet; the stub table is filled in by the linker.
    unsafe {
        let idt = &mut *IDT.0.get();
        for (index, &vector) in STUB_VECTORS.iter().enumerate() {
            let ist = if vector == VECTOR_DOUBLE_FAULT {
                IST_DOUBLE_FAULT
            } else {
                0
            };
            idt[usize::from(vector)] = Gate::interrupt(mf_isr_table[index], ist);
        }
    }
}

/// Loads the IDT on this cpu.
///
/// # Safety
/// After [`init`] and after this cpu's GDT (the gates name its code selector) and TSS (IST).
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn load() {
    let pointer = DescriptorPointer {
        limit: (size_of::<[Gate; 256]>() - 1) as u16,
        base: IDT.0.get() as u64,
    };
    // SAFETY: the IDT is complete and static.
    unsafe { asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags)) }
}
