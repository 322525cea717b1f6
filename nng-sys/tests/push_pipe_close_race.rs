//! Regression test for nng 2.0.0's push0 pipe close race (fixed in C by
//! `build/patch.rs`; described in `patches/README.md`,
//! "push-pipe-close-race").
//!
//! A push0 pipe whose send completes just before the pipe is closed puts
//! itself back on the socket's list of ready pipes from the send's callback,
//! after `push0_pipe_close` took it off. The pipe is then freed while still
//! listed; the socket's next send hands a message to it, and the next
//! removal of a neighbour writes into it.
//!
//! Here a push socket sends without pause to pull sockets that are opened and
//! closed in rounds, so pipes close while their sends complete. glibc's
//! `M_PERTURB` fills freed memory, so a freed pipe still listed crashes the
//! process (or trips nng's assertions) without a sanitizer; ThreadSanitizer
//! and valgrind report the use after free.

use nng_sys::*;
use std::ffi::CString;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

mod common;
use common::{check, init, perturb_freed_memory, race_budget};

/// Pull sockets connected at once, each round.
const PEERS: usize = 8;

#[test]
fn push_sends_racing_pipe_closes() {
    init();
    perturb_freed_memory();
    let mut push = nng_socket::default();
    // SAFETY: push is a valid out-pointer.
    check(unsafe { nng_push0_open(&mut push) }, "nng_push0_open");

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (stop, sent) = (stop.clone(), sent.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: push is open until after this thread is joined;
                // nng_send copies the buffer.
                let rv =
                    unsafe { nng_send(push, b"m".as_ptr().cast(), 1, NNG_FLAG_NONBLOCK as i32) };
                if rv == 0 {
                    sent.fetch_add(1, Ordering::Relaxed);
                } else {
                    thread::yield_now(); // no ready pipe, or the queue is full
                }
            }
        })
    };

    let end = Instant::now() + race_budget(3.0);
    let mut rounds = 0u64;
    while Instant::now() < end {
        let mut pulls = Vec::with_capacity(PEERS);
        for k in 0..PEERS {
            let url = CString::new(format!("inproc://push-pipe-close-race-{rounds}-{k}")).unwrap();
            let mut pull = nng_socket::default();
            // SAFETY: pull is a valid out-pointer; url is a C string; push is
            // open.
            unsafe {
                check(nng_pull0_open(&mut pull), "nng_pull0_open");
                // Room for what the sender sends meanwhile, so that sends
                // keep completing until the close (nobody receives).
                check(
                    nng_socket_set_int(pull, NNG_OPT_RECVBUF.as_ptr().cast(), 8192),
                    "recv-buffer",
                );
                check(
                    nng_listen(pull, url.as_ptr(), ptr::null_mut(), 0),
                    "nng_listen",
                );
                check(nng_dial(push, url.as_ptr(), ptr::null_mut(), 0), "nng_dial");
            }
            pulls.push(pull);
        }
        // Let sends flow to the new pipes, then close them all under the
        // sender: each close reaps the push side's pipe.
        // SAFETY: nng_msleep only sleeps.
        unsafe { nng_msleep(1) };
        for pull in pulls {
            // SAFETY: pull is open; it is closed once.
            unsafe { nng_socket_close(pull) };
        }
        rounds += 1;
    }
    stop.store(true, Ordering::Relaxed);
    sender.join().expect("sender thread");
    // SAFETY: push is open and no other thread uses it any more.
    unsafe { nng_socket_close(push) };
    eprintln!(
        "{rounds} rounds of {PEERS} pipes closed under {} sends",
        sent.load(Ordering::Relaxed)
    );
    assert!(sent.load(Ordering::Relaxed) > 0, "no message was sent");
}
