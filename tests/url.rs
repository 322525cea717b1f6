//! `Url` over `nng_url`.

use nng::{Error, Url};

#[test]
fn components_of_transport_urls() {
    let u = Url::parse("tcp://127.0.0.1:5555").unwrap();
    assert_eq!(u.scheme(), "tcp");
    assert_eq!(u.host(), Some("127.0.0.1"));
    assert_eq!(u.port(), 5555);
    assert_eq!(u.path(), "");
    assert_eq!(u.query(), None);
    assert_eq!(u.userinfo(), None);

    let u = Url::parse("tls+tcp://[::1]:4433").unwrap();
    assert_eq!(u.scheme(), "tls+tcp");
    assert_eq!(u.host(), Some("::1"));
    assert_eq!(u.port(), 4433);
    assert_eq!(u.to_string(), "tls+tcp://[::1]:4433");

    let u = Url::parse("ipc:///tmp/some.sock").unwrap();
    assert_eq!(u.scheme(), "ipc");
    assert_eq!(u.host(), None);
    assert_eq!(u.port(), 0);
    assert_eq!(u.path(), "/tmp/some.sock");

    let u = Url::parse("inproc://anything goes").unwrap();
    assert_eq!(u.scheme(), "inproc");
    assert_eq!(u.path(), "anything goes");

    let u = Url::parse("ws://user:pw@host.example:8080/p?q=1#f").unwrap();
    assert_eq!(u.userinfo(), Some("user:pw"));
    assert_eq!(u.host(), Some("host.example"));
    assert_eq!(u.port(), 8080);
    assert_eq!(u.path(), "/p");
    assert_eq!(u.query(), Some("q=1"));
    assert_eq!(u.fragment(), Some("f"));
}

#[test]
fn canonical_form_and_equality() {
    let a: Url = "http://Example.Com:80/x/./y/../z".parse().unwrap();
    assert_eq!(a.scheme(), "http");
    assert_eq!(a.host(), Some("example.com"));
    assert_eq!(a.path(), "/x/z");
    let b = Url::try_from("http://example.com/x/z").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.clone(), a);
    assert_eq!(format!("{a:?}"), format!("Url({:?})", a.to_string()));
    assert_ne!(a, Url::parse("http://example.com/x").unwrap());
}

/// Found by the `url` fuzz target: nng 2.0.0's `nng_url_clone` fails for a
/// URL longer than its 128-byte inline buffer; `Clone` must not panic.
#[test]
fn long_urls_clone() {
    let text = format!(
        "ws://user@{}.example:0/{}?q#f",
        "h".repeat(150),
        "p/".repeat(100)
    );
    let mut url = Url::parse(&text).unwrap();
    assert_eq!(url.clone(), url);
    url.resolve_port(4242);
    let copy = url.try_clone().unwrap();
    assert_eq!(copy.port(), 4242);
    assert_eq!(copy.userinfo(), Some("user"));
    assert_eq!(copy, url);
}

#[test]
fn default_ports() {
    assert_eq!(Url::parse("ws://h/").unwrap().port(), 80);
    assert_eq!(Url::parse("wss://h/").unwrap().port(), 443);
}

#[test]
fn bad_urls_are_typed_errors() {
    for bad in ["", "nonsense", "http://host:notaport/", "tcp://a:99999"] {
        assert_eq!(Url::parse(bad).unwrap_err(), Error::InvalidInput, "{bad:?}");
    }
    assert_eq!(Url::parse("tcp://a\0b").unwrap_err(), Error::InvalidInput);
    // nng would take "[" as the host, and print a URL it cannot parse back.
    assert_eq!(
        Url::parse("tls+tcp://[[]:4").unwrap_err(),
        Error::InvalidInput
    );
    assert_eq!(Url::parse("tcp://[::1]:4").unwrap().host(), Some("::1"));
    // Percent-encoded invalid UTF-8 in the path is refused by nng.
    assert_eq!(
        Url::parse("http://h/%ff%fe").unwrap_err(),
        Error::InvalidInput
    );
    // Unknown (and upper-case) schemes.
    assert_eq!(Url::parse("foo://h").unwrap_err(), Error::NotSupported);
    // nng alone would take these as prefixes of "tcp" and "http".
    assert_eq!(Url::parse("tc://h:1").unwrap_err(), Error::NotSupported);
    assert_eq!(Url::parse("://h").unwrap_err(), Error::InvalidInput);
    assert_eq!(Url::parse("TCP://h:1").unwrap_err(), Error::NotSupported);
}

#[test]
fn resolve_port_after_listening_on_zero() {
    let s = nng::Socket::new(nng::Protocol::Rep0).unwrap();
    let l = nng::Listener::new(&s, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let mut url = Url::parse("tcp://127.0.0.1:0").unwrap();
    url.resolve_port(l.port().unwrap().into());
    assert_eq!(url.to_string(), l.url().unwrap());
}

#[test]
fn url_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Url>();
    let u = Url::parse("tcp://127.0.0.1:1").unwrap();
    let s = std::thread::spawn(move || u.to_string()).join().unwrap();
    assert_eq!(s, "tcp://127.0.0.1:1");
}
