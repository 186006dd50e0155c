//! Taint flags, Linux's record that the kernel has already seen a bug: after the first warning
//! every later report's CPU line says `Tainted: G        W` instead of `Not tainted`, so that a
//! reader knows the state may be the consequence of an earlier report.
//!
//! Only the flag the crate sets is modelled ([`TAINT_WARN`], set after every WARN and every
//! sleeping-in-atomic report, as Linux sets it); the letters and their order are Linux's, so
//! the string has Linux's width.

use core::fmt::{self, Write};

use crate::arch::Arch;

/// Linux's TAINT_WARN (bit 9): a WARN or a sleeping-in-atomic report was printed.
pub const TAINT_WARN: u32 = 9;

/// Linux's taint flags in bit order (`taint_flags[]`): the letter when set, the letter when
/// clear ('G' for a kernel without proprietary modules, a space for the others), the name of
/// the verbose line.
const FLAGS: [(char, char, &str); 20] = [
    ('P', 'G', "PROPRIETARY_MODULE"),
    ('F', ' ', "FORCED_MODULE"),
    ('S', ' ', "CPU_OUT_OF_SPEC"),
    ('R', ' ', "FORCED_RMMOD"),
    ('M', ' ', "MACHINE_CHECK"),
    ('B', ' ', "BAD_PAGE"),
    ('U', ' ', "USER"),
    ('D', ' ', "DIE"),
    ('A', ' ', "OVERRIDDEN_ACPI_TABLE"),
    ('W', ' ', "WARN"),
    ('C', ' ', "CRAP"),
    ('I', ' ', "FIRMWARE_WORKAROUND"),
    ('O', ' ', "OOT_MODULE"),
    ('E', ' ', "UNSIGNED_MODULE"),
    ('L', ' ', "SOFTLOCKUP"),
    ('K', ' ', "LIVEPATCH"),
    ('X', ' ', "AUX"),
    ('T', ' ', "RANDSTRUCT"),
    ('N', ' ', "TEST"),
    ('J', ' ', "FWCTL"),
];

/// Marks the machine tainted with `bit` (e.g. [`TAINT_WARN`]).
///
/// # Context
/// Never sleeps; any context.
pub fn add_taint<A: Arch>(bit: u32) {
    A::debug_state().add_taint(bit);
}

/// Writes Linux's `print_tainted()`: `Not tainted`, or `Tainted: ` and one letter per flag.
///
/// # Context
/// Never sleeps; any context.
pub fn write_tainted<A: Arch>(out: &mut dyn Write) -> fmt::Result {
    let mask = A::debug_state().taint();
    if mask == 0 {
        return out.write_str("Not tainted");
    }
    out.write_str("Tainted: ")?;
    for (bit, (set, clear, _)) in FLAGS.iter().enumerate() {
        out.write_char(if mask & (1 << bit) != 0 { *set } else { *clear })?;
    }
    Ok(())
}

/// Writes Linux's verbose taint line (`Tainted: [W]=WARN`) when the machine is tainted; nothing
/// otherwise.
///
/// # Context
/// Never sleeps; any context.
pub fn write_tainted_verbose<A: Arch>(out: &mut dyn Write) -> fmt::Result {
    let mask = A::debug_state().taint();
    if mask == 0 {
        return Ok(());
    }
    out.write_str("Tainted: ")?;
    let mut separator = "";
    for (bit, (letter, _, name)) in FLAGS.iter().enumerate() {
        if mask & (1 << bit) != 0 {
            write!(out, "{separator}[{letter}]={name}")?;
            separator = ", ";
        }
    }
    out.write_char('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warn_is_bit_nine() {
        assert_eq!(FLAGS[TAINT_WARN as usize].0, 'W');
        assert_eq!(FLAGS[TAINT_WARN as usize].2, "WARN");
    }
}
