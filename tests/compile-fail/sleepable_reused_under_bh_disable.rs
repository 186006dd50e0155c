//! The outer sleepable token reached for under local_bh_disable(): the guard borrows it, so
//! it is not there to be used until bottom halves are enabled again.
use mightfault_core::context::{self, Sleepable};
use mightfault_core::Efault;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn sock_setopt(cx: &mut Sleepable<K>, opt: UserPtr<u32>) -> Result<u32, Efault> {
    let bh_off = context::local_bh_disable(cx);
    let value = typed::get_user(cx, opt);
    drop(bh_off);
    value
}

fn main() {}
