//! The simulated user address space: pages that are present (read-write or read-only), valid
//! but not present (paged in on a fault: zero-filled, or with the contents it had when it was
//! evicted), or not mapped at all.
//!
//! Everything at or above [`USER_LIMIT`] is kernel space to the simulation: user accessors that
//! reach it fault and are fixed up, as an access through a user mapping would.

use std::collections::BTreeMap;

use mightfault_core::fault::Resolution;

use crate::UserPageKind;

/// Size of a simulated page.
pub const PAGE_SIZE: usize = 4096;

/// The first address above simulated user space. Host processes put their own code, heap and
/// stacks far above this (PIE binaries load near 0x5555_0000_0000), so a real kernel object's
/// address is a kernel address to the simulation as well.
pub const USER_LIMIT: usize = 0x0000_4000_0000_0000;

enum Page {
    Present {
        bytes: Box<[u8; PAGE_SIZE]>,
        writable: bool,
    },
    /// Valid, not present: paged in on a fault. `kept` holds the contents and writability of
    /// an evicted page, which the page-in restores; a page that was never present is paged in
    /// zero-filled and read-write.
    NotPresent {
        kept: Option<(Box<[u8; PAGE_SIZE]>, bool)>,
    },
}

/// What resolving a fault did.
pub(crate) struct Resolved {
    pub(crate) resolution: Resolution,
    /// The page had to be read in: the faulting task sleeps once.
    pub(crate) paged_in: bool,
}

/// The pages of the simulated user address space, by page number.
#[derive(Default)]
pub(crate) struct UserMemory {
    pages: BTreeMap<usize, Page>,
}

fn page_number(addr: usize) -> usize {
    addr / PAGE_SIZE
}

impl UserMemory {
    /// Replaces the whole address space with `kinds.len()` pages starting at `base`. Returns
    /// false (changing nothing) unless `base` is page-aligned and the pages fit below the limit.
    pub(crate) fn set_layout(&mut self, base: usize, kinds: &[UserPageKind]) -> bool {
        let fits = kinds
            .len()
            .checked_mul(PAGE_SIZE)
            .and_then(|size| base.checked_add(size))
            .is_some_and(|end| end <= USER_LIMIT);
        if !base.is_multiple_of(PAGE_SIZE) || !fits {
            return false;
        }
        self.pages.clear();
        for (index, kind) in kinds.iter().enumerate() {
            let page = match kind {
                UserPageKind::PresentRw | UserPageKind::PresentRo => Page::Present {
                    bytes: Box::new([0; PAGE_SIZE]),
                    writable: *kind == UserPageKind::PresentRw,
                },
                UserPageKind::NotPresent => Page::NotPresent { kept: None },
                UserPageKind::Unmapped => continue,
            };
            self.pages.insert(page_number(base) + index, page);
        }
        true
    }

    /// The bytes of the present page holding `addr`, if the access is allowed without a fault.
    pub(crate) fn accessible(&mut self, addr: usize, write: bool) -> Option<&mut [u8; PAGE_SIZE]> {
        if addr >= USER_LIMIT {
            return None;
        }
        match self.pages.get_mut(&page_number(addr)) {
            Some(Page::Present { bytes, writable }) if *writable || !write => Some(bytes),
            _ => None,
        }
    }

    /// Whether every byte of `[addr, addr + len)` is accessible; if not, the first address
    /// that is not.
    pub(crate) fn first_inaccessible(
        &mut self,
        addr: usize,
        len: usize,
        write: bool,
    ) -> Option<usize> {
        let mut at = addr;
        let end = addr.wrapping_add(len);
        while at != end {
            if self.accessible(at, write).is_none() {
                return Some(at);
            }
            let next_page = (page_number(at) + 1).wrapping_mul(PAGE_SIZE);
            at = if end.wrapping_sub(at) <= next_page.wrapping_sub(at) {
                end
            } else {
                next_page
            };
        }
        None
    }

    /// Resolves a fault at `addr`: a valid not-present page is read in (zero-filled); a write
    /// to a read-only page, a missing mapping or a kernel address cannot be resolved.
    pub(crate) fn resolve(&mut self, addr: usize, write: bool) -> Resolved {
        let no_mapping = Resolved {
            resolution: Resolution::NoMapping,
            paged_in: false,
        };
        if addr >= USER_LIMIT {
            return no_mapping;
        }
        let Some(page) = self.pages.get_mut(&page_number(addr)) else {
            return no_mapping;
        };
        match page {
            Page::NotPresent { kept } => {
                let (bytes, writable) = kept.take().unwrap_or((Box::new([0; PAGE_SIZE]), true));
                *page = Page::Present { bytes, writable };
                Resolved {
                    resolution: Resolution::Resolved,
                    paged_in: true,
                }
            }
            Page::Present {
                writable: false, ..
            } if write => no_mapping,
            // Already accessible: another path resolved it first; just retry.
            Page::Present { .. } => Resolved {
                resolution: Resolution::Resolved,
                paged_in: false,
            },
        }
    }

    /// Makes the present page holding `addr` not present, keeping its contents and
    /// writability for the next page-in; false (changing nothing) when it is not present.
    pub(crate) fn evict(&mut self, addr: usize) -> bool {
        if addr >= USER_LIMIT {
            return false;
        }
        let Some(page) = self.pages.get_mut(&page_number(addr)) else {
            return false;
        };
        let Page::Present { .. } = page else {
            return false;
        };
        let Page::Present { bytes, writable } =
            std::mem::replace(page, Page::NotPresent { kept: None })
        else {
            unreachable!("matched as present just above");
        };
        *page = Page::NotPresent {
            kept: Some((bytes, writable)),
        };
        true
    }

    /// Whether the page holding `addr` is present.
    pub(crate) fn is_present(&self, addr: usize) -> bool {
        addr < USER_LIMIT
            && matches!(
                self.pages.get(&page_number(addr)),
                Some(Page::Present { .. })
            )
    }

    /// Copies between `[addr, addr + len)` and a kernel buffer, ignoring write protection and
    /// never faulting; false (touching nothing) if any byte is not present.
    pub(crate) fn inspect(
        &mut self,
        addr: usize,
        len: usize,
        mut each: impl FnMut(&mut [u8], usize),
    ) -> bool {
        if len == 0 {
            return true;
        }
        let Some(last) = addr.checked_add(len - 1) else {
            return false;
        };
        let all_present = (page_number(addr)..=page_number(last))
            .all(|page| matches!(self.pages.get(&page), Some(Page::Present { .. })));
        if last >= USER_LIMIT || !all_present {
            return false;
        }
        let mut done = 0;
        while done < len {
            let at = addr + done;
            let offset = at % PAGE_SIZE;
            let chunk = (len - done).min(PAGE_SIZE - offset);
            if let Some(Page::Present { bytes, .. }) = self.pages.get_mut(&page_number(at)) {
                each(&mut bytes[offset..offset + chunk], done);
            }
            done += chunk;
        }
        true
    }
}
