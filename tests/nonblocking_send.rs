//! `try_send` (`nng_sendmsg` with `NNG_FLAG_NONBLOCK`) on a connected bus0
//! socket and on a respondent0 socket answering a survey: the send can
//! complete at once, so it must succeed.
//!
//! Found by the soak (`examples/soak.rs`); nng bug `nonblocking-send`, fixed
//! in nng-sys (`nng-sys/patches/README.md`). On nng 2.0.0 both always fail with
//! `Error::TryAgain`. `bus0_sock_send` (`src/sp/protocol/bus0/bus.c`) and
//! `resp0_ctx_send` (`src/sp/protocol/survey0/respond.c`) call
//! `nni_aio_start` before doing the send, and `nni_aio_start`
//! (`src/core/aio.c`) completes an aio whose timeout is
//! `NNG_DURATION_ZERO` (what `NNG_FLAG_NONBLOCK` sets) with `NNG_ETIMEDOUT`
//! at once, which `nng_sendmsg` reports as `NNG_EAGAIN`. The blocking send
//! works (it never waits on bus0).
//! `NNG_SYS_SKIP_FIXES=nonblocking-send` builds nng without the fix: then
//! both tests fail.

use nng::options::RecvTimeout;
use nng::{PipeEvent, Protocol, Socket};
use std::time::Duration;

fn socket(p: Protocol) -> Socket {
    let s = Socket::new(p).unwrap();
    s.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))
        .unwrap();
    s
}

/// A socket of `listening` listening at `url` and one of `dialing` dialed to
/// it, returned once the listening side has its pipe: bus0 and surveyor0
/// drop what they have no pipe for, and that pipe is added after `dial`
/// returns (CI12 lost a first message that way).
fn connected(listening: Protocol, dialing: Protocol, url: &str) -> (Socket, Socket) {
    let l = socket(listening);
    let (added, pipe_added) = std::sync::mpsc::channel();
    l.pipe_notify(PipeEvent::AddPost, move |_, _| {
        let _ = added.send(());
    })
    .unwrap();
    l.listen(url).unwrap();
    let d = socket(dialing);
    d.dial(url).unwrap();
    pipe_added.recv_timeout(Duration::from_secs(5)).unwrap();
    (l, d)
}

#[test]
fn bus0_try_send_to_a_connected_peer() {
    let url = format!("inproc://nonblocking-bus-{}", std::process::id());
    let (a, b) = connected(Protocol::Bus0, Protocol::Bus0, &url);
    // Connected both ways: a blocking send gets through first.
    a.send(&b"first"[..]).unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"first");
    a.try_send(&b"hello"[..]).map_err(|e| e.error).unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"hello");
}

#[test]
fn respondent0_try_send_answers_the_survey() {
    let url = format!("inproc://nonblocking-survey-{}", std::process::id());
    let (surveyor, respondent) = connected(Protocol::Surveyor0, Protocol::Respondent0, &url);
    surveyor.send(&b"ping"[..]).unwrap();
    let survey = respondent.recv().unwrap();
    respondent.try_send(survey).map_err(|e| e.error).unwrap();
    assert_eq!(surveyor.recv().unwrap().as_slice(), b"ping");
}

/// The blocking send works on both, so the tests above ask only for what
/// the protocols do.
#[test]
fn blocking_send_works_on_both() {
    let url = format!("inproc://blocking-bus-{}", std::process::id());
    let (a, b) = connected(Protocol::Bus0, Protocol::Bus0, &url);
    a.send(&b"hello"[..]).unwrap();
    assert_eq!(b.recv().unwrap().as_slice(), b"hello");

    let url = format!("inproc://blocking-survey-{}", std::process::id());
    let (surveyor, respondent) = connected(Protocol::Surveyor0, Protocol::Respondent0, &url);
    surveyor.send(&b"ping"[..]).unwrap();
    let survey = respondent.recv().unwrap();
    respondent.send(survey).unwrap();
    assert_eq!(surveyor.recv().unwrap().as_slice(), b"ping");
}
