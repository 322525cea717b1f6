//! [`TlsConfigBuilder`]: the settings of a [`TlsConfig`], recorded by chained
//! calls and applied to a fresh `nng_tls_config` by
//! [`build`](TlsConfigBuilder::build); [`TlsConfigError`] names the setting
//! nng refused.

use super::{cstring, AuthMode, TlsConfig, TlsMode, TlsVersion};
use crate::error::{cvt, Error, Result};
use crate::ffi;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

/// A builder setting, as [`TlsConfigError`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsSetting {
    /// Allocating the configuration (`nng_tls_config_alloc`).
    Alloc,
    /// [`TlsConfigBuilder::ca_pem`].
    CaPem,
    /// [`TlsConfigBuilder::ca_file`].
    CaFile,
    /// [`TlsConfigBuilder::crl_pem`].
    CrlPem,
    /// [`TlsConfigBuilder::server_name`].
    ServerName,
    /// [`TlsConfigBuilder::cert_key_pem`] or
    /// [`cert_key_pem_encrypted`](TlsConfigBuilder::cert_key_pem_encrypted).
    CertKeyPem,
    /// [`TlsConfigBuilder::cert_key_file`] or
    /// [`cert_key_file_encrypted`](TlsConfigBuilder::cert_key_file_encrypted).
    CertKeyFile,
    /// [`TlsConfigBuilder::auth_mode`].
    AuthMode,
    /// [`TlsConfigBuilder::versions`].
    Versions,
    /// [`TlsConfigBuilder::psk`].
    Psk,
}

impl std::fmt::Display for TlsSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TlsSetting::Alloc => "nng_tls_config_alloc",
            TlsSetting::CaPem => "ca_pem",
            TlsSetting::CaFile => "ca_file",
            TlsSetting::CrlPem => "crl_pem",
            TlsSetting::ServerName => "server_name",
            TlsSetting::CertKeyPem => "cert_key_pem",
            TlsSetting::CertKeyFile => "cert_key_file",
            TlsSetting::AuthMode => "auth_mode",
            TlsSetting::Versions => "versions",
            TlsSetting::Psk => "psk",
        })
    }
}

/// A TLS configuration that could not be built: which setting failed, the
/// file it named, if any, and nng's error.
///
/// Text that is not PEM, a key that does not match its certificate or does
/// not decrypt, is [`Error::Crypto`] (with some engines
/// [`Error::InvalidInput`]); a NUL byte inside a string is
/// [`Error::InvalidInput`]; a missing file [`Error::EntryNotFound`] (other
/// file errors [`Error::PermissionDenied`] or [`Error::System`]); a version
/// range the engine cannot speak [`Error::NotSupported`].
///
/// ```
/// use nng::tls::{TlsConfig, TlsSetting};
/// let err = TlsConfig::server().cert_key_file("/nonexistent/server.pem").build().unwrap_err();
/// assert_eq!(err.setting, TlsSetting::CertKeyFile);
/// assert_eq!(err.path.as_deref(), Some(std::path::Path::new("/nonexistent/server.pem")));
/// assert_eq!(err.error, nng::Error::EntryNotFound);
/// assert_eq!(err.to_string(), "TLS cert_key_file \"/nonexistent/server.pem\": Entry not found");
/// // `?` turns it into an nng::Error where one is expected.
/// let plain: nng::Error = err.into();
/// assert_eq!(plain, nng::Error::EntryNotFound);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TLS {setting}{}: {error}", path.as_ref().map(|p| format!(" {:?}", p.display().to_string())).unwrap_or_default())]
pub struct TlsConfigError {
    /// The setting nng (or the builder) refused.
    pub setting: TlsSetting,
    /// The file that setting named ([`TlsSetting::CaFile`],
    /// [`TlsSetting::CertKeyFile`]).
    pub path: Option<PathBuf>,
    /// Why.
    pub error: Error,
}

impl TlsConfigError {
    fn new(setting: TlsSetting, error: Error) -> TlsConfigError {
        TlsConfigError {
            setting,
            path: None,
            error,
        }
    }
}

impl From<TlsConfigError> for Error {
    fn from(e: TlsConfigError) -> Error {
        e.error
    }
}

impl From<TlsConfigError> for std::io::Error {
    fn from(e: TlsConfigError) -> std::io::Error {
        std::io::Error::new(e.error.io_kind(), e)
    }
}

/// PEM text given directly, or the file that holds it.
#[derive(Clone)]
enum Pem {
    Text(String),
    File(PathBuf),
}

impl Pem {
    /// The text as nng takes it: NUL-terminated, without NUL inside. Files
    /// are read here, so a missing one names its setting and path.
    fn load(&self) -> Result<CString> {
        let bytes = match self {
            Pem::Text(text) => text.as_bytes().to_vec(),
            Pem::File(path) => std::fs::read(path).map_err(|e| io_error(&e))?,
        };
        CString::new(bytes).map_err(|_| Error::InvalidInput)
    }

    fn path(&self) -> Option<PathBuf> {
        match self {
            Pem::Text(_) => None,
            Pem::File(path) => Some(path.clone()),
        }
    }
}

/// A file error as nng reports one (`nni_plat_errno`).
fn io_error(e: &std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::NotFound => Error::EntryNotFound,
        std::io::ErrorKind::PermissionDenied => Error::PermissionDenied,
        _ => e.raw_os_error().map_or(Error::InvalidInput, Error::System),
    }
}

/// A source of CA certificates, with the setting that added it.
#[derive(Clone)]
struct CaSource {
    setting: TlsSetting,
    pem: Pem,
}

impl CaSource {
    fn error(&self, error: Error) -> TlsConfigError {
        TlsConfigError {
            setting: self.setting,
            path: self.pem.path(),
            error,
        }
    }
}

/// The local certificate chain and private key.
#[derive(Clone)]
struct CertKey {
    /// The certificate chain, and the key when they are in separate texts;
    /// a file holds both.
    cert: Pem,
    key: Option<String>,
    password: Option<String>,
}

impl CertKey {
    fn setting(&self) -> TlsSetting {
        match self.cert {
            Pem::Text(_) => TlsSetting::CertKeyPem,
            Pem::File(_) => TlsSetting::CertKeyFile,
        }
    }
}

/// The builder of a [`TlsConfig`], from [`TlsConfig::client`] or
/// [`TlsConfig::server`]: each method records a setting, and
/// [`build`](Self::build) applies them all to a fresh configuration.
///
/// Settings with one value (the server name, the certificate and key, the
/// authentication mode, the versions) keep the last one given; the others
/// (CAs, revocation lists, server pre-shared keys) add up. Nothing is checked
/// before `build`, which reports the first setting nng refuses.
///
/// ```
/// use nng::tls::{AuthMode, TlsConfig, TlsVersion};
/// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
/// # let (cert_pem, key_pem, client_ca_pem) = (ck.cert.pem(), ck.key_pair.serialize_pem(), ck.cert.pem());
/// // A server that requires client certificates from one CA, over TLS 1.3.
/// let server = TlsConfig::server()
///     .cert_key_pem(&cert_pem, &key_pem)
///     .ca_pem(&client_ca_pem)
///     .auth_mode(AuthMode::Required)
///     .versions(TlsVersion::Tls13, TlsVersion::Tls13)
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The builder is `Clone`: one builder can make several configurations, and
/// [`build`](Self::build) does not consume it. Its `Debug` output leaves out
/// private keys, passwords and pre-shared keys.
#[derive(Clone)]
pub struct TlsConfigBuilder {
    mode: TlsMode,
    ca: Vec<CaSource>,
    crls: Vec<String>,
    server_name: Option<String>,
    cert_key: Option<CertKey>,
    auth_mode: Option<AuthMode>,
    versions: Option<(TlsVersion, TlsVersion)>,
    psks: Vec<(String, Vec<u8>)>,
}

impl TlsConfigBuilder {
    pub(super) fn new(mode: TlsMode) -> TlsConfigBuilder {
        TlsConfigBuilder {
            mode,
            ca: Vec::new(),
            crls: Vec::new(),
            server_name: None,
            cert_key: None,
            auth_mode: None,
            versions: None,
            psks: Vec::new(),
        }
    }

    /// The mode of the configuration this builds: [`TlsMode::Client`] from
    /// [`TlsConfig::client`], [`TlsMode::Server`] from [`TlsConfig::server`].
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// Trusts the certificate authorities in `pem` (one or more PEM
    /// certificates, concatenated) to vouch for the peer
    /// (`nng_tls_config_ca_chain`). May be given several times, and together
    /// with [`ca_file`](Self::ca_file): all of them are trusted. Revocation
    /// lists in the text count as if given to [`crl_pem`](Self::crl_pem).
    ///
    /// Text without a certificate is a [`TlsConfigError`] for
    /// [`TlsSetting::CaPem`].
    #[doc(alias = "nng_tls_config_ca_chain")]
    pub fn ca_pem(mut self, pem: &str) -> Self {
        self.ca.push(CaSource {
            setting: TlsSetting::CaPem,
            pem: Pem::Text(pem.to_owned()),
        });
        self
    }

    /// Trusts the certificate authorities in the PEM file at `path`, and
    /// applies the revocation lists it holds, as `nng_tls_config_ca_file`
    /// does. The file is read by [`build`](Self::build); a missing one is a
    /// [`TlsConfigError`] for [`TlsSetting::CaFile`] with
    /// [`Error::EntryNotFound`]. Adds up with [`ca_pem`](Self::ca_pem).
    #[doc(alias = "nng_tls_config_ca_file")]
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Self {
        self.ca.push(CaSource {
            setting: TlsSetting::CaFile,
            pem: Pem::File(path.as_ref().to_owned()),
        });
        self
    }

    /// Refuses the certificates listed in the PEM revocation list `pem`,
    /// issued by one of the trusted CAs (the `crl` of
    /// `nng_tls_config_ca_chain`). Needs a CA from [`ca_pem`](Self::ca_pem)
    /// or [`ca_file`](Self::ca_file) ([`Error::InvalidInput`] without one).
    /// May be given several times. (The OpenSSL engine reads the first
    /// revocation list of all those given.)
    #[doc(alias = "nng_tls_config_ca_chain")]
    pub fn crl_pem(mut self, pem: &str) -> Self {
        self.crls.push(pem.to_owned());
        self
    }

    /// The name the server's certificate must carry; it is also sent as SNI
    /// (`nng_tls_config_server_name`). Clients only (a server ignores it).
    ///
    /// Without it the server's certificate is still checked against the
    /// trusted CAs, but not against any name: any certificate they signed is
    /// accepted. nng does not take the name from the dialed URL for a
    /// configuration given to a dialer, so set it, in particular when dialing
    /// an IP address.
    #[doc(alias = "nng_tls_config_server_name")]
    pub fn server_name(mut self, name: &str) -> Self {
        self.server_name = Some(name.to_owned());
        self
    }

    /// The local certificate chain and its private key, as PEM text
    /// (`nng_tls_config_own_cert`). Servers normally need one; clients need
    /// one for mutual TLS. Text that does not parse is a [`TlsConfigError`]
    /// for [`TlsSetting::CertKeyPem`]. A key that is not the certificate's
    /// is one too with the OpenSSL engine; mbedTLS does not compare them, and
    /// every handshake then fails. Replaces an earlier certificate and key.
    #[doc(alias = "nng_tls_config_own_cert")]
    pub fn cert_key_pem(mut self, cert: &str, key: &str) -> Self {
        self.cert_key = Some(CertKey {
            cert: Pem::Text(cert.to_owned()),
            key: Some(key.to_owned()),
            password: None,
        });
        self
    }

    /// [`cert_key_pem`](Self::cert_key_pem) with an encrypted private key and
    /// the `password` that decrypts it (`nng_tls_config_own_cert`). A wrong
    /// password is a [`TlsConfigError`] for [`TlsSetting::CertKeyPem`].
    ///
    /// PKCS#8 as OpenSSL 3 writes it by default (PBES2 with AES-256-CBC,
    /// `openssl pkcs8 -topk8`) loads with the default engine and with
    /// `tls-openssl`. With `tls-mbedtls-2` only triple DES works
    /// (`openssl pkcs8 -topk8 -v2 des3`); AES-encrypted keys are refused with
    /// [`Error::Crypto`] even with the right password.
    #[doc(alias = "nng_tls_config_own_cert")]
    pub fn cert_key_pem_encrypted(mut self, cert: &str, key: &str, password: &str) -> Self {
        self.cert_key = Some(CertKey {
            cert: Pem::Text(cert.to_owned()),
            key: Some(key.to_owned()),
            password: Some(password.to_owned()),
        });
        self
    }

    /// The local certificate chain and private key from one PEM file that
    /// holds both, read by [`build`](Self::build), as
    /// `nng_tls_config_cert_key_file` does. A missing file is a
    /// [`TlsConfigError`] for [`TlsSetting::CertKeyFile`] with
    /// [`Error::EntryNotFound`]. Replaces an earlier certificate and key.
    #[doc(alias = "nng_tls_config_cert_key_file")]
    pub fn cert_key_file(mut self, path: impl AsRef<Path>) -> Self {
        self.cert_key = Some(CertKey {
            cert: Pem::File(path.as_ref().to_owned()),
            key: None,
            password: None,
        });
        self
    }

    /// [`cert_key_file`](Self::cert_key_file) with an encrypted private key
    /// and the `password` that decrypts it (see
    /// [`cert_key_pem_encrypted`](Self::cert_key_pem_encrypted) for the key
    /// formats each engine reads).
    #[doc(alias = "nng_tls_config_cert_key_file")]
    pub fn cert_key_file_encrypted(mut self, path: impl AsRef<Path>, password: &str) -> Self {
        self.cert_key = Some(CertKey {
            cert: Pem::File(path.as_ref().to_owned()),
            key: None,
            password: Some(password.to_owned()),
        });
        self
    }

    /// How the peer is authenticated (`nng_tls_config_auth_mode`): by default
    /// a client requires a valid server certificate ([`AuthMode::Required`])
    /// and a server asks for none ([`AuthMode::None`]).
    #[doc(alias = "nng_tls_config_auth_mode")]
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = Some(mode);
        self
    }

    /// Restricts the protocol versions to `min..=max`
    /// (`nng_tls_config_version`).
    ///
    /// By default TLS 1.2 to 1.3 are allowed and 1.3 is negotiated with any
    /// peer that has it. `min > max` is a [`TlsConfigError`] for
    /// [`TlsSetting::Versions`] with [`Error::NotSupported`]. With the
    /// `tls-mbedtls-2` engine only TLS 1.2 exists: `min` =
    /// [`TlsVersion::Tls13`] is [`Error::NotSupported`], and a `max` of 1.3
    /// is accepted but negotiates 1.2.
    #[doc(alias = "nng_tls_config_version")]
    pub fn versions(mut self, min: TlsVersion, max: TlsVersion) -> Self {
        self.versions = Some((min, max));
        self
    }

    /// A pre-shared key: `identity` and its secret `key`
    /// (`nng_tls_config_psk`). Both sides need the same identity and key; no
    /// certificates are involved. A client presents one identity (a second
    /// is [`Error::InvalidInput`]); a server may hold one per client
    /// identity (the same identity again replaces its key). An empty key is
    /// [`Error::InvalidInput`].
    #[doc(alias = "nng_tls_config_psk")]
    pub fn psk(mut self, identity: &str, key: &[u8]) -> Self {
        self.psks.retain(|(id, _)| id != identity);
        self.psks.push((identity.to_owned(), key.to_owned()));
        self
    }

    /// Makes the configuration: allocates one with nng's defaults for the
    /// mode (`nng_tls_config_alloc`) and applies the recorded settings. The
    /// first one refused is the error, named by its [`TlsSetting`].
    ///
    /// ```
    /// use nng::tls::{TlsConfig, TlsSetting, TlsVersion};
    /// let err = TlsConfig::client()
    ///     .versions(TlsVersion::Tls13, TlsVersion::Tls12) // an empty range
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!((err.setting, err.error), (TlsSetting::Versions, nng::Error::NotSupported));
    /// let err = TlsConfig::client().ca_pem("nul\0inside").build().unwrap_err();
    /// assert_eq!((err.setting, err.error), (TlsSetting::CaPem, nng::Error::InvalidInput));
    /// ```
    #[doc(alias = "nng_tls_config_alloc")]
    pub fn build(&self) -> Result<TlsConfig, TlsConfigError> {
        let config =
            TlsConfig::alloc(self.mode).map_err(|e| TlsConfigError::new(TlsSetting::Alloc, e))?;
        let fail = |setting| move |e| TlsConfigError::new(setting, e);
        if let Some((min, max)) = self.versions {
            config
                .set_versions(min, max)
                .map_err(fail(TlsSetting::Versions))?;
        }
        if let Some(mode) = self.auth_mode {
            config
                .set_auth_mode(mode)
                .map_err(fail(TlsSetting::AuthMode))?;
        }
        if let Some(name) = &self.server_name {
            let name = cstring(name).map_err(fail(TlsSetting::ServerName))?;
            config
                .set_server_name(&name)
                .map_err(fail(TlsSetting::ServerName))?;
        }
        if let Some(own) = &self.cert_key {
            let error = |error| TlsConfigError {
                setting: own.setting(),
                path: own.cert.path(),
                error,
            };
            let cert = own.cert.load().map_err(error)?;
            let key = match &own.key {
                Some(key) => Some(cstring(key).map_err(error)?),
                None => None, // the file holds both
            };
            let password = own
                .password
                .as_deref()
                .map(cstring)
                .transpose()
                .map_err(error)?;
            config
                .set_own_cert(&cert, key.as_deref().unwrap_or(&cert), password.as_deref())
                .map_err(error)?;
        }
        self.apply_ca(&config)?;
        if self.mode == TlsMode::Client && self.psks.len() > 1 {
            return Err(TlsConfigError::new(TlsSetting::Psk, Error::InvalidInput));
        }
        for (identity, key) in &self.psks {
            if key.is_empty() {
                return Err(TlsConfigError::new(TlsSetting::Psk, Error::InvalidInput));
            }
            let identity = cstring(identity).map_err(fail(TlsSetting::Psk))?;
            config
                .add_psk(&identity, key)
                .map_err(fail(TlsSetting::Psk))?;
        }
        Ok(config)
    }

    /// Gives nng every trusted CA and revocation list in one
    /// `nng_tls_config_ca_chain` call: the OpenSSL engine replaces its trust
    /// store at each call, so separate calls would keep only the last.
    fn apply_ca(&self, config: &TlsConfig) -> Result<(), TlsConfigError> {
        let crls = self
            .crls
            .iter()
            .map(|crl| cstring(crl).map_err(|e| TlsConfigError::new(TlsSetting::CrlPem, e)))
            .collect::<Result<Vec<_>, _>>()?;
        if self.ca.is_empty() {
            if crls.is_empty() {
                return Ok(());
            }
            return Err(TlsConfigError::new(TlsSetting::CrlPem, Error::InvalidInput));
        }
        let texts = self
            .ca
            .iter()
            .map(|source| source.pem.load().map_err(|e| source.error(e)))
            .collect::<Result<Vec<_>, _>>()?;
        // One call gives nng everything, so which part it refuses is lost,
        // and mbedTLS stops reading certificates at the first text that is
        // not one: with more than one part, each CA text is tried alone first.
        if texts.len() > 1 || !crls.is_empty() {
            for (source, text) in self.ca.iter().zip(&texts) {
                let scratch = TlsConfig::alloc(self.mode)
                    .map_err(|e| TlsConfigError::new(TlsSetting::Alloc, e))?;
                let own_crls = join_crls(std::iter::once(text), &[]);
                scratch
                    .set_ca_chain(text, own_crls.as_deref())
                    .map_err(|e| source.error(e))?;
            }
        }
        let chain = join(texts.iter().map(|t| t.to_bytes()));
        let crl = join_crls(&texts, &crls);
        config.set_ca_chain(&chain, crl.as_deref()).map_err(|e| {
            // Every CA text is fine alone (or is the only part): what is
            // left is a revocation list.
            if crls.is_empty() {
                self.ca[0].error(e)
            } else {
                TlsConfigError::new(TlsSetting::CrlPem, e)
            }
        })
    }
}

/// The revocation lists for nng: as `nng_tls_config_ca_file` does, those in
/// CA text apply, then the ones given to `crl_pem`. `None` without any.
fn join_crls<'a>(
    ca_texts: impl IntoIterator<Item = &'a CString>,
    crls: &[CString],
) -> Option<CString> {
    let parts: Vec<&[u8]> = ca_texts
        .into_iter()
        .flat_map(|t| crl_blocks(t.to_bytes()))
        .chain(crls.iter().map(|c| c.to_bytes()))
        .collect();
    (!parts.is_empty()).then(|| join(parts))
}

/// The revocation lists (PEM blocks) in `text`.
fn crl_blocks(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN X509 CRL-----";
    const END: &[u8] = b"-----END X509 CRL-----";
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = find(rest, BEGIN)?;
        let end = start + find(&rest[start..], END)? + END.len();
        let block = &rest[start..end];
        rest = &rest[end..];
        Some(block)
    })
}

/// PEM texts one after another, each ending its last line. (Nothing more:
/// mbedTLS refuses a revocation list followed by an empty line.)
fn join<'a>(texts: impl IntoIterator<Item = &'a [u8]>) -> CString {
    let mut all = Vec::new();
    for text in texts {
        all.extend_from_slice(text);
        if !text.ends_with(b"\n") {
            all.push(b'\n');
        }
    }
    // The parts come from C strings: no NUL inside.
    CString::new(all).unwrap_or_default()
}

impl std::fmt::Debug for TlsConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let psk_identities: Vec<&str> = self.psks.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("TlsConfigBuilder")
            .field("mode", &self.mode)
            .field("ca_sources", &self.ca.len())
            .field("crls", &self.crls.len())
            .field("server_name", &self.server_name)
            .field("cert_key", &self.cert_key.as_ref().map(CertKey::setting))
            .field("auth_mode", &self.auth_mode)
            .field("versions", &self.versions)
            .field("psk_identities", &psk_identities)
            .finish()
    }
}

/// The nng calls the builder makes, on the configuration it has not handed
/// out yet.
impl TlsConfig {
    fn set_versions(&self, min: TlsVersion, max: TlsVersion) -> Result<()> {
        let raw = |v| match v {
            TlsVersion::Tls12 => ffi::NNG_TLS_1_2,
            TlsVersion::Tls13 => ffi::NNG_TLS_1_3,
        };
        // SAFETY: the config is live; the versions are nng's values.
        cvt(unsafe { ffi::nng_tls_config_version(self.as_ptr(), raw(min), raw(max)) })
    }

    fn set_auth_mode(&self, mode: AuthMode) -> Result<()> {
        let mode = match mode {
            AuthMode::None => ffi::NNG_TLS_AUTH_MODE_NONE,
            AuthMode::Optional => ffi::NNG_TLS_AUTH_MODE_OPTIONAL,
            AuthMode::Required => ffi::NNG_TLS_AUTH_MODE_REQUIRED,
        };
        // SAFETY: the config is live; the mode is one of nng's values.
        cvt(unsafe { ffi::nng_tls_config_auth_mode(self.as_ptr(), mode) })
    }

    fn set_server_name(&self, name: &CStr) -> Result<()> {
        // SAFETY: the config is live; the name is NUL-terminated and copied.
        cvt(unsafe { ffi::nng_tls_config_server_name(self.as_ptr(), name.as_ptr()) })
    }

    fn set_ca_chain(&self, chain: &CStr, crl: Option<&CStr>) -> Result<()> {
        let crl = crl.map_or(std::ptr::null(), CStr::as_ptr);
        // SAFETY: the config is live; the strings are NUL-terminated (the
        // CRL may be NULL) and nng parses them before returning.
        cvt(unsafe { ffi::nng_tls_config_ca_chain(self.as_ptr(), chain.as_ptr(), crl) })
    }

    fn set_own_cert(&self, cert: &CStr, key: &CStr, password: Option<&CStr>) -> Result<()> {
        let password = password.map_or(std::ptr::null(), CStr::as_ptr);
        // SAFETY: the config is live; the strings are NUL-terminated (the
        // password may be NULL, as nng allows) and nng copies or parses them.
        cvt(unsafe {
            ffi::nng_tls_config_own_cert(self.as_ptr(), cert.as_ptr(), key.as_ptr(), password)
        })
    }

    fn add_psk(&self, identity: &CStr, key: &[u8]) -> Result<()> {
        // SAFETY: the config is live; the identity is NUL-terminated; the
        // key is key.len() readable bytes; nng copies both.
        cvt(unsafe {
            ffi::nng_tls_config_psk(self.as_ptr(), identity.as_ptr(), key.as_ptr(), key.len())
        })
    }
}
