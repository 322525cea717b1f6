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
    let err = s.try_send("x").unwrap_err();
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

/// `?` on a failed send works, with no `map_err`, in functions returning
/// `nng::Error`, `std::io::Error` and `Box<dyn Error>`, on the blocking,
/// non-blocking, async and callback sends alike; the cause survives each
/// conversion.
#[test]
fn question_mark_converts_a_send_error_into_each_common_error_type() {
    use nng::{Context, Protocol, Socket};
    // No peer, so every send fails: blocking ones time out.
    let push = Socket::new(Protocol::Push0).unwrap();
    push.set_opt::<nng::options::SendTimeout>(Some(std::time::Duration::from_millis(10)))
        .unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    let ctx = Context::new(&req).unwrap();

    fn to_nng(s: &Socket, c: &Context) -> [nng::Result<()>; 4] {
        [
            (|| Ok(s.send(b"x")?))(),
            (|| Ok(s.try_send(b"x")?))(),
            (|| Ok(c.try_send(b"x")?))(),
            (|| {
                Ok(futures::executor::block_on(
                    s.send_async(b"x")
                        .timeout(Some(std::time::Duration::from_millis(10))),
                )?)
            })(),
        ]
    }
    fn to_io(s: &Socket, c: &Context) -> [std::io::Result<()>; 3] {
        [
            (|| Ok(s.send(b"x")?))(),
            (|| Ok(s.try_send(nng::Message::from("x"))?))(),
            (|| Ok(c.try_send("x")?))(),
        ]
    }
    type Boxed = Result<(), Box<dyn std::error::Error + Send + Sync>>;
    fn to_box(s: &Socket, c: &Context) -> [Boxed; 3] {
        [
            (|| Ok(s.send(b"x")?))(),
            (|| Ok(s.try_send("x")?))(),
            (|| Ok(c.try_send(vec![1u8])?))(),
        ]
    }
    fn to_plain_box(s: &Socket) -> Result<(), Box<dyn std::error::Error>> {
        s.try_send("x")?;
        Ok(())
    }

    let [blocking, nonblocking, context, future] = to_nng(&push, &ctx);
    assert_eq!(blocking, Err(Error::TimedOut));
    assert_eq!(nonblocking, Err(Error::TryAgain));
    assert_eq!(context, Err(Error::TryAgain));
    assert_eq!(future, Err(Error::TimedOut));

    let kinds = to_io(&push, &ctx).map(|r| r.unwrap_err().kind());
    assert_eq!(
        kinds,
        [
            ErrorKind::TimedOut,
            ErrorKind::WouldBlock,
            ErrorKind::WouldBlock
        ]
    );

    for (r, want) in
        to_box(&push, &ctx)
            .into_iter()
            .zip([Error::TimedOut, Error::TryAgain, Error::TryAgain])
    {
        let e = r.unwrap_err();
        // The SendError itself is boxed: its cause and its message are there.
        let send = e.downcast_ref::<nng::SendError>().expect("a SendError");
        assert_eq!(send.error, want);
        assert!(!send.message.is_empty());
    }
    let e = to_plain_box(&push).unwrap_err();
    assert_eq!(e.to_string(), Error::TryAgain.to_string());
}
