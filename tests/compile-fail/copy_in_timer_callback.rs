//! A timer callback that writes a status word to user space: timers run from the timer
//! softirq, which must not sleep.
use mightfault_core::context::TimerCallback;
use mightfault_core::Efault;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, UserPtr};

fn watchdog_timer_fn(cx: &mut TimerCallback<K>, status: UserPtr<u64>) -> Result<(), Efault> {
    typed::put_user(cx, 1u64, status)
}

fn main() {}
