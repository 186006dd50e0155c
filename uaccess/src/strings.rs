//! NUL-terminated strings from user memory.
//!
//! Strings have no length up front, so, as in Linux, the range is clamped to the user limit
//! instead of being refused: a string that ends below the limit is fine even if the buffer
//! size would reach past it.

use mightfault_core::{might_fault, Efault, RawUserAccess};

/// Bytes fetched per raw copy while looking for the NUL.
const CHUNK: usize = 64;

/// Where the NUL is, looking at most `max` bytes from user address `src` (which must be
/// below the user limit), or how the search ended.
enum Scan {
    /// The NUL is at this offset.
    Nul(usize),
    /// No NUL in `max` bytes.
    NotFound,
    /// A fault after this many readable bytes.
    Fault,
}

/// Reads up to `max` bytes from `src` in chunks, handing each to `sink(offset, bytes)`, until
/// the NUL or a fault.
fn scan<A: RawUserAccess>(src: usize, max: usize, mut sink: impl FnMut(usize, &[u8])) -> Scan {
    let mut chunk = [0u8; CHUNK];
    let mut done = 0;
    while done < max {
        let want = (max - done).min(CHUNK);
        // SAFETY: the caller clamped `max` so that `[src, src + max)` lies below the user
        // limit; `chunk` is a local buffer of at least `want` bytes.
        let left = unsafe { A::raw_copy_from_user(chunk.as_mut_ptr(), src + done, want) };
        let got = want - left;
        if let Some(nul) = chunk[..got].iter().position(|&byte| byte == 0) {
            sink(done, &chunk[..=nul]);
            return Scan::Nul(done + nul);
        }
        sink(done, &chunk[..got]);
        done += got;
        if left != 0 {
            return Scan::Fault;
        }
    }
    Scan::NotFound
}

/// How many bytes of `[src, src + count)` lie below the user limit; `None` when `src` is not a
/// user address.
fn clamp_to_user<A: RawUserAccess>(src: usize, count: usize) -> Option<usize> {
    if src >= A::USER_LIMIT {
        return None;
    }
    Some(count.min(A::USER_LIMIT - src))
}

/// Copies a NUL-terminated string from user address `src` into `dst`. Returns the string's
/// length without the NUL (the NUL is copied too) when it fits, `dst.len()` when no NUL was
/// found in `dst.len()` bytes (then `dst` is not terminated), or `Err(Efault)` when the string
/// runs into a fault or the user limit before its end (some bytes may have been copied).
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address, even with an empty `dst`.
#[track_caller]
pub fn strncpy_from_user<A: RawUserAccess>(dst: &mut [u8], src: usize) -> Result<usize, Efault> {
    let count = dst.len();
    // Linux's order (lib/strncpy_from_user.c): might_fault() first, so that even an empty
    // buffer or a bad pointer is checked; then an empty buffer succeeds without looking at
    // `src`.
    might_fault::<A>();
    if count == 0 {
        return Ok(0);
    }
    let Some(max) = clamp_to_user::<A>(src, count) else {
        return Err(Efault);
    };
    let scanned = scan::<A>(src, max, |offset, bytes| {
        dst[offset..offset + bytes.len()].copy_from_slice(bytes);
    });
    match scanned {
        Scan::Nul(len) => Ok(len),
        Scan::NotFound if max == count => Ok(count),
        Scan::NotFound | Scan::Fault => Err(Efault),
    }
}

/// The size of the user string at `src` including its NUL, looking at most `n` bytes: a value
/// above `n` when there is no NUL in `n` bytes, and 0 on a fault or a non-user address.
///
/// # Context
/// May sleep to page user memory in, unless page faults are disabled. Process context; with
/// debug-atomic-sleep, a call in atomic context without pagefault_disable() is reported,
/// whatever the address, unless `n` is 0 (then it returns 0 at once, touching nothing).
#[track_caller]
pub fn strnlen_user<A: RawUserAccess>(src: usize, n: usize) -> usize {
    // Linux's lib/strnlen_user.c returns 0 for a count <= 0 before anything else, and has
    // no might_fault() of its own; the contract gives it one (all seven checked accessors
    // annotate the sleep), after that early return and before the address check, in
    // strncpy_from_user()'s order.
    if n == 0 {
        return 0;
    }
    might_fault::<A>();
    let Some(max) = clamp_to_user::<A>(src, n) else {
        return 0;
    };
    match scan::<A>(src, max, |_, _| {}) {
        Scan::Nul(len) => len + 1,
        Scan::NotFound if max == n => n + 1,
        Scan::NotFound | Scan::Fault => 0,
    }
}
