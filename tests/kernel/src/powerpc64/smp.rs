//! Starting the other cpus with RTAS `start-cpu`.
//!
//! The hypervisor's cpu ids depend on QEMU's threading mode (0, 1, 2, ... or 0, 8, 16, ...),
//! and this image does not read the device tree, so the boot cpu (id 0) offers `start-cpu` to
//! every id below `MAX_HW_ID`: ids without a cpu answer with a parameter error. Each cpu that
//! starts gets the next logical number (passed in r3), its own boot stack, and a PACA whose
//! interrupt server number is its id; the boot cpu waits for it to report in before going on.

use core::cell::UnsafeCell;

use super::boot::BOOT_STACK_SIZE;
use super::layout::virt_to_phys;
use super::paca::paca;
use super::rtas;
use crate::online_cpus::{nr_cpus, wait_online};
use crate::sched::MAX_CPUS;

/// Highest hypervisor cpu id probed.
const MAX_HW_ID: u32 = 64;

#[repr(C, align(4096))]
struct Stacks(UnsafeCell<[[u8; BOOT_STACK_SIZE]; MAX_CPUS]>);

// SAFETY: each stack is used by one cpu only, from its start on.
unsafe impl Sync for Stacks {}

static STACKS: Stacks = Stacks(UnsafeCell::new([[0; BOOT_STACK_SIZE]; MAX_CPUS]));

extern "C" {
    static mut mf_ppc_stack_tops: [usize; MAX_CPUS];
    fn mf_ppc_secondary_entry();
}

/// The lowest address of cpu `cpu`'s boot stack (cpu 0 uses the image's own).
///
/// # Context
/// Never sleeps; any context.
pub fn stack_bottom(cpu: usize) -> usize {
    STACKS.0.get() as usize + cpu * BOOT_STACK_SIZE
}

/// Starts every other cpu; returns the number online.
///
/// # Context
/// Never sleeps (spins while a cpu comes up); boot, once.
pub fn start_secondaries() -> u32 {
    let entry = virt_to_phys(mf_ppc_secondary_entry as *const () as usize) as u32;
    for hw_id in 1..MAX_HW_ID {
        let next = nr_cpus() as usize;
        if next == MAX_CPUS {
            break;
        }
        // SAFETY: the slot for `next` is read only by the cpu started below.
        unsafe {
            let tops = &raw mut mf_ppc_stack_tops;
            (*tops)[next] = stack_bottom(next) + BOOT_STACK_SIZE;
        }
        paca(next).setup(next as u32, hw_id, 0);
        let status = rtas::call(rtas::RTAS_START_CPU, &[hw_id, entry, next as u32], 1);
        if status != 0 {
            continue;
        }
        // No deadline: a cpu that start-cpu accepted comes up (the run's own timeout catches
        // one that hangs on the way).
        if !wait_online(next, || false) {
            break;
        }
    }
    nr_cpus()
}
