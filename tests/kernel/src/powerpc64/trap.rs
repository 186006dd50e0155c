//! Exceptions: the vectors, the save/restore path and the dispatch.
//!
//! The guest runs with LPCR\[AIL\] = 0, so every interrupt enters in real mode at real address
//! `vector` (0x100..0xf80). Each vector slot gets three instructions at boot: save r12 in
//! SPRG2, load the vector number, and an absolute branch (`ba`) to `mf_ppc_vec_real` in the
//! image at physical 0x400000 + x (reachable: `ba` spans 32 MiB). That code parks SRR0, SRR1,
//! r11 and r12 in the PACA (r13 is always this cpu's PACA; real mode ignores its top address
//! bits) and `rfid`s to `mf_ppc_vec_virt` at its 0xc000... address with the kernel MSR
//! (translation as the kernel uses it, FP on, interrupts off, MSR\[RI\] still clear). There the
//! full register state is saved in a [`TrapFrame`] on the interrupted stack, below the ELFv2
//! 288-byte protected zone (the red zone, which the kernel's own code uses: the first store
//! of the entry is already below it); only then is MSR\[RI\] set, since from there on a
//! nested exception can no longer overwrite state that exists nowhere else (the PACA scratch
//! slots, SPRG2/3), and `mf_ppc_trap` dispatches.
//!
//! The irqs-off flag of the may-not-sleep word (`mightfault_core::irq_tracking`): the cpu
//! clears MSR\[EE\] when it takes any exception, so `mf_ppc_trap` first calls
//! `hardirqs_off_on_entry` with SRR1\[EE\] of the interrupted code, and last, on the task that
//! returns through the frame (after any preemption switch), masks through core's wrapper and
//! calls `hardirqs_restore_on_exit` with the same SRR1\[EE\]. The paths that never return (the
//! oops, the exit) mask through core's wrappers themselves.
//!
//! The handler may switch tasks: a fault handler that sleeps for a page-in, and the return
//! from an asynchronous interrupt (decrementer, external) that preempts the interrupted task
//! (`sched::irq_return`). The frame lives on the task's own stack, so the task may come back
//! on another cpu; the exit therefore reads nothing per-cpu: it restores everything from the
//! frame but r2 (one TOC) and r13 (the PACA of the cpu it now runs on), clears MSR\[EE\] and
//! MSR\[RI\], and only then loads SRR0/SRR1 from the frame and `rfid`s.
//!
//! Every exception not handled below prints an oops with the registers and ends the run; so
//! does any exception that interrupted code running with MSR\[RI\] clear (the entry or exit
//! path itself), whose state is lost. The oops's call trace starts from the frame's NIP, LR
//! and r1; a call trace taken inside a handler crosses the frame into the interrupted code
//! ([`interrupt_frame`] tells the back-chain walker how: the frame's back chain is the
//! interrupted r1, and its LR save slot holds the return address of `bl mf_ppc_trap`).
//!
//! User access (KUAP, `mightfault_arch::powerpc64::kuap`): the entry saves the interrupted
//! AMR in the frame and blocks user access before any Rust code runs, so no handler runs with
//! an accessor's window open; the fault handler classifies with the saved value. The exit
//! restores it last, just before `rfid` (which is context synchronising, so the `isync` the ISA
//! asks after `mtspr AMR` is not needed), so a task interrupted inside a window, preempted or
//! asleep on a page-in, gets its window back on whatever cpu it resumes. The exit also
//! clears any reservation with a `stdcx.` to the frame, so an interrupted `lwarx`/`stwcx.`
//! pair cannot pair its `stwcx.` with a reservation the handler (or another task) made.

use core::arch::global_asm;
use core::mem::offset_of;
use core::sync::atomic::{AtomicU32, Ordering};

use mightfault_arch::powerpc64::kuap::AMR_BLOCKED;
use mightfault_arch::powerpc64::unwind::InterruptFrame;
use mightfault_core::call_trace::{symbolized, TraceStart};

use super::cpu::{MSR_EE, MSR_RI};
use super::layout::{phys_to_virt, virt_to_phys};
use super::paca::{self, PACA_KMSR, PACA_R11, PACA_R12, PACA_SRR0, PACA_SRR1, PACA_TRAP};
use super::{cpu, fault, xics, Ppc64};
use crate::sched::{self, SchedHooks, MAX_CPUS};

/// The registers of an interrupted context.
#[repr(C)]
pub struct TrapFrame {
    /// r0-r31 (r1 is the interrupted stack pointer).
    pub gpr: [u64; 32],
    /// Where the interrupted code continues (SRR0).
    pub nip: u64,
    /// Its MSR (SRR1).
    pub msr: u64,
    /// Link register.
    pub lr: u64,
    /// Count register.
    pub ctr: u64,
    /// Fixed-point exception register.
    pub xer: u64,
    /// Condition register.
    pub cr: u64,
    /// Data address of a storage interrupt.
    pub dar: u64,
    /// Why a data storage interrupt happened.
    pub dsisr: u64,
    /// The vector.
    pub trap: u64,
    /// The interrupted code's AMR (user-access window or blocked).
    pub amr: u64,
}

/// Bytes below the interrupted r1 that the ELFv2 ABI lets code use without a frame (its
/// "protected zone", the red zone): LLVM's powerpc64 red zone and Linux's
/// `KERNEL_REDZONE_SIZE`. The kernel target keeps it (`disable-redzone` is false in
/// ci/targets/powerpc64-mightfault-none.json), so the interrupted code may hold live data there
/// (a leaf function's locals and saved registers, with no `stdu` frame): the entry builds its
/// frame below it, as Linux's `STACK_INT_FRAME_SIZE` includes it, and so does every nested
/// entry, from whatever r1 it interrupted.
const PROTECTED_ZONE: usize = 288;
/// The ELFv2 minimal frame header the handler's callees may write into.
const FRAME_HEADER: usize = 32;
const FRAME_SIZE: usize = PROTECTED_ZONE + FRAME_HEADER + core::mem::size_of::<TrapFrame>();
const _: () = assert!(FRAME_SIZE.is_multiple_of(16));

macro_rules! save_gprs {
    ($($n:literal)*) => {
        concat!($("std ", $n, ", ", "{hdr} + 8 * ", $n, "(1)\n",)*)
    };
}

macro_rules! restore_gprs {
    ($($n:literal)*) => {
        concat!($("ld ", $n, ", ", "{hdr} + 8 * ", $n, "(1)\n",)*)
    };
}

global_asm!(
    ".pushsection .text.mf_ppc_vectors, \"ax\"",
    // The per-vector template (three words), copied to each vector with the vector number
    // and the branch filled in.
    ".balign 4",
    ".globl mf_ppc_vec_template",
    "mf_ppc_vec_template:",
    "mtspr 274, 12",
    "li 12, 0",
    "nop",
    // Real mode: park the interrupted state in the PACA, then turn translation on.
    ".balign 4",
    ".globl mf_ppc_vec_real",
    "mf_ppc_vec_real:",
    "mtspr 275, 11",
    "mfspr 11, 26",
    "std 11, {srr0}(13)",
    "mfspr 11, 27",
    "std 11, {srr1}(13)",
    "std 12, {trap}(13)",
    "mfspr 11, 275",
    "std 11, {r11}(13)",
    "mfspr 11, 274",
    "std 11, {r12}(13)",
    "ld 11, {kmsr}(13)",
    "mtspr 27, 11",
    load64!("11", "mf_ppc_vec_virt"),
    "mtspr 26, 11",
    "rfid",
    // Translated: build the frame on the interrupted stack and call Rust.
    ".balign 4",
    "mf_ppc_vec_virt:",
    "addi 11, 1, -{frame}",
    "std 1, 0(11)",
    "std 1, {hdr} + 8(11)",
    "mr 1, 11",
    "std 0, {hdr}(1)",
    save_gprs!("2" "3" "4" "5" "6" "7" "8" "9" "10"),
    "ld 11, {r11}(13)",
    "std 11, {hdr} + 88(1)",
    "ld 11, {r12}(13)",
    "std 11, {hdr} + 96(1)",
    save_gprs!("13" "14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "29" "30" "31"),
    "mflr 0",
    "std 0, {hdr} + {lr}(1)",
    "mfctr 0",
    "std 0, {hdr} + {ctr}(1)",
    "mfspr 0, 1",
    "std 0, {hdr} + {xer}(1)",
    "mfcr 0",
    "std 0, {hdr} + {cr}(1)",
    "ld 0, {srr0}(13)",
    "std 0, {hdr} + {nip}(1)",
    "ld 0, {srr1}(13)",
    "std 0, {hdr} + {msr}(1)",
    "ld 0, {trap}(13)",
    "std 0, {hdr} + {ftrap}(1)",
    "mfspr 0, 19",
    "std 0, {hdr} + {dar}(1)",
    "mfspr 0, 18",
    "std 0, {hdr} + {dsisr}(1)",
    // Save the interrupted AMR and block user access. The interrupt and the rfid above were
    // context synchronising, so only the isync after the mtspr is needed.
    "mfspr 0, 29",
    "std 0, {hdr} + {amr}(1)",
    "li 0, {amr_blocked}",
    "mtspr 29, 0",
    "isync",
    // The PACA scratch slots and SPRG2/3 are consumed: from here a nested exception loses
    // nothing (L=1 writes only EE and RI).
    "li 0, {msr_ri}",
    "mtmsrd 0, 1",
    "addi 3, 1, {hdr}",
    "bl mf_ppc_trap",
    // The return address of the call: what a stack walk finds in this frame's LR save slot
    // (mf_ppc_trap saves it there), telling it the frame is an interrupt frame.
    ".Lmf_ppc_trap_return:",
    "nop",
    // Back with interrupts masked, maybe on another cpu than the one that took the
    // exception (the handler may have switched tasks): everything comes from the frame.
    // Drop any reservation first (stdcx. also sets CR0, restored below): the store goes to
    // the frame's DAR slot, which nothing reads any more.
    "li 0, {hdr} + {dar}",
    "stdcx. 0, 1, 0",
    "ld 0, {hdr} + {lr}(1)",
    "mtlr 0",
    "ld 0, {hdr} + {ctr}(1)",
    "mtctr 0",
    "ld 0, {hdr} + {xer}(1)",
    "mtspr 1, 0",
    "ld 0, {hdr} + {cr}(1)",
    "mtcrf 0xff, 0",
    restore_gprs!("3" "4" "5" "6" "7" "8" "9" "10" "11" "12"),
    restore_gprs!("14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "29" "30" "31"),
    // SRR0/SRR1 are live from their load to rfid: clear RI first, so that an exception in
    // between is reported as unrecoverable instead of returning to the wrong place.
    "li 0, 0",
    "mtmsrd 0, 1",
    // The interrupted AMR last: from here to rfid nothing touches user memory. The isync
    // before the mtspr keeps earlier accesses checked against the blocked value; rfid is the
    // synchronisation after it.
    "ld 0, {hdr} + {amr}(1)",
    "isync",
    "mtspr 29, 0",
    "ld 0, {hdr} + {nip}(1)",
    "mtspr 26, 0",
    "ld 0, {hdr} + {msr}(1)",
    "mtspr 27, 0",
    "ld 0, {hdr}(1)",
    "ld 1, {hdr} + 8(1)",
    "rfid",
    // Sizes, so that the image's symbol table names addresses in the entry code.
    ".size mf_ppc_vec_real, mf_ppc_vec_virt - mf_ppc_vec_real",
    ".size mf_ppc_vec_virt, . - mf_ppc_vec_virt",
    ".popsection",
    ".pushsection .rodata.mf_ppc_trap_return, \"a\"",
    ".balign 8",
    ".globl mf_ppc_trap_return",
    "mf_ppc_trap_return:",
    ".quad .Lmf_ppc_trap_return",
    ".popsection",
    srr0 = const PACA_SRR0,
    srr1 = const PACA_SRR1,
    trap = const PACA_TRAP,
    r11 = const PACA_R11,
    r12 = const PACA_R12,
    kmsr = const PACA_KMSR,
    msr_ri = const MSR_RI,
    frame = const FRAME_SIZE,
    hdr = const FRAME_HEADER,
    nip = const offset_of!(TrapFrame, nip),
    msr = const offset_of!(TrapFrame, msr),
    lr = const offset_of!(TrapFrame, lr),
    ctr = const offset_of!(TrapFrame, ctr),
    xer = const offset_of!(TrapFrame, xer),
    cr = const offset_of!(TrapFrame, cr),
    dar = const offset_of!(TrapFrame, dar),
    dsisr = const offset_of!(TrapFrame, dsisr),
    ftrap = const offset_of!(TrapFrame, trap),
    amr = const offset_of!(TrapFrame, amr),
    amr_blocked = const AMR_BLOCKED as i64,
);

extern "C" {
    static mf_ppc_vec_template: [u32; 3];
    fn mf_ppc_vec_real();
    /// The return address of the entry's `bl mf_ppc_trap`.
    static mf_ppc_trap_return: usize;
}

/// The interrupt frame as the back-chain walker sees it: the frame's LR save slot holds the
/// return into the entry (`mf_ppc_trap` saves it there), the back chain is the interrupted r1,
/// and the [`TrapFrame`] follows the header.
///
/// # Context
/// Never sleeps; any context.
pub fn interrupt_frame() -> InterruptFrame {
    InterruptFrame {
        // SAFETY: a constant the assembler emitted (read-only data).
        return_address: unsafe { core::ptr::addr_of!(mf_ppc_trap_return).read() },
        nip: FRAME_HEADER + offset_of!(TrapFrame, nip),
        link: FRAME_HEADER + offset_of!(TrapFrame, lr),
        size: FRAME_HEADER + core::mem::size_of::<TrapFrame>(),
    }
}

/// First and last vector slots filled (every 0x80 in between).
const FIRST_VECTOR: usize = 0x100;
const END_VECTORS: usize = 0x1000;
const BA: u32 = 0x4800_0002;

/// Writes the vector slots at real 0x100..0x1000 and makes them visible to instruction fetch.
///
/// # Safety
/// Once, on the boot cpu, before interrupts are enabled; the area must be free (the firmware
/// lived there and is not called again).
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn install_vectors() {
    let real_entry = virt_to_phys(mf_ppc_vec_real as *const () as usize);
    assert!(
        real_entry < 1 << 25,
        "the vector code must be reachable by `ba`"
    );
    // SAFETY: reading the template the assembler emitted.
    let template = unsafe { core::ptr::read(core::ptr::addr_of!(mf_ppc_vec_template)) };
    for vector in (FIRST_VECTOR..END_VECTORS).step_by(0x80) {
        let slot = phys_to_virt(vector) as *mut u32;
        // SAFETY: real 0..0x1000 is ours (caller's contract), mapped by the kernel alias.
        unsafe {
            slot.write_volatile(template[0]);
            slot.add(1).write_volatile(template[1] | vector as u32);
            slot.add(2).write_volatile(BA | real_entry as u32);
        }
    }
    let mut line = phys_to_virt(0);
    while line < phys_to_virt(END_VECTORS) {
        // SAFETY: cache maintenance on the lines just written.
        unsafe {
            core::arch::asm!("dcbst 0, {0}", "sync", "icbi 0, {0}", in(reg_nonzero) line,
                             options(nostack));
        }
        line += 128;
    }
    // SAFETY: a context synchronisation only.
    unsafe { core::arch::asm!("sync", "isync", options(nostack)) };
}

/// The Rust side of every exception.
///
/// # Context
/// Exception entry, interrupts masked; returns with them masked, possibly on another cpu (the
/// fault handler may sleep, an interrupt return may preempt).
#[no_mangle]
extern "C" fn mf_ppc_trap(frame: &mut TrapFrame) {
    // SRR1[EE]: whether the interrupted code ran with interrupts on. The cpu cleared MSR[EE]
    // when it took the exception, behind the API's back: record that in the irqs-off flag of
    // the may-not-sleep word before any handler code can test the word (every vector, the
    // synchronous ones too: a fault handler's might_sleep must see the masked state).
    // (An exception in the entry or exit path itself, MSR[RI] clear, is an oops, which masks
    // through core's wrapper first thing: nothing of it returns.)
    let interrupted_irqs_enabled = frame.msr & MSR_EE != 0;
    if frame.msr & MSR_RI == 0 {
        oops(frame, "unrecoverable exception (MSR[RI] clear)", None);
    }
    if !interrupted_irqs_enabled {
        check_masked_code_flag(frame);
    }
    mightfault_core::hardirqs_off_on_entry::<Ppc64>(interrupted_irqs_enabled);
    match frame.trap {
        0x300 | 0x380 => fault::data_fault(frame),
        0x500 => {
            xics::external_interrupt();
            sched::irq_return::<Ppc64>(interrupted_irqs_enabled);
        }
        0x900 => {
            if benchmark_running() {
                // A measured round trip: the same accounting as any interrupt, no tick work.
                mightfault_core::irq_enter::<Ppc64>();
                absorb_benchmark_decrementer();
                mightfault_core::irq_exit::<Ppc64>();
            } else {
                sched::timer_interrupt::<Ppc64>();
            }
            sched::irq_return::<Ppc64>(interrupted_irqs_enabled);
        }
        _ => oops(frame, vector_name(frame.trap), None),
    }
    // Masked for the exit (a handler may have returned with interrupts on), through core's
    // wrapper so that the flag says so too. Then, on the task the exit returns to (which is
    // not the one that entered when `irq_return` preempted it: each task leaves through its
    // own frame), the flag as `rfid` will leave the interrupted code: SRR1[EE] from the
    // frame. Clearing it here, before EE is set again by `rfid`, is the order
    // `trace_hardirqs_on()` asks for.
    mightfault_core::local_irq_disable::<Ppc64>();
    mightfault_core::hardirqs_restore_on_exit::<Ppc64>(interrupted_irqs_enabled);
}

/// An exception taken with MSR\[EE\] clear (a fault or program check in masked code: no
/// asynchronous interrupt gets in there) must find the interrupted code's irqs-off flag set,
/// since the code masked interrupts through core's wrappers or traced a raw mask. A clear
/// flag means a raw `mtmsrd` went untraced, and the handler's might_sleep() would miss the
/// masked state: the run ends here, naming the place, instead of a report silently missing.
/// (The other direction, a flag set while the interrupted code had interrupts on, is what
/// `hardirqs_off_on_entry` warns about and repairs.) Without debug-atomic-sleep the test is
/// constant true and compiles away.
///
/// # Context
/// Exception entry, interrupts masked, before `hardirqs_off_on_entry`.
#[inline(always)]
fn check_masked_code_flag(frame: &TrapFrame) {
    if !mightfault_core::irq_tracking::irqs_off_flag_in_sync::<Ppc64>() {
        oops(
            frame,
            "irqs-off flag clear in code that ran with MSR[EE] clear (an untraced mask)",
            None,
        );
    }
}

/// Decrementer interrupts each cpu still takes for [`interrupt_round_trip_ns`] instead of
/// ticking.
static BENCH_LEFT: [AtomicU32; MAX_CPUS] = [const { AtomicU32::new(0) }; MAX_CPUS];

/// Whether an [`interrupt_round_trip_ns`] measurement runs on this cpu.
fn benchmark_running() -> bool {
    BENCH_LEFT[paca::cpu_id() as usize].load(Ordering::Relaxed) != 0
}

/// Takes a decrementer interrupt of a running [`interrupt_round_trip_ns`]: leaves the
/// decrementer negative (so the next one follows as soon as `rfid` re-enables interrupts)
/// until the last, which re-arms the tick.
fn absorb_benchmark_decrementer() {
    let left = &BENCH_LEFT[paca::cpu_id() as usize];
    match left.load(Ordering::Relaxed) {
        0 => {}
        1 => {
            left.store(0, Ordering::Relaxed);
            Ppc64::arm_tick(sched::tick_period_ns());
        }
        n => left.store(n - 1, Ordering::Relaxed),
    }
}

/// Measures the exception entry and exit: takes `n` decrementer interrupts back to back on
/// this cpu (the decrementer stays negative, so each `rfid` is followed at once by the next
/// interrupt), each through `irq_enter`/`irq_exit` and `irq_return` but no tick work, and
/// returns the nanoseconds they took
/// in all, by the time base. The tick resumes afterwards. The image's figure
/// ([`super::bench::irq_round_trip`]) is the median of several such batches.
///
/// # Context
/// Never sleeps; task context with interrupts enabled (it enables them itself and restores
/// the caller's state). `n` must be at least 1.
pub fn interrupt_round_trip_ns(n: u32) -> u64 {
    assert!(n > 0, "no interrupt to measure");
    // Core's wrappers, not the raw MSR[EE] functions: the irqs-off flag follows.
    let flags = mightfault_core::local_irq_save::<Ppc64>();
    let left = &BENCH_LEFT[paca::cpu_id() as usize];
    left.store(n, Ordering::Relaxed);
    let start = cpu::read_tb();
    cpu::fire_decrementer();
    // The n interrupts are taken right here.
    mightfault_core::local_irq_enable::<Ppc64>();
    while left.load(Ordering::Relaxed) != 0 {
        core::hint::spin_loop();
    }
    let ticks = cpu::read_tb() - start;
    mightfault_core::local_irq_restore::<Ppc64>(flags);
    ticks * 125 / 64
}

fn vector_name(trap: u64) -> &'static str {
    match trap {
        0x100 => "system reset",
        0x200 => "machine check",
        0x300 => "data storage",
        0x380 => "data segment",
        0x400 => "instruction storage",
        0x480 => "instruction segment",
        0x500 => "external interrupt",
        0x600 => "alignment",
        0x700 => "program check",
        0x800 => "floating point unavailable",
        0x900 => "decrementer",
        0xa00 => "doorbell",
        0xc00 => "system call",
        0xd00 => "trace",
        0xe00 => "hypervisor data storage",
        0xf00 => "performance monitor",
        0xf20 => "altivec unavailable",
        0xf40 => "vsx unavailable",
        0xf60 => "facility unavailable",
        _ => "unexpected exception",
    }
}

/// Prints an oops for `frame` and ends the run with failure.
///
/// # Context
/// Never returns; exception context.
pub fn oops(frame: &TrapFrame, what: &str, address: Option<u64>) -> ! {
    // The call trace starts from the interrupted registers: NIP, then LR as a guess, then the
    // back chain from r1.
    let trace = TraceStart::Interrupted {
        ip: frame.nip as usize,
        sp: frame.gpr[1] as usize,
        fp: frame.gpr[1] as usize,
        link: frame.lr as usize,
    };
    let header = format_args!("{what} (vector {:#x})", frame.trap);
    crate::oops::oops::<Ppc64>(header, trace, |out| {
        // `cargo xtask qemu` reads the code addresses after `NIP:` and `LR:`
        // (ci/xtask/src/config.rs).
        write!(
            out,
            "NIP: {:#018x} LR: {:#018x} CTR: {:#018x}\n\
             MSR: {:#018x} CR: {:08x} XER: {:08x} AMR: {:#018x}\n",
            frame.nip, frame.lr, frame.ctr, frame.msr, frame.cr, frame.xer, frame.amr,
        )?;
        if let Some(address) = address {
            writeln!(out, "DAR: {address:#018x} DSISR: {:08x}", frame.dsisr)?;
        }
        for (row, gprs) in frame.gpr.chunks(4).enumerate() {
            write!(out, "GPR{:02}:", row * 4)?;
            for gpr in gprs {
                write!(out, " {gpr:016x}")?;
            }
            writeln!(out)?;
        }
        // Linux's show_regs() ends with the two code addresses named (`NIP [..] %pS`).
        writeln!(
            out,
            "NIP [{:016x}] {}",
            frame.nip,
            symbolized::<Ppc64>(frame.nip as usize)
        )?;
        writeln!(
            out,
            "LR [{:016x}] {}",
            frame.lr,
            symbolized::<Ppc64>(frame.lr as usize)
        )
    })
}
