//! KTAP parsing and the pass/fail verdict for one image's serial output.
//!
//! The images print KUnit-style nested KTAP: a top-level document (`KTAP version 1`, `1..1`) whose
//! one test is the `seed` suite, printed as a subtest block indented by four spaces, closed by the
//! top-level `ok 1 seed`. Anything that is not KTAP (kernel log lines such as `BUG: ...`, firmware
//! chatter) may appear anywhere and is ignored. The verdict is strict on purpose: an image that
//! stops early or prints fewer results than it planned has not passed, whatever it printed.
//!
//! As the KTAP specification says, a result with a `# SKIP` directive is a skip whether it reads
//! `ok` or `not ok`. A suite's summary comment (`# seed: pass:9 fail:0 skip:2 total:11`, which
//! KUnit prints after the suite's results) must agree with the results parsed for that suite; a
//! log without one is fine.

/// Spaces per nesting level, as KUnit prints them.
const INDENT: usize = 4;

/// Counts and problems found in one KTAP stream; [`Outcome::passed`] gives the verdict.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Leaf test cases reported `ok` without a `# SKIP` directive.
    pub passed: usize,
    /// Leaf test cases reported `not ok` without a `# SKIP` directive.
    pub failed: usize,
    /// Leaf test cases reported `ok ... # SKIP` or `not ok ... # SKIP`.
    pub skipped: usize,
    /// Every `not ok` line without `# SKIP` (leaf or suite), as `suite/case`, so the report can
    /// name them.
    pub failures: Vec<String>,
    /// Every leaf case reported `ok` without `# SKIP`, as `suite/case`, so that cases a machine
    /// guarantees can be required by name.
    pub passes: Vec<String>,
    /// Every leaf case reported `ok ... # SKIP` or `not ok ... # SKIP`, as `suite/case`.
    pub skips: Vec<String>,
    /// Structural problems: missing or unmet plans, truncated output, misnumbered results,
    /// summary lines that contradict the results.
    pub errors: Vec<String>,
}

impl Outcome {
    /// True when the stream is complete, every plan is met, at least one case ran, and nothing
    /// reported `not ok`.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.errors.is_empty() && self.failed == 0
    }

    /// Number of leaf cases seen, whatever their result.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

/// The results of one (sub)test document's own result lines, counted as KUnit's summary line
/// counts them: a skip is any result with `# SKIP`, a failure any other `not ok`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    pass: usize,
    fail: usize,
    skip: usize,
    total: usize,
}

impl Tally {
    fn add(&mut self, ok: bool, skip: bool) {
        match (ok, skip) {
            (_, true) => self.skip += 1,
            (true, false) => self.pass += 1,
            (false, false) => self.fail += 1,
        }
        self.total += 1;
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pass:{} fail:{} skip:{} total:{}",
            self.pass, self.fail, self.skip, self.total
        )
    }
}

/// One open (sub)test document while parsing.
#[derive(Debug)]
struct Frame {
    depth: usize,
    /// Whether its `KTAP version 1` line was seen (it may follow `# Subtest:` or be missing).
    versioned: bool,
    name: Option<String>,
    plan: Option<usize>,
    results: usize,
    /// Its result lines by kind, for its summary line.
    tally: Tally,
}

impl Frame {
    fn new(depth: usize) -> Self {
        Frame {
            depth,
            versioned: false,
            name: None,
            plan: None,
            results: 0,
            tally: Tally::default(),
        }
    }

    fn label(&self) -> String {
        match (&self.name, self.depth) {
            (Some(n), _) => format!("suite '{n}'"),
            (None, 0) => "top-level KTAP document".to_string(),
            (None, d) => format!("unnamed subtest at depth {d}"),
        }
    }
}

/// One line, classified.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Version,
    Plan(usize),
    Subtest(&'a str),
    Result {
        ok: bool,
        number: usize,
        name: &'a str,
        skip: bool,
    },
    /// `# name: pass:N fail:N skip:N total:N`: the counts a suite (or a parameterized case)
    /// reports for its own results.
    Summary {
        name: &'a str,
        counts: Tally,
    },
    /// A `#` diagnostic, or anything else: not part of the structure.
    Other,
}

/// Reads KUnit's summary comment `# name: pass:N fail:N skip:N total:N` (None for any other
/// line, `# Totals: ...` included, which names no suite).
fn summary(body: &str) -> Option<(&str, Tally)> {
    let rest = body.strip_prefix('#')?.trim_start();
    let (name, counts) = rest.rsplit_once(": ")?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut fields = counts.split_whitespace();
    let mut field = |key: &str| -> Option<usize> {
        fields
            .next()?
            .strip_prefix(key)?
            .strip_prefix(':')?
            .parse()
            .ok()
    };
    let counts = Tally {
        pass: field("pass")?,
        fail: field("fail")?,
        skip: field("skip")?,
        total: field("total")?,
    };
    if fields.next().is_some() {
        return None;
    }
    Some((name, counts))
}

/// Classifies a line with its indentation already removed.
fn classify(body: &str) -> Line<'_> {
    if body == "KTAP version 1" || body == "TAP version 14" {
        return Line::Version;
    }
    if let Some(n) = body.strip_prefix("1..") {
        if let Ok(n) = n.trim_end().parse() {
            return Line::Plan(n);
        }
        return Line::Other;
    }
    if let Some(name) = body.strip_prefix("# Subtest:") {
        return Line::Subtest(name.trim());
    }
    if let Some((name, counts)) = summary(body) {
        return Line::Summary { name, counts };
    }
    let (ok, rest) = if let Some(rest) = body.strip_prefix("ok ") {
        (true, rest)
    } else if let Some(rest) = body.strip_prefix("not ok ") {
        (false, rest)
    } else {
        return Line::Other;
    };
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let Ok(number) = rest[..digits].parse() else {
        return Line::Other;
    };
    let rest = &rest[digits..];
    // "ok 1 name", "ok 1 - name", "ok 1" are all valid; a directive follows " # ".
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("- ").unwrap_or(rest);
    let (name, directive) = match rest.find('#') {
        Some(i) => (rest[..i].trim(), rest[i + 1..].trim()),
        None => (rest.trim(), ""),
    };
    let skip = directive
        .get(..4)
        .is_some_and(|d| d.eq_ignore_ascii_case("skip"));
    Line::Result {
        ok,
        number,
        name,
        skip,
    }
}

/// Splits a raw line into (nesting depth, body), or None if the indentation is not KTAP's.
fn split_indent(line: &str) -> Option<(usize, &str)> {
    let body = line.trim_start_matches(' ');
    let spaces = line.len() - body.len();
    if !spaces.is_multiple_of(INDENT) || body.starts_with(char::is_whitespace) {
        return None;
    }
    Some((spaces / INDENT, body))
}

/// Incremental KTAP parser: feed lines as they arrive, then [`Parser::finish`].
#[derive(Debug, Default)]
pub struct Parser {
    stack: Vec<Frame>,
    outcome: Outcome,
    documents: usize,
    /// The name and results of the subtest closed last, for a summary line printed after the
    /// subtest's result line.
    last_closed: Option<(String, Tally)>,
}

impl Parser {
    /// A parser that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn path(&self, leaf: &str) -> String {
        let mut parts: Vec<&str> = self
            .stack
            .iter()
            .filter_map(|f| f.name.as_deref())
            .collect();
        parts.push(leaf);
        parts.join("/")
    }

    fn error(&mut self, msg: String) {
        self.outcome.errors.push(msg);
    }

    /// Checks a finished frame's plan against what it reported. `unclosed` says why a subtest
    /// never got the result line that should close it, if it did not.
    fn close(&mut self, frame: Frame, unclosed: Option<&str>) {
        let label = frame.label();
        if let Some(name) = &frame.name {
            self.last_closed = Some((name.clone(), frame.tally));
        }
        match frame.plan {
            None => self.error(format!("{label}: missing plan (no `1..N` line)")),
            Some(n) if n != frame.results => self.error(format!(
                "{label}: plan 1..{n} but {} result line(s)",
                frame.results
            )),
            Some(_) => {}
        }
        if let Some(why) = unclosed {
            self.error(format!("{label}: no closing result line ({why})"));
        }
    }

    /// Makes sure a frame exists at `depth` for a plan or result line, opening an implicit one
    /// the way lenient KTAP readers do. Returns false when `depth` cannot be reached.
    fn frame_at(&mut self, depth: usize) -> bool {
        match self.stack.last() {
            Some(top) if top.depth == depth => true,
            Some(top) if top.depth + 1 == depth => {
                self.stack.push(Frame::new(depth));
                true
            }
            None if depth == 0 => {
                self.documents += 1;
                self.error("no `KTAP version 1` line before the first KTAP line".into());
                self.stack.push(Frame::new(0));
                true
            }
            _ => false,
        }
    }

    /// Pops every frame at `depth` or deeper as never closed.
    fn abandon_from(&mut self, depth: usize, why: &str) {
        while self.stack.last().is_some_and(|f| f.depth >= depth) {
            let frame = self.stack.pop().expect("checked non-empty");
            if frame.depth == 0 {
                self.close(frame, None);
            } else {
                self.close(frame, Some(why));
            }
        }
    }

    /// Handles a subtest's opening line (`KTAP version 1` or `# Subtest: name`, in either order).
    fn open_subtest(&mut self, depth: usize, versioned: bool, name: Option<&str>) {
        if let Some(top) = self.stack.last_mut() {
            let fresh = top.depth == depth && top.plan.is_none() && top.results == 0;
            // The other of the two opening lines already made this frame.
            if fresh && ((versioned && !top.versioned) || (name.is_some() && top.name.is_none())) {
                top.versioned |= versioned;
                if let Some(n) = name {
                    top.name = Some(n.to_string());
                }
                return;
            }
        }
        self.abandon_from(depth, "a new subtest began first");
        match self.stack.last() {
            Some(top) if top.depth + 1 == depth => {
                let mut frame = Frame::new(depth);
                frame.versioned = versioned;
                frame.name = name.map(str::to_string);
                self.stack.push(frame);
            }
            _ => self.error(format!(
                "subtest at depth {depth} outside any test document"
            )),
        }
    }

    /// Feeds one line of serial output (without its newline; a trailing `\r` is ignored).
    pub fn feed(&mut self, raw: &str) {
        let mut line = raw.trim_end_matches(['\r', '\n']).trim_end();
        // Firmware may leave a partial line on the console before the first header; the header
        // still counts if it ends the line.
        if self.documents == 0 {
            for header in ["KTAP version 1", "TAP version 14"] {
                if line.ends_with(header) && line.trim_start() != header {
                    line = &line[line.len() - header.len()..];
                }
            }
        }
        let Some((depth, body)) = split_indent(line) else {
            return;
        };
        match classify(body) {
            Line::Other => {}
            Line::Version if depth == 0 => {
                if !self.stack.is_empty() {
                    // The image restarted or printed twice: results can no longer be attributed.
                    self.abandon_from(0, "a second top-level document began");
                    self.error("a second top-level `KTAP version 1` appeared".into());
                }
                self.documents += 1;
                let mut frame = Frame::new(0);
                frame.versioned = true;
                self.stack.push(frame);
            }
            Line::Version => self.open_subtest(depth, true, None),
            Line::Subtest(_) if depth == 0 => {}
            Line::Subtest(name) => self.open_subtest(depth, false, Some(name)),
            Line::Summary { name, counts } => self.check_summary(name, counts),
            Line::Plan(n) => {
                if !self.frame_at(depth) {
                    self.error(format!(
                        "plan 1..{n} at depth {depth} outside any test document"
                    ));
                    return;
                }
                let top = self.stack.last_mut().expect("frame_at made one");
                if top.plan.is_some() {
                    let label = top.label();
                    self.error(format!("{label}: second plan 1..{n}"));
                } else {
                    top.plan = Some(n);
                }
            }
            Line::Result {
                ok,
                number,
                name,
                skip,
            } => {
                // A result at depth d closes the subtest open at d + 1 (if any); anything deeper
                // was cut short.
                self.abandon_from(depth + 2, "its parent's result came first");
                let closed = match self.stack.last() {
                    Some(top) if top.depth == depth + 1 => {
                        let frame = self.stack.pop().expect("checked non-empty");
                        let sub = frame.name.clone();
                        self.close(frame, None);
                        Some(sub)
                    }
                    _ => None,
                };
                if !self.frame_at(depth) {
                    self.error(format!(
                        "result `{body}` at depth {depth} outside any test document"
                    ));
                    return;
                }
                let top = self.stack.last_mut().expect("frame_at made one");
                top.results += 1;
                top.tally.add(ok, skip);
                let expected = top.results;
                if number != expected {
                    let label = top.label();
                    self.error(format!(
                        "{label}: result numbered {number}, expected {expected}"
                    ));
                }
                let path = self.path(name);
                // KTAP: with a SKIP directive the result may be either `ok` or `not ok`; both
                // are skips.
                let failed = !ok && !skip;
                if failed {
                    self.outcome.failures.push(path.clone());
                }
                match closed {
                    // A suite's own result line: its cases were counted inside it.
                    Some(Some(sub)) if sub != name && !name.is_empty() => {
                        self.error(format!("subtest '{sub}' closed by a result named '{name}'"));
                    }
                    Some(_) => {}
                    None if failed => self.outcome.failed += 1,
                    None if skip => {
                        self.outcome.skipped += 1;
                        self.outcome.skips.push(path);
                    }
                    None => {
                        self.outcome.passed += 1;
                        self.outcome.passes.push(path);
                    }
                }
            }
        }
    }

    /// Holds a summary line to the results of the subtest it names: the innermost open one of
    /// that name, else the one closed last if it has that name. A name that matches neither
    /// (e.g. `Totals`) is not a suite's summary and is left alone.
    fn check_summary(&mut self, name: &str, said: Tally) {
        let found = self
            .stack
            .iter()
            .rev()
            .find(|f| f.name.as_deref() == Some(name))
            .map(|f| f.tally)
            .or_else(|| {
                self.last_closed
                    .as_ref()
                    .filter(|(closed, _)| closed == name)
                    .map(|(_, tally)| *tally)
            });
        if let Some(seen) = found {
            if seen != said {
                self.error(format!(
                    "suite '{name}': its summary line says {said} but its results are {seen}"
                ));
            }
        }
    }

    /// Ends the stream: closes what is still open and returns the outcome.
    pub fn finish(mut self) -> Outcome {
        if self.documents == 0 {
            self.error("no KTAP output (no `KTAP version 1` line)".into());
        }
        self.abandon_from(0, "output ended first");
        if self.outcome.errors.is_empty() && self.outcome.total() == 0 {
            self.error("no test case ran".into());
        }
        self.outcome
    }
}

/// Parses a whole captured output at once.
pub fn parse(text: &str) -> Outcome {
    let mut p = Parser::new();
    for line in text.lines() {
        p.feed(line);
    }
    p.finish()
}

/// Splits an output that holds several top-level KTAP documents one after another (several
/// runs, as `host-ktap --placement both` writes) into one text per document: a new document
/// begins at each unindented `KTAP version 1` (or `TAP version 14`) line after the first; lines
/// before the first belong to the first. Each part can then be [`parse`]d on its own.
pub fn split_documents(text: &str) -> Vec<&str> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']).trim_end();
        if bare == "KTAP version 1" || bare == "TAP version 14" {
            starts.push(offset);
        }
        offset += line.len();
    }
    if starts.len() < 2 {
        return vec![text];
    }
    starts[0] = 0;
    starts.push(text.len());
    starts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full, passing run in the images' format, with `n` cases of which the last `skips` skip,
    /// and the suite's summary line.
    fn seed(n: usize, skips: usize) -> String {
        let mut s = String::from("KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: seed\n");
        s += &format!("    1..{n}\n");
        for i in 1..=n {
            if i > n - skips {
                s += &format!("    ok {i} case_{i} # SKIP not in this configuration\n");
            } else {
                s += &format!("    ok {i} case_{i}\n");
            }
        }
        s += &format!(
            "    # seed: pass:{} fail:0 skip:{skips} total:{n}\nok 1 seed\n",
            n - skips
        );
        s
    }

    #[test]
    fn all_ok_passes() {
        let o = parse(&seed(11, 0));
        assert_eq!((o.passed, o.failed, o.skipped), (11, 0, 0));
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert!(o.failures.is_empty());
        assert!(o.passed());
    }

    #[test]
    fn passes_and_skips_are_named() {
        let o = parse(&seed(3, 1));
        assert_eq!(o.passes, ["seed/case_1", "seed/case_2"]);
        assert_eq!(o.skips, ["seed/case_3"]);
        assert!(o.failures.is_empty());
    }

    #[test]
    fn not_ok_fails_and_is_named() {
        let text = seed(3, 0)
            .replace("    ok 2 case_2", "    not ok 2 case_2")
            .replace("pass:3 fail:0", "pass:2 fail:1")
            .replace("ok 1 seed", "not ok 1 seed");
        let o = parse(&text);
        assert_eq!((o.passed, o.failed, o.skipped), (2, 1, 0));
        assert_eq!(
            o.failures,
            vec!["seed/case_2".to_string(), "seed".to_string()]
        );
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert!(!o.passed());
    }

    #[test]
    fn not_ok_suite_line_alone_fails() {
        let o = parse(&seed(2, 0).replace("ok 1 seed", "not ok 1 seed"));
        assert_eq!(o.failed, 0);
        assert_eq!(o.failures, vec!["seed".to_string()]);
        assert!(!o.passed());
    }

    #[test]
    fn missing_inner_plan_fails() {
        let o = parse(&seed(3, 0).replace("    1..3\n", ""));
        assert_eq!(o.passed, 3);
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("suite 'seed': missing plan")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn missing_top_plan_fails() {
        let o = parse(&seed(3, 0).replacen("1..1\n", "", 1));
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("top-level KTAP document: missing plan")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn plan_count_mismatch_fails() {
        // Plan says 11, only 10 results printed, but the suite was still closed.
        let text = seed(11, 0).replace("    ok 11 case_11\n", "");
        let o = parse(&text);
        assert_eq!(o.passed, 10);
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("plan 1..11 but 10 result")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn more_results_than_planned_fails() {
        let text = seed(2, 0).replace("    1..2", "    1..1");
        let o = parse(&text);
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("plan 1..1 but 2 result")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn skip_is_counted_and_passes() {
        let o = parse(&seed(11, 4));
        assert_eq!((o.passed, o.failed, o.skipped), (7, 0, 4));
        assert!(o.passed(), "{:?}", o.errors);
    }

    #[test]
    fn skip_directive_variants() {
        assert_eq!(
            classify("ok 2 other # SKIP reason"),
            Line::Result {
                ok: true,
                number: 2,
                name: "other",
                skip: true
            }
        );
        assert_eq!(
            classify("ok 3 - dashed #skip"),
            Line::Result {
                ok: true,
                number: 3,
                name: "dashed",
                skip: true
            }
        );
        assert_eq!(
            classify("ok 4 todo # TODO later"),
            Line::Result {
                ok: true,
                number: 4,
                name: "todo",
                skip: false
            }
        );
        assert_eq!(
            classify("not ok 5 x"),
            Line::Result {
                ok: false,
                number: 5,
                name: "x",
                skip: false
            }
        );
        assert_eq!(classify("okay 5 x"), Line::Other);
        assert_eq!(classify("ok x"), Line::Other);
        assert_eq!(classify("1..11"), Line::Plan(11));
    }

    #[test]
    fn ok_and_not_ok_with_skip_are_skips() {
        // KTAP: "the result of the test case result line can be either "ok" or "not ok" if the
        // SKIP directive is used". Both count as skipped, neither as a failure.
        for line in [
            "    ok 2 case_2 # SKIP why",
            "    not ok 2 case_2 # SKIP why",
        ] {
            let text = seed(2, 0)
                .replace("    ok 2 case_2", line)
                .replace("pass:2 fail:0 skip:0", "pass:1 fail:0 skip:1");
            let o = parse(&text);
            assert_eq!((o.passed, o.failed, o.skipped), (1, 0, 1), "{line}");
            assert_eq!(o.skips, ["seed/case_2"], "{line}");
            assert!(o.failures.is_empty(), "{line}: {:?}", o.failures);
            assert!(o.passed(), "{line}: {:?}", o.errors);
        }
    }

    #[test]
    fn not_ok_suite_with_skip_is_not_a_failure() {
        let text = seed(2, 2).replace("ok 1 seed", "not ok 1 seed # SKIP nothing applies");
        let o = parse(&text);
        assert_eq!((o.passed, o.failed, o.skipped), (0, 0, 2));
        assert!(o.failures.is_empty(), "{:?}", o.failures);
        assert!(o.passed(), "{:?}", o.errors);
    }

    #[test]
    fn summary_line_is_read() {
        assert_eq!(
            summary("# seed: pass:9 fail:1 skip:2 total:12"),
            Some((
                "seed",
                Tally {
                    pass: 9,
                    fail: 1,
                    skip: 2,
                    total: 12
                }
            ))
        );
        for not_one in [
            "# machine: host/per-cpu, configuration: debug, cpus: 2",
            "# seed: pass:x fail:0 skip:0 total:1",
            "# seed: pass:1 fail:0 skip:0",
            "# seed: pass:1 fail:0 skip:0 total:1 extra:1",
            "# : pass:1 fail:0 skip:0 total:1",
            "seed: pass:1 fail:0 skip:0 total:1",
        ] {
            assert_eq!(summary(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn matching_summary_passes() {
        let text = seed(11, 3);
        assert!(text.contains("    # seed: pass:8 fail:0 skip:3 total:11\n"));
        let o = parse(&text);
        assert!(o.passed(), "{:?}", o.errors);
        // A failing case and its summary agree: only the failure itself is reported.
        let text = seed(3, 1)
            .replace("    ok 1 case_1", "    not ok 1 case_1")
            .replace("pass:2 fail:0", "pass:1 fail:1")
            .replace("ok 1 seed", "not ok 1 seed");
        let o = parse(&text);
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert_eq!(o.failures, ["seed/case_1", "seed"]);
    }

    #[test]
    fn missing_summary_passes() {
        let text = seed(5, 1).replace("    # seed: pass:4 fail:0 skip:1 total:5\n", "");
        assert!(!text.contains("pass:"));
        let o = parse(&text);
        assert!(o.passed(), "{:?}", o.errors);
    }

    /// The error a contradicting summary must raise, naming the suite and both counts.
    fn assert_contradiction(text: &str, said: &str, seen: &str) {
        let o = parse(text);
        assert!(!o.passed(), "{text}");
        let want = format!("suite 'seed': its summary line says {said} but its results are {seen}");
        assert!(o.errors.contains(&want), "want {want:?} in {:?}", o.errors);
        assert_eq!(o.errors.len(), 1, "{:?}", o.errors);
    }

    #[test]
    fn contradicting_pass_count_fails() {
        let text = seed(3, 1).replace("pass:2 fail:0", "pass:3 fail:0");
        assert_contradiction(
            &text,
            "pass:3 fail:0 skip:1 total:3",
            "pass:2 fail:0 skip:1 total:3",
        );
    }

    #[test]
    fn contradicting_fail_count_fails() {
        // A summary that admits a failure the results do not show is as wrong as one that
        // hides a failure.
        let text = seed(3, 0).replace("pass:3 fail:0", "pass:3 fail:1");
        assert_contradiction(
            &text,
            "pass:3 fail:1 skip:0 total:3",
            "pass:3 fail:0 skip:0 total:3",
        );
        let text = seed(3, 0)
            .replace("    ok 3 case_3", "    not ok 3 case_3")
            .replace("ok 1 seed", "not ok 1 seed");
        assert_contradiction(
            &text,
            "pass:3 fail:0 skip:0 total:3",
            "pass:2 fail:1 skip:0 total:3",
        );
    }

    #[test]
    fn contradicting_skip_count_fails() {
        let text = seed(4, 2).replace("skip:2", "skip:1");
        assert_contradiction(
            &text,
            "pass:2 fail:0 skip:1 total:4",
            "pass:2 fail:0 skip:2 total:4",
        );
    }

    #[test]
    fn contradicting_total_fails() {
        let text = seed(4, 0).replace("total:4", "total:5");
        assert_contradiction(
            &text,
            "pass:4 fail:0 skip:0 total:5",
            "pass:4 fail:0 skip:0 total:4",
        );
    }

    #[test]
    fn summary_after_the_suite_result_and_of_other_suites() {
        // Printed after the suite's own result line, it still describes that suite.
        let moved = seed(3, 1)
            .replace("    # seed: pass:2 fail:0 skip:1 total:3\n", "")
            .replace(
                "ok 1 seed\n",
                "ok 1 seed\n    # seed: pass:2 fail:0 skip:1 total:3\n",
            );
        assert!(parse(&moved).passed(), "{:?}", parse(&moved).errors);
        let wrong = moved.replace("pass:2 fail:0 skip:1", "pass:3 fail:0 skip:0");
        assert!(!parse(&wrong).passed());
        // Each suite's line is held to its own results; `# Totals:` names no suite.
        let text = concat!(
            "KTAP version 1\n1..2\n",
            "    KTAP version 1\n    # Subtest: a\n    1..1\n    ok 1 x\n",
            "    # a: pass:1 fail:0 skip:0 total:1\nok 1 a\n",
            "    KTAP version 1\n    # Subtest: b\n    1..2\n",
            "    ok 1 y\n    not ok 2 z # SKIP n/a\n",
            "    # b: pass:1 fail:0 skip:1 total:2\nok 2 b\n",
            "# Totals: pass:2 fail:0 skip:1 total:3\n",
        );
        let o = parse(text);
        assert!(o.passed(), "{:?}", o.errors);
        let o = parse(&text.replace(
            "# a: pass:1 fail:0 skip:0 total:1",
            "# a: pass:1 fail:0 skip:1 total:2",
        ));
        assert_eq!(
            o.errors,
            [
                "suite 'a': its summary line says pass:1 fail:0 skip:1 total:2 \
              but its results are pass:1 fail:0 skip:0 total:1"
            ]
        );
    }

    #[test]
    fn documents_split_at_each_top_level_header() {
        let one = seed(2, 0);
        assert_eq!(split_documents(&one), [one.as_str()]);
        let two = format!("boot chatter\n{}{}", seed(2, 0), seed(3, 1));
        let parts = split_documents(&two);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], format!("boot chatter\n{}", seed(2, 0)));
        assert_eq!(parts[1], seed(3, 1));
        for part in parts {
            assert!(parse(part).passed(), "{:?}", parse(part).errors);
        }
        // A nested document's header is not a top-level one.
        assert_eq!(split_documents("    KTAP version 1\n").len(), 1);
        assert_eq!(split_documents(""), [""]);
    }

    #[test]
    fn interleaved_log_lines_are_ignored() {
        let mut text = String::from("SeaBIOS garbage\r\nVOF: booting\n");
        for line in seed(3, 1).lines() {
            text += line;
            text += "\r\n";
            if line.contains("ok 1 case_1") {
                text +=
                    "BUG: sleeping function called from invalid context at tests/src/seed.rs:42\n";
                text += "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1, name: seed\n";
                text += "  held lock taken at tests/src/seed.rs:40\n";
                text += "   odd indentation line\n";
                text += "\tok 9 tab-indented is not ktap\n";
            }
        }
        text += "ACPI: shutting down\n";
        let o = parse(&text);
        assert_eq!((o.passed, o.failed, o.skipped), (2, 0, 1));
        assert!(o.passed(), "{:?}", o.errors);
    }

    #[test]
    fn header_after_firmware_junk_on_same_line() {
        let text = format!("VOF0>{}", seed(2, 0));
        let o = parse(&text);
        assert!(o.passed(), "{:?}", o.errors);
    }

    #[test]
    fn truncated_inside_suite_fails() {
        let full = seed(11, 0);
        let cut = &full[..full.find("    ok 6").unwrap()];
        let o = parse(cut);
        assert_eq!(o.passed, 5);
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("suite 'seed': plan 1..11 but 5")),
            "{:?}",
            o.errors
        );
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("top-level KTAP document: plan 1..1 but 0")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn truncated_before_top_result_fails() {
        let full = seed(3, 0);
        let cut = full.replace("ok 1 seed\n", "");
        let o = parse(&cut);
        assert_eq!(o.passed, 3);
        assert!(!o.passed());
        assert!(
            o.errors.iter().any(|e| e.contains("output ended first")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn truncated_mid_line_fails() {
        let full = seed(3, 0);
        let cut = &full[..full.find("    ok 3").unwrap() + 6];
        let o = parse(cut);
        assert!(!o.passed());
    }

    #[test]
    fn empty_and_non_ktap_output_fails() {
        let o = parse("");
        assert!(!o.passed());
        assert!(
            o.errors.iter().any(|e| e.contains("no KTAP output")),
            "{:?}",
            o.errors
        );
        let o = parse("BUG: kernel panic\nHalting\n");
        assert!(!o.passed());
    }

    #[test]
    fn zero_cases_fails() {
        let o = parse("KTAP version 1\n1..0\n");
        assert!(!o.passed());
        assert!(
            o.errors.iter().any(|e| e.contains("no test case ran")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn misnumbered_result_fails() {
        let o = parse(&seed(3, 0).replace("    ok 2 case_2", "    ok 3 case_2"));
        assert!(!o.passed());
        assert!(
            o.errors
                .iter()
                .any(|e| e.contains("numbered 3, expected 2")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn second_top_level_document_fails() {
        let text = format!("{}{}", seed(2, 0), seed(2, 0));
        let o = parse(&text);
        assert!(!o.passed());
        assert!(
            o.errors.iter().any(|e| e.contains("second top-level")),
            "{:?}",
            o.errors
        );
    }

    #[test]
    fn subtest_line_before_version_line() {
        // Older KUnit printed "# Subtest:" before the nested version line.
        let text = seed(2, 0).replace(
            "    KTAP version 1\n    # Subtest: seed\n",
            "    # Subtest: seed\n    KTAP version 1\n",
        );
        let o = parse(&text);
        assert!(o.passed(), "{:?}", o.errors);
        assert_eq!(o.passed, 2);
    }

    #[test]
    fn streaming_feed_matches_parse() {
        let text = seed(5, 2);
        let mut p = Parser::new();
        for l in text.split_inclusive('\n') {
            p.feed(l);
        }
        assert_eq!(p.finish(), parse(&text));
    }

    #[test]
    fn two_suites_count_leaves_only() {
        let text = "KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: a\n    1..1\n    ok 1 x\nok 1 a\n    KTAP version 1\n    # Subtest: b\n    1..2\n    ok 1 y\n    ok 2 z # SKIP n/a\nok 2 b\n";
        let o = parse(text);
        assert_eq!((o.passed, o.failed, o.skipped), (2, 0, 1));
        assert!(o.passed(), "{:?}", o.errors);
    }
}
