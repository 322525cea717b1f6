//! Regression test for a context opened while its socket closes (fixed in C
//! by `build/patch.rs`; described in `patches/README.md`,
//! "ctx-open-close-race").
//!
//! `nni_ctx_open` puts the new context on the socket's list, then sees the
//! socket closing and releases it. If the shutdown had already marked the
//! socket's contexts closed, the new one is not marked, so the release does
//! not free it: it stays on the list with no reference, and
//! `nng_socket_close` waits for the list to empty forever.

use nng_sys::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

mod common;
use common::{check, init};

const ROUNDS: usize = 300;

#[test]
fn a_context_opened_during_close_does_not_hang_the_close() {
    init();
    for round in 0..ROUNDS {
        let mut s = nng_socket::default();
        // SAFETY: a valid out-pointer.
        check(unsafe { nng_rep0_open(&mut s) }, "nng_rep0_open");
        let stop = Arc::new(AtomicBool::new(false));
        // Two threads open (and close) contexts as fast as they can while
        // the socket closes: some opens land after the shutdown's marking.
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let mut c = nng_ctx::default();
                        // SAFETY: a valid out-pointer; the socket is an id.
                        if unsafe { nng_ctx_open(&mut c, s) } == 0 {
                            // SAFETY: closing the context just opened.
                            unsafe { nng_ctx_close(c) };
                        } else {
                            break; // the socket is closed
                        }
                    }
                })
            })
            .collect();
        thread::sleep(Duration::from_micros((round % 7) as u64 * 50));
        let (tx, rx) = mpsc::channel();
        let closer = thread::spawn(move || {
            // SAFETY: closing the socket's id.
            let rv = unsafe { nng_socket_close(s) };
            let _ = tx.send(rv);
        });
        let rv = rx.recv_timeout(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        assert!(
            rv.is_ok(),
            "round {round}: nng_socket_close did not return within 10 s (a context left on the socket's list)"
        );
        closer.join().unwrap();
        for o in openers {
            o.join().unwrap();
        }
    }
}
