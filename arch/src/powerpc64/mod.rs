//! powerpc64 building blocks (being carved out of the test kernel).

#[macro_use]
mod asm_macros;

pub mod uaccess;
