//! Filling a prefix area's interruption slots: every new PSW enters its real-mode stub, and the
//! continuation PSWs take each stub on to its virtual half (see `entry.rs`).

use super::cpu::{PSW_KERNEL, PSW_REAL};
use super::entry::{
    mf_s390_ext_real, mf_s390_ext_virt, mf_s390_io_real, mf_s390_mcck_real, mf_s390_other_virt,
    mf_s390_pgm_real, mf_s390_pgm_virt, mf_s390_restart_real, mf_s390_return_real,
    mf_s390_start_real, mf_s390_start_virt, mf_s390_svc_real,
};
use super::lowcore::{self as lc, write_psw};

/// Who a prefix area belongs to, which decides where a restart goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// The boot cpu: a restart is unexpected (an oops).
    Unexpected,
    /// A secondary cpu: SIGP restart starts it.
    StartsCpu,
}

/// A stub's address with DAT off: the same, as the kernel's space is virtual = physical.
fn real(stub: unsafe extern "C" fn()) -> u64 {
    stub as usize as u64
}

fn virt(stub: unsafe extern "C" fn()) -> u64 {
    stub as usize as u64
}

/// Clears the kernel's lowcore fields at `base` and fills its PSW slots.
///
/// # Safety
/// `base` is this cpu's lowcore (address 0), or the prefix area of a cpu that is not running yet.
///
/// # Context
/// Never sleeps; cpu bring-up, interrupts masked.
pub unsafe fn install(base: usize, restart: Restart) {
    // SAFETY: the caller's contract; 0x200..0x600 holds only this kernel's fields.
    unsafe {
        core::ptr::write_bytes((base + lc::SAVE_PGM) as *mut u8, 0, 0x400);
        let restart_stub = match restart {
            Restart::Unexpected => real(mf_s390_restart_real),
            Restart::StartsCpu => real(mf_s390_start_real),
        };
        write_psw(base, lc::RESTART_NEW_PSW, PSW_REAL, restart_stub);
        write_psw(base, lc::EXT_NEW_PSW, PSW_REAL, real(mf_s390_ext_real));
        write_psw(base, lc::SVC_NEW_PSW, PSW_REAL, real(mf_s390_svc_real));
        write_psw(base, lc::PGM_NEW_PSW, PSW_REAL, real(mf_s390_pgm_real));
        write_psw(base, lc::MCCK_NEW_PSW, PSW_REAL, real(mf_s390_mcck_real));
        write_psw(base, lc::IO_NEW_PSW, PSW_REAL, real(mf_s390_io_real));
        write_psw(base, lc::CONT_PGM_PSW, PSW_KERNEL, virt(mf_s390_pgm_virt));
        write_psw(base, lc::CONT_EXT_PSW, PSW_KERNEL, virt(mf_s390_ext_virt));
        write_psw(
            base,
            lc::CONT_OTHER_PSW,
            PSW_KERNEL,
            virt(mf_s390_other_virt),
        );
        write_psw(
            base,
            lc::CONT_START_PSW,
            PSW_KERNEL,
            virt(mf_s390_start_virt),
        );
        write_psw(base, lc::TO_REAL_PSW, PSW_REAL, real(mf_s390_return_real));
    }
}
