//! Rust port of nng's perf tools (`src/tools/perf/perf.c`), using only the
//! safe API: the same modes, command lines and output lines as the C tools.
//!
//! The mode is taken from the program name (`argv[0]`, as in C: link or copy
//! the binary to `local_lat`, ...) or from `-m <mode>`:
//!
//! ```text
//! perf -m local_lat  <listen-addr> <msg-size> <roundtrips>
//! perf -m remote_lat <connect-to>  <msg-size> <roundtrips>
//! perf -m local_thr  <listen-addr> <msg-size> <count>
//! perf -m remote_thr <connect-to>  <msg-size> <count>
//! perf -m inproc_lat [--pair0|--pair1|--reqrep0|--bus0] [--url <url>] <msg-size> <count>
//! perf -m inproc_thr [--pair0|--pair1|--pipeline0] [--url <url>] <msg-size> <count>
//! ```
//!
//! One addition over C: `--api <path>` (any mode, before the positional
//! arguments) picks which part of the safe API moves the messages:
//!
//! - `msg` (default, what the C tools do): `Socket::send` / `Socket::recv`,
//!   one `Message` per message, reused on the latency path as in C;
//! - `aio`: one callback [`Aio`] per side whose callback starts the next
//!   operation (the callback-chaining style of nng's own C servers);
//! - `async`: `Socket::send_async` / `Socket::recv_async` awaited on a tokio
//!   current-thread runtime, one future per message;
//! - `stream`: the same runtime with one `RecvStream` / `SendSink` per side;
//! - `async-try`: `async` that first tries the non-blocking `try_send` /
//!   `try_recv` and awaits only when that would block (`Error::TryAgain`).
//!
//! The C tools time with nng's millisecond clock; these time with
//! `std::time::Instant` and print the same fields in the same format.

#[path = "common/perf_output.rs"]
mod output;

use futures::{SinkExt, StreamExt};
use nng::options::{RecvBufferSize, RecvTimeout, SendBufferSize};
use nng::{Aio, AioResult, Message, Protocol, Socket};
use std::fmt::Display;
use std::future::Future;
use std::process::exit;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Prints the message to stderr and exits with status 2, as the C `die`.
fn die(msg: impl Display) -> ! {
    eprintln!("{msg}");
    exit(2);
}

/// Unwraps or dies with `"<what>: <nng error text>"`, like the C tools.
trait OrDie<T> {
    fn or_die(self, what: &str) -> T;
}

impl<T, E: Display> OrDie<T> for Result<T, E> {
    fn or_die(self, what: &str) -> T {
        self.unwrap_or_else(|e| die(format!("{what}: {e}")))
    }
}

/// Which safe-API path moves the messages (`--api`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    Msg,
    Aio,
    Async,
    Stream,
    AsyncTry,
}

impl Api {
    fn parse(s: &str) -> Api {
        match s {
            "msg" => Api::Msg,
            "aio" => Api::Aio,
            "async" => Api::Async,
            "stream" => Api::Stream,
            "async-try" => Api::AsyncTry,
            _ => die(format!(
                "Unknown --api {s}: use msg, aio, async, stream or async-try"
            )),
        }
    }
}

/// A one-shot flag the aio callbacks raise when the run is over.
#[derive(Default)]
struct Done {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Done {
    fn set(&self) {
        *self.flag.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut f = self.flag.lock().unwrap();
        while !*f {
            f = self.cv.wait(f).unwrap();
        }
    }
}

/// Runs a callback-chained aio loop: `step` handles each completion and
/// returns `false` when the run is over; `first` starts the first operation.
fn aio_loop(
    mut step: impl FnMut(&Aio, AioResult) -> bool + Send + 'static,
    first: impl FnOnce(&Aio),
) {
    let done = Arc::new(Done::default());
    let d = done.clone();
    let aio = Aio::new(move |aio, res| {
        if !step(aio, res) {
            d.set();
        }
    })
    .or_die("nng_aio_alloc");
    first(&aio);
    done.wait();
}

/// Sends without blocking if possible, else awaits the send.
async fn send_try_first(s: &Socket, msg: Message) {
    match s.try_send(msg) {
        Ok(()) => {}
        Err(e) if e.error == nng::Error::TryAgain => {
            s.send_async(e.message).await.or_die("nng_sendmsg")
        }
        Err(e) => die(format!("nng_sendmsg: {e}")),
    }
}

/// Receives without blocking if possible, else awaits the receive.
async fn recv_try_first(s: &Socket) -> Message {
    match s.try_recv() {
        Ok(m) => m,
        Err(nng::Error::TryAgain) => s.recv_async().await.or_die("nng_recvmsg"),
        Err(e) => die(format!("nng_recvmsg: {e}")),
    }
}

/// Runs `f` to completion on this thread (`futures::executor::block_on`:
/// park until woken, no runtime of its own), so that the async rows measure
/// this crate's futures rather than an executor's bookkeeping.
fn block_on<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// The protocol pair of the latency test (C: `open_client`/`open_server`).
#[derive(Clone, Copy)]
struct Protos {
    client: Protocol,
    server: Protocol,
}

/// Everything one run needs besides the positional arguments.
#[derive(Clone, Copy)]
struct Setup {
    api: Api,
    protos: Protos,
}

/// `matches()` from perf.c: the last path component of `arg`, case-folded,
/// equals `name`, optionally followed by an extension.
fn matches(arg: &str, name: &str) -> bool {
    let base = arg.rsplit(['/', '\\', ':']).next().unwrap_or(arg);
    let lower = base.to_ascii_lowercase();
    match lower.strip_prefix(name) {
        Some(rest) => rest.is_empty() || rest.starts_with('.'),
        None => false,
    }
}

/// `parse_int()` from perf.c: 0 ..= 1e9, or die with "Invalid <what>".
fn parse_int(arg: &str, what: &str) -> usize {
    match arg.parse::<i64>() {
        Ok(v) if (0..=1_000_000_000).contains(&v) => v as usize,
        _ => die(format!("Invalid {what}")),
    }
}

/// The long options of perf.c (`nng_args_parse` semantics: `--name`,
/// `--name=value`, `--name value`, unambiguous prefixes), plus `--api`.
/// Returns the remaining positional arguments.
fn parse_opts<'a>(mut args: &'a [String], setup: &mut Setup, url: &mut String) -> &'a [String] {
    const NAMES: &[&str] = &[
        "pair1",
        "pair0",
        "reqrep0",
        "bus0",
        "pubsub0",
        "pipeline0",
        "url",
        "api",
    ];
    while let Some(arg) = args.first() {
        let Some(body) = arg.strip_prefix("--") else {
            if arg == "-" {
                args = &args[1..];
            }
            break;
        };
        let (name, inline) = match body.find(['=', ':']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let found: Vec<&str> = NAMES
            .iter()
            .copied()
            .filter(|n| n.starts_with(name))
            .collect();
        let name = match found.iter().find(|n| **n == name) {
            Some(n) => *n,
            None if found.len() == 1 => found[0],
            None => break, // unknown or ambiguous: stop parsing, as C does
        };
        args = &args[1..];
        let mut value = || -> String {
            if let Some(v) = inline {
                return v.to_string();
            }
            let Some(v) = args.first() else {
                die("bad option");
            };
            args = &args[1..];
            v.clone()
        };
        let (client, server) = match name {
            "pair0" => (Protocol::Pair0, Protocol::Pair0),
            "pair1" => (Protocol::Pair1, Protocol::Pair1),
            "reqrep0" => (Protocol::Req0, Protocol::Rep0),
            "bus0" => (Protocol::Bus0, Protocol::Bus0),
            "pipeline0" => (Protocol::Pull0, Protocol::Push0),
            "url" => {
                *url = value();
                continue;
            }
            "api" => {
                setup.api = Api::parse(&value());
                continue;
            }
            _ => die("bad option"),
        };
        setup.protos = Protos { client, server };
    }
    args
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let (prog, rest) = if argv.len() >= 3 && argv[1] == "-m" {
        (argv[2].clone(), &argv[3..])
    } else {
        (
            argv.first().cloned().unwrap_or_default(),
            &argv[1.min(argv.len())..],
        )
    };
    let mut setup = Setup {
        api: Api::Msg,
        protos: Protos {
            client: Protocol::Pair1,
            server: Protocol::Pair1,
        },
    };
    let mut url = String::new();
    let args = parse_opts(rest, &mut setup, &mut url);

    let positional3 = |usage: &str, what: &str| -> (String, usize, usize) {
        if args.len() != 3 {
            die(usage);
        }
        (
            args[0].clone(),
            parse_int(&args[1], "message size"),
            parse_int(&args[2], what),
        )
    };
    if matches(&prog, "remote_lat") || matches(&prog, "latency_client") {
        let (addr, size, n) = positional3(
            "Usage: remote_lat <connect-to> <msg-size> <roundtrips>",
            "round-trips",
        );
        latency_client(setup, &addr, size, n);
    } else if matches(&prog, "local_lat") || matches(&prog, "latency_server") {
        let (addr, size, n) = positional3(
            "Usage: local_lat <listen-addr> <msg-size> <roundtrips>",
            "round-trips",
        );
        latency_server(setup, &addr, size, n);
    } else if matches(&prog, "local_thr") || matches(&prog, "throughput_server") {
        let (addr, size, n) =
            positional3("Usage: local_thr <listen-addr> <msg-size> <count>", "count");
        throughput_server(setup, &addr, size, n);
    } else if matches(&prog, "remote_thr") || matches(&prog, "throughput_client") {
        let (addr, size, n) =
            positional3("Usage: remote_thr <connect-to> <msg-size> <count>", "count");
        throughput_client(setup, &addr, size, n);
    } else if matches(&prog, "inproc_thr") {
        if url.is_empty() {
            url = "inproc://throughput-test".into();
        }
        inproc(
            setup,
            args,
            url,
            "Usage: inproc_thr <msg-size> <count>",
            throughput_server,
            throughput_client,
        );
    } else if matches(&prog, "inproc_lat") {
        if url.is_empty() {
            url = "inproc://latency_test".into();
        }
        inproc(
            setup,
            args,
            url,
            "Usage: inproc_lat <msg-size> <count>",
            latency_server,
            latency_client,
        );
    } else {
        die("Unknown program mode? Use -m <mode>.");
    }
}

type Side = fn(Setup, &str, usize, usize);

/// `do_inproc_*`: the server on its own thread, the client here.
fn inproc(setup: Setup, args: &[String], url: String, usage: &str, server: Side, client: Side) {
    if args.len() != 2 {
        die(usage);
    }
    let size = parse_int(&args[0], "message size");
    let count = parse_int(&args[1], "count");
    let addr = url.clone();
    let thr = thread::Builder::new()
        .spawn(move || server(setup, &addr, size, count))
        .unwrap_or_else(|e| die(format!("Cannot create thread: {e}")));
    thread::sleep(Duration::from_millis(100));
    client(setup, &url, size, count);
    let _ = thr.join();
}

/// A new socket, shared so that aio callbacks can hold it.
fn open(p: Protocol) -> Arc<Socket> {
    Arc::new(Socket::new(p).or_die("nng_socket"))
}

/// The next message of a receive stream.
async fn next(rx: &mut nng::future::RecvStream) -> Message {
    match rx.next().await {
        Some(r) => r.or_die("nng_recvmsg"),
        None => die("nng_recvmsg: closed"),
    }
}

fn check_len(got: usize, want: usize) {
    if got != want {
        die(format!("wrong message size: {got} != {want}"));
    }
}

fn latency_client(setup: Setup, addr: &str, size: usize, trips: usize) {
    let s = open(setup.protos.client);
    s.dial(addr).or_die("nng_dial");
    thread::sleep(Duration::from_millis(100));

    let start;
    match setup.api {
        Api::Msg => {
            let mut msg = Message::with_len(size);
            start = Instant::now();
            for _ in 0..trips {
                s.send(msg).or_die("nng_sendmsg");
                msg = s.recv().or_die("nng_recvmsg");
            }
        }
        Api::Aio => {
            let sock = s.clone();
            let mut left = trips;
            start = Instant::now();
            if trips > 0 {
                aio_loop(
                    move |aio, res| match res {
                        AioResult::Send(r) => {
                            r.or_die("nng_sendmsg");
                            aio.recv(&*sock).or_die("nng_recvmsg");
                            true
                        }
                        AioResult::Recv(r) => {
                            let msg = r.or_die("nng_recvmsg");
                            left -= 1;
                            left > 0 && {
                                aio.send(&*sock, msg).or_die("nng_sendmsg");
                                true
                            }
                        }
                        _ => die("unexpected aio completion"),
                    },
                    |aio| aio.send(&*s, Message::with_len(size)).or_die("nng_sendmsg"),
                );
            }
        }
        Api::Async => {
            let mut msg = Message::with_len(size);
            start = Instant::now();
            block_on(async {
                for _ in 0..trips {
                    s.send_async(msg).await.or_die("nng_sendmsg");
                    msg = s.recv_async().await.or_die("nng_recvmsg");
                }
            });
        }
        Api::AsyncTry => {
            let mut msg = Message::with_len(size);
            start = Instant::now();
            block_on(async {
                for _ in 0..trips {
                    send_try_first(&s, msg).await;
                    msg = recv_try_first(&s).await;
                }
            });
        }
        Api::Stream => {
            let (mut tx, mut rx) = (s.send_sink(), s.recv_stream());
            let mut msg = Message::with_len(size);
            start = Instant::now();
            block_on(async {
                for _ in 0..trips {
                    tx.send(msg).await.or_die("nng_sendmsg");
                    msg = next(&mut rx).await;
                }
            });
        }
    }
    let total = start.elapsed().as_secs_f64();
    drop(s);
    output::print_latency(total, size, trips);
}

fn latency_server(setup: Setup, addr: &str, size: usize, trips: usize) {
    let s = open(setup.protos.server);
    s.listen(addr).or_die("nng_listen");
    match setup.api {
        Api::Msg => {
            for _ in 0..trips {
                let msg = s.recv().or_die("nng_recvmsg");
                check_len(msg.len(), size);
                s.send(msg).or_die("nng_sendmsg");
            }
        }
        Api::Aio if trips > 0 => {
            let sock = s.clone();
            let mut left = trips;
            aio_loop(
                move |aio, res| match res {
                    AioResult::Recv(r) => {
                        let msg = r.or_die("nng_recvmsg");
                        check_len(msg.len(), size);
                        aio.send(&*sock, msg).or_die("nng_sendmsg");
                        true
                    }
                    AioResult::Send(r) => {
                        r.or_die("nng_sendmsg");
                        left -= 1;
                        left > 0 && {
                            aio.recv(&*sock).or_die("nng_recvmsg");
                            true
                        }
                    }
                    _ => die("unexpected aio completion"),
                },
                |aio| aio.recv(&*s).or_die("nng_recvmsg"),
            );
        }
        Api::Aio => {}
        Api::Async => block_on(async {
            for _ in 0..trips {
                let msg = s.recv_async().await.or_die("nng_recvmsg");
                check_len(msg.len(), size);
                s.send_async(msg).await.or_die("nng_sendmsg");
            }
        }),
        Api::AsyncTry => block_on(async {
            for _ in 0..trips {
                let msg = recv_try_first(&s).await;
                check_len(msg.len(), size);
                send_try_first(&s, msg).await;
            }
        }),
        Api::Stream => {
            let (mut tx, mut rx) = (s.send_sink(), s.recv_stream());
            block_on(async {
                for _ in 0..trips {
                    let msg = next(&mut rx).await;
                    check_len(msg.len(), size);
                    tx.send(msg).await.or_die("nng_sendmsg");
                }
            });
        }
    }
    // Let the last reply drain before closing, as C does.
    thread::sleep(Duration::from_millis(100));
}

fn throughput_server(setup: Setup, addr: &str, size: usize, count: usize) {
    let s = open(Protocol::Pair1);
    s.set_opt::<RecvBufferSize>(128)
        .or_die("nng_socket_set(nng_opt_recvbuf)");
    s.listen(addr).or_die("nng_listen");

    // The first (empty) message starts the clock.
    drop(s.recv().or_die("nng_recvmsg"));
    let start = Instant::now();
    match setup.api {
        Api::Msg => {
            for _ in 0..count {
                let msg = s.recv().or_die("nng_recvmsg");
                check_len(msg.len(), size);
            }
        }
        Api::Aio if count > 0 => {
            let sock = s.clone();
            let mut left = count;
            aio_loop(
                move |aio, res| match res {
                    AioResult::Recv(r) => {
                        check_len(r.or_die("nng_recvmsg").len(), size);
                        left -= 1;
                        left > 0 && {
                            aio.recv(&*sock).or_die("nng_recvmsg");
                            true
                        }
                    }
                    _ => die("unexpected aio completion"),
                },
                |aio| aio.recv(&*s).or_die("nng_recvmsg"),
            );
        }
        Api::Aio => {}
        Api::Async => block_on(async {
            for _ in 0..count {
                check_len(s.recv_async().await.or_die("nng_recvmsg").len(), size);
            }
        }),
        Api::AsyncTry => block_on(async {
            for _ in 0..count {
                check_len(recv_try_first(&s).await.len(), size);
            }
        }),
        Api::Stream => {
            let mut rx = s.recv_stream();
            block_on(async {
                for _ in 0..count {
                    check_len(next(&mut rx).await.len(), size);
                }
            });
        }
    }
    let total = start.elapsed().as_secs_f64();
    // Tell the sender we are done, and give it time to go out.
    let _ = s.send(b"");
    thread::sleep(Duration::from_millis(200));
    drop(s);
    output::print_throughput(total, size, count);
}

fn throughput_client(setup: Setup, addr: &str, size: usize, count: usize) {
    let s = open(Protocol::Pair1);
    s.set_opt::<SendBufferSize>(128)
        .or_die("nng_socket_set(nng_opt_sendbuf)");
    s.set_opt::<RecvTimeout>(Some(Duration::from_millis(5000)))
        .or_die("nng_socket_set(nng_opt_recvtimeo)");
    s.dial(addr).or_die("nng_dial");

    // One extra, empty message starts the receiver's clock (C sends it and
    // then `count + 1` sized ones; the receiver reads `count`).
    s.send(Message::new()).or_die("nng_sendmsg");
    match setup.api {
        Api::Msg => {
            for _ in 0..=count {
                s.send(Message::with_len(size)).or_die("nng_sendmsg");
            }
        }
        Api::Aio => {
            let sock = s.clone();
            let mut left = count; // after the first of count + 1
            aio_loop(
                move |aio, res| match res {
                    AioResult::Send(r) => {
                        r.or_die("nng_sendmsg");
                        left > 0 && {
                            left -= 1;
                            aio.send(&*sock, Message::with_len(size))
                                .or_die("nng_sendmsg");
                            true
                        }
                    }
                    _ => die("unexpected aio completion"),
                },
                |aio| aio.send(&*s, Message::with_len(size)).or_die("nng_sendmsg"),
            );
        }
        Api::Async => block_on(async {
            for _ in 0..=count {
                s.send_async(Message::with_len(size))
                    .await
                    .or_die("nng_sendmsg");
            }
        }),
        Api::AsyncTry => block_on(async {
            for _ in 0..=count {
                send_try_first(&s, Message::with_len(size)).await;
            }
        }),
        Api::Stream => {
            let mut tx = s.send_sink();
            block_on(async {
                for _ in 0..=count {
                    tx.send(Message::with_len(size)).await.or_die("nng_sendmsg");
                }
            });
        }
    }
    // The completion indication from the other side.
    let _ = s.recv();
}
