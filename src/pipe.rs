//! Pipes: [`Pipe`], one connection between a socket and a peer (`nng_pipe`).

use crate::ffi;

/// A connection to one peer (`nng_pipe`). A pipe is a plain id: it is `Copy`,
/// and using it after the connection closed gives [`crate::Error::Closed`] or
/// [`crate::Error::EntryNotFound`], never undefined behaviour.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pipe {
    raw: ffi::nng_pipe,
}

impl Pipe {
    /// Wraps a raw pipe; `None` for the unset pipe (id <= 0).
    pub(crate) fn from_raw(raw: ffi::nng_pipe) -> Option<Pipe> {
        // SAFETY: nng_pipe_id only reads the id.
        (unsafe { ffi::nng_pipe_id(raw) } > 0).then_some(Pipe { raw })
    }

    pub(crate) fn raw(&self) -> ffi::nng_pipe {
        self.raw
    }

    /// The pipe's positive id (`nng_pipe_id`).
    #[doc(alias = "nng_pipe_id")]
    pub fn id(&self) -> u32 {
        self.raw.id
    }
}

impl std::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pipe").field(&self.raw.id).finish()
    }
}

/// Closures registered on a socket with `nng_pipe_notify`, owned by the socket
/// and dropped only after it is closed.
#[derive(Default)]
pub(crate) struct NotifyState {}
