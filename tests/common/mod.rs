//! Helpers shared by the integration tests: sockets with bounded timeouts and
//! unique addresses, so that no test can hang or collide with another.
#![allow(dead_code)] // each test file uses a subset

use nng::options::{RecvTimeout, SendTimeout};
use nng::{Error, Protocol, Socket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How many times slower than natively the tests may run: the whole number in
/// `NNG_TEST_TIME_SCALE` (1 when unset). `.ci/memcheck` sets it, since under
/// valgrind the process runs 20-50x slower. Panics on a value that is not a
/// positive whole number, rather than silently running unscaled.
pub fn time_scale() -> u32 {
    static SCALE: OnceLock<u32> = OnceLock::new();
    *SCALE.get_or_init(|| match std::env::var("NNG_TEST_TIME_SCALE") {
        Err(_) => 1,
        Ok(v) => {
            v.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| {
                panic!("NNG_TEST_TIME_SCALE={v:?}: want a positive whole number")
            })
        }
    })
}

/// `d` stretched by [`time_scale`]: for bounds on waits that valgrind's
/// slowness would otherwise break (never for the "nothing arrives within"
/// waits, which only get slower).
pub fn scaled(d: Duration) -> Duration {
    d * time_scale()
}

/// The bound on every blocking call in the tests.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A socket whose send and receive give up after [`TIMEOUT`] ([`scaled`]).
pub fn socket(p: Protocol) -> Socket {
    let s = Socket::new(p).expect("open socket");
    s.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    s.set_opt::<SendTimeout>(Some(scaled(TIMEOUT))).unwrap();
    s
}

/// A raw socket with bounded timeouts.
pub fn raw_socket(p: Protocol) -> Socket {
    let s = Socket::new_raw(p).expect("open raw socket");
    s.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    s.set_opt::<SendTimeout>(Some(scaled(TIMEOUT))).unwrap();
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
    s.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
    matches!(r, Err(Error::TimedOut))
}

/// Publishes `b"sync"` until `sub` (subscribed to it) receives one, proving
/// the connection is up; drains any extra copies.
pub fn sync_pubsub(publ: &Socket, sub: &Socket) {
    sub.subscribe(b"sync").unwrap();
    sub.set_opt::<RecvTimeout>(Some(Duration::from_millis(50)))
        .unwrap();
    let deadline = Instant::now() + scaled(TIMEOUT);
    loop {
        publ.send(b"sync").unwrap();
        if sub.recv().is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "pub/sub never connected");
    }
    while sub.recv().is_ok() {}
    sub.unsubscribe(b"sync").unwrap();
    sub.set_opt::<RecvTimeout>(Some(scaled(TIMEOUT))).unwrap();
}
