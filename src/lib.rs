//! Safe, idiomatic Rust bindings to [nng](https://nng.nanomsg.org) 2.0
//! (nanomsg-next-generation).
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub use nng_sys as ffi;

pub mod aio;
pub mod context;
pub mod dialer;
pub mod error;
pub mod future;
pub mod init;
pub mod listener;
pub mod message;
pub mod options;
pub mod pipe;
pub mod protocol;
pub mod socket;
pub mod url;

pub use aio::{Aio, AioResult};
pub use context::Context;
pub use dialer::Dialer;
pub use error::{Error, Result};
pub use init::{init, InitParams};
pub use listener::Listener;
pub use message::{Message, SendError};
pub use pipe::{Pipe, PipeEvent};
pub use protocol::Protocol;
pub use socket::{device, Flags, Socket};
