//! Sockets: [`Socket`], the handle every protocol speaks through (`nng_socket`).

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::future::DialFuture;
use crate::message::{Message, SendError};
use crate::protocol::Protocol;
use crate::{Dialer, Listener};
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};

/// `NNG_FLAG_NONBLOCK` as the send, receive and dial calls take it.
pub(crate) const NONBLOCK: i32 = ffi::NNG_FLAG_NONBLOCK as i32;

/// A socket of one of the Scalability Protocols (`nng_socket`).
///
/// A socket is thread-safe: share it by reference (or in an `Arc`) and call
/// `send`/`recv` from any thread. It closes when dropped; pending blocking
/// calls on other threads then fail with [`Error::Closed`].
///
/// ```
/// use nng::{Protocol, Socket};
/// let rep = Socket::new(Protocol::Rep0)?;
/// rep.listen("inproc://socket-doc")?;
/// let req = Socket::new(Protocol::Req0)?;
/// req.dial("inproc://socket-doc")?;
///
/// req.send(b"ping")?;
/// let request = rep.recv()?;
/// assert_eq!(request.as_slice(), b"ping");
/// rep.send(b"pong")?; // rep0 keeps where the request came from
/// assert_eq!(req.recv()?.as_slice(), b"pong");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Socket {
    raw: ffi::nng_socket,
    /// Set once the id has been closed, so it is never closed twice.
    pub(crate) closed: AtomicBool,
    /// Closures registered with `nng_pipe_notify`, shared with every close
    /// of this socket still to run: freed after `nng_socket_close` returned
    /// (see [`crate::pipe`]).
    pub(crate) notify: std::sync::Arc<crate::pipe::NotifyState>,
    /// The poll descriptors lent out, and the lock that orders their
    /// duplication before a close.
    poll_fds: PollFds,
}

/// A socket's duplicates of nng's poll descriptors ([`Socket::recv_poll_fd`],
/// [`Socket::send_poll_fd`]), made on first request and closed with the
/// `Socket` value. nng closes its own when the socket is closed, which
/// [`Socket::close`] does through `&self`: a descriptor of nng's lent out
/// for the borrow of `&self` could be closed (and its number reused) under
/// the borrower. A duplicate lives as long as the `Socket`.
#[derive(Default)]
struct PollFds {
    /// Held while nng's descriptor is read and duplicated, and while
    /// [`Socket::close`] marks the socket closed, so that no duplication
    /// reads a descriptor nng is closing.
    lock: std::sync::Mutex<()>,
    #[cfg(any(unix, windows))]
    recv: std::sync::OnceLock<poll_os::Owned>,
    #[cfg(any(unix, windows))]
    send: std::sync::OnceLock<poll_os::Owned>,
}

/// What [`Socket::recv_poll_fd`] and [`Socket::send_poll_fd`] lend: on Unix a
/// file descriptor, for `poll`, `epoll`, `kqueue` or mio.
#[cfg(unix)]
pub type PollFd<'a> = std::os::fd::BorrowedFd<'a>;

/// What [`Socket::recv_poll_fd`] and [`Socket::send_poll_fd`] lend: on
/// Windows a Winsock `SOCKET` (nng signals there through one end of a
/// loopback TCP connection), for `WSAPoll`, `select` or mio.
#[cfg(windows)]
pub type PollFd<'a> = std::os::windows::io::BorrowedSocket<'a>;

/// The platform half of the poll descriptors: what nng's `int` is (a file
/// descriptor on Unix, a `SOCKET` on Windows) and how it is duplicated.
#[cfg(unix)]
mod poll_os {
    use std::os::fd::{AsFd, BorrowedFd};
    pub type Owned = std::os::fd::OwnedFd;

    /// Duplicates nng's descriptor.
    ///
    /// # Safety
    /// `fd` is open for the duration of the call.
    pub unsafe fn duplicate(fd: std::ffi::c_int) -> std::io::Result<Owned> {
        // SAFETY: open for the call (the caller's contract).
        unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()
    }

    pub fn lend(own: &Owned) -> super::PollFd<'_> {
        own.as_fd()
    }
}

#[cfg(windows)]
mod poll_os {
    use std::os::windows::io::{AsSocket, BorrowedSocket, RawSocket};
    pub type Owned = std::os::windows::io::OwnedSocket;

    /// Duplicates nng's socket (`WSADuplicateSocketW`).
    ///
    /// # Safety
    /// `fd` is an open socket for the duration of the call.
    pub unsafe fn duplicate(fd: std::ffi::c_int) -> std::io::Result<Owned> {
        // nng hands the SOCKET over as an int; a negative one is no socket.
        let raw = RawSocket::try_from(fd)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        // SAFETY: open for the call (the caller's contract).
        unsafe { BorrowedSocket::borrow_raw(raw) }.try_clone_to_owned()
    }

    pub fn lend(own: &Owned) -> super::PollFd<'_> {
        own.as_socket()
    }
}

impl PollFds {
    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// Socket is Send + Sync without an unsafe impl: nng_socket is a plain u32 id,
// and nng's socket functions are all safe to call concurrently from any thread.
// NotifyState holds only Send + Sync closures. Pinned in tests/send_sync.rs.

impl Socket {
    /// Opens a socket of protocol `p` (`nng_<proto>_open`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Pair1)?;
    /// assert!(!s.is_raw()?);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(
        alias = "nng_bus0_open",
        alias = "nng_pair0_open",
        alias = "nng_pair1_open"
    )]
    #[doc(
        alias = "nng_pair1_open_poly",
        alias = "nng_pub0_open",
        alias = "nng_sub0_open"
    )]
    #[doc(
        alias = "nng_push0_open",
        alias = "nng_pull0_open",
        alias = "nng_req0_open"
    )]
    #[doc(alias = "nng_rep0_open", alias = "nng_surveyor0_open")]
    #[doc(alias = "nng_respondent0_open")]
    pub fn new(p: Protocol) -> Result<Socket> {
        Socket::open(p.openers().0)
    }

    /// Opens a socket of protocol `p` in raw mode (`nng_<proto>_open_raw`), as
    /// used by devices: no protocol state, headers visible to the caller.
    /// [`Error::NotSupported`] for [`Protocol::Pair1Poly`].
    ///
    /// ```
    /// let s = nng::Socket::new_raw(nng::Protocol::Rep0)?;
    /// assert!(s.is_raw()?);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_bus0_open_raw", alias = "nng_pair0_open_raw")]
    #[doc(alias = "nng_pair1_open_raw", alias = "nng_pub0_open_raw")]
    #[doc(alias = "nng_sub0_open_raw", alias = "nng_push0_open_raw")]
    #[doc(alias = "nng_pull0_open_raw", alias = "nng_req0_open_raw")]
    #[doc(alias = "nng_rep0_open_raw", alias = "nng_surveyor0_open_raw")]
    #[doc(alias = "nng_respondent0_open_raw")]
    pub fn new_raw(p: Protocol) -> Result<Socket> {
        let opener = p.openers().1.ok_or(Error::NotSupported)?;
        Socket::open(opener)
    }

    fn open(opener: unsafe extern "C" fn(*mut ffi::nng_socket) -> i32) -> Result<Socket> {
        crate::init::ensure()?;
        let mut raw = ffi::nng_socket::default();
        // SAFETY: `raw` is a valid out-pointer; nng is initialised.
        cvt(unsafe { opener(&mut raw) })?;
        Ok(Socket {
            raw,
            closed: AtomicBool::new(false),
            notify: Default::default(),
            poll_fds: PollFds::default(),
        })
    }

    pub(crate) fn raw(&self) -> ffi::nng_socket {
        self.raw
    }

    /// The socket's positive id (`nng_socket_id`).
    ///
    /// ```
    /// let a = nng::Socket::new(nng::Protocol::Bus0)?;
    /// let b = nng::Socket::new(nng::Protocol::Bus0)?;
    /// assert!(a.id() > 0 && a.id() != b.id());
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_id")]
    pub fn id(&self) -> u32 {
        self.raw.id
    }

    /// This socket's protocol (`nng_socket_proto_id`).
    ///
    /// ```
    /// let s = nng::Socket::new_raw(nng::Protocol::Rep0)?;
    /// assert_eq!(s.protocol()?, nng::Protocol::Rep0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_proto_id")]
    pub fn protocol(&self) -> Result<Protocol> {
        let mut id = 0u16;
        // SAFETY: `id` is a valid out-pointer.
        cvt(unsafe { ffi::nng_socket_proto_id(self.raw, &mut id) })?;
        Protocol::from_id(id).ok_or(Error::NotSupported)
    }

    /// The protocol its peers speak (`nng_socket_peer_id`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Pub0)?;
    /// assert_eq!(s.peer_protocol()?, nng::Protocol::Sub0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_peer_id")]
    pub fn peer_protocol(&self) -> Result<Protocol> {
        let mut id = 0u16;
        // SAFETY: `id` is a valid out-pointer.
        cvt(unsafe { ffi::nng_socket_peer_id(self.raw, &mut id) })?;
        Protocol::from_id(id).ok_or(Error::NotSupported)
    }

    /// The protocol's name as nng reports it (`nng_socket_proto_name`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Surveyor0)?;
    /// assert_eq!(s.protocol_name()?, "surveyor");
    /// assert_eq!(s.peer_protocol_name()?, "respondent");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_proto_name")]
    pub fn protocol_name(&self) -> Result<&'static str> {
        self.name(ffi::nng_socket_proto_name)
    }

    /// The peer protocol's name (`nng_socket_peer_name`).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// assert_eq!(s.peer_protocol_name()?, "pull");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_peer_name")]
    pub fn peer_protocol_name(&self) -> Result<&'static str> {
        self.name(ffi::nng_socket_peer_name)
    }

    fn name(
        &self,
        f: unsafe extern "C" fn(ffi::nng_socket, *mut *const c_char) -> i32,
    ) -> Result<&'static str> {
        let mut p: *const c_char = std::ptr::null();
        // SAFETY: `p` is a valid out-pointer.
        cvt(unsafe { f(self.raw, &mut p) })?;
        // SAFETY: nng documents the name as a fixed string in program text,
        // valid for as long as the library is loaded (the whole process).
        let s: &'static CStr = unsafe { CStr::from_ptr(p) };
        s.to_str().map_err(|_| Error::Internal)
    }

    /// Whether the socket is in raw mode (`nng_socket_raw`).
    ///
    /// ```
    /// assert!(nng::Socket::new_raw(nng::Protocol::Bus0)?.is_raw()?);
    /// assert!(!nng::Socket::new(nng::Protocol::Bus0)?.is_raw()?);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_raw")]
    pub fn is_raw(&self) -> Result<bool> {
        let mut raw = false;
        // SAFETY: `raw` is a valid out-pointer.
        cvt(unsafe { ffi::nng_socket_raw(self.raw, &mut raw) })?;
        Ok(raw)
    }

    /// Dials `url` and keeps the connection (reconnecting when it drops) for the
    /// socket's lifetime (`nng_dial`). The first attempt is synchronous: a
    /// refused connection is an error, and nothing is retried then
    /// ([`Error::ConnectionRefused`] also when an ipc:// listener's backlog
    /// is full, on Linux, with the bundled nng). For control over the
    /// dialer, use [`Dialer::new`].
    ///
    /// A socket dials in one of three ways, which differ only in how the
    /// first connection attempt is waited for:
    ///
    /// | call | first attempt | its failure |
    /// |---|---|---|
    /// | `dial` | blocks the thread | returned; not retried |
    /// | [`dial_async`](Self::dial_async) | a future resolves with it | returned by the future; not retried |
    /// | [`dial_background`](Self::dial_background) | not waited for | retried in the background |
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// rep.listen("inproc://dial-doc")?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dial("inproc://dial-doc")?;
    /// assert_eq!(req.dial("inproc://nobody-here"), Err(Error::ConnectionRefused));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dial")]
    pub fn dial(&self, url: &str) -> Result<()> {
        crate::callback::may_block(0)?;
        let url = to_cstring(url)?;
        // SAFETY: `url` is NUL-terminated; a NULL dialer pointer is allowed.
        cvt(unsafe { ffi::nng_dial(self.raw, url.as_ptr(), std::ptr::null_mut(), 0) })
    }

    /// Dials `url` without blocking: a future that resolves with the result
    /// of the first connection attempt, the result [`dial`](Self::dial)
    /// would return (`nng_dialer_create`, then `nng_dialer_start_aio`).
    /// After a success the connection is kept, reconnecting when it drops,
    /// for the socket's lifetime; after a failure nothing is retried.
    ///
    /// Like the other futures ([`crate::future`]) it starts when first
    /// polled and keeps the socket's id, not a borrow. Dropping it before it
    /// resolves gives the dial up: the dialer it started is closed, so no
    /// connection is made afterwards. To dial without waiting at all, use
    /// [`dial_background`](Self::dial_background).
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// rep.listen("inproc://dial-async-doc")?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// futures::executor::block_on(async {
    ///     req.dial_async("inproc://dial-async-doc").await?;
    ///     let refused = req.dial_async("inproc://nobody-here").await;
    ///     assert_eq!(refused, Err(Error::ConnectionRefused));
    ///     Ok::<(), nng::Error>(())
    /// })?;
    /// req.send(b"connected")?;
    /// assert_eq!(rep.recv()?.as_slice(), b"connected");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_start_aio")]
    pub fn dial_async(&self, url: &str) -> DialFuture {
        DialFuture::owning(Dialer::new(self, url))
    }

    /// Dials `url` in the background: returns at once, and the first
    /// connection attempt and any retries happen on nng's threads, for the
    /// socket's lifetime (`nng_dial` with `NNG_FLAG_NONBLOCK`). Only an error
    /// found before dialing (a bad URL, a closed socket) is returned.
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial_background("inproc://dial-background-doc")?; // no listener yet: fine
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://dial-background-doc")?;
    /// push.send(b"found you")?; // waits for the background dial to connect
    /// assert_eq!(pull.recv()?.as_slice(), b"found you");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dial", alias = "NNG_FLAG_NONBLOCK")]
    pub fn dial_background(&self, url: &str) -> Result<()> {
        let url = to_cstring(url)?;
        // SAFETY: as in dial.
        cvt(unsafe { ffi::nng_dial(self.raw, url.as_ptr(), std::ptr::null_mut(), NONBLOCK) })
    }

    /// Listens on `url` for the socket's lifetime (`nng_listen`). To read the
    /// bound port or configure the listener, use [`Listener::new`].
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let s = Socket::new(Protocol::Pull0)?;
    /// s.listen("inproc://listen-doc")?;
    /// let other = Socket::new(Protocol::Pull0)?;
    /// assert_eq!(other.listen("inproc://listen-doc"), Err(Error::AddressInUse));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listen")]
    pub fn listen(&self, url: &str) -> Result<()> {
        let url = to_cstring(url)?;
        // SAFETY: `url` is NUL-terminated; a NULL listener pointer is allowed.
        cvt(unsafe { ffi::nng_listen(self.raw, url.as_ptr(), std::ptr::null_mut(), 0) })
    }

    /// Creates a dialer for `url` without starting it; see [`Dialer::new`].
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Req0)?;
    /// let d = s.dialer("tcp://127.0.0.1:5555")?; // not started: nothing happens yet
    /// assert_eq!(d.url()?, "tcp://127.0.0.1:5555");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dialer_create")]
    pub fn dialer(&self, url: &str) -> Result<Dialer> {
        Dialer::new(self, url)
    }

    /// Creates a listener for `url` without starting it; see [`Listener::new`].
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Rep0)?;
    /// let l = s.listener("tcp://127.0.0.1:0")?;
    /// l.start()?;
    /// assert!(l.port()? > 0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_listener_create")]
    pub fn listener(&self, url: &str) -> Result<Listener> {
        Listener::new(self, url)
    }

    /// Sends a message, blocking until nng has queued it or the send timeout
    /// ([`SendTimeout`](crate::options::SendTimeout)) passes (`nng_sendmsg`).
    ///
    /// `msg` is a [`Message`] or bytes to make one from. A [`Message`] is
    /// moved into nng as it is, header included (what raw sockets and
    /// devices route by), without a copy. Bytes (`&[u8]`, `[u8; N]`,
    /// `&[u8; N]`, `Vec<u8>`, `&Vec<u8>`, `&str`, `String`, `&String`) are
    /// copied into a new message. On failure the message comes back inside
    /// the [`SendError`], so nothing is lost; `?` converts that error into
    /// an [`Error`], a [`std::io::Error`] or a `Box<dyn std::error::Error>`.
    ///
    /// ```
    /// use nng::{Message, Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://send-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://send-doc")?;
    /// push.send(b"bytes")?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"bytes");
    /// push.send("a str")?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"a str");
    /// let mut msg = Message::new();
    /// msg.push_back(b"built in place");
    /// msg.push_back_u32(42);
    /// push.send(msg)?; // moved into nng: no copy
    /// # let mut m = pull.recv()?; assert_eq!(m.pop_back_u32()?, 42);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sendmsg", alias = "nng_send")]
    pub fn send(&self, msg: impl Into<Message>) -> Result<(), SendError> {
        self.send_with_flags(msg.into(), 0)
    }

    /// Sends a message if nng can queue it now; otherwise fails at once with
    /// [`Error::TryAgain`], handing the message back (`nng_sendmsg` with
    /// `NNG_FLAG_NONBLOCK`). It takes what [`send`](Self::send) takes.
    ///
    /// On rep0 and respondent0 a reply that cannot be queued at once still
    /// ends its request (nng forgets where the request came from before it
    /// fails), so send replies there with [`send`](Self::send). On pair1
    /// poly sockets and raw req0, rep0, surveyor0 and respondent0 sockets,
    /// nng 2.0 refuses every non-blocking send and receive with
    /// [`Error::TryAgain`], ready or not (its message queue fails a zero
    /// timeout before looking); use the blocking or async forms there.
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let push = Socket::new(Protocol::Push0)?;
    /// // No peer: the message cannot be queued now.
    /// let err = push.try_send("keep").unwrap_err();
    /// assert_eq!(err.error, Error::TryAgain);
    /// assert_eq!(err.message.as_slice(), b"keep"); // handed back: try again later
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sendmsg", alias = "NNG_FLAG_NONBLOCK")]
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<(), SendError> {
        self.send_with_flags(msg.into(), NONBLOCK)
    }

    fn send_with_flags(&self, msg: Message, flags: i32) -> Result<(), SendError> {
        if let Err(error) = crate::callback::may_block(flags) {
            return Err(SendError {
                error,
                message: msg,
            });
        }
        // SAFETY: nng_sendmsg takes the message exactly when it returns 0.
        unsafe { msg.send_with(|p| ffi::nng_sendmsg(self.raw, p, flags)) }
    }

    /// Receives a message, blocking until one arrives or the receive timeout
    /// ([`RecvTimeout`](crate::options::RecvTimeout)) passes (`nng_recvmsg`).
    /// Nothing is copied: the message nng filled is handed over.
    ///
    /// ```
    /// # use nng::{Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://recv-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://recv-doc")?;
    /// push.send(b"payload")?;
    /// let msg = pull.recv()?; // nng's buffer, handed over without a copy
    /// assert_eq!(&msg[..], b"payload");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_recvmsg", alias = "nng_recv")]
    pub fn recv(&self) -> Result<Message> {
        self.recv_with_flags(0)
    }

    /// Receives a message if one is waiting; [`Error::TryAgain`] otherwise
    /// (`nng_recvmsg` with `NNG_FLAG_NONBLOCK`). Some protocols refuse it
    /// even with a message waiting; see [`try_send`](Self::try_send).
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// assert_eq!(pull.try_recv().unwrap_err(), Error::TryAgain);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_recvmsg", alias = "NNG_FLAG_NONBLOCK")]
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_with_flags(NONBLOCK)
    }

    fn recv_with_flags(&self, flags: i32) -> Result<Message> {
        crate::callback::may_block(flags)?;
        // SAFETY: nng_recvmsg stores a message it gives up whenever it returns 0.
        unsafe { Message::recv_with(|p| ffi::nng_recvmsg(self.raw, p, flags)) }
    }

    /// sub0: receive messages whose body starts with `prefix`; an empty prefix
    /// matches everything (`nng_sub0_socket_subscribe`). Other protocols:
    /// [`Error::NotSupported`].
    ///
    /// ```
    /// let sub = nng::Socket::new(nng::Protocol::Sub0)?;
    /// sub.subscribe(b"alerts/")?;
    /// sub.subscribe(b"")?; // everything
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sub0_socket_subscribe")]
    pub fn subscribe(&self, prefix: &[u8]) -> Result<()> {
        // SAFETY: prefix is valid for prefix.len() bytes; nng copies it.
        cvt(unsafe {
            ffi::nng_sub0_socket_subscribe(self.raw, prefix.as_ptr().cast(), prefix.len())
        })
    }

    /// sub0: remove a subscription made with [`subscribe`](Self::subscribe)
    /// (`nng_sub0_socket_unsubscribe`); [`Error::EntryNotFound`] if absent.
    ///
    /// ```
    /// let sub = nng::Socket::new(nng::Protocol::Sub0)?;
    /// sub.subscribe(b"alerts/")?;
    /// sub.unsubscribe(b"alerts/")?;
    /// assert_eq!(sub.unsubscribe(b"alerts/"), Err(nng::Error::EntryNotFound));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sub0_socket_unsubscribe")]
    pub fn unsubscribe(&self, prefix: &[u8]) -> Result<()> {
        // SAFETY: as in subscribe.
        cvt(unsafe {
            ffi::nng_sub0_socket_unsubscribe(self.raw, prefix.as_ptr().cast(), prefix.len())
        })
    }

    /// A descriptor for external event loops (`poll`, `epoll`, `kqueue`, mio)
    /// that polls readable while a message can be received: then
    /// [`try_recv`](Self::try_recv) finds one (`nng_socket_get_recv_poll_fd`).
    ///
    /// nng keeps it level-signalled by reading and writing it itself: poll it
    /// for readability only, and never read from or write to it. The
    /// descriptor lent out is this socket's own duplicate of nng's, open
    /// until the socket is dropped (after [`close`](Self::close) it no longer
    /// signals, and asking again is [`Error::Closed`]). Contexts have none,
    /// and once asked for, nng makes extra system calls on every send and
    /// receive of the socket: prefer [`recv_async`](Self::recv_async) or an
    /// [`Aio`](crate::Aio) where you can.
    ///
    /// On Unix it is a file descriptor, on Windows a Winsock `SOCKET`
    /// ([`PollFd`]).
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::fd::AsRawFd;
    /// let s = nng::Socket::new(nng::Protocol::Pull0)?;
    /// let fd = s.recv_poll_fd()?; // register with epoll/mio/... for readability
    /// assert!(fd.as_raw_fd() >= 0);
    /// # }
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[cfg(any(unix, windows))]
    #[doc(alias = "nng_socket_get_recv_poll_fd")]
    pub fn recv_poll_fd(&self) -> Result<PollFd<'_>> {
        self.poll_fd(&self.poll_fds.recv, ffi::nng_socket_get_recv_poll_fd)
    }

    /// A descriptor that polls readable while the socket can accept a
    /// message for sending: then [`try_send`](Self::try_send) queues one
    /// (`nng_socket_get_send_poll_fd`). Readable, not writable, is the
    /// signal; otherwise as [`recv_poll_fd`](Self::recv_poll_fd).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// let _ready_to_send = s.send_poll_fd()?;
    /// // Protocols that cannot send have none.
    /// let pull = nng::Socket::new(nng::Protocol::Pull0)?;
    /// assert_eq!(pull.send_poll_fd().unwrap_err(), nng::Error::NotSupported);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[cfg(any(unix, windows))]
    #[doc(alias = "nng_socket_get_send_poll_fd")]
    pub fn send_poll_fd(&self) -> Result<PollFd<'_>> {
        self.poll_fd(&self.poll_fds.send, ffi::nng_socket_get_send_poll_fd)
    }

    /// Lends this socket's duplicate of the poll descriptor `get` returns,
    /// made on first use and kept in `slot` until the socket is dropped.
    #[cfg(any(unix, windows))]
    fn poll_fd<'a>(
        &'a self,
        slot: &'a std::sync::OnceLock<poll_os::Owned>,
        get: unsafe extern "C" fn(ffi::nng_socket, *mut std::ffi::c_int) -> i32,
    ) -> Result<PollFd<'a>> {
        // Held while nng's descriptor is read and duplicated; `close` sets
        // `closed` under it before nng closes its descriptors.
        let _held = self.poll_fds.lock();
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let mut fd = -1;
        // SAFETY: `fd` is a valid out-pointer.
        cvt(unsafe { get(self.raw, &mut fd) })?;
        if let Some(own) = slot.get() {
            return Ok(poll_os::lend(own));
        }
        // SAFETY: nng returned `fd` open, and it stays open at least until
        // the lock is released: the socket is not closed (checked above) and
        // `close` cannot start closing it while we hold the lock.
        let own = unsafe { poll_os::duplicate(fd) }
            .map_err(|e| Error::System(e.raw_os_error().unwrap_or(0)))?;
        // Only this thread can set it (the lock is held).
        Ok(poll_os::lend(slot.get_or_init(|| own)))
    }

    /// Closes the socket now (`nng_socket_close`); dropping it does the same.
    ///
    /// It takes `&self` so that any thread sharing the socket can close it:
    /// blocking calls in other threads then return
    /// [`Error::Closed`], and so does every later call on it. A second close
    /// is [`Error::Closed`].
    ///
    /// Inside an nng callback (an [`Aio`](crate::Aio) completion or a pipe
    /// event), where `nng_socket_close` would wait for that very callback,
    /// the close is handed to a short-lived helper thread and happens as soon
    /// as the callback returns; dropping the socket there does the same. If
    /// that thread cannot be started, the close returns the spawn error and
    /// the socket stays open (a later close or the drop tries again): the
    /// thread is started before the socket is marked closed, so no other
    /// close is told [`Error::Closed`] about a close that did not happen.
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Pull0)?;
    /// s.close()?;
    /// assert_eq!(s.try_recv().unwrap_err(), nng::Error::Closed);
    /// assert_eq!(s.close(), Err(nng::Error::Closed));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_close")]
    pub fn close(&self) -> Result<()> {
        if !crate::callback::inside() {
            if self.mark_closed() {
                return Err(Error::Closed);
            }
            // The flag makes this the only close of this id, so a later id
            // reuse by nng cannot be hit.
            return close_socket(self.raw, self.notify.clone());
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        // Inside a callback the close runs on a helper thread. It is started
        // first: the flag is taken only once the close can no longer fail,
        // so a close on another thread never sees it set for a close that
        // then does not happen. An uncommitted or unstarted job is dropped
        // unrun, with its share of the closures; the socket keeps its own.
        let close = close_job(self.raw, self.notify.clone());
        let pending = crate::callback::start_close(move || {
            close();
        })?;
        if self.mark_closed() {
            return Err(Error::Closed); // closed meanwhile; the job is dropped
        }
        pending.commit();
        Ok(())
    }

    /// Sets the closed flag; whether it was set already. Taken while no
    /// poll descriptor of nng's is being duplicated (`poll_fd`), so none is
    /// read while nng closes it.
    fn mark_closed(&self) -> bool {
        let _held = self.poll_fds.lock();
        self.closed.swap(true, Ordering::AcqRel)
    }
}

/// Closes socket `raw` (`nng_socket_close`), keeping its pipe-notify
/// closures (`keep`) alive until the close has returned: at once, or inside
/// an nng callback (where the close would wait for that very callback) on a
/// helper thread that owns its share of them. nng's result, or `Ok` when
/// deferred. If no helper thread can start, the job is leaked with its share
/// (`callback::close_outside`): the socket stays open and its closures
/// alive, never freed while nng can call them; the spawn error is returned.
fn close_socket(
    raw: ffi::nng_socket,
    keep: std::sync::Arc<crate::pipe::NotifyState>,
) -> Result<()> {
    let close = close_job(raw, keep);
    if !crate::callback::inside() {
        return cvt(close());
    }
    crate::callback::close_outside(move || {
        close();
    })
}

/// `nng_socket_close(raw)`, then the drop of `keep` (nng calls no
/// pipe-notify closure of the socket any more); nng's result. The caller's
/// `closed` flag makes it the only close of `raw`.
fn close_job(
    raw: ffi::nng_socket,
    keep: std::sync::Arc<crate::pipe::NotifyState>,
) -> impl FnOnce() -> i32 + Send + 'static {
    move || {
        // SAFETY: closing an id is always safe; the caller's `closed` flag
        // makes this the only close of it.
        let rv = unsafe { ffi::nng_socket_close(raw) };
        drop(keep);
        rv
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Not yet closed: close now (or on a helper thread inside a
        // callback), the close keeping the closures alive. Already closed:
        // that close, if still to run, holds its own share of the closures,
        // so dropping ours frees nothing nng can still call.
        if !*self.closed.get_mut() {
            let _ = close_socket(self.raw, self.notify.clone());
        }
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.raw.id)
            .field("protocol", &self.protocol_name().unwrap_or("closed"))
            .finish()
    }
}

/// Converts a Rust string for nng; an interior NUL is [`Error::AddressInvalid`].
pub(crate) fn to_cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::AddressInvalid)
}
