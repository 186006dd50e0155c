//! s390x building blocks (being carved out of the test kernel).

pub mod uaccess;
