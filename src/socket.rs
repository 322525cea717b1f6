//! Sockets: [`Socket`], the handle every protocol speaks through (`nng_socket`).

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::message::{Message, SendError};
use crate::protocol::Protocol;
use crate::{Dialer, Listener};
use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};

bitflags::bitflags! {
    /// Flags for sending and receiving (`NNG_FLAG_*`).
    ///
    /// ```
    /// use nng::{Error, Flags, Protocol, Socket};
    /// let s = Socket::new(Protocol::Pull0)?;
    /// assert_eq!(s.recv_flags(Flags::NONBLOCK).unwrap_err(), Error::TryAgain);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct Flags: i32 {
        /// Do not block: fail with [`Error::TryAgain`] instead of waiting
        /// (`NNG_FLAG_NONBLOCK`).
        #[doc(alias = "NNG_FLAG_NONBLOCK")]
        const NONBLOCK = ffi::NNG_FLAG_NONBLOCK as i32;
    }
}

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
    closed: AtomicBool,
    /// Closures registered with `nng_pipe_notify`, shared with every close
    /// of this socket still to run: freed after `nng_socket_close` returned
    /// (see [`crate::pipe`]).
    pub(crate) notify: std::sync::Arc<crate::pipe::NotifyState>,
    /// Which async operations may first be tried without blocking.
    pub(crate) fast: crate::protocol::FastPath,
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
        Socket::open(p.openers().0, crate::protocol::FastPath::of(p))
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
        Socket::open(opener, crate::protocol::FastPath::NONE)
    }

    fn open(
        opener: unsafe extern "C" fn(*mut ffi::nng_socket) -> i32,
        fast: crate::protocol::FastPath,
    ) -> Result<Socket> {
        crate::init::ensure()?;
        let mut raw = ffi::nng_socket::default();
        // SAFETY: `raw` is a valid out-pointer; nng is initialised.
        cvt(unsafe { opener(&mut raw) })?;
        Ok(Socket {
            raw,
            closed: AtomicBool::new(false),
            notify: Default::default(),
            fast,
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
    /// refused connection is an error. For control over the dialer, use
    /// [`Dialer::new`].
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

    /// Like [`dial`](Self::dial), but the first attempt happens in the
    /// background and failures are retried (`nng_dial` with `NNG_FLAG_NONBLOCK`).
    ///
    /// ```
    /// use nng::{Protocol, Socket};
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial_async("inproc://dial-async-doc")?; // no listener yet: fine
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://dial-async-doc")?;
    /// push.send(b"found you")?; // waits for the background dial to connect
    /// assert_eq!(pull.recv()?.as_slice(), b"found you");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_dial")]
    pub fn dial_async(&self, url: &str) -> Result<()> {
        let url = to_cstring(url)?;
        let flags = Flags::NONBLOCK.bits();
        // SAFETY: as in dial.
        cvt(unsafe { ffi::nng_dial(self.raw, url.as_ptr(), std::ptr::null_mut(), flags) })
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

    /// Sends a copy of `data`, blocking until it is queued or the send timeout
    /// passes (`nng_send`).
    ///
    /// ```
    /// # use nng::{Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://send-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://send-doc")?;
    /// push.send(b"bytes")?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"bytes");
    /// push.send("a str")?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"a str");
    /// push.send(vec![1, 2, 3])?;
    /// # assert_eq!(pull.recv()?.as_slice(), &[1, 2, 3]);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_send")]
    pub fn send(&self, data: impl AsRef<[u8]>) -> Result<()> {
        self.send_flags(data.as_ref(), Flags::empty())
    }

    /// Sends a copy of `data` without blocking; [`Error::TryAgain`] if it
    /// cannot be queued now (`nng_send` with `NNG_FLAG_NONBLOCK`).
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let push = Socket::new(Protocol::Push0)?;
    /// // No peer: the message cannot be queued now.
    /// assert_eq!(push.try_send(b"x"), Err(Error::TryAgain));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_send")]
    pub fn try_send(&self, data: impl AsRef<[u8]>) -> Result<()> {
        self.send_flags(data.as_ref(), Flags::NONBLOCK)
    }

    /// Sends a copy of `data` with explicit flags (`nng_send`).
    ///
    /// ```
    /// # use nng::{Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://send-flags-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://send-flags-doc")?;
    /// push.send_flags(b"now or never", nng::Flags::NONBLOCK)?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"now or never");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_send")]
    pub fn send_flags(&self, data: &[u8], flags: Flags) -> Result<()> {
        crate::callback::may_block(flags.bits())?;
        // SAFETY: data is valid for data.len() bytes; nng copies them.
        cvt(unsafe {
            ffi::nng_send(
                self.raw,
                data.as_ptr() as *const _ as *mut _,
                data.len(),
                flags.bits(),
            )
        })
    }

    /// Sends a message, handing it to nng without a copy (`nng_sendmsg`). On
    /// failure the message comes back inside the [`SendError`].
    ///
    /// ```
    /// # use nng::{Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://send-msg-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://send-msg-doc")?;
    /// let mut msg = nng::Message::new();
    /// msg.push_back(b"header-free body");
    /// msg.push_back_u32(42);
    /// push.send_msg(msg)?; // moved into nng: no copy
    /// # let mut m = pull.recv()?; assert_eq!(m.pop_back_u32()?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_sendmsg")]
    pub fn send_msg(&self, msg: Message) -> Result<(), SendError> {
        self.send_msg_flags(msg, Flags::empty())
    }

    /// [`send_msg`](Self::send_msg) without blocking.
    ///
    /// ```
    /// use nng::{Error, Message, Protocol, Socket};
    /// let push = Socket::new(Protocol::Push0)?;
    /// let err = push.try_send_msg(Message::from("keep")).unwrap_err();
    /// assert_eq!(err.error, Error::TryAgain);
    /// let msg = err.message; // handed back: try again later
    /// assert_eq!(msg.as_slice(), b"keep");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_sendmsg")]
    pub fn try_send_msg(&self, msg: Message) -> Result<(), SendError> {
        self.send_msg_flags(msg, Flags::NONBLOCK)
    }

    /// Sends a message with explicit flags (`nng_sendmsg`).
    ///
    /// ```
    /// # use nng::{Protocol, Socket};
    /// # let pull = Socket::new(Protocol::Pull0)?;
    /// # pull.listen("inproc://send-msg-flags-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://send-msg-flags-doc")?;
    /// push.send_msg_flags(nng::Message::from("hi"), nng::Flags::empty())?;
    /// # assert_eq!(pull.recv()?.as_slice(), b"hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_sendmsg")]
    pub fn send_msg_flags(&self, msg: Message, flags: Flags) -> Result<(), SendError> {
        if let Err(error) = crate::callback::may_block(flags.bits()) {
            return Err(SendError {
                error,
                message: msg,
            });
        }
        // SAFETY: nng_sendmsg takes the message exactly when it returns 0.
        unsafe { msg.send_with(|p| ffi::nng_sendmsg(self.raw, p, flags.bits())) }
    }

    /// Receives a message, blocking until one arrives or the receive timeout
    /// passes (`nng_recvmsg`). No copy is made.
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
    #[doc(alias = "nng_recvmsg")]
    pub fn recv(&self) -> Result<Message> {
        self.recv_flags(Flags::empty())
    }

    /// Receives a message if one is waiting; [`Error::TryAgain`] otherwise.
    ///
    /// ```
    /// use nng::{Error, Protocol, Socket};
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// assert_eq!(pull.try_recv().unwrap_err(), Error::TryAgain);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_recvmsg")]
    pub fn try_recv(&self) -> Result<Message> {
        self.recv_flags(Flags::NONBLOCK)
    }

    /// Receives a message with explicit flags (`nng_recvmsg`).
    ///
    /// ```
    /// use nng::{Error, Flags, Protocol, Socket};
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://recv-flags-doc")?;
    /// assert_eq!(pull.recv_flags(Flags::NONBLOCK).unwrap_err(), Error::TryAgain);
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://recv-flags-doc")?;
    /// push.send(b"x")?;
    /// assert_eq!(pull.recv_flags(Flags::empty())?.as_slice(), b"x");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_recvmsg")]
    pub fn recv_flags(&self, flags: Flags) -> Result<Message> {
        crate::callback::may_block(flags.bits())?;
        // SAFETY: nng_recvmsg stores a message it gives up whenever it returns 0.
        unsafe { Message::recv_with(|p| ffi::nng_recvmsg(self.raw, p, flags.bits())) }
    }

    /// Receives a message's body into `buf` (`nng_recv`), returning the
    /// message's full length, as nng does.
    ///
    /// A message longer than `buf` is truncated: `buf` gets its first
    /// `buf.len()` bytes and the rest is discarded. A result greater than
    /// `buf.len()` tells that this happened. To receive without a copy or a
    /// size limit, use [`recv`](Self::recv).
    ///
    /// ```
    /// use nng::{Flags, Protocol, Socket};
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://recv-into-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://recv-into-doc")?;
    /// push.send(b"hello world")?;
    /// let mut buf = [0u8; 5];
    /// let n = pull.recv_into(&mut buf, Flags::empty())?;
    /// assert_eq!(n, 11); // the message was 11 bytes...
    /// assert_eq!(&buf, b"hello"); // ...and only 5 fit
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_recv")]
    pub fn recv_into(&self, buf: &mut [u8], flags: Flags) -> Result<usize> {
        crate::callback::may_block(flags.bits())?;
        let mut len = buf.len();
        // SAFETY: buf is valid for writes of `len` bytes; nng copies at most
        // min(len, message length) bytes and then stores the message length.
        cvt(unsafe { ffi::nng_recv(self.raw, buf.as_mut_ptr().cast(), &mut len, flags.bits()) })?;
        Ok(len)
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

    /// A file descriptor that polls readable when a message can be received,
    /// for external event loops (`nng_socket_get_recv_poll_fd`). Only poll it;
    /// never read, write or close it: nng closes it with the socket.
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Pull0)?;
    /// let fd = s.recv_poll_fd()?; // register with epoll/mio/... for readability
    /// assert!(fd >= 0);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_get_recv_poll_fd")]
    pub fn recv_poll_fd(&self) -> Result<std::os::raw::c_int> {
        let mut fd = -1;
        // SAFETY: `fd` is a valid out-pointer.
        cvt(unsafe { ffi::nng_socket_get_recv_poll_fd(self.raw, &mut fd) })?;
        Ok(fd)
    }

    /// A file descriptor that polls readable when a message can be sent
    /// (`nng_socket_get_send_poll_fd`); same rules as
    /// [`recv_poll_fd`](Self::recv_poll_fd).
    ///
    /// ```
    /// let s = nng::Socket::new(nng::Protocol::Push0)?;
    /// assert!(s.send_poll_fd()? >= 0);
    /// // Protocols that cannot send have none.
    /// let pull = nng::Socket::new(nng::Protocol::Pull0)?;
    /// assert_eq!(pull.send_poll_fd(), Err(nng::Error::NotSupported));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_socket_get_send_poll_fd")]
    pub fn send_poll_fd(&self) -> Result<std::os::raw::c_int> {
        let mut fd = -1;
        // SAFETY: `fd` is a valid out-pointer.
        cvt(unsafe { ffi::nng_socket_get_send_poll_fd(self.raw, &mut fd) })?;
        Ok(fd)
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
            if self.closed.swap(true, Ordering::AcqRel) {
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
        if self.closed.swap(true, Ordering::AcqRel) {
            return Err(Error::Closed); // closed meanwhile; the job is dropped
        }
        pending.commit();
        Ok(())
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

/// A running device: forwards messages between two raw sockets, or reflects
/// one socket's messages back to it (`nng_device_aio`).
///
/// The device owns its sockets while it runs (nng refuses other use of them
/// with [`Error::Busy`]) and closes them when it stops: on [`stop`](Self::stop),
/// on drop, or when a socket fails. Forwarding is best effort: a message the
/// other side cannot take at once is dropped.
///
/// ```
/// use nng::{Device, Protocol, Socket};
/// // client (req) -> front (raw rep) => back (raw req) -> server (rep)
/// let server = Socket::new(Protocol::Rep0)?;
/// server.listen("inproc://device-doc-back")?;
/// let front = Socket::new_raw(Protocol::Rep0)?;
/// front.listen("inproc://device-doc-front")?;
/// let back = Socket::new_raw(Protocol::Req0)?;
/// back.dial("inproc://device-doc-back")?; // connected before forwarding starts
/// let device = Device::start(front, back).map_err(|e| e.error)?;
///
/// let client = Socket::new(Protocol::Req0)?;
/// client.dial("inproc://device-doc-front")?;
/// client.send(b"ping")?;
/// let request = server.recv()?;
/// server.send_msg(request)?; // echo it back through the device
/// assert_eq!(client.recv()?.as_slice(), b"ping");
/// device.stop()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "nng_device_aio")]
pub struct Device {
    run: Option<Running>,
}

/// A started device: its aio and the sockets nng forwards between. Dropping
/// it stops the device and frees the aio; it is dropped outside callbacks
/// only (see [`Device`]'s `Drop`).
struct Running {
    aio: std::ptr::NonNull<ffi::nng_aio>,
    sockets: (Socket, Option<Socket>),
}

// SAFETY: the device is driven by nng's own threads; this handle only cancels,
// waits on and frees its aio, which nng allows from any thread. The sockets it
// holds are Send. It is not Sync (no `&self` method needs sharing); that is
// pinned by a compile-fail doctest on `Device::stop`.
unsafe impl Send for Running {}

impl Running {
    fn halt(&self) {
        debug_assert!(!crate::callback::inside());
        // SAFETY: the aio is live until Drop; cancel then wait is nng's way to
        // stop a device, and both are no-ops on a finished aio. Not inside a
        // callback (the callers check), so waiting cannot deadlock.
        unsafe {
            ffi::nng_aio_cancel(self.aio.as_ptr());
            ffi::nng_aio_wait(self.aio.as_ptr());
        }
    }

    fn result(&self) -> Result<()> {
        // SAFETY: the aio is live and finished (callers waited).
        cvt(unsafe { ffi::nng_aio_result(self.aio.as_ptr()) })
    }

    /// Frees the finished aio and hands the sockets back, marked closed:
    /// nng closed them (waiting for their callbacks) before it finished the
    /// aio (device.c: device_close precedes nni_aio_finish_error).
    fn finish(self) -> (Socket, Option<Socket>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the aio has finished and is freed once; the sockets are
        // moved out once and `this` is never dropped.
        let sockets = unsafe {
            ffi::nng_aio_free(this.aio.as_ptr());
            std::ptr::read(&this.sockets)
        };
        sockets.0.closed.store(true, Ordering::Release);
        if let Some(b) = &sockets.1 {
            b.closed.store(true, Ordering::Release);
        }
        sockets
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
        // SAFETY: the aio has finished and is not used again. The sockets
        // were closed by nng (see `finish`): mark them so their Drop does
        // not close the ids again.
        unsafe { ffi::nng_aio_free(self.aio.as_ptr()) };
        self.sockets.0.closed.store(true, Ordering::Release);
        if let Some(b) = &self.sockets.1 {
            b.closed.store(true, Ordering::Release);
        }
    }
}

/// A device that could not start: why, and the sockets, handed back.
///
/// ```
/// use nng::{Device, Error, Protocol, Socket};
/// let cooked = Socket::new(Protocol::Bus0)?; // devices need raw sockets
/// let err = Device::reflector(cooked).unwrap_err();
/// assert_eq!(err.error, Error::InvalidInput);
/// let (cooked, _) = err.sockets; // still ours, still open
/// cooked.listen("inproc://device-error-doc")?;
/// # Ok::<(), nng::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct DeviceError {
    /// Why the device did not start.
    pub error: Error,
    /// The sockets passed in, still the caller's.
    pub sockets: (Socket, Option<Socket>),
}

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Error {
        e.error
    }
}

impl Device {
    /// Starts forwarding between raw sockets `a` and `b`, which must be peers
    /// (e.g. raw rep0 and raw req0, raw pub0 and raw sub0). A cooked socket is
    /// [`Error::InvalidInput`]; the sockets then come back in the error.
    #[doc(alias = "nng_device_aio", alias = "nng_device")]
    pub fn start(a: Socket, b: Socket) -> Result<Device, DeviceError> {
        Device::launch((a, Some(b)))
    }

    /// Starts a reflector: messages received on raw socket `a` are sent back to
    /// it. `a` must be able to peer with itself (raw pair or bus).
    ///
    /// ```
    /// use nng::{Device, Protocol, Socket};
    /// let hub = Socket::new_raw(Protocol::Bus0)?;
    /// hub.listen("inproc://reflector-doc")?;
    /// let device = Device::reflector(hub).map_err(|e| e.error)?;
    /// device.stop()?;
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_device_aio")]
    pub fn reflector(a: Socket) -> Result<Device, DeviceError> {
        Device::launch((a, None))
    }

    fn launch(sockets: (Socket, Option<Socket>)) -> Result<Device, DeviceError> {
        let mut p = std::ptr::null_mut();
        // SAFETY: `p` is a valid out-pointer; no callback is registered.
        if let Err(error) = cvt(unsafe { ffi::nng_aio_alloc(&mut p, None, std::ptr::null_mut()) }) {
            return Err(DeviceError { error, sockets });
        }
        let aio = std::ptr::NonNull::new(p).expect("nng_aio_alloc succeeded");
        let b = sockets
            .1
            .as_ref()
            .map_or(ffi::nng_socket::default(), |b| b.raw);
        // SAFETY: `aio` is a live aio we own; the socket ids are plain values.
        unsafe { ffi::nng_device_aio(aio.as_ptr(), sockets.0.raw, b) };
        // SAFETY: `aio` is live. A device that failed to start has already
        // finished its aio; a running one keeps it busy until it stops.
        let started = unsafe { ffi::nng_aio_busy(aio.as_ptr()) };
        let run = Running { aio, sockets };
        if started {
            return Ok(Device { run: Some(run) });
        }
        let error = run.result().err().unwrap_or(Error::Closed);
        let run = std::mem::ManuallyDrop::new(run);
        // SAFETY: the aio has finished and is never used again; the sockets
        // are moved out exactly once and `run` is never dropped. nng did
        // not take them (the device did not start): they stay open.
        let sockets = unsafe {
            ffi::nng_aio_free(run.aio.as_ptr());
            std::ptr::read(&run.sockets)
        };
        Err(DeviceError { error, sockets })
    }

    fn take(mut self) -> Running {
        self.run.take().expect("a Device runs until consumed")
    }

    /// Blocks until the device stops by itself (a socket failed or was closed
    /// by nng), returning why (`nng_aio_wait`). Inside an nng callback, where
    /// that wait could deadlock, it returns [`Error::IncorrectState`] and the
    /// device is stopped as by a drop.
    #[doc(alias = "nng_aio_wait")]
    pub fn wait(self) -> Result<()> {
        if crate::callback::inside() {
            return Err(Error::IncorrectState);
        }
        let run = self.take();
        // SAFETY: the aio is live until `run` is dropped; not in a callback.
        unsafe { ffi::nng_aio_wait(run.aio.as_ptr()) };
        run.result()
    }

    /// Stops the device and closes its sockets, waiting for it to finish
    /// (`nng_aio_cancel`, `nng_aio_wait`). Dropping it does the same. Inside
    /// an nng callback (stopping needs nng's pipe-callback mutex and waits
    /// for callbacks) the stop runs on a helper thread once the callback has
    /// returned, and `Ok` is returned at once; if no thread can be started
    /// the device keeps running (it is leaked, never stopped inside the
    /// callback) and the error is returned.
    ///
    /// A `Device` can be moved to another thread, but not shared:
    /// ```compile_fail,E0277
    /// fn shared<T: Sync>() {}
    /// shared::<nng::Device>();
    /// ```
    #[doc(alias = "nng_aio_cancel")]
    pub fn stop(self) -> Result<()> {
        let run = self.take();
        if crate::callback::inside() {
            // Deferred to a helper thread (an error if none could start: the
            // device then keeps running, see the drop).
            return crate::callback::close_outside(move || drop(run));
        }
        run.halt();
        match run.result() {
            Err(Error::Canceled) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        // Stopping waits for the device to close its sockets, which waits
        // for their callbacks and for nng's process-wide pipe-callback mutex:
        // inside any callback it runs on a helper thread instead. If none
        // can start, the job is leaked unrun (`close_outside`): the device
        // keeps running and its sockets stay open with their closures alive,
        // so `Running` is never dropped inside a callback.
        let _ = crate::callback::close_outside(move || drop(run));
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let run = self.run.as_ref();
        f.debug_struct("Device")
            .field("a", &run.map(|r| r.sockets.0.id()))
            .field("b", &run.and_then(|r| r.sockets.1.as_ref().map(Socket::id)))
            .finish()
    }
}

/// Forwards between raw sockets `a` and `b` until the device fails
/// (`nng_device`): [`Device::start`] followed by [`Device::wait`]. It blocks,
/// normally forever; use [`Device`] to stop under program control. Inside an
/// nng callback it returns [`Error::IncorrectState`] without starting.
#[doc(alias = "nng_device")]
pub fn device(a: Socket, b: Socket) -> Result<(), DeviceError> {
    if crate::callback::inside() {
        return Err(DeviceError {
            error: Error::IncorrectState,
            sockets: (a, Some(b)),
        });
    }
    let run = Device::start(a, b)?.take();
    // SAFETY: the aio is live until `run` is finished; not in a callback.
    unsafe { ffi::nng_aio_wait(run.aio.as_ptr()) };
    let result = run.result();
    let sockets = run.finish();
    result.map_err(|error| DeviceError { error, sockets })
}

/// Converts a Rust string for nng; an interior NUL is [`Error::AddressInvalid`].
pub(crate) fn to_cstring(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::AddressInvalid)
}
