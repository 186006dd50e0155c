//! Ending the QEMU run with a status the CI can read.
//!
//! QEMU ends the run when every cpu is stopped or in a disabled wait: with status 0 when the
//! wait PSW's address is 0xfff, as a guest panic (status 1 with `-action panic=exit-failure`)
//! otherwise. The other cpus are stopped with SIGP first, so a cpu spinning elsewhere cannot
//! keep the machine alive.

use core::arch::asm;

use super::cpu::{cpu_address, disable_irqs, sigp, SigpOrder, PSW_64BIT, PSW_WAIT};
use super::smp;

/// The wait-PSW address that makes QEMU shut down normally.
const EXIT_SUCCESS_ADDR: u64 = 0xfff;
/// Any other address is a guest panic.
const EXIT_FAILURE_ADDR: u64 = 0xbad;

#[repr(C, align(8))]
struct Psw {
    mask: u64,
    addr: u64,
}

static PASS_PSW: Psw = Psw {
    mask: PSW_WAIT | PSW_64BIT,
    addr: EXIT_SUCCESS_ADDR,
};
static FAIL_PSW: Psw = Psw {
    mask: PSW_WAIT | PSW_64BIT,
    addr: EXIT_FAILURE_ADDR,
};

/// Stops the machine: status 0 when `success`, else 1.
///
/// # Context
/// Never returns; any context.
pub fn exit(success: bool) -> ! {
    // The raw mask, not core's local_irq_disable(): exit also ends a panic at boot, before this
    // cpu has a task whose irqs-off flag could be kept, and nothing after this line runs a
    // check that reads the flag (SIGP stop, then the disabled wait).
    disable_irqs();
    let me = cpu_address();
    for cpu in 0..smp::cpu_addresses_probed() {
        if cpu != me {
            // SAFETY: stopping another cpu only ends its part of the run.
            let _ = unsafe { sigp(cpu, SigpOrder::Stop, 0) };
        }
    }
    let psw = if success { &PASS_PSW } else { &FAIL_PSW };
    // SAFETY: a disabled-wait PSW ends this cpu's execution; QEMU then ends the run.
    unsafe { asm!("lpswe 0({0})", in(reg_addr) psw, options(noreturn, nostack)) }
}
