//! TLS over tls+tcp and wss, with certificates generated at run time (rcgen).
#![cfg(nng_tls)]

use nng::options::{RecvTimeout, SendTimeout};
use nng::tls::{AuthMode, TlsCert, TlsConfig, TlsConfigBuilder, TlsSetting, TlsVersion};
use nng::{Dialer, Error, Listener, Protocol, Socket};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::scaled;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `f` on another thread and fails the test if it takes longer than
/// 30 s ([`scaled`]): a failed handshake must never hang.
fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(scaled(Duration::from_secs(30)))
        .expect("operation hung (or panicked)")
}

/// A CA, and leaf certificates it signs.
struct Ca {
    params: CertificateParams,
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.clone().self_signed(&key).unwrap();
        Ca { params, cert, key }
    }

    fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf for `cn` with `names` as alt names: (cert PEM, key PEM).
    fn leaf(&self, cn: &str, names: &[&str]) -> (String, String) {
        self.leaf_with(cn, names, |_| {})
    }

    fn leaf_with(
        &self,
        cn: &str,
        names: &[&str],
        tweak: impl FnOnce(&mut CertificateParams),
    ) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        tweak(&mut params);
        let key = KeyPair::generate().unwrap();
        let issuer = self.params.clone().self_signed(&self.key).unwrap();
        let cert = params.signed_by(&key, &issuer, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A server presenting `cert` (cert PEM, key PEM), to add settings to.
fn server_builder(cert: &(String, String)) -> TlsConfigBuilder {
    TlsConfig::server().cert_key_pem(&cert.0, &cert.1)
}

fn server_config(cert: &(String, String)) -> TlsConfig {
    server_builder(cert).build().unwrap()
}

/// A client trusting `ca_pem` and expecting `server_name`, to add settings to.
fn client_builder(ca_pem: &str, server_name: &str) -> TlsConfigBuilder {
    TlsConfig::client().ca_pem(ca_pem).server_name(server_name)
}

fn client_config(ca_pem: &str, server_name: &str) -> TlsConfig {
    client_builder(ca_pem, server_name).build().unwrap()
}

fn socket(p: Protocol) -> Socket {
    let s = Socket::new(p).unwrap();
    s.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    s.set_opt::<SendTimeout>(Some(scaled(TIMEOUT))).unwrap();
    s
}

/// Starts a listener on `scheme` (tls+tcp or wss) at 127.0.0.1 port 0 and
/// returns it with the URL a dialer should use.
fn listen(s: &Socket, scheme: &str, cfg: &TlsConfig) -> (Listener, String) {
    let path = if scheme == "wss" { "/nng" } else { "" };
    let l = s
        .listener_tls(&format!("{scheme}://127.0.0.1:0{path}"), cfg)
        .unwrap();
    l.start().unwrap();
    let url = format!("{scheme}://127.0.0.1:{}{path}", l.port().unwrap());
    (l, url)
}

fn dial(s: &Socket, url: &str, cfg: &TlsConfig) -> nng::Result<Dialer> {
    let d = s.dialer_tls(url, cfg)?;
    d.start()?;
    Ok(d)
}

/// A request/reply round trip; returns the request as the server saw it and
/// the reply as the client saw it.
fn round_trip(req: &Socket, rep: &Socket) -> (nng::Message, nng::Message) {
    req.send(b"ping").unwrap();
    let request = rep.recv().unwrap();
    assert_eq!(request.as_slice(), b"ping");
    rep.send(b"pong").unwrap();
    let reply = req.recv().unwrap();
    assert_eq!(reply.as_slice(), b"pong");
    (request, reply)
}

fn reqrep_ok(scheme: &'static str) {
    bounded(move || {
        let ca = Ca::new("test CA");
        let server_cert = ca.leaf("server", &["localhost"]);
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, scheme, &server_config(&server_cert));
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client_config(&ca.pem(), "localhost")).unwrap();
        let (_, reply) = round_trip(&req, &rep);
        let pipe = reply.pipe().unwrap();
        let cert = pipe.peer_cert().unwrap();
        assert_eq!(cert.common_name(), Some("server"));
        assert_eq!(cert.alt_names(), ["localhost"]);
        assert!(cert.issuer().contains("CN=test CA"), "{}", cert.issuer());
        assert!(pipe.peer_verified().unwrap());
    })
}

#[test]
fn reqrep_over_tls_tcp() {
    reqrep_ok("tls+tcp");
}

#[test]
fn reqrep_over_wss() {
    reqrep_ok("wss");
}

fn pubsub_ok(scheme: &'static str) {
    bounded(move || {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let pem = ck.cert.pem();
        let server = server_config(&(pem.clone(), ck.key_pair.serialize_pem()));
        let publisher = socket(Protocol::Pub0);
        let (_l, url) = listen(&publisher, scheme, &server);
        let sub = socket(Protocol::Sub0);
        sub.subscribe(b"news").unwrap();
        sub.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))
            .unwrap();
        let _d = dial(&sub, &url, &client_config(&pem, "localhost")).unwrap();
        // The subscription reaches the publisher asynchronously: publish until
        // one arrives, for at most 10 s.
        for _ in 0..50 {
            publisher.send(b"sports: skip me").unwrap();
            publisher.send(b"news: hello").unwrap();
            match sub.recv() {
                Ok(m) => {
                    assert_eq!(m.as_slice(), b"news: hello");
                    return;
                }
                Err(Error::TimedOut) => continue,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("no message arrived over {scheme}");
    })
}

#[test]
fn pubsub_over_tls_tcp() {
    pubsub_ok("tls+tcp");
}

#[test]
fn pubsub_over_wss() {
    pubsub_ok("wss");
}

/// Dials with `client` to a server using `server`; asserts the dial fails with
/// a typed error and that no message gets through. Returns the error.
fn refused(scheme: &'static str, server: TlsConfig, client: TlsConfig) -> Error {
    bounded(move || {
        let rep = socket(Protocol::Rep0);
        rep.set_opt::<RecvTimeout>(Some(Duration::from_millis(300)))
            .unwrap();
        let (_l, url) = listen(&rep, scheme, &server);
        let req = socket(Protocol::Req0);
        req.set_opt::<SendTimeout>(Some(Duration::from_millis(300)))
            .unwrap();
        let err = dial(&req, &url, &client).expect_err("the handshake must fail");
        let _ = req.send(b"secret"); // queued at most: there is no pipe
        assert_eq!(rep.recv().unwrap_err(), Error::TimedOut);
        err
    })
}

/// The errors a refused handshake may give, depending on which side noticed.
fn assert_auth_error(e: Error) {
    eprintln!("refused with {e:?}");
    assert!(
        matches!(
            e,
            Error::PeerAuth | Error::Crypto | Error::ConnectionShutdown | Error::ConnectionReset
        ),
        "unexpected error {e:?}"
    );
}

fn wrong_ca(scheme: &'static str) -> Error {
    let ca = Ca::new("real CA");
    let other = Ca::new("other CA");
    let server = server_config(&ca.leaf("server", &["localhost"]));
    refused(scheme, server, client_config(&other.pem(), "localhost"))
}

#[test]
fn wrong_ca_is_refused_tls_tcp() {
    // mbedTLS (2.28 and 3.6) and OpenSSL report a failed certificate
    // verification as an X.509 error, which nng maps to NNG_ECRYPTO.
    assert_eq!(wrong_ca("tls+tcp"), Error::Crypto);
}

#[test]
fn wrong_ca_is_refused_wss() {
    assert_eq!(wrong_ca("wss"), Error::Crypto);
}

fn expired(scheme: &'static str) -> Error {
    let ca = Ca::new("CA");
    let server = server_config(&ca.leaf_with("server", &["localhost"], |p| {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }));
    refused(scheme, server, client_config(&ca.pem(), "localhost"))
}

#[test]
fn expired_certificate_is_refused_tls_tcp() {
    assert_eq!(expired("tls+tcp"), Error::Crypto);
}

#[test]
fn expired_certificate_is_refused_wss() {
    assert_eq!(expired("wss"), Error::Crypto);
}

fn wrong_name(scheme: &'static str) -> Error {
    let ca = Ca::new("CA");
    let server = server_config(&ca.leaf("server", &["localhost"]));
    refused(scheme, server, client_config(&ca.pem(), "other.example"))
}

#[test]
fn wrong_server_name_is_refused_tls_tcp() {
    assert_eq!(wrong_name("tls+tcp"), Error::Crypto);
}

#[test]
fn wrong_server_name_is_refused_wss() {
    assert_eq!(wrong_name("wss"), Error::Crypto);
}

/// A listener of `server_scheme` and a dialer of `client_scheme` where one
/// speaks TLS and the other plaintext: the dial fails with a typed error
/// (returned), nothing gets through, and the listener still serves a client
/// of its own kind afterwards.
fn mismatched(server_scheme: &'static str, client_scheme: &'static str) -> Error {
    bounded(move || {
        let is_tls = |scheme: &str| scheme == "tls+tcp" || scheme == "wss";
        let path = if server_scheme.starts_with("ws") {
            "/nng"
        } else {
            ""
        };
        let ca = Ca::new("CA");
        let rep = socket(Protocol::Rep0);
        rep.set_opt::<RecvTimeout>(Some(Duration::from_millis(300)))
            .unwrap();
        let l = Listener::new(&rep, &format!("{server_scheme}://127.0.0.1:0{path}")).unwrap();
        if is_tls(server_scheme) {
            l.set_tls(&server_config(&ca.leaf("server", &["localhost"])))
                .unwrap();
        }
        l.start().unwrap();
        let port = l.port().unwrap();
        let client = |scheme: &str| {
            let req = socket(Protocol::Req0);
            let d = Dialer::new(&req, &format!("{scheme}://127.0.0.1:{port}{path}")).unwrap();
            if is_tls(scheme) {
                d.set_tls(&client_config(&ca.pem(), "localhost")).unwrap();
            }
            let started = d.start();
            (req, d, started)
        };

        let (req, _d, started) = client(client_scheme);
        let err = started.expect_err("a TLS/plaintext mismatch must not connect");
        req.set_opt::<SendTimeout>(Some(Duration::from_millis(300)))
            .unwrap();
        let _ = req.send(b"secret"); // queued at most: there is no pipe
        assert_eq!(rep.recv().unwrap_err(), Error::TimedOut);

        let (good, _d, started) = client(server_scheme);
        started.unwrap();
        rep.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
        round_trip(&good, &rep);
        eprintln!("{client_scheme} client to {server_scheme} listener: {err:?}");
        err
    })
}

#[test]
fn plaintext_client_to_tls_listener_is_refused() {
    assert_eq!(mismatched("tls+tcp", "tcp"), Error::ConnectionShutdown);
    assert_eq!(mismatched("wss", "ws"), Error::ConnectionShutdown);
}

#[test]
fn tls_client_to_plaintext_listener_is_refused() {
    assert_eq!(mismatched("tcp", "tls+tcp"), Error::Crypto);
    assert_eq!(mismatched("ws", "wss"), Error::ConnectionShutdown);
}

fn mutual(scheme: &'static str) {
    let server_ca = Ca::new("server CA");
    let client_ca = Ca::new("client CA");
    let server_cert = server_ca.leaf("server", &["localhost"]);
    let server = || {
        server_builder(&server_cert)
            .ca_pem(&client_ca.pem())
            .auth_mode(AuthMode::Required)
            .build()
            .unwrap()
    };

    // A client with a certificate from the CA the server trusts gets in, and
    // the server sees who it is.
    let (cert, key) = client_ca.leaf("alice", &["alice.example"]);
    let client = client_builder(&server_ca.pem(), "localhost")
        .cert_key_pem(&cert, &key)
        .build()
        .unwrap();
    let server_cfg = server();
    bounded(move || {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, scheme, &server_cfg);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        let (request, _) = round_trip(&req, &rep);
        let pipe = request.pipe().unwrap();
        let peer = pipe.peer_cert().unwrap();
        assert_eq!(peer.common_name(), Some("alice"));
        assert!(peer.subject().contains("CN=alice"));
        assert!(pipe.peer_verified().unwrap());
    });

    // Without a certificate: refused.
    let e = refused(
        scheme,
        server(),
        client_config(&server_ca.pem(), "localhost"),
    );
    assert_auth_error(e);

    // With a certificate from a CA the server does not trust: refused.
    let (cert, key) = Ca::new("rogue CA").leaf("mallory", &[]);
    let client = client_builder(&server_ca.pem(), "localhost")
        .cert_key_pem(&cert, &key)
        .build()
        .unwrap();
    assert_auth_error(refused(scheme, server(), client));
}

#[test]
fn mutual_tls_tcp() {
    mutual("tls+tcp");
}

#[test]
fn mutual_wss() {
    mutual("wss");
}

#[test]
fn optional_client_auth_reports_unverified_peer() {
    bounded(|| {
        let ca = Ca::new("CA");
        let server = server_builder(&ca.leaf("server", &["localhost"]))
            .ca_pem(&ca.pem())
            .auth_mode(AuthMode::Optional)
            .build()
            .unwrap();
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client_config(&ca.pem(), "localhost")).unwrap();
        let (request, _) = round_trip(&req, &rep);
        let pipe = request.pipe().unwrap();
        assert!(!pipe.peer_verified().unwrap());
        assert_eq!(pipe.peer_cert().unwrap_err(), Error::EntryNotFound);
    })
}

#[test]
fn one_config_shared_by_several_endpoints() {
    bounded(|| {
        let ca = Ca::new("CA");
        let server = server_config(&ca.leaf("server", &["localhost"]));
        let client = client_config(&ca.pem(), "localhost");
        let rep = socket(Protocol::Rep0);
        let (_l1, url1) = listen(&rep, "tls+tcp", &server);
        let (_l2, url2) = listen(&rep, "wss", &server);
        for url in [url1, url2] {
            let req = socket(Protocol::Req0);
            let _d = dial(&req, &url, &client).unwrap();
            round_trip(&req, &rep);
        }
        // A built configuration has no setters at all (a compile_fail
        // doctest on TlsConfig pins it): nothing can change it while in use.
    })
}

#[test]
fn config_outlives_its_handle() {
    bounded(|| {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let pem = ck.cert.pem();
        let rep = socket(Protocol::Rep0);
        // The TlsConfig values are dropped right after set_tls: the endpoints
        // keep theirs.
        let (_l, url) = listen(
            &rep,
            "tls+tcp",
            &server_config(&(pem.clone(), ck.key_pair.serialize_pem())),
        );
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client_config(&pem, "localhost")).unwrap();
        round_trip(&req, &rep);
    })
}

#[test]
fn pre_shared_keys() {
    bounded(|| {
        let key = [7u8; 32];
        let server = TlsConfig::server()
            .psk("other", &[1u8; 32])
            .psk("client-1", &key)
            .build()
            .unwrap();
        let client = TlsConfig::client().psk("client-1", &key).build().unwrap();
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        round_trip(&req, &rep);

        // A wrong key is refused, and so is an identity the server lacks.
        let wrong = TlsConfig::client()
            .psk("client-1", &[9u8; 32])
            .build()
            .unwrap();
        refused("tls+tcp", server.clone(), wrong);
        let stranger = TlsConfig::client().psk("client-2", &key).build().unwrap();
        refused("tls+tcp", server, stranger);
    })
}

/// The engine this build links speaks TLS 1.3, except mbedTLS 2.28.
fn has_tls13() -> bool {
    !nng::tls::BUILT_ENGINE_VERSION.starts_with("2.")
}

#[test]
fn versions_follow_the_engine() {
    assert!(
        nng::tls::engine_name().eq_ignore_ascii_case(nng::tls::BUILT_ENGINE),
        "{} vs {}",
        nng::tls::engine_name(),
        nng::tls::BUILT_ENGINE
    );
    let version = nng::tls::BUILT_ENGINE_VERSION;
    assert!(
        nng::tls::engine_description().contains(version),
        "{} does not name {version}",
        nng::tls::engine_description()
    );
    let versions = |min, max| {
        TlsConfig::client()
            .versions(min, max)
            .build()
            .map(drop)
            .map_err(|e| {
                assert_eq!(e.setting, TlsSetting::Versions);
                e.error
            })
    };
    assert_eq!(
        versions(TlsVersion::Tls13, TlsVersion::Tls12),
        Err(Error::NotSupported)
    );
    versions(TlsVersion::Tls12, TlsVersion::Tls13).unwrap();
    versions(TlsVersion::Tls12, TlsVersion::Tls12).unwrap();
    let tls13_only = versions(TlsVersion::Tls13, TlsVersion::Tls13);
    if has_tls13() {
        tls13_only.unwrap();
    } else {
        assert_eq!(tls13_only, Err(Error::NotSupported));
    }
}

#[cfg(nng_tls_engine = "mbed")]
#[test]
fn the_default_engine_is_mbedtls_3_6() {
    if cfg!(feature = "tls-mbedtls-2") {
        return; // that feature replaces the default engine, tested above
    }
    assert!(
        nng::tls::BUILT_ENGINE_VERSION.starts_with("3.6."),
        "{}",
        nng::tls::BUILT_ENGINE_VERSION
    );
    assert!(nng::tls::engine_description().contains("3.6"));
}

#[test]
fn tls13_only_on_both_sides_talks() {
    if !has_tls13() {
        return; // mbedTLS 2.28: versions_follow_the_engine pins NotSupported
    }
    let ca = Ca::new("CA");
    let server = server_builder(&ca.leaf("server", &["localhost"]))
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .build()
        .unwrap();
    let client = client_builder(&ca.pem(), "localhost")
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .build()
        .unwrap();
    for scheme in ["tls+tcp", "wss"] {
        let (server, client) = (server.clone(), client.clone());
        bounded(move || {
            let rep = socket(Protocol::Rep0);
            let (_l, url) = listen(&rep, scheme, &server);
            let req = socket(Protocol::Req0);
            let _d = dial(&req, &url, &client).unwrap();
            round_trip(&req, &rep);
        });
    }
}

#[test]
fn a_tls13_only_client_is_refused_by_a_tls12_only_server() {
    if !has_tls13() {
        return;
    }
    let ca = Ca::new("CA");
    let server = server_builder(&ca.leaf("server", &["localhost"]))
        .versions(TlsVersion::Tls12, TlsVersion::Tls12)
        .build()
        .unwrap();
    let client = client_builder(&ca.pem(), "localhost")
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .build()
        .unwrap();
    let e = refused("tls+tcp", server, client);
    assert!(
        matches!(
            e,
            Error::Crypto | Error::ConnectionShutdown | Error::ConnectionReset | Error::PeerAuth
        ),
        "{e:?}"
    );
}

#[test]
fn bad_key_material_is_a_typed_error() {
    let ck = rcgen::generate_simple_self_signed(vec!["x".to_string()]).unwrap();
    let e = TlsConfig::server()
        .cert_key_pem(
            &ck.cert.pem(),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .build()
        .unwrap_err();
    assert_eq!(e.setting, TlsSetting::CertKeyPem);
    assert!(
        matches!(e.error, Error::Crypto | Error::InvalidInput),
        "{e}"
    );
    let e = TlsConfig::client().ca_pem("garbage").build().unwrap_err();
    assert_eq!((e.setting, e.error), (TlsSetting::CaPem, Error::Crypto));
    let e = TlsConfig::client()
        .ca_pem("nul\0inside")
        .build()
        .unwrap_err();
    assert_eq!(
        (e.setting, e.error),
        (TlsSetting::CaPem, Error::InvalidInput)
    );
    let e = TlsConfig::client()
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert_eq!(
        (e.setting, e.error),
        (TlsSetting::CaFile, Error::EntryNotFound)
    );
    let e = TlsConfig::server()
        .cert_key_file("/nonexistent/cert.pem")
        .build()
        .unwrap_err();
    assert_eq!(
        (e.setting, e.error),
        (TlsSetting::CertKeyFile, Error::EntryNotFound)
    );
    assert!(TlsCert::from_pem("garbage").is_err());
    assert!(TlsCert::from_der(&[1, 2, 3]).is_err());
}

#[test]
fn files_and_parsed_certificates() {
    let ca = Ca::new("file CA");
    let (cert, key) = ca.leaf("filed", &["localhost", "127.0.0.1.example"]);
    let dir = std::env::temp_dir().join(format!("nng-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let both = dir.join("server.pem");
    std::fs::write(&both, format!("{cert}{key}")).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let server = TlsConfig::server().cert_key_file(&both).build().unwrap();
    let client = TlsConfig::client()
        .ca_file(&ca_file)
        .server_name("localhost")
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let parsed = TlsCert::from_pem(&cert).unwrap();
    assert_eq!(parsed.common_name(), Some("filed"));
    assert_eq!(parsed.alt_names(), ["localhost", "127.0.0.1.example"]);
    assert!(!parsed.serial_number().is_empty());
    assert_eq!(TlsCert::from_der(parsed.der()).unwrap(), parsed);

    bounded(move || {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        let (_, reply) = round_trip(&req, &rep);
        assert_eq!(reply.pipe().unwrap().peer_cert().unwrap(), parsed);
    })
}

#[test]
fn certificate_validity_dates() {
    let ca = Ca::new("CA");
    let (cert, _) = ca.leaf_with("dated", &[], |p| {
        p.not_before = rcgen::date_time_ymd(2020, 2, 29);
        p.not_after = rcgen::date_time_ymd(2040, 12, 31);
    });
    let c = TlsCert::from_pem(&cert).unwrap();
    let secs =
        |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(secs(c.not_before()), 1_582_934_400); // 2020-02-29T00:00:00Z
    assert_eq!(secs(c.not_after()), 2_240_524_800); // 2040-12-31T00:00:00Z
}

#[test]
fn tls_on_a_plain_transport_is_not_supported() {
    let s = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&s, "tcp://127.0.0.1:1").unwrap();
    let cfg = TlsConfig::client().build().unwrap();
    assert_eq!(d.set_tls(&cfg), Err(Error::NotSupported));
    let l = Listener::new(&s, &common::ipc_url("tls-not-here")).unwrap();
    let server = TlsConfig::server().build().unwrap();
    assert_eq!(l.set_tls(&server), Err(Error::NotSupported));
}

#[test]
fn config_moves_to_and_is_used_from_another_thread() {
    fn check<T: Send + Sync>() {}
    check::<TlsConfig>();
    check::<TlsCert>();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let pem = ck.cert.pem();
    let server = server_config(&(pem.clone(), ck.key_pair.serialize_pem()));
    let client = client_config(&pem, "localhost");
    let rep = socket(Protocol::Rep0);
    let (_l, url) = listen(&rep, "tls+tcp", &server);
    drop(server); // the listener keeps its own reference
    let remote = client.clone();
    let req = bounded(move || {
        let req = socket(Protocol::Req0);
        req.dial_tls(&url, &remote).unwrap();
        drop(remote); // dropped on this thread, still held by the dialer
        req
    });
    drop(client);
    round_trip(&req, &rep);
}

#[test]
fn revoked_certificate_is_refused_with_a_crl() {
    use rcgen::{
        CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams,
        SerialNumber,
    };
    let ca = Ca::new("CA with CRL");
    let revoked_leaf = |serial: u64| {
        ca.leaf_with("server", &["localhost"], |p| {
            p.serial_number = Some(SerialNumber::from(serial))
        })
    };
    let crl = CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2020, 1, 1),
        next_update: rcgen::date_time_ymd(2099, 1, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(42u64),
            revocation_time: rcgen::date_time_ymd(2021, 1, 1),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&ca.cert, &ca.key)
    .unwrap()
    .pem()
    .unwrap();
    let client_with_crl = || {
        client_builder(&ca.pem(), "localhost")
            .crl_pem(&crl)
            .build()
            .unwrap()
    };

    // Serial 42 is revoked: refused.
    let e = refused(
        "tls+tcp",
        server_config(&revoked_leaf(42)),
        client_with_crl(),
    );
    assert_eq!(e, Error::Crypto);

    // Serial 43 is not: accepted under the same CRL.
    let server = server_config(&revoked_leaf(43));
    let client = client_with_crl();
    bounded(move || {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        round_trip(&req, &rep);
    });
}

/// Encrypts a PKCS#8 PEM key with `pass` using the `openssl` command
/// (`.ci/setup.sh` installs it): with no cipher options, OpenSSL 3's default
/// (PBES2, AES-256-CBC, PBKDF2 with HMAC-SHA256); with `legacy`, Triple DES
/// and HMAC-SHA1, which mbedTLS 2.28 also reads.
fn encrypt_key(key_pem: &str, pass: &str, legacy: bool) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("openssl");
    cmd.args(["pkcs8", "-topk8"]);
    if legacy {
        cmd.args(["-v2", "des3", "-v2prf", "hmacWithSHA1"]);
    }
    let mut child = cmd
        .arg("-passout")
        .arg(format!("pass:{pass}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the openssl command (.ci/setup.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key_pem.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl pkcs8 failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the `openssl` command to encrypt the key; the Windows run (wine) has none"
)]
fn encrypted_private_key_with_passphrase() {
    // OpenSSL 3's default format where the engine reads it; mbedTLS 2.28
    // cannot decrypt AES-encrypted PKCS#8, so it gets the legacy one.
    let legacy = !has_tls13();
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf("server", &["localhost"]);
    let encrypted = encrypt_key(&key, "correct horse", legacy);
    assert!(encrypted.contains("ENCRYPTED PRIVATE KEY"));

    let e = TlsConfig::server()
        .cert_key_pem_encrypted(&cert, &encrypted, "wrong")
        .build()
        .unwrap_err();
    assert_eq!(e.setting, TlsSetting::CertKeyPem);
    assert!(
        matches!(e.error, Error::Crypto | Error::InvalidInput),
        "{e}"
    );
    let e = TlsConfig::server()
        .cert_key_pem(&cert, &encrypted) // no password
        .build()
        .unwrap_err();
    assert_eq!(e.setting, TlsSetting::CertKeyPem);

    let server = TlsConfig::server()
        .cert_key_pem_encrypted(&cert, &encrypted, "correct horse")
        .build()
        .unwrap();
    let client = client_config(&ca.pem(), "localhost");
    bounded(move || {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        round_trip(&req, &rep);
    });
}

#[test]
fn mode_must_match_the_endpoint() {
    let s = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&s, "tls+tcp://127.0.0.1:1").unwrap();
    let l = Listener::new(&s, "tls+tcp://127.0.0.1:0").unwrap();
    let client = TlsConfig::client().build().unwrap();
    let server = TlsConfig::server().build().unwrap();
    assert_eq!(d.set_tls(&server), Err(Error::InvalidInput));
    assert_eq!(l.set_tls(&client), Err(Error::InvalidInput));
    d.set_tls(&client).unwrap();
    l.set_tls(&server).unwrap();
    // The one-call forms check the same, before anything starts.
    for url in ["tls+tcp://127.0.0.1:1", "wss://127.0.0.1:1/x"] {
        assert_eq!(s.dial_tls(url, &server), Err(Error::InvalidInput));
        assert_eq!(s.dialer_tls(url, &server).unwrap_err(), Error::InvalidInput);
    }
    for url in ["tls+tcp://127.0.0.1:0", "wss://127.0.0.1:0/x"] {
        assert_eq!(s.listen_tls(url, &client), Err(Error::InvalidInput));
        assert_eq!(
            s.listener_tls(url, &client).unwrap_err(),
            Error::InvalidInput
        );
    }
}

#[test]
fn set_tls_after_start_is_busy() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server = server_config(&(ck.cert.pem(), ck.key_pair.serialize_pem()));
    let s = Socket::new(Protocol::Rep0).unwrap();
    let (l, _) = listen(&s, "tls+tcp", &server);
    assert_eq!(l.set_tls(&server), Err(Error::Busy));
}

#[test]
fn no_certificate_on_a_plain_tcp_pipe() {
    let rep = socket(Protocol::Rep0);
    let l = Listener::new(&rep, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let req = socket(Protocol::Req0);
    req.dial(&format!("tcp://127.0.0.1:{}", l.port().unwrap()))
        .unwrap();
    let (request, _) = round_trip(&req, &rep);
    let pipe = request.pipe().unwrap();
    assert_eq!(pipe.peer_cert().unwrap_err(), Error::NotSupported);
    assert!(pipe.peer_verified().is_err());
}

#[test]
fn certificate_without_subject_or_cn() {
    let ca = Ca::new("CA");
    let (cert, _) = ca.leaf_with("unused", &["only-a-san.example"], |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
    });
    let c = TlsCert::from_pem(&cert).unwrap();
    assert_eq!(c.subject(), "");
    assert_eq!(c.common_name(), None);
    assert_eq!(c.alt_names(), ["only-a-san.example"]);
    assert!(c.issuer().contains("CN=CA"));
}

/// A TCP port that was free a moment ago (the system picked it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `listen_tls` on a fixed port: it has no port-0 answer. Another process
/// may take a free port before it is bound, so a few are tried.
fn listen_tls_somewhere(rep: &Socket, scheme: &str, server: &TlsConfig) -> String {
    let path = if scheme == "wss" { "/nng" } else { "" };
    for _ in 0..5 {
        let url = format!("{scheme}://127.0.0.1:{}{path}", free_port());
        match rep.listen_tls(&url, server) {
            Ok(()) => return url,
            Err(Error::AddressInUse) => continue,
            Err(e) => panic!("listen_tls {url}: {e}"),
        }
    }
    panic!("no free port for listen_tls");
}

#[test]
fn listen_tls_and_dial_tls_round_trip() {
    for scheme in ["tls+tcp", "wss"] {
        bounded(move || {
            let ca = Ca::new("CA");
            let server = server_config(&ca.leaf("server", &["localhost"]));
            let rep = socket(Protocol::Rep0);
            let url = listen_tls_somewhere(&rep, scheme, &server);
            let req = socket(Protocol::Req0);
            req.dial_tls(&url, &client_config(&ca.pem(), "localhost"))
                .unwrap();
            let (_, reply) = round_trip(&req, &rep);
            assert!(reply.pipe().unwrap().peer_verified().unwrap());
            // Both endpoints live on with their sockets: a second exchange.
            round_trip(&req, &rep);
            // The listener is still bound: another listen on it is refused.
            // (wss listeners on one address share nng's HTTP server, whose
            // TLS cannot change once it runs: Busy.)
            let in_use = if scheme == "wss" {
                Error::Busy
            } else {
                Error::AddressInUse
            };
            assert_eq!(rep.listen_tls(&url, &server), Err(in_use));
        })
    }
}

#[test]
fn listen_tls_and_dial_tls_refuse_urls_without_tls() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server = server_config(&(ck.cert.pem(), ck.key_pair.serialize_pem()));
    let client = client_config(&ck.cert.pem(), "localhost");
    let s = socket(Protocol::Pair1);
    let plain = [
        format!("tcp://127.0.0.1:{}", free_port()),
        format!("ws://127.0.0.1:{}/x", free_port()),
        common::ipc_url("tls-plain"),
        format!("inproc://{}", common::unique("tls-plain")),
    ];
    for url in &plain {
        assert_eq!(
            s.listen_tls(url, &server),
            Err(Error::NotSupported),
            "{url}"
        );
        assert_eq!(s.dial_tls(url, &client), Err(Error::NotSupported), "{url}");
        assert_eq!(
            s.listener_tls(url, &server).unwrap_err(),
            Error::NotSupported
        );
        assert_eq!(s.dialer_tls(url, &client).unwrap_err(), Error::NotSupported);
    }
    // Nothing was left behind: the same URLs work without TLS.
    for url in &plain[..2] {
        s.listen(url).unwrap();
    }
    assert_eq!(
        s.listen_tls("nonsense://x", &server),
        Err(Error::NotSupported)
    );
    assert_eq!(
        s.dial_tls("tls+tcp://[::1", &client),
        Err(Error::InvalidInput)
    );
}

#[test]
fn listen_tls_on_a_port_in_use_leaves_nothing_behind() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let server = server_config(&(ck.cert.pem(), ck.key_pair.serialize_pem()));
    let a = socket(Protocol::Rep0);
    let url = listen_tls_somewhere(&a, "tls+tcp", &server);
    let b = socket(Protocol::Rep0);
    assert_eq!(b.listen_tls(&url, &server), Err(Error::AddressInUse));
    drop(a); // frees the port: b's failed listener is not holding anything
    b.listen_tls(&url, &server).unwrap();
}

/// Two wss:// listeners on port 0 with the same path, in two sockets, both
/// made before either starts (as `one_config_used_by_two_sockets_at_once`'s
/// threads can interleave): each gets its own port and its own server. nng
/// 2.0.0 gave both one HTTP server, so the second start failed with
/// `AddressInUse`, or, once the first had started, setting the second's TLS
/// configuration failed with `Busy` (`ws-port-zero-shared`).
#[test]
fn wss_listeners_on_port_zero_are_separate() {
    let ca = Ca::new("CA");
    let server = server_config(&ca.leaf("server", &["localhost"]));
    let client = client_config(&ca.pem(), "localhost");
    let (rep_a, rep_b) = (socket(Protocol::Rep0), socket(Protocol::Rep0));
    let la = rep_a
        .listener_tls("wss://127.0.0.1:0/nng", &server)
        .unwrap();
    let lb = rep_b
        .listener_tls("wss://127.0.0.1:0/nng", &server)
        .unwrap();
    la.start().unwrap();
    lb.start().unwrap();
    let (pa, pb) = (la.port().unwrap(), lb.port().unwrap());
    assert_ne!(pa, pb);
    for (rep, port) in [(&rep_a, pa), (&rep_b, pb)] {
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &format!("wss://127.0.0.1:{port}/nng"), &client).unwrap();
        round_trip(&req, rep);
    }
}

#[test]
fn one_config_used_by_two_sockets_at_once() {
    let ca = Ca::new("CA");
    let server = server_config(&ca.leaf("server", &["localhost"]));
    let client = client_config(&ca.pem(), "localhost");
    let threads: Vec<_> = ["tls+tcp", "wss", "tls+tcp", "wss"]
        .into_iter()
        .map(|scheme| {
            let (server, client) = (server.clone(), client.clone());
            std::thread::spawn(move || {
                let rep = socket(Protocol::Rep0);
                let (_l, url) = listen(&rep, scheme, &server);
                let req = socket(Protocol::Req0);
                let _d = dial(&req, &url, &client).unwrap();
                for _ in 0..20 {
                    round_trip(&req, &rep);
                }
            })
        })
        .collect();
    drop((server, client)); // the threads' clones keep the configurations
    for t in threads {
        t.join().unwrap();
    }
}

/// Whether a client built from `client` connects to a server presenting
/// `cert` (a round trip then works); the dial's error otherwise.
fn handshake(cert: &(String, String), client: TlsConfigBuilder) -> Result<(), Error> {
    handshake_with(server_config(cert), client.build().unwrap()).map(drop)
}

/// The same with built configurations; gives the certificate the server
/// presented.
fn handshake_with(server: TlsConfig, client: TlsConfig) -> Result<TlsCert, Error> {
    bounded(move || {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client)?;
        let (_, reply) = round_trip(&req, &rep);
        reply.pipe().unwrap().peer_cert()
    })
}

#[test]
fn several_ca_sources_are_all_trusted() {
    let (one, two) = (Ca::new("CA one"), Ca::new("CA two"));
    let leaf_one = one.leaf("one", &["localhost"]);
    let leaf_two = two.leaf("two", &["localhost"]);
    let dir = std::env::temp_dir().join(common::unique("tls-ca"));
    std::fs::create_dir_all(&dir).unwrap();
    let one_file = dir.join("one.pem");
    std::fs::write(&one_file, one.pem()).unwrap();

    // Two ca_pem calls, a file and a text, and one text holding both: each
    // way, servers from either CA are accepted (the OpenSSL engine keeps
    // only the last CA chain nng is given, so the builder gives one).
    let ways = [
        TlsConfig::client().ca_pem(&one.pem()).ca_pem(&two.pem()),
        TlsConfig::client().ca_file(&one_file).ca_pem(&two.pem()),
        TlsConfig::client().ca_pem(&format!("{}{}", one.pem(), two.pem())),
    ];
    for client in ways {
        let client = client.server_name("localhost");
        handshake(&leaf_one, client.clone()).unwrap();
        handshake(&leaf_two, client).unwrap();
    }
    // Trusting only one of them: the other is refused.
    let only_two = client_builder(&two.pem(), "localhost");
    assert_eq!(handshake(&leaf_one, only_two).unwrap_err(), Error::Crypto);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn server_name_is_checked_only_when_set() {
    let ca = Ca::new("CA");
    let leaf = ca.leaf("server", &["localhost"]);
    let chain_only = TlsConfig::client().ca_pem(&ca.pem());
    // No name: dialing 127.0.0.1, the certificate for "localhost" passes on
    // its CA alone...
    handshake(&leaf, chain_only.clone()).unwrap();
    // ...but its CA is still checked.
    let other = Ca::new("other CA").leaf("server", &["localhost"]);
    assert_eq!(handshake(&other, chain_only).unwrap_err(), Error::Crypto);
    // A name is checked; the last one given counts.
    let named = |name: &str| client_builder(&ca.pem(), "first.example").server_name(name);
    handshake(&leaf, named("localhost")).unwrap();
    assert_eq!(
        handshake(&leaf, named("elsewhere.example")).unwrap_err(),
        Error::Crypto
    );
}

#[test]
fn client_auth_none_accepts_an_unknown_server() {
    let stranger = Ca::new("unknown CA").leaf("server", &["localhost"]);
    // No CA at all: with AuthMode::None the client connects anyway...
    handshake(&stranger, TlsConfig::client().auth_mode(AuthMode::None)).unwrap();
    // ...and with the default (Required) it cannot.
    assert_eq!(
        handshake(&stranger, client_builder(&Ca::new("CA").pem(), "localhost")).unwrap_err(),
        Error::Crypto
    );
}

#[test]
fn the_last_certificate_given_is_presented() {
    let ca = Ca::new("CA");
    let first = ca.leaf("first", &["localhost"]);
    let second = ca.leaf("second", &["localhost"]);
    let server = server_builder(&first)
        .cert_key_pem(&second.0, &second.1)
        .build()
        .unwrap();
    let peer = handshake_with(server, client_config(&ca.pem(), "localhost")).unwrap();
    assert_eq!(peer.common_name(), Some("second"));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "spawns the `openssl` command to encrypt the key; the Windows run (wine) has none"
)]
fn encrypted_key_file_with_password() {
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf("filed", &["localhost"]);
    let encrypted = encrypt_key(&key, "s3cret", !has_tls13());
    let dir = std::env::temp_dir().join(common::unique("tls-key"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("server.pem");
    std::fs::write(&file, format!("{cert}{encrypted}")).unwrap();

    let e = TlsConfig::server()
        .cert_key_file_encrypted(&file, "wrong")
        .build()
        .unwrap_err();
    assert_eq!(e.setting, TlsSetting::CertKeyFile);
    assert_eq!(e.path.as_deref(), Some(file.as_path()));
    assert!(
        matches!(e.error, Error::Crypto | Error::InvalidInput),
        "{e}"
    );
    let server = TlsConfig::server()
        .cert_key_file_encrypted(&file, "s3cret")
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let peer = handshake_with(server, client_config(&ca.pem(), "localhost")).unwrap();
    assert_eq!(peer.common_name(), Some("filed"));
}

#[test]
fn builder_errors_name_the_setting() {
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf("server", &["localhost"]);
    let dir = std::env::temp_dir().join(common::unique("tls-blame"));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let missing = dir.join("missing.pem");
    let fails = |b: TlsConfigBuilder| {
        let e = b.build().unwrap_err();
        eprintln!("{e}");
        (e.setting, e.error)
    };
    use TlsSetting::*;
    let client = TlsConfig::client;
    let server = TlsConfig::server;

    // Each setting, alone or beside good ones, is named when it fails.
    assert_eq!(fails(client().ca_pem("garbage")), (CaPem, Error::Crypto));
    assert_eq!(
        fails(client().ca_file(&ca_file).ca_pem("garbage")),
        (CaPem, Error::Crypto)
    );
    assert_eq!(
        fails(client().ca_pem(&ca.pem()).ca_file(&missing)),
        (CaFile, Error::EntryNotFound)
    );
    let e = client().ca_file(&missing).build().unwrap_err();
    assert_eq!(e.path.as_deref(), Some(missing.as_path()));
    assert!(e.to_string().starts_with("TLS ca_file \""), "{e}");
    assert!(e.to_string().contains("missing.pem"), "{e}");
    assert_eq!(fails(client().ca_file(&dir)).0, CaFile); // a directory
    assert_eq!(
        fails(client().crl_pem("garbage")),
        (CrlPem, Error::InvalidInput)
    );
    assert_eq!(
        fails(client().ca_pem(&ca.pem()).crl_pem("garbage")),
        (CrlPem, Error::Crypto)
    );
    assert_eq!(
        fails(client().server_name("nul\0name")),
        (ServerName, Error::InvalidInput)
    );
    assert_eq!(fails(server().cert_key_pem(&cert, "garbage")).0, CertKeyPem);
    assert_eq!(fails(server().cert_key_pem("garbage", &key)).0, CertKeyPem);
    // A key that is not the certificate's: OpenSSL checks the pair;
    // mbedTLS does not, and the handshake fails.
    let other_key = ca.leaf("other", &[]).1;
    let mismatched = server().cert_key_pem(&cert, &other_key);
    if cfg!(nng_tls_engine = "openssl") {
        assert_eq!(fails(mismatched), (CertKeyPem, Error::Crypto));
    } else {
        let client = client_config(&ca.pem(), "localhost");
        let e = handshake_with(mismatched.build().unwrap(), client).unwrap_err();
        eprintln!("a mismatched key fails the handshake with {e:?}");
        assert_auth_error(e);
    }
    assert_eq!(
        fails(server().cert_key_file(&missing)),
        (CertKeyFile, Error::EntryNotFound)
    );
    assert_eq!(
        fails(client().versions(TlsVersion::Tls13, TlsVersion::Tls12)),
        (Versions, Error::NotSupported)
    );
    assert_eq!(
        fails(client().psk("a", &[1; 32]).psk("b", &[2; 32])),
        (Psk, Error::InvalidInput),
        "a client presents one identity"
    );
    assert_eq!(fails(server().psk("a", &[])), (Psk, Error::InvalidInput));
    assert_eq!(
        fails(server().psk("nul\0id", &[1; 32])),
        (Psk, Error::InvalidInput)
    );
    // The same identity twice is one (the last key), on either side.
    client()
        .psk("a", &[1; 32])
        .psk("a", &[2; 32])
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    // `?` into nng::Error and io::Error keeps the error.
    let e = client().ca_pem("garbage").build().unwrap_err();
    assert_eq!(Error::from(e.clone()), Error::Crypto);
    assert_eq!(
        std::io::Error::from(e).kind(),
        std::io::ErrorKind::InvalidData
    );
}

#[test]
fn a_builder_makes_several_configs_and_hides_its_secrets() {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = ck.key_pair.serialize_pem();
    let builder = TlsConfig::server()
        .cert_key_pem_encrypted(&ck.cert.pem(), &key, "hunter2")
        .psk("client-1", b"0123456789abcdef");
    let shown = format!("{builder:?}");
    assert!(shown.contains("client-1"), "{shown}");
    for secret in ["PRIVATE KEY", "hunter2", "0123456789abcdef", "48, 49"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    // build() leaves the builder as it was: two configurations, both usable.
    let builder = TlsConfig::server().cert_key_pem(&ck.cert.pem(), &key);
    let (a, b) = (builder.build().unwrap(), builder.build().unwrap());
    let client = client_config(&ck.cert.pem(), "localhost");
    handshake_with(a, client.clone()).unwrap();
    handshake_with(b, client).unwrap();
}

#[test]
fn a_second_wss_path_shares_the_first_ones_tls() {
    bounded(|| {
        let ca = Ca::new("CA");
        let server = server_config(&ca.leaf("server", &["localhost"]));
        let a = socket(Protocol::Rep0);
        let (_l, url_a) = listen(&a, "wss", &server);
        let url_b = url_a.replace("/nng", "/other");
        let b = socket(Protocol::Rep0);
        // nng's HTTP server for the address already runs with TLS...
        assert_eq!(b.listen_tls(&url_b, &server), Err(Error::Busy));
        // ...and a plain listen on another path uses it.
        b.listen(&url_b).unwrap();
        let client = client_config(&ca.pem(), "localhost");
        for (url, rep) in [(&url_a, &a), (&url_b, &b)] {
            let req = socket(Protocol::Req0);
            req.dial_tls(url, &client).unwrap();
            let (_, reply) = round_trip(&req, rep);
            assert!(reply.pipe().unwrap().peer_verified().unwrap());
        }
    })
}
