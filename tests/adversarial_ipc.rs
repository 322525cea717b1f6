//! Adversarial review of nng-sys's fixes `posix-ipc-dial-race` and
//! `ipc-dial-backlog-full` (nng-sys/build/patch.rs,
//! nng-sys/patches/README.md), through the safe API only.
//!
//! - `ipc-dial-backlog-full`: a dial to a Unix listener whose backlog is full
//!   now fails at once with `ConnectionRefused` (Linux: `connect` says
//!   `EAGAIN`), and its connection is stopped and freed on the dialing
//!   thread. Attacked: the same over `abstract://` (Linux's abstract
//!   namespace, which the fix covers but tests/ipc_backlog.rs does not);
//!   every way of dialing (blocking, futures polled to the end or dropped
//!   after one poll, background dialers redialling, sockets closed while
//!   their dialers redial) from several threads at once, for leaks of
//!   descriptors or pipes (`/proc/self/fd`, nng's statistics; valgrind for
//!   memory); many background dialers waiting out a full backlog, which must
//!   all connect once the path is served; and dials racing the path changing
//!   hands between nothing, a stale socket file, a full backlog and
//!   successive nng listeners, where a dial that overlaps no change must get
//!   the answer of the state it saw and a connected dial must reach the
//!   listener of the generation it saw.
//! - `posix-ipc-dial-race`: every poller event of a dialed connection now
//!   takes its dialer's lock (`nni_posix_ipc_dialer_cb`), and the dialer's
//!   close no longer stops connections under that lock. Attacked: dialers
//!   and sockets closed, on other threads, while their connections are busy
//!   (a sender filling the connection, so the poller keeps calling back),
//!   and dialers closed from their own pipe-event and aio callbacks; for
//!   hangs (watchdogs), leaks and, under ThreadSanitizer
//!   (`.ci/tsan.sh --test adversarial_ipc`), races and lock-order
//!   inversions between the poller thread and the closing threads.
//!
//! On Linux the asynchronous connect path (`EINPROGRESS`) that both fixes
//! also change cannot be reached: `connect` on AF_UNIX never reports it.
//!
//! Nothing here broke either fix. Two faults found on the way, neither in
//! ipc, are kept as ignored tests that fail (`cargo test --test
//! adversarial_ipc -- --ignored`): a `Dialer::start` racing its socket's
//! close deadlocks both (nng's core dialer,
//! `dialer_start_racing_a_socket_close_returns`), and a
//! `Dialer::start_async` future dropped after its attempt failed, unread,
//! leaves the dialer idle though its documentation says it goes on
//! redialling (`start_async_dropped_after_its_attempt_failed_redials`).
//!
//! The tests count the process's open descriptors, so they run one at a
//! time (`serial`). Each is bounded (`within`); bounds stretch with
//! `NNG_TEST_TIME_SCALE`. No timing decides an outcome: the sleeps only vary
//! the moments at which things happen.
#![cfg(target_os = "linux")] // EAGAIN for a full backlog; /proc/self/fd

mod common;

use common::churn::*;
use common::*;
use nng::aio::{Aio, AioResult};
use nng::pipe::PipeEvent;
use nng::{Dialer, Error, Listener, Protocol, Socket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

const MS: Duration = Duration::from_millis(1);

/// The path of an `ipc://` URL.
fn path_of(url: &str) -> String {
    url.strip_prefix("ipc://").unwrap().to_string()
}

/// The dialer's `refused` counter (`NNG_ECONNREFUSED` results).
fn refused(d: &Dialer) -> u64 {
    let snap = nng::Statistics::get().unwrap();
    let scope = snap.dialer(d).expect("dialer statistics");
    counter(&scope, "refused")
}

/// The address nng connects to for `abstract://NAME`: a NUL, then the name,
/// and a length that ends with the name (abstract names are not
/// NUL-terminated: the length is part of the name).
fn abstract_addr(name: &str) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    assert!(name.len() + 1 < addr.sun_path.len(), "{name}: too long");
    for (d, s) in addr.sun_path[1..].iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + 1 + name.len();
    (addr, len as libc::socklen_t)
}

/// A new non-blocking AF_UNIX stream socket.
fn unix_socket() -> OwnedFd {
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
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A listener on the abstract name `name` with a backlog of 0, which never
/// accepts, and its backlog filled (as `full_unix_backlog` does for paths):
/// until the listener is dropped, non-blocking connects to it get `EAGAIN`.
fn full_abstract_backlog(name: &str) -> (OwnedFd, Vec<OwnedFd>) {
    let (addr, len) = abstract_addr(name);
    let server = unix_socket();
    // SAFETY: addr is a sockaddr_un of at least `len` bytes; the socket is ours.
    let rv = unsafe {
        libc::bind(
            server.as_raw_fd(),
            (&addr as *const libc::sockaddr_un).cast(),
            len,
        )
    };
    assert_eq!(rv, 0, "bind: {}", std::io::Error::last_os_error());
    // SAFETY: a bound socket of ours.
    assert_eq!(unsafe { libc::listen(server.as_raw_fd(), 0) }, 0);
    let mut queued = Vec::new();
    loop {
        assert!(queued.len() < 64, "the backlog never filled");
        let c = unix_socket();
        // SAFETY: as for bind.
        let rv = unsafe {
            libc::connect(
                c.as_raw_fd(),
                (&addr as *const libc::sockaddr_un).cast(),
                len,
            )
        };
        if rv == 0 {
            queued.push(c);
            continue;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN), "connect: {e}");
        return (server, queued);
    }
}

/// Serves `rep` until dropped, answering each request with `GEN:` and the
/// request, so that a client sees which listener it reached.
struct GenEcho {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl GenEcho {
    fn serve(rep: &Socket, generation: u64) -> GenEcho {
        use nng::options::RecvTimeout;
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = nng::Context::new(rep).expect("rep context");
        ctx.set_opt::<RecvTimeout>(Some(50 * MS)).unwrap();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if let Ok(m) = ctx.recv() {
                    let mut reply = format!("{generation}:").into_bytes();
                    reply.extend_from_slice(m.as_slice());
                    let _ = ctx.send(&reply[..]);
                }
            }
        });
        GenEcho {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for GenEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A request on `req`, whose reply must come from the listener of
/// `generation` and carry the request.
fn round_trip_to(req: &Socket, generation: u64, tag: &str) {
    let body = unique(tag);
    req.send(body.as_bytes())
        .unwrap_or_else(|e| panic!("{tag}: send: {e}"));
    let reply = req.recv().unwrap_or_else(|e| panic!("{tag}: recv: {e}"));
    let want = format!("{generation}:{body}");
    assert_eq!(
        String::from_utf8_lossy(reply.as_slice()),
        want,
        "{tag}: reply from the wrong listener"
    );
}

/// The process's descriptors at rest after one ipc and one abstract
/// connection were made and closed (nng's poller and the statistics' first
/// use open their descriptors once).
fn fd_baseline() -> usize {
    for url in [ipc_url("warm"), format!("abstract://{}", unique("warm"))] {
        let rep = socket(Protocol::Rep0);
        rep.listen(&url).unwrap();
        let echo = Echo::serve(&rep);
        let req = socket(Protocol::Req0);
        let d = req.dialer(&url).unwrap();
        d.start().unwrap();
        let _ = refused(&d);
        round_trip(&req, "warm-up");
        drop((d, req, echo, rep));
    }
    fds_at_rest()
}

/// `abstract://` names, like paths, fail their dials at once while the
/// listener's backlog is full: `Socket::dial`, `Dialer::start` and the
/// future of `Socket::dial_async` each get `ConnectionRefused` (counted as
/// `refused`), and the backlog is still full afterwards. A background dialer
/// redialling every 10 to 50 ms is refused at least twice and connects to
/// nothing; then the full listener goes, an nng rep0 listener takes the name,
/// and that dialer connects by itself (its pipe's `AddPost`, whose peer
/// address is the name) and gets a reply. Without `ipc-dial-backlog-full`
/// the first dial never returns (the watchdog fails the test).
#[test]
fn abstract_dials_to_a_full_backlog_are_refused_then_served() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(20)),
        "abstract dials to a full backlog",
        || {
            let name = unique("abs-backlog");
            let url = format!("abstract://{name}");
            let (server, queued) = full_abstract_backlog(&name);

            let req = client(Protocol::Req0);
            assert_eq!(req.dial(&url), Err(Error::ConnectionRefused));
            let d = req.dialer(&url).unwrap();
            assert_eq!(d.start(), Err(Error::ConnectionRefused));
            assert_eq!(refused(&d), 1);
            drop(d);
            let r = futures::executor::block_on(req.dial_async(&url));
            assert_eq!(r, Err(Error::ConnectionRefused));

            let (tx, rx) = channel();
            let tx = Mutex::new(tx);
            req.pipe_notify(PipeEvent::AddPost, move |_, p| {
                let _ = tx
                    .lock()
                    .unwrap()
                    .send((p.dialer().map(|d| d.id()), p.peer_addr()));
            })
            .unwrap();
            let d = req.dialer(&url).unwrap();
            d.start_background().unwrap();
            while refused(&d) < 2 {
                std::thread::sleep(5 * MS);
            }
            assert!(rx.try_recv().is_err(), "connected to a full backlog");

            // Still full: nng's refused dials did not take its place.
            let (addr, len) = abstract_addr(&name);
            let probe = unix_socket();
            // SAFETY: addr is a sockaddr_un of at least `len` bytes.
            let rv = unsafe {
                libc::connect(
                    probe.as_raw_fd(),
                    (&addr as *const libc::sockaddr_un).cast(),
                    len,
                )
            };
            assert_eq!(rv, -1);
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EAGAIN)
            );
            drop((probe, server, queued)); // the name is free again

            let rep = socket(Protocol::Rep0);
            rep.listen(&url).unwrap();
            let echo = Echo::serve(&rep);
            let (dialer, peer) = rx.recv().unwrap();
            assert_eq!(dialer, Some(d.id()), "the pipe's dialer");
            assert_eq!(peer, Ok(nng::SockAddr::Abstract(name.into_bytes())));
            round_trip(&req, "abstract after a full backlog");
            eprintln!(
                "abstract dialer refused {} times, then connected",
                refused(&d)
            );
            drop(echo);
        },
    );
}

/// How one refused dial is made.
#[derive(Clone, Copy, Debug)]
enum Way {
    /// `Socket::dial`.
    Dial,
    /// `Dialer::start`, then the dialer dropped.
    Start,
    /// `Socket::dial_async`, awaited.
    DialAsync,
    /// `Socket::dial_async` polled once, then dropped (closing its dialer).
    DialAsyncDropped,
    /// `Dialer::start_async` polled once, then dropped, then the dialer
    /// closed.
    StartAsyncDropped,
    /// `Dialer::start_background`, refused at least once, then the socket
    /// closed on another thread while the dialer redials.
    SocketClosedWhileRedialling,
}

const WAYS: [Way; 6] = [
    Way::Dial,
    Way::Start,
    Way::DialAsync,
    Way::DialAsyncDropped,
    Way::StartAsyncDropped,
    Way::SocketClosedWhileRedialling,
];

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    std::pin::Pin::new(f).poll(&mut cx)
}

/// One refused dial of `url` made `way`; returns how many refusals the
/// dialers it could read counted.
fn refused_dial(url: &str, way: Way) -> u64 {
    let req = client(Protocol::Req0);
    match way {
        Way::Dial => {
            assert_eq!(req.dial(url), Err(Error::ConnectionRefused));
            0
        }
        Way::Start => {
            let d = req.dialer(url).unwrap();
            assert_eq!(d.start(), Err(Error::ConnectionRefused));
            let n = refused(&d);
            assert_eq!(n, 1, "one start, one refusal");
            n
        }
        Way::DialAsync => {
            let r = futures::executor::block_on(req.dial_async(url));
            assert_eq!(r, Err(Error::ConnectionRefused));
            0
        }
        Way::DialAsyncDropped => {
            let mut f = req.dial_async(url);
            match poll_once(&mut f) {
                Poll::Pending | Poll::Ready(Err(Error::ConnectionRefused)) => {}
                Poll::Ready(other) => panic!("dial_async of a full backlog: {other:?}"),
            }
            drop(f);
            0
        }
        Way::StartAsyncDropped => {
            let d = req.dialer(url).unwrap();
            let mut f = d.start_async();
            match poll_once(&mut f) {
                Poll::Pending | Poll::Ready(Err(Error::ConnectionRefused)) => {}
                Poll::Ready(other) => panic!("start_async of a full backlog: {other:?}"),
            }
            drop(f);
            // Whether the dialer goes on redialling after this drop depends
            // on whether its attempt had ended first (see
            // `start_async_dropped_after_its_attempt_failed_redials`); here
            // it is closed either way.
            d.close().unwrap();
            0
        }
        Way::SocketClosedWhileRedialling => {
            let d = req.dialer(url).unwrap();
            d.start_background().unwrap();
            while refused(&d) < 1 {
                std::thread::sleep(2 * MS);
            }
            let n = refused(&d);
            let req = Arc::new(req);
            let r = req.clone();
            std::thread::spawn(move || r.close().unwrap())
                .join()
                .unwrap();
            drop(d);
            n
        }
    }
}

/// Refused dials from four threads at once, to a full backlog of a path and
/// of an abstract name, every way a dial can be made and given up (`Way`),
/// 40 rounds of each per thread: every result is `ConnectionRefused`, a
/// dialer started once counts one refusal, nothing connects, and afterwards
/// the process has no more descriptors than before (each refused dial
/// opened a socket, which its error path must close; under valgrind,
/// `.ci/memcheck --only adversarial_ipc`, its memory must be freed).
#[test]
fn refused_dials_of_every_kind_from_threads_leak_nothing() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(60)),
        "refused dials from threads",
        || {
            let base = fd_baseline();
            let ipc = ipc_url("refused");
            let path = path_of(&ipc);
            let full_path = full_unix_backlog(&path);
            let name = unique("abs-refused");
            let full_name = full_abstract_backlog(&name);
            let urls = [ipc, format!("abstract://{name}")];
            let refusals = Arc::new(AtomicU64::new(0));
            let workers: Vec<_> = (0..4usize)
                .map(|w| {
                    let urls = urls.clone();
                    let refusals = refusals.clone();
                    std::thread::spawn(move || {
                        for round in 0..40 * WAYS.len() {
                            let way = WAYS[(round + w) % WAYS.len()];
                            let url = &urls[(round / WAYS.len() + w) % 2];
                            let n = refused_dial(url, way);
                            refusals.fetch_add(n, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            eprintln!(
                "{} refused dials, {} refusals counted by the dialers read",
                4 * 40 * WAYS.len(),
                refusals.load(Ordering::Relaxed)
            );
            drop((full_path, full_name));
            let _ = std::fs::remove_file(&path);
            assert_fds_back(base, "refused ipc dials");
        },
    );
}

/// 48 sockets with background dialers (redialling every 10 to 50 ms) wait
/// out a full backlog: each is refused at least twice, none connects. Then
/// the full listener goes and an nng rep0 listener takes the path: every
/// dialer connects by itself (48 `AddPost` events, one per dialer), the
/// listener counts 48 pipes, and every socket gets its reply. Closed, they
/// leave no pipe and no descriptor behind. Without `ipc-dial-backlog-full`
/// no dialer is ever refused (the watchdog fails the test).
#[test]
fn many_background_dialers_wait_out_a_full_backlog() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(60)),
        "many background ipc dialers",
        || {
            const N: usize = 48;
            let base = fd_baseline();
            let url = ipc_url("many");
            let path = path_of(&url);
            let (server, queued) = full_unix_backlog(&path);
            let (tx, rx) = channel();
            let clients: Vec<(Socket, Dialer)> = (0..N)
                .map(|_| {
                    let req = client(Protocol::Req0);
                    let tx = Mutex::new(tx.clone());
                    req.pipe_notify(PipeEvent::AddPost, move |_, p| {
                        let _ = tx.lock().unwrap().send(p.dialer().map(|d| d.id()));
                    })
                    .unwrap();
                    let d = req.dialer(&url).unwrap();
                    d.start_background().unwrap();
                    (req, d)
                })
                .collect();
            for (_, d) in &clients {
                while refused(d) < 2 {
                    std::thread::sleep(5 * MS);
                }
            }
            assert!(rx.try_recv().is_err(), "connected to a full backlog");

            drop((server, queued));
            std::fs::remove_file(&path).unwrap();
            let rep = socket(Protocol::Rep0);
            let l = Listener::new(&rep, &url).unwrap();
            l.start().unwrap();
            let echo = Echo::serve(&rep);
            let mut ids: Vec<u32> = (0..N).map(|_| rx.recv().unwrap().unwrap()).collect();
            ids.sort_unstable();
            let mut want: Vec<u32> = clients.iter().map(|(_, d)| d.id()).collect();
            want.sort_unstable();
            assert_eq!(ids, want, "one connection per dialer");
            for (i, (req, _)) in clients.iter().enumerate() {
                round_trip(req, &format!("client {i}"));
            }
            assert_eq!(listener_pipes(&l), N as u64);
            let total: u64 = clients.iter().map(|(_, d)| refused(d)).sum();
            eprintln!("{N} dialers refused {total} times, then all connected");
            drop(clients);
            assert!(
                eventually(scaled(TIMEOUT), || listener_pipes(&l) == 0),
                "pipes left after the clients closed"
            );
            drop((echo, l, rep));
            assert_fds_back(base, "many background ipc dialers");
        },
    );
}

/// What is at the path while the dials race it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum At {
    /// No file.
    Nothing,
    /// A socket file nobody listens on.
    Stale,
    /// A Unix listener whose backlog is full.
    Full,
    /// An nng rep0 listener answering with its generation.
    Served(u64),
}

/// What holds the path: the raw listener with its queued connections, or the
/// nng listener's socket with its server.
enum Holder {
    None,
    Raw {
        _listener: std::os::unix::net::UnixListener,
        _queued: Vec<OwnedFd>,
    },
    Nng {
        _socket: Socket,
        _server: GenEcho,
    },
}

/// Puts `at` at `path`, built elsewhere and renamed into place where it is
/// a file of ours, so that no dial sees it half made (a raw listener whose
/// backlog is not yet full would accept a dial and never answer it).
fn install(path: &str, at: At) -> Holder {
    let tmp = format!("{path}.next");
    match at {
        At::Nothing => Holder::None,
        At::Stale => {
            drop(std::os::unix::net::UnixListener::bind(&tmp).unwrap());
            std::fs::rename(&tmp, path).unwrap();
            Holder::None
        }
        At::Full => {
            let (server, queued) = full_unix_backlog(&tmp);
            std::fs::rename(&tmp, path).unwrap();
            Holder::Raw {
                _listener: server,
                _queued: queued,
            }
        }
        At::Served(generation) => {
            let rep = socket(Protocol::Rep0);
            rep.listen(&format!("ipc://{path}")).unwrap();
            let echo = GenEcho::serve(&rep, generation);
            Holder::Nng {
                _socket: rep,
                _server: echo,
            }
        }
    }
}

/// Dials racing the path changing hands. A controller puts, 48 times in a
/// deterministic pseudo-random order, nothing, a stale socket file, a full
/// backlog or a new nng listener (generation n) at one path, each for 6
/// dials of the checking threads. Two checking threads dial while no change
/// can happen (they hold a read lock the controller's change waits for):
/// nothing, a stale file and a full backlog must each be `ConnectionRefused`,
/// and an nng listener must connect and answer with its own generation (a
/// reply from an earlier listener would be a connection reported to the
/// wrong peer). Two racing threads dial without the lock, so their dials
/// overlap the changes: each must end (the watchdog) with success or a
/// refused, shut or reset connection. Two background dialers (10 to 50 ms)
/// redial through it all, and must connect to the last listener and get
/// its generation. Afterwards no descriptor is left open.
#[test]
fn dials_race_the_path_changing_hands() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(120)),
        "dials racing the path",
        || {
            let base = fd_baseline();
            let url = ipc_url("hands");
            let path = path_of(&url);
            let state = Arc::new(RwLock::new(At::Nothing));
            let checked = Arc::new(AtomicUsize::new(0));
            let done = Arc::new(AtomicBool::new(false));

            let checkers: Vec<_> = (0..2)
                .map(|c| {
                    let (state, checked, done, url) =
                        (state.clone(), checked.clone(), done.clone(), url.clone());
                    std::thread::spawn(move || {
                        let mut n = 0u64;
                        while !done.load(Ordering::SeqCst) {
                            let at = state.read().unwrap();
                            let req = socket(Protocol::Req0);
                            let r = req.dial(&url);
                            match *at {
                                At::Served(generation) => {
                                    assert_eq!(r, Ok(()), "dial of listener {generation}");
                                    round_trip_to(&req, generation, "checked");
                                }
                                other => {
                                    assert_eq!(
                                        r,
                                        Err(Error::ConnectionRefused),
                                        "dial of {other:?}"
                                    );
                                }
                            }
                            drop(req);
                            drop(at);
                            n += 1;
                            checked.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_micros(100 * (n % 7)));
                        }
                        eprintln!("checker {c}: {n} dials");
                    })
                })
                .collect();

            let racers: Vec<_> = (0..2)
                .map(|c| {
                    let (done, url) = (done.clone(), url.clone());
                    std::thread::spawn(move || {
                        let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
                        while !done.load(Ordering::SeqCst) {
                            let req = socket(Protocol::Req0);
                            let r = req.dial(&url);
                            assert!(
                                matches!(
                                    r,
                                    Ok(())
                                        | Err(Error::ConnectionRefused
                                            | Error::ConnectionShutdown
                                            | Error::ConnectionReset)
                                ),
                                "racing dial: {r:?}"
                            );
                            *outcomes.entry(format!("{r:?}")).or_default() += 1;
                        }
                        eprintln!("racer {c}: {outcomes:?}");
                    })
                })
                .collect();

            let background: Vec<(Socket, Dialer)> = (0..2)
                .map(|_| {
                    let req = client(Protocol::Req0);
                    let d = req.dialer(&url).unwrap();
                    d.start_background().unwrap();
                    (req, d)
                })
                .collect();

            let mut rng = Rng(0x2545_f491_4f6c_dd1d);
            let mut holder = Holder::None;
            let mut generation = 0;
            for _ in 0..48 {
                let next = match rng.below(4) {
                    0 => At::Nothing,
                    1 => At::Stale,
                    2 => At::Full,
                    _ => {
                        generation += 1;
                        At::Served(generation)
                    }
                };
                {
                    let mut at = state.write().unwrap();
                    drop(std::mem::replace(&mut holder, Holder::None));
                    let _ = std::fs::remove_file(&path);
                    holder = install(&path, next);
                    *at = next;
                }
                let from = checked.load(Ordering::SeqCst);
                while checked.load(Ordering::SeqCst) < from + 6 {
                    std::thread::sleep(MS);
                }
            }
            // Last: a listener all the background dialers must find.
            generation += 1;
            {
                let mut at = state.write().unwrap();
                drop(std::mem::replace(&mut holder, Holder::None));
                let _ = std::fs::remove_file(&path);
                holder = install(&path, At::Served(generation));
                *at = At::Served(generation);
            }
            done.store(true, Ordering::SeqCst);
            for t in checkers.into_iter().chain(racers) {
                t.join().unwrap();
            }
            for (i, (req, d)) in background.iter().enumerate() {
                round_trip_to(req, generation, &format!("background {i}"));
                eprintln!("background dialer {i}: refused {}", refused(d));
            }
            drop(background);
            drop(holder);
            let _ = std::fs::remove_file(&path);
            assert_fds_back(base, "dials racing the path");
        },
    );
}

/// Gives a dial up `how`, with `d` and `s` closed on two threads at once for
/// `Close::Both`; the time the close(s) `how` names took. The socket is
/// closed afterwards in every case.
fn give_up(d: Dialer, s: &Arc<Socket>, how: Close) -> Duration {
    let t = std::time::Instant::now();
    match how {
        Close::Dialer => d.close().unwrap(),
        Close::Socket => {
            s.close().unwrap();
            drop(d);
        }
        Close::Both => {
            let go = Arc::new(std::sync::Barrier::new(2));
            let g = go.clone();
            let other = std::thread::spawn(move || {
                g.wait();
                // Closed already by the socket's close: `Closed`, or the
                // dialer's id unknown by then.
                let _ = d.close();
            });
            go.wait();
            s.close().unwrap();
            other.join().unwrap();
        }
    }
    let took = t.elapsed();
    if let Close::Dialer = how {
        s.close().unwrap();
    }
    took
}

/// Push sockets dialing a pull listener over ipc and abstract, each with a
/// sender thread keeping its connection full (the poller calls back for
/// every write and every readiness, each call taking the dialer's lock),
/// given up after a deterministic pseudo-random 0 to 3 ms by closing the
/// dialer, the socket, or both on two threads at once. Each close returns
/// within 2 s (a close waiting for the poller thread while the poller
/// waits for the dialer's lock would hang it), each sender ends, the
/// listeners' pipes come back to zero and no descriptor is left open. For
/// ThreadSanitizer, the closes and the poller's callbacks run at once on
/// connected, busy connections.
#[test]
fn busy_ipc_connections_given_up_from_threads() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(90)),
        "busy ipc connections given up",
        || {
            let base = fd_baseline();
            let urls = [ipc_url("busy"), format!("abstract://{}", unique("busy"))];
            let pull = socket(Protocol::Pull0);
            let listeners: Vec<Listener> = urls
                .iter()
                .map(|u| {
                    let l = Listener::new(&pull, u).unwrap();
                    l.start().unwrap();
                    l
                })
                .collect();
            let pull = Arc::new(pull);
            let draining = Arc::new(AtomicBool::new(true));
            let drain = {
                let (pull, draining) = (pull.clone(), draining.clone());
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while draining.load(Ordering::SeqCst) {
                        if pull.try_recv().is_ok() {
                            n += 1;
                        } else {
                            std::thread::sleep(Duration::from_micros(200));
                        }
                    }
                    n
                })
            };
            let rounds = Arc::new(AtomicUsize::new(0));
            let workers: Vec<_> = (0..3u64)
                .map(|w| {
                    let urls = urls.clone();
                    let rounds = rounds.clone();
                    std::thread::spawn(move || {
                        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((w + 1) * 0x1234_5678));
                        for round in 0..40 {
                            let url = &urls[(round + w as usize) % 2];
                            let how =
                                [Close::Dialer, Close::Socket, Close::Both][rng.below(3) as usize];
                            let push = socket(Protocol::Push0);
                            push.set_opt::<nng::options::SendTimeout>(Some(20 * MS))
                                .unwrap();
                            let d = push.dialer(url).unwrap();
                            d.start().unwrap();
                            let push = Arc::new(push);
                            let sender = {
                                let push = push.clone();
                                std::thread::spawn(move || {
                                    let body = vec![7u8; 16 * 1024];
                                    let mut sent = 0u64;
                                    loop {
                                        match push.send(&body[..]) {
                                            Ok(()) => sent += 1,
                                            Err(e) if e.error == Error::TimedOut => {}
                                            Err(e) => {
                                                assert_eq!(e.error, Error::Closed, "send");
                                                return sent;
                                            }
                                        }
                                    }
                                })
                            };
                            std::thread::sleep(Duration::from_micros(rng.below(3000)));
                            let took = give_up(d, &push, how);
                            assert!(
                                took < scaled(Duration::from_secs(2)),
                                "{how:?} close of a busy connection took {took:?}"
                            );
                            // The socket is closed now (after a dialer's
                            // close too): the sender ends with `Closed`.
                            sender.join().unwrap();
                            rounds.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            // The pull side reads (and so sees its peers' hang-ups) only
            // while its queue has room: drained until the pipes are gone.
            for l in &listeners {
                assert!(
                    eventually(scaled(TIMEOUT), || listener_pipes(l) == 0),
                    "pipes left on a listener"
                );
            }
            draining.store(false, Ordering::SeqCst);
            let received = drain.join().unwrap();
            eprintln!(
                "{} busy connections given up, {received} messages received",
                rounds.load(Ordering::Relaxed)
            );
            drop(listeners);
            drop(pull);
            let _ = std::fs::remove_file(path_of(&urls[0]));
            assert_fds_back(base, "busy ipc connections");
        },
    );
}

/// How a dialer is closed from inside a callback.
#[derive(Clone, Copy, Debug)]
enum Inside {
    /// Its own pipe's `AddPost`.
    AddPost,
    /// An aio receive completing on its socket.
    AioRecv,
    /// Its own pipe's `RemPost`, the listener having closed the pipe in its
    /// `AddPost`, while the dialer is about to redial.
    RemPost,
}

/// Dialers of ipc and abstract connections closed (dropped) from inside
/// nng's callbacks on their own socket: their pipe's `AddPost`, an aio
/// receive completing with the first message, and their pipe's `RemPost`
/// after the listener closed the pipe (so the dialer's redial races its
/// close). 16 rounds of each way on each transport: every round ends (the
/// watchdog: the crate defers such closes to a helper thread, and the
/// dialer's close must not wait for the poller thread while the poller
/// waits for the dialer's lock), the client sees its pipe removed, the
/// server's listener ends with no pipe, and no descriptor is left open.
#[test]
fn dialers_closed_from_their_own_callbacks() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(60)),
        "dialers closed in callbacks",
        || {
            let base = fd_baseline();
            for round in 0..96 {
                let inside = [Inside::AddPost, Inside::AioRecv, Inside::RemPost][round % 3];
                // A fresh address each round: an abstract name stays taken
                // until the closed listener's descriptor is closed, which
                // nng does after the socket's close returns.
                if round % 2 == 0 {
                    let url = ipc_url("inside");
                    dialer_closed_inside(&url, inside);
                    let _ = std::fs::remove_file(path_of(&url));
                } else {
                    let url = format!("abstract://{}", unique("inside"));
                    dialer_closed_inside(&url, inside);
                }
            }
            assert_fds_back(base, "dialers closed in callbacks");
        },
    );
}

fn dialer_closed_inside(url: &str, inside: Inside) {
    let what = format!("{inside:?} over {url}");
    let server = socket(Protocol::Push0);
    if let Inside::RemPost = inside {
        server
            .pipe_notify(PipeEvent::AddPost, |_, p| {
                let _ = p.close();
            })
            .unwrap();
    }
    let l = Listener::new(&server, url).unwrap();
    l.start().unwrap();

    let client = client(Protocol::Pull0);
    let dialer = Arc::new(Mutex::new(None::<Dialer>));
    let (closed_tx, closed) = channel();
    let closed_tx = Mutex::new(closed_tx);
    let held = dialer.clone();
    let close_it = move || {
        if let Some(d) = held.lock().unwrap().take() {
            drop(d); // the dialer of this very socket
            let _ = closed_tx.lock().unwrap().send(());
        }
    };
    let close_it = Arc::new(close_it);
    // One closure per event (a second registration replaces the first).
    let (removed_tx, removed) = channel();
    let removed_tx = Mutex::new(removed_tx);
    let on_removed = close_it.clone();
    client
        .pipe_notify(PipeEvent::RemPost, move |_, _| {
            if let Inside::RemPost = inside {
                on_removed();
            }
            let _ = removed_tx.lock().unwrap().send(());
        })
        .unwrap();
    let _aio = match inside {
        Inside::AddPost => {
            client
                .pipe_notify(PipeEvent::AddPost, move |_, _| close_it())
                .unwrap();
            None
        }
        Inside::RemPost => None,
        Inside::AioRecv => {
            let aio = Aio::new(move |_, r| {
                if let AioResult::Recv(Ok(m)) = r {
                    assert_eq!(m.as_slice(), b"first");
                    close_it();
                }
            })
            .unwrap();
            aio.recv(&client).unwrap();
            Some(aio)
        }
    };
    {
        // Started under the lock the callbacks take: a callback waits for
        // the handle to be stored (the start does not wait for callbacks).
        let mut held = dialer.lock().unwrap();
        let d = client.dialer(url).unwrap();
        d.start_background().unwrap();
        *held = Some(d);
    }
    if let Inside::AioRecv = inside {
        server.send(&b"first"[..]).unwrap();
    }
    closed.recv().unwrap_or_else(|e| panic!("{what}: {e}"));
    removed.recv().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        eventually(scaled(TIMEOUT), || listener_pipes(&l) == 0),
        "{what}: pipes left on the listener"
    );
    drop((_aio, client, l, server));
}

/// `Dialer::start_async` documents that dropping its future before it
/// resolves leaves the dialer dialing in the background, "as after
/// `start_background` (a failed attempt is retried)". Here the future is
/// polled once (`Pending`), its attempt is refused (the dialer's `refused`
/// counter reaches 1, so the result has reached the future's aio, unread),
/// and then the future is dropped, unresolved: the dialer must redial, and
/// connect once the full backlog has made way for an nng listener.
///
/// It never does (the watchdog fails the test): nng's `dialer_connect_cb`
/// (src/core/dialer.c) takes the waiting user aio under the dialer's lock,
/// and for a failed attempt with a user aio resets `d_started` instead of
/// starting the redial timer, then finishes that aio. Once that has
/// happened the drop's cancel finds nothing to cancel (`dialer_start_cancel`
/// looks for `d_user_aio`), and nothing restarts the dialer: the result
/// waiting in the future's slot is dropped unread and the dialer stays idle
/// for good. Not specific to ipc (inproc to a name nobody listens on does
/// the same); found while attacking `ipc-dial-backlog-full` here.
#[test]
#[ignore = "fails: a start_async future dropped after its attempt failed leaves the dialer idle"]
fn start_async_dropped_after_its_attempt_failed_redials() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(10)),
        "start_async dropped after its attempt failed",
        || {
            let url = ipc_url("dropped-start");
            let path = path_of(&url);
            let (server, queued) = full_unix_backlog(&path);
            let req = client(Protocol::Req0);
            let (tx, rx) = channel();
            let tx = Mutex::new(tx);
            req.pipe_notify(PipeEvent::AddPost, move |_, _| {
                let _ = tx.lock().unwrap().send(());
            })
            .unwrap();
            // A dialer whose first poll finds its attempt under way (a
            // result already there resolves the future: then nothing is to
            // be retried, as documented, and another dialer is tried).
            let (d, f) = (0..100)
                .find_map(|_| {
                    let d = req.dialer(&url).unwrap();
                    let mut f = d.start_async();
                    match poll_once(&mut f) {
                        Poll::Pending => Some((d, f)),
                        Poll::Ready(r) => {
                            assert_eq!(r, Err(Error::ConnectionRefused));
                            None
                        }
                    }
                })
                .expect("a start_async still pending after one poll");
            while refused(&d) < 1 {
                std::thread::sleep(MS);
            }
            drop(f); // unresolved: the dialer is to go on in the background

            drop((server, queued));
            std::fs::remove_file(&path).unwrap();
            let rep = socket(Protocol::Rep0);
            rep.listen(&url).unwrap();
            let echo = Echo::serve(&rep);
            rx.recv().unwrap(); // the dialer connected by itself
            round_trip(&req, "after the dropped start_async");
            drop((echo, d));
        },
    );
}

/// Dials stuck in the SP negotiation with a Unix listener that queues
/// connections (its backlog has room) but never accepts or speaks, over a
/// path and an abstract name: the connection is made (a dialed connection
/// with a read pending, whose poller events take the dialer's lock) and the
/// dial waits for a header that never comes. Three threads each give 30 such
/// dials up after a deterministic pseudo-random 0 to 3 ms, by closing the
/// dialer, the socket, or both at once: each close returns within 2 s, each
/// dial's future then resolves with an error (never `Ok`; and not
/// `TimedOut`, which would mean the close did not end the negotiation, only
/// nng's 10 s bound did), and afterwards no descriptor is left open.
#[test]
fn dials_stuck_in_negotiation_given_up_from_threads() {
    let _serial = serial();
    within(
        scaled(Duration::from_secs(60)),
        "dials stuck in negotiation",
        || {
            let base = fd_baseline();
            let ipc = ipc_url("mute");
            let path = path_of(&ipc);
            let mute_path = std::os::unix::net::UnixListener::bind(&path).unwrap();
            let name = unique("mute");
            let (addr, len) = abstract_addr(&name);
            let mute_name = unix_socket();
            // SAFETY: addr is a sockaddr_un of at least `len` bytes.
            let rv = unsafe {
                libc::bind(
                    mute_name.as_raw_fd(),
                    (&addr as *const libc::sockaddr_un).cast(),
                    len,
                )
            };
            assert_eq!(rv, 0, "bind: {}", std::io::Error::last_os_error());
            // SAFETY: a bound socket of ours.
            assert_eq!(unsafe { libc::listen(mute_name.as_raw_fd(), 4096) }, 0);
            let urls = [ipc, format!("abstract://{name}")];
            let outcomes = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
            let workers: Vec<_> = (0..3u64)
                .map(|w| {
                    let (urls, outcomes) = (urls.clone(), outcomes.clone());
                    std::thread::spawn(move || {
                        let mut rng = Rng(0xd1b5_4a32_d192_ed03 ^ ((w + 1) * 0x9e37));
                        for round in 0..30 {
                            let url = &urls[(round + w as usize) % 2];
                            let how =
                                [Close::Dialer, Close::Socket, Close::Both][rng.below(3) as usize];
                            let req = Arc::new(socket(Protocol::Req0));
                            let d = req.dialer(url).unwrap();
                            // Started (polled once) before any close: a start
                            // racing the close can hang for good
                            // (`dialer_start_racing_a_socket_close_returns`).
                            let mut dial = d.start_async(); // keeps the id only
                            let first = poll_once(&mut dial);
                            let waiter = std::thread::spawn(move || match first {
                                Poll::Ready(r) => r,
                                Poll::Pending => futures::executor::block_on(dial),
                            });
                            std::thread::sleep(Duration::from_micros(rng.below(3000)));
                            let took = give_up(d, &req, how);
                            assert!(
                                took < scaled(Duration::from_secs(2)),
                                "{how:?} close during negotiation took {took:?}"
                            );
                            let r = waiter.join().unwrap();
                            assert!(
                                r.is_err() && r != Err(Error::TimedOut),
                                "{how:?}: a dial of a mute listener: {r:?}"
                            );
                            *outcomes
                                .lock()
                                .unwrap()
                                .entry(format!("{how:?} {r:?}"))
                                .or_insert(0usize) += 1;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            eprintln!("{:?}", outcomes.lock().unwrap());
            drop((mute_path, mute_name));
            let _ = std::fs::remove_file(&path);
            assert_fds_back(base, "dials stuck in negotiation");
        },
    );
}

/// `Dialer::start` (blocking) on one thread and `Socket::close` of its
/// socket on another, released together, 5000 times, dialing an ipc path
/// nobody listens on: each must return within 2 s (a dial given up by the
/// close ends with an error, the close with `Ok`).
///
/// Within a few thousand rounds (seen: round 153 to 4924 natively, 112
/// under ThreadSanitizer) both hang for good: the start waits in `nni_aio_wait`
/// (`nni_dialer_start`, src/core/dialer.c) and the close in
/// `nni_sock_close` (src/core/socket.c), which waits for the dialer the
/// start still holds. The cause is in nng's core, not in ipc (inproc does
/// the same; `Dialer::start_async` against `Dialer::close` too, its future
/// never resolving): `nng_dialer_start` finds the dialer (taking a
/// reference) before the close removes it, and `nni_dialer_start_aio` then
/// runs after `nni_dialer_stop` has closed the transport endpoint and
/// stopped `d_con_aio`. It stores the user's aio in `d_user_aio` and calls
/// the transport's connect, which finds its endpoint closed and finishes
/// `d_con_aio` with `NNG_ECLOSED`; for an aio that was stopped and never
/// started, `nni_aio_finish_impl` (src/core/aio.c, `!started && stopped`)
/// runs no callback, so `dialer_connect_cb` never runs, nothing else
/// finishes `d_user_aio`, and the blocking start waits forever with its
/// reference, which the socket's close waits for. `nni_dialer_start_aio`
/// checks neither `d_closing` nor `d_stopping`. nng 2.0.0's own
/// `nni_dialer_start_aio` has the same shape (found while attacking the ipc
/// fixes; .ci/tsan.sh hit it in `dials_stuck_in_negotiation_...` before
/// that test started its dials ahead of the closes).
#[test]
#[ignore = "fails: a dialer start racing its socket's close deadlocks both (nng core)"]
fn dialer_start_racing_a_socket_close_returns() {
    let url = ipc_url("start-vs-close"); // nobody listens: refused at once
    for round in 0..5000 {
        let s = Arc::new(socket(Protocol::Req0));
        let d = s.dialer(&url).unwrap();
        let go = Arc::new(std::sync::Barrier::new(2));
        let (g, closing) = (go.clone(), s.clone());
        let (tx, rx) = channel();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            g.wait();
            let r = d.start();
            assert!(r.is_err(), "a dial of nobody: {r:?}");
            let _ = tx.send("start");
        });
        std::thread::spawn(move || {
            go.wait();
            closing.close().unwrap();
            let _ = tx2.send("close");
        });
        for _ in 0..2 {
            rx.recv_timeout(scaled(Duration::from_secs(2)))
                .unwrap_or_else(|_| panic!("round {round}: start and close hang"));
        }
    }
}
