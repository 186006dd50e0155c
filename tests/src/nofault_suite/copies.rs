//! The `_nofault` copies and the eviction hook the other cases rely on.

use mightfault_core::{local_irq_restore, local_irq_save, preempt_disable, preempt_enable, Efault};
use mightfault_uaccess::nofault::{copy_from_user_nofault, copy_to_user_nofault};
use mightfault_uaccess::{copy_from_user, put_user};

use super::{no_reports, switches, DATA, LOCK, OLD};
use crate::ktap::Outcome;
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, check, kernel_addr};

/// The test hook itself: an evicted page is not present, keeps its bytes and its writability,
/// and is paged in again (sleeping once) by the next access; only present pages are evicted.
pub(super) fn evict_keeps_contents<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::PresentRw,
        PageKind::PresentRo,
        PageKind::NotPresent,
        PageKind::Unmapped,
    ]);
    check!(M, M::poke_user(user, &DATA), "setup write");
    check!(M, M::poke_user(user + page, &OLD), "setup write");
    check!(M, M::evict_user_page(user + 5), "evicting a present page");
    check!(M, !M::user_page_present(user), "evicted page still present");
    let mut peeked = [0u8; 64];
    check!(
        M,
        !M::peek_user(user, &mut peeked),
        "an evicted page can be peeked"
    );
    check!(M, !M::evict_user_page(user), "evicted twice");
    check!(
        M,
        !M::evict_user_page(user + 2 * page),
        "evicted a not-present page"
    );
    check!(
        M,
        !M::evict_user_page(user + 3 * page),
        "evicted an unmapped page"
    );
    let before = switches::<M>();
    let mut read = [0u8; 64];
    check!(
        M,
        copy_from_user::<M>(&mut read, user) == 0,
        "reading the evicted page"
    );
    check!(M, read == DATA, "the evicted page lost its contents");
    check!(
        M,
        switches::<M>() == before + 1,
        "page-in slept {} times",
        switches::<M>() - before
    );
    check!(M, M::user_page_present(user), "not present after page-in");
    check!(
        M,
        M::evict_user_page(user + page),
        "evicting a read-only page"
    );
    check!(
        M,
        put_user::<M, u8>(1, user + page) == Err(Efault),
        "an evicted read-only page came back writable"
    );
    check!(
        M,
        copy_from_user::<M>(&mut read, user + page) == 0 && read == OLD,
        "the read-only page lost its contents"
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Present pages: both copies complete, with the right bytes, without sleeping.
pub(super) fn nofault_copies_present<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::PresentRw]);
    let before = switches::<M>();
    // Across the page boundary.
    let at = user + page - 20;
    check!(
        M,
        copy_to_user_nofault::<M>(at, &DATA) == Ok(()),
        "copy_to_user_nofault to present pages"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA,
        "wrong bytes in user memory"
    );
    let mut read = [0u8; 64];
    check!(
        M,
        copy_from_user_nofault::<M>(&mut read, at) == Ok(()),
        "copy_from_user_nofault from present pages"
    );
    check!(M, read == DATA, "read back other bytes");
    check!(
        M,
        copy_to_user_nofault::<M>(user, &[]) == Ok(()),
        "an empty copy"
    );
    check!(M, switches::<M>() == before, "a nofault copy slept");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Not-present pages (never present, or evicted with contents): both copies fail with -EFAULT,
/// page nothing in and do not sleep; a copy that reaches one stops exactly there.
pub(super) fn nofault_copies_never_page_in<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::PresentRw,
        PageKind::PresentRw,
    ]);
    check!(M, M::poke_user(user + 2 * page, &OLD), "setup write");
    check!(M, M::evict_user_page(user + 2 * page), "setup eviction");
    let before = switches::<M>();
    for (addr, what) in [
        (user, "a not-present page"),
        (user + 2 * page, "an evicted page"),
    ] {
        check!(
            M,
            copy_to_user_nofault::<M>(addr, &DATA) == Err(Efault),
            "copy_to_user_nofault to {}",
            what
        );
        let mut read = [0xaau8; 64];
        check!(
            M,
            copy_from_user_nofault::<M>(&mut read, addr) == Err(Efault),
            "copy_from_user_nofault from {}",
            what
        );
        check!(
            M,
            read == [0xaa; 64],
            "copy_from_user_nofault from {} changed the buffer",
            what
        );
        check!(M, !M::user_page_present(addr), "{} was paged in", what);
    }
    // From the present page into the evicted one: the bytes before the boundary are written.
    let at = user + 2 * page - 16;
    check!(
        M,
        copy_to_user_nofault::<M>(at, &DATA) == Err(Efault),
        "a copy into an evicted page"
    );
    let mut seen = [0u8; 16];
    check!(
        M,
        M::peek_user(at, &mut seen) && seen == DATA[..16],
        "the bytes before the boundary were not written"
    );
    let mut read = [0xaau8; 64];
    check!(
        M,
        copy_from_user_nofault::<M>(&mut read, at) == Err(Efault),
        "a copy from across into an evicted page"
    );
    check!(
        M,
        read[..16] == DATA[..16] && read[16..].iter().all(|&b| b == 0xaa),
        "copy_from_user_nofault: head not copied or tail changed"
    );
    check!(
        M,
        !M::user_page_present(user + 2 * page),
        "the evicted page was paged in"
    );
    check!(M, switches::<M>() == before, "a nofault copy slept");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Unmapped, read-only (for writes), kernel, NULL, wrapping and limit-crossing addresses:
/// -EFAULT, kernel memory untouched.
pub(super) fn nofault_copies_refuse_bad_addresses<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::Unmapped, PageKind::PresentRo]);
    let read_only = user + M::PAGE_SIZE;
    check!(M, M::poke_user(read_only, &OLD), "setup write");
    let bad = [
        (user, "an unmapped page"),
        (kernel_addr(), "a kernel address"),
        (0, "NULL"),
        (usize::MAX - 3, "a wrapping range"),
        (M::USER_LIMIT - 4, "a range across the user limit"),
    ];
    for (addr, what) in bad {
        check!(
            M,
            copy_to_user_nofault::<M>(addr, &DATA) == Err(Efault),
            "copy_to_user_nofault to {}",
            what
        );
        let mut read = [0u8; 64];
        check!(
            M,
            copy_from_user_nofault::<M>(&mut read, addr) == Err(Efault),
            "copy_from_user_nofault from {}",
            what
        );
    }
    check!(
        M,
        copy_to_user_nofault::<M>(read_only, &DATA) == Err(Efault),
        "copy_to_user_nofault wrote a read-only page"
    );
    let mut seen = [0u8; 64];
    check!(
        M,
        M::peek_user(read_only, &mut seen) && seen == OLD,
        "the read-only page changed"
    );
    check!(
        M,
        copy_from_user_nofault::<M>(&mut seen, read_only) == Ok(()) && seen == OLD,
        "reading a read-only page"
    );
    check!(M, canary_intact(), "kernel memory changed");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// Any context may call them: under a spinlock, with preemption disabled, with interrupts
/// disabled; present pages are copied, not-present ones refused, nothing reported.
pub(super) fn nofault_copies_silent_in_atomic_context<M: SeedMachine>() -> Outcome {
    let page = M::PAGE_SIZE;
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::NotPresent]);
    let absent = user + page;
    let mut read = [0u8; 64];

    let guard = LOCK.lock::<M>();
    let locked = (
        copy_to_user_nofault::<M>(user, &DATA),
        copy_to_user_nofault::<M>(absent, &DATA),
        copy_from_user_nofault::<M>(&mut read, absent),
    );
    drop(guard);
    check!(
        M,
        locked == (Ok(()), Err(Efault), Err(Efault)),
        "under a spinlock: {:?}",
        locked
    );

    preempt_disable::<M>();
    let preempt_off = (
        copy_from_user_nofault::<M>(&mut read, user),
        copy_to_user_nofault::<M>(absent, &DATA),
    );
    preempt_enable::<M>();
    check!(
        M,
        preempt_off == (Ok(()), Err(Efault)) && read == DATA,
        "with preemption disabled: {:?}",
        preempt_off
    );

    let flags = local_irq_save::<M>();
    let irqs_off = (
        copy_to_user_nofault::<M>(user, &OLD),
        copy_from_user_nofault::<M>(&mut read, absent),
    );
    local_irq_restore::<M>(flags);
    check!(
        M,
        irqs_off == (Ok(()), Err(Efault)),
        "with interrupts disabled: {:?}",
        irqs_off
    );
    check!(M, !M::user_page_present(absent), "a page was paged in");
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}
