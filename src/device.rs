//! Devices: [`Device`], which forwards messages between two raw sockets or
//! reflects one socket's messages back to it (`nng_device_aio`), and
//! [`device()`], its blocking form (`nng_device`).

// `DeviceError` hands both sockets back, so on targets whose std `Mutex` and
// `Once` are pointer-sized (macOS) it is 136 bytes, over clippy's 128 for a
// `Result`'s error. It is returned once per device start, never on a hot
// path; boxing the sockets would only make `err.sockets` harder to take apart.
#![allow(
    clippy::result_large_err,
    reason = "DeviceError carries the caller's two sockets back; not a hot path"
)]

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::Socket;
use std::sync::atomic::Ordering;

/// A running device: forwards messages between two raw sockets, or reflects
/// one socket's messages back to it (`nng_device_aio`).
///
/// # When to use it
///
/// A device is the piece in the middle of a topology: a forwarder, proxy or
/// broker that peers connect to instead of to each other. Typical uses:
///
/// * a request/reply broker: requesters dial one address, repliers another,
///   and the device spreads the requests over the repliers and carries each
///   reply back to the requester that asked (the example below);
/// * fanning a publisher's messages out to more subscribers, or across a
///   network boundary, with raw pub0 and sub0 sockets;
/// * bridging transports, e.g. accepting `ws://` from browsers and
///   forwarding to services over `tcp://` or `ipc://`;
/// * a hub that sends every message back to all other peers: a
///   [`reflector`](Self::reflector) on one raw bus0 (or pair) socket.
///
/// Both sockets must be **raw** ([`Socket::new_raw`]): a raw socket hands the
/// protocol's routing information (a rep0 request's backtrace, a survey id)
/// to whoever receives, in the message header, and the device keeps and
/// updates it so replies and responses find their way back through it. A
/// cooked socket is refused with [`Error::InvalidInput`] and handed back in
/// the [`DeviceError`]. To look at or change messages on the way, receive
/// on one raw socket and send on the other yourself, keeping the
/// [`header`](crate::Message::header).
///
/// The device owns its sockets while it runs (nng refuses other use of them
/// with [`Error::Busy`]) and closes them when it stops: on [`stop`](Self::stop),
/// on drop, or when a socket fails. Forwarding is best effort: a message the
/// other side cannot take at once is dropped. [`device()`] runs one on the
/// calling thread until it fails, for a program that is only a device.
///
/// ```
/// use nng::{Device, Protocol, Socket};
/// // client (req) -> front (raw rep) => back (raw req) -> server (rep)
/// let server = Socket::new(Protocol::Rep0)?;
/// server.listen("inproc://device-doc-back")?;
/// let front = Socket::new_raw(Protocol::Rep0)?; // faces the requesters
/// front.listen("inproc://device-doc-front")?;
/// let back = Socket::new_raw(Protocol::Req0)?; // faces the repliers
/// back.dial("inproc://device-doc-back")?; // connected before forwarding starts
/// let device = Device::start(front, back)?;
///
/// let client = Socket::new(Protocol::Req0)?;
/// client.dial("inproc://device-doc-front")?;
/// client.send(b"ping")?;
/// let request = server.recv()?;
/// server.send(request)?; // echo it back through the device
/// assert_eq!(client.recv()?.as_slice(), b"ping");
/// device.stop()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "nng_device_aio")]
pub struct Device {
    run: Option<Running>,
}

/// A started device: its aio and the sockets nng forwards between. Dropping
/// it stops the device and frees the aio; it is dropped outside callbacks
/// only (see [`Device`]'s `Drop`).
struct Running {
    aio: std::ptr::NonNull<ffi::nng_aio>,
    sockets: (Socket, Option<Socket>),
}

// SAFETY: the device is driven by nng's own threads; this handle only cancels,
// waits on and frees its aio, which nng allows from any thread. The sockets it
// holds are Send. It is not Sync (no `&self` method needs sharing); that is
// pinned by a compile-fail doctest on `Device::stop`.
unsafe impl Send for Running {}

impl Running {
    fn halt(&self) {
        debug_assert!(!crate::callback::inside());
        // SAFETY: the aio is live until Drop; cancel then wait is nng's way to
        // stop a device, and both are no-ops on a finished aio. Not inside a
        // callback (the callers check), so waiting cannot deadlock.
        unsafe {
            ffi::nng_aio_cancel(self.aio.as_ptr());
            ffi::nng_aio_wait(self.aio.as_ptr());
        }
    }

    fn result(&self) -> Result<()> {
        // SAFETY: the aio is live and finished (callers waited).
        cvt(unsafe { ffi::nng_aio_result(self.aio.as_ptr()) })
    }

    /// Frees the finished aio and hands the sockets back, marked closed:
    /// nng closed them (waiting for their callbacks) before it finished the
    /// aio (device.c: device_close precedes nni_aio_finish_error).
    fn finish(self) -> (Socket, Option<Socket>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the aio has finished and is freed once; the sockets are
        // moved out once and `this` is never dropped.
        let sockets = unsafe {
            ffi::nng_aio_free(this.aio.as_ptr());
            std::ptr::read(&this.sockets)
        };
        sockets.0.closed.store(true, Ordering::Release);
        if let Some(b) = &sockets.1 {
            b.closed.store(true, Ordering::Release);
        }
        sockets
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.halt();
        // SAFETY: the aio has finished and is not used again. The sockets
        // were closed by nng (see `finish`): mark them so their Drop does
        // not close the ids again.
        unsafe { ffi::nng_aio_free(self.aio.as_ptr()) };
        self.sockets.0.closed.store(true, Ordering::Release);
        if let Some(b) = &self.sockets.1 {
            b.closed.store(true, Ordering::Release);
        }
    }
}

/// A device that could not start: why, and the sockets, handed back.
///
/// ```
/// use nng::{Device, Error, Protocol, Socket};
/// let cooked = Socket::new(Protocol::Bus0)?; // devices need raw sockets
/// let err = Device::reflector(cooked).unwrap_err();
/// assert_eq!(err.error, Error::InvalidInput);
/// let (cooked, _) = err.sockets; // still ours, still open
/// cooked.listen("inproc://device-error-doc")?;
/// # Ok::<(), nng::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct DeviceError {
    /// Why the device did not start.
    pub error: Error,
    /// The sockets passed in, still the caller's.
    pub sockets: (Socket, Option<Socket>),
}

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Error {
        e.error
    }
}

impl Device {
    /// Starts forwarding between raw sockets `a` and `b`, which must be peers
    /// (e.g. raw rep0 and raw req0, raw pub0 and raw sub0). A cooked socket is
    /// [`Error::InvalidInput`]; the sockets then come back in the error.
    #[doc(alias = "nng_device_aio", alias = "nng_device")]
    pub fn start(a: Socket, b: Socket) -> Result<Device, DeviceError> {
        Device::launch((a, Some(b)))
    }

    /// Starts a reflector: messages received on raw socket `a` are sent back to
    /// it. `a` must be able to peer with itself (raw pair or bus).
    ///
    /// ```
    /// use nng::{Device, Protocol, Socket};
    /// let hub = Socket::new_raw(Protocol::Bus0)?;
    /// hub.listen("inproc://reflector-doc")?;
    /// let device = Device::reflector(hub)?;
    /// device.stop()?;
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_device_aio")]
    pub fn reflector(a: Socket) -> Result<Device, DeviceError> {
        Device::launch((a, None))
    }

    fn launch(sockets: (Socket, Option<Socket>)) -> Result<Device, DeviceError> {
        let mut p = std::ptr::null_mut();
        // SAFETY: `p` is a valid out-pointer; no callback is registered.
        if let Err(error) = cvt(unsafe { ffi::nng_aio_alloc(&mut p, None, std::ptr::null_mut()) }) {
            return Err(DeviceError { error, sockets });
        }
        let aio = std::ptr::NonNull::new(p).expect("nng_aio_alloc succeeded");
        let b = sockets
            .1
            .as_ref()
            .map_or(ffi::nng_socket::default(), Socket::raw);
        // SAFETY: `aio` is a live aio we own; the socket ids are plain values.
        unsafe { ffi::nng_device_aio(aio.as_ptr(), sockets.0.raw(), b) };
        // SAFETY: `aio` is live. A device that failed to start has already
        // finished its aio; a running one keeps it busy until it stops.
        let started = unsafe { ffi::nng_aio_busy(aio.as_ptr()) };
        let run = Running { aio, sockets };
        if started {
            return Ok(Device { run: Some(run) });
        }
        let error = run.result().err().unwrap_or(Error::Closed);
        let run = std::mem::ManuallyDrop::new(run);
        // SAFETY: the aio has finished and is never used again; the sockets
        // are moved out exactly once and `run` is never dropped. nng did
        // not take them (the device did not start): they stay open.
        let sockets = unsafe {
            ffi::nng_aio_free(run.aio.as_ptr());
            std::ptr::read(&run.sockets)
        };
        Err(DeviceError { error, sockets })
    }

    fn take(mut self) -> Running {
        self.run.take().expect("a Device runs until consumed")
    }

    /// Blocks until the device stops by itself (a socket failed or was closed
    /// by nng), returning why (`nng_aio_wait`). Inside an nng callback, where
    /// that wait could deadlock, it returns [`Error::IncorrectState`] and the
    /// device is stopped as by a drop.
    #[doc(alias = "nng_aio_wait")]
    pub fn wait(self) -> Result<()> {
        if crate::callback::inside() {
            return Err(Error::IncorrectState);
        }
        let run = self.take();
        // SAFETY: the aio is live until `run` is dropped; not in a callback.
        unsafe { ffi::nng_aio_wait(run.aio.as_ptr()) };
        run.result()
    }

    /// Stops the device and closes its sockets, waiting for it to finish
    /// (`nng_aio_cancel`, `nng_aio_wait`). Dropping it does the same. Inside
    /// an nng callback (stopping needs nng's pipe-callback mutex and waits
    /// for callbacks) the stop runs on a helper thread once the callback has
    /// returned, and `Ok` is returned at once; if no thread can be started
    /// the device keeps running (it is leaked, never stopped inside the
    /// callback) and the error is returned.
    ///
    /// A `Device` can be moved to another thread, but not shared:
    /// ```compile_fail,E0277
    /// fn shared<T: Sync>() {}
    /// shared::<nng::Device>();
    /// ```
    #[doc(alias = "nng_aio_cancel")]
    pub fn stop(self) -> Result<()> {
        let run = self.take();
        if crate::callback::inside() {
            // Deferred to a helper thread (an error if none could start: the
            // device then keeps running, see the drop).
            return crate::callback::close_outside(move || drop(run));
        }
        run.halt();
        match run.result() {
            Err(Error::Canceled) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        // Stopping waits for the device to close its sockets, which waits
        // for their callbacks and for nng's process-wide pipe-callback mutex:
        // inside any callback it runs on a helper thread instead. If none
        // can start, the job is leaked unrun (`close_outside`): the device
        // keeps running and its sockets stay open with their closures alive,
        // so `Running` is never dropped inside a callback.
        let _ = crate::callback::close_outside(move || drop(run));
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let run = self.run.as_ref();
        f.debug_struct("Device")
            .field("a", &run.map(|r| r.sockets.0.id()))
            .field("b", &run.and_then(|r| r.sockets.1.as_ref().map(Socket::id)))
            .finish()
    }
}

/// Forwards between raw sockets `a` and `b` until the device fails
/// (`nng_device`): [`Device::start`] followed by [`Device::wait`]. It blocks,
/// normally forever; use [`Device`] to stop under program control. Inside an
/// nng callback it returns [`Error::IncorrectState`] without starting.
#[doc(alias = "nng_device")]
pub fn device(a: Socket, b: Socket) -> Result<(), DeviceError> {
    if crate::callback::inside() {
        return Err(DeviceError {
            error: Error::IncorrectState,
            sockets: (a, Some(b)),
        });
    }
    let run = Device::start(a, b)?.take();
    // SAFETY: the aio is live until `run` is finished; not in a callback.
    unsafe { ffi::nng_aio_wait(run.aio.as_ptr()) };
    let result = run.result();
    let sockets = run.finish();
    result.map_err(|error| DeviceError { error, sockets })
}
