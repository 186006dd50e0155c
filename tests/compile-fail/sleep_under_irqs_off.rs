//! A copy to user space with interrupts masked (local_irq_save()): a fault cannot be paged
//! in with interrupts off.
use mightfault_core::context::{self, Sleepable};
use mightfault_test_kernel::host::HostPerCpu as K;
use mightfault_uaccess::typed::{self, Uncopied, UserPtr};

fn read_tsc_page(cx: &mut Sleepable<K>, user: UserPtr<u8>, page: &[u8]) -> Result<(), Uncopied> {
    let mut irqs_off = context::local_irq_save(cx);
    typed::copy_to_user(&mut irqs_off, user, page)
}

fn main() {}
