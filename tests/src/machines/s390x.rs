//! The s390x image under QEMU runs the suites on real DAT tables (a kernel and a user address
//! space), a real program-check handler and a real SMP scheduler (see
//! `mightfault_test_kernel::s390x`).

use core::hint::black_box;
use core::sync::atomic::{AtomicU32, Ordering};

use mightfault_test_kernel::s390x::{self as s390, S390};

use mightfault_core::symbol_table::SymbolTable;
use mightfault_core::{pagefault_disable, pagefault_enable, FutexOp};
use mightfault_uaccess::{
    __get_user, __put_user, access_ok, copy_from_user, copy_to_user, futex_atomic_cmpxchg_inatomic,
    futex_atomic_op_inuser, get_user, Efault,
};

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{captured, check};

bare_metal_seed_machine!(
    S390,
    Suite {
        name: "s390x",
        cases: &[
            Case {
                name: "plain_deref_cannot_read_user_memory",
                run: plain_deref_cannot_read_user_memory,
            },
            Case {
                name: "kernel_pointer_resolves_in_user_space",
                run: kernel_pointer_resolves_in_user_space,
            },
            Case {
                name: "kernel_address_fault_is_fixed_up",
                run: kernel_address_fault_is_fixed_up,
            },
            Case {
                name: "asce_type_fault_is_fixed_up",
                run: asce_type_fault_is_fixed_up,
            },
            Case {
                name: "protection_fault_is_fixed_up",
                run: protection_fault_is_fixed_up,
            },
            Case {
                name: "futex_fault_leaves_primary_space_mode",
                run: futex_fault_leaves_primary_space_mode,
            },
            Case {
                name: "futex_page_in_retries_in_secondary_space_mode",
                run: futex_page_in_retries_in_secondary_space_mode,
            },
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<S390>,
            },
            Case {
                name: "corrupt_frame_chain_ends_trace",
                run: corrupt_frame_chain_ends_trace,
            },
        ],
    },
    separate_user_space = true,
);

/// A kernel word the accessors are pointed at as if it were a user pointer (in .data: mapped
/// and writable in the kernel's space).
static KERNEL_WORD: AtomicU32 = AtomicU32::new(0x5a5a_5a5a);

/// The kernel's space maps nothing at the user area, and a plain kernel load is translated
/// there: of a present user page filled with a marker, get_user (MVCOS in the user's space)
/// reads the marker while a plain load of the same address faults (fixed up by the probe's own
/// entry, never paged in) or reads something else.
fn plain_deref_cannot_read_user_memory() -> Outcome {
    const MARKER: u8 = 0xa7;
    let user = S390::map_user_pages(&[PageKind::PresentRw]);
    check!(
        S390,
        S390::poke_user(user, &[MARKER; 16]),
        "the user page is not present"
    );
    let mut value = 0u8;
    let got = get_user::<S390, u8>(&mut value, user + 5);
    check!(
        S390,
        got.is_ok() && value == MARKER,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    let plain = s390::isolation::plain_read_byte(user + 5);
    check!(
        S390,
        plain != Some(MARKER),
        "a plain kernel load read user memory: {:?}",
        plain
    );
    check!(
        S390,
        s390::isolation::address_space_mode() == 0,
        "not back in the primary-space mode"
    );
    Outcome::Pass
}

/// A kernel address handed to the accessors passes access_ok (no kernel range to refuse: user
/// memory is its own space) and is resolved in the user's space, where nothing is mapped
/// there: every accessor fails with -EFAULT and the kernel word is unchanged.
fn kernel_pointer_resolves_in_user_space() -> Outcome {
    let kernel = KERNEL_WORD.as_ptr() as usize;
    check!(
        S390,
        access_ok::<S390>(kernel, 4),
        "access_ok refused {:#x}",
        kernel
    );
    let mut value = 7u32;
    let got = get_user::<S390, u32>(&mut value, kernel);
    check!(
        S390,
        got == Err(Efault) && value == 0,
        "get_user of a kernel pointer: {:?} {:#x}",
        got,
        value
    );
    let written = copy_to_user::<S390>(kernel, &[0u8; 4]);
    check!(
        S390,
        written == 4,
        "copy_to_user to a kernel pointer left {}",
        written
    );
    let mut into = [0xffu8; 4];
    let read = copy_from_user::<S390>(&mut into, kernel);
    check!(
        S390,
        read == 4 && into == [0; 4],
        "copy_from_user from a kernel pointer: {} {:?}",
        read,
        into
    );
    pagefault_disable::<S390>();
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(kernel, 0x5a5a_5a5a, 1);
    let op = futex_atomic_op_inuser::<S390>(FutexOp::Set, 2, kernel);
    pagefault_enable::<S390>();
    check!(
        S390,
        swapped == Err(Efault) && op == Err(Efault),
        "futex on a kernel pointer: {:?} {:?}",
        swapped,
        op
    );
    check!(
        S390,
        KERNEL_WORD.load(Ordering::Relaxed) == 0x5a5a_5a5a,
        "the kernel word changed: {:#x}",
        KERNEL_WORD.load(Ordering::Relaxed)
    );
    Outcome::Pass
}

/// The unchecked accessors on a kernel address with nothing behind it in the user's space (a
/// segment-translation exception in the secondary space) are fixed up, not oopsed, and leave
/// the kernel word alone.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    let outcome = kernel_address_access_is_fixed_up::<S390>(KERNEL_WORD.as_ptr() as usize);
    check!(
        S390,
        KERNEL_WORD.load(Ordering::Relaxed) == 0x5a5a_5a5a,
        "the kernel word changed"
    );
    outcome
}

/// An address beyond the user segment table's reach raises an ASCE-type exception (0x38),
/// not a translation exception; inside a user access it is fixed up too.
fn asce_type_fault_is_fixed_up() -> Outcome {
    untranslatable_access_is_fixed_up::<S390>(0xffff_ff00_0000_0000)
}

/// A store to a read-only user page is a protection exception, which suppresses (the old PSW
/// points past the store): the handler finds the store's entry `ilc` bytes back and fixes it
/// up; the page is unchanged and a load from it still works.
fn protection_fault_is_fixed_up() -> Outcome {
    let user = S390::map_user_pages(&[PageKind::PresentRo]);
    S390::poke_user(user, &0x1122_3344_5566_7788u64.to_be_bytes());
    for _ in 0..2 {
        // SAFETY: a checked-by-construction user address in the test's area.
        let put = unsafe { __put_user::<S390, u64>(0, user) };
        check!(S390, put == Err(Efault), "__put_user: {:?}", put);
    }
    let mut value = 0u64;
    // SAFETY: as above.
    let got = unsafe { __get_user::<S390, u64>(&mut value, user) };
    check!(
        S390,
        got.is_ok() && value == 0x1122_3344_5566_7788,
        "__get_user: {:?} {:#x}",
        got,
        value
    );
    Outcome::Pass
}

/// The futex `cs` runs in the secondary-space mode; a fault there that is fixed up (page
/// faults disabled: a not-present page, then a read-only one) continues at the fixup in that
/// mode, which must end the window: afterwards the cpu is back in the primary-space mode, and
/// a successful `cs` on a present page updates the word and leaves it there too.
fn futex_fault_leaves_primary_space_mode() -> Outcome {
    let user = S390::map_user_pages(&[
        PageKind::NotPresent,
        PageKind::PresentRo,
        PageKind::PresentRw,
    ]);
    let page = S390::PAGE_SIZE;
    S390::poke_user(user + page, &3u32.to_be_bytes());
    pagefault_disable::<S390>();
    let absent = futex_atomic_cmpxchg_inatomic::<S390>(user, 0, 1);
    let absent_mode = s390::isolation::address_space_mode();
    let read_only = futex_atomic_op_inuser::<S390>(FutexOp::Add, 1, user + page);
    let read_only_mode = s390::isolation::address_space_mode();
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(user + 2 * page, 0, 9);
    let swapped_mode = s390::isolation::address_space_mode();
    pagefault_enable::<S390>();
    check!(
        S390,
        absent == Err(Efault) && absent_mode == 0,
        "absent page: {:?}, mode {}",
        absent,
        absent_mode
    );
    check!(
        S390,
        read_only == Err(Efault) && read_only_mode == 0,
        "read-only page: {:?}, mode {}",
        read_only,
        read_only_mode
    );
    let mut word = [0u8; 4];
    S390::peek_user(user + page, &mut word);
    check!(
        S390,
        u32::from_be_bytes(word) == 3,
        "the read-only word changed"
    );
    check!(
        S390,
        swapped == Ok(0) && swapped_mode == 0,
        "present page: {:?}, mode {}",
        swapped,
        swapped_mode
    );
    S390::peek_user(user + 2 * page, &mut word);
    check!(
        S390,
        u32::from_be_bytes(word) == 9,
        "the word was not swapped"
    );
    Outcome::Pass
}

/// With page faults enabled, a futex `cs` on a page that is not present faults inside the
/// secondary-space window; the fault is resolved (the page-in sleeps, and the task may come
/// back on another cpu) and the `cs` re-executed in the mode the old PSW kept, so the update
/// lands, the old value comes back, and the cpu ends in the primary-space mode.
fn futex_page_in_retries_in_secondary_space_mode() -> Outcome {
    let user = S390::map_user_pages(&[PageKind::NotPresent, PageKind::NotPresent]);
    let page = S390::PAGE_SIZE;
    let swapped = futex_atomic_cmpxchg_inatomic::<S390>(user + 8, 0, 0x77);
    let swapped_mode = s390::isolation::address_space_mode();
    let old = futex_atomic_op_inuser::<S390>(FutexOp::Xor, 0x0f0f, user + page + 12);
    let op_mode = s390::isolation::address_space_mode();
    check!(
        S390,
        swapped == Ok(0) && swapped_mode == 0,
        "cmpxchg after page-in: {:?}, mode {}",
        swapped,
        swapped_mode
    );
    check!(
        S390,
        old == Ok(0) && op_mode == 0,
        "xor after page-in: {:?}, mode {}",
        old,
        op_mode
    );
    let mut word = [0u8; 4];
    check!(
        S390,
        S390::peek_user(user + 8, &mut word) && u32::from_be_bytes(word) == 0x77,
        "the swapped word reads {:#x}",
        u32::from_be_bytes(word)
    );
    check!(
        S390,
        S390::peek_user(user + page + 12, &mut word) && u32::from_be_bytes(word) == 0x0f0f,
        "the xored word reads {:#x}",
        u32::from_be_bytes(word)
    );
    Outcome::Pass
}

/// What `chain_inner` does to the back chain of `chain_middle`'s frame (the link to
/// `chain_outer`'s frame) while it prints its trace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Corruption {
    /// Nothing: the whole chain is printed.
    None,
    /// An aligned address outside every stack (and every mapping).
    Garbage,
    /// A link back down, at the innermost frame: a loop if followed.
    Downward,
}

impl Corruption {
    fn name(self) -> &'static str {
        match self {
            Corruption::None => "intact",
            Corruption::Garbage => "garbage",
            Corruption::Downward => "downward",
        }
    }
}

/// The garbage back-chain word.
const GARBAGE_LINK: usize = 0x0000_dead_beef_0000;

/// Most frame lines a summary keeps.
const MAX_FRAMES: usize = 16;

/// The frame lines of one captured `Call Trace:`, in s390's shape: ` [<ip>] name+0x../0x.. `,
/// or `([<ip>] name...)` for a guess.
struct Trace {
    has_call_trace: bool,
    /// How many frame lines follow `Call Trace:`.
    frames: usize,
    /// Each frame's ip, and whether its name is the one the symbol table gives for the function
    /// expected at that position (true past the expected ones or without a table).
    ips: [usize; MAX_FRAMES],
    names_ok: [bool; MAX_FRAMES],
    /// A frame line named no function of the image, or printed the garbage word.
    garbage: bool,
}

/// Whether `name` (the rest of a frame line after `] `) is `function`'s name as the symbol
/// table gives it, followed by `+0x`.
fn names(symbols: &SymbolTable<'_>, name: &str, function: usize) -> bool {
    symbols.lookup(function as u64).is_some_and(|want| {
        name.strip_prefix(want.symbol.name)
            .is_some_and(|after| after.starts_with("+0x"))
    })
}

/// Parses the frame lines after the first `Call Trace:` of `text`; `expected` are code
/// addresses of the functions the first frames must name. A first line naming `dump_stack`
/// itself (Linux's traces start with dump_stack_lvl; ours with dump_stack unless the compiler
/// made its call a tail call, which leaves it no frame) is left out.
fn parse_trace(text: &str, expected: &[usize]) -> Trace {
    let symbols = <S390 as mightfault_core::Arch>::kernel_symbols();
    let dump_stack = mightfault_core::dump_stack::<S390> as *const () as usize;
    let mut trace = Trace {
        has_call_trace: false,
        frames: 0,
        ips: [0; MAX_FRAMES],
        names_ok: [true; MAX_FRAMES],
        garbage: false,
    };
    let Some(start) = text.find("Call Trace:\n") else {
        return trace;
    };
    trace.has_call_trace = true;
    for line in text[start..].lines().skip(1) {
        let body = if let Some(rest) = line.strip_prefix(" [<") {
            rest.strip_suffix(' ')
        } else if let Some(rest) = line.strip_prefix("([<") {
            rest.strip_suffix(')')
        } else {
            None
        };
        let Some((ip, name)) = body.and_then(|body| {
            let ip = usize::from_str_radix(body.get(..16)?, 16).ok()?;
            Some((ip, body.get(16..)?.strip_prefix(">] ")?))
        }) else {
            break;
        };
        if trace.frames == 0 && names(&symbols, name, dump_stack) {
            continue;
        }
        let at = trace.frames;
        trace.frames += 1;
        if at >= MAX_FRAMES {
            continue;
        }
        trace.ips[at] = ip;
        if ip == GARBAGE_LINK || name.contains("dead") {
            trace.garbage = true;
        }
        if !symbols.is_empty() {
            match symbols.lookup(ip as u64) {
                Some(hit) => {
                    if !name
                        .strip_prefix(hit.symbol.name)
                        .is_some_and(|after| after.starts_with("+0x"))
                    {
                        trace.garbage = true;
                    }
                }
                None => trace.garbage = true,
            }
            if let Some(&function) = expected.get(at) {
                trace.names_ok[at] = names(&symbols, name, function);
            }
        }
    }
    trace
}

/// Prints `dump_stack()` from the innermost of three calls with `corruption` applied to the
/// middle frame's back chain meanwhile, and parses the captured trace.
fn chain_trace(corruption: Corruption) -> Trace {
    mightfault_core::console::capture_start::<S390>();
    black_box(chain_outer(black_box(corruption)));
    let expected = [
        chain_inner as *const () as usize,
        chain_middle as *const () as usize,
        chain_outer as *const () as usize,
    ];
    captured::<S390, _>(|text| parse_trace(text, &expected))
}

#[inline(never)]
fn chain_outer(corruption: Corruption) -> usize {
    // Work after each call, so that it is not a tail call and the caller's frame stays.
    black_box(chain_middle(black_box(corruption))) + 1
}

#[inline(never)]
fn chain_middle(corruption: Corruption) -> usize {
    black_box(chain_inner(black_box(corruption))) + 1
}

#[inline(never)]
fn chain_inner(corruption: Corruption) -> usize {
    let own = s390::current_frame();
    // SAFETY: r15 is this function's frame; its back chain (the word at r15) is the frame of
    // chain_middle, its caller, whose back chain is the link to chain_outer's frame. Only a
    // stack walk reads that word (chain_middle's epilogue reloads r15 from its register save
    // area, not from the back chain), and it is put back before this function returns.
    unsafe {
        let middle = (own as *const usize).read_volatile();
        let link = middle as *mut usize;
        let saved = link.read_volatile();
        match corruption {
            Corruption::None => {}
            Corruption::Garbage => link.write_volatile(GARBAGE_LINK),
            Corruption::Downward => link.write_volatile(own),
        }
        mightfault_core::dump_stack::<S390>();
        link.write_volatile(saved);
        middle
    }
}

/// A back chain corrupted by a wild store ends the call trace at the corrupted link, cleanly:
/// `dump_stack()` from `chain_inner` (called by `chain_middle`, called by `chain_outer`)
/// prints the three and this case's callers when nothing is corrupted; with `chain_middle`'s
/// link to `chain_outer`'s frame overwritten by a garbage address, or by a pointer back down
/// at the innermost frame, it prints `chain_inner` and `chain_middle` only, each a function of
/// the image, and the report returns.
fn corrupt_frame_chain_ends_trace() -> Outcome {
    let whole = chain_trace(Corruption::None);
    check!(
        S390,
        whole.has_call_trace,
        "intact: no `Call Trace:` printed"
    );
    check!(
        S390,
        whole.frames >= 4,
        "intact: {} frames (inner, middle, outer and this case's at least): {:x?}",
        whole.frames,
        &whole.ips[..whole.frames.min(MAX_FRAMES)]
    );
    check!(
        S390,
        whole.names_ok[..3] == [true; 3] && !whole.garbage,
        "intact: the first frames do not name chain_inner, chain_middle, chain_outer, or a \
         frame names no function: {:x?}",
        &whole.ips[..whole.frames.min(MAX_FRAMES)]
    );
    for corruption in [Corruption::Garbage, Corruption::Downward] {
        let cut = chain_trace(corruption);
        let which = corruption.name();
        check!(S390, cut.has_call_trace, "{}: no `Call Trace:`", which);
        check!(
            S390,
            cut.frames == 2 && cut.frames < whole.frames,
            "{}: {} frames, expected 2 (inner, middle; {} intact): {:x?}",
            which,
            cut.frames,
            whole.frames,
            &cut.ips[..cut.frames.min(MAX_FRAMES)]
        );
        check!(
            S390,
            cut.names_ok[..2] == [true; 2] && !cut.garbage,
            "{}: the frames do not name chain_inner, chain_middle, or one names no function: \
             {:x?}",
            which,
            &cut.ips[..2]
        );
    }
    Outcome::Pass
}
