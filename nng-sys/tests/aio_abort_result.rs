//! Regression tests for nng 2.0.0's `nni_aio_abort` overwriting the result of
//! an operation that has already completed (fixed in C by `build/patch.rs`;
//! described in `patches/README.md`, "aio-abort-result").
//!
//! nng's documentation says an abort or cancel has no effect once the
//! operation has completed. But between the completion and the run of the
//! aio's callback, the aio has no cancel function any more, and the abort
//! took it for an operation not started yet: it stored its code in the
//! result the callback is about to read (without a lock, so also a data
//! race, which ThreadSanitizer reports). The callback then saw a completed
//! operation as cancelled: a received message arrives with `NNG_ECANCELED`,
//! and a sent one is reported unsent.
//!
//! Each test holds the callback at its start, aborts the completed
//! operation, then lets the callback read the result: deterministic, no
//! timing involved.

use nng_sys::*;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};
use std::sync::Barrier;

mod common;
use common::{check, init};

/// What the callback shares with the test: two rendezvous, and the result it
/// read.
struct Gate {
    aio: AtomicPtr<nng_aio>,
    entered: Barrier,
    go: Barrier,
    result: AtomicI32,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            aio: AtomicPtr::new(ptr::null_mut()),
            entered: Barrier::new(2),
            go: Barrier::new(2),
            result: AtomicI32::new(-1),
        }
    }
}

/// Announces itself, waits for the test's abort, then reads the result.
extern "C" fn held_callback(arg: *mut c_void) {
    // SAFETY: arg is the &Gate the test passed to nng_aio_alloc; the test
    // keeps it alive until nng_aio_free, after which no callback runs.
    let gate = unsafe { &*(arg as *const Gate) };
    gate.entered.wait();
    gate.go.wait();
    // SAFETY: the aio is valid while its callback runs.
    let rv = unsafe { nng_aio_result(gate.aio.load(Ordering::Acquire)) };
    gate.result.store(rv as i32, Ordering::Release);
}

/// Allocates an aio whose callback is [`held_callback`] on `gate`.
fn held_aio(gate: &Gate) -> *mut nng_aio {
    let mut aio = ptr::null_mut();
    // SAFETY: aio is a valid out-pointer; gate outlives the aio (each test
    // frees the aio before gate goes out of scope).
    check(
        unsafe {
            nng_aio_alloc(
                &mut aio,
                Some(held_callback),
                gate as *const Gate as *mut c_void,
            )
        } as i32,
        "nng_aio_alloc",
    );
    gate.aio.store(aio, Ordering::Release);
    aio
}

/// Waits until the completed operation's callback runs, aborts the aio with
/// `abort`, and returns the result the callback then read.
fn abort_after_completion(gate: &Gate, aio: *mut nng_aio, abort: impl FnOnce()) -> nng_err {
    gate.entered.wait();
    abort();
    gate.go.wait();
    // SAFETY: aio is valid; this waits for the callback to return.
    unsafe { nng_aio_wait(aio) };
    gate.result.load(Ordering::Acquire) as nng_err
}

#[test]
fn cancel_after_a_sleep_completed_leaves_its_result() {
    init();
    let gate = Gate::new();
    let aio = held_aio(&gate);
    // SAFETY: aio is valid and idle.
    unsafe { nng_sleep_aio(1, aio) };
    // SAFETY: aio stays valid; cancelling a completed operation is allowed.
    let rv = abort_after_completion(&gate, aio, || unsafe { nng_aio_cancel(aio) });
    // SAFETY: the callback has returned and nothing else uses the aio.
    unsafe { nng_aio_free(aio) };
    assert_eq!(
        rv, NNG_OK,
        "a sleep that had completed was reported as {rv} after a late nng_aio_cancel"
    );
}

#[test]
fn abort_after_a_receive_completed_leaves_its_result() {
    init();
    let url = c"inproc://aio_abort_result";
    let mut a = nng_socket::default();
    let mut b = nng_socket::default();
    // SAFETY: out-pointers are valid, the URL is NUL-terminated, and the
    // sent buffer outlives nng_send, which copies it.
    unsafe {
        check(nng_pair0_open(&mut a), "nng_pair0_open");
        check(nng_pair0_open(&mut b), "nng_pair0_open");
        check(
            nng_listen(a, url.as_ptr(), ptr::null_mut(), 0),
            "nng_listen",
        );
        check(nng_dial(b, url.as_ptr(), ptr::null_mut(), 0), "nng_dial");
        check(nng_send(b, b"sent".as_ptr().cast(), 4, 0), "nng_send");
    }
    let gate = Gate::new();
    let aio = held_aio(&gate);
    // SAFETY: a is open and aio idle.
    unsafe { nng_socket_recv(a, aio) };
    // SAFETY: aio stays valid; aborting a completed operation is allowed.
    let rv = abort_after_completion(&gate, aio, || unsafe { nng_aio_abort(aio, NNG_EINTR) });
    // SAFETY: the callback has returned; the message, if any, is ours.
    let msg = unsafe { nng_aio_get_msg(aio) };
    let got = !msg.is_null();
    // SAFETY: msg (when not NULL) came from the completed receive and is
    // freed once; the aio and sockets are no longer used.
    unsafe {
        if got {
            nng_msg_free(msg);
        }
        nng_aio_free(aio);
        nng_socket_close(b);
        nng_socket_close(a);
    }
    assert!(got, "the receive completed without its message");
    assert_eq!(
        rv, NNG_OK,
        "a receive that had completed (its message delivered) was reported as {rv} \
         after a late nng_aio_abort: a caller that checks the result first loses the message"
    );
}
