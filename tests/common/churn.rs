//! What the tests that give connections up at random moments share
//! (`adversarial_tls`, `adversarial_ws`, `adversarial_ws2`): the moments
//! (a deterministic pseudo-random sequence), the ways a dial is given up,
//! clients that redial at once, the `pipes` statistics, and the process's
//! descriptor count at rest, with one test at a time where it is compared.

use super::{eventually, open_fds, scaled, socket, TIMEOUT};
use nng::options::{ReconnectMaxTime, ReconnectMinTime};
use nng::{Dialer, Listener, Protocol, Socket};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// A deterministic pseudo-random sequence (xorshift), for the moments at
/// which things are closed.
pub struct Rng(pub u64);

impl Rng {
    /// The next value, below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One test at a time, for tests that compare the process's descriptor
/// count (a poisoned lock is taken over: the failed test has reported).
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `pipes` level of a statistics scope.
pub fn pipes_of(scope: &nng::stats::Stat<'_>) -> u64 {
    match scope.find("pipes").expect("pipes").value() {
        nng::stats::StatValue::Level(v) | nng::stats::StatValue::Counter(v) => v,
        other => panic!("pipes is {other:?}"),
    }
}

/// The `pipes` statistic of a socket.
pub fn socket_pipes(s: &Socket) -> u64 {
    let snap = nng::Statistics::get().unwrap();
    let scope = snap.socket(s).expect("socket statistics");
    pipes_of(&scope)
}

/// The `pipes` statistic of a listener.
pub fn listener_pipes(l: &Listener) -> u64 {
    let snap = nng::Statistics::get().unwrap();
    let scope = snap.listener(l).expect("listener statistics");
    pipes_of(&scope)
}

/// A client socket that redials quickly (10 to 50 ms).
pub fn client(p: Protocol) -> Socket {
    let s = socket(p);
    s.set_opt::<ReconnectMinTime>(Some(10 * MS)).unwrap();
    s.set_opt::<ReconnectMaxTime>(Some(50 * MS)).unwrap();
    s
}

/// The process's descriptors at rest: the lowest count seen over 300 ms
/// (nng closes connections on its own threads). Taken after a warm-up, for
/// comparison at the end of a test.
pub fn fds_at_rest() -> usize {
    let mut n = open_fds();
    let t = Instant::now();
    while t.elapsed() < 300 * MS {
        std::thread::sleep(10 * MS);
        n = n.min(open_fds());
    }
    n
}

/// Asserts that the descriptors come back to `base` (within the bound):
/// every connection made since was closed.
pub fn assert_fds_back(base: usize, what: &str) {
    assert!(
        eventually(scaled(TIMEOUT), || open_fds() <= base),
        "{what}: {} descriptors open, {base} before: connections leaked",
        open_fds()
    );
}

/// How a dial is given up.
#[derive(Clone, Copy, Debug)]
pub enum Close {
    Dialer,
    Socket,
    /// `Dialer::close` and `Socket::close` on two threads at once.
    Both,
}

/// Closes `d` and/or `s` as `how` says; the time the close took.
pub fn close_dial(d: Dialer, s: Socket, how: Close) -> Duration {
    let t = Instant::now();
    match how {
        Close::Dialer => {
            d.close().unwrap();
            drop(s);
        }
        Close::Socket => {
            s.close().unwrap();
            drop(d);
        }
        Close::Both => {
            let go = Arc::new(Barrier::new(2));
            let g = go.clone();
            let other = std::thread::spawn(move || {
                g.wait();
                // Closed already by the socket's close: `Closed`, or the
                // endpoint's id unknown by then.
                let _ = d.close();
            });
            go.wait();
            s.close().unwrap();
            other.join().unwrap();
        }
    }
    t.elapsed()
}
