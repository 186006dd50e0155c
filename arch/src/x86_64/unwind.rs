//! The x86_64 frame-pointer unwinder, as Linux's `CONFIG_UNWINDER_FRAME_POINTER` walks the
//! stack.
//!
//! A kernel built with frame pointers (`-C force-frame-pointers=non-leaf`, Linux's
//! `-fno-omit-frame-pointer`) starts every function that calls another with
//! `push rbp; mov rbp, rsp`: rbp then points at a *frame record*, `[rbp]` the caller's rbp and
//! `[rbp + 8]` the return address into the caller. The walk follows the records from rbp up
//! the stack and visits each return address, as Linux's ` function+0x1c/0x90` lines show them.
//!
//! Leaf functions keep no record (their probes stay one instruction); they never call out, so
//! they only matter when an interrupt or a fault stops one: the trace then starts with the
//! interrupted instruction and continues with the caller's caller (rbp still points at the
//! caller's record), as Linux's frame-pointer unwinder does.
//!
//! Interrupt frames: when a kernel's interrupt entry saves the interrupted registers on the
//! interrupted stack and calls its handler with rsp pointing at them (the handler's record then
//! lies right below them), a walk from inside the handler crosses into the interrupted code
//! given the entry's return address and where the saved rip and rbp lie ([`InterruptFrame`]):
//! the entry's line, then the interrupted instruction, then its callers. (Linux's entry code
//! marks its `pt_regs` by an rbp with the low bit set instead, and prints the registers between
//! the two parts; the line shape of [`StackFrame`] has no room for them.) Without that, the
//! walk still crosses (the entry keeps rbp, so the handler's record links to the interrupted
//! function's), only the interrupted function itself is missing.
//!
//! The walk is bounded and never faults: it reads a record only when it lies wholly inside the
//! stack range the kernel gives and is 8-byte aligned, each next record must lie strictly above
//! the previous one, a zero return address ends it, and it takes at most [`MAX_STEPS`] steps.
//! A corrupt saved rbp ends the trace after the frame that holds it.

use mightfault_core::call_trace::{StackFrame, TraceStart};

use crate::stack_range::{StackRange, StackReader};

/// Byte offset of the caller's rbp in a frame record.
pub const SAVED_RBP: usize = 0;
/// Byte offset of the return address in a frame record.
pub const RETURN_ADDRESS: usize = 8;
/// Size of a frame record: what the walk reads of each.
pub const RECORD_SIZE: usize = 16;
/// Frame records are 8-byte aligned (rsp is at every `push`).
pub const RECORD_ALIGN: usize = 8;
/// At most this many records are read by one walk (a loop in a corrupt chain ends here at the
/// latest; the strictly-rising rule already rules loops out).
pub const MAX_STEPS: usize = 64;

/// Where a kernel's interrupt entry keeps the interrupted registers, so that a walk from
/// inside a handler crosses into the interrupted code.
///
/// The entry must save the registers on the interrupted stack and `call` its handler with rsp
/// pointing at them, so that the handler's frame record lies right below them (at
/// `registers - 16`) and holds `return_address`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptFrame {
    /// The return address of the entry's call into its handler (the instruction after the
    /// `call`): the ip a walk finds in the handler's frame record.
    pub return_address: usize,
    /// Byte offset of the interrupted rip in the saved registers.
    pub rip: usize,
    /// Byte offset of the interrupted rbp in the saved registers.
    pub rbp: usize,
    /// Bytes of the saved registers the walk may read: both offsets lie below it.
    pub size: usize,
}

/// The current frame pointer (rbp): the frame record of the function this is inlined into,
/// once its prologue has run (it must keep one: a function that calls another does, with
/// frame pointers on).
///
/// # Context
/// Never sleeps; any context.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn current_frame() -> usize {
    let rbp: usize;
    // SAFETY: copies rbp; reads and writes no memory.
    unsafe {
        core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags));
    }
    rbp
}

/// Walks the current stack from `start` (see [`TraceStart`]), innermost frame first, calling
/// `visit` for each frame until it returns false or the chain ends. `stack` is the stack in use
/// (the running task's); `interrupt` describes the kernel's interrupt entry, if the walk should
/// show the interrupted instruction when it crosses one.
///
/// Needs frame pointers (`-C force-frame-pointers`); without them the walk ends at the first
/// rbp that does not point at a record inside `stack`.
///
/// # Safety
/// Every byte of `stack` is readable memory for the whole walk (a kernel's mapped task
/// stack). Nothing outside it is read.
///
/// # Context
/// Never sleeps; any context, including fault and interrupt handlers and with interrupts
/// masked.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub unsafe fn walk_stack(
    start: TraceStart,
    stack: StackRange,
    interrupt: Option<InterruptFrame>,
    visit: &mut dyn FnMut(StackFrame) -> bool,
) {
    // This function calls out, so it keeps a frame record, below every record of its callers.
    let rbp = current_frame();
    // SAFETY: the caller's contract.
    unsafe { walk_from(rbp, start, stack, interrupt, visit) }
}

/// `walk_stack` from the frame record at `rbp`, which must be the record of the caller or of
/// a function it called (for [`TraceStart::CallerOf`]; ignored for [`TraceStart::Interrupted`]).
/// Pure (no instruction of the arch), so it also runs on a made-up stack in a host test.
///
/// # Safety
/// As `walk_stack`: every byte of `stack` is readable for the whole walk.
///
/// # Context
/// Never sleeps; any context.
pub unsafe fn walk_from(
    rbp: usize,
    start: TraceStart,
    stack: StackRange,
    interrupt: Option<InterruptFrame>,
    visit: &mut dyn FnMut(StackFrame) -> bool,
) {
    let mut walk = Walk {
        // SAFETY: the caller's contract: `stack` is readable for the whole walk.
        stack: unsafe { StackReader::new(stack, MAX_STEPS) },
        interrupt,
        visit,
    };
    match start {
        TraceStart::CallerOf { marker } => {
            // The records below the marker are the walker's and the report's helpers' (the
            // marker is a local of the report function G, which lies below G's own record);
            // the first record at or above it is G's, holding the return into G's caller.
            let mut record = rbp;
            while record < marker {
                match walk.next_record(record) {
                    Some(next) => record = next,
                    None => return,
                }
            }
            walk.chain(record);
        }
        TraceStart::Interrupted { ip, sp, fp, .. } => walk.interrupted(ip, sp, fp),
    }
}

/// One walk's bounds and budget.
struct Walk<'a> {
    stack: StackReader,
    interrupt: Option<InterruptFrame>,
    visit: &'a mut dyn FnMut(StackFrame) -> bool,
}

impl Walk<'_> {
    /// Whether the record at `rbp` may be read: inside the stack, aligned, and within the step
    /// budget (which this counts).
    fn record_ok(&mut self, rbp: usize) -> bool {
        self.stack.holds(rbp, RECORD_SIZE, RECORD_ALIGN) && self.stack.step()
    }

    /// The word at `base + offset`, or 0 (which ends the walk) outside the stack.
    fn read(&self, base: usize, offset: usize) -> usize {
        self.stack.read_word(base + offset).unwrap_or(0)
    }

    /// The record the one at `rbp` links to, if `rbp` is readable and the chain rises.
    fn next_record(&mut self, rbp: usize) -> Option<usize> {
        if !self.record_ok(rbp) {
            return None;
        }
        let next = self.read(rbp, SAVED_RBP);
        (next > rbp).then_some(next)
    }

    /// Visits the return address of each record from `rbp` up the chain; crosses an
    /// interrupt entry into the interrupted code.
    fn chain(&mut self, mut rbp: usize) {
        loop {
            if !self.record_ok(rbp) {
                return;
            }
            let ip = self.read(rbp, RETURN_ADDRESS);
            if ip == 0
                || !(self.visit)(StackFrame {
                    ip,
                    frame: rbp,
                    reliable: true,
                })
            {
                return;
            }
            let mut next = self.read(rbp, SAVED_RBP);
            if let Some(layout) = self.interrupt {
                let registers = rbp + RECORD_SIZE;
                if ip == layout.return_address && self.stack.holds(registers, layout.size, 8) {
                    let rip = self.read(registers, layout.rip);
                    next = self.read(registers, layout.rbp);
                    if rip == 0
                        || !(self.visit)(StackFrame {
                            ip: rip,
                            frame: registers,
                            reliable: true,
                        })
                    {
                        return;
                    }
                }
            }
            if next <= rbp {
                return;
            }
            rbp = next;
        }
    }

    /// Visits an interrupted context: the interrupted instruction, then the chain from its
    /// rbp (which must lie above its rsp: a record below the stack pointer is stale).
    fn interrupted(&mut self, ip: usize, rsp: usize, rbp: usize) {
        if ip == 0
            || !(self.visit)(StackFrame {
                ip,
                frame: rsp,
                reliable: true,
            })
        {
            return;
        }
        if rbp >= rsp {
            self.chain(rbp);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;
    use std::vec::Vec;

    use super::*;

    /// A made-up stack of 64 words, on the heap so that its addresses survive a move.
    struct Stack(Box<[usize; 64]>);

    impl Stack {
        fn new() -> Self {
            Self(Box::new([0; 64]))
        }
        fn base(&self) -> usize {
            self.0.as_ptr() as usize
        }
        fn range(&self) -> StackRange {
            StackRange::new(self.base(), self.base() + 64 * 8)
        }
        fn at(&self, word: usize) -> usize {
            self.base() + word * 8
        }
        /// A record at `word` whose saved rbp is `next` and whose return address is `ret`.
        fn record(&mut self, word: usize, next: usize, ret: usize) {
            self.0[word] = next;
            self.0[word + 1] = ret;
        }
    }

    fn walk(
        stack: &Stack,
        rbp: usize,
        start: TraceStart,
        interrupt: Option<InterruptFrame>,
    ) -> Vec<StackFrame> {
        let mut seen = Vec::new();
        // SAFETY: the range is the array's own.
        unsafe {
            walk_from(rbp, start, stack.range(), interrupt, &mut |frame| {
                seen.push(frame);
                true
            })
        };
        seen
    }

    fn ips(frames: &[StackFrame]) -> Vec<usize> {
        frames.iter().map(|f| f.ip).collect()
    }

    /// Records at words 0 (the walker's), 8 (a helper's), 16 (G's; its local, the marker,
    /// at word 12), 32 (G's caller), 48 (outermost, saved rbp 0).
    fn chained() -> Stack {
        let mut stack = Stack::new();
        stack.record(0, stack.at(8), 0x1000);
        stack.record(8, stack.at(16), 0x2000);
        stack.record(16, stack.at(32), 0x3000);
        stack.record(32, stack.at(48), 0x4000);
        stack.record(48, 0, 0x5000);
        stack
    }

    #[test]
    fn caller_of_starts_at_the_marker_s_record() {
        let stack = chained();
        let marker = stack.at(12);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
        assert_eq!(ips(&frames), [0x3000, 0x4000, 0x5000]);
        assert_eq!(frames[0].frame, stack.at(16));
        assert!(frames.iter().all(|f| f.reliable));
    }

    #[test]
    fn visit_can_stop_the_walk() {
        let stack = chained();
        let mut seen = 0;
        // SAFETY: the range is the array's own.
        unsafe {
            walk_from(
                stack.at(0),
                TraceStart::CallerOf { marker: 0 },
                stack.range(),
                None,
                &mut |_| {
                    seen += 1;
                    seen < 2
                },
            )
        };
        assert_eq!(seen, 2);
    }

    #[test]
    fn corrupt_saved_rbp_ends_the_walk() {
        let mut stack = chained();
        let marker = stack.at(12);
        for garbage in [
            0x0000_dead_beef_0000,
            0,
            stack.at(8),
            stack.at(16),
            stack.at(63),
            stack.at(64),
            stack.at(32) + 1,
            usize::MAX - 7,
        ] {
            stack.0[16] = garbage;
            let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
            assert_eq!(ips(&frames), [0x3000], "saved rbp {garbage:#x}");
        }
    }

    #[test]
    fn zero_return_address_ends_the_walk() {
        let mut stack = chained();
        stack.0[32 + 1] = 0;
        let marker = stack.at(12);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
        assert_eq!(ips(&frames), [0x3000]);
    }

    #[test]
    fn start_outside_the_stack_visits_nothing() {
        let stack = chained();
        let frames = walk(&stack, 0x10, TraceStart::CallerOf { marker: 0x20 }, None);
        assert!(frames.is_empty());
        let frames = walk(
            &stack,
            stack.at(0) + 4,
            TraceStart::CallerOf { marker: 0 },
            None,
        );
        assert!(frames.is_empty());
    }

    #[test]
    fn a_loop_is_bounded() {
        let mut stack = Stack::new();
        // Rising forever is impossible inside the range; a self-link ends at once.
        stack.record(0, stack.at(0), 0x1000);
        let frames = walk(
            &stack,
            stack.at(0),
            TraceStart::CallerOf { marker: 0 },
            None,
        );
        assert_eq!(ips(&frames), [0x1000]);
    }

    #[test]
    fn interrupted_visits_ip_then_the_chain() {
        let stack = chained();
        let start = TraceStart::Interrupted {
            ip: 0x9000,
            sp: stack.at(24),
            fp: stack.at(32),
            link: 0,
        };
        let frames = walk(&stack, 0, start, None);
        assert_eq!(ips(&frames), [0x9000, 0x4000, 0x5000]);
        assert_eq!(frames[0].frame, stack.at(24));
        // An rbp outside the stack: only the instruction.
        let start = TraceStart::Interrupted {
            ip: 0x9000,
            sp: stack.at(24),
            fp: 0x0000_dead_beef_0000,
            link: 0,
        };
        assert_eq!(ips(&walk(&stack, 0, start, None)), [0x9000]);
        // A stale rbp below rsp: only the instruction.
        let start = TraceStart::Interrupted {
            ip: 0x9000,
            sp: stack.at(40),
            fp: stack.at(32),
            link: 0,
        };
        assert_eq!(ips(&walk(&stack, 0, start, None)), [0x9000]);
    }

    #[test]
    fn crosses_an_interrupt_frame() {
        // Handler's record at 8 returns into the entry (0x7000); the saved registers at 10..16
        // hold rbp (word 12) = the interrupted record at 32 and rip (word 14) = 0x9000.
        let mut stack = chained();
        let layout = InterruptFrame {
            return_address: 0x7000,
            rip: 4 * 8,
            rbp: 2 * 8,
            size: 6 * 8,
        };
        stack.record(0, stack.at(8), 0x1000);
        stack.record(8, stack.at(32), 0x7000);
        stack.0[12] = stack.at(32);
        stack.0[14] = 0x9000;
        let marker = stack.at(4);
        let frames = walk(
            &stack,
            stack.at(0),
            TraceStart::CallerOf { marker },
            Some(layout),
        );
        let got: Vec<(usize, usize)> = frames.iter().map(|f| (f.ip, f.frame)).collect();
        assert_eq!(
            got,
            [
                (0x7000, stack.at(8)),
                (0x9000, stack.at(10)),
                (0x4000, stack.at(32)),
                (0x5000, stack.at(48)),
            ]
        );
        // Without the layout the walk still crosses, by the handler's saved rbp.
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
        assert_eq!(ips(&frames), [0x7000, 0x4000, 0x5000]);
    }
}
