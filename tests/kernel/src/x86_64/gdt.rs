//! Each cpu's GDT and TSS.
//!
//! Long mode ignores segment bases and limits for code and data, so the GDT only needs a 64-bit
//! kernel code segment, a data segment, and the TSS, whose one job here is the interrupt stack
//! table: a double fault switches to a known-good stack (IST1) even when the kernel stack is
//! what broke. There is no user mode, so no user segments and no ring-0 stack in the TSS.

use core::arch::asm;
use core::cell::UnsafeCell;
use core::mem::size_of;

use super::percpu::MAX_CPUS;

/// The kernel code selector (64-bit).
pub const KERNEL_CS: u16 = 0x08;
/// The kernel data selector.
pub const KERNEL_DS: u16 = 0x10;
/// The TSS selector (a 16-byte descriptor in slots 3 and 4).
pub const TSS_SELECTOR: u16 = 0x18;
/// The IST slot (1-based, as the IDT gate names it) used by the double-fault handler.
pub const IST_DOUBLE_FAULT: u8 = 1;

const CODE64: u64 = 0x00af_9a00_0000_ffff; // present, ring 0, code, long mode
const DATA: u64 = 0x00cf_9200_0000_ffff; // present, ring 0, data, writable
const IST_STACK_SIZE: usize = 16 * 1024;

/// The 64-bit task-state segment (104 bytes; the hardware reads it unaligned).
#[repr(C, packed(4))]
struct Tss {
    _reserved0: u32,
    rsp: [u64; 3],
    _reserved1: u64,
    ist: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct CpuTables {
    gdt: [u64; 5],
    tss: Tss,
}

struct TablesCell(UnsafeCell<CpuTables>);

// SAFETY: cpu n's tables are written only by cpu n in load(), before it uses them; afterwards
// only the hardware reads them.
unsafe impl Sync for TablesCell {}

#[repr(C, align(16))]
struct IstStack(UnsafeCell<[u8; IST_STACK_SIZE]>);

// SAFETY: cpu n's IST stack is used only by cpu n's double-fault handler.
unsafe impl Sync for IstStack {}

static TABLES: [TablesCell; MAX_CPUS] = [const {
    TablesCell(UnsafeCell::new(CpuTables {
        gdt: [0; 5],
        tss: Tss {
            _reserved0: 0,
            rsp: [0; 3],
            _reserved1: 0,
            ist: [0; 7],
            _reserved2: 0,
            _reserved3: 0,
            iomap_base: size_of::<Tss>() as u16,
        },
    }))
}; MAX_CPUS];

static IST_STACKS: [IstStack; MAX_CPUS] =
    [const { IstStack(UnsafeCell::new([0; IST_STACK_SIZE])) }; MAX_CPUS];

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Builds cpu `cpu`'s GDT and TSS and loads them: reloads every segment register (`gs` with a
/// null selector, which clears its base: set up the per-cpu area afterwards) and the task
/// register.
///
/// # Safety
/// Called once per cpu, on that cpu, while no interrupt can arrive.
///
/// # Context
/// Never sleeps; cpu bring-up.
pub unsafe fn load(cpu: usize) {
    let tables = TABLES[cpu].0.get();
    let ist_top = IST_STACKS[cpu].0.get() as usize + IST_STACK_SIZE;
    // SAFETY: only this cpu touches its tables, and not yet through the hardware.
    unsafe {
        (*tables).tss.ist[usize::from(IST_DOUBLE_FAULT) - 1] = ist_top as u64;
        let tss_base = core::ptr::addr_of!((*tables).tss) as u64;
        let tss_limit = (size_of::<Tss>() - 1) as u64;
        // An available 64-bit TSS (type 9), present, ring 0; the base is split across both slots.
        let tss_low = (tss_limit & 0xffff)
            | ((tss_base & 0x00ff_ffff) << 16)
            | (0x89 << 40)
            | (((tss_limit >> 16) & 0xf) << 48)
            | (((tss_base >> 24) & 0xff) << 56);
        let tss_high = tss_base >> 32;
        (*tables).gdt = [0, CODE64, DATA, tss_low, tss_high];
        let pointer = DescriptorPointer {
            limit: (size_of::<[u64; 5]>() - 1) as u16,
            base: core::ptr::addr_of!((*tables).gdt) as u64,
        };
        // Reload CS with a far return (there is no far jump to an absolute 64-bit address),
        // then the data segments, then the TSS.
        asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov {tmp:e}, {ds}",
            "mov ds, {tmp:x}",
            "mov es, {tmp:x}",
            "mov ss, {tmp:x}",
            "xor {tmp:e}, {tmp:e}",
            "mov fs, {tmp:x}",
            "mov gs, {tmp:x}",
            "mov {tmp:e}, {tss}",
            "ltr {tmp:x}",
            ptr = in(reg) &pointer,
            cs = const KERNEL_CS,
            ds = const KERNEL_DS,
            tss = const TSS_SELECTOR,
            tmp = out(reg) _,
        );
    }
}
