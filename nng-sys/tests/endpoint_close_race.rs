//! Regression tests for nng 2.0.0's endpoint close race (fixed in C by
//! `build/patch.rs`; described in `patches/README.md`, "endpoint-close-race").
//!
//! `nng_dialer_close` (or `nng_listener_close`) on one thread while
//! `nng_socket_close` runs on another: the socket's shutdown fails to take a
//! hold on the endpoint the other thread is closing, closes it anyway and
//! drops the hold it never took, again and again until the endpoint leaves
//! the socket's list. nng's `NNI_ASSERT(d->d_ref > 0)` in `nni_dialer_rele`
//! then aborts the process (without assertions: a reference count gone
//! negative and the dialer freed twice).

use nng_sys::*;
use std::ffi::CString;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{check, init, race_budget};

/// How long each test hammers: `NNG_RACE_SECS`, default 3.
fn budget() -> Duration {
    race_budget(3.0)
}

/// Runs `close_endpoint` and `nng_socket_close` on two threads at once, for
/// a fresh socket with started endpoints each round, and returns the
/// number of rounds.
fn hammer(open: impl Fn(nng_socket) -> u32, close_endpoint: fn(u32) -> i32) -> u64 {
    init();
    let start = Arc::new(Barrier::new(2));
    let end = Instant::now() + budget();
    let mut rounds = 0u64;
    while Instant::now() < end {
        let mut sock = nng_socket::default();
        // SAFETY: sock is a valid out-pointer.
        check(unsafe { nng_pair0_open(&mut sock) }, "nng_pair0_open");
        let id = open(sock);
        let closer = {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                close_endpoint(id)
            })
        };
        start.wait();
        // SAFETY: sock is open; nng_socket_close also closes its endpoints.
        check(unsafe { nng_socket_close(sock) }, "nng_socket_close");
        let rv = closer.join().expect("closer thread");
        // The endpoint was closed by one thread or the other.
        assert!(
            rv == 0 || rv == NNG_ENOENT as i32 || rv == NNG_ECLOSED as i32,
            "closing the endpoint: {rv}"
        );
        rounds += 1;
    }
    rounds
}

#[test]
fn dialer_close_racing_socket_close() {
    let url = CString::new("tcp://127.0.0.1:1").unwrap();
    let rounds = hammer(
        |sock| {
            let mut d = nng_dialer::default();
            // SAFETY: d is a valid out-pointer, sock is open, url a C string.
            check(
                unsafe { nng_dialer_create(&mut d, sock, url.as_ptr()) },
                "nng_dialer_create",
            );
            // A started dialer (its connection to a closed port retrying)
            // takes longer to shut down: a wider window.
            // SAFETY: d is a valid dialer.
            check(
                unsafe { nng_dialer_start(d, NNG_FLAG_NONBLOCK as i32) },
                "nng_dialer_start",
            );
            d.id
        },
        // SAFETY: closing any dialer id is allowed; a stale one reports ENOENT.
        |id| unsafe { nng_dialer_close(nng_dialer { id }) },
    );
    eprintln!("{rounds} rounds of nng_dialer_close against nng_socket_close");
}

#[test]
fn listener_close_racing_socket_close() {
    let url = CString::new("tcp://127.0.0.1:0").unwrap();
    let rounds = hammer(
        |sock| {
            let mut l = nng_listener::default();
            // SAFETY: l is a valid out-pointer, sock is open, url a C string.
            check(
                unsafe { nng_listener_create(&mut l, sock, url.as_ptr()) },
                "nng_listener_create",
            );
            // SAFETY: l is a valid listener.
            check(unsafe { nng_listener_start(l, 0) }, "nng_listener_start");
            l.id
        },
        // SAFETY: closing any listener id is allowed; a stale one reports ENOENT.
        |id| unsafe { nng_listener_close(nng_listener { id }) },
    );
    eprintln!("{rounds} rounds of nng_listener_close against nng_socket_close");
}
