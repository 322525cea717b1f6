//! Handles dropped or closed inside nng's own callbacks (aio completions and
//! pipe events) must not deadlock: nng's close functions wait for those very
//! callbacks, so the crate defers such closes to a helper thread.
//!
//! Each case runs under a watchdog: a deadlock fails the test instead of
//! hanging the run.

use nng::aio::{Aio, AioResult};
use nng::pipe::PipeEvent;
use nng::{Dialer, Listener, Protocol, Socket};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `case` on its own thread; fails if it does not finish in time.
fn within_watchdog(name: &str, case: impl FnOnce() + Send + 'static) {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        case();
        let _ = tx.send(());
    });
    rx.recv_timeout(WATCHDOG)
        .unwrap_or_else(|_| panic!("{name}: deadlocked (no progress in {WATCHDOG:?})"));
}

fn inproc(tag: &str) -> String {
    format!("inproc://drop-in-callback-{tag}-{}", std::process::id())
}

/// A channel that receives one `()` when `peer` loses its connection: proof
/// that the socket at the other end really closed.
fn on_disconnect(peer: &Socket) -> std::sync::mpsc::Receiver<()> {
    let (tx, rx) = channel();
    let tx = Mutex::new(tx);
    peer.pipe_notify(PipeEvent::RemPost, move |_, _| {
        let _ = tx.lock().unwrap().send(());
    })
    .unwrap();
    rx
}

/// The socket an aio receives on is dropped (its last handle) by the aio's
/// own callback.
#[test]
fn last_socket_dropped_inside_its_aio_callback() {
    within_watchdog("socket in aio callback", || {
        let url = inproc("aio");
        let rx_sock = Socket::new(Protocol::Pull0).unwrap();
        rx_sock.listen(&url).unwrap();
        let tx_sock = Socket::new(Protocol::Push0).unwrap();
        let gone = on_disconnect(&tx_sock);
        tx_sock.dial(&url).unwrap();

        let slot = Arc::new(Mutex::new(None::<Socket>));
        let (done_tx, done_rx) = channel::<Vec<u8>>();
        let done_tx = Mutex::new(done_tx);
        let in_cb = slot.clone();
        let aio = Aio::new(move |_, result| {
            if let AioResult::Recv(Ok(m)) = result {
                let socket = in_cb.lock().unwrap().take();
                drop(socket); // the last handle: closes the socket
                let _ = done_tx.lock().unwrap().send(m.to_vec());
            }
        })
        .unwrap();
        aio.recv(&rx_sock).unwrap();
        *slot.lock().unwrap() = Some(rx_sock);
        tx_sock.send(b"bye").unwrap();
        assert_eq!(done_rx.recv_timeout(WATCHDOG).unwrap(), b"bye");
        gone.recv_timeout(WATCHDOG)
            .expect("the socket dropped in the callback closed");
    });
}

/// An aio dropped inside its own callback whose closure holds the last handle
/// of the socket: the trampoline frees the closure, and with it the socket,
/// on nng's thread after the callback returned.
#[test]
fn orphaned_aio_closure_owns_the_last_socket() {
    within_watchdog("closure owns socket", || {
        let url = inproc("orphan");
        let a = Arc::new(Socket::new(Protocol::Pair1).unwrap());
        a.listen(&url).unwrap();
        let b = Socket::new(Protocol::Pair1).unwrap();
        let gone = on_disconnect(&b);
        b.dial(&url).unwrap();

        let me: Arc<Mutex<Option<Aio>>> = Arc::new(Mutex::new(None));
        let me_in_cb = me.clone();
        let (done_tx, done_rx) = channel::<()>();
        let done_tx = Mutex::new(done_tx);
        let owned = a.clone();
        let aio = Aio::new(move |_, result| {
            if let AioResult::Recv(Ok(_)) = result {
                let _ = &owned; // the closure keeps the socket alive
                drop(me_in_cb.lock().unwrap().take()); // orphan this very aio
                let _ = done_tx.lock().unwrap().send(());
            }
        })
        .unwrap();
        aio.recv(&*a).unwrap();
        *me.lock().unwrap() = Some(aio);
        drop(a); // now only the closure holds the socket
        b.send(b"last words").unwrap();
        done_rx.recv_timeout(WATCHDOG).expect("callback ran");
        gone.recv_timeout(WATCHDOG)
            .expect("the socket freed with the closure closed");
    });
}

/// A socket dropped from inside another socket's pipe-event callback.
#[test]
fn socket_dropped_inside_pipe_callback() {
    within_watchdog("socket in pipe callback", || {
        let url = inproc("pipe");
        let victim = Arc::new(Mutex::new(Some(Socket::new(Protocol::Pull0).unwrap())));
        victim
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .listen(&inproc("victim"))
            .unwrap();
        let (tx, rx) = channel::<()>();
        let tx: Mutex<Sender<()>> = Mutex::new(tx);
        let server = Socket::new(Protocol::Rep0).unwrap();
        let v = victim.clone();
        server
            .pipe_notify(PipeEvent::AddPost, move |_, _| {
                drop(v.lock().unwrap().take());
                let _ = tx.lock().unwrap().send(());
            })
            .unwrap();
        server.listen(&url).unwrap();
        let client = Socket::new(Protocol::Req0).unwrap();
        client.dial(&url).unwrap();
        rx.recv_timeout(WATCHDOG).expect("pipe callback ran");
        assert!(victim.lock().unwrap().is_none());
    });
}

/// Dialers and listeners dropped from inside a pipe-event callback of their
/// own socket.
#[test]
fn endpoints_dropped_inside_pipe_callback() {
    within_watchdog("endpoints in pipe callback", || {
        let url = format!("{}-ep", inproc("pipe"));
        let server = Socket::new(Protocol::Rep0).unwrap();
        let listener = Listener::new(&server, &url).unwrap();
        let client = Socket::new(Protocol::Req0).unwrap();
        let dialer = Dialer::new(&client, &url).unwrap();
        let held = Arc::new(Mutex::new((Some(listener), Some(dialer))));
        let (tx, rx) = channel::<()>();
        let tx = Mutex::new(tx);
        let h = held.clone();
        client
            .pipe_notify(PipeEvent::AddPost, move |_, _| {
                let mut g = h.lock().unwrap();
                drop(g.1.take()); // the dialer of this very socket
                drop(g.0.take()); // the listener on the other socket
                let _ = tx.lock().unwrap().send(());
            })
            .unwrap();
        held.lock().unwrap().0.as_ref().unwrap().start().unwrap();
        // Asynchronous start: the lock must not be held while the connection
        // (and so the callback, which takes it) happens.
        held.lock()
            .unwrap()
            .1
            .as_ref()
            .unwrap()
            .start_background()
            .unwrap();
        rx.recv_timeout(WATCHDOG).expect("pipe callback ran");
    });
}

/// A socket whose pipe-event closure owns other handles (a socket, a
/// context, a dialer, a listener): dropping it drops the closure after the
/// close, and the captured handles close in turn.
#[test]
fn pipe_closure_owning_handles_is_dropped_with_its_socket() {
    within_watchdog("closure owns handles", || {
        let owner = Socket::new(Protocol::Pair0).unwrap();
        let inner = Socket::new(Protocol::Rep0).unwrap();
        let gone = on_disconnect(&inner);
        let url = inproc("owned");
        let listener = Listener::new(&inner, &url).unwrap();
        listener.start().unwrap();
        let peer = Socket::new(Protocol::Req0).unwrap();
        let peer_gone = on_disconnect(&peer);
        let dialer = Dialer::new(&peer, &url).unwrap();
        dialer.start().unwrap();
        let ctx = nng::Context::new(&inner).unwrap();
        let held = Mutex::new((inner, ctx, listener, dialer));
        owner
            .pipe_notify(PipeEvent::AddPost, move |_, _| {
                let _ = &held;
            })
            .unwrap();
        drop(peer_gone);
        drop(owner); // drops the closure, and with it the four handles
        gone.recv_timeout(WATCHDOG)
            .expect("the captured dialer closed its connection");
    });
}

/// Inside a pipe callback that runs while its socket is being closed, an
/// aio cancel happens at once (nng_aio_cancel does not wait; the C fix
/// `cancel-close-race` makes it safe against closes) and an aio drop with an
/// operation in flight hands its teardown to a helper thread.
#[test]
fn aio_cancel_and_drop_inside_a_callback_during_a_close() {
    within_watchdog("cancel during close", || {
        let idle = Socket::new(Protocol::Pull0).unwrap(); // never receives

        let (results, cancelled) = channel();
        let results = Mutex::new(results);
        let kept = Arc::new(
            Aio::new(move |_, r| {
                let _ = results.lock().unwrap().send(r.error());
            })
            .unwrap(),
        );
        kept.recv(&idle).unwrap();
        let (freed_tx, freed) = channel::<()>();
        let flag = DropSignal(freed_tx);
        let dropped = Aio::new(move |_, _| {
            let _ = &flag;
        })
        .unwrap();
        dropped.recv(&idle).unwrap();

        let in_cb = Mutex::new((kept.clone(), Some(dropped)));
        let closing = Socket::new(Protocol::Pair0).unwrap();
        closing
            .pipe_notify(PipeEvent::RemPost, move |_, _| {
                let mut g = in_cb.lock().unwrap();
                g.0.cancel();
                drop(g.1.take());
            })
            .unwrap();
        // Connected after the registration: nng reports a pipe's removal
        // only if it reported its arrival.
        let url = inproc("during-close");
        closing.listen(&url).unwrap();
        let peer = Socket::new(Protocol::Pair0).unwrap();
        peer.dial(&url).unwrap();
        drop(closing); // RemPost runs while this close holds the lock
        assert_eq!(
            cancelled.recv_timeout(WATCHDOG).unwrap(),
            Some(nng::Error::Canceled)
        );
        freed
            .recv_timeout(WATCHDOG)
            .expect("the aio dropped in the callback was freed");
    });
}

/// Sends on its channel when dropped.
struct DropSignal(Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}
