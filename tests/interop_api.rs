//! The safe API itself (not the CLI) against real C peers: C nngcat built
//! from the same nng 2.0 source (feature `tools`) and Debian's nngcat 1.5.2.
//! A library user's sockets, dialers and listeners talk to each protocol's
//! peer, with the Rust side dialing and listening.

#[path = "peers/support.rs"]
mod support;

use nng::options::{RecvTimeout, SendTimeout, SurveyTime};
use nng::tls::TlsVersion;
use nng::{Error, Listener, Protocol, Socket};
use std::time::{Duration, Instant};
use support::{Proc, Side, CHILD_LIMIT};

const WAIT: Option<Duration> = Some(Duration::from_secs(10));

/// A Rust socket with bounded send and receive.
fn socket(p: Protocol) -> Socket {
    let s = Socket::new(p).unwrap();
    s.set_opt::<RecvTimeout>(WAIT).unwrap();
    s.set_opt::<SendTimeout>(WAIT).unwrap();
    s
}

/// Listens on a fresh loopback URL of `transport` (port 0 for tcp) and
/// returns the bound URL.
fn listen(s: &Socket, transport: &str) -> (Listener, String) {
    let url = match transport {
        "tcp" => "tcp://127.0.0.1:0".to_string(),
        t => support::url(t),
    };
    let l = s.listener(&url).unwrap();
    l.start().unwrap();
    let url = l.url().unwrap();
    (l, url)
}

/// Starts the peer with `args`, the URL appended after `mode`.
fn peer(side: Side, args: &[&str], mode: &str, url: &str) -> Proc {
    let mut a: Vec<&str> = args.to_vec();
    a.extend([mode, url]);
    Proc::spawn(side.name(), side.command(&a), None)
}

/// Starts a listening peer and waits until it accepts.
fn peer_listening(side: Side, args: &[&str], transport: &str) -> (Proc, String) {
    let url = support::url(transport);
    let p = peer(side, args, "--listen", &url);
    assert!(
        support::wait_listening(&url),
        "{} did not listen at {url}",
        side.name()
    );
    (p, url)
}

fn expect_exit(p: Proc, stdout: &[u8]) {
    let name = p.name.clone();
    let out = p.wait(CHILD_LIMIT);
    assert_eq!(out.code(), Some(0), "{name}: {}", out.describe());
    assert_eq!(out.stdout, stdout, "{name}: {}", out.describe());
}

fn body(s: &Socket) -> Vec<u8> {
    s.recv().unwrap().as_slice().to_vec()
}

fn rep_listens_req_dials(side: Side, transport: &str) {
    let rep = socket(Protocol::Rep0);
    let (_l, url) = listen(&rep, transport);
    let p = peer(
        side,
        &["--req0", "--data", "ping", "--quoted"],
        "--dial",
        &url,
    );
    let mut m = rep.recv().unwrap();
    assert_eq!(m.as_slice(), b"ping");
    m.clear();
    m.push_back(b"pong");
    rep.send(m).unwrap();
    expect_exit(p, b"\"pong\"\n");
}

fn req_dials_rep_listens(side: Side, transport: &str) {
    let (p, url) = peer_listening(
        side,
        &["--rep0", "--data", "pong", "--quoted", "--count", "1"],
        transport,
    );
    let req = socket(Protocol::Req0);
    req.dial(&url).unwrap();
    req.send(b"ping").unwrap();
    assert_eq!(body(&req), b"pong");
    expect_exit(p, b"\"ping\"\n");
}

/// The TLS configuration a library user would build: a server certificate,
/// or a client that trusts it; more settings may follow.
fn tls_config(server: bool) -> nng::tls::TlsConfigBuilder {
    use nng::tls::TlsConfig;
    let pem = |f: &str| std::fs::read_to_string(support::peer_file(f)).unwrap();
    if server {
        TlsConfig::server().cert_key_pem(&pem("test_cert.pem"), &pem("test_key.pem"))
    } else {
        TlsConfig::client()
            .ca_pem(&pem("test_cert.pem"))
            .server_name("127.0.0.1")
    }
}

/// REP with a TLS listener (Rust) answering a peer REQ that verifies it.
fn tls_rep_listens(side: Side, transport: &str) {
    tls_rep_listens_with(side, transport, TlsVersion::Tls12);
}

/// The same with the Rust side accepting nothing older than `min`.
fn tls_rep_listens_with(side: Side, transport: &str, min: TlsVersion) {
    let rep = socket(Protocol::Rep0);
    let cfg = tls_config(true)
        .versions(min, TlsVersion::Tls13)
        .build()
        .unwrap();
    let l = rep.listener_tls(&support::url(transport), &cfg).unwrap();
    l.start().unwrap();
    let url = l.url().unwrap();
    let cacert = support::peer_file("test_cert.pem");
    let p = peer(
        side,
        &["--req0", "--data", "ping", "--quoted", "--cacert", &cacert],
        "--dial",
        &url,
    );
    let mut m = rep.recv().unwrap();
    assert_eq!(m.as_slice(), b"ping");
    m.clear();
    m.push_back(b"pong");
    rep.send(m).unwrap();
    expect_exit(p, b"\"pong\"\n");
}

/// REQ with a verifying TLS dialer (Rust) against a peer REP with a certificate.
fn tls_req_dials(side: Side, transport: &str) {
    tls_req_dials_with(side, transport, TlsVersion::Tls12);
}

/// The same with the Rust side accepting nothing older than `min`.
fn tls_req_dials_with(side: Side, transport: &str, min: TlsVersion) {
    let (cert, key) = (
        support::peer_file("test_cert.pem"),
        support::peer_file("test_key.pem"),
    );
    let (p, url) = peer_listening(
        side,
        &[
            "--rep0", "--data", "pong", "--quoted", "--count", "1", "--cert", &cert, "--key", &key,
        ],
        transport,
    );
    let req = socket(Protocol::Req0);
    let cfg = tls_config(false)
        .versions(min, TlsVersion::Tls13)
        .build()
        .unwrap();
    req.dial_tls(&url, &cfg).unwrap();
    req.send(b"ping").unwrap();
    assert_eq!(body(&req), b"pong");
    expect_exit(p, b"\"ping\"\n");
}

fn sub_dials_pub_listens(side: Side) {
    let (p, url) = peer_listening(
        side,
        &[
            "--pub0",
            "--data",
            "tick",
            "--interval",
            "1",
            "--count",
            "30",
        ],
        "tcp",
    );
    let sub = socket(Protocol::Sub0);
    sub.subscribe(b"ti").unwrap();
    sub.dial(&url).unwrap();
    assert_eq!(body(&sub), b"tick");
    p.kill();
}

fn pub_listens_sub_dials(side: Side) {
    let publisher = socket(Protocol::Pub0);
    let (_l, url) = listen(&publisher, "tcp");
    let mut p = peer(
        side,
        &[
            "--sub0",
            "--subscribe",
            "news",
            "--quoted",
            "--count",
            "1",
            "--recv-timeout",
            "10",
        ],
        "--dial",
        &url,
    );
    // PUB drops messages while no subscriber is attached: repeat until the
    // subscriber has one (bounded by the peer's own timeout).
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !p.finished() {
        publisher.send(b"other").unwrap();
        publisher.send(b"news!").unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    expect_exit(p, b"\"news!\"\n");
}

fn push_to_pull(side: Side) {
    let (p, url) = peer_listening(
        side,
        &[
            "--pull0",
            "--quoted",
            "--count",
            "2",
            "--recv-timeout",
            "10",
        ],
        "tcp",
    );
    let push = socket(Protocol::Push0);
    push.dial(&url).unwrap();
    push.send(b"one").unwrap();
    push.send(b"two\n").unwrap();
    expect_exit(p, b"\"one\"\n\"two\\n\"\n");
}

fn pull_from_push(side: Side) {
    let pull = socket(Protocol::Pull0);
    let (_l, url) = listen(&pull, "tcp");
    let p = peer(side, &["--push0", "--data", "work"], "--dial", &url);
    assert_eq!(body(&pull), b"work");
    expect_exit(p, b"");
}

fn surveyor_listens(side: Side) {
    let surveyor = socket(Protocol::Surveyor0);
    surveyor
        .set_opt::<SurveyTime>(Some(Duration::from_millis(500)))
        .unwrap();
    let (_l, url) = listen(&surveyor, "tcp");
    let p = peer(
        side,
        &[
            "--respondent0",
            "--data",
            "here",
            "--quoted",
            "--count",
            "1",
            "--recv-timeout",
            "10",
        ],
        "--dial",
        &url,
    );
    // A survey only reaches respondents connected when it is sent: repeat.
    let deadline = Instant::now() + Duration::from_secs(15);
    let answer = loop {
        assert!(Instant::now() < deadline, "no answer from {}", side.name());
        surveyor.send(b"who?").unwrap();
        match surveyor.recv() {
            Ok(m) => break m.as_slice().to_vec(),
            Err(Error::TimedOut) => continue,
            Err(e) => panic!("survey failed: {e}"),
        }
    };
    assert_eq!(answer, b"here");
    expect_exit(p, b"\"who?\"\n");
}

fn respondent_dials(side: Side) {
    let (p, url) = peer_listening(
        side,
        &["--surveyor0", "--data", "who?", "--quoted", "--delay", "2"],
        "tcp",
    );
    let resp = socket(Protocol::Respondent0);
    resp.dial(&url).unwrap();
    let mut m = resp.recv().unwrap();
    assert_eq!(m.as_slice(), b"who?");
    m.clear();
    m.push_back(b"me");
    resp.send(m).unwrap();
    expect_exit(p, b"\"me\"\n");
}

fn pair(side: Side, proto: Protocol, flag: &str) {
    let s = socket(proto);
    let (_l, url) = listen(&s, "tcp");
    let p = peer(
        side,
        &[flag, "--data", "hi rust", "--quoted", "--recv-timeout", "2"],
        "--dial",
        &url,
    );
    assert_eq!(body(&s), b"hi rust");
    s.send(b"hi peer").unwrap();
    expect_exit(p, b"\"hi peer\"\n");
}

fn bus(side: Side) {
    let (p, url) = peer_listening(
        side,
        &[
            "--bus0",
            "--data",
            "to all",
            "--quoted",
            "--delay",
            "2",
            "--recv-timeout",
            "2",
        ],
        "tcp",
    );
    let s = socket(Protocol::Bus0);
    s.dial(&url).unwrap();
    assert_eq!(body(&s), b"to all");
    s.send(b"back").unwrap();
    expect_exit(p, b"\"back\"\n");
}

/// Runs every check against `side`, several at once.
fn all(side: Side) {
    type Job = Box<dyn FnOnce() -> std::thread::Result<()> + Send>;
    macro_rules! checks {
        ($($name:literal => $check:expr;)*) => {
            vec![$(($name, Box::new(move || $check) as Box<dyn Fn() + Send + Sync>),)*]
        };
    }
    let checks = checks! {
        "rep listens, req dials, tcp" => rep_listens_req_dials(side, "tcp");
        "rep listens, req dials, ipc" => rep_listens_req_dials(side, "ipc");
        "rep listens, req dials, ws" => rep_listens_req_dials(side, "ws");
        "req dials, rep listens, tcp" => req_dials_rep_listens(side, "tcp");
        "req dials, rep listens, ipc" => req_dials_rep_listens(side, "ipc");
        "req dials, rep listens, ws" => req_dials_rep_listens(side, "ws");
        "tls rep listens, tls+tcp" => tls_rep_listens(side, "tls+tcp");
        "tls rep listens, wss" => tls_rep_listens(side, "wss");
        "tls req dials, tls+tcp" => tls_req_dials(side, "tls+tcp");
        "tls req dials, wss" => tls_req_dials(side, "wss");
        "sub dials pub" => sub_dials_pub_listens(side);
        "pub listens for sub" => pub_listens_sub_dials(side);
        "push dials pull" => push_to_pull(side);
        "pull listens for push" => pull_from_push(side);
        "surveyor listens" => surveyor_listens(side);
        "respondent dials" => respondent_dials(side);
        "pair0" => pair(side, Protocol::Pair0, "--pair0");
        "pair1" => pair(side, Protocol::Pair1, "--pair1");
        "bus" => bus(side);
    };
    let names: Vec<&str> = checks.iter().map(|(n, _)| *n).collect();
    let jobs: Vec<Job> = checks
        .into_iter()
        .map(|(_, f)| {
            Box::new(move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))) as Job
        })
        .collect();
    let results = support::run_parallel(6, jobs);
    let failed: Vec<String> = names
        .iter()
        .zip(&results)
        .filter_map(|(n, r)| {
            let e = r.as_ref().err()?;
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Some(format!("{n}: {why}"))
        })
        .collect();
    println!(
        "safe API vs {}: {} passed, {} failed",
        side.name(),
        names.len() - failed.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failed against {}: {failed:?}",
        side.name()
    );
}

#[test]
fn safe_api_vs_c_nngcat_2_0() {
    all(Side::C2);
}

#[test]
fn safe_api_vs_debian_nngcat_1_5_2() {
    all(Side::Debian);
}

/// The engine this build links speaks TLS 1.3, except mbedTLS 2.28.
fn has_tls13() -> bool {
    !nng::tls::BUILT_ENGINE_VERSION.starts_with("2.")
}

/// TLS 1.3 on the wire: the Rust side accepts TLS 1.3 only, and each peer
/// that has it (C nngcat from the same build, pynng 0.9 with its mbedTLS 3.6)
/// completes the exchange over tls+tcp and wss, both listening and dialing.
fn tls13_only(side: Side) {
    if !has_tls13() {
        // mbedTLS 2.28 (`tls-mbedtls-2`): no TLS 1.3 to ask for.
        let e = tls_config(false)
            .versions(TlsVersion::Tls13, TlsVersion::Tls13)
            .build()
            .unwrap_err();
        assert_eq!(e.error, Error::NotSupported);
        return;
    }
    for transport in ["tls+tcp", "wss"] {
        tls_rep_listens_with(side, transport, TlsVersion::Tls13);
        tls_req_dials_with(side, transport, TlsVersion::Tls13);
    }
}

#[test]
fn tls13_only_vs_c_nngcat_2_0() {
    tls13_only(Side::C2);
}

#[test]
fn tls13_only_vs_pynng() {
    tls13_only(Side::Pynng);
}

/// Debian's nngcat 1.5.2 links mbedTLS 2.28, which has no TLS 1.3: it talks
/// to the default configuration (the `all` matrix above) over TLS 1.2, and a
/// Rust listener that accepts TLS 1.3 only never sees its request.
#[test]
fn debian_nngcat_speaks_tls12_only() {
    if !has_tls13() {
        return; // nothing to refuse with: this engine speaks TLS 1.2 only too
    }
    let rep = socket(Protocol::Rep0);
    rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(3)))
        .unwrap();
    let cfg = tls_config(true)
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .build()
        .unwrap();
    let l = rep.listener_tls(&support::url("tls+tcp"), &cfg).unwrap();
    l.start().unwrap();
    let url = l.url().unwrap();
    let cacert = support::peer_file("test_cert.pem");
    let p = peer(
        Side::Debian,
        &["--req0", "--data", "ping", "--quoted", "--cacert", &cacert],
        "--dial",
        &url,
    );
    assert_eq!(rep.recv().map(|_| ()), Err(Error::TimedOut));
    drop(p.kill());
    // The same peer with TLS 1.2 allowed: the request arrives.
    tls_rep_listens_with(Side::Debian, "tls+tcp", TlsVersion::Tls12);
}

/// An independent TLS 1.3 client, `openssl s_client -tls1_3`, completes a
/// handshake with a Rust listener on tls+tcp and on wss and verifies its
/// certificate (TLS 1.2 with the `tls-mbedtls-2` engine).
#[test]
fn openssl_s_client_negotiates_tls13() {
    let (flag, version) = if has_tls13() {
        ("-tls1_3", "TLSv1.3")
    } else {
        ("-tls1_2", "TLSv1.2")
    };
    for transport in ["tls+tcp", "wss"] {
        let rep = socket(Protocol::Rep0);
        let l = rep.listener(&support::url(transport)).unwrap();
        l.set_tls(&tls_config(true).build().unwrap()).unwrap();
        l.start().unwrap();
        let url = l.url().unwrap();
        let port = url
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let out = std::process::Command::new("openssl")
            .args(["s_client", flag, "-connect"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-CAfile")
            .arg(support::peer_file("test_cert.pem"))
            .args(["-verify_return_error", "-brief"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("the openssl command (.ci/setup.sh installs it)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("s_client over {transport}:\n{text}");
        assert!(
            text.contains(&format!("Protocol version: {version}")),
            "{transport}: {text}"
        );
        assert!(text.contains("Verification: OK"), "{transport}: {text}");
        if cfg!(nng_tls_engine = "mbed") && has_tls13() {
            // mbedTLS 3.6 has no post-quantum group: classic X25519.
            assert!(text.contains("Temp Key: X25519"), "{transport}: {text}");
        }
    }
}

/// With the OpenSSL 3.5 engine, an OpenSSL 3.5 client built from the same
/// tree (tests/peers/tls_group_client.c, default settings) negotiates TLS 1.3
/// with the post-quantum hybrid key exchange X25519MLKEM768.
#[cfg(nng_tls_engine = "openssl")]
#[test]
fn openssl_3_5_client_negotiates_x25519mlkem768() {
    let root = std::path::Path::new(env!("NNG_BUILD_OPENSSL_ROOT"));
    let dir = std::env::temp_dir().join(format!("nng-pq-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("tls_group_client");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/peers/tls_group_client.c"
    );
    let built = std::process::Command::new("cc")
        .arg(src)
        .arg(format!("-I{}", root.join("include").display()))
        .arg("-o")
        .arg(&exe)
        .arg(root.join("lib/libssl.a"))
        .arg(root.join("lib/libcrypto.a"))
        .args(["-lpthread", "-ldl"])
        .status()
        .expect("the C compiler");
    assert!(built.success(), "compiling {src}");
    for transport in ["tls+tcp", "wss"] {
        let rep = socket(Protocol::Rep0);
        let l = rep.listener(&support::url(transport)).unwrap();
        l.set_tls(&tls_config(true).build().unwrap()).unwrap();
        l.start().unwrap();
        let url = l.url().unwrap();
        let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
        let out = std::process::Command::new(&exe)
            .arg(port)
            .arg(support::peer_file("test_cert.pem"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        println!("OpenSSL client over {transport}:\n{text}");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("library: OpenSSL 3.5"), "{text}");
        assert!(text.contains("protocol: TLSv1.3"), "{text}");
        assert!(text.contains("group: X25519MLKEM768"), "{text}");
        assert!(text.contains("verify: 0"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
