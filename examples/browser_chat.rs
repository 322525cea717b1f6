//! A web page talking to nng sockets directly over `ws://`.
//!
//! The service serves one static page over plain HTTP and listens with three
//! SP sockets on one WebSocket port; the page (examples/browser_chat/index.html,
//! plain HTML + JavaScript) connects to all three with the browser's own
//! `WebSocket`:
//!
//! | path    | socket | page sends `new WebSocket(url, …)` with | frame payload                          |
//! |---------|--------|-----------------------------------------|----------------------------------------|
//! | `/chat` | bus0   | `"bus.sp.nanomsg.org"`                  | UTF-8 text                             |
//! | `/news` | pub0   | `"pub.sp.nanomsg.org"`                  | UTF-8 text (the page subscribes)       |
//! | `/ask`  | rep0   | `"rep.sp.nanomsg.org"`                  | 4-byte request id (high bit set), text |
//!
//! The subprotocol names the *listener's* protocol, and there is no 8-byte SP
//! handshake over WebSocket: the subprotocol replaces it. Frames are binary
//! (nng closes the connection on a text frame, with code 1003), and frames
//! bigger than `--max-frame` close that one connection with code 1009.
//! Other protocols follow the same rule; a pair1 listener, for example, is
//! `"pair1.sp.nanomsg.org"` and its frames start with a 4-byte big-endian hop
//! count (nng's src/sp/protocol/pair1/pair.c strips it on receipt and closes
//! the pipe when it is missing; a browser sends 1 and strips it likewise).
//!
//! Chat messages are relayed to every page; lines typed on the service's
//! standard input are published to every page's news panel; questions get an
//! answer. The service logs what it receives on standard output:
//! `chat: …`, `ask: …`, `published: …`.
//!
//! ```text
//! cargo run --example browser_chat            # then open http://127.0.0.1:8080/
//! cargo run --example browser_chat -- --http-port 0 --ws-port 0 --exit-after 60
//! ```
//!
//! Flags (environment variables in brackets): `--host ADDR` [BROWSER_CHAT_HOST]
//! (default 127.0.0.1), `--http-port N` [BROWSER_CHAT_HTTP_PORT] (default 8080),
//! `--ws-port N` [BROWSER_CHAT_WS_PORT] (default 8081), `--max-frame BYTES`
//! (default 4096), `--exit-after SECONDS` (default: run until killed). Port 0
//! picks a free port; the chosen URLs are printed on standard output.

use nng::options::{RecvMaxSize, RecvTimeout, SendTimeout, WsProtocol, WsRecvMaxFrame};
use nng::{Listener, Protocol, Socket};
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The page, with `__BROWSER_CHAT_CONFIG__` replaced when served.
const PAGE: &str = include_str!("browser_chat/index.html");

/// How often the receive loops look at the stop flag.
const POLL: Duration = Duration::from_millis(250);

struct Config {
    host: String,
    http_port: u16,
    ws_port: u16,
    max_frame: usize,
    exit_after: Option<Duration>,
}

/// Parses `value` of `what` (a flag or variable), naming it on error.
fn parse<T: std::str::FromStr>(what: &str, value: &str) -> Result<T, BoxError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| format!("{what} {value:?}: {e}").into())
}

impl Config {
    fn from_args() -> Result<Config, BoxError> {
        let env = |name: &str, default: u16| {
            std::env::var(name).map_or(Ok(default), |v| parse::<u16>(name, &v))
        };
        let mut cfg = Config {
            host: std::env::var("BROWSER_CHAT_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
            http_port: env("BROWSER_CHAT_HTTP_PORT", 8080)?,
            ws_port: env("BROWSER_CHAT_WS_PORT", 8081)?,
            max_frame: 4096,
            exit_after: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--host" => cfg.host = value()?,
                "--http-port" => cfg.http_port = parse(&flag, &value()?)?,
                "--ws-port" => cfg.ws_port = parse(&flag, &value()?)?,
                "--max-frame" => cfg.max_frame = parse(&flag, &value()?)?,
                "--exit-after" => {
                    let secs: f64 = parse(&flag, &value()?)?;
                    let after = Duration::try_from_secs_f64(secs)
                        .map_err(|e| format!("{flag} {secs}: {e}"))?;
                    cfg.exit_after = Some(after);
                }
                "-h" | "--help" => {
                    println!(
                        "usage: browser_chat [--host ADDR] [--http-port N] [--ws-port N] \
                         [--max-frame BYTES] [--exit-after SECONDS]"
                    );
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?} (try --help)").into()),
            }
        }
        Ok(cfg)
    }
}

/// The three SP sockets and their listeners.
struct Service {
    chat: Socket,
    news: Socket,
    ask: Socket,
    listeners: Vec<Listener>,
    ws_port: u16,
}

/// Starts a listener that refuses frames and messages over `max` bytes.
fn listen(socket: &Socket, url: &str, max: usize) -> nng::Result<Listener> {
    let l = Listener::new(socket, url)?;
    l.set_opt::<WsRecvMaxFrame>(max)?;
    l.set_opt::<RecvMaxSize>(max)?;
    l.start()?;
    Ok(l)
}

impl Service {
    fn start(cfg: &Config) -> Result<Service, BoxError> {
        let chat = Socket::new(Protocol::Bus0)?;
        let news = Socket::new(Protocol::Pub0)?;
        let ask = Socket::new(Protocol::Rep0)?;
        for s in [&chat, &news, &ask] {
            s.set_opt::<RecvTimeout>(Some(POLL))?;
            s.set_opt::<SendTimeout>(Some(Duration::from_secs(1)))?;
        }
        let host = url_host(&cfg.host);
        // The first listener picks the port (when asked for port 0); the others
        // share nng's HTTP server on that port, told apart by path.
        let first = listen(
            &chat,
            &format!("ws://{host}:{}/chat", cfg.ws_port),
            cfg.max_frame,
        )?;
        let ws_port = first.port()?;
        let mut listeners = vec![first];
        for (socket, path) in [(&news, "news"), (&ask, "ask")] {
            let url = format!("ws://{host}:{ws_port}/{path}");
            listeners.push(listen(socket, &url, cfg.max_frame)?);
        }
        Ok(Service {
            chat,
            news,
            ask,
            listeners,
            ws_port,
        })
    }
}

/// Brackets an IPv6 address for use in a URL.
fn url_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Relays every chat message to all connected pages (bus0 sends to every
/// peer, the sender included).
fn chat_loop(chat: &Socket, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match chat.recv() {
            Ok(msg) => {
                println!("chat: {}", String::from_utf8_lossy(&msg));
                if let Err(e) = chat.send(msg) {
                    eprintln!("browser_chat: chat relay failed: {}", e.error);
                }
            }
            Err(nng::Error::TimedOut) => {}
            Err(e) => {
                eprintln!("browser_chat: chat receive failed: {e}");
                return;
            }
        }
    }
}

/// Answers each question (rep0 keeps the request id and routes the reply).
fn ask_loop(ask: &Socket, stop: &AtomicBool) {
    let mut answered = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match ask.recv() {
            Ok(msg) => {
                let question = String::from_utf8_lossy(&msg).into_owned();
                println!("ask: {question}");
                answered += 1;
                let reply = format!(
                    "answer #{answered}: {} ({} bytes)",
                    question.to_uppercase(),
                    msg.len()
                );
                if let Err(e) = ask.send(reply) {
                    eprintln!("browser_chat: reply failed: {e}");
                }
            }
            Err(nng::Error::TimedOut) => {}
            Err(e) => {
                eprintln!("browser_chat: ask receive failed: {e}");
                return;
            }
        }
    }
}

/// Publishes each line of standard input to every page.
fn publish_stdin(news: &Socket) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        match news.send(line) {
            Ok(()) => println!("published: {line}"),
            Err(e) => eprintln!("browser_chat: publish failed: {e}"),
        }
    }
}

/// Serves the page (tiny_http) until `stop` is set and the server unblocked:
/// `GET /` (or `HEAD /`) is the page, other paths a 404, other methods a 405.
fn http_loop(http: &tiny_http::Server, page: &str, stop: &AtomicBool) {
    use tiny_http::{Header, Method, Response};
    let header = |name: &str, value: &str| {
        Header::from_bytes(name, value).expect("a valid header (a constant)")
    };
    loop {
        let request = match http.recv() {
            Ok(request) => request,
            Err(_) if stop.load(Ordering::Relaxed) => return,
            Err(e) => {
                eprintln!("browser_chat: http: {e}");
                continue;
            }
        };
        let (status, kind, body) = match (request.method(), request.url()) {
            (Method::Get | Method::Head, "/" | "/index.html") => {
                (200, "text/html; charset=utf-8", page)
            }
            (Method::Get | Method::Head, _) => (404, "text/plain", "not found\n"),
            _ => (405, "text/plain", "method not allowed\n"),
        };
        // tiny_http leaves the body out of an answer to HEAD itself.
        let response = Response::from_string(body)
            .with_status_code(status)
            .with_header(header("Content-Type", kind))
            .with_header(header("Cache-Control", "no-store"));
        if let Err(e) = request.respond(response) {
            eprintln!("browser_chat: http: {e}");
        }
    }
}

fn run() -> Result<(), BoxError> {
    let cfg = Config::from_args()?;
    let service = Arc::new(Service::start(&cfg)?);
    let http = Arc::new(tiny_http::Server::http((cfg.host.as_str(), cfg.http_port))?);
    let http_addr = http
        .server_addr()
        .to_ip()
        .ok_or("the HTTP server has no IP address")?;
    let host = url_host(&cfg.host);
    let page = PAGE.replace(
        "__BROWSER_CHAT_CONFIG__",
        &format!(
            "{{\"ws\": \"ws://\" + location.hostname + \":{}\", \"maxFrame\": {}}}",
            service.ws_port, cfg.max_frame
        ),
    );

    println!("browser_chat: page http://{host}:{}/", http_addr.port());
    let sockets = [
        ("chat", &service.chat),
        ("news", &service.news),
        ("ask", &service.ask),
    ];
    for ((name, socket), listener) in sockets.iter().zip(&service.listeners) {
        println!(
            "browser_chat: {name} {} ({:?} socket, subprotocol {})",
            listener.url()?,
            socket.protocol()?,
            listener.get_opt::<WsProtocol>()?,
        );
    }
    println!(
        "browser_chat: frames over {} bytes close the connection",
        cfg.max_frame
    );
    println!("browser_chat: type a line and press Enter to publish it to every page");

    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    {
        let (s, stop) = (service.clone(), stop.clone());
        workers.push(thread::spawn(move || chat_loop(&s.chat, &stop)));
    }
    {
        let (s, stop) = (service.clone(), stop.clone());
        workers.push(thread::spawn(move || ask_loop(&s.ask, &stop)));
    }
    {
        let (http, stop) = (http.clone(), stop.clone());
        workers.push(thread::spawn(move || http_loop(&http, &page, &stop)));
    }
    {
        // Not joined: a read of standard input cannot be interrupted.
        let s = service.clone();
        thread::spawn(move || publish_stdin(&s.news));
    }

    match cfg.exit_after {
        Some(after) => thread::sleep(after),
        None => loop {
            thread::park();
        },
    }
    println!("browser_chat: exiting");
    stop.store(true, Ordering::Relaxed);
    http.unblock(); // wakes the HTTP loop
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("browser_chat: {e}");
            ExitCode::FAILURE
        }
    }
}
