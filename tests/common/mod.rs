//! Helpers shared by the integration tests: sockets with bounded timeouts and
//! unique addresses, so that no test can hang or collide with another.
#![allow(dead_code)] // each test file uses a subset

use nng::options::{RecvTimeout, SendTimeout};
use nng::{Error, Protocol, Socket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The bound on every blocking call in the tests.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A socket whose send and receive give up after [`TIMEOUT`].
pub fn socket(p: Protocol) -> Socket {
    let s = Socket::new(p).expect("open socket");
    s.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    s.set_opt::<SendTimeout>(Some(TIMEOUT)).unwrap();
    s
}

/// A raw socket with bounded timeouts.
pub fn raw_socket(p: Protocol) -> Socket {
    let s = Socket::new_raw(p).expect("open raw socket");
    s.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    s.set_opt::<SendTimeout>(Some(TIMEOUT)).unwrap();
    s
}

/// A name unique to this process and call.
pub fn unique(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "nng-rs-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh inproc URL.
pub fn inproc(tag: &str) -> String {
    format!("inproc://{}", unique(tag))
}

/// Receives with a short wait, expecting nothing: `true` if nothing came.
pub fn nothing_arrives(s: &Socket, within: Duration) -> bool {
    s.set_opt::<RecvTimeout>(Some(within)).unwrap();
    let r = s.recv();
    s.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    matches!(r, Err(Error::TimedOut))
}

/// Publishes `b"sync"` until `sub` (subscribed to it) receives one, proving
/// the connection is up; drains any extra copies.
pub fn sync_pubsub(publ: &Socket, sub: &Socket) {
    sub.subscribe(b"sync").unwrap();
    sub.set_opt::<RecvTimeout>(Some(Duration::from_millis(50)))
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        publ.send(b"sync").unwrap();
        if sub.recv().is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "pub/sub never connected");
    }
    while sub.recv().is_ok() {}
    sub.unsubscribe(b"sync").unwrap();
    sub.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
}

/// Waits (at most [`TIMEOUT`]) until a message is waiting at `s`, without
/// taking it: polls the socket's receive-readiness descriptor.
pub fn wait_readable(s: &Socket) {
    let mut pfd = libc::pollfd {
        fd: s.recv_poll_fd().expect("recv poll fd"),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, TIMEOUT.as_millis() as i32) };
    assert_eq!(n, 1, "no message became ready within {TIMEOUT:?}");
}
