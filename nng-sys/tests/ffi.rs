//! Cross-checks of the raw bindings: the version, initialisation, and req/rep
//! round trips through the FFI alone, plus the TLS engine.

use nng_sys::*;
use std::ffi::{CStr, CString};
use std::ptr;

fn init() {
    // SAFETY: NULL asks for default parameters; nng_init is idempotent and
    // thread-safe. nng 2.0 requires it before any other call.
    let rv = unsafe { nng_init(ptr::null()) };
    assert_eq!(rv, NNG_OK, "nng_init");
}

fn check(rv: i32, what: &str) {
    if rv != 0 {
        // SAFETY: nng_strerror returns a static NUL-terminated string for any code.
        let text = unsafe { CStr::from_ptr(nng_strerror(rv as nng_err)) };
        panic!("{what}: {} ({rv})", text.to_string_lossy());
    }
}

#[test]
fn version_is_2_0_0() {
    init();
    // SAFETY: nng_version returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(nng_version()) };
    assert_eq!(v.to_str().unwrap(), "2.0.0");
    assert_eq!(
        (NNG_MAJOR_VERSION, NNG_MINOR_VERSION, NNG_PATCH_VERSION),
        (2, 0, 0)
    );
}

#[test]
fn init_with_params_after_init_is_busy() {
    init();
    let params = nng_init_params {
        num_task_threads: 2,
        ..Default::default()
    };
    // SAFETY: params is a valid, zero-initialised-then-set structure.
    let rv = unsafe { nng_init(&params) };
    // Only the first call may pass parameters; nng says EBUSY afterwards.
    assert_eq!(rv, NNG_EBUSY);
}

fn round_trip(url: &str) {
    init();
    let url = CString::new(url).unwrap();
    let mut rep = nng_socket::default();
    let mut req = nng_socket::default();
    // SAFETY: every pointer passed points to a live local; buffers handed to
    // nng_send/nng_recv are valid for the lengths given; sockets are closed at
    // the end.
    unsafe {
        check(nng_rep0_open(&mut rep), "nng_rep0_open");
        check(nng_req0_open(&mut req), "nng_req0_open");
        let mut listener = nng_listener::default();
        check(
            nng_listen(rep, url.as_ptr(), &mut listener, 0),
            "nng_listen",
        );
        // For tcp://...:0 read back the bound port and dial that.
        let mut port: i32 = 0;
        let dial_url =
            if nng_listener_get_int(listener, NNG_OPT_BOUND_PORT.as_ptr().cast(), &mut port) == 0 {
                assert!(port > 0);
                CString::new(format!("tcp://127.0.0.1:{port}")).unwrap()
            } else {
                url.clone()
            };
        check(
            nng_dial(req, dial_url.as_ptr(), ptr::null_mut(), 0),
            "nng_dial",
        );
        check(
            nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO.as_ptr().cast(), 5000),
            "recv timeout",
        );
        check(
            nng_socket_set_ms(req, NNG_OPT_RECVTIMEO.as_ptr().cast(), 5000),
            "recv timeout",
        );

        let ping = b"ping";
        check(
            nng_send(req, ping.as_ptr().cast(), ping.len(), 0),
            "send request",
        );
        let mut msg: *mut nng_msg = ptr::null_mut();
        check(nng_recvmsg(rep, &mut msg, 0), "recv request");
        let body = std::slice::from_raw_parts(nng_msg_body(msg) as *const u8, nng_msg_len(msg));
        assert_eq!(body, b"ping");
        nng_msg_clear(msg);
        check(nng_msg_append(msg, b"pong".as_ptr().cast(), 4), "append");
        check(nng_sendmsg(rep, msg, 0), "send reply"); // nng owns msg now

        let mut buf = [0u8; 16];
        let mut len = buf.len();
        check(
            nng_recv(req, buf.as_mut_ptr().cast(), &mut len, 0),
            "recv reply",
        );
        assert_eq!(&buf[..len], b"pong");

        check(nng_socket_close(req), "close req");
        check(nng_socket_close(rep), "close rep");
    }
}

#[test]
fn req_rep_inproc() {
    round_trip("inproc://nng-sys-ffi");
}

#[test]
fn req_rep_tcp() {
    round_trip("tcp://127.0.0.1:0");
}

#[cfg(all(feature = "tls", nng_sys_vendored))]
#[test]
fn tls_engine_is_the_one_the_features_select() {
    init();
    // SAFETY: both return static NUL-terminated strings.
    let (name, desc) = unsafe {
        (
            CStr::from_ptr(nng_tls_engine_name()),
            CStr::from_ptr(nng_tls_engine_description()),
        )
    };
    let desc = desc.to_string_lossy();
    let (want_name, want_version) = if cfg!(feature = "tls-openssl") {
        ("OpenSSL", "OpenSSL 3.5.")
    } else if cfg!(feature = "tls-mbedtls-2") {
        ("mbed", "2.28")
    } else {
        ("mbed", "Mbed TLS 3.6.")
    };
    assert_eq!(name.to_str().unwrap(), want_name);
    assert!(desc.contains(want_version), "{desc:?}");
    // A TLS config can really be made (the engine is not the "none" stub).
    let mut cfg: *mut nng_tls_config = ptr::null_mut();
    // SAFETY: cfg is a valid out-pointer; the config is freed right after.
    unsafe {
        check(
            nng_tls_config_alloc(&mut cfg, NNG_TLS_MODE_CLIENT),
            "nng_tls_config_alloc",
        );
        nng_tls_config_free(cfg);
    }
}

#[cfg(all(not(feature = "tls"), nng_sys_vendored))]
#[test]
fn tls_is_absent_without_the_feature() {
    init();
    let mut cfg: *mut nng_tls_config = ptr::null_mut();
    // SAFETY: cfg is a valid out-pointer.
    let rv = unsafe { nng_tls_config_alloc(&mut cfg, NNG_TLS_MODE_CLIENT) };
    assert_eq!(rv, NNG_ENOTSUP as i32);
}

#[cfg(feature = "tools")]
#[test]
fn c_tools_are_built() {
    for tool in [
        "nngcat",
        "local_lat",
        "remote_lat",
        "local_thr",
        "remote_thr",
        "inproc_lat",
        "inproc_thr",
    ] {
        let exe = format!("{tool}{}", std::env::consts::EXE_SUFFIX);
        let p = std::path::Path::new(TOOLS_DIR).join(exe);
        assert!(p.is_file(), "{} missing", p.display());
    }
}
