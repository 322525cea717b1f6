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

/// Waits (at most [`TIMEOUT`]) until a message is waiting at `s`, without
/// taking it: polls the socket's receive-readiness descriptor.
pub fn wait_readable(s: &Socket) {
    let mut pfd = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(&s.recv_poll_fd().expect("recv poll fd")),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut pfd, 1, TIMEOUT.as_millis() as i32) };
    assert_eq!(n, 1, "no message became ready within {TIMEOUT:?}");
}

/// Runs `f` on its own thread and fails the test if it has not finished
/// within `limit` (a hang or deadlock fails instead of blocking the run);
/// a panic inside `f` is resumed here.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(p) => std::panic::resume_unwind(p),
            Ok(()) => unreachable!("the worker sends before it returns"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no result within {limit:?} (hang or deadlock)")
        }
    }
}

/// Starts a listener on `tcp://127.0.0.1:0` and returns it with the URL
/// dialers use (the bound port filled in).
pub fn tcp_listener(s: &Socket) -> (nng::Listener, String) {
    let l = nng::Listener::new(s, "tcp://127.0.0.1:0").expect("tcp listener");
    l.start().expect("start tcp listener");
    let url = format!("tcp://127.0.0.1:{}", l.port().unwrap());
    (l, url)
}

/// A counter of a statistics scope, e.g. a listener's `"proto"` errors.
pub fn counter(scope: &nng::stats::Stat<'_>, name: &str) -> u64 {
    match scope
        .find(name)
        .unwrap_or_else(|| panic!("no statistic {name}"))
        .value()
    {
        nng::stats::StatValue::Counter(v) => v,
        other => panic!("{name} is {other:?}"),
    }
}

/// The counters `names` of `listener`, read from a fresh snapshot.
pub fn listener_counters<const N: usize>(l: &nng::Listener, names: [&str; N]) -> [u64; N] {
    let snap = nng::Statistics::get().unwrap();
    let scope = snap.listener(l).expect("listener statistics");
    names.map(|n| counter(&scope, n))
}

/// Polls `cond` every 5 ms until it holds; `false` if `limit` passed first.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How long the time-bounded stress loops run: `NNG_STRESS_SECS` seconds if
/// set (the long variant), else `default`.
pub fn stress_time(default: Duration) -> Duration {
    std::env::var("NNG_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(default, Duration::from_secs_f64)
}

/// Open file descriptors of this process (entries of `/proc/self/fd`).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Resident memory of this process in KiB (`VmRSS` in `/proc/self/status`).
pub fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Serves `rep` on its own thread, echoing every request, until the returned
/// guard is dropped (which joins the thread). Receives poll every 50 ms, so
/// the guard stops promptly.
pub struct Echo {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Echo {
    pub fn serve(rep: &Socket) -> Echo {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ctx = nng::Context::new(rep).expect("rep context");
        ctx.set_opt::<RecvTimeout>(Some(Duration::from_millis(50)))
            .unwrap();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if let Ok(m) = ctx.recv() {
                    let _ = ctx.send(m);
                }
            }
        });
        Echo {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request/reply round trip on `req` with a unique body; panics unless
/// the echoed reply is exactly the request.
pub fn round_trip(req: &Socket, tag: &str) {
    let body = unique(tag);
    req.send(body.as_bytes())
        .unwrap_or_else(|e| panic!("{tag}: send: {e}"));
    let reply = req.recv().unwrap_or_else(|e| panic!("{tag}: recv: {e}"));
    assert_eq!(reply.as_slice(), body.as_bytes(), "{tag}: wrong reply");
}

/// A silent TCP peer: accepts connections (kernel backlog) and never speaks,
/// so nng's SP negotiation (or WebSocket handshake) waits on it, until the
/// flag is set.
pub fn silent_tcp_peer() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    l.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let mut keep = Vec::new();
        while !s.load(Ordering::SeqCst) {
            match l.accept() {
                Ok((c, _)) => keep.push(c),
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    (addr, stop)
}
