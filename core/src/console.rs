//! Printing reports to the machine's console, and capturing them for tests.
//!
//! A report is formatted into a stack buffer and handed to the backend in as few calls as
//! possible, so that a report from one cpu is not torn apart by another cpu's output. Tests
//! can arm a capture (as KUnit keeps a per-test log) to check what was printed.

use core::fmt::{self, Write};

use crate::arch::Arch;

/// Bytes kept by the capture; output past it is dropped and flagged.
pub const CAPTURE_BYTES: usize = 8192;
const LINE_BYTES: usize = 512;

/// What the console printed while a capture was armed.
pub struct CaptureBuffer {
    armed: bool,
    overflowed: bool,
    len: usize,
    bytes: [u8; CAPTURE_BYTES],
}

impl CaptureBuffer {
    pub(crate) const fn new() -> Self {
        Self {
            armed: false,
            overflowed: false,
            len: 0,
            bytes: [0; CAPTURE_BYTES],
        }
    }

    fn append(&mut self, text: &str) {
        if !self.armed {
            return;
        }
        let room = CAPTURE_BYTES - self.len;
        let take = text.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        self.overflowed |= take < text.len();
    }

    /// The captured text (cut at a character boundary if it overflowed).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn text(&self) -> &str {
        let bytes = &self.bytes[..self.len];
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => core::str::from_utf8(&bytes[..err.valid_up_to()]).unwrap_or(""),
        }
    }

    /// Whether more was printed than the buffer holds.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

/// Collects formatted text and sends it to the console (and the capture) in large pieces.
struct ReportWriter<A: Arch> {
    len: usize,
    bytes: [u8; LINE_BYTES],
    _arch: core::marker::PhantomData<A>,
}

impl<A: Arch> ReportWriter<A> {
    fn new() -> Self {
        Self {
            len: 0,
            bytes: [0; LINE_BYTES],
            _arch: core::marker::PhantomData,
        }
    }

    fn flush(&mut self) {
        if self.len == 0 {
            return;
        }
        // Only whole &str pieces are ever copied in, so the buffer is valid UTF-8.
        let text = core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("");
        emit::<A>(text);
        self.len = 0;
    }
}

impl<A: Arch> Write for ReportWriter<A> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.len + text.len() > LINE_BYTES {
            self.flush();
        }
        if text.len() > LINE_BYTES {
            emit::<A>(text);
        } else {
            self.bytes[self.len..self.len + text.len()].copy_from_slice(text.as_bytes());
            self.len += text.len();
        }
        Ok(())
    }
}

fn emit<A: Arch>(text: &str) {
    A::console_write(text);
    // An interrupt that prints while this cpu holds the capture lock must not deadlock:
    // its text still reaches the console, only the capture misses it.
    if let Some(mut capture) = A::debug_state().capture.try_lock() {
        capture.append(text);
    }
}

/// Prints formatted text to the console (and to an armed capture).
///
/// # Context
/// Never sleeps; any context, including with interrupts disabled.
pub fn print<A: Arch>(args: fmt::Arguments<'_>) {
    let mut writer = ReportWriter::<A>::new();
    // Writing to the buffer cannot fail; a Display impl that fails only cuts its own output.
    let _ = writer.write_fmt(args);
    writer.flush();
}

/// Writes a report through `write`, which may print many lines: the text reaches the console
/// (and an armed capture) in pieces of up to 512 bytes, whole lines where they fit, so a
/// report from one cpu is torn by another cpu's output at most at those seams.
///
/// # Context
/// Never sleeps; any context, including with interrupts disabled.
pub fn report<A: Arch>(write: impl FnOnce(&mut dyn Write) -> fmt::Result) {
    let mut writer = ReportWriter::<A>::new();
    // Writing to the buffer cannot fail; a failing Display impl only cuts its own output.
    let _ = write(&mut writer);
    writer.flush();
}

/// [`report`] for a report that ends with a call trace: `write` also gets a stack marker (see
/// `crate::call_trace::TraceStart::CallerOf`) whose trace starts with the function that
/// called this one, the reporter, as Linux's traces start with `dump_stack_lvl`'s caller chain.
///
/// # Context
/// Never sleeps; any context, including with interrupts disabled.
#[inline(never)]
pub fn report_with_trace<A: Arch>(write: impl FnOnce(&mut dyn Write, usize) -> fmt::Result) {
    let marker = crate::frame_marker!();
    report::<A>(|out| write(out, marker));
}

/// Starts capturing console output, discarding anything captured before.
///
/// # Context
/// Never sleeps; any context.
pub fn capture_start<A: Arch>() {
    let mut capture = A::debug_state().capture.lock();
    capture.armed = true;
    capture.overflowed = false;
    capture.len = 0;
}

/// Stops capturing and lets `inspect` read what was captured.
///
/// # Context
/// Never sleeps; any context. `inspect` runs with the capture locked and must not print.
pub fn capture_stop<A: Arch, R>(inspect: impl FnOnce(&CaptureBuffer) -> R) -> R {
    let mut capture = A::debug_state().capture.lock();
    capture.armed = false;
    inspect(&capture)
}

/// `print!` for a backend: `kprint!(A, "x = {}\n", x)`.
#[macro_export]
macro_rules! kprint {
    ($arch:ty, $($arg:tt)*) => {
        $crate::console::print::<$arch>(format_args!($($arg)*))
    };
}
