//! Adversarial review of the future layer after cd67965 (every operation
//! starts on a pooled `Aio` with `nng_aio_skip_callback`; a direct completion
//! is taken by the start, aio.rs rule 5). Safe code only. Each test's doc
//! comment says what it attacks; `HOLDS` tests are passing probes, a test
//! that demonstrates a bug is `#[ignore]`d with the reason.
//!
//! Messages carry a tag (which socket/sender) and a sequence number, so a
//! message delivered twice, lost, or handed to the wrong future or socket
//! shows up as a broken sequence. Every wait is bounded: a hang fails.
//!
//! `nice -n 10 cargo test --features tools --test adversarial_async`
//!
//! The futures' aio pool is process-wide, so a stale nng cancel of one
//! test's operation could reach another test's: before nng-sys's fixes
//! `stale-cancel` and `req0-stale-cancel` (nng-sys/patches/README.md) a
//! HOLDS test here failed so once (`recv_stream_in_tokio_select_loses_nothing`,
//! a `send_async` with no timeout on an unrelated push socket).

mod common;

use common::{inproc, scaled, within};
use futures::task::{noop_waker, ArcWake};
use futures::{FutureExt, SinkExt, Stream, StreamExt};
use nng::options::{RecvBufferSize, SendBufferSize, SurveyTime};
use nng::{Context, Error, Message, Protocol, Socket};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as Cx, Poll, Waker};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(60);

fn msg(tag: u32, seq: u64) -> Message {
    let mut v = tag.to_le_bytes().to_vec();
    v.extend_from_slice(&seq.to_le_bytes());
    Message::from(v)
}

fn parse(m: &Message) -> (u32, u64) {
    let b = m.as_slice();
    assert_eq!(b.len(), 12, "foreign message {b:?}");
    (
        u32::from_le_bytes(b[..4].try_into().unwrap()),
        u64::from_le_bytes(b[4..].try_into().unwrap()),
    )
}

/// A small xorshift generator: deterministic per seed, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn poll_once<F: Future + Unpin>(f: &mut F, w: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Cx::from_waker(w))
}

fn push_pull(tag: &str) -> (Socket, Socket) {
    let url = inproc(tag);
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.listen(&url).unwrap();
    let push = Socket::new(Protocol::Push0).unwrap();
    push.dial(&url).unwrap();
    (push, pull)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap()
}

/// Asserts `got` is exactly `0..n` once each.
fn assert_exactly_once(mut got: Vec<u64>, n: u64, what: &str) {
    got.sort_unstable();
    let dups = got.windows(2).filter(|w| w[0] == w[1]).count();
    got.dedup();
    let missing = n - got.len() as u64;
    assert!(
        dups == 0 && missing == 0 && got.last().copied() == n.checked_sub(1),
        "{what}: {dups} duplicated, {missing} missing of {n}"
    );
}

/// HOLDS: eight tasks on a 2-worker tokio runtime share one pull socket,
/// each looping `recv_async().timeout(200 ms)` while two tasks push 20 000
/// numbered messages with `send_async`. Each message must arrive exactly
/// once (no future dropped; a timed-out receive must not eat a message).
#[test]
fn shared_pull_socket_every_message_once() {
    const N: u64 = 20_000;
    let (push, pull) = push_pull("shared-pull");
    let (push, pull) = (Arc::new(push), Arc::new(pull));
    let got = Arc::new(Mutex::new(Vec::new()));
    within(LIMIT, "shared pull", move || {
        rt().block_on(async {
            let mut rx = Vec::new();
            for _ in 0..8 {
                let (pull, got) = (pull.clone(), got.clone());
                rx.push(tokio::spawn(async move {
                    loop {
                        match pull
                            .recv_async()
                            .timeout(Some(Duration::from_millis(200)))
                            .await
                        {
                            Ok(m) => got.lock().unwrap().push(parse(&m).1),
                            Err(Error::TimedOut) => {}
                            Err(Error::Closed) => return,
                            Err(e) => panic!("recv: {e}"),
                        }
                    }
                }));
            }
            let mut tx = Vec::new();
            for half in 0..2u64 {
                let push = push.clone();
                tx.push(tokio::spawn(async move {
                    for s in (half..N).step_by(2) {
                        push.send_async(msg(0, s)).await.unwrap();
                    }
                }));
            }
            for t in tx {
                t.await.unwrap();
            }
            let deadline = Instant::now() + scaled(Duration::from_secs(20));
            while (got.lock().unwrap().len() as u64) < N && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Let any duplicate show up, then end the receivers.
            tokio::time::sleep(Duration::from_millis(100)).await;
            pull.close().unwrap();
            for t in rx {
                t.await.unwrap();
            }
            let got = std::mem::take(&mut *got.lock().unwrap());
            assert_exactly_once(got, N, "shared pull socket");
        })
    });
}

/// HOLDS: a receive with a 1 µs timeout (1 ms in nng) raced against
/// arriving messages. A timeout that lands on a completed receive must not
/// lose the message: every one of N arrives once, in order.
#[test]
fn recv_timeout_1us_loses_nothing() {
    const N: u64 = 5_000;
    let (push, pull) = push_pull("recv-1us");
    within(LIMIT, "recv 1us", move || {
        let sender = std::thread::spawn(move || {
            for s in 0..N {
                push.send(msg(1, s)).unwrap();
                if s % 64 == 0 {
                    std::thread::sleep(Duration::from_micros(300));
                }
            }
            push
        });
        let mut next = 0;
        let mut timeouts = 0u64;
        futures::executor::block_on(async {
            let deadline = Instant::now() + scaled(Duration::from_secs(30));
            while next < N && Instant::now() < deadline {
                match pull
                    .recv_async()
                    .timeout(Some(Duration::from_micros(1)))
                    .await
                {
                    Ok(m) => {
                        assert_eq!(parse(&m), (1, next), "out of order / duplicate / lost");
                        next += 1;
                    }
                    Err(Error::TimedOut) => timeouts += 1,
                    Err(e) => panic!("recv: {e}"),
                }
            }
        });
        let _push = sender.join().unwrap();
        assert_eq!(next, N, "received {next} of {N} ({timeouts} timeouts)");
        eprintln!("recv 1us: {N} received, {timeouts} timeouts");
    });
}

/// HOLDS: a send with a 1 µs timeout against a slow receiver and a
/// one-slot send buffer. A `TimedOut` send returns its message, which is
/// resent: the receiver must see each message exactly once, in order (a
/// timeout reported for a message that went would show as a duplicate).
#[test]
fn send_timeout_1us_sends_each_once() {
    const N: u64 = 3_000;
    let (push, pull) = push_pull("send-1us");
    push.set_opt::<SendBufferSize>(1).unwrap();
    pull.set_opt::<RecvBufferSize>(1).unwrap();
    within(LIMIT, "send 1us", move || {
        let receiver = std::thread::spawn(move || {
            let mut got = Vec::new();
            pull.set_opt::<nng::options::RecvTimeout>(Some(Duration::from_secs(2)))
                .unwrap();
            while let Ok(m) = pull.recv() {
                got.push(parse(&m).1);
                if got.len() % 97 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            got
        });
        let mut timeouts = 0u64;
        futures::executor::block_on(async {
            for s in 0..N {
                let mut m = msg(2, s);
                loop {
                    match push
                        .send_async(m)
                        .timeout(Some(Duration::from_micros(1)))
                        .await
                    {
                        Ok(()) => break,
                        Err(e) if e.error == Error::TimedOut => {
                            timeouts += 1;
                            m = e.message;
                        }
                        Err(e) => panic!("send: {}", e.error),
                    }
                }
            }
        });
        let got = receiver.join().unwrap();
        eprintln!("send 1us: {} received, {timeouts} timeouts", got.len());
        assert_eq!(got, (0..N).collect::<Vec<_>>(), "{timeouts} timeouts");
    });
}

/// HOLDS: a `RecvStream` in a `tokio::select!` loop against a timer that
/// fires every few microseconds and a yield branch: the `next()` futures
/// that lose are dropped, and nothing may be lost or duplicated.
#[test]
fn recv_stream_in_tokio_select_loses_nothing() {
    const N: u64 = 5_000;
    let (push, pull) = push_pull("stream-select");
    within(LIMIT, "stream tokio select", move || {
        rt().block_on(async move {
            let sender = tokio::spawn(async move {
                for s in 0..N {
                    push.send_async(msg(3, s)).await.unwrap();
                    if s % 50 == 0 {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                }
                push
            });
            let mut stream = pull.recv_stream();
            let mut next = 0;
            let mut lost_races = 0u64;
            let deadline = Instant::now() + scaled(Duration::from_secs(30));
            while next < N && Instant::now() < deadline {
                tokio::select! {
                    m = stream.next() => {
                        let m = m.expect("stream ended").unwrap();
                        assert_eq!(parse(&m), (3, next));
                        next += 1;
                    }
                    _ = tokio::time::sleep(Duration::from_micros(1)) => lost_races += 1,
                    _ = tokio::task::yield_now() => lost_races += 1,
                }
            }
            let _push = sender.await.unwrap();
            assert_eq!(next, N, "{lost_races} lost races");
            eprintln!("tokio select: {N} received, {lost_races} lost races");
        })
    });
}

/// HOLDS: the same with `futures::select!` (fused `next()` of the stream
/// recreated every turn), raced against an always-ready branch half the
/// time, on `futures::executor`.
#[test]
fn recv_stream_in_futures_select_loses_nothing() {
    const N: u64 = 5_000;
    let (push, pull) = push_pull("stream-fselect");
    within(LIMIT, "stream futures select", move || {
        let sender = std::thread::spawn(move || {
            for s in 0..N {
                push.send(msg(4, s)).unwrap();
            }
            push
        });
        let mut next = 0;
        let mut turns = 0u64;
        futures::executor::block_on(async {
            let mut stream = pull.recv_stream();
            let deadline = Instant::now() + scaled(Duration::from_secs(30));
            while next < N && Instant::now() < deadline {
                turns += 1;
                let other = if turns % 2 == 0 {
                    futures::future::Either::Left(futures::future::ready(()))
                } else {
                    futures::future::Either::Right(futures::future::pending::<()>())
                };
                let mut n = stream.next().fuse();
                // Pending other branch: wait for the stream.
                let mut other = other.fuse();
                futures::select! {
                    _ = other => {},
                    m = n => {
                        let m = m.expect("stream ended").unwrap();
                        assert_eq!(parse(&m), (4, next));
                        next += 1;
                    }
                }
            }
        });
        let _push = sender.join().unwrap();
        assert_eq!(next, N);
    });
}

/// HOLDS: the old pool bug's shape. Future A starts a receive on socket X
/// (pending), a message arrives for it, and A is dropped unpolled: its aio
/// (idle, result in the slot) goes back to the pool. Future B on socket Y
/// then takes that aio: it must never see X's message (a stale result).
/// 2 000 rounds; X's dropped messages are the documented loss.
#[test]
fn pooled_aio_never_carries_a_stale_result() {
    let (px, x) = push_pull("stale-x");
    let (py, y) = push_pull("stale-y");
    within(LIMIT, "stale result", move || {
        let w = noop_waker();
        for round in 0..2_000u64 {
            let mut a = x.recv_async();
            // A message of an earlier round that A's drop cancelled before
            // it was handed over stays queued: then A takes it at once.
            if let Poll::Ready(r) = poll_once(&mut a, &w) {
                assert_eq!(parse(&r.unwrap()).0, 10);
                continue;
            }
            px.send(msg(10, round)).unwrap();
            // Wait until the callback stored the result (A is then idle).
            std::thread::sleep(Duration::from_micros(50));
            drop(a);
            let mut b = y.recv_async();
            match poll_once(&mut b, &w) {
                Poll::Ready(r) => panic!("round {round}: B ready with {:?}", r.map(|m| parse(&m))),
                Poll::Pending => {}
            }
            py.send(msg(11, round)).unwrap();
            let m = futures::executor::block_on(b).unwrap();
            assert_eq!(
                parse(&m),
                (11, round),
                "round {round}: B got a foreign message"
            );
            // X must not have a hidden receive still in flight: a message
            // sent now reaches a fresh receive.
            if round % 100 == 0 {
                px.send(msg(10, u64::MAX)).unwrap();
                let m = futures::executor::block_on(
                    x.recv_async().timeout(Some(scaled(Duration::from_secs(5)))),
                )
                .unwrap();
                assert_eq!(parse(&m), (10, u64::MAX));
            }
        }
    });
}

/// HOLDS: pool churn. Four threads each own a pull socket and receive
/// tagged messages, dropping `RecvFuture`s at random points (before any
/// poll, after one or two polls, after a short sleep) or awaiting them.
/// Every message received must carry the socket's own tag and a rising
/// sequence number; the number lost must not exceed the number of futures
/// dropped after being polled. At the end each socket gets a sentinel that
/// a fresh receive must get (no pooled aio still receiving for it).
#[test]
fn pool_churn_random_drops_never_cross_or_duplicate() {
    within(LIMIT * 2, "pool churn", move || {
        let mut handles = Vec::new();
        for tag in 0..4u32 {
            handles.push(std::thread::spawn(move || {
                let (push, pull) = push_pull(&format!("churn-{tag}"));
                let push = Arc::new(push);
                let stop = Arc::new(AtomicBool::new(false));
                let sender = {
                    let (push, stop) = (push.clone(), stop.clone());
                    std::thread::spawn(move || {
                        let mut s = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            match push.try_send(msg(tag, s)) {
                                Ok(()) => s += 1,
                                Err(_) => std::thread::sleep(Duration::from_micros(20)),
                            }
                        }
                        s
                    })
                };
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ u64::from(tag + 1));
                let w = noop_waker();
                let mut last: Option<u64> = None;
                let (mut received, mut dropped_polled) = (0u64, 0u64);
                for _ in 0..3_000 {
                    let mut f = pull.recv_async();
                    let mode = rng.below(5);
                    let polls = match mode {
                        0 => 0,
                        1 => 1,
                        2 => 2,
                        _ => 1,
                    };
                    let mut done = None;
                    for _ in 0..polls {
                        if let Poll::Ready(r) = poll_once(&mut f, &w) {
                            done = Some(r);
                            break;
                        }
                    }
                    if done.is_none() && mode == 3 {
                        std::thread::sleep(Duration::from_micros(rng.below(100)));
                    }
                    if done.is_none() && mode == 4 {
                        done = Some(futures::executor::block_on(
                            f.timeout(Some(scaled(Duration::from_secs(5)))),
                        ));
                    } else if done.is_none() {
                        if polls > 0 {
                            dropped_polled += 1;
                        }
                        drop(f);
                    }
                    if let Some(r) = done {
                        let (t, s) = parse(&r.unwrap());
                        assert_eq!(t, tag, "socket {tag} got socket {t}'s message");
                        if let Some(l) = last {
                            assert!(s > l, "socket {tag}: {s} after {l} (duplicate/reorder)");
                        }
                        last = Some(s);
                        received += 1;
                    }
                }
                stop.store(true, Ordering::Relaxed);
                let sent = sender.join().unwrap();
                // Drain what is queued, then the sentinel.
                let mut tail = 0u64;
                loop {
                    match futures::executor::block_on(
                        pull.recv_async().timeout(Some(Duration::from_millis(300))),
                    ) {
                        Ok(m) => {
                            let (t, s) = parse(&m);
                            assert_eq!(t, tag);
                            if let Some(l) = last {
                                assert!(s > l, "socket {tag}: {s} after {l}");
                            }
                            last = Some(s);
                            tail += 1;
                        }
                        Err(Error::TimedOut) => break,
                        Err(e) => panic!("{e}"),
                    }
                }
                push.send(msg(tag, u64::MAX)).unwrap();
                let m = futures::executor::block_on(
                    pull.recv_async()
                        .timeout(Some(scaled(Duration::from_secs(5)))),
                )
                .expect("sentinel stolen by a hidden receive");
                assert_eq!(parse(&m), (tag, u64::MAX));
                let lost = sent - received - tail;
                assert!(
                    lost <= dropped_polled,
                    "socket {tag}: {lost} lost but only {dropped_polled} polled futures dropped"
                );
                (sent, received + tail, dropped_polled)
            }));
        }
        for h in handles {
            let (sent, got, dropped) = h.join().unwrap();
            eprintln!("churn: sent {sent}, got {got}, dropped polled {dropped}");
        }
    });
}

/// req/rep on contexts under a 2-worker tokio runtime: 4 server contexts
/// echo, 16 client tasks each on their own req context send unique
/// requests; a quarter of the reply receives use a 1 µs timeout (a
/// timed-out request is abandoned by sending the next). Panics if a reply
/// is not the current request's. Returns (replies, timeouts, sends with no
/// timeout that failed with Canceled or TimedOut and were retried).
fn req_rep_contexts_round(tag: &str) -> (u64, u64, u64) {
    let url = inproc(tag);
    let rep = Arc::new(Socket::new(Protocol::Rep0).unwrap());
    rep.listen(&url).unwrap();
    let req = Arc::new(Socket::new(Protocol::Req0).unwrap());
    req.dial(&url).unwrap();
    within(LIMIT, "ctx req/rep", move || {
        rt().block_on(async move {
            let mut servers = Vec::new();
            for _ in 0..4 {
                let rep = rep.clone();
                servers.push(tokio::spawn(async move {
                    let ctx = Context::new(&rep).unwrap();
                    loop {
                        match ctx.recv_async().await {
                            Ok(m) => match ctx.send_async(m).await {
                                Ok(()) => {}
                                Err(e) if e.error == Error::Closed => return,
                                Err(e) => panic!("server send {}", e.error),
                            },
                            Err(Error::Closed) => return,
                            Err(e) => panic!("server recv {e}"),
                        }
                    }
                }));
            }
            let mut clients = Vec::new();
            for c in 0..16u32 {
                let req = req.clone();
                clients.push(tokio::spawn(async move {
                    let ctx = Context::new(&req).unwrap();
                    let (mut ok, mut timeouts, mut canceled) = (0, 0, 0);
                    for s in 0..300u64 {
                        let mut m = msg(c, s);
                        loop {
                            match ctx.send_async(m).await {
                                Ok(()) => break,
                                // A send with no timeout must not fail so
                                // (counted, see the next test but one); the
                                // message comes back, so nothing is lost: retry.
                                Err(e)
                                    if e.error == Error::Canceled || e.error == Error::TimedOut =>
                                {
                                    canceled += 1;
                                    m = e.message;
                                }
                                Err(e) => panic!("client send {}", e.error),
                            }
                        }
                        let t = if s % 4 == 0 {
                            Duration::from_micros(1)
                        } else {
                            scaled(Duration::from_secs(10))
                        };
                        match ctx.recv_async().timeout(Some(t)).await {
                            Ok(m) => {
                                assert_eq!(parse(&m), (c, s), "client {c}: wrong reply");
                                ok += 1;
                            }
                            Err(Error::TimedOut) => timeouts += 1,
                            Err(e) => panic!("client recv {e}"),
                        }
                    }
                    (ok, timeouts, canceled)
                }));
            }
            let mut total = (0, 0, 0);
            for c in clients {
                let (o, t, x) = c.await.unwrap();
                total.0 += o;
                total.1 += t;
                total.2 += x;
            }
            rep.close().unwrap();
            for s in servers {
                s.await.unwrap();
            }
            eprintln!(
                "ctx req/rep: {} replies, {} timeouts, {} sends Canceled/TimedOut",
                total.0, total.1, total.2
            );
            total
        })
    })
}

/// HOLDS: replies on req contexts never reach the wrong request (see
/// `req_rep_contexts_round`); spurious Canceled sends (next test: none
/// since nng-sys's fixes) would be retried here.
#[test]
fn req_rep_contexts_replies_never_cross() {
    let (ok, _, _) = req_rep_contexts_round("ctx-rr");
    assert!(ok >= 16 * 225, "{ok} replies");
}

/// HOLDS since nng-sys's fixes `req0-stale-cancel` and `stale-cancel`
/// (nng-sys/patches/README.md). BROKE before (nng C; the pool widens it): a
/// `send_async` with no timeout on a req context failed with `Canceled` or
/// `TimedOut` (message returned, so nothing was lost). Two shapes of one
/// race with nng's expire thread, which acts on an aio after dropping its
/// lock: (1) the previous request's receive had a 1 ms deadline that expired
/// just as its reply arrived; the expire thread called
/// `req0_ctx_cancel_recv` late, after the client sent its next request, and
/// that function finished `ctx->send_aio` with `NNG_ECANCELED` without
/// checking which aio it was called for (any aio, pooled or not); (2)
/// `nni_aio_expire_loop` picked a batch of expired aios and, for each after
/// the first, read `a_cancel_fn` only after the previous cancel function ran
/// with the lock released: an aio that completed and was restarted meanwhile
/// (here handed by the pool to another client's send) had its new operation
/// cancelled with `NNG_ETIMEDOUT`. Seen: 6, 7 and 4 such sends in 3 rounds
/// of 4 800.
#[test]
fn req_context_send_never_canceled_by_a_stale_receive_timeout() {
    let mut canceled = 0;
    for i in 0..3 {
        canceled += req_rep_contexts_round(&format!("ctx-rr-cancel-{i}")).2;
    }
    assert_eq!(
        canceled, 0,
        "{canceled} sends without a timeout failed with Canceled"
    );
}

/// HOLDS: surveyor and respondent contexts: 6 respondent sockets each with
/// 2 contexts answer; the surveyor runs 60 surveys in 6 concurrent lanes,
/// each survey on a fresh context, collecting replies until the survey time
/// (500 ms) ends. Each reply must belong to its survey (with 6 surveys in
/// flight at once), and each survey gets all 6 (one per respondent).
#[test]
fn surveyor_respondent_contexts() {
    let url = inproc("survey");
    let surveyor = Arc::new(Socket::new(Protocol::Surveyor0).unwrap());
    surveyor.listen(&url).unwrap();
    let mut resps = Vec::new();
    for _ in 0..6 {
        let r = Arc::new(Socket::new(Protocol::Respondent0).unwrap());
        r.dial(&url).unwrap();
        resps.push(r);
    }
    within(LIMIT, "surveys", move || {
        rt().block_on(async move {
            let mut tasks = Vec::new();
            for (i, r) in resps.iter().enumerate() {
                for _ in 0..2 {
                    let r = r.clone();
                    tasks.push(tokio::spawn(async move {
                        let ctx = Context::new(&r).unwrap();
                        loop {
                            let m = match ctx.recv_async().await {
                                Ok(m) => m,
                                Err(Error::Closed) => return,
                                Err(e) => panic!("respondent recv {e}"),
                            };
                            let (_, s) = parse(&m);
                            match ctx.send_async(msg(i as u32, s)).await {
                                Ok(()) => {}
                                Err(e) if e.error == Error::Closed => return,
                                Err(e) => panic!("respondent send {}", e.error),
                            }
                        }
                    }));
                }
            }
            // Let every respondent connect.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let lanes: Vec<_> = (0..6u64)
                .map(|lane| {
                    let surveyor = surveyor.clone();
                    tokio::spawn(async move {
                        for s in (0..10u64).map(|k| lane * 10 + k) {
                            let ctx = Context::new(&surveyor).unwrap();
                            ctx.set_opt::<SurveyTime>(Some(scaled(Duration::from_millis(500))))
                                .unwrap();
                            ctx.send_async(msg(99, s)).await.unwrap();
                            let mut from = Vec::new();
                            loop {
                                match ctx.recv_async().await {
                                    Ok(m) => {
                                        let (r, rs) = parse(&m);
                                        assert_eq!(rs, s, "survey {s}: reply to survey {rs}");
                                        from.push(r);
                                    }
                                    Err(Error::TimedOut) => break,
                                    Err(e) => panic!("surveyor recv {e}"),
                                }
                            }
                            from.sort_unstable();
                            assert_eq!(from, (0..6).collect::<Vec<_>>(), "survey {s}");
                        }
                    })
                })
                .collect();
            for lane in lanes {
                lane.await.unwrap();
            }
            for r in &resps {
                r.close().unwrap();
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
    });
}

/// HOLDS: a raw rep0 socket echoing with futures (header kept in the
/// message) for 8 cooked req clients on tokio: every reply is its request.
#[test]
fn raw_rep_echo_with_futures() {
    let url = inproc("raw-rep");
    let raw = Arc::new(Socket::new_raw(Protocol::Rep0).unwrap());
    raw.listen(&url).unwrap();
    within(LIMIT, "raw rep", move || {
        rt().block_on(async move {
            let server = {
                let raw = raw.clone();
                tokio::spawn(async move {
                    let mut n = 0u64;
                    let mut stream = raw.recv_stream();
                    let mut sink = raw.send_sink();
                    while let Some(m) = stream.next().await {
                        sink.send(m.unwrap()).await.unwrap();
                        n += 1;
                    }
                    n
                })
            };
            let mut clients = Vec::new();
            for c in 0..8u32 {
                let url = url.clone();
                clients.push(tokio::spawn(async move {
                    let req = Socket::new(Protocol::Req0).unwrap();
                    req.dial(&url).unwrap();
                    for s in 0..500u64 {
                        req.send_async(msg(c, s)).await.unwrap();
                        let m = req
                            .recv_async()
                            .timeout(Some(scaled(Duration::from_secs(10))))
                            .await
                            .unwrap();
                        assert_eq!(parse(&m), (c, s));
                    }
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            raw.close().unwrap();
            assert_eq!(server.await.unwrap(), 8 * 500);
        })
    });
}

/// HOLDS: pub/sub with many queued messages: 4 000 published before the
/// subscriber reads (each receive then completes inside its start), read
/// by the socket and by 3 sub contexts (each gets its own copy), in order,
/// none twice.
#[test]
fn pubsub_many_queued_messages_socket_and_contexts() {
    const N: u64 = 4_000;
    let url = inproc("pubsub");
    let publ = Socket::new(Protocol::Pub0).unwrap();
    // pub0 drops the oldest message of a pipe whose queue is full: make
    // room for all of them, so any loss is the future layer's.
    publ.set_opt::<SendBufferSize>(8192).unwrap();
    publ.listen(&url).unwrap();
    let sub = Socket::new(Protocol::Sub0).unwrap();
    sub.set_opt::<RecvBufferSize>(8192).unwrap();
    sub.dial(&url).unwrap();
    common::sync_pubsub(&publ, &sub);
    let ctxs: Vec<Context> = (0..3)
        .map(|_| {
            let c = Context::new(&sub).unwrap();
            c.set_opt::<RecvBufferSize>(8192).unwrap();
            c.subscribe(b"").unwrap();
            c
        })
        .collect();
    sub.subscribe(b"").unwrap();
    within(LIMIT, "pubsub", move || {
        for s in 0..N {
            publ.send(msg(5, s)).unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
        futures::executor::block_on(async {
            let mut next = [0u64; 4];
            for s in 0..N {
                for (i, n) in next.iter_mut().enumerate() {
                    let m = if i == 0 {
                        sub.recv_async().await.unwrap()
                    } else {
                        ctxs[i - 1].recv_async().await.unwrap()
                    };
                    assert_eq!(parse(&m), (5, s), "reader {i}");
                    *n += 1;
                }
            }
            for (i, c) in ctxs.iter().enumerate() {
                assert_eq!(
                    c.recv_async()
                        .timeout(Some(Duration::from_millis(50)))
                        .await
                        .map(|m| parse(&m)),
                    Err(Error::TimedOut),
                    "context {i}: an extra message"
                );
            }
            drop(publ);
        });
    });
}

/// HOLDS: sockets and contexts closed from a plain thread while 64 tokio
/// tasks have receives (pull socket, rep contexts) and sends (push) pending
/// on them: every future resolves
/// (Closed), none hangs.
#[test]
fn close_while_pending_on_other_threads() {
    within(LIMIT, "close while pending", || {
        for round in 0..20 {
            let url = inproc("close-pending");
            let rep = Arc::new(Socket::new(Protocol::Rep0).unwrap());
            rep.listen(&url).unwrap();
            let push = Arc::new(Socket::new(Protocol::Push0).unwrap()); // no peer: sends wait
            let pull = Arc::new(Socket::new(Protocol::Pull0).unwrap()); // no peer: receives wait
            let rt = rt();
            let mut tasks = Vec::new();
            for i in 0..64 {
                let (rep, push, pull) = (rep.clone(), push.clone(), pull.clone());
                tasks.push(rt.spawn(async move {
                    match i % 3 {
                        0 => pull.recv_async().await.map(drop),
                        1 => {
                            let c = Context::new(&rep)?;
                            c.recv_async().await.map(drop)
                        }
                        _ => push.send_async(msg(6, i)).await.map_err(|e| e.error),
                    }
                }));
            }
            std::thread::sleep(Duration::from_millis(if round % 2 == 0 { 0 } else { 5 }));
            let closer = {
                let (rep, push, pull) = (rep.clone(), push.clone(), pull.clone());
                std::thread::spawn(move || {
                    rep.close().unwrap();
                    push.close().unwrap();
                    pull.close().unwrap();
                })
            };
            closer.join().unwrap();
            eprintln!("round {round}: closed");
            for (i, t) in tasks.into_iter().enumerate() {
                let r = rt.block_on(async {
                    tokio::time::timeout(scaled(Duration::from_secs(5)), t).await
                });
                let r = r
                    .unwrap_or_else(|_| panic!("round {round}: task {i} hung after close"))
                    .unwrap();
                assert_eq!(r, Err(Error::Closed), "round {round}: task {i}");
            }
        }
    });
}

/// A waker that panics when woken (up to `left` times).
struct PanickingWaker {
    left: AtomicUsize,
    woken: AtomicUsize,
}
impl ArcWake for PanickingWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.fetch_add(1, Ordering::SeqCst);
        if arc_self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            panic!("waker panics");
        }
    }
}

/// Observed behaviour of a waker that panics on an nng thread: the result
/// stored before the wake is still delivered; the one-shot future's aio is
/// not pooled (it carries the panic). For a `RecvStream`, whose aio is
/// reused, the waker's panic is resumed inside the next `poll_next` (the
/// stored-panic rule of `Aio::start`), and the stream goes on afterwards.
#[test]
fn panicking_waker() {
    let (push, pull) = push_pull("panic-waker");
    within(LIMIT, "panicking waker", move || {
        let pw = Arc::new(PanickingWaker {
            left: AtomicUsize::new(100),
            woken: AtomicUsize::new(0),
        });
        let bad = futures::task::waker(pw.clone());
        let good = noop_waker();
        for s in 0..50u64 {
            let mut f = pull.recv_async();
            assert!(poll_once(&mut f, &bad).is_pending());
            push.send(msg(7, s)).unwrap();
            let deadline = Instant::now() + scaled(Duration::from_secs(5));
            let m = loop {
                if let Poll::Ready(r) = poll_once(&mut f, &good) {
                    break r.unwrap();
                }
                assert!(Instant::now() < deadline, "hang after a waker panic");
                std::thread::sleep(Duration::from_micros(100));
            };
            assert_eq!(parse(&m), (7, s));
        }
        // Ordinary futures still work (no poisoned pooled aio).
        push.send(msg(7, 1000)).unwrap();
        let m = futures::executor::block_on(pull.recv_async()).unwrap();
        assert_eq!(parse(&m), (7, 1000));

        // The stream.
        let mut stream = pull.recv_stream();
        assert!(Pin::new(&mut stream)
            .poll_next(&mut Cx::from_waker(&bad))
            .is_pending());
        push.send(msg(7, 2000)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let first = Pin::new(&mut stream).poll_next(&mut Cx::from_waker(&good));
        match first {
            Poll::Ready(Some(Ok(m))) => assert_eq!(parse(&m), (7, 2000)),
            other => panic!("first poll after the panic: {other:?}"),
        }
        push.send(msg(7, 2001)).unwrap();
        let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Pin::new(&mut stream).poll_next(&mut Cx::from_waker(&good))
        }));
        eprintln!(
            "stream poll after a waker panic: {}",
            if second.is_err() {
                "panicked (resumed waker panic)"
            } else {
                "no panic"
            }
        );
        // Whatever happened, the message 2001 must come (not be lost).
        let m = futures::executor::block_on(async {
            match second {
                Ok(Poll::Ready(Some(r))) => r,
                _ => stream.next().await.unwrap(),
            }
        })
        .unwrap();
        assert_eq!(parse(&m), (7, 2001));
    });
}

/// HOLDS: `SendSink` errors: on a cooked rep0 socket with no request, a
/// send fails at once (`start_send` returns the error, message dropped);
/// after the socket is closed, `start_send` fails with Closed; a sink whose
/// send waits (push, no peer) reports Closed from `poll_flush` when the
/// socket is closed on another thread. (Its next send, started before that
/// close had returned, hung once in ~25 runs: that is the nng close race of
/// `operations_started_during_close_complete`.)
#[test]
fn send_sink_errors() {
    within(LIMIT, "sink errors", || {
        let rep = Socket::new(Protocol::Rep0).unwrap();
        futures::executor::block_on(async {
            let mut sink = rep.send_sink();
            assert_eq!(sink.send(msg(8, 0)).await, Err(Error::IncorrectState));
            // The sink is usable again afterwards.
            assert_eq!(sink.send(msg(8, 1)).await, Err(Error::IncorrectState));
            rep.close().unwrap();
            assert_eq!(sink.send(msg(8, 2)).await, Err(Error::Closed));
        });
        let push = Arc::new(Socket::new(Protocol::Push0).unwrap());
        let closer = {
            let push = push.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                push.close().unwrap();
            })
        };
        futures::executor::block_on(async {
            let mut sink = push.send_sink();
            sink.feed(msg(8, 3)).await.unwrap(); // started, waits in nng
            assert_eq!(
                SinkExt::<Message>::flush(&mut sink).await,
                Err(Error::Closed)
            );
            // Only once the close has returned: a send started while it
            // runs can be orphaned (see
            // `operations_started_during_close_complete`).
            closer.join().unwrap();
            assert_eq!(sink.send(msg(8, 4)).await, Err(Error::Closed));
        });
    });
}

/// HOLDS: a `SendSink` and a `RecvStream` (push → pull) moving 20 000
/// messages on a 2-worker tokio runtime with small buffers, so some sends
/// complete inside their start and others wait: every message once, in
/// order.
#[test]
fn sink_to_stream_in_order() {
    const N: u64 = 20_000;
    let (push, pull) = push_pull("sink-stream");
    push.set_opt::<SendBufferSize>(2).unwrap();
    pull.set_opt::<RecvBufferSize>(2).unwrap();
    within(LIMIT, "sink to stream", move || {
        rt().block_on(async move {
            let tx = tokio::spawn(async move {
                let mut sink = push.send_sink();
                for s in 0..N {
                    sink.send(msg(9, s)).await.unwrap();
                }
                push
            });
            let mut stream = pull.recv_stream();
            for s in 0..N {
                let m = stream.next().await.unwrap().unwrap();
                assert_eq!(parse(&m), (9, s));
            }
            let _push = tx.await.unwrap();
        })
    });
}

/// HOLDS: `SendFuture`s dropped at random points (unpolled, after one
/// poll, after a sleep) while the receiver is slow: a send reported `Ok`
/// arrives exactly once; a dropped one arrives at most once and never
/// after the drop returned... checked as: nothing arrives twice and every
/// `Ok` arrives.
#[test]
fn send_futures_dropped_at_random_points() {
    const N: u64 = 4_000;
    let (push, pull) = push_pull("send-drop");
    push.set_opt::<SendBufferSize>(1).unwrap();
    pull.set_opt::<RecvBufferSize>(1).unwrap();
    within(LIMIT, "send drops", move || {
        let stop = Arc::new(AtomicBool::new(false));
        let receiver = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                pull.set_opt::<nng::options::RecvTimeout>(Some(Duration::from_millis(20)))
                    .unwrap();
                loop {
                    match pull.recv() {
                        Ok(m) => got.push(parse(&m).1),
                        Err(Error::TimedOut) if stop.load(Ordering::SeqCst) => break,
                        Err(Error::TimedOut) => {}
                        Err(e) => panic!("{e}"),
                    }
                    if got.len() % 13 == 0 {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
                got
            })
        };
        let w = noop_waker();
        let mut rng = Rng(42);
        let mut ok = Vec::new();
        for s in 0..N {
            let mut f = push.send_async(msg(12, s));
            match rng.below(4) {
                0 => drop(f),
                1 => {
                    if let Poll::Ready(r) = poll_once(&mut f, &w) {
                        r.unwrap();
                        ok.push(s);
                    }
                }
                2 => {
                    if let Poll::Ready(r) = poll_once(&mut f, &w) {
                        r.unwrap();
                        ok.push(s);
                    } else {
                        std::thread::sleep(Duration::from_micros(rng.below(300)));
                        // A drop after the callback stored Ok: that send went.
                        if let Poll::Ready(r) = poll_once(&mut f, &w) {
                            r.unwrap();
                            ok.push(s);
                        }
                    }
                }
                _ => {
                    futures::executor::block_on(f).unwrap();
                    ok.push(s);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::SeqCst);
        let got = receiver.join().unwrap();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), got.len(), "a message arrived twice");
        assert!(got.windows(2).all(|w| w[0] < w[1]), "reordered");
        for s in &ok {
            assert!(
                sorted.binary_search(s).is_ok(),
                "send {s} reported Ok, never arrived"
            );
        }
        eprintln!("send drops: {} Ok, {} arrived", ok.len(), got.len());
    });
}

/// HOLDS: a future created with a 1 µs timeout leaves no timeout behind
/// on the pooled aio: a later receive without a timeout waits (here 300 ms,
/// then gets its message) instead of failing with TimedOut.
#[test]
fn pooled_aio_forgets_the_timeout() {
    let (push, pull) = push_pull("timeout-leak");
    within(LIMIT, "timeout leak", move || {
        futures::executor::block_on(async {
            for _ in 0..200 {
                assert_eq!(
                    pull.recv_async()
                        .timeout(Some(Duration::from_micros(1)))
                        .await
                        .map(drop),
                    Err(Error::TimedOut)
                );
            }
        });
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            push.send(msg(13, 0)).unwrap();
            push
        });
        let m = futures::executor::block_on(pull.recv_async()).unwrap();
        assert_eq!(parse(&m), (13, 0));
        sender.join().unwrap();
    });
}

/// HOLDS: a future polled from many threads in turn (moved between
/// threads between polls) while its completion arrives: the waker last
/// registered is woken, nothing hangs. Each round: poll on thread A
/// (pending), move to thread B, send from thread C, B awaits with a real
/// executor.
#[test]
fn future_moved_between_threads_between_polls() {
    let (push, pull) = push_pull("moved");
    let push = Arc::new(push);
    within(LIMIT, "moved future", move || {
        for s in 0..500u64 {
            let mut f = pull.recv_async();
            let w = noop_waker();
            assert!(poll_once(&mut f, &w).is_pending());
            let push2 = push.clone();
            let c = std::thread::spawn(move || push2.send(msg(14, s)).unwrap());
            let b = std::thread::spawn(move || futures::executor::block_on(f));
            c.join().unwrap();
            let m = b.join().unwrap().unwrap();
            assert_eq!(parse(&m), (14, s));
        }
    });
}

/// Races the nng expire thread: a receive with a 1 ms deadline (`A`) that a
/// message completes at about its deadline, then at once a receive with NO
/// timeout (`B`) on the same socket, which takes A's `nng_aio` from the pool
/// (the pool is LIFO and A just went back). nng's expire thread takes A's
/// cancel function under its lock, drops the lock and calls it
/// (`nni_aio_expire_loop`); if A completed meanwhile and B started on the
/// same `nng_aio`, that stale cancel (arg: the same socket) finds B's aio on
/// the socket's receive list and fails B with `TimedOut`. Returns how many
/// B's failed so.
fn stale_timeout_rounds(rounds: u32, tag: u32) -> u32 {
    let (push, pull) = push_pull(&format!("stale-timeout-{tag}"));
    let push = Arc::new(push);
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (push, stop) = (push.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut s = 0u64;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_micros(700 + (s % 7) * 100));
                let _ = push.try_send(msg(tag, s));
                s += 1;
            }
        })
    };
    let mut bad = 0;
    futures::executor::block_on(async {
        for _ in 0..rounds {
            let _ = pull
                .recv_async()
                .timeout(Some(Duration::from_millis(1)))
                .await;
            match pull.recv_async().await {
                Ok(_) => {}
                Err(Error::TimedOut) => bad += 1,
                Err(e) => panic!("B: {e}"),
            }
        }
    });
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    bad
}

/// HOLDS since nng-sys's fix `stale-cancel` (nng-sys/patches/README.md;
/// nng now holds back a completion until a cancel call under way for its aio
/// has returned). BROKE before (see `stale_timeout_rounds`): a receive
/// future with no timeout failed with `TimedOut` at once, because an earlier
/// future's deadline, expiring just as that future completed, cancelled the
/// operation that the pool's reuse of the same `nng_aio` started for another
/// future. Seen: 151 of 3 000 rounds on one thread, 1 615 of 9 000 on three;
/// 0 of 3 000 when A is kept alive until B is done (B then gets another
/// `nng_aio`).
#[test]
fn a_future_without_timeout_never_times_out() {
    let bad = within(LIMIT * 3, "stale timeout", || {
        let hs: Vec<_> = (0..3)
            .map(|t| std::thread::spawn(move || stale_timeout_rounds(3_000, t)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum::<u32>()
    });
    assert_eq!(
        bad, 0,
        "{bad} receives without a timeout failed with TimedOut"
    );
}

/// One round of `operations_started_during_close_complete`: a thread closes
/// `s` while this one starts operations on it in a tight loop (each one
/// polled once; on a socket with no peer they all wait in nng). After the
/// close returned, every pending one must complete (`Closed`) within 2 s.
/// Returns the ones that did not (orphans), which are leaked rather than
/// dropped unless `ADV_DROP_ORPHANS` is set (see the test).
fn close_race_round(s: Arc<Socket>, send: bool) -> usize {
    let w = noop_waker();
    let go = Arc::new(std::sync::Barrier::new(2));
    let closer = {
        let (s, go) = (s.clone(), go.clone());
        std::thread::spawn(move || {
            go.wait();
            std::thread::sleep(Duration::from_micros(200));
            s.close().unwrap();
        })
    };
    let mut pending: Vec<Pin<Box<dyn Future<Output = nng::Result<()>> + Send>>> = Vec::new();
    go.wait();
    for i in 0..20_000u64 {
        let mut f: Pin<Box<dyn Future<Output = nng::Result<()>> + Send>> = if send {
            Box::pin(s.send_async(msg(15, i)).map(|r| r.map_err(|e| e.error)))
        } else {
            Box::pin(s.recv_async().map(|r| r.map(drop)))
        };
        match f.as_mut().poll(&mut Cx::from_waker(&w)) {
            Poll::Ready(Err(Error::Closed)) => break,
            Poll::Ready(r) => panic!("{r:?}"),
            Poll::Pending => pending.push(f),
        }
    }
    closer.join().unwrap();
    let deadline = Instant::now() + scaled(Duration::from_secs(2));
    loop {
        pending.retain_mut(|f| match f.as_mut().poll(&mut Cx::from_waker(&w)) {
            Poll::Ready(r) => {
                assert_eq!(r, Err(Error::Closed));
                false
            }
            Poll::Pending => true,
        });
        if pending.is_empty() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let orphans = pending.len();
    if std::env::var_os("ADV_DROP_ORPHANS").is_some() {
        drop(pending);
    } else {
        // Dropping one stops its aio, which calls the protocol's cancel
        // function on the socket state nng has already freed.
        std::mem::forget(pending);
    }
    orphans
}

/// HOLDS since nng-sys fix `sock-close-op-race` (was BROKEN in nng C, reached by safe code): a send (push0) or receive
/// (pull0) started on a socket while another thread closes it can be left
/// in the protocol's queue forever: `sock_shutdown` runs the protocol's
/// `sock_close` (push0_sock_close / pull0_sock_close complete the waiting
/// operations with `NNG_ECLOSED`) before `sock_close` marks the socket
/// closed (`s_closed`) for `nni_sock_find`, and push0_sock_send /
/// pull0_sock_recv do not check for a closed socket. An operation started
/// in between is queued after the drain: its future never wakes (hang),
/// and the socket state whose list still holds its aio is then freed, so
/// dropping the future (its `nng_aio_stop` calls `push0_cancel` with that
/// state) reads freed memory: run with `ADV_DROP_ORPHANS=1` under valgrind
/// to see it. The blocking `Socket::send`/`recv` on another thread share
/// the window (they wait forever unless they have a timeout).
#[test]
fn operations_started_during_close_complete() {
    let mut orphans = (0, 0);
    within(LIMIT * 2, "close race", move || {
        for round in 0..200 {
            let push = Arc::new(Socket::new(Protocol::Push0).unwrap());
            orphans.0 += close_race_round(push, true);
            let pull = Arc::new(Socket::new(Protocol::Pull0).unwrap());
            orphans.1 += close_race_round(pull, false);
            if orphans != (0, 0) {
                eprintln!("round {round}: orphaned (send, recv) = {orphans:?}");
                break;
            }
        }
        assert_eq!(orphans, (0, 0), "operations never completed after close");
    });
}
