//! pagefault_disable() relied on where preempt_disable() was meant (the 2015 split of the
//! two): with page faults disabled the task can still be preempted and migrate, so the cpu
//! number it read is stale.
use mightfault_core::context::{self, Sleepable};
use mightfault_test_kernel::host::HostPerCpu as K;

fn this_cpu_counter(cx: &mut Sleepable<K>) -> u32 {
    let nofault = context::pagefault_disable(cx);
    context::smp_processor_id(&nofault)
}

fn main() {}
