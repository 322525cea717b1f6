//! req/rep: a server answers requests over TCP; the client resends a request
//! whose reply was lost.
//!
//! Run: `cargo run --example reqrep`

use nng::options::{RecvTimeout, ReqResendTick, ReqResendTime};
use nng::{Listener, Protocol, Socket};
use std::time::Duration;

fn main() -> Result<(), nng::Error> {
    let timeout = Some(Duration::from_secs(5));
    let server = Socket::new(Protocol::Rep0)?;
    server.set_opt::<RecvTimeout>(timeout)?;
    let listener = Listener::new(&server, "tcp://127.0.0.1:0")?;
    listener.start()?;
    let url = listener.url()?;
    println!("server listening on {url}");

    let client = Socket::new(Protocol::Req0)?;
    client.set_opt::<RecvTimeout>(timeout)?;
    client.set_opt::<ReqResendTime>(Some(Duration::from_millis(200)))?;
    client.set_opt::<ReqResendTick>(Some(Duration::from_millis(20)))?;
    client.dial(&url)?;

    std::thread::scope(|s| {
        s.spawn(|| -> Result<(), nng::Error> {
            // Serve until the last request (12) is answered: a slow machine
            // may see the first request resent more than once, and each copy
            // is answered (the client keeps the reply to its latest).
            let mut first = true;
            loop {
                let mut request = server.recv()?;
                let n = request.pop_back_u32()?;
                if first {
                    // Pretend the reply got lost: the client will resend.
                    println!("server: got {n}, dropping the reply on purpose");
                    first = false;
                    continue;
                }
                println!("server: got {n}, answering {}", n * n);
                request.push_back_u32(n * n);
                server.send(request)?;
                if n == 12 {
                    return Ok(());
                }
            }
        });
        for n in [7u32, 12] {
            let mut request = nng::Message::new();
            request.push_back_u32(n);
            client.send(request)?;
            let mut reply = client.recv()?;
            println!("client: {n} squared is {}", reply.pop_back_u32()?);
        }
        Ok(())
    })
}
