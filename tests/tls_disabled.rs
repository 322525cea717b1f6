//! Without the `tls` feature, TLS URLs are a clear typed error.
#![cfg(not(nng_tls))]

use nng::{Dialer, Error, Listener, Protocol, Socket};

#[test]
fn tls_urls_are_not_supported_without_the_feature() {
    let s = Socket::new(Protocol::Req0).unwrap();
    for url in ["tls+tcp://127.0.0.1:4433", "wss://127.0.0.1:4433/x"] {
        assert_eq!(
            Dialer::new(&s, url).unwrap_err(),
            Error::NotSupported,
            "{url}"
        );
        assert_eq!(
            Listener::new(&s, url).unwrap_err(),
            Error::NotSupported,
            "{url}"
        );
        assert_eq!(s.dial(url).unwrap_err(), Error::NotSupported, "{url}");
    }
    // Plain TCP still works.
    Listener::new(&s, "tcp://127.0.0.1:0").unwrap();
}
