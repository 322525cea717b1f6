//! Callback Aio: operations, results, and every drop/cancel/panic rule.

use nng::aio::{Aio, AioResult};
use nng::{Context, Dialer, Error, Message, Protocol, Socket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

fn url(name: &str) -> String {
    format!("inproc://aio-test-{name}")
}

fn pair(name: &str) -> (Socket, Socket) {
    let a = Socket::new(Protocol::Pair1).unwrap();
    a.listen(&url(name)).unwrap();
    let b = Socket::new(Protocol::Pair1).unwrap();
    b.dial(&url(name)).unwrap();
    (a, b)
}

/// An aio that forwards every result to a channel.
fn channel_aio() -> (Aio, Receiver<AioResult>) {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    let aio = Aio::new(move |_, r| {
        let _ = tx.lock().unwrap().send(r);
    })
    .unwrap();
    (aio, rx)
}

/// Signals on a channel when dropped: proves a closure was freed.
struct DropFlag(Sender<()>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn recv_delivers_message() {
    let (a, b) = pair("recv");
    let (aio, rx) = channel_aio();
    aio.recv(&a).unwrap();
    b.send(b"hello").unwrap();
    match rx.recv_timeout(T).unwrap() {
        AioResult::Recv(Ok(m)) => assert_eq!(m.as_slice(), b"hello"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn send_delivers_and_failed_send_returns_message() {
    let (a, b) = pair("send");
    let (aio, rx) = channel_aio();
    aio.send(&a, Message::from(&b"one"[..])).unwrap();
    assert!(matches!(
        rx.recv_timeout(T).unwrap(),
        AioResult::Send(Ok(()))
    ));
    b.set_opt::<nng::options::RecvTimeout>(Some(T)).unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"one");

    // A req socket with no peer cannot send: the timeout fails the send and
    // the message comes back intact.
    let req = Socket::new(Protocol::Req0).unwrap();
    aio.set_timeout(Some(Duration::from_millis(50)));
    aio.send(&req, Message::from(&b"keep me"[..])).unwrap();
    match rx.recv_timeout(T).unwrap() {
        AioResult::Send(Err(e)) => {
            assert_eq!(e.error, Error::TimedOut);
            assert_eq!(e.message.as_slice(), b"keep me");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn recv_timeout_and_cancel() {
    let (a, _b) = pair("timeout");
    let (aio, rx) = channel_aio();
    aio.set_timeout(Some(Duration::from_millis(20)));
    aio.recv(&a).unwrap();
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::TimedOut));

    aio.set_timeout(None);
    aio.recv(&a).unwrap();
    aio.cancel();
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::Canceled));
}

#[test]
fn one_operation_at_a_time() {
    let (a, _b) = pair("busy");
    let (aio, rx) = channel_aio();
    aio.recv(&a).unwrap();
    assert!(aio.is_busy());
    assert_eq!(aio.recv(&a), Err(Error::Busy));
    let e = aio.send(&a, Message::from(&b"x"[..])).unwrap_err();
    assert_eq!((e.error, e.message.as_slice()), (Error::Busy, &b"x"[..]));
    aio.cancel();
    aio.wait().unwrap();
    assert!(!aio.is_busy());
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::Canceled));
}

#[test]
fn sleep_and_wait() {
    let (aio, rx) = channel_aio();
    let start = Instant::now();
    aio.sleep(Duration::from_millis(30)).unwrap();
    aio.wait().unwrap();
    assert!(start.elapsed() >= Duration::from_millis(25));
    assert!(matches!(rx.try_recv().unwrap(), AioResult::Sleep(Ok(()))));
    // wait with nothing in flight returns at once
    aio.wait().unwrap();
}

#[test]
fn dial_reports_first_attempt() {
    let l = Socket::new(Protocol::Pair1).unwrap();
    l.listen("tcp://127.0.0.1:0").unwrap_or(());
    let listener = nng::Listener::new(&l, "tcp://127.0.0.1:0").unwrap();
    listener.start().unwrap();
    let port = listener.port().unwrap();

    let s = Socket::new(Protocol::Pair1).unwrap();
    let (aio, rx) = channel_aio();
    let ok = Dialer::new(&s, &format!("tcp://127.0.0.1:{port}")).unwrap();
    aio.dial(&ok).unwrap();
    assert!(matches!(
        rx.recv_timeout(T).unwrap(),
        AioResult::Dial(Ok(()))
    ));

    // Nothing listens on the closed listener's port any more.
    drop(listener);
    let s2 = Socket::new(Protocol::Pair1).unwrap();
    let refused = Dialer::new(&s2, &format!("tcp://127.0.0.1:{port}")).unwrap();
    aio.dial(&refused).unwrap();
    assert_eq!(
        rx.recv_timeout(T).unwrap().error(),
        Some(Error::ConnectionRefused)
    );
}

#[test]
fn drop_inside_own_callback() {
    let (a, b) = pair("drop-own");
    let slot: Arc<Mutex<Option<Aio>>> = Arc::default();
    let (freed_tx, freed_rx) = channel();
    let (res_tx, res_rx) = channel();
    let flag = DropFlag(freed_tx);
    let s2 = slot.clone();
    let aio = Aio::new(move |aio, r| {
        let _keep = &flag;
        let me = s2.lock().unwrap().take();
        drop(me); // drops this very aio while its callback runs
                  // The aio is stopping: new operations are refused, nothing hangs.
        let again = aio.sleep(Duration::from_millis(1));
        res_tx.send((r.error(), again)).unwrap();
    })
    .unwrap();
    aio.recv(&a).unwrap();
    *slot.lock().unwrap() = Some(aio);
    b.send(b"x").unwrap();
    let (err, again) = res_rx.recv_timeout(T).unwrap();
    assert_eq!(err, None);
    assert_eq!(again, Err(Error::Stopped));
    // The closure (and its DropFlag) is freed after the callback returned.
    freed_rx.recv_timeout(T).unwrap();
}

#[test]
fn drop_inside_own_callback_with_new_operation_in_flight() {
    let (a, b) = pair("drop-own-inflight");
    let slot: Arc<Mutex<Option<Aio>>> = Arc::default();
    let (freed_tx, freed_rx) = channel();
    let flag = DropFlag(freed_tx);
    let s2 = slot.clone();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let sock = Arc::new(a);
    let s3 = sock.clone();
    let aio = Aio::new(move |aio, _r| {
        let _keep = &flag;
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            aio.recv(&*s3).unwrap(); // start another receive, then drop
            drop(s2.lock().unwrap().take());
        }
    })
    .unwrap();
    aio.recv(&*sock).unwrap();
    *slot.lock().unwrap() = Some(aio);
    b.send(b"x").unwrap();
    // The in-flight receive is aborted and the aio freed without the user
    // closure running again.
    freed_rx.recv_timeout(T).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The closure is being freed on nng's thread; let it release its socket
    // handle so the last one (and the blocking close) stays here.
    let start = Instant::now();
    while Arc::strong_count(&sock) > 1 && start.elapsed() < T {
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(Arc::strong_count(&sock), 1);
}

#[test]
fn drop_inside_another_aios_callback() {
    let (a, b) = pair("drop-other");
    let (freed_tx, freed_rx) = channel();
    let flag = DropFlag(freed_tx);
    let (victim, _rx) = channel_aio();
    let (_, flagged) = (0, flag);
    // A victim with an operation in flight, and an idle victim.
    victim.recv(&a).unwrap();
    let idle = Aio::new(move |_, _| {
        let _keep = &flagged;
    })
    .unwrap();
    let victims = Arc::new(Mutex::new(Some((victim, idle))));
    let v2 = victims.clone();
    let (done_tx, done_rx) = channel();
    let killer = Aio::new(move |_, _| {
        drop(v2.lock().unwrap().take());
        done_tx.send(()).unwrap();
    })
    .unwrap();
    killer.sleep(Duration::from_millis(1)).unwrap();
    done_rx.recv_timeout(T).unwrap();
    freed_rx.recv_timeout(T).unwrap();
    drop(b);
}

#[test]
fn drop_from_other_thread_with_operation_in_flight() {
    let (a, _b) = pair("drop-thread");
    for _ in 0..100 {
        let (freed_tx, freed_rx) = channel();
        let flag = DropFlag(freed_tx);
        let (res_tx, res_rx) = channel();
        let aio = Aio::new(move |_, r| {
            let _keep = &flag;
            let _ = res_tx.send(r.error());
        })
        .unwrap();
        aio.recv(&a).unwrap();
        thread::spawn(move || drop(aio)).join().unwrap();
        // The callback ran (with Stopped) before drop returned, then the
        // closure was freed.
        assert_eq!(res_rx.try_recv().unwrap(), Some(Error::Stopped));
        freed_rx.try_recv().unwrap();
    }
}

#[test]
fn resubmitting_callback_stops_on_drop() {
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    let aio = Aio::new(move |aio, _r| {
        n2.fetch_add(1, Ordering::SeqCst);
        // Resubmit forever; once the aio is stopping this fails, and we stop.
        let _ = aio.sleep(Duration::from_millis(1));
    })
    .unwrap();
    aio.sleep(Duration::from_millis(1)).unwrap();
    let start = Instant::now();
    while n.load(Ordering::SeqCst) < 10 && start.elapsed() < T {
        thread::sleep(Duration::from_millis(1));
    }
    drop(aio);
    let after = n.load(Ordering::SeqCst);
    assert!(after >= 10);
    thread::sleep(Duration::from_millis(20));
    assert_eq!(n.load(Ordering::SeqCst), after, "no callback after drop");
}

#[test]
fn drop_while_socket_closes() {
    for i in 0..50 {
        let (a, b) = pair(&format!("closing-{i}"));
        let (aio, rx) = channel_aio();
        aio.recv(&a).unwrap();
        let closer = thread::spawn(move || drop(a));
        drop(aio);
        closer.join().unwrap();
        drop(b);
        // Exactly one completion: Closed or Stopped, whichever came first.
        let e = rx.try_recv().unwrap().error();
        assert!(matches!(e, Some(Error::Closed | Error::Stopped)), "{e:?}");
    }
}

#[test]
fn drop_socket_and_context_with_operations_in_flight() {
    let (a, _b) = pair("drop-socket");
    let (aio, rx) = channel_aio();
    aio.recv(&a).unwrap();
    drop(a);
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::Closed));

    let rep = Socket::new(Protocol::Rep0).unwrap();
    let ctx = Context::new(&rep).unwrap();
    aio.recv(&ctx).unwrap();
    drop(ctx);
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::Closed));

    let ctx = Context::new(&rep).unwrap();
    aio.recv(&ctx).unwrap();
    drop(rep); // closing the socket closes its contexts
    assert_eq!(rx.recv_timeout(T).unwrap().error(), Some(Error::Closed));
    drop(ctx);
}

#[test]
fn callback_panic_is_caught_and_surfaced() {
    let (a, b) = pair("panic");
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let aio = Aio::new(move |_, _| {
        c2.fetch_add(1, Ordering::SeqCst);
        panic!("boom in callback");
    })
    .unwrap();
    aio.recv(&a).unwrap();
    b.send(b"x").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| aio.wait()));
    let payload = r.expect_err("wait resumes the callback's panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in callback"));
    // The process and the aio survive: it can be used again, and a panic
    // not resumed by wait can be taken.
    aio.sleep(Duration::from_millis(1)).unwrap();
    let start = Instant::now();
    while aio.is_busy() && start.elapsed() < T {
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        aio.take_panic()
            .and_then(|p| p.downcast_ref::<&str>().copied()),
        Some("boom in callback")
    );
    assert!(aio.take_panic().is_none());
}

#[test]
fn wait_inside_callback_is_refused() {
    let (tx, rx) = channel();
    let aio = Aio::new(move |aio, _| {
        tx.send(aio.wait()).unwrap();
    })
    .unwrap();
    aio.sleep(Duration::from_millis(1)).unwrap();
    assert_eq!(rx.recv_timeout(T).unwrap(), Err(Error::IncorrectState));
}

/// Iterations of the cancel/complete hammers: `AIO_HAMMER_ITERS` if set (the
/// documented full run is `AIO_HAMMER_ITERS=1000000`), else `default`.
fn hammer_iters(default: usize) -> usize {
    std::env::var("AIO_HAMMER_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Cancel races completion; every operation gets exactly one callback and
/// wait returns right after it (nng calls back for every operation of an aio
/// that is not stopped; only a drop stops one).
///
/// Each round costs about 0.5 ms in a debug build (the zero-length sleep
/// goes through nng's expiry thread), so the default is 20 000 rounds
/// (about 10 s); a million takes about 8 minutes.
#[test]
fn cancel_races_completion_hammer() {
    let n = hammer_iters(20_000);
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let aio = Aio::new(move |_, r| {
        assert!(matches!(r, AioResult::Sleep(_)));
        c2.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    let start = Instant::now();
    for i in 0..n {
        aio.sleep(Duration::ZERO).unwrap();
        if i % 2 == 0 {
            aio.cancel();
        }
        aio.wait().unwrap();
        assert_eq!(calls.load(Ordering::Relaxed), i + 1, "iteration {i}");
    }
    eprintln!("hammer: {n} sleep/cancel/wait in {:?}", start.elapsed());
}

/// Receives racing cancels on a live socket: every message is received
/// exactly once (none lost to a cancel, none duplicated) and nothing leaks
/// (run under valgrind).
#[test]
///
/// Runs 50 000 rounds (about 3 s), or `AIO_HAMMER_ITERS` rounds.
fn cancel_races_message_completion() {
    let n = hammer_iters(50_000);
    let a = Socket::new(Protocol::Pull0).unwrap();
    a.listen(&url("race-msg")).unwrap();
    let b = Socket::new(Protocol::Push0).unwrap();
    b.dial(&url("race-msg")).unwrap();
    b.set_opt::<nng::options::SendTimeout>(Some(T)).unwrap();
    let got = Arc::new(AtomicUsize::new(0));
    let g2 = got.clone();
    let aio = Aio::new(move |_, r| match r {
        AioResult::Recv(Ok(m)) => {
            assert_eq!(m.as_slice(), b"m");
            g2.fetch_add(1, Ordering::Relaxed);
        }
        AioResult::Recv(Err(e)) => assert_eq!(e, Error::Canceled),
        other => panic!("{other:?}"),
    })
    .unwrap();
    aio.set_timeout(Some(T));
    for i in 0..n {
        b.send(b"m").unwrap();
        aio.recv(&a).unwrap();
        aio.cancel();
        aio.wait().unwrap();
        if got.load(Ordering::Relaxed) == i {
            // The cancel won: the message is still queued, not lost.
            aio.recv(&a).unwrap();
            aio.wait().unwrap();
        }
        assert_eq!(got.load(Ordering::Relaxed), i + 1, "iteration {i}");
    }
    assert!(aio.take_panic().is_none());
}
