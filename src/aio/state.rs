//! The Rust side of an [`Aio`](super::Aio): one atomic word, and the only
//! place its transitions are made.
//!
//! nng calls the trampoline once per operation that was handed to it (never
//! for an aio with nothing in flight, never twice for one operation), possibly
//! inline on the thread that started it, possibly while the closure of the
//! previous completion still runs on another thread. After `nng_aio_stop` has
//! returned no callback is running and none will come; an operation that was
//! in flight and got no callback is then ours to reclaim (nng drops the
//! callback of a completion that arrives after a stop, issue #2208). Every
//! transition below names the model test (`loom` module at the end) that
//! explores it against a fake nng with exactly those behaviours.
//!
//! | bit | set by | cleared by | meaning |
//! |---|---|---|---|
//! | `BUSY` + op | [`State::start`] | [`State::collected`], [`State::reclaim`] | an operation was handed to nng, its outcome not yet taken off the `nng_aio` |
//! | `RUNNING` | [`State::complete`] | [`State::finish`] | a trampoline owns the closure |
//! | `NOTIFIED` | [`State::complete`] while `RUNNING` | [`State::finish`] | a completion for the runner to deliver |
//! | `STOPPED` | [`State::stop`] | never | no operation starts any more |
//! | `DROPPED` | [`State::stop`] inside a callback | never | the owner is gone: outcomes are freed, not delivered |
//! | `PANICKED` | [`State::set_panicked`] | [`State::take_panicked`] | a caught panic waits in the `Aio`'s slot |

// loom is a dev-dependency: its atomics replace std's in the model tests only.
#[cfg(all(test, loom))]
use ::loom::sync::atomic::{AtomicU32, Ordering};
#[cfg(not(all(test, loom)))]
use std::sync::atomic::{AtomicU32, Ordering};

const BUSY: u32 = 1;
const RUNNING: u32 = 1 << 1;
const NOTIFIED: u32 = 1 << 2;
const STOPPED: u32 = 1 << 3;
const DROPPED: u32 = 1 << 4;
const PANICKED: u32 = 1 << 5;
const OP_SHIFT: u32 = 8;
const OP_MASK: u32 = 0b111 << OP_SHIFT;

/// The kind of operation in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Send = 1,
    Recv = 2,
    Sleep = 3,
    Dial = 4,
}

impl Op {
    fn from_bits(s: u32) -> Op {
        match (s & OP_MASK) >> OP_SHIFT {
            1 => Op::Send,
            2 => Op::Recv,
            3 => Op::Sleep,
            _ => Op::Dial,
        }
    }
}

/// Why [`State::start`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Another operation is in flight.
    Busy,
    /// The aio is being dropped.
    Stopped,
}

/// What a trampoline does with the completion nng reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Completion {
    /// This thread now owns the closure: collect `Op`'s outcome, then
    /// [`State::collected`], deliver, [`State::finish`].
    Deliver(Op),
    /// Another thread runs the closure and will deliver this one after it.
    Handed,
}

/// What an owner's drop found when it set `STOPPED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Nothing in flight, no trampoline running, none can come: inside a
    /// callback the `nng_aio` may be handed to `nng_aio_reap` and the state
    /// freed at once.
    Idle,
    /// An operation is in flight or a trampoline runs: only after
    /// `nng_aio_stop` has returned is nng done with the state.
    Active,
}

/// The state word of one aio.
pub(crate) struct State(AtomicU32);

impl State {
    pub(crate) fn new() -> State {
        State(AtomicU32::new(0))
    }

    /// Start: claims the aio for `op`. On `Ok` the caller hands the aio to
    /// nng (exactly once); nng then calls back exactly once, or, after a
    /// stop, possibly never ([`reclaim`](Self::reclaim)).
    /// Model: `start_complete_deliver`, `inline_completion`,
    /// `start_refused_after_stop`.
    #[inline]
    pub(crate) fn start(&self, op: Op) -> Result<(), Refused> {
        let mut s = self.0.load(Ordering::Relaxed);
        loop {
            if s & STOPPED != 0 {
                return Err(Refused::Stopped);
            }
            if s & BUSY != 0 {
                return Err(Refused::Busy);
            }
            let new = s | BUSY | ((op as u32) << OP_SHIFT);
            // Acquire: the outcome of the previous operation was taken off
            // the nng_aio (collected) before we reuse it. Release: publishes
            // nothing the trampoline needs beyond the word itself.
            match self
                .0
                .compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return Ok(()),
                Err(actual) => s = actual,
            }
        }
    }

    /// Complete: the trampoline's first step for the completion nng reports,
    /// or the runner's own start reporting a completion nng finished inside
    /// the call (aio.rs rule 4: always `Handed`).
    /// Model: `start_complete_deliver`, `completion_while_closure_runs`,
    /// `inline_completion`, `completion_racing_cancel`,
    /// `skipped_completion_goes_to_the_runner`,
    /// `skipped_completion_racing_drop_outside`.
    #[inline]
    pub(crate) fn complete(&self) -> Completion {
        let mut s = self.0.load(Ordering::Acquire);
        loop {
            debug_assert!(s & BUSY != 0, "nng called back with nothing in flight");
            let (new, outcome) = if s & RUNNING != 0 {
                (s | NOTIFIED, Completion::Handed)
            } else {
                (s | RUNNING, Completion::Deliver(Op::from_bits(s)))
            };
            match self
                .0
                .compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return outcome,
                Err(actual) => s = actual,
            }
        }
    }

    /// Collected: the runner has taken the outcome off the `nng_aio`; a new
    /// operation may start (from the closure it is about to call). Returns
    /// whether the closure is to be called (the owner is not gone).
    /// Model: `start_complete_deliver`, `drop_inside_callback_in_flight`.
    #[inline]
    pub(crate) fn collected(&self) -> bool {
        let prev = self.0.fetch_and(!(BUSY | OP_MASK), Ordering::AcqRel);
        debug_assert!(prev & (BUSY | RUNNING) == BUSY | RUNNING);
        prev & DROPPED == 0
    }

    /// Taken directly: an owner's start found its operation finished inside
    /// the nng call, with no callback to come (aio.rs rule 5), and took the
    /// outcome off the `nng_aio` itself; a new operation may start.
    /// Model: `owner_takes_direct_completion`.
    #[inline]
    pub(crate) fn taken_direct(&self) {
        let prev = self.0.fetch_and(!(BUSY | OP_MASK), Ordering::AcqRel);
        debug_assert!(prev & BUSY != 0);
    }

    /// Finish: the runner's closure returned. `Some(op)`: a completion was
    /// handed to it meanwhile; it keeps the closure and delivers `op` next
    /// (collect, [`collected`](Self::collected), ...). `None`: `RUNNING` is
    /// cleared; the runner must not touch the state after this.
    /// Model: `completion_while_closure_runs`, `inline_completion`.
    #[inline]
    pub(crate) fn finish(&self) -> Option<Op> {
        let mut s = self.0.load(Ordering::Acquire);
        loop {
            debug_assert!(s & RUNNING != 0);
            let (new, next) = if s & NOTIFIED != 0 {
                (s & !NOTIFIED, Some(Op::from_bits(s)))
            } else {
                (s & !RUNNING, None)
            };
            match self
                .0
                .compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return next,
                Err(actual) => s = actual,
            }
        }
    }

    /// Stop: the owner is dropping the aio; no operation starts from now on.
    /// `dropped` (a drop inside a callback) also ends delivery to the closure.
    /// Model: `drop_outside_callback_in_flight`, `drop_inside_callback_idle`,
    /// `drop_inside_callback_in_flight`, `start_refused_after_stop`.
    pub(crate) fn stop(&self, dropped: bool) -> Stop {
        let bits = if dropped { STOPPED | DROPPED } else { STOPPED };
        let prev = self.0.fetch_or(bits, Ordering::AcqRel);
        if prev & (BUSY | RUNNING) == 0 {
            Stop::Idle
        } else {
            Stop::Active
        }
    }

    /// Reclaim: called after `nng_aio_stop` returned (no trampoline runs,
    /// none will come). An operation still marked in flight got no callback:
    /// its outcome (a message) is the caller's to take off the `nng_aio`.
    /// Model: `drop_outside_callback_in_flight`, `stop_drops_completion`.
    pub(crate) fn reclaim(&self) -> Option<Op> {
        let prev = self.0.fetch_and(!(BUSY | OP_MASK), Ordering::AcqRel);
        debug_assert!(prev & RUNNING == 0, "a trampoline outlived nng_aio_stop");
        (prev & BUSY != 0).then(|| Op::from_bits(prev))
    }

    /// Whether an operation is in flight or its closure is running.
    /// Model: `wait_sees_delivery`.
    #[inline]
    pub(crate) fn is_busy(&self) -> bool {
        self.0.load(Ordering::Acquire) & (BUSY | RUNNING) != 0
    }

    /// Whether the aio is as new: nothing in flight, no closure running, not
    /// stopping, no stored panic. Then nothing can write its result slot any
    /// more (the future layer's pool may take it back), and no runner is
    /// left to which a new start's completion could be handed: only such an
    /// aio is handed out to another future.
    /// Model: `pool_return_only_when_idle`, `pool_put_while_closure_returns`.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }

    /// Whether no operation is in flight, the aio is not stopping and no
    /// panic is stored; the closure may still be returning from the last
    /// completion (e.g. blocked in a waker). The future layer puts such an
    /// aio back into its pool only once it has taken that completion's
    /// result (the closure stores nothing more until the next start), and
    /// hands it out again only once [`is_idle`](Self::is_idle): a start
    /// while the closure still runs would hand its completion to that
    /// runner, coupling an unrelated future to whatever the closure waits on.
    /// Model: `pool_put_while_closure_returns`.
    #[inline]
    pub(crate) fn is_reusable(&self) -> bool {
        self.0.load(Ordering::Acquire) & (BUSY | STOPPED | DROPPED | PANICKED) == 0
    }

    /// A caught panic was stored (by the runner).
    /// Model: `panic_stored_then_taken_once`.
    pub(crate) fn set_panicked(&self) {
        self.0.fetch_or(PANICKED, Ordering::AcqRel);
    }

    /// Whether a caught panic is stored (a load: the caller then takes it
    /// with [`take_panicked`](Self::take_panicked)).
    /// Model: `panic_stored_then_taken_once`.
    #[inline]
    pub(crate) fn has_panicked(&self) -> bool {
        self.0.load(Ordering::Acquire) & PANICKED != 0
    }

    /// Whether a stored panic was waiting (and now is the caller's).
    /// Model: `panic_stored_then_taken_once`.
    #[inline]
    pub(crate) fn take_panicked(&self) -> bool {
        self.has_panicked() && self.0.fetch_and(!PANICKED, Ordering::AcqRel) & PANICKED != 0
    }
}

/// Model tests: the state word driven exactly as `aio.rs` drives it, against
/// a fake of nng's aio (`src/core/aio.c`: a task count that `nng_aio_wait`
/// and `nng_aio_stop` wait for, a task queue thread, inline completions,
/// cancel racing completion, a completion after a stop dropped without its
/// callback). `loom` explores every interleaving; its `UnsafeCell` fails a
/// test when the closure or a result slot is touched by two threads at once.
///
/// `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`
#[cfg(all(test, loom))]
mod loom_model {
    use super::{Completion, Op, State, Stop};
    use ::loom::cell::UnsafeCell;
    use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use ::loom::sync::{Arc, Condvar, Mutex};
    use ::loom::thread;

    /// What the runner takes off the aio: the message left on it (if any)
    /// and whether nng reported success.
    #[derive(Debug)]
    struct Out {
        msg: Option<u32>,
        ok: bool,
    }

    /// nng's side of one aio.
    #[derive(Default)]
    struct Nng {
        /// a_started: handed to a provider, cancellable, not finished.
        started: bool,
        /// a_stop.
        stop: bool,
        /// The task's busy count (nni_task_prep .. callback returned).
        busy: usize,
        /// Dispatched to the task queue, callback not begun.
        queued: bool,
        /// a_msg.
        msg: Option<u32>,
        /// a_result == 0.
        ok: bool,
        /// The task queue thread may end.
        quit: bool,
    }

    type Closure = Box<dyn FnMut(&Model, Out) + Send>;

    struct Model {
        state: State,
        nng: Mutex<Nng>,
        cv: Condvar,
        closure: UnsafeCell<Closure>,
        /// A result slot, as the future layer keeps one, unguarded (loom
        /// checks that accesses never overlap) and guarded (as it is).
        slot: UnsafeCell<Option<Out>>,
        mslot: Mutex<Option<Out>>,
        /// The Inner was freed: nng must never call back after this.
        freed: AtomicBool,
        /// Messages that reached an end: consumed by nng, handed to the
        /// closure, freed by a runner after a drop, or reclaimed.
        ended: AtomicUsize,
        calls: AtomicUsize,
    }

    // SAFETY: (model) as for Aio: the closure is reached only by the holder
    // of RUNNING, which loom's UnsafeCell checks.
    unsafe impl Sync for Model {}
    // SAFETY: (model) as for Sync.
    unsafe impl Send for Model {}

    impl Model {
        fn new(closure: impl FnMut(&Model, Out) + Send + 'static) -> Arc<Model> {
            Arc::new(Model {
                state: State::new(),
                nng: Mutex::new(Nng::default()),
                cv: Condvar::new(),
                closure: UnsafeCell::new(Box::new(closure)),
                slot: UnsafeCell::new(None),
                mslot: Mutex::new(None),
                freed: AtomicBool::new(false),
                ended: AtomicUsize::new(0),
                calls: AtomicUsize::new(0),
            })
        }

        fn end(&self, out: &Out) {
            // A message that nng consumed ended in finish().
            if out.msg.is_some() {
                self.ended.fetch_add(1, Ordering::SeqCst);
            }
        }

        // ---- the Rust side, as in aio.rs ----

        /// Aio::start then the nng call (`f(raw)`).
        fn start(&self, op: Op, msg: Option<u32>) -> bool {
            if self.state.start(op).is_err() {
                return false;
            }
            let mut n = self.nng.lock().unwrap();
            n.msg = msg;
            if n.stop {
                // nni_aio_start on a stopped aio: ESTOPPED, dispatched.
                n.ok = false;
                n.busy += 1;
                n.queued = true;
                self.cv.notify_all();
            } else {
                n.started = true;
                n.busy += 1;
            }
            true
        }

        /// The trampoline.
        fn trampoline(&self) {
            assert!(!self.freed.load(Ordering::SeqCst), "callback after free");
            let mut op = match self.state.complete() {
                Completion::Deliver(op) => op,
                Completion::Handed => return,
            };
            loop {
                let _ = op;
                let out = {
                    let mut n = self.nng.lock().unwrap();
                    Out {
                        msg: n.msg.take(),
                        ok: n.ok,
                    }
                };
                if self.state.collected() {
                    self.calls.fetch_add(1, Ordering::SeqCst);
                    // SAFETY: (model) RUNNING; loom checks exclusivity.
                    self.closure.with_mut(|c| unsafe { (*c)(self, out) });
                } else {
                    self.end(&out);
                }
                match self.state.finish() {
                    Some(next) => op = next,
                    None => return,
                }
            }
        }

        /// Aio::wait.
        fn wait(&self) {
            while self.state.is_busy() {
                self.nng_wait();
                if self.state.is_busy() {
                    thread::yield_now();
                }
            }
        }

        /// The teardown of a drop.
        fn teardown(&self) {
            self.nng_stop();
            if self.state.reclaim().is_some() {
                let out = {
                    let mut n = self.nng.lock().unwrap();
                    Out {
                        msg: n.msg.take(),
                        ok: n.ok,
                    }
                };
                self.end(&out);
            }
            // nng_aio_free: waits for the task, as nng_aio_stop did.
            self.nng_wait();
            self.freed.store(true, Ordering::SeqCst);
        }

        /// Drop outside callbacks.
        fn drop_outside(&self) {
            self.state.stop(false);
            self.teardown();
        }

        /// Drop inside a callback: `Idle` frees at once; `Active` hands the
        /// teardown to a helper thread, returned to be joined.
        fn drop_inside(this: &Arc<Self>) -> Option<thread::JoinHandle<()>> {
            match this.state.stop(true) {
                Stop::Idle => {
                    this.freed.store(true, Ordering::SeqCst);
                    None
                }
                Stop::Active => {
                    let m = this.clone();
                    Some(thread::spawn(move || m.teardown()))
                }
            }
        }

        // ---- nng, as in src/core/aio.c ----

        /// A provider finishes the operation: `consume` takes the message
        /// (a send that went out, or a receive is modelled by the message it
        /// leaves); `inline` runs the callback on this thread
        /// (nni_aio_finish_sync), else it is dispatched to the task queue.
        fn finish(&self, consume: bool, inline: bool) -> bool {
            let mut n = self.nng.lock().unwrap();
            if !n.started {
                return false;
            }
            n.started = false;
            if consume && n.msg.take().is_some() {
                self.ended.fetch_add(1, Ordering::SeqCst);
            }
            n.ok = !n.stop;
            if inline {
                drop(n);
                self.trampoline();
                let mut n = self.nng.lock().unwrap();
                n.busy -= 1;
                self.cv.notify_all();
            } else {
                n.queued = true;
                self.cv.notify_all();
            }
            true
        }

        /// Aio::start with a provider that completes directly inside the nng
        /// call, without nni_aio_start (no cancel function). On a stopped
        /// aio nng then drops the callback (nni_aio_finish_impl, `!started
        /// && stopped`, issue #2208): the message stays on the aio.
        fn start_direct(&self, op: Op, msg: Option<u32>) -> bool {
            if self.state.start(op).is_err() {
                return false;
            }
            let mut n = self.nng.lock().unwrap();
            n.msg = msg;
            if !n.stop {
                n.ok = true;
                n.busy += 1;
                n.queued = true;
                self.cv.notify_all();
            }
            true
        }

        /// Aio::start through the runner's handle (aio.rs rule 4): nng is
        /// asked to skip the callback, and the provider finishes the
        /// operation inside the call without starting it: nng sets the flag
        /// and schedules nothing (nng-sys `aio-skip-callback`), stopped or
        /// not (then with NNG_ESTOPPED, the message left on the aio). The
        /// start hands the completion to the runner, which holds RUNNING.
        fn start_skipped(&self, op: Op, msg: Option<u32>, consume: bool) -> bool {
            if self.state.start(op).is_err() {
                return false;
            }
            {
                let mut n = self.nng.lock().unwrap();
                n.msg = msg;
                n.ok = !n.stop;
                if n.ok && consume && n.msg.take().is_some() {
                    self.ended.fetch_add(1, Ordering::SeqCst);
                }
            }
            assert_eq!(self.state.complete(), Completion::Handed);
            true
        }

        /// Aio::start_direct by the owner (aio.rs rule 5): as
        /// `start_skipped`, but the owner takes the outcome itself.
        fn start_owner_direct(&self, op: Op, msg: Option<u32>) -> Option<Out> {
            if self.state.start(op).is_err() {
                return None;
            }
            let out = {
                let mut n = self.nng.lock().unwrap();
                n.msg = msg;
                n.ok = !n.stop;
                Out {
                    msg: n.msg.take(),
                    ok: n.ok,
                }
            };
            self.state.taken_direct();
            Some(out)
        }

        /// nng_aio_cancel: the cancel function finishes with an error.
        fn nng_cancel(&self) {
            let mut n = self.nng.lock().unwrap();
            if n.started {
                n.started = false;
                n.ok = false;
                n.queued = true;
                self.cv.notify_all();
            }
        }

        /// nng_aio_stop.
        fn nng_stop(&self) {
            let mut n = self.nng.lock().unwrap();
            n.stop = true;
            if n.started {
                n.started = false;
                n.ok = false;
                n.queued = true;
                self.cv.notify_all();
            }
            while n.busy > 0 {
                n = self.cv.wait(n).unwrap();
            }
        }

        /// nng_aio_wait.
        fn nng_wait(&self) {
            let mut n = self.nng.lock().unwrap();
            while n.busy > 0 {
                n = self.cv.wait(n).unwrap();
            }
        }

        /// The task queue thread: runs dispatched callbacks until `quit`.
        fn taskq(&self) {
            loop {
                let mut n = self.nng.lock().unwrap();
                while !n.queued && !n.quit {
                    n = self.cv.wait(n).unwrap();
                }
                if !n.queued {
                    return;
                }
                n.queued = false;
                drop(n);
                self.trampoline();
                let mut n = self.nng.lock().unwrap();
                n.busy -= 1;
                self.cv.notify_all();
            }
        }

        fn quit(&self) {
            self.nng.lock().unwrap().quit = true;
            self.cv.notify_all();
        }

        /// The task queue thread of a test.
        fn spawn_taskq(this: &Arc<Self>) -> thread::JoinHandle<()> {
            let q = this.clone();
            thread::spawn(move || q.taskq())
        }

        /// Ends the task queue thread once it has run what was queued.
        fn end_taskq(&self, tq: thread::JoinHandle<()>) {
            self.quit();
            tq.join().unwrap();
        }

        /// Starts a send of message 1 that a provider on another thread
        /// finishes (consuming it), racing the start; then waits until the
        /// aio is idle (a cancel covers a provider that came first).
        fn settle_first_send(this: &Arc<Self>) {
            assert!(this.start(Op::Send, Some(1)));
            let p = this.clone();
            let provider = thread::spawn(move || {
                p.finish(true, false);
            });
            provider.join().unwrap();
            this.nng_cancel();
            this.wait();
        }
    }

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut b = ::loom::model::Builder::new();
        b.preemption_bound = Some(3);
        b.check(f);
    }

    fn counting(m: &Model, out: Out) {
        m.end(&out);
    }

    /// Start -> complete (task queue) -> deliver; wait returns after it.
    #[test]
    fn start_complete_deliver() {
        model(|| {
            let m = Model::new(counting);
            let tq = Model::spawn_taskq(&m);
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(true, false);
            });
            assert!(m.start(Op::Send, Some(1)));
            provider.join().unwrap();
            m.nng_cancel(); // if the provider came before the start
            m.wait();
            assert_eq!(m.calls.load(Ordering::SeqCst), 1);
            assert_eq!(m.ended.load(Ordering::SeqCst), 1);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// A wait on another thread returns only after the
    /// closure has returned.
    #[test]
    fn wait_sees_delivery() {
        model(|| {
            let done = Arc::new(AtomicBool::new(false));
            let d = done.clone();
            let m = Model::new(move |m, out| {
                m.end(&out);
                d.store(true, Ordering::SeqCst);
            });
            assert!(m.start(Op::Recv, Some(7)));
            let w = m.clone();
            let seen = done.clone();
            let waiter = thread::spawn(move || {
                w.wait();
                assert!(
                    seen.load(Ordering::SeqCst),
                    "wait returned before the closure"
                );
            });
            m.finish(false, true);
            waiter.join().unwrap();
            assert!(done.load(Ordering::SeqCst));
            m.drop_outside();
        });
    }

    /// An operation started by the closure completes inline, on the same
    /// thread, while the closure still runs: it is delivered after it.
    #[test]
    fn inline_completion() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                if m.calls.load(Ordering::SeqCst) == 1 {
                    assert!(m.start(Op::Send, Some(2)));
                    m.finish(false, true); // nested trampoline: Handed
                }
            });
            assert!(m.start(Op::Send, Some(1)));
            m.finish(false, true);
            assert_eq!(m.calls.load(Ordering::SeqCst), 2);
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.drop_outside();
        });
    }

    /// The closure starts the next operation, which another nng thread
    /// completes while the closure still runs: never two runners (loom's
    /// UnsafeCell), every completion delivered once.
    #[test]
    fn completion_while_closure_runs() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                if m.calls.load(Ordering::SeqCst) == 1 {
                    assert!(m.start(Op::Recv, Some(2)));
                }
            });
            assert!(m.start(Op::Recv, Some(1)));
            let p = m.clone();
            let other = thread::spawn(move || {
                // The provider of the second operation, on its own thread.
                while p.calls.load(Ordering::SeqCst) == 0 {
                    thread::yield_now();
                }
                while !p.finish(false, true) {
                    thread::yield_now();
                }
            });
            m.finish(false, true);
            other.join().unwrap();
            m.wait();
            assert_eq!(m.calls.load(Ordering::SeqCst), 2);
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.drop_outside();
        });
    }

    /// A completion races a cancel: exactly one callback, the message ends
    /// once (consumed and reported sent, or handed back with the error).
    #[test]
    fn completion_racing_cancel() {
        model(|| {
            let m = Model::new(|m, out| {
                assert_eq!(out.ok, out.msg.is_none());
                m.end(&out);
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Send, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(true, false);
            });
            m.nng_cancel();
            provider.join().unwrap();
            m.wait();
            assert_eq!(m.calls.load(Ordering::SeqCst), 1);
            assert_eq!(m.ended.load(Ordering::SeqCst), 1);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// Drop outside callbacks with an operation in flight, racing its
    /// completion: the closure sees it at most once, the message ends once,
    /// nothing calls back after the free.
    #[test]
    fn drop_outside_callback_in_flight() {
        model(|| {
            let m = Model::new(counting);
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Send, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            m.drop_outside();
            assert!(!m.start(Op::Send, None), "start refused after stop");
            provider.join().unwrap();
            assert_eq!(m.ended.load(Ordering::SeqCst), 1);
            assert!(m.calls.load(Ordering::SeqCst) <= 1);
            m.end_taskq(tq);
        });
    }

    /// After a stop, nng drops a direct completion's callback (issue #2208):
    /// the closure starts one while a drop runs on another thread; its
    /// message is delivered, handed back, or reclaimed by the teardown.
    #[test]
    fn stop_drops_completion() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                if m.calls.load(Ordering::SeqCst) == 1 && !m.start_direct(Op::Send, Some(2)) {
                    m.ended.fetch_add(1, Ordering::SeqCst); // handed back
                }
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Send, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            m.drop_outside();
            provider.join().unwrap();
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
        });
    }

    /// A start from the closure racing a drop on
    /// another thread either is refused or is delivered before the drop
    /// returns.
    #[test]
    fn start_refused_after_stop() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                let _ = m.start(Op::Sleep, None);
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Sleep, None));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            m.drop_outside();
            provider.join().unwrap();
            assert!(!m.state.is_busy());
            m.end_taskq(tq);
        });
    }

    /// The owner drops the aio inside another callback with nothing in
    /// flight: freed at once, and nng never calls back.
    #[test]
    fn drop_inside_callback_idle() {
        model(|| {
            let m = Model::new(counting);
            assert!(m.start(Op::Recv, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, true);
            });
            provider.join().unwrap();
            if let Some(h) = Model::drop_inside(&m) {
                h.join().unwrap();
            }
            assert!(m.freed.load(Ordering::SeqCst));
            assert_eq!(m.ended.load(Ordering::SeqCst), 1);
        });
    }

    /// The closure drops its own aio after starting a new operation, while
    /// the provider may complete it: the helper's teardown waits for the
    /// running closure; the closure is not called for the new operation;
    /// its message ends once.
    #[test]
    fn drop_inside_callback_in_flight() {
        model(|| {
            let helper: Arc<Mutex<Option<thread::JoinHandle<()>>>> = Arc::new(Mutex::new(None));
            let h2 = helper.clone();
            let me: Arc<Mutex<Option<Arc<Model>>>> = Arc::new(Mutex::new(None));
            let me2 = me.clone();
            let m = Model::new(move |m, out| {
                m.end(&out);
                if m.calls.load(Ordering::SeqCst) == 1 {
                    assert!(m.start(Op::Send, Some(2)));
                    let this = me2.lock().unwrap().take().unwrap();
                    *h2.lock().unwrap() = Model::drop_inside(&this);
                }
            });
            *me.lock().unwrap() = Some(m.clone());
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Send, Some(1)));
            m.finish(false, false);
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            provider.join().unwrap();
            // The first callback has run once the helper exists.
            loop {
                if let Some(h) = helper.lock().unwrap().take() {
                    h.join().unwrap();
                    break;
                }
                thread::yield_now();
            }
            assert!(m.freed.load(Ordering::SeqCst));
            assert_eq!(m.calls.load(Ordering::SeqCst), 1);
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
        });
    }

    /// The closure starts operations that nng finishes inside the start
    /// call (aio.rs rule 4, a skipped callback): each is delivered once, by
    /// the same runner after the closure returns, never while it runs (loom's
    /// UnsafeCell), while a drop outside callbacks races the chain.
    #[test]
    fn skipped_completion_goes_to_the_runner() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                let n = m.calls.load(Ordering::SeqCst);
                if n < 3 {
                    // A send that nng took at once, then a receive that found
                    // a message waiting.
                    let (op, msg, consume) = if n == 1 {
                        (Op::Send, Some(2), true)
                    } else {
                        (Op::Recv, Some(3), false)
                    };
                    m.start_skipped(op, msg, consume);
                }
            });
            let tq = Model::spawn_taskq(&m);
            Model::settle_first_send(&m);
            assert_eq!(m.calls.load(Ordering::SeqCst), 3);
            assert_eq!(m.ended.load(Ordering::SeqCst), 3);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// A drop outside callbacks while the runner's closure starts operations
    /// that nng finishes at once: after the drop's stop those report
    /// NNG_ESTOPPED with their message, and every message ends exactly once.
    #[test]
    fn skipped_completion_racing_drop_outside() {
        model(|| {
            let m = Model::new(|m, out| {
                m.end(&out);
                if m.calls.load(Ordering::SeqCst) == 1 {
                    // Refused with Stopped if the drop came first: then the
                    // message was never handed over and ends here.
                    if !m.start_skipped(Op::Send, Some(2), true) {
                        m.ended.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Send, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(true, false);
            });
            let d = m.clone();
            let dropper = thread::spawn(move || d.drop_outside());
            provider.join().unwrap();
            dropper.join().unwrap();
            assert!(m.freed.load(Ordering::SeqCst));
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
        });
    }

    /// The owner starts operations that nng finishes inside the start and
    /// takes their outcomes itself (aio.rs rule 5) while the closure of an
    /// earlier completion may still be running on the task thread: the
    /// closure never sees them, and every message ends once.
    #[test]
    fn owner_takes_direct_completion() {
        model(|| {
            let m = Model::new(counting);
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Recv, Some(1)));
            m.finish(false, false);
            // Refused (Busy) until the runner collected the first outcome.
            let out = loop {
                if let Some(out) = m.start_owner_direct(Op::Recv, Some(2)) {
                    break out;
                }
                thread::yield_now();
            };
            assert!(out.ok);
            m.end(&out);
            m.wait();
            assert_eq!(m.calls.load(Ordering::SeqCst), 1);
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// The future layer's pool: the owner reuses the result slot as soon as
    /// `is_idle` says so, and the closure's write never overlaps it (loom's
    /// UnsafeCell); a pooled aio gets no callback from the operation before.
    #[test]
    fn pool_return_only_when_idle() {
        model(|| {
            let m = Model::new(|m, out| {
                // SAFETY: (model) loom checks it against the owner's access.
                m.slot.with_mut(|s| unsafe { *s = Some(out) });
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Recv, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            // A future dropped at any moment is pooled once idle.
            while !m.state.is_idle() {
                thread::yield_now();
            }
            // SAFETY: (model) idle, so no closure writes the slot.
            let taken = m.slot.with_mut(|s| unsafe { (*s).take() });
            m.end(&taken.expect("the result is in the slot"));
            // Reused by the next future: a new start, completed by nng.
            assert!(m.start(Op::Recv, Some(2)));
            provider.join().unwrap();
            m.finish(false, false);
            m.wait();
            // SAFETY: (model) idle again.
            let taken = m.slot.with_mut(|s| unsafe { (*s).take() });
            m.end(&taken.expect("the second result"));
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// The future layer's other pool return: the owner took the result from
    /// its (mutex-guarded) slot while the closure may still be returning,
    /// sees `is_reusable` and puts the aio in the pool (clearing the slot);
    /// the next future takes it only once `is_idle` (the runner is gone),
    /// then starts its operation. The next future sees only its own result,
    /// delivered by a runner of its own (never handed to the first one).
    #[test]
    fn pool_put_while_closure_returns() {
        model(|| {
            let m = Model::new(|m, out| {
                *m.mslot.lock().unwrap() = Some(out);
            });
            let tq = Model::spawn_taskq(&m);
            assert!(m.start(Op::Recv, Some(1)));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, false);
            });
            // Future 1 polls until its result is there, takes it, is dropped.
            let first = loop {
                if let Some(out) = m.mslot.lock().unwrap().take() {
                    break out;
                }
                thread::yield_now();
            };
            assert_eq!(first.msg, Some(1));
            m.end(&first);
            assert!(m.state.is_reusable());
            *m.mslot.lock().unwrap() = None; // put in the pool, slot cleared
                                             // Future 2 takes it from the pool only once idle.
            while !m.state.is_idle() {
                thread::yield_now();
            }
            assert!(m.start(Op::Recv, Some(2)));
            provider.join().unwrap();
            // Completed inline here: the first runner is gone, so this
            // thread delivers it itself (had it been handed to the first
            // runner, the slot could still be empty when `finish` returns).
            assert!(m.finish(false, true));
            let second = m
                .mslot
                .lock()
                .unwrap()
                .take()
                .expect("delivered by this thread, not handed to another runner");
            assert_eq!(second.msg, Some(2));
            m.end(&second);
            m.wait();
            assert!(m.mslot.lock().unwrap().is_none(), "a stale store");
            assert_eq!(m.ended.load(Ordering::SeqCst), 2);
            m.end_taskq(tq);
            m.drop_outside();
        });
    }

    /// A panic caught by the runner (stored in a slot, then flagged) is
    /// taken exactly once by `wait`/start on another thread, never lost, and
    /// the pool refuses the aio meanwhile.
    #[test]
    fn panic_stored_then_taken_once() {
        model(|| {
            let slot: Arc<Mutex<Option<u32>>> = Arc::new(Mutex::new(None));
            let s2 = slot.clone();
            let m = Model::new(move |m, out| {
                m.end(&out);
                // As the trampoline does for a caught panic
                // (`callback::store_payload`): the first is kept and
                // flagged, a later one dropped, and `finish` runs either way.
                let stored = {
                    let mut s = s2.lock().unwrap();
                    s.is_none() && s.insert(7) == &7
                };
                if stored {
                    m.state.set_panicked();
                }
            });
            assert!(m.start(Op::Sleep, None));
            let p = m.clone();
            let provider = thread::spawn(move || {
                p.finish(false, true);
            });
            let mut taken = 0;
            // Aio::take_panic, polled by the owner.
            loop {
                if m.state.take_panicked() {
                    if let Some(v) = slot.lock().unwrap().take() {
                        assert_eq!(v, 7);
                        taken += 1;
                    }
                }
                if taken == 1 && !m.state.is_busy() {
                    break;
                }
                assert!(taken == 1 || !m.state.is_idle(), "pooled with a panic");
                thread::yield_now();
            }
            provider.join().unwrap();
            assert!(!m.state.take_panicked());
            assert!(m.state.is_idle());
            m.drop_outside();
        });
    }
}
