//! Logging: nng's log messages (`nng_log_*`) routed to the [`log`] crate.
//!
//! nng logs nothing by default. After [`init`], every message nng emits (a
//! listener starting, a failed connection, a TLS handshake error...) goes to
//! whatever logger the application installed for the `log` facade
//! (`env_logger`, `simplelog`, ...; `tracing` subscribers see them too through
//! `tracing-log`). The `log` crate was chosen over `tracing` because it is the
//! smaller, universal facade that both ecosystems read: nng's messages are
//! single events with no spans to carry.
//!
//! Records use the target `"nng"` (`"nng::auth"` for security messages, nng's
//! `NNG_LOG_AUTH` facility) and read `"<msgid>: <text>"`, e.g.
//! `"NNG-LISTEN: Starting listener for socket<1> on tcp://127.0.0.1:5555"`.
//! Levels map as: error → `Error`, warning → `Warn`, notice and info → `Info`,
//! debug → `Debug`.
//!
//! nng filters before formatting, with its own level: [`init`] sets it from
//! [`log::max_level`], and [`set_level`] changes it. nng formats each message
//! into at most 511 bytes; longer ones arrive truncated.
//!
//! ```
//! // With a logger installed (env_logger::init(), say):
//! nng::log::init();
//! nng::log::set_level(log::LevelFilter::Warn); // only warnings and errors
//! assert_eq!(nng::log::level(), log::LevelFilter::Warn);
//! ```
//!
//! The logger is called on nng's own threads, possibly while a connection is
//! being set up (sometimes with a transport's lock held): it should be quick
//! and must not block on anything nng is doing. The crate treats it as an nng
//! callback: a socket, dialer, listener, context or `Aio` dropped or closed in
//! it is closed on a helper thread, and blocking sends, receives and dials in
//! it return [`Error::IncorrectState`](crate::Error::IncorrectState). A panic
//! in it is caught (and the message dropped), never unwound into C.

use crate::ffi;
use ::log::{Level, LevelFilter};
use std::ffi::{c_char, CStr};

/// The C function nng calls for each message (`nng_logger`).
unsafe extern "C" fn forward(
    level: ffi::nng_log_level,
    facility: ffi::nng_log_facility,
    msgid: *const c_char,
    msg: *const c_char,
) {
    // The logger is an nng callback like the others: nng calls it on its own
    // threads, from inside operations' completions (e.g. a dialer's connect
    // callback). Marked so, what would wait for nng there (a drop or close of
    // a handle, a blocking call) is deferred or refused instead of deadlocking.
    let _inside = crate::callback::Guard::enter();
    // No panic may unwind into C: a logger that panics loses this message
    // only, and its payload is dropped without letting a panic out.
    let r = std::panic::catch_unwind(|| {
        let level = match level {
            ffi::NNG_LOG_ERR => Level::Error,
            ffi::NNG_LOG_WARN => Level::Warn,
            ffi::NNG_LOG_NOTICE | ffi::NNG_LOG_INFO => Level::Info,
            _ => Level::Debug,
        };
        if level > ::log::max_level() {
            return;
        }
        let target = if facility == ffi::NNG_LOG_AUTH {
            "nng::auth"
        } else {
            "nng"
        };
        // SAFETY: nng passes NULL or NUL-terminated strings valid for the call.
        let text = |p: *const c_char| unsafe {
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy())
        };
        let msg = text(msg).unwrap_or_default();
        match text(msgid).filter(|id| !id.is_empty()) {
            Some(id) => ::log::log!(target: target, level, "{id}: {msg}"),
            None => ::log::log!(target: target, level, "{msg}"),
        }
    });
    if let Err(p) = r {
        crate::callback::drop_payload(p);
    }
}

/// Sends nng's log messages to the [`log`] facade (`nng_log_set_logger`), with
/// nng's level set from [`log::max_level`]. Call it after installing your
/// logger. Calling it again is harmless.
#[doc(alias = "nng_log_set_logger")]
pub fn init() {
    // SAFETY: `forward` has the nng_logger signature, is a plain function valid
    // for the whole process, and never unwinds.
    unsafe { ffi::nng_log_set_logger(Some(forward)) };
    set_level(::log::max_level());
}

/// Stops sending nng's messages anywhere (`nng_log_set_logger` with
/// `nng_null_logger`, nng's default).
pub fn disable() {
    // SAFETY: nng_null_logger is nng's own no-op logger.
    unsafe { ffi::nng_log_set_logger(Some(ffi::nng_null_logger)) };
}

/// Sets the most verbose level nng formats and emits (`nng_log_set_level`).
/// `Off` silences nng; `Trace` is the same as `Debug`.
#[doc(alias = "nng_log_set_level")]
pub fn set_level(filter: LevelFilter) {
    let level = match filter {
        LevelFilter::Off => ffi::NNG_LOG_NONE,
        LevelFilter::Error => ffi::NNG_LOG_ERR,
        LevelFilter::Warn => ffi::NNG_LOG_WARN,
        LevelFilter::Info => ffi::NNG_LOG_INFO,
        LevelFilter::Debug | LevelFilter::Trace => ffi::NNG_LOG_DEBUG,
    };
    // SAFETY: the level is one of nng's values; nng stores it.
    unsafe { ffi::nng_log_set_level(level) };
}

/// The level nng currently emits up to (`nng_log_get_level`).
#[doc(alias = "nng_log_get_level")]
pub fn level() -> LevelFilter {
    // SAFETY: no preconditions.
    match unsafe { ffi::nng_log_get_level() } {
        ffi::NNG_LOG_NONE => LevelFilter::Off,
        ffi::NNG_LOG_ERR => LevelFilter::Error,
        ffi::NNG_LOG_WARN => LevelFilter::Warn,
        ffi::NNG_LOG_NOTICE | ffi::NNG_LOG_INFO => LevelFilter::Info,
        _ => LevelFilter::Debug,
    }
}
