//! pair: two peers talk in both directions over one connection; then a
//! polyamorous pair1 hub answers each of two peers by its pipe.
//!
//! Run: `cargo run --example pair`

use nng::options::RecvTimeout;
use nng::{Message, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), nng::Error> {
    let timeout = Some(Duration::from_secs(5));

    // pair1, one to one.
    let a = Socket::new(Protocol::Pair1)?;
    a.set_opt::<RecvTimeout>(timeout)?;
    a.listen("inproc://pair-example")?;
    let b = Socket::new(Protocol::Pair1)?;
    b.set_opt::<RecvTimeout>(timeout)?;
    b.dial("inproc://pair-example")?;

    b.send(b"hello from b")?;
    println!("a received: {}", String::from_utf8_lossy(&a.recv()?));
    a.send(b"hello from a")?;
    println!("b received: {}", String::from_utf8_lossy(&b.recv()?));

    // pair1 polyamorous: one hub, many peers, addressed by pipe.
    let hub = Socket::new(Protocol::Pair1Poly)?;
    hub.set_opt::<RecvTimeout>(timeout)?;
    hub.listen("inproc://pair-poly-example")?;
    let peers: Vec<Socket> = (0..2)
        .map(|_| {
            let p = Socket::new(Protocol::Pair1)?;
            p.set_opt::<RecvTimeout>(timeout)?;
            p.dial("inproc://pair-poly-example")?;
            Ok(p)
        })
        .collect::<Result<_, nng::Error>>()?;
    for (i, p) in peers.iter().enumerate() {
        p.send(format!("peer {i} checking in"))?;
    }
    for _ in 0..peers.len() {
        let msg = hub.recv()?;
        let pipe = msg.pipe().expect("polyamorous messages carry their pipe");
        println!(
            "hub received {:?} on {pipe:?}",
            String::from_utf8_lossy(&msg)
        );
        let mut reply = Message::from(format!("welcome, {}", String::from_utf8_lossy(&msg)));
        reply.set_pipe(pipe); // back to that peer only
        hub.send(reply)?;
    }
    for (i, p) in peers.iter().enumerate() {
        println!("peer {i} received: {}", String::from_utf8_lossy(&p.recv()?));
    }
    Ok(())
}
