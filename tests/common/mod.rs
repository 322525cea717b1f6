//! Helpers shared by the integration tests: sockets with bounded timeouts and
//! unique addresses, so that no test can hang or collide with another.
#![allow(dead_code)] // each test file uses a subset

// The fault-injecting proxy resets connections with SO_LINGER through libc:
// Unix only (tests/fault_proxy.rs, tests/adversarial_tls.rs).
#[cfg(unix)]
pub mod proxy;

// Helpers of the tests that give connections up at random moments.
pub mod churn;

// A CA and a localhost certificate made with rcgen (shared with the examples).
#[cfg(nng_tls)]
#[path = "../../examples/common/certs.rs"]
pub mod certs;

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

/// A unique address of the platform's IPC transport: on Unix a Unix domain
/// socket in the temp dir (`ipc://`), on Windows a named pipe
/// (`winpipe://NAME`). nng 2.0.0 built for Windows has no `ipc://`: it would
/// be AF_UNIX there, which its CMake check never enables
/// (`.ci/cross/README.md`).
pub fn ipc_url(tag: &str) -> String {
    if cfg!(windows) {
        format!("winpipe://{}", unique(tag))
    } else {
        format!(
            "ipc://{}/{}.sock",
            std::env::temp_dir().display(),
            unique(tag)
        )
    }
}

/// Waits (at most [`TIMEOUT`]) until a message is waiting at `s`, without
/// taking it: polls the socket's receive-readiness descriptor.
pub fn wait_readable(s: &Socket) {
    let fd = s.recv_poll_fd().expect("recv poll fd");
    assert!(
        poll_readable(fd, TIMEOUT.as_millis() as i32),
        "no message became ready within {TIMEOUT:?}"
    );
}

/// Whether a socket's poll descriptor polls readable within `ms` (`poll`).
#[cfg(unix)]
pub fn poll_readable(fd: nng::socket::PollFd<'_>, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(&fd),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n == 1 && p.revents & libc::POLLIN != 0
}

/// Whether a socket's poll descriptor (a Winsock `SOCKET`) polls readable
/// within `ms` (`WSAPoll`).
#[cfg(windows)]
pub fn poll_readable(fd: nng::socket::PollFd<'_>, ms: i32) -> bool {
    let mut p = win::WsaPollFd {
        fd: std::os::windows::io::AsRawSocket::as_raw_socket(&fd) as usize,
        events: win::POLLRDNORM,
        revents: 0,
    };
    // SAFETY: one valid WSAPOLLFD for the duration of the call.
    let n = unsafe { win::WSAPoll(&mut p, 1, ms) };
    n == 1 && p.revents & win::POLLRDNORM != 0
}

/// The raw number of a poll descriptor, to compare two.
pub fn raw_poll_fd(fd: &nng::socket::PollFd<'_>) -> u64 {
    #[cfg(unix)]
    return std::os::fd::AsRawFd::as_raw_fd(fd) as u64;
    #[cfg(windows)]
    return std::os::windows::io::AsRawSocket::as_raw_socket(fd);
}

/// Whether a poll descriptor is still open: `fcntl(F_GETFD)` succeeds.
#[cfg(unix)]
pub fn poll_fd_open(fd: &nng::socket::PollFd<'_>) -> bool {
    // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags.
    unsafe { libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(fd), libc::F_GETFD) >= 0 }
}

/// Whether a poll descriptor is still open: `getsockopt(SO_TYPE)` succeeds.
#[cfg(windows)]
pub fn poll_fd_open(fd: &nng::socket::PollFd<'_>) -> bool {
    let mut ty = 0i32;
    let mut len = std::mem::size_of::<i32>() as i32;
    // SAFETY: `ty` and `len` are valid out-pointers of the sizes given.
    let rv = unsafe {
        win::getsockopt(
            std::os::windows::io::AsRawSocket::as_raw_socket(fd) as usize,
            win::SOL_SOCKET,
            win::SO_TYPE,
            (&mut ty as *mut i32).cast(),
            &mut len,
        )
    };
    rv == 0
}

/// The few Winsock declarations the tests use (the `libc` crate has none).
#[cfg(windows)]
mod win {
    #[repr(C)]
    pub struct WsaPollFd {
        pub fd: usize, // SOCKET
        pub events: i16,
        pub revents: i16,
    }
    pub const POLLRDNORM: i16 = 0x0100;
    pub const SOL_SOCKET: i32 = 0xffff;
    pub const SO_TYPE: i32 = 0x1008;
    #[link(name = "ws2_32")]
    extern "system" {
        pub fn WSAPoll(fds: *mut WsaPollFd, n: u32, timeout: i32) -> i32;
        pub fn getsockopt(s: usize, level: i32, name: i32, val: *mut u8, len: *mut i32) -> i32;
    }
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

/// A thread that answers each request received on `ctx` with the request
/// itself until the socket closes; any other receive error fails the test.
pub fn echo_until_closed(ctx: nng::Context) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || loop {
        match ctx.recv() {
            Ok(m) => {
                let _ = ctx.send(m);
            }
            Err(nng::Error::Closed) => return,
            Err(e) => panic!("echo server: {e}"),
        }
    })
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

/// A non-blocking Unix domain stream socket connected (or connecting) to
/// `path`: `connect`'s error as it was, e.g. `EAGAIN` when the listener's
/// backlog is full (Linux).
#[cfg(target_os = "linux")]
pub fn unix_connect_nonblocking(path: &str) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: an all-zero sockaddr_un is valid (an empty path).
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    assert!(path.len() < addr.sun_path.len(), "{path}: too long");
    for (d, s) in addr.sun_path.iter_mut().zip(path.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: a new descriptor, owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: fd is ours and open.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: addr is a sockaddr_un of the size given.
    let rv = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    if rv == 0 {
        Ok(fd)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// A Unix domain socket listening on `path` with a backlog of 0, which never
/// accepts, and its backlog filled: sockets connected to it until one is
/// refused with `EAGAIN` (Linux's answer when the backlog is full). Returns
/// the listener and the connections queued in its backlog (at most 64: the
/// bound of a kernel that never refuses). Until the listener is dropped,
/// further non-blocking connects to `path` get `EAGAIN`.
#[cfg(target_os = "linux")]
pub fn full_unix_backlog(
    path: &str,
) -> (std::os::unix::net::UnixListener, Vec<std::os::fd::OwnedFd>) {
    use std::os::fd::AsRawFd;
    let server = std::os::unix::net::UnixListener::bind(path).unwrap();
    // SAFETY: a listening socket of ours; only its backlog changes.
    assert_eq!(unsafe { libc::listen(server.as_raw_fd(), 0) }, 0);
    let mut queued = Vec::new();
    while queued.len() < 64 {
        match unix_connect_nonblocking(path) {
            Ok(fd) => queued.push(fd),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EAGAIN), "connect: {e}");
                break;
            }
        }
    }
    (server, queued)
}

/// One working pair of TLS configurations, made once per test binary: a
/// server presenting a "localhost" certificate from a fresh CA, and a client
/// that trusts that CA and expects "localhost".
#[cfg(nng_tls)]
pub fn localhost_tls() -> &'static (nng::tls::TlsConfig, nng::tls::TlsConfig) {
    use nng::tls::TlsConfig;
    static CONFIGS: OnceLock<(TlsConfig, TlsConfig)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let (ca, cert, key) = certs::make_certificates().expect("certificates");
        let server = TlsConfig::server().cert_key_pem(&cert, &key).build();
        let client = TlsConfig::client().ca_pem(&ca).server_name("localhost");
        (server.unwrap(), client.build().unwrap())
    })
}
