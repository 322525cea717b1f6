//! TLS handshakes per second over `tls+tcp://` on 127.0.0.1: one client dials,
//! completes a verified handshake (ECDSA P-256 certificate), exchanges one
//! request and reply, and hangs up, again and again. Prints the engine, the
//! highest protocol version it speaks, and the rate.
//!
//! `cargo run --release --example tls_handshakes [-- SECONDS]` (default 5).
//! Compare engines with `--features tls-openssl` or `--features tls-mbedtls-2`.
//! A benchmark that prints, not a test: nothing is asserted about the rate.

use nng::options::RecvTimeout;
use nng::tls::{TlsConfig, TlsVersion};
use nng::{Protocol, Socket};
use std::time::{Duration, Instant};

#[path = "common/certs.rs"]
mod certs;

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let seconds: f64 = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 5.0,
    };
    let (ca_pem, cert_pem, key_pem) = certs::make_certificates()?;
    let server_tls = TlsConfig::server()
        .cert_key_pem(&cert_pem, &key_pem)
        .build()?;
    let client = TlsConfig::client().ca_pem(&ca_pem).server_name("localhost");
    // The highest version the engine speaks, alone (mbedTLS 2.28 has no 1.3).
    let (client_tls, tls13) = match client
        .clone()
        .versions(TlsVersion::Tls13, TlsVersion::Tls13)
        .build()
    {
        Ok(tls) => (tls, true),
        Err(_) => (
            client
                .versions(TlsVersion::Tls12, TlsVersion::Tls12)
                .build()?,
            false,
        ),
    };

    let rep = std::sync::Arc::new(Socket::new(Protocol::Rep0)?);
    let listener = rep.listener_tls("tls+tcp://127.0.0.1:0", &server_tls)?;
    listener.start()?;
    let url = listener.url()?;
    let server_rep = rep.clone();
    let server = std::thread::spawn(move || {
        let rep = server_rep;
        while let Ok(request) = rep.recv() {
            if rep.send(request).is_err() {
                break;
            }
        }
    });

    let req = Socket::new(Protocol::Req0)?;
    req.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        let dialer = req.dialer_tls(&url, &client_tls)?;
        dialer.start()?;
        req.send(b"hello")?;
        req.recv()?;
        drop(dialer); // closes the connection
        count += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "engine: {} ({}), protocol: TLS {}",
        nng::tls::engine_name(),
        nng::tls::engine_description(),
        if tls13 { "1.3" } else { "1.2" }
    );
    println!(
        "handshakes: {count} in {elapsed:.2} s = {:.1} handshakes/s (one client, each with a round trip)",
        count as f64 / elapsed
    );
    drop(req);
    drop(listener);
    rep.close()?; // ends the server's recv
    let _ = server.join();
    Ok(())
}
