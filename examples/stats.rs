//! Prints a socket's statistics after some traffic over TCP.
//!
//! `cargo run --example stats`

use nng::options::RecvTimeout;
use nng::stats::Statistics;
use nng::{Listener, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), nng::Error> {
    let server = Socket::new(Protocol::Pair1)?;
    server.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    let listener = Listener::new(&server, "tcp://127.0.0.1:0")?;
    listener.start()?;
    let client = Socket::new(Protocol::Pair1)?;
    client.dial(&format!("tcp://127.0.0.1:{}", listener.port()?))?;

    for i in 0..10 {
        client.send(format!("message {i}"))?;
    }
    let mut pipe = None;
    for _ in 0..10 {
        pipe = server.recv()?.pipe();
    }
    println!("sent and received 10 messages over tcp\n");

    let snapshot = Statistics::get()?;
    let socket = snapshot.socket(&server).ok_or(nng::Error::EntryNotFound)?;
    println!("server socket:");
    for name in ["rx_msgs", "rx_bytes", "tx_msgs", "tx_bytes"] {
        if let Some(stat) = socket.find(name) {
            println!(
                "  {name:9} {:>6}  ({})",
                stat.value().to_string(),
                stat.description()
            );
        }
    }
    if let Some(p) = pipe.and_then(|p| snapshot.pipe(p)) {
        println!("\nthe pipe it arrived on:\n{p}");
    }
    if let Some(l) = snapshot.listener(&listener) {
        println!("the listener:\n{l}");
    }
    Ok(())
}
