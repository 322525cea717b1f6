//! Pipes: [`Pipe`], one connection between a socket and a peer (`nng_pipe`),
//! and pipe event callbacks ([`Socket::pipe_notify`]).
//!
//! # Pipe events
//!
//! [`Socket::pipe_notify`] registers a closure run when a pipe is about to be
//! added ([`PipeEvent::AddPre`]), has been added ([`PipeEvent::AddPost`]) or
//! has been removed ([`PipeEvent::RemPost`]). Closing the pipe in `AddPre`
//! rejects the peer before the socket ever sees it:
//!
//! ```
//! use nng::pipe::PipeEvent;
//! use nng::{Protocol, Socket};
//! let rep = Socket::new(Protocol::Rep0)?;
//! rep.pipe_notify(PipeEvent::AddPre, |_event, pipe| {
//!     let _ = pipe.close(); // a gatekeeper that admits nobody
//! })?;
//! rep.listen("inproc://pipe-doc")?;
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! **One lock for the whole process.** nng 2.0 runs every pipe-event
//! callback, of every socket, under one process-wide mutex
//! (`nni_pipe_run_cb` in `src/core/socket.c`, a `static nni_mtx serialize`),
//! held for the whole call. So a slow closure delays connections and
//! disconnections on all sockets, and anything that waits for a pipe event
//! from inside one (a blocking send or receive waiting for a peer, a
//! synchronous dial, a close of a socket or endpoint, stopping a
//! [`Device`](crate::Device)) would wait forever. Inside a pipe-event
//! callback the crate therefore:
//!
//! * refuses blocking sends, receives and synchronous dials on sockets and
//!   contexts with [`Error::IncorrectState`](crate::Error::IncorrectState)
//!   (the non-blocking `try_` forms work);
//! * hands closes and drops of sockets, dialers, listeners, aios and devices
//!   to a short-lived helper thread, which runs them once the callback has
//!   returned.
//!
//! Keep the closures short: read the [`Pipe`] (id, options, endpoint ids),
//! close it, record the event, signal another thread.
//!
//! **Ownership.** The closures of a socket live in one shared registry
//! (`Arc<NotifyState>`) held by the socket and by every close of it that is
//! still to run, so they are freed only after `nng_socket_close` has
//! returned, whoever ran it and on whatever thread: nng calls them until
//! then. A closure replaced by a later registration is kept too, because nng
//! may still be running it on another thread. A panic in the closure is
//! caught before it reaches C and kept for
//! [`Socket::take_pipe_notify_panic`].

use crate::error::{cvt, Result};
use crate::ffi;
use crate::{DialerId, ListenerId, Socket};
use std::any::Any;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

/// A connection to one peer (`nng_pipe`). A pipe is a plain id: it is `Copy`,
/// and using it after the connection closed gives [`crate::Error::Closed`] or
/// [`crate::Error::EntryNotFound`], never undefined behaviour.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pipe {
    raw: ffi::nng_pipe,
}

impl Pipe {
    /// Wraps a raw pipe; `None` for the unset pipe (id <= 0).
    pub(crate) fn from_raw(raw: ffi::nng_pipe) -> Option<Pipe> {
        // SAFETY: nng_pipe_id only reads the id.
        (unsafe { ffi::nng_pipe_id(raw) } > 0).then_some(Pipe { raw })
    }

    pub(crate) fn raw(&self) -> ffi::nng_pipe {
        self.raw
    }

    /// The pipe's positive id (`nng_pipe_id`).
    #[doc(alias = "nng_pipe_id")]
    pub fn id(&self) -> u32 {
        self.raw.id
    }

    /// Closes the connection (`nng_pipe_close`). Allowed inside a pipe event
    /// callback; in [`PipeEvent::AddPre`] it rejects the peer.
    #[doc(alias = "nng_pipe_close")]
    pub fn close(&self) -> Result<()> {
        // SAFETY: the pipe is a plain id that nng validates.
        cvt(unsafe { ffi::nng_pipe_close(self.raw) })
    }

    /// Id of the socket the pipe belongs to (`nng_pipe_socket`); `None` once
    /// the pipe is gone.
    #[doc(alias = "nng_pipe_socket")]
    pub fn socket_id(&self) -> Option<u32> {
        // SAFETY: the pipe is a plain id; nng returns an invalid id if unknown.
        let s = unsafe { ffi::nng_pipe_socket(self.raw) };
        // SAFETY: nng_socket_id only reads the id.
        (unsafe { ffi::nng_socket_id(s) } > 0).then_some(s.id)
    }

    /// The id of the dialer that made this pipe, if a dialer did
    /// (`nng_pipe_dialer`). Only an id: the dialer belongs to its [`Dialer`](crate::Dialer)
    /// handle, and nothing reached from a pipe can close it.
    #[doc(alias = "nng_pipe_dialer")]
    pub fn dialer(&self) -> Option<DialerId> {
        // SAFETY: the pipe is a plain id; nng returns an invalid id if unknown.
        DialerId::from_raw(unsafe { ffi::nng_pipe_dialer(self.raw) })
    }

    /// The id of the listener that accepted this pipe, if a listener did
    /// (`nng_pipe_listener`). Only an id, like [`dialer`](Self::dialer).
    #[doc(alias = "nng_pipe_listener")]
    pub fn listener(&self) -> Option<ListenerId> {
        // SAFETY: the pipe is a plain id; nng returns an invalid id if unknown.
        ListenerId::from_raw(unsafe { ffi::nng_pipe_listener(self.raw) })
    }
}

impl std::fmt::Debug for Pipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pipe").field(&self.raw.id).finish()
    }
}

/// A pipe event (`nng_pipe_ev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "nng_pipe_ev")]
pub enum PipeEvent {
    /// Connected and negotiated, not yet added to the socket; closing the
    /// pipe now rejects the peer (`NNG_PIPE_EV_ADD_PRE`).
    #[doc(alias = "NNG_PIPE_EV_ADD_PRE")]
    AddPre,
    /// Added to the socket (`NNG_PIPE_EV_ADD_POST`).
    #[doc(alias = "NNG_PIPE_EV_ADD_POST")]
    AddPost,
    /// Removed from the socket (`NNG_PIPE_EV_REM_POST`).
    #[doc(alias = "NNG_PIPE_EV_REM_POST")]
    RemPost,
}

impl PipeEvent {
    fn to_raw(self) -> ffi::nng_pipe_ev {
        match self {
            PipeEvent::AddPre => ffi::NNG_PIPE_EV_ADD_PRE,
            PipeEvent::AddPost => ffi::NNG_PIPE_EV_ADD_POST,
            PipeEvent::RemPost => ffi::NNG_PIPE_EV_REM_POST,
        }
    }

    fn from_raw(ev: ffi::nng_pipe_ev) -> Option<PipeEvent> {
        [PipeEvent::AddPre, PipeEvent::AddPost, PipeEvent::RemPost]
            .into_iter()
            .find(|e| e.to_raw() == ev)
    }
}

type NotifyFn = dyn Fn(PipeEvent, Pipe) + Send + Sync + 'static;
type PanicSlot = Arc<Mutex<Option<Box<dyn Any + Send + 'static>>>>;

/// One registered closure; its address is the `arg` nng passes back.
struct Entry {
    f: Box<NotifyFn>,
    panic: PanicSlot,
}

/// Closures registered on a socket with `nng_pipe_notify`. Shared
/// (`Arc`) by the socket and each pending close of it, and so dropped only
/// after `nng_socket_close` has returned (see [`crate::socket`]'s close).
#[derive(Default)]
pub(crate) struct NotifyState {
    // Boxed so each Entry keeps its address (nng's `arg`) when the Vec grows.
    #[allow(clippy::vec_box)]
    entries: Mutex<Vec<Box<Entry>>>,
    panic: PanicSlot,
}

impl Drop for NotifyState {
    fn drop(&mut self) {
        // A panic never taken: its payload's drop may panic, which must not
        // escape the socket's drop (or a helper thread's close).
        let slot = self.panic.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(p) = slot {
            crate::callback::drop_payload(p);
        }
    }
}

/// The `nng_pipe_notify` callback.
unsafe extern "C" fn notify_trampoline(
    pipe: ffi::nng_pipe,
    ev: ffi::nng_pipe_ev,
    arg: *mut c_void,
) {
    let outer = catch_unwind(AssertUnwindSafe(|| {
        let _in_callback = crate::callback::PipeGuard::enter();
        // SAFETY: arg is the address of a boxed Entry in the socket's
        // NotifyState, an Arc held by the socket and by every close of it
        // still to run: it is freed only after nng_socket_close returned,
        // and nng calls us only before that.
        let entry = unsafe { &*(arg as *const Entry) };
        let (Some(event), Some(pipe)) = (PipeEvent::from_raw(ev), Pipe::from_raw(pipe)) else {
            return;
        };
        let r = catch_unwind(AssertUnwindSafe(|| (entry.f)(event, pipe)));
        if let Err(p) = r {
            // The first panic is kept; a later one's payload is dropped, and
            // a panic from that drop is caught (its payload leaked).
            crate::callback::store_payload(&entry.panic, p);
        }
    }));
    // A payload whose drop panics must not unwind into C either.
    if let Err(p) = outer {
        crate::callback::drop_payload(p);
    }
}

impl Socket {
    /// Runs `callback` on every pipe `event` of this socket
    /// (`nng_pipe_notify`), replacing the closure registered for that event
    /// before. See the [module docs](crate::pipe) for what the callback may do.
    ///
    /// ```
    /// use nng::pipe::PipeEvent;
    /// use nng::{Protocol, Socket};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let rep = Socket::new(Protocol::Rep0)?;
    /// let added = Arc::new(AtomicUsize::new(0));
    /// let seen = added.clone();
    /// rep.pipe_notify(PipeEvent::AddPost, move |_, _pipe| {
    ///     seen.fetch_add(1, Ordering::SeqCst);
    /// })?;
    /// rep.listen("inproc://pipe-notify-doc")?;
    /// let req = Socket::new(Protocol::Req0)?;
    /// req.dial("inproc://pipe-notify-doc")?;
    /// # let t = std::time::Instant::now();
    /// # while added.load(Ordering::SeqCst) == 0 && t.elapsed().as_secs() < 5 {
    /// #     std::thread::sleep(std::time::Duration::from_millis(5));
    /// # }
    /// assert_eq!(added.load(Ordering::SeqCst), 1);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_pipe_notify")]
    pub fn pipe_notify<F>(&self, event: PipeEvent, callback: F) -> Result<()>
    where
        F: Fn(PipeEvent, Pipe) + Send + Sync + 'static,
    {
        let entry = Box::new(Entry {
            f: Box::new(callback),
            panic: self.notify.panic.clone(),
        });
        let arg = &*entry as *const Entry as *mut c_void;
        let mut entries = self
            .notify
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // The Box (and so `arg`) lives as long as the NotifyState.
        entries.push(entry);
        // SAFETY: arg points to an Entry kept alive until nng_socket_close
        // has returned (module docs); the trampoline matches nng_pipe_cb.
        cvt(unsafe {
            ffi::nng_pipe_notify(self.raw(), event.to_raw(), Some(notify_trampoline), arg)
        })
    }

    /// Stops running a closure on `event` (`nng_pipe_notify` with no
    /// callback). The closure itself is kept until the socket is closed.
    #[doc(alias = "nng_pipe_notify")]
    pub fn remove_pipe_notify(&self, event: PipeEvent) -> Result<()> {
        // SAFETY: a NULL callback unregisters; nothing is passed to keep alive.
        cvt(unsafe { ffi::nng_pipe_notify(self.raw(), event.to_raw(), None, std::ptr::null_mut()) })
    }

    /// Takes the payload of the first panic a pipe event callback raised
    /// (caught so it never unwinds into nng), if any.
    pub fn take_pipe_notify_panic(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.notify
            .panic
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}
