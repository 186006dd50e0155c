//! The one place that lists architectures and configurations (and so their cargo features).

use crate::cmd::root;
use std::path::PathBuf;

/// A bare-metal target the seed image is built for and booted under QEMU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// Name used on the command line and under arch/src/.
    pub name: &'static str,
    /// `--target` value: a built-in triple, or a JSON spec path relative to the workspace root.
    pub target: &'static str,
    /// Directory name cargo uses under the target dir (the triple, or the JSON file's stem).
    pub target_dir_name: &'static str,
    /// The QEMU system emulator binary.
    pub qemu: &'static str,
}

impl Arch {
    /// Whether `target` is a custom JSON spec (cargo then needs `-Zjson-target-spec`).
    pub fn is_json(&self) -> bool {
        self.target.ends_with(".json")
    }

    /// The `--target` argument (absolute for JSON specs, so the cwd does not matter).
    pub fn target_arg(&self) -> String {
        if self.is_json() {
            root().join(self.target).to_string_lossy().into_owned()
        } else {
            self.target.to_string()
        }
    }

    /// The file whose presence says this arch's image exists (the lead creates it).
    pub fn marker(&self) -> PathBuf {
        root().join("arch/src").join(self.name).join("mod.rs")
    }

    /// True when the arch has an image to build.
    pub fn has_image(&self) -> bool {
        self.marker().is_file()
    }

    /// True for x86, whose disassembly needs instruction-prefix handling.
    pub fn is_x86(&self) -> bool {
        self.name == "x86_64"
    }
}

/// Every architecture, in report order.
pub const ARCHES: [Arch; 3] = [
    Arch {
        name: "x86_64",
        target: "x86_64-unknown-none",
        target_dir_name: "x86_64-unknown-none",
        qemu: "qemu-system-x86_64",
    },
    Arch {
        name: "s390x",
        target: "s390x-unknown-none-softfloat",
        target_dir_name: "s390x-unknown-none-softfloat",
        qemu: "qemu-system-s390x",
    },
    Arch {
        name: "powerpc64",
        target: "ci/targets/powerpc64-mightfault-none.json",
        target_dir_name: "powerpc64-mightfault-none",
        qemu: "qemu-system-ppc64",
    },
];

/// A build configuration: a set of features of the `mightfault-tests` package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Name on the command line and in reports.
    pub name: &'static str,
    /// Features of the `mightfault-tests` package that select it.
    pub features: &'static [&'static str],
    /// Whether the QEMU images are built and booted in it (every backend runs at least
    /// debug, production and legacy; see shared/SCENARIOS.md).
    pub image: bool,
}

/// The package whose features select a configuration.
pub const TESTS_PACKAGE: &str = "mightfault-tests";

/// Every configuration. `full` (debug + debug-spinlock) and `preempt` (a preemptible kernel with
/// no debug checks, whose fast paths the asm audit measures) are defined by mightfault-tests
/// itself and are exercised on the host only.
pub const CONFIGS: [Config; 5] = [
    Config {
        name: "debug",
        features: &["debug"],
        image: true,
    },
    Config {
        name: "production",
        features: &["production"],
        image: true,
    },
    Config {
        name: "legacy",
        features: &["legacy"],
        image: true,
    },
    Config {
        name: "full",
        features: &["full"],
        image: false,
    },
    Config {
        name: "preempt",
        features: &["preempt"],
        image: false,
    },
];

impl Config {
    /// `--features` value for a build of the `mightfault-tests` package itself.
    pub fn package_features(&self) -> String {
        self.features.join(",")
    }

    /// `--features` value for a workspace-wide build (`mightfault-tests/<feature>`).
    pub fn workspace_features(&self) -> String {
        self.features
            .iter()
            .map(|f| format!("{TESTS_PACKAGE}/{f}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Looks up an architecture by name.
pub fn arch(name: &str) -> Option<&'static Arch> {
    ARCHES.iter().find(|a| a.name == name)
}

/// Looks up a configuration by name.
pub fn config(name: &str) -> Option<&'static Config> {
    CONFIGS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_strings() {
        let full = config("full").unwrap();
        assert_eq!(full.workspace_features(), "mightfault-tests/full");
        assert_eq!(config("debug").unwrap().package_features(), "debug");
        assert!(!full.image);
        assert_eq!(CONFIGS.iter().filter(|c| c.image).count(), 3);
    }

    #[test]
    fn ppc_target_is_json_and_exists() {
        let ppc = arch("powerpc64").unwrap();
        assert!(ppc.is_json());
        assert!(root().join(ppc.target).is_file());
        assert_eq!(ppc.target_dir_name, "powerpc64-mightfault-none");
        assert!(!arch("x86_64").unwrap().is_json());
        assert!(arch("arm").is_none());
    }
}
