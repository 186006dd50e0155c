//! Switching kernel stacks between tasks.
//!
//! A task that is not running is its saved stack pointer: its stack holds the callee-saved
//! registers and the return address into the scheduler. Caller-saved registers are already saved
//! by the compiler around the call, there is no FPU/SSE state (the target is soft-float), and
//! RFLAGS needs no saving: the scheduler always switches with interrupts masked and AC clear.

use core::arch::global_asm;

global_asm!(
    ".pushsection .text.mf_switch_stacks, \"ax\"",
    ".globl mf_switch_stacks",
    "mf_switch_stacks:",
    "pushq %rbp",
    "pushq %rbx",
    "pushq %r12",
    "pushq %r13",
    "pushq %r14",
    "pushq %r15",
    "movq %rsp, (%rdi)",
    "movq %rsi, %rsp",
    "popq %r15",
    "popq %r14",
    "popq %r13",
    "popq %r12",
    "popq %rbx",
    "popq %rbp",
    "retq",
    ".popsection",
    options(att_syntax)
);

extern "C" {
    fn mf_switch_stacks(save_rsp: *mut usize, next_rsp: usize);
}

/// Callee-saved registers pushed by `mf_switch_stacks`.
const SAVED_REGISTERS: usize = 6;

/// Saves the running context's stack pointer in `*save_rsp` and continues the context saved at
/// `next_rsp`. Returns when some cpu switches back to the saved context.
///
/// # Safety
/// Interrupts masked; `save_rsp` must stay valid until the context is resumed; `next_rsp` must
/// come from an earlier switch or from [`initial_stack`], and that context must not be running.
///
/// # Context
/// The scheduler only.
#[inline(always)]
pub unsafe fn switch(save_rsp: *mut usize, next_rsp: usize) {
    // SAFETY: the caller's contract above is mf_switch_stacks' contract.
    unsafe { mf_switch_stacks(save_rsp, next_rsp) }
}

/// Prepares a fresh stack whose first switch "returns" into `entry`, with the stack aligned as
/// at a function's entry. Returns the stack pointer to switch to.
///
/// # Safety
/// `stack_top` must be the 16-byte-aligned end of an unused stack of at least 64 bytes.
///
/// # Context
/// Never sleeps; any context.
pub unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
    debug_assert!(stack_top.is_multiple_of(16));
    // [registers..., entry, padding]: after the pops and the `ret`, rsp = top - 8, which is what
    // a `call` leaves at a function's entry.
    let rsp = stack_top - (SAVED_REGISTERS + 2) * 8;
    let frame = rsp as *mut usize;
    // SAFETY: the caller gives us the stack; all eight words are inside it.
    unsafe {
        for slot in 0..SAVED_REGISTERS {
            frame.add(slot).write(0);
        }
        frame.add(SAVED_REGISTERS).write(entry as usize);
        frame.add(SAVED_REGISTERS + 1).write(0);
    }
    rsp
}
