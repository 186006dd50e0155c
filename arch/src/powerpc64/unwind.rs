//! The powerpc64 back-chain unwinder, as Linux's `show_stack()` walks the stack on powerpc.
//!
//! Every powerpc64 function that calls another builds its frame with one `stdu r1, -N(r1)`,
//! which stores the caller's r1 at 0 of the new frame: the back chain, ABI-mandated (ELFv2 and
//! ELFv1), so no build flag is needed. A function saves its return address (LR) in its
//! *caller's* frame, at [`LR_SAVE`] (16). So the doubleword at 16 of frame `sp` is a return
//! address into the function that owns `sp`, written when that function last called out; the
//! walk reads `newsp = *sp`, then `ip = *(newsp + 16)`, the return address into the owner of
//! `newsp`, and prints `[newsp] [ip]` as Linux's `[%016lx] [%016lx] %pS` lines do (the frame
//! column is the frame of the function the ip lies in).
//!
//! Leaf functions may have no frame (the ELFv2 288-byte red zone lets them keep their locals
//! below r1); they never call out, so they only matter when an interrupt stops one: then the
//! link register, still unsaved, holds its return address, and the trace shows it as a guess
//! (` (unreliable)`), as Linux does with the first frame after an interrupt.
//!
//! Interrupt frames: a kernel's entry code builds its frame on the interrupted stack with the
//! interrupted r1 as the back chain and calls its handler with `bl`, which leaves the return
//! into the entry in the interrupt frame's LR save slot. Given that return address and where
//! the frame keeps the interrupted NIP and LR ([`InterruptFrame`]), the walk crosses into the
//! interrupted code: the entry's line, then the interrupted instruction, the LR guess and the
//! interrupted code's callers (Linux finds the frame by its `"regs"` marker instead and prints
//! `--- interrupt: 900 at ...` between the two; the line shape of [`StackFrame`] has no room
//! for that line).
//!
//! The walk is bounded and never faults: it reads a frame only when it lies wholly inside the
//! stack range the kernel gives and is 16-byte aligned (the ABI's quadword alignment), each
//! next frame must lie strictly above the previous one, a zero or misaligned return address
//! ends it, and it takes at most [`MAX_STEPS`] steps. A corrupt back chain ends the trace.

use mightfault_core::call_trace::{StackFrame, TraceStart};

use crate::stack_range::{StackRange, StackReader};

/// Byte offset of the back chain (the caller's r1) in a frame.
pub const BACK_CHAIN: usize = 0;
/// Byte offset of the LR save doubleword in a frame (ELFv2 and ELFv1): a function stores its
/// return address there in its caller's frame.
pub const LR_SAVE: usize = 16;
/// The ELFv2 frame header (back chain, CR save, LR save, TOC save): the least of a frame the
/// walk reads.
pub const FRAME_HEADER: usize = 32;
/// Frames are quadword aligned (the ABI keeps r1 16-byte aligned).
pub const FRAME_ALIGN: usize = 16;
/// At most this many frames are read by one walk (a loop in a corrupt chain ends here at the
/// latest; the strictly-rising rule already rules loops out).
pub const MAX_STEPS: usize = 64;

/// Where a kernel's interrupt entry keeps the interrupted state in the frame it builds, so
/// that a walk from inside a handler crosses into the interrupted code.
///
/// The frame must hold the interrupted r1 as its back chain (offset 0), and the entry must call
/// the handler with `bl` from the frame (r1 = the frame), so that the handler's prologue saves
/// `return_address` at [`LR_SAVE`] of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptFrame {
    /// The return address of the entry's call into its handler (the instruction after the
    /// `bl`): the ip a walk finds in an interrupt frame.
    pub return_address: usize,
    /// Byte offset from the frame (its r1) of the interrupted instruction's address (SRR0).
    pub nip: usize,
    /// Byte offset from the frame of the interrupted link register.
    pub link: usize,
    /// Bytes of the frame the walk may read (from its r1): both offsets lie below it.
    pub size: usize,
}

/// The current stack pointer (r1): the frame of the function this is inlined into, once its
/// prologue has run.
///
/// # Context
/// Never sleeps; any context.
#[cfg(target_arch = "powerpc64")]
#[inline(always)]
pub fn current_frame() -> usize {
    let sp: usize;
    // SAFETY: copies r1; reads and writes no memory.
    unsafe {
        core::arch::asm!("mr {}, 1", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Walks the current stack from `start` (see [`TraceStart`]), innermost frame first, calling
/// `visit` for each frame until it returns false or the chain ends. `stack` is the stack in use
/// (the running task's); `interrupt` describes the kernel's interrupt frames, if the walk should
/// cross them.
///
/// # Safety
/// Every byte of `stack` is readable memory for the whole walk (a kernel's mapped task
/// stack). Nothing outside it is read.
///
/// # Context
/// Never sleeps; any context, including fault and interrupt handlers and with interrupts
/// masked.
#[cfg(target_arch = "powerpc64")]
#[inline(never)]
pub unsafe fn walk_stack(
    start: TraceStart,
    stack: StackRange,
    interrupt: Option<InterruptFrame>,
    visit: &mut dyn FnMut(StackFrame) -> bool,
) {
    let sp = current_frame();
    // SAFETY: the caller's contract; r1 is this function's own frame, below every frame of
    // its callers.
    unsafe { walk_from(sp, start, stack, interrupt, visit) }
}

/// `walk_stack` (on powerpc64 only) from frame `sp`, which must be the frame of the caller or
/// of a function it called (for [`TraceStart::CallerOf`]; ignored for
/// [`TraceStart::Interrupted`]). Pure (no instruction of the arch), so it also runs on a
/// made-up stack in a host test.
///
/// # Safety
/// As `walk_stack`'s: every byte of `stack` is readable for the whole walk.
///
/// # Context
/// Never sleeps; any context.
pub unsafe fn walk_from(
    sp: usize,
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
            // The frames at or below the marker are the report's own and its helpers'
            // (the marker is a local of the report function G, inside G's frame); the first
            // frame above it is G's caller's, whose LR save slot holds G's return address.
            let mut frame = sp;
            while frame <= marker {
                match walk.next_frame(frame) {
                    Some(next) => frame = next,
                    None => return,
                }
            }
            walk.chain(frame);
        }
        TraceStart::Interrupted { ip, sp, link, .. } => walk.interrupted(ip, sp, link),
    }
}

/// One walk's bounds and budget.
struct Walk<'a> {
    stack: StackReader,
    interrupt: Option<InterruptFrame>,
    visit: &'a mut dyn FnMut(StackFrame) -> bool,
}

impl Walk<'_> {
    /// Whether `len` bytes of a frame at `sp` may be read: inside the stack, aligned, and
    /// within the step budget (which this counts).
    fn frame_ok(&mut self, sp: usize, len: usize) -> bool {
        self.stack.holds(sp, len, FRAME_ALIGN) && self.stack.step()
    }

    /// The doubleword at `sp + offset`, or 0 (which ends the walk) outside the stack.
    fn read(&self, sp: usize, offset: usize) -> usize {
        self.stack.read_word(sp + offset).unwrap_or(0)
    }

    /// The frame the one at `sp` chains to, if `sp` is readable and the chain rises.
    fn next_frame(&mut self, sp: usize) -> Option<usize> {
        if !self.frame_ok(sp, FRAME_HEADER) {
            return None;
        }
        let next = self.read(sp, BACK_CHAIN);
        (next > sp).then_some(next)
    }

    /// Visits the return address saved in each frame from `sp` up the back chain; crosses an
    /// interrupt frame into the interrupted code.
    fn chain(&mut self, mut sp: usize) {
        loop {
            if !self.frame_ok(sp, FRAME_HEADER) {
                return;
            }
            let ip = self.read(sp, LR_SAVE);
            if !plausible_ip(ip) {
                return;
            }
            if !(self.visit)(StackFrame {
                ip,
                frame: sp,
                reliable: true,
            }) {
                return;
            }
            if let Some(layout) = self.interrupt {
                if ip == layout.return_address && self.stack.holds(sp, layout.size, 8) {
                    let interrupted_sp = self.read(sp, BACK_CHAIN);
                    if interrupted_sp <= sp {
                        return;
                    }
                    let nip = self.read(sp, layout.nip);
                    let link = self.read(sp, layout.link);
                    return self.interrupted(nip, interrupted_sp, link);
                }
            }
            let next = self.read(sp, BACK_CHAIN);
            if next <= sp {
                return;
            }
            sp = next;
        }
    }

    /// Visits an interrupted context: the interrupted instruction, its link register as a
    /// guess (a leaf, or a function stopped in its prologue, has its return address only
    /// there) unless the interrupted function's frame already holds the same return address,
    /// then the back chain from its r1.
    fn interrupted(&mut self, ip: usize, sp: usize, link: usize) {
        if ip == 0
            || !(self.visit)(StackFrame {
                ip,
                frame: sp,
                reliable: true,
            })
        {
            return;
        }
        let caller = self.next_frame(sp);
        let saved = match caller {
            Some(caller) if self.frame_ok(caller, FRAME_HEADER) => self.read(caller, LR_SAVE),
            _ => 0,
        };
        if plausible_ip(link)
            && link != saved
            && !(self.visit)(StackFrame {
                ip: link,
                frame: sp,
                reliable: false,
            })
        {
            return;
        }
        if let Some(caller) = caller {
            self.chain(caller);
        }
    }
}

/// Whether a word read from an LR save slot may be a return address: non-zero and on an
/// instruction boundary.
fn plausible_ip(ip: usize) -> bool {
    ip != 0 && ip.is_multiple_of(4)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::boxed::Box;
    use std::vec::Vec;

    use super::*;

    /// A made-up stack of 64 doublewords, 16-byte aligned.
    #[repr(C, align(16))]
    struct Stack([usize; 64]);

    impl Stack {
        fn base(&self) -> usize {
            self.0.as_ptr() as usize
        }
        fn range(&self) -> StackRange {
            StackRange::new(self.base(), self.base() + 64 * 8)
        }
        fn at(&self, word: usize) -> usize {
            self.base() + word * 8
        }
        /// A frame at `word` whose back chain is `next` and whose LR save slot holds `lr`.
        fn frame(&mut self, word: usize, next: usize, lr: usize) {
            self.0[word] = next;
            self.0[word + 2] = lr;
        }
    }

    fn walk(
        stack: &Stack,
        sp: usize,
        start: TraceStart,
        frames: Option<InterruptFrame>,
    ) -> Vec<StackFrame> {
        let mut seen = Vec::new();
        // SAFETY: the range is the array's own.
        unsafe {
            walk_from(sp, start, stack.range(), frames, &mut |frame| {
                seen.push(frame);
                true
            })
        };
        seen
    }

    /// Frames at words 0 (the walker's), 8 (G's, holding the marker at word 12), 16 (G's
    /// caller), 32 (its caller), 48 (outermost, chain 0). Boxed: the chain holds addresses.
    fn chained() -> Box<Stack> {
        let mut stack = Box::new(Stack([0; 64]));
        let (f0, f1, f2, f3, f4) = (0, 8, 16, 32, 48);
        stack.frame(f0, stack.at(f1), 0x1000);
        stack.frame(f1, stack.at(f2), 0x2000);
        stack.frame(f2, stack.at(f3), 0x3000);
        stack.frame(f3, stack.at(f4), 0x4000);
        stack.frame(f4, 0, 0x5000);
        stack
    }

    #[test]
    fn caller_of_starts_above_the_marker() {
        let stack = chained();
        let marker = stack.at(12);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
        let ips: Vec<usize> = frames.iter().map(|f| f.ip).collect();
        assert_eq!(ips, [0x3000, 0x4000, 0x5000]);
        assert_eq!(frames[0].frame, stack.at(16));
        assert!(frames.iter().all(|f| f.reliable));
    }

    #[test]
    fn corrupt_chain_ends_the_walk() {
        let mut stack = chained();
        let marker = stack.at(12);
        for garbage in [
            0x0000_dead_beef_0000,
            stack.at(8),
            stack.at(20),
            stack.at(64),
            1,
        ] {
            stack.0[16] = garbage;
            let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
            let ips: Vec<usize> = frames.iter().map(|f| f.ip).collect();
            assert_eq!(ips, [0x3000], "chain word {garbage:#x}");
        }
    }

    #[test]
    fn garbage_return_address_ends_the_walk() {
        let mut stack = chained();
        stack.0[32 + 2] = 0x4001;
        let marker = stack.at(12);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker }, None);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn start_outside_the_stack_visits_nothing() {
        let stack = chained();
        let frames = walk(&stack, 0x10, TraceStart::CallerOf { marker: 0x20 }, None);
        assert!(frames.is_empty());
    }

    #[test]
    fn interrupted_visits_ip_link_guess_and_chain() {
        let stack = chained();
        let start = TraceStart::Interrupted {
            ip: 0x9000,
            sp: stack.at(16),
            fp: stack.at(16),
            link: 0x8000,
        };
        let frames = walk(&stack, 0, start, None);
        let got: Vec<(usize, bool)> = frames.iter().map(|f| (f.ip, f.reliable)).collect();
        assert_eq!(
            got,
            [
                (0x9000, true),
                (0x8000, false),
                (0x4000, true),
                (0x5000, true)
            ]
        );
        // The same link as the interrupted function saved: no guess.
        let start = TraceStart::Interrupted {
            ip: 0x9000,
            sp: stack.at(16),
            fp: stack.at(16),
            link: 0x4000,
        };
        let ips: Vec<usize> = walk(&stack, 0, start, None).iter().map(|f| f.ip).collect();
        assert_eq!(ips, [0x9000, 0x4000, 0x5000]);
    }

    #[test]
    fn crosses_an_interrupt_frame() {
        // Handler frame at 0 -> interrupt frame at 8 (nip at word 4, lr at word 5) ->
        // interrupted r1 at 16 -> 32 -> 48.
        let mut stack = chained();
        let layout = InterruptFrame {
            return_address: 0x7000,
            nip: 4 * 8,
            link: 5 * 8,
            size: 8 * 8,
        };
        stack.frame(0, stack.at(8), 0x1000);
        stack.frame(8, stack.at(16), 0x7000);
        stack.0[8 + 4] = 0x9000;
        stack.0[8 + 5] = 0x8000;
        let marker = stack.at(4);
        let frames = walk(
            &stack,
            stack.at(0),
            TraceStart::CallerOf { marker },
            Some(layout),
        );
        let got: Vec<(usize, usize, bool)> =
            frames.iter().map(|f| (f.ip, f.frame, f.reliable)).collect();
        assert_eq!(
            got,
            [
                (0x7000, stack.at(8), true),
                (0x9000, stack.at(16), true),
                (0x8000, stack.at(16), false),
                (0x4000, stack.at(32), true),
                (0x5000, stack.at(48), true),
            ]
        );
    }
}
