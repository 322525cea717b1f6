//! Fixes to nng 2.0.0's C source, applied to a copy in `OUT_DIR` before it is
//! built (the fetched source itself stays as its checksum says). Each fix is a
//! textual replacement that must match exactly once: a different nng source
//! stops the build naming the fix, rather than building without it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

struct Fix {
    file: &'static str,
    why: &'static str,
    from: &'static str,
    to: &'static str,
}

const FIXES: &[Fix] = &[Fix {
    file: "src/core/message.c",
    why: "nni_chunk_insert, when the room is after the body, moves the body to where \
          the prepended bytes then go, overwriting its first bytes and leaving stale ones \
          at the end; reached by nng_msg_insert and by inproc's nni_msg_pull_up \
          (tests/message.rs, found by fuzz/message)",
    from: "memmove(ch->ch_buf + shift, ch->ch_ptr, ch->ch_len);",
    to: "memmove(ch->ch_buf + shift + len, ch->ch_ptr, ch->ch_len);",
}];

/// Fixes to nng 2.0.0's OpenSSL engine (`tls-openssl`), found by running the
/// crate's TLS tests on it (tests/tls.rs). Applied in every build: the file is
/// compiled only when that engine is selected.
const OPENSSL_ENGINE_FIXES: &[Fix] = &[
    Fix {
        file: "src/supplemental/tls/openssl/openssl.c",
        why: "ossl_cert_get_der passes an uninitialised pointer to i2d_X509, which then \
              writes the DER through it and advances it, and the code frees the advanced \
              pointer (glibc: munmap_chunk(): invalid pointer; reached by \
              nng_tls_cert_get_der, e.g. Pipe::peer_cert().der(), tests/tls.rs \
              mutual_tls_tcp); the ENOSPC path also leaked the encoding",
        from: "\tuint8_t *der;\n\tint      derSz;\n\tderSz = i2d_X509(cert->crt, &der);\n\tif (*sz < (size_t) derSz) {\n\t\t*sz = (size_t) derSz;\n\t\treturn (NNG_ENOSPC);\n\t}",
        to: "\tuint8_t *der = NULL;\n\tint      derSz;\n\tderSz = i2d_X509(cert->crt, &der);\n\tif (derSz < 0) {\n\t\treturn (NNG_ECRYPTO);\n\t}\n\tif (*sz < (size_t) derSz) {\n\t\t*sz = (size_t) derSz;\n\t\tOPENSSL_free(der);\n\t\treturn (NNG_ENOSPC);\n\t}",
    },
    Fix {
        file: "src/supplemental/tls/openssl/openssl.c",
        why: "ossl_config_ca_chain accepts PEM text holding no certificate (the \
              configuration then trusts nothing, where the mbedTLS engine says \
              NNG_ECRYPTO), ignores a CRL it cannot parse, leaks the parsed CRL \
              (X509_STORE_add_crl takes its own reference) and never turns on CRL \
              checking, so a revoked certificate is accepted (tests/tls.rs \
              bad_key_material_is_a_typed_error, revoked_certificate_is_refused_with_a_crl)",
        from: "\tX509 *cert;\n\twhile ((cert = PEM_read_bio_X509(crtb, NULL, 0, NULL)) != NULL) {\n\t\tX509_STORE_add_cert(cert_store, cert);\n\t\tX509_free(cert); // X509_STORE_add_cert takes a reference\n\t}\n\tBIO_free(crtb);\n\n\tif (crl != NULL) {\n\t\tBIO      *crlb = BIO_new_mem_buf(crl, -1);\n\t\tX509_CRL *xcrl = PEM_read_bio_X509_CRL(crlb, NULL, NULL, NULL);\n\t\tif (xcrl != NULL) {\n\t\t\tX509_STORE_add_crl(cert_store, xcrl);\n\t\t}\n\t\tBIO_free(crlb);\n\t}",
        to: "\tX509 *cert;\n\tint   ncerts = 0;\n\twhile ((cert = PEM_read_bio_X509(crtb, NULL, 0, NULL)) != NULL) {\n\t\tX509_STORE_add_cert(cert_store, cert);\n\t\tX509_free(cert); // X509_STORE_add_cert takes a reference\n\t\tncerts++;\n\t}\n\tBIO_free(crtb);\n\tERR_clear_error(); // the read that ended the loop found no more\n\tif (ncerts == 0) {\n\t\tX509_STORE_free(cert_store);\n\t\treturn (NNG_ECRYPTO);\n\t}\n\n\tif (crl != NULL) {\n\t\tBIO      *crlb = BIO_new_mem_buf(crl, -1);\n\t\tX509_CRL *xcrl = PEM_read_bio_X509_CRL(crlb, NULL, NULL, NULL);\n\t\tBIO_free(crlb);\n\t\tif (xcrl == NULL) {\n\t\t\tERR_clear_error();\n\t\t\tX509_STORE_free(cert_store);\n\t\t\treturn (NNG_ECRYPTO);\n\t\t}\n\t\tX509_STORE_add_crl(cert_store, xcrl);\n\t\tX509_CRL_free(xcrl); // X509_STORE_add_crl takes a reference\n\t\tX509_STORE_set_flags(cert_store, X509_V_FLAG_CRL_CHECK);\n\t}",
    },
];

/// Copies `src` to `OUT_DIR/nng-src`, applies [`FIXES`], and returns the copy.
pub fn apply(src: &Path, out_dir: &Path) -> PathBuf {
    let dst = out_dir.join("nng-src");
    let done = (|| -> io::Result<()> {
        if dst.exists() {
            fs::remove_dir_all(&dst)?;
        }
        copy_tree(src, &dst)?;
        for fix in FIXES.iter().chain(OPENSSL_ENGINE_FIXES) {
            let path = dst.join(fix.file);
            let text = fs::read_to_string(&path)?;
            let n = text.matches(fix.from).count();
            if n != 1 {
                panic!(
                    "nng-sys: the fix to {} matches {n} times instead of once in {}; \
                     is this nng 2.0.0? ({})",
                    fix.file,
                    src.display(),
                    fix.why
                );
            }
            fs::write(&path, text.replacen(fix.from, fix.to, 1))?;
        }
        Ok(())
    })();
    if let Err(e) = done {
        panic!("nng-sys: copying nng's source to {}: {e}", dst.display());
    }
    forget_other_source(out_dir, &dst);
    dst
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        // Follows links (the package's nng/ may be one).
        if fs::metadata(entry.path())?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A CMake cache made from another source folder (a build from before the
/// copy existed) refuses the new one: drop it so CMake configures afresh.
fn forget_other_source(out_dir: &Path, src: &Path) {
    let cache = out_dir.join("build").join("CMakeCache.txt");
    let Ok(text) = fs::read_to_string(&cache) else {
        return;
    };
    let home = format!("CMAKE_HOME_DIRECTORY:INTERNAL={}", src.display());
    if !text.lines().any(|l| l == home) {
        let _ = fs::remove_file(&cache);
        let _ = fs::remove_dir_all(out_dir.join("build").join("CMakeFiles"));
    }
}
