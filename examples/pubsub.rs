//! pub/sub: a publisher broadcasts topics; each subscriber filters by prefix.
//!
//! Run: `cargo run --example pubsub`

use nng::options::RecvTimeout;
use nng::{Error, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), Error> {
    let publisher = Socket::new(Protocol::Pub0)?;
    publisher.listen("inproc://pubsub-example")?;

    let weather = Socket::new(Protocol::Sub0)?;
    weather.subscribe(b"weather/")?;
    let everything = Socket::new(Protocol::Sub0)?;
    everything.subscribe(b"")?;
    for s in [&weather, &everything] {
        s.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))?;
        s.dial("inproc://pubsub-example")?;
    }
    // Let the subscriptions reach the publisher side (pub drops messages
    // no subscriber is connected for).
    std::thread::sleep(Duration::from_millis(50));

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
