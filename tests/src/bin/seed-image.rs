//! The bootable test image: runs every suite on the machine it boots on and exits with the
//! verdict. On the host it is only a stub (the host runs the suites under `cargo test`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod image {
    #[cfg(target_arch = "powerpc64")]
    use mightfault_test_kernel::powerpc64::bench;
    #[cfg(target_arch = "s390x")]
    use mightfault_test_kernel::s390x::bench;
    #[cfg(target_arch = "x86_64")]
    use mightfault_test_kernel::x86_64::bench;
    use mightfault_test_kernel::Native;

    /// Called by the arch's boot code inside the first task (pid 1, "seed"). Prints the cost
    /// of one interrupt round trip first, as a KTAP diagnostic line (a figure, not a test).
    #[no_mangle]
    pub extern "Rust" fn mightfault_image_main() -> bool {
        let round_trip = bench::irq_round_trip(bench::MAX_ITERATIONS);
        mightfault_core::kprint!(Native, "# bench: {}\n", round_trip);
        mightfault_tests::run_all::<Native>()
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        mightfault_core::kprint!(Native, "Kernel panic - not syncing: {}\n", info);
        mightfault_test_kernel::exit(false)
    }
}

/// Out-of-line copies of the fast paths, so `cargo xtask asm-audit` can count their
/// instructions in the release image. Nothing calls them; `AUDIT_PROBES` keeps them linked.
#[cfg(target_os = "none")]
mod audit {
    use mightfault_core::context::Sleepable;
    use mightfault_core::Efault;
    use mightfault_test_kernel::Native;
    use mightfault_uaccess::typed::UserPtr;

    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_preempt_disable() {
        mightfault_core::preempt_disable::<Native>();
    }

    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_preempt_enable() {
        mightfault_core::preempt_enable::<Native>();
    }

    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_pagefault_disable() {
        mightfault_core::pagefault_disable::<Native>();
    }

    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_pagefault_enable() {
        mightfault_core::pagefault_enable::<Native>();
    }

    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_might_fault() {
        mightfault_core::might_fault::<Native>();
    }

    /// get_user::<u64> returning the value, as Linux's __get_user_8 does (0 on failure).
    #[no_mangle]
    #[inline(never)]
    extern "C" fn audit_get_user_u64(addr: usize) -> u64 {
        let mut value = 0;
        let _ = mightfault_uaccess::get_user::<Native, u64>(&mut value, addr);
        value
    }

    /// The untyped get_user::<u64> returning its `Result` as a caller that checks the error
    /// sees it: what `audit_typed_get_user_u64` is compared with.
    #[no_mangle]
    #[inline(never)]
    fn audit_get_user_u64_result(addr: usize) -> Result<u64, Efault> {
        let mut value = 0;
        mightfault_uaccess::get_user::<Native, u64>(&mut value, addr).map(|()| value)
    }

    /// The typed get_user::<u64> (issue 8): the same access written with a context token and a
    /// `UserPtr`, returning the `Result` a caller gets: the same code as
    /// `audit_get_user_u64_result` (and `audit_get_user_u64` plus the error result that probe
    /// throws away). The token is a parameter (a zero-sized value behind a pointer nothing
    /// reads), as in a syscall handed the token.
    #[no_mangle]
    #[inline(never)]
    fn audit_typed_get_user_u64(cx: &mut Sleepable<Native>, addr: usize) -> Result<u64, Efault> {
        mightfault_uaccess::typed::get_user(cx, UserPtr::<u64>::from_syscall_arg(addr))
    }

    /// The typed preempt-off region (issue 8): `context::preempt_disable` and the drop of its
    /// token; it compiles to the same code as `preempt_disable(); preempt_enable();` (on x86_64
    /// `audit_preempt_disable` + `audit_preempt_enable` less one return in production and preempt).
    #[no_mangle]
    #[inline(never)]
    fn audit_typed_preempt_off(cx: &mut Sleepable<Native>) {
        let off = mightfault_core::context::preempt_disable(cx);
        drop(off);
    }

    #[used]
    static AUDIT_GET_USER_RESULT: fn(usize) -> Result<u64, Efault> = audit_get_user_u64_result;

    #[used]
    static AUDIT_TYPED_GET_USER: fn(&mut Sleepable<Native>, usize) -> Result<u64, Efault> =
        audit_typed_get_user_u64;

    #[used]
    static AUDIT_TYPED_PREEMPT_OFF: fn(&mut Sleepable<Native>) = audit_typed_preempt_off;

    #[used]
    static AUDIT_PROBES: [extern "C" fn(); 5] = [
        audit_preempt_disable,
        audit_preempt_enable,
        audit_pagefault_disable,
        audit_pagefault_enable,
        audit_might_fault,
    ];

    #[used]
    static AUDIT_GET_USER: extern "C" fn(usize) -> u64 = audit_get_user_u64;
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("seed-image is a bare-metal image: boot it with `cargo xtask qemu <arch>`");
    std::process::exit(2);
}
