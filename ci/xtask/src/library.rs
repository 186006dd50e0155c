//! The steps of `cargo xtask test` that check the library as an outside kernel sees it: its
//! documentation (host and every target, warnings denied), that `cargo package` accepts the
//! three crates, and the second consumer (`tests/minikernel`, outside the workspace).

use crate::cmd::{self, host_cargo, Result};
use crate::config::Arch;
use crate::qemu;

/// The crates a kernel depends on.
pub const LIBRARY_CRATES: [&str; 3] = ["mightfault-core", "mightfault-arch", "mightfault-uaccess"];

/// The second consumer's manifest, relative to the workspace root.
pub const MINIKERNEL_MANIFEST: &str = "tests/minikernel/Cargo.toml";

/// The second consumer's configurations (its own features).
pub const MINIKERNEL_CONFIGS: [&str; 2] = ["debug", "production"];

fn package_args() -> Vec<String> {
    LIBRARY_CRATES
        .iter()
        .flat_map(|name| ["-p".to_string(), name.to_string()])
        .collect()
}

/// The bundled test kernel: documented with the library, so its docs hold too.
const TEST_KERNEL: &str = "mightfault-test-kernel";

/// `cargo doc` of the library crates and the test kernel on the host, every feature on,
/// warnings denied.
pub fn doc_host() -> Result {
    let mut cargo = host_cargo();
    cargo
        .args(["doc", "--no-deps", "--all-features"])
        .args(package_args())
        .args(["-p", TEST_KERNEL])
        .env("RUSTDOCFLAGS", "-D warnings");
    cmd::run(&mut cargo)
}

/// `cargo doc` of the library crates and the test kernel for `arch`'s bare-metal target
/// (where their arch modules exist), every feature on, warnings denied.
pub fn doc_target(arch: &Arch) -> Result {
    qemu::ensure_tools(arch)?;
    let mut cargo = cmd::cross_cargo();
    cargo
        .args(["doc", "--no-deps", "--all-features"])
        .args(package_args())
        .args(["-p", TEST_KERNEL])
        .args(["--target", &arch.target_arg()])
        .arg("--target-dir")
        .arg(qemu::target_dir())
        .args([
            "-Zbuild-std=core,compiler_builtins",
            "-Zbuild-std-features=compiler-builtins-mem",
        ])
        .env("RUSTDOCFLAGS", "-D warnings");
    if arch.is_json() {
        cargo.arg("-Zjson-target-spec");
    }
    cmd::run(&mut cargo)
}

/// `cargo package` of the library crates: the manifests, versions and files a registry needs,
/// and each crate built from its packaged sources against the others.
pub fn package() -> Result {
    forget_packaged_sources()?;
    // Its own target directory, emptied first: cargo never rebuilds a registry crate it has
    // built before (registry sources are immutable), so an artifact of an older packaging
    // would stand in for the crate just packaged.
    let target_dir = cmd::root().join(PACKAGE_TARGET_DIR);
    if target_dir.exists() {
        std::fs::remove_dir_all(&target_dir)
            .map_err(|err| format!("removing {}: {err}", target_dir.display()))?;
    }
    let mut cargo = host_cargo();
    cargo
        .arg("package")
        .args(package_args())
        .arg("--allow-dirty")
        .arg("--target-dir")
        .arg(&target_dir);
    cmd::run(&mut cargo)
}

/// Where `cargo package` builds, relative to the workspace root.
const PACKAGE_TARGET_DIR: &str = "target/package-check";

/// Removes the library crates' sources that an earlier `cargo package` unpacked into
/// `$CARGO_HOME/registry/src/` (and their cached archives). Cargo verifies the second and third
/// crate against the first through a temporary registry whose unpacked sources it keeps under
/// the same name and version, and reuses them as they are: on a machine that packaged an
/// older commit of the same path before, the verification would build against the old
/// sources and fail (or pass) for the wrong reason.
fn forget_packaged_sources() -> Result {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cargo")))
        .ok_or_else(|| "neither CARGO_HOME nor HOME is set".to_string())?;
    for kind in ["src", "cache"] {
        let Ok(registries) = std::fs::read_dir(home.join("registry").join(kind)) else {
            continue;
        };
        for registry in registries.flatten() {
            let Ok(entries) = std::fs::read_dir(registry.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let ours = LIBRARY_CRATES
                    .iter()
                    .any(|krate| name.starts_with(&format!("{krate}-")));
                if !ours {
                    continue;
                }
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|err| format!("removing {}: {err}", path.display()))?;
            }
        }
    }
    Ok(())
}

/// The second consumer in configuration `config`: its formatting, clippy (warnings denied)
/// and tests.
pub fn minikernel(config: &str) -> Result {
    let manifest = ["--manifest-path", MINIKERNEL_MANIFEST];
    let features = ["--no-default-features", "--features", config];
    let mut fmt = host_cargo();
    fmt.arg("fmt").args(manifest).arg("--check");
    cmd::run(&mut fmt)?;
    let mut clippy = host_cargo();
    clippy
        .args(["clippy", "--all-targets"])
        .args(manifest)
        .args(features)
        .args(["--", "-D", "warnings"]);
    cmd::run(&mut clippy)?;
    let mut test = host_cargo();
    test.arg("test").args(manifest).args(features);
    cmd::run(&mut test)
}
