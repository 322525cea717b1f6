//! Resident memory: many open sockets (each with a listener), and many
//! receive operations in flight, through the safe API and through the raw C
//! API.
//!
//! "The same in C" is the raw FFI (`nng::ffi`) driven from a Rust child
//! process: the very C calls a C program would make, with no Rust wrapper in
//! between. Each measurement runs in a fresh child process and reports the
//! growth of `VmRSS` from a warmed-up baseline to the end, so the Rust
//! runtime's fixed footprint cancels out and only per-object costs remain.

use crate::report::{Row, Section};
use crate::Config;
use nng::ffi;
use std::process::Command;

/// Sockets (each with a tcp listener) in the socket measurement.
const SOCKETS: usize = 1000;
/// Receive aios in flight on one socket in the aio measurement.
const AIOS: usize = 10_000;

/// The rows of the memory section.
pub fn rows(cfg: &Config) -> Vec<Row> {
    let reps = cfg.rounds.min(3);
    let measure = |mode: &str| -> Vec<Option<f64>> { (0..reps).map(|_| run_child(mode)).collect() };
    let row = |what: String, mode: &str| {
        let c = measure(&format!("{mode}-c"));
        let r = measure(&format!("{mode}-rust"));
        Row::new(
            Section::Memory,
            &what,
            0,
            "RSS growth [KiB]",
            "safe",
            false,
            None,
            &c,
            &r,
        )
    };
    vec![
        row(format!("{SOCKETS} sockets + tcp listeners"), "sockets"),
        row(format!("{AIOS} receive aios in flight"), "aios"),
    ]
}

fn run_child(mode: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(["--mem-child", mode])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .lines()
        .find_map(|l| l.strip_prefix("rss_kib "))
        .and_then(|v| v.trim().parse().ok());
    if v.is_none() {
        eprintln!(
            "memory child {mode} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    v
}

/// Resident set size of this process in KiB.
fn rss_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .expect("reading VmRSS")
}

/// Lets the process hold a few thousand descriptors.
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-pointer for getrlimit, and a valid input
    // for setrlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

const URL: &str = "tcp://127.0.0.1:0";

/// One socket with a started listener through the safe API.
fn safe_socket() -> (nng::Socket, nng::Listener) {
    let s = nng::Socket::new(nng::Protocol::Pair1).expect("socket");
    let l = nng::Listener::new(&s, URL).expect("listener");
    l.start().expect("listen");
    (s, l)
}

/// The same through the raw C API.
fn c_socket() -> (ffi::nng_socket, ffi::nng_listener) {
    let url = std::ffi::CString::new(URL).expect("url");
    let mut s = ffi::nng_socket::default();
    let mut l = ffi::nng_listener::default();
    // SAFETY: valid out-pointers and a NUL-terminated URL; nng was
    // initialised by the caller.
    unsafe {
        assert_eq!(ffi::nng_pair1_open(&mut s), 0);
        assert_eq!(ffi::nng_listener_create(&mut l, s, url.as_ptr()), 0);
        assert_eq!(ffi::nng_listener_start(l, 0), 0);
    }
    (s, l)
}

/// The child process: build the objects, print the RSS growth.
pub fn child(mode: &str) {
    raise_fd_limit();
    // SAFETY: NULL asks for default parameters; a second init (the safe
    // layer's) is reference counted.
    unsafe { ffi::nng_init(std::ptr::null()) };
    match mode {
        "sockets-rust" => {
            drop(safe_socket()); // warm up nng's threads and tables
            let mut v = Vec::with_capacity(SOCKETS);
            let before = rss_kib();
            for _ in 0..SOCKETS {
                v.push(safe_socket());
            }
            println!("rss_kib {}", rss_kib() - before);
        }
        "sockets-c" => {
            let (s, _) = c_socket();
            // SAFETY: closing a socket id we opened.
            unsafe { ffi::nng_socket_close(s) };
            let mut v = Vec::with_capacity(SOCKETS);
            let before = rss_kib();
            for _ in 0..SOCKETS {
                v.push(c_socket());
            }
            println!("rss_kib {}", rss_kib() - before);
        }
        "aios-rust" => {
            let s = nng::Socket::new(nng::Protocol::Pull0).expect("socket");
            let warm = nng::Aio::new(|_, _| {}).expect("aio");
            drop(warm);
            let mut v = Vec::with_capacity(AIOS);
            let before = rss_kib();
            for _ in 0..AIOS {
                let aio = nng::Aio::new(|_, _| {}).expect("aio");
                aio.recv(&s).expect("recv");
                v.push(aio);
            }
            println!("rss_kib {}", rss_kib() - before);
            drop(s); // completes them all with Closed
        }
        "aios-c" => {
            let mut s = ffi::nng_socket::default();
            // SAFETY: valid out-pointer.
            assert_eq!(unsafe { ffi::nng_pull0_open(&mut s) }, 0);
            let mut warm = std::ptr::null_mut();
            // SAFETY: valid out-pointer; freed at once, never started.
            unsafe {
                assert_eq!(ffi::nng_aio_alloc(&mut warm, None, std::ptr::null_mut()), 0);
                ffi::nng_aio_free(warm);
            }
            let mut v = Vec::with_capacity(AIOS);
            let before = rss_kib();
            for _ in 0..AIOS {
                let mut aio = std::ptr::null_mut();
                // SAFETY: valid out-pointer; no callback; the aio is started
                // once and freed only after the socket is closed.
                unsafe {
                    assert_eq!(ffi::nng_aio_alloc(&mut aio, None, std::ptr::null_mut()), 0);
                    ffi::nng_socket_recv(s, aio);
                }
                v.push(aio);
            }
            println!("rss_kib {}", rss_kib() - before);
            // SAFETY: closing completes every receive; then each aio is idle
            // and ours to free.
            unsafe {
                ffi::nng_socket_close(s);
                for aio in v {
                    ffi::nng_aio_wait(aio);
                    ffi::nng_aio_free(aio);
                }
            }
        }
        other => panic!("unknown memory mode {other}"),
    }
}
