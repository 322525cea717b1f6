//! bus: every node hears every other directly connected node, but never
//! itself.
//!
//! Run: `cargo run --example bus`

use nng::options::RecvTimeout;
use nng::{Error, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), Error> {
    let names = ["n0", "n1", "n2"];
    let nodes: Vec<Socket> = names
        .iter()
        .map(|name| {
            let s = Socket::new(Protocol::Bus0)?;
            s.set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))?;
            s.listen(&format!("inproc://bus-example-{name}"))?;
            Ok(s)
        })
        .collect::<Result<_, Error>>()?;
    // A full mesh: each node dials the ones after it.
    for (i, s) in nodes.iter().enumerate() {
        for name in &names[i + 1..] {
            s.dial(&format!("inproc://bus-example-{name}"))?;
        }
    }
    // Dialing sides are ready at once; give the listening sides a moment.
    std::thread::sleep(Duration::from_millis(100));

    for (name, s) in names.iter().zip(&nodes) {
        s.send(format!("hello from {name}"))?;
    }
    for (name, s) in names.iter().zip(&nodes) {
        loop {
            match s.recv() {
                Ok(m) => println!("{name} heard {:?}", String::from_utf8_lossy(&m)),
                Err(Error::TimedOut) => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
