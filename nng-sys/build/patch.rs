//! Fixes to nng 2.0.0's C source, applied to a copy in `OUT_DIR` before it is
//! built (the fetched source itself stays as its checksum says). Each fix is a
//! textual replacement that must match exactly once: a different nng source
//! stops the build naming the fix, rather than building without it.
//!
//! Every fix has a name; `patches/README.md` describes each one for upstream
//! (symptom, cause, fix) and names its regression test.
//! `NNG_SYS_SKIP_FIXES=name,name` builds without the named fixes, to show
//! that those tests fail on nng as released.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One exact-match replacement in one file of nng's source.
struct Fix {
    /// The bug it belongs to (a heading of `patches/README.md`).
    name: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

const FIXES: &[Fix] = &[
    // nni_chunk_insert, when the room is after the body, moves the body to
    // where the prepended bytes then go (tests/message.rs, fuzz/message).
    Fix {
        name: "chunk-insert",
        file: "src/core/message.c",
        from: "memmove(ch->ch_buf + shift, ch->ch_ptr, ch->ch_len);",
        to: "memmove(ch->ch_buf + shift + len, ch->ch_ptr, ch->ch_len);",
    },
    // A cancel function runs after nng released the aio lock; a concurrent
    // close frees the socket/context it is handed (nng_aio_stop, cancel,
    // abort, and nng's own timeout expiry). Cancel calls are counted and the
    // destroyers wait for the ones under way (nng-sys/tests/cancel_close_race.rs).
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.h",
        from: "extern void nni_aio_close(nni_aio *);\n",
        to: "extern void nni_aio_close(nni_aio *);\n\
            \n\
            // nni_aio_cancel_drain waits until every cancel function that had been\n\
            // taken from its aio when it was called has returned. Call it after an\n\
            // object's operations have been completed and before the object that those\n\
            // cancel functions receive as their argument is destroyed.\n\
            extern void nni_aio_cancel_drain(void);\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\tbool     eq_stop;\n\
              };\n",
        to: "\tbool     eq_stop;\n\
            \t// Cancel functions running with eq_mtx released, counted in two\n\
            \t// generations (by the low bit of eq_cancel_gen) for\n\
            \t// nni_aio_cancel_drain.\n\
            \tunsigned eq_cancelling[2];\n\
            \tunsigned eq_cancel_gen;\n\
            \tbool     eq_draining;\n\
            };\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "static void nni_aio_expire_add(nni_aio *);\n\
              static void nni_aio_expire_rm(nni_aio *);\n",
        to: "static void nni_aio_expire_add(nni_aio *);\n\
            static void nni_aio_expire_rm(nni_aio *);\n\
            \n\
            // A cancel function runs after eq_mtx is released, so that it may finish\n\
            // the aio. Its argument (a socket, a context, ...) can meanwhile be\n\
            // completed and destroyed by a close on another thread: the close's\n\
            // nni_aio_finish no longer finds a cancel function to wait for. Each such\n\
            // call is therefore counted, and the destroyers of those arguments wait\n\
            // in nni_aio_cancel_drain for the calls that were already under way.\n\
            static unsigned\n\
            aio_cancel_enter(nni_aio_expire_q *eq)\n\
            {\n\
            \tunsigned gen = eq->eq_cancel_gen & 1u;\n\
            \teq->eq_cancelling[gen]++;\n\
            \treturn (gen);\n\
            }\n\
            \n\
            static void\n\
            aio_cancel_leave(nni_aio_expire_q *eq, unsigned gen)\n\
            {\n\
            \tif ((--eq->eq_cancelling[gen] == 0) && eq->eq_draining) {\n\
            \t\tnni_cv_wake(&eq->eq_cv);\n\
            \t}\n\
            }\n\
            \n\
            // Called with eq_mtx held (released on return) and the cancel function\n\
            // already cleared from the aio.\n\
            static void\n\
            aio_cancel_unlock(nni_aio_expire_q *eq, nni_aio_cancel_fn fn, nni_aio *aio,\n\
            \x20   void *arg, nng_err rv)\n\
            {\n\
            \tunsigned gen;\n\
            \n\
            \tif (fn == NULL) {\n\
            \t\tnni_mtx_unlock(&eq->eq_mtx);\n\
            \t\treturn;\n\
            \t}\n\
            \tgen = aio_cancel_enter(eq);\n\
            \tnni_mtx_unlock(&eq->eq_mtx);\n\
            \tfn(aio, arg, rv);\n\
            \tnni_mtx_lock(&eq->eq_mtx);\n\
            \taio_cancel_leave(eq, gen);\n\
            \tnni_mtx_unlock(&eq->eq_mtx);\n\
            }\n\
            \n\
            void\n\
            nni_aio_cancel_drain(void)\n\
            {\n\
            \tfor (int i = 0; i < nni_aio_expire_q_cnt; i++) {\n\
            \t\tnni_aio_expire_q *eq = nni_aio_expire_q_list[i];\n\
            \t\tunsigned          gen;\n\
            \n\
            \t\tnni_mtx_lock(&eq->eq_mtx);\n\
            \t\t// One drain at a time, so that the generation not being\n\
            \t\t// drained holds only calls that started after the flip.\n\
            \t\twhile (eq->eq_draining) {\n\
            \t\t\tnni_cv_wait(&eq->eq_cv);\n\
            \t\t}\n\
            \t\teq->eq_draining = true;\n\
            \t\tgen             = eq->eq_cancel_gen & 1u;\n\
            \t\teq->eq_cancel_gen++;\n\
            \t\twhile (eq->eq_cancelling[gen] != 0) {\n\
            \t\t\tnni_cv_wait(&eq->eq_cv);\n\
            \t\t}\n\
            \t\teq->eq_draining = false;\n\
            \t\tnni_cv_wake(&eq->eq_cv);\n\
            \t\tnni_mtx_unlock(&eq->eq_mtx);\n\
            \t}\n\
            }\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\t\tnni_mtx_unlock(&eq->eq_mtx);\n\
              \n\
              \t\tif (fn != NULL) {\n\
              \t\t\tfn(aio, arg, NNG_ESTOPPED);\n\
              \t\t}\n\
              \n\
              \t\tnni_task_fini(&aio->a_task);\n",
        to: "\t\taio_cancel_unlock(eq, fn, aio, arg, NNG_ESTOPPED);\n\
            \n\
            \t\tnni_task_fini(&aio->a_task);\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\t\tnni_mtx_unlock(&eq->eq_mtx);\n\
              \n\
              \t\tif (fn != NULL) {\n\
              \t\t\tfn(aio, arg, NNG_ESTOPPED);\n\
              \t\t}\n\
              \n\
              \t\tnni_aio_wait(aio);\n",
        to: "\t\taio_cancel_unlock(eq, fn, aio, arg, NNG_ESTOPPED);\n\
            \n\
            \t\tnni_aio_wait(aio);\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\t\taio->a_stop       = true;\n\
              \t\tnni_mtx_unlock(&eq->eq_mtx);\n\
              \n\
              \t\tif (fn != NULL) {\n\
              \t\t\tfn(aio, arg, NNG_ESTOPPED);\n\
              \t\t}\n",
        to: "\t\taio->a_stop       = true;\n\
            \t\taio_cancel_unlock(eq, fn, aio, arg, NNG_ESTOPPED);\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\t\tnni_mtx_unlock(&eq->eq_mtx);\n\
              \n\
              \t\t// Stop any I/O at the provider level.\n\
              \t\tif (fn != NULL) {\n\
              \t\t\tfn(aio, arg, rv);\n\
              \t\t}\n",
        to: "\t\t// Stop any I/O at the provider level.\n\
            \t\taio_cancel_unlock(eq, fn, aio, arg, rv);\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/aio.c",
        from: "\t\t\t} else if (cancel_fn != NULL) {\n\
              \t\t\t\tnni_mtx_unlock(mtx);\n\
              \t\t\t\tcancel_fn(aio, cancel_arg, rv);\n\
              \t\t\t\tnni_mtx_lock(mtx);\n\
              \t\t\t}\n",
        to: "\t\t\t} else if (cancel_fn != NULL) {\n\
            \t\t\t\tunsigned gen = aio_cancel_enter(q);\n\
            \t\t\t\tnni_mtx_unlock(mtx);\n\
            \t\t\t\tcancel_fn(aio, cancel_arg, rv);\n\
            \t\t\t\tnni_mtx_lock(mtx);\n\
            \t\t\t\taio_cancel_leave(q, gen);\n\
            \t\t\t}\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/socket.c",
        from: "\t// The protocol needs to clean up its state.\n",
        to: "\t// Operations were completed by the shutdown; cancel functions that\n\
            \t// had already been taken from them may still be running on the\n\
            \t// protocol's state.\n\
            \tnni_aio_cancel_drain();\n\
            \n\
            \t// The protocol needs to clean up its state.\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/socket.c",
        from: "\t// Let the socket go, our hold on it is done.\n",
        to: "\t// ctx_fini completed the context's operations; wait for cancel\n\
            \t// functions already taken from them before freeing the context.\n\
            \tnni_aio_cancel_drain();\n\
            \n\
            \t// Let the socket go, our hold on it is done.\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/sp/protocol/reqrep0/req.c",
        from: "\treq0_ctx_fini(&s->master);\n",
        to: "\treq0_ctx_fini(&s->master);\n\
            \tnni_aio_cancel_drain(); // before the lock is destroyed\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/sp/protocol/reqrep0/rep.c",
        from: "\trep0_ctx_fini(&s->ctx);\n",
        to: "\trep0_ctx_fini(&s->ctx);\n\
            \tnni_aio_cancel_drain(); // before the lock is destroyed\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/sp/protocol/pubsub0/sub.c",
        from: "\tsub0_ctx_fini(&sock->master);\n",
        to: "\tsub0_ctx_fini(&sock->master);\n\
            \tnni_aio_cancel_drain(); // before the lock is destroyed\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/sp/protocol/survey0/respond.c",
        from: "\tresp0_ctx_fini(&s->ctx);\n",
        to: "\tresp0_ctx_fini(&s->ctx);\n\
            \tnni_aio_cancel_drain(); // before the lock is destroyed\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/sp/protocol/survey0/survey.c",
        from: "\tsurv0_ctx_fini(&sock->ctx);\n",
        to: "\tsurv0_ctx_fini(&sock->ctx);\n\
            \tnni_aio_cancel_drain(); // before the lock is destroyed\n",
    },
    Fix {
        name: "cancel-close-race",
        file: "src/core/device.c",
        from: "\tNNI_FREE_STRUCT(d);\n",
        to: "\tnni_aio_cancel_drain(); // device_cancel reads d\n\
            \tNNI_FREE_STRUCT(d);\n",
    },
    // Closing a dialer or listener while its socket closes: the socket's
    // shutdown drops a hold it failed to take on an endpoint another thread
    // is closing, and loops on it (the nni_dialer_rele assertion). It now
    // waits for that close to take the endpoint off its list
    // (nng-sys/tests/endpoint_close_race.rs).
    Fix {
        name: "endpoint-close-race",
        file: "src/core/socket.c",
        from: "\twhile ((l = nni_list_first(&sock->s_listeners)) != NULL) {\n\
              \t\tnni_listener_hold(l);\n",
        to: "\twhile ((l = nni_list_first(&sock->s_listeners)) != NULL) {\n\
            \t\tif (nni_listener_hold(l) != 0) {\n\
            \t\t\t// Being closed by another thread, which has no hold\n\
            \t\t\t// for us to drop: it removes the listener from our list\n\
            \t\t\t// and wakes us.\n\
            \t\t\tnni_cv_wait(&sock->s_cv);\n\
            \t\t\tcontinue;\n\
            \t\t}\n",
    },
    Fix {
        name: "endpoint-close-race",
        file: "src/core/socket.c",
        from: "\tNNI_ASSERT(nni_list_node_active(&l->l_node));\n\
              \tnni_list_node_remove(&l->l_node);\n",
        to: "\tNNI_ASSERT(nni_list_node_active(&l->l_node));\n\
            \tnni_list_node_remove(&l->l_node);\n\
            \tnni_cv_wake(&s->s_cv); // a socket shutdown may wait for this\n",
    },
    Fix {
        name: "endpoint-close-race",
        file: "src/core/socket.c",
        from: "\twhile ((d = nni_list_first(&sock->s_dialers)) != NULL) {\n\
              \t\tnni_dialer_hold(d);\n",
        to: "\twhile ((d = nni_list_first(&sock->s_dialers)) != NULL) {\n\
            \t\tif (nni_dialer_hold(d) != 0) {\n\
            \t\t\t// Being closed by another thread, which has no hold\n\
            \t\t\t// for us to drop: it removes the dialer from our list\n\
            \t\t\t// and wakes us.\n\
            \t\t\tnni_cv_wait(&sock->s_cv);\n\
            \t\t\tcontinue;\n\
            \t\t}\n",
    },
    Fix {
        name: "endpoint-close-race",
        file: "src/core/socket.c",
        from: "\tNNI_ASSERT(nni_list_node_active(&d->d_node));\n\
              \tnni_list_node_remove(&d->d_node);\n",
        to: "\tNNI_ASSERT(nni_list_node_active(&d->d_node));\n\
            \tnni_list_node_remove(&d->d_node);\n\
            \tnni_cv_wake(&s->s_cv); // a socket shutdown may wait for this\n",
    },
];

/// Copies `src` to `OUT_DIR/nng-src`, applies [`FIXES`], and returns the copy.
pub fn apply(src: &Path, out_dir: &Path) -> PathBuf {
    let dst = out_dir.join("nng-src");
    println!("cargo:rerun-if-env-changed=NNG_SYS_SKIP_FIXES");
    let skip = env::var("NNG_SYS_SKIP_FIXES").unwrap_or_default();
    let skip: Vec<&str> = skip.split(',').map(str::trim).collect();
    let done = (|| -> io::Result<()> {
        if dst.exists() {
            fs::remove_dir_all(&dst)?;
        }
        copy_tree(src, &dst)?;
        for fix in FIXES {
            if skip.contains(&fix.name) {
                println!(
                    "cargo:warning=nng-sys: building WITHOUT the fix {} (NNG_SYS_SKIP_FIXES)",
                    fix.name
                );
                continue;
            }
            let path = dst.join(fix.file);
            let text = fs::read_to_string(&path)?;
            let n = text.matches(fix.from).count();
            if n != 1 {
                panic!(
                    "nng-sys: the fix {} to {} matches {n} times instead of once in {}; \
                     is this nng 2.0.0? (see nng-sys/patches/README.md)",
                    fix.name,
                    fix.file,
                    src.display(),
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
