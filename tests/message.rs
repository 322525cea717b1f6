//! `Message`: body and header editing, conversions, ownership.

mod common;

use common::*;
use nng::{Message, Protocol};
use std::io::Write;

#[test]
fn body_edits() {
    let mut m = Message::new();
    assert!(m.is_empty());
    m.push_back(b"world");
    m.push_front(b"hello ");
    assert_eq!(m.as_slice(), b"hello world");
    assert_eq!(&m[..5], b"hello"); // Deref to [u8]
    m[0] = b'H'; // DerefMut
    m.chop(6).unwrap();
    assert_eq!(&*m, b"Hello");
    m.trim(1).unwrap();
    assert_eq!(&*m, b"ello");
    write!(m, "{}", 42).unwrap(); // io::Write appends
    assert_eq!(&*m, b"ello42");
    m.truncate(2);
    assert_eq!(&*m, b"el");
    m.truncate(10); // longer than the body: nothing happens
    assert_eq!(m.len(), 2);
    m.resize(4);
    assert_eq!(&*m, b"el\0\0");
    m.clear();
    assert!(m.is_empty());
}

#[test]
fn big_endian_integers_in_body_and_header() {
    let mut m = Message::new();
    m.push_back_u16(0x0102);
    m.push_back_u32(0x0304_0506);
    m.push_back_u64(0x0708_090a_0b0c_0d0e);
    m.push_front_u16(0xfffe);
    assert_eq!(
        m.as_slice(),
        &[0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14][..]
    );
    assert_eq!(m.pop_front_u16().unwrap(), 0xfffe);
    assert_eq!(m.pop_back_u64().unwrap(), 0x0708_090a_0b0c_0d0e);
    assert_eq!(m.pop_front_u16().unwrap(), 0x0102);
    assert_eq!(m.pop_back_u32().unwrap(), 0x0304_0506);
    assert!(m.is_empty());
    assert!(m.pop_back_u16().is_err());

    m.header_push_back_u32(0x8000_0001).unwrap();
    m.header_push_front_u32(7).unwrap();
    m.header_push_back(b"xy").unwrap();
    m.header_push_front(b"ab").unwrap();
    assert_eq!(
        m.header(),
        &[b'a', b'b', 0, 0, 0, 7, 0x80, 0, 0, 1, b'x', b'y'][..]
    );
    m.header_chop(2).unwrap();
    m.header_trim(2).unwrap();
    assert_eq!(m.header_pop_front_u32().unwrap(), 7);
    assert_eq!(m.header_pop_back_u32().unwrap(), 0x8000_0001);
    m.header_push_back_u16(9).unwrap();
    m.header_push_front_u64(10).unwrap();
    assert_eq!(m.header_pop_front_u64().unwrap(), 10);
    assert_eq!(m.header_pop_back_u16().unwrap(), 9);
    m.header_push_back(b"zz").unwrap();
    m.header_mut()[0] = b'Z';
    assert_eq!(m.header(), b"Zz");
    m.clear_header();
    assert!(m.header().is_empty());
    assert!(m.header_pop_front_u16().is_err());
}

/// Found by the `message` fuzz target: nng 2.0.0's `nng_msg_insert` loses
/// the end of the body when there is some, but too little, room before it and
/// enough after it. `push_front` avoids it.
#[test]
fn push_front_past_the_headroom_keeps_the_body() {
    let mut m = Message::new(); // 32 bytes of headroom
    m.push_front(b"ab");
    let front = [0x11u8; 36];
    m.push_front(&front);
    assert_eq!(&m[..36], &front[..]);
    assert_eq!(&m[36..], b"ab");
    m.push_front_u64(7);
    m.push_front_u32(6);
    m.push_front_u16(5);
    assert_eq!(m.pop_front_u16().unwrap(), 5);
    assert_eq!(m.pop_front_u32().unwrap(), 6);
    assert_eq!(m.pop_front_u64().unwrap(), 7);
    assert_eq!(&m[36..], b"ab");
}

#[test]
fn header_room_is_bounded_and_overflow_is_an_error() {
    let mut m = Message::new();
    m.header_push_back(&[1; Message::HEADER_MAX - 4]).unwrap();
    m.header_push_front_u32(2).unwrap();
    assert_eq!(m.header().len(), Message::HEADER_MAX);
    assert_eq!(m.header_push_back(b"x"), Err(nng::Error::InvalidInput));
    assert_eq!(m.header_push_front_u16(3), Err(nng::Error::InvalidInput));
    assert_eq!(
        m.header().len(),
        Message::HEADER_MAX,
        "a failed push changes nothing"
    );
    assert_eq!(m.header_pop_front_u32().unwrap(), 2);
}

/// nng 2.0.0 bug, fixed in the C source nng-sys builds (`nng-sys/build/patch.rs`):
/// on the receive side of inproc, `nni_msg_pull_up` merges the header into the
/// body with the faulty `nni_chunk_insert`, so a message with no room before
/// its body but room after it arrived with its first bytes replaced and
/// garbage at the end.
#[test]
fn inproc_message_with_no_headroom_arrives_intact() {
    let url = inproc("pull-up");
    // pair1 puts a 4-byte hop count in the header of every message it sends.
    let a = socket(Protocol::Pair1);
    a.listen(&url).unwrap();
    let b = socket(Protocol::Pair1);
    b.dial(&url).unwrap();
    // A power-of-two body of at least 1 KiB is allocated without headroom;
    // shortening it leaves room after the body.
    let mut m = Message::with_len(4096);
    m.truncate(100);
    for (i, byte) in m.iter_mut().enumerate() {
        *byte = i as u8;
    }
    let sent = m.as_slice().to_vec();
    b.send(m).unwrap();
    assert_eq!(a.recv().unwrap().as_slice(), &sent[..]);
}

#[test]
fn capacity_and_reserve() {
    let mut m = Message::with_capacity(1000);
    assert!(m.capacity() >= 1000);
    assert_eq!(m.len(), 0);
    m.reserve(5000);
    assert!(m.capacity() >= 5000);
    let z = Message::with_len(16);
    assert_eq!(z.as_slice(), &[0u8; 16][..]);
    m.push_back(&[1; 10]);
    m.clear();
    assert!(m.capacity() >= 5000, "clear keeps the capacity");
}

#[test]
fn conversions_clone_and_equality() {
    let a = Message::from(&b"bytes"[..]);
    let b = Message::from(b"bytes".to_vec());
    let c = Message::from("bytes");
    let d: Message = b"bytes".iter().copied().collect();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(c, d);
    let mut e = a.clone(); // nng_msg_dup: an independent copy
    e.push_back(b"!");
    e.header_push_back(b"h").unwrap();
    assert_eq!(a.as_slice(), b"bytes");
    assert_eq!(e.as_slice(), b"bytes!");
    assert_ne!(a, e);
    let mut f = Message::default();
    f.extend(b"ext".iter());
    f.extend([b'!']);
    assert_eq!(f.as_slice(), b"ext!");
    assert_eq!(f.as_ref(), b"ext!");
    assert!(format!("{f:?}").contains("body"));
}

#[test]
fn received_messages_know_their_pipe_and_are_not_copied() {
    let url = inproc("msgpipe");
    let pull = socket(Protocol::Pull0);
    pull.listen(&url).unwrap();
    let push = socket(Protocol::Push0);
    push.dial(&url).unwrap();
    let m = Message::from(&b"zero copy"[..]);
    assert!(m.pipe().is_none(), "a new message has no pipe");
    let body = m.as_slice().as_ptr() as usize;
    push.send(m).unwrap();
    let got = pull.recv().unwrap();
    assert!(got.pipe().is_some());
    assert_eq!(got.as_slice(), b"zero copy");
    // inproc hands the very same nng_msg over: send and recv copied nothing.
    assert_eq!(got.as_slice().as_ptr() as usize, body);
}

#[test]
fn messages_move_between_threads() {
    let m = Message::from(&b"travels"[..]);
    let back = std::thread::spawn(move || {
        let mut m = m;
        m.push_back(b" far");
        m
    })
    .join()
    .unwrap();
    assert_eq!(back.as_slice(), b"travels far");
}

/// `send` moves a `Message` with its header: what raw sockets (and devices)
/// route by. A request id set by hand on a raw req0 socket reaches the raw
/// rep0 peer, whose reply, sent back as received (by the blocking, async and
/// callback sends in turn), carries the backtrace home: a reply without it
/// would be dropped by nng. A raw pair1 message keeps its hop count through
/// `try_send` (the raw reqrep sockets refuse every non-blocking send, see
/// `protocols::nonblocking_calls_on_message_queue_protocols_always_refuse`).
#[test]
fn sending_a_message_keeps_its_header() {
    let url = inproc("raw-header");
    let rep = raw_socket(Protocol::Rep0);
    rep.listen(&url).unwrap();
    let req = raw_socket(Protocol::Req0);
    req.dial(&url).unwrap();
    let aio_result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = aio_result.clone();
    let aio = nng::Aio::new(move |_, r| {
        if let nng::AioResult::Send(r) = r {
            *slot.lock().unwrap() = Some(r.is_ok());
        }
    })
    .unwrap();
    for (round, how) in ["send", "send_async", "Aio::send"].into_iter().enumerate() {
        let id = 0x8000_0000 | round as u32;
        let mut request = Message::from("question");
        request.header_push_back_u32(id).unwrap();
        req.send(request).unwrap();
        let got = rep.recv().unwrap();
        // xrep0 puts the pipe id in front of the request id.
        assert_eq!(got.header().len(), 8, "{how}");
        assert_eq!(&got.header()[4..], id.to_be_bytes(), "{how}");
        assert_eq!(got.as_slice(), b"question");
        // The reply is the request as received: routed by its header.
        match how {
            "send" => rep.send(got).unwrap(),
            "send_async" => futures::executor::block_on(rep.send_async(got)).unwrap(),
            _ => {
                aio.send(&rep, got).unwrap();
                aio.wait().unwrap();
                assert_eq!(aio_result.lock().unwrap().take(), Some(true));
            }
        }
        let reply = req.recv().unwrap();
        assert_eq!(reply.header(), id.to_be_bytes(), "{how}");
        assert_eq!(reply.as_slice(), b"question");
    }

    let url = inproc("raw-hops");
    let a = raw_socket(Protocol::Pair1);
    a.listen(&url).unwrap();
    let b = raw_socket(Protocol::Pair1);
    b.dial(&url).unwrap();
    let send_now = |mut m: Message| {
        let deadline = std::time::Instant::now() + scaled(TIMEOUT);
        loop {
            match b.try_send(m) {
                Err(e) if e.error == nng::Error::TryAgain => m = e.message,
                r => return r,
            }
            assert!(std::time::Instant::now() < deadline, "never ready");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    };
    let mut m = Message::from("hop");
    m.header_push_back_u32(3).unwrap();
    send_now(m).unwrap();
    let got = a.recv().unwrap();
    assert_eq!(got.header(), 4u32.to_be_bytes(), "one more hop");
    assert_eq!(got.as_slice(), b"hop");
    // Without the hop count xpair1 refuses it; the message comes back.
    let err = send_now(Message::from("no header")).unwrap_err();
    assert_eq!(err.error, nng::Error::Protocol);
    assert_eq!(err.message.as_slice(), b"no header");
}
