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
    pub(crate) closed: AtomicBool,
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
    /// the socket stays open (a later close or the drop tries again); a close
    /// from another thread at that very moment may meanwhile have been told
    /// [`Error::Closed`] (a known gap, `tests/adversarial2.rs`).
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
        if self.closed.swap(true, Ordering::AcqRel) {
            return Err(Error::Closed);
        }
        // The flag makes this the only close of this id, so a later id reuse
        // by nng cannot be hit.
        let r = close_socket(self.raw, self.notify.clone());
        if r.is_err() && crate::callback::inside() {
            // Deferred, but no helper thread could start: the job (and its
            // share of the closures) was leaked unrun, the socket is still
            // open. Let a later close or the drop try again.
            self.closed.store(false, Ordering::Release);
        }
        r
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
    let close = move || {
        // SAFETY: closing an id is always safe; the caller's `closed` flag
        // makes this the only close of it.
        let rv = unsafe { ffi::nng_socket_close(raw) };
        // nng calls no pipe-notify closure of this socket any more.
        drop(keep);
        rv
    };
    if !crate::callback::inside() {
        return cvt(close());
    }
    crate::callback::close_outside(move || {
        close();
    })
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
