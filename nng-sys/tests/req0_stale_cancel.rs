//! Regression test for nng 2.0.0's req0 receive cancel that fails the
//! context's next send (fixed in C by `build/patch.rs`; described in
//! `patches/README.md`, "req0-stale-cancel").
//!
//! `req0_ctx_cancel_recv` also cancels a send still pending on the context
//! (a receive started before its send completed), but did so without asking
//! whether the receive it was called for is still the context's. nng calls
//! it after releasing the aio's lock; when a new send on the context
//! completes that receive meanwhile (a new request cancels the outstanding
//! one), the late call fails the new send with `NNG_ECANCELED`.
//!
//! Here one thread cancels the pending receive while another sends the next
//! request on the context, the two started together with a varying head
//! start. The socket has no peer, so a send stays pending: the new send must
//! still be pending when both calls have returned.

use nng_sys::*;
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

mod common;
use common::{check, init, race_budget};

/// An aio with no callback.
fn aio() -> *mut nng_aio {
    let mut aio = ptr::null_mut();
    // SAFETY: aio is a valid out-pointer; no callback.
    check(
        unsafe { nng_aio_alloc(&mut aio, None, ptr::null_mut()) } as i32,
        "nng_aio_alloc",
    );
    aio
}

/// Starts a send of a fresh request on `ctx`.
fn send(ctx: nng_ctx, aio: *mut nng_aio) {
    let mut msg = ptr::null_mut();
    // SAFETY: msg is a valid out-pointer.
    check(unsafe { nng_msg_alloc(&mut msg, 8) }, "nng_msg_alloc");
    // SAFETY: aio is valid and idle; it owns msg until the send completes,
    // and gives it back on failure.
    unsafe {
        nng_aio_set_msg(aio, msg);
        nng_ctx_send(ctx, aio);
    }
}

/// Cancels and waits for the aio's operation; frees a message it gave back.
/// Returns the operation's result.
fn settle(aio: *mut nng_aio) -> nng_err {
    // SAFETY: aio is valid; after nng_aio_wait its operation is complete and
    // a failed send has given its message back.
    unsafe {
        nng_aio_cancel(aio);
        nng_aio_wait(aio);
        let msg = nng_aio_get_msg(aio);
        if !msg.is_null() {
            nng_aio_set_msg(aio, ptr::null_mut());
            nng_msg_free(msg);
        }
        nng_aio_result(aio)
    }
}

/// Spins for about `n` iterations, to shift one thread against the other.
fn spin(n: u32) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

#[test]
fn late_receive_cancel_spares_the_next_send() {
    init();
    let mut sock = nng_socket::default();
    // SAFETY: sock is a valid out-pointer.
    check(unsafe { nng_req0_open(&mut sock) }, "nng_req0_open");
    let mut ctx = nng_ctx::default();
    // SAFETY: ctx is a valid out-pointer, sock is open.
    check(unsafe { nng_ctx_open(&mut ctx, sock) }, "nng_ctx_open");
    let (s1, r, s2) = (aio(), aio(), aio());

    // Round handshake: `go` is the round the canceller may start, `done` the
    // round it has finished (spinning, for a tight start).
    let go = Arc::new(AtomicU32::new(0));
    let done = Arc::new(AtomicU32::new(0));
    let canceller = {
        let (go, done) = (go.clone(), done.clone());
        let r = r as usize;
        thread::spawn(move || loop {
            let round = done.load(Ordering::Relaxed) + 1;
            let g = loop {
                let g = go.load(Ordering::Acquire);
                if g >= round || g == u32::MAX {
                    break g;
                }
                std::hint::spin_loop();
            };
            if g == u32::MAX {
                return;
            }
            spin(round.wrapping_mul(7919) % 1500);
            // SAFETY: the receive aio stays valid until this thread is
            // joined; cancelling an aio in any state is allowed.
            unsafe { nng_aio_cancel(r as *mut nng_aio) };
            done.store(round, Ordering::Release);
        })
    };

    let end = Instant::now() + race_budget(3.0);
    let (mut round, mut hits) = (0u32, 0u32);
    while Instant::now() < end {
        round += 1;
        // A request pending (no peer) and its reply's receive.
        send(ctx, s1);
        // SAFETY: ctx is open and r idle.
        unsafe { nng_ctx_recv(ctx, r) };
        go.store(round, Ordering::Release);
        spin(round.wrapping_mul(104_729) % 1500);
        // The next request: it cancels the outstanding one and its receive,
        // and stays pending itself.
        send(ctx, s2);
        while done.load(Ordering::Acquire) != round {
            std::hint::spin_loop();
        }
        // SAFETY: s2 is valid.
        if !unsafe { nng_aio_busy(s2) } {
            // SAFETY: s2 is valid and its operation complete.
            let rv = unsafe { nng_aio_result(s2) };
            assert_eq!(rv, NNG_ECANCELED, "the new send completed with {rv}");
            hits += 1;
        }
        settle(s1);
        settle(r);
        settle(s2);
    }
    go.store(u32::MAX, Ordering::Release);
    canceller.join().expect("canceller thread");
    // SAFETY: every operation is complete; the canceller is joined.
    unsafe {
        nng_aio_free(s1);
        nng_aio_free(r);
        nng_aio_free(s2);
        nng_socket_close(sock);
    }
    eprintln!("{round} rounds, {hits} new sends cancelled by a late receive cancel");
    assert_eq!(
        hits, 0,
        "{hits} of {round} new sends failed with NNG_ECANCELED from the previous receive's cancel"
    );
}
