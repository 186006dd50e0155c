//! Ending the run: RTAS `power-off` for success (QEMU exits with status 0), `ibm,os-term` for
//! failure (a guest panic: status 1 with `-action panic=exit-failure`).

use super::layout::virt_to_phys;
use super::{cpu, paca, rtas, Ppc64};

static FAIL_MESSAGE: &[u8] = b"mightfault: tests failed\0";

/// Powers the machine off: status 0 when `success`, else 1.
///
/// # Context
/// Never returns; any context (the other cpus stop with the machine).
pub fn exit(success: bool) -> ! {
    cpu::disable_irqs();
    // The irqs-off flag follows the raw mask, as everywhere else; only once a task runs
    // here (a panic at boot exits before this cpu has one, and has no word to keep).
    if paca::has_current() {
        mightfault_core::trace_hardirqs_off::<Ppc64>();
    }
    if success {
        rtas::call(rtas::RTAS_POWER_OFF, &[0, 0], 1);
    } else {
        let message = virt_to_phys(FAIL_MESSAGE.as_ptr() as usize) as u32;
        rtas::call(rtas::RTAS_OS_TERM, &[message], 1);
    }
    // Both requests are asynchronous: wait for QEMU to act on them.
    loop {
        core::hint::spin_loop();
    }
}
