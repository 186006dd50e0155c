//! An `_inatomic` copy relying on the spinlock alone (the 2013-2015 legacy behaviour): the
//! copy must run with page faults disabled, which the lock does not do.
use mightfault_core::context::{self, Sleepable};
use mightfault_core::RawSpinLock;
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, Uncopied, UserPtr};

static LOCK: RawSpinLock = RawSpinLock::new("futex_hash_lock");

fn futex_read(cx: &mut Sleepable<K>, word: UserPtr<u8>) -> Result<(), Uncopied> {
    let locked = context::spin_lock(&LOCK, cx);
    let mut value = [0u8; 4];
    typed::copy_from_user_inatomic(&locked, &mut value, word)
}

fn main() {}
