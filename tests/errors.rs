//! `Error`: every nng code, nng's own text, io::Error conversion.

use nng::{ffi, Error};
use std::ffi::CStr;
use std::io::ErrorKind;

/// nng's own text for a code, straight from C.
fn c_text(code: u32) -> String {
    let _ = nng::Socket::new(nng::Protocol::Pair0); // make sure nng is initialised
                                                    // SAFETY: nng_strerror accepts any code and returns a static string.
    unsafe { CStr::from_ptr(ffi::nng_strerror(code as ffi::nng_err)) }
        .to_string_lossy()
        .into_owned()
}

const ALL_CODES: [u32; 31] = [
    ffi::NNG_EINTR,
    ffi::NNG_ENOMEM,
    ffi::NNG_EINVAL,
    ffi::NNG_EBUSY,
    ffi::NNG_ETIMEDOUT,
    ffi::NNG_ECONNREFUSED,
    ffi::NNG_ECLOSED,
    ffi::NNG_EAGAIN,
    ffi::NNG_ENOTSUP,
    ffi::NNG_EADDRINUSE,
    ffi::NNG_ESTATE,
    ffi::NNG_ENOENT,
    ffi::NNG_EPROTO,
    ffi::NNG_EUNREACHABLE,
    ffi::NNG_EADDRINVAL,
    ffi::NNG_EPERM,
    ffi::NNG_EMSGSIZE,
    ffi::NNG_ECONNABORTED,
    ffi::NNG_ECONNRESET,
    ffi::NNG_ECANCELED,
    ffi::NNG_ENOFILES,
    ffi::NNG_ENOSPC,
    ffi::NNG_EEXIST,
    ffi::NNG_EREADONLY,
    ffi::NNG_EWRITEONLY,
    ffi::NNG_ECRYPTO,
    ffi::NNG_EPEERAUTH,
    ffi::NNG_EBADTYPE,
    ffi::NNG_ECONNSHUT,
    ffi::NNG_ESTOPPED,
    ffi::NNG_EINTERNAL,
];

#[test]
fn every_nng_code_has_a_variant_with_nngs_text() {
    let mut seen = std::collections::HashSet::new();
    for code in ALL_CODES {
        let e = Error::from_code(code);
        assert!(
            !matches!(e, Error::Unknown(_)),
            "code {code} has no variant"
        );
        assert!(seen.insert(e), "two codes map to {e:?}");
        assert_eq!(e.code(), code);
        assert_eq!(e.to_string(), c_text(code));
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(Error::TimedOut.to_string(), "Timed out");
    assert_eq!(Error::Closed.to_string(), "Object closed");
}

#[test]
fn system_errors_keep_their_errno() {
    let e = Error::from_code(ffi::NNG_ESYSERR | libc::ECONNRESET as u32);
    assert_eq!(e, Error::System(libc::ECONNRESET));
    assert_eq!(e.code(), ffi::NNG_ESYSERR | libc::ECONNRESET as u32);
    assert_eq!(e.to_string(), c_text(e.code()));
    let io = std::io::Error::from(e);
    assert_eq!(io.raw_os_error(), Some(libc::ECONNRESET));
    assert_eq!(io.kind(), ErrorKind::ConnectionReset);
    assert_eq!(e.io_kind(), ErrorKind::ConnectionReset);
}

#[test]
fn transport_and_unknown_errors_keep_their_code() {
    let e = Error::from_code(ffi::NNG_ETRANERR | 42);
    assert_eq!(e, Error::Transport(42));
    assert_eq!(e.code(), ffi::NNG_ETRANERR | 42);
    assert_eq!(e.io_kind(), ErrorKind::Other);
    let u = Error::from_code(555);
    assert_eq!(u, Error::Unknown(555));
    assert_eq!(u.code(), 555);
    assert!(!u.to_string().is_empty());
}

#[test]
fn io_error_kinds_fit() {
    let table = [
        (Error::TimedOut, ErrorKind::TimedOut),
        (Error::TryAgain, ErrorKind::WouldBlock),
        (Error::ConnectionRefused, ErrorKind::ConnectionRefused),
        (Error::ConnectionReset, ErrorKind::ConnectionReset),
        (Error::ConnectionAborted, ErrorKind::ConnectionAborted),
        (Error::AddressInUse, ErrorKind::AddrInUse),
        (Error::AddressInvalid, ErrorKind::InvalidInput),
        (Error::InvalidInput, ErrorKind::InvalidInput),
        (Error::EntryNotFound, ErrorKind::NotFound),
        (Error::PermissionDenied, ErrorKind::PermissionDenied),
        (Error::NotSupported, ErrorKind::Unsupported),
        (Error::Interrupted, ErrorKind::Interrupted),
        (Error::OutOfMemory, ErrorKind::OutOfMemory),
        (Error::AlreadyExists, ErrorKind::AlreadyExists),
        (Error::MessageTooLarge, ErrorKind::InvalidData),
        (Error::Protocol, ErrorKind::InvalidData),
        (Error::ConnectionShutdown, ErrorKind::BrokenPipe),
        (Error::Closed, ErrorKind::NotConnected),
    ];
    for (e, kind) in table {
        let io = std::io::Error::from(e);
        assert_eq!(io.kind(), kind, "{e:?}");
        // The nng error is still inside, with nng's text.
        assert_eq!(io.to_string(), e.to_string());
        let inner = io.get_ref().and_then(|i| i.downcast_ref::<Error>());
        assert_eq!(inner, Some(&e));
    }
}

#[test]
fn errors_are_std_errors_and_send_errors_convert() {
    fn is_std_error<E: std::error::Error + Send + Sync + 'static>() {}
    is_std_error::<Error>();
    is_std_error::<nng::SendError>();
    let s = nng::Socket::new(nng::Protocol::Push0).unwrap();
    let err = s.try_send_msg(nng::Message::from("x")).unwrap_err();
    assert_eq!(err.to_string(), Error::TryAgain.to_string());
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), ErrorKind::WouldBlock);
    // `?` turns nng errors into io errors.
    fn io_fn() -> std::io::Result<()> {
        nng::Socket::new(nng::Protocol::Pull0)?.try_recv()?;
        Ok(())
    }
    assert_eq!(io_fn().unwrap_err().kind(), ErrorKind::WouldBlock);
}
