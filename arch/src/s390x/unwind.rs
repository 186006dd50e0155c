//! The s390x back-chain unwinder, as Linux's s390 `show_stack()` walks the stack
//! (arch/s390/kernel/unwind_bc.c) in a kernel built with `-mbackchain` (rustc:
//! `-C target-feature=+backchain`, which the images of this repository set).
//!
//! The frame layout is the s390x ELF ABI's standard (not packed) stack. A function that calls
//! out first saves its registers in its *caller's* frame (`stmg %r6,%r15,48(%r15)`: r6 at 48
//! up to r15 at 120, so its return address, r14, at [`R14_SAVE`] = 112), then allocates its own
//! frame and, with the back chain on, stores the caller's r15 at 0 of it:
//!
//! ```text
//! caller's frame  S_C + 0     back chain (the caller's caller's frame; 0 at the outermost)
//!                 S_C + 112   r14 of the function it called: the return address into the caller
//!                 S_C + 160.. the caller's locals
//! callee's frame  S   + 0     S_C
//! ```
//!
//! So the frame `next = *S` above frame `S` holds, at 112, a return address into the function
//! that owns `next`: the walk reads `next`, then `ip = *(next + 112)`, as Linux's
//! `unwind_next_frame()` does. A frame the walk reads must lie wholly inside the stack range
//! the kernel gives (the 160 bytes of its register save area), be 8-byte aligned (the ABI keeps
//! r15 so) and lie strictly above the previous one; a return address must be inside the
//! kernel's text and even (instructions are halfword aligned); at most [`MAX_STEPS`] frames
//! are read. A corrupt back chain ends the trace; nothing outside the stack range is read.
//!
//! A zero back chain is the end of a chain. Above it there may be the saved state of an
//! interruption ([`InterruptFrame`]): Linux's entry code and the bundled kernel's both build
//! their frame on the interrupted stack, below the interrupted r15, with a zero back chain and
//! the saved registers and old PSW right above the 160-byte save area. The walk then continues
//! into the interrupted code: the old PSW's address (reliable), a guess at the interrupted
//! function's return address (the r14 slot of the interrupted r15's save area, as Linux reads
//! it: printed in parentheses, skipped when outside the text or equal to the PSW address),
//! then the back chain from the interrupted r15. An interruption from the problem state (user
//! code), or a zero back chain with no room for the saved state above it (the top of a stack),
//! ends the walk.

use core::ops::Range;

use mightfault_core::call_trace::{StackFrame, TraceStart};

use crate::stack_range::{StackRange, StackReader};

/// Byte offset of the back chain (the caller's r15) in a frame.
pub const BACK_CHAIN: usize = 0;
/// Byte offset, in a frame, of the r14 a function it calls saves there: the return address
/// into the frame's owner (`gprs[8]` of Linux's `struct stack_frame`, whose save area holds
/// r6 to r15 from offset 48).
pub const R14_SAVE: usize = 112;
/// The register save area every frame has for its callees (Linux's `STACK_FRAME_OVERHEAD`):
/// the bytes of a frame the walk reads.
pub const STACK_FRAME_OVERHEAD: usize = 160;
/// Frames are doubleword aligned (the ABI keeps r15 8-byte aligned).
pub const FRAME_ALIGN: usize = 8;
/// At most this many frames are read by one walk (the strictly-rising rule already rules out
/// loops; this bounds a long chain of plausible garbage).
pub const MAX_STEPS: usize = 64;

/// PSW bit 15, the problem state: the interruption came from user code.
const PSW_MASK_PSTATE: usize = 1 << 48;
/// PSW bits 31-32, the 64-bit addressing mode every kernel PSW has.
const PSW_MASK_64BIT: usize = (1 << 32) | (1 << 31);

/// Where a kernel's interruption entry keeps the interrupted state, so that a walk from inside
/// a handler crosses into the interrupted code.
///
/// The entry must build its first frame on the interrupted stack, below the interrupted r15,
/// with a zero back chain, and keep the saved state at `offset` bytes above that frame's stack
/// pointer (Linux: its `struct pt_regs`, at [`STACK_FRAME_OVERHEAD`]); the other offsets are
/// relative to the saved state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptFrame {
    /// Bytes from the entry frame's stack pointer (the one with the zero back chain) to the
    /// saved state.
    pub offset: usize,
    /// Bytes of the saved state: the walk reads it only when all of it lies inside the stack.
    pub size: usize,
    /// Offset of the old PSW's mask (doubleword).
    pub psw_mask: usize,
    /// Offset of the old PSW's address: the interrupted instruction (or the next one).
    pub psw_addr: usize,
    /// Offset of the interrupted r15.
    pub r15: usize,
}

/// The current stack pointer (r15): the frame of the function this is inlined into, once its
/// prologue has run.
///
/// # Context
/// Never sleeps; any context.
#[cfg(target_arch = "s390x")]
#[inline(always)]
pub fn current_frame() -> usize {
    let sp: usize;
    // SAFETY: copies r15; reads and writes no memory.
    unsafe {
        core::arch::asm!("lgr {}, %r15", out(reg) sp, options(nomem, nostack, preserves_flags));
    }
    sp
}

/// Walks the current stack from `start` (see [`TraceStart`]), innermost frame first, calling
/// `visit` for each frame until it returns false or the chain ends.
///
/// `stack` is the stack in use (the running task's: on the bundled kernel, interruptions run
/// on the interrupted task's stack); `text` is the kernel's text, where every return address
/// must lie; `interrupt` describes the kernel's interruption frames, if the walk should cross
/// them. [`TraceStart::Interrupted`] uses `ip` and `sp` (r15); `fp` and `link` are not used:
/// Linux's guess at an interrupted function's return address is the r14 slot of its frame,
/// not the r14 of the saved registers.
///
/// # Safety
/// Every byte of `stack` is readable memory for the whole walk (a kernel's mapped task stack).
/// Nothing outside it is read.
///
/// # Context
/// Never sleeps; any context, including fault and interruption handlers and with interrupts
/// masked.
#[cfg(target_arch = "s390x")]
#[inline(never)]
pub unsafe fn walk_stack(
    start: TraceStart,
    stack: StackRange,
    text: Range<usize>,
    interrupt: Option<InterruptFrame>,
    visit: &mut dyn FnMut(StackFrame) -> bool,
) {
    let sp = current_frame();
    // SAFETY: the caller's contract; r15 is this function's own frame (or, were the call a tail
    // call, its caller's), below every frame of its callers.
    unsafe { walk_from(sp, start, stack, text, interrupt, visit) }
}

/// `walk_stack` (on s390x) from frame `sp`, which must be the frame of the caller or of a function it
/// called (for [`TraceStart::CallerOf`]; ignored for [`TraceStart::Interrupted`]). Pure (no
/// instruction of the arch), so it also runs on a made-up stack in a host test.
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
    text: Range<usize>,
    interrupt: Option<InterruptFrame>,
    visit: &mut dyn FnMut(StackFrame) -> bool,
) {
    let mut walk = Walk {
        // SAFETY: the caller's contract: `stack` is readable for the whole walk.
        stack: unsafe { StackReader::new(stack, MAX_STEPS) },
        text,
        interrupt,
        visit,
    };
    match start {
        TraceStart::CallerOf { marker } => walk.caller_of(sp, marker),
        TraceStart::Interrupted { ip, sp, .. } => walk.interrupted(ip, sp),
    }
}

/// The frame above another, as the walk found it.
enum Next {
    /// Through a non-zero back chain: the frame and the return address into its owner.
    Call { sp: usize, ip: usize },
    /// Across an interruption's saved state: the interrupted r15 and PSW address.
    Interrupted { sp: usize, ip: usize },
}

/// One walk's bounds, budget and visitor.
struct Walk<'a> {
    stack: StackReader,
    text: Range<usize>,
    interrupt: Option<InterruptFrame>,
    visit: &'a mut dyn FnMut(StackFrame) -> bool,
}

impl Walk<'_> {
    /// Whether the save area of a frame at `sp` may be read: aligned and inside the stack.
    fn frame_ok(&self, sp: usize) -> bool {
        self.stack.holds(sp, STACK_FRAME_OVERHEAD, FRAME_ALIGN)
    }

    /// The doubleword at `addr`, if it lies inside the stack and is aligned.
    fn read(&self, addr: usize) -> Option<usize> {
        self.stack.read_word(addr)
    }

    /// Whether `ip` may be a return address (or an interrupted instruction): inside the text,
    /// on an instruction boundary.
    fn plausible_ip(&self, ip: usize) -> bool {
        ip != 0 && ip.is_multiple_of(2) && self.text.contains(&ip)
    }

    /// Passes one frame to the visitor; false when the walk should stop.
    fn emit(&mut self, ip: usize, frame: usize, reliable: bool) -> bool {
        (self.visit)(StackFrame {
            ip,
            frame,
            reliable,
        })
    }

    /// The frame above the one at `sp` (which `frame_ok` has checked), within the budget.
    fn next(&mut self, sp: usize) -> Option<Next> {
        if !self.stack.step() {
            return None;
        }
        let chain = self.read(sp + BACK_CHAIN)?;
        if chain != 0 {
            if chain <= sp || !self.frame_ok(chain) {
                return None;
            }
            let ip = self.read(chain + R14_SAVE)?;
            return self
                .plausible_ip(ip)
                .then_some(Next::Call { sp: chain, ip });
        }
        // A zero back chain: the stack's outermost frame, or an interruption entry's frame
        // with the interrupted state above its save area.
        let layout = self.interrupt?;
        let regs = sp.checked_add(layout.offset)?;
        if !self.stack.holds(regs, layout.size, 8) {
            return None;
        }
        let mask = self.read(regs + layout.psw_mask)?;
        if mask & PSW_MASK_PSTATE != 0 || mask & PSW_MASK_64BIT != PSW_MASK_64BIT {
            return None;
        }
        let ip = self.read(regs + layout.psw_addr)?;
        let interrupted_sp = self.read(regs + layout.r15)?;
        // The entry built its frame below the interrupted r15 (the ABI keeps nothing below
        // r15), so the interrupted frame lies above the saved state.
        if interrupted_sp < regs + layout.size || !self.frame_ok(interrupted_sp) {
            return None;
        }
        self.plausible_ip(ip).then_some(Next::Interrupted {
            sp: interrupted_sp,
            ip,
        })
    }

    /// [`TraceStart::CallerOf`]: skips the frames at or below the marker (the report's own
    /// and its helpers'; the marker is a local of the report function G, inside G's frame),
    /// then visits from the first frame above it, G's caller's, whose r14 slot holds G's
    /// return address.
    fn caller_of(&mut self, mut sp: usize, marker: usize) {
        if !self.frame_ok(sp) {
            return;
        }
        loop {
            match self.next(sp) {
                None => return,
                Some(Next::Call { sp: up, ip }) => {
                    if up > marker && !self.emit(ip, up, true) {
                        return;
                    }
                    sp = up;
                }
                Some(Next::Interrupted { sp: up, ip }) => {
                    if up > marker && !self.after_interruption(ip, up) {
                        return;
                    }
                    sp = up;
                }
            }
        }
    }

    /// [`TraceStart::Interrupted`]: the interrupted instruction, then the guess and the chain
    /// from the interrupted r15.
    fn interrupted(&mut self, ip: usize, sp: usize) {
        // The interrupted instruction is printed whatever it is: a branch to a bad address is
        // what the oops is about.
        if !self.emit(ip, sp, true) || !self.frame_ok(sp) {
            return;
        }
        if !self.guess(ip, sp) {
            return;
        }
        self.chain(sp);
    }

    /// Visits the interrupted instruction found in an interruption's saved state, then the
    /// guess; false when the walk should stop.
    fn after_interruption(&mut self, ip: usize, sp: usize) -> bool {
        self.emit(ip, sp, true) && self.guess(ip, sp)
    }

    /// Linux's guess at an interrupted function's return address: the r14 slot of the
    /// interrupted r15's frame. A function stopped in its prologue, or a leaf without a frame,
    /// has its return address there or only in r14; one with a frame has a stale return from
    /// its last callee there. Skipped when implausible or the same as the PSW address. False
    /// when the walk should stop.
    fn guess(&mut self, ip: usize, sp: usize) -> bool {
        match self.read(sp + R14_SAVE) {
            Some(guess) if self.plausible_ip(guess) && guess != ip => self.emit(guess, sp, false),
            _ => true,
        }
    }

    /// Visits every frame above `sp` (which `frame_ok` has checked).
    fn chain(&mut self, mut sp: usize) {
        loop {
            let keep_going = match self.next(sp) {
                None => return,
                Some(Next::Call { sp: up, ip }) => {
                    sp = up;
                    self.emit(ip, up, true)
                }
                Some(Next::Interrupted { sp: up, ip }) => {
                    sp = up;
                    self.after_interruption(ip, up)
                }
            };
            if !keep_going {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// Words in the made-up stack.
    const WORDS: usize = 2048;
    /// A made-up text range; return addresses below lie in it.
    const TEXT: Range<usize> = 0x10_0000..0x20_0000;
    /// A made-up interruption layout: the saved state right above the entry frame's save
    /// area, 4 doublewords: mask, address, r15, spare.
    const LAYOUT: InterruptFrame = InterruptFrame {
        offset: STACK_FRAME_OVERHEAD,
        size: 32,
        psw_mask: 0,
        psw_addr: 8,
        r15: 16,
    };
    /// A kernel PSW mask (DAT, 64-bit).
    const KERNEL_MASK: usize = 0x0400_0001_8000_0000;

    /// A made-up stack of [`WORDS`] doublewords.
    #[repr(C, align(8))]
    struct Stack([usize; WORDS]);

    impl Stack {
        fn new() -> std::boxed::Box<Self> {
            std::boxed::Box::new(Stack([0; WORDS]))
        }
        fn range(&self) -> StackRange {
            let base = self.0.as_ptr() as usize;
            StackRange::new(base, base + WORDS * 8)
        }
        fn at(&self, word: usize) -> usize {
            self.0.as_ptr() as usize + word * 8
        }
        /// A frame at `word` whose back chain is `next` and whose r14 slot holds `r14`.
        fn frame(&mut self, word: usize, next: usize, r14: usize) {
            self.0[word] = next;
            self.0[word + R14_SAVE / 8] = r14;
        }
    }

    fn walk(stack: &Stack, sp: usize, start: TraceStart) -> Vec<StackFrame> {
        let mut seen = Vec::new();
        // SAFETY: the range is the array's own.
        unsafe {
            walk_from(sp, start, stack.range(), TEXT, Some(LAYOUT), &mut |frame| {
                seen.push(frame);
                true
            });
        }
        seen
    }

    fn ips(frames: &[StackFrame]) -> Vec<(usize, bool)> {
        frames.iter().map(|f| (f.ip, f.reliable)).collect()
    }

    /// Four frames (words 0, 30, 60, 90), the outermost with a zero chain; what lies above it
    /// reads as a saved state whose PSW is not a kernel one (all zeros), which ends the walk.
    fn chain_of_four(stack: &mut Stack) {
        let (f1, f2, f3) = (stack.at(30), stack.at(60), stack.at(90));
        stack.frame(0, f1, 0x10_0100);
        stack.frame(30, f2, 0x10_0200);
        stack.frame(60, f3, 0x10_0300);
        stack.frame(90, 0, 0x10_0400);
    }

    #[test]
    fn caller_of_skips_frames_below_the_marker() {
        let mut stack = Stack::new();
        chain_of_four(&mut stack);
        // The marker is a local in frame 30's owner (between 30 and 60): the first frame is
        // frame 60's, whose r14 slot holds the return address into 60's owner.
        let marker = stack.at(40);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker });
        assert_eq!(ips(&frames), [(0x10_0300, true), (0x10_0400, true)]);
        assert_eq!(frames[0].frame, stack.at(60));
        // From the innermost frame with a marker below everything: all frames above it.
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(
            ips(&frames),
            [(0x10_0200, true), (0x10_0300, true), (0x10_0400, true)]
        );
    }

    #[test]
    fn corrupt_chain_ends_the_walk() {
        for bad in [
            0x0000_dead_beef_0000usize, // outside the stack
            1,                          // misaligned, outside
        ] {
            let mut stack = Stack::new();
            chain_of_four(&mut stack);
            stack.0[30] = bad;
            let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
            assert_eq!(ips(&frames), [(0x10_0200, true)], "chain word {bad:#x}");
        }
        // Pointing back down (a loop) or at itself.
        let mut stack = Stack::new();
        chain_of_four(&mut stack);
        stack.0[60] = stack.at(30);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(ips(&frames), [(0x10_0200, true), (0x10_0300, true)]);
        // Misaligned inside the stack.
        let mut stack = Stack::new();
        chain_of_four(&mut stack);
        stack.0[30] = stack.at(60) + 4;
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(ips(&frames), [(0x10_0200, true)]);
        // A frame whose save area would end past the stack's top.
        let mut stack = Stack::new();
        chain_of_four(&mut stack);
        stack.0[90] = stack.at(WORDS - 4);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(
            ips(&frames),
            [(0x10_0200, true), (0x10_0300, true), (0x10_0400, true)]
        );
        // A return address outside the text, or odd.
        for bad_ip in [0x0000_dead_beef_0000usize, 0, 0x10_0301] {
            let mut stack = Stack::new();
            chain_of_four(&mut stack);
            stack.0[60 + R14_SAVE / 8] = bad_ip;
            let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
            assert_eq!(ips(&frames), [(0x10_0200, true)], "ip {bad_ip:#x}");
        }
    }

    #[test]
    fn a_start_outside_the_stack_reads_nothing() {
        let stack = Stack::new();
        let frames = walk(&stack, 0x1000, TraceStart::CallerOf { marker: 0 });
        assert!(frames.is_empty());
        // An interrupted context with a bad r15: only the interrupted instruction.
        let frames = walk(
            &stack,
            0,
            TraceStart::Interrupted {
                ip: 0x10_0042,
                sp: 0x1000,
                fp: 0x1000,
                link: 0x10_0100,
            },
        );
        assert_eq!(ips(&frames), [(0x10_0042, true)]);
    }

    #[test]
    fn a_long_chain_stops_after_max_steps() {
        let mut stack = Stack::new();
        // Frames every 20 words (the save area's 160 bytes), chained to the top: more than
        // MAX_STEPS of them.
        let mut word = 0;
        while word + 40 <= WORDS {
            let next = stack.at(word + 20);
            stack.frame(word, next, 0x10_1000 + word * 2);
            word += 20;
        }
        assert!(word / 20 > MAX_STEPS);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(frames.len(), MAX_STEPS);
    }

    /// An interrupted context: frames at 100 (interrupted function, its caller at 130), the
    /// entry frame at 50 with a zero chain and the saved state at 70 (50 + 160 / 8), and a
    /// handler frame at 0 chaining to it.
    fn interrupted_stack(stack: &mut Stack, mask: usize) {
        let (entry, interrupted, caller) = (stack.at(50), stack.at(100), stack.at(130));
        stack.frame(0, entry, 0);
        stack.frame(50, 0, 0x10_0a00); // the handler's return into the entry stub
        stack.0[70] = mask;
        stack.0[71] = 0x10_0500; // psw address
        stack.0[72] = interrupted; // r15
        stack.frame(100, caller, 0x10_0550); // stale return into the interrupted function
        stack.frame(130, 0, 0x10_0600);
    }

    #[test]
    fn a_walk_crosses_an_interruption() {
        let mut stack = Stack::new();
        interrupted_stack(&mut stack, KERNEL_MASK);
        // From a handler: the entry stub, the interrupted instruction, the guess, the caller.
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(
            ips(&frames),
            [
                (0x10_0a00, true),
                (0x10_0500, true),
                (0x10_0550, false),
                (0x10_0600, true)
            ]
        );
        assert_eq!(frames[1].frame, stack.at(100));
        // A user PSW, or one that is not a 64-bit kernel PSW, ends the walk at the entry.
        for mask in [KERNEL_MASK | PSW_MASK_PSTATE, 0] {
            let mut stack = Stack::new();
            interrupted_stack(&mut stack, mask);
            let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
            assert_eq!(ips(&frames), [(0x10_0a00, true)], "mask {mask:#x}");
        }
        // The saved r15 pointing below the saved state ends it too.
        let mut stack = Stack::new();
        interrupted_stack(&mut stack, KERNEL_MASK);
        stack.0[72] = stack.at(60);
        let frames = walk(&stack, stack.at(0), TraceStart::CallerOf { marker: 0 });
        assert_eq!(ips(&frames), [(0x10_0a00, true)]);
    }

    #[test]
    fn an_interrupted_start_guesses_then_chains() {
        let mut stack = Stack::new();
        interrupted_stack(&mut stack, KERNEL_MASK);
        let start = |sp| TraceStart::Interrupted {
            ip: 0x10_0500,
            sp,
            fp: sp,
            link: 0x10_0777,
        };
        let frames = walk(&stack, 0, start(stack.at(100)));
        assert_eq!(
            ips(&frames),
            [(0x10_0500, true), (0x10_0550, false), (0x10_0600, true)]
        );
        // A guess equal to the interrupted address, or outside the text, is left out.
        for slot in [0x10_0500, 0x0000_dead_beef_0000] {
            stack.0[100 + R14_SAVE / 8] = slot;
            let frames = walk(&stack, 0, start(stack.at(100)));
            assert_eq!(ips(&frames), [(0x10_0500, true), (0x10_0600, true)]);
        }
    }

    #[test]
    fn the_visitor_stops_the_walk() {
        let mut stack = Stack::new();
        chain_of_four(&mut stack);
        let mut count = 0;
        // SAFETY: the range is the array's own.
        unsafe {
            walk_from(
                stack.at(0),
                TraceStart::CallerOf { marker: 0 },
                stack.range(),
                TEXT,
                None,
                &mut |_| {
                    count += 1;
                    false
                },
            );
        }
        assert_eq!(count, 1);
    }
}
