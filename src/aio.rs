//! Asynchronous I/O with callbacks: [`Aio`] (`nng_aio`).
//!
//! An [`Aio`] owns one `nng_aio` and one Rust closure. Start an operation on
//! it ([`send`](Aio::send), [`recv`](Aio::recv), [`sleep`](Aio::sleep),
//! [`dial`](Aio::dial)); when the operation completes, fails, times out or is
//! cancelled, the closure runs once with an [`AioResult`] holding the outcome
//! and any message (a received message, or the message of a failed send).
//!
//! ```
//! use nng::aio::{Aio, AioResult};
//! use nng::{Protocol, Socket};
//! use std::sync::mpsc;
//! use std::time::Duration;
//!
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.listen("inproc://aio-doc")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.dial("inproc://aio-doc")?;
//!
//! let (tx, rx) = mpsc::channel();
//! let aio = Aio::new(move |_aio, result| {
//!     if let AioResult::Recv(r) = result {
//!         tx.send(r.map(|m| m.to_vec())).unwrap();
//!     }
//! })?;
//! aio.set_timeout(Some(Duration::from_secs(5)));
//! aio.recv(&rep)?;
//! req.send(b"hello")?;
//! assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap()?, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Safety argument
//!
//! nng's rules for an `nng_aio` (vendored `docs/ref/api/aio.md`) are: the
//! callback runs on an nng thread, possibly concurrently with the thread that
//! started the operation, and possibly *inline* on a thread that finishes it;
//! `nng_aio_free`, `nng_aio_stop` and `nng_aio_wait` must never be called from
//! any aio callback (they wait for callbacks, and may deadlock), while
//! `nng_aio_reap` may be; the message set on an aio belongs to the caller again
//! when a send fails. This module upholds them as follows.
//!
//! **Heap state.** `Aio` is a pointer to a heap `Inner` holding the `nng_aio*`,
//! the boxed closure and a small mutex-protected `State` (operation in flight,
//! "a trampoline is running the closure", stopped, orphaned, stored panic).
//! The `Inner` address is the callback argument given to `nng_aio_alloc`, so it
//! must stay valid until nng can no longer call the trampoline: it is freed
//! only after `nng_aio_free` returned, or after `nng_aio_reap` was called on an
//! aio with no operation in flight and whose callback has returned.
//!
//! **Trampoline.** The `extern "C"` callback runs its whole body under
//! `catch_unwind`, so no panic unwinds into C; a panic of the user closure is
//! caught separately, stored, and resumed by the next [`Aio::wait`] (or
//! fetched with [`Aio::take_panic`]). The closure is `FnMut`, so two runs must
//! never overlap; nng does not promise that (a completion can run inline on
//! another thread while the closure that started it is still running). The
//! trampoline therefore takes the `running` flag under the mutex; a completion
//! that arrives while it is set is recorded as `pending` and delivered by the
//! thread already running, after the closure returns. The closure is reached
//! only through that flag, which is why `Aio` may be `Sync`.
//!
//! **Callback context.** The trampoline keeps a thread-local depth counter of
//! aio callbacks running on this thread. [`Drop`] reads it to decide, without
//! guessing, whether it may block:
//!
//! * *Outside any callback* (depth 0): mark the aio stopped (no new operation
//!   starts), `nng_aio_stop` (cancels the operation and waits for its
//!   callback), wait until no trampoline runs the closure, take back any
//!   message nng still holds (the callback may never have fired: nng issue
//!   #2208), `nng_aio_free`, then free the `Inner` and with it the closure.
//! * *Inside an aio callback*, this aio's own or another's: nothing may wait.
//!   The aio is marked stopped and orphaned. If it is idle it is handed to
//!   `nng_aio_reap` and the `Inner` freed at once (no callback can come). If an
//!   operation is in flight it is aborted with `NNG_ESTOPPED`, and if the
//!   closure is running the trampoline is left to finish: when a trampoline
//!   sees an orphaned aio with nothing in flight after its closure returned,
//!   it calls `nng_aio_reap` and frees the `Inner` (including the closure it
//!   has just returned from) itself. The reaper waits for the callback to
//!   return before freeing the `nng_aio`, and touches nothing of ours.
//!
//! A `&Aio` handed to the closure stays valid during the call because the
//! `Inner` is freed only after the running flag is cleared.
//!
//! **Stopped aios.** Once dropping begins, every new operation fails at once
//! with [`Error::Stopped`] without reaching nng (nng 2.0 would fail them with
//! `NNG_ESTOPPED` too, but asserts on a second start), and a send gives its
//! message back in the error. A callback that resubmits must therefore stop
//! when it gets `Stopped`.
//!
//! **Messages.** A message handed to [`Aio::send`] is owned by the `nng_aio`
//! while the operation is in flight; on any failure it is taken back with
//! `nng_aio_get_msg` and delivered in [`AioResult::Send`], so nothing is
//! leaked or sent twice. A received message is taken off the aio before the
//! closure runs.
//!
//! **Cancel racing completion.** nng can report `NNG_ECANCELED` for an
//! operation that had in fact completed (an abort arriving between a direct
//! completion and its callback overwrites the result). The message on the aio
//! is trusted over the code: a receive that carries a message is delivered as
//! `Ok`, and a send whose message nng consumed is reported `Ok`, so a message
//! is never dropped nor handed back to be sent twice. [`Aio::wait`] waits for
//! the callback itself and, if nng reports the aio idle for a while without
//! ever calling back (nng issue #2208), delivers the completion itself.
//!
//! **Sockets and contexts.** An `Aio` holds only ids of what it operates on;
//! closing a socket or context completes its operations with
//! [`Error::Closed`], so they may be dropped with operations in flight.
//!
//! **Cancelling against closes.** nng calls an operation's cancel function
//! (from `nng_aio_stop`, `nng_aio_cancel`, `nng_aio_abort`) after releasing
//! the aio's lock, with the socket or context as its argument; a close on
//! another thread can free that socket in between (nng 2.0 bug, found by
//! `tests/stress.rs`). The crate's closes of sockets, contexts, dialers and
//! listeners therefore never overlap its own stops and cancels (a
//! reader-writer lock, `crate::callback`). Outside callbacks a stop or cancel
//! waits for a running close; inside callbacks, where nothing may wait, an
//! abort or cancel that would have to wait is made on a short-lived helper
//! thread, and the aio is *pinned* (a count in `State`) so that its `Inner`
//! outlives that call: whoever releases the last pin of an orphaned idle aio
//! frees it, and a drop outside callbacks waits for the pins. nng's own
//! timeouts can still hit the same race; keep operations on a socket that is
//! being closed free of timeouts if that matters.

use crate::error::{Error, Result};
use crate::ffi;
use crate::message::{Message, SendError};
use crate::options::duration_to_ms;
use crate::{Context, Dialer, Socket};
use std::any::Any;
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How often [`Aio::wait`] checks for a completion nng lost, and after how
/// many consecutive idle checks it delivers the completion itself.
const LOST_POLL: Duration = Duration::from_millis(10);
const LOST_POLLS: u32 = 3;

/// Whether the current thread is running an nng callback (an aio completion
/// or a pipe event, see [`crate::callback`]).
pub(crate) fn in_callback() -> bool {
    crate::callback::inside()
}

/// The outcome of one asynchronous operation, handed to the [`Aio`] callback.
#[derive(Debug)]
pub enum AioResult {
    /// A [`Aio::send`] finished. On failure the message is returned.
    Send(std::result::Result<(), SendError>),
    /// A [`Aio::recv`] finished with a message or an error.
    Recv(Result<Message>),
    /// A [`Aio::sleep`] finished: `Ok` when the time passed.
    Sleep(Result<()>),
    /// The first connection attempt of [`Aio::dial`] finished.
    Dial(Result<()>),
}

impl AioResult {
    /// The error, if the operation failed.
    pub fn error(&self) -> Option<Error> {
        match self {
            AioResult::Send(r) => r.as_ref().err().map(|e| e.error),
            AioResult::Recv(r) => r.as_ref().err().copied(),
            AioResult::Sleep(r) | AioResult::Dial(r) => r.as_ref().err().copied(),
        }
    }
}

/// Something an [`Aio`] can send on and receive from: a [`Socket`] or a
/// [`Context`]. Sealed.
pub trait AsyncTarget: private::Sealed {
    /// Starts sending the message set on `aio`.
    ///
    /// # Safety
    /// `aio` must be a live `nng_aio` with no operation in flight.
    #[doc(hidden)]
    unsafe fn start_send(&self, aio: *mut ffi::nng_aio);
    /// Starts receiving into `aio`.
    ///
    /// # Safety
    /// As for `start_send`.
    #[doc(hidden)]
    unsafe fn start_recv(&self, aio: *mut ffi::nng_aio);
}

mod private {
    pub trait Sealed {}
    impl Sealed for crate::Socket {}
    impl Sealed for crate::Context {}
    impl Sealed for crate::future::Target {}
}

impl AsyncTarget for Socket {
    unsafe fn start_send(&self, aio: *mut ffi::nng_aio) {
        // SAFETY: the caller passes a live, idle aio; the socket is a plain
        // id that nng validates.
        unsafe { ffi::nng_socket_send(self.raw(), aio) }
    }
    unsafe fn start_recv(&self, aio: *mut ffi::nng_aio) {
        // SAFETY: as in start_send.
        unsafe { ffi::nng_socket_recv(self.raw(), aio) }
    }
}

impl AsyncTarget for Context {
    unsafe fn start_send(&self, aio: *mut ffi::nng_aio) {
        // SAFETY: as for Socket; the context is a plain id that nng validates.
        unsafe { ffi::nng_ctx_send(self.raw(), aio) }
    }
    unsafe fn start_recv(&self, aio: *mut ffi::nng_aio) {
        // SAFETY: as in start_send.
        unsafe { ffi::nng_ctx_recv(self.raw(), aio) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Send,
    Recv,
    Sleep,
    Dial,
}

type Callback = dyn FnMut(&Aio, AioResult) + Send + 'static;

#[derive(Default)]
struct State {
    /// The operation in flight and its sequence number.
    op: Option<(Op, u64)>,
    /// Sequence number of the last operation started.
    seq: u64,
    /// A trampoline is running (or about to run) the closure.
    running: bool,
    /// Completions recorded while `running` was set.
    pending: usize,
    /// No new operation may start.
    stopped: bool,
    /// The owner is gone; the trampoline (or the last unpin) frees.
    orphaned: bool,
    /// Aborts and cancels in progress (or deferred to a helper thread) that
    /// no owner waits for: an orphaning drop's abort, a cancel from inside a
    /// callback. While nonzero nothing frees the Inner; [`unpin`] frees an
    /// orphaned idle aio when the count drops to zero.
    pins: usize,
    /// Sequence number of the last operation whose callback returned.
    delivered: u64,
    /// Threads blocked on `Inner::idle` (wait, drop): only then is it
    /// signalled, since a condvar signal is a system call even with nobody
    /// waiting.
    waiters: usize,
    timeout: Option<Duration>,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

struct Inner {
    raw: *mut ffi::nng_aio,
    callback: UnsafeCell<Box<Callback>>,
    state: Mutex<State>,
    idle: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; State stays coherent
        // because no user code runs while it is held.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes the threads blocked on `idle`, if any. Waiters register under
    /// the same lock before they block, so none can be missed.
    fn notify_waiters(&self, st: &State) {
        if st.waiters > 0 {
            self.idle.notify_all();
        }
    }

    /// Blocks on `idle` (at most `timeout`), registered as a waiter.
    fn wait_idle<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        timeout: Duration,
    ) -> (MutexGuard<'a, State>, bool) {
        st.waiters += 1;
        let (mut st, t) = self
            .idle
            .wait_timeout(st, timeout)
            .unwrap_or_else(|p| p.into_inner());
        st.waiters -= 1;
        (st, t.timed_out())
    }
}

/// An asynchronous I/O handle with a completion callback (`nng_aio`).
///
/// Create it with the closure to run on completion, then start one operation
/// at a time. The closure gets `&Aio` (to start the next operation, e.g. a
/// reply after a receive) and the [`AioResult`]. It runs on an nng thread (or
/// inline on the thread that completes the operation), never twice at once.
///
/// Dropping an `Aio` cancels its operation and frees everything, and is safe
/// anywhere: on another thread while an operation is in flight (it waits for
/// the callback), or inside any aio callback including its own (it defers;
/// see the [module docs](self)).
///
/// The closure is freed where the `Aio` is dropped, so when that is inside a
/// callback its captures are dropped there too. They may include the last
/// handle of a [`Socket`], [`Dialer`] or [`Listener`](crate::Listener):
/// closing one waits for nng's callbacks, so a handle dropped or closed inside
/// any nng callback is closed on a short-lived helper thread as soon as the
/// callback has returned, instead of deadlocking.
///
/// The closure must be `Send`:
///
/// ```compile_fail
/// let rc = std::rc::Rc::new(());
/// let _aio = nng::aio::Aio::new(move |_, _| { let _ = &rc; });
/// ```
#[doc(alias = "nng_aio")]
pub struct Aio {
    inner: NonNull<Inner>,
}

// SAFETY: Inner's shared state is behind a Mutex; the nng_aio is thread-safe
// for the calls we make from &self (start/cancel/wait/set_timeout, ordered by
// State); the closure is Send and only ever called by the single trampoline
// that holds the `running` flag, so sharing &Aio across threads never gives
// two threads the closure at once. Pinned by the compile_fail doctest above
// (a non-Send closure is rejected) and tests/aio_send_sync.rs.
unsafe impl Send for Aio {}
// SAFETY: see the Send impl: all &self methods synchronise through State.
unsafe impl Sync for Aio {}

impl Aio {
    /// Allocates an aio whose completions run `callback` (`nng_aio_alloc`).
    #[doc(alias = "nng_aio_alloc")]
    pub fn new<F>(callback: F) -> Result<Aio>
    where
        F: FnMut(&Aio, AioResult) + Send + 'static,
    {
        crate::init::ensure()?;
        let inner = Box::into_raw(Box::new(Inner {
            raw: std::ptr::null_mut(),
            callback: UnsafeCell::new(Box::new(callback)),
            state: Mutex::new(State::default()),
            idle: Condvar::new(),
        }));
        let mut raw = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; `inner` stays valid until the
        // aio is freed (see the module docs), and no operation can start (so
        // no callback can run) before we store `raw` below.
        let rv = unsafe { ffi::nng_aio_alloc(&mut raw, Some(trampoline), inner.cast()) };
        if let Err(e) = crate::error::cvt(rv) {
            // SAFETY: allocation failed, nng kept no reference to `inner`.
            drop(unsafe { Box::from_raw(inner) });
            return Err(e);
        }
        // SAFETY: `inner` is ours alone until returned.
        unsafe { (*inner).raw = raw };
        Ok(Aio {
            // SAFETY: Box::into_raw never returns null.
            inner: unsafe { NonNull::new_unchecked(inner) },
        })
    }

    fn inner(&self) -> &Inner {
        // SAFETY: the Inner lives at least as long as any Aio pointing to it
        // (freed only by Drop, or by the trampoline after the last &Aio).
        unsafe { self.inner.as_ref() }
    }

    /// Timeout for operations started from now on; `None` (the default) waits
    /// forever. An operation that times out completes with
    /// [`Error::TimedOut`] (`nng_aio_set_timeout`). Ignored by
    /// [`sleep`](Self::sleep).
    #[doc(alias = "nng_aio_set_timeout")]
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        self.inner().lock().timeout = timeout;
    }

    /// Sends `msg` on a socket or context (`nng_socket_send`, `nng_ctx_send`).
    /// If the operation cannot start (another one is in flight:
    /// [`Error::Busy`]; the aio is stopping: [`Error::Stopped`]) the message
    /// comes back at once; a later failure returns it in [`AioResult::Send`].
    #[doc(alias = "nng_socket_send")]
    #[doc(alias = "nng_ctx_send")]
    #[doc(alias = "nng_aio_set_msg")]
    pub fn send<T: AsyncTarget>(
        &self,
        target: &T,
        msg: Message,
    ) -> std::result::Result<(), SendError> {
        // SAFETY: start hands us its live, idle aio.
        self.start(Op::Send, Some(msg), |raw| unsafe { target.start_send(raw) })
            .map_err(|(error, message)| SendError {
                error,
                message: message.expect("send keeps its message"),
            })
    }

    /// Receives a message from a socket or context (`nng_socket_recv`,
    /// `nng_ctx_recv`); it arrives in [`AioResult::Recv`].
    #[doc(alias = "nng_socket_recv")]
    #[doc(alias = "nng_ctx_recv")]
    pub fn recv<T: AsyncTarget>(&self, target: &T) -> Result<()> {
        // SAFETY: start hands us its live, idle aio.
        self.start(Op::Recv, None, |raw| unsafe { target.start_recv(raw) })
            .map_err(|(e, _)| e)
    }

    /// Completes with [`AioResult::Sleep`]`(Ok(()))` after `duration`
    /// (`nng_sleep_aio`); cancelling ends it early with an error.
    #[doc(alias = "nng_sleep_aio")]
    pub fn sleep(&self, duration: Duration) -> Result<()> {
        let ms = duration_to_ms(Some(duration));
        self.start(Op::Sleep, None, |raw| {
            // SAFETY: raw is a live idle aio (checked by start).
            unsafe { ffi::nng_sleep_aio(ms, raw) }
        })
        .map_err(|(e, _)| e)
    }

    /// Starts `dialer` in the background and completes with the result of its
    /// first connection attempt in [`AioResult::Dial`]; the dialer keeps
    /// retrying afterwards (`nng_dialer_start_aio`). nng offers no such call
    /// for listeners: [`crate::Listener::start`] is immediate.
    #[doc(alias = "nng_dialer_start_aio")]
    pub fn dial(&self, dialer: &Dialer) -> Result<()> {
        let d = dialer.raw();
        self.start(Op::Dial, None, |raw| {
            // SAFETY: raw is a live idle aio; the dialer is an id nng validates.
            unsafe { ffi::nng_dialer_start_aio(d, ffi::NNG_FLAG_NONBLOCK as i32, raw) }
        })
        .map_err(|(e, _)| e)
    }

    /// Claims the aio for one operation and starts it with `f`.
    fn start(
        &self,
        op: Op,
        msg: Option<Message>,
        f: impl FnOnce(*mut ffi::nng_aio),
    ) -> std::result::Result<(), (Error, Option<Message>)> {
        let inner = self.inner();
        let raw = inner.raw;
        {
            let mut st = inner.lock();
            if !in_callback() {
                if let Some(p) = st.panic.take() {
                    drop(st);
                    resume_unwind(p);
                }
            }
            if st.stopped {
                return Err((Error::Stopped, msg));
            }
            if st.op.is_some() {
                return Err((Error::Busy, msg));
            }
            st.seq += 1;
            st.op = Some((op, st.seq));
            let ms = match op {
                Op::Dial => duration_to_ms(None),
                _ => duration_to_ms(st.timeout),
            };
            // SAFETY: raw is live (self is) and idle (op was None), so setting
            // its timeout and message cannot race an operation.
            unsafe {
                ffi::nng_aio_set_timeout(raw, ms);
                ffi::nng_aio_set_msg(raw, msg.map_or(std::ptr::null_mut(), Message::into_raw));
            }
        }
        // Outside the lock: the callback may run inline on this thread.
        f(raw);
        Ok(())
    }

    /// Asks nng to cancel the operation in flight (`nng_aio_cancel`). The
    /// callback still runs, usually with [`Error::Canceled`], unless the
    /// operation completed first. Does not wait for the callback. Inside a
    /// callback, while a socket or context is being closed on another
    /// thread, the cancel is made on a helper thread right after that close.
    #[doc(alias = "nng_aio_cancel")]
    pub fn cancel(&self) {
        if !in_callback() {
            let _no_close = crate::callback::cancel_guard();
            // SAFETY: raw is live while self is; nng_aio_cancel does not wait
            // for the callback. No close of the crate runs meanwhile.
            unsafe { ffi::nng_aio_cancel(self.inner().raw) };
            return;
        }
        self.inner().lock().pins += 1;
        // SAFETY: pinned just above; the Inner is live (self).
        unsafe { cancel_pinned(self.inner.as_ptr(), Cancel::Cancel) };
    }

    /// Whether an operation is in flight or its callback is running.
    #[doc(alias = "nng_aio_busy")]
    pub fn is_busy(&self) -> bool {
        let st = self.inner().lock();
        st.op.is_some() || st.running
    }

    /// Blocks until the operation in flight (if any) has completed and its
    /// callback has returned (like `nng_aio_wait`), then resumes a panic the
    /// callback raised, if any. From inside an aio callback, where waiting
    /// could deadlock, it returns [`Error::IncorrectState`] at once.
    ///
    /// This waits for the callback itself, not for nng's view of the aio:
    /// `nng_aio_wait` can return while a completion is still being handed to
    /// the callback, so relying on it would let a new operation start before
    /// the old one was delivered. Conversely nng sometimes completes an
    /// operation without ever calling back when a cancel races the completion
    /// (nng issue #2208); when nng has reported the aio idle for a while
    /// (several polls of `nng_aio_busy`, 10 ms apart) with no callback, the
    /// completion is delivered here instead, so `wait` never hangs on it.
    #[doc(alias = "nng_aio_wait")]
    pub fn wait(&self) -> Result<()> {
        if in_callback() {
            return Err(Error::IncorrectState);
        }
        let inner = self.inner();
        let mut st = inner.lock();
        // The last operation started so far; its callback may be running
        // even though it is no longer in flight.
        let seq = st.seq;
        let mut idle_polls = 0;
        while st.delivered < seq {
            let (guard, timed_out) = inner.wait_idle(st, LOST_POLL);
            st = guard;
            if !timed_out || st.running || st.op.map(|(_, s)| s) != Some(seq) {
                idle_polls = 0;
                continue;
            }
            // SAFETY: raw is live while self is; nng_aio_busy only reads.
            if unsafe { ffi::nng_aio_busy(inner.raw) } {
                idle_polls = 0;
                continue;
            }
            idle_polls += 1;
            if idle_polls >= LOST_POLLS {
                // nng has been idle for a while yet never called back: the
                // completion was lost (nng issue #2208). Deliver it here so
                // the callback still runs exactly once and nothing leaks.
                st.running = true;
                // SAFETY: we hold the running flag and hand over the lock;
                // nng is done with the op.
                unsafe { deliver(self.inner.as_ptr(), st) };
                st = inner.lock();
            }
        }
        if let Some(p) = st.panic.take() {
            drop(st);
            resume_unwind(p);
        }
        Ok(())
    }

    /// Whether a new operation could start at once and nothing is left over
    /// from earlier ones: none in flight, not stopping, no stored panic, no
    /// deferred cancel still on its way (which would hit the next operation).
    /// The closure may still be returning from the last completion; an
    /// operation started now is then delivered after it (see the module docs).
    pub(crate) fn is_reusable(&self) -> bool {
        let st = self.inner().lock();
        st.op.is_none() && !st.stopped && st.panic.is_none() && st.pins == 0
    }

    /// Takes the payload of a panic raised by the callback, if one was caught
    /// and not yet resumed by [`wait`](Self::wait).
    pub fn take_panic(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.inner().lock().panic.take()
    }

    /// The raw `nng_aio`, still owned by `self`.
    #[allow(dead_code)]
    pub(crate) fn as_ptr(&self) -> *mut ffi::nng_aio {
        self.inner().raw
    }
}

impl std::fmt::Debug for Aio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.inner().lock();
        f.debug_struct("Aio")
            .field("op", &st.op.map(|(op, _)| op))
            .field("running", &st.running)
            .field("stopped", &st.stopped)
            .finish()
    }
}

/// Takes the finished operation's outcome off the aio.
///
/// # Safety
/// `raw` must be live with operation `op` completed and not yet collected.
unsafe fn collect(raw: *mut ffi::nng_aio, op: Op) -> AioResult {
    // SAFETY: guaranteed by the caller.
    let rv = unsafe { ffi::nng_aio_result(raw) };
    // SAFETY: as above; the message (if any) is ours to take.
    let msg = unsafe { ffi::nng_aio_get_msg(raw) };
    // SAFETY: as above.
    unsafe { ffi::nng_aio_set_msg(raw, std::ptr::null_mut()) };
    // SAFETY: a non-null message on the aio is owned by whoever collects it.
    let msg = NonNull::new(msg).map(|p| unsafe { Message::from_raw(p.as_ptr()) });
    let res = crate::error::cvt(rv);
    // A cancel that arrives after a completion but before its callback can
    // overwrite the result (nng_aio_abort on an aio that finished without
    // being started sets NNG_ECANCELED): trust the message over the code, so
    // a received message is never dropped and a consumed one never resent.
    match (op, res, msg) {
        (Op::Send, Ok(()), Some(m)) => {
            // nng never leaves a sent message behind; should it, free it.
            drop(m);
            AioResult::Send(Ok(()))
        }
        (Op::Send, Ok(()), None) | (Op::Send, Err(_), None) => AioResult::Send(Ok(())),
        (Op::Send, Err(error), Some(message)) => AioResult::Send(Err(SendError { error, message })),
        (Op::Recv, _, Some(m)) => AioResult::Recv(Ok(m)),
        (Op::Recv, Ok(()), None) => AioResult::Recv(Err(Error::Internal)),
        (Op::Recv, Err(e), None) => AioResult::Recv(Err(e)),
        (Op::Sleep, r, m) => {
            drop(m);
            AioResult::Sleep(r)
        }
        (Op::Dial, r, m) => {
            drop(m);
            AioResult::Dial(r)
        }
    }
}

/// The `nng_aio` callback.
unsafe extern "C" fn trampoline(arg: *mut c_void) {
    let inner = arg as *mut Inner;
    // Nothing below is expected to panic (user panics are caught in deliver);
    // this guard only keeps any unwinding out of C.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // For the whole body, including the closure and the drop of its
        // captures when an orphaned aio is freed here.
        let _in_callback = crate::callback::Guard::enter();
        // SAFETY: nng calls us with the Inner registered in Aio::new, which
        // stays valid until nng can no longer call us (module docs).
        let i = unsafe { &*inner };
        let mut st = i.lock();
        if st.op.is_none() {
            return; // already collected by wait/drop (nng issue #2208)
        }
        if st.running {
            st.pending += 1; // the running thread delivers it
            return;
        }
        st.running = true;
        // SAFETY: we set the running flag, and hand over the lock.
        unsafe { deliver(inner, st) };
    }));
}

/// Delivers completions to the closure until none is pending, then clears
/// `running` and, for an orphaned aio with nothing in flight, frees it. The
/// state lock is taken twice per completion: the caller's (handed in as `st`,
/// also used to collect the outcome) and one after the closure returns.
///
/// # Safety
/// `inner` must be live, `st` its locked state, and the caller must have set
/// `running`.
unsafe fn deliver<'a>(inner: *mut Inner, mut st: MutexGuard<'a, State>) {
    // SAFETY: guaranteed by the caller; freed at the end of this fn at most.
    let i: &'a Inner = unsafe { &*inner };
    loop {
        let (result, seq) = match st.op.take() {
            // SAFETY: the op completed (we were called for it) and raw is
            // live while the Inner is.
            Some((op, seq)) => (Some(unsafe { collect(i.raw, op) }), seq),
            None => (None, 0),
        };
        let orphaned = st.orphaned;
        drop(st);
        let mut panicked = None;
        if let (Some(result), false) = (result, orphaned) {
            let handle = std::mem::ManuallyDrop::new(Aio {
                // SAFETY: inner is non-null.
                inner: unsafe { NonNull::new_unchecked(inner) },
            });
            // SAFETY: `running` gives this thread exclusive use of the closure.
            let cb = unsafe { &mut *i.callback.get() };
            panicked = catch_unwind(AssertUnwindSafe(|| cb(&handle, result))).err();
        }
        st = i.lock();
        if st.panic.is_none() {
            st.panic = panicked;
        }
        st.delivered = st.delivered.max(seq);
        if st.pending > 0 {
            st.pending -= 1;
            i.notify_waiters(&st);
            continue;
        }
        st.running = false;
        i.notify_waiters(&st);
        if st.orphaned && st.op.is_none() && st.pins == 0 {
            drop(st);
            // SAFETY: the owner is gone, nothing is in flight and no new
            // operation can start (stopped). The Inner is no longer referenced
            // by nng (no further callback) nor by any Aio.
            unsafe { reap_and_free(inner) };
        }
        return;
    }
}

/// How [`cancel_pinned`] ends an operation.
#[derive(Clone, Copy)]
enum Cancel {
    /// `nng_aio_cancel`: completes with `NNG_ECANCELED`.
    Cancel,
    /// `nng_aio_abort(NNG_ESTOPPED)`: for an aio being dropped.
    Stop,
}

/// Cancels or aborts the operation of a pinned aio without waiting: at once
/// when no close of the crate is running, otherwise on a helper thread as
/// soon as the closes are done (nng would call the operation's cancel
/// function while its socket or context may be freed: see
/// `crate::callback::CLOSE_LOCK`). Then releases the pin.
///
/// # Safety
/// `inner` must be live and pinned (its `pins` counted) by the caller; the
/// pin is released here, which may free it.
unsafe fn cancel_pinned(inner: *mut Inner, how: Cancel) {
    /// The pinned Inner, moved to the helper thread.
    struct Pinned(*mut Inner);
    // SAFETY: the pin keeps the Inner live until `unpin`; its fields are
    // shared through the state mutex, and nng allows nng_aio_cancel and
    // nng_aio_abort from any thread.
    unsafe impl Send for Pinned {}
    impl Pinned {
        fn ptr(&self) -> *mut Inner {
            self.0
        }
    }

    /// # Safety
    /// `inner` live (pinned) and no close of the crate running.
    unsafe fn call(inner: *mut Inner, how: Cancel) {
        // SAFETY: guaranteed by the caller; neither call waits.
        unsafe {
            let raw = (*inner).raw;
            match how {
                Cancel::Cancel => ffi::nng_aio_cancel(raw),
                Cancel::Stop => ffi::nng_aio_abort(raw, ffi::NNG_ESTOPPED),
            }
        }
    }

    if let Some(no_close) = crate::callback::try_cancel_guard() {
        // SAFETY: pinned (caller) and no close runs (the guard).
        unsafe { call(inner, how) };
        drop(no_close);
        // SAFETY: we hold the caller's pin.
        unsafe { unpin(inner) };
        return;
    }
    let pinned = Pinned(inner);
    let spawned = crate::callback::on_helper_thread(move || {
        let no_close = crate::callback::cancel_guard();
        // SAFETY: still pinned, and no close runs (the guard).
        unsafe { call(pinned.ptr(), how) };
        // Unlocked before unpinning: freeing the closure may drop handles
        // whose close takes the lock.
        drop(no_close);
        // SAFETY: the pin was handed to this thread.
        unsafe { unpin(pinned.ptr()) };
    });
    if let Err(e) = spawned {
        // Without the call the aio stays pinned: leaked, never freed under
        // nng's feet.
        ::log::warn!(target: "nng", "could not start a thread to cancel an nng aio: {e}; the aio is leaked");
    }
}

/// Releases one pin; frees an orphaned aio that is idle once none is left.
///
/// # Safety
/// `inner` must be live and the caller must hold one of its pins; it must
/// not be used after this returns.
unsafe fn unpin(inner: *mut Inner) {
    // SAFETY: live while pinned.
    let i = unsafe { &*inner };
    let mut st = i.lock();
    st.pins -= 1;
    i.notify_waiters(&st);
    if st.pins == 0 && st.orphaned && !st.running && st.op.is_none() {
        drop(st);
        // SAFETY: orphaned (no owner), stopped, idle and unpinned: nobody
        // else can reach the Inner any more.
        unsafe { reap_and_free(inner) };
    }
}

/// Hands an orphaned aio to nng's reaper and frees its `Inner` (with the
/// closure): the non-blocking end of an `Aio`, usable inside callbacks.
/// `nng_aio_reap` frees the `nng_aio` once any running callback has returned
/// and never touches the `Inner`.
///
/// # Safety
/// `inner` must be live, stopped and orphaned, with no operation in flight and
/// no trampoline about to use it; it is freed here.
unsafe fn reap_and_free(inner: *mut Inner) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        ffi::nng_aio_reap((*inner).raw);
        drop(Box::from_raw(inner));
    }
}

impl Drop for Aio {
    #[doc(alias = "nng_aio_free")]
    #[doc(alias = "nng_aio_stop")]
    #[doc(alias = "nng_aio_reap")]
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        let i = self.inner();
        let raw = i.raw;
        if in_callback() {
            let mut st = i.lock();
            st.stopped = true;
            st.orphaned = true;
            if !st.running && st.op.is_none() && st.pins == 0 {
                drop(st);
                // SAFETY: idle and stopped: no callback can come, and no
                // cancel is pending.
                unsafe { reap_and_free(inner) };
                return;
            }
            if st.op.is_some() {
                st.pins += 1;
                drop(st);
                // SAFETY: pinned just above, so the Inner stays live until
                // cancel_pinned unpins it (freeing it if the aio is idle by
                // then, else the trampoline frees it). Abort does not wait.
                unsafe { cancel_pinned(inner, Cancel::Stop) };
            }
            // Otherwise the running trampoline, or the last unpin, frees.
            return;
        }
        i.lock().stopped = true;
        {
            let _no_close = crate::callback::cancel_guard();
            // SAFETY: not in a callback, so waiting is allowed; raw is live.
            // No socket or context close of the crate runs meanwhile (the
            // guard), so the cancel function nng calls finds its socket.
            unsafe { ffi::nng_aio_stop(raw) };
        }
        let mut st = i.lock();
        // A cancel deferred from a callback may still be on its way.
        while st.running || st.pins > 0 {
            st = i.wait_idle(st, LOST_POLL).0;
        }
        if let Some((op, _)) = st.op.take() {
            // nng finished without calling back (issue #2208) or never ran
            // the callback after the stop: reclaim the message it holds.
            // SAFETY: raw is stopped and idle.
            drop(unsafe { collect(raw, op) });
        }
        drop(st);
        // SAFETY: stopped and idle, not in a callback: free waits for nothing
        // of ours, and afterwards nng can no longer call the trampoline.
        unsafe {
            ffi::nng_aio_free(raw);
            drop(Box::from_raw(inner));
        }
    }
}
