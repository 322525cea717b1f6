//! req/rep and pub/sub over every transport this crate's core covers: inproc,
//! ipc, abstract (Linux), tcp over IPv4 and IPv6, and ws. (tls+tcp and wss are
//! tested with the TLS configuration.)

mod common;

use common::*;
use nng::{Listener, Protocol, Socket};

/// The listen addresses to test, one per transport.
fn addresses() -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("inproc", inproc("tran")),
        (
            "ipc",
            format!(
                "ipc://{}/{}.sock",
                std::env::temp_dir().display(),
                unique("ipc")
            ),
        ),
        ("tcp4", "tcp://127.0.0.1:0".to_string()),
        ("ws", "ws://127.0.0.1:0/nng-test".to_string()),
    ];
    if cfg!(target_os = "linux") {
        v.push(("abstract", format!("abstract://{}", unique("abs"))));
    }
    if ipv6_loopback() {
        v.push(("tcp6", "tcp://[::1]:0".to_string()));
        v.push(("ws6", "ws://[::1]:0/nng-test".to_string()));
    } else {
        eprintln!("no IPv6 loopback here: skipping tcp6/ws6");
    }
    v
}

fn ipv6_loopback() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Starts a listener on `addr` and returns it with the URL to dial (the bound
/// port filled in).
fn listen(s: &Socket, addr: &str) -> (Listener, String) {
    let l = Listener::new(s, addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    l.start().unwrap_or_else(|e| panic!("{addr}: {e}"));
    let url = l.url().unwrap();
    if addr.contains(":0") {
        let port = l.port().unwrap();
        assert!(port > 0, "{addr}");
        assert!(url.contains(&format!(":{port}")), "{url} lacks port {port}");
    } else {
        assert_eq!(url, addr);
    }
    (l, url)
}

#[test]
fn req_rep_over_every_transport() {
    for (name, addr) in addresses() {
        let rep = socket(Protocol::Rep0);
        let (_l, url) = listen(&rep, &addr);
        let req = socket(Protocol::Req0);
        let d = req.dialer(&url).unwrap();
        d.start()
            .unwrap_or_else(|e| panic!("{name} dial {url}: {e}"));
        for i in 0..3 {
            let q = format!("{name} request {i}");
            req.send(q.as_bytes()).unwrap();
            let mut m = rep.recv().unwrap();
            assert_eq!(m.as_slice(), q.as_bytes(), "{name}");
            let pipe = m.pipe().expect("received on a pipe");
            assert!(pipe.id() > 0);
            m.push_back(b" -> reply");
            rep.send(m).unwrap();
            assert_eq!(
                req.recv().unwrap().as_slice(),
                format!("{q} -> reply").as_bytes()
            );
        }
        // A big message crosses intact (several frames on ws).
        let big: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        req.send(&big).unwrap();
        let m = rep.recv().unwrap();
        assert_eq!(m.as_slice(), &big[..], "{name}");
        rep.send(m).unwrap();
        assert_eq!(req.recv().unwrap().len(), big.len());
    }
}

#[test]
fn pub_sub_over_every_transport() {
    for (name, addr) in addresses() {
        let publ = socket(Protocol::Pub0);
        let (_l, url) = listen(&publ, &addr);
        let sub = socket(Protocol::Sub0);
        sub.dial(&url)
            .unwrap_or_else(|e| panic!("{name} dial {url}: {e}"));
        sync_pubsub(&publ, &sub);
        sub.subscribe(b"a/").unwrap();
        publ.send(b"b/skip").unwrap();
        publ.send(b"a/take").unwrap();
        assert_eq!(sub.recv().unwrap().as_slice(), b"a/take", "{name}");
    }
}

#[test]
fn dialer_reconnects_after_the_listener_returns() {
    use nng::options::{ReconnectMaxTime, ReconnectMinTime};
    use std::time::Duration;
    let rep = socket(Protocol::Rep0);
    let l = Listener::new(&rep, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let url = l.url().unwrap();
    let req = socket(Protocol::Req0);
    let d = req.dialer(&url).unwrap();
    d.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(20)))
        .unwrap();
    d.set_opt::<ReconnectMaxTime>(Some(Duration::from_millis(100)))
        .unwrap();
    d.start().unwrap();
    req.send(b"one").unwrap();
    let m = rep.recv().unwrap();
    rep.send(m).unwrap();
    assert_eq!(req.recv().unwrap().as_slice(), b"one");

    l.close().unwrap(); // drops the connection too
    let l2 = Listener::new(&rep, &url).unwrap();
    l2.start().unwrap();
    req.send(b"two").unwrap(); // queued until the dialer is back
    let m = rep.recv().unwrap();
    assert_eq!(m.as_slice(), b"two");
    rep.send(m).unwrap();
    assert_eq!(req.recv().unwrap().as_slice(), b"two");
}

#[test]
fn nonblocking_dial_connects_once_a_listener_appears() {
    let url = inproc("late-listener");
    let pull = socket(Protocol::Pull0);
    let push = socket(Protocol::Push0);
    push.dial_background(&url).unwrap(); // nothing there yet: retried in the background
    pull.listen(&url).unwrap();
    push.send(b"eventually").unwrap();
    assert_eq!(pull.recv().unwrap().as_slice(), b"eventually");
}

#[test]
fn drops_never_block() {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    {
        // A dialer retrying in the background against a closed port.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let s = Socket::new(Protocol::Push0).unwrap();
        let d = s.dialer(&format!("tcp://127.0.0.1:{port}")).unwrap();
        d.start_background().unwrap();
        drop(d);
        // A socket with a send blocked on another thread: closing wakes it,
        // then the socket drops.
        std::thread::scope(|sc| {
            let h = sc.spawn(|| s.send(b"nobody will take this"));
            std::thread::sleep(Duration::from_millis(50));
            s.close().unwrap();
            assert_eq!(h.join().unwrap().unwrap_err().error, nng::Error::Closed);
        });
        drop(s);
        // A connected pair over tcp with unread messages in flight.
        let a = socket(Protocol::Pair1);
        let (l, url) = listen(&a, "tcp://127.0.0.1:0");
        let b = socket(Protocol::Pair1);
        b.dial(&url).unwrap();
        for _ in 0..3 {
            b.send(vec![0u8; 64 * 1024]).unwrap();
        }
        drop(a); // closes the listener's pipes too
        drop(l);
        drop(b);
    }
    assert!(
        start.elapsed() < scaled(Duration::from_secs(3)),
        "{:?}",
        start.elapsed()
    );
}
