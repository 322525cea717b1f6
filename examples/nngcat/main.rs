//! `nngcat` in Rust: a drop-in port of nng's C command-line tool, built on the
//! safe `nng` crate. Same command lines, same bytes on stdout, same messages
//! on stderr and the same exit status as C nngcat 2.0.
//!
//! ```sh
//! cargo run --release --example nngcat -- --rep --listen tcp://127.0.0.1:4567 --data 42 --quoted &
//! cargo run --release --example nngcat -- --req --dial tcp://127.0.0.1:4567 --data hi --quoted
//! ```
//!
//! Run with `--help` for the options; `docs/ref/tools/nngcat.md` of nng
//! describes them. One deliberate difference: C nngcat 2.0.0 parses `--pair`
//! but then forgets it ("No protocol specified."); here it selects PAIR v1, or
//! PAIR v0 with `--compat`, as nng's documentation says.

mod args;
mod format;
mod tls;

use args::{ArgError, Parser, Spec};
use format::Format;
use nng::options::{RecvMaxSize, RecvTimeout, SendTimeout};
use nng::{Dialer, Error, Listener, Message, Protocol, Socket};
use std::fmt::Display;
use std::io::{Read, Write};
use std::process::exit;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Every option C nngcat knows, in the order of its option table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Help,
    Verbose,
    Silent,
    Req0,
    Rep0,
    Push0,
    Pull0,
    Pub0,
    Sub0,
    Surveyor0,
    Respondent0,
    Pair,
    Pair0,
    Pair1,
    Bus0,
    Dial,
    Listen,
    Data,
    File,
    Subscribe,
    Format,
    Ascii,
    Quoted,
    Raw,
    Hex,
    Compat,
    Async,
    Msgpack,
    RecvMaxSz,
    Count,
    Delay,
    Interval,
    RecvTimeout,
    SendTimeout,
    SocketName,
    ListenIpc,
    DialIpc,
    ListenLocal,
    DialLocal,
    Insecure,
    CaCert,
    Key,
    Pass,
    Psk,
    PskIdentity,
    Cert,
    Version,
}

macro_rules! specs {
    ($( $name:literal $(, $short:literal)? => $val:ident $(, $arg:ident)? ;)*) => {
        &[ $( Spec {
            name: Some($name),
            short: specs!(@short $($short)?),
            val: Opt::$val,
            arg: specs!(@arg $($arg)?),
        }, )* ]
    };
    (@short) => { None };
    (@short $s:literal) => { Some($s) };
    (@arg) => { false };
    (@arg $a:ident) => { true };
}

/// The option table of C nngcat (`opts[]` in nngcat.c), same names and order.
const SPECS: &[Spec<Opt>] = specs! {
    "help", b'h' => Help;
    "verbose", b'v' => Verbose;
    "silent", b'q' => Silent;
    "req0" => Req0;
    "rep0" => Rep0;
    "push0" => Push0;
    "pull0" => Pull0;
    "pub0" => Pub0;
    "sub" => Sub0;
    "sub0" => Sub0;
    "surveyor0" => Surveyor0;
    "respondent0" => Respondent0;
    "pair" => Pair;
    "pair0" => Pair0;
    "pair1" => Pair1;
    "bus0" => Bus0;
    "dial" => Dial, arg;
    "listen" => Listen, arg;
    "data", b'D' => Data, arg;
    "file", b'F' => File, arg;
    "subscribe" => Subscribe, arg;
    "format" => Format, arg;
    "ascii", b'A' => Ascii;
    "quoted", b'Q' => Quoted;
    "raw" => Raw;
    "hex" => Hex;
    "compat" => Compat;
    "async" => Async;
    "msgpack" => Msgpack;
    "recv-maxsz", b'Z' => RecvMaxSz, arg;
    "count", b'C' => Count, arg;
    "delay", b'd' => Delay, arg;
    "interval", b'i' => Interval, arg;
    "recv-timeout" => RecvTimeout, arg;
    "send-timeout" => SendTimeout, arg;
    "socket-name" => SocketName, arg;
    "bind" => Listen, arg;
    "connect" => Dial, arg;
    "bind-ipc", b'X' => ListenIpc, arg;
    "connect-ipc", b'x' => DialIpc, arg;
    "bind-local", b'L' => ListenLocal, arg;
    "connect-local", b'l' => DialLocal, arg;
    "insecure", b'k' => Insecure;
    "cacert" => CaCert, arg;
    "key" => Key, arg;
    "pass" => Pass, arg;
    "psk" => Psk, arg;
    "psk-identity" => PskIdentity, arg;
    "cert", b'E' => Cert, arg;
    "version", b'V' => Version;
};

const HELP: &str = "\
Usage: nngcat <proto> <addr>... [<fmt>] [<opts>...] [<src>]

<proto> must be one of:
  --req0                 (or alias --req)
  --rep0                 (or alias --rep)
  --pub0                 (or alias --pub)
  --sub0                 (or alias --sub)
  --push0                (or alias --push)
  --pull0                (or alias --pull)
  --surveyor0            (or alias --surveyor)
  --respondent0          (or alias --respondent)
  --pair0
  --pair1
  --pair                 (alias for either pair0 or pair1)

<addr> must be one or more of:
  --dial <url>           (or alias --connect <url>)
  --listen <url>         (or alias --bind <url>)
  --bind-local <port>    (or alias -L <port>)
  --connect-local <port> (or alias -l <port>)
  --bind-ipc <path>      (or alias -X <path>)
  --connect-ipc <path>   (or alias -x <path>)

<fmt> may be one or none of:
  --format <no|ascii|hex|msgpack|quoted|raw>
  --ascii                (or alias -A)
  --quoted               (or alias -Q)
  --hex
  --msgpack
  --raw

<opts> may be any of:
  --subscribe <topic>    (only with --sub protocol)
  --silent               (or alias -q)
  --verbose              (or alias -v)
  --count <num>          (or alias -C <num>)
  --delay <secs>         (or alias -d <secs>)
  --interval <secs>      (or alias -i <secs>)
  --recv-timeout <secs>
  --send-timeout <secs>
  --recv-maxsz <size>    (or alias -Z <size>)
  --compat
  --async
  --insecure             (or alias -k)
  --cacert <file>
  --cert <file>          (or alias -E <file>)
  --key <file>
  --pass <passphrase>    decrypt TLS private key
  --psk <hex-key>        configure TLS pre-shared key
  --psk-identity <name>  configure TLS PSK identity

<src> may be one of:
  --file <file>          (or alias -F <file>). Use - for standard input.
  --data <data>          (or alias -D <data>)
";

/// Prints `msg` and a newline to stderr and exits with status 1, like C's `fatal`.
fn fatal(msg: impl Display) -> ! {
    let _ = std::io::stdout().flush();
    let _ = writeln!(std::io::stderr(), "{msg}");
    exit(1)
}

/// Writes to stdout; like C's stdio, a closed stdout is not an error.
fn out(text: std::fmt::Arguments) {
    let _ = std::io::stdout().write_fmt(text);
}

/// Bytes from the command line, shown as text in messages.
fn show(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// C nngcat's `intarg`: decimal digits only, at most `maxv`, with C's `int`
/// arithmetic (which wraps on overflow) and its messages.
fn intarg(val: &[u8], maxv: i32) -> i32 {
    if val.is_empty() {
        fatal("Empty integer argument.");
    }
    let mut v: i32 = 0;
    for &c in val {
        if !c.is_ascii_digit() {
            fatal("Integer argument expected.");
        }
        v = v.wrapping_mul(10).wrapping_add(i32::from(c - b'0'));
        if v > maxv {
            fatal("Integer argument too large.");
        }
    }
    if v < 0 {
        fatal("Integer argument overflow.");
    }
    v
}

/// An OS error's text without Rust's " (os error N)" suffix, as `strerror` gives it.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// C nngcat's `loadfile`: the whole file, or standard input for `-`.
fn loadfile(path: &[u8]) -> Vec<u8> {
    let name = show(path);
    let mut data = Vec::new();
    let res = if path == b"-" {
        std::io::stdin().lock().read_to_end(&mut data)
    } else {
        let mut f = match std::fs::File::open(os_path(path)) {
            Ok(f) => f,
            Err(e) => fatal(format_args!("Cannot open file {name}: {}", strerror(&e))),
        };
        f.read_to_end(&mut data)
    };
    if let Err(e) = res {
        fatal(format_args!("Read from {name} failed: {}", strerror(&e)));
    }
    data
}

#[cfg(unix)]
fn os_path(b: &[u8]) -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(b).into()
}

#[cfg(not(unix))]
fn os_path(b: &[u8]) -> std::path::PathBuf {
    show(b).into_owned().into()
}

/// The nng library version, e.g. `2.0.0` (`nng_version`).
///
/// The safe crate has no wrapper for `nng_version` yet, so this is the one
/// call that goes through `nng::ffi`.
fn nng_version() -> String {
    // SAFETY: nng_version takes no arguments and returns a pointer to a static
    // NUL-terminated string in the library, valid for the whole process.
    let v = unsafe { std::ffi::CStr::from_ptr(nng::ffi::nng_version()) };
    v.to_string_lossy().into_owned()
}

/// Whether an address dials or listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Dial,
    Listen,
}

/// The command line, parsed and checked.
struct Cat {
    format: Option<Format>,
    proto: Option<Opt>,
    verbose: bool,
    delay: i32,
    /// Milliseconds; negative is "none" (infinite), as in C.
    interval: i32,
    sendtimeo: i32,
    recvtimeo: i32,
    data: Option<Vec<u8>>,
    compat: bool,
    async_dial: bool,
    tls: tls::TlsArgs,
    count: i32,
    recvmaxsz: i64,
    addrs: Vec<(Mode, Vec<u8>)>,
    topics: Vec<Vec<u8>>,
}

/// Sets a once-only value, or fails with C's message.
fn once<T>(slot: &mut Option<T>, v: impl FnOnce() -> T, msg: &str) {
    if slot.is_some() {
        fatal(msg);
    }
    *slot = Some(v());
}

fn parse(argv: &[Vec<u8>]) -> Cat {
    let mut c = Cat {
        format: None,
        proto: None,
        verbose: false,
        delay: 0,
        interval: -1,
        sendtimeo: -1,
        recvtimeo: -1,
        data: None,
        compat: false,
        async_dial: false,
        tls: Default::default(),
        count: 0,
        recvmaxsz: -1,
        addrs: Vec::new(),
        topics: Vec::new(),
    };
    const DATA_ONCE: &str = "Data (--file, --data) may be specified only once.";
    const FORMAT_ONCE: &str = "Format may be specified only once.";
    let mut p = Parser::new(argv, SPECS);
    loop {
        let (opt, arg) = match p.next_opt() {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(ArgError::Invalid(i)) => {
                fatal(format_args!("Option {} is invalid.", show(p.word(i))))
            }
            Err(ArgError::Ambiguous(i)) => fatal(format_args!(
                "Option {} is ambiguous (specify in full).",
                show(p.word(i))
            )),
            Err(ArgError::Missing(i)) => fatal(format_args!(
                "Option {} requires argument.",
                show(p.word(i))
            )),
        };
        let arg = arg.unwrap_or_default();
        use Opt::*;
        match opt {
            Help => {
                out(format_args!("{HELP}"));
                fatal_quiet();
            }
            Req0 | Rep0 | Sub0 | Pub0 | Bus0 | Surveyor0 | Respondent0 | Pair | Pair0 | Pair1
            | Push0 | Pull0 => once(&mut c.proto, || opt, "Only one protocol may be specified."),
            Dial => c.addrs.push((Mode::Dial, arg.to_vec())),
            Listen => c.addrs.push((Mode::Listen, arg.to_vec())),
            DialLocal | ListenLocal => {
                let port = intarg(arg, 65536);
                let mode = if opt == DialLocal {
                    Mode::Dial
                } else {
                    Mode::Listen
                };
                c.addrs
                    .push((mode, format!("tcp://127.0.0.1:{port}").into_bytes()));
            }
            DialIpc | ListenIpc => {
                let mode = if opt == DialIpc {
                    Mode::Dial
                } else {
                    Mode::Listen
                };
                let mut url = b"ipc:///".to_vec();
                url.extend_from_slice(arg);
                c.addrs.push((mode, url));
            }
            Count => c.count = intarg(arg, i32::MAX),
            Subscribe => c.topics.push(arg.to_vec()),
            Verbose => c.verbose = true,
            Silent => c.verbose = false,
            Delay => c.delay = intarg(arg, 86400) * 1000,
            Interval => c.interval = intarg(arg, 86400) * 1000,
            SendTimeout => c.sendtimeo = intarg(arg, 86400) * 1000,
            RecvTimeout => c.recvtimeo = intarg(arg, 86400) * 1000,
            RecvMaxSz => {
                c.recvmaxsz = i64::from(intarg(arg, i32::MAX));
                if c.recvmaxsz == 0 {
                    c.recvmaxsz = i64::from(i32::MAX);
                }
            }
            Compat => c.compat = true,
            Async => c.async_dial = true,
            Ascii | Raw | Quoted | Msgpack | Hex => {
                let f = match opt {
                    Ascii => format::Format::Ascii,
                    Raw => format::Format::Raw,
                    Quoted => format::Format::Quoted,
                    Msgpack => format::Format::Msgpack,
                    _ => format::Format::Hex,
                };
                once(&mut c.format, || f, FORMAT_ONCE);
            }
            Format => once(
                &mut c.format,
                || {
                    format::Format::from_name(arg)
                        .unwrap_or_else(|| fatal("Invalid format specified."))
                },
                FORMAT_ONCE,
            ),
            File => once(&mut c.data, || loadfile(arg), DATA_ONCE),
            Data => once(&mut c.data, || arg.to_vec(), DATA_ONCE),
            CaCert | Key | Pass | Psk | PskIdentity | Cert | Insecure => c.tls.parse_opt(opt, arg),
            SocketName => {} // accepted and ignored, as in C
            Version => {
                out(format_args!("{}\n", nng_version()));
                let _ = std::io::stdout().flush();
                exit(0);
            }
        }
    }
    c
}

/// `--help` exits 1 after printing, as C nngcat does.
fn fatal_quiet() -> ! {
    let _ = std::io::stdout().flush();
    exit(1)
}

/// The checks C nngcat makes after parsing, in its order.
fn check(c: &mut Cat) -> Protocol {
    use Opt::*;
    if c.addrs.is_empty() {
        fatal("No address specified.");
    }
    c.tls.check();
    if c.compat {
        if c.async_dial {
            fatal("Options --async and --compat are incompatible.");
        }
        if c.count != 0 {
            fatal("Options --count and --compat are incompatible.");
        }
        if c.proto == Some(Pair) {
            c.proto = Some(Pair0);
        }
        if c.proto == Some(Pair1) {
            fatal("Protocol does not support --compat.");
        }
        c.async_dial = true;
    } else if c.proto == Some(Pair) {
        c.proto = Some(Pair1);
    }
    if c.proto == Some(Sub0) {
        if c.topics.is_empty() {
            c.topics.push(Vec::new()); // subscribe to all
        }
    } else if !c.topics.is_empty() {
        fatal("Protocol does not support --subscribe.");
    }
    let has_data = c.data.is_some();
    let has_interval = c.interval >= 0;
    match c.proto {
        Some(Pull0 | Sub0) => {
            if has_data {
                fatal("Protocol does not support --file or --data.");
            }
            if has_interval {
                fatal("Protocol does not support --interval.");
            }
        }
        Some(Push0 | Pub0) => {
            if c.format.is_some() {
                fatal("Protocol does not support --format options.");
            }
            if !has_data {
                fatal("Protocol requires either --file or --data.");
            }
        }
        Some(Surveyor0 | Req0) if !has_data => fatal("Protocol requires either --file or --data."),
        Some(Rep0 | Respondent0) if has_interval => fatal("Protocol does not support --interval."),
        Some(Pair0 | Pair1 | Bus0) if has_interval && !has_data => {
            fatal("Option --interval requires either --file or --data.")
        }
        _ => {}
    }
    match c.proto {
        Some(Req0) => Protocol::Req0,
        Some(Rep0) => Protocol::Rep0,
        Some(Sub0) => Protocol::Sub0,
        Some(Pub0) => Protocol::Pub0,
        Some(Pair0) => Protocol::Pair0,
        Some(Pair1) => Protocol::Pair1,
        Some(Bus0) => Protocol::Bus0,
        Some(Push0) => Protocol::Push0,
        Some(Pull0) => Protocol::Pull0,
        Some(Surveyor0) => Protocol::Surveyor0,
        Some(Respondent0) => Protocol::Respondent0,
        _ => fatal("No protocol specified."),
    }
}

/// Opens the socket, sets its options and starts every dialer and listener.
fn open(c: &Cat, proto: Protocol) -> Socket {
    let sock =
        Socket::new(proto).unwrap_or_else(|e| fatal(format_args!("Unable to open socket: {e}")));
    for t in &c.topics {
        if let Err(e) = sock.subscribe(t) {
            fatal(format_args!(
                "Unable to subscribe to topic {}: {e}",
                show(t)
            ));
        }
    }
    if c.sendtimeo > 0 {
        if let Err(e) = sock.set_opt::<SendTimeout>(ms(c.sendtimeo)) {
            fatal(format_args!("Unable to set send timeout: {e}"));
        }
    }
    if c.recvtimeo > 0 {
        if let Err(e) = sock.set_opt::<RecvTimeout>(ms(c.recvtimeo)) {
            // C nngcat says "send" here too.
            fatal(format_args!("Unable to set send timeout: {e}"));
        }
    }
    if c.recvmaxsz >= 0 {
        if let Err(e) = sock.set_opt::<RecvMaxSize>(c.recvmaxsz as usize) {
            fatal(format_args!("Unable to set max receive size: {e}"));
        }
    }
    for (mode, url) in &c.addrs {
        let shown = show(url);
        // A URL that is not UTF-8 cannot name any transport.
        let url_str = std::str::from_utf8(url).map_err(|_| Error::AddressInvalid);
        match mode {
            Mode::Dial => {
                let d = url_str
                    .and_then(|u| Dialer::new(&sock, u))
                    .unwrap_or_else(|e| {
                        fatal(format_args!("Unable to create dialer for {shown}: {e}"))
                    });
                c.tls.apply_dialer(&d, &shown);
                let rv = if c.async_dial {
                    d.start_background()
                } else {
                    d.start()
                };
                if let Err(e) = rv {
                    fatal(format_args!("Unable to dial on {shown}: {e}"));
                }
                if c.verbose {
                    if let Ok(u) = d.url() {
                        out(format_args!("Connected to: {u}\n"));
                    }
                }
                d.detach();
            }
            Mode::Listen => {
                let l = url_str
                    .and_then(|u| Listener::new(&sock, u))
                    .unwrap_or_else(|e| {
                        fatal(format_args!("Unable to create listener for {shown}: {e}"))
                    });
                c.tls.apply_listener(&l, &shown);
                if let Err(e) = l.start() {
                    fatal(format_args!("Unable to listen on {shown}: {e}"));
                }
                if c.verbose {
                    if let Ok(u) = l.url() {
                        out(format_args!("Listening at: {u}\n"));
                    }
                }
                l.detach();
            }
        }
    }
    sock
}

/// C's millisecond durations: negative is infinite.
fn ms(v: i32) -> Option<Duration> {
    u64::try_from(v).ok().map(Duration::from_millis)
}

/// Milliseconds since `start`, as C's `nng_clock` differences.
fn elapsed_ms(start: Instant) -> i32 {
    i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX)
}

struct Run<'a> {
    c: &'a Cat,
    sock: Socket,
    out: std::io::Stdout,
}

impl Run<'_> {
    fn print(&mut self, msg: &Message) {
        let format = self.c.format.unwrap_or(Format::Blank);
        // Like C's stdio, output errors (a closed pipe) are not fatal.
        let _ = format.print(&mut self.out, msg.as_slice());
    }

    fn data(&self) -> &[u8] {
        self.c
            .data
            .as_deref()
            .unwrap_or_else(|| fatal("No data to send (specify with --data or --file)"))
    }

    fn send_data(&self) {
        if let Err(e) = self.sock.send(self.data()) {
            fatal(format_args!("Send error: {}", e.error));
        }
    }

    fn recvloop(&mut self) {
        let mut iters = 0;
        loop {
            if self.c.count > 0 && iters >= self.c.count {
                break;
            }
            let rv = self.sock.recv();
            iters += 1;
            match rv {
                Ok(m) => self.print(&m),
                Err(Error::TimedOut | Error::IncorrectState) => return,
                Err(e) => fatal(format_args!("Receive error: {e}")),
            }
        }
    }

    fn resploop(&mut self) {
        let mut iters = 0;
        loop {
            let mut msg = self
                .sock
                .recv()
                .unwrap_or_else(|e| fatal(format_args!("Receive error: {e}")));
            self.print(&msg);
            msg.clear();
            msg.push_back(self.data());
            if let Err(e) = self.sock.send(msg) {
                fatal(format_args!("Send error: {}", e.error));
            }
            iters += 1;
            if self.c.count > 0 && iters >= self.c.count {
                break;
            }
        }
        sleep(Duration::from_millis(200));
    }

    fn pause_before_first(&self) {
        self.data();
        if self.c.delay > 0 {
            sleep(Duration::from_millis(self.c.delay as u64));
        }
    }

    /// Sleeps the rest of the interval, if any is left.
    fn pace(&self, delta: i32) {
        if delta >= 0 && delta < self.c.interval {
            sleep(Duration::from_millis((self.c.interval - delta) as u64));
        }
    }

    fn sendloop(&mut self) {
        self.pause_before_first();
        let mut iters = 0;
        loop {
            let start = Instant::now();
            self.send_data();
            let delta = elapsed_ms(start);
            iters += 1;
            if (self.c.interval < 0 && self.c.count == 0)
                || (self.c.count > 0 && iters >= self.c.count)
            {
                break;
            }
            self.pace(delta);
        }
        // Wait a bit to give queues a chance to drain.
        sleep(Duration::from_millis(200));
    }

    fn sendrecv(&mut self) {
        self.pause_before_first();
        let mut iters = 0;
        loop {
            let start = Instant::now();
            self.send_data();
            if self.c.interval < 0 && self.c.count == 0 {
                // Only one iteration through.
                self.recvloop();
                break;
            }
            loop {
                let mut expire = self.c.interval.saturating_sub(elapsed_ms(start));
                if self.c.recvtimeo >= 0 && expire > self.c.recvtimeo {
                    expire = self.c.recvtimeo;
                }
                // nng refuses durations below -1 (infinite) with NNG_EINVAL;
                // the safe API cannot express them, so report it the same way.
                let rv = if expire < -1 {
                    Err(Error::InvalidInput)
                } else {
                    self.sock.set_opt::<RecvTimeout>(ms(expire))
                };
                if let Err(e) = rv {
                    fatal(format_args!("Cannot set recv timeout: {e}"));
                }
                match self.sock.recv() {
                    Ok(m) => self.print(&m),
                    Err(Error::TimedOut | Error::IncorrectState) => break,
                    Err(e) => fatal(format_args!("Cannot receive: {e}")),
                }
            }
            let delta = elapsed_ms(start);
            iters += 1;
            if self.c.count > 0 && iters >= self.c.count {
                break;
            }
            self.pace(delta);
        }
    }
}

fn main() {
    let argv: Vec<Vec<u8>> = std::env::args_os()
        .map(|a| a.as_encoded_bytes().to_vec())
        .collect();
    let mut c = parse(&argv);
    let proto = check(&mut c);
    let sock = open(&c, proto);
    let has_data = c.data.is_some();
    let mut run = Run {
        c: &c,
        sock,
        out: std::io::stdout(),
    };
    match proto {
        Protocol::Sub0 | Protocol::Pull0 => run.recvloop(),
        Protocol::Rep0 | Protocol::Respondent0 if has_data => run.resploop(),
        Protocol::Rep0 | Protocol::Respondent0 => run.recvloop(),
        Protocol::Push0 | Protocol::Pub0 => run.sendloop(),
        Protocol::Req0 | Protocol::Surveyor0 => run.sendrecv(),
        _ if has_data => run.sendrecv(),
        _ => run.recvloop(),
    }
    let _ = run.out.flush();
}
