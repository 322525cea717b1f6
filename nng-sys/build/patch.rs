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
    // A tcp connection completed (accepted or dialed) just as its aio is
    // stopped: the success becomes NNG_ESTOPPED and the callbacks' error
    // paths leave the connection in the aio's output. They now free it
    // (nng-sys/tests/tcp_conn_leak.rs).
    Fix {
        name: "tcp-conn-leak",
        file: "src/sp/transport/tcp/tcp.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \n\
            \t// A connection accepted just as the aio was stopped reports\n\
            \t// NNG_ESTOPPED with the connection still in the output: free it.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n",
    },
    Fix {
        name: "tcp-conn-leak",
        file: "src/sp/transport/tcp/tcp.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \t// A connection made just as the aio was stopped reports\n\
            \t// NNG_ESTOPPED with the connection still in the output: free it.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n",
    },
    Fix {
        name: "tcp-conn-leak",
        file: "src/core/tcp.c",
        from: "\tnni_mtx_lock(&d->mtx);\n\
              \trv = nni_aio_result(&d->conaio);\n",
        to: "\tnni_mtx_lock(&d->mtx);\n\
            \trv = nni_aio_result(&d->conaio);\n\
            \tif (rv != NNG_OK) {\n\
            \t\t// A connection made just as conaio was stopped reports\n\
            \t\t// NNG_ESTOPPED with the connection still in the output.\n\
            \t\tnng_stream_free(nni_aio_get_output(&d->conaio, 0));\n\
            \t\tnni_aio_set_output(&d->conaio, 0, NULL);\n\
            \t}\n",
    },
    Fix {
        name: "tcp-conn-leak",
        file: "src/core/tcp.c",
        from: "\t\tnni_aio_set_output(aio, 0, nni_aio_get_output(&d->conaio, 0));\n",
        to: "\t\tnni_aio_set_output(aio, 0, nni_aio_get_output(&d->conaio, 0));\n\
            \t\tnni_aio_set_output(&d->conaio, 0, NULL); // handed over\n",
    },
    // A websocket listener's options read or written while its socket
    // closes: ws_listener_stop frees and clears l->server under l->mtx, the
    // option functions read it without the lock (a NULL dereference in
    // nni_http_server_get). They now take the lock and report NNG_ECLOSED
    // (tests/endpoint_strings.rs, listener_url_read_while_socket_closes).
    Fix {
        name: "ws-listener-close-race",
        file: "src/supplemental/websocket/websocket.c",
        from: "\trv = nni_setopt(ws_listener_options, name, l, buf, sz, t);\n\
              \tif (rv == NNG_ENOTSUP) {\n\
              \t\trv = nni_http_server_set(l->server, name, buf, sz, t);\n\
              \t}\n",
        to: "\trv = nni_setopt(ws_listener_options, name, l, buf, sz, t);\n\
            \tif (rv == NNG_ENOTSUP) {\n\
            \t\t// ws_listener_stop clears and frees l->server under l->mtx.\n\
            \t\tnni_mtx_lock(&l->mtx);\n\
            \t\trv = l->server == NULL\n\
            \t\t    ? NNG_ECLOSED\n\
            \t\t    : nni_http_server_set(l->server, name, buf, sz, t);\n\
            \t\tnni_mtx_unlock(&l->mtx);\n\
            \t}\n",
    },
    Fix {
        name: "ws-listener-close-race",
        file: "src/supplemental/websocket/websocket.c",
        from: "\trv = nni_getopt(ws_listener_options, name, l, buf, szp, t);\n\
              \tif (rv == NNG_ENOTSUP) {\n\
              \t\trv = nni_http_server_get(l->server, name, buf, szp, t);\n\
              \t}\n",
        to: "\trv = nni_getopt(ws_listener_options, name, l, buf, szp, t);\n\
            \tif (rv == NNG_ENOTSUP) {\n\
            \t\t// ws_listener_stop clears and frees l->server under l->mtx.\n\
            \t\tnni_mtx_lock(&l->mtx);\n\
            \t\trv = l->server == NULL\n\
            \t\t    ? NNG_ECLOSED\n\
            \t\t    : nni_http_server_get(l->server, name, buf, szp, t);\n\
            \t\tnni_mtx_unlock(&l->mtx);\n\
            \t}\n",
    },
    Fix {
        name: "ws-listener-close-race",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_ws_listener *l = arg;\n\
              \treturn (nni_http_server_get_tls(l->server, cfgp));\n",
        to: "\tnni_ws_listener *l = arg;\n\
            \tnng_err          rv;\n\
            \n\
            \tnni_mtx_lock(&l->mtx); // see ws_listener_get\n\
            \trv = l->server == NULL ? NNG_ECLOSED\n\
            \t                       : nni_http_server_get_tls(l->server, cfgp);\n\
            \tnni_mtx_unlock(&l->mtx);\n\
            \treturn (rv);\n",
    },
    Fix {
        name: "ws-listener-close-race",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_ws_listener *l = arg;\n\
              \treturn (nni_http_server_set_tls(l->server, cfg));\n",
        to: "\tnni_ws_listener *l = arg;\n\
            \tnng_err          rv;\n\
            \n\
            \tnni_mtx_lock(&l->mtx); // see ws_listener_get\n\
            \trv = l->server == NULL ? NNG_ECLOSED\n\
            \t                       : nni_http_server_set_tls(l->server, cfg);\n\
            \tnni_mtx_unlock(&l->mtx);\n\
            \treturn (rv);\n",
    },
    // nng_dialer_get_string/nng_listener_get_string lend a string that a
    // close of the endpoint (or its socket) on another thread frees at once:
    // add nng_dialer_get_strdup/nng_listener_get_strdup, copying while the
    // endpoint is held (declared in nng-sys/src/lib.rs; tests/endpoint_strings.rs).
    Fix {
        name: "endpoint-string-copy",
        file: "src/nng.c",
        from: "int\n\
              nng_dialer_get_string(nng_dialer id, const char *n, const char **v)\n\
              {\n\
              \treturn (dialer_get(id, n, v, NULL, NNI_TYPE_STRING));\n\
              }\n",
        to: "int\n\
            nng_dialer_get_string(nng_dialer id, const char *n, const char **v)\n\
            {\n\
            \treturn (dialer_get(id, n, v, NULL, NNI_TYPE_STRING));\n\
            }\n\
            \n\
            // nng_dialer_get_strdup is nng_dialer_get_string returning a copy (free it\n\
            // with nng_strfree), made while the dialer is held: the string\n\
            // nng_dialer_get_string returns belongs to the dialer, and a close of it\n\
            // (or of its socket) on another thread can free it as soon as that returns.\n\
            NNG_DECL nng_err nng_dialer_get_strdup(nng_dialer, const char *, char **);\n\
            \n\
            nng_err\n\
            nng_dialer_get_strdup(nng_dialer id, const char *n, char **v)\n\
            {\n\
            \tnni_dialer  *ep;\n\
            \tconst char *s = NULL;\n\
            \tnng_err     rv;\n\
            \n\
            \tif ((rv = (nng_err) nni_dialer_find(&ep, id.id)) != NNG_OK) {\n\
            \t\treturn (rv);\n\
            \t}\n\
            \trv = (nng_err) nni_dialer_getopt(ep, n, &s, NULL, NNI_TYPE_STRING);\n\
            \tif (rv == NNG_OK) {\n\
            \t\tif (s == NULL) {\n\
            \t\t\t*v = NULL;\n\
            \t\t} else if ((*v = nni_strdup(s)) == NULL) {\n\
            \t\t\trv = NNG_ENOMEM;\n\
            \t\t}\n\
            \t}\n\
            \tnni_dialer_rele(ep);\n\
            \treturn (rv);\n\
            }\n",
    },
    Fix {
        name: "endpoint-string-copy",
        file: "src/nng.c",
        from: "int\n\
              nng_listener_get_string(nng_listener id, const char *n, const char **v)\n\
              {\n\
              \treturn (listener_get(id, n, v, NULL, NNI_TYPE_STRING));\n\
              }\n",
        to: "int\n\
            nng_listener_get_string(nng_listener id, const char *n, const char **v)\n\
            {\n\
            \treturn (listener_get(id, n, v, NULL, NNI_TYPE_STRING));\n\
            }\n\
            \n\
            // nng_listener_get_strdup is nng_listener_get_string returning a copy (free it\n\
            // with nng_strfree), made while the listener is held: the string\n\
            // nng_listener_get_string returns belongs to the listener, and a close of it\n\
            // (or of its socket) on another thread can free it as soon as that returns.\n\
            NNG_DECL nng_err nng_listener_get_strdup(nng_listener, const char *, char **);\n\
            \n\
            nng_err\n\
            nng_listener_get_strdup(nng_listener id, const char *n, char **v)\n\
            {\n\
            \tnni_listener  *ep;\n\
            \tconst char *s = NULL;\n\
            \tnng_err     rv;\n\
            \n\
            \tif ((rv = (nng_err) nni_listener_find(&ep, id.id)) != NNG_OK) {\n\
            \t\treturn (rv);\n\
            \t}\n\
            \trv = (nng_err) nni_listener_getopt(ep, n, &s, NULL, NNI_TYPE_STRING);\n\
            \tif (rv == NNG_OK) {\n\
            \t\tif (s == NULL) {\n\
            \t\t\t*v = NULL;\n\
            \t\t} else if ((*v = nni_strdup(s)) == NULL) {\n\
            \t\t\trv = NNG_ENOMEM;\n\
            \t\t}\n\
            \t}\n\
            \tnni_listener_rele(ep);\n\
            \treturn (rv);\n\
            }\n",
    },
    // nng_dialer_start_aio ignores nni_aio_start's result and registers no
    // cancel function: a cancel just before the start completes the aio,
    // which the dialer still keeps and completes again when the dial ends
    // (a use after free once the aio is freed); a cancel of a pending dial
    // does nothing, so nng_aio_stop waits for the dial to end
    // (tests/adversarial.rs, dial_cancel_in_start_window_completes_twice and
    // dial_aio_drop_blocks_until_dial_finishes).
    Fix {
        name: "dialer-start-cancel",
        file: "src/core/dialer.c",
        from: "int\n\
              nni_dialer_start_aio(nni_dialer *d, unsigned flags, nni_aio *aiop)\n\
              {\n\
              \tint rv = 0;\n\
              \n\
              \tif (nni_atomic_flag_test_and_set(&d->d_started)) {\n\
              \t\treturn (NNG_ESTATE);\n\
              \t}\n\
              \n\
              \tif (aiop != NULL) {\n\
              \t\tnni_aio_start(aiop, NULL, NULL);\n\
              \t}\n\
              \n\
              \t// Note that flags is currently unused, since the only flag is\n\
              \t// NONBLOCK, which is handled in callers.\n\
              \tNNI_ARG_UNUSED(flags);\n\
              \n\
              \tnni_mtx_lock(&d->d_mtx);\n\
              \td->d_user_aio = aiop;\n",
        to: "// dialer_start_cancel stops waiting for the first dial's result: the\n\
            // aio completes with the error, and the dialer goes on dialing as if it\n\
            // had been started without one (close the dialer to stop it).\n\
            static void\n\
            dialer_start_cancel(nni_aio *aio, void *arg, nng_err rv)\n\
            {\n\
            \tnni_dialer *d = arg;\n\
            \n\
            \tnni_mtx_lock(&d->d_mtx);\n\
            \tif (d->d_user_aio == aio) {\n\
            \t\td->d_user_aio = NULL;\n\
            \t\tnni_aio_finish_error(aio, rv);\n\
            \t}\n\
            \tnni_mtx_unlock(&d->d_mtx);\n\
            }\n\
            \n\
            int\n\
            nni_dialer_start_aio(nni_dialer *d, unsigned flags, nni_aio *aiop)\n\
            {\n\
            \tint rv = 0;\n\
            \n\
            \tif (nni_atomic_flag_test_and_set(&d->d_started)) {\n\
            \t\treturn (NNG_ESTATE);\n\
            \t}\n\
            \n\
            \t// Note that flags is currently unused, since the only flag is\n\
            \t// NONBLOCK, which is handled in callers.\n\
            \tNNI_ARG_UNUSED(flags);\n\
            \n\
            \tnni_mtx_lock(&d->d_mtx);\n\
            \t// Started under d_mtx, where dialer_start_cancel looks for it. A\n\
            \t// start that fails (the aio was cancelled, stopped or timed out\n\
            \t// before we got here) has already completed the aio: do not keep\n\
            \t// it, and leave the dialer unstarted.\n\
            \tif ((aiop != NULL) && !nni_aio_start(aiop, dialer_start_cancel, d)) {\n\
            \t\tnni_mtx_unlock(&d->d_mtx);\n\
            \t\tnni_atomic_flag_reset(&d->d_started);\n\
            \t\treturn (rv); // not an error: the aio has its result\n\
            \t}\n\
            \td->d_user_aio = aiop;\n",
    },
    Fix {
        name: "dialer-start-cancel",
        file: "src/core/dialer.c",
        from: "\tnni_aio_fini(&d->d_con_aio);\n\
              \tnni_aio_fini(&d->d_tmo_aio);\n\
              \n\
              \tif (d->d_data != NULL) {\n",
        to: "\tnni_aio_fini(&d->d_con_aio);\n\
            \tnni_aio_fini(&d->d_tmo_aio);\n\
            \n\
            \t// dialer_start_cancel may still run on d: taken from the user's aio\n\
            \t// just before dialer_connect_cb completed that aio.\n\
            \tnni_aio_cancel_drain();\n\
            \n\
            \tif (d->d_data != NULL) {\n",
    },
    // A string getter lends the owner's pointer, valid only while the owner
    // keeps it: nng_pipe_get_strdup (and _strcpy, _strlen) copied a pipe's
    // string after the owner's lock was released, and a websocket pipe's
    // NNG_OPT_WS_PROTOCOL is its dialer's or listener's, which a set on
    // another thread frees meanwhile. Getters now make the copy themselves,
    // under the owner's lock, when asked with NNI_TYPE_STRDUP
    // (tests/adversarial.rs, pipe_ws_protocol_read_races_dialer_set).
    Fix {
        name: "string-option-copy",
        file: "src/core/defs.h",
        from: "\tNNI_TYPE_SOCKADDR,\n} nni_type;\n",
        to: "\tNNI_TYPE_SOCKADDR,\n\
            \t// Getters only: a copy of a string option (free it with\n\
            \t// nni_strfree), made while its owner guarantees the string.\n\
            \tNNI_TYPE_STRDUP,\n\
            } nni_type;\n",
    },
    Fix {
        name: "string-option-copy",
        file: "src/core/options.h",
        from: "// nni_copyout_str copies out a string.  If the type is NNI_TYPE_STRING,\n\
              // then it passes through a pointer, created by nni_strdup().\n",
        to: "// nni_copyout_str copies out a string.  If the type is NNI_TYPE_STRING,\n\
            // then it passes through the pointer itself, which stays the owner's: the\n\
            // caller may use it only while the owner keeps it. If the type is\n\
            // NNI_TYPE_STRDUP, the caller gets a copy made now (nni_strdup), so call\n\
            // this while the string is guaranteed (e.g. under the owner's lock).\n",
    },
    Fix {
        name: "string-option-copy",
        file: "src/core/options.c",
        from: "\tNNI_ARG_UNUSED(szp);\n\
              \tif (t != NNI_TYPE_STRING) {\n\
              \t\treturn (NNG_EBADTYPE);\n\
              \t}\n\
              \n\
              \t*(const char **) dst = str;\n",
        to: "\tNNI_ARG_UNUSED(szp);\n\
            \tif (t == NNI_TYPE_STRDUP) {\n\
            \t\tchar *s = NULL;\n\
            \t\tif ((str != NULL) && ((s = nni_strdup(str)) == NULL)) {\n\
            \t\t\treturn (NNG_ENOMEM);\n\
            \t\t}\n\
            \t\t*(char **) dst = s;\n\
            \t\treturn (NNG_OK);\n\
            \t}\n\
            \tif (t != NNI_TYPE_STRING) {\n\
            \t\treturn (NNG_EBADTYPE);\n\
            \t}\n\
            \n\
            \t*(const char **) dst = str;\n",
    },
    Fix {
        name: "string-option-copy",
        file: "src/supplemental/tls/tls_stream.c",
        from: "\tNNI_ARG_UNUSED(szp);\n\
              \n\
              \tif (t != NNI_TYPE_STRING) {\n\
              \t\treturn (NNG_EBADTYPE);\n\
              \t}\n\
              \n\
              \ttls_stream *ts = arg;\n\
              \t*(char **) buf = (char *) nni_tls_peer_cn(&ts->conn);\n\
              \treturn (NNG_OK);\n",
        to: "\ttls_stream *ts = arg;\n\
            \treturn (nni_copyout_str(nni_tls_peer_cn(&ts->conn), buf, szp, t));\n",
    },
    Fix {
        name: "string-option-copy",
        file: "src/nng.c",
        from: "nng_err\n\
              nng_pipe_get_strcpy(nng_pipe p, const char *n, char *buf, size_t len)\n\
              {\n\
              \tnng_err     rv;\n\
              \tnni_pipe   *pipe;\n\
              \tconst char *s;\n\
              \n\
              \tif ((rv = nni_pipe_find(&pipe, p.id)) != 0) {\n\
              \t\treturn (rv);\n\
              \t}\n\
              \trv = nni_pipe_getopt(pipe, n, &s, NULL, NNI_TYPE_STRING);\n\
              \tif (rv == NNG_OK) {\n\
              \t\tif (nni_strlcpy(buf, s != NULL ? s : \"\", len) >= len) {\n\
              \t\t\trv = NNG_ENOSPC;\n\
              \t\t}\n\
              \t}\n\
              \tnni_pipe_rele(pipe);\n\
              \treturn (rv);\n\
              }\n\
              \n\
              nng_err\n\
              nng_pipe_get_strdup(nng_pipe p, const char *n, char **v)\n\
              {\n\
              \tnng_err     rv;\n\
              \tnni_pipe   *pipe;\n\
              \tconst char *s;\n\
              \n\
              \tif ((rv = nni_pipe_find(&pipe, p.id)) != 0) {\n\
              \t\treturn (rv);\n\
              \t}\n\
              \trv = nni_pipe_getopt(pipe, n, &s, NULL, NNI_TYPE_STRING);\n\
              \tif (rv == NNG_OK) {\n\
              \t\tif (s == NULL) {\n\
              \t\t\t*v = NULL;\n\
              \t\t} else if ((*v = nni_strdup(s)) == NULL) {\n\
              \t\t\trv = NNG_ENOMEM;\n\
              \t\t}\n\
              \t}\n\
              \tnni_pipe_rele(pipe);\n\
              \treturn (rv);\n\
              }\n\
              \n\
              nng_err\n\
              nng_pipe_get_strlen(nng_pipe p, const char *n, size_t *len)\n\
              {\n\
              \tnng_err     rv;\n\
              \tnni_pipe   *pipe;\n\
              \tconst char *s;\n\
              \n\
              \tif ((rv = nni_pipe_find(&pipe, p.id)) != 0) {\n\
              \t\treturn (rv);\n\
              \t}\n\
              \trv = nni_pipe_getopt(pipe, n, &s, NULL, NNI_TYPE_STRING);\n\
              \tif (rv == NNG_OK) {\n\
              \t\t*len = s == NULL ? 0 : strlen(s);\n\
              \t}\n\
              \tnni_pipe_rele(pipe);\n\
              \treturn (rv);\n\
              }\n",
        to: "// A pipe's string option may belong to its dialer or listener, which\n\
            // another thread may set (freeing the old value) at any time: these work\n\
            // on a copy made by the getter, under the lock of the string's owner.\n\
            nng_err\n\
            nng_pipe_get_strcpy(nng_pipe p, const char *n, char *buf, size_t len)\n\
            {\n\
            \tnng_err rv;\n\
            \tchar   *s;\n\
            \n\
            \tif ((rv = nng_pipe_get_strdup(p, n, &s)) == NNG_OK) {\n\
            \t\tif (nni_strlcpy(buf, s != NULL ? s : \"\", len) >= len) {\n\
            \t\t\trv = NNG_ENOSPC;\n\
            \t\t}\n\
            \t\tnni_strfree(s);\n\
            \t}\n\
            \treturn (rv);\n\
            }\n\
            \n\
            nng_err\n\
            nng_pipe_get_strdup(nng_pipe p, const char *n, char **v)\n\
            {\n\
            \tnng_err   rv;\n\
            \tnni_pipe *pipe;\n\
            \tchar     *s = NULL;\n\
            \n\
            \tif ((rv = nni_pipe_find(&pipe, p.id)) != 0) {\n\
            \t\treturn (rv);\n\
            \t}\n\
            \trv = nni_pipe_getopt(pipe, n, &s, NULL, NNI_TYPE_STRDUP);\n\
            \tif (rv == NNG_OK) {\n\
            \t\t*v = s;\n\
            \t}\n\
            \tnni_pipe_rele(pipe);\n\
            \treturn (rv);\n\
            }\n\
            \n\
            nng_err\n\
            nng_pipe_get_strlen(nng_pipe p, const char *n, size_t *len)\n\
            {\n\
            \tnng_err rv;\n\
            \tchar   *s;\n\
            \n\
            \tif ((rv = nng_pipe_get_strdup(p, n, &s)) == NNG_OK) {\n\
            \t\t*len = s == NULL ? 0 : strlen(s);\n\
            \t\tnni_strfree(s);\n\
            \t}\n\
            \treturn (rv);\n\
            }\n",
    },
    // The same for the copying endpoint getters added by endpoint-string-copy.
    Fix {
        name: "string-option-copy",
        file: "src/nng.c",
        from: "\tnni_dialer  *ep;\n\
              \tconst char *s = NULL;\n\
              \tnng_err     rv;\n\
              \n\
              \tif ((rv = (nng_err) nni_dialer_find(&ep, id.id)) != NNG_OK) {\n\
              \t\treturn (rv);\n\
              \t}\n\
              \trv = (nng_err) nni_dialer_getopt(ep, n, &s, NULL, NNI_TYPE_STRING);\n\
              \tif (rv == NNG_OK) {\n\
              \t\tif (s == NULL) {\n\
              \t\t\t*v = NULL;\n\
              \t\t} else if ((*v = nni_strdup(s)) == NULL) {\n\
              \t\t\trv = NNG_ENOMEM;\n\
              \t\t}\n\
              \t}\n",
        to: "\tnni_dialer *ep;\n\
            \tchar       *s = NULL;\n\
            \tnng_err     rv;\n\
            \n\
            \tif ((rv = (nng_err) nni_dialer_find(&ep, id.id)) != NNG_OK) {\n\
            \t\treturn (rv);\n\
            \t}\n\
            \t// Copied by the getter, under the lock of the string's owner.\n\
            \trv = (nng_err) nni_dialer_getopt(ep, n, &s, NULL, NNI_TYPE_STRDUP);\n\
            \tif (rv == NNG_OK) {\n\
            \t\t*v = s;\n\
            \t}\n",
    },
    Fix {
        name: "string-option-copy",
        file: "src/nng.c",
        from: "\tnni_listener  *ep;\n\
              \tconst char *s = NULL;\n\
              \tnng_err     rv;\n\
              \n\
              \tif ((rv = (nng_err) nni_listener_find(&ep, id.id)) != NNG_OK) {\n\
              \t\treturn (rv);\n\
              \t}\n\
              \trv = (nng_err) nni_listener_getopt(ep, n, &s, NULL, NNI_TYPE_STRING);\n\
              \tif (rv == NNG_OK) {\n\
              \t\tif (s == NULL) {\n\
              \t\t\t*v = NULL;\n\
              \t\t} else if ((*v = nni_strdup(s)) == NULL) {\n\
              \t\t\trv = NNG_ENOMEM;\n\
              \t\t}\n\
              \t}\n",
        to: "\tnni_listener *ep;\n\
            \tchar         *s = NULL;\n\
            \tnng_err       rv;\n\
            \n\
            \tif ((rv = (nng_err) nni_listener_find(&ep, id.id)) != NNG_OK) {\n\
            \t\treturn (rv);\n\
            \t}\n\
            \t// Copied by the getter, under the lock of the string's owner.\n\
            \trv = (nng_err) nni_listener_getopt(ep, n, &s, NULL, NNI_TYPE_STRDUP);\n\
            \tif (rv == NNG_OK) {\n\
            \t\t*v = s;\n\
            \t}\n",
    },
    // nng_aio_skip_callback is documented for use with nng_socket_send and
    // friends, but every such call starts with nni_aio_reset, which clears
    // the request: the flag never becomes true and every immediate
    // completion is dispatched to a task thread. The request is now kept
    // until the operation starts or finishes, which clear it as before
    // (nng-sys/tests/skip_callback.rs).
    Fix {
        name: "aio-skip-callback",
        file: "src/core/aio.c",
        from: "\taio->a_sleep            = false;\n\
              \taio->a_skipped_callback = NULL;\n\
              \n\
              \tfor (unsigned i = 0; i < NNI_NUM_ELEMENTS(aio->a_outputs); i++) {\n",
        to: "\taio->a_sleep            = false;\n\
            \t// a_skipped_callback is kept: it was asked for this operation\n\
            \t// (nng_aio_skip_callback comes before nng_socket_send, which\n\
            \t// resets the aio), and nni_aio_start or the completion clears it.\n\
            \n\
            \tfor (unsigned i = 0; i < NNI_NUM_ELEMENTS(aio->a_outputs); i++) {\n",
    },
    // ...and a direct completion that did report itself through the flag
    // then still dispatched the callback (the flag's pointer was cleared to
    // avoid a second write, so the dispatch below it ran): the caller saw
    // both. It now returns after the flag, as the docs promise.
    Fix {
        name: "aio-skip-callback",
        file: "src/core/aio.c",
        from: "\t\t\t*skipped_cb = true;\n\
              \t\t\tskipped_cb  = NULL;\n",
        to: "\t\t\t*skipped_cb = true; // and no callback: see below\n",
    },
    Fix {
        name: "aio-skip-callback",
        file: "src/core/aio.c",
        from: "\tif (skipped_cb != NULL) {\n\
              \t\t*skipped_cb = true;\n\
              \t} else if (!started && stopped) {\n",
        to: "\tif (skipped_cb != NULL) {\n\
            \t\t// Reported through the flag (under the lock above): the\n\
            \t\t// caller handles the completion, no callback runs.\n\
            \t\treturn;\n\
            \t} else if (!started && stopped) {\n",
    },
    // nni_aio_abort on an aio whose operation has completed, with its
    // callback not run yet, stored the abort's code in a_result (meant for a
    // start that had not happened), which the callback reads without a lock:
    // a data race, and a completed operation reported as aborted (the ws
    // transport then lost the message it had sent). The code now waits in
    // a_abort_result for nni_aio_start; a_abort, which nni_aio_reset clears
    // without the lock (a callback starting its next operation while another
    // thread aborts the last one), is atomic (nng-sys/tests/aio_abort_result.rs).
    Fix {
        name: "aio-abort-result",
        file: "src/core/aio.h",
        from: "\tbool         a_abort;      // Task was aborted\n",
        to: "\tnni_atomic_bool a_abort;   // Task was aborted (reset clears it unlocked)\n\
            \tnng_err      a_abort_result; // Result for a start after an abort\n",
    },
    Fix {
        name: "aio-abort-result",
        file: "src/core/aio.c",
        from: "\taio->a_abort            = false;\n",
        to: "\tnni_atomic_set_bool(&aio->a_abort, false);\n",
    },
    Fix {
        name: "aio-abort-result",
        file: "src/core/aio.c",
        from: "\tif (aio->a_abort) {\n\
              \t\taio->a_sleep     = false;\n\
              \t\taio->a_abort     = false;\n\
              \t\taio->a_expire_ok = false;\n\
              \t\taio->a_count     = 0;\n\
              \t\tNNI_ASSERT(aio->a_result != NNG_OK);\n",
        to: "\tif (nni_atomic_get_bool(&aio->a_abort)) {\n\
            \t\taio->a_sleep     = false;\n\
            \t\taio->a_expire_ok = false;\n\
            \t\taio->a_count     = 0;\n\
            \t\taio->a_result    = aio->a_abort_result;\n\
            \t\tnni_atomic_set_bool(&aio->a_abort, false);\n",
    },
    Fix {
        name: "aio-abort-result",
        file: "src/core/aio.c",
        from: "\t\t\t// We haven't been scheduled yet,\n\
              \t\t\t// so make sure that schedule will abort.\n\
              \t\t\taio->a_abort  = true;\n\
              \t\t\taio->a_result = rv;\n",
        to: "\t\t\t// We haven't been scheduled yet,\n\
            \t\t\t// so make sure that schedule will abort.\n\
            \t\t\t// Or the operation has completed already, and its\n\
            \t\t\t// callback reads a_result without our lock: leave\n\
            \t\t\t// that alone, the start takes the code from here.\n\
            \t\t\taio->a_abort_result = rv;\n\
            \t\t\tnni_atomic_set_bool(&aio->a_abort, true);\n",
    },
    // The ws transport moves the message from the protocol's aio to its own
    // for the websocket stream, which frees it only when the write succeeds;
    // on a failed write (the pipe closed mid-write, the peer gone) nothing
    // freed it. It now goes back to the sender, as with the other transports,
    // or is freed when the send was already cancelled
    // (nng-sys/tests/ws_send_msg_leak.rs).
    Fix {
        name: "ws-send-msg-leak",
        file: "src/sp/transport/ws/websocket.c",
        from: "\tnni_aio *taio = &p->txaio;\n\
              \tnni_aio *uaio;\n\
              \n\
              \tnni_mtx_lock(&p->mtx);\n\
              \tuaio          = p->user_txaio;\n\
              \tp->user_txaio = NULL;\n\
              \n\
              \tif (uaio != NULL) {\n\
              \t\tnng_err rv;\n\
              \t\tif ((rv = nni_aio_result(taio)) != NNG_OK) {\n\
              \t\t\tnni_aio_finish_error(uaio, rv);\n\
              \t\t} else {\n\
              \t\t\tnni_aio_finish(uaio, 0, 0);\n\
              \t\t}\n\
              \t}\n",
        to: "\tnni_aio *taio = &p->txaio;\n\
            \tnni_aio *uaio;\n\
            \tnng_err  rv;\n\
            \n\
            \tnni_mtx_lock(&p->mtx);\n\
            \tuaio          = p->user_txaio;\n\
            \tp->user_txaio = NULL;\n\
            \n\
            \tif ((rv = nni_aio_result(taio)) != NNG_OK) {\n\
            \t\t// The stream frees the message only once it is sent, so\n\
            \t\t// it is still ours: a failed send gives it back to the\n\
            \t\t// sender (as the other transports do), and a cancelled\n\
            \t\t// send (no sender any more) frees it.\n\
            \t\tnni_msg *msg = nni_aio_get_msg(taio);\n\
            \t\tnni_aio_set_msg(taio, NULL);\n\
            \t\tif (uaio != NULL) {\n\
            \t\t\tnni_aio_set_msg(uaio, msg);\n\
            \t\t\tnni_aio_finish_error(uaio, rv);\n\
            \t\t} else {\n\
            \t\t\tnni_msg_free(msg);\n\
            \t\t}\n\
            \t} else if (uaio != NULL) {\n\
            \t\tnni_aio_finish(uaio, 0, 0);\n\
            \t}\n",
    },
    Fix {
        name: "ws-send-msg-leak",
        file: "src/sp/transport/ws/websocket.c",
        from: "\tnng_stream_free(p->ws);\n\
              \tnni_aio_fini(&p->rxaio);\n\
              \tnni_aio_fini(&p->txaio);\n",
        to: "\tnng_stream_free(p->ws);\n\
            \tnni_aio_fini(&p->rxaio);\n\
            \tnni_aio_fini(&p->txaio);\n\
            \t// A send the stream failed without starting it, on an aio that\n\
            \t// was already stopped, skipped wstran_pipe_send_cb and left its\n\
            \t// message here.\n\
            \tnni_msg_free(nni_aio_get_msg(&p->txaio));\n",
    },
    // A push0 send that completes just before its pipe is closed puts the
    // pipe back on the socket's ready list from its callback, after
    // push0_pipe_close took it off: the freed pipe stays listed, and a later
    // send or pipe close writes to it (ThreadSanitizer: heap-use-after-free in
    // push0_pipe_close <- pipe_reap). A closed pipe is no longer listed
    // (nng-sys/tests/push_pipe_close_race.rs).
    Fix {
        name: "push-pipe-close-race",
        file: "src/sp/protocol/pipeline0/push.c",
        from: "\tpush0_sock   *push;\n\
              \tnni_list_node node;\n",
        to: "\tpush0_sock   *push;\n\
            \tnni_list_node node;\n\
            \tbool          closed; // under push->m: never listed again\n",
    },
    Fix {
        name: "push-pipe-close-race",
        file: "src/sp/protocol/pipeline0/push.c",
        from: "\tnni_mtx_lock(&s->m);\n\
              \tif (nni_list_node_active(&p->node)) {\n",
        to: "\tnni_mtx_lock(&s->m);\n\
            \tp->closed = true;\n\
            \tif (nni_list_node_active(&p->node)) {\n",
    },
    Fix {
        name: "push-pipe-close-race",
        file: "src/sp/protocol/pipeline0/push.c",
        from: "\tnni_mtx_lock(&s->m);\n\
              \n\
              \tblocked = nni_lmq_full(&s->wq) && nni_list_empty(&s->pl);\n",
        to: "\tnni_mtx_lock(&s->m);\n\
            \n\
            \tif (p->closed) {\n\
            \t\t// A send that completed just before the pipe was closed:\n\
            \t\t// the pipe is going away, listing it again would leave it\n\
            \t\t// on s->pl after it is freed.\n\
            \t\tnni_mtx_unlock(&s->m);\n\
            \t\treturn;\n\
            \t}\n\
            \n\
            \tblocked = nni_lmq_full(&s->wq) && nni_list_empty(&s->pl);\n",
    },
    // nng_socket_close runs the protocol's close (which fails the queued
    // operations) before it marks the socket closed, and the socket can still
    // be found in between: an operation started then (by the callback of one
    // that just got NNG_ECLOSED, say) is queued by protocols without a closed
    // check of their own (pull0, pair0, pair1, bus0, push0) on a socket about
    // to be freed; it never completes, and its cancel function later locks
    // the freed socket's mutex. Once the socket is closing, nni_sock_send and
    // nni_sock_recv fail new operations, and the shutdown waits for those
    // already handed to the protocol before running its close
    // (nng-sys/tests/sock_close_op_race.rs).
    Fix {
        name: "sock-close-op-race",
        file: "src/core/socket.c",
        from: "\tbool s_closing; // Socket is closing\n",
        to: "\tbool s_closing; // Socket is closing\n\
            \tunsigned s_ops; // nni_sock_send/recv in the protocol, under s_mx\n",
    },
    Fix {
        name: "sock-close-op-race",
        file: "src/core/socket.c",
        from: "\tnni_mtx_lock(&sock->s_mx);\n\
              \t// We have to wait for pipes to be removed.\n\
              \twhile (!nni_list_empty(&sock->s_pipes)) {\n",
        to: "\tnni_mtx_lock(&sock->s_mx);\n\
            \t// We have to wait for pipes to be removed, and for the operations\n\
            \t// that were being handed to the protocol when we started closing\n\
            \t// (later ones fail, see sock_op_enter): after the protocol's close,\n\
            \t// nothing may queue on it any more.\n\
            \twhile (!nni_list_empty(&sock->s_pipes) || (sock->s_ops != 0)) {\n",
    },
    Fix {
        name: "sock-close-op-race",
        file: "src/core/socket.c",
        from: "void\n\
              nni_sock_send(nni_sock *sock, nni_aio *aio)\n\
              {\n\
              \tnni_aio_normalize_timeout(aio, sock->s_sndtimeo);\n\
              \tsock->s_sock_ops.sock_send(sock->s_data, aio);\n\
              }\n\
              \n\
              void\n\
              nni_sock_recv(nni_sock *sock, nni_aio *aio)\n\
              {\n\
              \tnni_aio_normalize_timeout(aio, sock->s_rcvtimeo);\n\
              \tsock->s_sock_ops.sock_recv(sock->s_data, aio);\n\
              }\n",
        to: "// An operation may not reach the protocol once the socket is closing:\n\
            // the protocol's close, which fails the operations it has queued, runs\n\
            // before the socket is marked closed and can no longer be found, and an\n\
            // operation queued after it would stay on the socket when it is freed.\n\
            // sock_op_enter fails the operation in that case, and otherwise counts\n\
            // it until sock_op_leave, so that sock_shutdown can wait for it.\n\
            static bool\n\
            sock_op_enter(nni_sock *sock, nni_aio *aio)\n\
            {\n\
            \tnni_mtx_lock(&sock->s_mx);\n\
            \tif (sock->s_closing) {\n\
            \t\tnni_mtx_unlock(&sock->s_mx);\n\
            \t\tnni_aio_finish_error(aio, NNG_ECLOSED);\n\
            \t\treturn (false);\n\
            \t}\n\
            \tsock->s_ops++;\n\
            \tnni_mtx_unlock(&sock->s_mx);\n\
            \treturn (true);\n\
            }\n\
            \n\
            static void\n\
            sock_op_leave(nni_sock *sock)\n\
            {\n\
            \tnni_mtx_lock(&sock->s_mx);\n\
            \tif ((--sock->s_ops == 0) && sock->s_closing) {\n\
            \t\tnni_cv_wake(&sock->s_cv);\n\
            \t}\n\
            \tnni_mtx_unlock(&sock->s_mx);\n\
            }\n\
            \n\
            void\n\
            nni_sock_send(nni_sock *sock, nni_aio *aio)\n\
            {\n\
            \tif (!sock_op_enter(sock, aio)) {\n\
            \t\treturn;\n\
            \t}\n\
            \tnni_aio_normalize_timeout(aio, sock->s_sndtimeo);\n\
            \tsock->s_sock_ops.sock_send(sock->s_data, aio);\n\
            \tsock_op_leave(sock);\n\
            }\n\
            \n\
            void\n\
            nni_sock_recv(nni_sock *sock, nni_aio *aio)\n\
            {\n\
            \tif (!sock_op_enter(sock, aio)) {\n\
            \t\treturn;\n\
            \t}\n\
            \tnni_aio_normalize_timeout(aio, sock->s_rcvtimeo);\n\
            \tsock->s_sock_ops.sock_recv(sock->s_data, aio);\n\
            \tsock_op_leave(sock);\n\
            }\n",
    },
    // A cancel function runs after the expire queue's lock is released
    // (nni_aio_expire_loop, nni_aio_abort/stop/close). When the operation it
    // was taken from completes meanwhile, the callback can start the next
    // operation on the same aio (a pool of aios reuses one at once), and the
    // late cancel function then finds and fails that one (ETIMEDOUT from the
    // expire thread). And in a batch of expired aios, the loop took the
    // cancel function of the second and later ones only after the earlier
    // cancel functions ran: by then the aio could run a new operation. Now a
    // completion that arrives while a cancel function taken from its aio
    // runs is handed to the callback when that function has returned, and
    // the loop skips an aio whose expired operation completed meanwhile
    // (nng-sys/tests/stale_cancel.rs).
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.h",
        from: "\tbool         a_finishing; // Direct completion is preparing its task\n",
        to: "\tbool         a_finishing; // Direct completion is preparing its task\n\
            \tbool         a_expired;    // Expire loop picked this operation\n\
            \tbool         a_deferred;   // Completion waits for a_cancelling\n\
            \tunsigned     a_cancelling; // Cancel functions taken and running\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "// Called with eq_mtx held (released on return) and the cancel function\n",
        to: "// Called with eq_mtx held after a cancel function taken from aio (and\n\
            // counted in a_cancelling) has returned. A completion that arrived while it\n\
            // ran was held back (see nni_aio_finish_impl): its callback may start the\n\
            // next operation on this aio, which that late cancel function would have\n\
            // found and cancelled. It is dispatched now.\n\
            static void\n\
            aio_cancel_done(nni_aio *aio)\n\
            {\n\
            \tif ((--aio->a_cancelling == 0) && aio->a_deferred) {\n\
            \t\taio->a_deferred = false;\n\
            \t\tnni_task_dispatch(&aio->a_task);\n\
            \t}\n\
            }\n\
            \n\
            // Called with eq_mtx held (released on return) and the cancel function\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\tgen = aio_cancel_enter(eq);\n\
              \tnni_mtx_unlock(&eq->eq_mtx);\n\
              \tfn(aio, arg, rv);\n\
              \tnni_mtx_lock(&eq->eq_mtx);\n\
              \taio_cancel_leave(eq, gen);\n\
              \tnni_mtx_unlock(&eq->eq_mtx);\n\
              }\n",
        to: "\tgen = aio_cancel_enter(eq);\n\
            \taio->a_cancelling++;\n\
            \tnni_mtx_unlock(&eq->eq_mtx);\n\
            \tfn(aio, arg, rv);\n\
            \tnni_mtx_lock(&eq->eq_mtx);\n\
            \taio_cancel_leave(eq, gen);\n\
            \taio_cancel_done(aio);\n\
            \tnni_mtx_unlock(&eq->eq_mtx);\n\
            }\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\tnni_aio_expire_rm(aio);\n\
              \taio->a_cancel_fn  = NULL;\n\
              \taio->a_cancel_arg = NULL;\n\
              \n\
              \taio->a_expire           = NNI_TIME_NEVER;\n",
        to: "\tnni_aio_expire_rm(aio);\n\
            \taio->a_cancel_fn  = NULL;\n\
            \taio->a_cancel_arg = NULL;\n\
            \taio->a_expired    = false; // nothing left to expire\n\
            \n\
            \taio->a_expire           = NNI_TIME_NEVER;\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\t\t\taio->a_finishing = true;\n\
              \t\t\tfinishing        = true;\n\
              \t\t}\n\
              \t}\n\
              \tnni_mtx_unlock(&eq->eq_mtx);\n",
        to: "\t\t\taio->a_finishing = true;\n\
            \t\t\tfinishing        = true;\n\
            \t\t}\n\
            \t} else if (skipped_cb == NULL && aio->a_cancelling != 0) {\n\
            \t\t// A cancel function taken from this operation is still\n\
            \t\t// running (the operation completed on its own meanwhile, or\n\
            \t\t// that function is finishing it). The callback may start\n\
            \t\t// the next operation on this aio, which that function would\n\
            \t\t// find and cancel: aio_cancel_done dispatches it instead,\n\
            \t\t// once the function has returned.\n\
            \t\taio->a_deferred = true;\n\
            \t\tnni_mtx_unlock(&eq->eq_mtx);\n\
            \t\treturn;\n\
            \t}\n\
            \tnni_mtx_unlock(&eq->eq_mtx);\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\t\t\t\taio->a_expiring = true;\n",
        to: "\t\t\t\taio->a_expiring = true;\n\
            \t\t\t\t// Cleared if the operation completes before\n\
            \t\t\t\t// we get to it below.\n\
            \t\t\t\taio->a_expired = true;\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\t\t\taio = expires[i];\n\
              \t\t\tif (q->eq_stop) {\n",
        to: "\t\t\taio = expires[i];\n\
            \t\t\tif (!aio->a_expired) {\n\
            \t\t\t\t// Its operation completed while the lock was\n\
            \t\t\t\t// released for an earlier one of this batch;\n\
            \t\t\t\t// the aio may run a new one now, which is not\n\
            \t\t\t\t// ours to expire (it is listed again if it has\n\
            \t\t\t\t// a deadline).\n\
            \t\t\t\tif (q->eq_stop) {\n\
            \t\t\t\t\taio->a_stop = true;\n\
            \t\t\t\t}\n\
            \t\t\t\taio->a_expiring = false;\n\
            \t\t\t\tcontinue;\n\
            \t\t\t}\n\
            \t\t\taio->a_expired = false;\n\
            \t\t\tif (q->eq_stop) {\n",
    },
    Fix {
        name: "stale-cancel",
        file: "src/core/aio.c",
        from: "\t\t\t\tunsigned gen = aio_cancel_enter(q);\n\
              \t\t\t\tnni_mtx_unlock(mtx);\n\
              \t\t\t\tcancel_fn(aio, cancel_arg, rv);\n\
              \t\t\t\tnni_mtx_lock(mtx);\n\
              \t\t\t\taio_cancel_leave(q, gen);\n",
        to: "\t\t\t\tunsigned gen = aio_cancel_enter(q);\n\
            \t\t\t\taio->a_cancelling++;\n\
            \t\t\t\tnni_mtx_unlock(mtx);\n\
            \t\t\t\tcancel_fn(aio, cancel_arg, rv);\n\
            \t\t\t\tnni_mtx_lock(mtx);\n\
            \t\t\t\taio_cancel_leave(q, gen);\n\
            \t\t\t\taio_cancel_done(aio);\n",
    },
    // req0_ctx_cancel_recv, which also cancels a send still pending on the
    // context (a receive started before its send completed), did so without
    // asking whether the receive it was called for is the context's: a late
    // call, for a receive that completed meanwhile, failed the context's
    // next send with ECANCELED (nng-sys/tests/req0_stale_cancel.rs).
    Fix {
        name: "req0-stale-cancel",
        file: "src/sp/protocol/reqrep0/req.c",
        from: "\t// should just start receiving from the send completion callback.\n\
              \tif (ctx->send_aio != NULL) {\n",
        to: "\t// should just start receiving from the send completion callback.\n\
            \t// Only if this receive is the context's: a late call, for a\n\
            \t// receive that has completed, must leave a newer send alone.\n\
            \tif ((ctx->recv_aio == aio) && (ctx->send_aio != NULL)) {\n",
    },
    // nni_ctx_open on a socket whose shutdown has passed the point where
    // it marks its contexts closed: the new context is on s_ctxs, the
    // s_closing check then releases it, but nni_ctx_rele frees only a
    // context marked closed, so it stays on the list with no reference and
    // sock_shutdown waits for the list to empty forever (a hang in
    // nng_socket_close; tests/adversarial_async.rs,
    // close_while_pending_on_other_threads; nng-sys/tests/ctx_open_close_race.rs).
    Fix {
        name: "ctx-open-close-race",
        file: "src/core/socket.c",
        from: "\tnni_mtx_lock(&sock->s_mx);\n\
              \tif (sock->s_closing) {\n\
              \t\tnni_mtx_unlock(&sock->s_mx);\n\
              \t\tnni_ctx_rele(ctx);\n\
              \t\treturn (NNG_ECLOSED);\n\
              \t}\n",
        to: "\tnni_mtx_lock(&sock->s_mx);\n\
            \tif (sock->s_closing) {\n\
            \t\tnni_mtx_unlock(&sock->s_mx);\n\
            \t\t// The shutdown may have marked the contexts already: mark\n\
            \t\t// this one too, so that the release below frees it.\n\
            \t\tnni_mtx_lock(&sock_lk);\n\
            \t\tctx->c_closed = true;\n\
            \t\tnni_mtx_unlock(&sock_lk);\n\
            \t\tnni_ctx_rele(ctx);\n\
            \t\treturn (NNG_ECLOSED);\n\
            \t}\n",
    },
    // nni_ctx_rele of a closed context's last reference took it off the
    // socket's list and woke the closing socket before finalizing it
    // (ctx_fini locks the protocol's socket state): the socket could be
    // freed meanwhile, and ctx_fini then locked a destroyed mutex (an
    // abort, or a use after free; nng-sys/tests/ctx_open_close_race.rs). The
    // context is now finalized first and leaves the list after.
    Fix {
        name: "ctx-open-close-race",
        file: "src/core/socket.c",
        from: "\tnni_id_remove(&ctx_ids, ctx->c_id);\n\
              \tnni_list_remove(&sock->s_ctxs, ctx);\n\
              \tnni_cv_wake(&sock->s_close_cv);\n\
              \tnni_mtx_unlock(&sock_lk);\n\
              \n\
              \tnni_ctx_destroy(ctx);\n",
        to: "\tnni_id_remove(&ctx_ids, ctx->c_id);\n\
            \t// Finalize while still on the socket's list: a closing socket\n\
            \t// waits for the list to empty before it frees what ctx_fini uses.\n\
            \t// The reference kept meanwhile keeps the shutdown's loop (which\n\
            \t// destroys unreferenced contexts itself) off this one.\n\
            \tctx->c_ref = 1;\n\
            \tnni_mtx_unlock(&sock_lk);\n\
            \n\
            \tif (ctx->c_data != NULL) {\n\
            \t\tctx->c_ops.ctx_fini(ctx->c_data);\n\
            \t\tctx->c_data = NULL;\n\
            \t}\n\
            \tnni_mtx_lock(&sock_lk);\n\
            \tnni_list_remove(&sock->s_ctxs, ctx);\n\
            \tnni_cv_wake(&sock->s_close_cv);\n\
            \tnni_mtx_unlock(&sock_lk);\n\
            \n\
            \tnni_ctx_destroy(ctx);\n",
    },
    // Cancelling the first queued user operation of a TLS connection (a
    // timeout) aborts the BIO operation under way, which fails the
    // connection; with no BIO operation under way (a handshake waiting for a
    // peer that never answers) it did nothing, and the operation waited for
    // good (tests/fault_proxy.rs `stalled_handshake_*`).
    Fix {
        name: "tls-handshake-timeout",
        file: "src/supplemental/tls/tls_common.c",
        from: "\tnni_tls_conn *conn = arg;\n\
              \tnni_mtx_lock(&conn->lock);\n\
              \tif (aio == nni_list_first(&conn->recv_queue)) {\n\
              \t\tnni_aio_abort(&conn->bio_recv, rv);\n\
              \t} else if (aio == nni_list_first(&conn->send_queue)) {\n\
              \t\tnni_aio_abort(&conn->bio_send, rv);\n\
              \t} else if (nni_aio_list_active(aio)) {\n\
              \t\tnni_aio_list_remove(aio);\n\
              \t\tnni_aio_finish_error(aio, rv);\n\
              \t}\n\
              \tnni_mtx_unlock(&conn->lock);\n",
        to: "\tnni_tls_conn *conn = arg;\n\
            \tnni_mtx_lock(&conn->lock);\n\
            \tif ((aio == nni_list_first(&conn->recv_queue)) ||\n\
            \t    (aio == nni_list_first(&conn->send_queue))) {\n\
            \t\t// The engine may hold part of this operation (a record half\n\
            \t\t// read or written), so it cannot be taken out alone: the\n\
            \t\t// connection fails, whether or not a BIO operation is under\n\
            \t\t// way (none is while a handshake waits for a silent peer).\n\
            \t\t// Everything is done under conn->lock, which nni_tls_fini\n\
            \t\t// takes to wait for a running cancel.\n\
            \t\tnni_mtx_lock(&conn->bio_lock);\n\
            \t\ttls_bio_error(conn, rv);\n\
            \t\tnni_mtx_unlock(&conn->bio_lock);\n\
            \t\ttls_fail_queued(conn, rv);\n\
            \t} else if (nni_aio_list_active(aio)) {\n\
            \t\tnni_aio_list_remove(aio);\n\
            \t\tnni_aio_finish_error(aio, rv);\n\
            \t}\n\
            \tnni_mtx_unlock(&conn->lock);\n",
    },
    // After the BIO (the TCP or websocket stream under TLS) failed, a user
    // operation the engine could not finish at once was queued and never
    // completed: no BIO operation starts again, and only the operations
    // queued at the moment of the failure were failed. The SP transports
    // restart their receive after each message, so a pipe whose peer closed
    // the connection could stay open with nothing behind it
    // (tests/tls_peer_close.rs).
    Fix {
        name: "tls-bio-failed-ops",
        file: "src/supplemental/tls/tls_common.c",
        from: "static void\ntls_cancel(nni_aio *aio, void *arg, nng_err rv)\n",
        to: "// tls_fail_queued fails every queued user operation with rv. Called with\n\
            // conn->lock held.\n\
            static void\n\
            tls_fail_queued(nni_tls_conn *conn, nng_err rv)\n\
            {\n\
            \tnni_aio *aio;\n\
            \n\
            \twhile (((aio = nni_list_first(&conn->send_queue)) != NULL) ||\n\
            \t    ((aio = nni_list_first(&conn->recv_queue)) != NULL)) {\n\
            \t\tnni_aio_list_remove(aio);\n\
            \t\tnni_aio_finish_error(aio, rv);\n\
            \t}\n\
            }\n\
            \n\
            // tls_fail_if_bio_closed fails the queued user operations once the BIO has\n\
            // failed: what the engine could not finish from the data it holds would\n\
            // otherwise wait for BIO operations that never start again. Called with\n\
            // conn->lock held, after the engine had its chance.\n\
            static void\n\
            tls_fail_if_bio_closed(nni_tls_conn *conn)\n\
            {\n\
            \tnng_err rv;\n\
            \n\
            \tnni_mtx_lock(&conn->bio_lock);\n\
            \trv = conn->bio_closed ? conn->bio_err : NNG_OK;\n\
            \tnni_mtx_unlock(&conn->bio_lock);\n\
            \tif (rv != NNG_OK) {\n\
            \t\ttls_fail_queued(conn, rv);\n\
            \t}\n\
            }\n\
            \n\
            static void\n\
            tls_cancel(nni_aio *aio, void *arg, nng_err rv)\n",
    },
    Fix {
        name: "tls-bio-failed-ops",
        file: "src/supplemental/tls/tls_common.c",
        from: "\tnni_list_append(&conn->send_queue, aio);\n\ttls_do_send(conn);\n",
        to: "\tnni_list_append(&conn->send_queue, aio);\n\ttls_do_send(conn);\n\ttls_fail_if_bio_closed(conn);\n",
    },
    Fix {
        name: "tls-bio-failed-ops",
        file: "src/supplemental/tls/tls_common.c",
        from: "\tnni_list_append(&conn->recv_queue, aio);\n\ttls_do_recv(conn);\n",
        to: "\tnni_list_append(&conn->recv_queue, aio);\n\ttls_do_recv(conn);\n\ttls_fail_if_bio_closed(conn);\n",
    },
    // The `pipes` statistics of a socket and of its dialer or listener are
    // raised when a pipe starts (after the SP negotiation) but lowered for
    // every pipe removed, so a failed negotiation (garbage instead of the SP
    // header, a timeout) wraps them below zero (tests/faults.rs).
    Fix {
        name: "pipe-stat-underflow",
        file: "src/core/sockimpl.h",
        from: "\tnng_pipe_ev        p_last_event;\n",
        to: "\tnng_pipe_ev        p_last_event;\n\
            \tbool               p_stats_counted; // in st_pipes (socket, endpoint)\n",
    },
    Fix {
        name: "pipe-stat-underflow",
        file: "src/core/socket.c",
        from: "\tnni_stat_inc(&s->st_pipes, 1);\n\tnni_stat_inc(&d->st_pipes, 1);\n#endif\n",
        to: "\tnni_stat_inc(&s->st_pipes, 1);\n\tnni_stat_inc(&d->st_pipes, 1);\n\tp->p_stats_counted = true;\n#endif\n",
    },
    Fix {
        name: "pipe-stat-underflow",
        file: "src/core/socket.c",
        from: "\tnni_stat_inc(&l->st_pipes, 1);\n\tnni_stat_inc(&s->st_pipes, 1);\n#endif\n",
        to: "\tnni_stat_inc(&l->st_pipes, 1);\n\tnni_stat_inc(&s->st_pipes, 1);\n\tp->p_stats_counted = true;\n#endif\n",
    },
    Fix {
        name: "pipe-stat-underflow",
        file: "src/core/socket.c",
        from: "#ifdef NNG_ENABLE_STATS\n\
              \tnni_stat_dec(&s->st_pipes, 1);\n\
              \tif (p->p_listener != NULL) {\n\
              \t\tnni_stat_dec(&p->p_listener->st_pipes, 1);\n\
              \t}\n\
              \tif (p->p_dialer != NULL) {\n\
              \t\tnni_stat_dec(&p->p_dialer->st_pipes, 1);\n\
              \t}\n\
              #endif\n",
        to: "#ifdef NNG_ENABLE_STATS\n\
            \t// Only a pipe that started was counted.\n\
            \tif (p->p_stats_counted) {\n\
            \t\tnni_stat_dec(&s->st_pipes, 1);\n\
            \t\tif (p->p_listener != NULL) {\n\
            \t\t\tnni_stat_dec(&p->p_listener->st_pipes, 1);\n\
            \t\t}\n\
            \t\tif (p->p_dialer != NULL) {\n\
            \t\t\tnni_stat_dec(&p->p_dialer->st_pipes, 1);\n\
            \t\t}\n\
            \t}\n\
            #endif\n",
    },
    // A websocket dial whose TCP connection completed after the dial was
    // cancelled (or that failed while building its HTTP request) was reaped
    // without leaving the dialer's list of pending connections, so
    // ws_dialer_stop, which waits for that list to empty, waited for good:
    // closing a ws:// or wss:// dialer right after starting it could hang
    // (tests/adversarial_tls.rs `handshakes_cancelled_ws{,s}`).
    Fix {
        name: "ws-dialer-stop-hang",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tif (uaio == NULL) {\n\
              \t\t// This request was canceled for some reason.\n\
              \t\tnni_mtx_unlock(&ws->mtx);\n\
              \t\tws_reap(ws);\n\
              \t\treturn;\n\
              \t}\n",
        to: "\tif (uaio == NULL) {\n\
            \t\t// This request was canceled for some reason.\n\
            \t\tnni_mtx_unlock(&ws->mtx);\n\
            \t\tgoto unlist;\n\
            \t}\n",
    },
    Fix {
        name: "ws-dialer-stop-hang",
        file: "src/supplemental/websocket/websocket.c",
        from: "err:\n\
              \tnni_aio_finish_error(uaio, rv);\n\
              \tnni_mtx_unlock(&ws->mtx);\n\
              \tws_reap(ws);\n\
              }\n",
        to: "err:\n\
            \tws->useraio = NULL;\n\
            \tnni_aio_finish_error(uaio, rv);\n\
            \tnni_mtx_unlock(&ws->mtx);\n\
            unlist:\n\
            \t// Off the dialer's pending list, which ws_dialer_stop waits\n\
            \t// to see empty (as on the connect-failure path above).\n\
            \tnni_mtx_lock(&d->mtx);\n\
            \tif (nni_list_node_active(&ws->node)) {\n\
            \t\tnni_list_remove(&d->wspend, ws);\n\
            \t\tws->dialer = NULL;\n\
            \t\tif (nni_list_empty(&d->wspend)) {\n\
            \t\t\tnni_cv_wake(&d->cv);\n\
            \t\t}\n\
            \t}\n\
            \tnni_mtx_unlock(&d->mtx);\n\
            \tws_reap(ws);\n\
            }\n",
    },
    // A websocket dial whose HTTP upgrade completed just as the dial was
    // cancelled lost the upgraded connection: the SP transport read the
    // stream only on success, and the cancel (under ws->mtx) and the
    // upgrade's callback (under the dialer's mtx) could both finish the
    // dial's aio. The peer kept a pipe of a connection nobody closed
    // (tests/adversarial_tls.rs `handshakes_cancelled_ws`).
    Fix {
        name: "ws-dial-stream-leak",
        file: "src/sp/transport/ws/websocket.c",
        from: "\tnni_mtx_lock(&d->mtx);\n\
              \tif (nni_aio_result(caio) == NNG_OK) {\n\
              \t\tws = nni_aio_get_output(caio, 0);\n\
              \t}\n",
        to: "\tnni_mtx_lock(&d->mtx);\n\
            \t// Take the stream whatever the result: a dial completed as\n\
            \t// connaio was closed or stopped reports NNG_ESTOPPED, and\n\
            \t// the stream is still its output.\n\
            \tws = nni_aio_get_output(caio, 0);\n\
            \tnni_aio_set_output(caio, 0, NULL);\n",
    },
    Fix {
        name: "ws-dial-stream-leak",
        file: "src/sp/transport/ws/websocket.c",
        from: "\tif ((rv = nni_aio_result(caio)) != NNG_OK) {\n\
              \t\tnni_aio_finish_error(uaio, rv);\n\
              \t} else if",
        to: "\tif ((rv = nni_aio_result(caio)) != NNG_OK) {\n\
            \t\tnng_stream_free(ws);\n\
            \t\tnni_aio_finish_error(uaio, rv);\n\
            \t} else if",
    },
    Fix {
        name: "ws-dial-stream-leak",
        file: "src/supplemental/websocket/websocket.c",
        from: "\td = ws->dialer;\n\
              \tnni_mtx_lock(&d->mtx);\n\
              \tuaio = ws->useraio;\n",
        to: "\td = ws->dialer;\n\
            \tnni_mtx_lock(&d->mtx);\n\
            \tnni_mtx_lock(&ws->mtx); // ws->useraio's lock (ws_dial_cancel)\n\
            \tuaio = ws->useraio;\n\
            \tnni_mtx_unlock(&ws->mtx);\n",
    },
    Fix {
        name: "ws-dial-stream-leak",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_list_remove(&d->wspend, ws);\n\
              \tws->ready   = true;\n\
              \tws->useraio = NULL;\n\
              \tws->dialer  = NULL;\n\
              \tnni_aio_set_output(uaio, 0, ws);\n\
              \tnni_aio_finish(uaio, 0, 0);\n\
              \tif (nni_list_empty(&d->wspend)) {\n\
              \t\tnni_cv_wake(&d->cv);\n\
              \t}\n\
              \tnni_mtx_unlock(&d->mtx);\n\
              \treturn;\n\
              err:\n\
              \tnni_list_remove(&d->wspend, ws);\n\
              \tws->useraio = NULL;\n\
              \tws->dialer  = NULL;\n\
              \tif (nni_list_empty(&d->wspend)) {\n\
              \t\tnni_cv_wake(&d->cv);\n\
              \t}\n\
              \tif (uaio != NULL) {\n\
              \t\tnni_aio_finish_error(uaio, rv);\n\
              \t}\n\
              \tnni_mtx_unlock(&d->mtx);\n",
        to: "\tnni_list_remove(&d->wspend, ws);\n\
            \tws->ready  = true;\n\
            \tws->dialer = NULL;\n\
            \tif (nni_list_empty(&d->wspend)) {\n\
            \t\tnni_cv_wake(&d->cv);\n\
            \t}\n\
            \t// The user's aio is ours to finish only if ws_dial_cancel has\n\
            \t// not taken it meanwhile; both take it under ws->mtx.\n\
            \tnni_mtx_lock(&ws->mtx);\n\
            \tif ((uaio = ws->useraio) != NULL) {\n\
            \t\tws->useraio = NULL;\n\
            \t\tnni_aio_set_output(uaio, 0, ws);\n\
            \t\tnni_aio_finish(uaio, 0, 0);\n\
            \t}\n\
            \tnni_mtx_unlock(&ws->mtx);\n\
            \tnni_mtx_unlock(&d->mtx);\n\
            \tif (uaio == NULL) {\n\
            \t\tws_reap(ws); // cancelled meanwhile\n\
            \t}\n\
            \treturn;\n\
            err:\n\
            \tnni_list_remove(&d->wspend, ws);\n\
            \tws->dialer = NULL;\n\
            \tif (nni_list_empty(&d->wspend)) {\n\
            \t\tnni_cv_wake(&d->cv);\n\
            \t}\n\
            \tnni_mtx_lock(&ws->mtx);\n\
            \tif ((uaio = ws->useraio) != NULL) {\n\
            \t\tws->useraio = NULL;\n\
            \t\tnni_aio_finish_error(uaio, rv);\n\
            \t}\n\
            \tnni_mtx_unlock(&ws->mtx);\n\
            \tnni_mtx_unlock(&d->mtx);\n",
    },
    // The listening twin of ws-dial-stream-leak: an upgrade handed to the SP
    // transport's accept just as the listener was closed came back as
    // NNG_ESTOPPED with the stream still the aio's output, which
    // wstran_accept_cb never freed: the peer kept a pipe nobody served
    // (tests/adversarial_ws.rs `listeners_closed_and_reopened_under_upgrading_dialers`).
    Fix {
        name: "ws-accept-stream-leak",
        file: "src/sp/transport/ws/websocket.c",
        from: "\tws   = nni_aio_get_output(aaio, 0);\n\
              \tuaio = nni_list_first(&l->aios);\n\
              \tif ((rv = nni_aio_result(aaio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n",
        to: "\t// Take the stream whatever the result: an upgrade handed over as\n\
            \t// accaio was closed reports NNG_ESTOPPED, and the stream is\n\
            \t// still its output.\n\
            \tws = nni_aio_get_output(aaio, 0);\n\
            \tnni_aio_set_output(aaio, 0, NULL);\n\
            \tuaio = nni_list_first(&l->aios);\n\
            \tif ((rv = nni_aio_result(aaio)) != NNG_OK) {\n\
            \t\tnng_stream_free(ws);\n\
            \t\tgoto error;\n\
            \t}\n",
    },
    // Both steps of a websocket dial's connect read the new connection only
    // on success: the HTTP client's (http_dial_cb, from the TCP dial) and
    // the websocket's (ws_conn_cb, from the HTTP client). A connection made
    // just as the aio was closed or stopped (a dialer closed mid-dial)
    // reports NNG_ESTOPPED with the connection still its output, and stayed
    // open for good (tests/adversarial_ws.rs
    // `ws_dials_given_up_at_random_moments_leak_nothing`).
    Fix {
        name: "ws-dial-conn-leak",
        file: "src/supplemental/http/http_client.c",
        from: "\tnni_mtx_lock(&c->mtx);\n\
              \trv = nni_aio_result(&c->aio);\n\
              \n\
              \tif ((aio = nni_list_first(&c->aios)) == NULL) {\n\
              \t\t// User abandoned request, and no residuals left.\n\
              \t\tnni_mtx_unlock(&c->mtx);\n\
              \t\tif (rv == NNG_OK) {\n\
              \t\t\tstream = nni_aio_get_output(&c->aio, 0);\n\
              \t\t\tnng_stream_free(stream);\n\
              \t\t}\n\
              \t\treturn;\n\
              \t}\n\
              \n\
              \tif (rv != NNG_OK) {\n\
              \t\tnni_aio_list_remove(aio);\n",
        to: "\tnni_mtx_lock(&c->mtx);\n\
            \trv = nni_aio_result(&c->aio);\n\
            \t// Take the connection whatever the result: one made as c->aio\n\
            \t// was stopped reports NNG_ESTOPPED, and it is still the output.\n\
            \tstream = nni_aio_get_output(&c->aio, 0);\n\
            \tnni_aio_set_output(&c->aio, 0, NULL);\n\
            \n\
            \tif ((aio = nni_list_first(&c->aios)) == NULL) {\n\
            \t\t// User abandoned request, and no residuals left.\n\
            \t\tnni_mtx_unlock(&c->mtx);\n\
            \t\tnng_stream_free(stream);\n\
            \t\treturn;\n\
            \t}\n\
            \n\
            \tif (rv != NNG_OK) {\n\
            \t\tnng_stream_free(stream);\n\
            \t\tnni_aio_list_remove(aio);\n",
    },
    Fix {
        name: "ws-dial-conn-leak",
        file: "src/supplemental/http/http_client.c",
        from: "\tnni_aio_list_remove(aio);\n\
              \tstream = nni_aio_get_output(&c->aio, 0);\n\
              \tNNI_ASSERT(stream != NULL);\n",
        to: "\tnni_aio_list_remove(aio);\n\
            \tNNI_ASSERT(stream != NULL);\n",
    },
    Fix {
        name: "ws-dial-conn-leak",
        file: "src/supplemental/websocket/websocket.c",
        from: "\td = ws->dialer;\n\
              \tif ((rv = nni_aio_result(&ws->connaio)) != NNG_OK) {\n\
              \t\tnni_mtx_lock(&ws->mtx);\n",
        to: "\td = ws->dialer;\n\
            \tif ((rv = nni_aio_result(&ws->connaio)) != NNG_OK) {\n\
            \t\t// A connection made as connaio was closed reports\n\
            \t\t// NNG_ESTOPPED, and it is still the output.\n\
            \t\tnni_http_conn *conn = nni_aio_get_output(&ws->connaio, 0);\n\
            \t\tnni_aio_set_output(&ws->connaio, 0, NULL);\n\
            \t\tif (conn != NULL) {\n\
            \t\t\tnni_http_conn_fini(conn);\n\
            \t\t}\n\
            \t\tnni_mtx_lock(&ws->mtx);\n",
    },
    // The core's dialer and listener callbacks started the pipe of a
    // connection only on success. A transport that hands a pipe over just
    // as the endpoint stops its aio (nni_dialer_stop, nni_listener_stop)
    // gets NNG_ESTOPPED with the pipe still the output: its caller's
    // reference was never dropped, so the pipe, closed by the endpoint's
    // shutdown, was never freed, nor its connection (tests/adversarial_ws.rs
    // `ws_dials_given_up_at_random_moments_leak_nothing`).
    Fix {
        name: "endpoint-pipe-leak",
        file: "src/core/dialer.c",
        from: "\tswitch ((rv = nni_aio_result(aio))) {\n\
              \tcase NNG_OK:\n\
              #ifdef NNG_ENABLE_STATS\n\
              \t\tnni_stat_inc(&d->st_connect, 1);\n\
              #endif\n\
              \t\tnni_pipe_start(nni_aio_get_output(aio, 0));\n",
        to: "\t// Take the pipe whatever the result: one handed over as this aio\n\
            \t// was stopped reports NNG_ESTOPPED, and it is still the output;\n\
            \t// the reference nni_pipe_start would have dropped is ours.\n\
            \tnni_pipe *p = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((p != NULL) && (nni_aio_result(aio) != NNG_OK)) {\n\
            \t\tnni_pipe_close(p);\n\
            \t\tnni_pipe_rele(p);\n\
            \t}\n\
            \tswitch ((rv = nni_aio_result(aio))) {\n\
            \tcase NNG_OK:\n\
            #ifdef NNG_ENABLE_STATS\n\
            \t\tnni_stat_inc(&d->st_connect, 1);\n\
            #endif\n\
            \t\tnni_pipe_start(p);\n",
    },
    Fix {
        name: "endpoint-pipe-leak",
        file: "src/core/listener.c",
        from: "\tswitch ((rv = nni_aio_result(aio))) {\n\
              \tcase NNG_OK:\n\
              #ifdef NNG_ENABLE_STATS\n\
              \t\tnni_stat_inc(&l->st_accept, 1);\n\
              #endif\n\
              \t\tnni_pipe_start(nni_aio_get_output(aio, 0));\n",
        to: "\t// Take the pipe whatever the result: one handed over as this aio\n\
            \t// was stopped reports NNG_ESTOPPED, and it is still the output;\n\
            \t// the reference nni_pipe_start would have dropped is ours.\n\
            \tnni_pipe *p = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((p != NULL) && (nni_aio_result(aio) != NNG_OK)) {\n\
            \t\tnni_pipe_close(p);\n\
            \t\tnni_pipe_rele(p);\n\
            \t}\n\
            \tswitch ((rv = nni_aio_result(aio))) {\n\
            \tcase NNG_OK:\n\
            #ifdef NNG_ENABLE_STATS\n\
            \t\tnni_stat_inc(&l->st_accept, 1);\n\
            #endif\n\
            \t\tnni_pipe_start(p);\n",
    },
    // A websocket dial's cancel function, ws_dial_cancel, gets the nni_ws as
    // its argument; nni_aio_close/nni_aio_stop call it after releasing the
    // aio's lock. The dial's own callbacks (a failed connect, a refused or
    // failed upgrade) finish the dial's aio and reap the nni_ws meanwhile:
    // the late cancel then locked and unlocked the mutex of a freed nni_ws
    // (abort in pthread_mutex_unlock <- ws_dial_cancel <- nni_aio_close <-
    // wstran_dialer_close; tests/adversarial_ws.rs
    // `ws_dials_given_up_at_random_moments_leak_nothing`). ws_fini waits for
    // cancel functions under way before it frees the nni_ws.
    Fix {
        name: "ws-dial-cancel-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_mtx_unlock(&ws->mtx);\n\
              \n\
              \tif (ws->stream) {\n\
              \t\tnng_stream_free(ws->stream);\n",
        to: "\tnni_mtx_unlock(&ws->mtx);\n\
            \n\
            \t// A cancel function handed this ws (ws_dial_cancel, taken from\n\
            \t// the dial's aio before the dial was finished) may still be\n\
            \t// running: let it return before the ws goes away.\n\
            \tnni_aio_cancel_drain();\n\
            \n\
            \tif (ws->stream) {\n\
            \t\tnng_stream_free(ws->stream);\n",
    },
    // ws_listener_free freed the listener while an HTTP server callback for
    // it, ws_handler, could still be running: the server holds the handler,
    // not its data (an abort in pthread_mutex_unlock <- ws_handler <-
    // http_sconn_rxdone; tests/adversarial_ws.rs). The listener is now
    // freed by the last release of its handler, which ws_handler lets go
    // of only after it is done with the listener.
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\t\t\tnni_aio_finish_error(aio, rv);\n\
              \t\t\tnni_mtx_unlock(&l->mtx);\n\
              \t\t\treturn;\n",
        to: "\t\t\tnni_mtx_unlock(&l->mtx);\n\
              \t\t\tnni_aio_finish_error(aio, rv);\n\
              \t\t\treturn;\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\t\t\tnni_aio_finish(aio, 0, 0);\n\
              \t\t\tnni_mtx_unlock(&l->mtx);\n\
              \t\t\treturn;\n",
        to: "\t\t\tnni_mtx_unlock(&l->mtx);\n\
              \t\t\tnni_aio_finish(aio, 0, 0);\n\
              \t\t\treturn;\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_aio_set_output(aio, 0, NULL);\n\
              \tnni_aio_finish(aio, 0, 0);\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              \treturn;\n\
              \n\
              err:\n\
              \tif ((rv = nni_http_set_error(conn, status, NULL, NULL)) != 0) {\n\
              \t\tnni_aio_finish_error(aio, rv);\n\
              \t} else {\n\
              \t\tnni_aio_finish(aio, 0, 0);\n\
              \t}\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              }\n",
        to: "\tnni_aio_set_output(aio, 0, NULL);\n\
              \t// Finished after the unlock: the server then drops its hold on the\n\
              \t// handler, whose last release frees the listener.\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              \tnni_aio_finish(aio, 0, 0);\n\
              \treturn;\n\
              \n\
              err:\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              \tif ((rv = nni_http_set_error(conn, status, NULL, NULL)) != 0) {\n\
              \t\tnni_aio_finish_error(aio, rv);\n\
              \t} else {\n\
              \t\tnni_aio_finish(aio, 0, 0);\n\
              \t}\n\
              }\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_ws_listener  *l = arg;\n\
              \tnni_http_handler *h;\n\
              \tnni_http_server  *s;\n\
              \n\
              \tws_listener_close(l);\n",
        to: "\tnni_ws_listener *l = arg;\n\
              \tnni_http_server *s;\n\
              \n\
              \tws_listener_close(l);\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\th          = l->handler;\n\
              \ts          = l->server;\n\
              \tl->handler = NULL;\n\
              \tl->server  = NULL;\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              \n\
              \tif (h != NULL) {\n\
              \t\tnni_http_handler_fini(h);\n\
              \t}\n",
        to: "\ts         = l->server;\n\
              \tl->server = NULL;\n\
              \tnni_mtx_unlock(&l->mtx);\n\
              \n\
              \t// The handler is released by ws_listener_free.\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "static void\n\
              ws_listener_free(void *arg)\n",
        to: "// The last release of the listener's HTTP handler frees the listener: the\n\
              // HTTP server holds the handler while it runs ws_handler, which may still be\n\
              // running (the listener closed) when ws_listener_free returns.\n\
              static void\n\
              ws_listener_fini(void *arg)\n\
              {\n\
              \tnni_ws_listener *l = arg;\n\
              \n\
              \tnni_cv_fini(&l->cv);\n\
              \tnni_mtx_fini(&l->mtx);\n\
              \tNNI_FREE_STRUCT(l);\n\
              }\n\
              \n\
              static void\n\
              ws_listener_free(void *arg)\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tws_listener_stop(l);\n\
              \n\
              \tnni_cv_fini(&l->cv);\n\
              \tnni_mtx_fini(&l->mtx);\n\
              \tnni_strfree(l->proto);\n",
        to: "\tws_listener_stop(l);\n\
              \n\
              \tnni_strfree(l->proto);\n\
              \tl->proto = NULL;\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tif (l->url) {\n\
              \t\tnng_url_free(l->url);\n\
              \t}\n\
              \tNNI_FREE_STRUCT(l);\n\
              }\n",
        to: "\tif (l->url) {\n\
              \t\tnng_url_free(l->url);\n\
              \t\tl->url = NULL;\n\
              \t}\n\
              \tif (l->handler != NULL) {\n\
              \t\tnni_http_handler_fini(l->handler); // ws_listener_fini, now or later\n\
              \t} else {\n\
              \t\tws_listener_fini(l);\n\
              \t}\n\
              }\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tnni_http_handler_set_data(l->handler, l, 0);\n",
        to: "\tnni_http_handler_set_data(l->handler, l, ws_listener_fini);\n",
    },
    Fix {
        name: "ws-listener-handler-uaf",
        file: "src/supplemental/http/http_server.c",
        from: "\tnni_aio_stop(&sc->cbaio);\n\
              \n\
              \tif (sc->conn != NULL) {\n",
        to: "\tnni_aio_stop(&sc->cbaio);\n\
              \t// A handler whose completion was stopped before its callback ran\n\
              \t// still holds the reference taken for it.\n\
              \tif (sc->release != NULL) {\n\
              \t\tnni_http_handler_fini(sc->release);\n\
              \t\tsc->release = NULL;\n\
              \t}\n\
              \n\
              \tif (sc->conn != NULL) {\n",
    },
    // The HTTP server's accept callback read the accepted connection only on
    // success: a TCP accept completed as the server was closed came back as
    // NNG_ESTOPPED with the connection still the aio's output, and stayed
    // open for good (tests/adversarial_ws.rs
    // `listeners_closed_and_reopened_under_upgrading_dialers`).
    Fix {
        name: "http-accept-conn-leak",
        file: "src/supplemental/http/http_server.c",
        from: "\tnni_mtx_lock(&s->mtx);\n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tif (!s->closed) {\n\
              \t\t\t// try again?\n\
              \t\t\tnng_stream_listener_accept(s->listener, aio);\n\
              \t\t}\n\
              \t\tnni_mtx_unlock(&s->mtx);\n\
              \t\treturn;\n\
              \t}\n\
              \tstream = nni_aio_get_output(aio, 0);\n",
        to: "\tnni_mtx_lock(&s->mtx);\n\
            \t// Take the connection whatever the result: one accepted as\n\
            \t// accaio was closed reports NNG_ESTOPPED, and the connection\n\
            \t// is still its output.\n\
            \tstream = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(stream);\n\
            \t\tif (!s->closed) {\n\
            \t\t\t// try again?\n\
            \t\t\tnng_stream_listener_accept(s->listener, aio);\n\
            \t\t}\n\
            \t\tnni_mtx_unlock(&s->mtx);\n\
            \t\treturn;\n\
            \t}\n",
    },
    // A websocket dial set ws->useraio under the dialer's lock only after
    // nni_aio_start had installed ws_dial_cancel, which reads it under
    // ws->mtx: a data race (ThreadSanitizer, tests/adversarial_ws.rs with
    // .ci/tsan.sh), and a cancel in between found no aio and was lost. The
    // aio is now started and recorded under ws->mtx together.
    Fix {
        name: "ws-dial-start-race",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tif (!nni_aio_start(aio, ws_dial_cancel, ws)) {\n\
              \t\tnni_mtx_unlock(&d->mtx);\n\
              \t\tws_reap(ws);\n\
              \t\treturn;\n\
              \t}\n\
              \tws->dialer    = d;\n\
              \tws->useraio   = aio;\n",
        to: "\tnni_mtx_lock(&ws->mtx); // ws->useraio's lock (ws_dial_cancel)\n\
            \tif (!nni_aio_start(aio, ws_dial_cancel, ws)) {\n\
            \t\tnni_mtx_unlock(&ws->mtx);\n\
            \t\tnni_mtx_unlock(&d->mtx);\n\
            \t\tws_reap(ws);\n\
            \t\treturn;\n\
            \t}\n\
            \tws->useraio = aio;\n\
            \tnni_mtx_unlock(&ws->mtx);\n\
            \tws->dialer    = d;\n",
    },
    // The poller's callback of a POSIX tcp connection chose the dial path by
    // reading c->dial_aio without a lock, while the dial's cancel and the
    // dialer's close clear it under the dialer's lock: a data race in C
    // (ThreadSanitizer, tests/adversarial_ws2.rs with .ci/tsan.sh). The dial
    // path now makes that choice under the dialer's lock, and says whether
    // it took the event.
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcp.h",
        from: "extern void nni_posix_tcp_dial_cb(void *, unsigned);\n",
        to: "extern bool nni_posix_tcp_dial_cb(void *, unsigned);\n",
    },
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcpconn.c",
        from: "\tif (c->dial_aio != NULL) {\n\
              \t\tnni_posix_tcp_dial_cb(c, events);\n\
              \t\treturn;\n\
              \t}\n",
        to: "\t// A dialed connection's events go to its dial until the dial is\n\
            \t// over; only the dial path reads dial_aio, under the dialer's lock.\n\
            \tif ((c->dialer != NULL) && nni_posix_tcp_dial_cb(c, events)) {\n\
            \t\treturn;\n\
            \t}\n",
    },
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcpdial.c",
        from: "void\nnni_posix_tcp_dial_cb(void *arg, unsigned ev)\n",
        to: "bool\nnni_posix_tcp_dial_cb(void *arg, unsigned ev)\n",
    },
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcpdial.c",
        from: "\taio = c->dial_aio;\n\
              \tif ((aio == NULL) || (!nni_aio_list_active(aio))) {\n\
              \t\tnni_mtx_unlock(&d->mtx);\n\
              \t\treturn;\n\
              \t}\n",
        to: "\taio = c->dial_aio;\n\
            \tif ((aio == NULL) || (!nni_aio_list_active(aio))) {\n\
            \t\tnni_mtx_unlock(&d->mtx);\n\
            \t\treturn (false); // not dialing: the connection's own event\n\
            \t}\n",
    },
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcpdial.c",
        from: "\t\t\tnni_mtx_unlock(&d->mtx);\n\
              \t\t\treturn;\n\
              \t\t} else if (rv != 0) {\n",
        to: "\t\t\tnni_mtx_unlock(&d->mtx);\n\
            \t\t\treturn (true);\n\
            \t\t} else if (rv != 0) {\n",
    },
    Fix {
        name: "posix-tcp-dial-race",
        file: "src/platform/posix/posix_tcpdial.c",
        from: "\t\tnni_aio_finish_error(aio, rv);\n\
              \t\treturn;\n\
              \t}\n\
              \n\
              \tnni_posix_tcp_start(c, nd, ka);\n\
              \tnni_aio_set_output(aio, 0, c);\n\
              \tnni_aio_finish(aio, 0, 0);\n\
              }\n",
        to: "\t\tnni_aio_finish_error(aio, rv);\n\
            \t\treturn (true);\n\
            \t}\n\
            \n\
            \tnni_posix_tcp_start(c, nd, ka);\n\
            \tnni_aio_set_output(aio, 0, c);\n\
            \tnni_aio_finish(aio, 0, 0);\n\
            \treturn (true);\n\
            }\n",
    },
    // posix-tcp-dial-race's race in ipc: the poller's callback of a POSIX ipc
    // connection chose the dial path by reading c->dial_aio without a lock,
    // while the dial's start, cancel and the dialer's close write it under the
    // dialer's lock (ThreadSanitizer, tests/adversarial_ws2.rs with
    // .ci/tsan.sh). The dial path now makes that choice under the dialer's
    // lock, and says whether it took the event. The poller thread may now
    // wait for that lock, so the dialer's close no longer stops connections
    // (which waits for the poller thread) while it holds it: it closes and
    // frees them, as tcp's does, and their reap stops them.
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipc.h",
        from: "extern void nni_posix_ipc_dialer_cb(void *arg, unsigned events);\n",
        to: "extern bool nni_posix_ipc_dialer_cb(void *arg, unsigned events);\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcconn.c",
        from: "\tif (c->dial_aio != NULL) {\n\
              \t\tnni_posix_ipc_dialer_cb(arg, events);\n\
              \t\treturn;\n\
              \t}\n",
        to: "\t// A dialed connection's events go to its dial until the dial is\n\
            \t// over; only the dial path reads dial_aio, under the dialer's lock.\n\
            \tif ((c->dialer != NULL) && nni_posix_ipc_dialer_cb(c, events)) {\n\
            \t\treturn;\n\
            \t}\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "void\nnni_posix_ipc_dialer_cb(void *arg, unsigned ev)\n",
        to: "bool\nnni_posix_ipc_dialer_cb(void *arg, unsigned ev)\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\taio = c->dial_aio;\n\
              \tif ((aio == NULL) || (!nni_aio_list_active(aio))) {\n\
              \t\tnni_mtx_unlock(&d->mtx);\n\
              \t\treturn;\n\
              \t}\n",
        to: "\taio = c->dial_aio;\n\
            \tif ((aio == NULL) || (!nni_aio_list_active(aio))) {\n\
            \t\tnni_mtx_unlock(&d->mtx);\n\
            \t\treturn (false); // not dialing: the connection's own event\n\
            \t}\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\t\t\tnni_mtx_unlock(&d->mtx);\n\
              \t\t\treturn;\n\
              \t\t} else if (rv != 0) {\n",
        to: "\t\t\tnni_mtx_unlock(&d->mtx);\n\
            \t\t\treturn (true);\n\
            \t\t} else if (rv != 0) {\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\t\tnni_aio_finish_error(aio, rv);\n\
              \t\treturn;\n\
              \t}\n\
              \n\
              \tnni_aio_set_output(aio, 0, c);\n\
              \tnni_aio_finish(aio, 0, 0);\n\
              }\n",
        to: "\t\tnni_aio_finish_error(aio, rv);\n\
            \t\treturn (true);\n\
            \t}\n\
            \n\
            \tnni_aio_set_output(aio, 0, c);\n\
            \tnni_aio_finish(aio, 0, 0);\n\
            \treturn (true);\n\
            }\n",
    },
    Fix {
        name: "posix-ipc-dial-race",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\t\t\t\tc->dial_aio = NULL;\n\
              \t\t\t\tnni_aio_set_prov_data(aio, NULL);\n\
              \t\t\t\tnng_stream_close(&c->stream);\n\
              \t\t\t\tnng_stream_stop(&c->stream);\n\
              \t\t\t\tnng_stream_free(&c->stream);\n",
        to: "\t\t\t\tc->dial_aio = NULL;\n\
            \t\t\t\tnni_aio_set_prov_data(aio, NULL);\n\
            \t\t\t\t// No stop under d->mtx: it waits for the poller\n\
            \t\t\t\t// thread, which may be waiting for d->mtx in\n\
            \t\t\t\t// nni_posix_ipc_dialer_cb. The free's reap stops it.\n\
            \t\t\t\tnng_stream_close(&c->stream);\n\
            \t\t\t\tnng_stream_free(&c->stream);\n",
    },
    // An ipc dial whose connect did not succeed at once never completed:
    // the asynchronous path cleared c->dial_aio before returning, so the
    // poller's callback (nni_posix_ipc_dialer_cb) never finished it, and
    // Linux's EAGAIN (the listener's backlog full) took that path though no
    // connection is in progress. A synchronous dial hung until given up and
    // a background dialer never redialled (tests/ipc_backlog.rs). EAGAIN now
    // fails the dial with NNG_ECONNREFUSED, as ENOENT does (nobody accepts
    // now; the SP dialer retries after its back-off); EINPROGRESS keeps
    // c->dial_aio so that the callback completes the dial, and that
    // callback's error path no longer stops the connection on the poller
    // thread (the stop waits for that thread), as tcp's does not: the free's
    // reap stops it.
    Fix {
        name: "ipc-dial-backlog-full",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\tif (rv != 0) {\n\
              \t\tnng_stream_close(&c->stream);\n\
              \t\tnng_stream_stop(&c->stream);\n\
              \t\tnng_stream_free(&c->stream);\n\
              \t\tnni_aio_finish_error(aio, rv);\n",
        to: "\tif (rv != 0) {\n\
            \t\t// No stop here: this is the poller thread, which the stop\n\
            \t\t// waits for. The free's reap stops the connection.\n\
            \t\tnng_stream_close(&c->stream);\n\
            \t\tnng_stream_free(&c->stream);\n\
            \t\tnni_aio_finish_error(aio, rv);\n",
    },
    Fix {
        name: "ipc-dial-backlog-full",
        file: "src/platform/posix/posix_ipcdial.c",
        from: "\t\tif (errno != EINPROGRESS && errno != EAGAIN) {\n\
              \t\t\tif (errno == ENOENT) {\n\
              \t\t\t\t// No socket present means nobody listening.\n\
              \t\t\t\trv = NNG_ECONNREFUSED;\n\
              \t\t\t} else {\n\
              \t\t\t\trv = nni_plat_errno(errno);\n\
              \t\t\t}\n\
              \t\t\tgoto error;\n\
              \t\t}\n\
              \t\t// Asynchronous connect.\n\
              \t\tif ((rv = nni_posix_pfd_arm(&c->pfd, NNI_POLL_OUT)) != 0) {\n\
              \t\t\tgoto error;\n\
              \t\t}\n\
              \t\tc->dial_aio = NULL;\n\
              \t\tnni_aio_set_prov_data(aio, c);\n",
        to: "\t\tif (errno != EINPROGRESS) {\n\
            \t\t\tif ((errno == ENOENT) || (errno == EAGAIN)) {\n\
            \t\t\t\t// No socket present means nobody listening.\n\
            \t\t\t\t// EAGAIN (Linux): the listener's backlog is\n\
            \t\t\t\t// full. Nothing is in progress then, and nothing\n\
            \t\t\t\t// would complete: nobody is accepting now.\n\
            \t\t\t\trv = NNG_ECONNREFUSED;\n\
            \t\t\t} else {\n\
            \t\t\t\trv = nni_plat_errno(errno);\n\
            \t\t\t}\n\
            \t\t\tgoto error;\n\
            \t\t}\n\
            \t\t// Asynchronous connect: c->dial_aio stays set, so that\n\
            \t\t// nni_posix_ipc_dialer_cb finishes the dial.\n\
            #ifdef NNG_TEST_LIB\n\
            \t\t// test-no-connect made no connect: nothing to poll for,\n\
            \t\t// and only a cancel or timeout ends the dial.\n\
            \t\tif ((!d->no_connect) &&\n\
            \t\t    ((rv = nni_posix_pfd_arm(&c->pfd, NNI_POLL_OUT)) != 0)) {\n\
            \t\t\tgoto error;\n\
            \t\t}\n\
            #else\n\
            \t\tif ((rv = nni_posix_pfd_arm(&c->pfd, NNI_POLL_OUT)) != 0) {\n\
            \t\t\tgoto error;\n\
            \t\t}\n\
            #endif\n\
            \t\tnni_aio_set_prov_data(aio, c);\n",
    },
    // bus0's send never waits (it queues or drops per pipe, as pub0's), but
    // it began with nni_aio_start, which fails an aio with a zero timeout
    // (NNG_FLAG_NONBLOCK) at once: every non-blocking send failed with
    // NNG_EAGAIN (tests/nonblocking_send.rs).
    Fix {
        name: "nonblocking-send",
        file: "src/sp/protocol/bus0/bus.c",
        from: "\tnni_mtx_lock(&s->mtx);\n\n\tif (!nni_aio_start(aio, NULL, NULL)) {\n\t\tnni_mtx_unlock(&s->mtx);\n\t\treturn;\n\t}\n",
        to: "\tnni_mtx_lock(&s->mtx);\n",
    },
    // respondent0 likewise started the aio before a send that can finish at
    // once; it now does so only where the send waits, as rep0_ctx_send does.
    Fix {
        name: "nonblocking-send",
        file: "src/sp/protocol/survey0/respond.c",
        from: "\tnni_mtx_lock(&s->mtx);\n\
              \tif (!nni_aio_start(aio, resp0_ctx_cancel_send, ctx)) {\n\
              \t\tnni_mtx_unlock(&s->mtx);\n\
              \t\treturn;\n\
              \t}\n\
              \n\
              \tif ((len = ctx->btrace_len) == 0) {\n",
        to: "\tnni_mtx_lock(&s->mtx);\n\
            \tif ((len = ctx->btrace_len) == 0) {\n",
    },
    Fix {
        name: "nonblocking-send",
        file: "src/sp/protocol/survey0/respond.c",
        from: "\tctx->saio  = aio;\n\
              \tctx->spipe = p;\n\
              \tnni_list_append(&p->sendq, ctx);\n\
              \tnni_mtx_unlock(&s->mtx);\n",
        to: "\t// Only here does the send wait (a zero timeout fails it now).\n\
            \tif (!nni_aio_start(aio, resp0_ctx_cancel_send, ctx)) {\n\
            \t\tnni_mtx_unlock(&s->mtx);\n\
            \t\treturn;\n\
            \t}\n\
            \tctx->saio  = aio;\n\
            \tctx->spipe = p;\n\
            \tnni_list_append(&p->sendq, ctx);\n\
            \tnni_mtx_unlock(&s->mtx);\n",
    },
    // An HTTP server is shared by every holder of the same host and port, so
    // two ws/wss listeners on port 0 made before either starts got one
    // server: the second start failed (same path) or shared the first's port
    // (tests/transports.rs, tests/tls.rs `*_listeners_on_port_zero_are_separate`).
    // Port 0 asks for a port of one's own: such a server is never shared.
    Fix {
        name: "ws-port-zero-shared",
        file: "src/supplemental/http/http_server.c",
        from: "\t\tif ((!s->closed) && (s->is_unix == is_unix) &&\n\
              \t\t    (s->is_unix ? (strcmp(stream_url.u_path, s->path) == 0)\n\
              \t\t                : ((url->u_port == s->port) &&\n",
        to: "\t\tif ((!s->closed) && (s->is_unix == is_unix) &&\n\
            \t\t    (s->is_unix ? (strcmp(stream_url.u_path, s->path) == 0)\n\
            \t\t                : ((url->u_port != 0) &&\n\
            \t\t                      (url->u_port == s->port) &&\n",
    },
    // Windows only (the file is compiled only there): every resolver thread
    // is started with a NULL argument, so all of them take index 0 and share
    // one slot of resolv_active. Two lookups at once: one completes with the
    // other's address, the other never completes (a listener creation hung
    // in nni_url_to_address, a dial never finished, a listener bound to
    // another's address: AddressInUse). tests/transports.rs
    // `concurrent_lookups_each_complete_with_their_own_address`, and tests/tls.rs
    // `one_config_used_by_two_sockets_at_once`, under wine.
    Fix {
        name: "windows-resolver-index",
        file: "src/platform/windows/win_resolv.c",
        from: "\t\tint rv = nni_thr_init(&resolv_thrs[i], resolv_worker, NULL);\n",
        to: "\t\tint rv = nni_thr_init(\n\
            \t\t    &resolv_thrs[i], resolv_worker, (void *) (intptr_t) i);\n",
    },
    // The ipc and tls transports' connection callbacks read the new
    // connection only on success, as tcp's did (tcp-conn-leak): a
    // connection accepted or dialed as the endpoint closed its aio
    // reports NNG_ESTOPPED with the connection still the output, and
    // stayed open for good: the peer's pipe waited in its SP
    // negotiation forever (tests/adversarial_ws2.rs
    // `listeners_of_every_transport_closed_mid_accept_leak_nothing`).
    Fix {
        name: "ipc-tls-conn-leak",
        file: "src/sp/transport/ipc/ipc.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n\
              \n\
              \tif (ep->closed) {\n\
              \t\trv = NNG_ECLOSED;\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \t// Take the connection whatever the result: one made as this aio was\n\
            \t// closed or stopped reports NNG_ESTOPPED, and it is still the output.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n\
            \n\
            \tif (ep->closed) {\n\
            \t\trv = NNG_ECLOSED;\n",
    },
    Fix {
        name: "ipc-tls-conn-leak",
        file: "src/sp/transport/ipc/ipc.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n\
              \n\
              \tif (ep->closed) {\n\
              \t\tnng_stream_free(conn);\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \t// Take the connection whatever the result: one made as this aio was\n\
            \t// closed or stopped reports NNG_ESTOPPED, and it is still the output.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n\
            \n\
            \tif (ep->closed) {\n\
            \t\tnng_stream_free(conn);\n",
    },
    Fix {
        name: "ipc-tls-conn-leak",
        file: "src/sp/transport/tls/tls.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \n\
            \t// Take the connection whatever the result: one made as this aio was\n\
            \t// closed or stopped reports NNG_ESTOPPED, and it is still the output.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n",
    },
    Fix {
        name: "ipc-tls-conn-leak",
        file: "src/sp/transport/tls/tls.c",
        from: "\tnni_mtx_lock(&ep->mtx);\n\
              \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
              \t\tgoto error;\n\
              \t}\n\
              \n\
              \tconn = nni_aio_get_output(aio, 0);\n",
        to: "\tnni_mtx_lock(&ep->mtx);\n\
            \t// Take the connection whatever the result: one made as this aio was\n\
            \t// closed or stopped reports NNG_ESTOPPED, and it is still the output.\n\
            \tconn = nni_aio_get_output(aio, 0);\n\
            \tnni_aio_set_output(aio, 0, NULL);\n\
            \tif ((rv = nni_aio_result(aio)) != NNG_OK) {\n\
            \t\tnng_stream_free(conn);\n\
            \t\tgoto error;\n\
            \t}\n",
    },
    // A ws/wss listener whose start failed (its port in use, or its path
    // taken on a shared server) dropped its HTTP server and left l->server
    // NULL, so starting it again (nng_listener_start may be retried after a
    // failure) dereferenced NULL in nni_http_server_add_handler: a crash
    // (tests/adversarial_ws2.rs `ws_listener_started_again_after_failing`).
    // The listener now keeps its server, and with it the server's TLS
    // configuration and options, until it is stopped.
    Fix {
        name: "ws-listen-retry",
        file: "src/supplemental/websocket/websocket.c",
        from: "\tif ((rv = nni_http_server_add_handler(l->server, l->handler)) !=\n\
              \t    NNG_OK) {\n\
              \t\tnni_http_server_fini(l->server);\n\
              \t\tl->server = NULL;\n\
              \t\tnni_mtx_unlock(&l->mtx);\n\
              \t\treturn (rv);\n\
              \t}\n\
              \n\
              \tif ((rv = nni_http_server_start(l->server)) != NNG_OK) {\n\
              \t\tnni_http_server_del_handler(l->server, l->handler);\n\
              \t\tnni_http_server_fini(l->server);\n\
              \t\tl->server = NULL;\n\
              \t\tnni_mtx_unlock(&l->mtx);\n\
              \t\treturn (rv);\n\
              \t}\n",
        to: "\t// On failure the listener keeps its server (and so the server's\n\
            \t// TLS configuration and options) for another start; it is\n\
            \t// released by ws_listener_stop.\n\
            \tif ((rv = nni_http_server_add_handler(l->server, l->handler)) !=\n\
            \t    NNG_OK) {\n\
            \t\tnni_mtx_unlock(&l->mtx);\n\
            \t\treturn (rv);\n\
            \t}\n\
            \n\
            \tif ((rv = nni_http_server_start(l->server)) != NNG_OK) {\n\
            \t\tnni_http_server_del_handler(l->server, l->handler);\n\
            \t\tnni_mtx_unlock(&l->mtx);\n\
            \t\treturn (rv);\n\
            \t}\n",
    },
];

/// Fixes that build on another fix's text or functions: (fix, the fix it
/// needs). Skipping the second skips the first too.
const NEEDS: &[(&str, &str)] = &[
    ("dialer-start-cancel", "cancel-close-race"), // nni_aio_cancel_drain
    ("string-option-copy", "endpoint-string-copy"), // changes its functions
    ("stale-cancel", "cancel-close-race"),        // changes aio_cancel_unlock
    ("tls-handshake-timeout", "tls-bio-failed-ops"), // tls_fail_queued
    ("ws-dial-cancel-uaf", "cancel-close-race"),  // nni_aio_cancel_drain
    // Keeps c->dial_aio set while connecting: the poller's callback must
    // read it under the dialer's lock, which ipc_dialer_close must not hold
    // while it stops a connection (both changed by posix-ipc-dial-race).
    ("ipc-dial-backlog-full", "posix-ipc-dial-race"),
];

/// Fixes that add functions to nng's API: each sets the cfg
/// `nng_sys_fix_<name>` when applied.
const ADDS_FUNCTIONS: &[&str] = &["endpoint-string-copy"];

/// Fixes to nng 2.0.0's OpenSSL engine (`tls-openssl`), found by running the
/// crate's TLS tests on it (tests/tls.rs). Applied in every build: the file is
/// compiled only when that engine is selected.
const OPENSSL_ENGINE_FIXES: &[Fix] = &[
    // ossl_cert_get_der passes an uninitialised pointer to i2d_X509, which
    // writes through it and advances it; the advanced pointer is then freed
    // (tests/tls.rs with `tls-openssl`).
    Fix {
        name: "openssl-cert-der",
        file: "src/supplemental/tls/openssl/openssl.c",
        from: "\tuint8_t *der;\n\tint      derSz;\n\tderSz = i2d_X509(cert->crt, &der);\n\tif (*sz < (size_t) derSz) {\n\t\t*sz = (size_t) derSz;\n\t\treturn (NNG_ENOSPC);\n\t}",
        to: "\tuint8_t *der = NULL;\n\tint      derSz;\n\tderSz = i2d_X509(cert->crt, &der);\n\tif (derSz < 0) {\n\t\treturn (NNG_ECRYPTO);\n\t}\n\tif (*sz < (size_t) derSz) {\n\t\t*sz = (size_t) derSz;\n\t\tOPENSSL_free(der);\n\t\treturn (NNG_ENOSPC);\n\t}",
    },
    // ossl_config_ca_chain accepts text without a certificate, ignores a CRL
    // it cannot parse, leaks the CRL and never enables CRL checking
    // (tests/tls.rs with `tls-openssl`).
    Fix {
        name: "openssl-ca-chain",
        file: "src/supplemental/tls/openssl/openssl.c",
        from: "\tX509 *cert;\n\twhile ((cert = PEM_read_bio_X509(crtb, NULL, 0, NULL)) != NULL) {\n\t\tX509_STORE_add_cert(cert_store, cert);\n\t\tX509_free(cert); // X509_STORE_add_cert takes a reference\n\t}\n\tBIO_free(crtb);\n\n\tif (crl != NULL) {\n\t\tBIO      *crlb = BIO_new_mem_buf(crl, -1);\n\t\tX509_CRL *xcrl = PEM_read_bio_X509_CRL(crlb, NULL, NULL, NULL);\n\t\tif (xcrl != NULL) {\n\t\t\tX509_STORE_add_crl(cert_store, xcrl);\n\t\t}\n\t\tBIO_free(crlb);\n\t}",
        to: "\tX509 *cert;\n\tint   ncerts = 0;\n\twhile ((cert = PEM_read_bio_X509(crtb, NULL, 0, NULL)) != NULL) {\n\t\tX509_STORE_add_cert(cert_store, cert);\n\t\tX509_free(cert); // X509_STORE_add_cert takes a reference\n\t\tncerts++;\n\t}\n\tBIO_free(crtb);\n\tERR_clear_error(); // the read that ended the loop found no more\n\tif (ncerts == 0) {\n\t\tX509_STORE_free(cert_store);\n\t\treturn (NNG_ECRYPTO);\n\t}\n\n\tif (crl != NULL) {\n\t\tBIO      *crlb = BIO_new_mem_buf(crl, -1);\n\t\tX509_CRL *xcrl = PEM_read_bio_X509_CRL(crlb, NULL, NULL, NULL);\n\t\tBIO_free(crlb);\n\t\tif (xcrl == NULL) {\n\t\t\tERR_clear_error();\n\t\t\tX509_STORE_free(cert_store);\n\t\t\treturn (NNG_ECRYPTO);\n\t\t}\n\t\tX509_STORE_add_crl(cert_store, xcrl);\n\t\tX509_CRL_free(xcrl); // X509_STORE_add_crl takes a reference\n\t\tX509_STORE_set_flags(cert_store, X509_V_FLAG_CRL_CHECK);\n\t}",
    },
];

/// Fixes that let nng 2.0.0's Windows platform build against MinGW-w64's
/// default C runtime, msvcrt.dll, which `x86_64-pc-windows-gnu` links (Rust's
/// std included). Applied in every build: the files are used only on Windows.
const WINDOWS_FIXES: &[Fix] = &[
    // nng reads the wall clock with C11's timespec_get, which only the
    // Universal C Runtime has; with msvcrt its CMake check fails and stops
    // the build ("Modern Windows API support is missing"). The clock is read
    // from the Win32 API instead (available since Windows 2000, so on every
    // Windows nng supports), and the check is no longer required.
    Fix {
        name: "windows-msvcrt-clock",
        file: "src/platform/windows/CMakeLists.txt",
        from: "if (NOT NNG_HAVE_CONDVAR OR NOT NNG_HAVE_SNPRINTF OR NOT NNG_HAVE_TIMESPEC_GET)",
        to: "if (NOT NNG_HAVE_CONDVAR OR NOT NNG_HAVE_SNPRINTF)",
    },
    Fix {
        name: "windows-msvcrt-clock",
        file: "src/platform/windows/win_clock.c",
        from: "\tstruct timespec ts;\n\
              \tif (timespec_get(&ts, TIME_UTC) == TIME_UTC) {\n\
              \t\t*seconds     = ts.tv_sec;\n\
              \t\t*nanoseconds = ts.tv_nsec;\n\
              \t\treturn (0);\n\
              \t}\n\
              \treturn (nni_win_error(GetLastError()));\n",
        to: "\t// 100 ns units since 1601-01-01 UTC; the UNIX epoch is\n\
            \t// 11644473600 seconds later.\n\
            \tFILETIME       ft;\n\
            \tULARGE_INTEGER t;\n\
            \tGetSystemTimeAsFileTime(&ft);\n\
            \tt.LowPart  = ft.dwLowDateTime;\n\
            \tt.HighPart = ft.dwHighDateTime;\n\
            \tt.QuadPart -= 116444736000000000ULL;\n\
            \t*seconds     = t.QuadPart / 10000000;\n\
            \t*nanoseconds = (uint32_t) (t.QuadPart % 10000000) * 100;\n\
            \treturn (0);\n",
    },
    // mbedTLS's PSA crypto (TLS 1.3) is shared by nng's threads, so nng-sys
    // builds mbedTLS with MBEDTLS_THREADING_C; Windows has no pthreads, so
    // there it is MBEDTLS_THREADING_ALT (build/mbedtls-alt/threading_alt.h),
    // whose functions must be installed before mbedTLS is first used and
    // removed after it is last used: at the mbed engine's init and fini.
    Fix {
        name: "windows-mbedtls-threading",
        file: "src/supplemental/tls/mbedtls/mbedtls.c",
        from: "static nng_err\ntls_engine_init(void)\n{\n\tint rv;\n\n",
        to: "#if defined(MBEDTLS_THREADING_ALT) && defined(_WIN32)\n\
            #include <mbedtls/threading.h>\n\
            \n\
            // mbedTLS's mutexes on Windows: slim reader/writer locks.\n\
            static void\n\
            win_mbed_mutex_init(mbedtls_threading_mutex_t *m)\n\
            {\n\
            \tInitializeSRWLock((PSRWLOCK) &m->lock);\n\
            \tm->valid = 1;\n\
            }\n\
            \n\
            static void\n\
            win_mbed_mutex_free(mbedtls_threading_mutex_t *m)\n\
            {\n\
            \tm->valid = 0;\n\
            }\n\
            \n\
            static int\n\
            win_mbed_mutex_lock(mbedtls_threading_mutex_t *m)\n\
            {\n\
            \tif (m == NULL || !m->valid) {\n\
            \t\treturn (MBEDTLS_ERR_THREADING_BAD_INPUT_DATA);\n\
            \t}\n\
            \tAcquireSRWLockExclusive((PSRWLOCK) &m->lock);\n\
            \treturn (0);\n\
            }\n\
            \n\
            static int\n\
            win_mbed_mutex_unlock(mbedtls_threading_mutex_t *m)\n\
            {\n\
            \tif (m == NULL || !m->valid) {\n\
            \t\treturn (MBEDTLS_ERR_THREADING_BAD_INPUT_DATA);\n\
            \t}\n\
            \tReleaseSRWLockExclusive((PSRWLOCK) &m->lock);\n\
            \treturn (0);\n\
            }\n\
            #endif\n\
            \n\
            static nng_err\n\
            tls_engine_init(void)\n\
            {\n\
            \tint rv;\n\
            \n\
            #if defined(MBEDTLS_THREADING_ALT) && defined(_WIN32)\n\
            \tmbedtls_threading_set_alt(win_mbed_mutex_init, win_mbed_mutex_free,\n\
            \t    win_mbed_mutex_lock, win_mbed_mutex_unlock);\n\
            #endif\n\n",
    },
    Fix {
        name: "windows-mbedtls-threading",
        file: "src/supplemental/tls/mbedtls/mbedtls.c",
        from: "\tmbedtls_ssl_cookie_free(&mbed_ssl_cookie_ctx);\n\
              #ifdef MBEDTLS_PSA_CRYPTO_C\n\
              \tmbedtls_psa_crypto_free();\n\
              #endif\n\
              }\n",
        to: "\tmbedtls_ssl_cookie_free(&mbed_ssl_cookie_ctx);\n\
            #ifdef MBEDTLS_PSA_CRYPTO_C\n\
            \tmbedtls_psa_crypto_free();\n\
            #endif\n\
            #if defined(MBEDTLS_THREADING_ALT) && defined(_WIN32)\n\
            \tmbedtls_threading_free_alt();\n\
            #endif\n\
            }\n",
    },
];

/// The cfg that announces a fix adding functions.
fn fix_cfg(name: &str) -> String {
    format!("nng_sys_fix_{}", name.replace('-', "_"))
}

/// Declares the cfgs of [`ADDS_FUNCTIONS`] for every kind of build (a docs-only
/// or system-nng build sets none of them, and must not be warned about them).
pub fn declare_cfgs() {
    for name in ADDS_FUNCTIONS {
        println!("cargo::rustc-check-cfg=cfg({})", fix_cfg(name));
    }
}

/// Copies `src` to `OUT_DIR/nng-src`, applies [`FIXES`], and returns the copy.
pub fn apply(src: &Path, out_dir: &Path) -> PathBuf {
    let dst = out_dir.join("nng-src");
    println!("cargo:rerun-if-env-changed=NNG_SYS_SKIP_FIXES");
    let skip = env::var("NNG_SYS_SKIP_FIXES").unwrap_or_default();
    let mut skip: Vec<&str> = skip.split(',').map(str::trim).collect();
    // A fix whose prerequisite is skipped cannot be applied either.
    for (fix, needs) in NEEDS {
        if skip.contains(needs) && !skip.contains(fix) {
            println!("cargo:warning=nng-sys: skipping the fix {fix}: it needs {needs}");
            skip.push(fix);
        }
    }
    for name in skip.iter().filter(|n| !n.is_empty()) {
        if !FIXES.iter().any(|f| f.name == *name) {
            println!("cargo:warning=nng-sys: NNG_SYS_SKIP_FIXES names no fix {name:?}");
        }
    }
    let done = (|| -> io::Result<()> {
        if dst.exists() {
            fs::remove_dir_all(&dst)?;
        }
        copy_tree(src, &dst)?;
        for fix in FIXES
            .iter()
            .chain(OPENSSL_ENGINE_FIXES)
            .chain(WINDOWS_FIXES)
        {
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
        // Fixes that add functions are announced to the crate, which
        // declares them only when they were built.
        for name in ADDS_FUNCTIONS {
            let cfg = fix_cfg(name);
            if !skip.contains(name) {
                println!("cargo:rustc-cfg={cfg}");
            }
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
