//! Regression tests for nng 2.0.0's cancel/close race (fixed in C by
//! `build/patch.rs`; described in `patches/README.md`, "cancel/close race").
//!
//! nng calls an operation's cancel function after it has released the aio's
//! lock. When the operation's socket or context is closed meanwhile on
//! another thread, the close completes the operation and frees the
//! socket/context, and the cancel function then reads (and locks a mutex in)
//! freed memory. Both ways in are driven here through the raw API, with no
//! lock of the Rust crate in between: an explicit `nng_aio_stop` and nng's
//! own timeout expiry.
//!
//! Freed memory is made visible without a sanitizer: glibc's `M_PERTURB`
//! fills every freed block, so a cancel function that runs on a freed
//! socket crashes, aborts in nng's mutex checks, or hangs on a garbage lock
//! word (caught by the watchdog). Under valgrind (`.ci/memcheck --only
//! cancel_close_race`) the unpatched build reports the invalid reads.

use nng_sys::*;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{check, init, perturb_freed_memory, race_budget};

/// Contexts per socket, each with a pending send (a req socket without peers
/// keeps its sends pending, cancellable, with the context as the cancel
/// function's argument).
const CONTEXTS: usize = 6;

/// Aborts the process if `done` is not set within `limit`: the unpatched
/// race can leave a cancel function waiting forever on a freed mutex.
fn watchdog(done: Arc<AtomicBool>, limit: Duration, rounds: Arc<AtomicU64>) {
    thread::spawn(move || {
        let start = Instant::now();
        while !done.load(Ordering::Acquire) {
            if start.elapsed() > limit {
                eprintln!(
                    "watchdog: no progress after {limit:?} ({} rounds); a cancel function \
                     is stuck on a freed socket",
                    rounds.load(Ordering::Relaxed)
                );
                std::process::abort();
            }
            thread::sleep(Duration::from_millis(50));
        }
    });
}

/// How long each test hammers: `NNG_RACE_SECS`, default 4.
fn budget() -> Duration {
    race_budget(4.0)
}

/// One socket with pending sends: on the socket itself and on [`CONTEXTS`]
/// contexts.
struct Pending {
    sock: nng_socket,
    aios: Vec<*mut nng_aio>,
}

// SAFETY: the raw nng handles are thread-safe (nng's own locking); the test
// only moves the pointers between its threads.
unsafe impl Send for Pending {}
// SAFETY: as above; the threads call only thread-safe nng functions.
unsafe impl Sync for Pending {}

impl Pending {
    fn open(timeout_ms: nng_duration) -> Pending {
        let mut sock = nng_socket::default();
        // SAFETY: sock is a valid out-pointer.
        check(unsafe { nng_req0_open(&mut sock) }, "nng_req0_open");
        let mut aios = Vec::with_capacity(CONTEXTS + 1);
        for i in 0..=CONTEXTS {
            let mut aio = ptr::null_mut();
            // SAFETY: aio is a valid out-pointer; no callback.
            check(
                unsafe { nng_aio_alloc(&mut aio, None, ptr::null_mut()) } as i32,
                "nng_aio_alloc",
            );
            let mut msg = ptr::null_mut();
            // SAFETY: msg is a valid out-pointer.
            check(unsafe { nng_msg_alloc(&mut msg, 8) }, "nng_msg_alloc");
            // SAFETY: aio and msg are valid; the aio owns msg until the send
            // completes, and gives it back on failure.
            unsafe {
                nng_aio_set_msg(aio, msg);
                nng_aio_set_timeout(aio, timeout_ms);
            }
            if i == 0 {
                // SAFETY: sock is open and aio idle.
                unsafe { nng_socket_send(sock, aio) };
            } else {
                let mut ctx = nng_ctx::default();
                // SAFETY: ctx is a valid out-pointer, sock is open.
                check(unsafe { nng_ctx_open(&mut ctx, sock) }, "nng_ctx_open");
                // SAFETY: ctx is open and aio idle.
                unsafe { nng_ctx_send(ctx, aio) };
            }
            aios.push(aio);
        }
        Pending { sock, aios }
    }

    fn close_socket(&self) {
        // SAFETY: closing an id is always allowed; a second close only
        // reports an error.
        unsafe { nng_socket_close(self.sock) };
    }

    fn stop_all(&self) {
        for &aio in &self.aios {
            // SAFETY: the aio is valid until `finish` frees it.
            unsafe { nng_aio_stop(aio) };
        }
    }

    /// Waits for every send, frees the messages it gave back, and the aios.
    fn finish(self) {
        for aio in self.aios {
            // SAFETY: aio is valid; after nng_aio_stop no callback or
            // completion is pending, and a failed send returns its message.
            unsafe {
                nng_aio_stop(aio);
                assert_ne!(nng_aio_result(aio), NNG_OK, "a send with no peer succeeded");
                let msg = nng_aio_get_msg(aio);
                if !msg.is_null() {
                    nng_msg_free(msg);
                }
                nng_aio_free(aio);
            }
        }
    }
}

/// Spins for about `n` iterations, to shift one thread against the other.
fn spin(n: u32) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// `nng_aio_stop` on pending sends while another thread closes their socket.
#[test]
fn aio_stop_racing_socket_close() {
    init();
    perturb_freed_memory();
    let done = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    watchdog(
        done.clone(),
        budget() + Duration::from_secs(10),
        rounds.clone(),
    );

    let start = Arc::new(Barrier::new(2));
    let end = Instant::now() + budget();
    let mut round: u32 = 0;
    while Instant::now() < end {
        let p = Arc::new(Pending::open(NNG_DURATION_INFINITE));
        // Sweep the closer's head start over the length of a close.
        let lead = (round.wrapping_mul(7919)) % 4000;
        let closer = {
            let p = p.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                spin(lead);
                p.close_socket();
            })
        };
        start.wait();
        p.stop_all();
        closer.join().expect("closer thread");
        Arc::into_inner(p).expect("threads joined").finish();
        round += 1;
        rounds.fetch_add(1, Ordering::Relaxed);
    }
    done.store(true, Ordering::Release);
    eprintln!("{round} rounds of nng_aio_stop against nng_socket_close");
}

/// nng's own timeout expiry on pending sends while another thread closes
/// their socket: the expiry thread calls the cancel function the same way.
#[test]
fn timeout_expiry_racing_socket_close() {
    init();
    perturb_freed_memory();
    let done = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    watchdog(
        done.clone(),
        budget() + Duration::from_secs(10),
        rounds.clone(),
    );

    let end = Instant::now() + budget();
    let mut round: u64 = 0;
    while Instant::now() < end {
        let p = Pending::open(1);
        // The sends expire 1 ms (nng's clock granularity) after they
        // started: close around that moment.
        let wait = Duration::from_micros(500 + (round * 37) % 1500);
        let t = Instant::now();
        while t.elapsed() < wait {
            std::hint::spin_loop();
        }
        p.close_socket();
        p.finish();
        round += 1;
        rounds.fetch_add(1, Ordering::Relaxed);
    }
    done.store(true, Ordering::Release);
    eprintln!("{round} rounds of timeout expiry against nng_socket_close");
}
