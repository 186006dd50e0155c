//! Boot: from QEMU's ELF entry to the first task.
//!
//! QEMU loads the image at its physical addresses (1 MiB up) and enters `mf_start` (entry.rs)
//! in 64-bit mode with DAT and interrupts off. The entry code zeroes .bss, builds the page
//! tables of both address spaces (`paging::mf_s390_early_paging`), loads the kernel's ASCE
//! (CR1, CR13) and the user's (CR7), and continues with DAT on in `mf_s390_boot_main`, on the
//! boot stack (virtual = physical: the same addresses).
//!
//! `mf_s390_boot_main` fills the boot cpu's lowcore vectors, turns on the secondary-space
//! control (the user accessors' MVCOS and `sacf`), enables the console, sorts the
//! exception table, makes the boot cpu's idle task current, enables the emergency-signal
//! subclass (the rescheduling IPI) and the clock-comparator subclass (the tick, disarmed until
//! the idle loop arms it), starts the secondary cpus, queues the first task and becomes cpu
//! 0's idle task.

use core::ptr::addr_of;

use mightfault_core::kprint;

use super::cpu::{
    read_cr0, set_clock_comparator, write_cr0, CKC_DISARMED, CR0_CLOCK_COMPARATOR,
    CR0_EMERGENCY_SIGNAL, CR0_SECONDARY_SPACE,
};
use super::entry::mf_boot_stack_bottom;
use super::layout::{USER_AREA_BASE, USER_LIMIT};
use super::vectors::{self, Restart};
use super::{lowcore, sclp, smp, S390};
use crate::extable;
use crate::sched;

/// The boot cpu's Rust entry: DAT on, on the boot stack, interrupts masked.
///
/// # Context
/// Never returns; boot.
#[no_mangle]
extern "C" fn mf_s390_boot_main() -> ! {
    // SAFETY: each step runs once on the boot cpu, interrupts masked, in the order each needs
    // (the console before anything prints, and before other cpus run).
    let entries = unsafe {
        vectors::install(lowcore::this_cpu_base(), Restart::Unexpected);
        sched::init_cpu::<S390>(0, addr_of!(mf_boot_stack_bottom) as usize);
        // From here the idle task's word is the one checks read: say what the cpu has.
        mightfault_core::trace_hardirqs_off::<S390>();
        sclp::init();
        // The tick stays silent until this cpu's idle loop arms it: whatever the comparator
        // held at IPL, no clock-comparator interruption is pending once the subclass is on.
        set_clock_comparator(CKC_DISARMED);
        // Secondary cpus copy these control registers (smp.rs), so they get it too.
        write_cr0(read_cr0() | CR0_EMERGENCY_SIGNAL | CR0_CLOCK_COMPARATOR | CR0_SECONDARY_SPACE);
        extable::init()
    };
    kprint!(
        S390,
        "mightfault s390x: DAT on, kernel and user spaces apart (user area at {:#x}), \
         user limit {:#x}, {} exception-table entries\n",
        USER_AREA_BASE,
        USER_LIMIT,
        entries,
    );
    // SAFETY: the boot cpu is fully up (vectors, control registers).
    let online = unsafe { smp::start_secondaries() };
    kprint!(S390, "s390x: {} cpus online\n", online);
    sched::spawn_first_task::<S390>();
    sched::idle_loop::<S390>()
}
