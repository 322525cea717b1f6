//! `Message` against a model: a sequence of operations is applied both to an
//! `nng::Message` and to a pair of `Vec<u8>` (header, body); after every step
//! both must hold the same bytes. Failing operations must fail with the typed
//! error the docs name and leave the message unchanged.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nng::{Error, Message};
use std::io::Write;

/// The model: what the message must contain.
#[derive(Default, Clone)]
struct Model {
    header: Vec<u8>,
    body: Vec<u8>,
}

/// Which part of the message an operation works on.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Part {
    Body,
    Header,
}

/// An integer width of the `*_u16/u32/u64` helpers.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Width {
    U16,
    U32,
    U64,
}

impl Width {
    fn bytes(self) -> usize {
        match self {
            Width::U16 => 2,
            Width::U32 => 4,
            Width::U64 => 8,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    PushBack(Part, Vec<u8>),
    PushFront(Part, Vec<u8>),
    /// chop / header_chop: removes from the end.
    Chop(Part, u32),
    /// trim / header_trim: removes from the start.
    Trim(Part, u32),
    PushBackInt(Part, Width, u64),
    PushFrontInt(Part, Width, u64),
    PopBackInt(Part, Width),
    PopFrontInt(Part, Width),
    Clear(Part),
    Reserve(u16),
    Resize(u16),
    Truncate(u16),
    /// Writes one byte through `as_mut_slice` / `header_mut` (index modulo len).
    Poke(Part, u16, u8),
    /// `io::Write`.
    Write(Vec<u8>),
    /// `Extend<u8>`.
    Extend(Vec<u8>),
    /// Replaces the message with its clone (`nng_msg_dup`).
    Dup,
    /// Clones, changes the clone, and checks the original did not change.
    DupThenEdit(Vec<u8>),
    /// Replaces the message with one built by a constructor.
    New(Ctor),
}

#[derive(Arbitrary, Debug)]
enum Ctor {
    New,
    WithLen(u16),
    WithCapacity(u16),
    FromSlice(Vec<u8>),
    FromIter(Vec<u8>),
    Default,
}

fn part<'a>(m: &'a Model, p: Part) -> &'a Vec<u8> {
    match p {
        Part::Body => &m.body,
        Part::Header => &m.header,
    }
}

fn part_mut<'a>(m: &'a mut Model, p: Part) -> &'a mut Vec<u8> {
    match p {
        Part::Body => &mut m.body,
        Part::Header => &mut m.header,
    }
}

/// Appends (`back`) or prepends `data`; body pushes cannot fail.
fn push(msg: &mut Message, p: Part, data: &[u8], back: bool) -> Result<(), Error> {
    match (p, back) {
        (Part::Body, true) => msg.push_back(data),
        (Part::Body, false) => msg.push_front(data),
        (Part::Header, true) => return msg.header_push_back(data),
        (Part::Header, false) => return msg.header_push_front(data),
    }
    Ok(())
}

/// Appends or prepends `v` truncated to `w`, big-endian, through the typed helper.
fn push_int(msg: &mut Message, p: Part, w: Width, v: u64, back: bool) -> Result<(), Error> {
    match (p, w, back) {
        (Part::Body, Width::U16, true) => msg.push_back_u16(v as u16),
        (Part::Body, Width::U32, true) => msg.push_back_u32(v as u32),
        (Part::Body, Width::U64, true) => msg.push_back_u64(v),
        (Part::Body, Width::U16, false) => msg.push_front_u16(v as u16),
        (Part::Body, Width::U32, false) => msg.push_front_u32(v as u32),
        (Part::Body, Width::U64, false) => msg.push_front_u64(v),
        (Part::Header, Width::U16, true) => return msg.header_push_back_u16(v as u16),
        (Part::Header, Width::U32, true) => return msg.header_push_back_u32(v as u32),
        (Part::Header, Width::U64, true) => return msg.header_push_back_u64(v),
        (Part::Header, Width::U16, false) => return msg.header_push_front_u16(v as u16),
        (Part::Header, Width::U32, false) => return msg.header_push_front_u32(v as u32),
        (Part::Header, Width::U64, false) => return msg.header_push_front_u64(v),
    }
    Ok(())
}

/// The model's side of a push: the header has a fixed room of
/// `Message::HEADER_MAX` bytes; a push past it fails and changes nothing.
fn model_push(m: &mut Model, p: Part, data: &[u8], back: bool) -> Result<(), Error> {
    if matches!(p, Part::Header) && m.header.len() + data.len() > Message::HEADER_MAX {
        return Err(Error::InvalidInput);
    }
    let v = part_mut(m, p);
    if back {
        v.extend_from_slice(data);
    } else {
        v.splice(0..0, data.iter().copied());
    }
    Ok(())
}

/// Pops an integer of width `w` from the back or the front, widened to u64.
fn pop_int(msg: &mut Message, p: Part, w: Width, back: bool) -> Result<u64, Error> {
    Ok(match (p, w, back) {
        (Part::Body, Width::U16, true) => msg.pop_back_u16()?.into(),
        (Part::Body, Width::U32, true) => msg.pop_back_u32()?.into(),
        (Part::Body, Width::U64, true) => msg.pop_back_u64()?,
        (Part::Body, Width::U16, false) => msg.pop_front_u16()?.into(),
        (Part::Body, Width::U32, false) => msg.pop_front_u32()?.into(),
        (Part::Body, Width::U64, false) => msg.pop_front_u64()?,
        (Part::Header, Width::U16, true) => msg.header_pop_back_u16()?.into(),
        (Part::Header, Width::U32, true) => msg.header_pop_back_u32()?.into(),
        (Part::Header, Width::U64, true) => msg.header_pop_back_u64()?,
        (Part::Header, Width::U16, false) => msg.header_pop_front_u16()?.into(),
        (Part::Header, Width::U32, false) => msg.header_pop_front_u32()?.into(),
        (Part::Header, Width::U64, false) => msg.header_pop_front_u64()?,
    })
}

/// Big-endian value of `bytes` (at most 8).
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Removes `n` bytes from one end of the model, or `None` if it is shorter.
fn model_remove(v: &mut Vec<u8>, n: usize, back: bool) -> Option<Vec<u8>> {
    if n > v.len() {
        return None;
    }
    Some(if back {
        v.split_off(v.len() - n)
    } else {
        v.drain(..n).collect()
    })
}

fn check(msg: &Message, model: &Model) {
    assert_eq!(msg.as_slice(), &model.body[..], "body");
    assert_eq!(msg.header(), &model.header[..], "header");
    assert_eq!(msg.len(), model.body.len());
    assert_eq!(msg.is_empty(), model.body.is_empty());
    assert!(msg.capacity() >= msg.len(), "capacity below length");
    assert_eq!(&**msg, &model.body[..], "Deref");
}

fn construct(c: &Ctor) -> (Message, Model) {
    let body = match c {
        Ctor::New | Ctor::Default | Ctor::WithCapacity(_) => Vec::new(),
        Ctor::WithLen(n) => vec![0; usize::from(*n)],
        Ctor::FromSlice(v) | Ctor::FromIter(v) => v.clone(),
    };
    let msg = match c {
        Ctor::New => Message::new(),
        Ctor::Default => Message::default(),
        Ctor::WithLen(n) => Message::with_len(usize::from(*n)),
        Ctor::WithCapacity(n) => {
            let m = Message::with_capacity(usize::from(*n));
            assert!(m.capacity() >= usize::from(*n), "with_capacity");
            m
        }
        Ctor::FromSlice(v) => Message::from(&v[..]),
        Ctor::FromIter(v) => v.iter().copied().collect(),
    };
    (
        msg,
        Model {
            header: Vec::new(),
            body,
        },
    )
}

fn apply(msg: &mut Message, model: &mut Model, op: &Op) {
    match *op {
        Op::PushBack(p, ref data) | Op::PushFront(p, ref data) => {
            let back = matches!(op, Op::PushBack(..));
            let r = push(msg, p, data, back);
            assert_eq!(r, model_push(model, p, data, back), "{op:?}");
        }
        Op::Chop(p, n) | Op::Trim(p, n) => {
            let back = matches!(op, Op::Chop(..));
            let n = n as usize;
            let r = match (p, back) {
                (Part::Body, true) => msg.chop(n),
                (Part::Body, false) => msg.trim(n),
                (Part::Header, true) => msg.header_chop(n),
                (Part::Header, false) => msg.header_trim(n),
            };
            match model_remove(part_mut(model, p), n, back) {
                Some(_) => assert_eq!(r, Ok(()), "{op:?}"),
                None => assert_eq!(r, Err(Error::InvalidInput), "{op:?}"),
            }
        }
        Op::PushBackInt(p, w, v) | Op::PushFrontInt(p, w, v) => {
            let back = matches!(op, Op::PushBackInt(..));
            let r = push_int(msg, p, w, v, back);
            let bytes = &v.to_be_bytes()[8 - w.bytes()..];
            assert_eq!(r, model_push(model, p, bytes, back), "{op:?}");
        }
        Op::PopBackInt(p, w) | Op::PopFrontInt(p, w) => {
            let back = matches!(op, Op::PopBackInt(..));
            let r = pop_int(msg, p, w, back);
            match model_remove(part_mut(model, p), w.bytes(), back) {
                Some(bytes) => assert_eq!(r, Ok(be(&bytes)), "{op:?}"),
                None => assert_eq!(r, Err(Error::InvalidInput), "{op:?}"),
            }
        }
        Op::Clear(p) => {
            match p {
                Part::Body => msg.clear(),
                Part::Header => msg.clear_header(),
            }
            part_mut(model, p).clear();
        }
        Op::Reserve(n) => {
            let before = msg.capacity();
            msg.reserve(usize::from(n));
            assert!(msg.capacity() >= msg.len() + usize::from(n), "reserve");
            assert!(msg.capacity() >= before, "reserve shrank the capacity");
        }
        Op::Resize(n) => {
            msg.resize(usize::from(n));
            model.body.resize(usize::from(n), 0);
        }
        Op::Truncate(n) => {
            msg.truncate(usize::from(n));
            model.body.truncate(usize::from(n));
        }
        Op::Poke(p, i, b) => {
            let len = part(model, p).len();
            if len > 0 {
                let i = usize::from(i) % len;
                match p {
                    Part::Body => msg.as_mut_slice()[i] = b,
                    Part::Header => msg.header_mut()[i] = b,
                }
                part_mut(model, p)[i] = b;
            }
        }
        Op::Write(ref data) => {
            assert_eq!(msg.write(data).unwrap(), data.len());
            msg.flush().unwrap();
            model.body.extend_from_slice(data);
        }
        Op::Extend(ref data) => {
            msg.extend(data.iter());
            model.body.extend_from_slice(data);
        }
        Op::Dup => {
            let copy = msg.clone();
            assert_eq!(&copy, &*msg, "clone differs");
            *msg = copy;
        }
        Op::DupThenEdit(ref data) => {
            let mut copy = msg.clone();
            copy.push_back(data);
            copy.push_front(data);
            let _ = copy.header_push_front(data);
            copy.clear();
            // The original is checked against the unchanged model below.
        }
        Op::New(ref c) => (*msg, *model) = construct(c),
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut msg = Message::new();
    let mut model = Model::default();
    for op in &ops {
        apply(&mut msg, &mut model, op);
        check(&msg, &model);
    }
});
