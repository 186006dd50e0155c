//! User access from atomic contexts: fixed up, never slept on, reported as due.

use core::sync::atomic::{AtomicUsize, Ordering};

use mightfault_core::{config, local_irq_restore, local_irq_save, RawSpinLock};
use mightfault_uaccess::{__get_user, copy_to_user};

use super::count_reports;
use crate::context_machine::ContextMachine;
use crate::ktap::Outcome;
use crate::machine::PageKind;
use crate::support::{canary_intact, captured, check, count, kernel_addr};

static HARDIRQ_COPY_LEFT: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
static HARDIRQ_COPY_ADDR: AtomicUsize = AtomicUsize::new(0);

fn hardirq_copies<M: ContextMachine>(round: usize) {
    let data = [0xa5u8; 64];
    let left = copy_to_user::<M>(HARDIRQ_COPY_ADDR.load(Ordering::SeqCst), &data);
    HARDIRQ_COPY_LEFT[round].store(left, Ordering::SeqCst);
}

pub(super) fn copy_to_user_in_hardirq_is_fixed_up<M: ContextMachine>() -> Outcome {
    let page = M::map_user_pages(&[PageKind::NotPresent]);
    HARDIRQ_COPY_ADDR.store(page + 8, Ordering::SeqCst);
    let interrupted =
        M::run_in_hardirq(hardirq_copies::<M>, 0) && M::run_in_hardirq(hardirq_copies::<M>, 1);
    let reports_due = usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT);
    let (reports, warnings) = captured::<M, _>(|text| {
        (
            count_reports(text),
            count(text, "user access fault in atomic context without"),
        )
    });
    check!(M, interrupted, "no interrupt ran the copies");
    for (round, left) in HARDIRQ_COPY_LEFT.iter().enumerate() {
        let left = left.load(Ordering::SeqCst);
        check!(M, left == 64, "copy {} left {} of 64 bytes", round, left);
    }
    check!(
        M,
        !M::user_page_present(page),
        "the page was paged in from hardirq context"
    );
    // The rate limit lets one report through per second: both copies are due one, the first
    // prints it.
    check!(
        M,
        reports == reports_due,
        "{} reports, {} due",
        reports,
        reports_due
    );
    check!(M, warnings == 1, "{} warnings, one due", warnings);
    Outcome::Pass
}

pub(super) fn irqs_off_user_fault_reported_before_resolve<M: ContextMachine>() -> Outcome {
    let page = M::map_user_pages(&[PageKind::NotPresent]);
    let mut value = 0xffff_ffffu32;
    let flags = local_irq_save::<M>();
    // SAFETY: the range is inside the user page just laid out.
    let result = unsafe { __get_user::<M, u32>(&mut value, page + 4) };
    let irqs_still_off = M::irqs_disabled();
    local_irq_restore::<M>(flags);
    let present = M::user_page_present(page);
    let (reports, irqs_field) = captured::<M, _>(|text| {
        (
            count_reports(text),
            text.contains("in_atomic(): 0, irqs_disabled(): 1"),
        )
    });
    check!(
        M,
        result.is_ok() && value == 0,
        "the fault was not resolved"
    );
    check!(M, present, "the page is not present after the fault");
    check!(M, irqs_still_off, "the fault handler returned with irqs on");
    if config::DEBUG_ATOMIC_SLEEP {
        check!(
            M,
            reports == 1 && irqs_field,
            "expected one irqs-off report"
        );
    } else {
        check!(M, reports == 0, "a report without debug-atomic-sleep");
    }
    Outcome::Pass
}

static KERNEL_COPY_LOCK: RawSpinLock = RawSpinLock::new("contexts_copy_lock");

pub(super) fn spinlock_kernel_address_copy_reported<M: ContextMachine>() -> Outcome {
    let data = [0x33u8; 16];
    let guard = KERNEL_COPY_LOCK.lock::<M>();
    let left = copy_to_user::<M>(kernel_addr(), &data);
    drop(guard);
    let reports = captured::<M, _>(count_reports);
    let due = usize::from(config::DEBUG_ATOMIC_SLEEP && !config::LEGACY_MIGHT_FAULT);
    check!(
        M,
        left == 16,
        "copy to a kernel address left {} of 16",
        left
    );
    check!(M, canary_intact(), "kernel memory was written");
    check!(M, reports == due, "{} reports, {} due", reports, due);
    Outcome::Pass
}
