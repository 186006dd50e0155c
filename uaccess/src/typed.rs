//! Typed user pointers and the accessors that take context tokens (issue 8): work in progress.
