//! Criterion micro-benchmarks of the safe layer's hot paths, each beside the
//! same work done through the raw C API (`nng::ffi`), so that the difference
//! is the safe layer's cost.
//!
//! ```text
//! cargo bench --bench hot_paths
//! ```

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use nng::ffi;
use nng::options::{RecvBufferSize, RecvMaxSize, RecvTimeout, SendBufferSize, SendTimeout};
use nng::{Aio, AioResult, Message, Protocol, Socket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Allocating (and freeing) a message of 64 B and of 1 MiB.
fn message_alloc(c: &mut Criterion) {
    for (name, size) in [("64", 64), ("1m", 1 << 20)] {
        let mut g = c.benchmark_group(format!("message_alloc_{name}"));
        g.bench_function("rust", |b| b.iter(|| Message::with_len(black_box(size))));
        g.bench_function("c", |b| {
            b.iter(|| {
                let mut p = std::ptr::null_mut();
                // SAFETY: valid out-pointer; the message is freed right away.
                unsafe {
                    assert_eq!(ffi::nng_msg_alloc(&mut p, black_box(size)), 0);
                    ffi::nng_msg_free(p);
                }
            })
        });
        // What `Message::with_len` does on top: zero the body again.
        g.bench_function("c_plus_zero_fill", |b| {
            b.iter(|| {
                let mut p = std::ptr::null_mut();
                // SAFETY: as above; the body holds `size` bytes.
                unsafe {
                    assert_eq!(ffi::nng_msg_alloc(&mut p, black_box(size)), 0);
                    std::ptr::write_bytes(ffi::nng_msg_body(p).cast::<u8>(), 0, size);
                    ffi::nng_msg_free(p);
                }
            })
        });
        g.finish();
    }
}

/// Appending 64 bytes to a message emptied each time (no reallocation).
fn message_append(c: &mut Criterion) {
    let data = [5u8; 64];
    let mut g = c.benchmark_group("message_append_64");
    let mut msg = Message::with_capacity(256);
    g.bench_function("rust", |b| {
        b.iter(|| {
            msg.clear();
            msg.push_back(black_box(&data));
        })
    });
    let mut p = std::ptr::null_mut();
    // SAFETY: valid out-pointer; freed after the group.
    unsafe { assert_eq!(ffi::nng_msg_alloc(&mut p, 256), 0) };
    g.bench_function("c", |b| {
        b.iter(|| {
            // SAFETY: p is a live message; data is valid for 64 bytes.
            unsafe {
                ffi::nng_msg_clear(p);
                assert_eq!(
                    ffi::nng_msg_append(p, black_box(&data).as_ptr().cast(), 64),
                    0
                );
            }
        })
    });
    // SAFETY: p is ours.
    unsafe { ffi::nng_msg_free(p) };
    g.finish();
}

/// Typed option get and set on a socket.
fn options(c: &mut Criterion) {
    let s = Socket::new(Protocol::Pair1).unwrap();
    let mut g = c.benchmark_group("option");
    g.bench_function("set_recv_timeout/rust", |b| {
        b.iter(|| {
            s.set_opt::<RecvTimeout>(black_box(Some(Duration::from_millis(100))))
                .unwrap()
        })
    });
    g.bench_function("get_recv_max_size/rust", |b| {
        b.iter(|| s.get_opt::<RecvMaxSize>().unwrap())
    });
    let raw = raw_socket();
    g.bench_function("set_recv_timeout/c", |b| {
        b.iter(|| {
            // SAFETY: the option name is NUL-terminated.
            let rv = unsafe {
                ffi::nng_socket_set_ms(raw, ffi::NNG_OPT_RECVTIMEO.as_ptr().cast(), black_box(100))
            };
            assert_eq!(rv, 0);
        })
    });
    g.bench_function("get_recv_max_size/c", |b| {
        b.iter(|| {
            let mut v = 0usize;
            // SAFETY: NUL-terminated name; valid out-pointer.
            let rv = unsafe {
                ffi::nng_socket_get_size(raw, ffi::NNG_OPT_RECVMAXSZ.as_ptr().cast(), &mut v)
            };
            assert_eq!(rv, 0);
            v
        })
    });
    // SAFETY: closing the raw socket we opened.
    unsafe { ffi::nng_socket_close(raw) };
    g.finish();
}

/// A pair1 socket through the C API.
fn raw_socket() -> ffi::nng_socket {
    let mut s = ffi::nng_socket::default();
    // SAFETY: valid out-pointer; nng was initialised by the safe layer.
    unsafe {
        ffi::nng_init(std::ptr::null());
        assert_eq!(ffi::nng_pair1_open(&mut s), 0);
    }
    s
}

/// A connected inproc pair with buffers, so one thread can ping-pong.
fn inproc_pair(url: &str) -> (Socket, Socket) {
    let a = Socket::new(Protocol::Pair1).unwrap();
    let b = Socket::new(Protocol::Pair1).unwrap();
    for s in [&a, &b] {
        s.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))
            .unwrap();
        s.set_opt::<SendTimeout>(Some(Duration::from_secs(5)))
            .unwrap();
        s.set_opt::<SendBufferSize>(4).unwrap();
        s.set_opt::<RecvBufferSize>(4).unwrap();
    }
    a.listen(url).unwrap();
    b.dial(url).unwrap();
    (a, b)
}

/// One inproc round trip on one thread: a -> b -> a, the message reused.
fn inproc_round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("inproc_round_trip_64");
    let (a, b) = inproc_pair("inproc://bench-rtt-rust");
    let mut msg = Some(Message::with_len(64));
    g.bench_function("rust_msg", |bch| {
        bch.iter(|| {
            a.send(msg.take().unwrap()).unwrap();
            let m = b.recv().unwrap();
            b.send(m).unwrap();
            msg = Some(a.recv().unwrap());
        })
    });
    // The same sockets through the C API, message reused.
    let (ra, rb) = (raw_of(&a), raw_of(&b));
    let mut p = std::ptr::null_mut();
    // SAFETY: valid out-pointer.
    unsafe { assert_eq!(ffi::nng_msg_alloc(&mut p, 64), 0) };
    g.bench_function("c_msg", |bch| {
        bch.iter(|| {
            // SAFETY: p is a live message we own between the calls; each
            // successful send hands it to nng, each receive hands one back.
            unsafe {
                assert_eq!(ffi::nng_sendmsg(ra, p, 0), 0);
                assert_eq!(ffi::nng_recvmsg(rb, &mut p, 0), 0);
                assert_eq!(ffi::nng_sendmsg(rb, p, 0), 0);
                assert_eq!(ffi::nng_recvmsg(ra, &mut p, 0), 0);
            }
        })
    });
    // SAFETY: p is ours again after the last receive.
    unsafe { ffi::nng_msg_free(p) };
    g.finish();
}

/// The raw id of a safe socket, read through the C API's socket-id function
/// (the safe layer does not expose its raw handle).
fn raw_of(s: &Socket) -> ffi::nng_socket {
    ffi::nng_socket { id: s.id() }
}

/// Sending a fresh message per send and receiving it, as the throughput tools
/// do (allocation included).
fn inproc_send_recv(c: &mut Criterion) {
    let mut g = c.benchmark_group("inproc_send_recv_fresh_64");
    let (a, b) = inproc_pair("inproc://bench-fresh");
    g.bench_function("rust", |bch| {
        bch.iter(|| {
            a.send(Message::with_len(64)).unwrap();
            drop(b.recv().unwrap());
        })
    });
    let (ra, rb) = (raw_of(&a), raw_of(&b));
    g.bench_function("c", |bch| {
        bch.iter(|| {
            let mut p = std::ptr::null_mut();
            // SAFETY: valid out-pointers; ownership moves to nng on send and
            // back on receive, then the message is freed.
            unsafe {
                assert_eq!(ffi::nng_msg_alloc(&mut p, 64), 0);
                assert_eq!(ffi::nng_sendmsg(ra, p, 0), 0);
                assert_eq!(ffi::nng_recvmsg(rb, &mut p, 0), 0);
                ffi::nng_msg_free(p);
            }
        })
    });
    g.finish();
}

/// The C aios' completion callback: does nothing, like the Rust closures
/// here (an aio without a callback completes on a shorter path, so the C
/// side gets one too).
unsafe extern "C" fn noop(_: *mut std::ffi::c_void) {}

/// Aio submit and completion: a receive with a zero timeout on a socket with
/// nothing to receive, so it completes at once (`Error::TimedOut`) through
/// nng's completion path, waited for.
fn aio_submit_complete(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio_recv_timeout0_submit_wait");
    let s = Socket::new(Protocol::Pull0).unwrap();
    let aio = Aio::new(|_, _| {}).unwrap();
    aio.set_timeout(Some(Duration::ZERO));
    g.bench_function("rust", |b| {
        b.iter(|| {
            aio.recv(&s).unwrap();
            aio.wait().unwrap();
        })
    });
    let raw_s = raw_of(&s);
    let mut raw = std::ptr::null_mut();
    // SAFETY: valid out-pointer; a no-op callback; freed after the group.
    unsafe {
        assert_eq!(
            ffi::nng_aio_alloc(&mut raw, Some(noop), std::ptr::null_mut()),
            0
        );
        ffi::nng_aio_set_timeout(raw, 0);
    }
    g.bench_function("c", |b| {
        b.iter(|| {
            // SAFETY: raw is an idle aio we own; its message slot stays empty.
            unsafe {
                ffi::nng_socket_recv(raw_s, raw);
                ffi::nng_aio_wait(raw);
                assert_eq!(ffi::nng_aio_result(raw), ffi::NNG_ETIMEDOUT);
            }
        })
    });
    // SAFETY: idle after the last wait.
    unsafe { ffi::nng_aio_free(raw) };
    g.finish();
}

/// An inproc send and receive of a fresh 64-byte message through two aios
/// (receive posted first), waited for.
fn aio_send_recv(c: &mut Criterion) {
    let mut g = c.benchmark_group("aio_inproc_send_recv_64");
    let (a, b) = inproc_pair("inproc://bench-aio");
    let got = Arc::new(Mutex::new(None));
    let slot = got.clone();
    let rx = Aio::new(move |_, res| {
        if let AioResult::Recv(m) = res {
            *slot.lock().unwrap() = Some(m.unwrap());
        }
    })
    .unwrap();
    let tx = Aio::new(|_, res| {
        if let AioResult::Send(r) = res {
            r.unwrap();
        }
    })
    .unwrap();
    g.bench_function("rust", |bch| {
        bch.iter(|| {
            rx.recv(&b).unwrap();
            tx.send(&a, Message::with_len(64)).unwrap();
            tx.wait().unwrap();
            rx.wait().unwrap();
            drop(got.lock().unwrap().take());
        })
    });
    let (ra, rb) = (raw_of(&a), raw_of(&b));
    let (mut rtx, mut rrx) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: valid out-pointers; no-op callbacks; freed after the group.
    unsafe {
        assert_eq!(
            ffi::nng_aio_alloc(&mut rtx, Some(noop), std::ptr::null_mut()),
            0
        );
        assert_eq!(
            ffi::nng_aio_alloc(&mut rrx, Some(noop), std::ptr::null_mut()),
            0
        );
    }
    g.bench_function("c", |bch| {
        bch.iter(|| {
            let mut p = std::ptr::null_mut();
            // SAFETY: the aios are idle between iterations; the message moves
            // to nng on send and back on receive, then is freed.
            unsafe {
                ffi::nng_socket_recv(rb, rrx);
                assert_eq!(ffi::nng_msg_alloc(&mut p, 64), 0);
                ffi::nng_aio_set_msg(rtx, p);
                ffi::nng_socket_send(ra, rtx);
                ffi::nng_aio_wait(rtx);
                assert_eq!(ffi::nng_aio_result(rtx), 0);
                ffi::nng_aio_wait(rrx);
                assert_eq!(ffi::nng_aio_result(rrx), 0);
                ffi::nng_msg_free(ffi::nng_aio_get_msg(rrx));
            }
        })
    });
    // SAFETY: both idle.
    unsafe {
        ffi::nng_aio_free(rtx);
        ffi::nng_aio_free(rrx);
    }
    g.finish();
}

criterion_group!(
    benches,
    message_alloc,
    message_append,
    options,
    inproc_round_trip,
    inproc_send_recv,
    aio_submit_complete,
    aio_send_recv
);
criterion_main!(benches);
