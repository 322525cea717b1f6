//! The classic nng asynchronous server: one rep socket, N contexts, N Aios.
//! Each worker cycles receive -> work (a sleep) -> reply, so N requests are
//! served at once. Run: `cargo run --example async_server`.

use nng::aio::{Aio, AioResult};
use nng::options::RecvTimeout;
use nng::{Context, Message, Protocol, Socket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WORKERS: usize = 16;
const WORK: Duration = Duration::from_millis(200);

/// One worker: its context, and an aio whose callback drives the cycle.
fn worker(rep: &Socket) -> nng::Result<Aio> {
    let ctx = Arc::new(Context::new(rep)?);
    let c = ctx.clone();
    let request: Mutex<Option<Message>> = Mutex::new(None);
    let aio = Aio::new(move |aio, result| match result {
        AioResult::Recv(Ok(m)) => {
            *request.lock().unwrap() = Some(m);
            let _ = aio.sleep(WORK); // pretend to work
        }
        AioResult::Sleep(Ok(())) => {
            let mut reply = request.lock().unwrap().take().expect("a request");
            reply.push_front(b"echo: ");
            if let Err(e) = aio.send(&*c, reply) {
                eprintln!("send failed: {}", e.error);
            }
        }
        AioResult::Send(Ok(())) => {
            let _ = aio.recv(&*c); // next request
        }
        // Closed or stopped: the server is shutting down.
        other => {
            if let Some(e) = other.error() {
                if e != nng::Error::Closed && e != nng::Error::Stopped {
                    eprintln!("worker error: {e}");
                }
            }
        }
    })?;
    aio.recv(&*ctx)?;
    Ok(aio)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rep = Socket::new(Protocol::Rep0)?;
    let listener = rep.listener("tcp://127.0.0.1:0")?;
    listener.start()?;
    let url = format!("tcp://127.0.0.1:{}", listener.port()?);
    let workers = (0..WORKERS)
        .map(|_| worker(&rep))
        .collect::<nng::Result<Vec<_>>>()?;

    // Clients: WORKERS concurrent requests, one context each.
    let req = Socket::new(Protocol::Req0)?;
    req.dial(&url)?;
    let start = Instant::now();
    let handles: Vec<_> = (0..WORKERS)
        .map(|i| {
            let ctx = Context::new(&req).unwrap();
            std::thread::spawn(move || -> nng::Result<Message> {
                ctx.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
                ctx.send(format!("request {i}"))?;
                ctx.recv()
            })
        })
        .collect();
    for h in handles {
        let reply = h.join().unwrap()?;
        println!("{}", String::from_utf8_lossy(&reply));
    }
    println!(
        "{WORKERS} requests of {WORK:?} each served in {:?}",
        start.elapsed()
    );
    drop(workers); // stops every aio; each drop waits for its callback
    Ok(())
}
