//! What happens after an entry stub: the saved registers, the dispatch by vector, and the oops
//! that ends the run on a fault nobody handles.

use mightfault_arch::x86_64::irq::RFLAGS_IF;
use mightfault_core::call_trace::{symbolized, TraceStart};
use mightfault_core::{hardirqs_off_on_entry, hardirqs_restore_on_exit, irq_enter, irq_exit};

use super::apic::{
    self, VECTOR_BENCH, VECTOR_RESCHED, VECTOR_SPURIOUS, VECTOR_TIMER, VECTOR_TLB_FLUSH,
};
use super::{bench, cpu, fault, tlb, X86};

/// The registers as the entry stub saved them: general registers (pushed by the stub, `rax`
/// first), the vector and error code, then the cpu's own interrupt frame.
#[repr(C)]
#[derive(Debug)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The vector number pushed by the stub.
    pub vector: u64,
    /// The cpu's error code, or 0 for vectors without one.
    pub error: u64,
    /// Where the interrupted code resumes: the faulting instruction for a fault.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Called by the common entry stub with the saved registers.
///
/// Every vector is an interrupt gate, so the cpu masked interrupts before the first
/// instruction of the stub: the dispatch first records that in the may-not-sleep word
/// (`hardirqs_off_on_entry`), before any handler code can test the word, and records the
/// interrupted context's state again last (`hardirqs_restore_on_exit`), just before the stub's
/// `iretq` takes RFLAGS.IF back from the frame. Paths that do not return (an oops) need no
/// exit hook.
///
/// Every hardware interrupt ends in `crate::sched::irq_return`, which may preempt the
/// interrupted task: this call then returns only when some cpu (maybe another one) picks the
/// task again, and the stub restores `frame` from the task's own stack there (see idt.rs for why
/// nothing per-cpu is kept across it). The exit hook runs after it, so it writes the word of
/// the cpu the task resumes on. Exceptions never preempt.
///
/// # Context
/// Interrupts masked on entry (interrupt gates); the page-fault handler may unmask them and
/// sleep. Runs on the interrupted task's stack (IST1 for a double fault).
#[no_mangle]
extern "C" fn mf_trap_dispatch(frame: &mut TrapFrame) {
    let interrupted_irqs_enabled = frame.rflags & RFLAGS_IF != 0;
    check_irqs_off_flag_on_entry(frame, interrupted_irqs_enabled);
    hardirqs_off_on_entry::<X86>(interrupted_irqs_enabled);
    let hardware_interrupt = match frame.vector as u8 {
        14 => {
            fault::page_fault(frame);
            false
        }
        13 => {
            fault::general_protection(frame);
            false
        }
        VECTOR_TIMER => {
            // EOI first: the tick may run softirqs with interrupts unmasked, and the return
            // may switch tasks; neither should leave the vector in service.
            apic::eoi();
            crate::sched::timer_interrupt::<X86>();
            true
        }
        VECTOR_RESCHED => {
            irq_enter::<X86>();
            crate::sched::resched_ipi::<X86>();
            apic::eoi();
            irq_exit::<X86>();
            true
        }
        VECTOR_TLB_FLUSH => {
            irq_enter::<X86>();
            tlb::flush_ipi();
            apic::eoi();
            irq_exit::<X86>();
            true
        }
        VECTOR_BENCH => {
            irq_enter::<X86>();
            bench::interrupt();
            irq_exit::<X86>();
            true
        }
        // A spurious interrupt is not in service: no EOI. It is still an interrupt return,
        // where a pending reschedule may be honoured.
        VECTOR_SPURIOUS => true,
        vector => oops(frame, exception_name(vector), None),
    };
    if hardware_interrupt {
        crate::sched::irq_return::<X86>(interrupted_irqs_enabled);
    }
    hardirqs_restore_on_exit::<X86>(interrupted_irqs_enabled);
}

/// The debug configuration's proof that the irqs-off flag is exact: an exception taken with
/// interrupts masked (a #PF inside `local_irq_save`, say) must find the flag already set.
/// Core's entry hook reports the opposite case (the flag set while the interrupted code ran
/// with interrupts on), which is the only one a hardware interrupt can see; a flag found clear
/// here means some path masked interrupts behind the API's back, and a `might_fault()` there
/// would have stayed silent. Fails the run loudly.
#[cfg(feature = "debug-atomic-sleep")]
fn check_irqs_off_flag_on_entry(frame: &TrapFrame, interrupted_irqs_enabled: bool) {
    use mightfault_core::preempt_count::IRQS_OFF_FLAG;
    let flag_set = mightfault_core::may_not_sleep_word::<X86>() & IRQS_OFF_FLAG != 0;
    if !interrupted_irqs_enabled && !flag_set {
        oops(
            frame,
            "irqs-off flag clear while the interrupted code had interrupts masked",
            None,
        );
    }
}

#[cfg(not(feature = "debug-atomic-sleep"))]
#[inline(always)]
fn check_irqs_off_flag_on_entry(_: &TrapFrame, _: bool) {}

/// The mnemonic of an exception vector.
///
/// # Context
/// Never sleeps; any context.
pub fn exception_name(vector: u8) -> &'static str {
    const NAMES: [&str; 32] = [
        "#DE divide error",
        "#DB debug",
        "NMI",
        "#BP breakpoint",
        "#OF overflow",
        "#BR bound range",
        "#UD invalid opcode",
        "#NM device not available",
        "#DF double fault",
        "coprocessor segment overrun",
        "#TS invalid TSS",
        "#NP segment not present",
        "#SS stack fault",
        "#GP general protection fault",
        "#PF page fault",
        "reserved 15",
        "#MF x87 floating point",
        "#AC alignment check",
        "#MC machine check",
        "#XM SIMD floating point",
        "#VE virtualization",
        "#CP control protection",
        "reserved 22",
        "reserved 23",
        "reserved 24",
        "reserved 25",
        "reserved 26",
        "reserved 27",
        "#HV hypervisor injection",
        "#VC VMM communication",
        "#SX security",
        "reserved 31",
    ];
    NAMES
        .get(usize::from(vector))
        .copied()
        .unwrap_or("unexpected interrupt")
}

/// Prints an oops for `frame` (what happened, then the registers) and ends the run with a
/// failure status.
///
/// # Context
/// Never returns; any context, interrupts masked.
pub fn oops(frame: &TrapFrame, what: &str, fault_address: Option<u64>) -> ! {
    crate::oops::oops::<X86>(
        format_args!(
            "{what} (vector {}), error code {:#x}",
            frame.vector, frame.error
        ),
        TraceStart::Interrupted {
            ip: frame.rip as usize,
            sp: frame.rsp as usize,
            fp: frame.rbp as usize,
            link: 0,
        },
        |out| {
            // `cargo xtask qemu` reads the code address after `RIP:` (ci/xtask/src/config.rs):
            // the symbol (Linux's `RIP: 0010:function+0x1c/0x90`) comes after it.
            write!(
                out,
                "RIP: {:#018x} {} CS: {:#x} RFLAGS: {:#010x}\n\
                 RSP: {:#018x} SS: {:#x}",
                frame.rip,
                symbolized::<X86>(frame.rip as usize),
                frame.cs,
                frame.rflags,
                frame.rsp,
                frame.ss,
            )?;
            if let Some(address) = fault_address {
                write!(out, " CR2: {address:#018x}")?;
            }
            write!(
                out,
                "\nRAX: {:#018x} RBX: {:#018x} RCX: {:#018x}\n\
                 RDX: {:#018x} RSI: {:#018x} RDI: {:#018x}\n\
                 RBP: {:#018x} R08: {:#018x} R09: {:#018x}\n\
                 R10: {:#018x} R11: {:#018x} R12: {:#018x}\n\
                 R13: {:#018x} R14: {:#018x} R15: {:#018x}\n\
                 CR0: {:#018x} CR3: {:#018x} CR4: {:#018x}\n",
                frame.rax,
                frame.rbx,
                frame.rcx,
                frame.rdx,
                frame.rsi,
                frame.rdi,
                frame.rbp,
                frame.r8,
                frame.r9,
                frame.r10,
                frame.r11,
                frame.r12,
                frame.r13,
                frame.r14,
                frame.r15,
                cpu::read_cr0(),
                cpu::read_cr3(),
                cpu::read_cr4(),
            )
        },
    )
}
