//! RTAS calls through QEMU's KVMPPC_H_RTAS hypercall.
//!
//! The argument block is `{token, nargs, nret, args..., rets...}` in big-endian 32-bit words at
//! a guest real address. The tokens are QEMU's fixed sPAPR numbering (RTAS_TOKEN_BASE 0x2000 +
//! index, the same numbers QEMU writes into /rtas): this image runs under VOF and does not walk
//! the device tree, so they are named here once.

use core::cell::UnsafeCell;

use super::hcall::{hcall, KVMPPC_H_RTAS};
use super::layout::virt_to_phys;

/// `power-off` (args: two power-on masks; one return).
pub const RTAS_POWER_OFF: u32 = 0x2003;
/// `start-cpu` (args: cpu id, start address, r3; one return).
pub const RTAS_START_CPU: u32 = 0x2006;
/// `ibm,os-term` (args: address of a message; one return).
pub const RTAS_OS_TERM: u32 = 0x201f;

const MAX_WORDS: usize = 16;

#[repr(C, align(16))]
struct Block(UnsafeCell<[u32; MAX_WORDS]>);

// SAFETY: only used under BLOCK_LOCK.
unsafe impl Sync for Block {}

static BLOCK: Block = Block(UnsafeCell::new([0; MAX_WORDS]));
static BLOCK_LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Calls RTAS service `token` with `args`; returns its first return value (the status).
///
/// # Context
/// Never sleeps; any context (a spin lock guards the one argument block; the fail path of
/// `exit` may find it held and proceeds anyway).
pub fn call(token: u32, args: &[u32], nret: usize) -> i32 {
    assert!(3 + args.len() + nret <= MAX_WORDS && nret >= 1);
    let guard = BLOCK_LOCK.try_lock();
    let block = BLOCK.0.get();
    // SAFETY: the block is static and 16-byte aligned; the lock (or a dying machine) makes this
    // the only user. The hypervisor reads and writes it by real address during the call.
    unsafe {
        let words = &mut *block;
        words[0] = token;
        words[1] = args.len() as u32;
        words[2] = nret as u32;
        words[3..3 + args.len()].copy_from_slice(args);
        let (_, _) = hcall(
            KVMPPC_H_RTAS,
            [virt_to_phys(block as usize) as u64, 0, 0, 0, 0, 0],
        );
        let status = core::ptr::read_volatile(&words[3 + args.len()]) as i32;
        drop(guard);
        status
    }
}
