//! The bootable test image: runs every suite on the machine it boots on and exits with the
//! verdict. On the host it is only a stub (the host runs the suites under `cargo test`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod image {
    use mightfault_arch::Native;

    /// Called by the arch's boot code inside the first task (pid 1, "seed").
    #[no_mangle]
    pub extern "Rust" fn mightfault_image_main() -> bool {
        mightfault_tests::run_all::<Native>()
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        mightfault_core::kprint!(Native, "Kernel panic - not syncing: {}\n", info);
        mightfault_arch::exit(false)
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("seed-image is a bare-metal image: boot it with `cargo xtask qemu <arch>`");
    std::process::exit(2);
}
