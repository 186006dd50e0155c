//! Which cpus are online, written once for every bare-metal arch.
//!
//! Cpus are numbered 0..n in the order they come up, the boot cpu 0. The boot cpu starts one
//! cpu at a time, giving it the next number ([`nr_cpus()`]); the new cpu calls
//! [`mark_online`] at the end of its bring-up, and the boot cpu, spinning in [`wait_online`],
//! then counts it. How a cpu is started (INIT-SIPI, SIGP, RTAS start-cpu), its stack and its
//! hardware id stay with each arch's `smp.rs`.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::sched::MAX_CPUS;

/// Cpus counted online (the boot cpu from the start). Only the boot cpu raises it, after the
/// next cpu reported in, so it never counts a cpu that is still setting itself up.
static NR_CPUS: AtomicU32 = AtomicU32::new(1);

/// Set by each started cpu at the end of its bring-up. Per cpu rather than a counter: the boot
/// cpu waits for the one cpu it started, whatever one it gave up on does later.
static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];

/// Number of cpus online: they are numbered 0..n, so this is also the number the next cpu
/// started gets.
///
/// # Context
/// Never sleeps; any context.
pub fn nr_cpus() -> u32 {
    NR_CPUS.load(Ordering::Acquire)
}

/// Reports that this cpu, number `cpu`, finished its bring-up (everything it set up is visible
/// to the boot cpu once that sees the report).
///
/// # Context
/// Never sleeps; the end of a started cpu's bring-up, before it runs anything else.
pub fn mark_online(cpu: usize) {
    ONLINE[cpu].store(true, Ordering::Release);
}

/// Spins until cpu `cpu` (just started, numbered [`nr_cpus()`]) reports online, then counts it;
/// stops waiting when `give_up` returns true (it is asked between spins). Returns whether the
/// cpu came online.
///
/// # Context
/// Never sleeps; the boot cpu during bring-up, one started cpu at a time.
pub fn wait_online(cpu: usize, mut give_up: impl FnMut() -> bool) -> bool {
    debug_assert_eq!(cpu, nr_cpus() as usize, "cpus come up in number order");
    while !ONLINE[cpu].load(Ordering::Acquire) {
        if give_up() {
            // It may have come up while we asked.
            if !ONLINE[cpu].load(Ordering::Acquire) {
                return false;
            }
            break;
        }
        core::hint::spin_loop();
    }
    NR_CPUS.store(cpu as u32 + 1, Ordering::Release);
    true
}
