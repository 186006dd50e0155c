//! The user-memory benchmark the bench image runs (`cargo xtask bench`): the user copies
//! against the plain kernel copies of the same size, and the per-call cost of get_user and
//! might_fault, in the configuration the image was built in.
//!
//! Figures, not tests: nothing here passes or fails. Each figure is taken as `REPETITIONS`
//! samples, the pairs that are compared interleaved sample by sample (so a slow stretch of a
//! loaded TCG host hits both sides alike); each sample times enough calls to move
//! [`SAMPLE_BYTES`] (or [`CALLS_PER_SAMPLE`] calls), and the lines give the minimum and the
//! median per call. Lines start with `# bench ` (KTAP diagnostics) and are `key=value` pairs
//! that `cargo xtask bench` turns into a table.

mod measure;

use core::hint::black_box;

use mightfault_uaccess::{clear_user, copy_from_user, copy_to_user, get_user};

use crate::machine::{PageKind, SeedMachine};
use measure::{per_call, Samples};

/// The copy sizes measured.
pub const SIZES: [usize; 4] = [64, 256, 4096, 65536];
/// Samples per figure.
const REPETITIONS: usize = 11;
/// Bytes each copy sample moves (calls = this / size, at least 1).
const SAMPLE_BYTES: usize = 1 << 18;
/// Calls each get_user / might_fault sample makes.
const CALLS_PER_SAMPLE: u32 = 4096;
/// The largest size, the kernel buffers' size.
const MAX_SIZE: usize = 65536;

/// Kernel-side buffers, 64-byte aligned like a slab object would be.
#[repr(C, align(64))]
struct Buffer([u8; MAX_SIZE]);

static mut SOURCE: Buffer = Buffer([0x5a; MAX_SIZE]);
static mut TARGET: Buffer = Buffer([0; MAX_SIZE]);

/// Runs every measurement on machine `M`, printing `# bench` lines.
///
/// # Context
/// May sleep (the first touch of the user pages pages them in); task context, no locks held.
pub fn run<M: SeedMachine>() {
    let pages = MAX_SIZE / M::PAGE_SIZE;
    let kinds = [PageKind::PresentRw; 16];
    let user = M::map_user_pages(&kinds[..pages.min(kinds.len())]);
    // SAFETY: only this benchmark touches the buffers, from one task, one call at a time.
    let (source, target) = unsafe {
        (
            &*core::ptr::addr_of!(SOURCE.0),
            &mut *core::ptr::addr_of_mut!(TARGET.0),
        )
    };
    mightfault_core::kprint!(
        M,
        "# bench config={} cpus={} repetitions={}\n",
        mightfault_core::config::name(),
        M::nr_cpus(),
        REPETITIONS
    );
    for size in SIZES {
        copies::<M>(user, size, source, target);
    }
    calls::<M>(user);
}

/// The three user copies of `size` bytes, each interleaved with its kernel counterpart.
fn copies<M: SeedMachine>(user: usize, size: usize, source: &[u8], target: &mut [u8]) {
    let calls = (SAMPLE_BYTES / size).max(1) as u32;
    let mut pairs = [[Samples::new(), Samples::new()]; 3];
    for _ in 0..REPETITIONS {
        let [to_user, memcpy] = &mut pairs[0];
        to_user.push(per_call::<M>(calls, || {
            black_box(copy_to_user::<M>(black_box(user), &source[..size]));
        }));
        memcpy.push(per_call::<M>(calls, || {
            // SAFETY: both buffers hold MAX_SIZE >= size bytes and do not overlap.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    black_box(source.as_ptr()),
                    black_box(target.as_mut_ptr()),
                    size,
                )
            }
        }));
        let [from_user, memcpy] = &mut pairs[1];
        from_user.push(per_call::<M>(calls, || {
            black_box(copy_from_user::<M>(&mut target[..size], black_box(user)));
        }));
        memcpy.push(per_call::<M>(calls, || {
            // SAFETY: as above.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    black_box(source.as_ptr()),
                    black_box(target.as_mut_ptr()),
                    size,
                )
            }
        }));
        let [clear, memset] = &mut pairs[2];
        clear.push(per_call::<M>(calls, || {
            black_box(clear_user::<M>(black_box(user), size));
        }));
        memset.push(per_call::<M>(calls, || {
            // SAFETY: the target holds MAX_SIZE >= size bytes.
            unsafe { core::ptr::write_bytes(black_box(target.as_mut_ptr()), 0, size) }
        }));
        black_box(&mut *target);
    }
    let names = [
        ("copy_to_user", "copy_nonoverlapping"),
        ("copy_from_user", "copy_nonoverlapping"),
        ("clear_user", "write_bytes"),
    ];
    for ((op, base), [samples, baseline]) in names.into_iter().zip(pairs.iter_mut()) {
        print_pair::<M>(op, size, samples, base, baseline);
    }
}

/// get_user::<u64> and might_fault per call, and the empty loop they run in.
fn calls<M: SeedMachine>(user: usize) {
    let mut figures = [Samples::new(), Samples::new(), Samples::new()];
    for _ in 0..REPETITIONS {
        figures[0].push(per_call::<M>(CALLS_PER_SAMPLE, || {
            black_box(0u64);
        }));
        figures[1].push(per_call::<M>(CALLS_PER_SAMPLE, || {
            let mut value = 0u64;
            black_box(get_user::<M, u64>(&mut value, black_box(user)).ok());
            black_box(value);
        }));
        figures[2].push(per_call::<M>(CALLS_PER_SAMPLE, || {
            mightfault_core::might_fault::<M>();
        }));
    }
    for (name, samples) in ["empty_loop", "get_user_u64", "might_fault"]
        .into_iter()
        .zip(figures.iter_mut())
    {
        let (min, median) = samples.min_median();
        mightfault_core::kprint!(
            M,
            "# bench call={} min_ps={} median_ps={}\n",
            name,
            min,
            median
        );
    }
}

fn print_pair<M: SeedMachine>(
    op: &str,
    size: usize,
    samples: &mut Samples,
    base: &str,
    baseline: &mut Samples,
) {
    let (min, median) = samples.min_median();
    let (base_min, base_median) = baseline.min_median();
    mightfault_core::kprint!(
        M,
        "# bench copy={} size={} min_ps={} median_ps={} base={} base_min_ps={} base_median_ps={}\n",
        op,
        size,
        min,
        median,
        base,
        base_min,
        base_median
    );
}
