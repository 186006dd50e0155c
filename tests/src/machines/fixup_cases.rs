//! Arch-suite cases that every bare-metal image runs with its own addresses: an unchecked
//! access to an address that is not the user's is fixed up to -EFAULT, never oopsed. Which
//! fault the address raises (#PF or #GP, a translation or ASCE-type exception, a data storage
//! or segment interrupt) is each arch's; that the fixup follows is the same everywhere.

use mightfault_uaccess::{__get_user, __put_user, Efault};

use crate::ktap::Outcome;
use crate::machine::SeedMachine;
use crate::support::check;

/// An unchecked put then get of a `u32` at `unmapped_kernel`, a kernel address with nothing
/// mapped: both fail with -EFAULT and the get leaves zero.
///
/// # Context
/// Never sleeps (the faults are fixed up, not resolved); task context.
pub(super) fn kernel_address_access_is_fixed_up<M: SeedMachine>(unmapped_kernel: usize) -> Outcome {
    // SAFETY: deliberately unchecked: nothing is mapped there, the fault is fixed up.
    let put = unsafe { __put_user::<M, u32>(7, unmapped_kernel) };
    check!(M, put == Err(Efault), "__put_user: {:?}", put);
    let mut value = 5u32;
    // SAFETY: as above.
    let got = unsafe { __get_user::<M, u32>(&mut value, unmapped_kernel) };
    check!(
        M,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {}",
        got,
        value
    );
    Outcome::Pass
}

/// An unchecked get then put of a `u64` at `untranslatable`, an address the MMU cannot
/// translate at all (it raises the arch's other kind of fault): both fail with -EFAULT and the
/// get leaves zero.
///
/// # Context
/// Never sleeps (the faults are fixed up, not resolved); task context.
pub(super) fn untranslatable_access_is_fixed_up<M: SeedMachine>(untranslatable: usize) -> Outcome {
    let mut value = u64::MAX;
    // SAFETY: deliberately unchecked: the access faults and is fixed up.
    let got = unsafe { __get_user::<M, u64>(&mut value, untranslatable) };
    check!(
        M,
        got == Err(Efault) && value == 0,
        "__get_user: {:?}, value {:#x}",
        got,
        value
    );
    // SAFETY: as above.
    let put = unsafe { __put_user::<M, u64>(1, untranslatable) };
    check!(M, put == Err(Efault), "__put_user: {:?}", put);
    Outcome::Pass
}
