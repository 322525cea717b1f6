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
//! | pins (count) | [`State::pin`] | [`State::unpin`] | cancels deferred to a helper thread that still use the `nng_aio` |

#[cfg(loom)]
use loom::sync::atomic::{AtomicU32, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU32, Ordering};

const BUSY: u32 = 1;
const RUNNING: u32 = 1 << 1;
const NOTIFIED: u32 = 1 << 2;
const STOPPED: u32 = 1 << 3;
const DROPPED: u32 = 1 << 4;
const PANICKED: u32 = 1 << 5;
const OP_SHIFT: u32 = 8;
const OP_MASK: u32 = 0b111 << OP_SHIFT;
/// One deferred cancel in progress (a count in the high bits).
const PIN: u32 = 1 << 16;
const PINS: u32 = !(PIN - 1);

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

    /// Complete: the trampoline's first step for the completion nng reports.
    /// Model: `start_complete_deliver`, `completion_while_closure_runs`,
    /// `inline_completion`.
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
    pub(crate) fn collected(&self) -> bool {
        let prev = self.0.fetch_and(!(BUSY | OP_MASK), Ordering::AcqRel);
        debug_assert!(prev & (BUSY | RUNNING) == BUSY | RUNNING);
        prev & DROPPED == 0
    }

    /// Finish: the runner's closure returned. `Some(op)`: a completion was
    /// handed to it meanwhile; it keeps the closure and delivers `op` next
    /// (collect, [`collected`](Self::collected), ...). `None`: `RUNNING` is
    /// cleared; the runner must not touch the state after this.
    /// Model: `completion_while_closure_runs`, `inline_completion`.
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
        if prev & (BUSY | RUNNING | PINS) == 0 {
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
    pub(crate) fn is_busy(&self) -> bool {
        self.0.load(Ordering::Acquire) & (BUSY | RUNNING) != 0
    }

    /// Whether the aio is as new: nothing in flight, no closure running, not
    /// stopping, no stored panic. Only then may the future layer's pool take
    /// it back: nothing can write its result slot any more.
    /// Model: `pool_return_only_when_idle`.
    pub(crate) fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }

    /// Pin: a cancel handed to a helper thread will still call into the
    /// `nng_aio`; nothing frees it (nor reuses it) until [`unpin`](Self::unpin).
    /// Model: `deferred_cancel_pins`.
    pub(crate) fn pin(&self) {
        self.0.fetch_add(PIN, Ordering::AcqRel);
    }

    /// Unpin: the deferred cancel is done with the `nng_aio`.
    /// Model: `deferred_cancel_pins`.
    pub(crate) fn unpin(&self) {
        self.0.fetch_sub(PIN, Ordering::AcqRel);
    }

    /// Whether a deferred cancel still uses the `nng_aio`.
    pub(crate) fn pinned(&self) -> bool {
        self.0.load(Ordering::Acquire) & PINS != 0
    }

    /// A caught panic was stored (by the runner).
    pub(crate) fn set_panicked(&self) {
        self.0.fetch_or(PANICKED, Ordering::AcqRel);
    }

    /// Whether a stored panic was waiting (and now is the caller's).
    pub(crate) fn take_panicked(&self) -> bool {
        self.0.load(Ordering::Acquire) & PANICKED != 0
            && self.0.fetch_and(!PANICKED, Ordering::AcqRel) & PANICKED != 0
    }
}
