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
}

/// Marks the current thread as running an nng callback until dropped.
pub(crate) struct Guard(());

impl Guard {
    #[inline]
    pub(crate) fn enter() -> Guard {
        DEPTH.with(|d| d.set(d.get() + 1));
        Guard(())
    }
}

impl Drop for Guard {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// Whether this thread is inside an nng callback of this crate.
#[inline]
pub(crate) fn inside() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

/// Marks the current thread as running a pipe-event callback (and so any
/// callback: it holds a [`Guard`]) until dropped.
pub(crate) struct PipeGuard(#[allow(dead_code)] Guard);

impl PipeGuard {
    pub(crate) fn enter() -> PipeGuard {
        PipeGuard(Guard::enter())
    }
}

/// `Err(IncorrectState)` for a blocking call (no `NNG_FLAG_NONBLOCK` in
/// `flags`: a send, receive or synchronous dial) inside any nng callback.
/// Inside a pipe-event callback it would wait for pipe events that nng
/// cannot run until this callback returns, a deadlock of the process. Inside
/// an aio callback it occupies one of the few threads of nng's task pool
/// (nng's docs: callbacks must not block); enough of them blocked at once
/// leave nng no thread to deliver what they wait for, a stall of the
/// process.
pub(crate) fn may_block(flags: i32) -> crate::Result<()> {
    if flags & crate::ffi::NNG_FLAG_NONBLOCK as i32 == 0 && inside() {
        Err(crate::Error::IncorrectState)
    } else {
        Ok(())
    }
}

/// Runs `work` (a close that may wait for nng's callbacks) now, or, when
/// called from inside a callback (where it would deadlock), on a short-lived
/// thread that runs it as soon as the current callback has returned.
///
/// If no thread can be started, `work` is neither run nor dropped: it is
/// leaked on purpose (see [`on_helper_thread`]), so the handle stays open
/// and everything the job owns (a socket's pipe-notify closures, a running
/// device) stays alive for as long as nng may still call into it. The error
/// is returned (and logged) for callers that report it.
pub(crate) fn close_outside(work: impl FnOnce() + Send + 'static) -> crate::Result<()> {
    if !inside() {
        work();
        return Ok(());
    }
    on_helper_thread(work).map_err(|e| spawn_error(e, "it stays open (leaked)"))
}

/// Logs a failed helper-thread start and turns it into the crate's error.
fn spawn_error(e: std::io::Error, outcome: &str) -> crate::Error {
    ::log::warn!(target: "nng", "could not start a thread to close an nng handle in a callback: {e}; {outcome}");
    e.raw_os_error()
        .map_or(crate::Error::Internal, crate::Error::System)
}

/// A helper thread holding a close that is not decided yet (see
/// [`start_close`]): [`commit`](Self::commit) runs it; dropping this instead
/// has the thread drop the job unrun.
pub(crate) struct PendingClose(std::sync::mpsc::Sender<()>);

impl PendingClose {
    /// Lets the helper thread run the close (it waits for nothing else).
    pub(crate) fn commit(self) {
        // The thread holds the receiver until it has been told; a send can
        // only fail if it is gone, which it is not before this.
        let _ = self.0.send(());
    }
}

/// Starts the helper thread for a close from inside a callback before the
/// close is decided on: the caller marks its handle closed only once the
/// thread exists, then commits, so that no other thread is ever told
/// "already closed" about a close that then could not happen (the spawn was
/// the only step that can fail).
///
/// `work` is dropped unrun if the thread cannot start (the error is
/// returned and logged) or if the [`PendingClose`] is dropped uncommitted, so
/// it must own nothing whose drop nng may still need: for a socket, a share
/// of its pipe-notify closures while the socket keeps its own.
pub(crate) fn start_close(work: impl FnOnce() + Send + 'static) -> crate::Result<PendingClose> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("nng-deferred".into())
        .spawn(move || {
            if rx.recv().is_ok() {
                work();
            }
        })
        .map(|_| PendingClose(tx))
        .map_err(|e| spawn_error(e, "it stays open"))
}

/// Runs `work` on a short-lived helper thread (one per job, so deferred
/// closes of unrelated handles never wait for each other).
///
/// The job owns what nng's callbacks use (callback state that may be freed
/// only after the close it performs), so a failed spawn must not drop it:
/// `std::thread::Builder::spawn` drops the closure it was given when the
/// thread cannot start. The job is therefore kept in a slot shared with the
/// thread's closure; on failure it is taken back out and leaked with
/// `mem::forget` (the handle stays open, its closures alive): a leak, never
/// a free under nng's feet.
pub(crate) fn on_helper_thread(work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    use std::sync::{Arc, Mutex};
    let job = Arc::new(Mutex::new(Some(work)));
    let theirs = job.clone();
    let spawned = std::thread::Builder::new()
        .name("nng-deferred".into())
        .spawn(move || {
            let work = theirs.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(work) = work {
                work();
            }
        });
    match spawned {
        Ok(_) => Ok(()),
        Err(e) => {
            // The thread's closure (and its share of the slot) is gone; the
            // job itself is still here and is never run, so never dropped.
            let work = job.lock().unwrap_or_else(|p| p.into_inner()).take();
            std::mem::forget(work);
            Err(e)
        }
    }
}

/// Closes an nng handle id with its C close function, through
/// [`close_outside`]: nng's result when closed now, `Ok` when the close was
/// handed to a helper thread, the spawn error when none could start (the
/// handle then stays open).
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
    })
}

/// A caught panic's payload.
pub(crate) type Payload = Box<dyn std::any::Any + Send + 'static>;

/// Drops a caught panic payload without letting a panic escape: a payload's
/// own `Drop` may panic again, and inside an `extern "C"` callback that
/// would unwind into C (an abort) or skip the trampoline's bookkeeping. The
/// drop runs under `catch_unwind`; the payload of a panic raised by it is
/// leaked with `mem::forget` (dropping that one could panic in turn).
pub(crate) fn drop_payload(p: Payload) {
    if let Err(again) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(p))) {
        std::mem::forget(again);
    }
}

/// Keeps `p` in `slot` if the slot is empty (the first panic is the one
/// reported), else drops it with [`drop_payload`], outside the lock. Never
/// panics. Returns whether `p` was stored.
pub(crate) fn store_payload(slot: &std::sync::Mutex<Option<Payload>>, p: Payload) -> bool {
    let extra = {
        let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
        if s.is_none() {
            *s = Some(p);
            None
        } else {
            Some(p)
        }
    };
    match extra {
        Some(p) => {
            drop_payload(p);
            false
        }
        None => true,
    }
}
