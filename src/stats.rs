//! Statistics: a snapshot of nng's statistics tree (`nng_stats_get`).
//!
//! [`Statistics::get`] takes a snapshot of every counter nng keeps: one scope
//! per socket, with its dialers, listeners and pipes below it, each holding
//! counters (messages and bytes sent and received, connection attempts...),
//! levels, booleans, strings and ids. Walk it with [`Stat::children`], or go
//! straight to an object with [`Statistics::socket`], [`Statistics::dialer`]
//! and [`Statistics::listener`], then [`Stat::find`] a statistic by name.
//!
//! The names and meanings of individual statistics are nng's and may change
//! between nng versions.
//!
//! ```
//! use nng::stats::{Statistics, StatValue};
//! use nng::{Protocol, Socket};
//! let a = Socket::new(Protocol::Pair1)?;
//! a.listen("inproc://stats-doc")?;
//! let b = Socket::new(Protocol::Pair1)?;
//! b.dial("inproc://stats-doc")?;
//! b.send(b"hello")?;
//! a.recv()?;
//!
//! let snapshot = Statistics::get()?;
//! let sent = snapshot.socket(&b).expect("every open socket has a scope");
//! assert_eq!(sent.find("tx_msgs").unwrap().value(), StatValue::Counter(1));
//! assert_eq!(sent.find("tx_bytes").unwrap().value(), StatValue::Counter(5));
//! let received = snapshot.socket(&a).unwrap();
//! assert_eq!(received.find("rx_msgs").unwrap().value(), StatValue::Counter(1));
//! assert_eq!(received.find("protocol").unwrap().value(), StatValue::String("pair1"));
//! # Ok::<(), nng::Error>(())
//! ```
//!
//! Which counters move depends on nng: socket-level message counters are kept
//! by some protocols (pair1, for one), per-pipe byte counters by the network
//! transports (tcp, tls+tcp, ipc...) but not inproc.
//!
//! A [`Stat`] borrows its snapshot, so it cannot outlive it:
//!
//! ```compile_fail
//! let snapshot = nng::stats::Statistics::get().unwrap();
//! let root = snapshot.root();
//! drop(snapshot); // error: `snapshot` is still borrowed by `root`
//! println!("{}", root.name());
//! ```

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::{Dialer, Listener, Socket};
use std::ffi::{c_char, CStr, CString};
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A snapshot of nng's statistics tree (`nng_stat` root from
/// `nng_stats_get`), freed when dropped (`nng_stats_free`).
#[doc(alias = "nng_stats_get")]
pub struct Statistics {
    root: NonNull<ffi::nng_stat>,
}

// SAFETY: the snapshot is a private copy owned by this value (nng does not
// update it after nng_stats_get returns), and the nng_stat_* accessors only
// read it, so it can be moved to and read from any thread. Stat<'_> borrows it,
// so it is freed only when no reader is left. Pinned by
// `snapshot_is_send_and_sync` in tests/stats.rs and the compile_fail doctest in
// this module.
unsafe impl Send for Statistics {}
// SAFETY: see Send: shared access only reads.
unsafe impl Sync for Statistics {}

impl Statistics {
    /// Takes a snapshot of all statistics (`nng_stats_get`).
    /// [`Error::NotSupported`] if nng was built without statistics.
    #[doc(alias = "nng_stats_get")]
    pub fn get() -> Result<Statistics> {
        crate::init::ensure()?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer; nng is initialised.
        cvt(unsafe { ffi::nng_stats_get(&mut raw) })?;
        Ok(Statistics {
            root: NonNull::new(raw).ok_or(Error::Internal)?,
        })
    }

    /// The root of the tree.
    pub fn root(&self) -> Stat<'_> {
        Stat {
            raw: self.root,
            _snapshot: PhantomData,
        }
    }

    fn wrap(&self, p: *const ffi::nng_stat) -> Option<Stat<'_>> {
        NonNull::new(p.cast_mut()).map(|raw| Stat {
            raw,
            _snapshot: PhantomData,
        })
    }

    /// The scope of `socket`, if it was open when the snapshot was taken
    /// (`nng_stat_find_socket`).
    #[doc(alias = "nng_stat_find_socket")]
    pub fn socket(&self, socket: &Socket) -> Option<Stat<'_>> {
        // SAFETY: the root is live for `&self`; the socket is a plain id.
        self.wrap(unsafe { ffi::nng_stat_find_socket(self.root.as_ptr(), socket.raw()) })
    }

    /// The scope of `pipe`: the root's child named `"pipe"` whose `"id"` is the
    /// pipe's (nng has no `nng_stat_find_pipe`).
    pub fn pipe(&self, pipe: crate::Pipe) -> Option<Stat<'_>> {
        self.root().children().find(|s| {
            s.name() == "pipe"
                && s.children()
                    .any(|c| c.name() == "id" && c.value() == StatValue::Id(u64::from(pipe.id())))
        })
    }

    /// The scope of `dialer` (`nng_stat_find_dialer`).
    #[doc(alias = "nng_stat_find_dialer")]
    pub fn dialer(&self, dialer: &Dialer) -> Option<Stat<'_>> {
        // SAFETY: the root is live for `&self`; the dialer is a plain id.
        self.wrap(unsafe { ffi::nng_stat_find_dialer(self.root.as_ptr(), dialer.raw()) })
    }

    /// The scope of `listener` (`nng_stat_find_listener`).
    #[doc(alias = "nng_stat_find_listener")]
    pub fn listener(&self, listener: &Listener) -> Option<Stat<'_>> {
        // SAFETY: the root is live for `&self`; the listener is a plain id.
        self.wrap(unsafe { ffi::nng_stat_find_listener(self.root.as_ptr(), listener.raw()) })
    }
}

impl Drop for Statistics {
    fn drop(&mut self) {
        // SAFETY: the root came from nng_stats_get and is freed once, here; no
        // Stat borrowing it can be alive (they borrow `self`).
        unsafe { ffi::nng_stats_free(self.root.as_ptr()) }
    }
}

impl fmt::Debug for Statistics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statistics").finish_non_exhaustive()
    }
}

impl fmt::Display for Statistics {
    /// The whole tree, one statistic per line, indented by depth.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root().fmt_tree(f, 0)
    }
}

/// The kind of a statistic (`nng_stat_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatKind {
    /// A grouping node with no value (`NNG_STAT_SCOPE`).
    #[doc(alias = "NNG_STAT_SCOPE")]
    Scope,
    /// A value measured now, e.g. a queue length (`NNG_STAT_LEVEL`).
    #[doc(alias = "NNG_STAT_LEVEL")]
    Level,
    /// A value that only grows (`NNG_STAT_COUNTER`).
    #[doc(alias = "NNG_STAT_COUNTER")]
    Counter,
    /// Text, e.g. a URL (`NNG_STAT_STRING`).
    #[doc(alias = "NNG_STAT_STRING")]
    String,
    /// A truth value (`NNG_STAT_BOOLEAN`).
    #[doc(alias = "NNG_STAT_BOOLEAN")]
    Boolean,
    /// A fixed numeric identifier, e.g. a socket id (`NNG_STAT_ID`).
    #[doc(alias = "NNG_STAT_ID")]
    Id,
}

/// What a counter or level measures (`nng_stat_unit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatUnit {
    /// No unit (`NNG_UNIT_NONE`).
    #[doc(alias = "NNG_UNIT_NONE")]
    None,
    /// Bytes (`NNG_UNIT_BYTES`).
    #[doc(alias = "NNG_UNIT_BYTES")]
    Bytes,
    /// Messages (`NNG_UNIT_MESSAGES`).
    #[doc(alias = "NNG_UNIT_MESSAGES")]
    Messages,
    /// Milliseconds (`NNG_UNIT_MILLIS`).
    #[doc(alias = "NNG_UNIT_MILLIS")]
    Millis,
    /// Events (`NNG_UNIT_EVENTS`).
    #[doc(alias = "NNG_UNIT_EVENTS")]
    Events,
}

/// The value of a statistic, by kind (`nng_stat_value`, `nng_stat_bool`,
/// `nng_stat_string`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatValue<'a> {
    /// A scope carries no value.
    Scope,
    /// A level's value.
    Level(u64),
    /// A counter's value.
    Counter(u64),
    /// A string's value.
    String(&'a str),
    /// A boolean's value.
    Boolean(bool),
    /// An identifier.
    Id(u64),
}

impl fmt::Display for StatValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatValue::Scope => Ok(()),
            StatValue::Level(v) | StatValue::Counter(v) | StatValue::Id(v) => write!(f, "{v}"),
            StatValue::String(s) => f.write_str(s),
            StatValue::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// One statistic in a [`Statistics`] snapshot, borrowed from it (`nng_stat`).
#[derive(Clone, Copy)]
pub struct Stat<'a> {
    raw: NonNull<ffi::nng_stat>,
    _snapshot: PhantomData<&'a Statistics>,
}

// SAFETY: a Stat<'a> is in effect a `&'a Statistics` plus a position in it:
// it only reads the snapshot, which is Sync, so sharing or sending it is as
// sound as sending a shared reference. Pinned by `snapshot_is_send_and_sync`.
unsafe impl Send for Stat<'_> {}
// SAFETY: see Send.
unsafe impl Sync for Stat<'_> {}

/// A string nng keeps in the snapshot.
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string that lives as long as `'a`.
unsafe fn snapshot_str<'a>(p: *const c_char) -> &'a str {
    if p.is_null() {
        return "";
    }
    // SAFETY: guaranteed by the caller. nng's names and descriptions are ASCII
    // literals; string values (URLs, protocol names) are UTF-8 in practice, and
    // anything else reads as "".
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

impl<'a> Stat<'a> {
    fn ptr(&self) -> *const ffi::nng_stat {
        self.raw.as_ptr()
    }

    fn wrap(p: *const ffi::nng_stat) -> Option<Stat<'a>> {
        NonNull::new(p.cast_mut()).map(|raw| Stat {
            raw,
            _snapshot: PhantomData,
        })
    }

    /// The statistic's name, e.g. `"rx_msgs"` (`nng_stat_name`).
    #[doc(alias = "nng_stat_name")]
    pub fn name(&self) -> &'a str {
        // SAFETY: the stat is live for 'a; the name lives in the snapshot.
        unsafe { snapshot_str(ffi::nng_stat_name(self.ptr())) }
    }

    /// A human-readable description (`nng_stat_desc`).
    #[doc(alias = "nng_stat_desc")]
    pub fn description(&self) -> &'a str {
        // SAFETY: as in name.
        unsafe { snapshot_str(ffi::nng_stat_desc(self.ptr())) }
    }

    /// The kind of statistic (`nng_stat_type`).
    #[doc(alias = "nng_stat_type")]
    pub fn kind(&self) -> StatKind {
        // SAFETY: the stat is live for 'a.
        match u32::try_from(unsafe { ffi::nng_stat_type(self.ptr()) }).unwrap_or(u32::MAX) {
            ffi::NNG_STAT_LEVEL => StatKind::Level,
            ffi::NNG_STAT_COUNTER => StatKind::Counter,
            ffi::NNG_STAT_STRING => StatKind::String,
            ffi::NNG_STAT_BOOLEAN => StatKind::Boolean,
            ffi::NNG_STAT_ID => StatKind::Id,
            _ => StatKind::Scope,
        }
    }

    /// The unit of a counter or level (`nng_stat_unit`).
    #[doc(alias = "nng_stat_unit")]
    pub fn unit(&self) -> StatUnit {
        // SAFETY: the stat is live for 'a.
        match u32::try_from(unsafe { ffi::nng_stat_unit(self.ptr()) }).unwrap_or(u32::MAX) {
            ffi::NNG_UNIT_BYTES => StatUnit::Bytes,
            ffi::NNG_UNIT_MESSAGES => StatUnit::Messages,
            ffi::NNG_UNIT_MILLIS => StatUnit::Millis,
            ffi::NNG_UNIT_EVENTS => StatUnit::Events,
            _ => StatUnit::None,
        }
    }

    /// The value, typed by [`kind`](Self::kind).
    #[doc(alias = "nng_stat_value")]
    #[doc(alias = "nng_stat_bool")]
    #[doc(alias = "nng_stat_string")]
    pub fn value(&self) -> StatValue<'a> {
        let p = self.ptr();
        let kind = self.kind();
        // SAFETY: the stat is live for 'a and each accessor is the one for its
        // kind; a string value lives in the snapshot, as long as 'a.
        unsafe {
            match kind {
                StatKind::Scope => StatValue::Scope,
                StatKind::Level => StatValue::Level(ffi::nng_stat_value(p)),
                StatKind::Counter => StatValue::Counter(ffi::nng_stat_value(p)),
                StatKind::Id => StatValue::Id(ffi::nng_stat_value(p)),
                StatKind::Boolean => StatValue::Boolean(ffi::nng_stat_bool(p)),
                StatKind::String => StatValue::String(snapshot_str(ffi::nng_stat_string(p))),
            }
        }
    }

    /// When the value was sampled, in milliseconds on nng's clock
    /// (`nng_stat_timestamp`, same reference as `nng_clock`).
    #[doc(alias = "nng_stat_timestamp")]
    pub fn timestamp_ms(&self) -> u64 {
        // SAFETY: the stat is live for 'a.
        unsafe { ffi::nng_stat_timestamp(self.ptr()) }
    }

    /// The direct children, in order (`nng_stat_child`, `nng_stat_next`).
    #[doc(alias = "nng_stat_child")]
    #[doc(alias = "nng_stat_next")]
    pub fn children(&self) -> Children<'a> {
        Children {
            // SAFETY: the stat is live for 'a; the child is in the same snapshot.
            next: Stat::wrap(unsafe { ffi::nng_stat_child(self.ptr()) }),
        }
    }

    /// The first statistic named `name` in this subtree, this one included
    /// (`nng_stat_find`).
    #[doc(alias = "nng_stat_find")]
    pub fn find(&self, name: &str) -> Option<Stat<'a>> {
        let name = CString::new(name).ok()?;
        // SAFETY: the stat is live for 'a; the name is NUL-terminated; the
        // result is in the same snapshot.
        Stat::wrap(unsafe { ffi::nng_stat_find(self.ptr(), name.as_ptr()) })
    }

    fn fmt_tree(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let indent = depth * 2;
        match self.value() {
            StatValue::Scope => writeln!(f, "{:indent$}{}:", "", self.name())?,
            v => {
                let unit = match self.unit() {
                    StatUnit::Bytes => " bytes",
                    StatUnit::Messages => " msgs",
                    StatUnit::Millis => " ms",
                    StatUnit::Events => " events",
                    _ => "",
                };
                writeln!(f, "{:indent$}{} = {v}{unit}", "", self.name())?
            }
        }
        for child in self.children() {
            child.fmt_tree(f, depth + 1)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Stat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stat")
            .field("name", &self.name())
            .field("value", &self.value())
            .finish()
    }
}

impl fmt::Display for Stat<'_> {
    /// This statistic and its subtree, one per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_tree(f, 0)
    }
}

/// Iterator over a statistic's children ([`Stat::children`]).
#[derive(Clone, Debug)]
pub struct Children<'a> {
    next: Option<Stat<'a>>,
}

impl<'a> Iterator for Children<'a> {
    type Item = Stat<'a>;
    fn next(&mut self) -> Option<Stat<'a>> {
        let cur = self.next?;
        // SAFETY: `cur` is live for 'a; its sibling is in the same snapshot.
        self.next = Stat::wrap(unsafe { ffi::nng_stat_next(cur.ptr()) });
        Some(cur)
    }
}
