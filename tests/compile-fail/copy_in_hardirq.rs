//! A copy to user space from a hard interrupt handler: there is no user context to fault
//! pages in for, and the handler must not sleep.
use mightfault_core::context::HardIrq;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn rx_interrupt(cx: &mut HardIrq<K>, ring: UserPtr<u8>, packet: &[u8]) {
    let _ = typed::copy_to_user(cx, ring, packet);
}

fn main() {}
