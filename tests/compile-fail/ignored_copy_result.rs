//! The result of copy_to_user() ignored (Linux's `__must_check`): a short copy would go
//! unnoticed and the syscall would return success.
#![deny(unused_must_use)]
use mightfault_core::context::Sleepable;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn sys_uname(cx: &mut Sleepable<K>, name: UserPtr<u8>) {
    typed::copy_to_user(cx, name, b"mightfault");
}

fn main() {}
