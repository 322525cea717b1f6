//! Bad input gets a typed error, never a panic or a hang.

mod common;

use common::*;
use nng::options::{
    IpcPermissions, ReconnectMinTime, RecvBufferSize, RecvMaxSize, RecvTimeout, TcpNoDelay,
    WsProtocol, WsTree,
};
use nng::{Dialer, Error, Listener, Message, Protocol, Socket};
use std::time::{Duration, Instant};

#[test]
fn malformed_urls_get_typed_errors() {
    let s = Socket::new(Protocol::Pair0).unwrap();
    // (url, dial error, listen error); None = that side accepts it (listening
    // on "tcp://" binds every interface on an ephemeral port).
    let table: &[(&str, Error, Option<Error>)] = &[
        ("", Error::NotSupported, Some(Error::NotSupported)), // no scheme: no transport
        ("not a url", Error::NotSupported, Some(Error::NotSupported)),
        ("tcp://", Error::AddressInvalid, None),
        ("tcp://127.0.0.1", Error::AddressInvalid, None),
        (
            "tcp://127.0.0.1:99999",
            Error::InvalidInput,
            Some(Error::InvalidInput),
        ),
        (
            "tcp://127.0.0.1:x",
            Error::InvalidInput,
            Some(Error::InvalidInput),
        ),
        (
            "tcp://no.such.host.invalid:80",
            Error::AddressInvalid,
            Some(Error::AddressInvalid),
        ),
        ("ipc://", Error::AddressInvalid, Some(Error::AddressInvalid)),
        (
            "ipc:///nonexistent-dir/x.sock",
            Error::ConnectionRefused,
            Some(Error::EntryNotFound),
        ),
        ("ws://", Error::AddressInvalid, None),
    ];
    for &(url, dial, listen) in table {
        assert_eq!(s.dial(url), Err(dial), "dial {url:?}");
        let l = Listener::new(&s, url).and_then(|l| l.start().map(|()| l));
        assert_eq!(l.as_ref().err().copied(), listen, "listen {url:?}");
    }
    assert_eq!(
        s.dial("tcp://127.0.0.1:1\0").unwrap_err(),
        Error::AddressInvalid
    );
    assert_eq!(
        Dialer::new(&s, "inproc://a\0b").unwrap_err(),
        Error::AddressInvalid
    );
}

#[test]
fn unknown_schemes_are_not_supported() {
    let s = Socket::new(Protocol::Pair0).unwrap();
    assert_eq!(
        s.dial("gopher://127.0.0.1:70").unwrap_err(),
        Error::NotSupported
    );
    assert_eq!(
        s.listen("carrier-pigeon://coop").unwrap_err(),
        Error::NotSupported
    );
}

#[test]
fn address_in_use() {
    let a = Socket::new(Protocol::Pair0).unwrap();
    let l = Listener::new(&a, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let b = Socket::new(Protocol::Pair0).unwrap();
    assert_eq!(
        b.listen(&l.url().unwrap()).unwrap_err(),
        Error::AddressInUse
    );

    let url = inproc("in-use");
    a.listen(&url).unwrap();
    assert_eq!(b.listen(&url).unwrap_err(), Error::AddressInUse);
}

#[test]
fn connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let s = Socket::new(Protocol::Req0).unwrap();
    let url = format!("tcp://127.0.0.1:{port}");
    assert_eq!(s.dial(&url).unwrap_err(), Error::ConnectionRefused);
    let d = Dialer::new(&s, &url).unwrap();
    assert_eq!(d.start().unwrap_err(), Error::ConnectionRefused);
    // inproc with no listener is refused too.
    assert_eq!(
        s.dial(&inproc("nobody")).unwrap_err(),
        Error::ConnectionRefused
    );
}

#[test]
fn wrong_option_for_the_transport_or_protocol() {
    let s = Socket::new(Protocol::Pair0).unwrap();
    let ipc = format!(
        "ipc://{}/{}.sock",
        std::env::temp_dir().display(),
        unique("opt")
    );
    let d = Dialer::new(&s, &ipc).unwrap();
    assert_eq!(
        d.set_opt::<TcpNoDelay>(true).unwrap_err(),
        Error::NotSupported
    );
    assert_eq!(d.get_opt::<WsProtocol>().unwrap_err(), Error::NotSupported);
    let l = Listener::new(&s, "tcp://127.0.0.1:0").unwrap();
    assert_eq!(
        l.set_opt::<IpcPermissions>(0o600).unwrap_err(),
        Error::NotSupported
    );
    assert_eq!(l.set_opt::<WsTree>(true).unwrap_err(), Error::NotSupported);
    assert_eq!(
        l.set_ws_header("X-A", "b").unwrap_err(),
        Error::NotSupported
    );
    // Protocol options on the wrong protocol.
    assert_eq!(s.subscribe(b"x").unwrap_err(), Error::NotSupported);
    assert_eq!(
        s.get_opt::<nng::options::ReqResendTime>().unwrap_err(),
        Error::NotSupported
    );
}

#[test]
fn out_of_range_and_malformed_values() {
    let s = Socket::new(Protocol::Pair0).unwrap();
    assert_eq!(
        s.set_opt::<RecvBufferSize>(-1).unwrap_err(),
        Error::InvalidInput
    );
    assert_eq!(
        s.set_opt::<RecvBufferSize>(1_000_000).unwrap_err(),
        Error::InvalidInput
    );
    let ws = Socket::new(Protocol::Pair0).unwrap();
    let d = Dialer::new(&ws, "ws://127.0.0.1:9/x").unwrap();
    assert_eq!(
        d.set_opt::<WsProtocol>("a\0b".into()).unwrap_err(),
        Error::InvalidInput
    );
    assert_eq!(d.set_ws_header("", "v").unwrap_err(), Error::InvalidInput);
    assert_eq!(
        d.set_ws_header("X-Nul\0", "v").unwrap_err(),
        Error::InvalidInput
    );
    assert_eq!(
        d.set_ws_header("X-Ok", "nul\0").unwrap_err(),
        Error::InvalidInput
    );
    let mut m = Message::from(&b"abc"[..]);
    assert_eq!(m.chop(4).unwrap_err(), Error::InvalidInput);
    assert_eq!(m.trim(4).unwrap_err(), Error::InvalidInput);
    assert_eq!(m.pop_back_u64().unwrap_err(), Error::InvalidInput);
    assert_eq!(m.as_slice(), b"abc", "failed edits change nothing");
}

#[test]
fn closed_socket_gives_closed_and_keeps_the_message() {
    let s = Socket::new(Protocol::Push0).unwrap();
    let d = Dialer::new(&s, &inproc("closed")).unwrap();
    s.close().unwrap();
    let err = s.send(b"keep me").unwrap_err();
    assert_eq!(err.error, Error::Closed);
    assert_eq!(err.message.as_slice(), b"keep me");
    assert_eq!(s.try_recv().unwrap_err(), Error::Closed);
    assert_eq!(s.set_opt::<RecvTimeout>(None).unwrap_err(), Error::Closed);
    assert_eq!(s.dial("inproc://x").unwrap_err(), Error::Closed);
    assert_eq!(s.listen("inproc://x").unwrap_err(), Error::Closed);
    assert!(Dialer::new(&s, "inproc://x").is_err());
    // The dialer went with the socket.
    assert!(d.start().is_err());
    assert!(s.protocol().is_err());
    drop(d); // dropping handles of a closed socket is fine
}

#[test]
fn starting_twice_is_a_state_error() {
    let s = Socket::new(Protocol::Pair0).unwrap();
    let l = Listener::new(&s, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    assert_eq!(l.start().unwrap_err(), Error::IncorrectState);
    let d = Dialer::new(&s, &l.url().unwrap()).unwrap();
    d.start().unwrap();
    assert_eq!(d.start().unwrap_err(), Error::IncorrectState);
}

#[test]
fn a_message_over_recv_max_size_drops_the_connection_not_the_receiver() {
    let pull = socket(Protocol::Pull0);
    pull.set_opt::<RecvMaxSize>(1024).unwrap(); // seeds the listener below
    let l = Listener::new(&pull, "tcp://127.0.0.1:0").unwrap();
    assert_eq!(l.get_opt::<RecvMaxSize>().unwrap(), 1024);
    l.start().unwrap();
    // Another peer of the same listener, connected before the offender.
    let bystander = socket(Protocol::Push0);
    bystander.dial(&l.url().unwrap()).unwrap();
    bystander.send(b"before").unwrap();
    let first = pull.recv().unwrap();
    assert_eq!(first.as_slice(), b"before");
    let bystander_pipe = first.pipe().unwrap();
    let [oversize0] = listener_counters(&l, ["other"]);

    let push = socket(Protocol::Push0);
    let d = Dialer::new(&push, &l.url().unwrap()).unwrap();
    d.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(20)))
        .unwrap();
    d.start().unwrap();

    push.send(vec![7u8; 4096]).unwrap(); // too big: the listener drops the pipe
    pull.set_opt::<RecvTimeout>(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let got = loop {
        // Small messages get through once the dialer has reconnected.
        let _ = push.try_send(b"small");
        match pull.recv() {
            Ok(m) => break m,
            Err(Error::TimedOut) => assert!(Instant::now() < deadline, "receiver stuck"),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(
        got.as_slice(),
        b"small",
        "the oversized message never arrives"
    );
    assert_ne!(got.pipe(), Some(bystander_pipe));
    // nng counts the refusal (NNG_EMSGSIZE) on the listener.
    assert!(listener_counters(&l, ["other"])[0] > oversize0);

    // The bystander was served all along, on its first connection.
    pull.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    bystander.send(b"after").unwrap();
    let after = loop {
        let m = pull.recv().unwrap();
        if m.as_slice() != b"small" {
            break m;
        }
    };
    assert_eq!(after.as_slice(), b"after");
    assert_eq!(after.pipe(), Some(bystander_pipe), "never reconnected");
}

#[test]
fn send_without_peers_times_out_or_would_block() {
    let s = Socket::new(Protocol::Req0).unwrap();
    s.set_opt::<nng::options::SendTimeout>(Some(Duration::from_millis(50)))
        .unwrap();
    let err = s.send(b"q").unwrap_err();
    assert_eq!(err.error, Error::TimedOut);
    assert_eq!(err.message.as_slice(), b"q");
    let err = s.try_send(err.message).unwrap_err();
    assert_eq!(err.error, Error::TryAgain);
    assert_eq!(err.message.as_slice(), b"q");
}
