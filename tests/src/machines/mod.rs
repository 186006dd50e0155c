//! `SeedMachine` for each backend that runs the suites.

#[cfg(not(target_os = "none"))]
mod host;

#[cfg(all(target_os = "none", target_arch = "x86_64"))]
mod x86_64;
