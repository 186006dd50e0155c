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
    use mightfault_test_kernel::Native;

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
