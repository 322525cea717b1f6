//! Misbehaving peers on a tcp listener: garbage instead of the SP handshake,
//! the wrong protocol, a 2^62-byte message, peers that stall, and a peer
//! process killed mid-message. In each case the listener stays healthy,
//! well-behaved peers keep being served, and the fault shows up as a typed
//! statistic of the listener (nng counts transport errors by kind) and as
//! pipe events, never as a crash, hang or lost reply.
//!
//! The peers are raw TCP streams speaking nng's wire format (see nng's
//! `src/sp/transport/tcp/tcp.c`): both sides first send an 8-byte header
//! `00 'S' 'P' 00 <protocol u16 BE> 00 00`, then messages, each an 8-byte
//! big-endian length followed by that many bytes.

mod common;

use common::*;
use nng::options::RecvMaxSize;
use nng::pipe::PipeEvent;
use nng::{Listener, Protocol, Socket};
use std::cell::RefCell;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// SP protocol numbers on the wire (nng's `NNG_REQ0_SELF` etc.).
const REQ0: u16 = 0x30;
const REP0: u16 = 0x31;
const PUB0: u16 = 0x20;

/// The handshake header announcing `proto`.
fn sp_header(proto: u16) -> [u8; 8] {
    let [hi, lo] = proto.to_be_bytes();
    [0, b'S', b'P', 0, hi, lo, 0, 0]
}

/// A rep0 server on a tcp listener, echoing requests, with its pipe events
/// recorded as `(event, pipe id, peer port)` (the port only on `AddPost`).
struct Server {
    // First, so it is dropped (its thread stopped) before the socket closes.
    _echo: Echo,
    rep: Socket,
    listener: Listener,
    url: String,
    port: u16,
    events: Receiver<Event>,
    /// Events received but not yet waited for.
    seen: RefCell<Vec<Event>>,
}

/// A pipe event of the server: (event, pipe id, the peer's port on `AddPost`).
type Event = (PipeEvent, u32, Option<u16>);

impl Server {
    fn start() -> Server {
        Self::start_with(|_| {})
    }

    /// `tune` sets listener options before it starts.
    fn start_with(tune: impl FnOnce(&Listener)) -> Server {
        let rep = socket(Protocol::Rep0);
        let (tx, events) = channel();
        for ev in [PipeEvent::AddPost, PipeEvent::RemPost] {
            let tx = tx.clone();
            rep.pipe_notify(ev, move |ev, pipe| {
                let port = match ev {
                    PipeEvent::AddPost => pipe.peer_addr().ok().and_then(|a| a.port()),
                    _ => None,
                };
                let _ = tx.send((ev, pipe.id(), port));
            })
            .unwrap();
        }
        let listener = Listener::new(&rep, "tcp://127.0.0.1:0").unwrap();
        tune(&listener);
        listener.start().unwrap();
        let port = listener.port().unwrap();
        let echo = Echo::serve(&rep);
        Server {
            rep,
            listener,
            url: format!("tcp://127.0.0.1:{port}"),
            port,
            events,
            seen: RefCell::default(),
            _echo: echo,
        }
    }

    /// A req socket dialed to the server, proven served by one round trip.
    fn good_peer(&self, tag: &str) -> Socket {
        let req = socket(Protocol::Req0);
        req.dial(&self.url).unwrap();
        round_trip(&req, tag);
        req
    }

    /// Waits for the pipe event `ev`; with `port`, only one whose peer uses
    /// that local port (`AddPost`), with `pipe` only that pipe's. Returns the
    /// pipe id and consumes the event; other events stay for later waits.
    fn wait_event(&self, ev: PipeEvent, port: Option<u16>, pipe: Option<u32>) -> u32 {
        let wanted = |&(e, id, p): &Event| {
            e == ev && (port.is_none() || p == port) && (pipe.is_none() || Some(id) == pipe)
        };
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let mut seen = self.seen.borrow_mut();
            if let Some(i) = seen.iter().position(wanted) {
                return seen.remove(i).1;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {ev:?} event (port {port:?}, pipe {pipe:?})"));
            seen.push(event);
        }
    }

    /// No `RemPost` for `pipe` among the events so far.
    fn still_connected(&self, pipe: u32) -> bool {
        let mut seen = self.seen.borrow_mut();
        seen.extend(self.events.try_iter());
        !seen
            .iter()
            .any(|&(e, id, _)| e == PipeEvent::RemPost && id == pipe)
    }

    fn counters<const N: usize>(&self, names: [&str; N]) -> [u64; N] {
        listener_counters(&self.listener, names)
    }
}

/// A raw TCP peer of the server.
struct RawPeer {
    stream: TcpStream,
}

impl RawPeer {
    fn connect(server: &Server) -> RawPeer {
        let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        RawPeer { stream }
    }

    fn port(&self) -> u16 {
        self.stream.local_addr().unwrap().port()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Completes the SP handshake as `proto`; asserts the server's header is
    /// rep0's.
    fn handshake(&mut self, proto: u16) {
        self.write(&sp_header(proto));
        let mut theirs = [0u8; 8];
        self.stream.read_exact(&mut theirs).unwrap();
        assert_eq!(theirs, sp_header(REP0), "the server's SP header");
    }

    /// Reads until the server closes the connection; returns what it sent.
    /// Panics if it is still open after [`TIMEOUT`].
    fn read_until_closed(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
                Err(e) => panic!("the server did not close the connection: {e}"),
            }
        }
    }
}

#[test]
fn garbage_instead_of_the_handshake_is_a_protocol_error() {
    within(Duration::from_secs(60), "garbage handshake", || {
        let server = Server::start();
        let good = server.good_peer("before garbage");
        let [proto0, accept0] = server.counters(["proto", "accept"]);

        let mut bad = RawPeer::connect(&server);
        bad.write(b"GET / HT"); // eight bytes, where the SP header belongs
        assert_eq!(
            bad.read_until_closed(),
            sp_header(REP0),
            "nng sends its header, reads ours, and hangs up"
        );
        assert!(
            eventually(TIMEOUT, || server.counters(["proto"])[0] == proto0 + 1),
            "counted as NNG_EPROTO on the listener"
        );

        round_trip(&good, "after garbage");
        // The listener keeps accepting (after its 100 ms cool-down).
        let fresh = server.good_peer("new peer after garbage");
        round_trip(&fresh, "again");
        assert!(server.counters(["accept"])[0] > accept0);

        // nng counts a pipe in `pipes` when it starts, after the SP
        // negotiation. The garbage peer's pipe never started, so its removal
        // must not be counted either (nng bug pipe-stat-underflow: the
        // listener's count wrapped below zero).
        let pipes = || server.counters(["pipes"])[0];
        assert!(
            eventually(TIMEOUT, || pipes() == 2),
            "the two good peers, not {}",
            pipes()
        );
        drop(good);
        drop(fresh);
        assert!(
            eventually(TIMEOUT, || pipes() == 0),
            "none once they closed, not {}",
            pipes()
        );
    })
}

#[test]
fn a_peer_of_the_wrong_protocol_is_rejected() {
    within(Duration::from_secs(60), "wrong protocol", || {
        let server = Server::start();
        let good = server.good_peer("before pub");
        let socket_rejects = || {
            let snap = nng::Statistics::get().unwrap();
            counter(&snap.socket(&server.rep).unwrap(), "reject")
        };
        let (reject0, sock_reject0) = (server.counters(["reject"])[0], socket_rejects());

        let mut bad = RawPeer::connect(&server);
        bad.write(&sp_header(PUB0)); // a valid header, but pub0 is no req0
        assert_eq!(bad.read_until_closed(), sp_header(REP0));
        assert!(
            eventually(TIMEOUT, || server.counters(["reject"])[0] == reject0 + 1
                && socket_rejects() == sock_reject0 + 1),
            "rejected by rep0, counted on the listener and the socket"
        );
        round_trip(&good, "after pub");
    })
}

#[test]
fn a_2_pow_62_byte_message_drops_only_that_peer() {
    within(Duration::from_secs(60), "2^62 message", || {
        // No size limit on this listener, so the only guard is nng's own
        // check of the announced length (nothing of that size is allocated).
        let server = Server::start_with(|l| l.set_opt::<RecvMaxSize>(0).unwrap());
        assert_eq!(server.listener.get_opt::<RecvMaxSize>().unwrap(), 0);
        let good = server.good_peer("before huge");
        let good_pipe = server.wait_event(PipeEvent::AddPost, None, None);
        let [other0] = server.counters(["other"]);

        let mut bad = RawPeer::connect(&server);
        bad.handshake(REQ0);
        let pipe = server.wait_event(PipeEvent::AddPost, Some(bad.port()), None);
        bad.write(&(1u64 << 62).to_be_bytes());
        assert!(bad.read_until_closed().is_empty(), "dropped at once");
        server.wait_event(PipeEvent::RemPost, None, Some(pipe));
        assert!(
            eventually(TIMEOUT, || server.counters(["other"])[0] == other0 + 1),
            "the NNG_EMSGSIZE is counted on the listener"
        );

        round_trip(&good, "after huge");
        assert!(
            server.still_connected(good_pipe),
            "the good peer kept its pipe"
        );
    })
}

#[test]
fn peers_that_stall_do_not_hold_up_the_others() {
    within(Duration::from_secs(60), "stalled peers", || {
        let server = Server::start();
        let good = server.good_peer("before stalls");
        let good_pipe = server.wait_event(PipeEvent::AddPost, None, None);

        // Connected, never says anything (nng gives up after 10 s).
        let _silent = RawPeer::connect(&server);
        // Handshake done, then nothing.
        let mut idle = RawPeer::connect(&server);
        idle.handshake(REQ0);
        let idle_pipe = server.wait_event(PipeEvent::AddPost, Some(idle.port()), None);
        // Half a message: 100 bytes announced, 10 sent.
        let mut half = RawPeer::connect(&server);
        half.handshake(REQ0);
        let half_pipe = server.wait_event(PipeEvent::AddPost, Some(half.port()), None);
        half.write(&100u64.to_be_bytes());
        half.write(&[0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0]);

        for i in 0..20 {
            round_trip(&good, &format!("during stalls {i}"));
        }
        let fresh = server.good_peer("new peer during stalls");
        round_trip(&fresh, "new peer again");

        // Nobody was dropped for being slow.
        for pipe in [good_pipe, idle_pipe, half_pipe] {
            assert!(server.still_connected(pipe), "pipe {pipe} was dropped");
        }
        // Hanging up is noticed: both pipes go away.
        drop(idle);
        drop(half);
        server.wait_event(PipeEvent::RemPost, None, Some(idle_pipe));
        server.wait_event(PipeEvent::RemPost, None, Some(half_pipe));
        round_trip(&good, "after stalls");
    })
}

/// The environment variable that turns the test below into its own peer.
const CHILD_ENV: &str = "NNG_FAULTS_KILLED_PEER_PORT";

/// The peer process of the test below: connects, completes the handshake,
/// sends the first 1,000 bytes of a 65,536-byte message, says `ready <port>`
/// and waits to be killed.
fn killed_peer_child(port: u16) {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut peer = RawPeer { stream };
    peer.handshake(REQ0);
    peer.write(&65_536u64.to_be_bytes());
    peer.write(&[0x80, 0, 0, 7]);
    peer.write(&[b'x'; 996]);
    println!("ready {}", peer.port());
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

/// The peer process, killed when the test ends however it ends.
struct PeerProcess(Child);

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_peer_killed_mid_message() {
    if let Ok(port) = std::env::var(CHILD_ENV) {
        return killed_peer_child(port.parse().unwrap());
    }
    within(Duration::from_secs(60), "killed peer", || {
        let server = Server::start();
        let good = server.good_peer("before kill");
        let errors = || server.counters(["disconnect", "other"]).iter().sum::<u64>();
        let errors0 = errors();

        // This very test, re-run as the peer (see the top of this fn).
        let mut child = PeerProcess(
            Command::new(std::env::current_exe().unwrap())
                .args(["a_peer_killed_mid_message", "--exact", "--nocapture"])
                .env(CHILD_ENV, server.port.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let (tx, ready) = channel();
        let stdout = BufReader::new(child.0.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if let Some(p) = line.strip_prefix("ready ") {
                    let _ = tx.send(p.parse::<u16>().unwrap());
                }
            }
        });
        let child_port = ready
            .recv_timeout(Duration::from_secs(30))
            .expect("the peer process never got ready");
        let pipe = server.wait_event(PipeEvent::AddPost, Some(child_port), None);
        round_trip(&good, "while the peer is mid-message");

        child.0.kill().unwrap(); // SIGKILL: no goodbye from the peer
        child.0.wait().unwrap();
        server.wait_event(PipeEvent::RemPost, None, Some(pipe));
        assert!(
            eventually(TIMEOUT, || errors() == errors0 + 1),
            "the lost connection is counted on the listener"
        );
        round_trip(&good, "after kill");
        round_trip(&server.good_peer("new peer after kill"), "again");
    })
}
