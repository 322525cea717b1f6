//! Contexts: [`Context`], independent protocol state on one socket (`nng_ctx`).
//!
//! A socket of req0, rep0, surveyor0, respondent0 or sub0 can have many
//! contexts. Each keeps its own request/reply (or survey, or subscription)
//! state, so one socket can serve many conversations at once: the classic
//! nng asynchronous server opens N contexts, each driven by its own
//! [`Aio`](crate::aio::Aio) (see `examples/async_server.rs`).
//!
//! ```
//! use nng::{Context, Protocol, Socket};
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.listen("inproc://context-doc")?;
//! let req = Socket::new(Protocol::Req0)?;
//! req.dial("inproc://context-doc")?;
//!
//! // Two requests in flight at once on one req socket, one per context.
//! let (a, b) = (Context::new(&req)?, Context::new(&req)?);
//! a.send(b"a")?;
//! b.send(b"b")?;
//! let server = Context::new(&rep)?;
//! for _ in 0..2 {
//!     let request = server.recv()?;
//!     server.send(request)?; // echo
//! }
//! assert_eq!(b.recv()?.as_slice(), b"b");
//! assert_eq!(a.recv()?.as_slice(), b"a");
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! Options such as [`RecvTimeout`](crate::options::RecvTimeout),
//! [`ReqResendTime`](crate::options::ReqResendTime) or
//! [`SurveyTime`](crate::options::SurveyTime) are set per context with
//! [`Context::set_opt`]; a new context starts with the socket's values.

use crate::error::{cvt, Result};
use crate::ffi;
use crate::message::{Message, SendError};
use crate::socket::NONBLOCK;
use crate::Socket;

/// A context: its own request/reply or survey state on a shared socket
/// (`nng_ctx`). Closes on drop; operations in flight on it then complete with
/// [`crate::Error::Closed`]. Closing the socket closes its contexts too.
///
/// Protocols without contexts (pair, bus, push/pull, pub) give
/// [`crate::Error::NotSupported`]:
///
/// ```
/// let s = nng::Socket::new(nng::Protocol::Pair1)?;
/// assert_eq!(nng::Context::new(&s).unwrap_err(), nng::Error::NotSupported);
/// # Ok::<(), nng::Error>(())
/// ```
#[doc(alias = "nng_ctx")]
pub struct Context {
    raw: ffi::nng_ctx,
}

// Context is Send + Sync without an unsafe impl: nng_ctx is a plain u32 id and
// nng's context functions are safe to call from any thread.

impl Context {
    /// Opens a new context on `socket` (`nng_ctx_open`).
    #[doc(alias = "nng_ctx_open")]
    pub fn new(socket: &Socket) -> Result<Context> {
        crate::init::ensure()?;
        let mut raw = ffi::nng_ctx::default();
        // SAFETY: `raw` is a valid out-pointer; the socket is an id nng validates.
        cvt(unsafe { ffi::nng_ctx_open(&mut raw, socket.raw()) })?;
        Ok(Context { raw })
    }

    pub(crate) fn raw(&self) -> ffi::nng_ctx {
        self.raw
    }

    /// The context's positive id (`nng_ctx_id`).
    #[doc(alias = "nng_ctx_id")]
    pub fn id(&self) -> u32 {
        self.raw.id
    }

    /// Sends a message on this context, blocking until nng has queued it or
    /// the context's send timeout passes (`nng_ctx_sendmsg`). It takes what
    /// [`Socket::send`] takes: a [`Message`] (moved, header included, no
    /// copy) or bytes to copy into one. On failure the message comes back
    /// inside the [`SendError`].
    ///
    /// ```
    /// use nng::{Context, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// rep.listen("inproc://ctx-send-doc")?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dial("inproc://ctx-send-doc")?;
    /// let (client, server) = (Context::new(&req)?, Context::new(&rep)?);
    /// client.send("question")?;
    /// let mut request = server.recv()?;
    /// request.push_back(b"? answer");
    /// server.send(request)?; // the reply goes back to the requester
    /// assert_eq!(client.recv()?.as_slice(), b"question? answer");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_ctx_sendmsg")]
    pub fn send(&self, msg: impl Into<Message>) -> std::result::Result<(), SendError> {
        self.send_with_flags(msg.into(), 0)
    }

    /// Sends a message if nng can queue it now; otherwise fails at once with
    /// [`crate::Error::TryAgain`], handing the message back (`nng_ctx_sendmsg`
    /// with `NNG_FLAG_NONBLOCK`). As with [`Socket::try_send`], a rep0 or
    /// respondent0 reply that cannot be queued at once still ends its request.
    ///
    /// ```
    /// use nng::{Context, Error, Protocol, Socket};
    /// let req = Socket::new(Protocol::Req0)?;
    /// let ctx = Context::new(&req)?;
    /// let err = ctx.try_send("no peer yet").unwrap_err();
    /// assert_eq!(err.error, Error::TryAgain);
    /// assert_eq!(err.message.as_slice(), b"no peer yet");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_ctx_sendmsg", alias = "NNG_FLAG_NONBLOCK")]
    pub fn try_send(&self, msg: impl Into<Message>) -> std::result::Result<(), SendError> {
        self.send_with_flags(msg.into(), NONBLOCK)
    }

    fn send_with_flags(&self, msg: Message, flags: i32) -> std::result::Result<(), SendError> {
        if let Err(error) = crate::callback::may_block(flags) {
            return Err(SendError {
                error,
                message: msg,
            });
        }
        // SAFETY: nng_ctx_sendmsg takes the message exactly when it returns 0.
        unsafe { msg.send_with(|p| ffi::nng_ctx_sendmsg(self.raw, p, flags)) }
    }

    /// Receives a message on this context, blocking until one arrives or the
    /// context's receive timeout passes (`nng_ctx_recvmsg`).
    #[doc(alias = "nng_ctx_recvmsg")]
    pub fn recv(&self) -> Result<Message> {
        self.recv_with_flags(0)
    }

    /// Receives a message if one is waiting; [`crate::Error::TryAgain`]
    /// otherwise (`nng_ctx_recvmsg` with `NNG_FLAG_NONBLOCK`).
    ///
    /// ```
    /// use nng::{Context, Error, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let ctx = Context::new(&rep)?;
    /// assert_eq!(ctx.try_recv().unwrap_err(), Error::TryAgain);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_ctx_recvmsg", alias = "NNG_FLAG_NONBLOCK")]
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_with_flags(NONBLOCK)
    }

    fn recv_with_flags(&self, flags: i32) -> Result<Message> {
        crate::callback::may_block(flags)?;
        // SAFETY: nng_ctx_recvmsg stores a message it gives up whenever it
        // returns 0.
        unsafe { Message::recv_with(|p| ffi::nng_ctx_recvmsg(self.raw, p, flags)) }
    }

    /// sub0: receive on this context the messages starting with `prefix`
    /// (`nng_sub0_ctx_subscribe`); other protocols: [`crate::Error::NotSupported`].
    ///
    /// ```
    /// use nng::{Context, Protocol, Socket, options::RecvTimeout};
    /// use std::time::Duration;
    /// let publisher = Socket::new(Protocol::Pub0)?;
    /// publisher.listen("inproc://ctx-sub-doc")?;
    /// let sub = Socket::new(Protocol::Sub0)?;
    /// sub.dial("inproc://ctx-sub-doc")?;
    /// let news = Context::new(&sub)?;
    /// news.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    /// news.subscribe(b"news/")?;
    /// std::thread::sleep(Duration::from_millis(50)); // let the pipe connect
    /// publisher.send(b"sport/goal")?;
    /// publisher.send(b"news/rust")?;
    /// assert_eq!(news.recv()?.as_slice(), b"news/rust");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sub0_ctx_subscribe")]
    pub fn subscribe(&self, prefix: &[u8]) -> Result<()> {
        // SAFETY: prefix is valid for its length; nng copies it.
        cvt(unsafe { ffi::nng_sub0_ctx_subscribe(self.raw, prefix.as_ptr().cast(), prefix.len()) })
    }

    /// sub0: remove a subscription of this context
    /// (`nng_sub0_ctx_unsubscribe`); [`crate::Error::EntryNotFound`] if absent.
    #[doc(alias = "nng_sub0_ctx_unsubscribe")]
    pub fn unsubscribe(&self, prefix: &[u8]) -> Result<()> {
        // SAFETY: as in subscribe.
        cvt(unsafe {
            ffi::nng_sub0_ctx_unsubscribe(self.raw, prefix.as_ptr().cast(), prefix.len())
        })
    }

    /// Closes the context, reporting nng's result (`nng_ctx_close`). It does
    /// not wait for the context's callbacks, so it is done at once anywhere,
    /// inside callbacks too.
    #[doc(alias = "nng_ctx_close")]
    pub fn close(self) -> Result<()> {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: the nng close functions accept any id; a stale one only
        // reports an error.
        cvt(unsafe { ffi::nng_ctx_close(raw) })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // An id the socket already closed only reports an error. nng aborts
        // the context's operations with NNG_ECLOSED and does not wait for
        // their callbacks; before it frees the context it waits for cancel
        // calls under way (nng-sys fix `cancel-close-race`).
        // SAFETY: as in close.
        let _ = unsafe { ffi::nng_ctx_close(self.raw) };
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Context").field(&self.raw.id).finish()
    }
}
