//! The safe layer adds no Rust heap allocation per message on the hot paths.
//!
//! A counting global allocator counts allocations per thread, on threads that
//! opted in (thread-local switch and counter), so tests running in parallel
//! and the harness's own threads do not disturb one another's counts. The Aio
//! test also counts on nng's own threads: each of its callbacks marks the
//! thread it runs on, and from then on that thread's allocations (the
//! callback trampoline's included) count while the test's window is open. nng allocates its messages with C `malloc`, which this
//! allocator does not see: what is counted is exactly the Rust layer's cost.

mod common;

use nng::options::{RecvTimeout, SendTimeout};
use nng::{Aio, AioResult};
use nng::{Message, Protocol, Socket};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

struct Counting;

thread_local! {
    /// `Some(n)`: counting on this thread, `n` allocations so far.
    static COUNT: Cell<Option<usize>> = const { Cell::new(None) };
}

thread_local! {
    /// This thread has run an aio callback of the Aio test (or is its thread).
    static AIO_THREAD: Cell<bool> = const { Cell::new(false) };
}
/// The Aio test's counting window is open.
static AIO_WINDOW: AtomicBool = AtomicBool::new(false);
/// Allocations on marked threads while the window was open.
static AIO_ALLOCS: AtomicUsize = AtomicUsize::new(0);

fn mark_aio_thread() {
    AIO_THREAD.with(|t| t.set(true));
}

fn note() {
    if AIO_WINDOW.load(Ordering::Relaxed) && AIO_THREAD.try_with(|t| t.get()).unwrap_or(false) {
        AIO_ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
    // try_with: the thread-local may already be gone during thread teardown.
    let _ = COUNT.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

/// Runs `f` counting allocations on this thread and on the marked threads.
/// Only one test (the Aio test) uses it.
fn count_aio_allocs(f: impl FnOnce()) -> usize {
    mark_aio_thread();
    AIO_ALLOCS.store(0, Ordering::SeqCst);
    AIO_WINDOW.store(true, Ordering::SeqCst);
    f();
    AIO_WINDOW.store(false, Ordering::SeqCst);
    AIO_ALLOCS.load(Ordering::SeqCst)
}

// SAFETY: every method forwards to the system allocator unchanged; counting
// touches only a const-initialised thread-local Cell (no allocation).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with counting on for this thread; returns the allocations it made.
fn count_allocs(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(Some(0)));
    f();
    COUNT.with(|c| c.take()).unwrap_or(0)
}

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(5));
const WARMUP: usize = 100;
const MESSAGES: usize = 2_000;

/// A connected pair1 pair over inproc, both with 5 s timeouts.
fn pair(name: &str) -> (Socket, Socket) {
    let url = format!("inproc://alloc-count-{name}");
    let a = Socket::new(Protocol::Pair1).unwrap();
    let b = Socket::new(Protocol::Pair1).unwrap();
    for s in [&a, &b] {
        s.set_opt::<RecvTimeout>(TIMEOUT).unwrap();
        s.set_opt::<SendTimeout>(TIMEOUT).unwrap();
    }
    a.listen(&url).unwrap();
    b.dial(&url).unwrap();
    (a, b)
}

/// Streams `n` messages from `tx` to `rx`; returns the allocations counted
/// on the sending and on the receiving thread.
fn stream(tx: &Socket, rx: &Socket, n: usize, send: fn(&Socket), recv: fn(&Socket)) -> usize {
    std::thread::scope(|sc| {
        let receiver = sc.spawn(|| count_allocs(|| (0..n).for_each(|_| recv(rx))));
        let sent = count_allocs(|| (0..n).for_each(|_| send(tx)));
        sent + receiver.join().unwrap()
    })
}

#[test]
fn the_counter_sees_rust_allocations() {
    // Guards the other tests: a counter that never counts would pass them.
    let n = count_allocs(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(n, 1);
}

#[test]
fn message_stream_allocates_nothing_per_message() {
    let (tx, rx) = pair("msg-stream");
    fn send(s: &Socket) {
        let mut m = Message::with_capacity(64);
        m.push_back(&[7u8; 60]);
        m.push_back_u32(42);
        s.send(m).unwrap();
    }
    fn recv(s: &Socket) {
        let m = s.recv().unwrap();
        assert_eq!(m.len(), 64);
    }
    stream(&tx, &rx, WARMUP, send, recv);
    assert_eq!(stream(&tx, &rx, MESSAGES, send, recv), 0);
}

#[test]
fn message_round_trips_allocate_nothing_per_message() {
    let (client, server) = pair("msg-rtt");
    let rounds = |n: usize| {
        std::thread::scope(|sc| {
            let echo = sc.spawn(|| {
                count_allocs(|| {
                    for _ in 0..n {
                        let m = server.recv().unwrap();
                        server.send(m).unwrap();
                    }
                })
            });
            let mut msg = Some(Message::with_len(64));
            let sent = count_allocs(|| {
                for _ in 0..n {
                    client.send(msg.take().unwrap()).unwrap();
                    msg = Some(client.recv().unwrap());
                }
            });
            sent + echo.join().unwrap()
        })
    };
    rounds(WARMUP);
    assert_eq!(rounds(MESSAGES), 0);
}

#[test]
fn sending_bytes_allocates_nothing_in_rust_per_message() {
    // Bytes are copied into a new nng message (C malloc, not counted): the
    // conversion itself adds no Rust allocation.
    let (tx, rx) = pair("bytes");
    fn send(s: &Socket) {
        s.send([3u8; 64]).unwrap();
    }
    fn recv(s: &Socket) {
        assert_eq!(s.recv().unwrap().as_slice(), &[3u8; 64]);
    }
    stream(&tx, &rx, WARMUP, send, recv);
    assert_eq!(stream(&tx, &rx, MESSAGES, send, recv), 0);
}

/// The futures' `Aio` pool is process-wide: while one of these tests holds
/// a pooled aio, the other finds the pool one short and grows it (three
/// allocations, once, kept by the pool), which is not a cost per message.
/// The tests that count allocations around futures take turns.
static FUTURE_POOL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn future_pool_turn() -> std::sync::MutexGuard<'static, ()> {
    FUTURE_POOL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn async_operations_that_need_not_wait_allocate_nothing() {
    // A send with room in the queue and a receive of a waiting message are
    // ready on their first poll (a direct completion on a pooled Aio): no
    // callback, no waker, no allocation.
    let _turn = future_pool_turn();
    let (tx, rx) = pair("async-ready");
    tx.set_opt::<nng::options::SendBufferSize>(256).unwrap();
    rx.set_opt::<nng::options::RecvBufferSize>(256).unwrap();
    let batch = |n: usize| {
        let sent = count_allocs(|| {
            for _ in 0..n {
                futures::executor::block_on(tx.send_async(Message::with_len(64))).unwrap();
            }
        });
        let mut received = 0;
        for _ in 0..n {
            common::wait_readable(&rx); // outside the count
            received += count_allocs(|| {
                let m = futures::executor::block_on(rx.recv_async()).unwrap();
                assert_eq!(m.len(), 64);
            });
        }
        eprintln!("sent {sent} received {received}");
        sent + received
    };
    batch(WARMUP);
    assert_eq!(batch(200), 0);
}

#[test]
fn async_round_trips_that_wait_allocate_nothing_per_message() {
    // Each reply is awaited before it exists, so every receive starts an
    // Aio: one-shot futures reuse pooled ones instead of allocating.
    let _turn = future_pool_turn();
    let (client, server) = pair("async-rtt");
    let rounds = |n: usize| {
        std::thread::scope(|sc| {
            sc.spawn(|| {
                for _ in 0..n {
                    let m = server.recv().unwrap();
                    server.send(m).unwrap();
                }
            });
            let mut msg = Some(Message::with_len(64));
            count_allocs(|| {
                futures::executor::block_on(async {
                    for _ in 0..n {
                        client.send_async(msg.take().unwrap()).await.unwrap();
                        msg = Some(client.recv_async().await.unwrap());
                    }
                })
            })
        })
    };
    rounds(WARMUP);
    // The pool hands out only aios whose closure has returned (a closure
    // still returning from its last completion, e.g. in the waker, must not
    // deliver another future's result). When the last aio's closure is
    // still returning as the next receive starts, the pool grows by one
    // (3 allocations: the slot, the aio's state, its closure), once: the
    // pool keeps it. That may fall after the warm-up; never per message.
    let n = rounds(MESSAGES / 4);
    assert!(n <= 6, "{n} allocations in {} round trips", MESSAGES / 4);
}

/// A flag raised by a callback, waited for without allocating.
#[derive(Default)]
struct Flag(Mutex<bool>, Condvar);

impl Flag {
    fn raise(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }
    fn wait(&self) {
        let g = self.0.lock().unwrap();
        let (g, timeout) = self
            .1
            .wait_timeout_while(g, Duration::from_secs(10), |done| !*done)
            .unwrap();
        assert!(
            *g && !timeout.timed_out(),
            "aio stream did not finish in 10 s"
        );
    }
}

/// Streams `n` messages with two callback-chained aios (each callback starts
/// the next operation), counting allocations on the threads involved.
/// With `alloc_each`, the receive callback also allocates once per message
/// (to show that such allocations are seen).
fn aio_stream(tx: &Arc<Socket>, rx: &Arc<Socket>, n: usize, alloc_each: bool) -> usize {
    let sent = Arc::new(Flag::default());
    let received = Arc::new(Flag::default());
    let (s, f) = (tx.clone(), sent.clone());
    let mut left = n;
    let send_aio = Aio::new(move |aio, res| match res {
        AioResult::Send(r) => {
            mark_aio_thread();
            r.unwrap();
            left -= 1;
            if left == 0 {
                f.raise();
            } else {
                aio.send(&*s, Message::with_len(64)).unwrap();
            }
        }
        other => panic!("unexpected {other:?}"),
    })
    .unwrap();
    let (r, f) = (rx.clone(), received.clone());
    let mut left = n;
    let recv_aio = Aio::new(move |aio, res| match res {
        AioResult::Recv(m) => {
            mark_aio_thread();
            assert_eq!(m.unwrap().len(), 64);
            if alloc_each {
                drop(std::hint::black_box(Box::new(left)));
            }
            left -= 1;
            if left == 0 {
                f.raise();
            } else {
                aio.recv(&*r).unwrap();
            }
        }
        other => panic!("unexpected {other:?}"),
    })
    .unwrap();
    let first = Message::with_len(64);
    // Only the loop is counted: creating the aios allocates, once.
    let count = count_aio_allocs(|| {
        recv_aio.recv(&**rx).unwrap();
        send_aio.send(&**tx, first).unwrap();
        sent.wait();
        received.wait();
    });
    drop((send_aio, recv_aio));
    count
}

#[test]
fn aio_stream_allocates_nothing_per_message() {
    let (tx, rx) = pair("aio");
    let (tx, rx) = (Arc::new(tx), Arc::new(rx));
    aio_stream(&tx, &rx, WARMUP, false);
    assert_eq!(aio_stream(&tx, &rx, MESSAGES, false), 0);
    // The counter is not blind to the callbacks' threads.
    assert!(aio_stream(&tx, &rx, WARMUP, true) >= WARMUP);
}
