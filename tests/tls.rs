//! TLS over tls+tcp and wss, with certificates generated at run time (rcgen).
#![cfg(nng_tls)]

use nng::options::{RecvTimeout, SendTimeout};
use nng::tls::{AuthMode, TlsCert, TlsConfig, TlsMode, TlsVersion};
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

fn server_config(cert: &(String, String)) -> TlsConfig {
    let cfg = TlsConfig::new(TlsMode::Server).unwrap();
    cfg.own_cert(&cert.0, &cert.1, None).unwrap();
    cfg
}

fn client_config(ca_pem: &str, server_name: &str) -> TlsConfig {
    let cfg = TlsConfig::new(TlsMode::Client).unwrap();
    cfg.ca_chain(ca_pem, None).unwrap();
    cfg.server_name(server_name).unwrap();
    cfg
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
    let l = Listener::new(s, &format!("{scheme}://127.0.0.1:0{path}")).unwrap();
    l.set_tls(cfg).unwrap();
    l.start().unwrap();
    let url = format!("{scheme}://127.0.0.1:{}{path}", l.port().unwrap());
    (l, url)
}

fn dial(s: &Socket, url: &str, cfg: &TlsConfig) -> nng::Result<Dialer> {
    let d = Dialer::new(s, url)?;
    d.set_tls(cfg)?;
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
        let cfg = server_config(&server_cert);
        cfg.ca_chain(&client_ca.pem(), None).unwrap();
        cfg.auth_mode(AuthMode::Required).unwrap();
        cfg
    };

    // A client with a certificate from the CA the server trusts gets in, and
    // the server sees who it is.
    let client = client_config(&server_ca.pem(), "localhost");
    let (cert, key) = client_ca.leaf("alice", &["alice.example"]);
    client.own_cert(&cert, &key, None).unwrap();
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
    let client = client_config(&server_ca.pem(), "localhost");
    let (cert, key) = Ca::new("rogue CA").leaf("mallory", &[]);
    client.own_cert(&cert, &key, None).unwrap();
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
        let server = server_config(&ca.leaf("server", &["localhost"]));
        server.ca_chain(&ca.pem(), None).unwrap();
        server.auth_mode(AuthMode::Optional).unwrap();
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
        // Once used, a configuration is read-only.
        assert_eq!(client.server_name("elsewhere"), Err(Error::Busy));
        assert_eq!(server.auth_mode(AuthMode::Required), Err(Error::Busy));
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
        let server = TlsConfig::new(TlsMode::Server).unwrap();
        server.psk("other", &[1u8; 32]).unwrap();
        server.psk("client-1", &key).unwrap();
        let client = TlsConfig::new(TlsMode::Client).unwrap();
        client.psk("client-1", &key).unwrap();
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, "tls+tcp", &server);
        let req = socket(Protocol::Req0);
        let _d = dial(&req, &url, &client).unwrap();
        round_trip(&req, &rep);

        // A wrong key is refused.
        let wrong = TlsConfig::new(TlsMode::Client).unwrap();
        wrong.psk("client-1", &[9u8; 32]).unwrap();
        let server2 = TlsConfig::new(TlsMode::Server).unwrap();
        server2.psk("client-1", &key).unwrap();
        refused("tls+tcp", server2, wrong);
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
    let cfg = TlsConfig::new(TlsMode::Client).unwrap();
    assert_eq!(
        cfg.versions(TlsVersion::Tls13, TlsVersion::Tls12),
        Err(Error::NotSupported)
    );
    cfg.versions(TlsVersion::Tls12, TlsVersion::Tls13).unwrap();
    cfg.versions(TlsVersion::Tls12, TlsVersion::Tls12).unwrap();
    let tls13_only = cfg.versions(TlsVersion::Tls13, TlsVersion::Tls13);
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
    let server = server_config(&ca.leaf("server", &["localhost"]));
    server
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .unwrap();
    let client = client_config(&ca.pem(), "localhost");
    client
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
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
    let server = server_config(&ca.leaf("server", &["localhost"]));
    server
        .versions(TlsVersion::Tls12, TlsVersion::Tls12)
        .unwrap();
    let client = client_config(&ca.pem(), "localhost");
    client
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
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
    let cfg = TlsConfig::new(TlsMode::Server).unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["x".to_string()]).unwrap();
    let e = cfg
        .own_cert(
            &ck.cert.pem(),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            None,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Crypto | Error::InvalidInput), "{e:?}");
    assert!(cfg.ca_chain("garbage", None).is_err());
    assert_eq!(cfg.ca_chain("nul\0inside", None), Err(Error::InvalidInput));
    assert!(cfg.ca_file("/nonexistent/ca.pem").is_err());
    assert!(cfg.own_cert_file("/nonexistent/cert.pem", None).is_err());
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

    let server = TlsConfig::new(TlsMode::Server).unwrap();
    server.own_cert_file(&both, None).unwrap();
    let client = TlsConfig::new(TlsMode::Client).unwrap();
    client.ca_file(&ca_file).unwrap();
    client.server_name("localhost").unwrap();
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
    let cfg = TlsConfig::new(TlsMode::Client).unwrap();
    assert_eq!(d.set_tls(&cfg), Err(Error::NotSupported));
    let l = Listener::new(&s, "ipc:///tmp/nng-tls-not-here.sock").unwrap();
    let server = TlsConfig::new(TlsMode::Server).unwrap();
    assert_eq!(l.set_tls(&server), Err(Error::NotSupported));
}

#[test]
fn config_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<TlsConfig>();
    check::<TlsCert>();
    let cfg = TlsConfig::new(TlsMode::Server).unwrap();
    let clone = cfg.clone();
    std::thread::spawn(move || clone.auth_mode(AuthMode::Optional))
        .join()
        .unwrap()
        .unwrap();
    drop(cfg);
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
        let cfg = TlsConfig::new(TlsMode::Client).unwrap();
        cfg.ca_chain(&ca.pem(), Some(&crl)).unwrap();
        cfg.server_name("localhost").unwrap();
        cfg
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
fn encrypted_private_key_with_passphrase() {
    // OpenSSL 3's default format where the engine reads it; mbedTLS 2.28
    // cannot decrypt AES-encrypted PKCS#8, so it gets the legacy one.
    let legacy = !has_tls13();
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf("server", &["localhost"]);
    let encrypted = encrypt_key(&key, "correct horse", legacy);
    assert!(encrypted.contains("ENCRYPTED PRIVATE KEY"));

    let wrong = TlsConfig::new(TlsMode::Server).unwrap();
    let e = wrong
        .own_cert(&cert, &encrypted, Some("wrong"))
        .unwrap_err();
    assert!(matches!(e, Error::Crypto | Error::InvalidInput), "{e:?}");
    let none = TlsConfig::new(TlsMode::Server).unwrap();
    assert!(none.own_cert(&cert, &encrypted, None).is_err());

    let server = TlsConfig::new(TlsMode::Server).unwrap();
    server
        .own_cert(&cert, &encrypted, Some("correct horse"))
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
    let client = TlsConfig::new(TlsMode::Client).unwrap();
    let server = TlsConfig::new(TlsMode::Server).unwrap();
    assert_eq!(d.set_tls(&server), Err(Error::InvalidInput));
    assert_eq!(l.set_tls(&client), Err(Error::InvalidInput));
    d.set_tls(&client).unwrap();
    l.set_tls(&server).unwrap();
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
