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
//!     req.send_async(b"ping".into()).await.map_err(|e| e.error)?;
//!     let request = rep.recv_async().await?;
//!     rep.send_async(request).await.map_err(|e| e.error)?;
//!     assert_eq!(req.recv_async().await?.as_slice(), b"ping");
//!     Ok::<(), nng::Error>(())
//! })?;
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! **Starting and cancelling.** A future does nothing until first polled; the
//! first poll starts the operation. Dropping it before completion drops its
//! `Aio`, which stops the operation and waits for its callback (see
//! [`crate::aio`]): a message not yet sent is freed with the future, never
//! leaked nor sent later; a message received but not yet returned is freed.
//! To keep an unsent message, wrap the send in a timeout of your runtime and
//! use the [`SendError`] of the [`Error::TimedOut`] result, or set a timeout
//! with [`SendFuture::timeout`].
//!
//! The futures are `'static`: they keep the id of the socket or context, not
//! a borrow. If it is closed meanwhile, they complete with [`Error::Closed`].
//!
//! [`RecvStream`] is a [`Stream`] of received messages and [`SendSink`] a
//! [`Sink`] of messages to send, each reusing one `Aio`.

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

/// A socket or context id the futures can operate on without a borrow.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Socket(crate::ffi::nng_socket),
    Context(crate::ffi::nng_ctx),
}

impl AsyncTarget for Target {
    unsafe fn start_send(&self, aio: *mut crate::ffi::nng_aio) {
        // SAFETY: the caller passes a live idle aio (Aio::start); the ids are
        // plain integers that nng validates (a closed one fails with ECLOSED).
        unsafe {
            match *self {
                Target::Socket(s) => crate::ffi::nng_socket_send(s, aio),
                Target::Context(c) => crate::ffi::nng_ctx_send(c, aio),
            }
        }
    }
    unsafe fn start_recv(&self, aio: *mut crate::ffi::nng_aio) {
        // SAFETY: as in start_send.
        unsafe {
            match *self {
                Target::Socket(s) => crate::ffi::nng_socket_recv(s, aio),
                Target::Context(c) => crate::ffi::nng_ctx_recv(c, aio),
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

/// A lazily created aio plus its result slot.
struct Op {
    slot: Shared,
    aio: Option<Aio>,
    timeout: Option<Duration>,
}

impl Op {
    fn new() -> Op {
        Op {
            slot: Shared::default(),
            aio: None,
            timeout: None,
        }
    }

    fn aio(&mut self) -> Result<&Aio> {
        if self.aio.is_none() {
            let aio = waking_aio(&self.slot)?;
            aio.set_timeout(self.timeout);
            self.aio = Some(aio);
        }
        Ok(self.aio.as_ref().expect("just set"))
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
            register(&this.op.slot, cx);
            let target = this.target;
            let aio = match this.op.aio() {
                Ok(aio) => aio,
                Err(error) => {
                    return Poll::Ready(Err(SendError {
                        error,
                        message: msg,
                    }))
                }
            };
            aio.send(&target, msg)?;
            this.started = true;
        }
        match register(&this.op.slot, cx) {
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
        register(&op.slot, cx);
        let aio = op.aio()?;
        aio.recv(&target)?;
        *started = true;
    }
    match register(&op.slot, cx) {
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
/// a time. A failed send's message is dropped and its error returned by the
/// next `poll_ready`/`poll_flush`/`poll_close`.
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
        match register(&self.op.slot, cx) {
            Some(AioResult::Send(r)) => {
                self.in_flight = false;
                Poll::Ready(r.map_err(|e| e.error))
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
        let aio = this.op.aio()?;
        aio.send(&target, item.into()).map_err(|e| e.error)?;
        this.in_flight = true;
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_idle(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_idle(cx)
    }
}

macro_rules! async_methods {
    ($ty:ty, $variant:ident, $send:literal, $recv:literal) => {
        impl $ty {
            #[doc = concat!("Sends `msg` asynchronously (`", $send, "`); see [`crate::future`].")]
            #[doc(alias = $send)]
            pub fn send_async(&self, msg: Message) -> SendFuture {
                SendFuture::new(Target::$variant(self.raw()), msg)
            }

            #[doc = concat!("Receives a message asynchronously (`", $recv, "`); see [`crate::future`].")]
            #[doc(alias = $recv)]
            pub fn recv_async(&self) -> RecvFuture {
                RecvFuture::new(Target::$variant(self.raw()))
            }

            /// A [`Stream`] of received messages, ending when this is closed.
            pub fn recv_stream(&self) -> RecvStream {
                RecvStream {
                    target: Target::$variant(self.raw()),
                    op: Op::new(),
                    started: false,
                    done: false,
                }
            }

            /// A [`Sink`] sending each message in turn.
            pub fn send_sink(&self) -> SendSink {
                SendSink {
                    target: Target::$variant(self.raw()),
                    op: Op::new(),
                    in_flight: false,
                }
            }
        }
    };
}
async_methods!(Socket, Socket, "nng_socket_send", "nng_socket_recv");
async_methods!(Context, Context, "nng_ctx_send", "nng_ctx_recv");
