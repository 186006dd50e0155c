//! The string accessors at the very top of user space, where only the simulation can lay out
//! pages (the images' user areas lie far below their limits): a string may end on the last
//! user byte, and nothing at or above the limit is ever read.

use mightfault_core::{preempt_disable, preempt_enable, RawUserAccess};
use mightfault_test_kernel::host::{
    HostPerCpu, HostPerTask, Machine, MachineConfig, PAGE_SIZE, USER_LIMIT,
};
use mightfault_test_kernel::UserPageKind;
use mightfault_uaccess::{strncpy_from_user, strnlen_user, Efault};

const ATOMIC_FAULT_WARNING: &str =
    "user access fault in atomic context without pagefault_disable()";

/// String lengths around the scan's chunk sizes, so that the last user byte falls at the start,
/// the end and the middle of a chunk.
const LENGTHS: [usize; 12] = [0, 1, 5, 31, 32, 33, 63, 64, 65, 128, 200, 513];

/// Non-zero bytes: a string body with no NUL in it.
fn body(len: usize) -> Vec<u8> {
    (0..len).map(|index| (index % 251) as u8 + 1).collect()
}

/// Lays out two present pages that end exactly at the user limit.
fn map_top_of_user_space() {
    let base = USER_LIMIT - 2 * PAGE_SIZE;
    assert!(Machine::current()
        .map_user_pages(base, &[UserPageKind::PresentRw, UserPageKind::PresentRw]));
}

fn poke(addr: usize, bytes: &[u8]) {
    assert!(Machine::current().poke_user(addr, bytes));
}

/// A string whose NUL is the last user byte is found whole, whatever its length; with a count
/// that reaches past the limit too (the clamp keeps it below, and no more).
fn nul_on_the_last_user_byte<A: RawUserAccess>() {
    assert_eq!(A::USER_LIMIT, USER_LIMIT);
    for len in LENGTHS {
        let start = USER_LIMIT - (len + 1);
        let mut text = body(len);
        text.push(0);
        poke(start, &text);
        for count in [len + 1, len + 2, 1024] {
            let mut dst = vec![0xffu8; count];
            let got = strncpy_from_user::<A>(&mut dst, start);
            assert_eq!(
                got,
                Ok(len),
                "strncpy_from_user, {len} bytes, count {count}"
            );
            assert_eq!(&dst[..=len], &text[..], "{len} bytes, count {count}");
            assert!(
                dst[len + 1..].iter().all(|&b| b == 0xff),
                "wrote past the NUL"
            );
            assert_eq!(
                strnlen_user::<A>(start, count),
                len + 1,
                "strnlen_user, {len} bytes, n {count}"
            );
        }
    }
}

/// A string whose last byte is the last user byte and has no NUL: with a count that ends there
/// it is `count` long (no NUL within count); with a larger count it runs into the limit, which
/// is -EFAULT / 0 (Linux's "hit the address space maximum").
fn no_nul_before_the_limit<A: RawUserAccess>() {
    for len in LENGTHS.into_iter().filter(|&len| len > 0) {
        let start = USER_LIMIT - len;
        let text = body(len);
        poke(start, &text);
        let mut exact = vec![0u8; len];
        assert_eq!(
            strncpy_from_user::<A>(&mut exact, start),
            Ok(len),
            "count = the bytes left below the limit, {len}"
        );
        assert_eq!(exact, text);
        assert_eq!(strnlen_user::<A>(start, len), len + 1, "n = {len}");
        let mut larger = vec![0u8; len + 64];
        assert_eq!(
            strncpy_from_user::<A>(&mut larger, start),
            Err(Efault),
            "{len} bytes running into the limit"
        );
        assert_eq!(
            strnlen_user::<A>(start, len + 64),
            0,
            "{len} bytes into the limit"
        );
    }
    // At the limit and one byte below it.
    let mut dst = [0u8; 8];
    assert_eq!(strncpy_from_user::<A>(&mut dst, USER_LIMIT), Err(Efault));
    assert_eq!(strnlen_user::<A>(USER_LIMIT, 8), 0);
    poke(USER_LIMIT - 1, &[0]);
    assert_eq!(strncpy_from_user::<A>(&mut dst, USER_LIMIT - 1), Ok(0));
    assert_eq!(strnlen_user::<A>(USER_LIMIT - 1, 8), 1);
}

/// Nothing at or above the limit is ever touched: in atomic context a fault there would print
/// the atomic-fault WARNING, so a scan that stops at the limit prints none.
fn never_reads_at_the_limit<A: RawUserAccess>() {
    for len in [1, 64, 65] {
        let start = USER_LIMIT - len;
        poke(start, &body(len));
        A::debug_state().reset_warn_once();
        let mut dst = vec![0u8; len + 16];
        preempt_disable::<A>();
        let got = strncpy_from_user::<A>(&mut dst, start);
        let size = strnlen_user::<A>(start, len + 16);
        preempt_enable::<A>();
        assert_eq!((got, size), (Err(Efault), 0), "{len} bytes");
    }
}

fn run<A: RawUserAccess>(cpus: u32) -> String {
    let machine = Machine::new(MachineConfig {
        cpus,
        seed: 7,
        echo_console: false,
    });
    machine.run("limits", || {
        map_top_of_user_space();
        nul_on_the_last_user_byte::<A>();
        no_nul_before_the_limit::<A>();
        never_reads_at_the_limit::<A>();
    });
    machine.console_text()
}

#[test]
fn strings_end_right_below_the_user_limit_per_cpu_count() {
    let log = run::<HostPerCpu>(2);
    assert!(!log.contains(ATOMIC_FAULT_WARNING), "{log}");
}

#[test]
fn strings_end_right_below_the_user_limit_per_task_count() {
    let log = run::<HostPerTask>(1);
    assert!(!log.contains(ATOMIC_FAULT_WARNING), "{log}");
}
