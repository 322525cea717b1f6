//! Messages: [`Message`], an owned `nng_msg` with a header and a body.
//!
//! A `Message` has exactly one owner. Sending consumes it; when a send fails
//! the message comes back inside the error ([`SendError`]), so nothing is lost.
//! Receiving a `Message` copies nothing: the buffer nng filled is handed over.
//!
//! Ownership is enforced by the compiler. A sent message is gone:
//!
//! ```compile_fail,E0382
//! let s = nng::Socket::new(nng::Protocol::Pair0).unwrap();
//! let m = nng::Message::from("once");
//! let _ = s.send(m);
//! println!("{}", m.len()); // error: use of moved value
//! ```
//!
//! and a shared `&Message` (which may be on several threads: `Message` is
//! `Sync`) cannot change the message:
//!
//! ```compile_fail,E0596
//! fn edit(m: &nng::Message) {
//!     m.push_back(b"x"); // error: needs `&mut Message`
//! }
//! ```

use crate::error::{cvt, Error, Result};
use crate::ffi;
use crate::pipe::Pipe;
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// An nng message (`nng_msg`): a body, plus a header used by the protocols
/// (request ids, backtraces).
///
/// It dereferences to its body as a byte slice.
///
/// ```
/// use std::io::Write;
/// let mut msg = nng::Message::new();
/// msg.push_back(b"hello");
/// write!(msg, ", {}", "world").unwrap();
/// msg.push_back_u32(7);
/// assert_eq!(&msg[..12], b"hello, world");
/// assert_eq!(msg.pop_back_u32().unwrap(), 7);
/// assert_eq!(msg.as_slice(), b"hello, world");
/// ```
pub struct Message {
    ptr: NonNull<ffi::nng_msg>,
}

// SAFETY: a Message is the only owner of its nng_msg, and nng_msg has no
// thread affinity: it can be moved to and freed on any thread.
unsafe impl Send for Message {}
// SAFETY: `&Message` only reads (body, header, length, pipe); every mutation
// needs `&mut Message`, so shared references never race.
unsafe impl Sync for Message {}

/// The error of a failed send: the cause, and the message that was not sent.
///
/// ```
/// let s = nng::Socket::new(nng::Protocol::Push0).unwrap();
/// let err = s.try_send("kept").unwrap_err();
/// assert_eq!(err.error, nng::Error::TryAgain); // no peer yet
/// assert_eq!(err.message.as_slice(), b"kept");  // nothing lost
/// ```
///
/// It is an error type of its own (`Send + Sync + 'static`), and `?`
/// converts it into an [`Error`], an [`io::Error`] or a
/// `Box<dyn std::error::Error>`, dropping the message:
///
/// ```
/// fn ask(s: &nng::Socket) -> Result<(), Box<dyn std::error::Error>> {
///     s.send("question")?;
///     Ok(())
/// }
/// # let s = nng::Socket::new(nng::Protocol::Pair1)?;
/// # s.set_opt::<nng::options::SendTimeout>(Some(std::time::Duration::from_millis(1)))?;
/// # assert!(ask(&s).is_err());
/// # Ok::<(), nng::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SendError {
    /// Why the send failed.
    pub error: Error,
    /// The message, returned to the caller with its body as it was sent. On
    /// a cooked socket the header is nng's: a refused rep0 or respondent0
    /// reply comes back with the request's backtrace in it.
    pub message: Message,
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Error {
        e.error
    }
}

impl From<SendError> for io::Error {
    fn from(e: SendError) -> io::Error {
        e.error.into()
    }
}

macro_rules! int_ops {
    ($( $ty:ty: $push_back:ident = $append:ident, $push_front:ident,
        $pop_back:ident = $chop:ident, $pop_front:ident = $trim:ident,
        $h_push_back:ident = $h_append:ident, $h_push_front:ident = $h_insert:ident,
        $h_pop_back:ident = $h_chop:ident, $h_pop_front:ident = $h_trim:ident; )*) => {
        impl Message {
            $(
                #[doc = concat!("Appends a big-endian `", stringify!($ty), "` to the body (`", stringify!($append), "`).")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::from(\"body\");\nm.", stringify!($push_back), "(1);\nm.", stringify!($push_front), "(2);\nassert_eq!(m.", stringify!($pop_front), "()?, 2);\nassert_eq!(m.", stringify!($pop_back), "()?, 1);\nassert_eq!(m.as_slice(), b\"body\");\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $push_back(&mut self, v: $ty) {
                    // SAFETY: self.ptr is a live message we own exclusively.
                    oom(cvt(unsafe { ffi::$append(self.ptr.as_ptr(), v) }));
                }
                #[doc = concat!("Prepends a big-endian `", stringify!($ty), "` to the body (see [`Message::push_front`]).")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::from(\"body\");\nm.", stringify!($push_back), "(1);\nm.", stringify!($push_front), "(2);\nassert_eq!(m.", stringify!($pop_front), "()?, 2);\nassert_eq!(m.", stringify!($pop_back), "()?, 1);\nassert_eq!(m.as_slice(), b\"body\");\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $push_front(&mut self, v: $ty) {
                    self.push_front(&v.to_be_bytes());
                }
                #[doc = concat!("Removes a big-endian `", stringify!($ty), "` from the end of the body (`", stringify!($chop), "`); [`Error::InvalidInput`] if the body is too short.")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::from(\"body\");\nm.", stringify!($push_back), "(1);\nm.", stringify!($push_front), "(2);\nassert_eq!(m.", stringify!($pop_front), "()?, 2);\nassert_eq!(m.", stringify!($pop_back), "()?, 1);\nassert_eq!(m.as_slice(), b\"body\");\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $pop_back(&mut self) -> Result<$ty> {
                    let mut v = 0;
                    // SAFETY: as above; `v` is a valid out-pointer.
                    cvt(unsafe { ffi::$chop(self.ptr.as_ptr(), &mut v) })?;
                    Ok(v)
                }
                #[doc = concat!("Removes a big-endian `", stringify!($ty), "` from the start of the body (`", stringify!($trim), "`); [`Error::InvalidInput`] if the body is too short.")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::from(\"body\");\nm.", stringify!($push_back), "(1);\nm.", stringify!($push_front), "(2);\nassert_eq!(m.", stringify!($pop_front), "()?, 2);\nassert_eq!(m.", stringify!($pop_back), "()?, 1);\nassert_eq!(m.as_slice(), b\"body\");\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $pop_front(&mut self) -> Result<$ty> {
                    let mut v = 0;
                    // SAFETY: as above.
                    cvt(unsafe { ffi::$trim(self.ptr.as_ptr(), &mut v) })?;
                    Ok(v)
                }
                #[doc = concat!("Appends a big-endian `", stringify!($ty), "` to the header (`", stringify!($h_append), "`); [`Error::InvalidInput`] if the header would exceed [`Message::HEADER_MAX`] bytes.")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::new();\nm.", stringify!($h_push_back), "(1)?;\nm.", stringify!($h_push_front), "(2)?;\nassert_eq!(m.", stringify!($h_pop_front), "()?, 2);\nassert_eq!(m.", stringify!($h_pop_back), "()?, 1);\nassert!(m.header().is_empty());\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $h_push_back(&mut self, v: $ty) -> Result<()> {
                    // SAFETY: as above.
                    cvt(unsafe { ffi::$h_append(self.ptr.as_ptr(), v) })
                }
                #[doc = concat!("Prepends a big-endian `", stringify!($ty), "` to the header (`", stringify!($h_insert), "`); [`Error::InvalidInput`] if the header would exceed [`Message::HEADER_MAX`] bytes.")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::new();\nm.", stringify!($h_push_back), "(1)?;\nm.", stringify!($h_push_front), "(2)?;\nassert_eq!(m.", stringify!($h_pop_front), "()?, 2);\nassert_eq!(m.", stringify!($h_pop_back), "()?, 1);\nassert!(m.header().is_empty());\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $h_push_front(&mut self, v: $ty) -> Result<()> {
                    // SAFETY: as above.
                    cvt(unsafe { ffi::$h_insert(self.ptr.as_ptr(), v) })
                }
                #[doc = concat!("Removes a big-endian `", stringify!($ty), "` from the end of the header (`", stringify!($h_chop), "`).")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::new();\nm.", stringify!($h_push_back), "(1)?;\nm.", stringify!($h_push_front), "(2)?;\nassert_eq!(m.", stringify!($h_pop_front), "()?, 2);\nassert_eq!(m.", stringify!($h_pop_back), "()?, 1);\nassert!(m.header().is_empty());\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $h_pop_back(&mut self) -> Result<$ty> {
                    let mut v = 0;
                    // SAFETY: as above.
                    cvt(unsafe { ffi::$h_chop(self.ptr.as_ptr(), &mut v) })?;
                    Ok(v)
                }
                #[doc = concat!("Removes a big-endian `", stringify!($ty), "` from the start of the header (`", stringify!($h_trim), "`).")]
                #[doc = ""]
                #[doc = concat!("```\nlet mut m = nng::Message::new();\nm.", stringify!($h_push_back), "(1)?;\nm.", stringify!($h_push_front), "(2)?;\nassert_eq!(m.", stringify!($h_pop_front), "()?, 2);\nassert_eq!(m.", stringify!($h_pop_back), "()?, 1);\nassert!(m.header().is_empty());\n# Ok::<(), nng::Error>(())\n```")]
                pub fn $h_pop_front(&mut self) -> Result<$ty> {
                    let mut v = 0;
                    // SAFETY: as above.
                    cvt(unsafe { ffi::$h_trim(self.ptr.as_ptr(), &mut v) })?;
                    Ok(v)
                }
            )*
        }
    };
}

int_ops! {
    u16: push_back_u16 = nng_msg_append_u16, push_front_u16,
         pop_back_u16 = nng_msg_chop_u16, pop_front_u16 = nng_msg_trim_u16,
         header_push_back_u16 = nng_msg_header_append_u16, header_push_front_u16 = nng_msg_header_insert_u16,
         header_pop_back_u16 = nng_msg_header_chop_u16, header_pop_front_u16 = nng_msg_header_trim_u16;
    u32: push_back_u32 = nng_msg_append_u32, push_front_u32,
         pop_back_u32 = nng_msg_chop_u32, pop_front_u32 = nng_msg_trim_u32,
         header_push_back_u32 = nng_msg_header_append_u32, header_push_front_u32 = nng_msg_header_insert_u32,
         header_pop_back_u32 = nng_msg_header_chop_u32, header_pop_front_u32 = nng_msg_header_trim_u32;
    u64: push_back_u64 = nng_msg_append_u64, push_front_u64,
         pop_back_u64 = nng_msg_chop_u64, pop_front_u64 = nng_msg_trim_u64,
         header_push_back_u64 = nng_msg_header_append_u64, header_push_front_u64 = nng_msg_header_insert_u64,
         header_pop_back_u64 = nng_msg_header_chop_u64, header_pop_front_u64 = nng_msg_header_trim_u64;
}

/// Allocation failure in nng is treated like allocation failure in Rust.
#[inline]
fn oom(r: Result<()>) {
    if let Err(e) = r {
        panic!("nng message allocation failed: {e}");
    }
}

impl Message {
    /// The most bytes a header holds: nng keeps it in a fixed buffer of 16
    /// 32-bit words (a backtrace of up to 15 hops and a request id).
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(&[0; nng::Message::HEADER_MAX])?;
    /// assert!(m.header_push_back_u16(1).is_err());
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub const HEADER_MAX: usize = 64;

    /// An empty message (`nng_msg_alloc` with size 0).
    ///
    /// ```
    /// let m = nng::Message::new();
    /// assert!(m.is_empty() && m.header().is_empty());
    /// ```
    #[doc(alias = "nng_msg_alloc")]
    pub fn new() -> Message {
        Message::with_len(0)
    }

    /// A message whose body is `len` zero bytes.
    ///
    /// ```
    /// let mut m = nng::Message::with_len(4);
    /// assert_eq!(m.as_slice(), &[0, 0, 0, 0]);
    /// m.copy_from_slice(b"abcd");
    /// ```
    #[doc(alias = "nng_msg_alloc")]
    pub fn with_len(len: usize) -> Message {
        oom(crate::init::ensure());
        let mut p = std::ptr::null_mut();
        // SAFETY: `p` is a valid out-pointer.
        oom(cvt(unsafe { ffi::nng_msg_alloc(&mut p, len) }));
        // SAFETY: on success nng returned a non-null message; nng does not zero
        // the body, so do it here (len bytes are allocated).
        unsafe {
            std::ptr::write_bytes(ffi::nng_msg_body(p).cast::<u8>(), 0, len);
            Message::from_raw(p)
        }
    }

    /// An empty message with room for `capacity` body bytes before reallocating.
    ///
    /// ```
    /// let m = nng::Message::with_capacity(1024);
    /// assert!(m.is_empty() && m.capacity() >= 1024);
    /// ```
    pub fn with_capacity(capacity: usize) -> Message {
        let mut m = Message::new();
        m.reserve(capacity);
        m
    }

    /// Takes ownership of a raw `nng_msg`.
    ///
    /// # Safety
    /// `ptr` must be a valid, non-null message that nothing else owns or frees.
    pub(crate) unsafe fn from_raw(ptr: *mut ffi::nng_msg) -> Message {
        Message {
            ptr: NonNull::new(ptr).expect("nng returned a null message"),
        }
    }

    /// Gives up ownership, returning the raw `nng_msg` (to nng).
    pub(crate) fn into_raw(self) -> *mut ffi::nng_msg {
        let p = self.ptr.as_ptr();
        std::mem::forget(self);
        p
    }

    /// Hands the message to an nng send call (`nng_sendmsg`, `nng_ctx_sendmsg`):
    /// nng owns it once `send` returns 0; on any error it is still ours and
    /// comes back inside the [`SendError`].
    ///
    /// # Safety
    /// `send` must be a call that takes ownership of the message exactly when
    /// it returns 0.
    pub(crate) unsafe fn send_with(
        self,
        send: impl FnOnce(*mut ffi::nng_msg) -> i32,
    ) -> Result<(), SendError> {
        match cvt(send(self.as_ptr())) {
            Ok(()) => {
                let _ = self.into_raw(); // now nng's
                Ok(())
            }
            Err(error) => Err(SendError {
                error,
                message: self,
            }),
        }
    }

    /// Takes the message an nng receive call (`nng_recvmsg`,
    /// `nng_ctx_recvmsg`) stores through its out-pointer.
    ///
    /// # Safety
    /// `recv` must store a valid message it gives up ownership of whenever it
    /// returns 0.
    pub(crate) unsafe fn recv_with(
        recv: impl FnOnce(*mut *mut ffi::nng_msg) -> i32,
    ) -> Result<Message> {
        let mut p = std::ptr::null_mut();
        cvt(recv(&mut p))?;
        // SAFETY: on success the caller's contract gives us a valid message.
        Ok(unsafe { Message::from_raw(p) })
    }

    /// The raw pointer, still owned by `self`.
    pub(crate) fn as_ptr(&self) -> *mut ffi::nng_msg {
        self.ptr.as_ptr()
    }

    /// The body as bytes (`nng_msg_body`, `nng_msg_len`).
    ///
    /// ```
    /// let m = nng::Message::from("abc");
    /// assert_eq!(m.as_slice(), b"abc");
    /// ```
    #[doc(alias = "nng_msg_body")]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: body and len describe the message's initialised body, which
        // lives as long as `self` and is not mutated while borrowed shared.
        unsafe {
            slice(
                ffi::nng_msg_body(self.as_ptr()),
                ffi::nng_msg_len(self.as_ptr()),
            )
        }
    }

    /// The body as mutable bytes.
    ///
    /// ```
    /// let mut m = nng::Message::from("abc");
    /// m.as_mut_slice().make_ascii_uppercase();
    /// assert_eq!(m.as_slice(), b"ABC");
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in as_slice, and `&mut self` makes the borrow exclusive.
        unsafe {
            slice_mut(
                ffi::nng_msg_body(self.as_ptr()),
                ffi::nng_msg_len(self.as_ptr()),
            )
        }
    }

    /// The header (`nng_msg_header`, `nng_msg_header_len`).
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(&[0x80, 0, 0, 1])?;
    /// assert_eq!(m.header(), &[0x80, 0, 0, 1]);
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header")]
    pub fn header(&self) -> &[u8] {
        // SAFETY: as in as_slice, for the header.
        unsafe {
            slice(
                ffi::nng_msg_header(self.as_ptr()),
                ffi::nng_msg_header_len(self.as_ptr()),
            )
        }
    }

    /// The header as mutable bytes.
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(&[0, 0])?;
    /// m.header_mut()[1] = 9;
    /// assert_eq!(m.header(), &[0, 9]);
    /// # Ok::<(), nng::Error>(())
    /// ```
    pub fn header_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in as_mut_slice, for the header.
        unsafe {
            slice_mut(
                ffi::nng_msg_header(self.as_ptr()),
                ffi::nng_msg_header_len(self.as_ptr()),
            )
        }
    }

    /// Body length in bytes (`nng_msg_len`).
    ///
    /// ```
    /// assert_eq!(nng::Message::from("four").len(), 4);
    /// ```
    #[doc(alias = "nng_msg_len")]
    pub fn len(&self) -> usize {
        // SAFETY: self.ptr is live.
        unsafe { ffi::nng_msg_len(self.as_ptr()) }
    }

    /// Whether the body is empty.
    ///
    /// ```
    /// assert!(nng::Message::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the body can hold without reallocating (`nng_msg_capacity`).
    ///
    /// ```
    /// let m = nng::Message::from("x");
    /// assert!(m.capacity() >= m.len());
    /// ```
    #[doc(alias = "nng_msg_capacity")]
    pub fn capacity(&self) -> usize {
        // SAFETY: self.ptr is live.
        unsafe { ffi::nng_msg_capacity(self.as_ptr()) }
    }

    /// Makes room for at least `additional` more body bytes (`nng_msg_reserve`).
    ///
    /// ```
    /// let mut m = nng::Message::from("x");
    /// m.reserve(100);
    /// assert!(m.capacity() >= 101);
    /// ```
    #[doc(alias = "nng_msg_reserve")]
    pub fn reserve(&mut self, additional: usize) {
        let want = self
            .len()
            .checked_add(additional)
            .expect("capacity overflow");
        // SAFETY: self.ptr is live and exclusively ours.
        oom(cvt(unsafe { ffi::nng_msg_reserve(self.as_ptr(), want) }));
    }

    /// Sets the body length, zero-filling growth (`nng_msg_realloc`).
    ///
    /// ```
    /// let mut m = nng::Message::from("ab");
    /// m.resize(4);
    /// assert_eq!(m.as_slice(), b"ab\0\0");
    /// m.resize(1);
    /// assert_eq!(m.as_slice(), b"a");
    /// ```
    #[doc(alias = "nng_msg_realloc")]
    pub fn resize(&mut self, len: usize) {
        let old = self.len();
        // SAFETY: self.ptr is live and exclusively ours.
        oom(cvt(unsafe { ffi::nng_msg_realloc(self.as_ptr(), len) }));
        if len > old {
            self.as_mut_slice()[old..].fill(0);
        }
    }

    /// Shortens the body to `len` bytes; does nothing if it is shorter already.
    ///
    /// ```
    /// let mut m = nng::Message::from("abcdef");
    /// m.truncate(3);
    /// assert_eq!(m.as_slice(), b"abc");
    /// ```
    pub fn truncate(&mut self, len: usize) {
        let cur = self.len();
        if len < cur {
            // SAFETY: removing cur - len <= len() bytes from the end cannot fail.
            oom(cvt(unsafe { ffi::nng_msg_chop(self.as_ptr(), cur - len) }));
        }
    }

    /// Empties the body, keeping its capacity (`nng_msg_clear`).
    ///
    /// ```
    /// let mut m = nng::Message::from("abc");
    /// m.clear();
    /// assert!(m.is_empty());
    /// ```
    #[doc(alias = "nng_msg_clear")]
    pub fn clear(&mut self) {
        // SAFETY: self.ptr is live and exclusively ours.
        unsafe { ffi::nng_msg_clear(self.as_ptr()) }
    }

    /// Empties the header (`nng_msg_header_clear`).
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(b"hdr")?;
    /// m.clear_header();
    /// assert!(m.header().is_empty());
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header_clear")]
    pub fn clear_header(&mut self) {
        // SAFETY: self.ptr is live and exclusively ours.
        unsafe { ffi::nng_msg_header_clear(self.as_ptr()) }
    }

    /// Appends bytes to the body (`nng_msg_append`).
    ///
    /// ```
    /// let mut m = nng::Message::from("ab");
    /// m.push_back(b"cd");
    /// assert_eq!(m.as_slice(), b"abcd");
    /// ```
    #[doc(alias = "nng_msg_append")]
    pub fn push_back(&mut self, data: &[u8]) {
        // SAFETY: data is valid for data.len() bytes; nng copies them. A slice
        // of this very message cannot be passed: that would need `&self` while
        // `&mut self` is held.
        oom(cvt(unsafe {
            ffi::nng_msg_append(self.as_ptr(), data.as_ptr().cast(), data.len())
        }));
    }

    /// Prepends bytes to the body (`nng_msg_insert`).
    ///
    /// ```
    /// let mut m = nng::Message::from("cd");
    /// m.push_front(b"ab");
    /// assert_eq!(m.as_slice(), b"abcd");
    /// ```
    ///
    /// Not `nng_msg_insert` itself: in nng 2.0.0 it loses the end of the body
    /// when the message has some room before the body but less than `data`
    /// needs, and enough room after it (the old body is moved to where the new
    /// bytes are then written). The bytes are appended and rotated to the
    /// front instead, which costs a copy of the body.
    #[doc(alias = "nng_msg_insert")]
    pub fn push_front(&mut self, data: &[u8]) {
        self.push_back(data);
        self.as_mut_slice().rotate_right(data.len());
    }

    /// Removes `n` bytes from the end of the body (`nng_msg_chop`);
    /// [`Error::InvalidInput`] if the body is shorter.
    ///
    /// ```
    /// let mut m = nng::Message::from("abcd");
    /// m.chop(2)?;
    /// assert_eq!(m.as_slice(), b"ab");
    /// assert_eq!(m.chop(3), Err(nng::Error::InvalidInput));
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_chop")]
    pub fn chop(&mut self, n: usize) -> Result<()> {
        // SAFETY: self.ptr is live; nng checks the length.
        cvt(unsafe { ffi::nng_msg_chop(self.as_ptr(), n) })
    }

    /// Removes `n` bytes from the start of the body (`nng_msg_trim`);
    /// [`Error::InvalidInput`] if the body is shorter.
    ///
    /// ```
    /// let mut m = nng::Message::from("abcd");
    /// m.trim(1)?;
    /// assert_eq!(m.as_slice(), b"bcd");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_trim")]
    pub fn trim(&mut self, n: usize) -> Result<()> {
        // SAFETY: self.ptr is live; nng checks the length.
        cvt(unsafe { ffi::nng_msg_trim(self.as_ptr(), n) })
    }

    /// Appends bytes to the header (`nng_msg_header_append`);
    /// [`Error::InvalidInput`] if the header would exceed
    /// [`Message::HEADER_MAX`] bytes.
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(b"ab")?;
    /// m.header_push_back(b"cd")?;
    /// assert_eq!(m.header(), b"abcd");
    /// let too_long = [0; nng::Message::HEADER_MAX];
    /// assert_eq!(m.header_push_back(&too_long), Err(nng::Error::InvalidInput));
    /// assert_eq!(m.header(), b"abcd"); // unchanged
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header_append")]
    pub fn header_push_back(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: data is valid for data.len() bytes; nng copies them (or
        // refuses if its fixed header room is too small).
        cvt(unsafe { ffi::nng_msg_header_append(self.as_ptr(), data.as_ptr().cast(), data.len()) })
    }

    /// Prepends bytes to the header (`nng_msg_header_insert`);
    /// [`Error::InvalidInput`] if the header would exceed
    /// [`Message::HEADER_MAX`] bytes.
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(b"cd")?;
    /// m.header_push_front(b"ab")?;
    /// assert_eq!(m.header(), b"abcd");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header_insert")]
    pub fn header_push_front(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: as in header_push_back.
        cvt(unsafe { ffi::nng_msg_header_insert(self.as_ptr(), data.as_ptr().cast(), data.len()) })
    }

    /// Removes `n` bytes from the end of the header (`nng_msg_header_chop`).
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(b"abcd")?;
    /// m.header_chop(1)?;
    /// assert_eq!(m.header(), b"abc");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header_chop")]
    pub fn header_chop(&mut self, n: usize) -> Result<()> {
        // SAFETY: self.ptr is live; nng checks the length.
        cvt(unsafe { ffi::nng_msg_header_chop(self.as_ptr(), n) })
    }

    /// Removes `n` bytes from the start of the header (`nng_msg_header_trim`).
    ///
    /// ```
    /// let mut m = nng::Message::new();
    /// m.header_push_back(b"abcd")?;
    /// m.header_trim(1)?;
    /// assert_eq!(m.header(), b"bcd");
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_header_trim")]
    pub fn header_trim(&mut self, n: usize) -> Result<()> {
        // SAFETY: self.ptr is live; nng checks the length.
        cvt(unsafe { ffi::nng_msg_header_trim(self.as_ptr(), n) })
    }

    /// The pipe the message arrived on, if any (`nng_msg_get_pipe`).
    ///
    /// ```
    /// use nng::{Message, Protocol, Socket};
    /// assert!(Message::new().pipe().is_none());
    /// let pull = Socket::new(Protocol::Pull0)?;
    /// pull.listen("inproc://msg-pipe-doc")?;
    /// let push = Socket::new(Protocol::Push0)?;
    /// push.dial("inproc://msg-pipe-doc")?;
    /// push.send(b"x")?;
    /// assert!(pull.recv()?.pipe().is_some());
    /// # Ok::<(), nng::Error>(())
    /// ```
    #[doc(alias = "nng_msg_get_pipe")]
    pub fn pipe(&self) -> Option<Pipe> {
        // SAFETY: self.ptr is live.
        Pipe::from_raw(unsafe { ffi::nng_msg_get_pipe(self.as_ptr()) })
    }

    /// Sets the pipe to send on, for protocols that honour it (raw sockets,
    /// pair1 polyamorous) (`nng_msg_set_pipe`).
    ///
    /// ```
    /// // Reply on the pipe a request came from (see the pair1 polyamorous tour).
    /// # use nng::{Message, Protocol, Socket};
    /// # let hub = Socket::new(Protocol::Pair1Poly)?;
    /// # hub.listen("inproc://set-pipe-doc")?;
    /// # let peer = Socket::new(Protocol::Pair1)?;
    /// # peer.dial("inproc://set-pipe-doc")?;
    /// # peer.send(b"hello")?;
    /// let request = hub.recv()?;
    /// let mut reply = Message::from("just you");
    /// reply.set_pipe(request.pipe().unwrap());
    /// hub.send(reply)?;
    /// # assert_eq!(peer.recv()?.as_slice(), b"just you");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "nng_msg_set_pipe")]
    pub fn set_pipe(&mut self, pipe: Pipe) {
        // SAFETY: self.ptr is live and exclusively ours.
        unsafe { ffi::nng_msg_set_pipe(self.as_ptr(), pipe.raw()) }
    }
}

/// # Safety
/// `p` must point to `len` initialised bytes living at least as long as `'a`
/// (or `len` must be 0).
unsafe fn slice<'a>(p: *mut std::ffi::c_void, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }
    }
}

/// # Safety
/// As [`slice`], and the bytes must not be aliased for `'a`.
unsafe fn slice_mut<'a>(p: *mut std::ffi::c_void, len: usize) -> &'a mut [u8] {
    if len == 0 {
        &mut []
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(p.cast::<u8>(), len) }
    }
}

impl Drop for Message {
    #[doc(alias = "nng_msg_free")]
    fn drop(&mut self) {
        // SAFETY: we own the message and nothing else will free it.
        unsafe { ffi::nng_msg_free(self.ptr.as_ptr()) }
    }
}

impl Clone for Message {
    /// Duplicates header and body (`nng_msg_dup`).
    #[doc(alias = "nng_msg_dup")]
    fn clone(&self) -> Message {
        let mut p = std::ptr::null_mut();
        // SAFETY: self.ptr is live; `p` is a valid out-pointer.
        oom(cvt(unsafe { ffi::nng_msg_dup(&mut p, self.as_ptr()) }));
        // SAFETY: nng_msg_dup succeeded, so `p` is a new message we own.
        unsafe { Message::from_raw(p) }
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

impl Deref for Message {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for Message {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsMut<[u8]> for Message {
    fn as_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl PartialEq for Message {
    /// Equal when both header and body are equal.
    fn eq(&self, other: &Message) -> bool {
        self.header() == other.header() && self.as_slice() == other.as_slice()
    }
}
impl Eq for Message {}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("header", &self.header())
            .field("body", &self.as_slice())
            .finish()
    }
}

impl From<&[u8]> for Message {
    fn from(data: &[u8]) -> Message {
        let mut m = Message::with_capacity(data.len());
        m.push_back(data);
        m
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(data: &[u8; N]) -> Message {
        Message::from(&data[..])
    }
}

impl<const N: usize> From<[u8; N]> for Message {
    fn from(data: [u8; N]) -> Message {
        Message::from(&data[..])
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Message {
        Message::from(data.as_slice())
    }
}

impl From<&Vec<u8>> for Message {
    fn from(data: &Vec<u8>) -> Message {
        Message::from(data.as_slice())
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message::from(s.as_bytes())
    }
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::from(s.as_bytes())
    }
}

impl From<&String> for Message {
    fn from(s: &String) -> Message {
        Message::from(s.as_bytes())
    }
}

impl Extend<u8> for Message {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        let bytes: Vec<u8> = iter.into_iter().collect();
        self.push_back(&bytes);
    }
}

impl<'a> Extend<&'a u8> for Message {
    fn extend<I: IntoIterator<Item = &'a u8>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied())
    }
}

impl FromIterator<u8> for Message {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Message {
        let mut m = Message::new();
        m.extend(iter);
        m
    }
}

impl io::Write for Message {
    /// Appends to the body.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push_back(buf);
        Ok(buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.push_back(buf);
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
