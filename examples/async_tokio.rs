//! An async req/rep service under tokio with many concurrent clients.
//! The server runs one task per context; each client task has its own
//! context on a shared req socket. Run: `cargo run --example async_tokio`.

use nng::{Context, Protocol, Socket};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SERVERS: usize = 8;
const CLIENTS: usize = 200;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rep = Arc::new(Socket::new(Protocol::Rep0)?);
    let listener = rep.listener("tcp://127.0.0.1:0")?;
    listener.start()?;
    let url = format!("tcp://127.0.0.1:{}", listener.port()?);

    for _ in 0..SERVERS {
        let ctx = Context::new(&rep)?;
        tokio::spawn(async move {
            loop {
                let mut m = match ctx.recv_async().await {
                    Ok(m) => m,
                    Err(_) => return, // socket closed
                };
                tokio::time::sleep(Duration::from_millis(10)).await; // work
                m.push_front(b"re: ");
                if ctx.send_async(m).await.is_err() {
                    return;
                }
            }
        });
    }

    let req = Arc::new(Socket::new(Protocol::Req0)?);
    req.dial(&url)?;
    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let req = req.clone();
            tokio::spawn(async move {
                let ctx = Context::new(&req)?;
                ctx.send_async(format!("hello {i}")).await?;
                let reply = ctx
                    .recv_async()
                    .timeout(Some(Duration::from_secs(10)))
                    .await?;
                assert_eq!(reply.as_slice(), format!("re: hello {i}").as_bytes());
                Ok::<(), nng::Error>(())
            })
        })
        .collect();
    for c in clients {
        c.await??;
    }
    println!(
        "{CLIENTS} clients served by {SERVERS} contexts in {:?}",
        start.elapsed()
    );
    Ok(())
}
