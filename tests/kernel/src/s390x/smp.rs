//! Bringing up the secondary cpus with SIGP, and the rescheduling IPI.
//!
//! QEMU numbers cpu addresses 0..n and leaves the secondaries stopped after IPL. For each
//! address that SIGP sense finds, the boot cpu prepares an 8 KiB prefix area (vectors, a copy
//! of its control registers so the new cpu shares the ASCE and subclass masks, an idle stack),
//! then orders initial cpu reset, set prefix and restart. The restart new PSW enters
//! `mf_s390_start_real`, which loads the control registers and continues with DAT on in
//! `mf_s390_secondary_main`. Cpu numbers are cpu addresses.
//!
//! The rescheduling IPI is the emergency signal (external interruption 0x1201).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU16, Ordering};

use super::cpu::{
    set_clock_comparator, sigp, store_cregs, SigpOrder, CKC_DISARMED, SIGP_NOT_OPERATIONAL,
};
use super::entry::ABI_SAVE_AREA;
use super::layout::virt_to_phys;
use super::lowcore::{self as lc, Lowcore, LOWCORE_SIZE};
use super::vectors::{self, Restart};
use super::S390;
use crate::online_cpus::{mark_online, nr_cpus, wait_online};
use crate::sched::{self, MAX_CPUS};

const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(4096))]
struct Stack(UnsafeCell<[u8; STACK_SIZE]>);

struct PrefixArea(UnsafeCell<Lowcore>);

// SAFETY: a secondary cpu's prefix area and stack are prepared by the boot cpu before that cpu
// starts, and afterwards used only by it.
unsafe impl Sync for Stack {}
// SAFETY: as Stack.
unsafe impl Sync for PrefixArea {}

static PREFIX_AREAS: [PrefixArea; MAX_CPUS] =
    [const { PrefixArea(UnsafeCell::new(Lowcore([0; LOWCORE_SIZE]))) }; MAX_CPUS];
static STACKS: [Stack; MAX_CPUS] = [const { Stack(UnsafeCell::new([0; STACK_SIZE])) }; MAX_CPUS];

/// How many cpu addresses exist (for stopping them all at exit).
static ADDRESSES: AtomicU16 = AtomicU16::new(1);

/// Number of cpu addresses found at bring-up (stopped ones included).
///
/// # Context
/// Never sleeps; any context.
pub fn cpu_addresses_probed() -> u16 {
    ADDRESSES.load(Ordering::Acquire)
}

/// Starts every secondary cpu and returns the number of cpus online.
///
/// # Safety
/// Once, on the boot cpu (address 0), after its own vectors and control registers are set.
///
/// # Context
/// Never sleeps (spins until each cpu is up); boot, interrupts masked.
pub unsafe fn start_secondaries() -> u32 {
    for cpu in 1..MAX_CPUS {
        let addr = cpu as u16;
        // SAFETY: sense only asks.
        if unsafe { sigp(addr, SigpOrder::Sense, 0) } == SIGP_NOT_OPERATIONAL {
            break;
        }
        ADDRESSES.store(addr + 1, Ordering::Release);
        let base = PREFIX_AREAS[cpu].0.get() as usize;
        let stack_top = STACKS[cpu].0.get() as usize + STACK_SIZE;
        // SAFETY: the cpu is stopped, so its prefix area is ours to fill; the mapping of another
        // cpu's prefix area is plain memory to this cpu.
        unsafe {
            vectors::install(base, Restart::StartsCpu);
            store_cregs((base + lc::START_CREGS) as *mut u64);
            *((base + lc::START_STACK) as *mut u64) = (stack_top - ABI_SAVE_AREA) as u64;
            *((base + lc::CPU_NR) as *mut u32) = cpu as u32;
            let _ = sigp(addr, SigpOrder::InitialCpuReset, 0);
            let _ = sigp(addr, SigpOrder::SetPrefix, virt_to_phys(base) as u64);
            let _ = sigp(addr, SigpOrder::Restart, 0);
        }
        // No deadline: a cpu that accepted the restart order comes up (the run's own timeout
        // catches one that hangs on the way).
        if !wait_online(cpu, || false) {
            break;
        }
    }
    nr_cpus()
}

/// A secondary cpu's first Rust code: DAT on, its prefix area and stack set, interrupts masked.
///
/// # Context
/// Never returns; cpu bring-up.
#[no_mangle]
extern "C" fn mf_s390_secondary_main() -> ! {
    // The control registers copied from the boot cpu have the clock-comparator subclass on,
    // and the comparator holds whatever reset left there: disarm it before anything could
    // unmask interrupts (the idle loop arms the tick).
    set_clock_comparator(CKC_DISARMED);
    let cpu = lc::cpu_nr() as usize;
    let stack_bottom = STACKS[cpu].0.get() as usize;
    // SAFETY: once, on this cpu, before anything reads its per-cpu fields.
    unsafe { sched::init_cpu::<S390>(cpu, stack_bottom) };
    // The idle task's word now answers the checks: interrupts are masked here.
    mightfault_core::trace_hardirqs_off::<S390>();
    mark_online(cpu);
    sched::idle_loop::<S390>()
}

/// Sends the rescheduling IPI (an emergency signal) to `cpu`.
///
/// # Context
/// Never sleeps; any context.
pub fn send_resched(cpu: u32) {
    // SAFETY: an emergency signal only raises an external interruption on an online cpu.
    let _ = unsafe { sigp(cpu as u16, SigpOrder::EmergencySignal, 0) };
}
