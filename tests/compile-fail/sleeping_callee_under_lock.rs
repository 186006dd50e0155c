//! The callee two calls down sleeps (a blocking allocation, then a copy), and its caller
//! holds a spinlock: the bound travels up the signatures, so the call under the lock is
//! rejected where it is made.
use mightfault_core::context::{self, MaySleep, Sleepable};
use mightfault_core::RawSpinLock;
use mightfault_test_kernel::host::HostPerCpu as K;

static INODE_LOCK: RawSpinLock = RawSpinLock::new("inode_lock");

/// GFP_KERNEL: may block for memory.
fn kmalloc_gfp_kernel(cx: &mut impl MaySleep) -> usize {
    context::might_sleep(cx);
    64
}

fn alloc_extent(cx: &mut impl MaySleep) -> usize {
    kmalloc_gfp_kernel(cx)
}

fn grow_file(cx: &mut Sleepable<K>) {
    let mut locked = context::spin_lock(&INODE_LOCK, cx);
    let _extent = alloc_extent(&mut locked);
}

fn main() {}
