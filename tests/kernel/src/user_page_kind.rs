//! The states a test's user page can be set up in, named once for every backend: the bare-metal
//! user areas, the host simulation and the test suites (whose `PageKind` is this type).

/// The state a user page is set up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserPageKind {
    /// Mapped and present, readable and writable.
    PresentRw,
    /// Mapped and present, read-only: writes fault and cannot be resolved.
    PresentRo,
    /// A valid mapping whose page is not present: a fault on it is resolved (paged in,
    /// zero-filled and read-write, which sleeps once) unless the fault handler is disabled.
    /// Reads see zeros after page-in.
    NotPresent,
    /// No mapping at all: every access faults and is fixed up as -EFAULT.
    Unmapped,
}
