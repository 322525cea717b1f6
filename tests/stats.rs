//! Statistics snapshots (`nng_stats_get`).

use nng::options::RecvTimeout;
use nng::stats::{Stat, StatKind, StatUnit, StatValue, Statistics};
use nng::{Dialer, Listener, Protocol, Socket};
use std::time::Duration;

fn counter(scope: &Stat<'_>, name: &str) -> u64 {
    match scope
        .find(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .value()
    {
        StatValue::Counter(v) => v,
        other => panic!("{name} is {other:?}"),
    }
}

fn pair_over_tcp() -> (Socket, Socket, Listener, Dialer) {
    let server = Socket::new(Protocol::Pair1).unwrap();
    server
        .set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))
        .unwrap();
    let l = Listener::new(&server, "tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let client = Socket::new(Protocol::Pair1).unwrap();
    let d = Dialer::new(&client, &format!("tcp://127.0.0.1:{}", l.port().unwrap())).unwrap();
    d.start().unwrap();
    (server, client, l, d)
}

#[test]
fn counters_move_with_traffic() {
    let (server, client, _l, _d) = pair_over_tcp();
    let before = Statistics::get().unwrap();
    let b = before.socket(&server).unwrap();
    let (msgs0, bytes0) = (counter(&b, "rx_msgs"), counter(&b, "rx_bytes"));
    let sent0 = counter(&before.socket(&client).unwrap(), "tx_msgs");

    for _ in 0..3 {
        client.send(b"0123456789").unwrap();
    }
    let mut pipe = None;
    for _ in 0..3 {
        pipe = server.recv().unwrap().pipe();
    }

    let after = Statistics::get().unwrap();
    let a = after.socket(&server).unwrap();
    assert_eq!(counter(&a, "rx_msgs"), msgs0 + 3);
    assert!(counter(&a, "rx_bytes") >= bytes0 + 30);
    assert_eq!(
        counter(&after.socket(&client).unwrap(), "tx_msgs"),
        sent0 + 3
    );

    // The pipe's own counters (kept by the tcp transport).
    let p = after.pipe(pipe.unwrap()).expect("pipe scope");
    assert_eq!(counter(&p, "rx_msgs"), 3);
    assert!(counter(&p, "rx_bytes") >= 30);
    let rx = p.find("rx_bytes").unwrap();
    assert_eq!(rx.kind(), StatKind::Counter);
    assert_eq!(rx.unit(), StatUnit::Bytes);
    assert_eq!(p.find("rx_msgs").unwrap().unit(), StatUnit::Messages);
    assert!(!rx.description().is_empty());
    assert!(rx.timestamp_ms() > 0);
}

#[test]
fn endpoint_scopes_and_kinds() {
    let (server, client, l, d) = pair_over_tcp();
    // A message through means both ends have counted the connection.
    client.send(b"x").unwrap();
    server.recv().unwrap();
    let snap = Statistics::get().unwrap();
    let sock = snap.socket(&server).unwrap();
    assert_eq!(sock.name(), "socket");
    assert_eq!(sock.kind(), StatKind::Scope);
    assert_eq!(sock.value(), StatValue::Scope);
    assert_eq!(
        sock.find("id").unwrap().value(),
        StatValue::Id(u64::from(server.id()))
    );
    assert_eq!(
        sock.find("protocol").unwrap().value(),
        StatValue::String("pair1")
    );
    assert_eq!(sock.find("raw").unwrap().value(), StatValue::Boolean(false));

    let ls = snap.listener(&l).unwrap();
    assert_eq!(ls.name(), "listener");
    assert_eq!(
        ls.find("id").unwrap().value(),
        StatValue::Id(u64::from(l.id()))
    );
    assert_eq!(counter(&ls, "accept"), 1);
    let ds = snap.dialer(&d).unwrap();
    assert_eq!(ds.name(), "dialer");
    assert_eq!(counter(&ds, "connect"), 1);
    assert!(sock.find("no such statistic").is_none());
    assert!(sock.find("bad\0name").is_none());

    // The root's children include this socket's scope; Display prints the tree.
    let ids: Vec<_> = snap
        .root()
        .children()
        .filter(|s| s.name() == "socket")
        .filter_map(|s| s.find("id").map(|i| i.value()))
        .collect();
    assert!(ids.contains(&StatValue::Id(u64::from(server.id()))));
    let text = snap.to_string();
    assert!(
        text.contains("listener:") && text.contains("rx_msgs = "),
        "{text}"
    );
}

#[test]
fn a_snapshot_is_frozen() {
    let (server, client, _l, _d) = pair_over_tcp();
    let snap = Statistics::get().unwrap();
    let before = counter(&snap.socket(&server).unwrap(), "rx_msgs");
    client.send(b"x").unwrap();
    server.recv().unwrap();
    assert_eq!(counter(&snap.socket(&server).unwrap(), "rx_msgs"), before);
    let now = Statistics::get().unwrap();
    assert_eq!(
        counter(&now.socket(&server).unwrap(), "rx_msgs"),
        before + 1
    );
}

#[test]
fn snapshot_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Statistics>();
    check::<Stat<'static>>();
    let _open = Socket::new(Protocol::Pair1).unwrap();
    let snap = Statistics::get().unwrap();
    let n = std::thread::spawn(move || snap.root().children().count())
        .join()
        .unwrap();
    assert!(n > 0);
}
