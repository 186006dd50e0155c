//! Small tools the cases share: checks that explain themselves, a look at the captured
//! console, and test data.

use core::panic::Location;

use mightfault_core::console;

use crate::machine::SeedMachine;

/// Fails the case, printing where and why, unless `cond` holds.
macro_rules! check {
    ($machine:ty, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            mightfault_core::kprint!(
                $machine,
                "    # check failed at {}:{}: {}: ",
                file!(),
                line!(),
                stringify!($cond)
            );
            mightfault_core::kprint!($machine, $($msg)+);
            mightfault_core::kprint!($machine, "\n");
            return $crate::ktap::Outcome::Fail;
        }
    };
}
pub(crate) use check;

/// The first words of Linux's sleeping-function report, up to the file:line it names.
pub(crate) const SLEEP_BUG: &str = "BUG: sleeping function called from invalid context at ";

/// The caller's source location, to compare with the one a report names.
#[track_caller]
pub(crate) fn here() -> &'static Location<'static> {
    Location::caller()
}

/// A place in the code as a report names it: its source location and, where the machine's
/// stack walker finds one, a code address inside the same function.
#[derive(Clone, Copy)]
pub(crate) struct CodeSite {
    pub(crate) location: &'static Location<'static>,
    pub(crate) ip: usize,
}

impl core::fmt::Display for CodeSite {
    fn fmt(&self, out: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(out, "{}", self.location)
    }
}

/// The caller's [`CodeSite`]: its `file:line`, and the address this call returns to, which
/// lies in the same function as the code on the caller's next line (a lock taken there, say),
/// however the compiler inlined the caller.
#[track_caller]
#[inline(never)]
pub(crate) fn code_site<M: SeedMachine>() -> CodeSite {
    let marker = mightfault_core::frame_marker!();
    CodeSite {
        location: Location::caller(),
        ip: mightfault_core::call_trace::return_address::<M>(marker),
    }
}

/// Whether `text` has `prefix` directly followed by the way a report names `site`: the
/// function `site.ip` lies in as `name+0x` (after an optional `[<address>] `, as
/// `print_ip_sym()` prints it) when the machine can name it, else `site`'s `file:line`.
pub(crate) fn names_site<M: SeedMachine>(text: &str, prefix: &str, site: &CodeSite) -> bool {
    let Some(name) = function_name::<M>(site.ip) else {
        return names_location(text, prefix, site.location);
    };
    text.match_indices(prefix).any(|(start, _)| {
        let mut rest = &text[start + prefix.len()..];
        if let Some(after) = rest.strip_prefix("[<") {
            match after.find(">] ") {
                Some(16) => rest = &after[16 + 3..],
                _ => return false,
            }
        }
        rest.strip_prefix(name.as_str())
            .is_some_and(|after| after.starts_with("+0x"))
    })
}

/// The name the machine prints for the function `ip` lies in (the part of `%pS` before
/// `+0x`), or `None` when it cannot name it.
pub(crate) fn function_name<M: SeedMachine>(ip: usize) -> Option<Line<256>> {
    if ip == 0 {
        return None;
    }
    let printed = Line::<256>::format(format_args!(
        "{}",
        mightfault_core::call_trace::symbolized::<M>(ip)
    ));
    let end = printed.as_str().rfind("+0x")?;
    Some(Line::<256>::format(format_args!(
        "{}",
        &printed.as_str()[..end]
    )))
}

/// Stops the console capture and lets `inspect` read the text captured since the case began.
pub(crate) fn captured<M: SeedMachine, R>(inspect: impl FnOnce(&str) -> R) -> R {
    console::capture_stop::<M, R>(|buffer| inspect(buffer.text()))
}

/// Whether `text` has `prefix` directly followed by `location` as `file:line`.
pub(crate) fn names_location(text: &str, prefix: &str, location: &Location<'_>) -> bool {
    text.match_indices(prefix).any(|(start, _)| {
        let rest = &text[start + prefix.len()..];
        let Some(after_file) = rest.strip_prefix(location.file()) else {
            return false;
        };
        let Some(digits) = after_file.strip_prefix(':') else {
            return false;
        };
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits[..end].parse::<u32>() == Ok(location.line())
    })
}

/// How many times `needle` occurs in `text`.
pub(crate) fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

/// A recognisable, non-zero byte pattern.
pub(crate) const fn pattern<const N: usize>(seed: u8) -> [u8; N] {
    let mut bytes = [0u8; N];
    let mut index = 0;
    while index < N {
        bytes[index] = seed.wrapping_add((index as u8).wrapping_mul(7)) | 1;
        index += 1;
    }
    bytes
}

/// Kernel memory that accessors are pointed at to show they never touch it.
pub(crate) static KERNEL_CANARY: [u8; 64] = pattern::<64>(0x5a);

/// The canary's address: a kernel address on every backend.
pub(crate) fn kernel_addr() -> usize {
    KERNEL_CANARY.as_ptr() as usize
}

/// Whether the canary still holds its pattern (read through a volatile pointer so that the
/// compiler cannot assume the static is unchanged).
pub(crate) fn canary_intact() -> bool {
    let expected = pattern::<64>(0x5a);
    (0..64).all(|index| {
        // SAFETY: index < 64 stays inside the static; a volatile read of a u8 is always valid.
        let byte = unsafe { core::ptr::read_volatile(KERNEL_CANARY.as_ptr().add(index)) };
        byte == expected[index]
    })
}

/// A line formatted into a fixed buffer (the suites have no allocator); text that does not fit
/// is cut.
pub(crate) struct Line<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Line<N> {
    /// Formats `args` into a new line.
    pub(crate) fn format(args: core::fmt::Arguments<'_>) -> Self {
        let mut line = Self {
            bytes: [0; N],
            len: 0,
        };
        // A full buffer only cuts the line; the comparison that uses it then fails loudly.
        let _ = core::fmt::write(&mut line, args);
        line
    }

    /// The text written so far.
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> core::fmt::Write for Line<N> {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let room = N - self.len;
        let take = text.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&text.as_bytes()[..take]);
        self.len += take;
        if take < text.len() {
            Err(core::fmt::Error)
        } else {
            Ok(())
        }
    }
}
