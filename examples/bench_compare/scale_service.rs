//! The service process of the scale section: one rep0 socket served by
//! [`CONTEXTS`] contexts, or one pub0 socket, written twice: on the safe API
//! (`Context` + callback `Aio`, the crate's server pattern of
//! `examples/async_server.rs`; `Socket::send` for pub0) and on the raw C API
//! (`nng_ctx` + `nng_aio` with an `extern "C"` callback; `nng_sendmsg`).
//!
//! Run as `bench_compare --scale-service <rep|pub> <c|rust>`. It listens on a
//! free tcp port of 127.0.0.1, prints `ready <port>`, then obeys lines on
//! stdin:
//!
//! - `wait N`: waits (at most 120 s) until N pipes were added, prints `pipes <n>`;
//! - `go` (pub0): starts publishing 64-byte messages as fast as `send` returns;
//! - `stop` (pub0): stops publishing, prints `sent <messages> <seconds>`;
//!
//! and exits at the end of stdin. Both sides count added pipes with a pipe
//! event callback (`AddPost`), the crate's `Socket::pipe_notify` or
//! `nng_pipe_notify`, so that cost is the same on both.

use crate::scale::{Proto, Side, CONTEXTS, MSG};
use nng::aio::{Aio, AioResult};
use nng::ffi;
use nng::{Context, Message, PipeEvent, Protocol, Socket};
use std::any::Any;
use std::ffi::c_void;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const URL: &str = "tcp://127.0.0.1:0";

/// Pipes added so far (both sides' pipe callbacks count here).
static ADDED: AtomicUsize = AtomicUsize::new(0);

fn die(what: &str, rv: i64) -> ! {
    eprintln!("scale service: {what} failed: {rv}");
    std::process::exit(2);
}

fn check(what: &str, rv: impl Into<i64>) {
    let rv = rv.into();
    if rv != 0 {
        die(what, rv);
    }
}

/// `bench_compare --scale-service <rep|pub> <c|rust>`.
pub fn child(args: &[String]) {
    crate::mem::raise_fd_limit();
    let (proto, side) = match args {
        [p, s] => (Proto::from_flag(p), Side::from_flag(s)),
        _ => panic!("--scale-service <rep|pub> <c|rust>"),
    };
    // SAFETY: NULL asks for default parameters; the safe layer's own init is
    // reference counted.
    unsafe { ffi::nng_init(std::ptr::null()) };
    let (port, mut publish, _keep): (u16, Publish, Box<dyn Any>) = match (proto, side) {
        (Proto::Rep, Side::Rust) => rust_rep(),
        (Proto::Rep, Side::C) => c_rep(),
        (Proto::Pub, Side::Rust) => rust_pub(),
        (Proto::Pub, Side::C) => c_pub(),
    };
    println!("ready {port}");
    let _ = std::io::stdout().flush();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let mut publisher = None;
    let mut started = Instant::now();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("wait"), Some(n)) => {
                let n: usize = n.parse().expect("a pipe count");
                let deadline = Instant::now() + Duration::from_secs(120);
                while ADDED.load(Ordering::Relaxed) < n && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                println!("pipes {}", ADDED.load(Ordering::Relaxed));
            }
            (Some("go"), None) => {
                let (stop, sent) = (stop.clone(), sent.clone());
                let publish = publish.take().expect("one go, for pub0");
                started = Instant::now();
                publisher = Some(std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if publish() {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            (Some("stop"), None) => {
                stop.store(true, Ordering::Relaxed);
                if let Some(p) = publisher.take() {
                    p.join().expect("publisher");
                }
                println!(
                    "sent {} {}",
                    sent.load(Ordering::Relaxed),
                    started.elapsed().as_secs_f64()
                );
            }
            _ => panic!("scale service: unknown command {line:?}"),
        }
        let _ = std::io::stdout().flush();
    }
    // Leave without closing 5,000 pipes one by one: the process is done.
    std::process::exit(0);
}

/// One publication (pub0 only): whether the message was accepted.
type Publish = Option<Box<dyn Fn() -> bool + Send>>;

fn rust_listen(sock: &Socket) -> (u16, nng::Listener) {
    sock.pipe_notify(PipeEvent::AddPost, |_, _| {
        ADDED.fetch_add(1, Ordering::Relaxed);
    })
    .expect("pipe_notify");
    let l = sock.listener(URL).expect("listener");
    l.start().expect("listen");
    (l.port().expect("port"), l)
}

/// One rep0 worker: a context and an Aio whose callback replies to each
/// request with the request itself, then receives the next.
fn rust_worker(rep: &Socket) -> Aio {
    let ctx = Arc::new(Context::new(rep).expect("context"));
    let c = ctx.clone();
    let aio = Aio::new(move |aio, result| match result {
        AioResult::Recv(Ok(request)) => {
            if let Err(e) = aio.send(&*c, request) {
                if e.error != nng::Error::Closed && e.error != nng::Error::Stopped {
                    let _ = aio.recv(&*c);
                }
            }
        }
        AioResult::Send(Ok(())) => {
            let _ = aio.recv(&*c);
        }
        other => match other.error() {
            Some(nng::Error::Closed | nng::Error::Stopped) | None => {}
            Some(_) => {
                let _ = aio.recv(&*c);
            }
        },
    })
    .expect("aio");
    aio.recv(&*ctx).expect("recv");
    aio
}

fn rust_rep() -> (u16, Publish, Box<dyn Any>) {
    let rep = Socket::new(Protocol::Rep0).expect("socket");
    let workers: Vec<Aio> = (0..CONTEXTS).map(|_| rust_worker(&rep)).collect();
    let (port, l) = rust_listen(&rep);
    (port, None, Box::new((rep, l, workers)))
}

fn rust_pub() -> (u16, Publish, Box<dyn Any>) {
    let sock = Arc::new(Socket::new(Protocol::Pub0).expect("socket"));
    let (port, l) = rust_listen(&sock);
    let s = sock.clone();
    let publish = Box::new(move || s.send(Message::with_len(MSG)).is_ok());
    (port, Some(publish), Box::new((sock, l)))
}

unsafe extern "C" fn c_added(_: ffi::nng_pipe, _: ffi::nng_pipe_ev, _: *mut c_void) {
    ADDED.fetch_add(1, Ordering::Relaxed);
}

fn c_listen(s: ffi::nng_socket) -> u16 {
    let mut l = ffi::nng_listener::default();
    let mut port = 0;
    let url = std::ffi::CString::new(URL).expect("url");
    // SAFETY: a socket we opened, a C callback that touches only a static,
    // a NUL-terminated URL and option name, valid out-pointers.
    unsafe {
        check(
            "nng_pipe_notify",
            ffi::nng_pipe_notify(
                s,
                ffi::NNG_PIPE_EV_ADD_POST,
                Some(c_added),
                std::ptr::null_mut(),
            ),
        );
        check("nng_listen", ffi::nng_listen(s, url.as_ptr(), &mut l, 0));
        check(
            "nng_listener_get_int",
            ffi::nng_listener_get_int(l, ffi::NNG_OPT_BOUND_PORT.as_ptr().cast(), &mut port),
        );
    }
    u16::try_from(port).expect("a port")
}

/// One C rep0 worker: its context and aio, and whether a send is in flight.
/// Only its callback touches it once the first receive has started.
struct CWorker {
    ctx: ffi::nng_ctx,
    aio: *mut ffi::nng_aio,
    sending: bool,
}

/// The C worker's callback: the same loop as [`rust_worker`].
unsafe extern "C" fn c_step(arg: *mut c_void) {
    // SAFETY: `arg` is the leaked CWorker given to nng_aio_alloc (it lives
    // until the process exits), and only this callback touches it once its
    // first operation started; its aio is idle while the callback runs.
    unsafe {
        let w = &mut *arg.cast::<CWorker>();
        let rv = ffi::nng_aio_result(w.aio);
        if rv != 0 {
            if w.sending {
                ffi::nng_msg_free(ffi::nng_aio_get_msg(w.aio));
            }
            w.sending = false;
            if rv != ffi::NNG_ECLOSED && rv != ffi::NNG_ESTOPPED {
                ffi::nng_ctx_recv(w.ctx, w.aio);
            }
        } else if w.sending {
            w.sending = false;
            ffi::nng_ctx_recv(w.ctx, w.aio);
        } else {
            let request = ffi::nng_aio_get_msg(w.aio);
            ffi::nng_aio_set_msg(w.aio, request);
            w.sending = true;
            ffi::nng_ctx_send(w.ctx, w.aio);
        }
    }
}

fn c_rep() -> (u16, Publish, Box<dyn Any>) {
    let mut s = ffi::nng_socket::default();
    // SAFETY: valid out-pointer.
    check("nng_rep0_open", unsafe { ffi::nng_rep0_open(&mut s) });
    for _ in 0..CONTEXTS {
        let w = Box::into_raw(Box::new(CWorker {
            ctx: ffi::nng_ctx::default(),
            aio: std::ptr::null_mut(),
            sending: false,
        }));
        // SAFETY: `w` is leaked (it lives until exit) and ours until the
        // first receive starts; after that only `c_step` touches it.
        unsafe {
            check("nng_ctx_open", ffi::nng_ctx_open(&mut (*w).ctx, s));
            check(
                "nng_aio_alloc",
                ffi::nng_aio_alloc(&mut (*w).aio, Some(c_step), w.cast()),
            );
            ffi::nng_ctx_recv((*w).ctx, (*w).aio);
        }
    }
    (c_listen(s), None, Box::new(()))
}

fn c_pub() -> (u16, Publish, Box<dyn Any>) {
    let mut s = ffi::nng_socket::default();
    // SAFETY: valid out-pointer.
    check("nng_pub0_open", unsafe { ffi::nng_pub0_open(&mut s) });
    let port = c_listen(s);
    let publish = Box::new(move || {
        let mut m = std::ptr::null_mut();
        // SAFETY: valid out-pointer; a message nng did not take is ours to free.
        unsafe {
            check("nng_msg_alloc", ffi::nng_msg_alloc(&mut m, MSG));
            if ffi::nng_sendmsg(s, m, 0) == 0 {
                true
            } else {
                ffi::nng_msg_free(m);
                false
            }
        }
    });
    (port, Some(publish), Box::new(()))
}
