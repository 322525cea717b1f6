//! `async`/`await` on sockets and contexts, runtime-agnostic.
//!
//! [`Socket::send_async`], [`Socket::recv_async`], [`Context::send_async`] and
//! [`Context::recv_async`] return futures built on an [`Aio`] whose callback
//! stores the result and wakes the task's [`Waker`]. The library starts no
//! thread and depends on no runtime: nng's own threads complete the
//! operations, so the futures run under tokio, smol, `futures::executor` or
//! anything else.
//!
//! ```
//! use nng::{Protocol, Socket};
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.listen("inproc://future-doc")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.dial("inproc://future-doc")?;
//!
//! futures::executor::block_on(async {
//!     req.send_async(b"ping").await?;
//!     let request = rep.recv_async().await?;
//!     rep.send_async(request).await?;
//!     assert_eq!(req.recv_async().await?.as_slice(), b"ping");
//!     Ok::<(), nng::Error>(())
//! })?;
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! **Starting and cancelling.** A future does nothing until first polled; the
//! first poll starts the operation on an [`Aio`] (from a small pool, see
//! below) and asks nng to report a completion that happens inside that
//! start (`nng_aio_skip_callback`): when the message can go or is already
//! waiting, the future is ready on that first poll, with no callback, no
//! waker and no hand-off to an nng thread. Otherwise the operation waits in
//! nng as any `Aio` operation does, for every protocol and raw sockets
//! alike, and the callback wakes the task. Dropping it before completion drops its
//! `Aio`, which stops the operation and waits for its callback (see
//! [`crate::aio`]): a message not yet sent is freed with the future, never
//! leaked nor sent later; a message received but not yet returned is freed.
//! To keep an unsent message, wrap the send in a timeout of your runtime and
//! use the [`SendError`] of the [`Error::TimedOut`] result, or set a timeout
//! with [`SendFuture::timeout`].
//!
//! **Cancel safety.** A [`RecvFuture`] dropped before it returned loses at
//! most one message: one that nng had already taken off the socket for it
//! (the operation completed, or completes while the drop cancels it) and
//! that no poll has returned yet; it is freed with the future. In a loop
//! that races receives against other events (`select!`), use a
//! [`RecvStream`] instead: it keeps its one operation across the dropped
//! `next()` futures and yields a message that completed meanwhile on its
//! next poll, so nothing is lost. A [`SendFuture`] dropped before completion
//! either sent its message or frees it unsent, never both, never later.
//!
//! **Reuse.** An `Aio` a future had to start goes back to a small
//! process-wide pool (at most 64) when the future is dropped with nothing in
//! flight and nothing left that could write its result slot: either the aio
//! is idle, or the future already took the result of its last operation
//! (one completion per operation, so the closure stores nothing more). A
//! result therefore never reaches another future. The next future that must
//! wait takes one whose closure is not running any more (never one still
//! returning from its last completion, e.g. blocked in a waker, so unrelated
//! futures never wait for each other; the pool grows by one aio instead): a
//! loop of one-shot futures allocates nothing per message once warm, and its
//! drops never wait for nng's task thread.
//!
//! The futures are `'static`: they keep the id of the socket or context, not
//! a borrow. If it is closed meanwhile, they complete with [`Error::Closed`].
//!
//! [`RecvStream`] is a [`Stream`] of received messages and [`SendSink`] a
//! [`Sink`] of messages to send, each reusing one `Aio`.
//!
//! [`DialFuture`] ([`Socket::dial_async`], [`Dialer::start_async`](crate::Dialer::start_async))
//! resolves with the result of a dialer's first connection attempt.

use crate::aio::{Aio, AioResult, AsyncTarget};
use crate::error::{Error, Result};
use crate::message::{Message, SendError};
use crate::{Context, Socket};
use futures_core::Stream;
use futures_sink::Sink;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

mod dial;
pub use dial::DialFuture;

/// A socket or context id the futures can operate on without a borrow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    id: Id,
}

#[derive(Clone, Copy, Debug)]
enum Id {
    Socket(crate::ffi::nng_socket),
    Context(crate::ffi::nng_ctx),
}

impl Target {
    pub(crate) fn socket(s: &Socket) -> Target {
        Target {
            id: Id::Socket(s.raw()),
        }
    }

    pub(crate) fn context(c: &Context) -> Target {
        Target {
            id: Id::Context(c.raw()),
        }
    }
}

impl crate::aio::private::Sealed for Target {}

impl AsyncTarget for Target {
    unsafe fn start_send(&self, aio: *mut crate::ffi::nng_aio) {
        // SAFETY: the caller passes a live idle aio (Aio::start); the ids are
        // plain integers that nng validates (a closed one fails with ECLOSED).
        unsafe {
            match self.id {
                Id::Socket(s) => crate::ffi::nng_socket_send(s, aio),
                Id::Context(c) => crate::ffi::nng_ctx_send(c, aio),
            }
        }
    }
    unsafe fn start_recv(&self, aio: *mut crate::ffi::nng_aio) {
        // SAFETY: as in start_send.
        unsafe {
            match self.id {
                Id::Socket(s) => crate::ffi::nng_socket_recv(s, aio),
                Id::Context(c) => crate::ffi::nng_ctx_recv(c, aio),
            }
        }
    }
}

/// Where the aio callback leaves its result for the future.
#[derive(Default)]
struct Slot {
    result: Option<AioResult>,
    waker: Option<Waker>,
}

type Shared = Arc<Mutex<Slot>>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Slot> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

/// An aio whose callback stores the result in `slot` and wakes the waker.
fn waking_aio(slot: &Shared) -> Result<Aio> {
    let slot = slot.clone();
    Aio::new(move |_aio, result| {
        let waker = {
            let mut s = lock(&slot);
            s.result = Some(result);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    })
}

/// Stores the waker of the current poll.
fn register(slot: &Shared, cx: &TaskContext<'_>) -> Option<AioResult> {
    let mut s = lock(slot);
    if let Some(r) = s.result.take() {
        return Some(r);
    }
    match &s.waker {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => s.waker = Some(cx.waker().clone()),
    }
    None
}

/// A lazily created aio plus its result slot: nothing is allocated until an
/// operation has to wait. The pair comes from [`POOL`] when it has one, and
/// goes back there when the future is dropped with nothing in flight, so a
/// loop of one-shot futures allocates no `nng_aio` per message and never
/// waits in `nng_aio_free` for nng's task thread to let go of one.
struct Op {
    aio: Option<(Aio, Shared)>,
    timeout: Option<Duration>,
    /// An operation may have been started whose result [`Op::poll`] has not
    /// returned yet (its closure may still store it).
    awaiting: bool,
}

/// Idle waking aios (with their slots) kept for reuse by later futures, at
/// most [`POOL_MAX`]; kept for the life of the process.
static POOL: Mutex<Vec<(Aio, Shared)>> = Mutex::new(Vec::new());
const POOL_MAX: usize = 64;

fn pool() -> std::sync::MutexGuard<'static, Vec<(Aio, Shared)>> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes an aio from the pool whose closure is not running (idle), if
/// there is one. An aio pooled while its closure was still returning from
/// its last completion (its result already taken) stays in the pool until
/// that closure has returned: handed to another future meanwhile, the new
/// future's completions would be delivered by that runner after it returns,
/// coupling unrelated futures through a waker that blocks.
fn take_pooled() -> Option<(Aio, Shared)> {
    let mut pool = pool();
    let i = pool.iter().rposition(|(aio, _)| aio.is_idle())?;
    Some(pool.swap_remove(i))
}

impl Op {
    fn new() -> Op {
        Op {
            aio: None,
            timeout: None,
            awaiting: false,
        }
    }

    /// The aio, from the pool or created on first use, for an operation the
    /// caller starts on it now.
    fn aio(&mut self) -> Result<&Aio> {
        self.awaiting = true;
        if self.aio.is_none() {
            let pooled = take_pooled();
            let (aio, slot) = match pooled {
                Some(pair) => pair,
                None => {
                    let slot = Shared::default();
                    (waking_aio(&slot)?, slot)
                }
            };
            aio.set_timeout(self.timeout);
            self.aio = Some((aio, slot));
        }
        Ok(&self.aio.as_ref().expect("just set").0)
    }

    /// The outcome of the operation started on the aio, if it finished;
    /// otherwise the task's waker is stored to be woken when it does.
    fn poll(&mut self, cx: &TaskContext<'_>) -> Option<AioResult> {
        let (_, slot) = self.aio.as_ref()?;
        let r = register(slot, cx);
        if r.is_some() {
            // The closure stored it: it stores nothing more until the next
            // start (one completion per operation).
            self.awaiting = false;
        }
        r
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        let Some((aio, slot)) = self.aio.take() else {
            return;
        };
        // An aio goes back only when nothing can write this slot any more,
        // so a result can never reach another future: idle (nothing in
        // flight, closure not running), or nothing in flight and the last
        // result already taken from the slot (its closure may still be
        // returning, e.g. in the waker, but it stored that result before).
        // It is handed out again only once idle (`take_pooled`), so a closure
        // still returning never delivers another future's completion.
        // Otherwise the aio is dropped: that cancels the operation and waits
        // for its callback (crate::aio).
        if aio.is_idle() || (!self.awaiting && aio.is_reusable()) {
            // A result never polled (a message received for a future dropped
            // since) is freed here, as it would be with the aio.
            *lock(&slot) = Slot::default();
            let mut pool = pool();
            if pool.len() < POOL_MAX {
                pool.push((aio, slot));
            }
        }
    }
}

/// Sends one message (see [`Socket::send_async`]). Resolves to `Ok(())` once
/// nng accepted the message, or to a [`SendError`] carrying it back.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture {
    target: Target,
    msg: Option<Message>,
    op: Op,
    started: bool,
}

impl SendFuture {
    fn new(target: Target, msg: Message) -> SendFuture {
        SendFuture {
            target,
            msg: Some(msg),
            op: Op::new(),
            started: false,
        }
    }

    /// Fails with [`Error::TimedOut`] (message returned) if not sent within
    /// `timeout`; `None` (the default) waits forever.
    pub fn timeout(mut self, timeout: Option<Duration>) -> SendFuture {
        self.op.timeout = timeout;
        self
    }
}

impl Future for SendFuture {
    type Output = std::result::Result<(), SendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut(); // SendFuture is Unpin
        if !this.started {
            let Some(msg) = this.msg.take() else {
                panic!("SendFuture polled after completion");
            };
            let target = this.target;
            match this.op.aio() {
                Ok(aio) => match aio.send_direct(&target, msg) {
                    Ok(None) => this.started = true,
                    Ok(Some(AioResult::Send(r))) => {
                        this.op.awaiting = false;
                        return Poll::Ready(r);
                    }
                    Ok(Some(_)) => unreachable!("a send aio reports a send"),
                    Err(e) => {
                        this.op.awaiting = false;
                        return Poll::Ready(Err(e));
                    }
                },
                Err(error) => {
                    return Poll::Ready(Err(SendError {
                        error,
                        message: msg,
                    }))
                }
            }
        }
        match this.op.poll(cx) {
            Some(AioResult::Send(r)) => {
                this.started = false;
                Poll::Ready(r)
            }
            Some(_) => unreachable!("a send aio reports a send"),
            None => Poll::Pending,
        }
    }
}

/// Receives one message (see [`Socket::recv_async`]).
///
/// Dropping it before it returned frees a message nng may already have
/// taken off the socket for it (see [cancel safety](crate::future)); in
/// `select!` loops use [`Socket::recv_stream`], which loses nothing.
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture {
    target: Target,
    op: Op,
    started: bool,
}

impl RecvFuture {
    fn new(target: Target) -> RecvFuture {
        RecvFuture {
            target,
            op: Op::new(),
            started: false,
        }
    }

    /// Fails with [`Error::TimedOut`] if nothing arrives within `timeout`;
    /// `None` (the default) waits forever.
    pub fn timeout(mut self, timeout: Option<Duration>) -> RecvFuture {
        self.op.timeout = timeout;
        self
    }
}

/// Polls a receive on `op`, starting it if needed.
fn poll_recv(
    target: Target,
    op: &mut Op,
    started: &mut bool,
    cx: &TaskContext<'_>,
) -> Poll<Result<Message>> {
    if !*started {
        let direct = op.aio()?.recv_direct(&target);
        match direct {
            Ok(None) => *started = true,
            Ok(Some(AioResult::Recv(r))) => {
                op.awaiting = false;
                return Poll::Ready(r);
            }
            Ok(Some(_)) => unreachable!("a recv aio reports a recv"),
            Err(e) => {
                op.awaiting = false;
                return Poll::Ready(Err(e));
            }
        }
    }
    match op.poll(cx) {
        Some(AioResult::Recv(r)) => {
            *started = false;
            Poll::Ready(r)
        }
        Some(_) => unreachable!("a recv aio reports a recv"),
        None => Poll::Pending,
    }
}

impl Future for RecvFuture {
    type Output = Result<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        poll_recv(this.target, &mut this.op, &mut this.started, cx)
    }
}

/// A [`Stream`] of received messages (see [`Socket::recv_stream`]). It yields
/// `Ok(message)` and errors other than [`Error::Closed`], and ends when the
/// socket or context is closed.
///
/// Cancel-safe: dropping a `next()` future (a `select!` branch that lost)
/// loses nothing; a message that completed meanwhile is kept and yielded by
/// the next poll. Only dropping the stream itself frees such a message.
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream {
    target: Target,
    op: Op,
    started: bool,
    done: bool,
}

impl Stream for RecvStream {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match poll_recv(this.target, &mut this.op, &mut this.started, cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(Error::Closed)) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(r) => Poll::Ready(Some(r)),
        }
    }
}

/// A [`Sink`] of messages (see [`Socket::send_sink`]): one send in flight at
/// a time. A failed send's message is dropped and its error returned: by
/// `start_send` when it fails at once, otherwise by the next
/// `poll_ready`/`poll_flush`/`poll_close`.
#[must_use = "sinks do nothing unless polled"]
pub struct SendSink {
    target: Target,
    op: Op,
    in_flight: bool,
}

impl SendSink {
    fn poll_idle(&mut self, cx: &TaskContext<'_>) -> Poll<Result<()>> {
        if !self.in_flight {
            return Poll::Ready(Ok(()));
        }
        match self.op.poll(cx) {
            Some(AioResult::Send(r)) => {
                self.in_flight = false;
                Poll::Ready(r.map_err(Error::from))
            }
            Some(_) => unreachable!("a send aio reports a send"),
            None => Poll::Pending,
        }
    }
}

impl<M: Into<Message>> Sink<M> for SendSink {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: M) -> Result<()> {
        let this = self.get_mut();
        if this.in_flight {
            return Err(Error::Busy); // poll_ready was not awaited
        }
        let target = this.target;
        let direct = this.op.aio()?.send_direct(&target, item.into());
        match direct {
            Ok(None) => {
                this.in_flight = true;
                Ok(())
            }
            Ok(Some(AioResult::Send(r))) => {
                this.op.awaiting = false;
                r.map_err(Error::from)
            }
            Ok(Some(_)) => unreachable!("a send aio reports a send"),
            Err(e) => {
                this.op.awaiting = false;
                Err(e.into())
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_idle(cx)
    }
}

macro_rules! async_methods {
    ($ty:ty, $ctor:ident, $send:literal, $recv:literal) => {
        impl $ty {
            #[doc = concat!("Sends `msg` asynchronously (`", $send, "`); see [`crate::future`]. It takes what [`Socket::send`] takes: a [`Message`] (moved, header included, no copy) or bytes to copy into one.")]
            #[doc(alias = $send)]
            pub fn send_async(&self, msg: impl Into<Message>) -> SendFuture {
                SendFuture::new(Target::$ctor(self), msg.into())
            }

            #[doc = concat!("Receives a message asynchronously (`", $recv, "`); see [`crate::future`].")]
            #[doc(alias = $recv)]
            pub fn recv_async(&self) -> RecvFuture {
                RecvFuture::new(Target::$ctor(self))
            }

            /// A [`Stream`] of received messages, ending when this is closed.
            pub fn recv_stream(&self) -> RecvStream {
                RecvStream {
                    target: Target::$ctor(self),
                    op: Op::new(),
                    started: false,
                    done: false,
                }
            }

            /// A [`Sink`] sending each message in turn.
            pub fn send_sink(&self) -> SendSink {
                SendSink {
                    target: Target::$ctor(self),
                    op: Op::new(),
                    in_flight: false,
                }
            }
        }
    };
}
async_methods!(Socket, socket, "nng_socket_send", "nng_socket_recv");
async_methods!(Context, context, "nng_ctx_send", "nng_ctx_recv");
