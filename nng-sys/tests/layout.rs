//! The bindings' types have the layout the C compiler gives nng's types on the
//! target being built: for every type listed in `tests/layout/items.txt`, the
//! size, alignment, field offsets and (integer typedefs) signedness that the
//! target's C compiler computes (the build script compiles them into a table,
//! see `build/layout.rs`) equal `size_of`, `align_of`, `offset_of!` of the
//! Rust item. Target-generic: cross-built, it runs under wine or qemu with
//! the answers of the cross C compiler. A second test fails when the bindings
//! gain a type with a layout that the list lacks; a third checks that the
//! enums' values mean the same whichever signedness the compiler gives them.

use std::collections::BTreeMap;
use std::ffi::{c_char, CStr};

mod items {
    include!(concat!(env!("OUT_DIR"), "/layout_items.rs"));
}

/// The bindings this build uses (the shipped copy for the target, or
/// bindgen's output).
const BINDINGS: &str = include_str!(concat!(env!("OUT_DIR"), "/bindings.rs"));

#[repr(C)]
struct Entry {
    key: *const c_char,
    value: usize,
}

extern "C" {
    /// From `OUT_DIR/layout.c`, linked into this package's tests only.
    fn nng_sys_layout_entries(len: *mut usize) -> *const Entry;
}

/// The C compiler's answers, by key (`size struct tm`, `offset nng_iov.iov_len`, ...).
fn c_answers() -> BTreeMap<String, usize> {
    let mut len = 0usize;
    // SAFETY: the function stores the table's length in `len` and returns
    // its static, immutable array of that many entries.
    let table = unsafe { std::slice::from_raw_parts(nng_sys_layout_entries(&mut len), len) };
    table
        .iter()
        .map(|e| {
            // SAFETY: every key is a NUL-terminated string literal.
            let key = unsafe { CStr::from_ptr(e.key) };
            (key.to_str().expect("ASCII keys").to_string(), e.value)
        })
        .collect()
}

#[test]
fn rust_layouts_equal_the_c_compilers() {
    let c = c_answers();
    let rust: BTreeMap<String, usize> = items::RUST
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    assert_eq!(
        c.keys().collect::<Vec<_>>(),
        rust.keys().collect::<Vec<_>>(),
        "the C table and the Rust one ask different questions"
    );
    let differ: Vec<String> = c
        .iter()
        .filter(|(k, v)| rust[*k] != **v)
        .map(|(k, v)| format!("{k}: C {v}, Rust {}", rust[k]))
        .collect();
    assert!(
        differ.is_empty(),
        "the bindings disagree with the C compiler for {} ({} of {} answers differ):\n  {}",
        std::env::consts::ARCH.to_string() + "-" + std::env::consts::OS,
        differ.len(),
        c.len(),
        differ.join("\n  ")
    );
    // Not vacuous: a table of every listed type, sizes and offsets included.
    assert!(c.len() >= 3 * items::ITEMS.len(), "{} answers", c.len());
}

/// What the bindings define: structs and unions with fields, type aliases
/// (name and aliased type), and opaque structs (`_unused: [u8; 0]`: declared
/// but not defined in C, used only behind pointers).
#[derive(Default)]
struct Defined {
    records: Vec<String>,
    aliases: Vec<(String, String)>,
    opaque: Vec<String>,
}

fn defined_items(src: &str) -> Defined {
    let lines: Vec<&str> = src.lines().collect();
    let mut d = Defined::default();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        for prefix in ["pub struct ", "pub union "] {
            if let Some(rest) = line.strip_prefix(prefix) {
                let name = rest.trim_end_matches('{').trim().to_string();
                let opaque = lines
                    .get(i + 1)
                    .is_some_and(|next| next.contains("_unused: [u8; 0]"));
                if opaque {
                    d.opaque.push(name);
                } else {
                    d.records.push(name);
                }
            }
        }
        if let Some(rest) = line.strip_prefix("pub type ") {
            if let Some((name, target)) = rest.split_once(" = ") {
                let target = target.trim_end_matches(';').trim();
                d.aliases
                    .push((name.trim().to_string(), target.to_string()));
            }
        }
    }
    d
}

#[test]
fn every_type_with_a_layout_is_listed() {
    let listed = |name: &str| items::ITEMS.contains(&name);
    let d = defined_items(BINDINGS);
    assert!(
        d.records.iter().any(|n| n == "nng_sockaddr") && d.opaque.iter().any(|n| n == "nng_aio"),
        "the parser of bindings.rs did not find its types"
    );
    let mut missing = Vec::new();
    // A record is covered when it is listed or a listed alias names it
    // (`nng_ctx` = `nng_ctx_s`).
    for name in &d.records {
        if !listed(name) && !d.aliases.iter().any(|(a, t)| listed(a) && t == name) {
            missing.push(name.as_str());
        }
    }
    // An alias is covered when it is listed or names an opaque struct
    // (`nng_tls_cert` = `nng_tls_cert_s`), which has no layout.
    for (name, target) in &d.aliases {
        if !listed(name) && !d.opaque.contains(target) {
            missing.push(name.as_str());
        }
    }
    assert!(
        missing.is_empty(),
        "types of the bindings with a layout that tests/layout/items.txt does not list: {missing:?}"
    );
    for item in items::ITEMS {
        assert!(
            d.records
                .iter()
                .chain(d.aliases.iter().map(|(a, _)| a))
                .any(|n| n == item),
            "tests/layout/items.txt lists {item}, which the bindings do not define"
        );
    }
}

/// The enums' signedness is the C compiler's choice (`items.txt`, kind
/// `enum`): GCC and Clang say unsigned for nng's enums, MSVC says `int`, and
/// the shipped bindings spell them `c_uint`. Both read a value the same when
/// it is in `0..=i32::MAX`: every enumerator the bindings define for a
/// listed enum is.
#[test]
fn enumerators_read_the_same_signed_or_unsigned() {
    let mut seen: BTreeMap<&str, usize> = items::ENUMS.iter().map(|e| (*e, 0)).collect();
    let mut outside = Vec::new();
    for line in BINDINGS.lines() {
        // `pub const NNG_EINTR: nng_err = 1;`
        let Some(rest) = line.trim().strip_prefix("pub const ") else {
            continue;
        };
        let Some((name, rest)) = rest.split_once(": ") else {
            continue;
        };
        let Some((ty, value)) = rest.split_once(" = ") else {
            continue;
        };
        let Some(count) = seen.get_mut(ty) else {
            continue;
        };
        *count += 1;
        let value: i128 = value
            .trim_end_matches(';')
            .parse()
            .unwrap_or_else(|e| panic!("{name}: {value:?} is not an integer: {e}"));
        if !(0..=i128::from(i32::MAX)).contains(&value) {
            outside.push(format!("{name}: {ty} = {value}"));
        }
    }
    assert!(
        outside.is_empty(),
        "enumerators that a signed and an unsigned int read differently: {outside:?}"
    );
    let empty: Vec<_> = seen.iter().filter(|(_, n)| **n == 0).collect();
    assert!(
        empty.is_empty(),
        "enums of tests/layout/items.txt without enumerators in the bindings: {empty:?}"
    );
}
