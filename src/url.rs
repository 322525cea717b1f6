//! URLs: [`Url`], a parsed and canonicalised URL (`nng_url`).
//!
//! nng parses the URLs of every transport (`tcp://`, `tls+tcp://`, `ws://`,
//! `wss://`, `ipc://`, `inproc://`, ...) with one parser, which also
//! canonicalises them: the host is lower-cased, `.`/`..` segments resolved,
//! duplicate slashes removed, well-known ports filled in. The scheme must be
//! one nng knows, written in lower case.
//!
//! ```
//! use nng::Url;
//! let url: Url = "wss://Example.COM/a//b/../c?x=1#top".parse()?;
//! assert_eq!(url.scheme(), "wss");
//! assert_eq!(url.host(), Some("example.com"));
//! assert_eq!(url.port(), 443); // the scheme's default
//! assert_eq!(url.path(), "/a/c");
//! assert_eq!(url.query(), Some("x=1"));
//! assert_eq!(url.fragment(), Some("top"));
//! assert_eq!(url.to_string(), "wss://example.com/a/c?x=1#top");
//!
//! assert_eq!(Url::parse("no scheme here").unwrap_err(), nng::Error::InvalidInput);
//! assert_eq!(Url::parse("tcp://host:99999").unwrap_err(), nng::Error::InvalidInput);
//! assert_eq!(Url::parse("foo://host").unwrap_err(), nng::Error::NotSupported);
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! The accessors borrow from the `Url`, so their results cannot outlive it:
//!
//! ```compile_fail
//! let host = {
//!     let url = nng::Url::parse("tcp://example.com:80").unwrap();
//!     url.host() // error: `url` does not live long enough
//! };
//! println!("{host:?}");
//! ```

use crate::error::{cvt, Error, Result};
use crate::ffi;
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::ptr::NonNull;
use std::str::FromStr;

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

/// The canonical text nng gives an endpoint created from `source`: the same
/// parse (`nng_url_parse`, as `nng_dialer_create`/`nng_listener_create` do),
/// with `port` filled in where the URL's port is 0 (as a listener's bind
/// does), formatted with `nng_url_sprintf`. Made from our own parse, so no
/// string lent by nng is read.
pub(crate) fn endpoint_url(source: &CStr, port: Option<u32>) -> Result<String> {
    let mut raw = std::ptr::null_mut();
    // SAFETY: `raw` is a valid out-pointer; `source` is NUL-terminated.
    cvt(unsafe { ffi::nng_url_parse(&mut raw, source.as_ptr()) })?;
    if let Some(port) = port {
        // SAFETY: `raw` is the URL nng just allocated for us.
        unsafe { ffi::nng_url_resolve_port(raw, port) };
    }
    // SAFETY: `raw` is valid until freed below.
    let text = unsafe { url_to_string(raw) };
    // SAFETY: nng allocated `raw` for us; nothing else refers to it.
    unsafe { ffi::nng_url_free(raw) };
    Ok(text)
}

/// A parsed URL (`nng_url`). See the [module documentation](self).
///
/// A string nng cannot parse (no scheme, a bad port, invalid UTF-8 after
/// percent-decoding, a NUL byte, a bracket inside the host) is
/// [`Error::InvalidInput`]; a scheme nng does
/// not know (schemes are case-sensitive) is [`Error::NotSupported`]; never a
/// panic. nng matches schemes by prefix (`"tc://h"` would parse as `tcp`);
/// this wrapper insists on the exact scheme and reports
/// [`Error::NotSupported`] instead. nng is lenient elsewhere: `"tcp://"` parses
/// (empty host, port 0). `Display` gives the canonical form (`nng_url_sprintf`,
/// which leaves out the userinfo), and the canonical form parses back to the
/// same URL; two `Url`s are equal when their canonical forms are.
#[doc(alias = "nng_url")]
pub struct Url {
    raw: NonNull<ffi::nng_url>,
    /// The text it was parsed from: clones parse it again (see `try_clone`).
    source: Box<str>,
}

// SAFETY: a Url exclusively owns its nng_url (freed only in Drop); nng's
// accessors only read it and `resolve_port` needs `&mut self`, so moving it to
// another thread or reading it from several at once is sound. Pinned by
// `url_is_send_and_sync` in tests/url.rs.
unsafe impl Send for Url {}
// SAFETY: see Send: shared access only reads.
unsafe impl Sync for Url {}

impl Url {
    /// Parses and canonicalises `s` (`nng_url_parse`).
    #[doc(alias = "nng_url_parse")]
    pub fn parse(s: &str) -> Result<Url> {
        crate::init::ensure()?;
        let c = CString::new(s).map_err(|_| Error::InvalidInput)?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; `c` is NUL-terminated.
        cvt(unsafe { ffi::nng_url_parse(&mut raw, c.as_ptr()) })?;
        let url = Url {
            raw: NonNull::new(raw).ok_or(Error::Internal)?,
            source: s.into(),
        };
        // Every field must be UTF-8 for the accessors to return &str. nng
        // validates the path; the input was UTF-8, and nng's other changes
        // (lower-casing, decoding unreserved ASCII) keep it so, but check.
        let parts = [
            url.field(ffi::nng_url_scheme),
            url.field(ffi::nng_url_userinfo),
            url.field(ffi::nng_url_hostname),
            url.field(ffi::nng_url_path),
            url.field(ffi::nng_url_query),
            url.field(ffi::nng_url_fragment),
        ];
        if parts.iter().flatten().any(|p| p.to_str().is_err()) {
            return Err(Error::InvalidInput);
        }
        // nng takes whatever stands between '[' and ']' as the host, even "[",
        // which its canonical form cannot express ("tcp://[[]:1" would print
        // as "tcp://[:1", which does not parse). No host name or address
        // contains a bracket. (Found by fuzz/url.)
        if url.host().is_some_and(|h| h.contains(['[', ']'])) {
            return Err(Error::InvalidInput);
        }
        // nng compares only the given scheme's length of its known schemes, so
        // a truncated one ("tc", or "") would match: insist on an exact match.
        match s.split_once(':') {
            Some(("", _)) | None => return Err(Error::InvalidInput),
            Some((given, _)) if given != url.scheme() => return Err(Error::NotSupported),
            Some(_) => {}
        }
        Ok(url)
    }

    fn field(
        &self,
        f: unsafe extern "C" fn(*const ffi::nng_url) -> *const c_char,
    ) -> Option<&CStr> {
        // SAFETY: the URL is live while `self` is borrowed.
        let p = unsafe { f(self.raw.as_ptr()) };
        // SAFETY: nng returns NULL or a NUL-terminated string owned by the URL,
        // valid until it is freed or changed, which needs `self` by value or
        // `&mut self`: the borrow covers it.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    fn str_field(
        &self,
        f: unsafe extern "C" fn(*const ffi::nng_url) -> *const c_char,
    ) -> Option<&str> {
        // UTF-8 was checked in `parse`.
        self.field(f).map(|c| c.to_str().unwrap_or_default())
    }

    /// The scheme, lower case, without `://`: `"tcp"`, `"tls+tcp"`,
    /// `"inproc"`... (`nng_url_scheme`).
    #[doc(alias = "nng_url_scheme")]
    pub fn scheme(&self) -> &str {
        self.str_field(ffi::nng_url_scheme).unwrap_or_default()
    }

    /// The user information before an `@`, if any (`nng_url_userinfo`).
    #[doc(alias = "nng_url_userinfo")]
    pub fn userinfo(&self) -> Option<&str> {
        self.str_field(ffi::nng_url_userinfo)
    }

    /// The host name or address, for schemes that have one; `None` for
    /// `inproc://` or `ipc://` (`nng_url_hostname`). An IPv6 address comes
    /// without its brackets.
    #[doc(alias = "nng_url_hostname")]
    pub fn host(&self) -> Option<&str> {
        self.str_field(ffi::nng_url_hostname)
    }

    /// The TCP or UDP port: the one given, the scheme's default (80 for
    /// `ws`, 443 for `wss`...), or 0 for schemes without ports
    /// (`nng_url_port`).
    #[doc(alias = "nng_url_port")]
    pub fn port(&self) -> u32 {
        // SAFETY: the URL is live.
        unsafe { ffi::nng_url_port(self.raw.as_ptr()) }
    }

    /// The path, possibly empty (`nng_url_path`). For `ipc://` and `inproc://`
    /// it is the address itself.
    #[doc(alias = "nng_url_path")]
    pub fn path(&self) -> &str {
        self.str_field(ffi::nng_url_path).unwrap_or_default()
    }

    /// The query after `?`, without it, if any (`nng_url_query`).
    #[doc(alias = "nng_url_query")]
    pub fn query(&self) -> Option<&str> {
        self.str_field(ffi::nng_url_query)
    }

    /// The fragment after `#`, without it, if any (`nng_url_fragment`).
    #[doc(alias = "nng_url_fragment")]
    pub fn fragment(&self) -> Option<&str> {
        self.str_field(ffi::nng_url_fragment)
    }

    /// Replaces a zero port with `port`, e.g. the one a listener bound to
    /// (`nng_url_resolve_port`). A URL with a non-zero port is unchanged.
    ///
    /// ```
    /// let mut url = nng::Url::parse("tcp://127.0.0.1:0")?;
    /// url.resolve_port(5555);
    /// assert_eq!(url.to_string(), "tcp://127.0.0.1:5555");
    /// url.resolve_port(6666);
    /// assert_eq!(url.port(), 5555);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_url_resolve_port")]
    pub fn resolve_port(&mut self, port: u32) {
        // SAFETY: the URL is live and exclusively borrowed.
        unsafe { ffi::nng_url_resolve_port(self.raw.as_ptr(), port) }
    }

    /// A copy; [`Error::OutOfMemory`] if nng cannot allocate one. [`Clone`]
    /// does the same and panics in that case.
    ///
    /// Not `nng_url_clone`: in nng 2.0.0 it fails for every URL longer than
    /// its inline buffer (128 bytes), returning a wrong error code. The copy is
    /// parsed again from the same text, with the same resolved port.
    ///
    /// ```
    /// let long = format!("tcp://{}.example:80", "a".repeat(200));
    /// let url = nng::Url::parse(&long)?;
    /// assert_eq!(url.try_clone()?, url);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_url_clone")]
    pub fn try_clone(&self) -> Result<Url> {
        let mut copy = Url::parse(&self.source)?;
        copy.resolve_port(self.port());
        Ok(copy)
    }
}

impl Clone for Url {
    /// A copy (see [`Url::try_clone`]). Panics only if memory is exhausted,
    /// like other allocating `Clone`s; [`Url::try_clone`] reports it instead.
    fn clone(&self) -> Url {
        match self.try_clone() {
            Ok(u) => u,
            Err(e) => panic!("cloning a Url failed: {e}"),
        }
    }
}

impl Drop for Url {
    fn drop(&mut self) {
        // SAFETY: we own the URL; it is freed exactly once, here.
        unsafe { ffi::nng_url_free(self.raw.as_ptr()) }
    }
}

impl fmt::Display for Url {
    /// The canonical form (`nng_url_sprintf`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: the URL is live for the call.
        f.write_str(&unsafe { url_to_string(self.raw.as_ptr()) })
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Url").field(&self.to_string()).finish()
    }
}

impl PartialEq for Url {
    fn eq(&self, other: &Url) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Url {}

impl std::hash::Hash for Url {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.to_string().hash(state)
    }
}

impl FromStr for Url {
    type Err = Error;
    fn from_str(s: &str) -> Result<Url> {
        Url::parse(s)
    }
}

impl TryFrom<&str> for Url {
    type Error = Error;
    fn try_from(s: &str) -> Result<Url> {
        Url::parse(s)
    }
}
