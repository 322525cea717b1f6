//! TLS: [`TlsConfig`] for the `tls+tcp://` and `wss://` transports, and
//! [`TlsCert`], a certificate as read back from a connection.
//!
//! A [`TlsConfig`] (`nng_tls_config`) holds the policy and key material for TLS
//! sessions: its mode (client or server), its own certificate chain and private
//! key, the certificate authorities it trusts (with an optional revocation list),
//! the server name a client expects, how the peer is authenticated
//! ([`AuthMode`]), the protocol versions allowed and pre-shared keys. Give it to
//! dialers with [`Dialer::set_tls`] and to listeners with [`Listener::set_tls`]
//! **before** starting them. One configuration can be shared by many endpoints;
//! once it has been used for a connection it is read-only and further changes
//! fail with [`Error::Busy`].
//!
//! # Engines
//!
//! By default this crate builds nng with **mbedTLS 3.6 LTS**, compiled from
//! source beside nng: connections negotiate **TLS 1.3**, with TLS 1.2 the
//! minimum accepted (X25519 key exchange). Two features replace it:
//!
//! | feature | engine | versions | note |
//! |---|---|---|---|
//! | `tls` (default) | mbedTLS 3.6 LTS, built from source | 1.2, 1.3 | |
//! | `tls-openssl` | OpenSSL 3.5 LTS, built from source (`openssl-src`) | 1.2, 1.3 | negotiates the post-quantum hybrid group X25519MLKEM768 with peers that offer it |
//! | `tls-mbedtls-2` | mbedTLS 2.28 (`mbedtls-sys-auto`) | 1.2 only | end of life; for dependency graphs that already link it. A minimum of 1.3 is [`Error::NotSupported`] |
//!
//! [`engine_name`] and [`engine_description`] say which engine the linked nng
//! runs; [`BUILT_ENGINE`] is what the build chose.
//!
//! # Failed handshakes
//!
//! A failed handshake never hangs, and no pipe is created, so no message gets
//! through. The dialer reports a typed error; which one depends on the side
//! that noticed. With mbedTLS, a client that rejects the server's
//! certificate (unknown CA, expired, wrong name) gets [`Error::Crypto`] (the
//! engine's X.509 verification error); a client the server rejects (no
//! certificate when one is required) sees the connection shut
//! ([`Error::ConnectionShutdown`]); a certificate the server cannot verify
//! gives [`Error::Crypto`] too.
//!
//! # A complete server and client
//!
//! The server presents a certificate for `localhost`; the client trusts it
//! (here it is self-signed, so it is its own CA) and checks the name. The
//! certificate is generated at run time with the `rcgen` crate.
//!
//! ```
//! use nng::tls::{TlsConfig, TlsMode};
//! use nng::{Dialer, Listener, Protocol, Socket};
//! use nng::options::RecvTimeout;
//! use std::time::Duration;
//!
//! // A self-signed certificate for "localhost".
//! let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
//! let (cert_pem, key_pem) = (ck.cert.pem(), ck.key_pair.serialize_pem());
//!
//! // Server: presents its certificate and key.
//! let server_tls = TlsConfig::new(TlsMode::Server)?;
//! server_tls.own_cert(&cert_pem, &key_pem, None)?;
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
//! let listener = Listener::new(&rep, "tls+tcp://127.0.0.1:0")?;
//! listener.set_tls(&server_tls)?;
//! listener.start()?;
//! let port = listener.port()?;
//!
//! // Client: trusts the server's certificate and expects the name "localhost".
//! let client_tls = TlsConfig::new(TlsMode::Client)?;
//! client_tls.ca_chain(&cert_pem, None)?;
//! client_tls.server_name("localhost")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
//! let dialer = Dialer::new(&req, &format!("tls+tcp://127.0.0.1:{port}"))?;
//! dialer.set_tls(&client_tls)?;
//! dialer.start()?; // the handshake succeeded
//!
//! req.send(b"hello over TLS")?;
//! let request = rep.recv()?;
//! assert_eq!(request.as_slice(), b"hello over TLS");
//!
//! rep.send(b"hello back")?;
//! let reply = req.recv()?;
//! assert_eq!(reply.as_slice(), b"hello back");
//!
//! // The client can inspect the certificate the server presented.
//! let pipe = reply.pipe().expect("a received message has a pipe");
//! assert!(pipe.peer_verified()?);
//! assert_eq!(pipe.peer_cert()?.alt_names(), ["localhost"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Mutual TLS
//!
//! The server also trusts the CA that issued client certificates and
//! requires one: `server_tls.ca_chain(&client_ca_pem, None)` and
//! `server_tls.auth_mode(AuthMode::Required)`; the client presents its own
//! with `client_tls.own_cert(&client_cert_pem, &client_key_pem, None)`. The
//! server then reads the client's identity from any message's pipe with
//! [`Pipe::peer_cert`] (e.g. its [`TlsCert::common_name`]). A client without
//! an acceptable certificate cannot connect.
//!
//! # Pre-shared keys
//!
//! Instead of certificates, both sides can call [`TlsConfig::psk`] with the
//! same identity and key (a server may hold several identities).
//!
//! # Without the `tls` feature
//!
//! This module is compiled only with the crate's `tls` feature (on by
//! default). Without it nng is built without TLS, and `tls+tcp://` and `wss://`
//! URLs are refused with [`Error::NotSupported`] when a dialer or listener is
//! created.

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Dialer, Listener, Pipe};
use std::ffi::{c_char, CStr, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::time::{Duration, SystemTime};

/// Whether a configuration is for the connecting or the accepting side
/// (`nng_tls_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// For dialers (`NNG_TLS_MODE_CLIENT`). Authenticates the server by default.
    #[doc(alias = "NNG_TLS_MODE_CLIENT")]
    Client,
    /// For listeners (`NNG_TLS_MODE_SERVER`). Does not ask for a client
    /// certificate by default.
    #[doc(alias = "NNG_TLS_MODE_SERVER")]
    Server,
}

/// How the peer is authenticated (`nng_tls_auth_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// No peer authentication (`NNG_TLS_AUTH_MODE_NONE`); the server default.
    #[doc(alias = "NNG_TLS_AUTH_MODE_NONE")]
    None,
    /// A presented certificate is validated, but a peer without a valid one is
    /// still accepted (`NNG_TLS_AUTH_MODE_OPTIONAL`). Check
    /// [`Pipe::peer_verified`] to tell them apart.
    #[doc(alias = "NNG_TLS_AUTH_MODE_OPTIONAL")]
    Optional,
    /// The peer must present a valid certificate (`NNG_TLS_AUTH_MODE_REQUIRED`);
    /// the client default. Needs CA material ([`TlsConfig::ca_chain`]).
    #[doc(alias = "NNG_TLS_AUTH_MODE_REQUIRED")]
    Required,
}

/// A TLS protocol version (`nng_tls_version`). nng supports nothing older than
/// TLS 1.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (`NNG_TLS_1_2`).
    #[doc(alias = "NNG_TLS_1_2")]
    Tls12,
    /// TLS 1.3 (`NNG_TLS_1_3`), the default maximum. Not available with the
    /// `tls-mbedtls-2` engine.
    #[doc(alias = "NNG_TLS_1_3")]
    Tls13,
}

impl TlsVersion {
    fn raw(self) -> ffi::nng_tls_version {
        match self {
            TlsVersion::Tls12 => ffi::NNG_TLS_1_2,
            TlsVersion::Tls13 => ffi::NNG_TLS_1_3,
        }
    }
}

/// A TLS configuration (`nng_tls_config`): mode, own certificate and key,
/// trusted CAs, expected server name, authentication mode, versions and
/// pre-shared keys. See the [module documentation](self) for a complete
/// example.
///
/// Cloning is cheap: it takes another reference to the same configuration
/// (`nng_tls_config_hold`), and dropping releases one (`nng_tls_config_free`).
/// Dialers and listeners keep their own reference, so the `TlsConfig` may be
/// dropped once it is set on them.
///
/// There is deliberately no getter for an endpoint's configuration
/// (`nng_dialer_get_tls` returns it without a hold, so a socket closed on
/// another thread could free it before a hold is taken): keep a clone of what
/// you set instead.
///
/// ```
/// use nng::tls::{AuthMode, TlsConfig, TlsMode, TlsVersion};
/// let cfg = TlsConfig::new(TlsMode::Client)?;
/// cfg.server_name("example.com")?;
/// cfg.auth_mode(AuthMode::Required)?;
/// // TLS 1.3 only (the default is 1.2 to 1.3).
/// cfg.versions(TlsVersion::Tls13, TlsVersion::Tls13)?;
/// // An empty range is a typed error, not a silent change.
/// assert_eq!(cfg.versions(TlsVersion::Tls13, TlsVersion::Tls12), Err(nng::Error::NotSupported));
/// // Bad PEM is a typed error too.
/// assert!(cfg.ca_chain("not a certificate", None).is_err());
/// # Ok::<(), nng::Error>(())
/// ```
#[doc(alias = "nng_tls_config")]
pub struct TlsConfig {
    raw: NonNull<ffi::nng_tls_config>,
    mode: TlsMode,
}

// SAFETY: an nng_tls_config is reference counted and every nng_tls_config_*
// function takes the configuration's own mutex (cfg->lock) before touching it,
// so the handle can move to and be used from any thread, and be shared between
// threads. Pinned by `config_is_send_and_sync` in tests/tls.rs.
unsafe impl Send for TlsConfig {}
// SAFETY: see the Send impl: all access through &TlsConfig is locked by nng.
unsafe impl Sync for TlsConfig {}

/// Converts a path to a C string for nng's file-loading functions.
fn path_to_cstring(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or(Error::InvalidInput)?
        .as_bytes()
        .to_vec();
    CString::new(bytes).map_err(|_| Error::InvalidInput)
}

/// A string argument for nng: NUL bytes inside are [`Error::InvalidInput`].
fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidInput)
}

impl TlsConfig {
    /// Allocates a configuration for `mode` with nng's defaults
    /// (`nng_tls_config_alloc`).
    #[doc(alias = "nng_tls_config_alloc")]
    pub fn new(mode: TlsMode) -> Result<TlsConfig> {
        crate::init::ensure()?;
        let raw_mode = match mode {
            TlsMode::Client => ffi::NNG_TLS_MODE_CLIENT,
            TlsMode::Server => ffi::NNG_TLS_MODE_SERVER,
        };
        let mut raw = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; nng is initialised.
        cvt(unsafe { ffi::nng_tls_config_alloc(&mut raw, raw_mode) })?;
        let raw = NonNull::new(raw).ok_or(Error::Internal)?;
        Ok(TlsConfig { raw, mode })
    }

    /// The mode the configuration was created with.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    pub(crate) fn as_ptr(&self) -> *mut ffi::nng_tls_config {
        self.raw.as_ptr()
    }

    /// Sets the local certificate chain and its private key from PEM text,
    /// with `pass` to decrypt an encrypted key (`nng_tls_config_own_cert`).
    /// Servers normally need one; clients need one for mutual TLS.
    ///
    /// A key that does not parse, or does not decrypt with `pass`, is
    /// [`Error::Crypto`] (or [`Error::InvalidInput`]); a second certificate on
    /// a client is [`Error::Busy`].
    ///
    /// Encrypted keys: PKCS#8 as OpenSSL 3 writes it by default (PBES2 with
    /// AES-256-CBC, `openssl pkcs8 -topk8`) loads with the default engine and
    /// with `tls-openssl`. With `tls-mbedtls-2` only triple DES works
    /// (`openssl pkcs8 -topk8 -v2 des3`); AES-encrypted keys are refused with
    /// [`Error::Crypto`] even with the right passphrase.
    #[doc(alias = "nng_tls_config_own_cert")]
    pub fn own_cert(&self, cert_pem: &str, key_pem: &str, pass: Option<&str>) -> Result<()> {
        let cert = cstring(cert_pem)?;
        let key = cstring(key_pem)?;
        let pass = pass.map(cstring).transpose()?;
        let pass_ptr = pass.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        // SAFETY: the config is live (we hold a reference); all strings are
        // NUL-terminated (or pass is NULL, which nng accepts) and nng copies them.
        cvt(unsafe {
            ffi::nng_tls_config_own_cert(self.as_ptr(), cert.as_ptr(), key.as_ptr(), pass_ptr)
        })
    }

    /// Loads the local certificate chain and private key from one PEM file
    /// holding both (`nng_tls_config_cert_key_file`).
    #[doc(alias = "nng_tls_config_cert_key_file")]
    pub fn own_cert_file(&self, path: impl AsRef<Path>, pass: Option<&str>) -> Result<()> {
        let path = path_to_cstring(path.as_ref())?;
        let pass = pass.map(cstring).transpose()?;
        let pass_ptr = pass.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        // SAFETY: the config is live; the strings are NUL-terminated or NULL.
        cvt(unsafe { ffi::nng_tls_config_cert_key_file(self.as_ptr(), path.as_ptr(), pass_ptr) })
    }

    /// Adds trusted certificate authorities from PEM text (several may be
    /// concatenated), with an optional PEM revocation list
    /// (`nng_tls_config_ca_chain`). May be called more than once.
    #[doc(alias = "nng_tls_config_ca_chain")]
    pub fn ca_chain(&self, ca_pem: &str, crl_pem: Option<&str>) -> Result<()> {
        let ca = cstring(ca_pem)?;
        let crl = crl_pem.map(cstring).transpose()?;
        let crl_ptr = crl.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: the config is live; the strings are NUL-terminated or NULL.
        cvt(unsafe { ffi::nng_tls_config_ca_chain(self.as_ptr(), ca.as_ptr(), crl_ptr) })
    }

    /// Loads trusted certificate authorities (and any PEM revocation lists in
    /// the same file) from a PEM file (`nng_tls_config_ca_file`).
    #[doc(alias = "nng_tls_config_ca_file")]
    pub fn ca_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path_to_cstring(path.as_ref())?;
        // SAFETY: the config is live; the path is NUL-terminated.
        cvt(unsafe { ffi::nng_tls_config_ca_file(self.as_ptr(), path.as_ptr()) })
    }

    /// Sets the name a client expects in the server's certificate; it is also
    /// sent as SNI (`nng_tls_config_server_name`). Set it when dialing an IP
    /// address: there is no name in the URL to check against.
    #[doc(alias = "nng_tls_config_server_name")]
    pub fn server_name(&self, name: &str) -> Result<()> {
        let name = cstring(name)?;
        // SAFETY: the config is live; the name is NUL-terminated and copied.
        cvt(unsafe { ffi::nng_tls_config_server_name(self.as_ptr(), name.as_ptr()) })
    }

    /// Sets how the peer is authenticated (`nng_tls_config_auth_mode`).
    #[doc(alias = "nng_tls_config_auth_mode")]
    pub fn auth_mode(&self, mode: AuthMode) -> Result<()> {
        let mode = match mode {
            AuthMode::None => ffi::NNG_TLS_AUTH_MODE_NONE,
            AuthMode::Optional => ffi::NNG_TLS_AUTH_MODE_OPTIONAL,
            AuthMode::Required => ffi::NNG_TLS_AUTH_MODE_REQUIRED,
        };
        // SAFETY: the config is live; the mode is one of nng's values.
        cvt(unsafe { ffi::nng_tls_config_auth_mode(self.as_ptr(), mode) })
    }

    /// Restricts the protocol versions to `min..=max` (`nng_tls_config_version`).
    ///
    /// Without a call, TLS 1.2 to 1.3 are allowed and 1.3 is negotiated with
    /// any peer that has it. `min > max` is [`Error::NotSupported`]. With the
    /// `tls-mbedtls-2` engine only TLS 1.2 exists: `min` =
    /// [`TlsVersion::Tls13`] is [`Error::NotSupported`], and a `max` of 1.3 is
    /// accepted but negotiates 1.2.
    #[doc(alias = "nng_tls_config_version")]
    pub fn versions(&self, min: TlsVersion, max: TlsVersion) -> Result<()> {
        // SAFETY: the config is live; the versions are nng's values.
        cvt(unsafe { ffi::nng_tls_config_version(self.as_ptr(), min.raw(), max.raw()) })
    }

    /// Adds a pre-shared key: `identity` and its secret `key`
    /// (`nng_tls_config_psk`). A client has one; a server may have one per
    /// client identity. Both sides need the same identity and key; no
    /// certificates are involved.
    #[doc(alias = "nng_tls_config_psk")]
    pub fn psk(&self, identity: &str, key: &[u8]) -> Result<()> {
        let identity = cstring(identity)?;
        // SAFETY: the config is live; identity is NUL-terminated; key points to
        // key.len() readable bytes; nng copies both.
        cvt(unsafe {
            ffi::nng_tls_config_psk(self.as_ptr(), identity.as_ptr(), key.as_ptr(), key.len())
        })
    }
}

impl Clone for TlsConfig {
    /// Another reference to the same configuration (`nng_tls_config_hold`).
    fn clone(&self) -> TlsConfig {
        // SAFETY: the config is live (we hold a reference); the new hold is
        // released by the clone's Drop.
        unsafe { ffi::nng_tls_config_hold(self.as_ptr()) };
        TlsConfig {
            raw: self.raw,
            mode: self.mode,
        }
    }
}

impl Drop for TlsConfig {
    fn drop(&mut self) {
        // SAFETY: releases the one reference this value holds; nng frees the
        // configuration when the last one (ours, or a dialer's/listener's) goes.
        unsafe { ffi::nng_tls_config_free(self.as_ptr()) };
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
impl Dialer {
    /// Uses `config` for this dialer's TLS sessions (`nng_dialer_set_tls`).
    /// Must be called before [`start`](Self::start) ([`Error::Busy`] after);
    /// the dialer keeps its own reference. A transport without TLS (`tcp://`)
    /// gives [`Error::NotSupported`]; a [`TlsMode::Server`] configuration
    /// gives [`Error::InvalidInput`] (nng would accept it, and the handshake
    /// could only stall).
    #[doc(alias = "nng_dialer_set_tls")]
    pub fn set_tls(&self, config: &TlsConfig) -> Result<()> {
        if config.mode != TlsMode::Client {
            return Err(Error::InvalidInput);
        }
        // SAFETY: the dialer is a plain id (nng validates it); the config is
        // live and nng takes its own hold on it.
        cvt(unsafe { ffi::nng_dialer_set_tls(self.raw(), config.as_ptr()) })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
impl Listener {
    /// Uses `config` for this listener's TLS sessions (`nng_listener_set_tls`).
    /// Must be called before [`start`](Self::start) ([`Error::Busy`] after);
    /// the listener keeps its own reference. A transport without TLS gives
    /// [`Error::NotSupported`]; a [`TlsMode::Client`] configuration gives
    /// [`Error::InvalidInput`].
    #[doc(alias = "nng_listener_set_tls")]
    pub fn set_tls(&self, config: &TlsConfig) -> Result<()> {
        if config.mode != TlsMode::Server {
            return Err(Error::InvalidInput);
        }
        // SAFETY: the listener is a plain id; the config is live and nng takes
        // its own hold on it.
        cvt(unsafe { ffi::nng_listener_set_tls(self.raw(), config.as_ptr()) })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
impl Pipe {
    /// The certificate the peer presented on this TLS connection
    /// (`nng_pipe_peer_cert`). [`Error::NotSupported`] for transports without
    /// TLS; [`Error::EntryNotFound`] if the peer presented none.
    #[doc(alias = "nng_pipe_peer_cert")]
    pub fn peer_cert(&self) -> Result<TlsCert> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: the pipe is a plain id; `raw` is a valid out-pointer.
        cvt(unsafe { ffi::nng_pipe_peer_cert(self.raw(), &mut raw) })?;
        // SAFETY: on success nng handed us a certificate we must free.
        unsafe { TlsCert::take(raw) }
    }

    /// Whether the peer's certificate was verified (`NNG_OPT_TLS_VERIFIED`).
    /// Meaningless when authentication is [`AuthMode::None`]. The same as
    /// `get_opt::<TlsVerified>()`.
    #[doc(alias = "NNG_OPT_TLS_VERIFIED")]
    pub fn peer_verified(&self) -> Result<bool> {
        self.get_opt::<crate::options::TlsVerified>()
    }
}

/// An X.509 certificate (`nng_tls_cert`), read from a connection with
/// [`Pipe::peer_cert`] or parsed with [`from_pem`](Self::from_pem) /
/// [`from_der`](Self::from_der).
///
/// It is a snapshot: every field is copied out of nng when the value is made,
/// so it is plain data (`Send`, `Sync`, `Clone`).
///
/// ```
/// let ck = rcgen::generate_simple_self_signed(vec!["example.com".to_string()])?;
/// let cert = nng::tls::TlsCert::from_pem(&ck.cert.pem())?;
/// assert_eq!(cert.alt_names(), ["example.com"]);
/// assert_eq!(cert.common_name(), Some("rcgen self signed cert"));
/// assert_eq!(cert.der(), ck.cert.der().as_ref());
/// assert!(cert.not_before() < cert.not_after());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "nng_tls_cert")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsCert {
    subject: String,
    issuer: String,
    serial: String,
    common_name: Option<String>,
    alt_names: Vec<String>,
    not_before: SystemTime,
    not_after: SystemTime,
    der: Vec<u8>,
}

/// Frees an `nng_tls_cert` when dropped, so every path out of `take` frees it.
struct CertGuard(NonNull<ffi::nng_tls_cert>);

impl Drop for CertGuard {
    fn drop(&mut self) {
        // SAFETY: we own the certificate; it is freed exactly once, here.
        unsafe { ffi::nng_tls_cert_free(self.0.as_ptr()) };
    }
}

impl CertGuard {
    /// One of the `nng_tls_cert_*` string getters; the string lives in the
    /// certificate, so it is copied out at once.
    fn string(
        &self,
        f: unsafe extern "C" fn(*mut ffi::nng_tls_cert, *mut *mut c_char) -> ffi::nng_err,
    ) -> Result<String> {
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: the certificate is live; `p` is a valid out-pointer.
        cvt(unsafe { f(self.0.as_ptr(), &mut p) })?;
        if p.is_null() {
            return Err(Error::Internal);
        }
        // SAFETY: nng returned a NUL-terminated string owned by the live
        // certificate; we copy it before anything else touches the certificate.
        Ok(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    fn time(
        &self,
        f: unsafe extern "C" fn(*mut ffi::nng_tls_cert, *mut ffi::tm) -> ffi::nng_err,
    ) -> Result<SystemTime> {
        let mut tm = ffi::tm::default();
        // SAFETY: the certificate is live; `tm` is a valid out-pointer.
        cvt(unsafe { f(self.0.as_ptr(), &mut tm) })?;
        tm_to_system_time(&tm)
    }

    fn der(&self) -> Vec<u8> {
        let mut len = 0usize;
        // SAFETY: with a zero size nng only reports the needed size (the
        // buffer is not written).
        unsafe { ffi::nng_tls_cert_der(self.0.as_ptr(), std::ptr::null_mut(), &mut len) };
        let mut buf = vec![0u8; len];
        let mut got = buf.len();
        // SAFETY: `buf` has `got` writable bytes.
        unsafe { ffi::nng_tls_cert_der(self.0.as_ptr(), buf.as_mut_ptr(), &mut got) };
        buf.truncate(got.min(len));
        buf
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `struct tm` holding a UTC time (as nng fills it from a certificate).
fn tm_to_system_time(tm: &ffi::tm) -> Result<SystemTime> {
    let days = days_from_civil(
        i64::from(tm.tm_year) + 1900,
        i64::from(tm.tm_mon) + 1,
        i64::from(tm.tm_mday),
    );
    let secs = days * 86_400
        + i64::from(tm.tm_hour) * 3600
        + i64::from(tm.tm_min) * 60
        + i64::from(tm.tm_sec);
    let t = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    t.ok_or(Error::InvalidInput)
}

impl TlsCert {
    /// Copies every field out of a certificate nng handed over, and frees it.
    ///
    /// # Safety
    /// `raw` must be NULL or a certificate we own (not freed elsewhere).
    unsafe fn take(raw: *mut ffi::nng_tls_cert) -> Result<TlsCert> {
        let guard = CertGuard(NonNull::new(raw).ok_or(Error::Internal)?);
        // A field nng cannot render (an empty name is NNG_ENOTSUP, a missing
        // CN NNG_ENOENT, an over-long CN or alt name NNG_EINVAL) is left out
        // rather than failing the whole certificate.
        let optional = |r: Result<String>| match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::NotSupported | Error::EntryNotFound | Error::InvalidInput) => Ok(None),
            Err(e) => Err(e),
        };
        let mut alt_names = Vec::new();
        loop {
            // Each call moves nng's cursor on, even when it reports an error.
            match guard.string(ffi::nng_tls_cert_next_alt) {
                Ok(name) => alt_names.push(name),
                Err(Error::EntryNotFound) => break,
                Err(Error::InvalidInput) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(TlsCert {
            subject: optional(guard.string(ffi::nng_tls_cert_subject))?.unwrap_or_default(),
            issuer: optional(guard.string(ffi::nng_tls_cert_issuer))?.unwrap_or_default(),
            serial: optional(guard.string(ffi::nng_tls_cert_serial_number))?.unwrap_or_default(),
            common_name: optional(guard.string(ffi::nng_tls_cert_subject_cn))?,
            alt_names,
            not_before: guard.time(ffi::nng_tls_cert_not_before)?,
            not_after: guard.time(ffi::nng_tls_cert_not_after)?,
            der: guard.der(),
        })
    }

    /// Parses the first certificate in PEM text (`nng_tls_cert_parse_pem`).
    /// Text that is not a certificate is a typed error.
    #[doc(alias = "nng_tls_cert_parse_pem")]
    pub fn from_pem(pem: &str) -> Result<TlsCert> {
        crate::init::ensure()?;
        // mbedTLS wants the terminating NUL counted in PEM input.
        let pem = cstring(pem)?;
        let bytes = pem.as_bytes_with_nul();
        let mut raw = std::ptr::null_mut();
        // SAFETY: `bytes` is `bytes.len()` readable bytes ending in NUL; `raw`
        // is a valid out-pointer.
        cvt(unsafe { ffi::nng_tls_cert_parse_pem(&mut raw, bytes.as_ptr().cast(), bytes.len()) })?;
        // SAFETY: on success we own the new certificate.
        unsafe { TlsCert::take(raw) }
    }

    /// Parses a DER-encoded certificate (`nng_tls_cert_parse_der`).
    #[doc(alias = "nng_tls_cert_parse_der")]
    pub fn from_der(der: &[u8]) -> Result<TlsCert> {
        crate::init::ensure()?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `der` is `der.len()` readable bytes; `raw` is an out-pointer.
        cvt(unsafe { ffi::nng_tls_cert_parse_der(&mut raw, der.as_ptr(), der.len()) })?;
        // SAFETY: on success we own the new certificate.
        unsafe { TlsCert::take(raw) }
    }

    /// The subject's distinguished name, e.g. `"CN=localhost, O=Example"`
    /// (`nng_tls_cert_subject`); empty if the certificate has none.
    #[doc(alias = "nng_tls_cert_subject")]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer's distinguished name (`nng_tls_cert_issuer`).
    #[doc(alias = "nng_tls_cert_issuer")]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The serial number as hex text (`nng_tls_cert_serial_number`).
    #[doc(alias = "nng_tls_cert_serial_number")]
    pub fn serial_number(&self) -> &str {
        &self.serial
    }

    /// The subject's common name (CN), if it has one that nng can read (at
    /// most 64 bytes) (`nng_tls_cert_subject_cn`).
    #[doc(alias = "nng_tls_cert_subject_cn")]
    pub fn common_name(&self) -> Option<&str> {
        self.common_name.as_deref()
    }

    /// The subject alternative names (`nng_tls_cert_next_alt`).
    #[doc(alias = "nng_tls_cert_next_alt")]
    pub fn alt_names(&self) -> &[String] {
        &self.alt_names
    }

    /// Start of the validity period (`nng_tls_cert_not_before`).
    #[doc(alias = "nng_tls_cert_not_before")]
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of the validity period (`nng_tls_cert_not_after`).
    #[doc(alias = "nng_tls_cert_not_after")]
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// The certificate in DER form (`nng_tls_cert_der`).
    #[doc(alias = "nng_tls_cert_der")]
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// A static string from nng.
fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    // SAFETY: nng's engine name and description are string literals in the
    // library, valid for the life of the process.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// The short name of nng's TLS engine: `"mbed"` or `"OpenSSL"`
/// (`nng_tls_engine_name`); `"none"` without TLS.
#[doc(alias = "nng_tls_engine_name")]
pub fn engine_name() -> &'static str {
    // SAFETY: no preconditions; returns a static string.
    static_str(unsafe { ffi::nng_tls_engine_name() })
}

/// A description of nng's TLS engine, with its version
/// (`nng_tls_engine_description`).
#[doc(alias = "nng_tls_engine_description")]
pub fn engine_description() -> &'static str {
    // SAFETY: no preconditions; returns a static string.
    static_str(unsafe { ffi::nng_tls_engine_description() })
}

/// The TLS engine this crate was built against, as the build chose it
/// (nng-sys's `links` metadata, nng's CMake name): `"mbed"`, `"openssl"`,
/// `"unknown"` (a system nng whose engine its pkg-config file does not name)
/// or `"none"`. Compare [`engine_name`], which asks the linked library (and
/// spells OpenSSL's `"OpenSSL"`).
///
/// ```
/// assert!(nng::tls::engine_name().eq_ignore_ascii_case(nng::tls::BUILT_ENGINE));
/// ```
pub const BUILT_ENGINE: &str = env!("NNG_BUILD_TLS_ENGINE");

/// The version of the TLS library the build compiled (e.g. `"3.6.5"`), empty
/// for a system nng.
pub const BUILT_ENGINE_VERSION: &str = env!("NNG_BUILD_TLS_ENGINE_VERSION");

/// Whether the TLS engine runs in FIPS 140 mode (`nng_tls_engine_fips_mode`).
#[doc(alias = "nng_tls_engine_fips_mode")]
pub fn engine_fips_mode() -> bool {
    // SAFETY: no preconditions.
    unsafe { ffi::nng_tls_engine_fips_mode() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
