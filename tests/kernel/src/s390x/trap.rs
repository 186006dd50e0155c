//! What happens after an interruption stub: the saved state, the dispatch by class, and the
//! oops that ends the run on an interruption nobody handles.
//!
//! Every class enters through `mf_s390_trap`, which keeps the irqs-off flag of the
//! may-not-sleep word (`mightfault_core::irq_tracking`) right around the handler: the new PSW
//! masked interrupts behind the API's back, and the old PSW's external mask says what the
//! interrupted code had and gets back when the stub loads it.

use mightfault_arch::s390x::unwind::InterruptFrame;
use mightfault_core::call_trace::{symbolized, TraceStart};
use mightfault_core::{hardirqs_off_on_entry, hardirqs_restore_on_exit, irq_enter, irq_exit};

use super::cpu::{self, PSW_EXT, PSW_WAIT};
use super::{fault, lowcore, S390};

/// The interruption classes, numbered so that `RESTART_OLD_PSW + 16 * class` is the class's old
/// PSW slot (the fatal stub relies on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum TrapClass {
    /// A restart nobody asked for.
    Restart = 0,
    /// External interruption (the clock comparator is our tick, the emergency signal our
    /// rescheduling IPI).
    External = 1,
    /// Supervisor call (unused).
    SupervisorCall = 2,
    /// Program interruption (translation and protection exceptions among them).
    Program = 3,
    /// Machine check.
    MachineCheck = 4,
    /// I/O interruption (none is enabled).
    Io = 5,
}

/// The interrupted state as the stub saved it. Offsets are fixed by `entry.rs`.
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    /// r0-r15 at the interruption.
    pub gprs: [u64; 16],
    /// Old PSW mask.
    pub psw_mask: u64,
    /// Old PSW address: the faulting instruction for a nullifying exception, the next one for
    /// a suppressing one.
    pub psw_addr: u64,
    /// Program interruption: instruction length in bytes (bits 13-14 of the halfword).
    pub pgm_ilc: u16,
    /// Program interruption code.
    pub pgm_code: u16,
    /// External interruption: the signalling cpu's address.
    pub ext_cpu: u16,
    /// External interruption code.
    pub ext_code: u16,
    /// Translation-exception identification: the failing address (page-aligned).
    pub teid: u64,
    /// Which stub saved this frame ([`TrapClass`] as a number).
    pub class: u64,
}

/// Size of [`TrapFrame`], used by the stubs.
pub const FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();
const _: () = assert!(FRAME_SIZE == 168 && FRAME_SIZE.is_multiple_of(8));

/// Where the stubs keep the interrupted state, for the stack walker: the [`TrapFrame`] right
/// above the 160-byte save area of the stub's frame, whose back chain is zero (entry.rs), so a
/// trace from a handler continues into the interrupted code.
pub const INTERRUPT_FRAME: InterruptFrame = InterruptFrame {
    offset: super::entry::ABI_SAVE_AREA,
    size: FRAME_SIZE,
    psw_mask: core::mem::offset_of!(TrapFrame, psw_mask),
    psw_addr: core::mem::offset_of!(TrapFrame, psw_addr),
    r15: core::mem::offset_of!(TrapFrame, gprs) + 15 * 8,
};

/// External interruption code of the clock comparator (the timer tick).
const EXT_CLOCK_COMPARATOR: u16 = 0x1004;
/// External interruption code of an emergency signal.
const EXT_EMERGENCY_SIGNAL: u16 = 0x1201;
/// External interruption code of the SCLP's service signal (its submask stays off).
const EXT_SERVICE_SIGNAL: u16 = 0x2401;

/// Called by every second-stage stub with the saved state.
///
/// # Context
/// Interrupts masked on entry (every new PSW masks them) and on return; the program-check
/// handler may unmask them and sleep while resolving a fault, and the external handler may
/// switch tasks at its end (preemption), so either may return on another cpu.
#[no_mangle]
extern "C" fn mf_s390_trap(frame: &mut TrapFrame) {
    // What the interrupted code had: the old PSW's external mask (unmasking sets only that bit,
    // see mightfault_arch::s390x::irq). Read once: the way out restores the same state, and no
    // handler changes the frame's mask bits (the external one clears only the wait bit).
    let interrupted_irqs_on = frame.psw_mask & PSW_EXT != 0;
    // The word is the current task's, so there is none to keep before this cpu has one (an
    // interruption that early is a fatal one anyway; vectors::install zeroes CURRENT). A null
    // current would not fault here: it is the lowcore at address 0, which the flag's update
    // would write into.
    let tracked = lowcore::current() != 0;
    if tracked {
        hardirqs_off_on_entry::<S390>(interrupted_irqs_on);
    }
    match frame.class {
        c if c == TrapClass::Program as u64 => fault::program_check(frame),
        c if c == TrapClass::External as u64 => external(frame),
        c if c == TrapClass::SupervisorCall as u64 => oops(frame, "supervisor call"),
        c if c == TrapClass::MachineCheck as u64 => oops(frame, "machine check"),
        c if c == TrapClass::Io as u64 => oops(frame, "I/O interruption"),
        _ => oops(frame, "restart interruption"),
    }
    // Last, on the interrupted task (a preemption at the end of `external`, or a page-in that
    // slept, may have moved it to another cpu): the word as the interrupted code runs again.
    // Only the stub's loads of the frame follow, with interrupts masked until the old PSW.
    if tracked {
        hardirqs_restore_on_exit::<S390>(interrupted_irqs_on);
    }
}

/// Handles an external interruption, then preempts the interrupted task when it may be.
///
/// The frame lives on the interrupted task's stack and the return path reads only the frame,
/// so the preemption at the end may switch tasks here and resume this one, later, on another
/// cpu (entry.rs).
fn external(frame: &mut TrapFrame) {
    match frame.ext_code {
        EXT_CLOCK_COMPARATOR => {
            // Acknowledge: the condition stays pending as long as the TOD clock exceeds the
            // comparator, so withdraw it before anything could unmask interrupts (the tick
            // re-arms the comparator before its softirqs run with interrupts enabled).
            cpu::set_clock_comparator(cpu::CKC_DISARMED);
            crate::sched::timer_interrupt::<S390>();
        }
        EXT_EMERGENCY_SIGNAL => {
            irq_enter::<S390>();
            super::bench::emergency_signal();
            crate::sched::resched_ipi::<S390>();
            irq_exit::<S390>();
        }
        EXT_SERVICE_SIGNAL => {}
        _ => oops(frame, "unexpected external interruption"),
    }
    // An idle cpu waits in an enabled-wait PSW: continue after it instead of waiting again.
    // Only the idle task waits, and irq_return never switches away from it, so the frame that
    // goes back into the wait is always this one.
    frame.psw_mask &= !PSW_WAIT;
    // Last: may switch tasks (preempt_schedule_irq); this task resumes here on whichever cpu
    // picks it, and the stub then reloads its state from the frame.
    crate::sched::irq_return::<S390>(frame.psw_mask & PSW_EXT != 0);
}

/// Prints the interrupted state and ends the run with failure.
///
/// # Context
/// Never returns; any context.
pub fn oops(frame: &TrapFrame, what: &str) -> ! {
    let detail = match frame.class {
        c if c == TrapClass::Program as u64 => format_args!(
            " (code {:#06x}, ilc {}, teid {:#018x})",
            frame.pgm_code, frame.pgm_ilc, frame.teid
        ),
        c if c == TrapClass::External as u64 => {
            format_args!(" (external code {:#06x})", frame.ext_code)
        }
        _ => format_args!(""),
    };
    // Linux's show_regs() and die(): the call trace starts at the old PSW and follows the back
    // chain from the interrupted r15.
    let trace = TraceStart::Interrupted {
        ip: frame.psw_addr as usize,
        sp: frame.gprs[15] as usize,
        fp: frame.gprs[15] as usize,
        link: frame.gprs[14] as usize,
    };
    crate::oops::oops::<S390>(format_args!("{what}{detail}"), trace, |out| {
        // Linux's show_registers(): the PSW with its address as `%pSR`, the PSW's fields, the
        // registers four to a line. `cargo xtask qemu` reads the code address as the second
        // word after `Krnl PSW :` (ci/xtask/src/config.rs).
        let mask = frame.psw_mask;
        let bits = |shift: u32, width: u32| (mask >> shift) & ((1 << width) - 1);
        writeln!(
            out,
            "Krnl PSW : {:016x} {:016x} ({})",
            mask,
            frame.psw_addr,
            symbolized::<S390>(frame.psw_addr as usize)
        )?;
        writeln!(
            out,
            "           R:{:x} T:{:x} IO:{:x} EX:{:x} Key:{:x} M:{:x} W:{:x} P:{:x} AS:{:x} \
             CC:{:x} PM:{:x} RI:{:x} EA:{:x}",
            bits(62, 1),
            bits(58, 1),
            bits(57, 1),
            bits(56, 1),
            bits(52, 4),
            bits(50, 1),
            bits(49, 1),
            bits(48, 1),
            bits(46, 2),
            bits(44, 2),
            bits(40, 4),
            bits(39, 1),
            bits(31, 2)
        )?;
        for (row, gprs) in frame.gprs.chunks(4).enumerate() {
            writeln!(
                out,
                "{}{:016x} {:016x} {:016x} {:016x}",
                if row == 0 {
                    "Krnl GPRS: "
                } else {
                    "           "
                },
                gprs[0],
                gprs[1],
                gprs[2],
                gprs[3]
            )?;
        }
        Ok(())
    })
}
