//! pipeline (push/pull): a producer spreads work across three workers, which
//! push results to one collector.
//!
//! Run: `cargo run --example pipeline`

use nng::options::RecvTimeout;
use nng::{Error, Message, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), Error> {
    let producer = Socket::new(Protocol::Push0)?;
    producer.listen("inproc://pipeline-work")?;
    let collector = Socket::new(Protocol::Pull0)?;
    collector.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    collector.listen("inproc://pipeline-results")?;

    std::thread::scope(|s| {
        for id in 0..3u32 {
            s.spawn(move || -> Result<(), Error> {
                let work = Socket::new(Protocol::Pull0)?;
                work.set_opt::<RecvTimeout>(Some(Duration::from_millis(300)))?;
                work.dial("inproc://pipeline-work")?;
                let results = Socket::new(Protocol::Push0)?;
                results.dial("inproc://pipeline-results")?;
                // Work until no more arrives.
                while let Ok(mut job) = work.recv() {
                    let n = job.pop_back_u32()?;
                    let mut done = Message::new();
                    done.push_back_u32(id);
                    done.push_back_u32(n * 2);
                    results.send(done)?;
                }
                Ok(())
            });
        }
        std::thread::sleep(Duration::from_millis(50)); // workers connect
        for n in 1..=9u32 {
            let mut job = Message::new();
            job.push_back_u32(n);
            producer.send(job)?;
        }
        for _ in 1..=9 {
            let mut done = collector.recv()?;
            let result = done.pop_back_u32()?;
            let worker = done.pop_back_u32()?;
            println!("worker {worker} produced {result}");
        }
        Ok(())
    })
}
