//! One task: what each operation returns and leaves in user memory, what it refuses, and what
//! a fault does with page faults disabled.

use mightfault_core::FutexOp;
use mightfault_uaccess::{
    fault_in_user_writeable, futex_atomic_cmpxchg_inatomic, futex_atomic_op_inuser, Efault,
};

use super::{atomic_with_faults_disabled, no_reports, peek_word, word_bytes};
use crate::ktap::Outcome;
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, check, kernel_addr};

/// The word's value before each operation, and the operation's argument: bits on both sides of
/// each other so that every operation changes some and keeps some.
const BEFORE: u32 = 0x0f0f_00ff;
const OPARG: u32 = 0x00ff_0f01;
/// Each operation with the word's value after it, worked out by hand (not by
/// `FutexOp::apply`, which the backends use themselves).
const AFTER: [(FutexOp, u32); 5] = [
    (FutexOp::Set, 0x00ff_0f01),
    (FutexOp::Add, 0x100e_1000),
    (FutexOp::Or, 0x0fff_0fff),
    (FutexOp::AndN, 0x0f00_00fe),
    (FutexOp::Xor, 0x0ff0_0ffe),
];
/// Where the word sits in its page: aligned, away from both ends.
const WORD_OFFSET: usize = 64;
/// The bytes around the word, which no operation may touch.
const FENCE: u8 = 0xa5;

/// Every operation, and compare-and-swap both ways, on a present word: the old value comes
/// back, the new one is `FutexOp::apply`'s, and the bytes around the word are untouched.
pub(super) fn futex_ops_return_old_value<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let uaddr = user + WORD_OFFSET;
    check!(M, M::poke_user(uaddr - 4, &[FENCE; 12]), "setup write");
    for (op, after) in AFTER {
        check!(M, M::poke_user(uaddr, &word_bytes(BEFORE)), "setup write");
        let old =
            atomic_with_faults_disabled::<M, _>(|| futex_atomic_op_inuser::<M>(op, OPARG, uaddr));
        let now = peek_word::<M>(uaddr);
        check!(
            M,
            old == Ok(BEFORE) && now == Some(after),
            "{:?}: returned {:?}, word now {:x?}, expected {:#x}",
            op,
            old,
            now,
            after
        );
    }
    check!(M, M::poke_user(uaddr, &word_bytes(BEFORE)), "setup write");
    let swapped = atomic_with_faults_disabled::<M, _>(|| {
        futex_atomic_cmpxchg_inatomic::<M>(uaddr, BEFORE, OPARG)
    });
    check!(
        M,
        swapped == Ok(BEFORE) && peek_word::<M>(uaddr) == Some(OPARG),
        "matching cmpxchg returned {:?}, word {:x?}",
        swapped,
        peek_word::<M>(uaddr)
    );
    let refused = atomic_with_faults_disabled::<M, _>(|| {
        futex_atomic_cmpxchg_inatomic::<M>(uaddr, BEFORE, 0xdead_beef)
    });
    check!(
        M,
        refused == Ok(OPARG) && peek_word::<M>(uaddr) == Some(OPARG),
        "mismatching cmpxchg returned {:?}, word {:x?}",
        refused,
        peek_word::<M>(uaddr)
    );
    let mut fence = [0u8; 4];
    check!(
        M,
        M::peek_user(uaddr - 4, &mut fence) && fence == [FENCE; 4],
        "the bytes before the word changed: {:x?}",
        fence
    );
    check!(
        M,
        M::peek_user(uaddr + 4, &mut fence) && fence == [FENCE; 4],
        "the bytes after the word changed: {:x?}",
        fence
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// A misaligned word, a kernel address, an unmapped user address and the last word of the
/// address space are refused with -EFAULT, in atomic context and where sleeping is allowed
/// (and by the fault-in, which may sleep), and kernel memory stays as it was.
pub(super) fn futex_refuses_bad_addresses<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    check!(M, M::poke_user(user, &word_bytes(BEFORE)), "setup write");
    // An aligned word inside the canary, whatever the canary's own alignment.
    let kernel = (kernel_addr() + 3) & !3;
    let bad = [
        ("misaligned", user + 1),
        ("kernel address", kernel),
        ("unmapped", user + M::PAGE_SIZE),
        ("end of the address space", usize::MAX & !3),
    ];
    for (what, uaddr) in bad {
        for atomic in [true, false] {
            let run = |uaddr| {
                (
                    futex_atomic_op_inuser::<M>(FutexOp::Add, 1, uaddr),
                    futex_atomic_cmpxchg_inatomic::<M>(uaddr, 0, 1),
                )
            };
            let (op, cmpxchg) = if atomic {
                atomic_with_faults_disabled::<M, _>(|| run(uaddr))
            } else {
                run(uaddr)
            };
            if !atomic {
                let faulted_in = fault_in_user_writeable::<M>(uaddr);
                check!(
                    M,
                    faulted_in == Err(Efault),
                    "{} ({:#x}): fault_in_user_writeable returned {:?}",
                    what,
                    uaddr,
                    faulted_in
                );
            }
            check!(
                M,
                op == Err(Efault) && cmpxchg == Err(Efault),
                "{} ({:#x}, atomic {}): op {:?}, cmpxchg {:?}",
                what,
                uaddr,
                atomic,
                op,
                cmpxchg
            );
        }
    }
    check!(M, canary_intact(), "kernel memory changed");
    check!(
        M,
        peek_word::<M>(user) == Some(BEFORE),
        "the word next to the misaligned one changed"
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}

/// With page faults disabled in atomic context, a word whose page is not present gives -EFAULT
/// for every operation, without sleeping or paging in and without a report; after
/// fault_in_user_writeable() outside the atomic section, the page is present, the word is found
/// unchanged and the operation goes through.
pub(super) fn futex_fault_is_efault_with_pagefaults_disabled<M: SeedMachine>() -> Outcome {
    let user = M::map_user_pages(&[PageKind::PresentRw]);
    let uaddr = user + WORD_OFFSET;
    check!(M, M::poke_user(uaddr, &word_bytes(BEFORE)), "setup write");
    check!(M, M::evict_user_page(uaddr), "setup eviction");
    let switches = M::current_task().voluntary_switches();
    for op in FutexOp::ALL {
        let old =
            atomic_with_faults_disabled::<M, _>(|| futex_atomic_op_inuser::<M>(op, OPARG, uaddr));
        check!(M, old == Err(Efault), "{:?} returned {:?}", op, old);
    }
    let cmpxchg = atomic_with_faults_disabled::<M, _>(|| {
        futex_atomic_cmpxchg_inatomic::<M>(uaddr, BEFORE, OPARG)
    });
    check!(M, cmpxchg == Err(Efault), "cmpxchg returned {:?}", cmpxchg);
    check!(
        M,
        !M::user_page_present(uaddr),
        "the page was paged in with page faults disabled"
    );
    check!(
        M,
        M::current_task().voluntary_switches() == switches,
        "the task slept with page faults disabled"
    );
    check!(
        M,
        fault_in_user_writeable::<M>(uaddr).is_ok()
            && M::user_page_present(uaddr)
            && peek_word::<M>(uaddr) == Some(BEFORE),
        "the fault-in failed or changed the word: {:x?}",
        peek_word::<M>(uaddr)
    );
    let old =
        atomic_with_faults_disabled::<M, _>(|| futex_atomic_op_inuser::<M>(FutexOp::Add, 1, uaddr));
    check!(
        M,
        old == Ok(BEFORE) && peek_word::<M>(uaddr) == Some(BEFORE + 1),
        "after the fault-in: returned {:?}, word {:x?}",
        old,
        peek_word::<M>(uaddr)
    );
    check!(M, no_reports::<M>(), "a report was printed");
    Outcome::Pass
}
