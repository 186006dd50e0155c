//! The members of an `Arch` impl that are the same on every bare-metal arch: the report state,
//! the reschedule through the shared scheduler, the console through the shared writer, and the
//! spin-loop hint. Where the count lives, interrupt masking, the clock and the console device
//! stay with each arch.

use mightfault_core::{DebugState, MachineState};

/// The report and warn-once state of this image (one machine per image, so one state).
pub(crate) static DEBUG_STATE: DebugState = DebugState::new();

/// The softirq and RCU state of this image.
pub(crate) static MACHINE_STATE: MachineState = MachineState::new();

/// Expands, inside a bare-metal arch's `unsafe impl Arch`, to its `preempt_schedule` (the
/// shared scheduler's), `console_write` (the shared console's locked write to the arch's
/// `ConsoleDevice`), `cpu_relax` (the compiler's spin-loop hint: `pause` on x86_64, nothing or a
/// no-op hint elsewhere), `debug_state` ([`DEBUG_STATE`]), `machine_state`
/// ([`MACHINE_STATE`]) and `kernel_symbols` (the image's table, [`crate::kallsyms`]).
macro_rules! bare_metal_arch_common {
    () => {
        fn preempt_schedule() {
            $crate::sched::preempt_schedule::<Self>();
        }

        fn console_write(text: &str) {
            $crate::console::write::<Self>(text);
        }

        #[inline(always)]
        fn cpu_relax() {
            core::hint::spin_loop();
        }

        #[inline(always)]
        fn debug_state() -> &'static mightfault_core::DebugState {
            &$crate::arch_common::DEBUG_STATE
        }

        #[inline(always)]
        fn machine_state() -> &'static mightfault_core::MachineState {
            &$crate::arch_common::MACHINE_STATE
        }

        fn kernel_symbols() -> mightfault_core::symbol_table::SymbolTable<'static> {
            $crate::kallsyms::kernel_symbols()
        }
    };
}
