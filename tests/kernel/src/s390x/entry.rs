//! Every assembly entry into the kernel: the boot entry, the interruption stubs, a secondary
//! cpu's start, and the stack switch.
//!
//! Interruptions arrive in two stages. The new PSWs load with DAT off, so the first stage can
//! save all sixteen registers into this cpu's lowcore with base register 0 (real addresses are
//! prefixed to the cpu's own area) whatever the interrupted code did to its registers and
//! address-space mode; it then loads a continuation PSW with DAT on, in the primary-space mode.
//! The second stage builds a [`super::trap::TrapFrame`] below the interrupted stack pointer
//! (the s390x ABI keeps nothing below r15) and calls Rust. The kernel's space maps the running
//! cpu's lowcore at address 0 (virtual = real, then prefixing), so the second stage addresses
//! it with base register 0 and a displacement too. The way back mirrors it: the frame goes to
//! the lowcore, a PSW drops to real mode, and the last stage reloads the registers and the old
//! PSW (with the interrupted address-space mode: an interrupted futex `cs` window resumes in
//! the secondary-space mode it was in).
//!
//! Nothing per-cpu lives across the call into Rust: the lowcore save areas are copied into the
//! frame, on the interrupted task's own stack, before interrupts can be unmasked, and the way
//! back reads only the frame (the old PSW included) and fills the lowcore of the cpu it runs
//! on, interrupts masked. So a handler that ends in a preemption (`irq_return`) may resume the
//! task on another cpu, and a nested interruption (softirqs run with interrupts unmasked) may
//! reuse the save areas.
//!
//! Call traces cross these stubs (mightfault_arch::s390x::unwind): the second stage's frame has
//! a zero back chain with the [`super::trap::TrapFrame`] right above its save area, where the
//! walk finds the interrupted PSW and r15 ([`super::trap::INTERRUPT_FRAME`]); every stub is an
//! ELF function with a size, so the symbol table names a frame in one; and a task's outermost
//! frame is [`mf_s390_task_start`]'s.

use core::arch::global_asm;

use super::lowcore as lc;
use super::trap::{TrapClass, FRAME_SIZE};

/// The s390x ABI's register save area a callee may use above its caller's r15.
pub const ABI_SAVE_AREA: usize = 160;

global_asm!(
    // ---- boot cpu entry: 64-bit, DAT and interrupts off, running at physical addresses ----
    ".pushsection .text.mf_boot, \"ax\"",
    ".globl mf_start",
    ".type mf_start, @function",
    "mf_start:",
    // Zero .bss (page tables, boot stack); its bounds are 4 KiB aligned (link.ld).
    "larl %r2, __bss_start",
    "larl %r3, __bss_end",
    "0:",
    "clgr %r2, %r3",
    "jhe 1f",
    "xc 0(256,%r2), 0(%r2)",
    "aghi %r2, 256",
    "j 0b",
    "1:",
    "larl %r15, mf_boot_stack_top",
    "aghi %r15, -{abi}",
    "xc 0(8,%r15), 0(%r15)",
    // Build the page tables; the kernel's ASCE comes back in r2 and goes to CR1 (primary) and
    // CR13 (home) through a lowcore word not yet in use, the user's to CR7 (secondary).
    "brasl %r14, mf_s390_early_paging",
    "stg %r2, {scratch}",
    "lctlg %c1, %c1, {scratch}",
    "lctlg %c13, %c13, {scratch}",
    "larl %r1, MF_S390_USER_ASCE",
    "lctlg %c7, %c7, 0(%r1)",
    // Continue with DAT on (virtual = physical: the same addresses).
    "larl %r1, mf_boot_psw",
    "lpswe 0(%r1)",
    "mf_boot_virt:",
    "brasl %r14, mf_s390_boot_main",
    "j mf_boot_virt",
    ".size mf_start, . - mf_start",
    ".popsection",
    //
    ".pushsection .rodata.mf_boot_psw, \"a\"",
    ".balign 8",
    "mf_boot_psw:",
    ".quad {kernel_psw}",
    ".quad mf_boot_virt",
    ".popsection",
    //
    ".pushsection .bss.mf_boot_stack, \"aw\", @nobits",
    ".balign 4096",
    ".globl mf_boot_stack_bottom",
    "mf_boot_stack_bottom:",
    ".skip 65536",
    "mf_boot_stack_top:",
    ".popsection",
    //
    // ---- interruption stubs ----
    ".pushsection .text.mf_entry, \"ax\"",
    // First stage, real mode: save the registers, go virtual.
    ".macro MF_REAL name, save, cont",
    ".globl \\name",
    ".type \\name, @function",
    ".balign 8",
    "\\name:",
    "stmg %r0, %r15, \\save",
    "lpswe \\cont",
    ".size \\name, . - \\name",
    ".endm",
    // Second stage, virtual: build the frame from the lowcore copy and call mf_s390_trap.
    ".macro MF_VIRT name, save, oldpsw, class",
    ".globl \\name",
    ".type \\name, @function",
    ".balign 8",
    "\\name:",
    "lg %r15, \\save + 120",
    "aghi %r15, -({abi} + {frame})",
    "mvc {abi}(128,%r15), \\save",
    "mvc ({abi} + 128)(16,%r15), \\oldpsw",
    "mvc ({abi} + 144)(4,%r15), {pgm_ilc}",
    "mvc ({abi} + 148)(4,%r15), {ext_cpu}",
    "mvc ({abi} + 152)(8,%r15), {teid}",
    "mvghi ({abi} + 160)(%r15), \\class",
    "xc 0(8,%r15), 0(%r15)",
    "la %r2, {abi}(%r15)",
    "brasl %r14, mf_s390_trap",
    "j mf_s390_return",
    ".size \\name, . - \\name",
    ".endm",
    //
    "MF_REAL mf_s390_pgm_real, {save_pgm}, {cont_pgm}",
    "MF_REAL mf_s390_ext_real, {save_ext}, {cont_ext}",
    "MF_VIRT mf_s390_pgm_virt, {save_pgm}, {pgm_old}, {class_pgm}",
    "MF_VIRT mf_s390_ext_virt, {save_ext}, {ext_old}, {class_ext}",
    // The fatal classes share a save area; each notes its class before going virtual.
    ".macro MF_FATAL name, class",
    ".globl \\name",
    ".type \\name, @function",
    ".balign 8",
    "\\name:",
    "stmg %r0, %r15, {save_other}",
    "mvghi {other_class}, \\class",
    "lpswe {cont_other}",
    ".size \\name, . - \\name",
    ".endm",
    "MF_FATAL mf_s390_svc_real, {class_svc}",
    "MF_FATAL mf_s390_mcck_real, {class_mcck}",
    "MF_FATAL mf_s390_io_real, {class_io}",
    "MF_FATAL mf_s390_restart_real, {class_restart}",
    // A fatal interruption's old PSW is at RESTART_OLD_PSW + 16 * class (see TrapClass).
    ".globl mf_s390_other_virt",
    ".type mf_s390_other_virt, @function",
    ".balign 8",
    "mf_s390_other_virt:",
    "lg %r15, {save_other} + 120",
    "aghi %r15, -({abi} + {frame})",
    "mvc {abi}(128,%r15), {save_other}",
    "mvc ({abi} + 144)(4,%r15), {pgm_ilc}",
    "mvc ({abi} + 148)(4,%r15), {ext_cpu}",
    "mvc ({abi} + 152)(8,%r15), {teid}",
    "mvc ({abi} + 160)(8,%r15), {other_class}",
    "lg %r3, {other_class}",
    "sllg %r3, %r3, 4",
    "la %r3, {restart_old}(%r3)",
    "mvc ({abi} + 128)(16,%r15), 0(%r3)",
    "xc 0(8,%r15), 0(%r15)",
    "la %r2, {abi}(%r15)",
    "brasl %r14, mf_s390_trap",
    "j mf_s390_return",
    ".size mf_s390_other_virt, . - mf_s390_other_virt",
    //
    // The way back: frame -> lowcore (DAT on, base 0), then real mode reloads everything. Runs with
    // interrupts masked (every handler returns so, and TO_REAL_PSW keeps them masked), on
    // whichever cpu the task runs now: the RESTORE and RETURN_PSW it fills are that cpu's.
    ".globl mf_s390_return",
    ".type mf_s390_return, @function",
    "mf_s390_return:",
    "mvc {restore}(128,%r0), {abi}(%r15)",
    "mvc {return_psw}(16,%r0), ({abi} + 128)(%r15)",
    "lpswe {to_real}",
    ".size mf_s390_return, . - mf_s390_return",
    ".globl mf_s390_return_real",
    ".type mf_s390_return_real, @function",
    ".balign 8",
    "mf_s390_return_real:",
    "lmg %r0, %r15, {restore}",
    "lpswe {return_psw}",
    ".size mf_s390_return_real, . - mf_s390_return_real",
    //
    // A secondary cpu after SIGP restart: real mode, its own prefix area at real 0.
    ".globl mf_s390_start_real",
    ".type mf_s390_start_real, @function",
    ".balign 8",
    "mf_s390_start_real:",
    "lctlg %c0, %c15, {start_cregs}",
    "lg %r15, {start_stack}",
    "lpswe {cont_start}",
    ".size mf_s390_start_real, . - mf_s390_start_real",
    ".globl mf_s390_start_virt",
    ".type mf_s390_start_virt, @function",
    ".balign 8",
    "mf_s390_start_virt:",
    "brasl %r14, mf_s390_secondary_main",
    "j mf_s390_start_virt",
    ".size mf_s390_start_virt, . - mf_s390_start_virt",
    //
    // A new task's first instruction (the r14 of its first switch frame, sched.rs): calls the
    // task's entry, which the switch frame passed in r6, with r14 pointing back here, so the
    // outermost frame of every task's call trace is this stub's, as Linux's is ret_from_fork.
    // The entry never returns; the zero halfword after the call is an invalid operation.
    ".globl mf_s390_task_start",
    ".type mf_s390_task_start, @function",
    ".balign 8",
    "mf_s390_task_start:",
    "basr %r14, %r6",
    ".short 0",
    ".size mf_s390_task_start, . - mf_s390_task_start",
    //
    // switch_stacks(save_sp: r2, next_sp: r3): callee-saved r6-r14 below r15, then swap r15.
    ".globl mf_s390_switch",
    ".type mf_s390_switch, @function",
    ".balign 8",
    "mf_s390_switch:",
    "aghi %r15, -{switch_frame}",
    "stmg %r6, %r14, 0(%r15)",
    "stg %r15, 0(%r2)",
    "lgr %r15, %r3",
    "lmg %r6, %r14, 0(%r15)",
    "aghi %r15, {switch_frame}",
    "br %r14",
    ".size mf_s390_switch, . - mf_s390_switch",
    ".popsection",
    abi = const ABI_SAVE_AREA,
    frame = const FRAME_SIZE,
    kernel_psw = const super::cpu::PSW_KERNEL,
    scratch = const lc::OTHER_CLASS,
    save_pgm = const lc::SAVE_PGM,
    save_ext = const lc::SAVE_EXT,
    save_other = const lc::SAVE_OTHER,
    cont_pgm = const lc::CONT_PGM_PSW,
    cont_ext = const lc::CONT_EXT_PSW,
    cont_other = const lc::CONT_OTHER_PSW,
    cont_start = const lc::CONT_START_PSW,
    other_class = const lc::OTHER_CLASS,
    pgm_old = const lc::PGM_OLD_PSW,
    ext_old = const lc::EXT_OLD_PSW,
    restart_old = const lc::RESTART_OLD_PSW,
    pgm_ilc = const lc::PGM_ILC,
    ext_cpu = const lc::EXT_CPU_ADDR,
    teid = const lc::TRANS_EXC_CODE,
    restore = const lc::RESTORE,
    return_psw = const lc::RETURN_PSW,
    to_real = const lc::TO_REAL_PSW,
    start_cregs = const lc::START_CREGS,
    start_stack = const lc::START_STACK,
    class_pgm = const TrapClass::Program as u64,
    class_ext = const TrapClass::External as u64,
    class_svc = const TrapClass::SupervisorCall as u64,
    class_mcck = const TrapClass::MachineCheck as u64,
    class_io = const TrapClass::Io as u64,
    class_restart = const TrapClass::Restart as u64,
    switch_frame = const SWITCH_FRAME,
);

/// Bytes `mf_s390_switch` keeps below the stack pointer: r6-r14.
pub const SWITCH_FRAME: usize = 9 * 8;

// The stubs are not Rust functions: only their addresses are used (in PSWs), except
// `mf_s390_switch`, which `sched.rs` calls. Context of each: an interruption (real mode, then
// DAT on), a secondary cpu's start, or a task switch with interrupts masked.
extern "C" {
    /// First stage of the program interruption (real mode).
    pub fn mf_s390_pgm_real();
    /// First stage of the external interruption.
    pub fn mf_s390_ext_real();
    /// Fatal: supervisor call.
    pub fn mf_s390_svc_real();
    /// Fatal: machine check.
    pub fn mf_s390_mcck_real();
    /// Fatal: I/O interruption.
    pub fn mf_s390_io_real();
    /// Fatal: an unexpected restart.
    pub fn mf_s390_restart_real();
    /// Second stages.
    pub fn mf_s390_pgm_virt();
    /// Second stage of the external interruption.
    pub fn mf_s390_ext_virt();
    /// Second stage of the fatal interruptions.
    pub fn mf_s390_other_virt();
    /// The real-mode end of the return path.
    pub fn mf_s390_return_real();
    /// A secondary cpu's restart entry (real mode).
    pub fn mf_s390_start_real();
    /// A secondary cpu's continuation with DAT on.
    pub fn mf_s390_start_virt();
    /// A new task's first instruction: calls the entry in r6 (sched.rs's `initial_stack`).
    pub fn mf_s390_task_start();
    /// The stack switch.
    pub fn mf_s390_switch(save_sp: *mut usize, next_sp: usize);
    /// Lowest address of the boot cpu's stack.
    pub static mf_boot_stack_bottom: u8;
}
