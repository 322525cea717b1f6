//! Safe, idiomatic Rust bindings to [nng](https://nng.nanomsg.org) 2.0
//! (nanomsg-next-generation): the Scalability Protocols over inproc, ipc,
//! tcp, WebSocket and TLS.
//!
//! A [`Socket`] speaks one [`Protocol`]. It [`listen`](Socket::listen)s and
//! [`dial`](Socket::dial)s any number of URLs (or creates [`Listener`]s and
//! [`Dialer`]s to configure them first), and sends and receives whole
//! messages: byte slices, or [`Message`]s that move to and from nng without a
//! copy. Options are typed ([`options`]), errors are one enum ([`Error`]),
//! and every handle is `Send + Sync`. nng initialises itself on first use
//! ([`init()`] tunes it beforehand).
//!
//! # A tour of the protocols
//!
//! Each example runs as written (they are doctests). They use `inproc://`
//! URLs; `ipc://`, `tcp://`, `ws://`, `tls+tcp://` and `wss://` work the same.
//!
//! ## pair: one-to-one, both directions
//!
//! ```
//! use nng::{Protocol, Socket};
//! let a = Socket::new(Protocol::Pair1)?;
//! a.listen("inproc://tour-pair")?;
//! let b = Socket::new(Protocol::Pair1)?;
//! b.dial("inproc://tour-pair")?;
//! a.send(b"hi b")?;
//! assert_eq!(b.recv()?.as_slice(), b"hi b");
//! b.send(b"hi a")?;
//! assert_eq!(a.recv()?.as_slice(), b"hi a");
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! [`Protocol::Pair1Poly`] talks to many pair1 peers, each message tagged with
//! its [`Pipe`] ([`Message::pipe`], [`Message::set_pipe`]).
//!
//! ## req/rep: request and reply
//!
//! The reply finds its way back by the message header, which is why the
//! server answers with the request's own [`Message`]. A request whose reply
//! is lost is resent ([`options::ReqResendTime`]).
//!
//! ```
//! use nng::{Protocol, Socket};
//! let server = Socket::new(Protocol::Rep0)?;
//! server.listen("inproc://tour-reqrep")?;
//! let client = Socket::new(Protocol::Req0)?;
//! client.dial("inproc://tour-reqrep")?;
//!
//! client.send(b"2 + 2")?;
//! let mut request = server.recv()?;
//! assert_eq!(request.as_slice(), b"2 + 2");
//! request.clear();
//! request.push_back(b"4");
//! server.send_msg(request)?;
//! assert_eq!(client.recv()?.as_slice(), b"4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## pub/sub: broadcast, filtered by prefix
//!
//! ```
//! use nng::{options::RecvTimeout, Error, Protocol, Socket};
//! use std::time::Duration;
//! let subscriber = Socket::new(Protocol::Sub0)?;
//! subscriber.subscribe(b"weather/")?;
//! subscriber.set_opt::<RecvTimeout>(Some(Duration::from_millis(100)))?;
//! subscriber.listen("inproc://tour-pubsub")?;
//! let publisher = Socket::new(Protocol::Pub0)?;
//! // A dial returns once its connection is up, so nothing published is missed.
//! publisher.dial("inproc://tour-pubsub")?;
//!
//! publisher.send(b"sport/chess: draw")?;
//! publisher.send(b"weather/oslo: snow")?;
//! assert_eq!(subscriber.recv()?.as_slice(), b"weather/oslo: snow");
//! assert_eq!(subscriber.recv().unwrap_err(), Error::TimedOut); // chess was filtered out
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! ## pipeline (push/pull): work spread across workers
//!
//! ```
//! use nng::{Protocol, Socket};
//! let producer = Socket::new(Protocol::Push0)?;
//! producer.listen("inproc://tour-pipeline")?;
//! let worker = Socket::new(Protocol::Pull0)?;
//! worker.dial("inproc://tour-pipeline")?;
//! for job in ["job 1", "job 2"] {
//!     producer.send(job)?; // with several workers, each gets a share
//! }
//! assert_eq!(worker.recv()?.as_slice(), b"job 1");
//! assert_eq!(worker.recv()?.as_slice(), b"job 2");
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! ## survey: ask everyone, collect answers until a deadline
//!
//! ```
//! use nng::{options::SurveyTime, Error, Protocol, Socket};
//! use std::time::Duration;
//! let respondent = Socket::new(Protocol::Respondent0)?;
//! respondent.listen("inproc://tour-survey")?;
//! let surveyor = Socket::new(Protocol::Surveyor0)?;
//! surveyor.set_opt::<SurveyTime>(Some(Duration::from_millis(200)))?;
//! surveyor.dial("inproc://tour-survey")?;
//!
//! surveyor.send(b"who is there?")?;
//! let mut question = respondent.recv()?;
//! question.clear();
//! question.push_back(b"me");
//! respondent.send_msg(question)?;
//! assert_eq!(surveyor.recv()?.as_slice(), b"me");
//! assert_eq!(surveyor.recv().unwrap_err(), Error::TimedOut); // the deadline
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## bus: many-to-many, never echoed to the sender
//!
//! ```
//! use nng::{options::RecvTimeout, Error, Protocol, Socket};
//! use std::time::Duration;
//! let b = Socket::new(Protocol::Bus0)?;
//! b.listen("inproc://tour-bus-b")?;
//! let c = Socket::new(Protocol::Bus0)?;
//! c.listen("inproc://tour-bus-c")?;
//! let a = Socket::new(Protocol::Bus0)?;
//! a.dial("inproc://tour-bus-b")?;
//! a.dial("inproc://tour-bus-c")?;
//!
//! a.send(b"hello bus")?;
//! assert_eq!(b.recv()?.as_slice(), b"hello bus");
//! assert_eq!(c.recv()?.as_slice(), b"hello bus");
//! a.set_opt::<RecvTimeout>(Some(Duration::from_millis(100)))?;
//! assert_eq!(a.recv().unwrap_err(), Error::TimedOut); // a does not hear itself
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! # Devices
//!
//! Raw sockets ([`Socket::new_raw`]) carry the protocol headers to the
//! application, so a [`Device`] can forward between two of them, e.g. to
//! put a broker between requesters and repliers.
//!
//! # Errors and messages
//!
//! Every call returns [`Result`]. A failed [`Socket::send_msg`] hands the
//! message back inside [`SendError`], so nothing is lost; [`Error`] converts to
//! [`std::io::Error`] for `?` in I/O code.
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub use nng_sys as ffi;

pub mod addr;
pub mod aio;
mod callback;
pub mod context;
pub mod dialer;
pub mod error;
pub mod future;
pub mod init;
pub mod listener;
pub mod log;
pub mod message;
pub mod options;
pub mod pipe;
pub mod protocol;
pub mod socket;
pub mod stats;
#[cfg(feature = "tls")]
pub mod tls;
pub mod url;

pub use addr::SockAddr;
pub use aio::{Aio, AioResult};
pub use context::Context;
pub use dialer::Dialer;
pub use error::{Error, Result};
pub use init::{init, InitParams};
pub use listener::Listener;
pub use message::{Message, SendError};
pub use pipe::{Pipe, PipeEvent};
pub use protocol::Protocol;
pub use socket::{device, Device, DeviceError, Flags, Socket};
pub use stats::Statistics;
#[cfg(feature = "tls")]
pub use tls::{TlsCert, TlsConfig};
pub use url::Url;
