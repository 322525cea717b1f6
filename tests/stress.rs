//! Load, storms and threads: a listener closed and reopened under 50
//! reconnecting req dialers, a thousand sockets churned from several threads,
//! ten thousand receive Aios dropped while their sockets close, and many
//! threads on one socket, on contexts, on callback Aios and on futures.
//!
//! Every case has a watchdog, runs on loopback and asserts outcomes, not
//! timings. The tests of this file run one at a time (they measure the
//! process's descriptors and memory, and the machine is small). The
//! time-bounded loops run `NNG_STRESS_SECS` seconds (default 2).

mod common;

use common::*;
use nng::aio::{Aio, AioResult};
use nng::options::{
    ReconnectMaxTime, ReconnectMinTime, RecvTimeout, ReqResendTick, ReqResendTime, SendTimeout,
};
use nng::pipe::PipeEvent;
use nng::{Context, Dialer, Error, Listener, Message, Protocol, Socket};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Held by every test of this file: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a time-bounded case: alone (see [`serial`]), for the stress time
/// (`NNG_STRESS_SECS`, default 2 s) passed to it, under a watchdog of that
/// plus 60 s.
fn timed_case(what: &'static str, case: impl FnOnce(Duration) + Send + 'static) {
    let _one = serial();
    let run = stress_time(Duration::from_secs(2));
    within(run + Duration::from_secs(60), what, move || case(run));
}

/// A rep socket listening on tcp and a req socket dialed to it that resends
/// unanswered requests after 200 ms: (rep, its listener, req).
fn reqrep_over_tcp() -> (Socket, Listener, Socket) {
    let rep = socket(Protocol::Rep0);
    let (listener, url) = tcp_listener(&rep);
    let req = socket(Protocol::Req0);
    req.set_opt::<ReqResendTime>(Some(Duration::from_millis(200)))
        .unwrap();
    req.dial(&url).unwrap();
    (rep, listener, req)
}

/// A count from an environment variable, else `default`.
fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------
// Reconnect storm

/// What one storm client saw.
#[derive(Default, Debug)]
struct ClientLog {
    /// Requests whose send returned Ok ("the caller was told it was sent").
    sent: u64,
    /// Of those, answered by exactly their own reply.
    replied: u64,
    /// Of those, failed with `ConnectionReset` (the typed error req0 gives
    /// when the pipe of a request that cannot be resent goes away).
    reset: u64,
    /// Sends that failed: the message came back intact, so nothing was sent.
    refused: u64,
    /// Violations: a sent request answered by a different reply, or whose
    /// receive ended in anything but its reply or an allowed typed error.
    lost: Vec<String>,
}

/// Closes and reopens a listener `cycles` times under `clients` req sockets
/// that each send numbered requests to an echo service and check every reply.
///
/// "Lost" is defined per request: its send returned `Ok` and then its receive
/// returned neither its own reply nor an allowed typed error within 30 s
/// (the receive timeout: a `TimedOut` is a loss). With `resend` on, no error
/// is allowed: the request must be answered. With resend off, req0 fails the
/// receive with `ConnectionReset` when the pipe carrying the request closes,
/// and that is the only error allowed.
fn reconnect_storm(clients: usize, cycles: usize, resend: bool) -> Vec<ClientLog> {
    let rep = socket(Protocol::Rep0);
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rep.pipe_notify(PipeEvent::RemPost, move |_, _| {
        d.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    let (first, url) = tcp_listener(&rep);
    let _echo: Vec<Echo> = (0..4).map(|_| Echo::serve(&rep)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(clients + 1));

    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (url, stop, start) = (url.clone(), stop.clone(), start.clone());
            std::thread::spawn(move || {
                let req = Socket::new(Protocol::Req0).unwrap();
                req.set_opt::<SendTimeout>(Some(Duration::from_secs(30)))
                    .unwrap();
                req.set_opt::<RecvTimeout>(Some(Duration::from_secs(30)))
                    .unwrap();
                let resend_time = resend.then_some(Duration::from_millis(100));
                req.set_opt::<ReqResendTime>(resend_time).unwrap();
                req.set_opt::<ReqResendTick>(Some(Duration::from_millis(20)))
                    .unwrap();
                let dialer = Dialer::new(&req, &url).unwrap();
                dialer
                    .set_opt::<ReconnectMinTime>(Some(Duration::from_millis(10)))
                    .unwrap();
                dialer
                    .set_opt::<ReconnectMaxTime>(Some(Duration::from_millis(50)))
                    .unwrap();
                dialer.start_background().unwrap();
                start.wait();
                let mut log = ClientLog::default();
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    seq += 1;
                    let body = format!("client {c} request {seq}");
                    match req.send(body.as_bytes()) {
                        Ok(()) => log.sent += 1,
                        Err(e) => {
                            assert_eq!(e.message.as_slice(), body.as_bytes(), "{}", e.error);
                            log.refused += 1;
                            continue;
                        }
                    }
                    match req.recv() {
                        Ok(m) if m.as_slice() == body.as_bytes() => log.replied += 1,
                        Ok(m) => log.lost.push(format!(
                            "{body}: answered by {:?}",
                            String::from_utf8_lossy(&m)
                        )),
                        Err(Error::ConnectionReset) if !resend => log.reset += 1,
                        Err(e) => log.lost.push(format!("{body}: {e:?}")),
                    }
                }
                log
            })
        })
        .collect();

    start.wait();
    let mut listener = Some(first);
    for _ in 0..cycles {
        std::thread::sleep(Duration::from_millis(40));
        listener.take().unwrap().close().unwrap();
        std::thread::sleep(Duration::from_millis(10));
        // Usually immediate; an outgoing connection of a dialer can briefly
        // hold the port (a dialer connecting to a free port in the ephemeral
        // range may be given that very port as its own).
        let deadline = Instant::now() + TIMEOUT;
        listener = loop {
            let l = Listener::new(&rep, &url).unwrap();
            match l.start() {
                Ok(()) => break Some(l),
                Err(Error::AddressInUse) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("reopening the listener: {e}"),
            }
        };
    }
    // Let everyone finish the request in hand against the open listener.
    stop.store(true, Ordering::Relaxed);
    let logs: Vec<ClientLog> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let dropped = drops.load(Ordering::Relaxed);
    let sum = |f: fn(&ClientLog) -> u64| logs.iter().map(f).sum::<u64>();
    eprintln!(
        "storm (resend {resend}): {cycles} cycles, {dropped} pipes dropped, {} sent, {} replied, \
         {} reset, {} refused",
        sum(|l| l.sent),
        sum(|l| l.replied),
        sum(|l| l.reset),
        sum(|l| l.refused),
    );
    for log in &logs {
        assert!(log.lost.is_empty(), "lost requests: {:?}", log.lost);
        assert_eq!(log.sent, log.replied + log.reset, "{log:?}");
        assert!(log.replied > 0, "a client was never served: {log:?}");
    }
    assert!(
        dropped >= cycles,
        "the storm dropped only {dropped} pipes in {cycles} cycles"
    );
    logs
}

#[test]
fn reconnect_storm_with_resend_loses_no_request() {
    let _one = serial();
    let cycles = env_count("NNG_STORM_CYCLES", 100);
    let logs = within(Duration::from_secs(180), "reconnect storm", move || {
        reconnect_storm(50, cycles, true)
    });
    assert!(logs.iter().all(|l| l.reset == 0 && l.sent == l.replied));
}

#[test]
fn reconnect_storm_without_resend_gives_reset_not_silence() {
    let _one = serial();
    let cycles = env_count("NNG_STORM_CYCLES", 100) / 2;
    let logs = within(
        Duration::from_secs(180),
        "reconnect storm, no resend",
        move || reconnect_storm(50, cycles, false),
    );
    // The storm did cut requests off in flight, and they said so.
    assert!(logs.iter().map(|l| l.reset).sum::<u64>() > 0);
}

// ---------------------------------------------------------------------------
// Socket churn

/// VmRSS after handing free heap pages back to the kernel (`malloc_trim`),
/// so that it follows the memory in use rather than the allocator's caches.
fn trimmed_vm_rss_kib() -> u64 {
    // SAFETY: malloc_trim only releases free memory of glibc's arenas.
    unsafe { libc::malloc_trim(0) };
    vm_rss_kib()
}

/// Bytes allocated with malloc and not yet freed, in KiB (glibc `mallinfo2`:
/// in-use chunks of all arenas plus mmapped blocks).
fn heap_in_use_kib() -> u64 {
    // SAFETY: mallinfo2 only reads allocator statistics.
    let info = unsafe { libc::mallinfo2() };
    ((info.uordblks + info.hblkhd) / 1024) as u64
}

/// Waits until the descriptor count is at most `limit` (nng closes a
/// connection's descriptor on its reaper thread, shortly after the close
/// returned); returns the last count seen.
fn fds_settle(limit: usize) -> usize {
    let mut n = open_fds();
    eventually(Duration::from_secs(10), || {
        n = open_fds();
        n <= limit
    });
    n
}

/// The descriptor count once it has stopped changing for 100 ms (at most
/// 10 s): the level a warm-up round leaves.
fn fds_stable() -> usize {
    let (mut last, mut since) = (open_fds(), Instant::now());
    eventually(Duration::from_secs(10), || {
        let n = open_fds();
        if n != last {
            (last, since) = (n, Instant::now());
        }
        since.elapsed() >= Duration::from_millis(100)
    });
    last
}

/// Four threads open 250 push sockets each (1,000 in all, half dialing tcp,
/// half ipc, each sending one message that must arrive), then close them;
/// 2 warm-up rounds and 3 measured ones (`NNG_CHURN_ROUNDS`). After every
/// measured round the descriptors are back to the warm-up level, and the
/// heap in use and VmRSS stay within a bound of it.
#[test]
fn a_thousand_sockets_churned_from_threads_do_not_leak() {
    let _one = serial();
    let threads = 4;
    let per_thread = 250;
    let warmup = 2;
    let rounds = warmup + env_count("NNG_CHURN_ROUNDS", 3);
    within(Duration::from_secs(300), "socket churn", move || {
        let pull = socket(Protocol::Pull0);
        let (_tcp, tcp_url) = tcp_listener(&pull);
        let ipc_url = format!(
            "ipc://{}/{}.sock",
            std::env::temp_dir().display(),
            unique("churn")
        );
        pull.listen(&ipc_url).unwrap();
        let start_fds = open_fds();
        // The same four threads open and close the sockets in every round:
        // new threads would bring new stacks and allocator arenas, whose
        // resident pages make VmRSS jump by megabytes from round to round.
        let step = Arc::new(Barrier::new(threads + 1));
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let urls = [tcp_url.clone(), ipc_url.clone()];
                let step = step.clone();
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        step.wait(); // the last round is measured: go
                        let sockets: Vec<Socket> = (0..per_thread)
                            .map(|i| {
                                let s = socket(Protocol::Push0);
                                s.dial(&urls[i % 2]).unwrap();
                                s.send(format!("{t}:{i}")).unwrap();
                                s
                            })
                            .collect();
                        step.wait(); // all open
                        step.wait(); // measured
                        drop(sockets); // all 250 closed on this thread
                        step.wait(); // all closed
                    }
                    step.wait(); // the last round is measured: done
                })
            })
            .collect();
        let mut after_warmup = None;
        for round in 0..rounds {
            let t0 = Instant::now();
            step.wait();
            let mut seen = HashSet::new();
            for _ in 0..threads * per_thread {
                let m = pull.recv().expect("a churned socket's message");
                assert!(seen.insert(m.to_vec()), "duplicate {m:?}");
            }
            step.wait();
            let peak_fds = open_fds();
            step.wait();
            step.wait();
            assert!(
                peak_fds >= start_fds + threads * per_thread,
                "{peak_fds} descriptors"
            );
            let fds = fds_settle(after_warmup.map_or(start_fds, |(f, _, _)| f));
            let (rss, heap) = (trimmed_vm_rss_kib(), heap_in_use_kib());
            eprintln!(
                "churn round {round}: {:?}, {peak_fds} fds with all open, then {fds} fds, \
                 VmRSS {rss} KiB, heap in use {heap} KiB",
                t0.elapsed()
            );
            match after_warmup {
                None if round + 1 == warmup => after_warmup = Some((fds, rss, heap)),
                None => {}
                Some((fds0, rss0, heap0)) => {
                    assert!(
                        fds <= fds0,
                        "round {round}: {fds} descriptors open, {fds0} after warm-up"
                    );
                    // Measured (release, 80 rounds): the heap in use creeps
                    // up by 6-9 KiB a round and levels off about 105 KiB
                    // above round 1 after ~50 rounds, while one leaked 64-byte
                    // allocation per socket would add 188 KiB over the three
                    // default rounds.
                    assert!(
                        heap <= heap0 + 160,
                        "round {round}: {heap} KiB of heap in use, {heap0} KiB after warm-up"
                    );
                    assert!(
                        rss <= rss0 + 4096,
                        "round {round}: VmRSS {rss} KiB, {rss0} KiB after warm-up"
                    );
                }
            }
        }
        step.wait();
        for w in workers {
            w.join().unwrap();
        }
    });
}

// ---------------------------------------------------------------------------
// Ten thousand receive Aios

/// How the callbacks of the aios ended.
#[derive(Default)]
struct Tally {
    runs: AtomicUsize,
    messages: AtomicUsize,
    closed: AtomicUsize,
    stopped: AtomicUsize,
    canceled: AtomicUsize,
    other: Mutex<Vec<String>>,
}

/// A receive aio that records its one result in `tally`; a second run of
/// its callback is recorded as an error.
fn tallying_aio(tally: &Arc<Tally>) -> Aio {
    let tally = tally.clone();
    let mut ran = false;
    Aio::new(move |_, result| {
        if std::mem::replace(&mut ran, true) {
            tally
                .other
                .lock()
                .unwrap()
                .push("callback ran twice".into());
        }
        tally.runs.fetch_add(1, Ordering::Relaxed);
        let slot = match result {
            AioResult::Recv(Ok(_message)) => &tally.messages, // freed here
            AioResult::Recv(Err(Error::Closed)) => &tally.closed,
            AioResult::Recv(Err(Error::Stopped)) => &tally.stopped,
            AioResult::Recv(Err(Error::Canceled)) => &tally.canceled,
            other => {
                tally.other.lock().unwrap().push(format!("{other:?}"));
                return;
            }
        };
        slot.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap()
}

/// 5,000 receives on contexts (20 rep0 sockets x 250 contexts) and 5,000 on
/// sockets (50 pull0 sockets x 100 aios, fed by a push socket); then, at one
/// signal, four threads drop the aios while messages keep arriving, and
/// another thread stops the sender and closes the contexts and sockets.
/// Repeated for a few rounds: every closure is freed, every callback ran at
/// most once with a message or a typed error, and after the first round the
/// descriptors return to where they were.
///
/// The sender stops before the pull sockets close: nng 2.0's push0 can put
/// a pipe that is closing back on its ready list when a send completes at
/// that moment, and a later send then uses the freed pipe (an abort in
/// `push0_sock_send`; reproduced with the blocking API alone, not a bug of
/// this crate).
#[test]
fn ten_thousand_receive_aios_dropped_while_their_sockets_close() {
    let _one = serial();
    within(Duration::from_secs(240), "10,000 aios", || {
        let mut baseline = None;
        for round in 0..3 {
            let t0 = Instant::now();
            let tally = Arc::new(Tally::default());
            let reps: Vec<Socket> = (0..20)
                .map(|_| Socket::new(Protocol::Rep0).unwrap())
                .collect();
            let contexts: Vec<Context> = reps
                .iter()
                .flat_map(|s| (0..250).map(move |_| Context::new(s).unwrap()))
                .collect();
            let push = Socket::new(Protocol::Push0).unwrap();
            let pulls: Vec<Socket> = (0..50)
                .map(|_| {
                    let s = Socket::new(Protocol::Pull0).unwrap();
                    let url = inproc("aios");
                    s.listen(&url).unwrap();
                    push.dial(&url).unwrap();
                    s
                })
                .collect();
            let mut aios = Vec::with_capacity(10_000);
            for ctx in &contexts {
                let aio = tallying_aio(&tally);
                aio.recv(ctx).unwrap();
                aios.push(aio);
            }
            for s in &pulls {
                for _ in 0..100 {
                    let aio = tallying_aio(&tally);
                    aio.recv(s).unwrap();
                    aios.push(aio);
                }
            }
            assert_eq!(aios.len(), 10_000);

            let feeding = Arc::new(AtomicBool::new(true));
            let feeder = {
                let feeding = feeding.clone();
                std::thread::spawn(move || {
                    push.set_opt::<SendTimeout>(Some(Duration::from_millis(10)))
                        .unwrap();
                    let mut sent = 0u64;
                    while feeding.load(Ordering::Relaxed) {
                        if push.send(b"payload").is_ok() {
                            sent += 1;
                        }
                    }
                    sent
                })
            };
            // Some messages are in flight before the drop begins.
            assert!(eventually(TIMEOUT, || tally
                .messages
                .load(Ordering::Relaxed)
                > 100));

            let go = Arc::new(Barrier::new(5));
            let mut chunks: Vec<Vec<Aio>> = (0..4).map(|_| Vec::new()).collect();
            for (i, aio) in aios.into_iter().enumerate() {
                chunks[i % 4].push(aio);
            }
            let droppers: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    let go = go.clone();
                    std::thread::spawn(move || {
                        go.wait();
                        drop(chunk);
                    })
                })
                .collect();
            let closer = {
                let go = go.clone();
                std::thread::spawn(move || {
                    go.wait();
                    feeding.store(false, Ordering::Relaxed);
                    let fed = feeder.join().unwrap();
                    drop(contexts);
                    drop(reps);
                    drop(pulls);
                    fed
                })
            };
            for t in droppers {
                t.join().unwrap();
            }
            let fed = closer.join().unwrap();

            let other = tally.other.lock().unwrap().clone();
            assert!(other.is_empty(), "unexpected completions: {other:?}");
            let runs = tally.runs.load(Ordering::Relaxed);
            let [msgs, closed, stopped, canceled] = [
                &tally.messages,
                &tally.closed,
                &tally.stopped,
                &tally.canceled,
            ]
            .map(|c| c.load(Ordering::Relaxed));
            assert_eq!(runs, msgs + closed + stopped + canceled);
            assert!(runs <= 10_000);
            assert_eq!(Arc::strong_count(&tally), 1, "every aio closure was freed");
            eprintln!(
                "round {round}: {:?}; {fed} sent, callbacks: {msgs} messages, {closed} closed, \
                 {stopped} stopped, {canceled} canceled, {} without callback",
                t0.elapsed(),
                10_000 - runs
            );
            match baseline {
                None => baseline = Some(fds_stable()),
                Some(b) => {
                    let fds = fds_settle(b);
                    assert!(
                        fds <= b,
                        "round {round}: {fds} descriptors open, {b} after round 0"
                    );
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------
// Threads

/// Four threads send on one push socket and four receive on one pull socket
/// (over tcp): every message arrives exactly once.
#[test]
fn many_threads_send_and_receive_on_one_socket() {
    timed_case("one socket, many threads", move |run| {
        let pull = socket(Protocol::Pull0);
        let (_l, url) = tcp_listener(&pull);
        let push = socket(Protocol::Push0);
        push.dial(&url).unwrap();
        // Receivers wait until the socket closes (the watchdog bounds it).
        pull.set_opt::<RecvTimeout>(None).unwrap();
        let (push, pull) = (Arc::new(push), Arc::new(pull));
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..4)
            .map(|t| {
                let (push, stop) = (push.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut sent = HashSet::new();
                    for i in 0u64.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let body = format!("{t}:{i}").into_bytes();
                        push.send(&body).unwrap();
                        sent.insert(body);
                    }
                    sent
                })
            })
            .collect();
        let received = Arc::new(AtomicUsize::new(0));
        let receivers: Vec<_> = (0..4)
            .map(|_| {
                let (pull, received) = (pull.clone(), received.clone());
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    // The main thread closes the socket once all arrived.
                    while let Ok(m) = pull.recv() {
                        got.push(m.to_vec());
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                    got
                })
            })
            .collect();
        std::thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        let mut sent = HashSet::new();
        for s in senders {
            sent.extend(s.join().unwrap());
        }
        assert!(
            eventually(TIMEOUT, || received.load(Ordering::Relaxed) >= sent.len()),
            "only {} of {} messages arrived",
            received.load(Ordering::Relaxed),
            sent.len()
        );
        pull.close().unwrap(); // ends the receivers' recv with Closed
        let mut got = HashSet::new();
        for r in receivers {
            for m in r.join().unwrap() {
                assert!(got.insert(m.clone()), "received twice: {m:?}");
            }
        }
        assert_eq!(got, sent);
        eprintln!(
            "{} messages through one socket from 4 threads to 4",
            sent.len()
        );
    });
}

/// Eight threads each drive their own context of one req socket against
/// eight server threads on contexts of one rep socket: every reply is the
/// reply to that thread's request.
#[test]
fn many_threads_on_contexts_of_one_socket() {
    timed_case("contexts", move |run| {
        let (rep, _l, req) = reqrep_over_tcp();
        let _servers: Vec<Echo> = (0..8).map(|_| Echo::serve(&rep)).collect();
        let deadline = Instant::now() + run;
        let clients: Vec<_> = (0..8)
            .map(|t| {
                let ctx = Context::new(&req).unwrap();
                std::thread::spawn(move || {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let body = format!("thread {t} request {n}");
                        ctx.send(body.as_bytes()).unwrap();
                        let reply = ctx.recv().unwrap();
                        assert_eq!(reply.as_slice(), body.as_bytes());
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let counts: Vec<u64> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        eprintln!("round trips per context: {counts:?}");
        assert!(counts.iter().all(|&n| n > 0));
    });
}

/// What the callback stress saw.
#[derive(Default)]
struct Progress {
    replies: AtomicU64,
    mismatches: AtomicU64,
    errors: Mutex<Vec<String>>,
}

/// A req client on its own context, driven entirely by its aio callback:
/// send a numbered request, receive, check, repeat. A cancelled or timed-out
/// operation starts a new request (req0 discards the old one's reply).
fn callback_client(req: &Socket, id: usize, progress: &Arc<Progress>) -> Aio {
    let ctx = Arc::new(Context::new(req).unwrap());
    let (c, progress) = (ctx.clone(), progress.clone());
    let body = move |seq: u64| Message::from(format!("client {id} request {seq}").as_bytes());
    let mut seq = 0u64;
    let aio = Aio::new(move |aio, result| {
        let next = match result {
            AioResult::Send(Ok(())) => {
                let _ = aio.recv(&*c);
                return;
            }
            AioResult::Recv(Ok(m)) => {
                let counter = if m.as_slice() == body(seq).as_slice() {
                    &progress.replies
                } else {
                    &progress.mismatches
                };
                counter.fetch_add(1, Ordering::Relaxed);
                true
            }
            AioResult::Send(Err(e)) if e.error == Error::Stopped || e.error == Error::Closed => {
                false
            }
            AioResult::Recv(Err(Error::Stopped | Error::Closed)) => false,
            AioResult::Send(Err(e)) if e.error == Error::Canceled || e.error == Error::TimedOut => {
                true
            }
            AioResult::Recv(Err(Error::Canceled | Error::TimedOut)) => true,
            other => {
                progress.errors.lock().unwrap().push(format!("{other:?}"));
                false
            }
        };
        if next {
            seq += 1;
            let _ = aio.send(&*c, body(seq));
        }
    })
    .unwrap();
    aio.set_timeout(Some(Duration::from_secs(2)));
    aio.send(
        &*ctx,
        Message::from(format!("client {id} request 0").as_bytes()),
    )
    .unwrap();
    aio
}

/// A rep server on its own context, driven by its aio callback: receive,
/// send the request back, receive again.
fn callback_server(rep: &Socket, progress: &Arc<Progress>) -> Aio {
    let ctx = Arc::new(Context::new(rep).unwrap());
    let (c, progress) = (ctx.clone(), progress.clone());
    let aio = Aio::new(move |aio, result| match result {
        AioResult::Recv(Ok(m)) => {
            let _ = aio.send(&*c, m);
        }
        // A cancelled reply is dropped; the client's resend asks again.
        AioResult::Send(Ok(())) | AioResult::Recv(Err(Error::Canceled)) => {
            let _ = aio.recv(&*c);
        }
        AioResult::Send(Err(e)) if e.error == Error::Canceled => {
            let _ = aio.recv(&*c);
        }
        AioResult::Send(Err(e)) if e.error == Error::Stopped || e.error == Error::Closed => {}
        AioResult::Recv(Err(Error::Stopped | Error::Closed)) => {}
        other => progress.errors.lock().unwrap().push(format!("{other:?}")),
    })
    .unwrap();
    aio.recv(&*ctx).unwrap();
    aio
}

/// A small deterministic pseudo-random sequence (xorshift).
fn pseudo_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Sixteen req clients and eight rep servers, each a context driven only by
/// its aio callback, run for the stress time while a chaos thread cancels
/// random aios and replaces random clients (dropping their aio mid-flight).
/// Every reply matches its request, every closure is freed at the end, and
/// no callback sees an unexpected error.
#[test]
fn callback_aios_under_cancels_and_drops() {
    timed_case("callback stress", move |run| {
        let progress = Arc::new(Progress::default());
        let (rep, _l, req) = reqrep_over_tcp();
        let servers: Vec<Aio> = (0..8).map(|_| callback_server(&rep, &progress)).collect();
        let clients: Vec<Mutex<Aio>> = (0..16)
            .map(|i| Mutex::new(callback_client(&req, i, &progress)))
            .collect();
        let (mut rng, mut replaced, mut cancels) = (0x9e37_79b9_7f4a_7c15u64, 0, 0);
        let deadline = Instant::now() + run;
        let mut next_id = clients.len();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
            let r = pseudo_random(&mut rng);
            let i = (r >> 8) as usize;
            match r % 4 {
                0 => {
                    let fresh = callback_client(&req, next_id, &progress);
                    next_id += 1;
                    drop(std::mem::replace(
                        &mut *clients[i % clients.len()].lock().unwrap(),
                        fresh,
                    ));
                    replaced += 1;
                }
                1 => servers[i % servers.len()].cancel(),
                _ => clients[i % clients.len()].lock().unwrap().cancel(),
            }
            cancels += 1;
        }
        let replies_before_drop = progress.replies.load(Ordering::Relaxed);
        drop(clients); // all with operations in flight
        drop(servers);
        let errors = progress.errors.lock().unwrap().clone();
        assert!(errors.is_empty(), "unexpected results: {errors:?}");
        assert_eq!(progress.mismatches.load(Ordering::Relaxed), 0);
        assert!(replies_before_drop > 0);
        assert_eq!(Arc::strong_count(&progress), 1, "every closure was freed");
        eprintln!(
            "callback stress: {replies_before_drop} replies, {replaced} clients replaced, \
             {} other chaos events",
            cancels - replaced
        );
    });
}

/// Sixteen client tasks and eight server tasks under a two-thread tokio
/// runtime, each on its own context, for the stress time; every fifth
/// receive is raced against a timer of up to 2 ms and abandoned when the
/// timer wins (the dropped future cancels its operation). Every reply that
/// arrives matches the task's current request.
#[test]
fn futures_under_tokio_with_abandoned_receives() {
    timed_case("async stress", move |run| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        let (rep, _l, req) = reqrep_over_tcp();
        let deadline = Instant::now() + run;
        let (replies, abandoned) = rt.block_on(async {
            let servers: Vec<_> = (0..8)
                .map(|_| {
                    let ctx = Context::new(&rep).unwrap();
                    tokio::spawn(async move {
                        loop {
                            match ctx.recv_async().await {
                                Ok(m) => {
                                    let _ = ctx.send_async(m).await;
                                }
                                Err(Error::Closed) => return,
                                Err(e) => panic!("server: {e}"),
                            }
                        }
                    })
                })
                .collect();
            let clients: Vec<_> = (0..16u64)
                .map(|t| {
                    let ctx = Context::new(&req).unwrap();
                    tokio::spawn(async move {
                        let (mut replies, mut abandoned) = (0u64, 0u64);
                        let mut rng = 0x2545_f491_4f6c_dd1d ^ (t + 1);
                        let mut n = 0u64;
                        while Instant::now() < deadline {
                            n += 1;
                            let body = format!("task {t} request {n}");
                            ctx.send_async(body.as_bytes()).await.unwrap();
                            let reply = if n % 5 == 0 {
                                let wait = Duration::from_micros(pseudo_random(&mut rng) % 2000);
                                match tokio::time::timeout(wait, ctx.recv_async()).await {
                                    Ok(r) => r,
                                    Err(_) => {
                                        abandoned += 1;
                                        continue;
                                    }
                                }
                            } else {
                                ctx.recv_async().await
                            };
                            assert_eq!(reply.unwrap().as_slice(), body.as_bytes());
                            replies += 1;
                        }
                        (replies, abandoned)
                    })
                })
                .collect();
            let (mut replies, mut abandoned) = (0, 0);
            for c in clients {
                let (r, a) = c.await.unwrap();
                assert!(r > 0);
                replies += r;
                abandoned += a;
            }
            rep.close().unwrap(); // the servers' receives end with Closed
            for s in servers {
                s.await.unwrap();
            }
            (replies, abandoned)
        });
        eprintln!("async stress: {replies} replies, {abandoned} receives abandoned");
    });
}
