//! Regression tests for nng 2.0.0's late cancel of a reused aio (fixed in C
//! by `build/patch.rs`; described in `patches/README.md`, "stale-cancel").
//!
//! nng calls an operation's cancel function after it has released the
//! expire queue's lock. If the operation completes in that gap and its
//! callback starts the next operation on the same `nng_aio`, the late cancel
//! function finds that next operation and fails it. And in a batch of
//! expired aios, the expire thread took the cancel function of the second and
//! later ones only after the earlier ones' had run, when the aio could
//! already be running a new operation.
//!
//! The tests are deterministic: the operations come from a provider written
//! here with nng's public provider API (`nng_aio_start`, `nng_aio_finish`),
//! whose cancel function, like a protocol's, looks for the aio among its
//! pending operations under its own lock, but first waits (bounded) at the
//! point where the real gap is, until the test has completed the operation
//! and started the next one on the same aio.

use nng_sys::*;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// How long a cancel function holds at the gap waiting for the test to
/// restart the aio. The fixed nng holds back the completion until the cancel
/// function returns, so the test cannot restart in time and this elapses.
const HOLD: Duration = Duration::from_millis(300);
/// How long a completion that should come is waited for.
const LIMIT: Duration = Duration::from_secs(10);
/// How long the restarted operation is watched for a completion that should
/// not come.
const WATCH: Duration = Duration::from_millis(200);
/// How far ahead the shared deadline of the batch test lies, in ms: both
/// operations must start before it (`nng_aio_start` refuses one whose
/// deadline has passed). 30 ms was too little under qemu-user on a loaded
/// machine (.ci/cross-aarch64.sh).
const BATCH_DEADLINE_MS: nng_time = 500;

/// nng with one expire thread, so that two aios with one deadline expire in
/// one batch; and one test at a time, so that no test's expiries wait
/// behind another's held cancel function.
fn setup() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let params = nng_init_params {
        num_expire_threads: 1,
        max_expire_threads: 1,
        ..Default::default()
    };
    // SAFETY: params is a valid struct for the call's duration; nng_init is
    // idempotent (EBUSY once initialised: by this function, so with the same
    // parameters, as no other code in this test binary calls nng).
    let rv = unsafe { nng_init(&params) };
    assert!(rv == NNG_OK || rv == NNG_EBUSY, "nng_init: {rv}");
    guard
}

#[derive(Default)]
struct State {
    /// The aio has an operation pending with this provider.
    pending: bool,
    /// The first cancel call waits at the gap until `restarted`.
    hold: bool,
    /// The first cancel call has reached the gap.
    entered: bool,
    /// The test has started the next operation (sets it, wakes the hold).
    restarted: bool,
    /// Cancel calls that have returned.
    cancels_returned: u32,
    /// Completions seen by the aio's callback: (result, cancel calls
    /// returned by then).
    results: Vec<(nng_err, u32)>,
}

/// A provider of operations on one aio, and the aio's callback state.
struct Prov {
    aio: Mutex<usize>,
    state: Mutex<State>,
    cv: Condvar,
}

impl Prov {
    fn new(hold: bool) -> Arc<Prov> {
        let prov = Arc::new(Prov {
            aio: Mutex::new(0),
            state: Mutex::new(State {
                hold,
                ..State::default()
            }),
            cv: Condvar::new(),
        });
        let mut aio = ptr::null_mut();
        // SAFETY: aio is a valid out-pointer; the callback's argument is the
        // Prov, which outlives the aio (freed in `free` first).
        let rv =
            unsafe { nng_aio_alloc(&mut aio, Some(aio_cb), Arc::as_ptr(&prov) as *mut c_void) };
        assert_eq!(rv, NNG_OK, "nng_aio_alloc");
        *prov.aio.lock().unwrap() = aio as usize;
        prov
    }

    fn aio(&self) -> *mut nng_aio {
        *self.aio.lock().unwrap_or_else(|e| e.into_inner()) as *mut nng_aio
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds, up to `limit`; returns whether it does.
    fn wait(&self, limit: Duration, done: impl Fn(&State) -> bool) -> bool {
        let st = self.lock();
        let (st, _) = self
            .cv
            .wait_timeout_while(st, limit, |s| !done(s))
            .unwrap_or_else(|e| e.into_inner());
        done(&st)
    }

    /// Starts an operation on the aio: `deadline` is an absolute expiry
    /// (`nng_aio_set_expire`), `timeout` a relative one.
    fn start(&self, deadline: Option<nng_time>, timeout: nng_duration) {
        self.lock().pending = true;
        let aio = self.aio();
        // SAFETY: the aio is valid and idle (its last operation's callback
        // has run); the cancel function's argument is this Prov, which
        // outlives the aio.
        let started = unsafe {
            match deadline {
                Some(t) => nng_aio_set_expire(aio, t),
                None => nng_aio_set_timeout(aio, timeout),
            }
            nng_aio_start(aio, Some(prov_cancel), self as *const Prov as *mut c_void)
        };
        assert!(started, "nng_aio_start refused");
    }

    /// Completes the pending operation with `rv`, as the provider; false if
    /// none was pending (a cancel function completed it).
    fn complete(&self, rv: nng_err) -> bool {
        let was = std::mem::take(&mut self.lock().pending);
        if was {
            // SAFETY: the aio is valid and its operation pending with us;
            // taking `pending` under the lock makes this the only finish.
            unsafe { nng_aio_finish(self.aio(), rv) };
        }
        was
    }

    /// Marks the next operation started and lets a held cancel call go on.
    fn restarted(&self) {
        self.lock().restarted = true;
        self.cv.notify_all();
    }

    /// Completes what is still pending and frees the aio.
    fn free(&self) {
        let n = self.lock().results.len();
        if self.complete(NNG_OK) {
            assert!(self.wait(LIMIT, |s| s.results.len() > n), "no callback");
        }
        // SAFETY: the aio is valid and idle; nng_aio_free waits for a
        // callback under way.
        unsafe { nng_aio_free(self.aio()) };
    }
}

/// The aio's callback: records the result. Never panics.
unsafe extern "C" fn aio_cb(arg: *mut c_void) {
    // SAFETY: arg is the Prov given to nng_aio_alloc, alive while the aio is.
    let prov = unsafe { &*(arg as *const Prov) };
    // SAFETY: the aio is valid in its own callback.
    let rv = unsafe { nng_aio_result(prov.aio()) };
    let mut st = prov.lock();
    let returned = st.cancels_returned;
    st.results.push((rv, returned));
    drop(st);
    prov.cv.notify_all();
}

/// The provider's cancel function: like a protocol's, it completes the aio
/// if the aio is pending with it (under its lock). The first call, if
/// `hold`, first waits at the point where nng has released its own lock.
unsafe extern "C" fn prov_cancel(aio: *mut nng_aio, arg: *mut c_void, rv: nng_err) {
    // SAFETY: arg is the Prov given to nng_aio_start, alive while the aio is.
    let prov = unsafe { &*(arg as *const Prov) };
    let mut st = prov.lock();
    if st.hold && !st.entered {
        st.entered = true;
        prov.cv.notify_all();
        st = prov
            .cv
            .wait_timeout_while(st, HOLD, |s| !s.restarted)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    let pending = std::mem::take(&mut st.pending);
    drop(st);
    if pending {
        // SAFETY: the aio is valid during its cancel call and pending with
        // us; taking `pending` under the lock makes this the only finish.
        unsafe { nng_aio_finish(aio, rv) };
    }
    prov.lock().cancels_returned += 1;
    prov.cv.notify_all();
}

/// What makes nng call the cancel function.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// The operation's 1 ms timeout (the expire thread).
    Expire,
    /// `nng_aio_cancel` on another thread (`nni_aio_abort`).
    Cancel,
}

/// Operation 1 on an aio is cancelled (`trigger`); while the cancel function
/// is on its way, the provider completes the operation, and the test starts
/// operation 2 on the same aio as soon as operation 1's callback has run.
/// Returns op 1's (result, cancel calls returned by its callback), and op
/// 2's result if it completed without the test completing it.
fn late_cancel_round(trigger: Trigger) -> ((nng_err, u32), Option<nng_err>) {
    let prov = Prov::new(true);
    let canceller = match trigger {
        Trigger::Expire => {
            prov.start(None, 1);
            None
        }
        Trigger::Cancel => {
            prov.start(None, NNG_DURATION_INFINITE);
            let aio = prov.aio() as usize;
            Some(thread::spawn(move || {
                // SAFETY: the aio stays valid until the test joins this
                // thread (before `free`).
                unsafe { nng_aio_cancel(aio as *mut nng_aio) };
            }))
        }
    };
    assert!(prov.wait(LIMIT, |s| s.entered), "no cancel call");
    // The operation completes on its own while its cancel call is under way.
    assert!(prov.complete(NNG_OK), "operation 1 was not pending");
    assert!(
        prov.wait(LIMIT, |s| !s.results.is_empty()),
        "operation 1's callback did not run"
    );
    let op1 = prov.lock().results[0];
    // Operation 2, with no timeout, on the same aio.
    prov.start(None, NNG_DURATION_INFINITE);
    prov.restarted();
    let op2 = prov
        .wait(WATCH, |s| s.results.len() > 1)
        .then(|| prov.lock().results[1].0);
    if let Some(t) = canceller {
        t.join().expect("canceller thread");
    }
    assert!(prov.wait(LIMIT, |s| s.cancels_returned == 1), "cancel call");
    prov.free();
    (op1, op2)
}

fn late_cancel(trigger: Trigger) {
    let _serial = setup();
    let (op1, op2) = late_cancel_round(trigger);
    assert_eq!(
        op2, None,
        "{trigger:?}: operation 1's late cancel call completed operation 2 on the same aio"
    );
    assert_eq!(op1.0, NNG_OK, "{trigger:?}: operation 1's result");
    assert_eq!(
        op1.1, 1,
        "{trigger:?}: operation 1's callback ran before the cancel call had returned"
    );
}

/// The expire thread's late cancel call does not reach the aio's next
/// operation.
#[test]
fn late_expire_cancel_spares_the_next_operation() {
    late_cancel(Trigger::Expire);
}

/// Neither does a late `nng_aio_cancel`'s.
#[test]
fn late_nng_aio_cancel_spares_the_next_operation() {
    late_cancel(Trigger::Cancel);
}

/// Two aios, `first` and `second`, expire in one batch. While the expire
/// thread is in `first`'s cancel function, `second`'s operation completes and
/// its callback starts a new one, with no deadline, on the same aio: the
/// expire thread must not cancel that one.
#[test]
fn expire_batch_spares_an_aio_restarted_meanwhile() {
    let _serial = setup();
    let first = Prov::new(true);
    let second = Prov::new(false);
    // SAFETY: nng_clock has no preconditions.
    let deadline = unsafe { nng_clock() } + BATCH_DEADLINE_MS;
    first.start(Some(deadline), 0);
    second.start(Some(deadline), 0);
    assert!(first.wait(LIMIT, |s| s.entered), "no expiry");
    assert!(
        second.complete(NNG_OK),
        "second's operation was not pending"
    );
    assert!(
        second.wait(LIMIT, |s| !s.results.is_empty()),
        "second's callback did not run"
    );
    second.start(None, NNG_DURATION_INFINITE);
    first.restarted();
    assert!(
        first.wait(LIMIT, |s| !s.results.is_empty()),
        "first did not time out"
    );
    assert_eq!(first.lock().results[0].0, NNG_ETIMEDOUT, "first's result");
    let late = second
        .wait(WATCH, |s| s.results.len() > 1)
        .then(|| second.lock().results[1].0);
    first.free();
    second.free();
    assert_eq!(
        late, None,
        "the expire thread cancelled the operation started on an aio of its batch after it expired"
    );
}
