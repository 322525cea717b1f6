//! nng-sys's fix `ipc-dial-backlog-full` (nng-sys/build/patch.rs,
//! nng-sys/patches/README.md): ipc:// dials to a listener whose backlog is
//! full. On Linux a non-blocking `connect` to such a Unix domain socket fails
//! with `EAGAIN`, and no connection is then in progress. nng 2.0.0 took that
//! as an asynchronous connect which it never finishes (`ipc_dialer_dial`
//! clears `c->dial_aio` before returning, so the poller's callback drops the
//! event): a synchronous dial hung until given up, and a background dialer
//! never redialled, even once the listener accepted again. With the fix the
//! dial fails at once with `ConnectionRefused`, as a dial to a path nobody
//! listens on does, and a background dialer retries after its back-off.
//!
//! The backlog is filled deterministically (`full_unix_backlog`: a listener
//! with a backlog of 0 that never accepts, connected to until `EAGAIN`).
//! Nothing here is decided by a timing: each test waits for what it expects,
//! and only its watchdog (`within`) bounds the wait, so without the fix
//! (`NNG_SYS_SKIP_FIXES=ipc-dial-backlog-full`) both tests fail by hanging
//! until their watchdog fires.
#![cfg(target_os = "linux")] // EAGAIN for a full backlog is Linux's answer

mod common;

use common::churn::client;
use common::*;
use nng::pipe::PipeEvent;
use nng::{Error, Protocol};
use std::sync::mpsc::channel;
use std::sync::Mutex;
use std::time::Duration;

/// The path of an `ipc://` URL.
fn path_of(url: &str) -> String {
    url.strip_prefix("ipc://").unwrap().to_string()
}

/// The dialer's `refused` counter (`NNG_ECONNREFUSED` results).
fn refused(d: &nng::Dialer) -> u64 {
    let snap = nng::Statistics::get().unwrap();
    let scope = snap.dialer(d).expect("dialer statistics");
    counter(&scope, "refused")
}

/// A synchronous dial (`Socket::dial`, `Dialer::start`, and the future of
/// `Socket::dial_async`) to a full backlog fails at once with
/// `Error::ConnectionRefused`, counted as refused by the dialer, instead of
/// waiting for good, while the backlog stays full (a connect afterwards is
/// still refused with `EAGAIN`); once nng serves the path, the same socket
/// dials it.
#[test]
fn dial_to_a_full_backlog_is_refused_at_once() {
    within(
        scaled(Duration::from_secs(10)),
        "synchronous ipc dial to a full backlog",
        || {
            let url = ipc_url("backlog-sync");
            let path = path_of(&url);
            let (server, queued) = full_unix_backlog(&path);
            let req = socket(Protocol::Req0);

            assert_eq!(req.dial(&url), Err(Error::ConnectionRefused));
            let d = req.dialer(&url).unwrap();
            assert_eq!(d.start(), Err(Error::ConnectionRefused));
            assert_eq!(refused(&d), 1);
            let r = futures::executor::block_on(req.dial_async(&url));
            assert_eq!(r, Err(Error::ConnectionRefused));

            // The backlog was full all along: a connect is still refused.
            let probe = unix_connect_nonblocking(&path).map(drop);
            assert_eq!(probe.map_err(|e| e.raw_os_error()), Err(Some(libc::EAGAIN)));
            eprintln!("{} connections queued in the full backlog", queued.len());

            // The path served by nng: the same socket dials it.
            drop((server, queued));
            std::fs::remove_file(&path).unwrap();
            let rep = socket(Protocol::Rep0);
            rep.listen(&url).unwrap();
            let echo = Echo::serve(&rep);
            req.dial(&url).unwrap();
            round_trip(&req, "after a refused dial");
            drop(echo);
        },
    );
}

/// A background dialer (`Dialer::start_background`, redialling every 10 to
/// 50 ms) to a full backlog: its attempts are refused (the `refused` counter
/// reaches 2, so it has redialled with the backlog still full), and nothing
/// connects to the listener that never accepts. Then that listener goes (its
/// backlog with it) and a rep0 listener of nng takes the path: the dialer
/// connects by itself (its pipe's `AddPost`) and a request gets its reply.
#[test]
fn background_dialer_connects_once_the_full_backlog_is_gone() {
    within(
        scaled(Duration::from_secs(20)),
        "background ipc dialer after a full backlog",
        || {
            let url = ipc_url("backlog-bg");
            let path = path_of(&url);
            let (server, queued) = full_unix_backlog(&path);

            let req = client(Protocol::Req0);
            let (tx, rx) = channel();
            let tx = Mutex::new(tx);
            req.pipe_notify(PipeEvent::AddPost, move |_, p| {
                let _ = tx.lock().unwrap().send(p.dialer().map(|d| d.id()));
            })
            .unwrap();
            let d = req.dialer(&url).unwrap();
            d.start_background().unwrap();

            // Refused, and refused again after the back-off. (Without the
            // fix the first attempt never ends: this waits for good.)
            while refused(&d) < 2 {
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(rx.try_recv().is_err(), "connected to a full backlog");

            // The full backlog goes with its listener; nng listens there.
            drop((server, queued));
            std::fs::remove_file(&path).unwrap();
            let rep = socket(Protocol::Rep0);
            rep.listen(&url).unwrap();
            let echo = Echo::serve(&rep);

            assert_eq!(rx.recv().unwrap(), Some(d.id()), "the pipe's dialer");
            round_trip(&req, "after the full backlog");
            eprintln!(
                "background dialer refused {} times, then connected",
                refused(&d)
            );
            drop(echo);
        },
    );
}
