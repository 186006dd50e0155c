//! PAPR hypercalls (`sc 1`): the partition's way to the hypervisor (QEMU's sPAPR).

use core::arch::asm;

/// Success.
pub const H_SUCCESS: i64 = 0;
/// Acknowledges the end of an interrupt (XICS).
pub const H_EOI: u64 = 0x64;
/// Sets this cpu's current processor priority (XICS).
pub const H_CPPR: u64 = 0x68;
/// Sets a cpu's inter-processor interrupt request (XICS).
pub const H_IPI: u64 = 0x6c;
/// Accepts the pending interrupt (XICS).
pub const H_XIRR: u64 = 0x74;
/// Writes up to 16 bytes to a virtual terminal.
pub const H_PUT_TERM_CHAR: u64 = 0x58;
/// Gives the cpu up until an interrupt or an H_PROD (enables interrupts).
pub const H_CEDE: u64 = 0xe0;
/// Wakes a ceded cpu.
pub const H_PROD: u64 = 0xe8;
/// Registers the process table (radix MMU).
pub const H_REGISTER_PROC_TBL: u64 = 0x37c;
/// QEMU's private hypercall for RTAS calls.
pub const KVMPPC_H_RTAS: u64 = 0xf000;

/// Makes hypercall `op` with up to six arguments; returns the status (r3) and the first
/// output (r4).
///
/// # Safety
/// The arguments must be valid for `op` (addresses are guest real addresses).
///
/// # Context
/// Never sleeps (H_CEDE waits for an interrupt); any context.
#[inline(always)]
pub unsafe fn hcall(op: u64, args: [u64; 6]) -> (i64, u64) {
    let status: u64;
    let out: u64;
    // SAFETY: the caller's contract; the hypervisor may change r0 and r3-r12, CTR, XER and the
    // volatile CR fields, declared clobbered.
    unsafe {
        asm!(
            "sc 1",
            inout("r3") op => status,
            inout("r4") args[0] => out,
            inout("r5") args[1] => _,
            inout("r6") args[2] => _,
            inout("r7") args[3] => _,
            inout("r8") args[4] => _,
            inout("r9") args[5] => _,
            out("r0") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("ctr") _,
            out("xer") _,
            out("cr0") _,
            out("cr1") _,
            out("cr5") _,
            out("cr6") _,
            out("cr7") _,
            options(nostack),
        );
    }
    (status as i64, out)
}
