//! Helpers shared by nng-sys's test files.
#![allow(dead_code)] // each test file uses what it needs

use nng_sys::*;
use std::ffi::CStr;
use std::ptr;

/// `nng_init` with default parameters (idempotent; nng 2.0 requires it
/// before any other call).
pub fn init() {
    // SAFETY: NULL asks for default parameters; nng_init is idempotent and
    // thread-safe.
    let rv = unsafe { nng_init(ptr::null()) };
    assert!(rv == NNG_OK || rv == NNG_EBUSY, "nng_init: {rv}");
}

/// Panics with nng's text for a non-zero return code.
pub fn check(rv: i32, what: &str) {
    if rv != 0 {
        // SAFETY: nng_strerror returns a static NUL-terminated string for any code.
        let text = unsafe { CStr::from_ptr(nng_strerror(rv as nng_err)) };
        panic!("{what}: {} ({rv})", text.to_string_lossy());
    }
}
