//! A lock token moved to another thread: it would be released by another task, possibly on
//! another cpu (the spinlock's unlock compares the owner cpu), and the lock's atomic context
//! would not be where the code runs.
use mightfault_core::context::{self, Sleepable};
use mightfault_core::RawSpinLock;
use mightfault_test_kernel::host::HostPerCpu as K;

static LOCK: RawSpinLock = RawSpinLock::new("queue_lock");

fn hand_off(cx: &'static mut Sleepable<K>) {
    let locked = context::spin_lock(&LOCK, cx);
    std::thread::spawn(move || drop(locked));
}

fn main() {}
