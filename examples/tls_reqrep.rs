//! Request/reply over TLS (`tls+tcp://`) on 127.0.0.1, with a certificate
//! authority and server certificate generated at run time by `rcgen`.
//!
//! `cargo run --example tls_reqrep` prints each step and exits 0 on success.

use nng::options::RecvTimeout;
use nng::tls::TlsConfig;
use nng::{Protocol, Socket};
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

    let server_tls = TlsConfig::server()
        .cert_key_pem(&cert_pem, &key_pem)
        .build()?;
    let rep = Socket::new(Protocol::Rep0)?;
    rep.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    // Port 0: the system picks one; the listener tells which.
    let listener = rep.listener_tls("tls+tcp://127.0.0.1:0", &server_tls)?;
    listener.start()?;
    let url = listener.url()?;
    println!("server listening on {url}");

    let client_tls = TlsConfig::client()
        .ca_pem(&ca_pem)
        .server_name("localhost")
        .build()?;
    let req = Socket::new(Protocol::Req0)?;
    req.set_opt::<RecvTimeout>(Some(Duration::from_secs(5)))?;
    req.dial_tls(&url, &client_tls)?;
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
