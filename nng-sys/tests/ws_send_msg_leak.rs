//! Regression test for nng 2.0.0's websocket transport losing a message whose
//! send fails (fixed in C by `build/patch.rs`; described in
//! `patches/README.md`, "ws-send-msg-leak").
//!
//! The ws transport moves the message from the protocol's aio to its own
//! before handing it to the websocket stream, which frees it only when the
//! write succeeds. When the write fails (the peer goes away, or the pipe is
//! closed mid-write), nothing frees it, or gives it back to the protocol.
//!
//! A failed write is made certain here: a push socket sends a message far
//! larger than the socket buffers to a pull socket whose receive limit
//! (`NNG_OPT_RECVMAXSZ`) is 1 KiB, so the receiver closes the connection after
//! reading the frame's header, while the writer is still writing. The
//! message is big enough for glibc to map it on its own, so a lost message is
//! seen in glibc's count of mapped bytes (`mallinfo2().hblkhd`) once both
//! sockets are closed. Under valgrind or a sanitizer, whose allocators keep no
//! such count, the tool reports the loss instead (`.ci/memcheck --only
//! ws_send_msg_leak`).

use nng_sys::*;
use std::ffi::CString;
use std::ptr;
use std::time::{Duration, Instant};

mod common;
use common::{check, init};

/// The message: larger than a loopback connection's send and receive buffers
/// together, so its write cannot complete before the receiver gives up.
const MSG_SIZE: usize = 16 << 20;

/// Bytes held in blocks that glibc's malloc mapped on their own, or `None`
/// where that is not known (another libc; valgrind's or a sanitizer's
/// allocator, which leave glibc's count untouched).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mapped_bytes() -> Option<usize> {
    #[repr(C)]
    struct Mallinfo2 {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    }
    extern "C" {
        fn mallinfo2() -> Mallinfo2;
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only changes glibc's allocator settings. A fixed
    // threshold (1 MiB) keeps every block above it mapped on its own (glibc
    // otherwise raises the threshold after such a block is freed).
    unsafe { mallopt(M_MMAP_THRESHOLD, 1 << 20) };
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let read = || unsafe { mallinfo2() }.hblkhd;
    // Whether this allocator keeps the count: a mapped probe must show.
    let before = read();
    let probe = vec![1u8; 4 << 20];
    let seen = read() >= before + probe.len();
    drop(probe);
    seen.then(read)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn mapped_bytes() -> Option<usize> {
    None
}

/// Waits until glibc's mapped bytes are back within half a message of
/// `baseline` (the reaper frees the connection after the sockets close), and
/// returns what is left above it.
fn settle(baseline: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = mapped_bytes().expect("counted before");
        let above = now.saturating_sub(baseline);
        if above < MSG_SIZE / 2 || Instant::now() > deadline {
            return above;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One push socket sending one oversize message over ws:// to a pull socket
/// that refuses it; both sockets closed afterwards.
fn send_refused_message(round: usize) {
    let mut pull = nng_socket::default();
    let mut push = nng_socket::default();
    // SAFETY: out-pointers are valid; option names are NUL-terminated; the
    // message buffer outlives nng_send, which copies it.
    unsafe {
        check(nng_pull0_open(&mut pull), "nng_pull0_open");
        check(
            nng_socket_set_size(pull, NNG_OPT_RECVMAXSZ.as_ptr().cast(), 1024),
            "recv-size-max",
        );
        let url = CString::new(format!("ws://127.0.0.1:0/leak{round}")).unwrap();
        let mut l = nng_listener::default();
        check(nng_listen(pull, url.as_ptr(), &mut l, 0), "nng_listen");
        let mut port = 0;
        check(
            nng_listener_get_int(l, NNG_OPT_BOUND_PORT.as_ptr().cast(), &mut port),
            "bound-port",
        );

        check(nng_push0_open(&mut push), "nng_push0_open");
        let url = CString::new(format!("ws://127.0.0.1:{port}/leak{round}")).unwrap();
        check(nng_dial(push, url.as_ptr(), ptr::null_mut(), 0), "nng_dial");
        let body = vec![0x5au8; MSG_SIZE];
        // Returns once push0 has handed the message to the pipe (or
        // queued it): the write then fails on its own.
        check(
            nng_send(push, body.as_ptr().cast(), body.len(), 0),
            "nng_send",
        );
        drop(body);
        // Let the receiver refuse the frame and the writer fail.
        nng_msleep(300);
        nng_socket_close(push);
        nng_socket_close(pull);
    }
}

#[test]
fn ws_send_failure_frees_the_message() {
    init();
    const ROUNDS: usize = 3;
    let Some(baseline) = mapped_bytes() else {
        // Still worth running: valgrind (.ci/memcheck) and LeakSanitizer
        // report the lost messages themselves.
        eprintln!("glibc's mapped-byte count is not available here; the leak checker decides");
        for round in 0..ROUNDS {
            send_refused_message(round);
        }
        return;
    };
    // One round first, so that nng's lazily made state (threads, the
    // reaper's lists) is in the baseline.
    send_refused_message(ROUNDS);
    let baseline = baseline.max(mapped_bytes().unwrap());
    for round in 0..ROUNDS {
        send_refused_message(round);
        let left = settle(baseline);
        assert!(
            left < MSG_SIZE / 2,
            "round {round}: {left} bytes still mapped after both sockets closed: \
             the {MSG_SIZE}-byte message whose send failed was not freed"
        );
    }
}
