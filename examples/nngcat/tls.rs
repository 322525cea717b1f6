//! The TLS options: `--insecure`, `--cacert`, `--cert`, `--key`, `--pass`,
//! `--psk`, `--psk-identity`, parsed and checked as C nngcat does.

use crate::{fatal, loadfile, once, Opt};
#[cfg(nng_tls)]
use nng::tls::{AuthMode, TlsConfig, TlsConfigBuilder, TlsMode};
use nng::{Dialer, Listener};
#[cfg(nng_tls)]
use nng::{Error, Url};

/// The TLS settings given on the command line.
#[derive(Default)]
pub struct TlsArgs {
    pub insecure: bool,
    pub cacert: Option<Vec<u8>>,
    pub key: Option<Vec<u8>>,
    pub cert: Option<Vec<u8>>,
    pub pass: Option<Vec<u8>>,
    pub psk: Option<Vec<u8>>,
    pub psk_identity: Option<Vec<u8>>,
}

/// PEM text and other TLS strings: nng reads them as C strings.
#[cfg(nng_tls)]
fn text(b: &[u8]) -> nng::Result<&str> {
    std::str::from_utf8(b).map_err(|_| Error::InvalidInput)
}

/// C nngcat's `parsepsk`: a non-empty, even-length hexadecimal string.
fn parse_psk(arg: &[u8]) -> Vec<u8> {
    const BAD: &str = "PSK must be a non-empty hexadecimal string.";
    if arg.is_empty() || arg.len() % 2 != 0 {
        fatal(BAD);
    }
    let hex = |c: u8| (c as char).to_digit(16).unwrap_or_else(|| fatal(BAD)) as u8;
    arg.chunks(2).map(|p| hex(p[0]) << 4 | hex(p[1])).collect()
}

impl TlsArgs {
    /// Takes one TLS option from the command line.
    pub fn parse_opt(&mut self, opt: Opt, arg: &[u8]) {
        match opt {
            Opt::Insecure => self.insecure = true,
            Opt::CaCert => once(
                &mut self.cacert,
                || loadfile(arg),
                "CA Certificate (--cacert) may be specified only once.",
            ),
            Opt::Key => once(
                &mut self.key,
                || loadfile(arg),
                "Key (--key) may be specified only once.",
            ),
            Opt::Pass => once(
                &mut self.pass,
                || arg.to_vec(),
                "Passphrase (--pass) may be specified only once.",
            ),
            Opt::Psk => once(
                &mut self.psk,
                || parse_psk(arg),
                "PSK (--psk) may be specified only once.",
            ),
            Opt::PskIdentity => once(
                &mut self.psk_identity,
                || arg.to_vec(),
                "PSK identity (--psk-identity) may be specified only once.",
            ),
            Opt::Cert => once(
                &mut self.cert,
                || loadfile(arg),
                "Cert (--cert) may be specified only once.",
            ),
            _ => unreachable!("not a TLS option: {opt:?}"),
        }
    }

    /// The cross-option check C makes after parsing.
    pub fn check(&self) {
        if self.psk.is_none() != self.psk_identity.is_none() {
            fatal("Options --psk and --psk-identity must be specified together.");
        }
    }

    /// C nngcat's `configtls`: the options, as settings of an endpoint's
    /// TLS configuration (nng applies them in C's order).
    #[cfg(nng_tls)]
    fn configure(&self, mut tls: TlsConfigBuilder) -> nng::Result<TlsConfigBuilder> {
        if self.insecure {
            tls = tls.auth_mode(AuthMode::None);
        }
        if let Some(cert) = &self.cert {
            let key = self.key.as_ref().unwrap_or(cert);
            tls = match self.pass.as_deref().map(text).transpose()? {
                Some(pass) => tls.cert_key_pem_encrypted(text(cert)?, text(key)?, pass),
                None => tls.cert_key_pem(text(cert)?, text(key)?),
            };
        }
        if let Some(ca) = &self.cacert {
            tls = tls.ca_pem(text(ca)?);
        }
        if let (Some(psk), Some(id)) = (&self.psk, &self.psk_identity) {
            tls = tls.psk(text(id)?, psk);
        }
        Ok(tls)
    }

    /// C nngcat configures the endpoint's own TLS configuration, which the
    /// safe API does not hand out; a fresh one with the same defaults is
    /// built and installed instead. A default configuration installed first
    /// tells whether the transport has TLS at all (as `nng_*_get_tls` does in
    /// C), so TLS options are ignored for other transports just like there.
    /// `set` installs a configuration on the endpoint.
    #[cfg(nng_tls)]
    fn apply(&self, mode: TlsMode, url: &str, set: impl Fn(&TlsConfig) -> nng::Result<()>) {
        let fresh = match mode {
            TlsMode::Client => TlsConfig::client(),
            TlsMode::Server => TlsConfig::server(),
        };
        let default = fresh
            .build()
            .unwrap_or_else(|e| fatal(format_args!("Unable to get TLS config: {}", e.error)));
        match set(&default) {
            Ok(()) => {}
            Err(Error::NotSupported) => return,
            Err(e) => fatal(format_args!("Unable to get TLS config: {e}")),
        }
        let configured = self
            .configure(Self::server_name(url, fresh))
            .and_then(|tls| Ok(tls.build()?))
            .and_then(|tls| set(&tls));
        if let Err(e) = configured {
            fatal(format_args!("Unable to configure TLS: {e}"));
        }
    }

    /// A dialer's default configuration verifies the server against the URL's
    /// host name (nng's `tls_dialer` sets it); do the same.
    #[cfg(nng_tls)]
    fn server_name(url: &str, tls: TlsConfigBuilder) -> TlsConfigBuilder {
        match Url::parse(url) {
            Ok(u) if tls.mode() == TlsMode::Client => match u.host() {
                Some(host) if !host.is_empty() => tls.server_name(host),
                _ => tls,
            },
            _ => tls,
        }
    }

    /// Configures a dialer's TLS; nothing for transports without TLS.
    pub fn apply_dialer(&self, d: &Dialer, url: &str) {
        #[cfg(nng_tls)]
        self.apply(TlsMode::Client, url, |tls| d.set_tls(tls));
        // Without TLS support no transport has TLS: nothing to configure.
        #[cfg(not(nng_tls))]
        let _ = (d, url);
    }

    /// Configures a listener's TLS; nothing for transports without TLS.
    pub fn apply_listener(&self, l: &Listener, url: &str) {
        #[cfg(nng_tls)]
        self.apply(TlsMode::Server, url, |tls| l.set_tls(tls));
        #[cfg(not(nng_tls))]
        let _ = (l, url);
    }
}
