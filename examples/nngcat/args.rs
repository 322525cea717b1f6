//! Command-line parsing with the exact rules of nng's `nng_args_parse`
//! (`<nng/args.h>`), which C nngcat uses:
//!
//! - long options `--name`, `--name value`, `--name=value`, `--name:value`;
//! - any unambiguous prefix of a long option (`--comp` for `--compat`); an
//!   exact name wins over longer names it prefixes (`--sub` vs `--sub0`);
//! - short options `-x`, `-x value`, `-xvalue`, no clustering;
//! - a lone `-` ends the options and is consumed; any other word that does not
//!   start with `-` ends the options and is left alone.
//!
//! clap is not used: it has no `--opt:value` syntax, and its messages and exit
//! codes differ from nngcat's, which scripts (and our tests) compare exactly.

/// One option the parser knows.
pub struct Spec<T> {
    /// Long name, without the dashes.
    pub name: Option<&'static str>,
    /// Short letter, without the dash.
    pub short: Option<u8>,
    /// What the parser reports when this option is given.
    pub val: T,
    /// Whether it takes a value.
    pub arg: bool,
}

/// Why parsing stopped with an error; the index is of the offending word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgError {
    /// No option has this name (or a flag was given a value).
    Invalid(usize),
    /// More than one long option starts with this prefix.
    Ambiguous(usize),
    /// The option needs a value and none followed.
    Missing(usize),
}

/// An option the parser found, and its value if it takes one.
pub type Found<'a, T> = (T, Option<&'a [u8]>);

/// Walks `argv` (from index 1) one option at a time.
pub struct Parser<'a, T> {
    argv: &'a [Vec<u8>],
    specs: &'a [Spec<T>],
    idx: usize,
}

impl<'a, T: Copy> Parser<'a, T> {
    /// A parser over the whole command line, `argv[0]` being the program.
    pub fn new(argv: &'a [Vec<u8>], specs: &'a [Spec<T>]) -> Self {
        Parser {
            argv,
            specs,
            idx: 1,
        }
    }

    /// The next option and its value; `Ok(None)` at the end of the options.
    pub fn next_opt(&mut self) -> Result<Option<Found<'a, T>>, ArgError> {
        let i = self.idx;
        let Some(word) = self.argv.get(i) else {
            return Ok(None);
        };
        let word = word.as_slice();
        if word.first() != Some(&b'-') {
            return Ok(None);
        }
        if word.len() == 1 {
            self.idx = i + 1;
            return Ok(None);
        }
        let (body, short, l) = if word[1] == b'-' {
            let body = &word[2..];
            let l = body
                .iter()
                .position(|&c| c == b'=' || c == b':')
                .unwrap_or(body.len());
            (body, false, l)
        } else {
            (&word[1..], true, 1)
        };

        let spec = if short {
            self.specs.iter().find(|s| s.short == Some(body[0]))
        } else {
            let key = &body[..l];
            let mut found = None;
            let mut matches = 0;
            for s in self.specs {
                let Some(name) = s.name else { continue };
                if !name.as_bytes().starts_with(key) {
                    continue;
                }
                found = Some(s);
                matches += 1;
                if name.len() == l {
                    matches = 1; // an exact name wins
                    break;
                }
            }
            match matches {
                0 => None,
                1 => found,
                _ => return Err(ArgError::Ambiguous(i)),
            }
        };
        let Some(spec) = spec else {
            return Err(ArgError::Invalid(i));
        };

        if !spec.arg {
            if body.len() != l {
                return Err(ArgError::Invalid(i));
            }
            self.idx = i + 1;
            return Ok(Some((spec.val, None)));
        }
        let value = if body.len() != l {
            // Short options glue the value on; long ones separate it by = or :.
            Some(if short { &body[l..] } else { &body[l + 1..] })
        } else {
            let v = self.argv.get(i + 1).ok_or(ArgError::Missing(i))?;
            self.idx = i + 1;
            Some(v.as_slice())
        };
        self.idx += 1;
        Ok(Some((spec.val, value)))
    }

    /// The word at `idx`, as the error messages print it.
    pub fn word(&self, idx: usize) -> &'a [u8] {
        &self.argv[idx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec<u8>] = &[
        Spec {
            name: Some("sub"),
            short: None,
            val: 1,
            arg: false,
        },
        Spec {
            name: Some("sub0"),
            short: None,
            val: 1,
            arg: false,
        },
        Spec {
            name: Some("subscribe"),
            short: None,
            val: 2,
            arg: true,
        },
        Spec {
            name: Some("req0"),
            short: None,
            val: 3,
            arg: false,
        },
        Spec {
            name: Some("rep0"),
            short: None,
            val: 4,
            arg: false,
        },
        Spec {
            name: Some("listen"),
            short: Some(b'L'),
            val: 5,
            arg: true,
        },
    ];

    fn parse(words: &[&str]) -> Vec<Result<(u8, Option<String>), ArgError>> {
        let argv: Vec<Vec<u8>> = std::iter::once("prog")
            .chain(words.iter().copied())
            .map(|w| w.as_bytes().to_vec())
            .collect();
        let mut p = Parser::new(&argv, SPECS);
        let mut out = Vec::new();
        loop {
            match p.next_opt() {
                Ok(None) => return out,
                Ok(Some((v, a))) => out.push(Ok((v, a.map(|a| String::from_utf8_lossy(a).into())))),
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    #[test]
    fn syntax() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(parse(&["--sub"]), [Ok((1, None))]);
        assert_eq!(
            parse(&["--subs=a", "--subscribe:b", "--subscribe", "c"]),
            [Ok((2, s("a"))), Ok((2, s("b"))), Ok((2, s("c")))]
        );
        assert_eq!(parse(&["--re"]), [Err(ArgError::Ambiguous(1))]);
        assert_eq!(
            parse(&["--req", "--x"]),
            [Ok((3, None)), Err(ArgError::Invalid(2))]
        );
        assert_eq!(parse(&["--req=1"]), [Err(ArgError::Invalid(1))]);
        assert_eq!(
            parse(&["-L5", "-L", "6"]),
            [Ok((5, s("5"))), Ok((5, s("6")))]
        );
        assert_eq!(parse(&["--listen"]), [Err(ArgError::Missing(1))]);
        assert_eq!(parse(&["--req", "word", "--rep"]), [Ok((3, None))]);
        assert_eq!(parse(&["-", "--rep"]), []);
        assert_eq!(parse(&["--"]), [Err(ArgError::Ambiguous(1))]);
    }
}
