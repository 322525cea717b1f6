//! Errors: [`Error`], the [`Result`] alias, and the one conversion from nng's
//! return codes (`cvt`, crate-internal).
//!
//! Every `nng_err` has a variant; each displays nng's own text (`nng_strerror`).
//! Operating-system errors keep their `errno` ([`Error::System`]) and transport
//! errors their transport code ([`Error::Transport`]).

use crate::ffi;
use std::ffi::CStr;
use std::io;

/// `Result<T, nng::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! errors {
    ($( $(#[$doc:meta])* $variant:ident = $code:ident, $kind:ident; )*) => {
        /// An error reported by nng (`nng_err`, text from `nng_strerror`).
        ///
        /// `Display` shows nng's own message, as `nng_strerror` gives it.
        ///
        /// ```
        /// let e = nng::Error::from_code(nng_sys::NNG_ETIMEDOUT);
        /// assert_eq!(e, nng::Error::TimedOut);
        /// assert_eq!(e.to_string(), "Timed out");
        /// assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::TimedOut);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
        #[non_exhaustive]
        #[doc(alias = "nng_err", alias = "nng_strerror")]
        pub enum Error {
            $( $(#[$doc])* #[error("{}", strerror(ffi::$code))] $variant, )*
            /// An operating-system error (`NNG_ESYSERR`), with its `errno`.
            #[error("{}", strerror(ffi::NNG_ESYSERR | *.0 as u32))]
            System(i32),
            /// A transport-specific error (`NNG_ETRANERR`), with the transport's code.
            #[error("{}", strerror(ffi::NNG_ETRANERR | *.0))]
            Transport(u32),
            /// A code this crate does not know, kept as nng returned it.
            #[error("{}", strerror(*.0))]
            Unknown(u32),
        }

        impl Error {
            /// Converts one of nng's codes (not `0`) into an `Error`.
            ///
            /// ```
            /// assert_eq!(nng::Error::from_code(nng::ffi::NNG_ECLOSED), nng::Error::Closed);
            /// assert_eq!(nng::Error::from_code(nng::ffi::NNG_ESYSERR | 2), nng::Error::System(2));
            /// ```
            pub fn from_code(code: u32) -> Error {
                match code {
                    $( ffi::$code => Error::$variant, )*
                    c if c & ffi::NNG_ESYSERR != 0 && c & ffi::NNG_ETRANERR == 0 =>
                        Error::System((c & !ffi::NNG_ESYSERR) as i32),
                    c if c & ffi::NNG_ETRANERR != 0 && c & ffi::NNG_ESYSERR == 0 =>
                        Error::Transport(c & !ffi::NNG_ETRANERR),
                    c => Error::Unknown(c),
                }
            }

            /// The raw `nng_err` code.
            ///
            /// ```
            /// assert_eq!(nng::Error::TimedOut.code(), nng::ffi::NNG_ETIMEDOUT);
            /// ```
            pub fn code(&self) -> u32 {
                match *self {
                    $( Error::$variant => ffi::$code, )*
                    Error::System(e) => ffi::NNG_ESYSERR | e as u32,
                    Error::Transport(e) => ffi::NNG_ETRANERR | e,
                    Error::Unknown(c) => c,
                }
            }

            /// The closest [`io::ErrorKind`].
            ///
            /// ```
            /// use std::io::ErrorKind;
            /// assert_eq!(nng::Error::TryAgain.io_kind(), ErrorKind::WouldBlock);
            /// assert_eq!(nng::Error::AddressInUse.io_kind(), ErrorKind::AddrInUse);
            /// ```
            pub fn io_kind(&self) -> io::ErrorKind {
                match *self {
                    $( Error::$variant => io::ErrorKind::$kind, )*
                    Error::System(e) => io::Error::from_raw_os_error(e).kind(),
                    Error::Transport(_) | Error::Unknown(_) => io::ErrorKind::Other,
                }
            }
        }
    };
}

errors! {
    /// Operation interrupted (`NNG_EINTR`).
    Interrupted = NNG_EINTR, Interrupted;
    /// Out of memory, or another resource exhausted (`NNG_ENOMEM`).
    OutOfMemory = NNG_ENOMEM, OutOfMemory;
    /// Invalid argument (`NNG_EINVAL`).
    InvalidInput = NNG_EINVAL, InvalidInput;
    /// Resource busy (`NNG_EBUSY`).
    Busy = NNG_EBUSY, ResourceBusy;
    /// Timed out (`NNG_ETIMEDOUT`).
    TimedOut = NNG_ETIMEDOUT, TimedOut;
    /// Connection refused (`NNG_ECONNREFUSED`).
    ConnectionRefused = NNG_ECONNREFUSED, ConnectionRefused;
    /// Object closed, typically the socket (`NNG_ECLOSED`).
    Closed = NNG_ECLOSED, NotConnected;
    /// Try again: a non-blocking operation would block (`NNG_EAGAIN`).
    TryAgain = NNG_EAGAIN, WouldBlock;
    /// Not supported by this protocol or transport (`NNG_ENOTSUP`).
    NotSupported = NNG_ENOTSUP, Unsupported;
    /// Address in use (`NNG_EADDRINUSE`).
    AddressInUse = NNG_EADDRINUSE, AddrInUse;
    /// Incorrect state for the operation (`NNG_ESTATE`).
    IncorrectState = NNG_ESTATE, Other;
    /// Entry not found (`NNG_ENOENT`); also an unknown option name.
    EntryNotFound = NNG_ENOENT, NotFound;
    /// Protocol error: the peer sent something invalid (`NNG_EPROTO`).
    Protocol = NNG_EPROTO, InvalidData;
    /// Destination unreachable (`NNG_EUNREACHABLE`).
    DestinationUnreachable = NNG_EUNREACHABLE, HostUnreachable;
    /// Invalid address or URL (`NNG_EADDRINVAL`).
    AddressInvalid = NNG_EADDRINVAL, InvalidInput;
    /// Permission denied (`NNG_EPERM`).
    PermissionDenied = NNG_EPERM, PermissionDenied;
    /// Message too large (`NNG_EMSGSIZE`).
    MessageTooLarge = NNG_EMSGSIZE, InvalidData;
    /// Connection aborted (`NNG_ECONNABORTED`).
    ConnectionAborted = NNG_ECONNABORTED, ConnectionAborted;
    /// Connection reset by the peer (`NNG_ECONNRESET`).
    ConnectionReset = NNG_ECONNRESET, ConnectionReset;
    /// Operation canceled (`NNG_ECANCELED`).
    Canceled = NNG_ECANCELED, Interrupted;
    /// Out of files (`NNG_ENOFILES`).
    OutOfFiles = NNG_ENOFILES, Other;
    /// Out of space (`NNG_ENOSPC`).
    OutOfSpace = NNG_ENOSPC, StorageFull;
    /// Resource already exists (`NNG_EEXIST`).
    AlreadyExists = NNG_EEXIST, AlreadyExists;
    /// Read-only resource, e.g. a read-only option (`NNG_EREADONLY`).
    ReadOnly = NNG_EREADONLY, ReadOnlyFilesystem;
    /// Write-only resource, e.g. a write-only option (`NNG_EWRITEONLY`).
    WriteOnly = NNG_EWRITEONLY, PermissionDenied;
    /// Cryptographic error, e.g. an invalid TLS key (`NNG_ECRYPTO`).
    Crypto = NNG_ECRYPTO, InvalidData;
    /// The peer could not be authenticated (`NNG_EPEERAUTH`).
    PeerAuth = NNG_EPEERAUTH, PermissionDenied;
    /// Incorrect type, e.g. an option read with the wrong type (`NNG_EBADTYPE`).
    BadType = NNG_EBADTYPE, InvalidInput;
    /// Connection shut down (`NNG_ECONNSHUT`).
    ConnectionShutdown = NNG_ECONNSHUT, BrokenPipe;
    /// Operation stopped: its aio was stopped (`NNG_ESTOPPED`).
    Stopped = NNG_ESTOPPED, Interrupted;
    /// An unidentified internal error (`NNG_EINTERNAL`).
    Internal = NNG_EINTERNAL, Other;
}

/// nng's own text for a code.
fn strerror(code: u32) -> String {
    crate::init::ensure_quiet();
    // SAFETY: nng_strerror accepts any code and returns a NUL-terminated string
    // that stays valid until nng_fini, which this crate never calls.
    let text = unsafe { CStr::from_ptr(ffi::nng_strerror(code as ffi::nng_err)) };
    text.to_string_lossy().into_owned()
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::System(errno) => io::Error::from_raw_os_error(errno),
            other => io::Error::new(other.io_kind(), other),
        }
    }
}

/// The one place raw return codes are inspected: `0` is success, anything else
/// becomes an [`Error`].
#[inline]
pub(crate) fn cvt<T: TryInto<u32>>(rv: T) -> Result<()> {
    match rv.try_into() {
        Ok(0) => Ok(()),
        Ok(code) => Err(Error::from_code(code)),
        Err(_) => Err(Error::Internal),
    }
}
