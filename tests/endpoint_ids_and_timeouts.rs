//! Issue 17, scenario 9: sub-millisecond timeouts round up instead of
//! becoming "do not wait", and a pipe names its dialer or listener by id only,
//! so nothing reached from a pipe can close an endpoint someone else owns.

use nng::options::{ReconnectMinTime, RecvTimeout, SendTimeout};
use nng::{Dialer, Listener, Protocol, Socket};
use std::time::Duration;

#[test]
fn sub_millisecond_timeouts_round_up_to_a_millisecond() {
    let s = Socket::new(Protocol::Pair1).unwrap();
    for (set, want) in [
        (Duration::from_micros(500), Duration::from_millis(1)),
        (Duration::from_nanos(1), Duration::from_millis(1)),
        (Duration::from_micros(1500), Duration::from_millis(2)),
        (Duration::from_millis(3), Duration::from_millis(3)),
        (Duration::ZERO, Duration::ZERO),
    ] {
        s.set_opt::<RecvTimeout>(Some(set)).unwrap();
        assert_eq!(s.get_opt::<RecvTimeout>().unwrap(), Some(want), "{set:?}");
        s.set_opt::<SendTimeout>(Some(set)).unwrap();
        assert_eq!(s.get_opt::<SendTimeout>().unwrap(), Some(want), "{set:?}");
    }
    let d = Dialer::new(&s, "inproc://sub-ms").unwrap();
    d.set_opt::<ReconnectMinTime>(Some(Duration::from_micros(10)))
        .unwrap();
    assert_eq!(
        d.get_opt::<ReconnectMinTime>().unwrap(),
        Some(Duration::from_millis(1))
    );
}

#[test]
fn a_500us_receive_timeout_waits_instead_of_polling() {
    // With the timeout rounded down to 0 the receive would be a non-blocking
    // attempt; a 1 ms wait still times out, and never reports WouldBlock-like
    // immediacy as success.
    let s = Socket::new(Protocol::Pair1).unwrap();
    s.set_opt::<RecvTimeout>(Some(Duration::from_micros(500)))
        .unwrap();
    assert_eq!(s.recv().unwrap_err(), nng::Error::TimedOut);
}

#[test]
fn a_pipe_reports_its_endpoints_by_id() {
    let url = "inproc://pipe-endpoint-ids";
    let rep = Socket::new(Protocol::Rep0).unwrap();
    let l = Listener::new(&rep, url).unwrap();
    l.start().unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&req, url).unwrap();
    d.start().unwrap();

    req.send(b"ping").unwrap();
    let msg = rep.recv().unwrap();
    let at_rep = msg.pipe().expect("a pipe");
    assert_eq!(at_rep.listener().map(|l| l.id()), Some(l.id()));
    assert_eq!(at_rep.dialer(), None);
    rep.send(msg).unwrap();
    let reply = req.recv().unwrap();
    let at_req = reply.pipe().expect("a pipe");
    assert_eq!(at_req.dialer().map(|d| d.id()), Some(d.id()));
    assert_eq!(at_req.listener(), None);

    // The ids are only names (Copy, nothing to drop): getting them leaves
    // both endpoints open and the connection working.
    for _ in 0..3 {
        assert!(at_req.dialer().is_some() && at_rep.listener().is_some());
    }
    req.send(b"again").unwrap();
    let msg = rep.recv().unwrap();
    assert_eq!(msg.as_slice(), b"again");
    assert!(
        d.url().is_ok() && l.url().is_ok(),
        "both endpoints still open"
    );
}

/// A listener not started yet has no bound port (nng says NNG_ESTATE): its URL
/// is its creation text, as nng canonicalises it (found by fuzz/url).
#[test]
fn an_unstarted_listener_has_its_creation_url() {
    let s = nng::Socket::new(nng::Protocol::Rep0).unwrap();
    for url in [
        "tcp://127.0.0.1:5555",
        "ws://127.0.0.1:5556/x",
        "inproc://unstarted",
    ] {
        let l = nng::Listener::new(&s, url).unwrap();
        assert_eq!(l.url().unwrap(), url);
    }
}
