//! [`DialFuture`]: the first connection attempt of a dialer, awaited
//! (`nng_dialer_start_aio` on an [`Aio`]).
//!
//! Dropping the future drops its `Aio`, which cancels the operation: with
//! nng-sys's fix `dialer-start-cancel` that ends only the report of the
//! first attempt, at once (in nng 2.0.0 as released, and so with an
//! unpatched system nng, a cancel cannot reach it and the drop waits for the
//! attempt to end). The dial itself goes on
//! as if started in the background; a future that made its own dialer
//! (`Socket::dial_async`) closes it first, giving the dial up.

use crate::aio::{Aio, AioResult};
use crate::error::{Error, Result};
use crate::ffi;
use crate::Dialer;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll, Waker};

/// Resolves with the result of a dialer's first connection attempt (see
/// [`Socket::dial_async`](crate::Socket::dial_async) and
/// [`Dialer::start_async`]): `Ok(())` once connected, or the error the
/// blocking form would return.
///
/// It starts the dialer when first polled. What dropping it before it
/// resolves does depends on where it came from: the dialer that
/// `Socket::dial_async` made for it is closed (the dial is given up); a
/// dialer given to `Dialer::start_async` keeps dialing in the background,
/// as after [`Dialer::start_background`] (a failed attempt is retried).
/// Neither waits for the attempt.
#[must_use = "futures do nothing unless polled"]
pub struct DialFuture {
    /// The dialer to start: its id, with the handle when this future owns it
    /// (`Socket::dial_async`), or why it could not be created.
    dialer: Result<(ffi::nng_dialer, Option<Dialer>)>,
    /// The operation, once started.
    op: Option<(Aio, Shared)>,
    /// Resolved: polled again, it panics.
    done: bool,
}

/// What the aio's closure leaves for the future.
#[derive(Default)]
struct Slot {
    /// The first attempt's result, until the future takes it.
    result: Option<Result<()>>,
    waker: Option<Waker>,
}

type Shared = Arc<Mutex<Slot>>;

fn lock(slot: &Shared) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

impl DialFuture {
    /// Starts (when polled) and owns the dialer `Socket::dial_async` made.
    pub(crate) fn owning(dialer: Result<Dialer>) -> DialFuture {
        DialFuture {
            dialer: dialer.map(|d| (d.raw(), Some(d))),
            op: None,
            done: false,
        }
    }

    /// Starts (when polled) a dialer someone else owns.
    pub(crate) fn starting(id: ffi::nng_dialer) -> DialFuture {
        DialFuture {
            dialer: Ok((id, None)),
            op: None,
            done: false,
        }
    }

    /// Allocates the aio and starts the first attempt on it.
    fn start(&mut self) -> Result<()> {
        let id = match &self.dialer {
            Ok((id, _)) => *id,
            Err(e) => return Err(*e),
        };
        let slot = Shared::default();
        let shared = slot.clone();
        let aio = Aio::new(move |_aio, result| {
            let r = match result {
                AioResult::Dial(r) => r,
                _ => Err(Error::Internal), // a dial aio reports a dial
            };
            let waker = {
                let mut s = lock(&shared);
                s.result = Some(r);
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        })?;
        aio.dial_id(id)?;
        self.op = Some((aio, slot));
        Ok(())
    }

    /// The future resolves with `r`: an owned dialer stays with its socket
    /// after a success (as `nng_dial` keeps it) and is closed after a
    /// failure (as `nng_dial` closes it).
    fn finish(&mut self, r: Result<()>) -> Result<()> {
        self.done = true;
        if let Ok((_, owned)) = &mut self.dialer {
            if let Some(d) = owned.take() {
                match r {
                    Ok(()) => d.detach(),
                    Err(_) => drop(d),
                }
            }
        }
        r
    }
}

impl Future for DialFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        let this = self.get_mut(); // DialFuture is Unpin
        assert!(!this.done, "DialFuture polled after completion");
        if this.op.is_none() {
            if let Err(e) = this.start() {
                return Poll::Ready(this.finish(Err(e)));
            }
        }
        let (_, slot) = this.op.as_ref().expect("started above");
        let r = {
            let mut s = lock(slot);
            match s.result.take() {
                Some(r) => r,
                None => {
                    match &s.waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => s.waker = Some(cx.waker().clone()),
                    }
                    return Poll::Pending;
                }
            }
        };
        Poll::Ready(this.finish(r))
    }
}

impl Drop for DialFuture {
    fn drop(&mut self) {
        // A dialer of our own is closed, giving the dial up (unstarted, or
        // after a failure, it is closed as `nng_dial` closes it). Then the
        // aio is dropped: that cancels the report of an attempt still under
        // way (see the module docs) and waits only for its callback.
        if let Ok((_, owned)) = &mut self.dialer {
            drop(owned.take());
        }
        drop(self.op.take());
    }
}

impl std::fmt::Debug for DialFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DialFuture")
            .field("dialer", &self.dialer.as_ref().map(|(id, _)| id.id))
            .field("started", &self.op.is_some())
            .field("done", &self.done)
            .finish()
    }
}
