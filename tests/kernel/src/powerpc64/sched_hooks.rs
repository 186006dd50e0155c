//! The powerpc64 half of the portable scheduler (`crate::sched`): the current-task pointer in
//! the PACA, the stack switch of `context.rs`, XICS IPIs, H_CEDE and the decrementer tick.
//! Every switch checks that user access is blocked (KUAP); the shared `schedule()` checks the
//! irqs-off flag of the may-not-sleep word on both sides of the switch.

use mightfault_arch::powerpc64::kuap::{self, AMR_BLOCKED};

use super::{context, cpu, exit, paca, xics, Ppc64};
use crate::sched::{SchedHooks, Task};

// SAFETY: current() reads what set_current() stored in this cpu's PACA; the stack switch saves
// and restores every register ELFv2 expects a call to preserve (r14-r31, CR, LR; r1 by the
// switch itself; r2 and r13 are never task state).
unsafe impl SchedHooks for Ppc64 {
    fn nr_cpus() -> u32 {
        crate::online_cpus::nr_cpus()
    }

    unsafe fn install_cpu(cpu: usize, idle: &'static Task) {
        // r13 already points at this cpu's PACA (boot.rs); only the task is new.
        paca::paca(cpu).set_current(idle);
    }

    #[inline(always)]
    fn current() -> &'static Task {
        paca::current()
    }

    #[inline(always)]
    unsafe fn set_current(task: &'static Task) {
        paca::this_paca().set_current(task);
    }

    unsafe fn switch_stacks(save_sp: *mut usize, next_sp: usize) {
        // KUAP: tasks switch only outside every user-access window (the accessors call
        // nothing inside one, and the interrupt entry blocks), so the AMR must be blocked
        // here; one left open would follow the cpu into the next task. One mfspr per switch
        // checks it for every case of every suite.
        let amr = kuap::read_amr();
        assert!(
            amr == AMR_BLOCKED,
            "user access open across a task switch (AMR {amr:#x})"
        );
        // SAFETY: the caller's contract is the hook's.
        unsafe { context::switch_stacks(save_sp, next_sp) }
    }

    unsafe fn initial_stack(stack_top: usize, entry: extern "C" fn() -> !) -> usize {
        // SAFETY: the caller's contract is the hook's.
        unsafe { context::initial_stack(stack_top, entry) }
    }

    fn send_resched_ipi(cpu: u32) {
        xics::send_ipi(cpu);
    }

    fn disable_irqs() {
        cpu::disable_irqs();
    }

    unsafe fn enable_irqs() {
        // SAFETY: the caller's contract is the hook's.
        unsafe { cpu::enable_irqs() }
    }

    unsafe fn enable_irqs_and_wait() {
        // SAFETY: the caller's contract is the hook's.
        unsafe { xics::cede() }
    }

    fn arm_tick(period_ns: u64) {
        // The decrementer is per cpu and one-shot by nature: writing it arms the next tick
        // and, being positive, withdraws the pending (level) interrupt of the one being
        // handled. The period counts from now, not from the missed deadline, so a tick taken
        // late (a busy host under TCG, a debugger stop) never leaves the next one already due
        // the moment the interrupted code resumes. A zero period turns the tick off.
        if period_ns == 0 {
            cpu::quiet_decrementer();
        } else {
            cpu::set_decrementer(cpu::ns_to_tb(period_ns));
        }
    }

    fn exit(success: bool) -> ! {
        exit::exit(success)
    }
}
