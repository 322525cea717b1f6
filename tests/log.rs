//! nng's logging routed to the `log` facade. This binary owns the process-wide
//! logger, so every test here shares it (and they run one at a time under a
//! lock).

use log::{Level, LevelFilter, Log, Metadata, Record};
use nng::{Listener, Protocol, Socket};
use std::sync::{Mutex, MutexGuard};

struct Capture;

static RECORDS: Mutex<Vec<(Level, String, String)>> = Mutex::new(Vec::new());
static SERIAL: Mutex<()> = Mutex::new(());
static PANICKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &Record<'_>) {
        let text = r.args().to_string();
        if text.contains("PANIC-PLEASE") {
            PANICKED.store(true, std::sync::atomic::Ordering::SeqCst);
            panic!("a logger that panics");
        }
        RECORDS.lock().unwrap_or_else(|p| p.into_inner()).push((
            r.level(),
            r.target().to_string(),
            text,
        ));
    }
    fn flush(&self) {}
}

/// Installs the capturing logger once and serialises the tests.
fn setup() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    if log::set_logger(&Capture).is_ok() {
        log::set_max_level(LevelFilter::Trace);
    }
    nng::log::init();
    RECORDS.lock().unwrap_or_else(|p| p.into_inner()).clear();
    guard
}

fn records_with(needle: &str) -> Vec<(Level, String, String)> {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|r| r.2.contains(needle))
        .cloned()
        .collect()
}

fn start_listener(s: &Socket, url: &str) -> nng::Result<Listener> {
    let l = Listener::new(s, url)?;
    l.start()?;
    Ok(l)
}

#[test]
fn nng_messages_reach_the_log_facade() {
    let _g = setup();
    assert_eq!(nng::log::level(), LevelFilter::Debug);
    let s = Socket::new(Protocol::Rep0).unwrap();
    let l = start_listener(&s, "tcp://127.0.0.1:0").unwrap();
    let port = l.port().unwrap();
    let got = records_with("NNG-LISTEN");
    assert!(!got.is_empty(), "no NNG-LISTEN record");
    let (level, target, text) = &got[0];
    assert_eq!(*level, Level::Info);
    assert_eq!(target, "nng");
    assert!(text.starts_with("NNG-LISTEN: "), "{text}");

    // A second listener on the same port fails, with a warning.
    let again = start_listener(&s, &format!("tcp://127.0.0.1:{port}"));
    assert_eq!(again.unwrap_err(), nng::Error::AddressInUse);
    let warn = records_with("NNG-BIND-FAIL");
    assert_eq!(warn.len(), 1, "{warn:?}");
    assert_eq!(warn[0].0, Level::Warn);
}

#[test]
fn level_filter_applies_in_nng() {
    let _g = setup();
    nng::log::set_level(LevelFilter::Warn);
    assert_eq!(nng::log::level(), LevelFilter::Warn);
    let s = Socket::new(Protocol::Rep0).unwrap();
    let l = start_listener(&s, "tcp://127.0.0.1:0").unwrap();
    assert!(records_with("NNG-LISTEN").is_empty());
    // Warnings still come through.
    let port = l.port().unwrap();
    let _ = start_listener(&s, &format!("tcp://127.0.0.1:{port}"));
    assert_eq!(records_with("NNG-BIND-FAIL").len(), 1);

    nng::log::set_level(LevelFilter::Off);
    assert_eq!(nng::log::level(), LevelFilter::Off);
    let _ = start_listener(&s, &format!("tcp://127.0.0.1:{port}"));
    assert_eq!(records_with("NNG-BIND-FAIL").len(), 1);
}

#[test]
fn disable_stops_forwarding() {
    let _g = setup();
    nng::log::disable();
    let s = Socket::new(Protocol::Rep0).unwrap();
    let _l = start_listener(&s, "tcp://127.0.0.1:0").unwrap();
    assert!(records_with("NNG-LISTEN").is_empty());
}

#[test]
fn a_panicking_logger_does_not_unwind_into_c() {
    let _g = setup();
    // nng logs the URL it listens on; this one makes our logger panic.
    let s = Socket::new(Protocol::Rep0).unwrap();
    let _l = start_listener(&s, "inproc://PANIC-PLEASE").unwrap();
    assert!(PANICKED.load(std::sync::atomic::Ordering::SeqCst));
    // Still alive, and later messages are still delivered.
    let _l2 = start_listener(&s, "inproc://after-the-panic").unwrap();
    assert_eq!(records_with("after-the-panic").len(), 1);
}

#[test]
fn auth_facility_and_msgid_formatting() {
    let _g = setup();
    // nng's own C entry points, as nng's internals call them.
    // SAFETY: NUL-terminated literals; the "%s" format has one string argument.
    unsafe {
        nng::ffi::nng_log_auth(
            nng::ffi::NNG_LOG_ERR,
            c"TEST-AUTH".as_ptr(),
            c"%s".as_ptr(),
            c"denied".as_ptr(),
        );
        nng::ffi::nng_log_notice(std::ptr::null(), c"%s".as_ptr(), c"no msgid".as_ptr());
    }
    let auth = records_with("denied");
    assert_eq!(
        auth,
        [(
            Level::Error,
            "nng::auth".to_string(),
            "TEST-AUTH: denied".to_string()
        )]
    );
    let plain = records_with("no msgid");
    assert_eq!(
        plain,
        [(Level::Info, "nng".to_string(), "no msgid".to_string())]
    );
}
