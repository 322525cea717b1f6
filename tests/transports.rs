//! req/rep and pub/sub over every transport this crate's core covers: inproc,
//! ipc (Windows: named pipes, winpipe://), abstract (Linux), tcp over IPv4 and IPv6, and ws. (tls+tcp and wss are
//! tested with the TLS configuration.)

mod common;

use common::*;
use nng::{Listener, Protocol, Socket};

/// The listen addresses to test, one per transport.
fn addresses() -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("inproc", inproc("tran")),
        // ipc:// on Unix, winpipe:// (named pipes) on Windows.
        (
            if cfg!(windows) { "winpipe" } else { "ipc" },
            ipc_url("ipc"),
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

/// Two ws:// listeners on port 0, in two sockets, both created before either
/// starts: each gets a port of its own and serves only its own socket. (nng
/// 2.0.0 handed both the same HTTP server, keyed by "127.0.0.1:0", so the
/// second start failed with `AddressInUse` on the same path, or on another
/// path quietly shared the first one's port: `ws-port-zero-shared` in
/// `nng-sys/patches/README.md`.)
#[test]
fn ws_listeners_on_port_zero_are_separate() {
    for (path_a, path_b) in [("/nng", "/nng"), ("/a", "/b")] {
        let (rep_a, rep_b) = (socket(Protocol::Rep0), socket(Protocol::Rep0));
        let la = Listener::new(&rep_a, &format!("ws://127.0.0.1:0{path_a}")).unwrap();
        let lb = Listener::new(&rep_b, &format!("ws://127.0.0.1:0{path_b}")).unwrap();
        la.start().unwrap();
        lb.start()
            .unwrap_or_else(|e| panic!("second listener ({path_a}, {path_b}): {e}"));
        let (pa, pb) = (la.port().unwrap(), lb.port().unwrap());
        assert_ne!(pa, pb, "two port-0 listeners share port {pa}");
        for (rep, port, path) in [(&rep_a, pa, path_a), (&rep_b, pb, path_b)] {
            let req = socket(Protocol::Req0);
            req.dial(&format!("ws://127.0.0.1:{port}{path}")).unwrap();
            req.send(path.as_bytes()).unwrap();
            let m = rep.recv().unwrap();
            assert_eq!(m.as_slice(), path.as_bytes());
            rep.send(m).unwrap();
            assert_eq!(req.recv().unwrap().as_slice(), path.as_bytes());
        }
    }
}

/// Lookups made at once each complete, with their own address: creating a
/// tcp listener and dialing resolve the URL's host and port on nng's
/// resolver threads. Four threads, each round: listen on
/// `tcp://127.0.0.1:0` and dial that port, all at the same moment. (nng
/// 2.0.0 on Windows started every resolver thread with index 0, so two
/// lookups at once shared one slot: one completed with the other's address,
/// and the other never completed; a listener's creation or a dial hung, or a
/// dial went to another lookup's address: `windows-resolver-index` in
/// `nng-sys/patches/README.md`.)
#[test]
fn concurrent_lookups_each_complete_with_their_own_address() {
    use std::sync::{Arc, Barrier};
    const THREADS: usize = 4;
    const ROUNDS: usize = 10;
    let limit = scaled(std::time::Duration::from_secs(60));
    within(limit, "lookups at once", || {
        let barrier = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let rep = socket(Protocol::Rep0);
                        barrier.wait();
                        let (_l, url) = tcp_listener(&rep);
                        let req = socket(Protocol::Req0);
                        barrier.wait();
                        req.dial(&url).unwrap();
                        let tag = format!("thread {i} round {round}");
                        req.send(tag.as_bytes()).unwrap();
                        let m = rep.recv().unwrap_or_else(|e| panic!("{tag}: {e}"));
                        assert_eq!(
                            m.as_slice(),
                            tag.as_bytes(),
                            "a dial reached another socket"
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}
