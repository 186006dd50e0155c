//! A read of user memory from a softirq handler (a network receive path reading a socket
//! option from the user buffer it kept a pointer to).
use mightfault_core::context::SoftIrq;
use mightfault_core::Efault;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn net_rx_action(cx: &mut SoftIrq<K>, opt: UserPtr<u32>) -> Result<u32, Efault> {
    typed::get_user(cx, opt)
}

fn main() {}
