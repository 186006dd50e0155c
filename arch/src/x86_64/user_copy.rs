//! Block copies and clears of user memory: two routines for each, and the choice between them,
//! made once at boot from what the cpu reports.
//!
//! - [`StringRoutine::RepString`]: one `rep movsb` (copies) or `rep stosb` (clears). Both are
//!   restartable per byte: on a fault RCX holds exactly the bytes not done, so the fixup is
//!   the `clac` after the instruction, and a resolved fault (a page-in) resumes the
//!   instruction where it stopped.
//! - [`StringRoutine::WordLoop`]: 8-byte moves in a loop, then single bytes for the tail. An
//!   8-byte access that faults writes nothing (x86 faults are precise: a faulting `mov` has
//!   not stored any of its bytes), so when such a fault is not resolved the fixup continues
//!   with the byte loop from the start of that word: the bytes before the faulting one are
//!   copied, the faulting byte faults again and its fixup ends the copy with RCX = the bytes
//!   not copied, exact, and nothing past the faulting byte written. A resolved fault retries
//!   the 8-byte move.
//!
//! Which routine is fast is the cpu's business. `rep movsb` costs a fixed start-up before it
//! moves anything unless the cpu has FSRM (fast short `rep movsb`, CPUID.(EAX=7,ECX=0):EDX
//! bit 4); `rep stosb` likewise unless it has FSRS (fast short `rep stosb`,
//! CPUID.(EAX=7,ECX=1):EAX bit 11). ERMS (enhanced `rep movsb`/`rep stosb`,
//! CPUID.(EAX=7,ECX=0):EBX bit 9) does not count: it promises speed for long strings only,
//! and these routines see every size from one byte up with no size split in front of them.
//! That is Linux's rule as well: `copy_user_generic()` inlines `rep movsb` only with FSRM and
//! `__clear_user()` `rep stosb` only with FSRS, calling a word loop otherwise. (Linux's word
//! loop hands copies of 64 bytes or more back to `rep movsb` when the cpu has ERMS; ours keeps
//! to words, so a cpu with ERMS but without FSRM copies long blocks at one word per
//! iteration.)
//!
//! The choice is one byte in a static ([`select_at_boot`] writes it, the copy path reads it):
//! a load and a branch in front of the inline `rep movsb`, always predicted the same way,
//! where a function pointer would put an indirect call (and with retpolines a far slower
//! one) on every copy and keep `rep movsb` out of line. Linux patches the call site itself
//! (alternatives); a branch on a read-mostly byte costs about as little without rewriting
//! kernel text. Until [`select_at_boot`] runs every cpu uses the word loops, which are
//! correct on every x86_64 cpu; since both routines are correct on every cpu, choosing
//! again later ([`select`]) is harmless too.
//!
//! [`copy_user_with`] and [`clear_user_with`] take the routine explicitly, so a kernel's tests
//! can run both whatever the cpu reports; `super::uaccess` calls them with the boot choice.

use core::arch::asm;
use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::sync::atomic::{AtomicU8, Ordering};

/// How a copy or a clear moves its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringRoutine {
    /// `rep movsb` for copies, `rep stosb` for clears.
    RepString,
    /// 8-byte moves, then bytes for the tail and from a word that faulted.
    WordLoop,
}

/// The string-move features the cpu reports in CPUID leaf 7.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StringFeatures {
    /// Enhanced `rep movsb`/`rep stosb` (leaf 7 subleaf 0, EBX bit 9): fast long strings.
    pub erms: bool,
    /// Fast short `rep movsb` (leaf 7 subleaf 0, EDX bit 4).
    pub fsrm: bool,
    /// Fast short `rep stosb` (leaf 7 subleaf 1, EAX bit 11).
    pub fsrs: bool,
}

impl StringFeatures {
    /// What this cpu reports (CPUID leaf 7 only when the cpu has it, subleaf 1 only when leaf
    /// 7 says it exists).
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn of_this_cpu() -> Self {
        if __cpuid(0).eax < 7 {
            return Self::default();
        }
        let leaf7 = __cpuid_count(7, 0);
        // Leaf 7 subleaf 0 EAX is the highest subleaf.
        let fsrs = leaf7.eax >= 1 && __cpuid_count(7, 1).eax & (1 << 11) != 0;
        Self {
            erms: leaf7.ebx & (1 << 9) != 0,
            fsrm: leaf7.edx & (1 << 4) != 0,
            fsrs,
        }
    }

    /// The copy routine for a cpu with these features: `rep movsb` with FSRM, the word loop
    /// otherwise (see the module documentation for why ERMS does not count).
    ///
    /// ```
    /// use mightfault_arch::x86_64::user_copy::{StringFeatures, StringRoutine};
    ///
    /// let long_only = StringFeatures { erms: true, fsrm: false, fsrs: false };
    /// assert_eq!(long_only.copy_routine(), StringRoutine::WordLoop);
    /// let short_movs = StringFeatures { erms: true, fsrm: true, fsrs: false };
    /// assert_eq!(short_movs.copy_routine(), StringRoutine::RepString);
    /// assert_eq!(short_movs.clear_routine(), StringRoutine::WordLoop);
    /// ```
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn copy_routine(self) -> StringRoutine {
        if self.fsrm {
            StringRoutine::RepString
        } else {
            StringRoutine::WordLoop
        }
    }

    /// The clear routine for a cpu with these features: `rep stosb` with FSRS, the word loop
    /// otherwise.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub const fn clear_routine(self) -> StringRoutine {
        if self.fsrs {
            StringRoutine::RepString
        } else {
            StringRoutine::WordLoop
        }
    }
}

/// [`CHOICE`] bit: copies use `rep movsb`.
const COPY_REP_MOVSB: u8 = 1 << 0;
/// [`CHOICE`] bit: clears use `rep stosb`.
const CLEAR_REP_STOSB: u8 = 1 << 1;

/// The choice: [`COPY_REP_MOVSB`] and [`CLEAR_REP_STOSB`]. Zero (both word loops) until
/// [`select_at_boot`] (or [`select`]) runs.
static CHOICE: AtomicU8 = AtomicU8::new(0);

/// Chooses the copy and clear routines from this cpu's CPUID and keeps the choice for every
/// later copy and clear; returns the features it went by.
///
/// Call it once at boot, on the boot cpu, before the first user access (the cpus of one
/// machine report the same features). Before it runs, the word loops are used.
///
/// # Context
/// Never sleeps; boot.
pub fn select_at_boot() -> StringFeatures {
    let features = StringFeatures::of_this_cpu();
    select(features.copy_routine(), features.clear_routine());
    features
}

/// Sets the routines every later copy and clear uses, overriding the boot choice: for a
/// kernel whose command line turns a cpu feature off (as Linux's `clearcpuid=`), and for
/// tests that run both routines through the checked accessors. Both routines are correct on
/// every cpu, so a copy on another cpu that still sees the old choice is correct too.
///
/// # Context
/// Never sleeps; any context.
pub fn select(copy: StringRoutine, clear: StringRoutine) {
    let mut choice = 0;
    if copy == StringRoutine::RepString {
        choice |= COPY_REP_MOVSB;
    }
    if clear == StringRoutine::RepString {
        choice |= CLEAR_REP_STOSB;
    }
    // Relaxed: each copy reads one byte, and either value is correct; at boot, bringing the
    // other cpus up orders this store before their first copy anyway.
    CHOICE.store(choice, Ordering::Relaxed);
}

/// The routine copies use (the boot choice).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn copy_routine() -> StringRoutine {
    if CHOICE.load(Ordering::Relaxed) & COPY_REP_MOVSB != 0 {
        StringRoutine::RepString
    } else {
        StringRoutine::WordLoop
    }
}

/// The routine clears use (the boot choice).
///
/// # Context
/// Never sleeps; any context.
#[inline(always)]
pub fn clear_routine() -> StringRoutine {
    if CHOICE.load(Ordering::Relaxed) & CLEAR_REP_STOSB != 0 {
        StringRoutine::RepString
    } else {
        StringRoutine::WordLoop
    }
}

/// Copies `n` bytes from `from` to `to`, one side user memory and the other kernel memory,
/// with `routine`; returns the number of bytes not copied. On a fault that is not resolved the
/// count is exact and nothing past the faulting byte is written; the rest of `to` is left as
/// it was.
///
/// # Safety
/// The kernel side valid for `n` bytes (readable `from` or writable `to`); the user side
/// range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn copy_user_with(
    routine: StringRoutine,
    to: *mut u8,
    from: *const u8,
    n: usize,
) -> usize {
    match routine {
        // SAFETY: the caller's contract.
        StringRoutine::RepString => unsafe { copy_rep_movsb(to, from, n) },
        // SAFETY: the caller's contract.
        StringRoutine::WordLoop => unsafe { copy_words(to, from, n) },
    }
}

/// Zeroes `n` bytes at user address `to` with `routine`; returns the number of bytes not
/// zeroed (exact; nothing past the faulting byte written).
///
/// # Safety
/// `to` range-checked by the caller (`access_ok`).
///
/// # Context
/// May sleep to resolve a fault unless faulthandler_disabled().
#[inline(always)]
pub unsafe fn clear_user_with(routine: StringRoutine, to: usize, n: usize) -> usize {
    match routine {
        // SAFETY: the caller's contract.
        StringRoutine::RepString => unsafe { clear_rep_stosb(to, n) },
        // SAFETY: the caller's contract.
        StringRoutine::WordLoop => unsafe { clear_words(to, n) },
    }
}

/// `rep movsb` between user and kernel memory; returns the bytes not copied.
///
/// # Safety
/// As [`copy_user_with`].
#[inline(always)]
unsafe fn copy_rep_movsb(to: *mut u8, from: *const u8, n: usize) -> usize {
    let left: usize;
    // SAFETY: the caller's contract; on a fault that is not resolved, the fixup lands on the
    // clac with RCX = bytes not copied, and nothing past the faulting byte was written.
    unsafe {
        asm!(
            stac!(),
            "2: rep movsb",
            "3:",
            clac!(),
            ex_entry!("2b", "3b"),
            inout("rcx") n => left,
            inout("rdi") to => _,
            inout("rsi") from => _,
            options(nostack),
        );
    }
    left
}

/// `rep stosb` of zeroes at a user address; returns the bytes not zeroed.
///
/// # Safety
/// As [`clear_user_with`].
#[inline(always)]
unsafe fn clear_rep_stosb(to: usize, n: usize) -> usize {
    let left: usize;
    // SAFETY: rep stosb writes n bytes at `to` (checked by the caller) inside stac/clac; on a
    // fault that is not resolved, the fixup lands on the clac with RCX = bytes not written.
    unsafe {
        asm!(
            stac!(),
            "2: rep stosb",
            "3:",
            clac!(),
            ex_entry!("2b", "3b"),
            inout("rcx") n => left,
            inout("rdi") to => _,
            in("al") 0u8,
            options(nostack),
        );
    }
    left
}

/// The word-loop copy; returns the bytes not copied. Out of line, as Linux's
/// `rep_movs_alternative`: it is long, and the call costs little next to the loop.
///
/// # Safety
/// As [`copy_user_with`].
#[inline(never)]
unsafe fn copy_words(to: *mut u8, from: *const u8, n: usize) -> usize {
    let left: usize;
    // SAFETY: the caller's contract. Every load and store inside stac/clac has an entry: a
    // word access that faults wrote nothing and continues with the byte loop at the same
    // RSI/RDI/RCX (the start of that word); a byte access that faults ends the copy at the
    // clac with RCX = the bytes not copied, the faulting one included.
    unsafe {
        asm!(
            stac!(),
            "cmp rcx, 8",
            "jb 5f",
            "2: mov {word}, qword ptr [rsi]",
            "3: mov qword ptr [rdi], {word}",
            "add rsi, 8",
            "add rdi, 8",
            "sub rcx, 8",
            "cmp rcx, 8",
            "jae 2b",
            "5: test rcx, rcx",
            "jz 8f",
            "6: mov {word:l}, byte ptr [rsi]",
            "7: mov byte ptr [rdi], {word:l}",
            "inc rsi",
            "inc rdi",
            "dec rcx",
            "jnz 6b",
            "8:",
            clac!(),
            ex_entry!("2b", "5b"),
            ex_entry!("3b", "5b"),
            ex_entry!("6b", "8b"),
            ex_entry!("7b", "8b"),
            word = out(reg) _,
            inout("rcx") n => left,
            inout("rdi") to => _,
            inout("rsi") from => _,
            options(nostack),
        );
    }
    left
}

/// The word-loop clear; returns the bytes not zeroed. Out of line, as [`copy_words`].
///
/// # Safety
/// As [`clear_user_with`].
#[inline(never)]
unsafe fn clear_words(to: usize, n: usize) -> usize {
    let left: usize;
    // SAFETY: stores of zero at `to` (checked by the caller) inside stac/clac, each with an
    // entry: a word store that faults wrote nothing and continues with the byte loop at the
    // same RDI/RCX; a byte store that faults ends the clear at the clac with RCX = the bytes
    // not zeroed.
    unsafe {
        asm!(
            stac!(),
            "cmp rcx, 8",
            "jb 5f",
            "2: mov qword ptr [rdi], {zero}",
            "add rdi, 8",
            "sub rcx, 8",
            "cmp rcx, 8",
            "jae 2b",
            "5: test rcx, rcx",
            "jz 8f",
            "6: mov byte ptr [rdi], {zero:l}",
            "inc rdi",
            "dec rcx",
            "jnz 6b",
            "8:",
            clac!(),
            ex_entry!("2b", "5b"),
            ex_entry!("6b", "8b"),
            zero = in(reg) 0u64,
            inout("rcx") n => left,
            inout("rdi") to => _,
            options(nostack),
        );
    }
    left
}
