//! The powerpc64 image under QEMU (pseries) runs the suites on a real radix MMU, a real data
//! storage interrupt handler and the portable SMP scheduler (see
//! `mightfault_test_kernel::powerpc64`, built from `mightfault_arch::powerpc64`).

use core::hint::black_box;

use mightfault_core::{pagefault_disable, pagefault_enable};
use mightfault_test_kernel::powerpc64::{self as ppc, kuap, Ppc64};

use mightfault_uaccess::{
    clear_user, copy_from_user, copy_to_user, futex_atomic_op_inuser, get_user, put_user, Efault,
    FutexOp,
};

use super::extable_order::exception_table_sorted_at_install;
use super::fixup_cases::{kernel_address_access_is_fixed_up, untranslatable_access_is_fixed_up};
use crate::ktap::{Case, Outcome, Suite};
use crate::machine::{PageKind, SeedMachine};
use crate::support::{captured, check};

bare_metal_seed_machine!(
    Ppc64,
    Suite {
        name: "powerpc64",
        cases: &[
            Case {
                name: "kuap_blocks_plain_user_read",
                run: kuap_blocks_plain_user_read,
            },
            Case {
                name: "kuap_window_closed_after_fixup",
                run: kuap_window_closed_after_fixup,
            },
            Case {
                name: "kernel_address_fault_is_fixed_up",
                run: kernel_address_fault_is_fixed_up,
            },
            Case {
                name: "segment_fault_is_fixed_up",
                run: segment_fault_is_fixed_up,
            },
            Case {
                name: "remap_drops_stale_translation",
                run: remap_drops_stale_translation,
            },
            Case {
                name: "user_limit_is_above_user_area",
                run: user_limit_is_above_user_area,
            },
            Case {
                name: "exception_table_sorted_at_install",
                run: exception_table_sorted_at_install::<Ppc64>,
            },
            Case {
                name: "corrupt_frame_chain_ends_trace",
                run: corrupt_frame_chain_ends_trace,
            },
        ],
    }
);

/// With KUAP (the AMR blocking user access outside the accessors' windows), a kernel load
/// from or store to a present user page faults, as under SMAP on x86_64, while get_user and
/// put_user of the same address work: a plain dereference of a user pointer is caught, even
/// right after a window filled the translation.
fn kuap_blocks_plain_user_read() -> Outcome {
    check!(
        Ppc64,
        kuap::user_access_blocked(),
        "user access is open in task context (AMR {:#x})",
        kuap::amr()
    );
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    Ppc64::poke_user(user, &[0x42]);
    check!(
        Ppc64,
        kuap::probe_plain_read(user),
        "a plain read of a present user page did not fault"
    );
    let mut value = 0u8;
    let got = get_user::<Ppc64, u8>(&mut value, user);
    check!(
        Ppc64,
        got.is_ok() && value == 0x42,
        "get_user read {:?} {:#x}",
        got,
        value
    );
    check!(
        Ppc64,
        kuap::probe_plain_read(user),
        "a plain read right after get_user's window did not fault"
    );
    check!(
        Ppc64,
        kuap::probe_plain_write(user, 0x99),
        "a plain write to a present user page did not fault"
    );
    let put = put_user::<Ppc64, u8>(0x17, user);
    check!(Ppc64, put.is_ok(), "put_user: {:?}", put);
    let mut byte = [0u8];
    Ppc64::peek_user(user, &mut byte);
    check!(
        Ppc64,
        byte[0] == 0x17,
        "the page holds {:#x}, not put_user's 0x17 (a plain write got through?)",
        byte[0]
    );
    check!(
        Ppc64,
        kuap::user_access_blocked(),
        "user access left open (AMR {:#x})",
        kuap::amr()
    );
    Outcome::Pass
}

/// Every accessor whose fault is fixed up closes its window on the way out: after a get_user,
/// put_user, copy, clear and futex operation that faulted on an unmapped page (the copies
/// partway, from the page before it), the AMR is blocked again and a plain load of the
/// present page faults. Page faults are disabled around the futex operation, as its callers
/// have them.
fn kuap_window_closed_after_fixup() -> Outcome {
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw, PageKind::Unmapped]);
    let hole = user + ppc::PAGE_SIZE;
    Ppc64::poke_user(user, &[0x5a; 64]);
    let mut value = u64::MAX;
    let got = get_user::<Ppc64, u64>(&mut value, hole);
    check!(Ppc64, got == Err(Efault), "get_user of a hole: {:?}", got);
    check!(
        Ppc64,
        window_closed(user),
        "after get_user: AMR {:#x}",
        kuap::amr()
    );
    let put = put_user::<Ppc64, u64>(1, hole);
    check!(Ppc64, put == Err(Efault), "put_user to a hole: {:?}", put);
    check!(
        Ppc64,
        window_closed(user),
        "after put_user: AMR {:#x}",
        kuap::amr()
    );
    // 40 bytes before the hole, 24 in it.
    let start = hole - 40;
    let mut buf = [0u8; 64];
    let left = copy_from_user::<Ppc64>(&mut buf, start);
    check!(Ppc64, left == 24, "copy_from_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after copy_from_user: AMR {:#x}",
        kuap::amr()
    );
    let left = copy_to_user::<Ppc64>(start, &[0xa5; 64]);
    check!(Ppc64, left == 24, "copy_to_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after copy_to_user: AMR {:#x}",
        kuap::amr()
    );
    let left = clear_user::<Ppc64>(start, 64);
    check!(Ppc64, left == 24, "clear_user left {} (not 24)", left);
    check!(
        Ppc64,
        window_closed(user),
        "after clear_user: AMR {:#x}",
        kuap::amr()
    );
    pagefault_disable::<Ppc64>();
    let old = futex_atomic_op_inuser::<Ppc64>(FutexOp::Add, 1, hole);
    pagefault_enable::<Ppc64>();
    check!(Ppc64, old == Err(Efault), "futex op on a hole: {:?}", old);
    check!(
        Ppc64,
        window_closed(user),
        "after futex_atomic_op_inuser: AMR {:#x}",
        kuap::amr()
    );
    Outcome::Pass
}

/// Whether user access is blocked (no window open) and a plain read of the present user page
/// at `user` faults.
fn window_closed(user: usize) -> bool {
    kuap::user_access_blocked() && kuap::probe_plain_read(user)
}

/// An unchecked access to an unmapped address in the kernel quadrant (a data storage
/// interrupt: the radix walk finds no entry) is fixed up, not oopsed.
fn kernel_address_fault_is_fixed_up() -> Outcome {
    kernel_address_access_is_fixed_up::<Ppc64>(0xc000_1000_0000_0000)
}

/// An address in quadrant 1 or 2 has no translation at all (a data segment interrupt, 0x380);
/// inside a user access it is fixed up too.
fn segment_fault_is_fixed_up() -> Outcome {
    untranslatable_access_is_fixed_up::<Ppc64>(0x4000_0000_0000_0000)
}

/// The layout: the user area lies below USER_LIMIT and every kernel address above it.
fn user_limit_is_above_user_area() -> Outcome {
    let kernel = user_limit_is_above_user_area as *const () as usize;
    check!(
        Ppc64,
        ppc::USER_AREA_BASE + 16 * ppc::PAGE_SIZE <= ppc::USER_LIMIT && kernel >= ppc::USER_LIMIT,
        "user area {:#x}, limit {:#x}, kernel {:#x}",
        ppc::USER_AREA_BASE,
        ppc::USER_LIMIT,
        kernel
    );
    Outcome::Pass
}

/// A new layout at the same user address is seen at once: the old page's translation, cached
/// by the access before the remap, is flushed (`tlbie`) and the fresh page reads as zero.
fn remap_drops_stale_translation() -> Outcome {
    let user = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    let put = put_user::<Ppc64, u64>(0x5eed_5eed_5eed_5eed, user);
    check!(Ppc64, put.is_ok(), "put_user: {:?}", put);
    let again = Ppc64::map_user_pages(&[PageKind::PresentRw]);
    check!(Ppc64, again == user, "the area moved: {:#x}", again);
    let mut value = u64::MAX;
    let got = get_user::<Ppc64, u64>(&mut value, user);
    check!(
        Ppc64,
        got.is_ok() && value == 0,
        "get_user after remap: {:?}, value {:#x}",
        got,
        value
    );
    Outcome::Pass
}

/// What the chain below does to the back-chain word of `chain_middle`'s frame (the link to
/// `chain_outer`'s frame) while it prints its trace.
#[derive(Clone, Copy)]
enum Corruption {
    /// Nothing: the whole chain is printed.
    None,
    /// This word instead of the link (an aligned address outside the stack).
    Link(usize),
    /// A link pointing down, at the innermost frame (a loop).
    Downward,
}

/// Garbage back-chain words: below every kernel address, and above the stack in the kernel
/// quadrant but beyond its linear map (a read there faults).
const GARBAGE_LINKS: [usize; 2] = [0x0000_dead_beef_0000, 0xc000_dead_beef_0000];

/// Most frame lines a summary keeps.
const MAX_SEEN: usize = 16;

/// The frame lines of one captured `Call Trace:`.
struct TraceSummary {
    has_call_trace: bool,
    frames: usize,
    /// The frame and ip columns of the first frames.
    seen: [(usize, usize); MAX_SEEN],
    /// Of the first frames, which function of the chain each ip lies in (1 = `chain_inner`,
    /// 2 = `chain_middle`, 3 = `chain_outer`, 0 = another or unknown), by the symbol table.
    chain: [u8; MAX_SEEN],
    /// Whether every frame line names the function the symbol table gives for its ip
    /// (`name+0x`), or prints the bare address where the table has none.
    names_match: bool,
}

impl TraceSummary {
    /// Where `chain_inner`'s frame is, if a frame names it.
    fn inner_at(&self) -> Option<usize> {
        self.chain[..self.frames.min(MAX_SEEN)]
            .iter()
            .position(|&which| which == 1)
    }
}

/// Parses the `[%016lx] [%016lx] name+0x../0x..` lines after `Call Trace:`.
fn summarize(text: &str, chain_fns: [usize; 3]) -> TraceSummary {
    let mut summary = TraceSummary {
        has_call_trace: false,
        frames: 0,
        seen: [(0, 0); MAX_SEEN],
        chain: [0; MAX_SEEN],
        names_match: true,
    };
    let Some(start) = text.find("Call Trace:\n") else {
        return summary;
    };
    summary.has_call_trace = true;
    let symbols = <Ppc64 as mightfault_core::Arch>::kernel_symbols();
    for line in text[start..].lines().skip(1) {
        let parsed = (|| {
            let rest = line.strip_prefix('[')?;
            let frame = usize::from_str_radix(rest.get(..16)?, 16).ok()?;
            let rest = rest.get(16..)?.strip_prefix("] [")?;
            let ip = usize::from_str_radix(rest.get(..16)?, 16).ok()?;
            let name = rest.get(16..)?.strip_prefix("] ")?;
            Some((frame, ip, name))
        })();
        let Some((frame, ip, name)) = parsed else {
            break;
        };
        let hit = symbols.lookup(ip as u64);
        summary.names_match &= match hit {
            Some(hit) => name
                .strip_prefix(hit.symbol.name)
                .is_some_and(|after| after.starts_with("+0x")),
            None => name.starts_with("0x"),
        };
        if summary.frames < MAX_SEEN {
            summary.seen[summary.frames] = (frame, ip);
            let start = hit.map(|hit| hit.symbol.start as usize);
            summary.chain[summary.frames] = chain_fns
                .iter()
                .position(|&f| Some(f) == start)
                .map_or(0, |i| i as u8 + 1);
        }
        summary.frames += 1;
    }
    summary
}

/// Prints `dump_stack()` from the innermost of three calls, with `corruption` applied to the
/// middle frame's back chain meanwhile, and summarizes the captured trace.
fn chain_trace(corruption: Corruption) -> TraceSummary {
    mightfault_core::console::capture_start::<Ppc64>();
    black_box(chain_outer(black_box(corruption)));
    let chain_fns = [
        chain_inner as *const () as usize,
        chain_middle as *const () as usize,
        chain_outer as *const () as usize,
    ];
    captured::<Ppc64, _>(|text| summarize(text, chain_fns))
}

#[inline(never)]
fn chain_outer(corruption: Corruption) -> usize {
    // Work after the call, so that it is not a tail call and the frame stays.
    black_box(chain_middle(black_box(corruption))) + 1
}

#[inline(never)]
fn chain_middle(corruption: Corruption) -> usize {
    black_box(chain_inner(black_box(corruption))) + 1
}

#[inline(never)]
fn chain_inner(corruption: Corruption) -> usize {
    let own = ppc::current_frame();
    // SAFETY: r1 is this function's frame; its back chain (the word at r1) is the frame of
    // chain_middle, its caller, whose first word is the link to chain_outer's frame. The word
    // is chain_middle's to restore r1 from, so it is put back before this function returns,
    // and nothing but a stack walk reads it meanwhile.
    unsafe {
        let middle = (own as *const usize).read_volatile();
        let link = middle as *mut usize;
        let saved = link.read_volatile();
        match corruption {
            Corruption::None => {}
            Corruption::Link(value) => link.write_volatile(value),
            Corruption::Downward => link.write_volatile(own),
        }
        mightfault_core::dump_stack::<Ppc64>();
        link.write_volatile(saved);
        middle
    }
}

/// A back chain corrupted by a wild store ends the call trace at the corrupted link, cleanly:
/// `dump_stack()` from `chain_inner` (called by `chain_middle`, called by `chain_outer`) prints
/// `dump_stack`, then the whole chain, down to this case and past it, when nothing is
/// corrupted; with `chain_middle`'s link to `chain_outer`'s frame overwritten by a garbage
/// address below or above the stack (one that faults if read, one that is mapped), or by a
/// pointer down at the innermost frame (a loop), the trace ends with `chain_middle`, each frame
/// inside the task's stack and each ip in a function of the image, and the report returns.
/// (Without a symbol table in the image, only the frame counts are compared.)
fn corrupt_frame_chain_ends_trace() -> Outcome {
    let (low, high) =
        mightfault_test_kernel::sched::current_stack_range::<Ppc64>().unwrap_or((0, usize::MAX));
    let symbols = <Ppc64 as mightfault_core::Arch>::kernel_symbols();
    let named = !symbols.is_empty();
    let whole = chain_trace(Corruption::None);
    let shown = whole.frames.min(MAX_SEEN);
    check!(Ppc64, whole.has_call_trace, "no `Call Trace:` printed");
    check!(
        Ppc64,
        whole.names_match,
        "a frame line misnames its ip: {:x?}",
        &whole.seen[..shown]
    );
    // The report's own frame (dump_stack) may come first; chain_inner right after.
    let inner = whole.inner_at().unwrap_or(0);
    check!(
        Ppc64,
        !named || (whole.inner_at().is_some() && inner <= 2),
        "no chain_inner among the first frames: {:x?}",
        &whole.seen[..shown]
    );
    check!(
        Ppc64,
        !named || whole.chain[inner..inner + 3] == [1, 2, 3],
        "chain_inner is not followed by chain_middle, chain_outer: {:x?}",
        &whole.seen[..shown]
    );
    check!(
        Ppc64,
        whole.frames >= inner + 4,
        "an intact chain printed {} frames (inner, middle, outer, this case at least)",
        whole.frames
    );
    // The garbage words, the top of the stack (mapped memory, but not this stack's), and a
    // link down at the innermost frame.
    let corruptions = [
        ("garbage below", Corruption::Link(GARBAGE_LINKS[0])),
        ("garbage above", Corruption::Link(GARBAGE_LINKS[1])),
        ("stack top", Corruption::Link(high)),
        ("downward", Corruption::Downward),
    ];
    for (which, corruption) in corruptions {
        let cut = chain_trace(corruption);
        let shown = cut.frames.min(MAX_SEEN);
        check!(
            Ppc64,
            cut.has_call_trace,
            "{} link: no `Call Trace:`",
            which
        );
        check!(
            Ppc64,
            cut.frames == inner + 2 && cut.frames < whole.frames,
            "{} link: {} frames, expected {} (up to chain_middle; {} intact): {:x?}",
            which,
            cut.frames,
            inner + 2,
            whole.frames,
            &cut.seen[..shown]
        );
        check!(
            Ppc64,
            !named || cut.chain[inner..inner + 2] == [1, 2],
            "{} link: the last frames are not chain_inner, chain_middle: {:x?}",
            which,
            &cut.seen[..shown]
        );
        check!(
            Ppc64,
            cut.names_match,
            "{} link: a frame line misnames its ip: {:x?}",
            which,
            &cut.seen[..shown]
        );
        for &(frame, ip) in &cut.seen[..shown] {
            check!(
                Ppc64,
                frame >= low && frame < high,
                "{} link: frame {:#x} outside the stack {:#x}..{:#x}",
                which,
                frame,
                low,
                high
            );
            check!(
                Ppc64,
                !named || symbols.lookup(ip as u64).is_some(),
                "{} link: ip {:#x} names no function",
                which,
                ip
            );
        }
    }
    Outcome::Pass
}
