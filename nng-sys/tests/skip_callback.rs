//! Regression test for `nng_aio_skip_callback` with the public operation
//! functions (fixed in C by `build/patch.rs`; described in
//! `patches/README.md`, "aio-skip-callback").
//!
//! nng's docs show `nng_aio_skip_callback(aio, &skipped); nng_ctx_send(ctx,
//! aio);` and promise that an operation finished inside that call sets
//! `skipped` and fires no callback. In nng 2.0.0, `nng_socket_send`,
//! `nng_socket_recv`, `nng_ctx_send` and `nng_ctx_recv` all begin with
//! `nni_aio_reset`, which clears the request: `skipped` stays false and the
//! completion is dispatched to a task thread.

use nng_sys::*;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{check, init};

/// Counts callbacks; `arg` is a leaked `AtomicUsize`.
unsafe extern "C" fn count(arg: *mut c_void) {
    // SAFETY: the tests pass a `&'static AtomicUsize`.
    unsafe { &*(arg as *const AtomicUsize) }.fetch_add(1, Ordering::SeqCst);
}

/// A connected pair1 pair over inproc: (sender, receiver).
fn pair(url: &std::ffi::CStr) -> (nng_socket, nng_socket) {
    init();
    let mut a = nng_socket::default();
    let mut b = nng_socket::default();
    // SAFETY: valid out-pointers and NUL-terminated URLs.
    unsafe {
        check(nng_pair1_open(&mut a) as i32, "nng_pair1_open");
        check(nng_pair1_open(&mut b) as i32, "nng_pair1_open");
        check(
            nng_listen(b, url.as_ptr(), ptr::null_mut(), 0) as i32,
            "nng_listen",
        );
        check(
            nng_dial(a, url.as_ptr(), ptr::null_mut(), 0) as i32,
            "nng_dial",
        );
    }
    (a, b)
}

/// An aio whose callbacks are counted, and its counter.
fn counted_aio() -> (*mut nng_aio, &'static AtomicUsize) {
    let calls: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let mut aio = ptr::null_mut();
    // SAFETY: valid out-pointer; the counter is never freed.
    check(
        unsafe { nng_aio_alloc(&mut aio, Some(count), calls as *const _ as *mut c_void) } as i32,
        "nng_aio_alloc",
    );
    (aio, calls)
}

/// Waits up to 2 s for `calls` to reach `n`.
fn wait_calls(calls: &AtomicUsize, n: usize) -> usize {
    let end = Instant::now() + Duration::from_secs(2);
    while calls.load(Ordering::SeqCst) < n && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(1));
    }
    calls.load(Ordering::SeqCst)
}

#[test]
fn a_send_that_finds_room_is_reported_through_the_flag() {
    let (a, b) = pair(c"inproc://skip-callback-send");
    // Room in the send queue: the send is queued and finished inside the
    // call even while the pipe is still busy with the warm-up message.
    // SAFETY: a live socket and a NUL-terminated option name.
    check(
        unsafe { nng_socket_set_int(a, NNG_OPT_SENDBUF.as_ptr().cast(), 16) } as i32,
        "nng_socket_set_int(sendbuf)",
    );
    let (aio, calls) = counted_aio();
    // The pipe is up once a first message goes through.
    let mut warm = ptr::null_mut();
    // SAFETY: plain nng calls on live handles; the message is handed over.
    unsafe {
        check(nng_msg_alloc(&mut warm, 0) as i32, "nng_msg_alloc");
        check(nng_sendmsg(a, warm, 0) as i32, "nng_sendmsg");
        let mut got = ptr::null_mut();
        check(nng_recvmsg(b, &mut got, 0) as i32, "nng_recvmsg");
        nng_msg_free(got);
    }
    let mut msg = ptr::null_mut();
    let mut skipped = false;
    // SAFETY: the aio is idle; `skipped` outlives the call that may write it.
    unsafe {
        check(nng_msg_alloc(&mut msg, 8) as i32, "nng_msg_alloc");
        nng_aio_set_msg(aio, msg);
        nng_aio_skip_callback(aio, &mut skipped);
        nng_socket_send(a, aio);
    }
    assert!(
        skipped,
        "pair1 finished the send inside nng_socket_send, so nng must report it through the flag"
    );
    // SAFETY: the operation is over (skipped).
    assert_eq!(unsafe { nng_aio_result(aio) }, NNG_OK);
    assert_eq!(
        wait_calls(calls, 1),
        0,
        "a skipped completion fires no callback"
    );
    // SAFETY: closing live handles; the aio is idle.
    unsafe {
        nng_aio_free(aio);
        nng_socket_close(a);
        nng_socket_close(b);
    }
}

#[test]
fn a_receive_of_a_queued_message_is_reported_through_the_flag() {
    let (a, b) = pair(c"inproc://skip-callback-recv");
    let (aio, calls) = counted_aio();
    // SAFETY: plain nng calls on live handles; messages are handed over.
    unsafe {
        let mut m = ptr::null_mut();
        check(nng_msg_alloc(&mut m, 3) as i32, "nng_msg_alloc");
        check(nng_sendmsg(a, m, 0) as i32, "nng_sendmsg");
    }
    // Wait until the message sits in the receiver's queue.
    let end = Instant::now() + Duration::from_secs(2);
    let mut skipped = false;
    loop {
        // SAFETY: the aio is idle; `skipped` outlives the call.
        unsafe {
            nng_aio_skip_callback(aio, &mut skipped);
            nng_aio_set_timeout(aio, NNG_DURATION_ZERO as i32);
            nng_socket_recv(b, aio);
        }
        if skipped || Instant::now() > end {
            break;
        }
        // Not there yet: the zero timeout completes it with a callback.
        // SAFETY: waits for that callback.
        unsafe { nng_aio_wait(aio) };
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        skipped,
        "the queued message is taken inside nng_socket_recv"
    );
    let before = calls.load(Ordering::SeqCst);
    // SAFETY: the operation is over (skipped); the message is ours.
    unsafe {
        assert_eq!(nng_aio_result(aio), NNG_OK);
        let m = nng_aio_get_msg(aio);
        assert!(!m.is_null());
        assert_eq!(nng_msg_len(m), 3);
        nng_msg_free(m);
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(calls.load(Ordering::SeqCst), before, "no callback for it");
    // SAFETY: closing live handles; the aio is idle.
    unsafe {
        nng_aio_free(aio);
        nng_socket_close(a);
        nng_socket_close(b);
    }
}

#[test]
fn an_operation_that_waits_still_calls_back() {
    let (a, b) = pair(c"inproc://skip-callback-async");
    let (aio, calls) = counted_aio();
    let mut skipped = true;
    // SAFETY: the aio is idle; `skipped` outlives the call.
    unsafe {
        nng_aio_skip_callback(aio, &mut skipped);
        nng_aio_set_timeout(aio, 50);
        nng_socket_recv(b, aio);
    }
    assert!(!skipped, "nothing to receive: the receive waits");
    assert_eq!(
        wait_calls(calls, 1),
        1,
        "and times out through its callback"
    );
    // SAFETY: the callback ran.
    assert_eq!(unsafe { nng_aio_result(aio) }, NNG_ETIMEDOUT);
    // SAFETY: closing live handles; the aio is idle.
    unsafe {
        nng_aio_free(aio);
        nng_socket_close(a);
        nng_socket_close(b);
    }
}
