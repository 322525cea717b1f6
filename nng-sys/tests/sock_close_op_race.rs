//! Regression test for nng 2.0.0's socket close window (fixed in C by
//! `build/patch.rs`; described in `patches/README.md`, "sock-close-op-race").
//!
//! `nng_socket_close` runs the protocol's close, which fails the operations
//! queued on the socket with `NNG_ECLOSED`, before it marks the socket
//! closed; in between, the socket can still be found by its id. An operation
//! started in that window (here: by the callback of an operation that just
//! got `NNG_ECLOSED`, restarting it once, as a receive loop does) reaches the
//! protocol after its close: protocols without a closed check of their own
//! (pull0, pair0, pair1, bus0, push0) queue it, and the socket is then freed
//! with the aio still on its list. The aio never completes, and its cancel
//! function (run by `nng_aio_stop`/`nng_aio_free`, or a timeout) locks the
//! freed socket's mutex.
//!
//! Each round opens a socket, starts [`AIOS`] operations that stay pending
//! (no peer), and closes the socket: the close fails them together, and their
//! callbacks restart them on task threads while the closing thread is still
//! between the protocol's close and the end of `nng_socket_close`. Every
//! operation must then complete; one still busy after [`SETTLE`] is
//! stranded on the freed socket (it is leaked, not freed: freeing it would
//! run its cancel function on freed memory).

use nng_sys::*;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{check, init};

/// Operations pending on the socket when it is closed, each round (where the
/// protocol takes more than one at a time).
const AIOS: usize = 32;
/// Rounds per case; a case stops at its first stranded operation.
const ROUNDS: usize = 100;
/// How long the completions of a round may take after the close returned.
const SETTLE: Duration = Duration::from_secs(2);

type Open = unsafe extern "C" fn(*mut nng_socket) -> c_int;

/// (name, opener, the operation is a send, operations pending at once)
const CASES: &[(&str, Open, bool, usize)] = &[
    ("pull0 recv", nng_pull0_open, false, AIOS),
    ("pair0 recv", nng_pair0_open, false, AIOS),
    ("pair0 send", nng_pair0_open, true, AIOS),
    ("pair1 recv", nng_pair1_open, false, AIOS),
    ("pair1 send", nng_pair1_open, true, AIOS),
    ("bus0 recv", nng_bus0_open, false, AIOS),
    ("push0 send", nng_push0_open, true, AIOS),
    // These complete the operation anyway (a closed flag, or the socket's
    // finalizer fails what is still queued); kept as a check of the fix.
    // rep0, respondent0 and req0 keep one operation of a kind per context.
    ("sub0 recv", nng_sub0_open, false, AIOS),
    ("rep0 recv", nng_rep0_open, false, 1),
    ("respondent0 recv", nng_respondent0_open, false, 1),
    ("req0 send", nng_req0_open, true, 1),
];

/// One operation: its aio, the socket it runs on, and whether its callback
/// has restarted it.
struct Op {
    sock: nng_socket,
    send: bool,
    aio: AtomicPtr<nng_aio>,
    restarted: AtomicBool,
}

/// Starts `op`'s operation on its socket; the aio must be idle.
fn start(op: &Op, aio: *mut nng_aio) {
    if op.send {
        let mut msg = ptr::null_mut();
        // SAFETY: msg is a valid out-pointer.
        if unsafe { nng_msg_alloc(&mut msg, 0) } != 0 {
            return; // no memory: nothing started (never panic in a callback)
        }
        // SAFETY: aio is idle and owned by op; the message goes with it
        // (the callback frees it if the send fails).
        unsafe {
            nng_aio_set_msg(aio, msg);
            nng_socket_send(op.sock, aio);
        }
    } else {
        // SAFETY: aio is idle; the socket id may be closed (nng then
        // completes the aio with NNG_ECLOSED).
        unsafe { nng_socket_recv(op.sock, aio) };
    }
}

/// The aios' callback: frees what a failed send left on the aio (and what a
/// receive got), and restarts the operation once when it got NNG_ECLOSED.
extern "C" fn on_done(arg: *mut c_void) {
    // SAFETY: arg is the Op allocated for this aio, freed only after the aio.
    let op = unsafe { &*(arg as *const Op) };
    let aio = op.aio.load(Ordering::Acquire);
    // SAFETY: the aio is ours and completed (this is its callback).
    let rv = unsafe { nng_aio_result(aio) };
    // SAFETY: as above; a message left on the aio is ours to free.
    unsafe {
        let msg = nng_aio_get_msg(aio);
        if !msg.is_null() {
            nng_aio_set_msg(aio, ptr::null_mut());
            nng_msg_free(msg);
        }
    }
    if rv == NNG_ECLOSED && !op.restarted.swap(true, Ordering::AcqRel) {
        start(op, aio);
    }
}

/// Runs [`ROUNDS`] rounds of one case with `aios` operations; returns the first round that stranded
/// an operation, with how many it stranded.
fn run_case(open: Open, send: bool, aios: usize) -> Option<(usize, usize)> {
    for round in 0..ROUNDS {
        let mut sock = nng_socket::default();
        // SAFETY: sock is a valid out-pointer.
        check(unsafe { open(&mut sock) }, "open");
        let ops: Vec<*mut Op> = (0..aios)
            .map(|_| {
                let op = Box::into_raw(Box::new(Op {
                    sock,
                    send,
                    aio: AtomicPtr::new(ptr::null_mut()),
                    restarted: AtomicBool::new(false),
                }));
                let mut aio = ptr::null_mut();
                // SAFETY: aio is a valid out-pointer; op outlives the aio
                // (freed after it, or leaked with it).
                check(
                    unsafe { nng_aio_alloc(&mut aio, Some(on_done), op.cast()) } as i32,
                    "nng_aio_alloc",
                );
                // SAFETY: op is live; no callback can run before the start.
                unsafe { (*op).aio.store(aio, Ordering::Release) };
                op
            })
            .collect();
        for &op in &ops {
            // SAFETY: op is live and its aio idle.
            let op = unsafe { &*op };
            start(op, op.aio.load(Ordering::Acquire));
        }
        // SAFETY: sock is open; it is closed once.
        check(unsafe { nng_socket_close(sock) }, "nng_socket_close");

        let busy = |op: *mut Op| {
            // SAFETY: op and its aio are live (not freed before this).
            unsafe { nng_aio_busy((*op).aio.load(Ordering::Acquire)) }
        };
        let t0 = Instant::now();
        while ops.iter().any(|&op| busy(op)) && t0.elapsed() < SETTLE {
            thread::sleep(Duration::from_millis(1));
        }
        let mut stranded = 0;
        for op in ops {
            // SAFETY: op is live.
            let restarted = unsafe { (*op).restarted.load(Ordering::Acquire) };
            assert!(
                restarted,
                "an operation did not fail with NNG_ECLOSED at the close"
            );
            if busy(op) {
                // Queued on the freed socket: freeing the aio would run its
                // cancel function there. Leaked with its Op.
                stranded += 1;
                continue;
            }
            // SAFETY: the aio is idle (its callback returned and started
            // nothing more); the Op is freed after it.
            unsafe {
                nng_aio_free((*op).aio.load(Ordering::Acquire));
                drop(Box::from_raw(op));
            }
        }
        if stranded > 0 {
            return Some((round, stranded));
        }
    }
    None
}

#[test]
fn operations_started_during_close_complete() {
    init();
    let mut failed = Vec::new();
    for &(name, open, send, aios) in CASES {
        match run_case(open, send, aios) {
            Some((round, n)) => {
                eprintln!("{name}: round {round}: {n} of {aios} operations stranded");
                failed.push(name);
            }
            None => eprintln!("{name}: {ROUNDS} rounds of {aios}, none stranded"),
        }
    }
    assert!(
        failed.is_empty(),
        "operations started during the socket's close were queued on the freed socket: {failed:?}"
    );
}
