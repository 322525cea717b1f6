//! Contexts: [`Context`], independent protocol state on one socket (`nng_ctx`).

use crate::ffi;

/// A context: its own request/reply or survey state on a shared socket
/// (`nng_ctx`). Closes on drop.
pub struct Context {
    raw: ffi::nng_ctx,
}

impl Context {
    pub(crate) fn raw(&self) -> ffi::nng_ctx {
        self.raw
    }
}
