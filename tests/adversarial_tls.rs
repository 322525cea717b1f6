//! Adversarial review of nng-sys's fixes `tls-handshake-timeout`,
//! `tls-bio-failed-ops`, `pipe-stat-underflow` and `nonblocking-send`
//! (nng-sys/build/patch.rs, nng-sys/patches/README.md), through the safe API
//! only: handshakes cancelled at every moment (dialers and sockets closed,
//! listeners closed over silent peers), timeouts racing a handshake's answer
//! (wss's 2 s upgrade timeout through proxies whose latency straddles it),
//! pipes closed while large messages flow (no duplicate, nothing invented,
//! delivery resumes), socket-level timeouts on established TLS pipes (the
//! pipe must survive them), the `pipes` statistics after all that, and the
//! non-blocking sends of bus0 and respondent0 against a peer that stops
//! reading.
//!
//! Each test is bounded (`within`) so a hang or deadlock fails instead of
//! blocking the run; bounds stretch with `NNG_TEST_TIME_SCALE`.
// The proxy (tests/common/proxy.rs) is Unix only.
#![cfg(unix)]

mod common;

use common::churn::*;
use common::proxy::{Dir, Proxy};
use common::*;
use nng::options::{RecvTimeout, SendTimeout};
use nng::pipe::PipeEvent;
use nng::{Context, Error, Protocol, Socket};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// SP over raw TCP: the 8-byte header of protocol `proto`.
fn sp_header(proto: u16) -> [u8; 8] {
    let [hi, lo] = proto.to_be_bytes();
    [0, b'S', b'P', 0, hi, lo, 0, 0]
}

/// A raw TCP peer that speaks SP as protocol `proto` to `port`, sends
/// `frames` (each: SP header bytes + body, framed with its 8-byte length)
/// and then never reads again.
fn raw_sp_peer(port: u16, proto: u16, frames: &[Vec<u8>]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(scaled(TIMEOUT))).unwrap();
    s.write_all(&sp_header(proto)).unwrap();
    let mut theirs = [0u8; 8];
    s.read_exact(&mut theirs).unwrap();
    for f in frames {
        s.write_all(&(f.len() as u64).to_be_bytes()).unwrap();
        s.write_all(f).unwrap();
    }
    s
}

// ---------------------------------------------------------------------------
// nonblocking-send: bus0 and respondent0 (no TLS needed)
// ---------------------------------------------------------------------------

/// bus0's non-blocking send never waits: with one peer that has stopped
/// reading (its queue and the TCP buffers full) and one that reads, every
/// `try_send` succeeds at once, and the reading peer gets messages in order,
/// none twice (bus0 may drop for a full peer, never duplicate).
#[test]
fn bus0_try_send_with_a_stuck_peer() {
    within(scaled(Duration::from_secs(20)), "bus0 try_send", || {
        let bus = socket(Protocol::Bus0);
        let (_l, url) = tcp_listener(&bus);
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        // The stuck peer: a raw bus0 peer (protocol 0x70) that never reads.
        let _stuck = raw_sp_peer(port, 0x70, &[]);
        let reader = socket(Protocol::Bus0);
        reader.dial(&url).unwrap();
        assert!(eventually(scaled(TIMEOUT), || socket_pipes(&bus) == 2));
        let got = Arc::new(Mutex::new(Vec::<u32>::new()));
        let done = Arc::new(AtomicBool::new(false));
        let (g, d) = (got.clone(), done.clone());
        reader
            .set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))
            .unwrap();
        let rthread = std::thread::spawn(move || loop {
            match reader.recv() {
                Ok(m) => g
                    .lock()
                    .unwrap()
                    .push(u32::from_be_bytes(m.as_slice()[..4].try_into().unwrap())),
                Err(Error::TimedOut) if d.load(Ordering::SeqCst) => return,
                Err(Error::TimedOut) => {}
                Err(e) => panic!("reader: {e}"),
            }
        });
        let body = vec![7u8; 16 * 1024];
        let t0 = Instant::now();
        let mut slowest = Duration::ZERO;
        for i in 0..3000u32 {
            let mut m = body.clone();
            m[..4].copy_from_slice(&i.to_be_bytes());
            let t = Instant::now();
            bus.try_send(m)
                .unwrap_or_else(|e| panic!("try_send {i}: {}", e.error));
            slowest = slowest.max(t.elapsed());
            if i % 64 == 0 {
                std::thread::sleep(MS); // let the reader keep up now and then
            }
        }
        eprintln!(
            "bus0: 3000 try_sends in {:?}, slowest {slowest:?}",
            t0.elapsed()
        );
        std::thread::sleep(300 * MS);
        done.store(true, Ordering::SeqCst);
        rthread.join().unwrap();
        let got = got.lock().unwrap();
        assert!(!got.is_empty(), "the reading peer got nothing");
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "out of order or duplicated"
        );
        eprintln!("bus0: the reading peer got {} of 3000", got.len());
        bus.close().unwrap();
    })
}

/// One reply per survey: after a non-blocking reply (delivered or refused
/// with `TryAgain`), a second `try_send` on the same survey fails with
/// `IncorrectState`, and the surveyor gets exactly the replies that were
/// reported sent. Prints how often the first `try_send` was refused: over
/// inproc with an idle surveyor it still happens (the previous reply's
/// pipe send has been delivered, but resp0's `p->busy` is cleared only when
/// its completion callback runs on the taskq), and per `Socket::try_send`'s
/// docs such a refusal ends the survey unanswered.
#[test]
fn respondent0_try_send_once_per_survey() {
    within(scaled(Duration::from_secs(20)), "respondent once", || {
        let url = inproc("adv-resp-once");
        let surveyor = socket(Protocol::Surveyor0);
        surveyor.listen(&url).unwrap();
        surveyor
            .set_opt::<nng::options::SurveyTime>(Some(Duration::from_millis(300)))
            .unwrap();
        let respondent = socket(Protocol::Respondent0);
        respondent.dial(&url).unwrap();
        let mut refused = 0;
        for round in 0..200u32 {
            let tag = round.to_be_bytes();
            surveyor.send(&tag[..]).unwrap();
            let s = respondent.recv().unwrap();
            assert_eq!(s.as_slice(), tag);
            let first = respondent.try_send(&tag[..]).map_err(|e| e.error);
            let again = respondent.try_send(&b"again"[..]).map_err(|e| e.error);
            assert_eq!(again, Err(Error::IncorrectState), "round {round}");
            match first {
                Ok(()) => assert_eq!(surveyor.recv().unwrap().as_slice(), tag),
                Err(Error::TryAgain) => {
                    refused += 1;
                    // The survey ended unanswered: nothing arrives.
                    assert_eq!(surveyor.recv(), Err(Error::TimedOut), "round {round}");
                }
                Err(e) => panic!("round {round}: {e}"),
            }
        }
        eprintln!("respondent0: {refused} of 200 non-blocking replies refused (idle inproc peer)");
        // No second reply is on its way.
        surveyor.send(&b"last"[..]).unwrap();
        assert_eq!(respondent.recv().unwrap().as_slice(), b"last");
        assert_eq!(surveyor.recv(), Err(Error::TimedOut));
    })
}

/// A reply that must wait (the pipe is busy writing a large reply to a peer
/// that stopped reading) fails a non-blocking send with `TryAgain`; returns
/// that error, the header of the message handed back, and what a blocking
/// retry with a 200 ms timeout gives.
fn busy_pipe_try_send(server: Protocol, peer_proto: u16) -> (Error, Vec<u8>, Error) {
    let s = socket(server);
    let (_l, url) = tcp_listener(&s);
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    // Two requests/surveys, ids 1 and 2 (high bit set), bodies "a", "b".
    let frame = |id: u32, body: &[u8]| {
        let mut f = (id | 0x8000_0000).to_be_bytes().to_vec();
        f.extend_from_slice(body);
        f
    };
    let _peer = raw_sp_peer(port, peer_proto, &[frame(1, b"a"), frame(2, b"b")]);
    let a = Context::new(&s).unwrap();
    let b = Context::new(&s).unwrap();
    a.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    b.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), b"a");
    assert_eq!(b.recv().unwrap().as_slice(), b"b");
    // 32 MiB: far more than the socket buffers, so the pipe stays busy.
    a.send(vec![0u8; 32 << 20]).map_err(|e| e.error).unwrap();
    std::thread::sleep(100 * MS);
    let e = b.try_send(&b"reply-b"[..]).unwrap_err();
    let header = e.message.header().to_vec();
    assert_eq!(e.message.as_slice(), b"reply-b", "the body changed");
    b.set_opt::<SendTimeout>(Some(200 * MS)).unwrap();
    let retry = b.send(&b"reply-b"[..]).unwrap_err().error;
    s.close().unwrap();
    (e.error, header, retry)
}

fn busy(server: Protocol, peer_proto: u16) -> (Error, Vec<u8>, Error) {
    let r = within(scaled(Duration::from_secs(20)), "busy pipe", move || {
        busy_pipe_try_send(server, peer_proto)
    });
    eprintln!(
        "{server:?}: try_send -> {:?} (header {:02x?}), retry -> {:?}",
        r.0, r.1, r.2
    );
    r
}

/// respondent0 now behaves as rep0 (and as `Socket::try_send` documents):
/// a reply that must wait fails with `TryAgain` and ends its survey, so a
/// retry fails with `IncorrectState`; one reply per survey holds.
#[test]
fn respondent0_busy_pipe_try_send_ends_the_survey_as_rep0() {
    for (server, peer) in [(Protocol::Respondent0, 0x62), (Protocol::Rep0, 0x30)] {
        let (first, _, retry) = busy(server, peer);
        assert_eq!(first, Error::TryAgain, "{server:?}");
        assert_eq!(retry, Error::IncorrectState, "{server:?}");
    }
}

// ---------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------

#[cfg(nng_tls)]
mod tls {
    use super::*;
    use nng::{Dialer, Listener};

    #[derive(Clone, Copy, Debug, PartialEq)]
    pub enum Scheme {
        TlsTcp,
        Wss,
        /// Plain ws://, to tell TLS faults from websocket ones.
        Ws,
    }

    impl Scheme {
        fn url(self, port: u16) -> String {
            match self {
                Scheme::TlsTcp => format!("tls+tcp://127.0.0.1:{port}"),
                Scheme::Wss => format!("wss://127.0.0.1:{port}/adv"),
                Scheme::Ws => format!("ws://127.0.0.1:{port}/adv"),
            }
        }

        pub fn listen(self, s: &Socket) -> (Listener, u16) {
            let l = match self {
                Scheme::Ws => s.listener(&self.url(0)).unwrap(),
                _ => s.listener_tls(&self.url(0), &localhost_tls().0).unwrap(),
            };
            l.start().unwrap();
            let port = l.port().unwrap();
            (l, port)
        }

        pub fn dialer(self, s: &Socket, port: u16) -> Dialer {
            match self {
                Scheme::Ws => s.dialer(&self.url(port)).unwrap(),
                _ => s.dialer_tls(&self.url(port), &localhost_tls().1).unwrap(),
            }
        }
    }

    /// Dialers (and their sockets) closed at pseudo-random moments of the
    /// TLS (and, for wss, HTTP) handshake: every close returns promptly,
    /// the server keeps serving, and its `pipes` statistics come back to 0
    /// (not wrapped) once the clients are gone.
    pub fn handshakes_cancelled(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "cancelled handshakes",
            move || {
                let rep = socket(Protocol::Rep0);
                let (l, port) = scheme.listen(&rep);
                let _echo = Echo::serve(&rep);
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
                let t0 = Instant::now();
                let mut n = 0;
                while t0.elapsed() < Duration::from_secs(6) {
                    let req = client(Protocol::Req0);
                    let d = scheme.dialer(&req, port);
                    d.start_background().unwrap();
                    std::thread::sleep(Duration::from_micros(rng.below(4000)));
                    let tc = Instant::now();
                    if rng.below(2) == 0 {
                        d.close().unwrap();
                        drop(req);
                    } else {
                        req.close().unwrap();
                        drop(d);
                    }
                    assert!(
                        tc.elapsed() < scaled(Duration::from_secs(2)),
                        "close took {:?}",
                        tc.elapsed()
                    );
                    n += 1;
                }
                let good = client(Protocol::Req0);
                let gd = scheme.dialer(&good, port);
                gd.start().unwrap();
                round_trip(&good, "after cancelled handshakes");
                drop(gd);
                drop(good);
                let pipes = || (listener_counters(&l, ["pipes"])[0], socket_pipes(&rep));
                assert!(
                    eventually(scaled(TIMEOUT), || pipes() == (0, 0)),
                    "{scheme:?}: after {n} cancelled handshakes: pipes (listener, socket) = {:?}",
                    pipes()
                );
                eprintln!("{scheme:?}: {n} handshakes cancelled");
            },
        )
    }

    /// Raw TCP clients that connect to a TLS listener and send a partial
    /// ClientHello (or nothing), then the listener's socket is closed while
    /// they all wait: the close must return promptly.
    pub fn listener_closed_over_stalled_handshakes(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "listener close",
            move || {
                for round in 0..10 {
                    let rep = socket(Protocol::Rep0);
                    let (_l, port) = scheme.listen(&rep);
                    let peers: Vec<TcpStream> = (0..20)
                        .map(|i| {
                            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                            if i % 2 == 0 {
                                // A TLS record header announcing 512 bytes, then 5.
                                s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 1, 0, 1, 0xfc, 3])
                                    .unwrap();
                            }
                            s
                        })
                        .collect();
                    std::thread::sleep(Duration::from_millis(20 + 10 * round));
                    let t = Instant::now();
                    rep.close().unwrap();
                    drop(rep);
                    assert!(
                        t.elapsed() < scaled(Duration::from_secs(3)),
                        "{scheme:?}: close took {:?}",
                        t.elapsed()
                    );
                    drop(peers);
                }
            },
        )
    }

    /// Handshake answers delayed by about the wss upgrade's 2 s timeout, so
    /// the timeout and the answer race: every dial returns within a bound,
    /// and each one that succeeded carries traffic.
    pub fn timeouts_racing_answers(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "racing timeouts",
            move || {
                let rep = socket(Protocol::Rep0);
                let (_l, port) = scheme.listen(&rep);
                let _echo = Echo::serve(&rep);
                let proxies: Vec<Proxy> = (0..8)
                    .map(|i| {
                        let p = Proxy::start(([127, 0, 0, 1], port).into());
                        // The response read (its own 2 s) waits one round trip.
                        p.set_latency(Dir::Down, Duration::from_millis(1880 + 30 * i));
                        p.set_latency(Dir::Up, Duration::from_millis(30));
                        p
                    })
                    .collect();
                let dials: Vec<_> = proxies
                    .iter()
                    .map(|p| {
                        let req = client(Protocol::Req0);
                        let d = scheme.dialer(&req, p.addr().port());
                        std::thread::spawn(move || {
                            let t = Instant::now();
                            let r = d.start();
                            let took = t.elapsed();
                            if r.is_ok() {
                                req.set_opt::<RecvTimeout>(Some(scaled(Duration::from_secs(8))))
                                    .unwrap();
                                round_trip(&req, "after a raced handshake");
                            }
                            drop(d);
                            (r, took)
                        })
                    })
                    .collect();
                let results: Vec<_> = dials.into_iter().map(|h| h.join().unwrap()).collect();
                eprintln!("{scheme:?}: raced dials: {results:?}");
                for (r, took) in &results {
                    assert!(
                        *took < scaled(Duration::from_secs(14)),
                        "{r:?} after {took:?}"
                    );
                }
                drop(proxies);
                // The listener still serves a direct client.
                let fresh = client(Protocol::Req0);
                let fd = scheme.dialer(&fresh, port);
                fd.start().unwrap();
                round_trip(&fresh, "a direct client after the raced handshakes");
            },
        )
    }

    /// Push over TLS while the server closes its newest pipe every 30 ms:
    /// no message arrives twice or uninvented, and delivery resumes once the
    /// closing stops.
    pub fn push_pull_pipes_closed(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "push/pull closes",
            move || {
                let pull = Arc::new(socket(Protocol::Pull0));
                let pipes: Arc<Mutex<Vec<nng::Pipe>>> = Arc::default();
                let p = pipes.clone();
                pull.pipe_notify(PipeEvent::AddPost, move |_, pipe| {
                    p.lock().unwrap().push(pipe)
                })
                .unwrap();
                let (_l, port) = scheme.listen(&pull);
                let push = Arc::new(client(Protocol::Push0));
                push.set_opt::<SendTimeout>(Some(scaled(Duration::from_secs(5))))
                    .unwrap();
                let d = scheme.dialer(&push, port);
                d.start().unwrap();
                let stop = Arc::new(AtomicBool::new(false));
                let sent = Arc::new(AtomicUsize::new(0));
                let (st, sn, pu) = (stop.clone(), sent.clone(), push.clone());
                let sender = std::thread::spawn(move || {
                    let mut i = 0u32;
                    while !st.load(Ordering::SeqCst) {
                        let len = if i % 8 == 0 { 200_000 } else { 64 };
                        let mut m = vec![(i % 251) as u8; len];
                        m[..4].copy_from_slice(&i.to_be_bytes());
                        if pu.send(m).is_ok() {
                            sn.fetch_add(1, Ordering::SeqCst);
                        }
                        i += 1;
                    }
                    i
                });
                let got = Arc::new(Mutex::new(Vec::<(u32, bool)>::new()));
                let g = got.clone();
                let pl = pull.clone();
                pl.set_opt::<RecvTimeout>(Some(100 * MS)).unwrap();
                let receiver = std::thread::spawn(move || loop {
                    match pl.recv() {
                        Ok(m) => {
                            let id = u32::from_be_bytes(m.as_slice()[..4].try_into().unwrap());
                            let len_ok = m.len() == if id % 8 == 0 { 200_000 } else { 64 }
                                && m.as_slice()[4..].iter().all(|&b| b == (id % 251) as u8);
                            g.lock().unwrap().push((id, len_ok));
                        }
                        Err(Error::TimedOut) => {}
                        Err(Error::Closed) => return,
                        Err(e) => panic!("pull: {e}"),
                    }
                });
                let t0 = Instant::now();
                let mut closed = 0;
                while t0.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(scaled(30 * MS));
                    let newest = pipes.lock().unwrap().last().copied();
                    if newest.is_some_and(|p| p.close().is_ok()) {
                        closed += 1;
                    }
                }
                let before = got.lock().unwrap().len();
                let resumed =
                    eventually(scaled(TIMEOUT), || got.lock().unwrap().len() > before + 20);
                stop.store(true, Ordering::SeqCst);
                let total = sender.join().unwrap();
                pull.close().unwrap();
                receiver.join().unwrap();
                let got = got.lock().unwrap();
                let mut seen = HashSet::new();
                let dups: Vec<u32> = got
                    .iter()
                    .filter(|(id, _)| !seen.insert(*id))
                    .map(|x| x.0)
                    .collect();
                let bad: Vec<u32> = got.iter().filter(|(_, ok)| !ok).map(|x| x.0).collect();
                eprintln!(
                "{scheme:?}: {closed} pipes closed, {total} sends started, {} reported sent, {} received",
                sent.load(Ordering::SeqCst),
                got.len()
            );
                assert!(dups.is_empty(), "{scheme:?}: received twice: {dups:?}");
                assert!(bad.is_empty(), "{scheme:?}: corrupted: {bad:?}");
                assert!(
                    got.iter().all(|(id, _)| *id < total),
                    "a message never sent"
                );
                assert!(
                    closed > 20 / time_scale(),
                    "{scheme:?}: only {closed} pipes closed"
                );
                assert!(
                    resumed,
                    "{scheme:?}: delivery did not resume after the closing stopped"
                );
                drop(d);
            },
        )
    }

    /// Socket-level receive timeouts (1 ms, hundreds of them) on an
    /// established TLS connection must not touch the connection: SP's
    /// timeouts are above the transport, whose receive has no timeout (a
    /// timed-out TLS operation now fails the whole TLS connection). The
    /// dialer's one pipe survives and still carries traffic, with data
    /// flowing in the other direction meanwhile.
    pub fn socket_timeouts_leave_the_pipe(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "socket timeouts",
            move || {
                let a = socket(Protocol::Pair1);
                let (_l, port) = scheme.listen(&a);
                let b = client(Protocol::Pair1);
                let events = Arc::new(Mutex::new(Vec::new()));
                let ev = events.clone();
                b.pipe_notify(PipeEvent::RemPost, move |_, p| {
                    ev.lock().unwrap().push(p.id())
                })
                .unwrap();
                let d = scheme.dialer(&b, port);
                d.start().unwrap();
                a.set_opt::<SendTimeout>(Some(scaled(TIMEOUT))).unwrap();
                b.set_opt::<RecvTimeout>(Some(MS)).unwrap();
                let mut got = 0u32;
                let mut timeouts = 0;
                for i in 0..400u32 {
                    if i % 4 == 0 {
                        a.send(&i.to_be_bytes()[..]).unwrap();
                    }
                    match b.recv() {
                        Ok(m) => {
                            assert_eq!(m.as_slice(), (got * 4).to_be_bytes(), "lost or reordered");
                            got += 1;
                        }
                        Err(Error::TimedOut) => timeouts += 1,
                        Err(e) => panic!("recv: {e}"),
                    }
                    if i % 16 == 0 {
                        // An aio-level timeout too, through the async API.
                        let r = futures::executor::block_on(async {
                            b.recv_async().timeout(Some(Duration::from_millis(1))).await
                        });
                        match r {
                            Ok(m) => {
                                assert_eq!(m.as_slice(), (got * 4).to_be_bytes());
                                got += 1;
                            }
                            Err(Error::TimedOut) => timeouts += 1,
                            Err(e) => panic!("async recv: {e}"),
                        }
                    }
                }
                b.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
                while got < 100 {
                    let m = b.recv().unwrap();
                    assert_eq!(m.as_slice(), (got * 4).to_be_bytes());
                    got += 1;
                }
                b.send(&b"still there"[..]).unwrap();
                a.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
                assert_eq!(a.recv().unwrap().as_slice(), b"still there");
                eprintln!("{scheme:?}: {timeouts} timeouts, {got} messages");
                assert!(timeouts > 100, "only {timeouts} timeouts");
                assert!(
                    events.lock().unwrap().is_empty(),
                    "{scheme:?}: the pipe closed under socket timeouts"
                );
                drop(d);
            },
        )
    }

    /// Both ends close pipes while requests flow in both directions over
    /// TLS (the server its newest, the client its own too), with resends:
    /// every request gets its own reply, none is lost for good.
    pub fn both_sides_close(scheme: Scheme) {
        within(
            scaled(Duration::from_secs(20)),
            "both sides close",
            move || {
                let rep = socket(Protocol::Rep0);
                let server_pipes: Arc<Mutex<Vec<nng::Pipe>>> = Arc::default();
                let sp = server_pipes.clone();
                rep.pipe_notify(PipeEvent::AddPost, move |_, p| sp.lock().unwrap().push(p))
                    .unwrap();
                let (_l, port) = scheme.listen(&rep);
                let servers: Vec<_> = (0..3)
                    .map(|_| echo_until_closed(Context::new(&rep).unwrap()))
                    .collect();
                let req = Arc::new(client(Protocol::Req0));
                req.set_opt::<nng::options::ReqResendTime>(Some(100 * MS))
                    .unwrap();
                req.set_opt::<nng::options::ReqResendTick>(Some(20 * MS))
                    .unwrap();
                let client_pipes: Arc<Mutex<Vec<nng::Pipe>>> = Arc::default();
                let cp = client_pipes.clone();
                req.pipe_notify(PipeEvent::AddPost, move |_, p| cp.lock().unwrap().push(p))
                    .unwrap();
                let d = scheme.dialer(&req, port);
                d.start().unwrap();
                let stop = Arc::new(AtomicBool::new(false));
                let clients: Vec<_> = (0..3u32)
                    .map(|w| {
                        let (req, stop) = (req.clone(), stop.clone());
                        std::thread::spawn(move || -> Result<u32, String> {
                            let ctx = Context::new(&req).unwrap();
                            ctx.set_opt::<RecvTimeout>(Some(scaled(Duration::from_secs(8))))
                                .unwrap();
                            let mut n = 0u32;
                            while !stop.load(Ordering::SeqCst) {
                                let len = if n % 8 == w { 100_000 } else { 50 };
                                let mut body = vec![w as u8; len];
                                body[..4].copy_from_slice(&n.to_be_bytes());
                                ctx.send(body.clone()).map_err(|e| e.error.to_string())?;
                                match ctx.recv() {
                                    Ok(m) if m.as_slice() == body => n += 1,
                                    Ok(m) => {
                                        return Err(format!(
                                            "{w}: wrong reply of {} bytes",
                                            m.len()
                                        ))
                                    }
                                    Err(e) => return Err(format!("{w}: request {n}: {e}")),
                                }
                            }
                            Ok(n)
                        })
                    })
                    .collect();
                let mut rng = Rng(12345);
                let t0 = Instant::now();
                let mut closed = 0;
                while t0.elapsed() < Duration::from_secs(6)
                    && !clients.iter().any(|c| c.is_finished())
                {
                    std::thread::sleep(scaled(Duration::from_millis(10 + rng.below(40))));
                    let side = if rng.below(2) == 0 {
                        &server_pipes
                    } else {
                        &client_pipes
                    };
                    let newest = side.lock().unwrap().last().copied();
                    if newest.is_some_and(|p| p.close().is_ok()) {
                        closed += 1;
                    }
                }
                stop.store(true, Ordering::SeqCst);
                let answered: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
                rep.close().unwrap();
                for s in servers {
                    s.join().unwrap();
                }
                eprintln!("{scheme:?}: {closed} pipes closed, answered {answered:?}");
                let failed: Vec<_> = answered.iter().filter_map(|r| r.as_ref().err()).collect();
                assert!(failed.is_empty(), "{scheme:?}: {failed:?}");
                assert!(
                    closed > 20 / time_scale(),
                    "{scheme:?}: only {closed} pipes closed"
                );
                drop(d);
            },
        )
    }

    /// A proxy that resets every connection at pseudo-random moments (during
    /// handshakes and traffic) for a few seconds; afterwards the client
    /// reconnects and the statistics add up.
    pub fn resets_during_handshakes(scheme: Scheme) {
        within(scaled(Duration::from_secs(20)), "resets", move || {
            let rep = socket(Protocol::Rep0);
            let (l, port) = scheme.listen(&rep);
            let _echo = Echo::serve(&rep);
            let proxy = Proxy::start(([127, 0, 0, 1], port).into());
            proxy.set_latency_both(Duration::from_millis(3));
            let req = client(Protocol::Req0);
            req.set_opt::<nng::options::ReqResendTime>(Some(50 * MS))
                .unwrap();
            let d = scheme.dialer(&req, proxy.addr().port());
            d.start_background().unwrap();
            let mut rng = Rng(777);
            let t0 = Instant::now();
            let mut resets = 0;
            while t0.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(rng.below(25)));
                resets += proxy.reset_all();
            }
            proxy.set_latency_both(Duration::ZERO);
            req.set_opt::<RecvTimeout>(Some(scaled(Duration::from_secs(8))))
                .unwrap();
            round_trip(&req, "after resets");
            drop(d);
            drop(req);
            let pipes = || (listener_counters(&l, ["pipes"])[0], socket_pipes(&rep));
            assert!(
                eventually(scaled(TIMEOUT), || pipes() == (0, 0)),
                "{scheme:?}: after {resets} resets: pipes (listener, socket) = {:?}",
                pipes()
            );
            eprintln!("{scheme:?}: {resets} connections reset");
        })
    }
}

/// Runs each TLS body over tls+tcp and wss.
#[cfg(nng_tls)]
macro_rules! tls_schemes {
    ($($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[test]
            fn tls_tcp() {
                super::tls::$body(super::tls::Scheme::TlsTcp);
            }
            #[test]
            fn wss() {
                super::tls::$body(super::tls::Scheme::Wss);
            }
            #[test]
            fn ws() {
                super::tls::$body(super::tls::Scheme::Ws);
            }
        }
    )*};
}

#[cfg(nng_tls)]
tls_schemes! {
    listener_closed => listener_closed_over_stalled_handshakes;
    push_pull_closes => push_pull_pipes_closed;
    socket_timeouts => socket_timeouts_leave_the_pipe;
    both_sides_close => both_sides_close;
    resets => resets_during_handshakes;
}

/// Over tls+tcp, handshakes cancelled at every moment hold (tls_cancel's new
/// path: conn->lock, then bio_lock, tls_bio_error, the queued operations
/// failed).
#[cfg(nng_tls)]
#[test]
fn handshakes_cancelled_tls_tcp() {
    tls::handshakes_cancelled(tls::Scheme::TlsTcp);
}

/// Over wss and plain ws:// the same. On nng 2.0.0 the dialer's close hung
/// (nng bug `ws-dialer-stop-hang`, fixed in nng-sys: `ws_conn_cb` reaped a
/// cancelled dial without taking it off the dialer's pending list, which
/// `ws_dialer_stop` waits to see empty): `nng_dialer_close` blocked in
/// `ws_dialer_stop` after 58-678 dialers closed 0-4 ms after
/// `start_background`.
#[cfg(nng_tls)]
#[test]
fn handshakes_cancelled_wss() {
    tls::handshakes_cancelled(tls::Scheme::Wss);
}

/// Over plain ws:// the same. On nng 2.0.0, besides the hang above, the
/// listener kept a few pipes (6 to 15 of about 2,300 per run) whose dialer
/// was closed just as its HTTP upgrade completed (nng bug
/// `ws-dial-stream-leak`, fixed in nng-sys: the upgraded stream, handed to
/// the SP transport on an aio being stopped, came back as `NNG_ESTOPPED`
/// and was never freed, and the dial's cancel and the upgrade could both
/// finish the dial's aio).
#[cfg(nng_tls)]
#[test]
fn handshakes_cancelled_ws() {
    tls::handshakes_cancelled(tls::Scheme::Ws);
}

/// wss: the HTTP upgrade's 2 s response timeout (a TLS receive cancelled
/// while the handshake's answer is on its way) racing the answer.
#[cfg(nng_tls)]
#[test]
fn timeouts_racing_wss() {
    tls::timeouts_racing_answers(tls::Scheme::Wss);
}

/// The same over plain ws://, for comparison.
#[cfg(nng_tls)]
#[test]
fn timeouts_racing_ws() {
    tls::timeouts_racing_answers(tls::Scheme::Ws);
}
