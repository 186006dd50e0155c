//! The simulated machine as an `Arch`, in both preempt-count placements.

use std::marker::PhantomData;

use mightfault_core::preempt_count::TaskPreemptCount;
use mightfault_core::{
    Arch, DebugState, IrqFlags, PreemptCountStore, StackFrame, TaskContext, TraceStart,
};

use super::clock::RELAX_NS;
use super::cpu::SimCpuCount;
use super::irq::opportunity;
use super::machine::current;

/// Where a simulated machine keeps the preempt count.
pub trait CountPlacement: 'static {
    /// The store implementing the placement for machine type `A`.
    type Store<A: Arch>: PreemptCountStore;
    /// Printed in reports and test names.
    const NAME: &'static str;
}

/// The count lives per cpu, as on x86_64.
pub struct PerCpu;

impl CountPlacement for PerCpu {
    type Store<A: Arch> = SimCpuCount;
    const NAME: &'static str = "host/per-cpu";
}

/// The count lives in the task, as on s390x and powerpc64.
pub struct PerTask;

impl CountPlacement for PerTask {
    type Store<A: Arch> = TaskPreemptCount<A>;
    const NAME: &'static str = "host/per-task";
}

/// The simulated machine with the preempt count placed by `P`. Its functions act on the
/// machine and task of the calling simulated task (they panic outside one).
pub struct Host<P: CountPlacement>(PhantomData<P>);

/// The simulated machine with a per-cpu preempt count (x86_64's placement).
pub type HostPerCpu = Host<PerCpu>;
/// The simulated machine with a per-task preempt count (s390x's and powerpc64's placement).
pub type HostPerTask = Host<PerTask>;

// SAFETY: `current()` is the calling thread's simulated task, which stays allocated for the
// life of the process; its cpu is the one the scheduler dispatched it on; the irq flag is the
// simulated cpu's own and nothing else runs on that cpu meanwhile (one task runs at a time).
unsafe impl<P: CountPlacement> Arch for Host<P> {
    type PreemptCount = P::Store<Self>;
    const NAME: &'static str = P::NAME;

    fn current_task() -> &'static TaskContext {
        current().1.context()
    }

    fn cpu_id() -> u32 {
        current().1.cpu()
    }

    fn irqs_disabled() -> bool {
        let (machine, task) = current();
        machine.cpu(task.cpu()).irqs_disabled()
    }

    fn local_irq_save() -> IrqFlags {
        let (machine, task) = current();
        IrqFlags::from_raw(machine.cpu(task.cpu()).set_irqs_disabled(true) as usize)
    }

    fn local_irq_restore(flags: IrqFlags) {
        let (machine, task) = current();
        let disable = flags.raw() != 0;
        let was = machine.cpu(task.cpu()).set_irqs_disabled(disable);
        if was && !disable {
            // An interrupt that arrived while they were masked is taken now.
            opportunity::<Self>();
        }
    }

    fn irqs_disabled_flags(flags: IrqFlags) -> bool {
        flags.raw() != 0
    }

    fn local_irq_enable() {
        let (machine, task) = current();
        if machine.cpu(task.cpu()).set_irqs_disabled(false) {
            opportunity::<Self>();
        }
    }

    fn local_irq_disable() {
        let (machine, task) = current();
        machine.cpu(task.cpu()).set_irqs_disabled(true);
    }

    fn preempt_schedule() {
        <Self::PreemptCount as PreemptCountStore>::clear_need_resched();
        let (machine, task) = current();
        machine.scheduler().yield_now(task);
    }

    fn now_ns() -> u64 {
        current().0.clock().now_ns()
    }

    fn cpu_relax() {
        current().0.clock().advance(RELAX_NS);
        opportunity::<Self>();
    }

    fn console_write(text: &str) {
        current().0.console_write(text);
    }

    fn debug_state() -> &'static DebugState {
        current().0.debug_state()
    }

    fn machine_state() -> &'static mightfault_core::MachineState {
        current().0.machine_state()
    }

    fn walk_stack(start: TraceStart, visit: &mut dyn FnMut(StackFrame) -> bool) {
        super::stack_trace::walk(start, visit);
    }

    fn write_symbol(out: &mut dyn core::fmt::Write, address: usize) -> core::fmt::Result {
        super::stack_trace::write_symbol(out, address)
    }
}
