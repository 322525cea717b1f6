//! Regression tests for nng 2.0.0's tcp connection leaks (fixed in C by
//! `build/patch.rs`; described in `patches/README.md`, "tcp-conn-leak").
//!
//! A connection that the platform code completes (accepted, or dialed) just
//! as the aio waiting for it is stopped: nng turns the success into
//! `NNG_ESTOPPED`, and the callbacks' error paths never look at the
//! connection left in the aio's output, so it is never freed. Each leaked
//! connection keeps its file descriptor, so the tests count this process's
//! open descriptors (valgrind shows the same as "definitely lost" blocks from
//! `nni_posix_tcp_alloc`).

use nng_sys::*;
use std::ffi::CString;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{check, init};

/// The tests count the process's descriptors: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const ROUNDS: u32 = 400;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Waits (up to 5 s: nng frees connections on its reaper thread) for the
/// descriptor count to come back to `before`, and returns how many stayed.
fn leaked_fds(before: usize) -> usize {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let now = open_fds();
        if now <= before || Instant::now() > end {
            return now.saturating_sub(before);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn pair_socket() -> nng_socket {
    let mut sock = nng_socket::default();
    // SAFETY: sock is a valid out-pointer.
    check(unsafe { nng_pair0_open(&mut sock) }, "nng_pair0_open");
    sock
}

fn close(sock: nng_socket) {
    // SAFETY: sock is open; closing it stops its endpoints.
    check(unsafe { nng_socket_close(sock) }, "nng_socket_close");
}

/// Spins for `us` microseconds (sleeping is too coarse to sweep the window).
fn pause_us(us: u64) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_micros(us) {
        std::hint::spin_loop();
    }
}

/// A listening socket closed while a client keeps connecting to it.
#[test]
fn no_connection_leaks_when_a_listener_stops_while_accepting() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    init();
    let url = CString::new("tcp://127.0.0.1:0").unwrap();
    let opt = CString::new("bound-port").unwrap();
    let before = open_fds();
    for round in 0..ROUNDS {
        let sock = pair_socket();
        let mut l = nng_listener::default();
        // SAFETY: l is a valid out-pointer, sock is open, url a C string.
        check(
            unsafe { nng_listener_create(&mut l, sock, url.as_ptr()) },
            "nng_listener_create",
        );
        // SAFETY: l is a valid listener.
        check(unsafe { nng_listener_start(l, 0) }, "nng_listener_start");
        let mut port = 0;
        // SAFETY: l is valid, opt a C string, port a valid out-pointer.
        check(
            unsafe { nng_listener_get_int(l, opt.as_ptr(), &mut port) },
            "bound-port",
        );
        let stop = Arc::new(AtomicBool::new(false));
        let client = {
            let stop = stop.clone();
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Refused once the listener is closed; dropped at once.
                    let _ = TcpStream::connect(("127.0.0.1", port as u16));
                }
            })
        };
        pause_us(200 + u64::from(round % 20) * 100);
        close(sock);
        stop.store(true, Ordering::Relaxed);
        client.join().expect("client thread");
    }
    let leaked = leaked_fds(before);
    assert_eq!(leaked, 0, "{leaked} accepted connections never freed");
}

/// A dialing socket closed as its connections complete.
#[test]
fn no_connection_leaks_when_a_dialer_stops_while_connecting() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    init();
    let server = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    server.set_nonblocking(true).unwrap();
    let acceptor = {
        let stop = stop.clone();
        thread::spawn(move || {
            // Accept and drop: the dialer sees its connection complete, then
            // reset.
            while !stop.load(Ordering::Relaxed) {
                match server.accept() {
                    Ok(_) => {}
                    Err(_) => thread::sleep(Duration::from_micros(100)),
                }
            }
        })
    };
    let url = CString::new(format!("tcp://127.0.0.1:{port}")).unwrap();
    let before = open_fds();
    for round in 0..ROUNDS {
        let sock = pair_socket();
        let mut d = nng_dialer::default();
        // SAFETY: d is a valid out-pointer, sock is open, url a C string.
        check(
            unsafe { nng_dialer_create(&mut d, sock, url.as_ptr()) },
            "nng_dialer_create",
        );
        // SAFETY: d is a valid dialer.
        check(
            unsafe { nng_dialer_start(d, NNG_FLAG_NONBLOCK as i32) },
            "nng_dialer_start",
        );
        pause_us(u64::from(round % 40) * 10);
        close(sock);
    }
    let leaked = leaked_fds(before);
    stop.store(true, Ordering::Relaxed);
    acceptor.join().expect("acceptor thread");
    assert_eq!(leaked, 0, "{leaked} dialed connections never freed");
}
