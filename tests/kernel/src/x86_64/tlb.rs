//! TLB shootdown for the user area.
//!
//! Any cpu may hold translations of user pages: a task that touched them may have run there and
//! migrated since. When a layout removes or replaces pages, the initiator reloads its own CR3
//! and sends every other online cpu the TLB-flush IPI, then waits until each has reloaded CR3
//! too; only then may the old frames be reused. Kernel mappings are never changed after boot, so
//! a full non-global flush (CR3 reload) is simplest and always enough.

use core::sync::atomic::{AtomicBool, Ordering};

use super::apic::{self, VECTOR_TLB_FLUSH};
use mightfault_core::{irqs_disabled, local_irq_restore, local_irq_save};

use super::cpu::{read_cr3, write_cr3};
use super::percpu::{cpu_id, MAX_CPUS};
use super::{clock, smp, X86};
use crate::{console, online_cpus};

static PENDING: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// One shootdown at a time: two initiators waiting for each other's acknowledgement with
/// interrupts masked could otherwise deadlock.
static INITIATOR: spin::Mutex<()> = spin::Mutex::new(());

fn flush_local() {
    // SAFETY: reloading the current CR3 changes no mapping, it only drops cached translations.
    unsafe { write_cr3(read_cr3()) }
}

/// Flushes user translations on every online cpu and returns when all have done so.
///
/// # Context
/// Never sleeps, but waits for the other cpus: task context with interrupts enabled (a cpu
/// that waits here with interrupts masked could not answer another initiator).
pub fn flush_user_all_cpus() {
    debug_assert!(
        !irqs_disabled::<X86>(),
        "TLB shootdown with interrupts masked"
    );
    let _initiator = INITIATOR.lock();
    // Flush here and signal the others without moving to another cpu in between.
    // Through core's wrappers, so the irqs-off flag of the may-not-sleep word follows.
    let flags = local_irq_save::<X86>();
    let me = cpu_id() as usize;
    flush_local();
    let online = online_cpus::nr_cpus() as usize;
    for cpu in (0..online).filter(|&cpu| cpu != me) {
        PENDING[cpu].store(true, Ordering::Release);
        apic::send_ipi(smp::apic_id(cpu), VECTOR_TLB_FLUSH);
    }
    local_irq_restore::<X86>(flags);
    let start = clock::now_ns();
    let mut warned = false;
    for cpu in (0..online).filter(|&cpu| cpu != me) {
        while PENDING[cpu].load(Ordering::Acquire) {
            if !warned && clock::now_ns().wrapping_sub(start) > 1_000_000_000 {
                console::write::<X86>("x86_64: TLB shootdown waiting more than 1 s for a cpu\n");
                warned = true;
            }
            core::hint::spin_loop();
        }
    }
}

/// The TLB-flush IPI: reload CR3 and acknowledge.
///
/// # Context
/// Hard interrupt context.
pub fn flush_ipi() {
    flush_local();
    PENDING[cpu_id() as usize].store(false, Ordering::Release);
}
