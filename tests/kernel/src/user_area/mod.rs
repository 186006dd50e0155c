//! The test's user area of the bare-metal images, written once for every arch: up to
//! [`MAX_USER_PAGES`] pages at the arch's base address, each present (read-write or read-only),
//! valid but not present (paged in on the first fault), or unmapped. A present page can be
//! evicted ([`evict_user_page`]): it keeps its frame and contents but is not present, so the
//! next access faults and pages it in again.
//!
//! A small record per page plays the part of Linux's VMA: it says whether a fault on the page
//! can be resolved. Records and page-table entries change together, only under one lock, taken
//! with interrupts masked (the fault handler takes it too). A replaced layout's frames go back
//! to the pool only after no cpu can still translate to them.
//!
//! What differs per arch (the entry format, how stale translations are dropped, the frame pool,
//! the kernel's view of physical memory) comes through [`UserAreaHooks`].

mod direct;
mod evict;
mod frames;
mod hooks;
mod page_in;
mod records;
mod replace;

pub use direct::{peek_user, poke_user, user_page_present};
pub use evict::evict_user_page;
pub use hooks::UserAreaHooks;
pub use page_in::resolve;
pub use replace::map_user_pages;

/// Most pages a layout may have.
pub const MAX_USER_PAGES: usize = 16;
