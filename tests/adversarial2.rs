//! Second adversarial review of the callback core after the fixes of the
//! first (`tests/adversarial.rs`). Only the crate's safe API is used. Each
//! test's doc comment says `BREAKS:` (asserts the correct behaviour, so it
//! fails until fixed) or `HOLDS:` (a passing probe).
//!
//! Run one at a time, bounded:
//! `timeout 300 cargo test --features tools --test adversarial2 -- --test-threads=1 --exact NAME`
//! and memory ones under valgrind:
//! `valgrind --error-exitcode=99 target/debug/deps/adversarial2-* --exact NAME --test-threads=1`.

mod common;
use common::silent_tcp_peer;
use nng::aio::Aio;
use nng::{Dialer, Error, Protocol, Socket};
use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

fn tag(t: &str) -> String {
    format!("inproc://adversarial2-{t}-{}", std::process::id())
}

/// Runs `name` in a child process (env `extra` added); `None` in the child.
fn in_child_env(name: &str, extra: &[(&str, &str)]) -> Option<(std::process::ExitStatus, String)> {
    if std::env::var("ADV_CHILD").as_deref() == Ok(name) {
        return None;
    }
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("ADV_CHILD", name);
    for (k, v) in extra {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let err =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    Some((out.status, err))
}

/// A child in which no `std::thread` can start (`RUST_MIN_STACK` 16 TiB).
fn in_child_without_threads(name: &str) -> Option<(std::process::ExitStatus, String)> {
    let r = in_child_env(name, &[("RUST_MIN_STACK", "17592186044416")]);
    if r.is_none() {
        assert!(
            std::thread::Builder::new().spawn(|| ()).is_err(),
            "threads still start"
        );
    }
    r
}

// ---------------------------------------------------------------------------
// Socket::close(&self) racing between a callback (no helper thread can
// start) and a plain thread.
// ---------------------------------------------------------------------------

/// HOLDS (was BREAKS, wrong result in 7 runs of 7, 1 to 35 of 200 rounds
/// each): `Socket::close` inside an aio callback when no helper thread can
/// start used to set the closed flag, fail the spawn, then clear the flag
/// again; another thread's `close()` landing in that window saw the flag set
/// and returned `Err(Closed)` although nothing ever closed the socket (it
/// stayed open, receives kept working, and that caller tried no later
/// close). The close now starts its helper thread before it takes the flag,
/// so a failed spawn leaves the flag untouched. Counts wrong `Closed`
/// answers (`ADV_CB_CLOSES=n`: failing closes per callback, default 1).
#[test]
fn close_in_callback_without_threads_races_close_on_thread() {
    const NAME: &str = "close_in_callback_without_threads_races_close_on_thread";
    if let Some((status, err)) = in_child_without_threads(NAME) {
        eprintln!("{err}");
        assert!(status.success(), "child failed: {status:?}");
        return;
    }
    let rounds: usize = std::env::var("ADV_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    // How many times the callback tries to close (each fails: no thread).
    let cb_closes: usize = std::env::var("ADV_CB_CLOSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut wrong = 0usize;
    let mut ran = 0usize;
    let mut rounds_wrong = 0usize;
    for _ in 0..rounds {
        let wrong_before = wrong;
        let s = Arc::new(Socket::new(Protocol::Pull0).unwrap());
        let go = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicBool::new(false));
        let (s2, go2, done2, st2) = (s.clone(), go.clone(), done.clone(), started.clone());
        let aio = Aio::new(move |_, _| {
            while !go2.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
            st2.store(true, Ordering::SeqCst);
            for _ in 0..cb_closes {
                let _ = s2.close();
            }
            done2.store(true, Ordering::SeqCst);
        })
        .unwrap();
        aio.sleep(Duration::from_millis(1)).unwrap();
        go.store(true, Ordering::SeqCst);
        while !started.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
        let mut closed_ok = false;
        while !done.load(Ordering::SeqCst) {
            match s.close() {
                Ok(()) => {
                    closed_ok = true;
                    break;
                }
                Err(Error::Closed) => {
                    ran += 1;
                    // Told "already closed": is it?
                    match s.try_recv() {
                        Err(Error::Closed) => {}
                        other => {
                            wrong += 1;
                            if wrong == 1 {
                                eprintln!("close() said Closed, then try_recv gave {other:?}");
                            }
                        }
                    }
                }
                Err(e) => panic!("close: {e:?}"),
            }
        }
        let _ = closed_ok;
        if wrong > wrong_before {
            rounds_wrong += 1;
        }
        aio.wait().unwrap();
        drop(aio);
    }
    eprintln!("{rounds} rounds ({cb_closes} failing closes in the callback each): {ran} Err(Closed) answers, {wrong} of them wrong (socket still open), in {rounds_wrong} rounds");
    assert_eq!(
        wrong, 0,
        "Socket::close returned Closed for a socket that stayed open"
    );
}

// ---------------------------------------------------------------------------
// Aio::dial with the Dialer dropped/closed while pending, and cancel racing
// the dialer's close.
// ---------------------------------------------------------------------------

/// HOLDS (60 rounds; valgrind-clean): `Aio::dial` pending against a silent peer; then the `Dialer` is
/// dropped (closed) while the dial is in flight, or dropped at the same time
/// as another thread cancels the aio (barrier), many rounds: exactly one
/// completion each, no hang, valgrind-clean (the `dialer_start_cancel` arg is
/// the dialer, freed by the close; the patch drains cancels in dialer fini).
#[test]
fn dial_pending_dialer_dropped_races_cancel() {
    let (addr, stop) = silent_tcp_peer();
    let rounds: usize = std::env::var("ADV_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let s = Socket::new(Protocol::Req0).unwrap();
    let mut results = std::collections::HashMap::<String, usize>::new();
    for i in 0..rounds {
        let (tx, rx) = channel();
        let count = Arc::new(AtomicUsize::new(0));
        let c2 = count.clone();
        let aio = Arc::new(
            Aio::new(move |_, r| {
                c2.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(format!("{r:?}"));
            })
            .unwrap(),
        );
        let d = Dialer::new(&s, &format!("tcp://{addr}")).unwrap();
        aio.dial(&d).unwrap();
        if i % 3 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let b = Arc::new(Barrier::new(2));
        let (a2, b2) = (aio.clone(), b.clone());
        let t = std::thread::spawn(move || {
            b2.wait();
            a2.cancel();
        });
        b.wait();
        if i % 2 == 0 {
            drop(d);
        } else {
            d.close().unwrap();
        }
        t.join().unwrap();
        let r = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("dial never completed");
        *results.entry(r).or_default() += 1;
        aio.wait().unwrap();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(count.load(Ordering::SeqCst), 1, "round {i}: completions");
        drop(aio);
    }
    stop.store(true, Ordering::SeqCst);
    eprintln!("{rounds} rounds: {results:?}");
}

/// HOLDS (20 rounds; valgrind-clean): the `Dialer` is dropped inside the dial's own completion closure
/// (deferred close) while a second `Aio::dial` on the same dialer is started
/// from that closure too (restart after a cancel), then the aio is dropped
/// from outside. No hang, one completion per dial.
#[test]
fn dial_restarted_and_dialer_dropped_in_dial_callback() {
    let (addr, stop) = silent_tcp_peer();
    let s = Socket::new(Protocol::Req0).unwrap();
    for _ in 0..20 {
        let d = Arc::new(Mutex::new(Some(
            Dialer::new(&s, &format!("tcp://{addr}")).unwrap(),
        )));
        let d2 = d.clone();
        let (tx, rx) = channel();
        let n = Arc::new(AtomicUsize::new(0));
        let n2 = n.clone();
        let aio = Aio::new(move |aio, r| {
            let k = n2.fetch_add(1, Ordering::SeqCst);
            let _ = tx.send(format!("{r:?}"));
            if k == 0 {
                if let Some(d) = d2.lock().unwrap().as_ref() {
                    let _ = aio.dial(d); // restart (the first was cancelled)
                }
                drop(d2.lock().unwrap().take()); // close the dialer, deferred
            }
        })
        .unwrap();
        let dd = d.lock().unwrap();
        aio.dial(dd.as_ref().unwrap()).unwrap();
        drop(dd);
        std::thread::sleep(Duration::from_millis(3));
        aio.cancel();
        let first = rx.recv_timeout(Duration::from_secs(15)).expect("first");
        let second = rx.recv_timeout(Duration::from_secs(15));
        aio.wait().unwrap();
        drop(aio);
        assert!(first.contains("Dial"), "{first}");
        let _ = second;
    }
    stop.store(true, Ordering::SeqCst);
}

// ---------------------------------------------------------------------------
// Panicking wakers in futures' aio closures and the pool.
// ---------------------------------------------------------------------------

struct PanicOnDrop(usize);
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if self.0 > 0 {
            let n = self.0 - 1;
            std::panic::panic_any(PanicOnDrop(n));
        }
    }
}

struct BadWaker {
    wakes: AtomicUsize,
}
impl std::task::Wake for BadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        std::panic::panic_any(PanicOnDrop(2));
    }
}

struct CountWaker(AtomicUsize);
impl std::task::Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll_until<F: std::future::Future + Unpin>(f: &mut F, secs: u64) -> Option<F::Output> {
    let w = Arc::new(CountWaker(AtomicUsize::new(0)));
    let waker = std::task::Waker::from(w);
    let mut cx = std::task::Context::from_waker(&waker);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(secs) {
        if let std::task::Poll::Ready(v) = std::pin::Pin::new(&mut *f).poll(&mut cx) {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

fn push_pull(t: &str) -> (Socket, Socket) {
    let url = tag(t);
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.listen(&url).unwrap();
    let push = Socket::new(Protocol::Push0).unwrap();
    push.dial(&url).unwrap();
    (push, pull)
}

/// HOLDS (100 rounds; valgrind-clean): futures whose waker panics (with a payload whose drop panics
/// twice) inside the aio closure, many of them (more than the pool holds),
/// each polled again with a good waker and dropped; then futures on another
/// socket (taking pooled aios) must each get their own message and never a
/// resumed foreign panic.
#[test]
fn panicking_wakers_never_reach_other_futures() {
    let (push1, pull1) = push_pull("pw1");
    let (push2, pull2) = push_pull("pw2");
    let bad = Arc::new(BadWaker {
        wakes: AtomicUsize::new(0),
    });
    let bad_waker = std::task::Waker::from(bad.clone());
    for round in 0..100u32 {
        let mut f = pull1.recv_async();
        let mut cx = std::task::Context::from_waker(&bad_waker);
        assert!(std::pin::Pin::new(&mut f).poll(&mut cx).is_pending());
        push1.send(round.to_le_bytes()).unwrap();
        let got = poll_until(&mut f, 10).expect("first future never completed");
        assert_eq!(got.unwrap().as_slice(), &round.to_le_bytes());
        drop(f);
        // An unrelated future on another socket, from the pool.
        let mut g = pull2.recv_async();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = poll_until(&mut g, 0);
            push2.send((round + 1000).to_le_bytes()).unwrap();
            poll_until(&mut g, 10)
        }));
        match r {
            Ok(Some(Ok(m))) => assert_eq!(m.as_slice(), &(round + 1000).to_le_bytes()),
            Ok(other) => panic!("round {round}: other future got {other:?}"),
            Err(p) => {
                std::mem::forget(p);
                panic!("round {round}: a foreign panic was resumed in another future");
            }
        }
    }
    eprintln!("bad wakes: {}", bad.wakes.load(Ordering::SeqCst));
}

// ---------------------------------------------------------------------------
// The logger: a callback nng runs on its own threads (inside aio callbacks
// such as a dialer's connection callback) that holds no `callback::Guard`.
// ---------------------------------------------------------------------------

/// Logger used by the logger tests: on nng's `NNG-CONN-FAIL` warning
/// (logged by `dialer_connect_cb`, the completion callback of the dialer's
/// connect aio, on nng's task thread) it takes whatever `ON_LOG` holds and
/// runs it.
struct ActingLogger;
type Action = Box<dyn FnOnce() + Send>;
static ON_LOG: Mutex<Option<Action>> = Mutex::new(None);
static LOG_DONE: AtomicBool = AtomicBool::new(false);
impl log::Log for ActingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if format!("{}", record.args()).contains("NNG-CONN-FAIL") {
            let act = ON_LOG.lock().unwrap().take();
            if let Some(act) = act {
                eprintln!(
                    "logger acting on {:?} ({:?}): {}",
                    std::thread::current().id(),
                    std::thread::current().name(),
                    record.args()
                );
                act();
                LOG_DONE.store(true, Ordering::SeqCst);
            }
        }
    }
    fn flush(&self) {}
}

fn log_watchdog(secs: u64, what: &'static str) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("WATCHDOG: {what} still not done after {secs} s: deadlock");
        std::process::exit(3);
    });
}

/// A port nothing listens on (connection refused at once).
fn refused_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    format!("tcp://{a}")
}

/// HOLDS since `log::forward` holds a `callback::Guard` (was BREAKS: deadlock;
/// 3 runs of 3). A `log` logger is an nng callback too (nng calls it on its own
/// threads, e.g. from `dialer_connect_cb`, the dialer's connect-aio
/// completion), but `log::forward` holds no `callback::Guard`, so the crate
/// does not defer what would wait there. A logger that drops the `Socket`
/// whose dial failed (say, a supervisor that gives up on an endpoint on
/// its first connection error) runs `nng_socket_close` inline on that task
/// thread; the close stops the dialer's connect aio (`nni_aio_stop`) and
/// waits for its callback: the very callback that is logging. Deadlock
/// (the module docs only ask the logger to be quick). Child process with a
/// watchdog. gdb: `nni_task_wait <- nni_aio_wait <- nni_aio_stop <-
/// nni_dialer_stop <- nni_dialer_shutdown <- nni_dialer_close <-
/// nng_dialer_close <- callback::close_id <- Dialer::drop <- (logger) <-
/// nng::log::forward` on the task thread running `dialer_connect_cb` for
/// that very `d_con_aio`. The same missing guard lets a logger block in
/// `Socket::recv`, `Dialer::start` or `Aio::wait` (`may_block`/`in_callback`
/// see nothing) on nng's task threads.
#[test]
fn socket_dropped_in_logger_deadlocks() {
    const NAME: &str = "socket_dropped_in_logger_deadlocks";
    if let Some((status, err)) = in_child_env(NAME, &[]) {
        eprintln!("{err}");
        assert!(
            status.success(),
            "child failed ({status:?}): dropping a socket inside the logger deadlocked"
        );
        return;
    }
    log::set_logger(&ActingLogger).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    nng::log::init();
    let s = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&s, &refused_url()).unwrap();
    let slot: Arc<Mutex<Option<(Dialer, Socket)>>> = Arc::new(Mutex::new(None));
    let theirs = slot.clone();
    *ON_LOG.lock().unwrap() = Some(Box::new(move || {
        let pair = theirs.lock().unwrap().take();
        eprintln!("logger: dropping the dialer and socket");
        drop(pair); // closes the dialer and the socket, here, inline
    }));
    log_watchdog(10, "the socket drop inside the logger");
    {
        let mut g = slot.lock().unwrap();
        // The first attempt is refused at once and logged from
        // dialer_connect_cb on nng's task thread (the logger waits for `g`).
        d.start_background().unwrap();
        eprintln!("main {:?}: started", std::thread::current().id());
        *g = Some((d, s));
    }
    let t = Instant::now();
    while !LOG_DONE.load(Ordering::SeqCst) {
        assert!(t.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("the logger's drop returned");
}

/// Logger for [`logger_panic_payload_drop_panics`]: panics on every record
/// with a payload whose drop panics twice more.
struct PanickingLogger;
static PANICKING_LOGS: AtomicUsize = AtomicUsize::new(0);
impl log::Log for PanickingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, _: &log::Record<'_>) {
        PANICKING_LOGS.fetch_add(1, Ordering::SeqCst);
        std::panic::panic_any(PanicOnDrop(2));
    }
    fn flush(&self) {}
}

/// HOLDS: a logger that panics with a payload whose drop panics (twice),
/// called by nng on its own threads (failed connection attempts, retried)
/// and inline on the caller's (listen/dial): no abort, no unwind into C.
/// Child process (the logger is process-wide).
#[test]
fn logger_panic_payload_drop_panics() {
    const NAME: &str = "logger_panic_payload_drop_panics";
    if let Some((status, err)) = in_child_env(NAME, &[]) {
        let tail: String = err.lines().rev().take(5).collect::<Vec<_>>().join("\n");
        for l in err.lines().filter(|l| l.contains("survived")) {
            eprintln!("{l}");
        }
        assert!(status.success(), "child failed ({status:?}): {tail}");
        return;
    }
    log::set_logger(&PanickingLogger).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    nng::log::init();
    let s = Socket::new(Protocol::Req0).unwrap();
    s.set_opt::<nng::options::ReconnectMinTime>(Some(Duration::from_millis(1)))
        .unwrap();
    s.set_opt::<nng::options::ReconnectMaxTime>(Some(Duration::from_millis(2)))
        .unwrap();
    let d = Dialer::new(&s, &refused_url()).unwrap();
    d.start_background().unwrap();
    let l = s.listener("tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let t = Instant::now();
    while PANICKING_LOGS.load(Ordering::SeqCst) < 50 && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let n = PANICKING_LOGS.load(Ordering::SeqCst);
    drop(d);
    drop(l);
    drop(s);
    eprintln!("{n} panicking log calls survived");
    assert!(n >= 2, "too few log calls to tell: {n}");
}
