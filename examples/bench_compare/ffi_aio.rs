//! The C baseline of the callback-aio path: `examples/perf.rs --api aio`'s
//! loops written against the raw C API (`nng::ffi`), one `nng_aio` per side
//! whose C callback starts the next operation. nng's C perf tools have no aio
//! mode, and a callback loop is not comparable with their blocking calls (it
//! avoids a thread wake-up per message), so the safe `Aio` is measured
//! against this: the same C calls a C program would make, with the callback
//! an `extern "C"` function.
//!
//! Run as `bench_compare --ffi-aio <mode> [<url>] <msg-size> <count>`, with
//! the modes and output lines of the perf tools.

#[path = "../common/perf_output.rs"]
mod output;

use nng::ffi;
use std::ffi::{c_void, CStr, CString};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

fn die(what: &str, rv: u32) -> ! {
    // SAFETY: nng_strerror returns a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ffi::nng_strerror(rv)) };
    eprintln!("{what}: {}", text.to_string_lossy());
    std::process::exit(2);
}

fn check(what: &str, rv: i32) {
    if rv != 0 {
        die(what, rv as u32);
    }
}

/// The four loops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    LatClient,
    LatServer,
    ThrServer,
    ThrClient,
}

/// Raised by the callback when its loop is over.
#[derive(Default)]
struct Done {
    flag: Mutex<bool>,
    cv: Condvar,
}

/// One callback loop's state. After the first operation starts, only the
/// callback touches it, until the loop is over and the aio freed.
struct Loop {
    role: Role,
    aio: *mut ffi::nng_aio,
    sock: ffi::nng_socket,
    size: usize,
    left: usize,
    sending: bool,
    /// Lives on the stack of [`run`], which waits for it.
    done: *const Done,
}

impl Loop {
    fn finish(&self) {
        // SAFETY: `run` keeps the Done alive until it has seen the flag.
        let done = unsafe { &*self.done };
        *done.flag.lock().unwrap() = true;
        done.cv.notify_all();
    }

    /// # Safety
    /// Called only from the aio callback, with the aio idle and `self.aio` live.
    unsafe fn step(&mut self) {
        // SAFETY (whole body): the aio is ours and idle (its operation just
        // completed); messages taken from it are ours until handed back.
        unsafe {
            let rv = ffi::nng_aio_result(self.aio);
            if rv != 0 {
                die(
                    if self.sending {
                        "nng_sendmsg"
                    } else {
                        "nng_recvmsg"
                    },
                    rv,
                );
            }
            match self.role {
                Role::LatClient if self.sending => {
                    self.sending = false;
                    ffi::nng_socket_recv(self.sock, self.aio);
                }
                Role::LatClient => {
                    let m = ffi::nng_aio_get_msg(self.aio);
                    self.left -= 1;
                    if self.left == 0 {
                        ffi::nng_msg_free(m);
                        self.finish();
                    } else {
                        self.send(m);
                    }
                }
                Role::LatServer if self.sending => {
                    self.left -= 1;
                    if self.left == 0 {
                        self.finish();
                    } else {
                        self.sending = false;
                        ffi::nng_socket_recv(self.sock, self.aio);
                    }
                }
                Role::LatServer => {
                    let m = ffi::nng_aio_get_msg(self.aio);
                    self.check_len(m);
                    self.send(m);
                }
                Role::ThrServer => {
                    let m = ffi::nng_aio_get_msg(self.aio);
                    self.check_len(m);
                    ffi::nng_msg_free(m);
                    self.left -= 1;
                    if self.left == 0 {
                        self.finish();
                    } else {
                        ffi::nng_socket_recv(self.sock, self.aio);
                    }
                }
                Role::ThrClient => {
                    if self.left == 0 {
                        self.finish();
                    } else {
                        self.left -= 1;
                        self.send(alloc(self.size));
                    }
                }
            }
        }
    }

    /// # Safety
    /// `m` is a live message we own; the aio is idle.
    unsafe fn send(&mut self, m: *mut ffi::nng_msg) {
        self.sending = true;
        // SAFETY: per the contract.
        unsafe {
            ffi::nng_aio_set_msg(self.aio, m);
            ffi::nng_socket_send(self.sock, self.aio);
        }
    }

    /// # Safety
    /// `m` is a live message.
    unsafe fn check_len(&self, m: *mut ffi::nng_msg) {
        // SAFETY: per the contract.
        let len = unsafe { ffi::nng_msg_len(m) };
        if len != self.size {
            eprintln!("wrong message size: {len} != {}", self.size);
            std::process::exit(2);
        }
    }
}

/// Extra work per callback, in spin iterations (`NNG_BENCH_CALLBACK_SPIN`,
/// default 0): the test of how much per-completion work moves nng's inproc
/// loop from its inline-completion regime to its hand-off regime
/// (docs/perf/PERFORMANCE.md). Read once.
fn spin_iterations() -> u64 {
    static SPIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SPIN.get_or_init(|| {
        std::env::var("NNG_BENCH_CALLBACK_SPIN")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// The aio callback: one step of the loop.
unsafe extern "C" fn callback(arg: *mut c_void) {
    let r = std::panic::catch_unwind(|| {
        for i in 0..spin_iterations() {
            std::hint::black_box(i);
        }
        // SAFETY: `arg` is the Loop given to nng_aio_alloc, alive until the
        // loop is finished and the aio freed; only this callback touches its
        // mutable fields while an operation runs.
        unsafe { (*arg.cast::<Loop>()).step() }
    });
    if r.is_err() {
        std::process::abort();
    }
}

fn alloc(size: usize) -> *mut ffi::nng_msg {
    let mut m = std::ptr::null_mut();
    // SAFETY: valid out-pointer.
    check("nng_msg_alloc", unsafe { ffi::nng_msg_alloc(&mut m, size) });
    m
}

/// Runs one loop to its end. `first` is the message of a first send (the
/// loop starts with a receive when it is null).
fn run(role: Role, sock: ffi::nng_socket, size: usize, left: usize, first: *mut ffi::nng_msg) {
    let done = Done::default();
    let arg = Box::into_raw(Box::new(Loop {
        role,
        aio: std::ptr::null_mut(),
        sock,
        size,
        left,
        sending: false,
        done: &done,
    }));
    // SAFETY: `arg` stays valid until freed below, after the aio; the aio is
    // started once here and from then on only by its own callback.
    unsafe {
        let rv = ffi::nng_aio_alloc(&mut (*arg).aio, Some(callback), arg.cast());
        if rv != 0 {
            die("nng_aio_alloc", rv);
        }
        if first.is_null() {
            ffi::nng_socket_recv(sock, (*arg).aio);
        } else {
            (*arg).send(first);
        }
    }
    let mut d = done.flag.lock().unwrap();
    while !*d {
        d = done.cv.wait(d).unwrap();
    }
    drop(d);
    // SAFETY: the loop is over, so the aio is idle; nng_aio_free waits for a
    // callback still returning, after which nothing refers to `arg`.
    unsafe {
        ffi::nng_aio_free((*arg).aio);
        drop(Box::from_raw(arg));
    }
}

fn open() -> ffi::nng_socket {
    let mut s = ffi::nng_socket::default();
    // SAFETY: valid out-pointer; nng is initialised by `child`.
    check("nng_socket", unsafe { ffi::nng_pair1_open(&mut s) });
    s
}

fn cstr(url: &str) -> CString {
    CString::new(url).expect("url without NUL")
}

fn latency_client(url: &str, size: usize, trips: usize) {
    let s = open();
    // SAFETY: NUL-terminated url; NULL dialer allowed.
    check("nng_dial", unsafe {
        ffi::nng_dial(s, cstr(url).as_ptr(), std::ptr::null_mut(), 0)
    });
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    if trips > 0 {
        run(Role::LatClient, s, size, trips, alloc(size));
    }
    let total = start.elapsed().as_secs_f64();
    // SAFETY: closing our socket.
    unsafe { ffi::nng_socket_close(s) };
    output::print_latency(total, size, trips);
}

fn latency_server(url: &str, size: usize, trips: usize) {
    let s = open();
    // SAFETY: NUL-terminated url; NULL listener allowed.
    check("nng_listen", unsafe {
        ffi::nng_listen(s, cstr(url).as_ptr(), std::ptr::null_mut(), 0)
    });
    if trips > 0 {
        run(Role::LatServer, s, size, trips, std::ptr::null_mut());
    }
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: closing our socket.
    unsafe { ffi::nng_socket_close(s) };
}

fn throughput_server(url: &str, size: usize, count: usize) {
    let s = open();
    // SAFETY: NUL-terminated option name and url; valid out-pointer.
    unsafe {
        check(
            "nng_socket_set(nng_opt_recvbuf)",
            ffi::nng_socket_set_int(s, ffi::NNG_OPT_RECVBUF.as_ptr().cast(), 128),
        );
        check(
            "nng_listen",
            ffi::nng_listen(s, cstr(url).as_ptr(), std::ptr::null_mut(), 0),
        );
        let mut m = std::ptr::null_mut();
        check("nng_recvmsg", ffi::nng_recvmsg(s, &mut m, 0));
        ffi::nng_msg_free(m);
    }
    let start = Instant::now();
    if count > 0 {
        run(Role::ThrServer, s, size, count, std::ptr::null_mut());
    }
    let total = start.elapsed().as_secs_f64();
    // SAFETY: a zero-length send from a valid pointer; closing our socket.
    unsafe {
        ffi::nng_send(s, c"".as_ptr().cast(), 0, 0);
        std::thread::sleep(Duration::from_millis(200));
        ffi::nng_socket_close(s);
    }
    output::print_throughput(total, size, count);
}

fn throughput_client(url: &str, size: usize, count: usize) {
    let s = open();
    // SAFETY: NUL-terminated option names and url; messages handed to nng.
    unsafe {
        check(
            "nng_socket_set(nng_opt_sendbuf)",
            ffi::nng_socket_set_int(s, ffi::NNG_OPT_SENDBUF.as_ptr().cast(), 128),
        );
        check(
            "nng_socket_set(nng_opt_recvtimeo)",
            ffi::nng_socket_set_ms(s, ffi::NNG_OPT_RECVTIMEO.as_ptr().cast(), 5000),
        );
        check(
            "nng_dial",
            ffi::nng_dial(s, cstr(url).as_ptr(), std::ptr::null_mut(), 0),
        );
        check("nng_sendmsg", ffi::nng_sendmsg(s, alloc(0), 0));
    }
    // count + 1 sized messages, as the C tool sends.
    run(Role::ThrClient, s, size, count, alloc(size));
    let mut m = std::ptr::null_mut();
    // SAFETY: valid out-pointer; a received message is ours to free.
    unsafe {
        if ffi::nng_recvmsg(s, &mut m, 0) == 0 {
            ffi::nng_msg_free(m);
        }
        ffi::nng_socket_close(s);
    }
}

/// `bench_compare --ffi-aio <mode> [<url>] <msg-size> <count>`.
pub fn child(args: &[String]) {
    // SAFETY: NULL asks for default parameters.
    unsafe { ffi::nng_init(std::ptr::null()) };
    let num = |s: &String| -> usize { s.parse().expect("a number") };
    let (mode, rest) = args.split_first().expect("a mode");
    type Side = fn(&str, usize, usize);
    let inproc = |url: &'static str, server: Side, client: Side| {
        let (size, n) = (num(&rest[0]), num(&rest[1]));
        let t = std::thread::spawn(move || server(url, size, n));
        std::thread::sleep(Duration::from_millis(100));
        client(url, size, n);
        t.join().expect("server thread");
    };
    match mode.as_str() {
        "inproc_lat" => inproc("inproc://latency_test", latency_server, latency_client),
        "inproc_thr" => inproc(
            "inproc://throughput-test",
            throughput_server,
            throughput_client,
        ),
        m => {
            let side: Side = match m {
                "local_lat" => latency_server,
                "remote_lat" => latency_client,
                "local_thr" => throughput_server,
                "remote_thr" => throughput_client,
                _ => panic!("unknown mode {m}"),
            };
            side(&rest[0], num(&rest[1]), num(&rest[2]));
        }
    }
}
