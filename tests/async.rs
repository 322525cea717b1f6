//! async/await under tokio, smol and futures::executor; drop cancels.

use futures::{SinkExt, StreamExt};
use nng::options::RecvTimeout;
use nng::{Context, Error, Message, Protocol, Socket};
use std::sync::Arc;
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
    req.send_async(body.into()).await.unwrap();
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
            ctx.send_async(Message::from(&[i][..])).await.unwrap();
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
        req.send_async(b"after".into()).await.unwrap();
        let m = rep.recv_async().timeout(Some(T)).await.unwrap();
        assert_eq!(m.as_slice(), b"after");
    });
}

#[test]
fn dropping_a_send_future_never_sends_later() {
    // A req socket without peers cannot send: the send stays pending.
    let req = Socket::new(Protocol::Req0).unwrap();
    futures::executor::block_on(async {
        let mut fut = req.send_async(b"never".into());
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
        req.send_async(b"back".into())
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
