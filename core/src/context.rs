//! Contexts in the type system (issue 8): work in progress.
