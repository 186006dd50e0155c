//! Inter-processor interrupts through the sPAPR XICS hypercalls (QEMU's interrupt controller
//! before any client-architecture-support: XICS), plus H_CEDE/H_PROD for idle cpus.
//!
//! Each cpu opens its priority (H_CPPR 0xff). The rescheduling IPI is H_IPI(server, 4): it
//! raises the external interrupt (0x500) on that cpu, whose handler accepts it (H_XIRR), clears
//! the request (H_IPI 0xff), runs the scheduler's `resched_ipi` and ends it (H_EOI). An idle
//! cpu waits in H_CEDE, which enables interrupts and returns on an interrupt or an H_PROD; the
//! sender prods as well, so a cede that raced with the IPI returns at once.

use mightfault_core::{irq_enter, irq_exit};

use super::hcall::{hcall, H_CEDE, H_CPPR, H_EOI, H_IPI, H_PROD, H_XIRR};
use super::paca::{paca, this_paca};
use super::Ppc64;
use crate::sched;

/// XICS source number of the IPI.
const XICS_IPI: u64 = 2;
/// Priority of the IPI (lower is more favoured; 0xff is "none").
const IPI_PRIORITY: u64 = 4;
const NO_REQUEST: u64 = 0xff;

/// Lets every priority through on this cpu.
///
/// # Safety
/// Once per cpu during bring-up.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn init_this_cpu() {
    // SAFETY: H_CPPR only changes this cpu's presentation priority.
    unsafe { hcall(H_CPPR, [0xff, 0, 0, 0, 0, 0]) };
}

/// Interrupts cpu `cpu` (its handler calls the scheduler's `resched_ipi`) and prods it in
/// case it is ceding.
///
/// # Context
/// Never sleeps; any context.
pub fn send_ipi(cpu: u32) {
    let server = u64::from(paca(cpu as usize).hw_id());
    // SAFETY: both hypercalls only signal the target cpu.
    unsafe {
        hcall(H_IPI, [server, IPI_PRIORITY, 0, 0, 0, 0]);
        hcall(H_PROD, [server, 0, 0, 0, 0, 0]);
    }
}

/// Enables interrupts and gives the cpu up until one arrives (or a prod).
///
/// # Safety
/// The cpu is fully up; called with interrupts masked (a pending interrupt ends the cede at
/// once, so none is missed).
///
/// # Context
/// Waits for an interrupt; the idle loop.
pub unsafe fn cede() {
    // SAFETY: H_CEDE sets MSR[EE] itself and returns when there is work.
    unsafe { hcall(H_CEDE, [0; 6]) };
}

/// The external interrupt (0x500): accepts it, and for the IPI runs `resched_ipi`, all in
/// hard interrupt context (`irq_enter`/`irq_exit`). The interrupt is ended (H_EOI) before
/// `irq_exit`, which may run softirqs with interrupts enabled: XICS holds back everything of
/// lower priority until then. The trap dispatch calls the scheduler's `irq_return` after.
///
/// # Context
/// Hard interrupt entry, interrupts masked.
pub fn external_interrupt() {
    irq_enter::<Ppc64>();
    // SAFETY: H_XIRR accepts the highest-priority pending interrupt of this cpu.
    let (_, xirr) = unsafe { hcall(H_XIRR, [0; 6]) };
    let source = xirr & 0x00ff_ffff;
    if source != 0 {
        if source == XICS_IPI {
            let me = u64::from(this_paca().hw_id());
            // SAFETY: clears this cpu's own IPI request.
            unsafe { hcall(H_IPI, [me, NO_REQUEST, 0, 0, 0, 0]) };
            sched::resched_ipi::<Ppc64>();
        }
        // SAFETY: ends the interrupt just accepted (source 0 is "none": nothing to end).
        unsafe { hcall(H_EOI, [xirr, 0, 0, 0, 0, 0]) };
    }
    irq_exit::<Ppc64>();
}
