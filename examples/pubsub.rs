//! pub/sub: a publisher broadcasts topics; each subscriber filters by prefix.
//!
//! Run: `cargo run --example pubsub`

use nng::options::RecvTimeout;
use nng::{Error, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), Error> {
    let weather = Socket::new(Protocol::Sub0)?;
    weather.subscribe(b"weather/")?;
    let everything = Socket::new(Protocol::Sub0)?;
    everything.subscribe(b"")?;

    // The publisher dials each subscriber: a dial returns once the connection
    // is up, so nothing published afterwards is missed (pub drops messages
    // for peers that are not connected yet).
    let publisher = Socket::new(Protocol::Pub0)?;
    for (i, s) in [&weather, &everything].into_iter().enumerate() {
        let url = format!("inproc://pubsub-example-{i}");
        s.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))?;
        s.listen(&url)?;
        publisher.dial(&url)?;
    }

    for topic in [
        "weather/oslo: snow",
        "sport/chess: draw",
        "weather/lima: sun",
    ] {
        println!("publishing {topic:?}");
        publisher.send(topic)?;
    }
    for (name, s) in [("weather", &weather), ("everything", &everything)] {
        loop {
            match s.recv() {
                Ok(m) => println!("{name} subscriber got {:?}", String::from_utf8_lossy(&m)),
                Err(Error::TimedOut) => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
