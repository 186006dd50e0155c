//! The console device: the sPAPR virtual terminal through H_PUT_TERM_CHAR (terminal 0 is
//! QEMU's default vty), at most 16 bytes per call, packed big-endian into r6/r7. The lock and
//! the write paths are the shared `crate::console`'s.

use super::hcall::{hcall, H_PUT_TERM_CHAR};
use super::Ppc64;
use crate::console::ConsoleDevice;

impl ConsoleDevice for Ppc64 {
    fn put(text: &str) {
        for chunk in text.as_bytes().chunks(16) {
            let mut packed = [0u8; 16];
            packed[..chunk.len()].copy_from_slice(chunk);
            let hi = u64::from_be_bytes(packed[..8].try_into().expect("8 bytes"));
            let lo = u64::from_be_bytes(packed[8..].try_into().expect("8 bytes"));
            // SAFETY: H_PUT_TERM_CHAR only reads its register arguments.
            unsafe { hcall(H_PUT_TERM_CHAR, [0, chunk.len() as u64, hi, lo, 0, 0]) };
        }
    }
}
