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

use std::cell::Cell;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Orders the crate's closes of sockets, contexts, dialers and listeners
/// (writers) against its calls that make nng run an aio's cancel function
/// (readers: `nng_aio_stop`, `nng_aio_cancel`, `nng_aio_abort`).
///
/// * nng 2.0 has a race when a dialer is closed on one thread while its
///   socket is closed on another (an assertion in `nni_dialer_rele` aborts
///   the process); deferred closes make that overlap likely, so no two closes
///   run at once.
/// * `nni_aio_stop`, `nni_aio_cancel` and `nni_aio_abort` read the aio's
///   cancel function and its argument (the protocol's socket or context)
///   under the aio lock, then call it after releasing that lock. A close of
///   that socket or context on another thread can complete the operation and
///   free the socket in between, and the cancel function then locks a mutex
///   inside freed memory (seen as an abort in `pthread_mutex_unlock` by
///   `tests/stress.rs`, 10,000 aios dropped while their sockets close). A
///   close never overlaps such a call of the crate.
///
/// Callbacks never wait for this lock (their closes, aborts and cancels are
/// deferred or only tried), so holding it while nng waits for callbacks
/// cannot deadlock.
static CLOSE_LOCK: RwLock<()> = RwLock::new(());

fn write_lock() -> RwLockWriteGuard<'static, ()> {
    CLOSE_LOCK.write().unwrap_or_else(|p| p.into_inner())
}

/// Runs an nng close function with no other close and no crate-initiated
/// aio cancellation running.
pub(crate) fn locked<R>(close: impl FnOnce() -> R) -> R {
    let _serial = write_lock();
    close()
}

/// Held around `nng_aio_stop`/`nng_aio_cancel`/`nng_aio_abort`: no close of
/// the crate runs meanwhile. Blocks; never call it inside a callback.
pub(crate) fn cancel_guard() -> RwLockReadGuard<'static, ()> {
    debug_assert!(!inside(), "blocking on the close lock inside a callback");
    CLOSE_LOCK.read().unwrap_or_else(|p| p.into_inner())
}

/// [`cancel_guard`] if it is available at once (for callbacks, which must
/// not wait): `None` while a close runs or waits to run.
pub(crate) fn try_cancel_guard() -> Option<RwLockReadGuard<'static, ()>> {
    match CLOSE_LOCK.try_read() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

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

/// Runs `work` (a close that may wait for nng's callbacks; it takes
/// [`locked`] around the nng call itself) now, or, when called from inside a
/// callback (where it would deadlock), on a short-lived thread that runs it
/// as soon as the current callback has returned. If no thread can be started
/// the work is skipped (the handle leaks) rather than risk a deadlock.
pub(crate) fn close_outside(work: impl FnOnce() + Send + 'static) {
    if !inside() {
        work();
        return;
    }
    if let Err(e) = on_helper_thread(work) {
        ::log::warn!(target: "nng", "could not start a thread to close an nng handle dropped in a callback: {e}; it stays open");
    }
}

/// Runs `work` on a short-lived helper thread.
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
        return crate::error::cvt(locked(|| unsafe { close(raw) }));
    }
    close_outside(move || {
        // SAFETY: as above.
        locked(|| unsafe { close(raw) });
    });
    Ok(())
}

/// Closes an id whose close function never waits for nng's callbacks (a
/// context): at once, unless inside a callback while another close holds the
/// lock, in which case on a helper thread. Returns nng's result, or `Ok`
/// when deferred.
pub(crate) fn close_id_nonblocking<T: Copy + Send + 'static>(
    raw: T,
    close: unsafe extern "C" fn(T) -> i32,
) -> crate::Result<()> {
    let serial = if inside() {
        CLOSE_LOCK.try_write().ok()
    } else {
        Some(write_lock())
    };
    match serial {
        Some(_serial) => {
            // SAFETY: the nng close functions accept any id.
            crate::error::cvt(unsafe { close(raw) })
        }
        None => close_id(raw, close),
    }
}
