//! SMAP and SMEP: the kernel may neither execute user pages (SMEP) nor touch user memory
//! (SMAP) except inside `stac` ... `clac`, which only the user accessors use.
//!
//! Both are turned on (CR4 bits 20 and 21) when CPUID leaf 7 says the cpu has them (`-cpu max`
//! does). `stac`/`clac` themselves are #UD on a cpu without SMAP, so boot has the library turn
//! every recorded site into a NOP when SMAP is missing (`mightfault_arch::x86_64::smap`).

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

use mightfault_arch::x86_64::smap::{cpu_has_smap, nop_out_sites};
use mightfault_arch::{ex_entry, fixup_begin, fixup_end, linker_smap_sites};

use super::cpu::{cpuid, cpuid_max_leaf, read_cr4, write_cr4, CR4_SMAP, CR4_SMEP};
use super::layout::USER_LIMIT;

static HAS_SMAP: AtomicBool = AtomicBool::new(false);
static HAS_SMEP: AtomicBool = AtomicBool::new(false);

/// Reads the cpu's SMAP/SMEP support and, without SMAP, turns every `stac`/`clac` into a NOP.
/// Returns the number of sites.
///
/// # Safety
/// Once, on the boot cpu, before other cpus run and before any `stac`/`clac` executes (kernel
/// text is rewritten).
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn init_boot() -> usize {
    let smep = cpuid_max_leaf() >= 7 && cpuid(7, 0).1 & (1 << 7) != 0;
    let smap = cpu_has_smap();
    HAS_SMEP.store(smep, Ordering::Relaxed);
    HAS_SMAP.store(smap, Ordering::Relaxed);
    // SAFETY: the linker defines the section bounds (the library's smap module documents
    // where); the sites are only read here, at boot.
    let sites = unsafe { linker_smap_sites!() };
    if smap {
        sites.len()
    } else {
        // SAFETY: the caller's contract: boot cpu, before other cpus and before any stac/clac
        // runs; kernel text is mapped writable.
        unsafe { nop_out_sites(sites) }
    }
}

/// Turns on SMEP and SMAP on this cpu where supported.
///
/// # Safety
/// After [`init_boot`], once per cpu, while the kernel executes no user page and touches user
/// memory only through the accessors.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn enable_this_cpu() {
    let mut cr4 = read_cr4();
    if HAS_SMEP.load(Ordering::Relaxed) {
        cr4 |= CR4_SMEP;
    }
    if HAS_SMAP.load(Ordering::Relaxed) {
        cr4 |= CR4_SMAP;
    }
    // SAFETY: only bits CPUID reported are set; the caller guarantees the kernel is ready.
    unsafe { write_cr4(cr4) }
}

/// Whether SMAP is in force (the cpu has it; every cpu turns it on when it comes up).
///
/// # Context
/// Never sleeps; any context.
pub fn smap_enabled() -> bool {
    HAS_SMAP.load(Ordering::Relaxed)
}

/// Whether SMEP is in force.
///
/// # Context
/// Never sleeps; any context.
pub fn smep_enabled() -> bool {
    HAS_SMEP.load(Ordering::Relaxed)
}

/// Reads one byte at the user address `user_addr` with a PLAIN kernel load (no `stac`), and
/// reports whether it faulted. The load has an exception-table entry of its own whose fixup
/// reports the fault, so a test can show that under SMAP a kernel dereference of a user
/// pointer faults even when the page is present, where without SMAP it would just read.
///
/// # Context
/// Never sleeps when the page is present (the SMAP fault is fixed up at once); any context.
/// Panics when `user_addr` is not below the user limit.
pub fn smap_probe_plain_read(user_addr: usize) -> bool {
    assert!(user_addr < USER_LIMIT, "not a user address: {user_addr:#x}");
    let faulted: u32;
    // SAFETY: a one-byte load whose every fault is fixed up through the exception table: SMAP,
    // no mapping, or any other user-address fault. The loaded value is discarded.
    unsafe {
        asm!(
            "xor {faulted:e}, {faulted:e}",
            "2: mov {scratch:l}, byte ptr [{addr}]",
            "3:",
            ex_entry!("2b", "4f"),
            fixup_begin!(),
            "4: mov {faulted:e}, 1",
            "jmp 3b",
            fixup_end!(),
            addr = in(reg) user_addr,
            faulted = out(reg) faulted,
            scratch = out(reg) _,
            options(nostack, readonly),
        );
    }
    faulted != 0
}
