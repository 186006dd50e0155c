//! The seed bug (the 2014 thread): copy_to_user() under a spinlock. A fault would sleep to page
//! the memory in while the lock is held.
use mightfault_core::context::{self, Sleepable};
use mightfault_core::RawSpinLock;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, Uncopied, UserPtr};

static STATS_LOCK: RawSpinLock = RawSpinLock::new("stats_lock");

fn report(cx: &mut Sleepable<K>, user: UserPtr<u8>, stats: &[u8]) -> Result<(), Uncopied> {
    let mut locked = context::spin_lock(&STATS_LOCK, cx);
    typed::copy_to_user(&mut locked, user, stats)
}

fn main() {}
