//! `Arch` and `RawUserAccess` for this kernel: the only two traits a kernel implements, each
//! method a line or two over the kernel's own structures.

use mightfault_core::{
    Arch, DebugState, Efault, FutexOp, IrqFlags, RawUserAccess, RawUserFutex, TaskContext,
    UserScalar,
};

use crate::cpu::PerCpuCount;
use crate::machine::machine;
use crate::uaccess;
use crate::user_memory::USER_LIMIT;

/// The minikernel machine, as mightfault sees it.
pub struct Mini;

// SAFETY: current_task() is the machine's one task, which lives as long as the (leaked)
// machine; cpu_id() is the cpu the task runs on now; local_irq_save() masks the running cpu's
// interrupt flag until the matching restore.
unsafe impl Arch for Mini {
    type PreemptCount = PerCpuCount;

    const NAME: &'static str = "minikernel";

    fn current_task() -> &'static TaskContext {
        &machine().current().context
    }

    fn cpu_id() -> u32 {
        machine().this_cpu().id()
    }

    fn irqs_disabled() -> bool {
        machine().this_cpu().irqs_off()
    }

    fn local_irq_save() -> IrqFlags {
        IrqFlags::from_raw(usize::from(machine().this_cpu().set_irqs_off(true)))
    }

    fn local_irq_restore(flags: IrqFlags) {
        machine().this_cpu().set_irqs_off(flags.raw() != 0);
    }

    fn irqs_disabled_flags(flags: IrqFlags) -> bool {
        flags.raw() != 0
    }

    fn local_irq_enable() {
        machine().this_cpu().set_irqs_off(false);
    }

    fn local_irq_disable() {
        machine().this_cpu().set_irqs_off(true);
    }

    fn preempt_schedule() {
        // One task: nothing to switch to. The reschedule request is consumed.
        <PerCpuCount as mightfault_core::PreemptCountStore>::clear_need_resched();
    }

    fn now_ns() -> u64 {
        machine().now_ns()
    }

    fn cpu_relax() {
        core::hint::spin_loop();
    }

    fn console_write(text: &str) {
        eprint!("{text}");
    }

    fn debug_state() -> &'static DebugState {
        machine().debug_state()
    }

    fn machine_state() -> &'static mightfault_core::MachineState {
        machine().machine_state()
    }
}

// SAFETY: every access of the accessors below goes through crate::fault::data_access_fault,
// which takes mightfault's decision; each stops at the first byte that is fixed up.
unsafe impl RawUserAccess for Mini {
    const USER_LIMIT: usize = USER_LIMIT;

    unsafe fn raw_copy_to_user(to: usize, from: *const u8, n: usize) -> usize {
        // SAFETY: the trait's contract is the accessor's.
        unsafe { uaccess::copy_to_user(to, from, n) }
    }

    unsafe fn raw_copy_from_user(to: *mut u8, from: usize, n: usize) -> usize {
        // SAFETY: the trait's contract is the accessor's.
        unsafe { uaccess::copy_from_user(to, from, n) }
    }

    unsafe fn raw_clear_user(to: usize, n: usize) -> usize {
        uaccess::clear_user(to, n)
    }

    unsafe fn raw_get_user<T: UserScalar>(value: &mut T, from: usize) -> Result<(), Efault> {
        uaccess::get_user(value, from)
    }

    unsafe fn raw_put_user<T: UserScalar>(to: usize, value: T) -> Result<(), Efault> {
        uaccess::put_user(to, value)
    }
}

// SAFETY: the word is read and written in one access through crate::fault::data_access_fault
// (mightfault's decision), with no other task running in between; a fixed-up fault writes
// nothing.
unsafe impl RawUserFutex for Mini {
    unsafe fn raw_futex_cmpxchg(uaddr: usize, old: u32, new: u32) -> Result<u32, Efault> {
        uaccess::futex_cmpxchg(uaddr, old, new)
    }

    unsafe fn raw_futex_op(op: FutexOp, oparg: u32, uaddr: usize) -> Result<u32, Efault> {
        uaccess::futex_op(op, oparg, uaddr)
    }
}
