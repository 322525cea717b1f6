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

thread_local! {
    /// How many crate trampolines are running on this thread (they nest when
    /// an operation completes inline).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
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

/// Runs a close that may wait for nng's callbacks: now, or, when called from
/// inside one (where it would deadlock), on a short-lived thread that runs it
/// as soon as the current callback has returned. If no thread can be started
/// the close is skipped (the handle leaks) rather than risk a deadlock.
pub(crate) fn close_outside(close: impl FnOnce() + Send + 'static) {
    if !inside() {
        close();
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("nng-deferred-close".into())
        .spawn(close);
    if let Err(e) = spawned {
        ::log::warn!(target: "nng", "could not start a thread to close an nng handle dropped in a callback: {e}; it stays open");
    }
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
