//! The bootable benchmark image: measures the user copies and accessors of the configuration
//! it was built in (`mightfault_tests::bench`) and exits. `cargo xtask bench` boots it and
//! prints the table. On the host it is only a stub.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod image {
    use mightfault_test_kernel::Native;

    /// Called by the arch's boot code inside the first task.
    #[no_mangle]
    pub extern "Rust" fn mightfault_image_main() -> bool {
        mightfault_tests::bench::run::<Native>();
        true
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        mightfault_core::kprint!(Native, "Kernel panic - not syncing: {}\n", info);
        mightfault_test_kernel::exit(false)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("bench-image is a bare-metal image: run it with `cargo xtask bench <arch>`");
    std::process::exit(2);
}
