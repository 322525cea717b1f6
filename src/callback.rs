//! Where nng callbacks run, and keeping blocking work out of them.
//!
//! nng runs aio completions and pipe events on its own threads, and a few of
//! its calls wait for those very callbacks: `nng_socket_close`,
//! `nng_dialer_close`, `nng_listener_close`, `nng_aio_stop`, `nng_aio_wait`,
//! `nng_aio_free`. Called from inside a callback they can deadlock. Rust code
//! reaches them implicitly, by dropping a handle a closure captured, so the
//! crate has to notice on its own.
//!
//! Every `extern "C"` trampoline of the crate (aio completions, pipe events)
//! holds a [`Guard`] for its whole body, so [`inside`] is true on any thread
//! that is running one, including while a closure's captures are being
//! dropped after it ran. Handles whose close would wait hand that close to
//! [`close_outside`] instead.

//!
//! No lock of the crate orders closes against aio cancels: nng 2.0.0 calls
//! an operation's cancel function after releasing the aio's lock, and a close
//! on another thread could free the socket or context it is handed; that is
//! fixed in nng's C (nng-sys `cancel-close-race`, which drains cancel calls
//! under way before a socket, context or device is freed), as is the
//! assertion on a dialer closed while its socket closes
//! (`endpoint-close-race`). So unrelated sockets' closes and aio drops never
//! wait for each other here.

use std::cell::Cell;

thread_local! {
    /// How many crate trampolines are running on this thread (they nest when
    /// an operation completes inline).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// How many of them are pipe-event callbacks, which nng 2.0 runs under
    /// one process-wide mutex (see [`crate::pipe`]).
    static PIPE_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as running an nng callback until dropped.
pub(crate) struct Guard(());

impl Guard {
    pub(crate) fn enter() -> Guard {
        DEPTH.with(|d| d.set(d.get() + 1));
        Guard(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Whether this thread is inside an nng callback of this crate.
pub(crate) fn inside() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Marks the current thread as running a pipe-event callback (and so any
/// callback: it holds a [`Guard`] too) until dropped.
pub(crate) struct PipeGuard(#[allow(dead_code)] Guard);

impl PipeGuard {
    pub(crate) fn enter() -> PipeGuard {
        PIPE_DEPTH.with(|d| d.set(d.get() + 1));
        PipeGuard(Guard::enter())
    }
}

impl Drop for PipeGuard {
    fn drop(&mut self) {
        PIPE_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Whether this thread is inside a pipe-event callback, where nng holds its
/// process-wide pipe-callback mutex: any call that waits for a connection,
/// a peer or a message could wait for a pipe event, which needs that mutex.
pub(crate) fn inside_pipe() -> bool {
    PIPE_DEPTH.with(|d| d.get() > 0)
}

/// `Err(IncorrectState)` for a blocking call (no `NNG_FLAG_NONBLOCK` in
/// `flags`) inside a pipe-event callback: it would wait for pipe events that
/// nng cannot run until this callback returns, a deadlock of the process.
pub(crate) fn may_block(flags: i32) -> crate::Result<()> {
    if flags & crate::ffi::NNG_FLAG_NONBLOCK as i32 == 0 && inside_pipe() {
        Err(crate::Error::IncorrectState)
    } else {
        Ok(())
    }
}

/// Runs `work` (a close that may wait for nng's callbacks) now, or, when
/// called from inside a callback (where it would deadlock), on a short-lived
/// thread that runs it as soon as the current callback has returned. If no
/// thread can be started the work is skipped (the handle leaks) rather than
/// risk a deadlock.
pub(crate) fn close_outside(work: impl FnOnce() + Send + 'static) {
    if !inside() {
        work();
        return;
    }
    if let Err(e) = on_helper_thread(work) {
        ::log::warn!(target: "nng", "could not start a thread to close an nng handle dropped in a callback: {e}; it stays open");
    }
}

/// Runs `work` on a short-lived helper thread (one per job, so deferred
/// closes of unrelated handles never wait for each other).
pub(crate) fn on_helper_thread(work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("nng-deferred".into())
        .spawn(work)
        .map(drop)
}

/// Closes an nng handle id with its C close function, through
/// [`close_outside`]: nng's result when closed now, `Ok` when the close was
/// handed to a helper thread.
pub(crate) fn close_id<T: Copy + Send + 'static>(
    raw: T,
    close: unsafe extern "C" fn(T) -> i32,
) -> crate::Result<()> {
    if !inside() {
        // SAFETY: the nng close functions accept any id; a stale one only
        // reports an error.
        return crate::error::cvt(unsafe { close(raw) });
    }
    close_outside(move || {
        // SAFETY: as above.
        unsafe { close(raw) };
    });
    Ok(())
}
