//! A kernel buffer passed where a user pointer is expected (what sparse's `__user` catches in
//! Linux): there is no conversion from a kernel reference to a `UserPtr`.
use mightfault_core::context::Sleepable;
use mightfault_core::Efault;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed;

fn fill_stat(cx: &mut Sleepable<K>) -> Result<(), Efault> {
    let mut kstat: u64 = 0;
    typed::put_user(cx, 42u64, &mut kstat)
}

fn main() {}
