//! Pipes and pipe event callbacks.

use nng::options::{PeerPid, PeerUid, RecvTimeout};
use nng::{Error, Pipe, PipeEvent, Protocol, Socket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

fn until(mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !f() {
        if start.elapsed() > T {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
    true
}

#[test]
fn events_in_order_with_pipe_details() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    let seen: Arc<Mutex<Vec<(PipeEvent, Pipe)>>> = Arc::default();
    for ev in [PipeEvent::AddPre, PipeEvent::AddPost, PipeEvent::RemPost] {
        let s = seen.clone();
        rep.pipe_notify(ev, move |e, p| s.lock().unwrap().push((e, p)))
            .unwrap();
    }
    let dir = std::env::temp_dir().join(format!("nng-pipe-{}.ipc", std::process::id()));
    let url = format!("ipc://{}", dir.display());
    rep.listen(&url).unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    req.dial(&url).unwrap();
    assert!(until(|| seen.lock().unwrap().len() >= 2));

    // A message carries its pipe; the pipe knows its socket and listener.
    req.send(b"hi").unwrap();
    rep.set_opt::<RecvTimeout>(Some(T)).unwrap();
    let m = rep.recv().unwrap();
    let pipe = m.pipe().unwrap();
    assert_eq!(pipe, seen.lock().unwrap()[0].1);
    assert_eq!(pipe.socket_id(), Some(rep.id()));
    assert!(pipe.listener().is_some());
    assert!(pipe.dialer().is_none());
    // ipc tells who the peer is: this very process.
    assert_eq!(
        pipe.get_opt::<PeerPid>().unwrap() as u32,
        std::process::id()
    );
    assert!(pipe.get_opt::<PeerUid>().is_ok());

    drop(req);
    assert!(until(|| seen.lock().unwrap().len() == 3));
    let evs: Vec<_> = seen.lock().unwrap().iter().map(|(e, _)| *e).collect();
    assert_eq!(
        evs,
        [PipeEvent::AddPre, PipeEvent::AddPost, PipeEvent::RemPost]
    );
    assert!(pipe.close().is_err(), "the pipe is gone");
    let _ = std::fs::remove_file(dir);
}

#[test]
fn closing_in_add_pre_refuses_an_address() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    let refused = Arc::new(Mutex::new(0));
    let r2 = refused.clone();
    // Refuse peers that connect through the second listener's port.
    let blocked = nng::Listener::new(&rep, "tcp://127.0.0.1:0").unwrap();
    blocked.start().unwrap();
    let blocked_id = blocked.id();
    rep.pipe_notify(PipeEvent::AddPre, move |_, pipe| {
        if pipe.listener().map(|l| l.id()) == Some(blocked_id) {
            let _ = pipe.close();
            *r2.lock().unwrap() += 1;
        }
    })
    .unwrap();
    let open = nng::Listener::new(&rep, "tcp://127.0.0.1:0").unwrap();
    open.start().unwrap();
    rep.set_opt::<RecvTimeout>(Some(Duration::from_millis(300)))
        .unwrap();

    let bad = Socket::new(Protocol::Req0).unwrap();
    bad.dial_background(&format!("tcp://127.0.0.1:{}", blocked.port().unwrap()))
        .unwrap();
    assert!(until(|| *refused.lock().unwrap() >= 1));
    bad.send(b"from bad").unwrap();
    assert_eq!(rep.recv().unwrap_err(), Error::TimedOut);

    let good = Socket::new(Protocol::Req0).unwrap();
    good.dial(&format!("tcp://127.0.0.1:{}", open.port().unwrap()))
        .unwrap();
    good.send(b"from good").unwrap();
    rep.set_opt::<RecvTimeout>(Some(T)).unwrap();
    assert_eq!(rep.recv().unwrap().as_slice(), b"from good");
}

#[test]
fn panicking_notify_callback_is_caught() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.pipe_notify(PipeEvent::AddPost, |_, _| panic!("notify boom"))
        .unwrap();
    rep.listen("inproc://pipe-panic").unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    req.dial("inproc://pipe-panic").unwrap();
    let mut p = None;
    assert!(until(|| {
        p = rep.take_pipe_notify_panic();
        p.is_some()
    }));
    assert_eq!(p.unwrap().downcast_ref::<&str>(), Some(&"notify boom"));
    // The socket still works.
    req.send(b"x").unwrap();
    rep.set_opt::<RecvTimeout>(Some(T)).unwrap();
    assert_eq!(rep.recv().unwrap().as_slice(), b"x");
}

#[test]
fn replaced_and_removed_callbacks() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    let n = Arc::new(Mutex::new((0, 0)));
    let (a, b) = (n.clone(), n.clone());
    rep.pipe_notify(PipeEvent::AddPost, move |_, _| a.lock().unwrap().0 += 1)
        .unwrap();
    rep.pipe_notify(PipeEvent::AddPost, move |_, _| b.lock().unwrap().1 += 1)
        .unwrap();
    rep.listen("inproc://pipe-replace").unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    req.dial("inproc://pipe-replace").unwrap();
    assert!(until(|| n.lock().unwrap().1 == 1));
    assert_eq!(n.lock().unwrap().0, 0);
    rep.remove_pipe_notify(PipeEvent::AddPost).unwrap();
    let req2 = Socket::new(Protocol::Req0).unwrap();
    req2.dial("inproc://pipe-replace").unwrap();
    thread::sleep(Duration::from_millis(50));
    assert_eq!(*n.lock().unwrap(), (0, 1));
}
