//! `SockAddr` over `nng_sockaddr`, and pipe / dialer addresses.

use nng::options::RecvTimeout;
use nng::{Dialer, Error, Listener, Pipe, Protocol, SockAddr, Socket};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

/// Connects a Req0 socket to a Rep0 one over `url` (the dialer set up by
/// `dialer`), sends one request, and returns the pipe it arrived on at the
/// server and the sockets (kept alive).
fn server_pipe(
    listen_url: &str,
    dial_url: impl FnOnce(&Listener) -> String,
    dialer: impl FnOnce(&Dialer),
) -> (Pipe, Socket, Socket, Listener, Dialer) {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))
        .unwrap();
    let l = Listener::new(&rep, listen_url).unwrap();
    l.start().unwrap();
    let req = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&req, &dial_url(&l)).unwrap();
    dialer(&d);
    d.start().unwrap();
    req.send(b"x").unwrap();
    let pipe = rep.recv().unwrap().pipe().unwrap();
    (pipe, rep, req, l, d)
}

#[test]
fn tcp_v4_pipe_addresses() {
    let conn = server_pipe(
        "tcp://127.0.0.1:0",
        |l| format!("tcp://127.0.0.1:{}", l.port().unwrap()),
        |_| {},
    );
    let pipe = conn.0;
    let SockAddr::V4(me) = pipe.self_addr().unwrap() else {
        panic!("not v4")
    };
    let SockAddr::V4(peer) = pipe.peer_addr().unwrap() else {
        panic!("not v4")
    };
    assert_eq!(*me.ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(*peer.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(peer.port(), 0);
    assert_ne!(peer.port(), me.port());
    let std_peer = SocketAddr::try_from(SockAddr::V4(peer)).unwrap();
    assert_eq!(pipe.peer_addr().unwrap().to_string(), std_peer.to_string());
}

#[test]
fn tcp_v6_pipe_addresses() {
    let rep = Socket::new(Protocol::Rep0).unwrap();
    if Listener::new(&rep, "tcp://[::1]:0")
        .and_then(|l| l.start())
        .is_err()
    {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    let conn = server_pipe(
        "tcp://[::1]:0",
        |l| format!("tcp://[::1]:{}", l.port().unwrap()),
        |_| {},
    );
    let pipe = conn.0;
    let SockAddr::V6(peer) = pipe.peer_addr().unwrap() else {
        panic!("not v6")
    };
    assert_eq!(*peer.ip(), Ipv6Addr::LOCALHOST);
    assert_eq!(
        pipe.peer_addr().unwrap().to_string(),
        format!("[::1]:{}", peer.port())
    );
}

#[test]
fn ipc_and_inproc_pipe_addresses() {
    let path = std::env::temp_dir().join(format!("nng-addr-{}.sock", std::process::id()));
    let url = format!("ipc://{}", path.display());
    let conn = server_pipe(&url, |_| url.clone(), |_| {});
    let pipe = conn.0;
    assert_eq!(pipe.self_addr().unwrap(), SockAddr::Ipc(path.clone()));
    assert_eq!(
        pipe.self_addr().unwrap().to_string(),
        path.display().to_string()
    );
    drop(conn);

    let conn = server_pipe(
        "inproc://addr-test",
        |_| "inproc://addr-test".into(),
        |_| {},
    );
    let pipe = conn.0;
    assert_eq!(
        pipe.self_addr().unwrap(),
        SockAddr::Inproc("addr-test".into())
    );
    assert_eq!(pipe.peer_addr().unwrap().to_string(), "inproc[addr-test]");
    let _ = std::fs::remove_file(path);
}

#[cfg(target_os = "linux")]
#[test]
fn abstract_pipe_addresses() {
    let name = format!("nng-addr-{}", std::process::id());
    let url = format!("abstract://{name}");
    let conn = server_pipe(&url, |_| url.clone(), |_| {});
    let pipe = conn.0;
    assert_eq!(
        pipe.self_addr().unwrap(),
        SockAddr::Abstract(name.as_bytes().to_vec())
    );
    assert!(pipe.self_addr().unwrap().to_string().contains(&name));
}

#[test]
fn dialer_bind_chooses_the_source_address() {
    let conn = server_pipe(
        "tcp://127.0.0.1:0",
        |l| format!("tcp://127.0.0.1:{}", l.port().unwrap()),
        |d| {
            d.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)))
                .unwrap()
        },
    );
    let pipe = conn.0;
    let peer = SocketAddr::try_from(pipe.peer_addr().unwrap()).unwrap();
    assert_eq!(peer.ip(), Ipv4Addr::LOCALHOST);

    let s = Socket::new(Protocol::Req0).unwrap();
    let d = Dialer::new(&s, "inproc://bind-unsupported").unwrap();
    assert_eq!(
        d.bind(&SockAddr::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))),
        Err(Error::NotSupported)
    );
    // An inproc name is not a valid local address for TCP.
    let d = Dialer::new(&s, "tcp://127.0.0.1:1").unwrap();
    assert!(d.bind(&SockAddr::Inproc("x".into())).is_err());
}

#[test]
fn conversions_and_display() {
    let v4: SocketAddr = "10.1.2.3:4567".parse().unwrap();
    let sa = SockAddr::from(v4);
    assert_eq!(sa.to_string(), "10.1.2.3:4567");
    assert_eq!(sa.port(), Some(4567));
    assert_eq!(SocketAddr::try_from(sa).unwrap(), v4);

    let v6 = SocketAddrV6::new("fe80::1".parse().unwrap(), 80, 0, 3);
    let sa = SockAddr::from(v6);
    assert_eq!(
        SocketAddr::try_from(sa.clone()).unwrap(),
        SocketAddr::V6(v6)
    );
    assert!(sa.to_string().contains("fe80::1"), "{sa}");

    assert_eq!(SockAddr::Inproc("name".into()).to_string(), "inproc[name]");
    assert_eq!(SockAddr::Unspecified.to_string(), "unknown");
    assert_eq!(
        SockAddr::Abstract(b"abs".to_vec()).to_string(),
        "abstract[abs]"
    );
    assert_eq!(SockAddr::Inproc("name".into()).port(), None);
    for not_ip in [
        SockAddr::Unspecified,
        SockAddr::Inproc("a".into()),
        SockAddr::Ipc("/a".into()),
        SockAddr::Abstract(vec![0, 1]),
    ] {
        assert_eq!(SocketAddr::try_from(not_ip), Err(Error::AddressInvalid));
    }
    // Too long for nng's buffer: Display still works, binding is refused.
    let long = SockAddr::Inproc("x".repeat(300));
    assert!(long.to_string().contains("xxx"));
}
