//! Request/reply over TLS (`tls+tcp://`) on 127.0.0.1, with a certificate
//! authority and server certificate generated at run time by `rcgen`.
//!
//! `cargo run --example tls_reqrep` prints each step and exits 0 on success.

use nng::options::RecvTimeout;
use nng::tls::{TlsConfig, TlsMode};
use nng::{Dialer, Listener, Protocol, Socket};
use std::time::Duration;

#[path = "common/certs.rs"]
mod certs;
use certs::make_certificates;

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    println!(
        "TLS engine: {} ({})",
        nng::tls::engine_name(),
        nng::tls::engine_description()
    );
    let (ca_pem, cert_pem, key_pem) = make_certificates()?;
    println!("generated a CA and a server certificate for \"localhost\"");

    let server_tls = TlsConfig::new(TlsMode::Server)?;
    server_tls.own_cert(&cert_pem, &key_pem, None)?;
    let rep = Socket::new(Protocol::Rep0)?;
    rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    let listener = Listener::new(&rep, "tls+tcp://127.0.0.1:0")?;
    listener.set_tls(&server_tls)?;
    listener.start()?;
    let url = format!("tls+tcp://127.0.0.1:{}", listener.port()?);
    println!("server listening on {url}");

    let client_tls = TlsConfig::new(TlsMode::Client)?;
    client_tls.ca_chain(&ca_pem, None)?;
    client_tls.server_name("localhost")?;
    let req = Socket::new(Protocol::Req0)?;
    req.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    let dialer = Dialer::new(&req, &url)?;
    dialer.set_tls(&client_tls)?;
    dialer.start()?;
    println!("client connected; TLS handshake verified the server");

    req.send(b"ping")?;
    let request = rep.recv()?;
    println!(
        "server received {:?}",
        String::from_utf8_lossy(request.as_slice())
    );
    rep.send(b"pong")?;
    let reply = req.recv()?;
    println!(
        "client received {:?}",
        String::from_utf8_lossy(reply.as_slice())
    );
    if reply.as_slice() != b"pong" {
        return Err("wrong reply".into());
    }

    let pipe = reply.pipe().ok_or("reply without a pipe")?;
    let cert = pipe.peer_cert()?;
    println!(
        "server certificate: subject \"{}\", issuer \"{}\", names {:?}, verified: {}",
        cert.subject(),
        cert.issuer(),
        cert.alt_names(),
        pipe.peer_verified()?
    );
    println!("peer address: {}", pipe.peer_addr()?);
    println!("ok");
    Ok(())
}
