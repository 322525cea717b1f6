//! Issue 17's scenarios, each written as the interleaving the issue
//! describes and forced with blocking closures and channels (not sleeps that
//! usually work). Before the callback core was rebuilt each of them crashed,
//! deadlocked or handed a message to the wrong place.
//!
//! Run against the code before the rebuild (main at 09a667b), one at a
//! time: s1 crashes (SIGSEGV), `s2_issue_run` returns another socket's
//! message in its first round, s5, s6 and s8 deadlock; s2 (forced drop
//! while the closure runs), s4, s7 and s9 pin the behaviour that held.
//!
//! Every case runs under a watchdog: a deadlock fails the test instead of
//! hanging the run. The documented loop is
//! `for i in $(seq 20); do cargo test --all-features --test callback_soundness || break; done`.

use futures::StreamExt;
use nng::aio::{Aio, AioResult};
use nng::pipe::PipeEvent;
use nng::{Device, Error, Protocol, Socket};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `case` on its own thread; fails if it does not finish in time.
fn within_watchdog(name: &str, case: impl FnOnce() + Send + 'static) {
    let (tx, rx) = channel();
    let t = std::thread::spawn(move || {
        case();
        let _ = tx.send(());
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(()) => t.join().unwrap(),
        Err(_) if t.is_finished() => {
            // The case panicked: report its panic.
            if let Err(p) = t.join() {
                std::panic::resume_unwind(p);
            }
        }
        Err(_) => panic!("{name}: deadlocked (no progress in {WATCHDOG:?})"),
    }
}

fn inproc(tag: &str) -> String {
    format!("inproc://soundness-{tag}-{}", std::process::id())
}

/// Blocks until `peer` has a connection (its AddPost event ran).
fn connected(s: &Socket) -> Receiver<()> {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    s.pipe_notify(PipeEvent::AddPost, move |_, _| {
        let _ = tx.lock().unwrap().send(());
    })
    .unwrap();
    rx
}

/// Scenario 1: a socket closed inside an aio callback (the close deferred to
/// a helper thread) whose last handle is dropped while that close is still
/// running one of its pipe-event closures. The closure (and what it
/// captured) must stay alive until `nng_socket_close` has returned.
#[test]
fn s1_notify_closure_outlives_a_deferred_close() {
    within_watchdog("s1", || {
        let url = inproc("s1");
        let a = Arc::new(Socket::new(Protocol::Pair0).unwrap());
        let (entered_tx, entered) = channel::<()>();
        let (release, release_rx) = channel::<()>();
        let (sum_tx, sum) = channel::<u64>();
        let captured: Vec<u64> = (0..4096).collect();
        let inside = Mutex::new((entered_tx, release_rx, sum_tx));
        a.pipe_notify(PipeEvent::RemPost, move |_, _| {
            let g = inside.lock().unwrap();
            let _ = g.0.send(());
            // Blocks the deferred close here, inside nng_socket_close.
            let _ = g.1.recv_timeout(WATCHDOG);
            let _ = g.2.send(captured.iter().sum());
        })
        .unwrap();
        a.listen(&url).unwrap();
        let peer = Socket::new(Protocol::Pair0).unwrap();
        let up = connected(&peer);
        peer.dial(&url).unwrap();
        up.recv_timeout(WATCHDOG).unwrap();

        // Inside an aio callback: the close goes to a helper thread.
        let (closed_tx, closed) = channel();
        let a2 = Mutex::new(Some(a.clone()));
        let aio = Aio::new(move |_, _| {
            if let Some(a) = a2.lock().unwrap().take() {
                let _ = closed_tx.send(a.close());
            }
        })
        .unwrap();
        aio.sleep(Duration::ZERO).unwrap();
        assert_eq!(closed.recv_timeout(WATCHDOG).unwrap(), Ok(()));
        // The helper's close is now inside the RemPost closure.
        entered.recv_timeout(WATCHDOG).expect("RemPost ran");
        // The callback took the aio's handle: this is the last one, dropped
        // outside callbacks while the close runs.
        drop(a);
        release.send(()).unwrap();
        assert_eq!(sum.recv_timeout(WATCHDOG).unwrap(), (0..4096u64).sum());
        drop(aio);
    });
}

/// A waker that reports each wake and can be made to block inside it.
struct GateWaker {
    woken: Mutex<Sender<()>>,
    gate: Mutex<Option<Receiver<()>>>,
}

impl Wake for GateWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let _ = self.woken.lock().unwrap().send(());
        if let Some(gate) = self.gate.lock().unwrap().take() {
            let _ = gate.recv_timeout(WATCHDOG);
        }
    }
}

fn gate_waker(gate: Option<Receiver<()>>) -> (Waker, Receiver<()>) {
    let (tx, rx) = channel();
    let w = Arc::new(GateWaker {
        woken: Mutex::new(tx),
        gate: Mutex::new(gate),
    });
    (Waker::from(w), rx)
}

/// Scenario 2: a `RecvFuture` dropped while its aio's closure is still
/// storing the result (held there by a waker that blocks). Its aio must not
/// go back to the pool then: the result can never reach a later future on
/// another socket, and a send future taking a pooled aio gets a send result.
#[test]
fn s2_a_dropped_future_never_hands_its_result_to_another() {
    within_watchdog("s2", || {
        for round in 0..20 {
            let url = inproc(&format!("s2-{round}"));
            let pull = Socket::new(Protocol::Pull0).unwrap();
            pull.listen(&url).unwrap();
            let push = Socket::new(Protocol::Push0).unwrap();
            push.dial(&url).unwrap();
            let quiet = Socket::new(Protocol::Pull0).unwrap(); // nobody sends here

            let (release, gate) = channel();
            let (waker, woken) = gate_waker(Some(gate));
            let mut fut = Box::pin(pull.recv_async());
            let mut cx = TaskContext::from_waker(&waker);
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            push.send(b"for pull only").unwrap();
            // The closure has stored the result and is blocked in wake().
            woken.recv_timeout(WATCHDOG).unwrap();
            // Dropped while the closure is still running: the drop waits
            // for it (on its own thread, as the closure is held by us).
            let dropper = std::thread::spawn(move || drop(fut));
            release.send(()).unwrap();
            dropper.join().unwrap();

            // Other futures, on other sockets, get their own outcomes.
            let r = futures::executor::block_on(
                quiet.recv_async().timeout(Some(Duration::from_millis(20))),
            );
            assert_eq!(r.unwrap_err(), Error::TimedOut, "round {round}");
            let pair = Socket::new(Protocol::Pair0).unwrap();
            let sent = futures::executor::block_on(
                pair.send_async(b"x")
                    .timeout(Some(Duration::from_millis(20))),
            );
            assert_eq!(sent.unwrap_err().error, Error::TimedOut);
        }
    });
}

/// A waker whose drop blocks until released (and reports that it started).
struct SlowDropWaker {
    dropping: Mutex<Sender<()>>,
    gate: Mutex<Receiver<()>>,
}

impl Wake for SlowDropWaker {
    fn wake(self: Arc<Self>) {}
}

impl Drop for SlowDropWaker {
    fn drop(&mut self) {
        let _ = self.dropping.lock().unwrap().send(());
        let _ = self.gate.lock().unwrap().recv_timeout(WATCHDOG);
    }
}

/// Scenario 2 as the issue ran it: the future's poll replaces a waker whose
/// drop blocks (holding the result slot), the message completes meanwhile
/// (its closure waits for the slot), and the future is dropped right after
/// that poll. The result must not land in a pooled slot: the next future, on
/// a socket nobody sends to, times out. (Before the rebuild this returned
/// the other socket's message.)
#[test]
fn s2_issue_run_stale_result_never_reaches_another_socket() {
    within_watchdog("s2 issue run", || {
        for round in 0..20 {
            let url = inproc(&format!("s2b-{round}"));
            let pull = Socket::new(Protocol::Pull0).unwrap();
            pull.listen(&url).unwrap();
            let push = Socket::new(Protocol::Push0).unwrap();
            push.dial(&url).unwrap();
            let quiet = Socket::new(Protocol::Pull0).unwrap();

            let (dropping_tx, dropping) = channel();
            let (release, gate) = channel();
            let slow = Waker::from(Arc::new(SlowDropWaker {
                dropping: Mutex::new(dropping_tx),
                gate: Mutex::new(gate),
            }));
            let mut fut = Box::pin(pull.recv_async());
            assert!(fut
                .as_mut()
                .poll(&mut TaskContext::from_waker(&slow))
                .is_pending());
            drop(slow); // the slot holds the last reference
            let helper = std::thread::spawn(move || {
                // Inside the second poll: the slot is locked by the waker's
                // drop. The message completes now; its closure waits.
                dropping.recv_timeout(WATCHDOG).unwrap();
                push.send(b"for pull only").unwrap();
                std::thread::sleep(Duration::from_millis(20));
                release.send(()).unwrap();
                push
            });
            let (other, _woken) = gate_waker(None);
            let _ = fut.as_mut().poll(&mut TaskContext::from_waker(&other));
            drop(fut);
            let _push = helper.join().unwrap();
            let r = futures::executor::block_on(
                quiet.recv_async().timeout(Some(Duration::from_millis(50))),
            );
            match r {
                Err(Error::TimedOut) => {}
                Ok(m) => panic!("round {round}: another socket's message: {m:?}"),
                Err(e) => panic!("round {round}: {e}"),
            }
        }
    });
}

/// Scenario 4: `Aio::wait` waits for nng's completion of a send however
/// long it takes, decided by state (no time-out fallback that frees the
/// message and reports it sent): the message really arrives once a peer
/// connects.
#[test]
fn s4_wait_never_delivers_a_send_nng_still_holds() {
    within_watchdog("s4", || {
        let url = inproc("s4");
        let push = Socket::new(Protocol::Push0).unwrap();
        let (res_tx, res) = channel();
        let res_tx = Mutex::new(res_tx);
        let aio = Arc::new(
            Aio::new(move |aio, r| {
                // wait() inside the callback is refused, never a deadlock.
                assert_eq!(aio.wait(), Err(Error::IncorrectState));
                let _ = res_tx.lock().unwrap().send(r);
            })
            .unwrap(),
        );
        aio.send(&push, nng::Message::from("held")).unwrap();
        let waiter = {
            let aio = aio.clone();
            std::thread::spawn(move || aio.wait())
        };
        // Far longer than the old fallback's ~30 ms: nothing completes.
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !waiter.is_finished(),
            "wait returned with the send in flight"
        );
        assert!(res.try_recv().is_err());
        let pull = Socket::new(Protocol::Pull0).unwrap();
        pull.listen(&url).unwrap();
        push.dial(&url).unwrap();
        assert_eq!(waiter.join().unwrap(), Ok(()));
        assert!(matches!(res.try_recv().unwrap(), AioResult::Send(Ok(()))));
        assert_eq!(pull.recv().unwrap().as_slice(), b"held");
    });
}

/// Scenario 5: a `Device` dropped (and another stopped) inside a pipe-event
/// callback: stopping waits for nng's process-wide pipe-callback mutex that
/// this very callback holds, so it is done on a helper thread instead of
/// deadlocking. The device does stop: its sockets close.
#[test]
fn s5_device_dropped_inside_a_pipe_callback() {
    within_watchdog("s5", || {
        let front_url = inproc("s5-front");
        let front = Socket::new_raw(Protocol::Pair0).unwrap();
        // Pipe events on the device's socket, and a connected peer: closing
        // it runs RemPost under nng's process-wide pipe-callback mutex.
        let front_up = connected(&front);
        front.listen(&front_url).unwrap();
        let front_peer = Socket::new(Protocol::Pair0).unwrap();
        front_peer.dial(&front_url).unwrap();
        front_up.recv_timeout(WATCHDOG).unwrap();
        let device = Device::reflector(front).unwrap();
        let other = Device::reflector(Socket::new_raw(Protocol::Bus0).unwrap()).unwrap();
        let held = Arc::new(Mutex::new((Some(device), Some(other))));
        let (done_tx, done) = channel();
        let done_tx = Mutex::new(done_tx);
        let trigger = Socket::new(Protocol::Pair0).unwrap();
        let h = held.clone();
        trigger
            .pipe_notify(PipeEvent::AddPost, move |_, _| {
                let mut g = h.lock().unwrap();
                drop(g.0.take());
                let stopped = g.1.take().map(Device::stop);
                let _ = done_tx.lock().unwrap().send(stopped);
            })
            .unwrap();
        let url = inproc("s5-trigger");
        trigger.listen(&url).unwrap();
        let peer = Socket::new(Protocol::Pair0).unwrap();
        peer.dial(&url).unwrap();
        assert_eq!(done.recv_timeout(WATCHDOG).unwrap(), Some(Ok(())));
        drop(front_peer);
        // The device's socket closes: nothing accepts on its address.
        let client = Socket::new(Protocol::Pair0).unwrap();
        let deadline = std::time::Instant::now() + WATCHDOG;
        while client.dial(&front_url).is_ok() {
            assert!(std::time::Instant::now() < deadline, "device never stopped");
            std::thread::sleep(Duration::from_millis(5));
        }
    });
}

/// Scenario 6: W closes S1 while nng waits for S1's RemPost callback, which
/// waits for a user mutex M held by U; U drops an aio (and a future) with an
/// operation in flight on an unrelated socket S2, then releases M. No lock
/// of the crate may link the two sockets into a cycle.
#[test]
fn s6_unrelated_close_and_aio_drop_do_not_deadlock() {
    within_watchdog("s6", || {
        let url = inproc("s6");
        let m = Arc::new(Mutex::new(()));
        let s1 = Socket::new(Protocol::Pair0).unwrap();
        let (entered_tx, entered) = channel::<()>();
        let entered_tx = Mutex::new(entered_tx);
        let m1 = m.clone();
        s1.pipe_notify(PipeEvent::RemPost, move |_, _| {
            let _ = entered_tx.lock().unwrap().send(());
            drop(m1.lock().unwrap());
        })
        .unwrap();
        s1.listen(&url).unwrap();
        let peer = Socket::new(Protocol::Pair0).unwrap();
        let up = connected(&peer);
        peer.dial(&url).unwrap();
        up.recv_timeout(WATCHDOG).unwrap();

        let s2 = Socket::new(Protocol::Pull0).unwrap();
        let aio = Aio::new(|_, _| {}).unwrap();
        aio.recv(&s2).unwrap();
        let mut fut = Box::pin(s2.recv_async());
        let (waker, _woken) = gate_waker(None);
        assert!(fut
            .as_mut()
            .poll(&mut TaskContext::from_waker(&waker))
            .is_pending());

        let held = m.lock().unwrap(); // U holds M
        let w = std::thread::spawn(move || drop(s1)); // W closes S1
        entered.recv_timeout(WATCHDOG).expect("RemPost ran");
        drop(aio); // U drops an aio on S2
        drop(fut); // and a future on S2
        drop(held);
        w.join().unwrap();
    });
}

/// Scenario 7: a `RecvStream` in a `select!`-style loop: the branch's
/// `next()` future is dropped after the message completed into the stream's
/// aio; the stream keeps it and yields it on the next poll.
#[test]
fn s7_stream_keeps_a_message_its_dropped_next_completed() {
    within_watchdog("s7", || {
        let url = inproc("s7");
        let pull = Socket::new(Protocol::Pull0).unwrap();
        pull.listen(&url).unwrap();
        let push = Socket::new(Protocol::Push0).unwrap();
        push.dial(&url).unwrap();
        let mut stream = pull.recv_stream();
        for i in 0..20u32 {
            let (waker, woken) = gate_waker(None);
            {
                let mut next = stream.next();
                let mut cx = TaskContext::from_waker(&waker);
                assert!(Pin::new(&mut next).poll(&mut cx).is_pending());
                push.send(i.to_be_bytes()).unwrap();
                // Completed: the waker fired. The other branch of the select
                // won; this next() is dropped unpolled.
                woken.recv_timeout(WATCHDOG).unwrap();
            }
            let got = futures::executor::block_on(stream.next()).unwrap().unwrap();
            assert_eq!(got.as_slice(), i.to_be_bytes());
        }
        // And in a select loop against a branch that often wins: every
        // message arrives, in order.
        let n = 200u32;
        let sender = std::thread::spawn(move || {
            for i in 0..n {
                push.send(i.to_be_bytes()).unwrap();
            }
            push
        });
        let mut got = 0u32;
        let mut other_won = 0u32;
        futures::executor::block_on(async {
            while got < n {
                match futures::future::select(stream.next(), YieldOnce(false)).await {
                    futures::future::Either::Left((m, _)) => {
                        let m = m.unwrap().unwrap();
                        assert_eq!(m.as_slice(), got.to_be_bytes());
                        got += 1;
                    }
                    futures::future::Either::Right(((), _dropped_next)) => other_won += 1,
                }
            }
        });
        assert_eq!(got, n);
        eprintln!("s7: the other branch won {other_won} times");
        drop(sender.join().unwrap());
    });
}

/// Ready on its second poll: a select branch that often wins.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Scenario 8: a blocking send, receive or dial inside a pipe callback (nng
/// 2.0 runs them under one process-wide mutex, so waiting for a peer there
/// deadlocks the process) is a typed error; non-blocking calls work.
#[test]
fn s8_blocking_calls_inside_a_pipe_callback_are_refused() {
    within_watchdog("s8", || {
        let url = inproc("s8");
        let lonely = Arc::new(Socket::new(Protocol::Req0).unwrap());
        let ctx = nng::Context::new(&lonely).unwrap();
        let (tx, rx) = channel();
        let tx = Mutex::new(tx);
        let l = lonely.clone();
        let ctx = Mutex::new(ctx);
        let s = Socket::new(Protocol::Pair0).unwrap();
        s.pipe_notify(PipeEvent::AddPost, move |_, _| {
            let ctx = ctx.lock().unwrap();
            let results = (
                l.send(b"x").map_err(Error::from),
                l.recv().map(drop),
                l.try_send(b"x").map_err(Error::from),
                l.dial(&inproc("s8-nobody")),
                ctx.recv().map(drop),
                ctx.send("x").map_err(Error::from),
            );
            let _ = tx.lock().unwrap().send(results);
        })
        .unwrap();
        s.listen(&url).unwrap();
        let peer = Socket::new(Protocol::Pair0).unwrap();
        peer.dial(&url).unwrap();
        let r = rx.recv_timeout(WATCHDOG).expect("the callback returned");
        assert_eq!(r.0, Err(Error::IncorrectState));
        assert_eq!(r.1, Err(Error::IncorrectState));
        assert_eq!(r.2, Err(Error::TryAgain));
        assert_eq!(r.3, Err(Error::IncorrectState));
        assert_eq!(r.4, Err(Error::IncorrectState));
        assert_eq!(r.5, Err(Error::IncorrectState));
    });
}

/// Scenario 9 (`deliver`): the state of an aio dropped inside its own
/// callback is freed only after that callback has returned, by the teardown,
/// never while the trampoline still holds a borrow of it. Many rounds, with
/// and without an operation in flight.
#[test]
fn s9_aio_dropped_inside_its_own_callback_is_freed_after_it() {
    within_watchdog("s9", || {
        let url = inproc("s9");
        let pull = Arc::new(Socket::new(Protocol::Pull0).unwrap());
        pull.listen(&url).unwrap();
        let push = Socket::new(Protocol::Push0).unwrap();
        push.dial(&url).unwrap();
        for round in 0..200 {
            let (freed_tx, freed) = channel::<()>();
            let flag = DropSignal(freed_tx);
            let slot: Arc<Mutex<Option<Aio>>> = Arc::default();
            let s2 = slot.clone();
            let p2 = pull.clone();
            let aio = Aio::new(move |aio, _| {
                let _keep = &flag;
                if round % 2 == 0 {
                    let _ = aio.recv(&*p2); // one more in flight
                }
                drop(s2.lock().unwrap().take());
                // Still usable until the callback returns.
                assert_eq!(aio.sleep(Duration::ZERO), Err(Error::Stopped));
            })
            .unwrap();
            aio.recv(&*pull).unwrap();
            *slot.lock().unwrap() = Some(aio);
            push.send(b"go").unwrap();
            freed
                .recv_timeout(WATCHDOG)
                .expect("freed after the callback");
        }
    });
}

/// Sends on its channel when dropped.
struct DropSignal(Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
