//! The stack switch between tasks and the first entry of a new task.
//!
//! `mf_ppc_switch_stacks(save_sp, next_sp)` saves what ELFv2 asks a call to preserve (r14-r31,
//! CR, the return address in the caller's LR save slot) in a frame on the current stack,
//! stores the stack pointer in `*save_sp`, and restores the same from `next_sp`. r2 (one TOC
//! for the whole image) and r13 (the cpu's PACA) are not task state. FP registers are not
//! saved: the kernel does no floating point.
//!
//! A new task's stack holds a switch frame whose r14 is the entry function and whose return
//! address is `mf_ppc_task_trampoline`, which calls r14 the ELFv2 way (r12 = target).

use core::arch::global_asm;

/// Size of the switch frame: header, r14-r31, CR.
const SWITCH_FRAME: usize = 32 + 18 * 8 + 16;
const _: () = assert!(SWITCH_FRAME.is_multiple_of(16));
const CR_SLOT: usize = 32 + 18 * 8;

macro_rules! gprs {
    ($op:literal; $($n:literal)*) => {
        concat!($($op, " ", $n, ", 32 + 8 * (", $n, " - 14)(1)\n",)*)
    };
}

global_asm!(
    ".pushsection .text.mf_ppc_switch, \"ax\"",
    ".balign 4",
    ".globl mf_ppc_switch_stacks",
    "mf_ppc_switch_stacks:",
    "mflr 0",
    "std 0, 16(1)",
    "stdu 1, -{frame}(1)",
    gprs!("std"; "14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "29" "30" "31"),
    "mfcr 0",
    "std 0, {cr}(1)",
    "std 1, 0(3)",
    "mr 1, 4",
    gprs!("ld"; "14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "29" "30" "31"),
    "ld 0, {cr}(1)",
    "mtcrf 0xff, 0",
    "addi 1, 1, {frame}",
    "ld 0, 16(1)",
    "mtlr 0",
    "blr",
    ".balign 4",
    ".globl mf_ppc_task_trampoline",
    "mf_ppc_task_trampoline:",
    "mr 12, 14",
    "mtctr 12",
    "bctrl",
    "b .",
    // Sizes, so that the image's symbol table names addresses in this code (the trampoline
    // ends every task's call trace).
    ".size mf_ppc_switch_stacks, mf_ppc_task_trampoline - mf_ppc_switch_stacks",
    ".size mf_ppc_task_trampoline, . - mf_ppc_task_trampoline",
    ".popsection",
    frame = const SWITCH_FRAME,
    cr = const CR_SLOT,
);

extern "C" {
    fn mf_ppc_switch_stacks(save_sp: *mut usize, next_sp: usize);
    fn mf_ppc_task_trampoline();
}

/// Saves the current context's stack pointer in `*save_sp` and continues the one at `next_sp`.
///
/// # Safety
/// Interrupts masked; `next_sp` came from an earlier switch or [`initial_stack`] and that
/// context is not running anywhere.
///
/// # Context
/// Switches tasks; the scheduler only, interrupts masked.
#[inline(always)]
pub unsafe fn switch_stacks(save_sp: *mut usize, next_sp: usize) {
    // SAFETY: the caller's contract; the assembly preserves every callee-saved register.
    unsafe { mf_ppc_switch_stacks(save_sp, next_sp) }
}

/// Prepares a fresh stack whose first switch enters `entry`; returns its stack pointer.
///
/// # Safety
/// `stack_top` is the 16-byte-aligned end of an unused stack.
///
/// # Context
/// Never sleeps; task creation.
pub unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
    // The trampoline's own frame: back chain 0, its LR save slot holds the trampoline.
    let outer = stack_top - 32;
    let sp = outer - SWITCH_FRAME;
    // SAFETY: both frames lie inside the unused stack (caller's contract).
    unsafe {
        core::ptr::write_bytes(sp as *mut u8, 0, stack_top - sp);
        (sp as *mut usize).write(outer);
        ((sp + 32) as *mut usize).write(entry as *const () as usize);
        ((outer + 16) as *mut usize).write(mf_ppc_task_trampoline as *const () as usize);
    }
    sp
}
