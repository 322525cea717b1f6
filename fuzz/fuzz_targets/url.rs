//! URL parsing with arbitrary strings, and dialers/listeners created from them.
//!
//! Properties (from the `Url` docs and nng's URL reference):
//! - parsing gives a `Url` or `InvalidInput` / `NotSupported`, never a panic;
//! - the canonical form (`Display`) parses again to the same URL, field by
//!   field (all but the userinfo, which it leaves out), and formats to the
//!   same text (canonicalisation is idempotent);
//! - `Clone` and `try_clone` are equal to the original;
//! - `resolve_port` fills a zero port only;
//! - `Dialer::new` / `Listener::new` give a handle or a typed error.
//!
//! Nothing is started, so no traffic leaves the process. Listener creation
//! resolves the host (tcp, udp, dtls), so listeners are only created for URLs
//! without a host or with an IP literal: an arbitrary name would be a DNS query.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nng::{Dialer, Error, Listener, Protocol, Socket, Url};
use std::net::IpAddr;
use std::sync::OnceLock;

fn socket() -> &'static Socket {
    static S: OnceLock<Socket> = OnceLock::new();
    S.get_or_init(|| Socket::new(Protocol::Pair1).expect("open socket"))
}

/// The fields of a URL that its canonical form keeps, for comparing two URLs
/// field by field. Not the userinfo: `nng_url_sprintf` leaves it out (so no
/// password is ever printed).
fn fields(
    u: &Url,
) -> (
    String,
    Option<String>,
    u32,
    String,
    Option<String>,
    Option<String>,
) {
    (
        u.scheme().to_owned(),
        u.host().map(str::to_owned),
        u.port(),
        u.path().to_owned(),
        u.query().map(str::to_owned),
        u.fragment().map(str::to_owned),
    )
}

fn check_parsed(s: &str, url: &Url) {
    let text = url.to_string();
    let again = Url::parse(&text)
        .unwrap_or_else(|e| panic!("{s:?} parsed, but its canonical form {text:?} does not: {e}"));
    assert_eq!(
        fields(&again),
        fields(url),
        "{s:?} -> {text:?}: fields changed"
    );
    assert_eq!(again.to_string(), text, "{s:?}: canonical form not stable");
    assert_eq!(&again, url);

    assert_eq!(&url.clone(), url);
    assert_eq!(&url.try_clone().expect("try_clone"), url);
    assert_eq!(format!("{url:?}"), format!("Url({text:?})"));

    let mut resolved = url.clone();
    resolved.resolve_port(4321);
    if url.port() == 0 {
        assert_eq!(resolved.port(), 4321, "{s:?}: zero port not resolved");
    } else {
        assert_eq!(
            &resolved, url,
            "{s:?}: resolve_port changed a non-zero port"
        );
    }
}

/// Whether creating a listener for `url` stays off the network: no host, or
/// an IP literal (no name to resolve).
fn listener_is_local(url: &Url) -> bool {
    match url.host() {
        None | Some("") => true,
        Some(h) => h.parse::<IpAddr>().is_ok(),
    }
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let parsed = Url::parse(&s);
    match &parsed {
        Ok(url) => check_parsed(&s, url),
        Err(Error::InvalidInput | Error::NotSupported) => {}
        Err(e) => panic!("Url::parse({s:?}): unexpected error {e:?}"),
    }

    // A dialer is only created here, never started: no traffic.
    match Dialer::new(socket(), &s) {
        Ok(d) => {
            let text = d.url().expect("a dialer's URL");
            if let Ok(url) = &parsed {
                assert_eq!(text, url.to_string(), "{s:?}: the dialer's URL");
            }
            d.close().expect("closing a dialer");
        }
        Err(_typed) => {}
    }

    if let Ok(url) = &parsed {
        if listener_is_local(url) {
            if let Ok(l) = Listener::new(socket(), &s) {
                assert_eq!(l.url().expect("a listener's URL"), url.to_string(), "{s:?}");
                l.close().expect("closing a listener");
            }
        }
    }
});
