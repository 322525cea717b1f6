//! Contexts: per-context state and options, and concurrent serving with
//! N contexts and N Aios.

use nng::aio::{Aio, AioResult};
use nng::options::{RecvTimeout, ReqResendTime, SendTimeout, SurveyTime};
use nng::{Context, Error, Message, Protocol, Socket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

#[test]
fn contexts_for_each_protocol_and_not_others() {
    for p in [
        Protocol::Req0,
        Protocol::Rep0,
        Protocol::Surveyor0,
        Protocol::Respondent0,
        Protocol::Sub0,
    ] {
        let s = Socket::new(p).unwrap();
        let c = Context::new(&s).unwrap();
        assert!(c.id() > 0);
        c.set_opt::<RecvTimeout>(Some(Duration::from_millis(7)))
            .unwrap();
        assert_eq!(
            c.get_opt::<RecvTimeout>().unwrap(),
            Some(Duration::from_millis(7))
        );
        // The socket's own value is untouched.
        assert_ne!(
            s.get_opt::<RecvTimeout>().unwrap(),
            Some(Duration::from_millis(7))
        );
        c.close().unwrap();
    }
    for p in [
        Protocol::Pair0,
        Protocol::Pair1,
        Protocol::Push0,
        Protocol::Bus0,
    ] {
        let s = Socket::new(p).unwrap();
        assert_eq!(Context::new(&s).unwrap_err(), Error::NotSupported);
    }
}

#[test]
fn protocol_options_per_context() {
    let req = Socket::new(Protocol::Req0).unwrap();
    let c = Context::new(&req).unwrap();
    c.set_opt::<ReqResendTime>(Some(Duration::from_millis(1500)))
        .unwrap();
    assert_eq!(
        c.get_opt::<ReqResendTime>().unwrap(),
        Some(Duration::from_millis(1500))
    );
    c.set_opt::<SendTimeout>(None).unwrap();
    assert_eq!(c.get_opt::<SendTimeout>().unwrap(), None);

    let surveyor = Socket::new(Protocol::Surveyor0).unwrap();
    let c = Context::new(&surveyor).unwrap();
    c.set_opt::<SurveyTime>(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(
        c.get_opt::<SurveyTime>().unwrap(),
        Some(Duration::from_millis(300))
    );
}

#[test]
fn closed_context_fails() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    let c = Context::new(&rep).unwrap();
    drop(rep);
    assert_eq!(c.recv().unwrap_err(), Error::Closed);
    let e = c.send(b"x").unwrap_err();
    assert_eq!((e.error, e.message.as_slice()), (Error::Closed, &b"x"[..]));
}

#[test]
fn sub0_context_subscriptions() {
    let publisher = Socket::new(Protocol::Pub0).unwrap();
    publisher.listen("inproc://ctx-sub").unwrap();
    let sub = Socket::new(Protocol::Sub0).unwrap();
    sub.dial("inproc://ctx-sub").unwrap();
    let (a, b) = (Context::new(&sub).unwrap(), Context::new(&sub).unwrap());
    for c in [&a, &b] {
        c.set_opt::<RecvTimeout>(Some(Duration::from_millis(300)))
            .unwrap();
    }
    a.subscribe(b"a/").unwrap();
    b.subscribe(b"b/").unwrap();
    assert_eq!(a.unsubscribe(b"zzz"), Err(Error::EntryNotFound));
    thread::sleep(Duration::from_millis(50));
    publisher.send(b"a/1").unwrap();
    publisher.send(b"b/1").unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), b"a/1");
    assert_eq!(b.recv().unwrap().as_slice(), b"b/1");
    assert_eq!(a.recv().unwrap_err(), Error::TimedOut);
    a.unsubscribe(b"a/").unwrap();
    publisher.send(b"a/2").unwrap();
    assert_eq!(a.recv().unwrap_err(), Error::TimedOut);
}

/// One server worker: a context and an aio cycling recv -> sleep -> send.
fn worker(rep: &Socket, delay: Duration) -> (Aio, Arc<Context>) {
    let ctx = Arc::new(Context::new(rep).unwrap());
    let c2 = ctx.clone();
    let pending: Mutex<Option<Message>> = Mutex::new(None);
    let aio = Aio::new(move |aio, r| match r {
        AioResult::Recv(Ok(m)) => {
            *pending.lock().unwrap() = Some(m);
            let _ = aio.sleep(delay); // the "work"
        }
        AioResult::Sleep(Ok(())) => {
            let m = pending.lock().unwrap().take().unwrap();
            if aio.send(&*c2, m).is_err() {
                // stopped or closed: nothing more to do
            }
        }
        AioResult::Send(Ok(())) => {
            let _ = aio.recv(&*c2);
        }
        _ => {} // closed or stopped: stop cycling
    })
    .unwrap();
    aio.recv(&*ctx).unwrap();
    (aio, ctx)
}

#[test]
fn n_contexts_serve_concurrently() {
    const N: usize = 8;
    let delay = Duration::from_millis(300);
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.listen("inproc://ctx-overlap").unwrap();
    let workers: Vec<_> = (0..N).map(|_| worker(&rep, delay)).collect();

    let req = Socket::new(Protocol::Req0).unwrap();
    req.dial("inproc://ctx-overlap").unwrap();
    let start = Instant::now();
    let clients: Vec<_> = (0..N)
        .map(|i| {
            let ctx = Context::new(&req).unwrap();
            ctx.set_opt::<RecvTimeout>(Some(T)).unwrap();
            thread::spawn(move || {
                ctx.send(format!("r{i}")).unwrap();
                let reply = ctx.recv().unwrap();
                assert_eq!(reply.as_slice(), format!("r{i}").as_bytes());
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let took = start.elapsed();
    // Serially this takes N * delay = 2.4 s; overlapped, about one delay.
    assert!(
        took < delay * (N as u32) / 2,
        "{N} requests of {delay:?} took {took:?}"
    );
    drop(workers);
}
