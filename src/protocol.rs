//! The Scalability Protocols: [`Protocol`] names each one nng implements.
//!
//! | protocol | peer | pattern |
//! |---|---|---|
//! | [`Pair0`](Protocol::Pair0), [`Pair1`](Protocol::Pair1) | itself | one-to-one, both directions |
//! | [`Pair1Poly`](Protocol::Pair1Poly) | `Pair1` | pair1 with many peers |
//! | [`Req0`](Protocol::Req0) / [`Rep0`](Protocol::Rep0) | each other | request/reply, with resend |
//! | [`Pub0`](Protocol::Pub0) / [`Sub0`](Protocol::Sub0) | each other | publish/subscribe by prefix |
//! | [`Push0`](Protocol::Push0) / [`Pull0`](Protocol::Pull0) | each other | pipeline, round-robin |
//! | [`Surveyor0`](Protocol::Surveyor0) / [`Respondent0`](Protocol::Respondent0) | each other | ask everyone, collect answers until a deadline |
//! | [`Bus0`](Protocol::Bus0) | itself | many-to-many, not echoed to the sender |

use crate::ffi;

/// One of nng's protocols; pass it to [`Socket::new`](crate::Socket::new) or
/// [`Socket::new_raw`](crate::Socket::new_raw).
///
/// ```
/// use nng::{Protocol, Socket};
/// let s = Socket::new(Protocol::Req0)?;
/// assert_eq!(s.protocol()?, Protocol::Req0);
/// assert_eq!(s.peer_protocol()?, Protocol::Rep0);
/// assert_eq!(Protocol::Req0.name(), "req");
/// # Ok::<(), nng::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// BUS version 0 (`nng_bus0_open`): a message goes to every directly
    /// connected peer (not forwarded further) and is received from any of
    /// them, never back from itself. Cooked: no header. Raw: a received
    /// message's header holds the id of the pipe it came in on, and a raw
    /// send skips the pipe named there, which is what a reflecting
    /// [`Device`](crate::Device) needs. No contexts.
    Bus0,
    /// PAIR version 0 (`nng_pair0_open`): one peer at a time, both
    /// directions, no header cooked or raw. No contexts.
    Pair0,
    /// PAIR version 1 (`nng_pair1_open`): one peer at a time, both
    /// directions. Cooked: the hop count travels in a header the socket adds
    /// and strips. Raw: that header is visible and must be sent (devices).
    /// No contexts.
    Pair1,
    /// PAIR version 1 in polyamorous mode (`nng_pair1_open_poly`): many peers,
    /// each message tagged with its pipe. Not available raw.
    Pair1Poly,
    /// PUB version 0 (`nng_pub0_open`): every message goes to every
    /// subscriber (each filters it); cannot receive. No header, no contexts.
    Pub0,
    /// SUB version 0 (`nng_sub0_open`): receives the messages whose body
    /// starts with a subscribed prefix ([`Socket::subscribe`](crate::Socket::subscribe); none at first,
    /// the empty prefix takes all); cannot send. No header. Each
    /// [`Context`](crate::Context) has its own subscriptions and queue.
    Sub0,
    /// PUSH version 0 (`nng_push0_open`): each message goes to one puller,
    /// round-robin among the ready ones; cannot receive. No header, no
    /// contexts.
    Push0,
    /// PULL version 0 (`nng_pull0_open`): receives from every pusher
    /// (fair-queued); cannot send. No header, no contexts.
    Pull0,
    /// REQ version 0 (`nng_req0_open`): sends a request, receives its
    /// reply. Cooked: the socket (or [`Context`](crate::Context)) puts a request id in the
    /// header, resends the request every
    /// [`ReqResendTime`](crate::options::ReqResendTime) until answered, and
    /// matches the reply by that id, so you see bodies only; one request is
    /// outstanding per socket or context (a new one abandons the last): use
    /// one context per concurrent request. Raw: the header (backtrace, then
    /// the request id with its high bit set) is the caller's, with no resend
    /// and no matching (devices).
    Req0,
    /// REP version 0 (`nng_rep0_open`): receives requests, sends replies.
    /// Cooked: receiving a request stores its route (the backtrace from its
    /// header) in the socket or [`Context`](crate::Context) and hands you the body; the next
    /// send there goes back along that route, whatever the header of the
    /// message you send holds, so `rep.send(b"answer")` is the whole reply.
    /// A send with no request to answer fails with
    /// [`IncorrectState`](crate::Error::IncorrectState). Use one context per
    /// request served at the same time. Raw: the backtrace stays in the
    /// received message's header and the reply must carry it back
    /// (devices).
    Rep0,
    /// SURVEYOR version 0 (`nng_surveyor0_open`): sends a survey to every
    /// respondent and receives their answers until the survey's deadline
    /// ([`SurveyTime`](crate::options::SurveyTime)), after which a receive
    /// fails with [`TimedOut`](crate::Error::TimedOut). Cooked: the socket or
    /// [`Context`](crate::Context) puts a survey id in the header and keeps only answers to its
    /// current survey; a new survey ends the last. Contexts run independent
    /// surveys. Raw: the header is the caller's, no deadline, no matching.
    Surveyor0,
    /// RESPONDENT version 0 (`nng_respondent0_open`): receives surveys,
    /// sends answers. Routed like [`Rep0`](Protocol::Rep0): the socket or
    /// [`Context`](crate::Context) keeps the survey's backtrace, and the next send answers
    /// that surveyor. Raw: the backtrace is in the header (devices).
    Respondent0,
}

type Opener = unsafe extern "C" fn(*mut ffi::nng_socket) -> i32;

impl Protocol {
    /// Every protocol.
    pub const ALL: [Protocol; 12] = [
        Protocol::Bus0,
        Protocol::Pair0,
        Protocol::Pair1,
        Protocol::Pair1Poly,
        Protocol::Pub0,
        Protocol::Sub0,
        Protocol::Push0,
        Protocol::Pull0,
        Protocol::Req0,
        Protocol::Rep0,
        Protocol::Surveyor0,
        Protocol::Respondent0,
    ];

    /// The C functions that open it, cooked and raw.
    pub(crate) fn openers(self) -> (Opener, Option<Opener>) {
        use Protocol::*;
        match self {
            Bus0 => (ffi::nng_bus0_open, Some(ffi::nng_bus0_open_raw)),
            Pair0 => (ffi::nng_pair0_open, Some(ffi::nng_pair0_open_raw)),
            Pair1 => (ffi::nng_pair1_open, Some(ffi::nng_pair1_open_raw)),
            Pair1Poly => (ffi::nng_pair1_open_poly, None),
            Pub0 => (ffi::nng_pub0_open, Some(ffi::nng_pub0_open_raw)),
            Sub0 => (ffi::nng_sub0_open, Some(ffi::nng_sub0_open_raw)),
            Push0 => (ffi::nng_push0_open, Some(ffi::nng_push0_open_raw)),
            Pull0 => (ffi::nng_pull0_open, Some(ffi::nng_pull0_open_raw)),
            Req0 => (ffi::nng_req0_open, Some(ffi::nng_req0_open_raw)),
            Rep0 => (ffi::nng_rep0_open, Some(ffi::nng_rep0_open_raw)),
            Surveyor0 => (ffi::nng_surveyor0_open, Some(ffi::nng_surveyor0_open_raw)),
            Respondent0 => (
                ffi::nng_respondent0_open,
                Some(ffi::nng_respondent0_open_raw),
            ),
        }
    }

    /// The 16-bit protocol number on the wire (e.g. req0 is 0x30).
    ///
    /// ```
    /// assert_eq!(nng::Protocol::Req0.id(), 0x30);
    /// assert_eq!(nng::Protocol::Pair1Poly.id(), nng::Protocol::Pair1.id());
    /// ```
    pub fn id(self) -> u16 {
        use Protocol::*;
        match self {
            Pair0 => 0x10,
            Pair1 | Pair1Poly => 0x11,
            Pub0 => 0x20,
            Sub0 => 0x21,
            Req0 => 0x30,
            Rep0 => 0x31,
            Push0 => 0x50,
            Pull0 => 0x51,
            Surveyor0 => 0x62,
            Respondent0 => 0x63,
            Bus0 => 0x70,
        }
    }

    /// The protocol's name as nng reports it (`"req"`, `"pair1"`, ...).
    ///
    /// ```
    /// assert_eq!(nng::Protocol::Surveyor0.name(), "surveyor");
    /// assert_eq!(nng::Protocol::Bus0.to_string(), "bus");
    /// ```
    pub fn name(self) -> &'static str {
        use Protocol::*;
        match self {
            Bus0 => "bus",
            Pair0 => "pair",
            Pair1 | Pair1Poly => "pair1",
            Pub0 => "pub",
            Sub0 => "sub",
            Push0 => "push",
            Pull0 => "pull",
            Req0 => "req",
            Rep0 => "rep",
            Surveyor0 => "surveyor",
            Respondent0 => "respondent",
        }
    }

    /// The protocol with this wire number (pair1 maps to [`Protocol::Pair1`]).
    ///
    /// ```
    /// assert_eq!(nng::Protocol::from_id(0x21), Some(nng::Protocol::Sub0));
    /// assert_eq!(nng::Protocol::from_id(0x99), None);
    /// ```
    pub fn from_id(id: u16) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.id() == id && *p != Protocol::Pair1Poly)
    }

    /// The protocol a peer of this one must speak.
    ///
    /// ```
    /// use nng::Protocol;
    /// assert_eq!(Protocol::Push0.peer(), Protocol::Pull0);
    /// assert_eq!(Protocol::Bus0.peer(), Protocol::Bus0);
    /// ```
    pub fn peer(self) -> Protocol {
        use Protocol::*;
        match self {
            Pub0 => Sub0,
            Sub0 => Pub0,
            Req0 => Rep0,
            Rep0 => Req0,
            Push0 => Pull0,
            Pull0 => Push0,
            Surveyor0 => Respondent0,
            Respondent0 => Surveyor0,
            Pair1Poly => Pair1,
            other => other,
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
