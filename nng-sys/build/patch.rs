//! Fixes to nng 2.0.0's C source, applied to a copy in `OUT_DIR` before it is
//! built (the fetched source itself stays as its checksum says). Each fix is a
//! textual replacement that must match exactly once: a different nng source
//! stops the build naming the fix, rather than building without it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

struct Fix {
    file: &'static str,
    why: &'static str,
    from: &'static str,
    to: &'static str,
}

const FIXES: &[Fix] = &[Fix {
    file: "src/core/message.c",
    why: "nni_chunk_insert, when the room is after the body, moves the body to where \
          the prepended bytes then go, overwriting its first bytes and leaving stale ones \
          at the end; reached by nng_msg_insert and by inproc's nni_msg_pull_up \
          (tests/message.rs, found by fuzz/message)",
    from: "memmove(ch->ch_buf + shift, ch->ch_ptr, ch->ch_len);",
    to: "memmove(ch->ch_buf + shift + len, ch->ch_ptr, ch->ch_len);",
}];

/// Copies `src` to `OUT_DIR/nng-src`, applies [`FIXES`], and returns the copy.
pub fn apply(src: &Path, out_dir: &Path) -> PathBuf {
    let dst = out_dir.join("nng-src");
    let done = (|| -> io::Result<()> {
        if dst.exists() {
            fs::remove_dir_all(&dst)?;
        }
        copy_tree(src, &dst)?;
        for fix in FIXES {
            let path = dst.join(fix.file);
            let text = fs::read_to_string(&path)?;
            let n = text.matches(fix.from).count();
            if n != 1 {
                panic!(
                    "nng-sys: the fix to {} matches {n} times instead of once in {}; \
                     is this nng 2.0.0? ({})",
                    fix.file,
                    src.display(),
                    fix.why
                );
            }
            fs::write(&path, text.replacen(fix.from, fix.to, 1))?;
        }
        Ok(())
    })();
    if let Err(e) = done {
        panic!("nng-sys: copying nng's source to {}: {e}", dst.display());
    }
    forget_other_source(out_dir, &dst);
    dst
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        // Follows links (the package's nng/ may be one).
        if fs::metadata(entry.path())?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A CMake cache made from another source folder (a build from before the
/// copy existed) refuses the new one: drop it so CMake configures afresh.
fn forget_other_source(out_dir: &Path, src: &Path) {
    let cache = out_dir.join("build").join("CMakeCache.txt");
    let Ok(text) = fs::read_to_string(&cache) else {
        return;
    };
    let home = format!("CMAKE_HOME_DIRECTORY:INTERNAL={}", src.display());
    if !text.lines().any(|l| l == home) {
        let _ = fs::remove_file(&cache);
        let _ = fs::remove_dir_all(out_dir.join("build").join("CMakeFiles"));
    }
}
