//! async/await under tokio, smol and futures::executor; drop cancels.

mod common;

use futures::{SinkExt, StreamExt};
use nng::options::{RecvTimeout, SendBufferSize};
use nng::{Context, Error, Protocol, Socket};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

fn reqrep(name: &str) -> (Socket, Socket) {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.listen(&format!("inproc://async-{name}")).unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    req.dial(&format!("inproc://async-{name}")).unwrap();
    (req, rep)
}

async fn round_trip(req: &Socket, rep: &Socket, body: &[u8]) {
    req.send_async(body).await.unwrap();
    let m = rep.recv_async().timeout(Some(T)).await.unwrap();
    rep.send_async(m).await.unwrap();
    let reply = req.recv_async().timeout(Some(T)).await.unwrap();
    assert_eq!(reply.as_slice(), body);
}

#[test]
fn futures_executor() {
    let (req, rep) = reqrep("futures");
    futures::executor::block_on(round_trip(&req, &rep, b"futures"));
}

#[test]
fn smol_runtime() {
    let (req, rep) = reqrep("smol");
    smol::block_on(round_trip(&req, &rep, b"smol"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_runtime_with_contexts() {
    let (req, rep) = reqrep("tokio");
    let rep = Arc::new(rep);
    let server = {
        let rep = rep.clone();
        tokio::spawn(async move {
            let ctx = Context::new(&rep).unwrap();
            for _ in 0..10 {
                let m = ctx.recv_async().await.unwrap();
                ctx.send_async(m).await.unwrap();
            }
        })
    };
    let mut clients = Vec::new();
    let req = Arc::new(req);
    for i in 0..10u8 {
        let req = req.clone();
        clients.push(tokio::spawn(async move {
            let ctx = Context::new(&req).unwrap();
            ctx.send_async([i]).await.unwrap();
            let r = ctx.recv_async().timeout(Some(T)).await.unwrap();
            assert_eq!(r.as_slice(), &[i]);
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    server.await.unwrap();
}

#[test]
fn dropping_a_recv_future_cancels_it() {
    let (req, rep) = reqrep("drop-recv");
    futures::executor::block_on(async {
        // Poll once so the operation starts, then drop it.
        let mut fut = rep.recv_async();
        assert!(futures::poll!(&mut fut).is_pending());
        drop(fut);
        // The message sent now goes to the next receiver, not the dropped one.
        req.send_async(b"after").await.unwrap();
        let m = rep.recv_async().timeout(Some(T)).await.unwrap();
        assert_eq!(m.as_slice(), b"after");
    });
}

#[test]
fn dropping_a_send_future_never_sends_later() {
    // A req socket without peers cannot send: the send stays pending.
    let req = Socket::new(Protocol::Req0).unwrap();
    futures::executor::block_on(async {
        let mut fut = req.send_async(b"never");
        assert!(futures::poll!(&mut fut).is_pending());
        drop(fut); // frees the message; it must not be sent once a peer comes
    });
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.listen("inproc://async-drop-send").unwrap();
    req.dial("inproc://async-drop-send").unwrap();
    rep.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))
        .unwrap();
    assert_eq!(rep.recv().unwrap_err(), Error::TimedOut);
}

#[test]
fn send_timeout_returns_the_message() {
    let req = Socket::new(Protocol::Req0).unwrap();
    let e = futures::executor::block_on(
        req.send_async(b"back")
            .timeout(Some(Duration::from_millis(30))),
    )
    .unwrap_err();
    assert_eq!(e.error, Error::TimedOut);
    assert_eq!(e.message.as_slice(), b"back");
}

#[test]
fn stream_and_sink() {
    let push = Socket::new(Protocol::Push0).unwrap();
    push.listen("inproc://async-stream").unwrap();
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.dial("inproc://async-stream").unwrap();
    futures::executor::block_on(async {
        let mut sink = push.send_sink();
        let sending = async {
            for i in 0..5u8 {
                sink.send(vec![i]).await.unwrap();
            }
        };
        let receiving = pull
            .recv_stream()
            .take(5)
            .map(|m| m.unwrap().to_vec())
            .collect::<Vec<Vec<u8>>>();
        let ((), got) = futures::join!(sending, receiving);
        assert_eq!(got, (0..5u8).map(|i| vec![i]).collect::<Vec<_>>());
    });
    // The stream ends when the socket closes.
    let mut stream = pull.recv_stream();
    let closer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        drop(pull);
    });
    assert!(futures::executor::block_on(stream.next()).is_none());
    closer.join().unwrap();
}

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = std::task::Context::from_waker(futures::task::noop_waker_ref());
    std::pin::Pin::new(f).poll(&mut cx)
}

#[test]
fn ready_operations_complete_on_the_first_poll() {
    let url = common::inproc("first-poll");
    let push = common::socket(Protocol::Push0);
    push.set_opt::<SendBufferSize>(8).unwrap();
    push.listen(&url).unwrap();
    let pull = common::socket(Protocol::Pull0);
    pull.dial(&url).unwrap();
    // Room in the send buffer: done at once.
    let mut send = push.send_async("now");
    assert!(matches!(poll_once(&mut send), Poll::Ready(Ok(()))));
    // A message waiting: received at once.
    common::wait_readable(&pull);
    match poll_once(&mut pull.recv_async()) {
        Poll::Ready(Ok(m)) => assert_eq!(m.as_slice(), b"now"),
        other => panic!("expected the waiting message, got {other:?}"),
    }
    // Nothing waiting: pending, then the Aio delivers it.
    let mut later = pull.recv_async().timeout(Some(T));
    assert!(poll_once(&mut later).is_pending());
    push.send(b"later").unwrap();
    let m = futures::executor::block_on(later).unwrap();
    assert_eq!(m.as_slice(), b"later");
}

#[test]
fn a_req_receive_tried_early_keeps_the_request() {
    // The non-blocking attempt finds no reply yet; it must not disturb the
    // request in flight, whose reply the Aio then receives.
    let (req, rep) = reqrep("try-early");
    futures::executor::block_on(async {
        req.send_async(b"q").await.unwrap();
        let mut reply = req.recv_async().timeout(Some(T));
        assert!(poll_once(&mut reply).is_pending());
        let q = rep.recv_async().timeout(Some(T)).await.unwrap();
        rep.send_async(q).await.unwrap();
        assert_eq!(reply.await.unwrap().as_slice(), b"q");
    });
}

#[test]
fn a_surveyor_receive_never_blocks_the_polling_thread() {
    // nng 2.0 gives a zero-timeout surveyor receive the survey's deadline, so
    // a "non-blocking" attempt would block this thread until the survey ends.
    let url = common::inproc("survey-poll");
    let surveyor = common::socket(Protocol::Surveyor0);
    surveyor
        .set_opt::<nng::options::SurveyTime>(Some(Duration::from_secs(3)))
        .unwrap();
    // A survey goes only to pipes already attached: wait for the surveyor's
    // side of the connection (ADD_POST) before it goes out.
    let (attached_tx, attached_rx) = std::sync::mpsc::sync_channel(1);
    surveyor
        .pipe_notify(nng::PipeEvent::AddPost, move |_, _| {
            let _ = attached_tx.try_send(());
        })
        .unwrap();
    surveyor.listen(&url).unwrap();
    let respondent = common::socket(Protocol::Respondent0);
    respondent.dial(&url).unwrap();
    attached_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the respondent's pipe attaches");
    futures::executor::block_on(surveyor.send_async(b"q")).unwrap();
    let start = std::time::Instant::now();
    let mut answer = surveyor.recv_async();
    assert!(poll_once(&mut answer).is_pending());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the first poll blocked"
    );
    let q = respondent.recv().unwrap();
    respondent.send(q).unwrap();
    let a = futures::executor::block_on(answer).unwrap();
    assert_eq!(a.as_slice(), b"q");
}
