//! The load generator of the scale section: N peers, each its own socket and
//! tcp connection, in one process that is the same whichever side serves.
//!
//! Run as `bench_compare --scale-load <req|sub> <url> <peers> <secs>`. It
//! dials every peer (one after the other, each dial waiting for its
//! connection), prints `connected`, waits for a `go` line on stdin, and then:
//!
//! - req0: every peer keeps one request of 64 bytes outstanding (an `Aio`
//!   whose callback sends the next request when the reply arrives);
//! - sub0: every peer (subscribed to everything) receives with an `Aio`.
//!
//! After a warm-up of half a second it counts replies (or messages received)
//! over `secs` seconds across all peers, prints `rate <per second> total
//! <replies or messages since go>`, and exits
//! at the end of stdin. Counting at the peers is what makes pub0 honest: a
//! publisher drops messages for a subscriber whose queue is full, so what
//! was sent is not what was delivered.

use crate::scale::{Proto, MSG};
use nng::aio::{Aio, AioResult};
use nng::{Message, Protocol, Socket};
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counted replies or messages, and whether the peers keep going.
struct Shared {
    count: AtomicU64,
    running: AtomicBool,
}

/// One peer's loop: count each reply or message, start the next operation.
fn peer(sock: Arc<Socket>, shared: Arc<Shared>, proto: Proto) -> Aio {
    Aio::new(move |aio, result| {
        if !shared.running.load(Ordering::Relaxed) {
            return;
        }
        let next = match result {
            AioResult::Send(Ok(())) => aio.recv(&*sock),
            AioResult::Recv(Ok(m)) => {
                shared.count.fetch_add(1, Ordering::Relaxed);
                match proto {
                    // The reply is the next request (same 64 bytes).
                    Proto::Rep => aio.send(&*sock, m).map_err(|e| e.error),
                    Proto::Pub => aio.recv(&*sock),
                }
            }
            other => match other.error() {
                Some(nng::Error::Closed | nng::Error::Stopped) | None => Ok(()),
                Some(e) => {
                    eprintln!("scale load: peer error {e}");
                    aio.recv(&*sock)
                }
            },
        };
        if let Err(e) = next {
            if e != nng::Error::Stopped && e != nng::Error::Closed {
                eprintln!("scale load: could not start the next operation: {e}");
            }
        }
    })
    .expect("aio")
}

/// `bench_compare --scale-load <req|sub> <url> <peers> <secs>`.
pub fn child(args: &[String]) {
    crate::mem::raise_fd_limit();
    let [proto, url, peers, secs] = args else {
        panic!("--scale-load <req|sub> <url> <peers> <secs>");
    };
    let proto = Proto::from_flag(proto);
    let peers: usize = peers.parse().expect("a peer count");
    let secs: f64 = secs.parse().expect("seconds");
    let shared = Arc::new(Shared {
        count: AtomicU64::new(0),
        running: AtomicBool::new(true),
    });
    let mut aios = Vec::with_capacity(peers);
    let mut sockets = Vec::with_capacity(peers);
    for _ in 0..peers {
        let sock = match proto {
            Proto::Rep => Socket::new(Protocol::Req0),
            Proto::Pub => Socket::new(Protocol::Sub0),
        }
        .expect("socket");
        if proto == Proto::Pub {
            sock.subscribe(b"").expect("subscribe");
        }
        sock.dial(url).unwrap_or_else(|e| {
            eprintln!("scale load: dial {url}: {e}");
            std::process::exit(2)
        });
        let sock = Arc::new(sock);
        let aio = peer(sock.clone(), shared.clone(), proto);
        if proto == Proto::Pub {
            aio.recv(&*sock).expect("recv");
        }
        aios.push(aio);
        sockets.push(sock);
    }
    println!("connected");
    let _ = std::io::stdout().flush();
    let mut lines = std::io::stdin().lock().lines();
    match lines.next() {
        Some(Ok(l)) if l == "go" => {}
        _ => std::process::exit(0),
    }
    if proto == Proto::Rep {
        for (aio, sock) in aios.iter().zip(&sockets) {
            aio.send(&**sock, Message::with_len(MSG))
                .expect("first request");
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    let (a, t0) = (shared.count.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(secs));
    let (b, dt) = (shared.count.load(Ordering::Relaxed), t0.elapsed());
    shared.running.store(false, Ordering::Relaxed);
    println!("rate {} total {b}", (b - a) as f64 / dt.as_secs_f64());
    let _ = std::io::stdout().flush();
    for _ in lines {}
    // Leave without closing every peer: the process is done.
    std::process::exit(0);
}
