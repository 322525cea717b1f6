//! Unit tests of the nngcat example's self-contained modules (its option
//! parser and its output formats), compiled here because cargo builds
//! examples without running their tests.

#[allow(dead_code)]
#[path = "../examples/nngcat/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../examples/nngcat/format.rs"]
mod format;
