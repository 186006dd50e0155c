//! The sleeping-function report, line by line, as Linux prints it: the check behind the seed
//! case `spinlock_copy_to_user_warns` on every backend (host and images).
//!
//! Each line is compared with Linux's format byte for byte, except the parts that differ from
//! run to run, which are masked: addresses (16 hex digits), the cpu number, a function's
//! `+0xoffset/0xsize`. The call trace is checked for its shape in the machine's style and for
//! its top frames: the reporter, then `might_fault`'s slow path, then the test function.

// A mismatch is explained in a fixed buffer (the images have no allocator); it is returned
// once per report checked, so its size costs nothing that matters.
#![allow(clippy::result_large_err)]

use core::fmt::Write;
use core::panic::Location;

use mightfault_core::call_trace::CallTraceStyle;
use mightfault_core::config;

use crate::machine::SeedMachine;
use crate::support::{function_name, CodeSite, Line};

/// What the report must name.
pub(crate) struct ExpectedReport<'a> {
    /// The `file:line` of the sleeping call.
    pub(crate) sleep_at: &'a Location<'static>,
    /// A code address in the function that made the sleeping call (its call-trace frame).
    pub(crate) caller: CodeSite,
    /// The held lock's name.
    pub(crate) lock_name: &'a str,
    /// Where the lock was taken.
    pub(crate) lock_site: CodeSite,
}

/// Why a report does not have Linux's shape: the line and what was expected of it.
pub(crate) type Mismatch = Line<320>;

fn mismatch(index: usize, line: &str, expected: &str) -> Mismatch {
    Line::format(format_args!(
        "report line {index}: {line:?}, expected {expected}"
    ))
}

/// Whether `text` starts with exactly `n` lowercase hex digits and then `rest`.
fn hex_then(text: &str, n: usize) -> Option<&str> {
    let digits = text.get(..n)?;
    digits
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        .then(|| &text[n..])
}

/// Splits a `%pS` at the start of `text`: `name+0xoff/0xsize` (the size is left out by the
/// host) or a bare `0x...`; returns the name (empty for a bare address) and the rest.
fn symbol(text: &str) -> Option<(&str, &str)> {
    if let Some(hex) = text.strip_prefix("0x") {
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        return (end > 0).then(|| ("", &hex[end..]));
    }
    let plus = text.find("+0x")?;
    let (name, rest) = (&text[..plus], &text[plus + 3..]);
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    if name.is_empty() || end == 0 {
        return None;
    }
    let mut rest = &rest[end..];
    if let Some(size) = rest.strip_prefix("/0x") {
        let end = size
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(size.len());
        if end == 0 {
            return None;
        }
        rest = &size[end..];
    }
    Some((name, rest))
}

/// The function a call-trace line names, if the line has the machine's frame shape.
fn frame_name(style: CallTraceStyle, line: &str) -> Option<&str> {
    let (name, rest) = match style {
        CallTraceStyle::X86 | CallTraceStyle::Plain => {
            let body = line.strip_prefix(' ')?;
            let body = body.strip_prefix("? ").unwrap_or(body);
            symbol(body)?
        }
        CallTraceStyle::S390 => {
            if let Some(body) = line.strip_prefix("([<") {
                let (name, rest) = symbol(hex_then(body, 16)?.strip_prefix(">] ")?)?;
                (name, rest.strip_prefix(')')?)
            } else {
                let body = line.strip_prefix(" [<")?;
                let (name, rest) = symbol(hex_then(body, 16)?.strip_prefix(">] ")?)?;
                (name, rest.strip_prefix(' ')?)
            }
        }
        CallTraceStyle::Powerpc => {
            let body = hex_then(line.strip_prefix('[')?, 16)?.strip_prefix("] [")?;
            let (name, rest) = symbol(hex_then(body, 16)?.strip_prefix("] ")?)?;
            (name, rest.strip_prefix(" (unreliable)").unwrap_or(rest))
        }
    };
    rest.is_empty().then_some(name)
}

/// Checks a held-lock or preempt-disable site: `name+0x..` of the function `site` is in when
/// the machine can name it, else `site`'s `file:line`.
fn site_matches<M: SeedMachine>(text: &str, site: &CodeSite) -> bool {
    match function_name::<M>(site.ip) {
        Some(name) => symbol(text).is_some_and(|(n, rest)| n == name.as_str() && rest.is_empty()),
        None => {
            let at = Line::<160>::format(format_args!(
                "{}:{}",
                site.location.file(),
                site.location.line()
            ));
            text == at.as_str()
        }
    }
}

/// Checks the first sleeping-function report in `text` against Linux's format, line by line.
pub(crate) fn check_sleep_report<M: SeedMachine>(
    text: &str,
    expected: &ExpectedReport<'_>,
) -> Result<(), Mismatch> {
    let start = text
        .find("BUG: sleeping function called from invalid context at ")
        .ok_or_else(|| Line::format(format_args!("no sleeping-function report")))?;
    let mut lines = text[start..].lines().enumerate().peekable();
    let mut next = |what: &str| {
        lines
            .next()
            .ok_or_else(|| Line::format(format_args!("the report ends before {what}")))
    };
    let task = M::current_task();
    let (pid, name) = (task.pid(), task.name());
    let exact = |line: (usize, &str), expected: core::fmt::Arguments<'_>| {
        let want = Line::<320>::format(expected);
        if line.1 == want.as_str() {
            Ok(())
        } else {
            Err(mismatch(line.0, line.1, want.as_str()))
        }
    };
    exact(
        next("the BUG line")?,
        format_args!(
            "BUG: sleeping function called from invalid context at {}:{}",
            expected.sleep_at.file(),
            expected.sleep_at.line()
        ),
    )?;
    exact(
        next("in_atomic")?,
        format_args!("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: {pid}, name: {name}"),
    )?;
    exact(
        next("preempt_count")?,
        format_args!("preempt_count: 1, expected: 0"),
    )?;
    if config::PREEMPT {
        exact(
            next("RCU nest depth")?,
            format_args!("RCU nest depth: 0, expected: 0"),
        )?;
    }
    exact(
        next("the lock count")?,
        format_args!("1 lock held by {name}/{pid}:"),
    )?;
    // ` #0: <16 hex digits> (name){....}-{2:2}, at: site`
    let (index, line) = next("the held lock")?;
    let lock_ok = line
        .strip_prefix(" #0: ")
        .and_then(|rest| hex_then(rest, 16))
        .and_then(|rest| rest.strip_prefix(" ("))
        .and_then(|rest| rest.strip_prefix(expected.lock_name))
        .and_then(|rest| rest.strip_prefix("){....}-{2:2}, at: "))
        .is_some_and(|site| site_matches::<M>(site, &expected.lock_site));
    if !lock_ok {
        return Err(mismatch(
            index,
            line,
            "\" #0: <address> (lock){....}-{2:2}, at: <where it was taken>\"",
        ));
    }
    if config::DEBUG_PREEMPT {
        exact(
            next("Preemption disabled at")?,
            format_args!("Preemption disabled at:"),
        )?;
        let (index, line) = next("the preempt-disable site")?;
        let site = match line.strip_prefix("[<") {
            Some(rest) => hex_then(rest, 16).and_then(|rest| rest.strip_prefix(">] ")),
            None => Some(line),
        };
        if !site.is_some_and(|site| site_matches::<M>(site, &expected.lock_site)) {
            return Err(mismatch(
                index,
                line,
                "\"[<address>] <where the lock was taken>\"",
            ));
        }
    }
    // dump_stack_print_info(): `CPU: %d UID: %u PID: %d Comm: %.20s %s%s %s %.*s %s `.
    let (index, line) = next("the CPU line")?;
    let model = if config::PREEMPT { "PREEMPT" } else { "NONE" };
    let tainted = "Tainted: G        W           ";
    let mut is_tainted = false;
    let cpu_ok = line
        .strip_prefix("CPU: ")
        .and_then(|rest| {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            (digits > 0).then(|| &rest[digits..])
        })
        .and_then(|rest| {
            let tail = Line::<160>::format(format_args!(" UID: 0 PID: {pid} Comm: {name} "));
            rest.strip_prefix(tail.as_str())
        })
        .and_then(|rest| {
            if let Some(rest) = rest.strip_prefix("Not tainted") {
                Some(rest)
            } else {
                is_tainted = true;
                rest.strip_prefix(tainted)
            }
        })
        .is_some_and(|rest| {
            let tail = Line::<160>::format(format_args!(" {} #1 {model} ", M::RELEASE));
            rest == tail.as_str()
        });
    if !cpu_ok {
        return Err(mismatch(
            index,
            line,
            "\"CPU: <n> UID: 0 PID: <pid> Comm: <name> Not tainted|Tainted: G        W           <release> #1 <model> \"",
        ));
    }
    if is_tainted {
        exact(next("the taint line")?, format_args!("Tainted: [W]=WARN"))?;
    }
    if let Some(hardware) = M::HARDWARE_NAME {
        exact(
            next("Hardware name")?,
            format_args!("Hardware name: {hardware}"),
        )?;
    }
    exact(next("Call Trace")?, format_args!("Call Trace:"))?;
    let style = M::CALL_TRACE_STYLE;
    if style == CallTraceStyle::X86 {
        exact(next("<TASK>")?, format_args!(" <TASK>"))?;
    }
    // The frames, up to the first line that is not one.
    let mut names: [&str; 8] = [""; 8];
    let mut frames = 0;
    while let Some(&(_, line)) = lines.peek() {
        let Some(frame) = frame_name(style, line) else {
            break;
        };
        if frames < names.len() {
            names[frames] = frame;
        }
        frames += 1;
        lines.next();
    }
    if style == CallTraceStyle::X86 {
        let closing = lines
            .next()
            .ok_or_else(|| Line::format(format_args!("the report ends before </TASK>")))?;
        exact(closing, format_args!(" </TASK>"))?;
    }
    check_top_frames::<M>(&names[..frames.min(names.len())], expected)
}

/// The top frames: the reporter first, then `might_fault`'s slow path, then (among the next
/// few) the function that made the call.
fn check_top_frames<M: SeedMachine>(
    names: &[&str],
    expected: &ExpectedReport<'_>,
) -> Result<(), Mismatch> {
    let mut listed = Line::<320>::format(format_args!(""));
    for name in names {
        let _ = write!(listed, "{name}; ");
    }
    let fail = |why: &str| Line::format(format_args!("call trace: {why}: {}", listed.as_str()));
    if names.is_empty() {
        return Err(fail("no frames"));
    }
    if !names[0].ends_with("report_sleep_in_atomic") {
        return Err(fail("the first frame is not the reporter"));
    }
    let Some(slow) = names.iter().position(|n| n.contains("might_fault")) else {
        return Err(fail("no might_fault frame"));
    };
    if let Some(caller) = function_name::<M>(expected.caller.ip) {
        if !names[slow..].contains(&caller.as_str()) {
            return Err(fail("the calling function is not among the top frames"));
        }
    }
    Ok(())
}

/// Checks every report in `text` that begins with `header`: it carries a call trace in the
/// machine's style, whose top frames (the first eight) name `primitive` (a part of the
/// reporting function's name) and, when `caller` is given and the machine can name it, the
/// function that called the primitive. Returns how many reports it checked.
pub(crate) fn check_traces<M: SeedMachine>(
    text: &str,
    header: &str,
    primitive: &str,
    caller: Option<&CodeSite>,
) -> Result<usize, Mismatch> {
    let style = M::CALL_TRACE_STYLE;
    let caller_name = caller.and_then(|site| function_name::<M>(site.ip));
    let mut checked = 0;
    for (start, _) in text.match_indices(header) {
        let report = &text[start..];
        let Some(trace_at) = report.find("\nCall Trace:\n") else {
            return Err(Line::format(format_args!(
                "report {checked} ({header}) has no call trace"
            )));
        };
        let mut names: [&str; 8] = [""; 8];
        let mut frames = 0;
        for line in report[trace_at + 13..].lines() {
            if style == CallTraceStyle::X86 && (line == " <TASK>" || line == " <IRQ>") {
                continue;
            }
            let Some(name) = frame_name(style, line) else {
                break;
            };
            if frames < names.len() {
                names[frames] = name;
            }
            frames += 1;
        }
        let top = &names[..frames.min(names.len())];
        let mut listed = Line::<320>::format(format_args!(""));
        for name in top {
            let _ = write!(listed, "{name}; ");
        }
        if top.is_empty() {
            return Err(Line::format(format_args!(
                "report {checked} ({header}): an empty call trace"
            )));
        }
        // A machine without names prints bare addresses: only the shape is checked then.
        let named = top.iter().any(|name| !name.is_empty());
        if named && !top.iter().any(|name| name.contains(primitive)) {
            return Err(Line::format(format_args!(
                "report {checked} ({header}): no `{primitive}` frame: {}",
                listed.as_str()
            )));
        }
        if let Some(caller) = &caller_name {
            if !top.contains(&caller.as_str()) {
                return Err(Line::format(format_args!(
                    "report {checked} ({header}): `{}` not among the top frames: {}",
                    caller.as_str(),
                    listed.as_str()
                )));
            }
        }
        checked += 1;
    }
    Ok(checked)
}
