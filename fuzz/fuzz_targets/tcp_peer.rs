//! A raw TCP peer feeding arbitrary bytes to an nng listener.
//!
//! One rep0 socket listens on loopback for the whole run; a thread echoes
//! every request it receives. Each input opens a plain `TcpStream`, writes
//! its bytes (often after a valid SP header for a req0 peer, so the fuzzer
//! gets past the handshake, and as length-prefixed frames), closes its
//! sending side and reads until nng closes the connection. A finding is a
//! crash, a connection nng keeps open after its peer has finished (a hang),
//! or a listener that no longer serves a good req0 peer, which is checked on
//! the first input and every `HEALTH_EVERY` inputs after.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nng::options::{RecvMaxSize, RecvTimeout, SendTimeout};
use nng::{Error, Listener, Protocol, Socket};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Bound on every blocking step.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Check the listener with a good peer every this many inputs.
const HEALTH_EVERY: u64 = 64;
/// The listener's receive limit: larger declared frames close the connection.
const MAX_MSG: usize = 64 * 1024;

/// The listener's address; the first call sets up the rep0 socket, its
/// listener and the echo thread, which live for the whole run.
fn server() -> SocketAddr {
    static SOCKET: OnceLock<Socket> = OnceLock::new();
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let socket = SOCKET.get_or_init(|| Socket::new(Protocol::Rep0).expect("rep0 socket"));
        socket
            .set_opt::<RecvTimeout>(Some(Duration::from_millis(200)))
            .unwrap();
        socket.set_opt::<SendTimeout>(Some(TIMEOUT)).unwrap();
        let listener = Listener::new(socket, "tcp://127.0.0.1:0").expect("listener");
        listener.set_opt::<RecvMaxSize>(MAX_MSG).unwrap();
        listener.start().expect("listen on loopback");
        let port = listener.port().expect("bound port");
        listener.detach(); // lives as long as the socket
        std::thread::spawn(move || loop {
            match socket.recv() {
                Ok(m) => {
                    let _ = socket.send(m);
                }
                Err(Error::TimedOut) => {}
                Err(e) => panic!("the rep0 socket stopped receiving: {e}"),
            }
        });
        SocketAddr::from(([127, 0, 0, 1], port))
    })
}

/// A good req0 peer: dials, sends a request, expects it echoed.
fn check_health(addr: SocketAddr) {
    let req = Socket::new(Protocol::Req0).expect("req0 socket");
    req.set_opt::<RecvTimeout>(Some(TIMEOUT)).unwrap();
    req.set_opt::<SendTimeout>(Some(TIMEOUT)).unwrap();
    req.dial(&format!("tcp://{addr}"))
        .expect("the listener no longer accepts a good peer");
    req.send(b"health check").expect("sending to the listener");
    let reply = req
        .recv()
        .expect("the listener no longer answers a good peer");
    assert_eq!(reply.as_slice(), b"health check");
}

/// The SP header a peer sends first (RFC sp-tcp-mapping): 0, 'S', 'P', 0,
/// its protocol id (big-endian), two reserved zero bytes.
fn sp_header(protocol: u16, reserved: u16) -> [u8; 8] {
    let [p0, p1] = protocol.to_be_bytes();
    let [r0, r1] = reserved.to_be_bytes();
    [0, b'S', b'P', 0, p0, p1, r0, r1]
}

#[derive(Arbitrary, Debug)]
enum Handshake {
    /// A req0 peer's header, as the rep0 listener expects.
    Req0,
    /// A valid header for another protocol id, with these reserved bytes.
    Other(u16, u16),
    /// No header: the frames' bytes are the handshake.
    None,
}

#[derive(Arbitrary, Debug)]
enum Frame {
    /// A req0 request: length, request id with the high bit set, body.
    Request(u32, Vec<u8>),
    /// Length-prefixed bytes.
    Message(Vec<u8>),
    /// A length word with any value, then bytes.
    Length(u64, Vec<u8>),
    /// Bytes as they are.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    handshake: Handshake,
    frames: Vec<Frame>,
    /// Half-close (send FIN) after writing; otherwise just close.
    half_close: bool,
}

fn bytes(input: &Input) -> Vec<u8> {
    let mut out = Vec::new();
    match input.handshake {
        Handshake::Req0 => out.extend(sp_header(Protocol::Req0.id(), 0)),
        Handshake::Other(p, r) => out.extend(sp_header(p, r)),
        Handshake::None => {}
    }
    for f in &input.frames {
        match f {
            Frame::Request(id, body) => {
                out.extend((body.len() as u64 + 4).to_be_bytes());
                out.extend((id | 0x8000_0000).to_be_bytes());
                out.extend(body);
            }
            Frame::Message(body) => {
                out.extend((body.len() as u64).to_be_bytes());
                out.extend(body);
            }
            Frame::Length(n, body) => {
                out.extend(n.to_be_bytes());
                out.extend(body);
            }
            Frame::Raw(body) => out.extend(body),
        }
    }
    out
}

fuzz_target!(|input: Input| {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let addr = server();
    if RUNS.fetch_add(1, Ordering::Relaxed) % HEALTH_EVERY == 0 {
        check_health(addr);
    }

    let data = bytes(&input);
    let mut peer = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connecting to the listener");
    peer.set_write_timeout(Some(TIMEOUT)).unwrap();
    // nng may close the connection before reading it all: that is fine.
    let _ = peer.write_all(&data);
    if !input.half_close {
        return; // dropping the stream closes it
    }
    let _ = peer.shutdown(Shutdown::Write);
    // Whatever we sent, nng must close the connection once we have finished:
    // read (its header, replies) until it does.
    let deadline = Instant::now() + TIMEOUT;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "nng kept a finished peer's connection open for {TIMEOUT:?}"
        );
        peer.set_read_timeout(Some(left)).unwrap();
        match peer.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => break, // reset: closed too
        }
    }
});
