//! The typed API's compile-fail tests (issue 8): each file of `tests/compile-fail/` is a
//! classic kernel bug written with the context tokens and typed user pointers, and must be
//! rejected with the error recorded beside it (`.stderr`); `tests/compile-fail/pass/` holds the
//! correct pattern of each, which must compile and run without a report.
//!
//! The types do not depend on the configuration, so the cases run in `debug` only (the
//! default), to keep the other configurations' test runs fast. Regenerate the expected errors
//! with `TRYBUILD=overwrite cargo test -p mightfault-tests --test compile_fail`, then review
//! them.

#[test]
fn typed_api_rejects_the_classic_bugs() {
    if mightfault_core::config::name() != "debug" {
        eprintln!(
            "compile-fail tests skipped in configuration {}",
            mightfault_core::config::name()
        );
        return;
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("compile-fail/*.rs");
    cases.pass("compile-fail/pass/*.rs");
}
