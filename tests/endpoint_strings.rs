//! Strings read from dialers and listeners while other threads change or
//! close them (issue 17, scenario 3): every read returns one of the values
//! that were set, or an error, never freed memory.
//!
//! Freed memory is made visible without a sanitizer: glibc's `M_PERTURB`
//! fills freed blocks, so a string copied after nng freed it reads as garbage.

use nng::options::WsProtocol;
use nng::{Dialer, Listener, Protocol, Socket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

/// Makes glibc fill freed blocks (process-wide: this binary's own setting).
fn perturb_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        const M_PERTURB: std::ffi::c_int = -6;
        // SAFETY: mallopt only changes glibc's allocator settings; M_PERTURB
        // takes any byte value.
        unsafe { mallopt(M_PERTURB, 0xa5) };
    }
}

const ITERATIONS: usize = 100_000;
const VALUES: [&str; 2] = ["first.sp.example", "a-longer-second-protocol.sp.example"];

/// Reads `get` on one thread while another alternates `set` between
/// [`VALUES`]; every read must be the initial value or one of them.
fn get_while_set(get: impl Fn() -> String + Sync, set: impl Fn(&str) + Sync, initial: &str) {
    perturb_freed_memory();
    let start = Barrier::new(2);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            start.wait();
            for i in 0..ITERATIONS {
                set(VALUES[i % 2]);
            }
            done.store(true, Ordering::Release);
        });
        start.wait();
        let mut reads = 0usize;
        while !done.load(Ordering::Acquire) || reads < ITERATIONS {
            let v = get();
            assert!(
                v == initial || VALUES.contains(&v.as_str()),
                "read {v:?} after {reads} reads: not a value that was set"
            );
            reads += 1;
        }
    });
}

#[test]
fn dialer_ws_protocol_read_while_set() {
    let s = Socket::new(Protocol::Pair1).unwrap();
    let d = Dialer::new(&s, "ws://127.0.0.1:1/strings").unwrap();
    let initial = d.get_opt::<WsProtocol>().unwrap();
    get_while_set(
        || d.get_opt::<WsProtocol>().unwrap(),
        |v| d.set_opt::<WsProtocol>(v.to_string()).unwrap(),
        &initial,
    );
}

#[test]
fn listener_ws_protocol_read_while_set() {
    let s = Socket::new(Protocol::Pair1).unwrap();
    let l = Listener::new(&s, "ws://127.0.0.1:0/strings").unwrap();
    let initial = l.get_opt::<WsProtocol>().unwrap();
    get_while_set(
        || l.get_opt::<WsProtocol>().unwrap(),
        |v| l.set_opt::<WsProtocol>(v.to_string()).unwrap(),
        &initial,
    );
}

/// `read` (a URL or a string option) on one thread while another closes the
/// socket, which closes and frees the endpoint: the value or an error, never
/// garbage.
/// nng shares one HTTP server among ws listeners of the same host and port,
/// port 0 included: the tests that start them take turns.
static WS_LISTENERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn read_while_socket_closes<E: Send + Sync>(
    make: impl Fn(&Socket) -> (E, String),
    read: impl Fn(&E) -> nng::Result<String> + Sync,
) {
    perturb_freed_memory();
    let _turn = WS_LISTENERS.lock().unwrap_or_else(|p| p.into_inner());
    for _ in 0..300 {
        let s = Arc::new(Socket::new(Protocol::Pair1).unwrap());
        let (ep, expected) = make(&s);
        let start = Barrier::new(2);
        thread::scope(|sc| {
            sc.spawn(|| {
                start.wait();
                s.close().unwrap();
            });
            start.wait();
            // Until the endpoint is gone (an error).
            while let Ok(v) = read(&ep) {
                assert_eq!(v, expected, "a value read while its socket closed");
            }
        });
    }
}

#[test]
fn dialer_url_read_while_socket_closes() {
    read_while_socket_closes(
        |s| {
            let d = Dialer::new(s, "ws://127.0.0.1:1/a/long/enough/path/to/notice").unwrap();
            let u = d.url().unwrap();
            (d, u)
        },
        |d| d.url(),
    );
}

#[test]
fn listener_url_read_while_socket_closes() {
    read_while_socket_closes(
        |s| {
            let l = Listener::new(s, "ws://127.0.0.1:0/a/long/enough/path/to/notice").unwrap();
            l.start().unwrap();
            let u = l.url().unwrap();
            (l, u)
        },
        |l| l.url(),
    );
}

#[test]
fn dialer_ws_protocol_read_while_socket_closes() {
    read_while_socket_closes(
        |s| {
            let d = Dialer::new(s, "ws://127.0.0.1:1/p").unwrap();
            d.set_opt::<WsProtocol>(VALUES[1].to_string()).unwrap();
            (d, VALUES[1].to_string())
        },
        |d| d.get_opt::<WsProtocol>(),
    );
}

#[test]
fn listener_ws_protocol_read_while_socket_closes() {
    read_while_socket_closes(
        |s| {
            let l = Listener::new(s, "ws://127.0.0.1:0/p").unwrap();
            l.set_opt::<WsProtocol>(VALUES[1].to_string()).unwrap();
            l.start().unwrap();
            (l, VALUES[1].to_string())
        },
        |l| l.get_opt::<WsProtocol>(),
    );
}
