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

/// How long a race test hammers: `NNG_RACE_SECS`, else `default_secs`.
pub fn race_budget(default_secs: f64) -> std::time::Duration {
    let secs = std::env::var("NNG_RACE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    std::time::Duration::from_secs_f64(secs)
}

/// Makes glibc fill freed blocks, so that reads of freed nng objects see
/// garbage instead of the old values (a use after free then crashes, or
/// trips nng's checks, without a sanitizer). A no-op on other libcs.
pub fn perturb_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        const M_PERTURB: std::ffi::c_int = -6;
        // SAFETY: mallopt only changes glibc's allocator settings; M_PERTURB
        // takes any byte value.
        unsafe { mallopt(M_PERTURB, 0xa5) };
    }
}
