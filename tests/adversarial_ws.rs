//! Adversarial review of nng-sys's fixes `ws-port-zero-shared` and
//! `ws-dial-stream-leak` (nng-sys/build/patch.rs, nng-sys/patches/README.md),
//! through the safe API only, over plain ws:// (so that the tests also run in
//! the TLS-less ThreadSanitizer build, `.ci/tsan.sh --test adversarial_ws`):
//!
//! - ws dials closed at random moments of the TCP connect and the HTTP
//!   upgrade, by many threads at once, by `Dialer::close`, `Socket::close`,
//!   or both at the same time, towards an upgrade that succeeds, one refused
//!   with 404, one refused for its subprotocol (400), and a fake server whose
//!   101 answer is wrong (the dialer's protocol-error path, which closes the
//!   ws under the dialer's lock); every close returns promptly, and no
//!   connection is left open: the process's descriptors come back to where
//!   they were, and the listeners' `pipes` statistics to zero;
//! - listeners closed and reopened on their explicit port while dialers
//!   upgrade against them, and listeners closed at the same moment as the
//!   dialers' sockets;
//! - which listeners share an HTTP server: port-0 listeners never (started
//!   from several threads at once, same path), a listener naming a started
//!   port-0 listener's bound port does (nng#907), as do two listeners on one
//!   explicit port created before either starts; a failed start on a shared
//!   server leaves the server serving.
//!
//! The tests count the process's open descriptors, so they take one lock
//! each and run one at a time. Each is bounded (`within`); bounds stretch
//! with `NNG_TEST_TIME_SCALE`.
#![cfg(target_os = "linux")] // /proc/self/fd

mod common;

use common::churn::*;
use common::*;
use nng::{Dialer, Error, Listener, Protocol, Socket};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// A ws:// listener on `url`, started.
fn ws_listen(s: &Socket, url: &str) -> Listener {
    let l = Listener::new(s, url).unwrap();
    l.start()
        .unwrap_or_else(|e| panic!("listener {url}: start: {e}"));
    l
}

/// The process's descriptors once nng is warmed up (a ws round trip done and
/// its sockets closed), for comparison at the end of a test.
fn fd_baseline() -> usize {
    let rep = socket(Protocol::Rep0);
    let l = ws_listen(&rep, "ws://127.0.0.1:0/warm");
    let _echo = Echo::serve(&rep);
    let req = socket(Protocol::Req0);
    req.dial(&format!("ws://127.0.0.1:{}/warm", l.port().unwrap()))
        .unwrap();
    round_trip(&req, "warm-up");
    drop(req);
    drop(_echo);
    drop(l);
    drop(rep);
    fds_at_rest()
}

/// A fake ws server: reads each HTTP request and answers it with `answer`,
/// then keeps the connection open until the peer closes it (or the server
/// stops). Stops (and closes every connection) when dropped.
struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeServer {
    fn start(answer: &'static str) -> FakeServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut conns: Vec<std::thread::JoinHandle<()>> = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((c, _)) => {
                        let flag = flag.clone();
                        conns.push(std::thread::spawn(move || serve_fake(c, answer, &flag)));
                    }
                    Err(_) => std::thread::sleep(MS),
                }
                conns.retain(|t| !t.is_finished());
            }
            for t in conns {
                let _ = t.join();
            }
        });
        FakeServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

fn serve_fake(c: TcpStream, answer: &str, stop: &AtomicBool) {
    c.set_read_timeout(Some(20 * MS)).unwrap();
    let mut w = c.try_clone().unwrap();
    let mut r = BufReader::new(c);
    let mut line = String::new();
    let mut answered = false;
    while !stop.load(Ordering::SeqCst) {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return, // the peer closed
            Ok(_) if line == "\r\n" && !answered => {
                answered = true;
                if w.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A 101 answer whose `Sec-WebSocket-Accept` is wrong: the dialer fails it
/// with a protocol error after closing the ws under the dialer's lock.
const BAD_ACCEPT: &str = "HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Accept: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\r\n\
    Sec-WebSocket-Protocol: rep.sp.nanomsg.org\r\n\r\n";

// ---------------------------------------------------------------------------
// ws-dial-stream-leak: dials given up at every moment
// ---------------------------------------------------------------------------

/// Four threads dial for about 4 s, each dial given up 0 to 3 ms after
/// `start_background` (the TCP connect, the request, the answer and the
/// upgrade all take about that long on loopback), towards four targets on
/// two servers:
///
/// - `/adv`: a rep0 listener (port 0): the upgrade succeeds;
/// - `/pair`: a pair1 listener on the same server (its port named
///   explicitly, so sharing the started server): refused, 400 (the
///   subprotocol), the dialer's error path;
/// - `/none`: no handler: refused, 404;
/// - a fake server answering 101 with a wrong key (the protocol-error path).
///
/// Every close returns within 2 s; afterwards a new client is served, both
/// listeners' and sockets' `pipes` are zero (none ever on the pair1 one), and
/// once everything is closed the process has no more descriptors open than
/// before: no connection of a given-up dial was leaked on either side.
#[test]
fn ws_dials_given_up_at_random_moments_leak_nothing() {
    let _serial = serial();
    within(scaled(Duration::from_secs(30)), "ws dials given up", || {
        let base = fd_baseline();
        let rep = socket(Protocol::Rep0);
        let lrep = ws_listen(&rep, "ws://127.0.0.1:0/adv");
        let port = lrep.port().unwrap();
        let pair = socket(Protocol::Pair1);
        let lpair = ws_listen(&pair, &format!("ws://127.0.0.1:{port}/pair"));
        assert_eq!(lpair.port().unwrap(), port);
        let echo = Echo::serve(&rep);
        let fake = FakeServer::start(BAD_ACCEPT);
        let targets = [
            format!("ws://127.0.0.1:{port}/adv"),
            format!("ws://127.0.0.1:{port}/pair"),
            format!("ws://127.0.0.1:{port}/none"),
            format!("ws://127.0.0.1:{}/adv", fake.port),
        ];
        let dials = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4u64)
            .map(|w| {
                let targets = targets.clone();
                let dials = dials.clone();
                std::thread::spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((w + 1) * 0x1234_5678));
                    let t0 = Instant::now();
                    while t0.elapsed() < Duration::from_secs(4) {
                        let target = &targets[rng.below(4) as usize];
                        let how =
                            [Close::Dialer, Close::Socket, Close::Both][rng.below(3) as usize];
                        let req = client(Protocol::Req0);
                        let d = req.dialer(target).unwrap();
                        d.start_background().unwrap();
                        std::thread::sleep(Duration::from_micros(rng.below(3000)));
                        let took = close_dial(d, req, how);
                        assert!(
                            took < scaled(Duration::from_secs(2)),
                            "{how:?} close of a dial to {target} took {took:?}"
                        );
                        dials.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let good = client(Protocol::Req0);
        good.dial(&targets[0]).unwrap();
        round_trip(&good, "after given-up dials");
        drop(good);
        let pipes = || {
            (
                listener_counters(&lrep, ["pipes"])[0],
                socket_pipes(&rep),
                listener_counters(&lpair, ["pipes"])[0],
                socket_pipes(&pair),
            )
        };
        assert!(
            eventually(scaled(TIMEOUT), || pipes() == (0, 0, 0, 0)),
            "after {} dials given up: pipes (rep listener, rep, pair listener, pair) = {:?}",
            dials.load(Ordering::Relaxed),
            pipes()
        );
        drop(echo);
        drop((lrep, lpair, rep, pair, fake));
        assert_fds_back(base, "dials given up");
        eprintln!("{} ws dials given up", dials.load(Ordering::Relaxed));
    })
}

/// Dials whose HTTP upgrade is refused (404 and the subprotocol's 400) or
/// answered wrongly (a bad 101), retried every 10-50 ms by `start_background`
/// on 8 sockets for a while and then all closed at once: no close hangs, no
/// connection is left open. (The error paths of `ws_http_cb_dialer` take the
/// dial's aio under `ws->mtx` now; each refused attempt also ends in the
/// dialer's reconnect.)
#[test]
fn refused_upgrades_retried_then_closed_leak_nothing() {
    let _serial = serial();
    within(scaled(Duration::from_secs(30)), "refused upgrades", || {
        let base = fd_baseline();
        let pair = socket(Protocol::Pair1);
        let lpair = ws_listen(&pair, "ws://127.0.0.1:0/pair");
        let port = lpair.port().unwrap();
        let fake = FakeServer::start(BAD_ACCEPT);
        let targets = [
            format!("ws://127.0.0.1:{port}/pair"),
            format!("ws://127.0.0.1:{port}/none"),
            format!("ws://127.0.0.1:{}/x", fake.port),
        ];
        // The blocking start reports each refusal with its own error.
        for (url, want) in
            targets
                .iter()
                .zip([Error::Protocol, Error::ConnectionRefused, Error::Protocol])
        {
            let req = socket(Protocol::Req0);
            assert_eq!(req.dialer(url).unwrap().start(), Err(want), "{url}");
        }
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for round in 0..20 {
            let clients: Vec<(Socket, Dialer)> = (0..8)
                .map(|i| {
                    let s = client(Protocol::Req0);
                    let d = s.dialer(&targets[(round + i) % 3]).unwrap();
                    d.start_background().unwrap();
                    (s, d)
                })
                .collect();
            std::thread::sleep(Duration::from_micros(rng.below(60_000)));
            let t = Instant::now();
            let closers: Vec<_> = clients
                .into_iter()
                .enumerate()
                .map(|(i, (s, d))| {
                    let how = [Close::Dialer, Close::Socket, Close::Both][i % 3];
                    std::thread::spawn(move || close_dial(d, s, how))
                })
                .collect();
            for c in closers {
                c.join().unwrap();
            }
            assert!(
                t.elapsed() < scaled(Duration::from_secs(2)),
                "round {round}: closes took {:?}",
                t.elapsed()
            );
        }
        assert_eq!(listener_counters(&lpair, ["pipes"])[0], 0);
        assert_eq!(socket_pipes(&pair), 0);
        drop((lpair, pair, fake));
        assert_fds_back(base, "refused upgrades");
    })
}

/// Established ws pipes, requests in flight both ways, then the client
/// sockets, their dialers and the server socket all closed at the same
/// moment from different threads: every close returns promptly and no
/// connection stays open.
#[test]
fn ws_pipes_closed_from_both_sides_at_once_leak_nothing() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(30)),
        "pipes closed from both sides",
        || {
            let base = fd_baseline();
            let mut rng = Rng(0xdead_beef_cafe_f00d);
            for round in 0..15 {
                let rep = Arc::new(socket(Protocol::Rep0));
                let l = ws_listen(&rep, "ws://127.0.0.1:0/p");
                let url = format!("ws://127.0.0.1:{}/p", l.port().unwrap());
                let echo = Echo::serve(&rep);
                let clients: Vec<(Arc<Socket>, Dialer)> = (0..6)
                    .map(|_| {
                        let s = Arc::new(client(Protocol::Req0));
                        let d = s.dialer(&url).unwrap();
                        d.start().unwrap();
                        (s, d)
                    })
                    .collect();
                // Requests in flight: each client sends and does not read.
                for (s, _) in &clients {
                    s.send(vec![round as u8; 1 + rng.below(200_000) as usize])
                        .unwrap();
                }
                std::thread::sleep(Duration::from_micros(rng.below(3000)));
                let go = Arc::new(Barrier::new(clients.len() * 2 + 2));
                let mut threads = Vec::new();
                for (s, d) in clients {
                    let g = go.clone();
                    threads.push(std::thread::spawn(move || {
                        g.wait();
                        let _ = d.close();
                    }));
                    let g = go.clone();
                    threads.push(std::thread::spawn(move || {
                        g.wait();
                        s.close().unwrap();
                    }));
                }
                let g = go.clone();
                let r = rep.clone();
                threads.push(std::thread::spawn(move || {
                    g.wait();
                    r.close().unwrap();
                }));
                go.wait();
                let t = Instant::now();
                for th in threads {
                    th.join().unwrap();
                }
                assert!(
                    t.elapsed() < scaled(Duration::from_secs(3)),
                    "round {round}: closes took {:?}",
                    t.elapsed()
                );
                drop(echo);
                drop(l);
            }
            assert_fds_back(base, "pipes closed from both sides");
        },
    )
}

// ---------------------------------------------------------------------------
// Listeners closed under upgrading dialers
// ---------------------------------------------------------------------------

/// Starts a listener on `url` (an explicit port, just released by a closed
/// listener): retried while the port is still reported in use, at most 2 s.
fn relisten(s: &Socket, url: &str) -> Listener {
    let deadline = Instant::now() + scaled(Duration::from_secs(2));
    loop {
        let l = Listener::new(s, url).unwrap();
        match l.start() {
            Ok(()) => return l,
            Err(Error::AddressInUse) if Instant::now() < deadline => {
                drop(l);
                std::thread::sleep(5 * MS);
            }
            Err(e) => panic!("relisten {url}: {e}"),
        }
    }
}

/// Eight clients redial a rep0 socket's ws listener (every 10-50 ms) while
/// the listener is closed at random moments and opened again on the same
/// explicit port, now and then alongside a second socket's listener on
/// another path of that port (sharing its server): every close returns
/// promptly, every client is served at the end, and then no pipe and no
/// connection is left.
#[test]
fn listeners_closed_and_reopened_under_upgrading_dialers() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(40)),
        "listeners reopened",
        || {
            let base = fd_baseline();
            let rep = socket(Protocol::Rep0);
            let other = socket(Protocol::Rep0);
            let mut l = ws_listen(&rep, "ws://127.0.0.1:0/adv");
            let port = l.port().unwrap();
            let url = format!("ws://127.0.0.1:{port}/adv");
            let other_url = format!("ws://127.0.0.1:{port}/other");
            let echo = Echo::serve(&rep);
            let clients: Vec<(Socket, Dialer)> = (0..8)
                .map(|_| {
                    let s = client(Protocol::Req0);
                    let d = s.dialer(&url).unwrap();
                    d.start_background().unwrap();
                    (s, d)
                })
                .collect();
            let mut rng = Rng(0x1f2e_3d4c_5b6a_7988);
            let t0 = Instant::now();
            let mut reopened = 0;
            while t0.elapsed() < Duration::from_secs(4) {
                let second = (rng.below(3) == 0).then(|| ws_listen(&other, &other_url));
                std::thread::sleep(Duration::from_micros(rng.below(20_000)));
                let t = Instant::now();
                if rng.below(2) == 0 {
                    l.close().unwrap();
                    drop(second);
                } else {
                    drop(second);
                    l.close().unwrap();
                }
                assert!(
                    t.elapsed() < scaled(Duration::from_secs(2)),
                    "listener close took {:?}",
                    t.elapsed()
                );
                l = relisten(&rep, &url);
                reopened += 1;
            }
            for (i, (s, _)) in clients.iter().enumerate() {
                round_trip(s, &format!("client {i} after {reopened} reopenings"));
            }
            drop(clients);
            let pipes = || (listener_counters(&l, ["pipes"])[0], socket_pipes(&rep));
            assert!(
                eventually(scaled(TIMEOUT), || pipes() == (0, 0)),
                "after {reopened} reopenings: pipes (listener, socket) = {:?}",
                pipes()
            );
            drop(echo);
            drop((l, rep, other));
            assert_fds_back(base, "listeners reopened");
            eprintln!("listener reopened {reopened} times");
        },
    )
}

/// A listener's socket and dialers mid-upgrade closed at the same moment
/// (a barrier releases all closes together), 25 rounds: every close returns
/// promptly and no connection is left open.
#[test]
fn listener_close_racing_dialer_closes() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(30)),
        "listener close racing dialer closes",
        || {
            let base = fd_baseline();
            let mut rng = Rng(0x0123_4567_89ab_cdef);
            for round in 0..25 {
                let rep = Arc::new(socket(Protocol::Rep0));
                let l = ws_listen(&rep, "ws://127.0.0.1:0/r");
                let url = format!("ws://127.0.0.1:{}/r", l.port().unwrap());
                let clients: Vec<(Socket, Dialer)> = (0..6)
                    .map(|_| {
                        let s = client(Protocol::Req0);
                        let d = s.dialer(&url).unwrap();
                        d.start_background().unwrap();
                        (s, d)
                    })
                    .collect();
                std::thread::sleep(Duration::from_micros(rng.below(4000)));
                let go = Arc::new(Barrier::new(clients.len() + 2));
                let mut threads: Vec<_> = clients
                    .into_iter()
                    .enumerate()
                    .map(|(i, (s, d))| {
                        let g = go.clone();
                        std::thread::spawn(move || {
                            g.wait();
                            if i % 2 == 0 {
                                d.close().unwrap();
                            } else {
                                s.close().unwrap();
                            }
                        })
                    })
                    .collect();
                let g = go.clone();
                threads.push(std::thread::spawn(move || {
                    g.wait();
                    if round % 2 == 0 {
                        l.close().unwrap();
                    } else {
                        rep.close().unwrap();
                    }
                }));
                go.wait();
                let t = Instant::now();
                for th in threads {
                    th.join().unwrap();
                }
                assert!(
                    t.elapsed() < scaled(Duration::from_secs(3)),
                    "round {round}: closes took {:?}",
                    t.elapsed()
                );
            }
            assert_fds_back(base, "listener close racing dialer closes");
        },
    )
}

// ---------------------------------------------------------------------------
// ws-port-zero-shared: which listeners share an HTTP server
// ---------------------------------------------------------------------------

/// One round trip from a fresh req0 socket to `url`, served by `rep`.
fn served_by(rep: &Socket, url: &str) {
    let req = socket(Protocol::Req0);
    req.dial(url).unwrap_or_else(|e| panic!("dial {url}: {e}"));
    let body = unique("served-by");
    req.send(body.as_bytes()).unwrap();
    let m = rep
        .recv()
        .unwrap_or_else(|e| panic!("{url}: the expected socket got nothing: {e}"));
    assert_eq!(m.as_slice(), body.as_bytes(), "{url}");
    rep.send(m).unwrap();
    assert_eq!(req.recv().unwrap().as_slice(), body.as_bytes(), "{url}");
}

/// nng#907, kept by the fix: a listener naming the bound port of a started
/// port-0 listener shares its server (a second path on the same port works);
/// one on the same path fails with `AddressInUse` and leaves the server
/// serving; closing the first leaves the second serving and the first's
/// path refused; a new port-0 listener never lands on that server.
#[test]
fn bound_port_named_explicitly_shares_the_server() {
    let _serial = serial();
    within(scaled(Duration::from_secs(20)), "shared server", || {
        let base = fd_baseline();
        let (a, b, c) = (
            socket(Protocol::Rep0),
            socket(Protocol::Rep0),
            socket(Protocol::Rep0),
        );
        let la = ws_listen(&a, "ws://127.0.0.1:0/a");
        let port = la.port().unwrap();
        let lb = ws_listen(&b, &format!("ws://127.0.0.1:{port}/b"));
        assert_eq!(lb.port().unwrap(), port);
        let lc = Listener::new(&c, &format!("ws://127.0.0.1:{port}/a")).unwrap();
        assert_eq!(lc.start(), Err(Error::AddressInUse));
        drop(lc);
        // Port 0 on the same host and path: a server of its own.
        let ld = ws_listen(&c, "ws://127.0.0.1:0/a");
        assert_ne!(ld.port().unwrap(), port);
        served_by(&a, &format!("ws://127.0.0.1:{port}/a"));
        served_by(&b, &format!("ws://127.0.0.1:{port}/b"));
        served_by(&c, &format!("ws://127.0.0.1:{}/a", ld.port().unwrap()));
        la.close().unwrap();
        served_by(&b, &format!("ws://127.0.0.1:{port}/b"));
        let req = socket(Protocol::Req0);
        assert_eq!(
            req.dialer(&format!("ws://127.0.0.1:{port}/a"))
                .unwrap()
                .start(),
            Err(Error::ConnectionRefused)
        );
        // The path is free again on the shared server.
        let la2 = ws_listen(&a, &format!("ws://127.0.0.1:{port}/a"));
        served_by(&a, &format!("ws://127.0.0.1:{port}/a"));
        served_by(&b, &format!("ws://127.0.0.1:{port}/b"));
        drop((la2, lb, ld, req, a, b, c));
        assert_fds_back(base, "shared server");
    })
}

/// A free TCP port on 127.0.0.1 (bound and released: another process could
/// take it meanwhile, which the caller then sees as `AddressInUse`).
fn probe_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two listeners on one explicit port, different paths, both created before
/// either starts: they share one server (an explicit port is matched even
/// before the server starts), so both start and each serves its own socket.
#[test]
fn explicit_port_listeners_created_before_starting_share() {
    let _serial = serial();
    within(scaled(Duration::from_secs(20)), "explicit port", || {
        let (a, b) = (socket(Protocol::Rep0), socket(Protocol::Rep0));
        let mut tries = 0;
        let (la, lb, port) = loop {
            let port = probe_port();
            let la = Listener::new(&a, &format!("ws://127.0.0.1:{port}/a")).unwrap();
            let lb = Listener::new(&b, &format!("ws://127.0.0.1:{port}/b")).unwrap();
            match la.start() {
                Ok(()) => {}
                // Taken by another process since the probe: another port.
                Err(Error::AddressInUse) if tries < 5 => {
                    tries += 1;
                    continue;
                }
                Err(e) => panic!("first listener on {port}: {e}"),
            }
            lb.start()
                .unwrap_or_else(|e| panic!("second listener on {port}: {e}"));
            break (la, lb, port);
        };
        assert_eq!((la.port().unwrap(), lb.port().unwrap()), (port, port));
        served_by(&a, &format!("ws://127.0.0.1:{port}/a"));
        served_by(&b, &format!("ws://127.0.0.1:{port}/b"));
    })
}

/// Eight threads at once each create and start a ws listener on
/// `ws://127.0.0.1:0/same` (same host, same path), while other listeners are
/// being closed: every start succeeds, every port differs, and each port
/// serves its own socket. Five rounds.
#[test]
fn port_zero_listeners_started_concurrently_are_separate() {
    let _serial = serial();
    within(scaled(Duration::from_secs(30)), "concurrent port 0", || {
        let base = fd_baseline();
        let mut previous: Vec<(Socket, Listener)> = Vec::new();
        for round in 0..5 {
            let go = Arc::new(Barrier::new(8 + 1));
            let closing = std::thread::spawn({
                let g = go.clone();
                let old = std::mem::take(&mut previous);
                move || {
                    g.wait();
                    drop(old);
                }
            });
            let starters: Vec<_> = (0..8)
                .map(|_| {
                    let g = go.clone();
                    std::thread::spawn(move || {
                        let s = socket(Protocol::Rep0);
                        let l = Listener::new(&s, "ws://127.0.0.1:0/same").unwrap();
                        g.wait();
                        l.start().map(|()| (s, l))
                    })
                })
                .collect();
            let mut ports = std::collections::HashSet::new();
            for t in starters {
                let (s, l) = t
                    .join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: a port-0 start failed: {e}"));
                let p = l.port().unwrap();
                assert!(ports.insert(p), "round {round}: two listeners on port {p}");
                previous.push((s, l));
            }
            closing.join().unwrap();
            for (s, l) in &previous {
                served_by(s, &format!("ws://127.0.0.1:{}/same", l.port().unwrap()));
            }
        }
        drop(previous);
        assert_fds_back(base, "concurrent port 0");
    })
}
