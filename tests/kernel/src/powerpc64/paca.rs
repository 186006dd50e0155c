//! The per-cpu area (Linux's PACA), reached through r13.
//!
//! ELFv2 reserves r13 (the thread pointer), so the compiler never allocates it: the boot code
//! points it at this cpu's [`Paca`] before any Rust code runs and nothing changes it after. A
//! task that migrates simply finds the other cpu's r13 when it runs there; the exception exit
//! never restores r13 from a saved frame for that reason.
//!
//! The current task pointer lives here; the preempt count lives in the task
//! (`TaskPreemptCount`), as Linux keeps it in thread_info on powerpc64. The hot fields are read
//! with the library's r13-relative loads (`mightfault_arch::powerpc64::percpu`), one
//! instruction each.

use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use mightfault_arch::powerpc64::percpu as r13;

use crate::sched::{Task, MAX_CPUS};

/// One cpu's area. The exception entry (`trap.rs`) uses the scratch fields by offset.
#[repr(C, align(128))]
pub struct Paca {
    /// The running task (`&'static Task`).
    current: AtomicUsize,
    /// The logical cpu number.
    cpu: AtomicU32,
    /// The cpu's hypervisor id (interrupt server number, RTAS cpu id).
    hw_id: AtomicU32,
    /// The MSR the exception handlers run with (translation as the kernel uses it, FP on,
    /// interrupts off).
    kernel_msr: AtomicU64,
    /// Exception entry scratch: SRR0, SRR1, the vector, r11 and r12 of the interrupted code.
    scratch: [AtomicU64; 5],
}

/// Offsets the exception entry uses.
pub const PACA_KMSR: usize = offset_of!(Paca, kernel_msr);
/// Scratch: SRR0.
pub const PACA_SRR0: usize = offset_of!(Paca, scratch);
/// Scratch: SRR1.
pub const PACA_SRR1: usize = PACA_SRR0 + 8;
/// Scratch: the vector.
pub const PACA_TRAP: usize = PACA_SRR0 + 16;
/// Scratch: r11.
pub const PACA_R11: usize = PACA_SRR0 + 24;
/// Scratch: r12.
pub const PACA_R12: usize = PACA_SRR0 + 32;
/// Size of one area (the entry code indexes the array by cpu).
pub const PACA_SIZE: usize = core::mem::size_of::<Paca>();

const CURRENT: usize = offset_of!(Paca, current);
const CPU: usize = offset_of!(Paca, cpu);

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Paca = Paca {
    current: AtomicUsize::new(0),
    cpu: AtomicU32::new(0),
    hw_id: AtomicU32::new(0),
    kernel_msr: AtomicU64::new(0),
    scratch: [const { AtomicU64::new(0) }; 5],
};

/// Every cpu's area; the entry code sets r13 = `&mf_ppc_pacas[cpu]`.
#[no_mangle]
static mf_ppc_pacas: [Paca; MAX_CPUS] = [EMPTY; MAX_CPUS];

/// Cpu `cpu`'s area.
///
/// # Context
/// Never sleeps; any context.
pub fn paca(cpu: usize) -> &'static Paca {
    &mf_ppc_pacas[cpu]
}

impl Paca {
    /// Records the cpu's numbers and the MSR its exception handlers run with.
    ///
    /// # Context
    /// Never sleeps; bring-up of that cpu.
    pub fn setup(&self, cpu: u32, hw_id: u32, kernel_msr: u64) {
        self.cpu.store(cpu, Ordering::Relaxed);
        self.hw_id.store(hw_id, Ordering::Relaxed);
        self.kernel_msr.store(kernel_msr, Ordering::Relaxed);
    }

    /// Sets the MSR the exception handlers run with (after translation is turned on).
    ///
    /// # Context
    /// Never sleeps; bring-up of that cpu.
    pub fn set_kernel_msr(&self, msr: u64) {
        self.kernel_msr.store(msr, Ordering::Relaxed);
    }

    /// The cpu's hypervisor id.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn hw_id(&self) -> u32 {
        self.hw_id.load(Ordering::Relaxed)
    }

    /// Makes `task` the cpu's current task.
    ///
    /// # Context
    /// Never sleeps; that cpu, interrupts masked.
    pub fn set_current(&self, task: &'static Task) {
        self.current
            .store(task as *const Task as usize, Ordering::Relaxed);
    }
}

/// The running cpu's number: one `lwz` from r13.
///
/// # Context
/// Never sleeps; any context after bring-up.
#[inline(always)]
pub fn cpu_id() -> u32 {
    // SAFETY: r13 points at this cpu's area (set before any Rust code ran), whose `cpu` is a
    // u32 (an AtomicU32 has its layout).
    unsafe { r13::read_u32::<CPU>() }
}

/// The running task: one `ld` from r13.
///
/// # Context
/// Never sleeps; any context after bring-up.
#[inline(always)]
pub fn current() -> &'static Task {
    // SAFETY: r13 points at this cpu's area, whose `current` is a usize (an AtomicUsize has its
    // layout); the scheduler set it to a static task before the cpu ran anything that asks.
    unsafe { &*(r13::read_usize::<CURRENT>() as *const Task) }
}

/// Whether this cpu has a current task yet (the scheduler installs the idle task at bring-up;
/// until then [`current`] must not be called).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn has_current() -> bool {
    // SAFETY: as in current(); the pointer is only compared, not followed.
    unsafe { r13::read_usize::<CURRENT>() != 0 }
}

/// The running cpu's area.
///
/// # Context
/// Never sleeps; any context after bring-up.
pub fn this_paca() -> &'static Paca {
    paca(cpu_id() as usize)
}
