//! OpenSSL 3.5 LTS built from source by the crate `openssl-src` (feature
//! `tls-openssl`): nng 2.0's OpenSSL engine needs OpenSSL >= 3.5.

use crate::tls::Engine;
use std::path::Path;

#[cfg(feature = "tls-openssl")]
pub fn build(out_dir: &Path) -> Engine {
    let artifacts = openssl_src::Build::new()
        .out_dir(out_dir.join("openssl"))
        .build();
    let root = artifacts
        .lib_dir()
        .parent()
        .expect("openssl-src installs into a prefix")
        .to_path_buf();
    let version = openssl_src::version()
        .split('+')
        .nth(1)
        .unwrap_or("3.5")
        .to_string();
    Engine::OpenSsl { root, version }
}

#[cfg(not(feature = "tls-openssl"))]
pub fn build(_out_dir: &Path) -> Engine {
    unreachable!("the tls-openssl feature selects this engine")
}
