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
//! nng's rules for an `nng_aio` (vendored `docs/ref/api/aio.md`,
//! `src/core/aio.c`): the callback runs on an nng thread, possibly inline on
//! the thread that starts or finishes the operation, and possibly while the
//! callback of the previous operation is still running; nng calls back once
//! per operation handed to it and never for an aio with nothing in flight;
//! `nng_aio_stop` cancels, and returns once no callback runs, after which
//! none comes (an operation that completes after the stop is dropped without
//! its callback, nng issue #2208); `nng_aio_free` does the same and frees;
//! neither may be called from any aio callback, while `nng_aio_reap` may.
//! This module upholds them with three rules.
//!
//! 1. **One owner of the state, released after nng.** The heap `Inner` (the
//!    `nng_aio*`, the closure, the state word) is the callback
//!    argument. It is owned by the `Aio` and freed only by its drop, after
//!    `nng_aio_free` returned, or, for an aio with nothing in flight and no
//!    callback running (so none can come), right after `nng_aio_reap`. A drop
//!    inside any nng callback, where `nng_aio_stop`/`nng_aio_free` would wait
//!    for callbacks, hands that teardown to a helper thread; the `Inner` goes
//!    with it.
//! 2. **One runner of the closure.** The closure is `FnMut`: a trampoline
//!    calls it only after taking `RUNNING` in the state word; a completion
//!    arriving meanwhile sets `NOTIFIED` and the runner delivers it after the
//!    closure returns. The closure is reached only through that bit, which is
//!    why `Aio` may be `Sync`.
//! 3. **The outcome is taken before the next start.** The runner takes the
//!    result and message off the `nng_aio` before it clears `BUSY` (leaving
//!    its message slot empty, so only a send has to fill it), and a start
//!    claims `BUSY` before it touches the `nng_aio`; after a stop, an
//!    operation still marked `BUSY` got no callback and its message is
//!    reclaimed by the drop.
//!
//! 4. **A direct completion goes to the runner.** When the closure starts
//!    the next operation through the handle it was lent, the start asks nng
//!    (`nng_aio_skip_callback`) to report a completion that happens inside
//!    the start call (the provider finished it without starting it, e.g. a
//!    send that found room) instead of dispatching a callback to a task
//!    thread. nng then writes a flag in the `Inner` and calls back never for
//!    that operation; the start hands the completion to the runner with the
//!    same `NOTIFIED` transition a callback on another thread would make,
//!    and the runner delivers it after the closure returns. No thread
//!    hand-off, no recursion. After 64 in a row the runner lets nng dispatch
//!    once, so a loop of immediate completions still gives its task thread
//!    back to nng now and then.
//!
//! 5. **An owner may take a direct completion itself.** The future layer
//!    (not the closure's handle) may ask the same of nng when it starts an
//!    operation; if nng finished it inside the start call and will call back
//!    never, the start still holds `BUSY`, no runner touches that outcome,
//!    and the start takes it off the `nng_aio` and returns it. A closure
//!    still returning from an earlier completion is not involved.
//!
//! Every transition of the state word lives in `src/aio/state.rs`, with the
//! `loom` model test that covers it.
//!
//! **Panics.** The `extern "C"` callback runs under `catch_unwind`; a panic
//! of the closure is caught separately, stored, and resumed by the next
//! [`Aio::wait`] or start outside callbacks (or fetched with
//! [`Aio::take_panic`]).
//!
//! **Callback context.** The crate keeps a per-thread marker set
//! while any crate trampoline runs. Waiting calls refuse there
//! ([`Aio::wait`], blocking sends, receives and dials return
//! [`Error::IncorrectState`]) and drops defer. The marker is per thread: a
//! drop handed to another thread that the callback then waits for is not
//! seen (see [`Aio`]).
//!
//! **Stopped aios.** Once dropping begins, every new operation fails at once
//! with [`Error::Stopped`] without reaching nng, and a send gives its
//! message back in the error. A callback that resubmits must therefore stop
//! when it gets `Stopped`. A drop outside callbacks still delivers the last
//! completion (usually [`Error::Stopped`]) to the closure before it returns;
//! a drop inside a callback frees outcomes without calling the closure.
//!
//! **Messages.** A message handed to [`Aio::send`] is owned by the `nng_aio`
//! while the operation is in flight; on any failure it is taken back with
//! `nng_aio_get_msg` and delivered in [`AioResult::Send`], so nothing is
//! leaked or sent twice. nng can report `NNG_ECANCELED` for an operation
//! that had in fact completed (an abort between a direct completion and its
//! callback overwrites the result): the message on the aio is trusted over
//! the code.
//!
//! **Sockets and contexts.** An `Aio` holds only ids of what it operates on;
//! closing a socket or context completes its operations with
//! [`Error::Closed`], so they may be dropped with operations in flight.
//!
//! **Cancelling against closes.** nng 2.0.0 calls an operation's cancel
//! function after releasing the aio's lock, with the socket or context as
//! its argument, and a close on another thread could free that in between.
//! That is fixed in the C nng-sys builds (`cancel-close-race`), so stops and
//! cancels are plain nng calls: no lock of the crate links them to closes of
//! unrelated sockets.

mod state;

use crate::error::{Error, Result};
use crate::ffi;
use crate::message::{Message, SendError};
use crate::options::duration_to_ms;
use crate::{Context, Dialer, Socket};
use state::{Completion, Op, Refused, State, Stop};
use std::any::Any;
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// `applied_ms` before the first start: no duration converts to it, so the
/// first start always sets the aio's timeout (`nng_aio_alloc` leaves
/// `NNG_DURATION_DEFAULT`, which nng would turn into the socket's timeout,
/// and keep).
const TIMEOUT_UNSET: i32 = i32::MIN;

/// How many direct completions one runner delivers in a row before it lets
/// nng dispatch the next callback again (rule 4): a loop whose operations
/// always complete at once then still returns its thread to nng's task
/// queue now and then, as it did when every completion was dispatched.
const DIRECT_STREAK: u32 = 64;

/// Whether the current thread is running an nng callback (an aio completion
/// or a pipe event, see [`crate::callback`]).
#[inline]
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

pub(crate) mod private {
    /// Seals [`AsyncTarget`](super::AsyncTarget): implemented here for the
    /// public handles, and by the future layer for its own target.
    pub trait Sealed {}
    impl Sealed for crate::Socket {}
    impl Sealed for crate::Context {}
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

type Callback = dyn FnMut(&Aio, AioResult) + Send + 'static;

struct Inner {
    raw: *mut ffi::nng_aio,
    state: State,
    /// `nng_duration` for operations started from now on.
    timeout_ms: AtomicI32,
    /// The `nng_duration` last given to `nng_aio_set_timeout`, or
    /// [`TIMEOUT_UNSET`] before the first start. nng keeps it across
    /// operations; the only other change nng makes is to replace
    /// `NNG_DURATION_DEFAULT` (what `nng_aio_alloc` sets) by the socket's own
    /// timeout at a send or receive, and the values given here are never
    /// that. Read and written only by a start holding `BUSY`, whose claim
    /// orders it.
    applied_ms: AtomicI32,
    /// Where nng reports a direct completion it did not call back for
    /// (`nng_aio_skip_callback`); asked for only by the runner (rule 4).
    skipped: AtomicBool,
    /// Direct completions the current runner delivered in a row (rule 4).
    /// Touched only by the runner.
    streak: AtomicU32,
    /// Reached only by the trampoline holding `RUNNING` (rule 2).
    callback: UnsafeCell<Box<Callback>>,
    /// A panic caught from the closure, flagged by `PANICKED`.
    panic: Mutex<Option<crate::callback::Payload>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // A panic never resumed: its payload's drop may panic, which must
        // not escape a drop (nor a helper thread's teardown).
        let slot = self.panic.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = slot.take() {
            crate::callback::drop_payload(p);
        }
    }
}

impl Inner {
    fn take_panic(&self) -> Option<Box<dyn Any + Send + 'static>> {
        if !self.state.take_panicked() {
            return None;
        }
        self.panic.lock().unwrap_or_else(|p| p.into_inner()).take()
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
/// the callback), or inside any aio callback including its own (the
/// teardown then runs on a helper thread, and the closure is not called
/// again; see the [module docs](self)).
///
/// The closure is freed where the teardown runs, so its captures may be
/// dropped inside a callback. They may include the last handle of a
/// [`Socket`], [`Dialer`] or [`Listener`](crate::Listener): closing one waits
/// for nng's callbacks, so a handle dropped or closed inside any nng callback
/// is closed on a short-lived helper thread instead of deadlocking. If no
/// thread can be started there, that handle is leaked (it stays open, its
/// callbacks stay alive) rather than freed under nng or closed in place.
///
/// **The closure must not block.** nng runs aio callbacks on a small pool of
/// threads; callbacks that wait for nng (a receive waiting for a message
/// that another of those threads would deliver) can stall the whole process.
/// Inside any nng callback, blocking sends, receives and synchronous dials
/// ([`Socket::recv`], [`Socket::send`], [`Socket::dial`],
/// [`Dialer::start`], the [`Context`] equivalents) return
/// [`Error::IncorrectState`] at once; use their non-blocking variants or
/// start the next operation on an `Aio`.
///
/// **Do not hand the drop to a thread you wait for.** The crate recognises
/// "inside a callback" per thread. A closure that moves the last handle of
/// its own `Aio` (or of an `Aio` whose callback is running) to another thread
/// and then waits for that thread (`std::thread::scope`, `join`,
/// `rayon::join`, a runtime's `block_on`) deadlocks: that thread is not
/// inside a callback, so the drop stops the aio and waits for the running
/// callback, which waits for the drop, like joining a thread that joins
/// you. Drop it in the closure itself (the teardown is then deferred), or
/// send it to a thread the closure does not wait for.
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
    /// The handle the trampoline lends the closure: the thread that holds
    /// `RUNNING` is inside this closure call for as long as it exists
    /// (rule 4). Never dropped (`ManuallyDrop`).
    runner: bool,
}

// SAFETY: the state word is atomic; the nng_aio is thread-safe for the calls
// made from &self (start after claiming BUSY, cancel, wait); the closure is
// Send and only ever called by the single trampoline holding RUNNING, so
// sharing &Aio across threads never gives two threads the closure at once.
// Pinned by the compile_fail doctest above (a non-Send closure is rejected)
// and tests/aio_send_sync.rs.
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
            state: State::new(),
            timeout_ms: AtomicI32::new(duration_to_ms(None)),
            applied_ms: AtomicI32::new(TIMEOUT_UNSET),
            skipped: AtomicBool::new(false),
            streak: AtomicU32::new(0),
            callback: UnsafeCell::new(Box::new(callback)),
            panic: Mutex::new(None),
        }));
        let mut raw = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; `inner` stays valid until the
        // aio is freed (rule 1), and no operation can start (so no callback
        // can run) before we store `raw` below.
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
            runner: false,
        })
    }

    fn inner(&self) -> &Inner {
        // SAFETY: the Inner lives at least as long as any Aio pointing to it
        // (freed only by the owner's teardown, after nng's last callback).
        unsafe { self.inner.as_ref() }
    }

    /// Timeout for operations started from now on; `None` (the default) waits
    /// forever. An operation that times out completes with
    /// [`Error::TimedOut`] (`nng_aio_set_timeout`). It applies to
    /// [`sleep`](Self::sleep) too, as in nng: a timeout shorter than the
    /// sleep ends it early with [`Error::TimedOut`]. It does not apply to
    /// [`dial`](Self::dial).
    #[doc(alias = "nng_aio_set_timeout")]
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        self.inner()
            .timeout_ms
            .store(duration_to_ms(timeout), Ordering::Relaxed);
    }

    /// Sends `msg` on a socket or context (`nng_socket_send`, `nng_ctx_send`).
    /// It takes what [`Socket::send`] takes: a [`Message`] (moved, header
    /// included, no copy) or bytes to copy into one.
    /// If the operation cannot start (another one is in flight:
    /// [`Error::Busy`]; the aio is stopping: [`Error::Stopped`]) the message
    /// comes back at once; a later failure returns it in [`AioResult::Send`].
    #[doc(alias = "nng_socket_send")]
    #[doc(alias = "nng_ctx_send")]
    #[doc(alias = "nng_aio_set_msg")]
    pub fn send<T: AsyncTarget>(
        &self,
        target: &T,
        msg: impl Into<Message>,
    ) -> std::result::Result<(), SendError> {
        // SAFETY: start hands us its live, idle aio.
        self.start(Op::Send, Some(msg.into()), false, |raw| unsafe {
            target.start_send(raw)
        })
        .map(drop)
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
        self.start(Op::Recv, None, false, |raw| unsafe {
            target.start_recv(raw)
        })
        .map(drop)
        .map_err(|(e, _)| e)
    }

    /// Completes with [`AioResult::Sleep`]`(Ok(()))` after `duration`
    /// (`nng_sleep_aio`); cancelling ends it early with an error, and a
    /// timeout set with [`set_timeout`](Self::set_timeout) that is shorter
    /// than `duration` ends it then with [`Error::TimedOut`].
    #[doc(alias = "nng_sleep_aio")]
    pub fn sleep(&self, duration: Duration) -> Result<()> {
        let ms = duration_to_ms(Some(duration));
        self.start(Op::Sleep, None, false, |raw| {
            // SAFETY: raw is a live idle aio (claimed by start).
            unsafe { ffi::nng_sleep_aio(ms, raw) }
        })
        .map(drop)
        .map_err(|(e, _)| e)
    }

    /// Starts `dialer` and completes with the result of its first connection
    /// attempt in [`AioResult::Dial`] (`nng_dialer_start_aio`). After a
    /// success the dialer reconnects whenever the connection drops; after a
    /// failure nothing is retried, as with [`Dialer::start`]. A cancel (or
    /// the aio's drop) ends only the report: the dial goes on as after
    /// [`Dialer::start_background`]. The future form is
    /// [`Dialer::start_async`]. nng offers no such call for listeners:
    /// [`crate::Listener::start`] is immediate.
    #[doc(alias = "nng_dialer_start_aio")]
    pub fn dial(&self, dialer: &Dialer) -> Result<()> {
        self.dial_id(dialer.raw())
    }

    /// [`dial`](Self::dial) by the dialer's id (which nng validates), for
    /// the futures that keep an id rather than a borrow.
    pub(crate) fn dial_id(&self, d: ffi::nng_dialer) -> Result<()> {
        self.start(Op::Dial, None, false, |raw| {
            // SAFETY: raw is a live idle aio; the dialer is an id nng validates.
            unsafe { ffi::nng_dialer_start_aio(d, ffi::NNG_FLAG_NONBLOCK as i32, raw) }
        })
        .map(drop)
        .map_err(|(e, _)| e)
    }

    /// Claims the aio for one operation and starts it with `f`. With
    /// `direct`, an owner (not the runner's handle) asks nng to report a
    /// completion that happens inside `f` and gets its outcome back at once
    /// (rule 5); otherwise the outcome always comes through the closure.
    fn start(
        &self,
        op: Op,
        msg: Option<Message>,
        direct: bool,
        f: impl FnOnce(*mut ffi::nng_aio),
    ) -> std::result::Result<Option<AioResult>, (Error, Option<Message>)> {
        let inner = self.inner();
        // A stored panic resumes here, outside callbacks (the bit is read
        // first: the thread-local marker costs more than the load).
        if inner.state.has_panicked() && !in_callback() {
            if let Some(p) = inner.take_panic() {
                resume_unwind(p);
            }
        }
        match inner.state.start(op) {
            Ok(()) => {}
            Err(Refused::Busy) => return Err((Error::Busy, msg)),
            Err(Refused::Stopped) => return Err((Error::Stopped, msg)),
        }
        let raw = inner.raw;
        let ms = match op {
            Op::Dial => duration_to_ms(None),
            _ => inner.timeout_ms.load(Ordering::Relaxed),
        };
        // SAFETY: raw is live (self is) and ours to prepare: BUSY was claimed
        // just above and the last outcome was taken off it (rule 3), so no
        // callback reads it meanwhile. nng keeps both the timeout and the
        // message across operations: the timeout is set only when it
        // changed, and the message slot is empty between operations (rule
        // 3), so only a send fills it. The callback may run inline in `f`.
        unsafe {
            if inner.applied_ms.load(Ordering::Relaxed) != ms {
                ffi::nng_aio_set_timeout(raw, ms);
                inner.applied_ms.store(ms, Ordering::Relaxed);
            }
            if let Some(m) = msg {
                ffi::nng_aio_set_msg(raw, m.into_raw());
            }
        }
        // Rule 4: the runner asks nng to report a direct completion here
        // instead of dispatching its callback to another thread, and hands
        // it to itself, as if nng had called back while the closure runs.
        // Rule 5: an owner that asked for it takes such a completion itself.
        let skip = if self.runner {
            inner.streak.load(Ordering::Relaxed) < DIRECT_STREAK
        } else {
            direct
        };
        if skip {
            // SAFETY: raw is live and ours to prepare (BUSY); the flag lives
            // in the Inner, which outlives any write nng makes to it.
            unsafe { ffi::nng_aio_skip_callback(raw, inner.skipped.as_ptr()) };
        }
        f(raw);
        // nng writes the flag inside the call above when the provider
        // finished the operation without starting it (nni_aio_finish_impl),
        // and then schedules no callback.
        if !(skip && inner.skipped.load(Ordering::Relaxed)) {
            return Ok(None);
        }
        if self.runner {
            inner.streak.fetch_add(1, Ordering::Relaxed);
            // The runner holds RUNNING (it is inside the closure that lent
            // this handle), so the completion is handed to it (NOTIFIED) and
            // delivered when the closure returns.
            let handed = inner.state.complete();
            debug_assert_eq!(handed, Completion::Handed);
            return Ok(None);
        }
        // SAFETY: BUSY is still ours (claimed above) and nng will not call
        // back for this operation, so no runner touches its outcome: it is
        // the owner's to take, before BUSY is released (rule 3).
        let result = unsafe { collect(raw, op) };
        inner.state.taken_direct();
        Ok(Some(result))
    }

    /// [`send`](Self::send) for the future layer: the outcome of a send that
    /// nng finished inside the start comes back here, not through the
    /// closure (rule 5). Not for the runner's handle.
    pub(crate) fn send_direct<T: AsyncTarget>(
        &self,
        target: &T,
        msg: Message,
    ) -> std::result::Result<Option<AioResult>, SendError> {
        debug_assert!(!self.runner);
        // SAFETY: start hands us its live, idle aio.
        self.start(Op::Send, Some(msg), true, |raw| unsafe {
            target.start_send(raw)
        })
        .map_err(|(error, message)| SendError {
            error,
            message: message.expect("send keeps its message"),
        })
    }

    /// [`recv`](Self::recv) for the future layer, as
    /// [`send_direct`](Self::send_direct).
    pub(crate) fn recv_direct<T: AsyncTarget>(&self, target: &T) -> Result<Option<AioResult>> {
        debug_assert!(!self.runner);
        // SAFETY: start hands us its live, idle aio.
        self.start(Op::Recv, None, true, |raw| unsafe {
            target.start_recv(raw)
        })
        .map_err(|(e, _)| e)
    }

    /// Asks nng to cancel the operation in flight (`nng_aio_cancel`). The
    /// callback still runs, usually with [`Error::Canceled`], unless the
    /// operation completed first. Does not wait for the callback, so it may
    /// be called anywhere, inside callbacks too.
    #[doc(alias = "nng_aio_cancel")]
    pub fn cancel(&self) {
        // SAFETY: raw is live while self is; nng_aio_cancel does not wait
        // for the callback. A close of the operation's socket or context on
        // another thread may run meanwhile: nng-sys's `cancel-close-race`
        // fix keeps what the cancel function is handed alive until it
        // returns.
        unsafe { ffi::nng_aio_cancel(self.inner().raw) };
    }

    /// Whether an operation is in flight or its callback is running.
    #[doc(alias = "nng_aio_busy")]
    pub fn is_busy(&self) -> bool {
        self.inner().state.is_busy()
    }

    /// Blocks until no operation is in flight and no callback is running
    /// (`nng_aio_wait`), then resumes a panic the callback raised, if any.
    /// From inside an aio callback, where waiting could deadlock, it returns
    /// [`Error::IncorrectState`] at once.
    ///
    /// Like `nng_aio_wait`, it also waits for operations the callback starts
    /// meanwhile: a callback that always resubmits keeps it waiting.
    ///
    /// "Inside a callback" is per thread, as for drops (see [`Aio`]): a
    /// closure that hands its `&Aio` to another thread and waits for that
    /// thread (`std::thread::scope`, `join`) while the other thread calls
    /// `wait` deadlocks, since `wait` waits for the closure, which waits for
    /// the thread (`tests/adversarial3.rs`,
    /// `wait_on_lent_handle_from_scoped_thread`).
    #[doc(alias = "nng_aio_wait")]
    pub fn wait(&self) -> Result<()> {
        if in_callback() {
            return Err(Error::IncorrectState);
        }
        let inner = self.inner();
        // nng's task count covers an operation from the moment it is handed
        // to nng until its callback (which delivers every completion handed
        // to the runner) has returned, and nng always calls back for an aio
        // that is not stopped (only a drop stops it). So when nng is idle
        // and BUSY is still set, another thread is between its claim and
        // the nng call: let it get there.
        while inner.state.is_busy() {
            // SAFETY: raw is live while self is; not inside a callback.
            unsafe { ffi::nng_aio_wait(inner.raw) };
            if inner.state.is_busy() {
                std::thread::yield_now();
            }
        }
        if let Some(p) = inner.take_panic() {
            resume_unwind(p);
        }
        Ok(())
    }

    /// Whether the aio is as new: nothing in flight, no callback running, not
    /// stopping, no stored panic. Then nothing can run
    /// its closure any more until the next start (a pool may take it back).
    pub(crate) fn is_idle(&self) -> bool {
        self.inner().state.is_idle()
    }

    /// Whether nothing is in flight and the aio is not stopping and has no
    /// stored panic; its closure may still be returning from the last
    /// completion (an operation started now is delivered after it returns).
    pub(crate) fn is_reusable(&self) -> bool {
        self.inner().state.is_reusable()
    }

    /// Takes the payload of a panic raised by the callback, if one was caught
    /// and not yet resumed by [`wait`](Self::wait).
    pub fn take_panic(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.inner().take_panic()
    }
}

impl std::fmt::Debug for Aio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aio")
            .field("busy", &self.is_busy())
            .finish()
    }
}

/// Takes the finished operation's outcome off the aio.
///
/// # Safety
/// `raw` must be live with operation `op` completed (or stopped without a
/// callback) and not yet collected, and no start may touch it meanwhile
/// (BUSY held).
#[inline(always)]
unsafe fn collect(raw: *mut ffi::nng_aio, op: Op) -> AioResult {
    // SAFETY: guaranteed by the caller.
    let rv = unsafe { ffi::nng_aio_result(raw) };
    // SAFETY: as above; the message (if any) is ours to take.
    let msg = NonNull::new(unsafe { ffi::nng_aio_get_msg(raw) }).map(|p| {
        // SAFETY: as above. The slot is left empty for the next start
        // (rule 3), and the message on it is owned by whoever collects it.
        unsafe {
            ffi::nng_aio_set_msg(raw, std::ptr::null_mut());
            Message::from_raw(p.as_ptr())
        }
    });
    // Inline: `cvt`'s generic conversion is not worth a call per completion.
    let res = if rv == 0 {
        Ok(())
    } else {
        Err(Error::from_code(rv as u32))
    };
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

/// The `nng_aio` callback: the runner loop of rule 2.
unsafe extern "C" fn trampoline(arg: *mut c_void) {
    // Nothing below is expected to panic (user panics are caught around the
    // closure, and their payloads are stored or dropped without letting a
    // panic out, so `State::finish` always runs); this guard only keeps any
    // unwinding out of C, and drops what it caught the same way.
    let outer = catch_unwind(AssertUnwindSafe(|| {
        // For the whole body, including the closure.
        let _in_callback = crate::callback::Guard::enter();
        let inner = arg as *mut Inner;
        // SAFETY: nng calls us with the Inner registered in Aio::new, which
        // is freed only after nng's last callback has returned (rule 1).
        let mut op = match unsafe { (*inner).state.complete() } {
            Completion::Deliver(op) => op,
            Completion::Handed => return,
        };
        // SAFETY: as above. A new runner: its streak of direct completions
        // starts over (rule 4; only the runner touches it).
        unsafe { (*inner).streak.store(0, Ordering::Relaxed) };
        loop {
            // SAFETY: as above; the Inner lives at least until this callback
            // returns. We hold RUNNING and BUSY: the outcome is ours to take.
            let result = unsafe { collect((*inner).raw, op) };
            // SAFETY: as above.
            if unsafe { (*inner).state.collected() } {
                let handle = ManuallyDrop::new(Aio {
                    // SAFETY: nng passes back the non-null Inner pointer.
                    inner: unsafe { NonNull::new_unchecked(inner) },
                    runner: true,
                });
                // SAFETY: RUNNING gives this thread exclusive use of the
                // closure (rule 2); the reference ends with this statement.
                let cb = unsafe { &mut *(*inner).callback.get() };
                if let Err(p) = catch_unwind(AssertUnwindSafe(|| cb(&handle, result))) {
                    // SAFETY: as above.
                    let i = unsafe { &*inner };
                    // The first panic is kept; a later one's payload is
                    // dropped here, and a panic from that drop is caught
                    // (its payload leaked): nothing skips `finish` below.
                    if crate::callback::store_payload(&i.panic, p) {
                        i.state.set_panicked();
                    }
                }
            } else {
                // The owner is gone: the outcome (a message) is freed here.
                drop(result);
            }
            // SAFETY: as above. After `None` nothing of the Inner is touched.
            match unsafe { (*inner).state.finish() } {
                Some(next) => op = next,
                None => return,
            }
        }
    }));
    if let Err(p) = outer {
        crate::callback::drop_payload(p);
    }
}

/// The teardown of an owner's drop, outside any callback: stop, reclaim what
/// got no callback, free the `nng_aio`, then the `Inner` with its closure.
///
/// # Safety
/// `inner` must be live, stopped, and owned by the caller (no `Aio` left);
/// it is freed here. Not inside a callback.
unsafe fn teardown(inner: NonNull<Inner>) {
    // SAFETY: guaranteed by the caller until the Box is dropped below.
    let i = unsafe { inner.as_ref() };
    // SAFETY: live; not in a callback, so waiting is allowed. Afterwards no
    // callback runs and none will come.
    unsafe { ffi::nng_aio_stop(i.raw) };
    if let Some(op) = i.state.reclaim() {
        // nng completed it after the stop without calling back (issue
        // #2208), or never got to: the message it holds is ours again.
        // SAFETY: stopped, no callback can touch it.
        drop(unsafe { collect(i.raw, op) });
    }
    // SAFETY: stopped and idle, not in a callback: free waits for nothing of
    // ours, and afterwards nng can no longer call the trampoline. Then the
    // Inner is unreferenced and freed exactly once (rule 1).
    unsafe {
        ffi::nng_aio_free(i.raw);
        drop(Box::from_raw(inner.as_ptr()));
    }
}

impl Drop for Aio {
    #[doc(alias = "nng_aio_free")]
    #[doc(alias = "nng_aio_stop")]
    #[doc(alias = "nng_aio_reap")]
    fn drop(&mut self) {
        let inner = self.inner;
        if !in_callback() {
            self.inner().state.stop(false);
            // SAFETY: we own the Inner (the last Aio), stopped, outside
            // callbacks.
            unsafe { teardown(inner) };
            return;
        }
        match self.inner().state.stop(true) {
            Stop::Idle => {
                // SAFETY: nothing in flight, no trampoline running, and no
                // start can come (STOPPED): nng will not call back, so
                // the Inner is ours alone; nng_aio_reap frees the nng_aio
                // later without touching it.
                unsafe {
                    ffi::nng_aio_reap(self.inner().raw);
                    drop(Box::from_raw(inner.as_ptr()));
                }
            }
            Stop::Active => {
                /// The stopped Inner, moved to the helper thread.
                struct Owned(NonNull<Inner>);
                // SAFETY: the helper thread becomes the Inner's only owner;
                // its fields are atomics and nng's thread-safe aio calls.
                unsafe impl Send for Owned {}
                impl Owned {
                    fn get(&self) -> NonNull<Inner> {
                        self.0
                    }
                }
                let owned = Owned(inner);
                let spawned = crate::callback::on_helper_thread(move || {
                    // SAFETY: handed over whole; the helper is outside callbacks.
                    unsafe { teardown(owned.get()) }
                });
                if let Err(e) = spawned {
                    // Leaked, never freed under nng's feet.
                    ::log::warn!(target: "nng", "could not start a thread to free an nng aio dropped in a callback: {e}; it is leaked");
                }
            }
        }
    }
}
