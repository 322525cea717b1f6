//! Each protocol's semantics, over inproc.

mod common;

use common::*;
use nng::options::{Pair1Polyamorous, RecvTimeout, ReqResendTick, ReqResendTime, SurveyTime};
use nng::{Device, Error, Message, Protocol, Socket};
use std::time::{Duration, Instant};

#[test]
fn pair0_both_directions() {
    let url = inproc("pair0");
    let a = socket(Protocol::Pair0);
    a.listen(&url).unwrap();
    let b = socket(Protocol::Pair0);
    b.dial(&url).unwrap();
    a.send(b"to b").unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"to b");
    b.send(b"to a").unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), b"to a");
}

#[test]
fn pair1_mono_both_directions() {
    let url = inproc("pair1");
    let a = socket(Protocol::Pair1);
    a.listen(&url).unwrap();
    let b = socket(Protocol::Pair1);
    b.dial(&url).unwrap();
    b.send(b"ping").unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), b"ping");
    a.send(b"pong").unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"pong");
    // Only a polyamorous socket has the option.
    assert_eq!(a.get_opt::<Pair1Polyamorous>(), Err(Error::NotSupported));
}

#[test]
fn pair1_poly_talks_to_each_peer_by_pipe() {
    let url = inproc("poly");
    let hub = socket(Protocol::Pair1Poly);
    assert!(hub.get_opt::<Pair1Polyamorous>().unwrap());
    hub.listen(&url).unwrap();
    let x = socket(Protocol::Pair1);
    x.dial(&url).unwrap();
    let y = socket(Protocol::Pair1);
    y.dial(&url).unwrap();

    x.send(b"from x").unwrap();
    y.send(b"from y").unwrap();
    let mut pipes = std::collections::HashMap::new();
    for _ in 0..2 {
        let m = hub.recv().unwrap();
        pipes.insert(
            m.as_slice().to_vec(),
            m.pipe().expect("poly messages carry their pipe"),
        );
    }
    let px = pipes[&b"from x".to_vec()];
    let py = pipes[&b"from y".to_vec()];
    assert_ne!(px, py);

    // Address y only: x must not see it.
    let mut reply = Message::from(&b"only y"[..]);
    reply.set_pipe(py);
    hub.send(reply).unwrap();
    assert_eq!(y.recv().unwrap().as_slice(), b"only y");
    assert!(nothing_arrives(&x, Duration::from_millis(200)));

    let mut reply = Message::from(&b"only x"[..]);
    reply.set_pipe(px);
    hub.send(reply).unwrap();
    assert_eq!(x.recv().unwrap().as_slice(), b"only x");
    assert!(nothing_arrives(&y, Duration::from_millis(200)));
}

#[test]
fn req_rep_round_trip_with_header_routing() {
    let url = inproc("reqrep");
    let rep = socket(Protocol::Rep0);
    rep.listen(&url).unwrap();
    let req = socket(Protocol::Req0);
    req.dial(&url).unwrap();
    for i in 0u32..5 {
        let mut m = Message::new();
        m.push_back_u32(i);
        req.send(m).unwrap();
        let mut got = rep.recv().unwrap();
        assert_eq!(got.pop_back_u32().unwrap(), i);
        got.push_back_u32(i * 10);
        rep.send(got).unwrap();
        assert_eq!(req.recv().unwrap().pop_back_u32().unwrap(), i * 10);
    }
}

#[test]
fn rep_cannot_reply_before_a_request_and_req_cannot_recv_before_sending() {
    let rep = socket(Protocol::Rep0);
    assert_eq!(rep.send(b"x").unwrap_err().error, Error::IncorrectState);
    let req = socket(Protocol::Req0);
    assert_eq!(req.try_recv().unwrap_err(), Error::IncorrectState);
}

#[test]
fn req_resends_after_a_lost_reply() {
    let url = inproc("resend");
    let rep = socket(Protocol::Rep0);
    rep.listen(&url).unwrap();
    let req = socket(Protocol::Req0);
    req.set_opt::<ReqResendTime>(Some(Duration::from_millis(200)))
        .unwrap();
    req.set_opt::<ReqResendTick>(Some(Duration::from_millis(20)))
        .unwrap();
    assert_eq!(
        req.get_opt::<ReqResendTime>().unwrap(),
        Some(Duration::from_millis(200))
    );
    assert_eq!(
        req.get_opt::<ReqResendTick>().unwrap(),
        Some(Duration::from_millis(20))
    );
    req.dial(&url).unwrap();

    req.send(b"question").unwrap();
    let first = rep.recv().unwrap();
    assert_eq!(first.as_slice(), b"question");
    drop(first); // the reply is "lost": the server never answers this copy

    let again = rep.recv().unwrap(); // the resend
    assert_eq!(again.as_slice(), b"question");
    let mut reply = again;
    reply.clear();
    reply.push_back(b"answer");
    rep.send(reply).unwrap();
    assert_eq!(req.recv().unwrap().as_slice(), b"answer");
}

#[test]
fn req_without_resend_time_never_resends() {
    let url = inproc("noresend");
    let rep = socket(Protocol::Rep0);
    rep.listen(&url).unwrap();
    let req = socket(Protocol::Req0);
    req.set_opt::<ReqResendTime>(None).unwrap();
    req.set_opt::<ReqResendTick>(Some(Duration::from_millis(20)))
        .unwrap();
    assert_eq!(req.get_opt::<ReqResendTime>().unwrap(), None);
    req.dial(&url).unwrap();
    req.send(b"once").unwrap();
    assert_eq!(rep.recv().unwrap().as_slice(), b"once");
    assert!(nothing_arrives(&rep, Duration::from_millis(400)));
}

#[test]
fn sub_filters_by_prefix_and_unsubscribe_stops_delivery() {
    let url = inproc("pubsub");
    let publ = socket(Protocol::Pub0);
    publ.listen(&url).unwrap();
    let sub = socket(Protocol::Sub0);
    sub.dial(&url).unwrap();
    sync_pubsub(&publ, &sub);

    sub.subscribe(b"news").unwrap();
    for m in [&b"news:1"[..], b"sport:1", b"new", b"news:2"] {
        publ.send(m).unwrap();
    }
    assert_eq!(sub.recv().unwrap().as_slice(), b"news:1");
    assert_eq!(sub.recv().unwrap().as_slice(), b"news:2");
    assert!(nothing_arrives(&sub, Duration::from_millis(200)));

    sub.unsubscribe(b"news").unwrap();
    assert_eq!(sub.unsubscribe(b"news").unwrap_err(), Error::EntryNotFound);
    sub.subscribe(b"end").unwrap();
    publ.send(b"news:3").unwrap();
    publ.send(b"end").unwrap();
    assert_eq!(sub.recv().unwrap().as_slice(), b"end");
}

#[test]
fn empty_subscription_matches_everything_and_sub_cannot_send() {
    let url = inproc("suball");
    let publ = socket(Protocol::Pub0);
    publ.listen(&url).unwrap();
    let sub = socket(Protocol::Sub0);
    sub.dial(&url).unwrap();
    sync_pubsub(&publ, &sub);
    sub.subscribe(b"").unwrap();
    publ.send(b"anything").unwrap();
    assert_eq!(sub.recv().unwrap().as_slice(), b"anything");
    assert_eq!(sub.send(b"x").unwrap_err().error, Error::NotSupported);
    assert_eq!(publ.try_recv().unwrap_err(), Error::NotSupported);
    // Subscriptions are sub0 functions: other protocols refuse them.
    assert_eq!(publ.subscribe(b"x").unwrap_err(), Error::NotSupported);
}

#[test]
fn push_spreads_across_pulls() {
    let push = socket(Protocol::Push0);
    // push dials each pull: a dial returns with its pipe attached, so all
    // three are ready before the first send.
    let pulls: Vec<Socket> = (0..3)
        .map(|_| {
            let url = inproc("pipeline");
            let p = socket(Protocol::Pull0);
            p.listen(&url).unwrap();
            push.dial(&url).unwrap();
            p
        })
        .collect();

    let total = 30u32;
    let per_pull: Vec<Vec<u32>> = std::thread::scope(|sc| {
        let readers: Vec<_> = pulls
            .iter()
            .map(|p| {
                sc.spawn(move || {
                    let mut got = Vec::new();
                    p.set_opt::<RecvTimeout>(Some(Duration::from_millis(500)))
                        .unwrap();
                    while let Ok(mut m) = p.recv() {
                        got.push(m.pop_back_u32().unwrap());
                    }
                    got
                })
            })
            .collect();
        for i in 0..total {
            let mut m = Message::new();
            m.push_back_u32(i);
            push.send(m).unwrap();
        }
        readers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut seen: Vec<u32> = per_pull.iter().flatten().copied().collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..total).collect::<Vec<_>>(),
        "every message delivered once"
    );
    let counts: Vec<usize> = per_pull.iter().map(Vec::len).collect();
    assert!(
        counts.iter().all(|&n| n > 0),
        "each pull got a share: {counts:?}"
    );
}

#[test]
fn surveyor_collects_until_the_deadline() {
    let surveyor = socket(Protocol::Surveyor0);
    surveyor
        .set_opt::<SurveyTime>(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(
        surveyor.get_opt::<SurveyTime>().unwrap(),
        Some(Duration::from_millis(300))
    );
    let respondent = || {
        let url = inproc("survey");
        let r = socket(Protocol::Respondent0);
        r.listen(&url).unwrap();
        surveyor.dial(&url).unwrap(); // returns with the pipe attached
        r
    };
    let fast = respondent();
    let slow = respondent();

    // Receiving without a survey in progress is a state error.
    assert_eq!(surveyor.try_recv().unwrap_err(), Error::IncorrectState);

    surveyor.send(b"who?").unwrap();
    let mut q = fast.recv().unwrap();
    assert_eq!(q.as_slice(), b"who?");
    q.clear();
    q.push_back(b"fast");
    fast.send(q).unwrap();

    let late = slow.recv().unwrap(); // answered only after the deadline

    assert_eq!(surveyor.recv().unwrap().as_slice(), b"fast");
    let start = Instant::now();
    assert_eq!(surveyor.recv().unwrap_err(), Error::TimedOut);
    assert!(
        start.elapsed() < TIMEOUT - Duration::from_secs(1),
        "deadline, not recv timeout"
    );

    let mut late = late;
    late.clear();
    late.push_back(b"slow");
    slow.send(late).unwrap();
    // The survey is over: the late answer is dropped, recv is a state error.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(surveyor.try_recv().unwrap_err(), Error::IncorrectState);
}

#[test]
fn bus_does_not_echo_to_the_sender() {
    // a dials b and c: each dial returns with its pipe attached.
    let a = socket(Protocol::Bus0);
    let b = socket(Protocol::Bus0);
    let c = socket(Protocol::Bus0);
    for peer in [&b, &c] {
        let url = inproc("bus");
        peer.listen(&url).unwrap();
        a.dial(&url).unwrap();
    }

    a.send(b"from a").unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"from a");
    assert_eq!(c.recv().unwrap().as_slice(), b"from a");
    assert!(
        nothing_arrives(&a, Duration::from_millis(200)),
        "a heard itself"
    );

    b.send(b"from b").unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), b"from b");
    assert!(
        nothing_arrives(&b, Duration::from_millis(200)),
        "b heard itself"
    );
}

#[test]
fn every_protocol_reports_its_ids_and_names() {
    for p in Protocol::ALL {
        let s = Socket::new(p).unwrap();
        assert_eq!(
            s.protocol().unwrap(),
            if p == Protocol::Pair1Poly {
                Protocol::Pair1
            } else {
                p
            }
        );
        assert_eq!(s.protocol_name().unwrap(), p.name());
        let peer = s.peer_protocol().unwrap();
        assert_eq!(peer, p.peer());
        assert_eq!(s.peer_protocol_name().unwrap(), peer.name());
        assert!(!s.is_raw().unwrap());
        assert_eq!(Protocol::from_id(p.id()), Some(s.protocol().unwrap()));
        match Socket::new_raw(p) {
            Ok(r) => {
                assert!(r.is_raw().unwrap(), "{p}");
                assert_eq!(r.protocol().unwrap(), s.protocol().unwrap());
            }
            Err(e) => {
                assert_eq!(p, Protocol::Pair1Poly);
                assert_eq!(e, Error::NotSupported);
            }
        }
    }
}

#[test]
fn device_forwards_between_raw_sockets_and_stops() {
    let front_url = inproc("dev-front");
    let back_url = inproc("dev-back");
    let server = socket(Protocol::Rep0);
    server.listen(&back_url).unwrap();
    let front = raw_socket(Protocol::Rep0);
    front.listen(&front_url).unwrap();
    let back = raw_socket(Protocol::Req0);
    // Dialing returns with the pipe attached: forwarding cannot drop the
    // first request for want of a connection.
    back.dial(&back_url).unwrap();
    let front_id = front.id();
    let device = Device::start(front, back).unwrap();

    let client = socket(Protocol::Req0);
    client.dial(&front_url).unwrap();
    for i in 0..3u32 {
        let mut q = Message::new();
        q.push_back_u32(i);
        client.send(q).unwrap();
        let mut m = server.recv().unwrap();
        assert_eq!(m.pop_back_u32().unwrap(), i);
        m.push_back(b"answered");
        server.send(m).unwrap();
        assert_eq!(client.recv().unwrap().as_slice(), b"answered");
    }
    device.stop().unwrap();
    // The device closed its sockets: the front URL is free again.
    let again = Socket::new(Protocol::Rep0).unwrap();
    again.listen(&front_url).unwrap();
    assert_ne!(again.id(), front_id);
}

#[test]
fn reflector_echoes_to_other_peers() {
    let url = inproc("reflector");
    let hub = raw_socket(Protocol::Bus0);
    hub.listen(&url).unwrap();
    let device = Device::reflector(hub).unwrap();
    let a = socket(Protocol::Bus0);
    a.dial(&url).unwrap();
    let b = socket(Protocol::Bus0);
    b.dial(&url).unwrap();
    // The hub's side of b's pipe attaches asynchronously: retry until b hears.
    b.set_opt::<RecvTimeout>(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        a.send(b"hello all").unwrap();
        if let Ok(m) = b.recv() {
            assert_eq!(m.as_slice(), b"hello all");
            break;
        }
        assert!(Instant::now() < deadline, "reflector never forwarded");
    }
    drop(device); // dropping stops it too, without blocking
}

#[test]
fn device_refuses_cooked_sockets_and_hands_them_back() {
    let a = Socket::new(Protocol::Pair1).unwrap();
    let b = Socket::new(Protocol::Pair1).unwrap();
    let (a_id, b_id) = (a.id(), b.id());
    let err = Device::start(a, b).unwrap_err();
    assert_eq!(err.error, Error::InvalidInput);
    let (a, b) = err.sockets;
    assert_eq!((a.id(), b.as_ref().unwrap().id()), (a_id, b_id));
    // Still open and usable.
    a.listen(&inproc("still-mine")).unwrap();
    assert_eq!(
        nng::device(a, b.unwrap()).unwrap_err().error,
        Error::InvalidInput
    );
}

#[test]
fn nonblocking_and_timeouts() {
    let url = inproc("flags");
    let pull = socket(Protocol::Pull0);
    pull.listen(&url).unwrap();
    assert_eq!(pull.try_recv().unwrap_err(), Error::TryAgain);
    pull.set_opt::<RecvTimeout>(Some(Duration::from_millis(50)))
        .unwrap();
    let start = Instant::now();
    assert_eq!(pull.recv().unwrap_err(), Error::TimedOut);
    assert!(start.elapsed() >= Duration::from_millis(40));

    let push = socket(Protocol::Push0);
    push.dial(&url).unwrap();
    push.send(b"one").unwrap();
    pull.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    assert_eq!(pull.recv().unwrap().as_slice(), b"one");
    // A non-blocking send succeeds once the pipe is ready again, and never
    // blocks meanwhile; each refusal hands the message back.
    let deadline = Instant::now() + TIMEOUT;
    let mut msg = Message::from("two");
    loop {
        match push.try_send(msg) {
            Ok(()) => break,
            Err(e) if e.error == Error::TryAgain => {
                msg = e.message;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("{e}"),
        }
        assert!(Instant::now() < deadline, "push never became ready");
    }
    assert_eq!(pull.recv().unwrap().as_slice(), b"two");
}

#[test]
fn poll_fds_signal_readiness() {
    let url = inproc("pollfd");
    let pull = socket(Protocol::Pull0);
    pull.listen(&url).unwrap();
    let push = socket(Protocol::Push0);
    let fd = pull.recv_poll_fd().unwrap();
    let poll = poll_readable;
    assert!(!poll(fd, 50), "nothing to receive yet");
    push.dial(&url).unwrap();
    let send_fd = push.send_poll_fd().unwrap();
    assert!(poll(send_fd, 5000), "push can send once connected");
    push.send(b"wake").unwrap();
    assert!(poll(fd, 5000), "readable after a send");
    assert_eq!(pull.recv().unwrap().as_slice(), b"wake");
}

#[test]
fn close_wakes_a_blocked_receiver() {
    let s = socket(Protocol::Pull0);
    std::thread::scope(|sc| {
        let h = sc.spawn(|| s.recv());
        std::thread::sleep(Duration::from_millis(100));
        s.close().unwrap();
        assert_eq!(h.join().unwrap().unwrap_err(), Error::Closed);
    });
}

/// The descriptors lent out are the socket's own duplicates: the same one
/// on every call, still open after `close` (which closes nng's while the
/// socket is borrowed), and asking again after the close is `Closed`.
#[test]
fn poll_fds_stay_valid_while_borrowed_across_a_close() {
    let s = socket(Protocol::Pair1);
    let (r1, r2) = (s.recv_poll_fd().unwrap(), s.recv_poll_fd().unwrap());
    assert_eq!(raw_poll_fd(&r1), raw_poll_fd(&r2));
    let w = s.send_poll_fd().unwrap();
    assert_ne!(raw_poll_fd(&w), raw_poll_fd(&r1));
    s.close().unwrap();
    for fd in [r1, w] {
        assert!(poll_fd_open(&fd), "the lent descriptor is still open");
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags.
            let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
            assert!(flags & libc::FD_CLOEXEC != 0, "duplicated close-on-exec");
        }
    }
    assert_eq!(s.recv_poll_fd().unwrap_err(), Error::Closed);
    assert_eq!(s.send_poll_fd().unwrap_err(), Error::Closed);
}

/// Context sends and receives have the same two forms as the socket's.
#[test]
fn context_try_send_and_try_recv() {
    let url = inproc("ctx-try");
    let rep = socket(Protocol::Rep0);
    rep.listen(&url).unwrap();
    let req = socket(Protocol::Req0);
    let (client, server) = (
        nng::Context::new(&req).unwrap(),
        nng::Context::new(&rep).unwrap(),
    );
    let err = client.try_send("early").unwrap_err();
    assert_eq!(err.error, Error::TryAgain, "no peer yet");
    assert_eq!(err.message.as_slice(), b"early");
    assert_eq!(server.try_recv().unwrap_err(), Error::TryAgain);
    req.dial(&url).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut m = err.message;
    while let Err(e) = client.try_send(m) {
        assert_eq!(e.error, Error::TryAgain);
        assert!(Instant::now() < deadline, "req never ready");
        m = e.message;
        std::thread::sleep(Duration::from_millis(1));
    }
    let request = loop {
        match server.try_recv() {
            Ok(m) => break m,
            Err(e) => assert_eq!(e, Error::TryAgain),
        }
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(1));
    };
    assert_eq!(request.as_slice(), b"early");
    server.send(request).unwrap();
    assert_eq!(client.recv().unwrap().as_slice(), b"early");
}

/// nng 2.0 refuses every non-blocking send and receive of the protocols
/// built on its message queue, even with a message waiting: its
/// `nni_msgq_aio_put`/`nni_msgq_aio_get` start the operation with the zero
/// timeout (which fails at once) before looking at the queue. Documented on
/// `Socket::try_send`/`try_recv`; this fails when nng changes it.
#[test]
fn nonblocking_calls_on_message_queue_protocols_always_refuse() {
    // (protocol, raw, its peer, whether the protocol sends first)
    let cases = [
        (Protocol::Pair1Poly, false, Protocol::Pair1, false),
        (Protocol::Rep0, true, Protocol::Req0, false),
        (Protocol::Respondent0, true, Protocol::Surveyor0, false),
        (Protocol::Req0, true, Protocol::Rep0, true),
        (Protocol::Surveyor0, true, Protocol::Respondent0, true),
    ];
    // A request or survey id, or pair1's hop count.
    let message = |first: u32| {
        let mut m = Message::from("x");
        m.header_push_back_u32(first).unwrap();
        m
    };
    for (p, raw, peer, initiates) in cases {
        let url = inproc("msgq-nonblock");
        let s = if raw { raw_socket(p) } else { socket(p) };
        s.listen(&url).unwrap();
        let other = raw_socket(peer);
        other.dial(&url).unwrap();
        let first = if peer == Protocol::Pair1 {
            1
        } else {
            0x8000_0001
        };
        if initiates {
            s.send(message(first)).unwrap();
            let m = other.recv().unwrap();
            other.send(m).unwrap(); // routed back by its header
        } else {
            other.send(message(first)).unwrap();
        }
        // A message waiting (the readiness descriptor says so) and a
        // connected peer: the non-blocking calls still refuse.
        wait_readable(&s);
        assert_eq!(s.try_recv().unwrap_err(), Error::TryAgain, "{p:?}");
        let got = s.recv().unwrap();
        let outgoing = if initiates { message(first + 1) } else { got };
        let err = s.try_send(outgoing).unwrap_err();
        assert_eq!(err.error, Error::TryAgain, "{p:?}");
        // The blocking forms work.
        s.send(err.message).unwrap();
        assert_eq!(other.recv().unwrap().as_slice(), b"x", "{p:?}");
    }
}
