//! Paths, child-process environments and small helpers shared by the commands.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

/// Result type of every command: the error is the message printed before exiting non-zero.
pub type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (two levels above this crate's manifest).
pub fn root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .expect("ci/xtask lives two levels below the workspace root")
        .to_path_buf()
}

/// Debian's cross toolchain (rustc-web/cargo-web), never rustup's: only it has the library
/// sources that `-Zbuild-std` needs.
pub const CROSS_CARGO: &str = "/usr/bin/cargo";
/// Debian's rustc, handed to [`CROSS_CARGO`] through `RUSTC`.
pub const CROSS_RUSTC: &str = "/usr/bin/rustc";
/// Debian's rustdoc, handed to [`CROSS_CARGO`] through `RUSTDOC`.
pub const CROSS_RUSTDOC: &str = "/usr/bin/rustdoc";
/// The linker the cross targets use (see .cargo/config.toml).
pub const LINKER: &str = "ld.lld-22";

/// True if `name` (a bare program name or a path) can be executed.
pub fn have_program(name: &str) -> bool {
    if name.contains('/') {
        return Path::new(name).is_file();
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| dir.join(name).is_file())
}

/// Whether an environment variable set by the outer rustup/cargo must not reach Debian's cargo.
///
/// `cargo xtask` runs under rustup's cargo, which exports the toolchain it picked
/// (`RUSTUP_TOOLCHAIN`), its own path (`CARGO`) and the package's metadata; passed on, they would
/// make the inner cargo call rustup's rustc or misreport its package.
pub fn is_scrubbed(key: &str) -> bool {
    const EXACT: &[&str] = &[
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTC",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "OUT_DIR",
    ];
    EXACT.contains(&key) || key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_BIN_EXE_")
}

/// `LD_LIBRARY_PATH` without the directories cargo/rustup added for the running xtask (rustup's
/// toolchain libraries must not shadow Debian's for /usr/bin/rustc). None when nothing remains.
fn cleaned_library_path() -> Option<OsString> {
    let value = std::env::var_os("LD_LIBRARY_PATH")?;
    let target = root().join("target");
    let keep: Vec<PathBuf> = std::env::split_paths(&value)
        .filter(|p| !p.to_string_lossy().contains("/.rustup/") && !p.starts_with(&target))
        .collect();
    if keep.is_empty() {
        None
    } else {
        std::env::join_paths(keep).ok()
    }
}

/// A command for Debian's cargo with a scrubbed environment, run from the workspace root.
pub fn cross_cargo() -> Command {
    let mut cmd = Command::new(CROSS_CARGO);
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(is_scrubbed) {
            cmd.env_remove(&key);
        }
    }
    cmd.env_remove("LD_LIBRARY_PATH");
    if let Some(lib) = cleaned_library_path() {
        cmd.env("LD_LIBRARY_PATH", lib);
    }
    cmd.env("RUSTC", CROSS_RUSTC)
        .env("RUSTDOC", CROSS_RUSTDOC)
        // Unstable -Z flags on a stable compiler; must be in cargo's own environment.
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root())
        .stdin(Stdio::null());
    cmd
}

/// A command for the host cargo (rustup's, the one that launched xtask), run from the root.
pub fn host_cargo() -> Command {
    // `CARGO` is the exact binary that runs us, so nested calls use the same toolchain.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).stdin(Stdio::null());
    cmd
}

/// Renders a command line for logs.
pub fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        let a = arg.to_string_lossy();
        if a.is_empty() || a.contains(char::is_whitespace) {
            s += &format!(" '{a}'");
        } else {
            s += &format!(" {a}");
        }
    }
    s
}

/// Runs a command with inherited stdout/stderr and fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result {
    let shown = display(cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    check(status, &shown)
}

/// Turns a non-zero exit status into an error naming the command.
pub fn check(status: ExitStatus, what: &str) -> Result {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{what}` failed ({status})"))
    }
}

/// Seconds since `start`, for reports.
pub fn secs(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Runs ci/install.sh (it checks before installing, so this is cheap when all is present).
pub fn install() -> Result {
    let script = root().join("ci/install.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&script).current_dir(root()).stdin(Stdio::null());
    run(&mut cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_what_rustup_cargo_exports() {
        for k in [
            "RUSTUP_TOOLCHAIN",
            "CARGO",
            "CARGO_PKG_NAME",
            "CARGO_MANIFEST_DIR",
            "RUSTC_WRAPPER",
            "CARGO_BIN_EXE_x",
        ] {
            assert!(is_scrubbed(k), "{k}");
        }
        for k in [
            "CARGO_HOME",
            "RUSTUP_HOME",
            "PATH",
            "HOME",
            "CARGO_NET_OFFLINE",
        ] {
            assert!(!is_scrubbed(k), "{k}");
        }
    }

    #[test]
    fn root_has_workspace_manifest() {
        assert!(root().join("Cargo.toml").is_file());
        assert!(root().join("ci/xtask/Cargo.toml").is_file());
    }

    #[test]
    fn display_quotes_spaces() {
        let mut c = Command::new("echo");
        c.args(["a b", "c"]);
        assert_eq!(display(&c), "echo 'a b' c");
    }
}
