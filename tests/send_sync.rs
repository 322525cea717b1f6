//! Compile-time thread-safety guarantees. The negative side (what must NOT
//! compile) is pinned by `compile_fail` doctests: `Device` is not `Sync`
//! (`Device::stop`), a `Message` cannot be mutated through `&Message` or used
//! after it was sent (`nng::message` module), options cannot be misused
//! (`nng::options` module).

use nng::future::DialFuture;
use nng::{Device, DeviceError, Dialer, Error, Listener, Message, Protocol, SendError, Socket};

const fn send_sync<T: Send + Sync>() {}
const fn send<T: Send>() {}

// Evaluated at compile time: the test file does not build if one fails.
const _: () = {
    send_sync::<Socket>();
    send_sync::<Dialer>();
    send_sync::<Listener>();
    send_sync::<Message>();
    send_sync::<Error>();
    send_sync::<SendError>();
    send_sync::<DeviceError>();
    send_sync::<DialFuture>();
    send_sync::<Protocol>();
    send::<Device>();
};

// A built TLS configuration is shared between endpoints, sockets and threads
// (it has no setters: the `compile_fail` doctest on `TlsConfig` pins that).
#[cfg(nng_tls)]
const _: () = {
    use nng::tls::{TlsCert, TlsConfig, TlsConfigBuilder, TlsConfigError};
    send_sync::<TlsConfig>();
    send_sync::<TlsConfigBuilder>();
    send_sync::<TlsConfigError>();
    send_sync::<TlsCert>();
};

#[test]
fn one_socket_shared_by_many_threads() {
    let url = format!("inproc://send-sync-{}", std::process::id());
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.set_opt::<nng::options::RecvTimeout>(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    pull.listen(&url).unwrap();
    let push = Socket::new(Protocol::Push0).unwrap();
    push.dial(&url).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let push = &push;
            s.spawn(move || {
                for i in 0..25u32 {
                    let mut m = Message::new();
                    m.push_back_u32(t * 100 + i);
                    push.send(m).unwrap();
                }
            });
        }
        let mut got: Vec<u32> = (0..100)
            .map(|_| pull.recv().unwrap().pop_back_u32().unwrap())
            .collect();
        got.sort_unstable();
        let want: Vec<u32> = (0..4)
            .flat_map(|t| (0..25).map(move |i| t * 100 + i))
            .collect();
        assert_eq!(got, want);
    });
}

#[test]
fn endpoints_move_to_other_threads_and_drop_there() {
    let s = Socket::new(Protocol::Rep0).unwrap();
    let l = s.listener("tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let d = s.dialer(&l.url().unwrap()).unwrap();
    let port = std::thread::spawn(move || {
        let p = l.port().unwrap();
        drop(d);
        drop(l);
        p
    })
    .join()
    .unwrap();
    assert!(port > 0);
    std::thread::spawn(move || drop(s)).join().unwrap();
}
