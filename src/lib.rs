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
//! # First steps: a request and its reply
//!
//! Add `nng2 = "0.1"` to the `[dependencies]` of `Cargo.toml` (the package is
//! `nng2`, the library is imported as `nng`). The C library (nng 2.0.0) and
//! mbedTLS 3.6 are compiled from the source `nng2-sys` carries the first time
//! (about a minute), which needs CMake, make and a C compiler (no libclang:
//! the bindings ship with `nng2-sys`). See [Crate features](#crate-features)
//! for the options.
//!
//! A server [`listen`](Socket::listen)s, a client [`dial`](Socket::dial)s; the
//! client sends a request, the server answers it. A cooked rep0 socket
//! remembers where the request it last received came from and sends the
//! next message back there: the answer is just its bytes. A request whose
//! reply is lost is resent ([`options::ReqResendTime`]).
//!
//! ```
//! use nng::{Protocol, Socket};
//!
//! let server = Socket::new(Protocol::Rep0)?;
//! let listener = server.listener("tcp://127.0.0.1:0")?; // port 0: any free port
//! listener.start()?;
//! let url = format!("tcp://127.0.0.1:{}", listener.port()?);
//!
//! let client = Socket::new(Protocol::Req0)?;
//! client.dial(&url)?;
//!
//! client.send(b"2 + 2")?;
//! let request = server.recv()?;
//! assert_eq!(request.as_slice(), b"2 + 2");
//! server.send(b"4")?; // rep0 routes it to the requester
//! assert_eq!(client.recv()?.as_slice(), b"4");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `cargo run --example reqrep` in this crate's repository does the same with
//! printing. Blocking calls wait as long as their timeout
//! ([`options::RecvTimeout`], [`options::SendTimeout`]; none by default).
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
//! respondent.send(question)?; // the question's message, reused
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
//! # Serving many requests at once: contexts and callbacks
//!
//! A rep socket answers one request at a time. A [`Context`] is an
//! independent request/reply state on the same socket: a server opens one
//! context per request it wants in flight. Each can be driven by a callback
//! [`Aio`] ([`nng::aio`](crate::aio); `cargo run --example async_server`) or
//! by `async`/`await`.
//!
//! # async/await
//!
//! [`Socket`] and [`Context`] have `send_async` and `recv_async` futures, a
//! `Stream` of received messages and a `Sink` for sending
//! ([`nng::future`](crate::future)). nng's own threads complete them: they
//! run under tokio, smol, `futures::executor` or any other executor, and
//! the library starts no runtime of its own.
//!
//! ```
//! use nng::{Context, Protocol, Socket};
//!
//! let server = Socket::new(Protocol::Rep0)?;
//! server.listen("inproc://front-async")?;
//! let client = Socket::new(Protocol::Req0)?;
//! client.dial("inproc://front-async")?;
//!
//! futures::executor::block_on(async {
//!     let ctx = Context::new(&server)?; // one per request served concurrently
//!     let serve = async {
//!         let mut request = ctx.recv_async().await?;
//!         request.push_back(b", world");
//!         ctx.send_async(request).await?;
//!         Ok::<(), nng::Error>(())
//!     };
//!     let ask = async {
//!         client.send_async(b"hello").await?;
//!         client.recv_async().await
//!     };
//!     let (served, reply) = futures::join!(serve, ask);
//!     served?;
//!     assert_eq!(reply?.as_slice(), b"hello, world");
//!     Ok::<(), nng::Error>(())
//! })?;
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! `cargo run --example async_tokio` serves many concurrent clients under
//! tokio.
//!
//! # TLS
//!
//! With the `tls` feature (on by default) the same sockets speak
//! `tls+tcp://` and `wss://`: build a [`TlsConfig`] and listen or dial with
//! it. nng is built with mbedTLS 3.6 LTS, which speaks TLS 1.3 (and 1.2). Here
//! a server with a self-signed certificate (generated with the `rcgen` crate)
//! and a client that trusts it, over WebSocket:
//!
//! ```
//! # #[cfg(nng_tls)]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use nng::{tls::TlsConfig, Protocol, Socket};
//! let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
//! let (cert, key) = (ck.cert.pem(), ck.key_pair.serialize_pem());
//!
//! let server = Socket::new(Protocol::Rep0)?;
//! let tls = TlsConfig::server().cert_key_pem(&cert, &key).build()?;
//! let listener = server.listener_tls("wss://127.0.0.1:0/api", &tls)?;
//! listener.start()?;
//!
//! let client = Socket::new(Protocol::Req0)?;
//! let tls = TlsConfig::client().ca_pem(&cert).server_name("localhost").build()?;
//! client.dial_tls(&listener.url()?, &tls)?; // returns once the handshake has succeeded
//!
//! client.send(b"secret")?;
//! assert_eq!(server.recv()?.as_slice(), b"secret");
//! # Ok(())
//! # }
//! # #[cfg(not(nng_tls))]
//! # fn main() {}
//! ```
//!
//! [`nng::tls`](crate::tls) has mutual TLS, certificate files, pre-shared
//! keys and the certificate a peer presented; `cargo run --example
//! tls_reqrep` runs a complete exchange.
//!
//! # Crate features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `vendored` | yes | build the nng 2.0.0 source that `nng2-sys` carries. Without it a system nng >= 2.0 is found with pkg-config (also forced by the environment variable `NNG_SYS_NO_VENDOR=1`); an older one stops the build with an error naming its version |
//! | `tls` | yes | mbedTLS 3.6 LTS, built from source: `tls+tcp://`, `wss://` and [`nng::tls`](crate::tls), TLS 1.2 and 1.3. Without it TLS URLs fail with [`Error::NotSupported`] |
//! | `tls-openssl` | no | OpenSSL 3.5 LTS (built from source) instead: TLS 1.3 with post-quantum hybrid key exchange |
//! | `tls-mbedtls-2` | no | mbedTLS 2.28 (crate `mbedtls-sys-auto`) instead: TLS 1.2 only, needs libclang |
//! | `bindgen` | no | regenerate nng-sys's bindings (needs libclang) |
//! | `tools` | no | also build the C `nngcat` and perf tools from the same source, in `nng::ffi::TOOLS_DIR` |
//!
//! The minimum supported Rust version is 1.83.
//!
//! # Devices
//!
//! Raw sockets ([`Socket::new_raw`]) carry the protocol headers to the
//! application, so a [`Device`] can forward between two of them, e.g. to
//! put a broker between requesters and repliers.
//!
//! # Errors and messages
//!
//! Every call returns [`Result`]. A failed send ([`Socket::send`] and the
//! other sends) hands the message back inside [`SendError`], so nothing is
//! lost. `?` converts both [`Error`] and [`SendError`] into [`Error`],
//! [`std::io::Error`] or `Box<dyn std::error::Error>`.
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use nng_sys as ffi;

pub mod addr;
pub mod aio;
mod callback;
pub mod context;
pub mod device;
pub mod dialer;
mod endpoint;
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
#[cfg(nng_tls)]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;
pub mod url;

pub use addr::SockAddr;
pub use aio::{Aio, AioResult};
pub use context::Context;
pub use device::{device, Device, DeviceError};
pub use dialer::{Dialer, DialerId};
pub use error::{Error, Result};
pub use init::{init, InitParams};
pub use listener::{Listener, ListenerId};
pub use message::{Message, SendError};
pub use pipe::{Pipe, PipeEvent};
pub use protocol::Protocol;
pub use socket::Socket;
pub use stats::Statistics;
#[cfg(nng_tls)]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::{TlsCert, TlsConfig};
pub use url::Url;

// The Rust blocks of README.md and docs/MIGRATING.md run as doctests
// (`cargo test --doc`), so every example there compiles and passes. Their TLS
// examples need the `tls` feature; the packaged crate ships both files.
#[cfg(all(doctest, nng_tls))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(all(doctest, nng_tls))]
#[doc = include_str!("../docs/MIGRATING.md")]
pub struct MigratingDoctests;
