//! Library initialisation: `nng_init`, once, implicitly and thread-safely.
//!
//! nng 2.0 must be initialised before any other call. Every constructor in this
//! crate does it on first use with default parameters. To tune nng's thread
//! pools, call [`init`] with [`InitParams`] before anything else.

use crate::error::{cvt, Error, Result};
use crate::ffi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static DONE: AtomicBool = AtomicBool::new(false);
static LOCK: Mutex<()> = Mutex::new(());

/// Tunables for nng's runtime (`nng_init_params`). A field left at `None` keeps
/// nng's default. nng treats them as hints: not every platform honours each.
///
/// ```
/// let params = nng::InitParams { num_task_threads: Some(4), ..Default::default() };
/// // Succeeds if this is the first use of nng in the process, and reports
/// // `Error::Busy` if nng was already initialised.
/// match nng::init(&params) {
///     Ok(()) | Err(nng::Error::Busy) => {}
///     Err(e) => panic!("{e}"),
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitParams {
    /// Threads for completion callbacks (`num_task_threads`).
    pub num_task_threads: Option<i16>,
    /// Upper bound for task threads; `-1` for no limit (`max_task_threads`).
    pub max_task_threads: Option<i16>,
    /// Threads that expire timed-out operations (`num_expire_threads`).
    pub num_expire_threads: Option<i16>,
    /// Upper bound for expire threads (`max_expire_threads`).
    pub max_expire_threads: Option<i16>,
    /// I/O poller threads (`num_poller_threads`).
    pub num_poller_threads: Option<i16>,
    /// Upper bound for poller threads (`max_poller_threads`).
    pub max_poller_threads: Option<i16>,
    /// Threads for asynchronous name resolution (`num_resolver_threads`).
    pub num_resolver_threads: Option<i16>,
}

impl InitParams {
    fn to_raw(&self) -> ffi::nng_init_params {
        ffi::nng_init_params {
            num_task_threads: self.num_task_threads.unwrap_or(0),
            max_task_threads: self.max_task_threads.unwrap_or(0),
            num_expire_threads: self.num_expire_threads.unwrap_or(0),
            max_expire_threads: self.max_expire_threads.unwrap_or(0),
            num_poller_threads: self.num_poller_threads.unwrap_or(0),
            max_poller_threads: self.max_poller_threads.unwrap_or(0),
            num_resolver_threads: self.num_resolver_threads.unwrap_or(0),
            ..Default::default()
        }
    }
}

/// Initialises nng with tunables (`nng_init`). Must come before any other use of
/// the crate; returns [`Error::Busy`] if nng is already initialised.
#[doc(alias = "nng_init")]
pub fn init(params: &InitParams) -> Result<()> {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if DONE.load(Ordering::Acquire) {
        return Err(Error::Busy);
    }
    let raw = params.to_raw();
    // SAFETY: `raw` is a fully initialised nng_init_params that outlives the call.
    cvt(unsafe { ffi::nng_init(&raw) })?;
    DONE.store(true, Ordering::Release);
    Ok(())
}

/// Initialises nng with defaults if nothing has yet; called by every constructor.
/// nng is never finalised: resources live until the process exits.
#[inline]
pub(crate) fn ensure() -> Result<()> {
    if DONE.load(Ordering::Acquire) {
        return Ok(());
    }
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if !DONE.load(Ordering::Acquire) {
        // SAFETY: NULL asks for default parameters.
        cvt(unsafe { ffi::nng_init(std::ptr::null()) })?;
        DONE.store(true, Ordering::Release);
    }
    Ok(())
}

/// [`ensure`] for paths that cannot report an error (formatting an error's text).
pub(crate) fn ensure_quiet() {
    let _ = ensure();
}
