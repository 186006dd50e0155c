//! `SeedMachine` for each backend that runs the suites.

#[cfg(not(target_os = "none"))]
mod host;

#[cfg(target_os = "none")]
#[macro_use]
mod bare_metal;
#[cfg(target_os = "none")]
mod extable_order;
#[cfg(target_os = "none")]
mod fixup_cases;

#[cfg(all(target_os = "none", target_arch = "x86_64"))]
mod x86_64;

#[cfg(all(target_os = "none", target_arch = "s390x"))]
mod s390x;

#[cfg(all(target_os = "none", target_arch = "powerpc64"))]
mod powerpc64;
