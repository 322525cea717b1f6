//! Typed options for sockets, dialers, listeners, contexts and pipes.
//!
//! Each option is a zero-sized type naming one nng option (`RecvTimeout` is
//! `NNG_OPT_RECVTIMEO`, "recv-timeout") and its value type. Which handles can
//! read or write it is part of the type: [`Get<H>`] and [`Set<H>`] are only
//! implemented where nng supports it, so a wrong pairing does not compile:
//!
//! ```compile_fail,E0277
//! use nng::options::BoundPort;
//! let s = nng::Socket::new(nng::Protocol::Rep0).unwrap();
//! s.set_opt::<BoundPort>(80).unwrap(); // the bound port is read-only, listeners only
//! ```
//!
//! A value of the wrong type does not compile either (durations are never raw
//! milliseconds):
//!
//! ```compile_fail,E0308
//! use nng::options::RecvTimeout;
//! let s = nng::Socket::new(nng::Protocol::Rep0).unwrap();
//! s.set_opt::<RecvTimeout>(250).unwrap(); // expected Option<Duration>
//! ```
//!
//! nor does reading a transport option from a socket (nng 2.0 keeps those on
//! dialers and listeners), or setting anything on a pipe:
//!
//! ```compile_fail,E0277
//! use nng::options::TcpNoDelay;
//! let s = nng::Socket::new(nng::Protocol::Rep0).unwrap();
//! let _ = s.get_opt::<TcpNoDelay>();
//! ```
//!
//! Values the type system cannot judge (a transport that lacks the option,
//! an out-of-range number) come back as typed errors from nng.
//!
//! Durations are `Option<Duration>`: `None` is infinite (`NNG_DURATION_INFINITE`),
//! never a magic number of milliseconds.
//!
//! ```
//! use nng::options::{RecvTimeout, RecvMaxSize};
//! use std::time::Duration;
//! let s = nng::Socket::new(nng::Protocol::Rep0)?;
//! s.set_opt::<RecvTimeout>(Some(Duration::from_millis(250)))?;
//! assert_eq!(s.get_opt::<RecvTimeout>()?, Some(Duration::from_millis(250)));
//! assert_eq!(s.get_opt::<RecvMaxSize>()?, 1 << 30); // nng 2.0's default: 1 GiB
//! # Ok::<(), nng::Error>(())
//! ```

// The module's parts: `table.rs` says which options exist, on which handles
// they are read or written and of what Rust type; `convert.rs` turns each
// value type into what nng's typed calls take and back (durations, strings,
// handed-over descriptors, option names); `raw.rs` holds the unsafe
// `nng_<handle>_get_<type>`/`nng_<handle>_set_<type>` calls. Here: the traits
// tying them together and the typed accessors.

use crate::error::Result;
use crate::ffi;
use crate::{Context, Dialer, Listener, Pipe, Socket};
use std::ffi::CStr;

mod convert;
mod raw;
mod table;

use convert::cstr;
pub use convert::HandedOverFd;
pub(crate) use convert::{duration_to_ms, ws_header_option};
pub(crate) use raw::RawOptions;
pub use table::*;

/// An nng option: its name and the Rust type of its value.
///
/// ```
/// use nng::options::{Opt, RecvTimeout};
/// assert_eq!(RecvTimeout::NAME.to_str(), Ok("recv-timeout"));
/// let _typed: <RecvTimeout as Opt>::Value = Some(std::time::Duration::from_secs(1));
/// ```
pub trait Opt {
    /// The C name, e.g. `"recv-timeout"`.
    const NAME: &'static CStr;
    /// The value's Rust type.
    type Value: OptValue;
}

/// Marks an option as readable from handle type `H`.
///
/// ```
/// use nng::options::{BoundPort, Get};
/// fn readable_from_listeners<O: Get<nng::Listener>>() {}
/// readable_from_listeners::<BoundPort>();
/// ```
pub trait Get<H>: Opt {}
/// Marks an option as writable on handle type `H`.
///
/// ```
/// use nng::options::{RecvMaxSize, Set};
/// fn writable_on_dialers<O: Set<nng::Dialer>>() {}
/// writable_on_dialers::<RecvMaxSize>();
/// ```
pub trait Set<H>: Opt {}

/// A type an option value can have: `bool`, `i32` (C `int`), `usize`
/// (`size_t`), `u64`, `Option<Duration>` (`nng_duration`), `String`.
/// Sealed: the set follows nng's typed option functions.
///
/// ```
/// fn value<V: nng::options::OptValue>() {}
/// value::<Option<std::time::Duration>>();
/// value::<String>();
/// ```
pub trait OptValue: Sized + convert::Sealed {
    #[doc(hidden)]
    fn get_from<H: RawOptions + ?Sized>(h: &H, name: &CStr) -> Result<Self>;
    #[doc(hidden)]
    fn set_on<H: RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()>;
}

/// Adds `get_opt`/`set_opt` to a handle type.
macro_rules! accessors {
    ($($handle:ty),*) => {$(
        impl $handle {
            /// Reads an option (`nng_*_get_*`), typed by the option; see
            /// [the options module](crate::options) for examples.
            pub fn get_opt<O: Get<$handle>>(&self) -> Result<O::Value> {
                O::Value::get_from(self, O::NAME)
            }
            /// Writes an option (`nng_*_set_*`), typed by the option; see
            /// [the options module](crate::options) for examples.
            pub fn set_opt<O: Set<$handle>>(&self, value: O::Value) -> Result<()> {
                value.set_on(self, O::NAME)
            }
        }
    )*};
}
accessors!(Socket, Dialer, Listener, Context);

impl Pipe {
    /// Reads an option of the pipe (`nng_pipe_get_*`), typed by the option.
    /// Options of the pipe's dialer or listener are readable here too.
    #[doc(alias = "nng_pipe_get_bool", alias = "nng_pipe_get_int")]
    #[doc(alias = "nng_pipe_get_size", alias = "nng_pipe_get_ms")]
    #[doc(alias = "nng_pipe_get_strdup")]
    pub fn get_opt<O: Get<Pipe>>(&self) -> Result<O::Value> {
        O::Value::get_from(self, O::NAME)
    }

    /// ws, wss: the value of HTTP header `name` the peer sent in its
    /// WebSocket handshake (`NNG_OPT_WS_HEADER` + `name`);
    /// [`Error::EntryNotFound`](crate::Error::EntryNotFound) if it sent none,
    /// [`Error::NotSupported`](crate::Error::NotSupported) on other
    /// transports. See [`Dialer::set_ws_header`] for an example.
    #[doc(alias = "NNG_OPT_WS_HEADER")]
    pub fn ws_header(&self, name: &str) -> Result<String> {
        self.get_string(&ws_header_option(name)?)
    }

    /// ws, wss: every HTTP header of the peer's WebSocket handshake, in order
    /// (`NNG_OPT_WS_HEADER_RESET`, `_NEXT`, `_KEY`, `_VALUE`). Do not call it
    /// on one pipe from two threads at once: nng keeps one iteration cursor
    /// per connection.
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let l = rep.listener("ws://127.0.0.1:0/all-headers")?;
    /// l.start()?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// let d = req.dialer(&l.url()?)?;
    /// d.set_ws_header("X-Trace", "42")?;
    /// d.start()?;
    /// req.send(b"hi")?;
    /// let pipe = rep.recv()?.pipe().unwrap();
    /// let headers = pipe.ws_headers()?;
    /// assert!(headers.iter().any(|(k, v)| k == "X-Trace" && v == "42"));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "NNG_OPT_WS_HEADER_NEXT")]
    pub fn ws_headers(&self) -> Result<Vec<(String, String)>> {
        self.get_bool(cstr(ffi::NNG_OPT_WS_HEADER_RESET))?;
        let mut out = Vec::new();
        while self.get_bool(cstr(ffi::NNG_OPT_WS_HEADER_NEXT))? {
            out.push((
                self.get_string(cstr(ffi::NNG_OPT_WS_HEADER_KEY))?,
                self.get_string(cstr(ffi::NNG_OPT_WS_HEADER_VALUE))?,
            ));
        }
        Ok(out)
    }
}
