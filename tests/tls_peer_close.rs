//! A TLS connection closed by the peer while requests flow both ways: the
//! dialing side must notice (its pipe closes, it redials, and req resends the
//! requests in flight), so every request is answered.
//!
//! Found by the soak (`examples/soak.rs`); nng bug `tls-bio-failed-ops`,
//! fixed in nng-sys (`nng-sys/patches/README.md`). On nng 2.0.0 the dialer's
//! pipe sometimes never closes and every request on it waits forever. When the
//! TCP connection fails, `tls_bio_error` (`src/supplemental/tls/tls_common.c`)
//! marks the BIO closed and `tls_conn_err` fails the user operations queued
//! *at that moment*; an operation started afterwards (`nni_tls_recv`,
//! `nni_tls_send`; the SP transport restarts its receive after each message)
//! is queued and never completed: `conn->closed` is not set by a BIO error,
//! the engine then waits for BIO data (`nng_tls_engine_recv` returns
//! `NNG_EAGAIN`, `tls_bio_recv_start` does nothing once `bio_closed`) and
//! sends are buffered for a BIO that will never write them. The transport
//! never sees an error, so the pipe stays open with nothing behind it.
//! `NNG_SYS_SKIP_FIXES=tls-bio-failed-ops` builds nng without the fix: then
//! the tls+tcp and wss tests fail.

use nng::options::{ReconnectMaxTime, ReconnectMinTime, RecvTimeout, ReqResendTick, ReqResendTime};
use nng::tls::TlsConfig;
use nng::{Context, Pipe, PipeEvent, Protocol, Socket};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{certs, echo_until_closed};

/// Far longer than a request takes with resend every 100 ms, even with the
/// connection closed under it.
const STALLED: Duration = Duration::from_secs(10);
/// How long the server keeps closing connections.
const CLOSING_FOR: Duration = Duration::from_secs(8);

fn server_closes_connections(scheme: &str) {
    // A path for ws and wss (the HTTP request URI); tcp takes none.
    let path = if scheme.starts_with("ws") { "/t" } else { "" };
    let (ca, cert, key) = certs::make_certificates().unwrap();
    let server_tls = TlsConfig::server()
        .cert_key_pem(&cert, &key)
        .build()
        .unwrap();
    let client_tls = TlsConfig::client()
        .ca_pem(&ca)
        .server_name("localhost")
        .build()
        .unwrap();

    let rep = Arc::new(Socket::new(Protocol::Rep0).unwrap());
    let pipes: Arc<Mutex<Vec<Pipe>>> = Arc::default();
    let p = pipes.clone();
    rep.pipe_notify(PipeEvent::AddPost, move |_, pipe| {
        p.lock().unwrap().push(pipe)
    })
    .unwrap();
    let tls = scheme == "tls+tcp" || scheme == "wss";
    let any_url = format!("{scheme}://127.0.0.1:0{path}");
    let listener = if tls {
        rep.listener_tls(&any_url, &server_tls).unwrap()
    } else {
        rep.listener(&any_url).unwrap()
    };
    listener.start().unwrap();
    let url = format!("{scheme}://127.0.0.1:{}{path}", listener.port().unwrap());
    // Echo servers, one per context.
    let servers: Vec<_> = (0..4)
        .map(|_| echo_until_closed(Context::new(&rep).unwrap()))
        .collect();

    let req = Arc::new(Socket::new(Protocol::Req0).unwrap());
    req.set_opt::<ReqResendTime>(Some(Duration::from_millis(100)))
        .unwrap();
    req.set_opt::<ReqResendTick>(Some(Duration::from_millis(20)))
        .unwrap();
    req.set_opt::<ReconnectMinTime>(Some(Duration::from_millis(10)))
        .unwrap();
    req.set_opt::<ReconnectMaxTime>(Some(Duration::from_millis(100)))
        .unwrap();
    if tls {
        req.dial_tls(&url, &client_tls).unwrap();
    } else {
        req.dial(&url).unwrap();
    }

    // Clients: requests of 100 bytes, every 16th of 64 KiB, back to back.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4usize)
        .map(|w| {
            let (req, stop) = (req.clone(), stop.clone());
            std::thread::spawn(move || -> Result<u64, String> {
                let ctx = Context::new(&req).unwrap();
                ctx.set_opt::<RecvTimeout>(Some(STALLED)).unwrap();
                let mut n = 0u64;
                while !stop.load(Relaxed) {
                    let len = if n as usize % 16 == w { 65536 } else { 100 };
                    let body = vec![n as u8; len];
                    ctx.send(body.clone()).map_err(|e| e.error.to_string())?;
                    let t0 = Instant::now();
                    match ctx.recv() {
                        Ok(m) if m.as_slice() == body => n += 1,
                        Ok(m) => return Err(format!("wrong reply: {} bytes", m.len())),
                        Err(e) => {
                            return Err(format!(
                                "request {n} of client {w}: {e} after {:?}",
                                t0.elapsed()
                            ))
                        }
                    }
                }
                Ok(n)
            })
        })
        .collect();

    // Close the server's newest connection every 50 ms.
    let t0 = Instant::now();
    let mut closed = 0;
    while t0.elapsed() < CLOSING_FOR && !clients.iter().any(|c| c.is_finished()) {
        std::thread::sleep(Duration::from_millis(50));
        let newest = pipes.lock().unwrap().last().copied();
        if newest.is_some_and(|p| p.close().is_ok()) {
            closed += 1;
        }
    }
    stop.store(true, Relaxed);
    let answered: Vec<Result<u64, String>> =
        clients.into_iter().map(|c| c.join().unwrap()).collect();
    rep.close().unwrap();
    for s in servers {
        s.join().unwrap();
    }
    let failed: Vec<&String> = answered.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{scheme}: after {closed} connections closed by the server: {failed:?}"
    );
    assert!(closed > 10, "{scheme}: only {closed} connections closed");
}

// The same over the plain transports: they pass, which shows the test asks
// nothing a transport cannot do.
#[test]
fn tcp_dialer_sees_server_close() {
    server_closes_connections("tcp");
}

#[test]
fn ws_dialer_sees_server_close() {
    server_closes_connections("ws");
}

#[test]
fn tls_tcp_dialer_sees_server_close() {
    server_closes_connections("tls+tcp");
}

#[test]
fn wss_dialer_sees_server_close() {
    server_closes_connections("wss");
}
