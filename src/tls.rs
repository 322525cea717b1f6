//! TLS: [`TlsConfig`] for the `tls+tcp://` and `wss://` transports, made by a
//! [`TlsConfigBuilder`], and [`TlsCert`], a certificate as read back from a
//! connection.
//!
//! # A server and a client
//!
//! The server presents a certificate for `localhost` (here a throwaway
//! self-signed one, made with the `rcgen` crate); the client trusts it and
//! checks the name.
//!
//! ```
//! use nng::{tls::TlsConfig, Protocol, Socket};
//! let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?; // a test certificate
//! let (cert, key) = (ck.cert.pem(), ck.key_pair.serialize_pem());
//!
//! let rep = Socket::new(Protocol::Rep0)?;
//! let server = TlsConfig::server().cert_key_pem(&cert, &key).build()?;
//! let listener = rep.listener_tls("tls+tcp://127.0.0.1:0", &server)?; // port 0: any free port
//! listener.start()?;
//!
//! let req = Socket::new(Protocol::Req0)?;
//! let client = TlsConfig::client().ca_pem(&cert).server_name("localhost").build()?;
//! req.dial_tls(&listener.url()?, &client)?; // returns once the handshake has succeeded
//!
//! req.send(b"ping")?;
//! assert_eq!(rep.recv()?.as_slice(), b"ping");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`TlsConfig::server`] and [`TlsConfig::client`] start a
//! [`TlsConfigBuilder`]; its methods record settings, and
//! [`build`](TlsConfigBuilder::build) applies them to a fresh nng
//! configuration (`nng_tls_config`), reporting a setting nng refuses as a
//! [`TlsConfigError`] that names it. The [`TlsConfig`] it returns cannot be
//! changed: clone it (cheaply) and share it between endpoints, sockets and
//! threads.
//!
//! [`Socket::listen_tls`] and [`Socket::dial_tls`] create an endpoint, give it
//! the configuration and start it, for the socket's lifetime (like
//! [`Socket::listen`] and [`Socket::dial`]). [`Socket::listener_tls`] and
//! [`Socket::dialer_tls`] stop before starting and return the endpoint, for
//! other options, the bound port or an early close; an endpoint made otherwise
//! takes a configuration with [`Dialer::set_tls`] or [`Listener::set_tls`]
//! before it starts.
//!
//! # Settings
//!
//! | builder method | nng | client | server |
//! |---|---|---|---|
//! | [`ca_pem`](TlsConfigBuilder::ca_pem), [`ca_file`](TlsConfigBuilder::ca_file) | `nng_tls_config_ca_chain`, `nng_tls_config_ca_file` | the CAs that vouch for servers (required unless [`AuthMode::None`] or a pre-shared key) | the CAs that vouch for clients (mutual TLS) |
//! | [`crl_pem`](TlsConfigBuilder::crl_pem) | `nng_tls_config_ca_chain` | revoked server certificates | revoked client certificates |
//! | [`server_name`](TlsConfigBuilder::server_name) | `nng_tls_config_server_name` | the name the server's certificate must carry; also sent as SNI | ignored |
//! | [`cert_key_pem`](TlsConfigBuilder::cert_key_pem), [`cert_key_file`](TlsConfigBuilder::cert_key_file) (and `_encrypted`) | `nng_tls_config_own_cert`, `nng_tls_config_cert_key_file` | the client's certificate (mutual TLS) | the server's certificate (normally required) |
//! | [`auth_mode`](TlsConfigBuilder::auth_mode) | `nng_tls_config_auth_mode` | default [`AuthMode::Required`] | default [`AuthMode::None`] |
//! | [`versions`](TlsConfigBuilder::versions) | `nng_tls_config_version` | default TLS 1.2 to 1.3 | the same |
//! | [`psk`](TlsConfigBuilder::psk) | `nng_tls_config_psk` | one identity and key | any number of identities |
//!
//! **Set the server name on clients.** nng checks a server's certificate
//! against the CAs the client trusts, but against a name only when the
//! configuration has one: a client configuration built without
//! [`server_name`](TlsConfigBuilder::server_name) accepts any certificate its
//! CAs signed, whatever the URL's host. (nng's own default configuration takes
//! the name from the URL; a configuration given to a dialer is used as it is.)
//!
//! # Reading the peer's certificate
//!
//! A certificate authority signs the server's certificate; the client trusts
//! the CA, and reads back what the server presented from the pipe of any
//! message.
//!
//! ```
//! use nng::tls::TlsConfig;
//! use nng::options::RecvTimeout;
//! use nng::{Protocol, Socket};
//! use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
//! use std::time::Duration;
//!
//! // A CA, and a certificate for "localhost" that it signs.
//! let mut ca = CertificateParams::new(Vec::<String>::new())?;
//! ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
//! ca.distinguished_name.push(DnType::CommonName, "Example CA"); // not the leaf's name
//! let ca_key = KeyPair::generate()?;
//! let ca = ca.self_signed(&ca_key)?;
//! let key = KeyPair::generate()?;
//! let cert = CertificateParams::new(vec!["localhost".into()])?.signed_by(&key, &ca, &ca_key)?;
//!
//! let server = TlsConfig::server().cert_key_pem(&cert.pem(), &key.serialize_pem()).build()?;
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
//! let listener = rep.listener_tls("wss://127.0.0.1:0/api", &server)?;
//! listener.start()?;
//!
//! let client = TlsConfig::client().ca_pem(&ca.pem()).server_name("localhost").build()?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
//! req.dial_tls(&listener.url()?, &client)?;
//!
//! req.send(b"hello over TLS")?;
//! assert_eq!(rep.recv()?.as_slice(), b"hello over TLS");
//! rep.send(b"hello back")?;
//! let reply = req.recv()?;
//!
//! let pipe = reply.pipe().expect("a received message has a pipe");
//! assert!(pipe.peer_verified()?);
//! let cert = pipe.peer_cert()?;
//! assert_eq!(cert.alt_names(), ["localhost"]);
//! assert!(cert.issuer().contains("CN=Example CA")); // "/CN=..." with OpenSSL
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Mutual TLS
//!
//! The server also trusts the CA that issued client certificates and
//! requires one: `TlsConfig::server().cert_key_pem(..).ca_pem(&client_ca_pem)
//! .auth_mode(AuthMode::Required)`; the client presents its own with
//! `.cert_key_pem(&client_cert_pem, &client_key_pem)`. The server then reads
//! the client's identity from any message's pipe with [`Pipe::peer_cert`]
//! (e.g. its [`TlsCert::common_name`]). A client without an acceptable
//! certificate cannot connect.
//!
//! # Pre-shared keys
//!
//! Instead of certificates, both sides can give the same identity and key to
//! [`psk`](TlsConfigBuilder::psk) (a server may hold several identities).
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
//! | `tls-mbedtls-2` | mbedTLS 2.28 (`mbedtls-sys-auto`) | 1.2 only | end of life; for dependency graphs that already link it. A minimum of 1.3 is a [`TlsConfigError`] for [`TlsSetting::Versions`] with [`Error::NotSupported`] |
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
//! # Without the `tls` feature
//!
//! This module is compiled only with the crate's `tls` feature (on by
//! default). Without it nng is built without TLS, and `tls+tcp://` and `wss://`
//! URLs are refused with [`Error::NotSupported`] when a dialer or listener is
//! created.

mod builder;

pub use builder::{TlsConfigBuilder, TlsConfigError, TlsSetting};

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Dialer, Listener, Pipe, Socket};
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::time::{Duration, SystemTime};

/// Whether a configuration is for the connecting or the accepting side
/// (`nng_tls_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsMode {
    /// For dialers (`NNG_TLS_MODE_CLIENT`): [`TlsConfig::client`].
    /// Authenticates the server by default.
    #[doc(alias = "NNG_TLS_MODE_CLIENT")]
    Client,
    /// For listeners (`NNG_TLS_MODE_SERVER`): [`TlsConfig::server`]. Does not
    /// ask for a client certificate by default.
    #[doc(alias = "NNG_TLS_MODE_SERVER")]
    Server,
}

/// How the peer is authenticated (`nng_tls_auth_mode`); see
/// [`TlsConfigBuilder::auth_mode`].
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
    /// the client default. Needs CA material
    /// ([`TlsConfigBuilder::ca_pem`]).
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

/// An immutable TLS configuration (`nng_tls_config`): mode, own certificate
/// and key, trusted CAs, expected server name, authentication mode, versions
/// and pre-shared keys, as a [`TlsConfigBuilder`] set them. See the [module
/// documentation](self) for complete examples.
///
/// ```
/// use nng::tls::{AuthMode, TlsConfig, TlsSetting, TlsVersion};
/// let client = TlsConfig::client()
///     .server_name("example.com")
///     .auth_mode(AuthMode::Required)
///     .versions(TlsVersion::Tls13, TlsVersion::Tls13) // TLS 1.3 only
///     .build()?;
/// // A setting nng refuses is an error that names it.
/// let err = TlsConfig::client().ca_pem("not a certificate").build().unwrap_err();
/// assert_eq!(err.setting, TlsSetting::CaPem);
/// assert_eq!(err.error, nng::Error::Crypto);
/// # Ok::<(), nng::tls::TlsConfigError>(())
/// ```
///
/// Cloning is cheap: it takes another reference to the same configuration
/// (`nng_tls_config_hold`), and dropping releases one (`nng_tls_config_free`).
/// Dialers and listeners keep their own reference, so the `TlsConfig` may be
/// dropped once it is set on them.
///
/// A built configuration has no setters: what the builder made is what every
/// endpoint that shares it uses.
///
/// ```compile_fail,E0599
/// let cfg = nng::tls::TlsConfig::client().build().unwrap();
/// cfg.server_name("elsewhere"); // error: no method `server_name` on `TlsConfig`
/// ```
///
/// There is deliberately no getter for an endpoint's configuration
/// (`nng_dialer_get_tls` returns it without a hold, so a socket closed on
/// another thread could free it before a hold is taken): keep a clone of what
/// you set instead.
#[doc(alias = "nng_tls_config")]
pub struct TlsConfig {
    raw: NonNull<ffi::nng_tls_config>,
    mode: TlsMode,
}

// SAFETY: a TlsConfig is a counted reference to an nng_tls_config that nothing
// changes after `TlsConfigBuilder::build` returns it: the type has no setters,
// the pointer never leaves the crate, and the only calls made with it are
// `nng_tls_config_hold` (Clone), `nng_tls_config_free` (Drop) and
// `nng_dialer_set_tls`/`nng_listener_set_tls`, which take their own hold.
// nng's reference count and its read-only flag are updated under the
// configuration's own mutex (cfg->lock), and connections on any of nng's
// threads only read the engine state. So the handle may move to another
// thread and be used from several at once. Pinned by tests/send_sync.rs and
// `one_config_used_by_two_sockets_at_once` in tests/tls.rs.
unsafe impl Send for TlsConfig {}
// SAFETY: see the Send impl: a &TlsConfig reaches only hold and set_tls,
// both locked by nng.
unsafe impl Sync for TlsConfig {}

/// A string argument for nng: NUL bytes inside are [`Error::InvalidInput`].
fn cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::InvalidInput)
}

impl TlsConfig {
    /// Starts a configuration for dialers (`NNG_TLS_MODE_CLIENT`).
    ///
    /// ```
    /// let client = nng::tls::TlsConfig::client().server_name("example.com").build()?;
    /// assert_eq!(client.mode(), nng::tls::TlsMode::Client);
    /// # Ok::<(), nng::tls::TlsConfigError>(())
    /// ```
    #[doc(alias = "NNG_TLS_MODE_CLIENT")]
    pub fn client() -> TlsConfigBuilder {
        TlsConfigBuilder::new(TlsMode::Client)
    }

    /// Starts a configuration for listeners (`NNG_TLS_MODE_SERVER`).
    ///
    /// ```
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    /// let server = nng::tls::TlsConfig::server()
    ///     .cert_key_pem(&ck.cert.pem(), &ck.key_pair.serialize_pem())
    ///     .build()?;
    /// assert_eq!(server.mode(), nng::tls::TlsMode::Server);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "NNG_TLS_MODE_SERVER")]
    pub fn server() -> TlsConfigBuilder {
        TlsConfigBuilder::new(TlsMode::Server)
    }

    /// The mode the configuration was built for.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// Allocates a configuration with nng's defaults for `mode`
    /// (`nng_tls_config_alloc`); only the builder changes it, before handing
    /// it out.
    fn alloc(mode: TlsMode) -> Result<TlsConfig> {
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

    fn as_ptr(&self) -> *mut ffi::nng_tls_config {
        self.raw.as_ptr()
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
impl Socket {
    /// Listens on `url` (`tls+tcp://` or `wss://`) with TLS `config`, for the
    /// socket's lifetime: creates a listener, gives it `config` and starts it
    /// ([`Listener::set_tls`], like [`listen`](Self::listen) otherwise). To
    /// read the bound port or close it early, use
    /// [`listener_tls`](Self::listener_tls).
    ///
    /// A URL without TLS (`tcp://`, `ipc://`, ...) is
    /// [`Error::NotSupported`] and a client configuration
    /// [`Error::InvalidInput`]; nothing is left listening.
    ///
    /// `wss://` listeners on one address share nng's HTTP server, and with it
    /// the TLS configuration of the first one started: a second one there
    /// (another path) is [`Error::Busy`] here; start it with
    /// [`listen`](Self::listen) instead, and it uses the first one's.
    ///
    /// ```
    /// use nng::{tls::TlsConfig, Error, Protocol, Socket};
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    /// let server = TlsConfig::server()
    ///     .cert_key_pem(&ck.cert.pem(), &ck.key_pair.serialize_pem())
    ///     .build()?;
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// rep.listen_tls("wss://127.0.0.1:0/api", &server)?;
    /// assert_eq!(rep.listen_tls("tcp://127.0.0.1:0", &server), Err(Error::NotSupported));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_listener_set_tls")]
    pub fn listen_tls(&self, url: &str, config: &TlsConfig) -> Result<()> {
        let listener = self.listener_tls(url, config)?;
        listener.start()?;
        listener.detach();
        Ok(())
    }

    /// Dials `url` (`tls+tcp://` or `wss://`) with TLS `config` and keeps the
    /// connection for the socket's lifetime: creates a dialer, gives it
    /// `config` and starts it ([`Dialer::set_tls`], like
    /// [`dial`](Self::dial) otherwise). The first attempt, handshake
    /// included, is synchronous: a refused connection or certificate is an
    /// error. For control over the dialer, use
    /// [`dialer_tls`](Self::dialer_tls).
    ///
    /// A URL without TLS is [`Error::NotSupported`] and a server
    /// configuration [`Error::InvalidInput`]; nothing is left dialing.
    ///
    /// ```
    /// use nng::{tls::TlsConfig, Error, Protocol, Socket};
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    /// # let server = TlsConfig::server().cert_key_pem(&ck.cert.pem(), &ck.key_pair.serialize_pem()).build()?;
    /// # let rep = Socket::new(Protocol::Rep0)?;
    /// # let listener = rep.listener_tls("tls+tcp://127.0.0.1:0", &server)?;
    /// # listener.start()?;
    /// # let url = listener.url()?;
    /// # let ca_pem = ck.cert.pem();
    /// let client = TlsConfig::client().ca_pem(&ca_pem).server_name("localhost").build()?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dial_tls(&url, &client)?;
    /// let wrong = TlsConfig::client().ca_pem(&ca_pem).server_name("elsewhere").build()?;
    /// assert_eq!(req.dial_tls(&url, &wrong), Err(Error::Crypto)); // not the name it shows
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_dialer_set_tls")]
    pub fn dial_tls(&self, url: &str, config: &TlsConfig) -> Result<()> {
        let dialer = self.dialer_tls(url, config)?;
        dialer.start()?;
        dialer.detach();
        Ok(())
    }

    /// Creates a listener for `url` with TLS `config`, not yet started
    /// ([`Listener::new`] then [`Listener::set_tls`]). Start it with
    /// [`Listener::start`]; it closes when dropped.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    /// # let server = nng::tls::TlsConfig::server().cert_key_pem(&ck.cert.pem(), &ck.key_pair.serialize_pem()).build()?;
    /// let rep = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let listener = rep.listener_tls("tls+tcp://127.0.0.1:0", &server)?;
    /// listener.start()?;
    /// assert!(listener.port()? > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_listener_set_tls")]
    pub fn listener_tls(&self, url: &str, config: &TlsConfig) -> Result<Listener> {
        let listener = Listener::new(self, url)?;
        listener.set_tls(config)?;
        Ok(listener)
    }

    /// Creates a dialer for `url` with TLS `config`, not yet started
    /// ([`Dialer::new`] then [`Dialer::set_tls`]). Start it with
    /// [`Dialer::start`] or [`Dialer::start_background`]; it closes when dropped.
    ///
    /// ```
    /// let client = nng::tls::TlsConfig::client().server_name("localhost").build()?;
    /// let req = nng::Socket::new(nng::Protocol::Req0)?;
    /// let dialer = req.dialer_tls("tls+tcp://127.0.0.1:4433", &client)?;
    /// dialer.start_background()?; // keeps trying in the background
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_dialer_set_tls")]
    pub fn dialer_tls(&self, url: &str, config: &TlsConfig) -> Result<Dialer> {
        let dialer = Dialer::new(self, url)?;
        dialer.set_tls(config)?;
        Ok(dialer)
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
impl Dialer {
    /// Uses `config` for this dialer's TLS sessions (`nng_dialer_set_tls`).
    /// Must be called before [`start`](Self::start) ([`Error::Busy`] after);
    /// the dialer keeps its own reference. A transport without TLS (`tcp://`)
    /// gives [`Error::NotSupported`]; a [`TlsMode::Server`] configuration
    /// gives [`Error::InvalidInput`] (nng would accept it, and the handshake
    /// could only stall). [`Socket::dialer_tls`] creates a dialer with it.
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
    /// [`Error::InvalidInput`]. [`Socket::listener_tls`] creates a listener
    /// with it.
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
