//! The three ways to dial: blocking (`dial`, `Dialer::start`), a future of
//! the first attempt (`dial_async`, `Dialer::start_async`), and in the
//! background (`dial_background`, `Dialer::start_background`); what
//! dropping a dial future does while its attempt is under way.
//!
//! An attempt is held under way by a plain TCP listener that accepts the
//! connection and then holds back its half of the SP handshake (nng waits
//! up to 10 s for it, `src/sp/transport/tcp/tcp.c`).

mod common;

use common::*;
use nng::{Error, Protocol, Socket};
use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

/// SP protocol number of pull0 on the wire, and the handshake header.
const PULL0: u16 = 0x51;
fn sp_header(proto: u16) -> [u8; 8] {
    let [hi, lo] = proto.to_be_bytes();
    [0, b'S', b'P', 0, hi, lo, 0, 0]
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = futures::task::noop_waker();
    Pin::new(f).poll(&mut TaskContext::from_waker(&waker))
}

/// A TCP listener that accepts, reads the dialer's SP header, and answers
/// only when told to.
struct SilentPeer {
    listener: TcpListener,
}

impl SilentPeer {
    fn new() -> SilentPeer {
        SilentPeer {
            listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("tcp://{}", self.listener.local_addr().unwrap())
    }

    /// The dialer's connection, once its SP header has arrived.
    fn accept(&self) -> TcpStream {
        let (mut conn, _) = self.listener.accept().unwrap();
        conn.set_read_timeout(Some(scaled(TIMEOUT))).unwrap();
        let mut theirs = [0u8; 8];
        conn.read_exact(&mut theirs).unwrap();
        assert_eq!(&theirs[..4], &[0, b'S', b'P', 0]);
        conn
    }
}

/// Whether the peer closed `conn` within `limit` (a read returns 0 bytes).
fn closed_within(conn: &mut TcpStream, limit: Duration) -> bool {
    conn.set_read_timeout(Some(limit)).unwrap();
    let mut b = [0u8; 1];
    matches!(conn.read(&mut b), Ok(0))
        || matches!(conn.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset)
}

#[test]
fn dial_async_resolves_with_the_first_attempt() {
    let url = inproc("dial-async");
    let pull = socket(Protocol::Pull0);
    pull.listen(&url).unwrap();
    let push = socket(Protocol::Push0);
    futures::executor::block_on(push.dial_async(&url)).unwrap();
    push.send(b"connected").unwrap();
    assert_eq!(pull.recv().unwrap().as_slice(), b"connected");

    // Errors found before dialing come through the future too.
    let f = push.dial_async("nope://x");
    assert_eq!(futures::executor::block_on(f), Err(Error::NotSupported));
    assert_eq!(
        futures::executor::block_on(push.dial_async("tcp://127.0.0.1")),
        Err(Error::AddressInvalid)
    );
}

#[test]
fn a_failed_first_attempt_is_not_retried_except_in_the_background() {
    let (gone, background) = (inproc("dial-refused"), inproc("dial-background"));
    let push = socket(Protocol::Push0);
    let refused = futures::executor::block_on(push.dial_async(&gone));
    assert_eq!(refused, Err(Error::ConnectionRefused));
    push.dial_background(&background).unwrap();
    let late = socket(Protocol::Pull0);
    late.listen(&gone).unwrap();
    let pull = socket(Protocol::Pull0);
    pull.listen(&background).unwrap();
    // The background dial finds its listener (reconnect time 100 ms)...
    push.send(b"via background").unwrap();
    assert_eq!(pull.recv().unwrap().as_slice(), b"via background");
    // ...the refused one never dialled again: every message goes to the
    // background dial's listener, nothing reaches `late`.
    std::thread::sleep(scaled(Duration::from_millis(500)));
    for i in 0..10u8 {
        push.send([i]).unwrap();
        assert_eq!(pull.recv().unwrap().as_slice(), [i]);
    }
    assert!(nothing_arrives(&late, Duration::from_millis(200)));
}

#[test]
fn a_dialer_started_async_can_be_started_again_after_a_failure() {
    let url = inproc("dialer-again");
    let push = socket(Protocol::Push0);
    let d = push.dialer(&url).unwrap();
    let f = d.start_async();
    assert_eq!(
        futures::executor::block_on(f),
        Err(Error::ConnectionRefused)
    );
    let pull = socket(Protocol::Pull0);
    pull.listen(&url).unwrap();
    futures::executor::block_on(d.start_async()).unwrap();
    // Started now: a third start is a state error.
    assert_eq!(
        futures::executor::block_on(d.start_async()),
        Err(Error::IncorrectState)
    );
    push.send(b"second try").unwrap();
    assert_eq!(pull.recv().unwrap().as_slice(), b"second try");
}

#[test]
fn a_dial_async_future_resolves_once_its_handshake_completes() {
    let peer = SilentPeer::new();
    let push = socket(Protocol::Push0);
    let mut f = push.dial_async(&peer.url());
    assert!(poll_once(&mut f).is_pending());
    let mut conn = peer.accept();
    std::thread::sleep(Duration::from_millis(50));
    assert!(poll_once(&mut f).is_pending(), "no handshake yet");
    conn.write_all(&sp_header(PULL0)).unwrap();
    assert_eq!(futures::executor::block_on(f), Ok(()));
    // Connected: a message arrives framed (8-byte length, then the body).
    push.send(b"hi").unwrap();
    let mut frame = [0u8; 10];
    conn.read_exact(&mut frame).unwrap();
    assert_eq!(&frame[..8], &2u64.to_be_bytes());
    assert_eq!(&frame[8..], b"hi");
}

/// Dropping the future of `Socket::dial_async` gives the dial up at once:
/// its dialer is closed, and with it the connection being negotiated.
#[test]
fn dropping_a_dial_async_future_gives_the_dial_up_without_waiting() {
    let peer = SilentPeer::new();
    let push = socket(Protocol::Push0);
    let mut f = push.dial_async(&peer.url());
    assert!(poll_once(&mut f).is_pending());
    let mut conn = peer.accept();
    let start = Instant::now();
    drop(f);
    let took = start.elapsed();
    assert!(
        took < scaled(Duration::from_secs(2)),
        "the drop waited {took:?}"
    );
    assert!(
        closed_within(&mut conn, scaled(TIMEOUT)),
        "the dialer's connection is closed"
    );
    // Nothing left dialing: the socket closes at once.
    let start = Instant::now();
    drop(push);
    assert!(start.elapsed() < scaled(Duration::from_secs(2)));
}

/// Dropping the future of `Dialer::start_async` does not stop the dialer:
/// it dials on in the background, a failed attempt retried, and once a
/// peer answers the connection is kept.
#[test]
fn dropping_a_dialer_start_async_future_leaves_the_dialer_dialing() {
    let peer = SilentPeer::new();
    let push = socket(Protocol::Push0);
    let d = push.dialer(&peer.url()).unwrap();
    let mut f = d.start_async();
    assert!(poll_once(&mut f).is_pending());
    let first = peer.accept();
    let start = Instant::now();
    drop(f);
    let took = start.elapsed();
    assert!(
        took < scaled(Duration::from_secs(2)),
        "the drop waited {took:?}"
    );
    // That attempt fails (the peer hangs up): the dialer tries again.
    drop(first);
    let mut conn = peer.accept();
    conn.write_all(&sp_header(PULL0)).unwrap();
    push.send(b"kept").unwrap();
    let mut frame = [0u8; 12];
    conn.read_exact(&mut frame).unwrap();
    assert_eq!(&frame[8..], b"kept");
    // Closing the dialer closes its connection.
    d.close().unwrap();
    assert!(closed_within(&mut conn, scaled(TIMEOUT)));
}

/// The dialer is closed by its owner while a future of `start_async` is
/// pending (or after that future was dropped): the attempt ends, the future
/// resolves with an error, and nothing waits for the 10 s handshake.
#[test]
fn closing_a_dialer_ends_its_pending_start_async() {
    let peer = SilentPeer::new();
    let push = socket(Protocol::Push0);
    let d = push.dialer(&peer.url()).unwrap();
    let mut f = d.start_async();
    assert!(poll_once(&mut f).is_pending());
    let _conn = peer.accept();
    let start = Instant::now();
    d.close().unwrap();
    let r = futures::executor::block_on(f);
    assert!(
        matches!(r, Err(Error::Closed | Error::Stopped | Error::Canceled)),
        "{r:?}"
    );
    assert!(start.elapsed() < scaled(Duration::from_secs(2)));

    // The same with the future dropped first.
    let d = push.dialer(&peer.url()).unwrap();
    let mut f = d.start_async();
    assert!(poll_once(&mut f).is_pending());
    let _conn = peer.accept();
    drop(f);
    let start = Instant::now();
    d.close().unwrap();
    drop(push);
    assert!(start.elapsed() < scaled(Duration::from_secs(2)));
}

#[test]
fn dial_futures_are_send_and_static() {
    fn spawnable<F: Future + Send + 'static>(_: &F) {}
    let s = Socket::new(Protocol::Push0).unwrap();
    let a = s.dial_async("inproc://never-polled");
    let d = s.dialer("inproc://never-polled").unwrap();
    let b = d.start_async();
    spawnable(&a);
    spawnable(&b);
    // Never polled: nothing was started; the owned dialer closes unstarted.
    drop((a, b));
    drop(d);
}
