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

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Context, Dialer, Listener, Pipe, Socket};
use std::ffi::{c_char, CStr, CString};
use std::time::Duration;

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
pub trait OptValue: Sized + private::Sealed {
    #[doc(hidden)]
    fn get_from<H: private::RawOptions + ?Sized>(h: &H, name: &CStr) -> Result<Self>;
    #[doc(hidden)]
    fn set_on<H: private::RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()>;
}

pub(crate) mod private {
    use super::*;

    pub trait Sealed {}
    impl Sealed for bool {}
    impl Sealed for i32 {}
    impl Sealed for usize {}
    impl Sealed for u64 {}
    impl Sealed for Option<Duration> {}
    impl Sealed for String {}
    #[cfg(unix)]
    impl Sealed for std::os::fd::OwnedFd {}

    /// The typed getters and setters of one handle kind's C API. A kind that
    /// lacks one in C keeps the default, [`Error::NotSupported`].
    pub trait RawOptions {
        fn get_bool(&self, _: &CStr) -> Result<bool> {
            Err(Error::NotSupported)
        }
        fn get_int(&self, _: &CStr) -> Result<i32> {
            Err(Error::NotSupported)
        }
        fn get_size(&self, _: &CStr) -> Result<usize> {
            Err(Error::NotSupported)
        }
        fn get_uint64(&self, _: &CStr) -> Result<u64> {
            Err(Error::NotSupported)
        }
        fn get_ms(&self, _: &CStr) -> Result<i32> {
            Err(Error::NotSupported)
        }
        fn get_string(&self, _: &CStr) -> Result<String> {
            Err(Error::NotSupported)
        }
        fn set_bool(&self, _: &CStr, _: bool) -> Result<()> {
            Err(Error::NotSupported)
        }
        fn set_int(&self, _: &CStr, _: i32) -> Result<()> {
            Err(Error::NotSupported)
        }
        fn set_size(&self, _: &CStr, _: usize) -> Result<()> {
            Err(Error::NotSupported)
        }
        fn set_uint64(&self, _: &CStr, _: u64) -> Result<()> {
            Err(Error::NotSupported)
        }
        fn set_ms(&self, _: &CStr, _: i32) -> Result<()> {
            Err(Error::NotSupported)
        }
        fn set_string(&self, _: &CStr, _: &CStr) -> Result<()> {
            Err(Error::NotSupported)
        }
    }
}

use private::RawOptions;

macro_rules! value {
    ($ty:ty, $get:ident, $set:ident) => {
        impl OptValue for $ty {
            fn get_from<H: RawOptions + ?Sized>(h: &H, name: &CStr) -> Result<Self> {
                h.$get(name)
            }
            fn set_on<H: RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()> {
                h.$set(name, self)
            }
        }
    };
}
value!(bool, get_bool, set_bool);
value!(i32, get_int, set_int);
value!(usize, get_size, set_size);
value!(u64, get_uint64, set_uint64);

impl OptValue for Option<Duration> {
    fn get_from<H: RawOptions + ?Sized>(h: &H, name: &CStr) -> Result<Self> {
        Ok(ms_to_duration(h.get_ms(name)?))
    }
    fn set_on<H: RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()> {
        h.set_ms(name, duration_to_ms(self))
    }
}

impl OptValue for String {
    fn get_from<H: RawOptions + ?Sized>(h: &H, name: &CStr) -> Result<Self> {
        h.get_string(name)
    }
    fn set_on<H: RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()> {
        let c = CString::new(self).map_err(|_| Error::InvalidInput)?;
        h.set_string(name, &c)
    }
}

/// The value of [`ListenFd`] and [`SocketFd`]: on Unix an owned descriptor,
/// which nng takes over.
#[cfg(unix)]
pub type HandedOverFd = std::os::fd::OwnedFd;
/// The value of [`ListenFd`] and [`SocketFd`]: elsewhere the raw number nng takes.
#[cfg(not(unix))]
pub type HandedOverFd = i32;

/// A descriptor handed over to nng, which owns it from then on and closes it
/// (`ListenFd`, `SocketFd`). Taking an [`OwnedFd`](std::os::fd::OwnedFd)
/// rather than a number keeps the safe API from giving nng a descriptor
/// something else still owns. If nng refuses it, it is closed.
#[cfg(unix)]
impl OptValue for std::os::fd::OwnedFd {
    fn get_from<H: RawOptions + ?Sized>(_: &H, _: &CStr) -> Result<Self> {
        Err(Error::NotSupported) // no handle reads a descriptor option back
    }
    fn set_on<H: RawOptions + ?Sized>(self, h: &H, name: &CStr) -> Result<()> {
        use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
        let fd = self.into_raw_fd();
        h.set_int(name, fd).inspect_err(|_| {
            // SAFETY: nng refused the descriptor without keeping it (every
            // failure returns before nng stores it), so it is still ours.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        })
    }
}

/// `nng_duration` (ms, negative = infinite) to `Option<Duration>`.
pub(crate) fn ms_to_duration(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// `Option<Duration>` to `nng_duration`, the one place a `Duration` becomes
/// one. nng counts whole milliseconds and takes 0 as "do not wait", so a
/// fraction of a millisecond rounds up (500 µs waits 1 ms, never 0):
/// only `Duration::ZERO` is non-blocking. Saturates at `i32::MAX` ms (~24 days).
pub(crate) fn duration_to_ms(d: Option<Duration>) -> i32 {
    match d {
        None => ffi::NNG_DURATION_INFINITE,
        Some(d) => {
            let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    }
}

/// Copies a C string nng handed out; `free` says whether we must `nng_strfree` it.
///
/// # Safety
/// `p` must be NULL or a valid NUL-terminated string.
pub(crate) unsafe fn take_string(p: *const c_char, free: bool) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    if free {
        // SAFETY: the caller says nng allocated it for us with nng_strdup.
        unsafe { ffi::nng_strfree(p as *mut c_char) };
    }
    s
}

/// Implements [`RawOptions`] for a handle from its C functions, listed as
/// `method = c_function`.
macro_rules! raw_options {
    ($handle:ty { $( $method:ident = $cfn:ident ),* $(,)? }) => {
        impl RawOptions for $handle {
            $( raw_options!(@one $method $cfn); )*
        }
    };
    (@one get_strdup $cfn:ident) => {
        fn get_string(&self, name: &CStr) -> Result<String> {
            // No write on this handle frees the string while nng copies it.
            let _serial = self.string_lock();
            let mut p: *mut c_char = std::ptr::null_mut();
            // SAFETY: the handle is a plain id (nng validates it); `name` is
            // NUL-terminated; `p` is a valid out-pointer. nng copies the value
            // while it holds the endpoint, so a close cannot free it first.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), &mut p) })?;
            // SAFETY: on success `p` is NULL or nng's NUL-terminated copy,
            // ours to free.
            Ok(unsafe { take_string(p, true) })
        }
    };
    (@one set_string $cfn:ident) => {
        fn set_string(&self, name: &CStr, v: &CStr) -> Result<()> {
            // Frees the old value: not while a read on this handle copies it.
            let _serial = self.string_lock();
            // SAFETY: the handle is a plain id; both strings are NUL-terminated
            // and nng copies them.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), v.as_ptr()) })
        }
    };
    (@one get_bool $cfn:ident) => { raw_options!(@get get_bool bool $cfn); };
    (@one get_int $cfn:ident) => { raw_options!(@get get_int i32 $cfn); };
    (@one get_size $cfn:ident) => { raw_options!(@get get_size usize $cfn); };
    (@one get_uint64 $cfn:ident) => { raw_options!(@get get_uint64 u64 $cfn); };
    (@one get_ms $cfn:ident) => { raw_options!(@get get_ms i32 $cfn); };
    (@one set_bool $cfn:ident) => { raw_options!(@set set_bool bool $cfn); };
    (@one set_int $cfn:ident) => { raw_options!(@set set_int i32 $cfn); };
    (@one set_size $cfn:ident) => { raw_options!(@set set_size usize $cfn); };
    (@one set_uint64 $cfn:ident) => { raw_options!(@set set_uint64 u64 $cfn); };
    (@one set_ms $cfn:ident) => { raw_options!(@set set_ms i32 $cfn); };
    (@get $method:ident $ty:ident $cfn:ident) => {
        fn $method(&self, name: &CStr) -> Result<$ty> {
            let mut v: $ty = Default::default();
            // SAFETY: the handle is a plain id (nng validates it); `name` is
            // NUL-terminated; `v` is a valid out-pointer of the C type.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), &mut v) })?;
            Ok(v)
        }
    };
    (@set $method:ident $ty:ident $cfn:ident) => {
        fn $method(&self, name: &CStr, v: $ty) -> Result<()> {
            // SAFETY: the handle is a plain id (nng validates it); `name` is
            // NUL-terminated; the value is passed by value.
            cvt(unsafe { ffi::$cfn(self.raw(), name.as_ptr(), v) })
        }
    };
}

raw_options!(Socket {
    get_bool = nng_socket_get_bool,
    get_int = nng_socket_get_int,
    get_size = nng_socket_get_size,
    get_ms = nng_socket_get_ms,
    set_bool = nng_socket_set_bool,
    set_int = nng_socket_set_int,
    set_size = nng_socket_set_size,
    set_ms = nng_socket_set_ms,
});

raw_options!(Dialer {
    get_bool = nng_dialer_get_bool,
    get_int = nng_dialer_get_int,
    get_size = nng_dialer_get_size,
    get_uint64 = nng_dialer_get_uint64,
    get_ms = nng_dialer_get_ms,
    get_strdup = nng_dialer_get_strdup,
    set_bool = nng_dialer_set_bool,
    set_int = nng_dialer_set_int,
    set_size = nng_dialer_set_size,
    set_uint64 = nng_dialer_set_uint64,
    set_ms = nng_dialer_set_ms,
    set_string = nng_dialer_set_string,
});

raw_options!(Listener {
    get_bool = nng_listener_get_bool,
    get_int = nng_listener_get_int,
    get_size = nng_listener_get_size,
    get_uint64 = nng_listener_get_uint64,
    get_ms = nng_listener_get_ms,
    get_strdup = nng_listener_get_strdup,
    set_bool = nng_listener_set_bool,
    set_int = nng_listener_set_int,
    set_size = nng_listener_set_size,
    set_uint64 = nng_listener_set_uint64,
    set_ms = nng_listener_set_ms,
    set_string = nng_listener_set_string,
});

raw_options!(Context {
    get_bool = nng_ctx_get_bool,
    get_int = nng_ctx_get_int,
    get_size = nng_ctx_get_size,
    get_ms = nng_ctx_get_ms,
    set_bool = nng_ctx_set_bool,
    set_int = nng_ctx_set_int,
    set_size = nng_ctx_set_size,
    set_ms = nng_ctx_set_ms,
});

impl RawOptions for Pipe {
    fn get_bool(&self, name: &CStr) -> Result<bool> {
        let mut v = false;
        // SAFETY: the pipe is a plain id; `name` is NUL-terminated; `v` is a
        // valid out-pointer.
        cvt(unsafe { ffi::nng_pipe_get_bool(self.raw(), name.as_ptr(), &mut v) })?;
        Ok(v)
    }
    fn get_int(&self, name: &CStr) -> Result<i32> {
        let mut v = 0;
        // SAFETY: as in get_bool.
        cvt(unsafe { ffi::nng_pipe_get_int(self.raw(), name.as_ptr(), &mut v) })?;
        Ok(v)
    }
    fn get_size(&self, name: &CStr) -> Result<usize> {
        let mut v = 0;
        // SAFETY: as in get_bool.
        cvt(unsafe { ffi::nng_pipe_get_size(self.raw(), name.as_ptr(), &mut v) })?;
        Ok(v)
    }
    fn get_ms(&self, name: &CStr) -> Result<i32> {
        let mut v = 0;
        // SAFETY: as in get_bool.
        cvt(unsafe { ffi::nng_pipe_get_ms(self.raw(), name.as_ptr(), &mut v) })?;
        Ok(v)
    }
    fn get_string(&self, name: &CStr) -> Result<String> {
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: as in get_bool; nng_pipe_get_strdup hands us a copy that
        // stays valid after the pipe closes, which we free below.
        cvt(unsafe { ffi::nng_pipe_get_strdup(self.raw(), name.as_ptr(), &mut p) })?;
        // SAFETY: p is an nng_strdup'd string we now own.
        Ok(unsafe { take_string(p, true) })
    }
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
    /// [`Error::EntryNotFound`] if it sent none, [`Error::NotSupported`] on
    /// other transports. See [`Dialer::set_ws_header`] for an example.
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

/// The dynamic option name `ws:header:<name>` for a WebSocket HTTP header;
/// [`Error::InvalidInput`] for an empty name or one with a NUL byte.
pub(crate) fn ws_header_option(name: &str) -> Result<CString> {
    if name.is_empty() {
        return Err(Error::InvalidInput);
    }
    let mut full = cstr(ffi::NNG_OPT_WS_HEADER).to_bytes().to_vec();
    full.extend_from_slice(name.as_bytes());
    CString::new(full).map_err(|_| Error::InvalidInput)
}

const fn cstr(bytes: &'static [u8]) -> &'static CStr {
    match CStr::from_bytes_with_nul(bytes) {
        Ok(c) => c,
        Err(_) => panic!("option names are NUL-terminated"),
    }
}

/// The option table: name, C constant, value type, and who may read or write.
macro_rules! options {
    ($( $(#[$doc:meta])* $name:ident = $c:ident : $ty:ty;
        get: [$($g:ident),*]; set: [$($s:ident),*]; )*) => {$(
        $(#[$doc])*
        #[doc = ""]
        #[doc = concat!("C name: `", stringify!($c), "`. Value: `", stringify!($ty), "`.")]
        #[doc = concat!("Readable from: ", $("[`", stringify!($g), "`] ",)* ".")]
        #[doc = concat!("Writable on: ", $("[`", stringify!($s), "`] ",)* ".")]
        #[doc = ""]
        #[doc = concat!("```\nuse nng::options::{Opt, ", stringify!($name), "};\nlet name = ", stringify!($name), "::NAME.to_bytes_with_nul();\nassert_eq!(name, nng::ffi::", stringify!($c), ");\n```")]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;
        impl Opt for $name {
            const NAME: &'static CStr = cstr(ffi::$c);
            type Value = $ty;
        }
        $( impl Get<$g> for $name {} )*
        $( impl Set<$s> for $name {} )*
    )*};
}

options! {
    /// Messages (0-8192) buffered for receiving. A sub0 context has its own.
    RecvBufferSize = NNG_OPT_RECVBUF: i32; get: [Socket, Context]; set: [Socket, Context];
    /// Messages (0-8192) buffered for sending.
    SendBufferSize = NNG_OPT_SENDBUF: i32; get: [Socket]; set: [Socket];
    /// Default timeout of receive operations; `None` waits forever.
    RecvTimeout = NNG_OPT_RECVTIMEO: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// Default timeout of send operations; `None` waits forever.
    SendTimeout = NNG_OPT_SENDTIMEO: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// Maximum hops (1-255) through devices, against forwarding loops.
    MaxTtl = NNG_OPT_MAXTTL: i32; get: [Socket]; set: [Socket];
    /// Largest message accepted from a peer, in bytes (0 = unlimited; nng 2.0
    /// defaults to 1 GiB). On a socket it seeds dialers and listeners created
    /// afterwards; set it on an endpoint to change that endpoint.
    RecvMaxSize = NNG_OPT_RECVMAXSZ: usize; get: [Socket, Dialer, Listener, Pipe]; set: [Socket, Dialer, Listener];
    /// Shortest wait before a dialer reconnects. On a socket it seeds new dialers.
    ReconnectMinTime = NNG_OPT_RECONNMINT: Option<Duration>; get: [Socket, Dialer]; set: [Socket, Dialer];
    /// Longest wait between reconnect attempts (exponential back-off cap).
    /// On a socket it seeds new dialers.
    ReconnectMaxTime = NNG_OPT_RECONNMAXT: Option<Duration>; get: [Socket, Dialer]; set: [Socket, Dialer];
    /// Disables Nagle's algorithm (tcp, tls, ws, wss); `true` by default.
    TcpNoDelay = NNG_OPT_TCP_NODELAY: bool; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// TCP keep-alive probes (tcp, tls, ws, wss); `false` by default.
    TcpKeepAlive = NNG_OPT_TCP_KEEPALIVE: bool; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// The locally bound port of a started tcp, ws, tls, wss or udp listener,
    /// e.g. after listening on port 0 (see also [`Listener::port`]).
    BoundPort = NNG_OPT_BOUND_PORT: i32; get: [Listener]; set: [];
    /// UNIX file mode of an ipc listener's socket file (set before starting).
    IpcPermissions = NNG_OPT_IPC_PERMISSIONS: i32; get: []; set: [Listener];
    /// UNIX user id for an ipc listener's socket file (set before starting).
    IpcOwner = NNG_OPT_IPC_OWNER: i32; get: []; set: [Listener];
    /// UNIX group id for an ipc listener's socket file (set before starting).
    IpcGroup = NNG_OPT_IPC_GROUP: i32; get: []; set: [Listener];
    /// User id of the peer process (ipc, and tcp on the same host where supported).
    PeerUid = NNG_OPT_PEER_UID: i32; get: [Pipe]; set: [];
    /// Group id of the peer process.
    PeerGid = NNG_OPT_PEER_GID: i32; get: [Pipe]; set: [];
    /// Process id of the peer process.
    PeerPid = NNG_OPT_PEER_PID: i32; get: [Pipe]; set: [];
    /// Zone id of the peer process (illumos/Solaris).
    PeerZoneId = NNG_OPT_PEER_ZONEID: i32; get: [Pipe]; set: [];
    /// An already-listening socket for a tcp or ipc listener (socket
    /// activation), set before starting it. nng takes it over.
    ListenFd = NNG_OPT_LISTEN_FD: HandedOverFd; get: []; set: [Listener];
    /// A connected stream socket handed to a `socket://` listener, which
    /// takes it over.
    SocketFd = NNG_OPT_SOCKET_FD: HandedOverFd; get: []; set: [Listener];
    /// WebSocket subprotocol (`Sec-WebSocket-Protocol`); SP sockets set it themselves.
    WsProtocol = NNG_OPT_WS_PROTOCOL: String; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// The request URI the WebSocket client sent.
    WsRequestUri = NNG_OPT_WS_REQUEST_URI: String; get: [Pipe]; set: [];
    /// Listener-only: also accept requests for child paths of its URL.
    WsTree = NNG_OPT_WS_TREE: bool; get: [Listener]; set: [Listener];
    /// Largest WebSocket frame sent before fragmenting (default 64 KiB).
    WsSendMaxFrame = NNG_OPT_WS_SENDMAXFRAME: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Largest WebSocket frame accepted; bigger frames close the connection.
    WsRecvMaxFrame = NNG_OPT_WS_RECVMAXFRAME: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Raw streams only: send text frames instead of binary.
    WsSendText = NNG_OPT_WS_SEND_TEXT: bool; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Raw streams only: accept text frames as well as binary.
    WsRecvText = NNG_OPT_WS_RECV_TEXT: bool; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Whether the TLS peer was verified (tls+tcp, wss).
    TlsVerified = NNG_OPT_TLS_VERIFIED: bool; get: [Pipe]; set: [];
    /// Common name of the TLS peer's certificate (tls+tcp, wss).
    TlsPeerCn = NNG_OPT_TLS_PEER_CN: String; get: [Pipe]; set: [];
    /// UDP: size above which received messages are loaned rather than copied.
    UdpCopyMax = NNG_OPT_UDP_COPY_MAX: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: interval between connection requests while dialing (positive).
    UdpConnRetry = NNG_OPT_UDP_CONN_RETRY: Option<Duration>; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: time allowed to establish a connection (positive).
    UdpConnExpire = NNG_OPT_UDP_CONN_EXPIRE: Option<Duration>; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: most peers a listener admits (0 = no limit).
    UdpMaxPeers = NNG_OPT_UDP_MAX_PEERS: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// req0: resend a request not answered within this time; `None` never resends.
    ReqResendTime = NNG_OPT_REQ_RESENDTIME: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// req0: granularity of the resend clock (default 1 s).
    ReqResendTick = NNG_OPT_REQ_RESENDTICK: Option<Duration>; get: [Socket]; set: [Socket];
    /// surveyor0: how long a survey collects responses.
    SurveyTime = NNG_OPT_SURVEYOR_SURVEYTIME: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// pair1: whether the socket is polyamorous (read-only; open one with
    /// [`Protocol::Pair1Poly`](crate::Protocol::Pair1Poly)).
    Pair1Polyamorous = NNG_OPT_PAIR1_POLY: bool; get: [Socket]; set: [];
    /// sub0: when the receive queue is full, drop the oldest (`true`, default)
    /// or the newest message.
    SubPreferNew = NNG_OPT_SUB_PREFNEW: bool; get: [Socket, Context]; set: [Socket, Context];
}
