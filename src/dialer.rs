//! Dialers: [`Dialer`], an endpoint that connects out to a listener (`nng_dialer`).

use crate::error::{cvt, Result};
use crate::ffi;
use crate::future::DialFuture;
use crate::socket::NONBLOCK;

crate::endpoint::endpoint! {
    /// An endpoint that connects a socket to a remote listener, and reconnects
    /// when the connection drops (`nng_dialer`).
    ///
    /// Create it, set options, then [`start`](Self::start). It closes when dropped
    /// (its connection too); [`detach`](Self::detach) leaves it running for the
    /// socket's lifetime.
    ///
    /// ```
    /// use nng::{options::ReconnectMinTime, Dialer, Protocol, Socket};
    /// use std::time::Duration;
    /// let s = Socket::new(Protocol::Push0)?;
    /// let d = Dialer::new(&s, "tcp://127.0.0.1:1")?;
    /// d.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(50)))?;
    /// assert_eq!(d.url()?, "tcp://127.0.0.1:1");
    /// d.start_background()?; // retries in the background; nothing listens on port 1
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub struct Dialer(nng_dialer);

    /// Creates a dialer for `url` on `socket`, not yet started
    /// (`nng_dialer_create`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Req0)?;
    /// let d = nng::Dialer::new(&s, "ipc:///tmp/nng-doc.sock")?;
    /// assert_eq!(nng::Dialer::new(&s, "nope://x").unwrap_err(), nng::Error::NotSupported);
    /// # drop(d);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_create")]
    pub fn new = nng_dialer_create;

    /// The dialer's positive id (`nng_dialer_id`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Req0)?;
    /// assert!(s.dialer("inproc://dialer-id-doc")?.id() > 0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_id")]
    pub fn id;

    /// ws, wss: adds HTTP header `name: value` to the WebSocket handshake
    /// request (`NNG_OPT_WS_HEADER` + `name`, via `nng_dialer_set_string`).
    /// Set it before starting. [`Error::NotSupported`](crate::Error::NotSupported) on other transports.
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let l = rep.listener("ws://127.0.0.1:0/hdr")?;
    /// l.start()?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// let d = req.dialer(&l.url()?)?;
    /// d.set_ws_header("X-Client", "doc-test")?;
    /// d.start()?;
    /// req.send(b"hi")?;
    /// let msg = rep.recv()?;
    /// let pipe = msg.pipe().expect("received from a peer");
    /// assert_eq!(pipe.ws_header("X-Client")?, "doc-test");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "NNG_OPT_WS_HEADER")]
    pub fn set_ws_header;

    /// Keeps the dialer running until its socket closes, giving up this handle.
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://detach-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// let d = push.dialer("inproc://detach-doc")?;
    /// d.start()?;
    /// d.detach(); // still connected
    /// push.send(b"still here")?;
    /// assert_eq!(pull.recv()?.as_slice(), b"still here");
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub fn detach;

    /// Closes the dialer and its connection (`nng_dialer_close`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// let d = s.dialer("inproc://dialer-close-doc")?;
    /// d.close()?;
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_close")]
    pub fn close = nng_dialer_close;

    /// Names a dialer without owning it: what a [`Pipe`](crate::Pipe) reports as
    /// the dialer that made it (`nng_pipe_dialer`). It can be compared with
    /// [`Dialer::id`], but it cannot close or change the dialer, which belongs to
    /// whoever holds the [`Dialer`]:
    ///
    /// ```compile_fail
    /// fn close_it(pipe: nng::Pipe) {
    ///     pipe.dialer().unwrap().close(); // error: no method `close` on `DialerId`
    /// }
    /// ```
    pub struct DialerId = nng_dialer_id;
}

impl Dialer {
    /// Starts dialing; the first attempt is synchronous and its failure is
    /// returned, with nothing retried (`nng_dialer_start`). Once connected,
    /// a dropped connection is re-dialled in the background.
    ///
    /// As with [`Socket::dial`](crate::Socket::dial), there are three ways to start, which differ
    /// only in how the first attempt is waited for: `start` blocks,
    /// [`start_async`](Self::start_async) is a future of it, and
    /// [`start_background`](Self::start_background) does not wait and
    /// retries failures.
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// rep.listen("inproc://dialer-start-doc")?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dialer("inproc://dialer-start-doc")?.start()?;
    /// assert_eq!(req.dialer("inproc://nobody")?.start(), Err(Error::ConnectionRefused));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_start")]
    pub fn start(&self) -> Result<()> {
        // Waits for the connection, whose pipe events need nng's
        // process-wide pipe-callback mutex (see crate::pipe).
        crate::callback::may_block(0)?;
        // SAFETY: the dialer is a plain id; nng validates it.
        cvt(unsafe { ffi::nng_dialer_start(self.raw, 0) })
    }

    /// Starts dialing without blocking: a future that resolves with the
    /// result of the first connection attempt, the result
    /// [`start`](Self::start) would return (`nng_dialer_start_aio`). After a
    /// failure nothing is retried, and the dialer can be started again.
    ///
    /// Like the other futures ([`crate::future`]) it starts when first
    /// polled and keeps the dialer's id, not a borrow. Dropping it while
    /// the first attempt is under way does not stop the dialer: the dial
    /// goes on in the background, as after
    /// [`start_background`](Self::start_background) (a failed attempt is
    /// retried); only the first result is not reported. Known limit: if
    /// that attempt has already failed when the future is dropped (its
    /// result arrived but was not polled), the dialer is left idle, as after
    /// a failed [`start`](Self::start), and must be started again
    /// (`tests/adversarial_ipc.rs`, ignored test
    /// `start_async_dropped_after_its_attempt_failed_redials`). To give the
    /// dial up, close or drop the dialer; the future then resolves with an
    /// error.
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let req = Socket::new(Protocol::Req0)?;
    /// let dialer = req.dialer("inproc://dialer-start-async-doc")?;
    /// futures::executor::block_on(async {
    ///     assert_eq!(dialer.start_async().await, Err(Error::ConnectionRefused));
    ///     let rep = Socket::new(Protocol::Rep0)?;
    ///     rep.listen("inproc://dialer-start-async-doc")?;
    ///     dialer.start_async().await // not retried, but may be started again
    /// })?;
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_start_aio")]
    pub fn start_async(&self) -> DialFuture {
        DialFuture::starting(self.raw)
    }

    /// Starts dialing in the background: returns at once, and the first
    /// attempt and any retries happen on nng's threads
    /// (`nng_dialer_start` with `NNG_FLAG_NONBLOCK`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// let d = s.dialer("inproc://dialer-background-doc")?;
    /// d.start_background()?; // keeps trying until a listener appears or `d` is dropped
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_start", alias = "NNG_FLAG_NONBLOCK")]
    pub fn start_background(&self) -> Result<()> {
        // SAFETY: as in start.
        cvt(unsafe { ffi::nng_dialer_start(self.raw, NONBLOCK) })
    }

    /// The URL the dialer connects to, as nng normalised it (what
    /// `nng_dialer_get_url` gives, without borrowing nng's copy).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// assert_eq!(s.dialer("ws://127.0.0.1:8080/path")?.url()?, "ws://127.0.0.1:8080/path");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_get_url")]
    pub fn url(&self) -> Result<String> {
        // nng's URL (`nng_dialer_get_url`) is lent only until the dialer is
        // freed, which its socket's close on another thread may do while it
        // is being read. A dialer's URL is its creation text as
        // `nng_url_parse` canonicalises it, so parse that ourselves. The
        // option read reports a dialer that is gone, as nng would.
        self.get_opt::<crate::options::ReconnectMinTime>()?;
        crate::url::endpoint_url(&self.source, None)
    }
}
