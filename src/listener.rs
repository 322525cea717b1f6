//! Listeners: [`Listener`], an endpoint that accepts connections (`nng_listener`).

use crate::error::{cvt, Result};
use crate::ffi;

crate::endpoint::endpoint! {
    /// An endpoint that accepts connections from remote dialers (`nng_listener`).
    ///
    /// Create it, set options, then [`start`](Self::start). It closes when dropped
    /// (with the connections it accepted); [`detach`](Self::detach) leaves it
    /// running for the socket's lifetime.
    ///
    /// ```
    /// use nng::{Listener, Protocol, Socket};
    /// let s = Socket::new(Protocol::Rep0)?;
    /// let l = Listener::new(&s, "tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// let port = l.port()?; // the port the system picked
    /// assert!(port > 0);
    /// assert_eq!(l.url()?, format!("tcp://127.0.0.1:{port}"));
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub struct Listener(nng_listener);

    /// Creates a listener for `url` on `socket`, not yet started
    /// (`nng_listener_create`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = nng::Listener::new(&s, "tcp://[::1]:0")?;
    /// # drop(l);
    /// assert_eq!(nng::Listener::new(&s, "tcp://127.0.0.1:x").unwrap_err(), nng::Error::InvalidInput);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_create")]
    pub fn new = nng_listener_create;

    /// The listener's positive id (`nng_listener_id`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// assert!(s.listener("inproc://listener-id-doc")?.id() > 0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_id")]
    pub fn id;

    /// ws, wss: adds HTTP header `name: value` to the WebSocket handshake
    /// response (`NNG_OPT_WS_HEADER` + `name`, via `nng_listener_set_string`).
    /// Set it before starting. [`Error::NotSupported`](crate::Error::NotSupported) on other transports.
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let l = rep.listener("ws://127.0.0.1:0/hdr")?;
    /// l.set_ws_header("X-Server", "doc-test")?;
    /// l.start()?;
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "NNG_OPT_WS_HEADER")]
    pub fn set_ws_header;

    /// Keeps the listener running until its socket closes, giving up this handle.
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = s.listener("inproc://listener-detach-doc")?;
    /// l.start()?;
    /// l.detach(); // keeps listening until `s` closes
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub fn detach;

    /// Closes the listener and the connections it accepted (`nng_listener_close`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = s.listener("tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// let url = l.url()?;
    /// l.close()?;
    /// s.listen(&url)?; // the address is free again
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_close")]
    pub fn close = nng_listener_close;

    /// Names a listener without owning it: what a [`Pipe`](crate::Pipe) reports as
    /// the listener that accepted it (`nng_pipe_listener`). It can be compared with
    /// [`Listener::id`], but it cannot close or change the listener, which belongs to
    /// whoever holds the [`Listener`]:
    ///
    /// ```compile_fail
    /// fn close_it(pipe: nng::Pipe) {
    ///     pipe.listener().unwrap().close(); // error: no method `close` on `ListenerId`
    /// }
    /// ```
    pub struct ListenerId = nng_listener_id;
}

impl Listener {
    /// Binds and starts accepting (`nng_listener_start`).
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let a = Socket::new(Protocol::Rep0)?;
    /// let l = a.listener("tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// let b = Socket::new(Protocol::Rep0)?;
    /// assert_eq!(b.listener(&l.url()?)?.start(), Err(Error::AddressInUse));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_start")]
    pub fn start(&self) -> Result<()> {
        // SAFETY: the listener is a plain id; nng validates it.
        cvt(unsafe { ffi::nng_listener_start(self.raw, 0) })
    }

    /// The URL, with the bound port filled in once started (what
    /// `nng_listener_get_url` gives, without borrowing nng's copy).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = s.listener("ws://127.0.0.1:0/api")?;
    /// l.start()?;
    /// assert_eq!(l.url()?, format!("ws://127.0.0.1:{}/api", l.port()?));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_get_url")]
    pub fn url(&self) -> Result<String> {
        // nng's URL (`nng_listener_get_url`) is lent only until the listener
        // is freed, which its socket's close on another thread may do while
        // it is being read. A listener's URL is its creation text as
        // `nng_url_parse` canonicalises it, with a port of 0 replaced by the
        // bound one once started: build that from our own parse. The option
        // read also reports a listener that is gone, as nng would.
        let port = match self.get_opt::<crate::options::BoundPort>() {
            Ok(port) => u32::try_from(port).ok().filter(|&p| p != 0),
            // Transports without ports (inproc, ipc, ...), and a listener
            // not started yet (nng: NNG_ESTATE): the creation text's port.
            Err(crate::Error::NotSupported | crate::Error::IncorrectState) => None,
            Err(e) => return Err(e),
        };
        crate::url::endpoint_url(&self.source, port)
    }

    /// The locally bound port (TCP-based and UDP transports), e.g. after
    /// listening on port 0 (`NNG_OPT_BOUND_PORT`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = s.listener("tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// let port = l.port()?;
    /// assert!(port > 0);
    /// // Only IP transports have a port.
    /// let ipc = s.listener("inproc://no-port")?;
    /// assert!(ipc.port().is_err());
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "NNG_OPT_BOUND_PORT", alias = "nng_listener_get_int")]
    pub fn port(&self) -> Result<u16> {
        let port = self.get_opt::<crate::options::BoundPort>()?;
        u16::try_from(port).map_err(|_| crate::Error::Internal)
    }
}
