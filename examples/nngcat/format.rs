//! The output formats of received messages, byte for byte as C nngcat's
//! `printmsg` writes them (in the C locale, where `isprint` is 0x20..=0x7e).

use std::io::{self, Write};

/// How received message bodies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Nothing is printed (`--format no`, and the default).
    Blank,
    /// The bytes as they are.
    Raw,
    /// Printable ASCII as is, anything else as `.`; no separator.
    Ascii,
    /// A C string literal per message, one per line.
    Quoted,
    /// A MessagePack bin 8/16/32 value per message.
    Msgpack,
    /// A C string literal of `\xNN` escapes per message, one per line.
    Hex,
}

impl Format {
    /// The `--format` names.
    pub fn from_name(name: &[u8]) -> Option<Format> {
        Some(match name {
            b"no" => Format::Blank,
            b"ascii" => Format::Ascii,
            b"hex" => Format::Hex,
            b"quoted" => Format::Quoted,
            b"raw" => Format::Raw,
            b"msgpack" => Format::Msgpack,
            _ => return None,
        })
    }

    /// Renders one message body.
    pub fn render(self, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + 8);
        match self {
            Format::Blank => {}
            Format::Raw => out.extend_from_slice(body),
            Format::Ascii => out.extend(body.iter().map(|&b| if printable(b) { b } else { b'.' })),
            Format::Quoted => {
                out.push(b'"');
                for &b in body {
                    match b {
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
                        b if printable(b) => out.push(b),
                        b => hex_escape(&mut out, b),
                    }
                }
                out.extend_from_slice(b"\"\n");
            }
            Format::Msgpack => {
                let len = body.len();
                if len < 256 {
                    out.extend_from_slice(&[0xc4, len as u8]);
                } else if len < 65536 {
                    out.push(0xc5);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                } else {
                    out.push(0xc6);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
                out.extend_from_slice(body);
            }
            Format::Hex => {
                out.push(b'"');
                for &b in body {
                    hex_escape(&mut out, b);
                }
                out.extend_from_slice(b"\"\n");
            }
        }
        out
    }

    /// Writes one message body to `w` and flushes it, as C does after each.
    pub fn print(self, w: &mut impl Write, body: &[u8]) -> io::Result<()> {
        if self != Format::Blank {
            w.write_all(&self.render(body))?;
        }
        w.flush()
    }
}

fn printable(b: u8) -> bool {
    (0x20..=0x7e).contains(&b)
}

fn hex_escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(b >> 4)],
        HEX[usize::from(b & 15)],
    ]);
}

#[cfg(test)]
mod tests {
    use super::Format::*;

    #[test]
    fn formats() {
        let m = b"a\"\\\n\r\t\x00\xff~";
        assert_eq!(Ascii.render(m), b"a\"\\.....~");
        assert_eq!(Quoted.render(m), b"\"a\\\"\\\\\\n\\r\\t\\x00\\xff~\"\n");
        assert_eq!(Hex.render(b"A\x00"), b"\"\\x41\\x00\"\n");
        assert_eq!(Msgpack.render(b"hi"), b"\xc4\x02hi");
        assert_eq!(Msgpack.render(&[7; 256])[..3], [0xc5, 1, 0]);
        assert_eq!(Msgpack.render(&[7; 65536])[..5], [0xc6, 0, 1, 0, 0]);
        assert_eq!(Raw.render(m), m);
        assert!(Blank.render(m).is_empty());
    }
}
