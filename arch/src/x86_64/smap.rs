//! SMAP support for the accessors' `stac`/`clac`: a cpu without SMAP raises #UD on both, so
//! every site is recorded in the `smap_sites` section ([`stac!`](crate::stac),
//! [`clac!`](crate::clac)) and the kernel turns them into NOPs at boot when CPUID says the cpu
//! lacks SMAP, as Linux's alternatives do. Whether to turn SMAP on (CR4.SMAP) is the kernel's.
//!
//! The section needs nothing from a linker script: as an orphan section the linker defines
//! `__start_smap_sites`/`__stop_smap_sites` around it ([`linker_smap_sites!`](crate::linker_smap_sites));
//! a script that places it must keep it and define them.

/// `nopl (%rax)`: the 3-byte NOP that replaces a 3-byte `stac`/`clac`.
const NOP3: [u8; 3] = [0x0f, 0x1f, 0x00];

/// Whether CPUID says this cpu has SMAP (leaf 7, EBX bit 20).
///
/// # Context
/// Never sleeps; any context.
pub fn cpu_has_smap() -> bool {
    // Leaf 0 gives the highest standard leaf; leaf 7 is only asked for when the cpu has it.
    let max_leaf = core::arch::x86_64::__cpuid(0).eax;
    max_leaf >= 7 && core::arch::x86_64::__cpuid_count(7, 0).ebx & (1 << 20) != 0
}

/// Overwrites every recorded `stac`/`clac` site with a 3-byte NOP. Returns the number of
/// sites. Call it at boot when [`cpu_has_smap`] is false.
///
/// `sites` is the `smap_sites` section: one 32-bit offset per site, relative to its own field
/// ([`linker_smap_sites!`](crate::linker_smap_sites) finds it).
///
/// # Safety
/// Once, on the boot cpu, before other cpus run and before any `stac`/`clac` executes; kernel
/// text must be mapped writable.
///
/// # Context
/// Never sleeps; boot.
pub unsafe fn nop_out_sites(sites: &[i32]) -> usize {
    for field in sites {
        let at = field as *const i32 as usize;
        let site = at.wrapping_add_signed(*field as isize);
        // SAFETY: each field is a relative pointer to a 3-byte stac/clac in kernel text, which
        // the caller keeps writable while no other cpu runs and none of the sites executes.
        unsafe { core::ptr::copy_nonoverlapping(NOP3.as_ptr(), site as *mut u8, NOP3.len()) };
    }
    sites.len()
}

/// The `stac`/`clac` sites the linker collected from every `smap_sites` section, as a
/// `&'static [i32]` for [`nop_out_sites`].
///
/// # Safety
/// The expansion calls an `unsafe fn`, so it must stand inside the caller's `unsafe` block; it
/// refers to `__start_smap_sites`/`__stop_smap_sites`, which the linker defines (see the module
/// documentation).
#[macro_export]
macro_rules! linker_smap_sites {
    () => {{
        extern "C" {
            static mut __start_smap_sites: i32;
            static mut __stop_smap_sites: i32;
        }
        &*$crate::__private::linked_section_mut(
            core::ptr::addr_of_mut!(__start_smap_sites),
            core::ptr::addr_of_mut!(__stop_smap_sites),
        )
    }};
}
