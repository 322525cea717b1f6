//! The option table: every option, its C name, its value type, and the
//! handles that may read or write it.

use super::convert::cstr;
use super::{Get, HandedOverFd, Opt, Set};
use crate::ffi;
use crate::{Context, Dialer, Listener, Pipe, Socket};
use std::ffi::CStr;
use std::time::Duration;

/// The option table: name, C constant, value type, and who may read or write.
macro_rules! options {
    ($( $(#[$doc:meta])* $name:ident = $c:ident : $ty:ty;
        get: [$($g:ident),*]; set: [$($s:ident),*]; )*) => {$(
        $(#[$doc])*
        #[doc = ""]
        #[doc = concat!("C name: `", stringify!($c), "`. Value: `", stringify!($ty), "`.")]
        #[doc = concat!("Readable from: ", $("[`", stringify!($g), "`] ",)* ".")]
        #[doc = concat!("Writable on: ", $("[`", stringify!($s), "`] ",)* ".")]
        #[doc = ""]
        #[doc = concat!("```\nuse nng::options::{Opt, ", stringify!($name), "};\nlet name = ", stringify!($name), "::NAME.to_bytes_with_nul();\nassert_eq!(name, nng::ffi::", stringify!($c), ");\n```")]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name;
        impl Opt for $name {
            const NAME: &'static CStr = cstr(ffi::$c);
            type Value = $ty;
        }
        $( impl Get<$g> for $name {} )*
        $( impl Set<$s> for $name {} )*
    )*};
}

options! {
    /// Messages (0-8192) buffered for receiving. A sub0 context has its own.
    RecvBufferSize = NNG_OPT_RECVBUF: i32; get: [Socket, Context]; set: [Socket, Context];
    /// Messages (0-8192) buffered for sending.
    SendBufferSize = NNG_OPT_SENDBUF: i32; get: [Socket]; set: [Socket];
    /// Default timeout of receive operations; `None` waits forever.
    RecvTimeout = NNG_OPT_RECVTIMEO: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// Default timeout of send operations; `None` waits forever.
    SendTimeout = NNG_OPT_SENDTIMEO: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// Maximum hops (1-255) through devices, against forwarding loops.
    MaxTtl = NNG_OPT_MAXTTL: i32; get: [Socket]; set: [Socket];
    /// Largest message accepted from a peer, in bytes (0 = unlimited; nng 2.0
    /// defaults to 1 GiB). On a socket it seeds dialers and listeners created
    /// afterwards; set it on an endpoint to change that endpoint.
    RecvMaxSize = NNG_OPT_RECVMAXSZ: usize; get: [Socket, Dialer, Listener, Pipe]; set: [Socket, Dialer, Listener];
    /// Shortest wait before a dialer reconnects. On a socket it seeds new dialers.
    ReconnectMinTime = NNG_OPT_RECONNMINT: Option<Duration>; get: [Socket, Dialer]; set: [Socket, Dialer];
    /// Longest wait between reconnect attempts (exponential back-off cap).
    /// On a socket it seeds new dialers.
    ReconnectMaxTime = NNG_OPT_RECONNMAXT: Option<Duration>; get: [Socket, Dialer]; set: [Socket, Dialer];
    /// Disables Nagle's algorithm (tcp, tls, ws, wss); `true` by default.
    TcpNoDelay = NNG_OPT_TCP_NODELAY: bool; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// TCP keep-alive probes (tcp, tls, ws, wss); `false` by default.
    TcpKeepAlive = NNG_OPT_TCP_KEEPALIVE: bool; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// The locally bound port of a started tcp, ws, tls, wss or udp listener,
    /// e.g. after listening on port 0 (see also [`Listener::port`]).
    BoundPort = NNG_OPT_BOUND_PORT: i32; get: [Listener]; set: [];
    /// UNIX file mode of an ipc listener's socket file (set before starting).
    IpcPermissions = NNG_OPT_IPC_PERMISSIONS: i32; get: []; set: [Listener];
    /// UNIX user id for an ipc listener's socket file (set before starting).
    IpcOwner = NNG_OPT_IPC_OWNER: i32; get: []; set: [Listener];
    /// UNIX group id for an ipc listener's socket file (set before starting).
    IpcGroup = NNG_OPT_IPC_GROUP: i32; get: []; set: [Listener];
    /// User id of the peer process (ipc, and tcp on the same host where supported).
    PeerUid = NNG_OPT_PEER_UID: i32; get: [Pipe]; set: [];
    /// Group id of the peer process.
    PeerGid = NNG_OPT_PEER_GID: i32; get: [Pipe]; set: [];
    /// Process id of the peer process.
    PeerPid = NNG_OPT_PEER_PID: i32; get: [Pipe]; set: [];
    /// Zone id of the peer process (illumos/Solaris).
    PeerZoneId = NNG_OPT_PEER_ZONEID: i32; get: [Pipe]; set: [];
    /// An already-listening socket for a tcp or ipc listener (socket
    /// activation), set before starting it. nng takes it over.
    ListenFd = NNG_OPT_LISTEN_FD: HandedOverFd; get: []; set: [Listener];
    /// A connected stream socket handed to a `socket://` listener, which
    /// takes it over.
    SocketFd = NNG_OPT_SOCKET_FD: HandedOverFd; get: []; set: [Listener];
    /// WebSocket subprotocol (`Sec-WebSocket-Protocol`); SP sockets set it themselves.
    WsProtocol = NNG_OPT_WS_PROTOCOL: String; get: [Dialer, Listener, Pipe]; set: [Dialer, Listener];
    /// The request URI the WebSocket client sent.
    WsRequestUri = NNG_OPT_WS_REQUEST_URI: String; get: [Pipe]; set: [];
    /// Listener-only: also accept requests for child paths of its URL.
    WsTree = NNG_OPT_WS_TREE: bool; get: [Listener]; set: [Listener];
    /// Largest WebSocket frame sent before fragmenting (default 64 KiB).
    WsSendMaxFrame = NNG_OPT_WS_SENDMAXFRAME: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Largest WebSocket frame accepted; bigger frames close the connection.
    WsRecvMaxFrame = NNG_OPT_WS_RECVMAXFRAME: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Raw streams only: send text frames instead of binary.
    WsSendText = NNG_OPT_WS_SEND_TEXT: bool; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Raw streams only: accept text frames as well as binary.
    WsRecvText = NNG_OPT_WS_RECV_TEXT: bool; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// Whether the TLS peer was verified (tls+tcp, wss).
    TlsVerified = NNG_OPT_TLS_VERIFIED: bool; get: [Pipe]; set: [];
    /// Common name of the TLS peer's certificate (tls+tcp, wss).
    TlsPeerCn = NNG_OPT_TLS_PEER_CN: String; get: [Pipe]; set: [];
    /// UDP: size above which received messages are loaned rather than copied.
    UdpCopyMax = NNG_OPT_UDP_COPY_MAX: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: interval between connection requests while dialing (positive).
    UdpConnRetry = NNG_OPT_UDP_CONN_RETRY: Option<Duration>; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: time allowed to establish a connection (positive).
    UdpConnExpire = NNG_OPT_UDP_CONN_EXPIRE: Option<Duration>; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// UDP: most peers a listener admits (0 = no limit).
    UdpMaxPeers = NNG_OPT_UDP_MAX_PEERS: usize; get: [Dialer, Listener]; set: [Dialer, Listener];
    /// req0: resend a request not answered within this time; `None` never resends.
    ReqResendTime = NNG_OPT_REQ_RESENDTIME: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// req0: granularity of the resend clock (default 1 s).
    ReqResendTick = NNG_OPT_REQ_RESENDTICK: Option<Duration>; get: [Socket]; set: [Socket];
    /// surveyor0: how long a survey collects responses.
    SurveyTime = NNG_OPT_SURVEYOR_SURVEYTIME: Option<Duration>; get: [Socket, Context]; set: [Socket, Context];
    /// pair1: whether the socket is polyamorous (read-only; open one with
    /// [`Protocol::Pair1Poly`](crate::Protocol::Pair1Poly)).
    Pair1Polyamorous = NNG_OPT_PAIR1_POLY: bool; get: [Socket]; set: [];
    /// sub0: when the receive queue is full, drop the oldest (`true`, default)
    /// or the newest message.
    SubPreferNew = NNG_OPT_SUB_PREFNEW: bool; get: [Socket, Context]; set: [Socket, Context];
}
