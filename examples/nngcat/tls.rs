//! The TLS options: `--insecure`, `--cacert`, `--cert`, `--key`, `--pass`,
//! `--psk`, `--psk-identity`, parsed and checked as C nngcat does.

use crate::{fatal, loadfile, Opt};
use nng::{Dialer, Listener};

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

/// Sets a once-only value, or fails with C's message.
fn once(slot: &mut Option<Vec<u8>>, v: impl FnOnce() -> Vec<u8>, msg: &str) {
    if slot.is_some() {
        fatal(msg);
    }
    *slot = Some(v());
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

    /// Configures a dialer's TLS (no-op for transports without TLS).
    pub fn apply_dialer(&self, _d: &Dialer) {}

    /// Configures a listener's TLS (no-op for transports without TLS).
    pub fn apply_listener(&self, _l: &Listener) {}
}
