//! Every option of the options table set with arbitrary values on a socket
//! (of any protocol, cooked or raw), a context, a dialer and a listener (of
//! any transport). Each set gives `Ok` or a typed error, never a panic or an
//! abort; an option that is also readable from that handle must read back
//! what was set (durations at millisecond precision). Nothing is started.
//!
//! `ListenFd` and `SocketFd` take an `OwnedFd` (nng closes it later): they get
//! descriptors of several kinds made for them here.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nng::options::*;
use nng::{Context, Dialer, Listener, Protocol, Socket};
use std::ffi::CStr;
use std::os::fd::OwnedFd;
use std::time::Duration;

/// Endpoint URLs, one per transport (none is started: no traffic).
const URLS: &[&str] = &[
    "tcp://127.0.0.1:1",
    "tcp://[::1]:1",
    "tls+tcp://127.0.0.1:1",
    "ws://127.0.0.1:1/fuzz",
    "wss://127.0.0.1:1/fuzz",
    "ipc:///tmp/nng-fuzz-options.sock",
    "abstract://nng-fuzz-options",
    "inproc://nng-fuzz-options",
    "udp://127.0.0.1:1",
    "socket://",
];

/// What reading an option back must give after setting `self` on a handle
/// of transport `scheme` ("" for sockets and contexts).
trait ReadsBackAs: Sized {
    fn read_back(&self, opt: &CStr, scheme: &str) -> Self;
}

macro_rules! reads_back_unchanged {
    ($($t:ty),*) => {$(
        impl ReadsBackAs for $t {
            fn read_back(&self, _: &CStr, _: &str) -> Self {
                self.clone()
            }
        }
    )*};
}
reads_back_unchanged!(bool, i32, u64, String);

impl ReadsBackAs for usize {
    /// nng's udp transport documents that it limits the receive size to
    /// 65000 bytes (0, unlimited elsewhere, becomes 65000 too).
    fn read_back(&self, opt: &CStr, scheme: &str) -> Self {
        if opt == RecvMaxSize::NAME && scheme == "udp" && (*self == 0 || *self > 65000) {
            65000
        } else {
            *self
        }
    }
}

impl ReadsBackAs for Option<Duration> {
    /// Whole milliseconds, a fraction rounded up, saturating at `i32::MAX` ms
    /// (the `options` docs).
    fn read_back(&self, _: &CStr, _: &str) -> Self {
        self.map(|d| {
            let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            Duration::from_millis(ms.min(i32::MAX as u128) as u64)
        })
    }
}

/// For handle type `$h`, an enum `$name` with one variant per option it can
/// write (`rw`: and read back; `wo`: write only) or only read (`ro`).
macro_rules! handle_options {
    ($name:ident for $h:ty { rw: [$($rw:ident),*], wo: [$($wo:ident),*], ro: [$($ro:ident),*] }) => {
        #[derive(Arbitrary, Debug)]
        enum $name {
            $( $rw(<$rw as Opt>::Value), )*
            $( $wo(<$wo as Opt>::Value), )*
            $( $ro, )*
        }

        impl $name {
            fn apply(self, h: &$h, scheme: &str) {
                match self {
                    $( $name::$rw(v) => {
                        let want = v.read_back($rw::NAME, scheme);
                        if h.set_opt::<$rw>(v).is_ok() {
                            let got = h.get_opt::<$rw>();
                            assert_eq!(got, Ok(want), concat!(stringify!($rw), " on ", stringify!($h)));
                        }
                    } )*
                    $( $name::$wo(v) => { let _typed = h.set_opt::<$wo>(v); } )*
                    $( $name::$ro => { let _typed = h.get_opt::<$ro>(); } )*
                }
            }
        }
    };
}

handle_options!(SocketOpt for Socket {
    rw: [RecvBufferSize, SendBufferSize, RecvTimeout, SendTimeout, MaxTtl, RecvMaxSize,
         ReconnectMinTime, ReconnectMaxTime, ReqResendTime, ReqResendTick, SurveyTime,
         SubPreferNew],
    wo: [],
    ro: [Pair1Polyamorous]
});

handle_options!(ContextOpt for Context {
    rw: [RecvBufferSize, RecvTimeout, SendTimeout, ReqResendTime, SurveyTime, SubPreferNew],
    wo: [],
    ro: []
});

handle_options!(DialerOpt for Dialer {
    rw: [RecvMaxSize, ReconnectMinTime, ReconnectMaxTime, TcpNoDelay, TcpKeepAlive, WsProtocol,
         WsSendMaxFrame, WsRecvMaxFrame, WsSendText, WsRecvText, UdpCopyMax, UdpConnRetry,
         UdpConnExpire, UdpMaxPeers],
    wo: [],
    ro: []
});

handle_options!(ListenerOpt for Listener {
    rw: [RecvMaxSize, TcpNoDelay, TcpKeepAlive, WsProtocol, WsTree, WsSendMaxFrame,
         WsRecvMaxFrame, WsSendText, WsRecvText, UdpCopyMax, UdpConnRetry, UdpConnExpire,
         UdpMaxPeers],
    wo: [IpcPermissions, IpcOwner, IpcGroup],
    ro: [BoundPort]
});

/// A descriptor to hand over with `ListenFd` / `SocketFd` (moved in: nng
/// owns it if it accepts it, and it is closed if not).
#[derive(Arbitrary, Debug)]
enum Fd {
    /// A bound, listening TCP socket on loopback.
    TcpListener,
    /// One end of a connected UNIX socket pair.
    UnixStream,
    /// A listening UNIX socket in the abstract namespace.
    UnixListener,
    /// Not a socket at all.
    File,
}

impl Fd {
    fn make(&self) -> Option<OwnedFd> {
        use std::os::unix::net::{UnixListener, UnixStream};
        Some(match self {
            Fd::TcpListener => std::net::TcpListener::bind("127.0.0.1:0").ok()?.into(),
            Fd::UnixStream => UnixStream::pair().ok()?.0.into(),
            Fd::UnixListener => {
                use std::os::linux::net::SocketAddrExt;
                let name = format!("nng-fuzz-{}", std::process::id());
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name).ok()?;
                UnixListener::bind_addr(&addr).ok()?.into()
            }
            Fd::File => std::fs::File::open("/dev/null").ok()?.into(),
        })
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Socket(SocketOpt),
    Context(ContextOpt),
    Dialer(DialerOpt),
    Listener(ListenerOpt),
    ListenFd(Fd),
    SocketFd(Fd),
    DialerWsHeader(String, String),
    ListenerWsHeader(String, String),
    Subscribe(Vec<u8>),
    Unsubscribe(Vec<u8>),
    ContextSubscribe(Vec<u8>),
    ContextUnsubscribe(Vec<u8>),
    /// Closes the socket: later sets on any handle must fail typed.
    CloseSocket,
}

#[derive(Arbitrary, Debug)]
struct Input {
    protocol: u8,
    raw: bool,
    dialer_url: u8,
    listener_url: u8,
    ops: Vec<Op>,
}

fn pick<T: Copy>(items: &[T], i: u8) -> T {
    items[usize::from(i) % items.len()]
}

fuzz_target!(|input: Input| {
    let protocol = pick(&Protocol::ALL, input.protocol);
    let socket = if input.raw {
        Socket::new_raw(protocol)
    } else {
        Socket::new(protocol)
    };
    let Ok(socket) = socket else {
        return; // e.g. pair1 polyamorous has no raw mode
    };
    let context = Context::new(&socket).ok();
    let (dialer_url, listener_url) = (pick(URLS, input.dialer_url), pick(URLS, input.listener_url));
    let dialer = Dialer::new(&socket, dialer_url).ok();
    let listener = Listener::new(&socket, listener_url).ok();
    let scheme = |url: &'static str| url.split_once("://").map_or("", |(s, _)| s);

    for op in input.ops {
        match op {
            Op::Socket(o) => o.apply(&socket, ""),
            Op::Context(o) => {
                if let Some(c) = &context {
                    o.apply(c, "")
                }
            }
            Op::Dialer(o) => {
                if let Some(d) = &dialer {
                    o.apply(d, scheme(dialer_url))
                }
            }
            Op::Listener(o) => {
                if let Some(l) = &listener {
                    o.apply(l, scheme(listener_url))
                }
            }
            Op::ListenFd(fd) => {
                if let (Some(l), Some(fd)) = (&listener, fd.make()) {
                    let _typed = l.set_opt::<ListenFd>(fd);
                }
            }
            Op::SocketFd(fd) => {
                if let (Some(l), Some(fd)) = (&listener, fd.make()) {
                    let _typed = l.set_opt::<SocketFd>(fd);
                }
            }
            Op::DialerWsHeader(k, v) => {
                let _typed = dialer.as_ref().map(|d| d.set_ws_header(&k, &v));
            }
            Op::ListenerWsHeader(k, v) => {
                let _typed = listener.as_ref().map(|l| l.set_ws_header(&k, &v));
            }
            Op::Subscribe(p) => {
                let _typed = socket.subscribe(&p);
            }
            Op::Unsubscribe(p) => {
                let _typed = socket.unsubscribe(&p);
            }
            Op::ContextSubscribe(p) => {
                let _typed = context.as_ref().map(|c| c.subscribe(&p));
            }
            Op::ContextUnsubscribe(p) => {
                let _typed = context.as_ref().map(|c| c.unsubscribe(&p));
            }
            Op::CloseSocket => {
                let _typed = socket.close();
                // Nothing can be set on a closed socket.
                assert!(socket.set_opt::<RecvTimeout>(None).is_err());
            }
        }
    }
});
