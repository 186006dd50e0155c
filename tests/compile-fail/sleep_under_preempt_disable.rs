//! A copy from user space under preempt_disable() (per-cpu data updated from a user buffer).
use mightfault_core::context::{self, Sleepable};
use mightfault_core::Efault;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn set_percpu_limit(cx: &mut Sleepable<K>, arg: UserPtr<u64>) -> Result<u64, Efault> {
    let mut off = context::preempt_disable(cx);
    let limit = typed::get_user(&mut off, arg)?;
    Ok(limit)
}

fn main() {}
