//! This kernel's user address space: [`USER_PAGES`] pages at [`USER_BASE`], each in a state a
//! test chooses, and the page-in that the fault handler's resolution step performs.

use core::cell::RefCell;

use mightfault_core::fault::Resolution;

/// Size of a user page.
pub const PAGE_SIZE: usize = 4096;
/// The user address of the first page.
pub const USER_BASE: usize = 0x1000_0000;
/// How many user pages there are.
pub const USER_PAGES: usize = 4;
/// The first address above user space: everything the kernel itself uses (host memory) lies
/// above it, so `access_ok` keeps a kernel pointer out.
pub const USER_LIMIT: usize = 0x8000_0000;

/// The state of one user page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageState {
    /// Mapped and present; writes allowed when `writable`.
    Present {
        /// Whether writes are allowed.
        writable: bool,
    },
    /// A valid mapping whose page is not in memory: a fault pages it in (zero-filled,
    /// writable), which sleeps.
    NotPresent,
    /// No mapping: every access faults and cannot be resolved.
    Unmapped,
}

struct Page {
    state: PageState,
    bytes: Box<[u8; PAGE_SIZE]>,
}

/// The user address space of one machine.
pub struct UserMemory {
    pages: RefCell<Vec<Page>>,
}

/// Why a translation failed: what the "MMU" would report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// The address is a user address whose page is missing or read-only.
    User,
    /// The address is not in the user area at all.
    Outside,
}

impl UserMemory {
    pub(crate) fn new() -> Self {
        let pages = (0..USER_PAGES)
            .map(|_| Page {
                state: PageState::Unmapped,
                bytes: Box::new([0; PAGE_SIZE]),
            })
            .collect();
        Self {
            pages: RefCell::new(pages),
        }
    }

    /// Sets up the user pages: page `i` gets `states[i]` and zeroed contents; pages past the
    /// slice are unmapped.
    ///
    /// # Context
    /// Never sleeps; test set-up.
    pub fn lay_out(&self, states: &[PageState]) {
        for (index, page) in self.pages.borrow_mut().iter_mut().enumerate() {
            page.state = states.get(index).copied().unwrap_or(PageState::Unmapped);
            page.bytes.fill(0);
        }
    }

    /// The state of the page holding `addr`, if it is a user-area address.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn state(&self, addr: usize) -> Option<PageState> {
        let index = page_index(addr)?;
        Some(self.pages.borrow()[index].state)
    }

    /// Reads user memory directly (test inspection, not a user access): None if any byte's
    /// page is not present.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn peek(&self, addr: usize, len: usize) -> Option<Vec<u8>> {
        (addr..addr + len)
            .map(|byte| self.translate(byte, false).ok())
            .collect()
    }

    /// Reads the byte at user address `addr` for a load (`write` false) or checks it for a
    /// store (`write` true, returning the old value), as the MMU would.
    pub(crate) fn translate(&self, addr: usize, write: bool) -> Result<u8, Miss> {
        let index = page_index(addr).ok_or(Miss::Outside)?;
        let pages = self.pages.borrow();
        match pages[index].state {
            PageState::Present { writable } if writable || !write => {
                Ok(pages[index].bytes[addr % PAGE_SIZE])
            }
            _ => Err(Miss::User),
        }
    }

    /// Stores `value` at a user address that [`UserMemory::translate`] allowed for a write.
    pub(crate) fn store(&self, addr: usize, value: u8) {
        if let Some(index) = page_index(addr) {
            self.pages.borrow_mut()[index].bytes[addr % PAGE_SIZE] = value;
        }
    }

    /// The resolution step of the fault handler: pages a not-present page in (zero-filled,
    /// writable). Does not sleep itself; the caller does the sleep the I/O would take.
    pub(crate) fn page_in(&self, addr: usize, write: bool) -> Resolution {
        let Some(index) = page_index(addr) else {
            return Resolution::NoMapping;
        };
        let mut pages = self.pages.borrow_mut();
        match pages[index].state {
            PageState::NotPresent => {
                pages[index].state = PageState::Present { writable: true };
                Resolution::Resolved
            }
            PageState::Present { writable } if writable || !write => Resolution::Resolved,
            _ => Resolution::NoMapping,
        }
    }
}

fn page_index(addr: usize) -> Option<usize> {
    let offset = addr.checked_sub(USER_BASE)?;
    let index = offset / PAGE_SIZE;
    (index < USER_PAGES).then_some(index)
}
