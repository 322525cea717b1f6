//! A soak: every protocol over every stream transport for a long time, with
//! faults injected on a fixed cycle, checking that no request is lost or
//! answered twice and that memory and descriptors stay flat.
//!
//! ```sh
//! cargo run --release --example soak -- --minutes 30
//! cargo run --release --example soak -- --seconds 60 --interval 15   # CI
//! ```
//!
//! What runs, all in this one process:
//!
//! - req/rep with resend on, one rep server per transport (tcp, ipc, inproc,
//!   tls+tcp, ws) serving on contexts with callback [`Aio`]s; per transport
//!   two blocking clients (threads, one context each) and two async clients
//!   (tokio tasks, `send_async`/`recv_async` on a context), all on one req
//!   socket per transport. Every request carries a unique tag and a payload
//!   derived from it (up to 64 KiB); the reply must carry both back.
//! - pub/sub (tcp, ipc; one subscriber on a context), push/pull (tcp,
//!   inproc), surveyor/respondent (on a context, tcp and ipc), bus (three
//!   nodes over tcp and inproc) and pair1 (ping-pong driven by callback `Aio`s).
//!
//! Faults, once per cycle (`--interval`, 60 s by default), at fixed points
//! of the cycle: every server listener (the five rep ones and the tcp
//! listeners of pub, push, surveyor, bus and pair) is closed in turn and
//! reopened at the same address a little later (peers must redial); the
//! req client sockets are replaced by new ones (the old one closes when its
//! workers have finished their request); three times, one connected pipe of
//! every server is closed ([`Pipe::close`]); raw TCP peers send garbage
//! (random bytes, the wrong protocol, a 2^62-byte length, a truncated
//! message, an HTTP request where SP is expected and vice versa) to the
//! tcp, tls and ws listeners. All cycle long until 80% of it, other sockets
//! of every protocol are churned (opened, connected, closed). The last 20%
//! of the cycle is quiet, and a line is printed at each cycle's end, so all
//! lines are taken at the same phase of the fault cycle.
//!
//! It exits with status 1 if a request whose send succeeded did not get
//! exactly one intact matching reply (lost, duplicate or corrupt), if a
//! send stayed stuck for 30 s (req with resend has no reason to), if a
//! protocol or transport delivered nothing in the last cycle, if
//! descriptors, RSS or nng's own count of sockets and pipes grew between the
//! second line and the last beyond the bounds below (checked when there are
//! at least three lines), or if nng still counts a socket or pipe once
//! everything is closed. `--faults relisten,swap,pipes,garbage,churn` (or
//! `none`) runs only the faults named, to narrow a failure down.

use nng::options::{
    ReconnectMaxTime, ReconnectMinTime, RecvTimeout, ReqResendTick, ReqResendTime, SendTimeout,
    SurveyTime,
};
use nng::stats::Statistics;
use nng::tls::TlsConfig;
use nng::{Aio, AioResult, Context, Error, Listener, Message, Pipe, PipeEvent, Protocol, Socket};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant};

#[path = "common/certs.rs"]
mod certs;

/// How long a request waits for its reply before it counts as lost. With
/// resend every 250 ms and listeners down for at most a few seconds, a
/// reply normally arrives well within a second.
const LOST_AFTER: Duration = Duration::from_secs(30);
/// Descriptors allowed above the second line's count at the last line. The
/// count is the same at every line when nothing leaks, but for a client
/// socket still closing (see `NNG_SLACK`); one leaked per cycle exceeds it
/// within five cycles.
const FD_SLACK: i64 = 4;
/// Sockets and pipes allowed above the second line's count at the last
/// line (nng's own count). A client socket replaced in the cycle may still be
/// closing at a line (seen once in 30 minutes: two sockets and their two
/// descriptors, gone by the next line); a leak is caught for certain by the
/// check after everything is closed.
const NNG_SLACK: i64 = 2;
/// RSS allowed above the second line's: the larger of this many bytes ...
const RSS_SLACK_BYTES: i64 = 4 << 20;
/// ... and this percentage of the second line's RSS.
const RSS_SLACK_PERCENT: i64 = 10;

const TRANSPORTS: [&str; 5] = ["tcp", "ipc", "inproc", "tls", "ws"];

/// Counters shared by every part of the soak.
struct Counters {
    req: [AtomicU64; 5],
    lost: AtomicU64,
    dup: AtomicU64,
    bad: AtomicU64,
    send_failed: AtomicU64,
    stuck: AtomicU64,
    pub_rx: AtomicU64,
    push_rx: AtomicU64,
    survey_rx: AtomicU64,
    bus_rx: AtomicU64,
    pair_rx: AtomicU64,
    listener_restarts: AtomicU64,
    pipes_closed: AtomicU64,
    client_swaps: AtomicU64,
    garbage: AtomicU64,
    churned: AtomicU64,
}

static C: Counters = Counters {
    req: [const { AtomicU64::new(0) }; 5],
    lost: AtomicU64::new(0),
    dup: AtomicU64::new(0),
    bad: AtomicU64::new(0),
    send_failed: AtomicU64::new(0),
    stuck: AtomicU64::new(0),
    pub_rx: AtomicU64::new(0),
    push_rx: AtomicU64::new(0),
    survey_rx: AtomicU64::new(0),
    bus_rx: AtomicU64::new(0),
    pair_rx: AtomicU64::new(0),
    listener_restarts: AtomicU64::new(0),
    pipes_closed: AtomicU64::new(0),
    client_swaps: AtomicU64::new(0),
    garbage: AtomicU64::new(0),
    churned: AtomicU64::new(0),
};

/// Tags of requests, unique in the process.
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);
/// Set to stop the faults and the churn (listeners are left open).
static STOP_FAULTS: AtomicBool = AtomicBool::new(false);
/// Set to stop the traffic (after the faults stopped).
static STOP_WORK: AtomicBool = AtomicBool::new(false);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() {
    let args = match Args::parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}\nusage: soak [--minutes M | --seconds S] [--interval SECS] [--faults relisten,swap,pipes,garbage,churn|none]");
            std::process::exit(2);
        }
    };
    match run(&args) {
        Ok(true) => println!("soak: PASS"),
        Ok(false) => {
            println!("soak: FAIL");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("soak: setup failed: {e}");
            std::process::exit(1);
        }
    }
}

struct Args {
    cycles: u32,
    interval: Duration,
    faults: Faults,
}

/// Which kinds of fault run (`--faults relisten,swap,pipes,garbage,churn`;
/// all by default), to narrow down a failure.
#[derive(Clone, Copy)]
struct Faults {
    relisten: bool,
    swap: bool,
    pipes: bool,
    garbage: bool,
    churn: bool,
}

impl Faults {
    fn parse(list: &str) -> Result<Faults, String> {
        let mut f = Faults {
            relisten: false,
            swap: false,
            pipes: false,
            garbage: false,
            churn: false,
        };
        for name in list.split(',').filter(|n| !n.is_empty()) {
            match name {
                "relisten" => f.relisten = true,
                "swap" => f.swap = true,
                "pipes" => f.pipes = true,
                "garbage" => f.garbage = true,
                "churn" => f.churn = true,
                "none" => {}
                _ => return Err(format!("unknown fault {name}")),
            }
        }
        Ok(f)
    }
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut total = 30.0 * 60.0;
        let mut interval = 60.0;
        let mut faults = Faults::parse("relisten,swap,pipes,garbage,churn")?;
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut num = || -> Result<f64, String> {
                let v = it.next().ok_or(format!("{a} needs a value"))?;
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or(format!("{a}: not a positive number: {v}"))
            };
            match a.as_str() {
                "--minutes" => total = num()? * 60.0,
                "--seconds" => total = num()?,
                "--interval" => interval = num()?,
                "--faults" => faults = Faults::parse(&it.next().ok_or("--faults needs a list")?)?,
                _ => return Err(format!("unknown argument {a}")),
            }
        }
        if interval < 5.0 {
            return Err("--interval must be at least 5 seconds".into());
        }
        // Whole cycles, so that the last line is at the same phase as the others.
        let cycles = (total / interval).ceil().max(1.0) as u32;
        Ok(Args {
            cycles,
            interval: Duration::from_secs_f64(interval),
            faults,
        })
    }
}

/// A small xorshift generator: the soak's choices need no quality.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Rng((t ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The pipes of a socket that are connected now, kept by pipe events.
#[derive(Clone, Default)]
struct Pipes(Arc<Mutex<Vec<Pipe>>>);

impl Pipes {
    fn track(socket: &Socket) -> Result<Pipes, Error> {
        let pipes = Pipes::default();
        for ev in [PipeEvent::AddPost, PipeEvent::RemPost] {
            let list = pipes.0.clone();
            socket.pipe_notify(ev, move |ev, pipe| {
                let mut list = list.lock().unwrap_or_else(|p| p.into_inner());
                if ev == PipeEvent::AddPost {
                    list.push(pipe);
                } else {
                    list.retain(|p| *p != pipe);
                }
            })?;
        }
        Ok(pipes)
    }

    /// Closes one connected pipe, chosen at random.
    fn close_one(&self, rng: &mut Rng) {
        let pipe = {
            let list = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if list.is_empty() {
                return;
            }
            list[rng.below(list.len())]
        };
        // Not under the lock: the close runs the RemPost callback, which takes it.
        if pipe.close().is_ok() {
            C.pipes_closed.fetch_add(1, Relaxed);
        }
    }
}

/// A listener that the faults close and reopen at the same address.
struct Endpoint {
    socket: Arc<Socket>,
    url: String,
    tls: Option<TlsConfig>,
    listener: Mutex<Option<Listener>>,
}

impl Endpoint {
    /// Listens on `url`; a port 0 in it is replaced by the one bound, so that
    /// reopening uses the same address.
    fn open(
        socket: &Arc<Socket>,
        url: &str,
        tls: Option<&TlsConfig>,
    ) -> Result<Arc<Endpoint>, BoxError> {
        let first = Self::listen(socket, url, tls)?;
        let url = if url.contains("127.0.0.1:0") {
            url.replacen("127.0.0.1:0", &format!("127.0.0.1:{}", first.port()?), 1)
        } else {
            url.to_string()
        };
        Ok(Arc::new(Endpoint {
            socket: socket.clone(),
            url,
            tls: tls.cloned(),
            listener: Mutex::new(Some(first)),
        }))
    }

    fn listen(socket: &Socket, url: &str, tls: Option<&TlsConfig>) -> Result<Listener, Error> {
        let listener = match tls {
            Some(cfg) => socket.listener_tls(url, cfg)?,
            None => Listener::new(socket, url)?,
        };
        listener.start()?;
        Ok(listener)
    }

    fn port(&self) -> Option<u16> {
        let l = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        l.as_ref().and_then(|l| l.port().ok())
    }

    fn close(&self) {
        let l = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(l) = l {
            l.close().expect("listener close");
        }
    }

    /// Reopens the listener if it is closed, retrying while the address is
    /// still taken.
    fn reopen(&self) {
        let mut slot = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        for _ in 0..200 {
            match Self::listen(&self.socket, &self.url, self.tls.as_ref()) {
                Ok(l) => {
                    *slot = Some(l);
                    C.listener_restarts.fetch_add(1, Relaxed);
                    return;
                }
                Err(Error::AddressInUse) => sleep(Duration::from_millis(50)),
                Err(e) => panic!("reopening {}: {e}", self.url),
            }
        }
        panic!("reopening {}: address still in use after 10 s", self.url);
    }
}

/// The request with `tag` for transport `t`: tag, transport, then padding
/// derived from the tag (every 64th request 64 KiB of it).
fn request(t: usize) -> (u64, Message) {
    let tag = NEXT_TAG.fetch_add(1, Relaxed);
    let mut m = Message::with_capacity(9 + pad_len(tag));
    m.push_back(&tag.to_be_bytes());
    m.push_back(&[t as u8]);
    m.push_back(&vec![tag as u8; pad_len(tag)]);
    (tag, m)
}

fn pad_len(tag: u64) -> usize {
    if tag % 64 == 0 {
        65536
    } else {
        (tag % 997) as usize
    }
}

/// Accounts for the reply to request `tag` of transport `t`; `Ok(true)` when
/// it is done (answered or lost), `Ok(false)` to keep waiting.
fn account(t: usize, tag: u64, reply: Result<Message, Error>) -> bool {
    let m = match reply {
        Ok(m) => m,
        Err(e) => {
            let n = C.lost.fetch_add(1, Relaxed);
            if n < 20 {
                eprintln!("LOST: {} request {tag}: {e}", TRANSPORTS[t]);
            }
            return true;
        }
    };
    let body = m.as_slice();
    let got = body
        .get(..8)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
    if got == Some(tag) {
        let intact = body.len() == 9 + pad_len(tag)
            && body[8] == t as u8
            && body[9..].iter().all(|&b| b == tag as u8);
        if intact {
            C.req[t].fetch_add(1, Relaxed);
        } else {
            C.bad.fetch_add(1, Relaxed);
            eprintln!(
                "CORRUPT: {} reply to {tag}: {} bytes",
                TRANSPORTS[t],
                body.len()
            );
        }
        return true;
    }
    match got {
        Some(old) if old < tag => {
            C.dup.fetch_add(1, Relaxed);
            eprintln!(
                "DUPLICATE: {} reply to {old} while waiting for {tag}",
                TRANSPORTS[t]
            );
            false
        }
        _ => {
            C.bad.fetch_add(1, Relaxed);
            eprintln!("CORRUPT: {} reply {got:?} to {tag}", TRANSPORTS[t]);
            true
        }
    }
}

/// One transport's req socket, replaced by a fresh one on each cycle. The
/// workers move to the new socket between requests; the old one closes when
/// the last of them lets go of it.
struct ReqClient {
    t: usize,
    url: String,
    tls: Option<TlsConfig>,
    current: Mutex<Arc<Socket>>,
}

impl ReqClient {
    fn new(t: usize, url: &str, tls: Option<&TlsConfig>) -> Result<Arc<ReqClient>, BoxError> {
        let socket = Self::socket(url, tls)?;
        Ok(Arc::new(ReqClient {
            t,
            url: url.to_string(),
            tls: tls.cloned(),
            current: Mutex::new(socket),
        }))
    }

    fn socket(url: &str, tls: Option<&TlsConfig>) -> Result<Arc<Socket>, Error> {
        let s = Socket::new(Protocol::Req0)?;
        s.set_opt::<ReqResendTime>(Some(Duration::from_millis(250)))?;
        s.set_opt::<ReqResendTick>(Some(Duration::from_millis(50)))?;
        s.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(20)))?;
        s.set_opt::<ReconnectMaxTime>(Some(Duration::from_millis(200)))?;
        match tls {
            Some(cfg) => {
                let d = s.dialer_tls(url, cfg)?;
                d.start_background()?;
                d.detach();
            }
            None => s.dial_background(url)?,
        }
        Ok(Arc::new(s))
    }

    fn get(&self) -> Arc<Socket> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn swap(&self) {
        let new = Self::socket(&self.url, self.tls.as_ref()).expect("new req socket");
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = new;
        C.client_swaps.fetch_add(1, Relaxed);
    }

    /// The socket to use for the next request and a context on it: the one
    /// given unless the client has moved on.
    fn refresh(&self, held: &mut Option<(Arc<Socket>, Context)>) -> Result<(), Error> {
        let cur = self.get();
        if held.as_ref().is_some_and(|(s, _)| Arc::ptr_eq(s, &cur)) {
            return Ok(());
        }
        *held = None; // the context first, then our share of the socket
        let ctx = Context::new(&cur)?;
        ctx.set_opt::<RecvTimeout>(Some(LOST_AFTER))?;
        ctx.set_opt::<SendTimeout>(Some(LOST_AFTER))?;
        *held = Some((cur, ctx));
        Ok(())
    }
}

/// Accounts for a request whose send failed: one that did not go out within
/// [`LOST_AFTER`] is stuck (a failure of the soak), others are counted.
fn send_failed(t: usize, tag: u64, e: Error) {
    let n = if e == Error::TimedOut {
        C.stuck.fetch_add(1, Relaxed)
    } else {
        C.send_failed.fetch_add(1, Relaxed)
    };
    if n < 20 {
        eprintln!("SEND FAILED: {} request {tag}: {e}", TRANSPORTS[t]);
    }
}

fn req_worker_blocking(client: Arc<ReqClient>) {
    let t = client.t;
    let mut held = None;
    while !STOP_WORK.load(Relaxed) {
        client.refresh(&mut held).expect("req context");
        let (_, ctx) = held.as_ref().expect("refreshed");
        let (tag, msg) = request(t);
        if let Err(e) = ctx.send(msg) {
            send_failed(t, tag, e.error);
            continue;
        }
        while !account(t, tag, ctx.recv()) {}
        sleep(Duration::from_millis(2));
    }
}

async fn req_worker_async(client: Arc<ReqClient>) {
    let t = client.t;
    let mut held = None;
    while !STOP_WORK.load(Relaxed) {
        client.refresh(&mut held).expect("req context");
        let (_, ctx) = held.as_ref().expect("refreshed");
        let (tag, msg) = request(t);
        if let Err(e) = ctx.send_async(msg).timeout(Some(LOST_AFTER)).await {
            send_failed(t, tag, e.error);
            continue;
        }
        while !account(t, tag, ctx.recv_async().timeout(Some(LOST_AFTER)).await) {}
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Whether an error means the socket or aio is going away.
fn closing(e: Error) -> bool {
    matches!(e, Error::Closed | Error::Stopped | Error::Canceled)
}

/// `n` contexts of a rep socket echoing requests, each driven by a callback
/// `Aio` (receive, send the request back, receive again).
fn serve_rep(socket: &Socket, n: usize) -> Result<Vec<Aio>, Error> {
    (0..n)
        .map(|_| {
            let ctx = Arc::new(Context::new(socket)?);
            let c = ctx.clone();
            let aio = Aio::new(move |aio, res| match res {
                // Starting fails only once the aio is being dropped.
                AioResult::Recv(Ok(m)) => drop(aio.send(&*c, m)),
                AioResult::Recv(Err(e)) if closing(e) => {}
                // A reply not sent (its pipe closed) is resent by the client.
                AioResult::Recv(Err(_)) | AioResult::Send(_) => {
                    let _ = aio.recv(&*c);
                }
                _ => {}
            })?;
            aio.recv(&*ctx)?;
            Ok(aio)
        })
        .collect()
}

/// A thread counting what `socket` receives into `counter`.
fn counting_receiver(
    recv: impl Fn() -> Result<Message, Error> + Send + 'static,
    counter: &'static AtomicU64,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !STOP_WORK.load(Relaxed) {
            match recv() {
                Ok(_) => {
                    counter.fetch_add(1, Relaxed);
                }
                Err(Error::TimedOut) => {}
                Err(e) => panic!("receiver: {e}"),
            }
        }
    })
}

fn socket(p: Protocol) -> Result<Arc<Socket>, Error> {
    let s = Socket::new(p)?;
    s.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(20)))?;
    s.set_opt::<ReconnectMaxTime>(Some(Duration::from_millis(200)))?;
    s.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))?;
    s.set_opt::<SendTimeout>(Some(Duration::from_millis(200)))?;
    Ok(Arc::new(s))
}

/// A raw TCP peer: connects to `port`, writes `bytes`, reads whatever comes
/// back until the listener hangs up (or 200 ms pass), and closes.
fn garbage_peer(port: u16, bytes: &[u8]) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    C.garbage.fetch_add(1, Relaxed);
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = s.write_all(bytes);
    let mut sink = [0u8; 4096];
    while let Ok(n) = s.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// The garbage sent to each raw-TCP-reachable listener.
fn garbage_all(ports: &[u16], rng: &mut Rng) {
    const SP_REQ: [u8; 8] = [0, b'S', b'P', 0, 0, 0x30, 0, 0];
    const SP_WRONG: [u8; 8] = [0, b'S', b'P', 0, 0, 0x70, 0, 0];
    let random: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
    let mut huge = SP_REQ.to_vec();
    huge.extend_from_slice(&(1u64 << 62).to_be_bytes());
    let mut truncated = SP_REQ.to_vec();
    truncated.extend_from_slice(&100u64.to_be_bytes());
    truncated.extend_from_slice(b"short");
    let http = b"GET /soak HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n".to_vec();
    for &port in ports {
        for bytes in [&random, &SP_WRONG.to_vec(), &huge, &truncated, &http] {
            garbage_peer(port, bytes);
        }
    }
}

/// One socket pair of `pair` connected over `url`, a message sent, then both
/// closed.
fn churn_once(pair: (Protocol, Protocol), url: &str) -> Result<(), Error> {
    let a = Socket::new(pair.0)?;
    let l = Listener::new(&a, url)?;
    l.start()?;
    let url = if url.ends_with(":0") {
        format!("tcp://127.0.0.1:{}", l.port()?)
    } else {
        url.to_string()
    };
    let b = Socket::new(pair.1)?;
    b.set_opt::<SendTimeout>(Some(Duration::from_millis(100)))?;
    b.dial(&url)?;
    // Fire and forget: the message may or may not be taken before the close.
    let _ = b.try_send(&b"churn"[..]);
    C.churned.fetch_add(2, Relaxed);
    Ok(())
}

fn churn(interval: Duration, start: Instant) {
    let pairs = [
        (Protocol::Rep0, Protocol::Req0),
        (Protocol::Pub0, Protocol::Sub0),
        (Protocol::Pull0, Protocol::Push0),
        (Protocol::Pair1, Protocol::Pair1),
        (Protocol::Pair0, Protocol::Pair0),
        (Protocol::Bus0, Protocol::Bus0),
        (Protocol::Respondent0, Protocol::Surveyor0),
    ];
    let pid = std::process::id();
    let mut n = 0usize;
    while !STOP_FAULTS.load(Relaxed) {
        if phase(start, interval) < 0.8 {
            let url = if n % 2 == 0 {
                format!("inproc://soak-churn-{pid}-{n}")
            } else {
                "tcp://127.0.0.1:0".to_string()
            };
            churn_once(pairs[n % pairs.len()], &url).expect("churn");
            n += 1;
        }
        sleep(Duration::from_millis(25));
    }
}

/// Where in the fault cycle we are, from 0 to 1.
fn phase(start: Instant, interval: Duration) -> f64 {
    let e = start.elapsed().as_secs_f64() / interval.as_secs_f64();
    e - e.floor()
}

enum Fault {
    Close(usize),
    Reopen(usize),
    SwapClients,
    ClosePipes,
    Garbage,
    Idle,
}

/// Runs the faults of each cycle at their fixed points until told to stop,
/// then reopens every listener.
fn faults(
    start: Instant,
    interval: Duration,
    kinds: Faults,
    endpoints: Vec<Arc<Endpoint>>,
    clients: Vec<Arc<ReqClient>>,
    pipes: Vec<Pipes>,
    garbage_ports: Vec<u16>,
) {
    let mut plan: Vec<(f64, Fault)> = Vec::new();
    let n = endpoints.len() as f64;
    for i in (0..endpoints.len()).filter(|_| kinds.relisten) {
        let at = 0.02 + 0.42 * i as f64 / n;
        plan.push((at, Fault::Close(i)));
        plan.push((at + 0.03, Fault::Reopen(i)));
    }
    if kinds.swap {
        plan.push((0.50, Fault::SwapClients));
    }
    if kinds.pipes {
        for at in [0.56, 0.60, 0.64] {
            plan.push((at, Fault::ClosePipes));
        }
    }
    if kinds.garbage {
        plan.push((0.68, Fault::Garbage));
    }
    // The end of the quiet part, so that an empty plan still waits.
    plan.push((0.99, Fault::Idle));
    plan.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rng = Rng::new(7);
    'cycles: for cycle in 0u32.. {
        for (at, fault) in &plan {
            let when = start + interval.mul_f64(cycle as f64 + at);
            while Instant::now() < when {
                if STOP_FAULTS.load(Relaxed) {
                    break 'cycles;
                }
                sleep(
                    Duration::from_millis(10).min(when.saturating_duration_since(Instant::now())),
                );
            }
            match fault {
                Fault::Close(i) => endpoints[*i].close(),
                Fault::Reopen(i) => endpoints[*i].reopen(),
                Fault::SwapClients => clients.iter().for_each(|c| c.swap()),
                Fault::ClosePipes => pipes.iter().for_each(|p| p.close_one(&mut rng)),
                Fault::Garbage => garbage_all(&garbage_ports, &mut rng),
                Fault::Idle => {}
            }
        }
    }
    endpoints.iter().for_each(|e| e.reopen());
}

/// A figure taken at one line.
#[derive(Clone, Copy, Default)]
struct Sample {
    req: [u64; 5],
    others: [u64; 5],
    rss: i64,
    fds: i64,
    nng_sockets: i64,
    nng_pipes: i64,
}

impl Sample {
    fn take() -> Sample {
        let load = |c: &AtomicU64| c.load(Relaxed);
        Sample {
            req: std::array::from_fn(|t| load(&C.req[t])),
            others: [&C.pub_rx, &C.push_rx, &C.survey_rx, &C.bus_rx, &C.pair_rx].map(load),
            rss: rss_bytes(),
            fds: open_fds(),
            nng_sockets: nng_count("socket"),
            nng_pipes: nng_count("pipe"),
        }
    }
}

const OTHERS: [&str; 5] = ["pub", "push", "survey", "bus", "pair"];

/// VmRSS from /proc/self/status, in bytes (-1 if unreadable).
fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        })
        .map_or(-1, |kb| kb * 1024)
}

/// Open descriptors (/proc/self/fd entries, less the one reading it).
fn open_fds() -> i64 {
    std::fs::read_dir("/proc/self/fd").map_or(-1, |d| d.count() as i64 - 1)
}

/// nng's own count of open sockets or pipes: the scopes named `name` in its
/// statistics tree (-1 without statistics).
fn nng_count(name: &str) -> i64 {
    Statistics::get().map_or(-1, |snap| {
        snap.root().children().filter(|s| s.name() == name).count() as i64
    })
}

fn line(elapsed: Duration, now: &Sample, prev: &Sample) {
    let total: u64 = now.req.iter().sum();
    let last: u64 = total - prev.req.iter().sum::<u64>();
    let per: Vec<String> = (0..5)
        .map(|t| format!("{} {}", TRANSPORTS[t], now.req[t] - prev.req[t]))
        .collect();
    let others: Vec<String> = (0..5)
        .map(|i| {
            format!(
                "{} {} (+{})",
                OTHERS[i],
                now.others[i],
                now.others[i] - prev.others[i]
            )
        })
        .collect();
    println!(
        "[{:>5}s] req {total} (+{last}: {}) lost {} dup {} bad {} stuck {} | {} | faults: relisten {} pipes {} swaps {} garbage {} churned {} | rss {:.1} MiB fds {} nng sockets {} pipes {}",
        elapsed.as_secs(),
        per.join(", "),
        C.lost.load(Relaxed),
        C.dup.load(Relaxed),
        C.bad.load(Relaxed),
        C.stuck.load(Relaxed),
        others.join(", "),
        C.listener_restarts.load(Relaxed),
        C.pipes_closed.load(Relaxed),
        C.client_swaps.load(Relaxed),
        C.garbage.load(Relaxed),
        C.churned.load(Relaxed),
        now.rss as f64 / (1 << 20) as f64,
        now.fds,
        now.nng_sockets,
        now.nng_pipes,
    );
}

fn run(args: &Args) -> Result<bool, BoxError> {
    let pid = std::process::id();
    let ipc_dir = std::env::temp_dir().join(format!("nng-soak-{pid}"));
    std::fs::create_dir_all(&ipc_dir)?;
    let result = soak(args, &ipc_dir.to_string_lossy());
    let _ = std::fs::remove_dir_all(&ipc_dir);
    result
}

fn soak(args: &Args, ipc_dir: &str) -> Result<bool, BoxError> {
    let pid = std::process::id();
    let (ca, cert, key) = certs::make_certificates()?;
    let server_tls = TlsConfig::server().cert_key_pem(&cert, &key).build()?;
    let client_tls = TlsConfig::client()
        .ca_pem(&ca)
        .server_name("localhost")
        .build()?;

    let mut endpoints = Vec::new();
    let mut pipes = Vec::new();
    let mut threads = Vec::new();
    let mut aios = Vec::new();
    let mut sockets: Vec<Arc<Socket>> = Vec::new();

    // req/rep over each transport.
    let rep_urls = [
        "tcp://127.0.0.1:0".to_string(),
        format!("ipc://{ipc_dir}/rep.ipc"),
        format!("inproc://soak-rep-{pid}"),
        "tls+tcp://127.0.0.1:0".to_string(),
        "ws://127.0.0.1:0/soak".to_string(),
    ];
    let mut clients = Vec::new();
    for (t, url) in rep_urls.iter().enumerate() {
        let rep = Arc::new(Socket::new(Protocol::Rep0)?);
        pipes.push(Pipes::track(&rep)?);
        let tls = (t == 3).then_some(&server_tls);
        let ep = Endpoint::open(&rep, url, tls)?;
        aios.extend(serve_rep(&rep, 8)?);
        clients.push(ReqClient::new(t, &ep.url, (t == 3).then_some(&client_tls))?);
        endpoints.push(ep);
        sockets.push(rep);
    }
    let garbage_ports: Vec<u16> = [0, 3, 4]
        .iter()
        .filter_map(|&t| endpoints[t].port())
        .collect();

    // pub/sub: tcp and ipc; one subscriber on a context.
    let publ = socket(Protocol::Pub0)?;
    pipes.push(Pipes::track(&publ)?);
    let pub_tcp = Endpoint::open(&publ, "tcp://127.0.0.1:0", None)?;
    let pub_ipc = format!("ipc://{ipc_dir}/pub.ipc");
    publ.listen(&pub_ipc)?;
    for url in [&pub_tcp.url, &pub_ipc] {
        let sub = socket(Protocol::Sub0)?;
        sub.subscribe(b"")?;
        sub.dial_background(url)?;
        let s = sub.clone();
        threads.push(counting_receiver(move || s.recv(), &C.pub_rx));
        sockets.push(sub);
    }
    let sub = socket(Protocol::Sub0)?;
    sub.dial_background(&pub_tcp.url)?;
    let ctx = Context::new(&sub)?;
    ctx.subscribe(b"news")?;
    ctx.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))?;
    threads.push(counting_receiver(move || ctx.recv(), &C.pub_rx));
    sockets.push(sub);
    let p = publ.clone();
    threads.push(std::thread::spawn(move || {
        while !STOP_WORK.load(Relaxed) {
            p.send(&b"news: the soak goes on"[..]).expect("pub send");
            sleep(Duration::from_millis(2));
        }
    }));
    endpoints.push(pub_tcp);
    sockets.push(publ);

    // push/pull: tcp and inproc.
    let push = socket(Protocol::Push0)?;
    pipes.push(Pipes::track(&push)?);
    let push_tcp = Endpoint::open(&push, "tcp://127.0.0.1:0", None)?;
    let push_inproc = format!("inproc://soak-push-{pid}");
    push.listen(&push_inproc)?;
    for url in [&push_tcp.url, &push_inproc] {
        let pull = socket(Protocol::Pull0)?;
        pull.dial_background(url)?;
        let s = pull.clone();
        threads.push(counting_receiver(move || s.recv(), &C.push_rx));
        sockets.push(pull);
    }
    let p = push.clone();
    threads.push(std::thread::spawn(move || {
        while !STOP_WORK.load(Relaxed) {
            match p.send(&b"work"[..]) {
                Ok(()) => {}
                Err(e) if e.error == Error::TimedOut => {}
                Err(e) => panic!("push send: {}", e.error),
            }
            sleep(Duration::from_millis(2));
        }
    }));
    endpoints.push(push_tcp);
    sockets.push(push);

    // survey: the surveyor on a context; respondents over tcp and ipc.
    let surveyor = socket(Protocol::Surveyor0)?;
    pipes.push(Pipes::track(&surveyor)?);
    let survey_tcp = Endpoint::open(&surveyor, "tcp://127.0.0.1:0", None)?;
    let survey_ipc = format!("ipc://{ipc_dir}/survey.ipc");
    surveyor.listen(&survey_ipc)?;
    for url in [&survey_tcp.url, &survey_ipc] {
        let resp = socket(Protocol::Respondent0)?;
        resp.dial_background(url)?;
        let r = resp.clone();
        threads.push(std::thread::spawn(move || {
            while !STOP_WORK.load(Relaxed) {
                match r.recv() {
                    Ok(m) => {
                        let _ = r.send(m);
                    }
                    Err(Error::TimedOut) => {}
                    Err(e) => panic!("respondent: {e}"),
                }
            }
        }));
        sockets.push(resp);
    }
    let ctx = Context::new(&surveyor)?;
    ctx.set_opt::<SurveyTime>(Some(Duration::from_millis(100)))?;
    threads.push(std::thread::spawn(move || {
        while !STOP_WORK.load(Relaxed) {
            ctx.send(&b"how are you?"[..]).expect("survey send");
            loop {
                match ctx.recv() {
                    Ok(_) => {
                        C.survey_rx.fetch_add(1, Relaxed);
                    }
                    // The survey is over: its time ran out while we waited
                    // (TimedOut), or before we asked (IncorrectState).
                    Err(Error::TimedOut | Error::IncorrectState) => break,
                    Err(e) => panic!("surveyor: {e}"),
                }
            }
        }
    }));
    endpoints.push(survey_tcp);
    sockets.push(surveyor);

    // bus: node 0 listens, nodes 1 and 2 dial it and node 1.
    let bus: Vec<Arc<Socket>> = (0..3)
        .map(|_| socket(Protocol::Bus0))
        .collect::<Result<_, _>>()?;
    pipes.push(Pipes::track(&bus[0])?);
    let bus_tcp = Endpoint::open(&bus[0], "tcp://127.0.0.1:0", None)?;
    let bus_inproc = format!("inproc://soak-bus-{pid}");
    bus[1].listen(&bus_inproc)?;
    bus[1].dial_background(&bus_tcp.url)?;
    bus[2].dial_background(&bus_tcp.url)?;
    bus[2].dial_background(&bus_inproc)?;
    for node in &bus {
        let n = node.clone();
        threads.push(std::thread::spawn(move || {
            while !STOP_WORK.load(Relaxed) {
                // Not try_send: nng 2.0.0's bus0 fails every non-blocking
                // send with EAGAIN (bus0_sock_send starts its aio with a
                // zero timeout before sending). A bus send never waits.
                n.send(&b"hello bus"[..]).expect("bus send");
                while n.try_recv().is_ok() {
                    C.bus_rx.fetch_add(1, Relaxed);
                }
                sleep(Duration::from_millis(5));
            }
        }));
    }
    endpoints.push(bus_tcp);
    sockets.extend(bus);

    // pair1 ping-pong: both sides are callback Aios.
    let pair_a = socket(Protocol::Pair1)?;
    pipes.push(Pipes::track(&pair_a)?);
    let pair_tcp = Endpoint::open(&pair_a, "tcp://127.0.0.1:0", None)?;
    let pair_b = socket(Protocol::Pair1)?;
    pair_b.dial_background(&pair_tcp.url)?;
    let b = pair_b.clone();
    let echo = Aio::new(move |aio, res| match res {
        AioResult::Recv(Ok(m)) => drop(aio.send(&*b, m)),
        AioResult::Recv(Err(e)) if closing(e) => {}
        AioResult::Recv(Err(_)) | AioResult::Send(_) => {
            let _ = aio.recv(&*b);
        }
        _ => {}
    })?;
    echo.recv(&*pair_b)?;
    let a = pair_a.clone();
    // Send a ping, wait up to a second for it to come back; a ping lost to a
    // fault is replaced by the next one.
    let pinger = Aio::new(move |aio, res| {
        if STOP_WORK.load(Relaxed) {
            return;
        }
        match res {
            AioResult::Send(Ok(())) => {
                let _ = aio.recv(&*a);
            }
            AioResult::Recv(Ok(_)) => {
                C.pair_rx.fetch_add(1, Relaxed);
                let _ = aio.send(&*a, &b"ping"[..]);
            }
            AioResult::Recv(Err(e)) | AioResult::Send(Err(nng::SendError { error: e, .. }))
                if closing(e) => {}
            _ => {
                let _ = aio.send(&*a, &b"ping"[..]);
            }
        }
    })?;
    pinger.set_timeout(Some(Duration::from_secs(1)));
    pinger.send(&*pair_a, &b"ping"[..])?;
    endpoints.push(pair_tcp);
    sockets.extend([pair_a, pair_b]);

    // The req workers: blocking threads and tokio tasks.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()?;
    let mut tasks = Vec::new();
    for c in &clients {
        for _ in 0..2 {
            let c2 = c.clone();
            threads.push(std::thread::spawn(move || req_worker_blocking(c2)));
            tasks.push(rt.spawn(req_worker_async(c.clone())));
        }
    }

    let start = Instant::now();
    println!(
        "soak: {} cycles of {} s; req/rep over {}; pub/sub, push/pull, survey, bus, pair1; pid {pid}",
        args.cycles,
        args.interval.as_secs_f64(),
        TRANSPORTS.join(", ")
    );
    let (interval, kinds) = (args.interval, args.faults);
    let churner = std::thread::spawn(move || {
        if kinds.churn {
            churn(interval, start)
        }
    });
    let fault_thread = {
        let (e, c, p) = (endpoints.clone(), clients.clone(), pipes.clone());
        std::thread::spawn(move || faults(start, interval, kinds, e, c, p, garbage_ports))
    };

    let mut samples = vec![Sample::take()];
    for k in 1..=args.cycles {
        let when = start + args.interval * k;
        sleep(when.saturating_duration_since(Instant::now()));
        let s = Sample::take();
        line(start.elapsed(), &s, samples.last().expect("one sample"));
        samples.push(s);
    }

    // Stop: faults first (the listeners come back), then the traffic; every
    // request in flight finishes (answered or counted lost).
    STOP_FAULTS.store(true, Relaxed);
    fault_thread.join().map_err(|_| "fault thread panicked")?;
    churner.join().map_err(|_| "churn thread panicked")?;
    STOP_WORK.store(true, Relaxed);
    for t in threads {
        t.join().map_err(|_| "a worker panicked")?;
    }
    for task in tasks {
        rt.block_on(task)?;
    }
    drop(pinger);
    drop(echo);
    drop(aios);
    let sent = NEXT_TAG.load(Relaxed) - 1;
    let done: u64 = C.req.iter().map(|c| c.load(Relaxed)).sum();
    let (lost, dup, bad, stuck, failed) = (
        C.lost.load(Relaxed),
        C.dup.load(Relaxed),
        C.bad.load(Relaxed),
        C.stuck.load(Relaxed),
        C.send_failed.load(Relaxed),
    );
    println!(
        "soak: after {:.0} s: {sent} requests tagged, {done} answered, lost {lost}, duplicates {dup}, corrupt {bad}, sends stuck {stuck}, sends failed otherwise {failed}",
        start.elapsed().as_secs_f64(),
    );

    let mut ok = true;
    if lost + dup + bad + stuck > 0 || done + lost + bad + stuck + failed != sent {
        println!("FAIL: requests not answered exactly once");
        ok = false;
    }
    let (last, before) = (samples[samples.len() - 1], samples[samples.len() - 2]);
    let stalled = TRANSPORTS
        .iter()
        .zip(last.req.iter().zip(before.req))
        .chain(OTHERS.iter().zip(last.others.iter().zip(before.others)));
    for (name, (now, then)) in stalled {
        if *now == then {
            println!("FAIL: nothing delivered by {name} in the last cycle");
            ok = false;
        }
    }
    if samples.len() > 3 {
        let base = samples[2];
        let rss_bound = base.rss + (base.rss * RSS_SLACK_PERCENT / 100).max(RSS_SLACK_BYTES);
        let fd_bound = base.fds + FD_SLACK;
        let socket_bound = base.nng_sockets + NNG_SLACK;
        let pipe_bound = base.nng_pipes + NNG_SLACK;
        println!(
            "soak: line 2 -> last: fds {} -> {} (bound {fd_bound}), nng sockets {} -> {} (bound {socket_bound}), nng pipes {} -> {} (bound {pipe_bound}), rss {:.1} -> {:.1} MiB (bound {:.1})",
            base.fds,
            last.fds,
            base.nng_sockets,
            last.nng_sockets,
            base.nng_pipes,
            last.nng_pipes,
            base.rss as f64 / (1 << 20) as f64,
            last.rss as f64 / (1 << 20) as f64,
            rss_bound as f64 / (1 << 20) as f64
        );
        if last.fds > fd_bound {
            println!("FAIL: descriptors grew");
            ok = false;
        }
        if last.nng_sockets > socket_bound || last.nng_pipes > pipe_bound {
            println!("FAIL: nng's open sockets or pipes grew");
            ok = false;
        }
        if last.rss > rss_bound {
            println!("FAIL: RSS grew");
            ok = false;
        }
    } else {
        println!("soak: fewer than 3 lines after the first: no leak bound checked");
    }
    // Everything closed: nng must say so (pipes close in the background).
    drop(clients);
    drop(endpoints);
    drop(sockets);
    let deadline = Instant::now() + Duration::from_secs(10);
    let left = loop {
        let left = (nng_count("socket"), nng_count("pipe"));
        if left == (0, 0) || Instant::now() > deadline {
            break left;
        }
        sleep(Duration::from_millis(50));
    };
    println!(
        "soak: after closing everything: nng sockets {}, pipes {}, fds {}",
        left.0,
        left.1,
        open_fds()
    );
    if left != (0, 0) {
        println!("FAIL: nng still has sockets or pipes open");
        ok = false;
    }
    Ok(ok)
}
