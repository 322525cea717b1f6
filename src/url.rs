//! URLs (`nng_url`).

use crate::ffi;

/// Formats an `nng_url` owned by nng (`nng_url_sprintf`).
///
/// # Safety
/// `url` must be a valid `nng_url` for the duration of the call.
pub(crate) unsafe fn url_to_string(url: *const ffi::nng_url) -> String {
    // SAFETY: with a NULL buffer and size 0, nng_url_sprintf only measures.
    let len = unsafe { ffi::nng_url_sprintf(std::ptr::null_mut(), 0, url) };
    let Ok(len) = usize::try_from(len) else {
        return String::new();
    };
    let mut buf = vec![0u8; len + 1];
    // SAFETY: buf has len + 1 bytes, room for the text and its NUL.
    unsafe { ffi::nng_url_sprintf(buf.as_mut_ptr().cast(), buf.len(), url) };
    buf.truncate(len);
    String::from_utf8_lossy(&buf).into_owned()
}
