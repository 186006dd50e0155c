//! The x86_64 image under QEMU runs the suites on real page tables, a real #PF handler and a
//! real SMP scheduler (see `mightfault_test_kernel::x86_64`).

use core::sync::atomic::{compiler_fence, AtomicU64, Ordering};

use mightfault_core::console::capture_start;
use mightfault_core::{pagefault_disable, pagefault_enable, Arch, RawUserAccess};
use mightfault_test_kernel::x86_64::raw_uaccess::NONCANONICAL_ADDRESS;
use mightfault_test_kernel::x86_64::user_copy::{
    self, clear_user_with, copy_user_with, StringRoutine,
};
use mightfault_test_kernel::x86_64::{self as x86, unwind, USER_AREA_BASE, USER_LIMIT, X86};
use mightfault_uaccess::{
    clear_user, copy_from_user, copy_to_user, futex_atomic_cmpxchg_inatomic,
    futex_atomic_op_inuser, get_user, put_user, Efault, FutexOp,
};

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{canary_intact, captured, check, kernel_addr, pattern};

bare_metal_seed_machine!(
    X86,
    Suite {
        name: "x86_64",
        cases: &[
            Case {
                name: "smap_blocks_plain_user_read",
                run: smap_blocks_plain_user_read,
            },
            Case {
                name: "noncanonical_gp_is_fixed_up",
                run: noncanonical_gp_is_fixed_up,
            },
            Case {
                name: "kernel_address_fault_is_fixed_up",
                run: kernel_address_fault_is_fixed_up,
            },
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<X86>,
            },
            Case {
                name: "copy_routines_exact_residual",
                run: copy_routines_exact_residual,
            },
            Case {
                name: "checked_copies_through_each_routine",
                run: checked_copies_through_each_routine,
            },
            Case {
                name: "masked_get_put_user_edges",
                run: masked_get_put_user_edges,
            },
            Case {
                name: "futex_locked_instructions",
                run: futex_locked_instructions,
            },
            Case {
                name: "corrupt_frame_chain_ends_trace",
                run: corrupt_frame_chain_ends_trace,
            },
        ],
    }
);

/// With SMAP on, a kernel load from a present user page faults unless it is bracketed by
/// stac/clac, as the accessors are: a plain dereference of a user pointer is caught.
fn smap_blocks_plain_user_read() -> Outcome {
    if !x86::smap_enabled() {
        return Outcome::Skip("the cpu has no SMAP (boot with -cpu max)");
    }
    let user = X86::map_user_pages(&[PageKind::PresentRw]);
    X86::poke_user(user, &[0x42]);
    check!(
        X86,
        x86::smap_probe_plain_read(user),
        "a plain read of a user page did not fault"
    );
    let mut value = 0u8;
    let got = get_user::<X86, u8>(&mut value, user);
    check!(
        X86,
        got.is_ok() && value == 0x42,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    Outcome::Pass
}

/// A non-canonical address raises #GP, not #PF; inside a user access it is fixed up too.
fn noncanonical_gp_is_fixed_up() -> Outcome {
    untranslatable_access_is_fixed_up::<X86>(0x8000_0000_0000_0000)
}

/// An unchecked access to an unmapped kernel address faults (#PF) and is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    kernel_address_access_is_fixed_up::<X86>(0xffff_c000_0000_0000)
}

/// Both block-copy routines, whatever the cpu reports.
const ROUTINES: [StringRoutine; 2] = [StringRoutine::RepString, StringRoutine::WordLoop];

/// How many bytes a copy gets done before the boundary: around the 8-byte words of the word
/// loop (a word that straddles the boundary, one that ends on it, one that starts on it).
const BEFORE_BOUNDARY: [usize; 9] = [0, 1, 7, 8, 9, 15, 16, 33, 63];

/// How many bytes a copy asks for beyond the boundary.
const PAST_BOUNDARY: [usize; 3] = [1, 8, 200];

/// The longest copy the cases make.
const MAX_LEN: usize = 63 + 200;

/// Kernel bytes past the end of a copy's destination that must stay as they were.
const GUARD: usize = 16;

/// What kernel buffers start as, to see which bytes a copy wrote.
const UNTOUCHED: u8 = 0xaa;

/// Runs `case` over every combination of bytes before and beyond the boundary; stops at the
/// first failure.
fn over_boundaries(mut case: impl FnMut(usize, usize) -> Outcome) -> Outcome {
    for before in BEFORE_BOUNDARY {
        for past in PAST_BOUNDARY {
            let outcome = case(before, before + past);
            if outcome != Outcome::Pass {
                return outcome;
            }
        }
    }
    Outcome::Pass
}

/// Each routine called directly, across a present/absent boundary: the page beyond is
/// unmapped (no resolution), or not present with page faults disabled (the fault is fixed up,
/// not resolved). Copies to and from user memory and clears stop exactly at the boundary:
/// bytes-not-done is exact, every byte before it is done, and nothing past it is written
/// (the kernel destination of a copy from user memory keeps its bytes, guard included).
fn copy_routines_exact_residual() -> Outcome {
    for routine in ROUTINES {
        for (beyond, faults_disabled) in [(PageKind::Unmapped, false), (PageKind::NotPresent, true)]
        {
            let outcome = over_boundaries(|before, len| {
                raw_partial_copies(routine, beyond, faults_disabled, before, len)
            });
            if outcome != Outcome::Pass {
                kprint_routine(routine, beyond);
                return outcome;
            }
        }
    }
    Outcome::Pass
}

/// Names the routine and layout a failed check ran with.
fn kprint_routine(routine: StringRoutine, beyond: PageKind) {
    mightfault_core::kprint!(
        X86,
        "    # routine {:?}, page beyond the boundary {:?}\n",
        routine,
        beyond
    );
}

/// One copy to user memory, one from it and one clear of `len` bytes starting `before` bytes
/// below the boundary, with `routine`.
fn raw_partial_copies(
    routine: StringRoutine,
    beyond: PageKind,
    faults_disabled: bool,
    before: usize,
    len: usize,
) -> Outcome {
    let user = X86::map_user_pages(&[PageKind::PresentRw, beyond]);
    let boundary = user + X86::PAGE_SIZE;
    let start = boundary - before;
    let source = pattern::<MAX_LEN>(0x31);

    let to_user = with_faults(faults_disabled, || {
        // SAFETY: the kernel side is `source`, readable for len <= MAX_LEN bytes; the user
        // side is in the test's user area, below the user limit.
        unsafe { copy_user_with(routine, start as *mut u8, source.as_ptr(), len) }
    });
    check!(
        X86,
        to_user == len - before,
        "copy to user of {} bytes, {} before the boundary, left {}",
        len,
        before,
        to_user
    );
    let mut seen = [0u8; MAX_LEN];
    check!(
        X86,
        X86::peek_user(start, &mut seen[..before]) && seen[..before] == source[..before],
        "copy to user: the {} bytes before the boundary did not all arrive",
        before
    );

    let from = pattern::<MAX_LEN>(0x77);
    X86::poke_user(start, &from[..before]);
    let mut into = [UNTOUCHED; MAX_LEN + GUARD];
    let from_left = with_faults(faults_disabled, || {
        // SAFETY: the kernel side is `into`, writable for len <= MAX_LEN bytes; the user side
        // is in the test's user area.
        unsafe { copy_user_with(routine, into.as_mut_ptr(), start as *const u8, len) }
    });
    check!(
        X86,
        from_left == len - before,
        "copy from user of {} bytes, {} before the boundary, left {}",
        len,
        before,
        from_left
    );
    check!(
        X86,
        into[..before] == from[..before],
        "copy from user: the bytes before the boundary differ"
    );
    check!(
        X86,
        into[before..].iter().all(|&b| b == UNTOUCHED),
        "copy from user wrote past the faulting byte (at {} of {})",
        before,
        len
    );

    let clear_left = with_faults(faults_disabled, || {
        // SAFETY: the user range is in the test's user area.
        unsafe { clear_user_with(routine, start, len) }
    });
    check!(
        X86,
        clear_left == len - before,
        "clear of {} bytes, {} before the boundary, left {}",
        len,
        before,
        clear_left
    );
    check!(
        X86,
        X86::peek_user(start, &mut seen[..before]) && seen[..before].iter().all(|&b| b == 0),
        "clear missed bytes before the boundary"
    );
    if beyond == PageKind::NotPresent {
        check!(
            X86,
            !X86::user_page_present(boundary),
            "a fault with page faults disabled paged the page in"
        );
    }
    Outcome::Pass
}

/// Runs `body` with page faults disabled when `disabled`, as is otherwise.
fn with_faults<R>(disabled: bool, body: impl FnOnce() -> R) -> R {
    if disabled {
        pagefault_disable::<X86>();
    }
    let result = body();
    if disabled {
        pagefault_enable::<X86>();
    }
    result
}

/// The checked copy_to_user, copy_from_user and clear_user with each routine selected in
/// turn: partial copies are exact and copy_from_user zeroes exactly the tail it could not
/// read (nothing beyond its buffer); a not-present page beyond the boundary is paged in and
/// the copy completes (the routine retries the faulting access). The boot choice is put back.
fn checked_copies_through_each_routine() -> Outcome {
    let boot = (user_copy::copy_routine(), user_copy::clear_routine());
    let mut outcome = Outcome::Pass;
    for routine in ROUTINES {
        user_copy::select(routine, routine);
        outcome = over_boundaries(checked_partial_copies);
        if outcome == Outcome::Pass {
            outcome = over_boundaries(resolved_copies);
        }
        if outcome != Outcome::Pass {
            mightfault_core::kprint!(X86, "    # routine {:?}\n", routine);
            break;
        }
    }
    user_copy::select(boot.0, boot.1);
    outcome
}

/// The checked accessors across a boundary into an unmapped page.
fn checked_partial_copies(before: usize, len: usize) -> Outcome {
    let user = X86::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let start = user + X86::PAGE_SIZE - before;
    let source = pattern::<MAX_LEN>(0x45);
    let left = copy_to_user::<X86>(start, &source[..len]);
    check!(
        X86,
        left == len - before,
        "copy_to_user of {} at {} before left {}",
        len,
        before,
        left
    );

    let from = pattern::<MAX_LEN>(0x19);
    X86::poke_user(start, &from[..before]);
    let mut into = [UNTOUCHED; MAX_LEN + GUARD];
    let left = copy_from_user::<X86>(&mut into[..len], start);
    check!(
        X86,
        left == len - before,
        "copy_from_user of {} at {} before left {}",
        len,
        before,
        left
    );
    check!(
        X86,
        into[..before] == from[..before],
        "copy_from_user: the bytes read differ"
    );
    check!(
        X86,
        into[before..len].iter().all(|&b| b == 0),
        "copy_from_user did not zero the tail it could not read"
    );
    check!(
        X86,
        into[len..].iter().all(|&b| b == UNTOUCHED),
        "copy_from_user wrote past its buffer"
    );

    let left = clear_user::<X86>(start, len);
    check!(
        X86,
        left == len - before,
        "clear_user of {} at {} before left {}",
        len,
        before,
        left
    );
    let mut seen = [0xffu8; MAX_LEN];
    check!(
        X86,
        X86::peek_user(start, &mut seen[..before]) && seen[..before].iter().all(|&b| b == 0),
        "clear_user missed bytes"
    );
    Outcome::Pass
}

/// The checked accessors across a boundary into a not-present page, page faults enabled: the
/// fault is resolved (the page comes in) and the copy completes.
fn resolved_copies(before: usize, len: usize) -> Outcome {
    let user = X86::map_user_pages(&[PageKind::PresentRw, PageKind::NotPresent]);
    let start = user + X86::PAGE_SIZE - before;
    let source = pattern::<MAX_LEN>(0x63);
    let left = copy_to_user::<X86>(start, &source[..len]);
    check!(
        X86,
        left == 0,
        "copy_to_user across a page-in left {}",
        left
    );
    let mut seen = [0u8; MAX_LEN];
    check!(
        X86,
        X86::peek_user(start, &mut seen[..len]) && seen[..len] == source[..len],
        "copy_to_user across a page-in: the bytes differ"
    );
    let mut into = [UNTOUCHED; MAX_LEN];
    let left = copy_from_user::<X86>(&mut into[..len], start);
    check!(
        X86,
        left == 0 && into[..len] == source[..len],
        "copy_from_user across a page-in left {}",
        left
    );
    X86::evict_user_page(start + before);
    let left = clear_user::<X86>(start, len);
    check!(
        X86,
        left == 0 && X86::peek_user(start, &mut seen[..len]) && seen[..len].iter().all(|&b| b == 0),
        "clear_user across a page-in left {}",
        left
    );
    Outcome::Pass
}

/// A writable kernel word that put_user is aimed at.
static KERNEL_WORD: AtomicU64 = AtomicU64::new(0x0123_4567_89ab_cdef);

/// get_user/put_user clamp the address with the mask, without access_ok: every address whose
/// 8-byte access would not end at or below the user limit (just below it, at it, the guard
/// page up to 1 << 47, non-canonical, kernel half, wrapping) becomes the non-canonical one,
/// user addresses stay; through get_user and put_user each outside address is -EFAULT (a #GP
/// fixed up), get_user's value is zeroed, and neither a kernel constant is read nor a writable
/// kernel word written.
fn masked_get_put_user_edges() -> Outcome {
    check!(
        X86,
        X86::MASKS_USER_ADDRESS,
        "x86_64 get_user does not mask"
    );
    let limit = USER_LIMIT;
    for addr in [0, USER_AREA_BASE, limit - 4096, limit - 9, limit - 8] {
        let masked = X86::mask_user_address(addr);
        check!(
            X86,
            masked == addr,
            "user address {:#x} masked to {:#x}",
            addr,
            masked
        );
    }
    let kernel_word = KERNEL_WORD.as_ptr() as usize;
    let outside = [
        limit - 7,
        limit - 1,
        limit,
        limit + 8,
        (1 << 47) - 8,
        1 << 47,
        NONCANONICAL_ADDRESS,
        0xffff_8000_0000_0000,
        kernel_addr(),
        kernel_word,
        usize::MAX - 7,
        usize::MAX - 3,
        usize::MAX,
    ];
    for addr in outside {
        let masked = X86::mask_user_address(addr);
        check!(
            X86,
            masked == NONCANONICAL_ADDRESS,
            "{:#x} masked to {:#x}, not the non-canonical address",
            addr,
            masked
        );
        let mut value = u64::MAX;
        let got = get_user::<X86, u64>(&mut value, addr);
        check!(
            X86,
            got == Err(Efault) && value == 0,
            "get_user::<u64>({:#x}): {:?}, value {:#x}",
            addr,
            got,
            value
        );
        let mut byte = 0xffu8;
        let got = get_user::<X86, u8>(&mut byte, addr);
        check!(
            X86,
            got == Err(Efault) && byte == 0,
            "get_user::<u8>({:#x}): {:?}, value {:#x}",
            addr,
            got,
            byte
        );
        let put = put_user::<X86, u64>(0xdead_beef_dead_beef, addr);
        check!(
            X86,
            put == Err(Efault),
            "put_user::<u64>({:#x}): {:?}",
            addr,
            put
        );
    }
    check!(
        X86,
        KERNEL_WORD.load(Ordering::Relaxed) == 0x0123_4567_89ab_cdef,
        "put_user wrote the kernel word: {:#x}",
        KERNEL_WORD.load(Ordering::Relaxed)
    );
    check!(X86, canary_intact(), "kernel memory changed");
    // A user address passes the mask untouched: the access itself goes through.
    let user = X86::map_user_pages(&[PageKind::PresentRw]);
    check!(
        X86,
        put_user::<X86, u64>(0x5555_aaaa, user + 8).is_ok(),
        "put_user to a user page"
    );
    let mut value = 0u64;
    check!(
        X86,
        get_user::<X86, u64>(&mut value, user + 8).is_ok() && value == 0x5555_aaaa,
        "get_user from a user page: {:#x}",
        value
    );
    Outcome::Pass
}

/// Reads the futex word at `addr` past the accessors, or None when its page is not present.
fn peek_word(addr: usize) -> Option<u32> {
    let mut bytes = [0u8; 4];
    X86::peek_user(addr, &mut bytes).then(|| u32::from_ne_bytes(bytes))
}

/// Each of x86's futex instructions (`xchg`, `lock xadd`, the `lock cmpxchg` loops, `lock
/// cmpxchg`) returns the word's old value and leaves `op.apply(old, oparg)`;
/// compare-and-exchange stores only on a match. With page faults disabled each one on a
/// not-present word is -EFAULT without a page-in, and on a read-only or unmapped word
/// -EFAULT, the read-only word unchanged: a locked instruction that faults writes nothing.
fn futex_locked_instructions() -> Outcome {
    let user = X86::map_user_pages(&[
        PageKind::PresentRw,
        PageKind::NotPresent,
        PageKind::PresentRo,
        PageKind::Unmapped,
    ]);
    let page = X86::PAGE_SIZE;
    let word = user + 64;
    let oparg = 0x0ff0_00ffu32;
    X86::poke_user(word, &0xf0f0_1234u32.to_ne_bytes());
    let read_only_word = user + 2 * page;
    X86::poke_user(read_only_word, &0x1357_9bdfu32.to_ne_bytes());
    pagefault_disable::<X86>();
    for op in FutexOp::ALL {
        let before = peek_word(word).unwrap_or(0);
        let got = futex_atomic_op_inuser::<X86>(op, oparg, word);
        let after = peek_word(word);
        if got != Ok(before) || after != Some(op.apply(before, oparg)) {
            pagefault_enable::<X86>();
            check!(
                X86,
                false,
                "{:?}: returned {:?} for {:#x}, word now {:?}",
                op,
                got,
                before,
                after
            );
        }
    }
    let current = peek_word(word).unwrap_or(0);
    let swapped = futex_atomic_cmpxchg_inatomic::<X86>(word, current, 77);
    let after_swap = peek_word(word);
    let refused = futex_atomic_cmpxchg_inatomic::<X86>(word, current, 88);
    let after_refusal = peek_word(word);
    let mut faulted = [(0usize, "", Ok(0u32)); 18];
    let mut count = 0;
    for (addr, what) in [
        (user + page, "not present"),
        (read_only_word, "read-only"),
        (user + 3 * page, "unmapped"),
    ] {
        for op in FutexOp::ALL {
            faulted[count] = (addr, what, futex_atomic_op_inuser::<X86>(op, oparg, addr));
            count += 1;
        }
        faulted[count] = (addr, what, futex_atomic_cmpxchg_inatomic::<X86>(addr, 0, 1));
        count += 1;
    }
    pagefault_enable::<X86>();
    check!(
        X86,
        swapped == Ok(current) && after_swap == Some(77),
        "cmpxchg of a match: {:?}, word {:?}",
        swapped,
        after_swap
    );
    check!(
        X86,
        refused == Ok(77) && after_refusal == Some(77),
        "cmpxchg of a mismatch: {:?}, word {:?}",
        refused,
        after_refusal
    );
    for (addr, what, got) in faulted {
        check!(
            X86,
            got == Err(Efault),
            "futex op on a {} word at {:#x}: {:?}",
            what,
            addr,
            got
        );
    }
    check!(
        X86,
        !X86::user_page_present(user + page),
        "a futex fault with page faults disabled paged the word in"
    );
    check!(
        X86,
        peek_word(read_only_word) == Some(0x1357_9bdf),
        "a futex op changed a read-only word"
    );
    Outcome::Pass
}

/// What the corrupt-frame case writes over a saved rbp first: a canonical-looking address
/// below every kernel stack (a walker that did not require each record to lie above the last
/// would follow it).
const GARBAGE_RBP: usize = 0x0000_dead_beef_0000;

/// The bad links the corrupt-frame case writes over the middle function's saved rbp.
#[derive(Clone, Copy, Debug)]
enum BadLink {
    /// [`GARBAGE_RBP`]: outside the stack and below the record.
    Garbage,
    /// The innermost function's own record: inside the stack, but below, so a loop.
    LoopBack,
    /// The last word of the running task's stack: above the record, but a record there would
    /// end beyond the stack, whose next word (mapped memory: the next stack's canary, say)
    /// would be read as its return address. Only the stack's bounds stop a walker there.
    StraddlesTop,
}

/// Frames the trace of a corrupt run must show: the chain's innermost function, the middle
/// one, and the outermost one, whose return address sits in the record with the bad link.
const FRAMES_UP_TO_CORRUPTION: usize = 3;

/// The frame lines of one captured call trace (between ` <TASK>` and ` </TASK>`), copied out
/// of the capture so that two runs can be compared.
struct TraceLines {
    len: usize,
    bytes: [u8; 2048],
    /// Frame lines seen, copied or not (the copy stops when `bytes` is full).
    frames: usize,
    /// Whether `Call Trace:` and ` <TASK>` were found.
    opened: bool,
    /// Whether the closing ` </TASK>` was found after the frames.
    closed: bool,
}

impl TraceLines {
    /// The first trace in `text`, without a first line naming `skip` (`dump_stack` itself).
    fn from_capture(text: &str, skip: Option<&str>) -> Self {
        let mut trace = TraceLines {
            len: 0,
            bytes: [0; 2048],
            frames: 0,
            opened: false,
            closed: false,
        };
        let mut lines = text.lines().skip_while(|line| *line != "Call Trace:");
        if lines.next().is_none() || lines.next() != Some(" <TASK>") {
            return trace;
        }
        trace.opened = true;
        let mut full = false;
        let mut first = true;
        for line in lines {
            if line == " </TASK>" {
                trace.closed = true;
                break;
            }
            if first && skip.is_some_and(|name| names(line, name)) {
                first = false;
                continue;
            }
            first = false;
            trace.frames += 1;
            let end = trace.len + line.len() + 1;
            full |= end > trace.bytes.len();
            if !full {
                trace.bytes[trace.len..end - 1].copy_from_slice(line.as_bytes());
                trace.bytes[end - 1] = b'\n';
                trace.len = end;
            }
        }
        trace
    }

    /// The frame lines copied, each ended by a newline.
    fn text(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Whether the frame `line` names the function `name` (` name+0x...`).
fn names(line: &str, name: &str) -> bool {
    line.strip_prefix(' ')
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.starts_with("+0x"))
}

/// A frame record whose saved rbp is garbage ends the call trace there: `dump_stack()` from
/// the innermost of three nested functions, which first overwrites the saved rbp in the middle
/// one's record (the link to the outermost one's record) and restores it after, prints the
/// three functions and stops, with the trace closed by ` </TASK>`; the same chain intact
/// prints those three lines and more (the case, the suite runner, ...). Every frame line of a
/// corrupt run is one of the intact run's (no garbage address is printed). With the image's
/// symbol table, the first frame (after `dump_stack` itself, which Linux's traces also show)
/// names the innermost function; without it, only the counts are checked. Each [`BadLink`] in
/// turn.
fn corrupt_frame_chain_ends_trace() -> Outcome {
    let symbols = X86::kernel_symbols();
    let name_of = |function: *const ()| {
        symbols
            .lookup(function as usize as u64)
            .map(|hit| hit.symbol.name)
    };
    let dump_stack = name_of(mightfault_core::dump_stack::dump_stack::<X86> as *const ());
    let inner = name_of(corrupt_chain_inner as *const ());
    // Without names, a first `dump_stack` line cannot be told from the chain's: one more.
    let expected = if dump_stack.is_some() {
        FRAMES_UP_TO_CORRUPTION..=FRAMES_UP_TO_CORRUPTION
    } else {
        FRAMES_UP_TO_CORRUPTION..=FRAMES_UP_TO_CORRUPTION + 1
    };
    capture_start::<X86>();
    let corrupted = corrupt_chain_outer(None);
    let intact = captured::<X86, _>(|text| TraceLines::from_capture(text, dump_stack));
    check!(X86, !corrupted, "the intact run corrupted a record");
    check!(
        X86,
        intact.opened && intact.closed,
        "the intact run printed no `Call Trace:` / ` <TASK>` ... ` </TASK>` (opened {}, closed {})",
        intact.opened,
        intact.closed
    );
    for bad in [BadLink::Garbage, BadLink::LoopBack, BadLink::StraddlesTop] {
        capture_start::<X86>();
        let corrupted = corrupt_chain_outer(Some(bad));
        let cut = captured::<X86, _>(|text| TraceLines::from_capture(text, dump_stack));
        check!(
            X86,
            corrupted,
            "the middle function's frame record was not found from the innermost one's rbp"
        );
        check!(
            X86,
            cut.opened && cut.closed,
            "{:?}: no `Call Trace:` / ` <TASK>` ... ` </TASK>` (opened {}, closed {})",
            bad,
            cut.opened,
            cut.closed
        );
        check!(
            X86,
            expected.contains(&cut.frames) && intact.frames > cut.frames,
            "{:?}: {} frames, {} intact (expected {:?} and more):\n{}---\n{}",
            bad,
            cut.frames,
            intact.frames,
            expected,
            cut.text(),
            intact.text()
        );
        check!(
            X86,
            intact.text().starts_with(cut.text()),
            "{:?}: the frames are not the intact run's first ones:\n{}---\n{}",
            bad,
            cut.text(),
            intact.text()
        );
        if let Some(inner) = inner {
            let first = cut.text().lines().next().unwrap_or("");
            check!(
                X86,
                names(first, inner),
                "{:?}: the first frame `{}` does not name {}",
                bad,
                first,
                inner
            );
        }
    }
    Outcome::Pass
}

/// The outermost function of the corrupt-frame case's chain.
#[inline(never)]
fn corrupt_chain_outer(bad: Option<BadLink>) -> bool {
    let corrupted = corrupt_chain_middle(core::hint::black_box(bad));
    // Used after the call, so the call is not a tail call: this frame stays on the stack.
    core::hint::black_box(corrupted)
}

/// The middle function: its frame record's saved rbp (the link to the outermost one's record)
/// is the word the innermost one corrupts.
#[inline(never)]
fn corrupt_chain_middle(bad: Option<BadLink>) -> bool {
    let corrupted = corrupt_chain_inner(core::hint::black_box(bad));
    core::hint::black_box(corrupted)
}

/// The innermost function: with a bad link, writes it over the saved rbp in the middle
/// function's frame record, prints `dump_stack()`, and puts the word back. Returns whether it
/// corrupted it. No branch around the `dump_stack()` call, so that every run returns to the
/// same instruction and prints the same first line.
#[inline(never)]
fn corrupt_chain_inner(bad: Option<BadLink>) -> bool {
    let mut restore = None;
    corrupt_middle_link(bad, unwind::current_frame(), &mut restore);
    compiler_fence(Ordering::SeqCst);
    mightfault_core::dump_stack::dump_stack::<X86>();
    compiler_fence(Ordering::SeqCst);
    restore_middle_link(&restore);
    restore.is_some()
}

/// With a bad link, writes it over the first word of the record `inner`'s first word
/// points at (the middle function's saved rbp), and leaves in `restore` where and what to put
/// back. Only when `inner`, the middle record and the one it links to are aligned records of
/// the running task's stack, each above the previous one.
#[inline(never)]
fn corrupt_middle_link(bad: Option<BadLink>, inner: usize, restore: &mut Option<(usize, usize)>) {
    let Some(range) = mightfault_test_kernel::sched::current_stack_range::<X86>() else {
        return;
    };
    let record_ok = |at: usize| {
        at.is_multiple_of(8)
            && at >= range.0
            && at.checked_add(16).is_some_and(|end| end <= range.1)
    };
    let Some(bad) = bad else {
        return;
    };
    if !record_ok(inner) {
        return;
    }
    // With frame pointers (the images are built with them), `inner` is the innermost
    // function's record: its first word is the middle function's rbp, that function's record,
    // whose first word links to the outermost function's record.
    // SAFETY: an aligned word of the running task's stack.
    let middle = unsafe { (inner as *const usize).read_volatile() };
    if middle <= inner || !record_ok(middle) {
        return;
    }
    // SAFETY: as above.
    let link = unsafe { (middle as *const usize).read_volatile() };
    if link <= middle || !record_ok(link) {
        return;
    }
    let bad = match bad {
        BadLink::Garbage => GARBAGE_RBP,
        BadLink::LoopBack => inner,
        BadLink::StraddlesTop => range.1 - 8,
    };
    // SAFETY: the middle function's saved rbp, on this task's stack; it is read again only by
    // the middle function's epilogue, after `restore_middle_link`.
    unsafe { (middle as *mut usize).write_volatile(bad) };
    *restore = Some((middle, link));
}

/// Puts back the word [`corrupt_middle_link`] overwrote.
#[inline(never)]
fn restore_middle_link(restore: &Option<(usize, usize)>) {
    if let Some((middle, link)) = *restore {
        // SAFETY: the word corrupted by `corrupt_middle_link`, on this task's stack, put back
        // before the middle function returns.
        unsafe { (middle as *mut usize).write_volatile(link) };
    }
}
