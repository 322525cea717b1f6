//! Option values: the Rust types an option can have and how each becomes
//! what nng's typed option calls take and give back (durations, strings,
//! handed-over descriptors, option names).

use super::{OptValue, RawOptions};
use crate::error::{Error, Result};
use crate::ffi;
use std::ffi::{CStr, CString};
use std::time::Duration;

/// Closes [`OptValue`] to the types below.
pub trait Sealed {}
impl Sealed for bool {}
impl Sealed for i32 {}
impl Sealed for usize {}
impl Sealed for u64 {}
impl Sealed for Option<Duration> {}
impl Sealed for String {}
#[cfg(unix)]
impl Sealed for std::os::fd::OwnedFd {}

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

/// The value of [`ListenFd`](super::ListenFd) and [`SocketFd`](super::SocketFd): on Unix an owned descriptor,
/// which nng takes over.
#[cfg(unix)]
pub type HandedOverFd = std::os::fd::OwnedFd;
/// The value of [`ListenFd`](super::ListenFd) and [`SocketFd`](super::SocketFd): elsewhere the raw number nng takes.
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
fn ms_to_duration(ms: i32) -> Option<Duration> {
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

/// An option-name constant of nng-sys (NUL-terminated bytes) as a `CStr`.
pub(super) const fn cstr(bytes: &'static [u8]) -> &'static CStr {
    match CStr::from_bytes_with_nul(bytes) {
        Ok(c) => c,
        Err(_) => panic!("option names are NUL-terminated"),
    }
}
