#!/usr/bin/env bash
# Installs what mightfault's cross builds, QEMU boots and asm audit need on Debian 12 (bookworm).
#
# Idempotent: every step checks first and installs only what is missing, so a second run does
# nothing but look (a few seconds at most). Each action is printed with an `[install]` prefix.
# Facts behind the choices are in shared/TOOLCHAIN.md.
#
# Environment:
#   MIGHTFAULT_APT_DIR  where the private backports apt state lives (default /var/cache/mightfault-apt)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRIVATE_APT="${MIGHTFAULT_APT_DIR:-/var/cache/mightfault-apt}"
SYSTEM_SOURCES=/etc/apt/sources.list.d/debian.sources
# The cross toolchain must be new enough for the library sources that -Zbuild-std compiles.
MIN_RUSTC_MINOR=96
MIN_QEMU_MAJOR=10

export DEBIAN_FRONTEND=noninteractive

log() { printf '[install] %s\n' "$*"; }
die() {
    printf '[install] ERROR: %s\n' "$*" >&2
    exit 1
}

SUDO=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: cannot install packages"
    SUDO=(sudo)
fi
# Other sessions may run apt at the same time; wait for the lock instead of failing on it.
APT_GET=("${SUDO[@]}" apt-get -q -o DPkg::Lock::Timeout=600)

# shellcheck source=/dev/null
CODENAME="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[[ -n $CODENAME ]] || die "cannot tell the Debian codename from /etc/os-release"

START=$SECONDS
CHANGED=0

is_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

has_candidate() {
    local cand
    cand="$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
    [[ -n $cand && $cand != "(none)" ]]
}

APT_UPDATED=0
apt_update_once() {
    # A fresh machine's lists may be empty or stale, but refreshing costs time and network, so it
    # happens only when something is about to be installed (or looked up for installing).
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update (something is missing)"
        "${APT_GET[@]}" update -qq
        APT_UPDATED=1
    fi
}

major_minor() { # prints "MAJOR MINOR" of the first x.y.z in stdin, or nothing
    grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 | awk -F. '{ print $1, $2 }'
}

# --- 1. Debian packages: cross rustc/cargo with library sources, LLD 22, a disassembler -----------
want_debian() {
    local missing=() pkg
    # gdb-multiarch: `cargo xtask qemu <arch> --gdb` prints the line that attaches it.
    for pkg in rustc-web cargo-web rust-web-src rust-web-clippy lld-22 gdb-multiarch; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if [[ -x /usr/bin/rustc ]]; then
        local mm
        read -r -a mm <<<"$(/usr/bin/rustc --version | major_minor)"
        if [[ ${#mm[@]} -ne 2 || ${mm[0]} -lt 1 || (${mm[0]} -eq 1 && ${mm[1]} -lt $MIN_RUSTC_MINOR) ]]; then
            log "/usr/bin/rustc is $(/usr/bin/rustc --version); need >= 1.$MIN_RUSTC_MINOR"
            missing+=(rustc-web cargo-web rust-web-src rust-web-clippy)
        fi
    fi

    # The asm audit prefers LLVM 22's objdump (same LLVM as the compiler); binutils' objdump is
    # the fallback and handles x86_64 too.
    if ! command -v llvm-objdump-22 >/dev/null; then
        # Stale lists would hide llvm-22; refresh them only if we install something anyway.
        if [[ ${#missing[@]} -gt 0 ]]; then apt_update_once; fi
        if has_candidate llvm-22; then
            missing+=(llvm-22)
        else
            log "llvm-22 is not in this machine's apt sources; the asm audit will use binutils' objdump"
            command -v objdump >/dev/null || missing+=(binutils)
        fi
    fi

    if [[ ${#missing[@]} -eq 0 ]]; then
        log "ok: rustc-web cargo-web rust-web-src rust-web-clippy lld-22 gdb-multiarch ($(/usr/bin/rustc --version)), disassembler $(command -v llvm-objdump-22 || command -v objdump)"
        return
    fi
    # Dedupe while keeping order, for a readable log line.
    local uniq=() seen=" "
    for pkg in "${missing[@]}"; do
        [[ $seen == *" $pkg "* ]] || { uniq+=("$pkg"); seen+="$pkg "; }
    done
    apt_update_once
    log "apt-get install ${uniq[*]}"
    "${APT_GET[@]}" install -y --no-install-recommends "${uniq[@]}"
    CHANGED=1
    [[ -x /usr/bin/cargo && -x /usr/bin/rustc ]] || die "rustc-web/cargo-web installed but /usr/bin/cargo or /usr/bin/rustc is missing"
    [[ -d /usr/lib/rustlib/src/rust/library ]] || die "rust-web-src installed but /usr/lib/rustlib/src/rust/library is missing"
    command -v ld.lld-22 >/dev/null || die "lld-22 installed but ld.lld-22 is not on PATH"
}

# --- 2. QEMU >= 10 from backports through a private apt configuration ---------------------------
QEMU_BINS=(qemu-system-x86_64 qemu-system-s390x qemu-system-ppc64)
QEMU_PKGS=(qemu-system-x86 qemu-system-s390x qemu-system-ppc qemu-system-data)

qemu_ok() {
    local bin mm
    for bin in "${QEMU_BINS[@]}"; do
        command -v "$bin" >/dev/null || return 1
        read -r -a mm <<<"$("$bin" --version 2>/dev/null | head -n1 | major_minor)"
        [[ ${#mm[@]} -eq 2 && ${mm[0]} -ge $MIN_QEMU_MAJOR ]] || return 1
    done
    is_installed qemu-system-data
}

write_private_sources() {
    # The machine's own sources (for dependencies that only the main suites carry) plus the same
    # mirrors' backports suite. Hosts are read from the machine's file, never written down here.
    local dir="$PRIVATE_APT/sources.list.d"
    [[ -r $SYSTEM_SOURCES ]] || die "$SYSTEM_SOURCES not found: cannot derive a backports source"
    "${SUDO[@]}" mkdir -p "$dir" "$PRIVATE_APT/lists/partial" "$PRIVATE_APT/archives/partial"
    "${SUDO[@]}" cp "$SYSTEM_SOURCES" "$dir/debian.sources"
    # Take the stanza that carries the plain release suite and swap its suites for backports.
    awk -v rel="$CODENAME" -v bpo="$CODENAME-backports" '
        BEGIN { RS = ""; FS = "\n" }
        {
            is_main = 0
            for (i = 1; i <= NF; i++)
                if ($i ~ /^Suites:/) {
                    n = split(substr($i, 8), s, /[ \t]+/)
                    for (j = 1; j <= n; j++) if (s[j] == rel) is_main = 1
                }
            if (!is_main) next
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^#/) continue
                if ($i ~ /^Suites:/) print "Suites: " bpo
                else print $i
            }
            print ""
            found = 1
        }
        END { if (!found) exit 1 }
    ' "$SYSTEM_SOURCES" | "${SUDO[@]}" tee "$dir/backports.sources" >/dev/null ||
        die "no stanza with suite '$CODENAME' in $SYSTEM_SOURCES"
}

want_qemu() {
    if qemu_ok; then
        log "ok: $(qemu-system-x86_64 --version | head -n1) (x86_64, s390x, ppc64)"
        return
    fi
    log "QEMU >= $MIN_QEMU_MAJOR missing: installing ${QEMU_PKGS[*]} from $CODENAME-backports"
    write_private_sources
    local private=(
        -o Dir::Etc::sourcelist=/dev/null
        -o "Dir::Etc::sourceparts=$PRIVATE_APT/sources.list.d"
        -o "Dir::State::lists=$PRIVATE_APT/lists"
        -o "Dir::Cache::archives=$PRIVATE_APT/archives"
    )
    log "apt-get update (private: $PRIVATE_APT)"
    "${APT_GET[@]}" "${private[@]}" update -qq
    log "apt-get install -t $CODENAME-backports ${QEMU_PKGS[*]}"
    "${APT_GET[@]}" "${private[@]}" install -y --no-install-recommends -t "$CODENAME-backports" "${QEMU_PKGS[@]}"
    # Keep the downloaded .debs out of the way; the lists stay for the next (rare) install.
    "${APT_GET[@]}" "${private[@]}" clean
    CHANGED=1
    qemu_ok || die "QEMU installed but a qemu-system binary is missing or older than $MIN_QEMU_MAJOR"
    log "installed: $(qemu-system-x86_64 --version | head -n1)"
}

# --- 3. rustfmt and clippy for the host (rustup) toolchain --------------------------------------
want_rustup_components() {
    if ! command -v rustup >/dev/null; then
        # Without rustup the host cargo must bring them itself; a missing one is an error.
        cargo fmt --version >/dev/null 2>&1 || die "no rustup and no 'cargo fmt'"
        cargo clippy --version >/dev/null 2>&1 || die "no rustup and no 'cargo clippy'"
        log "ok: no rustup; the host cargo has fmt and clippy"
        return
    fi
    # From the workspace root, so a rust-toolchain.toml there picks the toolchain.
    local installed missing=() c
    installed="$(cd "$ROOT" && rustup component list --installed)"
    for c in rustfmt clippy; do
        grep -q "^$c-" <<<"$installed" || missing+=("$c")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "ok: rustup components rustfmt clippy"
        return
    fi
    log "rustup component add ${missing[*]}"
    (cd "$ROOT" && rustup component add "${missing[@]}") ||
        die "rustup component add ${missing[*]} failed (rustup cannot download here?)"
    CHANGED=1
}

# --- 4. Crates: the workspace's and the ones -Zbuild-std pulls in --------------------------------
# Variables a parent cargo/rustup (e.g. `cargo xtask install`) sets, which would steer the Debian
# cargo towards rustup's toolchain or confuse it.
SCRUB=(-u RUSTUP_TOOLCHAIN -u RUSTUP_HOME_OVERRIDE -u CARGO -u CARGO_MANIFEST_DIR -u CARGO_MANIFEST_PATH
    -u CARGO_PKG_NAME -u CARGO_PKG_VERSION -u CARGO_PRIMARY_PACKAGE -u CARGO_CRATE_NAME -u CARGO_BIN_NAME
    -u RUSTC -u RUSTDOC -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS
    -u CARGO_BUILD_TARGET -u CARGO_TARGET_DIR)

want_workspace_crates() {
    # The workspace, and the second consumer, which is a workspace of its own (tests/minikernel).
    local manifest
    for manifest in Cargo.toml tests/minikernel/Cargo.toml; do
        if ! (cd "$ROOT" && cargo metadata --manifest-path "$manifest" --no-deps --format-version 1 >/dev/null 2>&1); then
            die "$manifest does not load ('cargo metadata' fails)"
        fi
        if (cd "$ROOT" && cargo fetch --manifest-path "$manifest" --offline --quiet >/dev/null 2>&1); then
            log "ok: crates of $manifest already fetched"
            continue
        fi
        log "cargo fetch ($manifest)"
        (cd "$ROOT" && cargo fetch --manifest-path "$manifest" --quiet)
        CHANGED=1
    done
}

want_build_std_crates() {
    # -Zbuild-std resolves std's own workspace, whose registry dependencies are downloaded the
    # first time even when only core is built. Fetching them through a throwaway no_std crate keeps
    # the first real cross build (and CI) from depending on that happening mid-build.
    local scratch status=0
    scratch="$(mktemp -d)"
    mkdir -p "$scratch/src"
    cat >"$scratch/Cargo.toml" <<'EOF'
[package]
name = "mightfault-build-std-warmup"
version = "0.0.0"
edition = "2021"

[workspace]
EOF
    echo '#![no_std]' >"$scratch/src/lib.rs"
    # shellcheck disable=SC2054  # the comma is inside one argument (-Zbuild-std=a,b)
    local fetch=(env "${SCRUB[@]}" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo fetch
        --manifest-path "$scratch/Cargo.toml" --target x86_64-unknown-none -Zbuild-std=core,compiler_builtins)
    if "${fetch[@]}" --offline --quiet >/dev/null 2>&1; then
        log "ok: -Zbuild-std crates already fetched"
    else
        log "cargo fetch -Zbuild-std (std's registry dependencies)"
        "${fetch[@]}" --quiet || status=$?
        CHANGED=1
    fi
    rm -rf "$scratch"
    [[ $status -eq 0 ]] || die "cargo fetch -Zbuild-std failed"
}

want_debian
want_qemu
want_rustup_components
want_workspace_crates
want_build_std_crates

if [[ $CHANGED -eq 0 ]]; then
    log "nothing to do; everything was present ($((SECONDS - START)) s)"
else
    log "done in $((SECONDS - START)) s"
fi
