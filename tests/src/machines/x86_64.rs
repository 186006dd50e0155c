//! The x86_64 image under QEMU runs the suites on real page tables, a real #PF handler and a
//! real SMP scheduler (see `mightfault_arch::x86_64`).

use mightfault_arch::x86_64::{self as x86, UserPageKind, X86};

use crate::machine::{PageKind, SeedMachine};

impl SeedMachine for X86 {
    const PAGE_SIZE: usize = x86::PAGE_SIZE;

    fn nr_cpus() -> u32 {
        x86::nr_cpus()
    }

    fn map_user_pages(kinds: &[PageKind]) -> usize {
        let mut arch_kinds = [UserPageKind::Unmapped; x86::MAX_USER_PAGES];
        assert!(
            kinds.len() <= arch_kinds.len(),
            "at most {} user pages",
            arch_kinds.len()
        );
        for (slot, kind) in arch_kinds.iter_mut().zip(kinds) {
            *slot = match kind {
                PageKind::PresentRw => UserPageKind::PresentRw,
                PageKind::PresentRo => UserPageKind::PresentRo,
                PageKind::NotPresent => UserPageKind::NotPresent,
                PageKind::Unmapped => UserPageKind::Unmapped,
            };
        }
        x86::map_user_pages(&arch_kinds[..kinds.len()])
    }

    fn user_page_present(addr: usize) -> bool {
        x86::user_page_present(addr)
    }

    fn peek_user(addr: usize, buf: &mut [u8]) -> bool {
        x86::peek_user(addr, buf)
    }

    fn poke_user(addr: usize, data: &[u8]) -> bool {
        x86::poke_user(addr, data)
    }

    fn direct_next_wakeup(cpu: u32) {
        x86::direct_next_wakeup(cpu);
    }

    fn sleep_while_other_runs(other: fn(usize), arg: usize, name: &'static str, resume_on: u32) {
        x86::sleep_while_other_runs(other, arg, name, resume_on);
    }
}
