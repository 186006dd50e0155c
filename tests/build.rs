//! Links the bare-metal images (the test image and the benchmark image) with its test kernel's linker script; host builds need nothing.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return;
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let script = manifest
        .join("kernel")
        .join("src")
        .join(&arch)
        .join("link.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    for image in ["seed-image", "bench-image"] {
        println!("cargo:rustc-link-arg-bin={image}=-T{}", script.display());
        println!("cargo:rustc-link-arg-bin={image}=--no-pie");
    }
}
