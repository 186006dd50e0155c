//! Just enough ACPI to find the cpus: RSDP → RSDT/XSDT → MADT, whose processor-local-APIC and
//! x2APIC entries list each enabled cpu's APIC id.
//!
//! The RSDP comes from the PVH start_info (`rsdp_paddr`), or from the BIOS area scan when that
//! is 0. All tables are read through the direct map (QEMU keeps them below 4 GiB).

use super::layout::phys_to_virt;
use super::percpu::MAX_CPUS;

/// The APIC ids of the enabled cpus, in MADT order (the boot cpu is normally first).
#[derive(Clone, Copy, Debug)]
pub struct CpuList {
    ids: [u32; MAX_CPUS],
    len: usize,
    /// Enabled cpus the MADT listed beyond MAX_CPUS.
    pub dropped: usize,
}

impl CpuList {
    /// The APIC ids found.
    ///
    /// # Context
    /// Never sleeps; any context.
    pub fn ids(&self) -> &[u32] {
        &self.ids[..self.len]
    }

    fn push(&mut self, id: u32) {
        if self.ids().contains(&id) {
            return;
        }
        if self.len < MAX_CPUS {
            self.ids[self.len] = id;
            self.len += 1;
        } else {
            self.dropped += 1;
        }
    }
}

fn read_bytes<const N: usize>(phys: u64) -> [u8; N] {
    let mut out = [0u8; N];
    // SAFETY: ACPI tables and the BIOS area are RAM below 4 GiB, inside the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(phys_to_virt(phys) as *const u8, out.as_mut_ptr(), N);
    }
    out
}

fn read_u8(phys: u64) -> u8 {
    read_bytes::<1>(phys)[0]
}

fn read_u32(phys: u64) -> u32 {
    u32::from_le_bytes(read_bytes(phys))
}

fn read_u64(phys: u64) -> u64 {
    u64::from_le_bytes(read_bytes(phys))
}

fn checksum_ok(phys: u64, len: usize) -> bool {
    (0..len as u64).fold(0u8, |sum, at| sum.wrapping_add(read_u8(phys + at))) == 0
}

fn scan_for_rsdp() -> Option<u64> {
    (0xe0000u64..0x100000)
        .step_by(16)
        .find(|&at| &read_bytes::<8>(at) == b"RSD PTR " && checksum_ok(at, 20))
}

fn find_madt(rsdp: u64) -> Option<u64> {
    if &read_bytes::<8>(rsdp) != b"RSD PTR " {
        return None;
    }
    let revision = read_u8(rsdp + 15);
    let (root, entry_size) = if revision >= 2 && read_u64(rsdp + 24) != 0 {
        (read_u64(rsdp + 24), 8)
    } else {
        (u64::from(read_u32(rsdp + 16)), 4)
    };
    let root_len = u64::from(read_u32(root + 4));
    let mut at = root + 36;
    while at + entry_size <= root + root_len {
        let table = if entry_size == 8 {
            read_u64(at)
        } else {
            u64::from(read_u32(at))
        };
        if &read_bytes::<4>(table) == b"APIC" {
            return Some(table);
        }
        at += entry_size;
    }
    None
}

/// The enabled cpus' APIC ids from the MADT, or None when no MADT is found.
///
/// # Context
/// Never sleeps; boot.
pub fn cpus(rsdp_paddr: u64) -> Option<CpuList> {
    let rsdp = if rsdp_paddr != 0 {
        rsdp_paddr
    } else {
        scan_for_rsdp()?
    };
    let madt = find_madt(rsdp)?;
    let len = u64::from(read_u32(madt + 4));
    let mut list = CpuList {
        ids: [0; MAX_CPUS],
        len: 0,
        dropped: 0,
    };
    // Entries follow the header (36 bytes), the local APIC address and the flags.
    let mut at = madt + 44;
    while at + 2 <= madt + len {
        let kind = read_u8(at);
        let entry_len = u64::from(read_u8(at + 1));
        if entry_len < 2 {
            break;
        }
        match kind {
            // Processor local APIC: uid, APIC id, flags (bit 0 enabled).
            0 if read_u32(at + 4) & 1 != 0 => list.push(u32::from(read_u8(at + 3))),
            // Processor local x2APIC: reserved, x2APIC id, flags, uid.
            9 if read_u32(at + 8) & 1 != 0 => list.push(read_u32(at + 4)),
            _ => {}
        }
        at += entry_len;
    }
    Some(list)
}
