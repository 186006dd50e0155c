//! The one place that lists architectures and configurations (and so their cargo features), and
//! every per-architecture fact xtask relies on: the cross target, the QEMU machine and how its exit
//! status reads, how gdb names the architecture, and where an oops prints code addresses.

use crate::cmd::root;
use std::path::PathBuf;

/// How an image's verdict reaches QEMU's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitConvention {
    /// x86's `isa-debug-exit` device (given as its `-device` value): the image writes `v` to the
    /// port and QEMU exits with `(v << 1) | 1`, so a clean power-off is 0 and every image exit is
    /// odd. QEMU's own errors exit 1 as well.
    IsaDebugExit(&'static str),
    /// A guest panic (s390x's disabled wait, pseries' `os-term`) ends QEMU with a failure status
    /// (`-action panic=exit-failure`); a clean power-off exits 0.
    PanicAction,
}

impl ExitConvention {
    /// The QEMU flags that set the convention up.
    pub fn qemu_args(&self) -> Vec<&'static str> {
        match *self {
            ExitConvention::IsaDebugExit(device) => vec!["-device", device],
            ExitConvention::PanicAction => vec!["-action", "panic=exit-failure"],
        }
    }

    /// What a non-zero QEMU exit status `code` means under the convention.
    pub fn describe(&self, code: i32) -> String {
        match *self {
            // QEMU's own errors (bad -kernel, bad option) also exit 1, the same as code 0.
            ExitConvention::IsaDebugExit(_) if code == 1 => {
                "exit status 1 (a QEMU error, or the image's isa-debug-exit code 0)".into()
            }
            ExitConvention::IsaDebugExit(_) if code & 1 == 1 => format!(
                "exit status {code} (isa-debug-exit code {:#x}: the image reported failure)",
                code >> 1
            ),
            _ => format!("exit status {code} (a failure exit, guest panic or QEMU error)"),
        }
    }
}

/// How one architecture's image is booted under QEMU (see shared/TOOLCHAIN.md for why each flag).
/// The flags every arch shares (`-smp`, `-m`, `-display none`, `-serial stdio`, `-no-reboot`,
/// `-kernel`) are written once in qemu.rs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Qemu {
    /// The system emulator binary.
    pub binary: &'static str,
    /// `-M`: the machine type and its properties (the firmware choice included, e.g. pseries'
    /// VOF).
    pub machine: &'static str,
    /// `-cpu`, when the default model lacks something the image needs.
    pub cpu: Option<&'static str>,
    /// Cases the machine model makes applicable: the image must pass each one, and a `# SKIP`
    /// fails the image. Only xtask knows what it booted (`-cpu max` has SMAP); the image only
    /// knows what it detected, which is the thing under test.
    pub guarantees: &'static [Guarantee],
    /// `-nodefaults`: no default devices (pseries would otherwise add VGA, network, USB...).
    pub nodefaults: bool,
    /// How the image's verdict reaches QEMU's exit status.
    pub exit: ExitConvention,
}

/// A case that must pass on a machine model because the model has what the case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guarantee {
    /// The case's KTAP path, `suite/case`.
    pub case: &'static str,
    /// What the machine has that the case needs, for the failure message.
    pub because: &'static str,
}

/// Where an oops line prints a code address: the `field`-th whitespace-separated word after
/// `label` (hexadecimal, `0x` optional). `label` matches at the start of a word only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OopsAddress {
    /// The text just before the address words, e.g. `RIP:`.
    pub label: &'static str,
    /// Which word after the label is the address (0 = the first).
    pub field: usize,
}

/// A bare-metal target the seed image is built for and booted under QEMU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// Name used on the command line and under tests/kernel/src/ (the bundled test kernel).
    pub name: &'static str,
    /// `--target` value: a built-in triple, or a JSON spec path relative to the workspace root.
    pub target: &'static str,
    /// Directory name cargo uses under the target dir (the triple, or the JSON file's stem).
    pub target_dir_name: &'static str,
    /// The ELF header's `e_machine` of the image, to tell an image's arch from the file.
    pub elf_machine: u16,
    /// How the image boots under QEMU.
    pub qemu: Qemu,
    /// gdb's `set architecture` value for the image (gdb-multiarch).
    pub gdb_arch: &'static str,
    /// Where the test kernel's oops (tests/kernel/src/<arch>/trap.rs) prints code addresses.
    pub oops: &'static [OopsAddress],
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

    /// The file whose presence says this arch's image exists: the test kernel's module for it.
    pub fn marker(&self) -> PathBuf {
        root()
            .join("tests/kernel/src")
            .join(self.name)
            .join("mod.rs")
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
        elf_machine: 62, // EM_X86_64
        qemu: Qemu {
            binary: "qemu-system-x86_64",
            machine: "q35",
            // SMAP/SMEP under TCG.
            cpu: Some("max"),
            // The image turns SMAP on only if CPUID shows it; a detection that fails would
            // otherwise pass as a skipped case.
            guarantees: &[Guarantee {
                case: "x86_64/smap_blocks_plain_user_read",
                because: "-cpu max has SMAP",
            }],
            nodefaults: false,
            // The image's failure exit.
            exit: ExitConvention::IsaDebugExit("isa-debug-exit,iobase=0xf4,iosize=0x04"),
        },
        // The PVH entry runs in 32-bit mode, but QEMU's stub always sends the 64-bit registers.
        gdb_arch: "i386:x86-64",
        // `RIP: 0xffffffff8010abcd function+0x1/0x14 CS: 0x8 RFLAGS: ...`
        oops: &[OopsAddress {
            label: "RIP:",
            field: 0,
        }],
    },
    Arch {
        name: "s390x",
        target: "s390x-unknown-none-softfloat",
        target_dir_name: "s390x-unknown-none-softfloat",
        elf_machine: 22, // EM_S390
        qemu: Qemu {
            binary: "qemu-system-s390x",
            machine: "s390-ccw-virtio",
            cpu: None,
            guarantees: &[],
            nodefaults: false,
            exit: ExitConvention::PanicAction,
        },
        gdb_arch: "s390:64-bit",
        // `Krnl PSW : <mask> <address>`
        oops: &[OopsAddress {
            label: "Krnl PSW :",
            field: 1,
        }],
    },
    Arch {
        name: "powerpc64",
        target: "ci/targets/powerpc64-mightfault-none.json",
        target_dir_name: "powerpc64-mightfault-none",
        elf_machine: 21, // EM_PPC64
        qemu: Qemu {
            binary: "qemu-system-ppc64",
            // VOF boots in milliseconds; the caps silence TCG's unsupported-mitigation errors.
            machine:
                "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off",
            cpu: None,
            guarantees: &[],
            nodefaults: true,
            exit: ExitConvention::PanicAction,
        },
        gdb_arch: "powerpc:common64",
        // `NIP: 0x... LR: 0x... CTR: 0x...`
        oops: &[
            OopsAddress {
                label: "NIP:",
                field: 0,
            },
            OopsAddress {
                label: "LR:",
                field: 0,
            },
        ],
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

/// Looks up the architecture whose images have ELF `e_machine` `machine`.
pub fn arch_by_elf_machine(machine: u16) -> Option<&'static Arch> {
    ARCHES.iter().find(|a| a.elf_machine == machine)
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

    #[test]
    fn arches_are_distinct_and_point_at_the_test_kernel() {
        for (i, a) in ARCHES.iter().enumerate() {
            assert!(
                a.marker()
                    .ends_with(format!("tests/kernel/src/{}/mod.rs", a.name)),
                "{}",
                a.marker().display()
            );
            assert_eq!(arch_by_elf_machine(a.elf_machine), Some(a));
            assert!(!a.oops.is_empty(), "{}", a.name);
            for b in &ARCHES[i + 1..] {
                assert_ne!(a.elf_machine, b.elf_machine);
                assert_ne!(a.qemu.binary, b.qemu.binary);
            }
        }
        assert!(arch_by_elf_machine(0).is_none());
    }

    #[test]
    fn exit_conventions() {
        let x86 = arch("x86_64").unwrap().qemu.exit;
        assert_eq!(
            x86.qemu_args(),
            ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        );
        assert!(x86.describe(7).contains("isa-debug-exit code 0x3"));
        assert!(x86.describe(1).contains("QEMU error"));
        assert!(x86.describe(2).contains("failure exit"));
        let s390 = arch("s390x").unwrap().qemu.exit;
        assert_eq!(s390.qemu_args(), ["-action", "panic=exit-failure"]);
        assert!(s390.describe(1).contains("failure exit"));
    }
}
