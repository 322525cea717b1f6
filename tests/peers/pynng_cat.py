#!/usr/bin/env python3
"""A small nngcat work-alike on pynng, the interop peer for tests/interop.rs.

It takes the subset of nngcat's command line the tests use, with the same
meaning and the same quoted output format:

  --req0 --rep0 --pub0 --sub0 --push0 --pull0 --pair0 --pair1 --bus0
  --surveyor0 --respondent0
  --dial URL  --listen URL  --async
  --data DATA  --count N  --delay SECS  --interval SECS  --recv-timeout SECS
  --subscribe TOPIC  --quoted
  --cert FILE  --key FILE  --cacert FILE  --insecure

Exit status 0 on success, 1 with a message on stderr on failure.
"""
import os
import sys
import time

import pynng

PROTOS = {
    "req0": pynng.Req0, "rep0": pynng.Rep0, "pub0": pynng.Pub0,
    "sub0": pynng.Sub0, "push0": pynng.Push0, "pull0": pynng.Pull0,
    "pair0": pynng.Pair0, "pair1": pynng.Pair1, "bus0": pynng.Bus0,
    "surveyor0": pynng.Surveyor0, "respondent0": pynng.Respondent0,
}
WITH_ARG = {"dial", "listen", "data", "count", "delay", "interval",
            "recv-timeout", "subscribe", "cert", "key", "cacert"}


def fatal(msg):
    sys.stdout.flush()
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()
    os._exit(1)


def parse(argv):
    opts = {"dial": [], "listen": [], "subscribe": []}
    i = 0
    while i < len(argv):
        word = argv[i]
        if not word.startswith("--"):
            fatal("Option %s is invalid." % word)
        name, sep, value = word[2:].partition("=")
        if name in WITH_ARG:
            if not sep:
                i += 1
                if i >= len(argv):
                    fatal("Option %s requires argument." % word)
                value = argv[i]
            if name in ("dial", "listen", "subscribe"):
                opts[name].append(value)
            else:
                opts[name] = value
        elif name in PROTOS:
            if "proto" in opts:
                fatal("Only one protocol may be specified.")
            opts["proto"] = name
        elif name in ("quoted", "insecure", "async"):
            opts[name] = True
        else:
            fatal("Option %s is invalid." % word)
        i += 1
    return opts


def quoted(body):
    out = ['"']
    for b in body:
        c = chr(b)
        if c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c in '"\\':
            out.append("\\" + c)
        elif 0x20 <= b <= 0x7E:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    out.append('"\n')
    return "".join(out)


class Cat:
    def __init__(self, opts):
        self.o = opts
        self.count = int(opts.get("count", 0))
        self.interval = int(opts["interval"]) if "interval" in opts else None
        self.data = opts["data"].encode() if "data" in opts else None
        rt = opts.get("recv-timeout")
        self.sock = PROTOS[opts["proto"]]()
        if rt is not None:
            self.sock.recv_timeout = int(rt) * 1000
        for t in opts["subscribe"] or ([""] if opts["proto"] == "sub0" else []):
            self.sock.subscribe(t.encode())
        self.tls()
        for url in opts["listen"]:
            self.sock.listen(url)
        for url in opts["dial"]:
            self.sock.dial(url, block=not opts.get("async", False))

    def tls(self):
        o = self.o
        urls = o["listen"] + o["dial"]
        if not any(u.startswith(("tls+tcp", "wss")) for u in urls):
            return
        def read(key):
            with open(o[key]) as f:
                return f.read()
        if o["listen"]:
            cfg = pynng.TLSConfig(
                pynng.TLSConfig.MODE_SERVER,
                own_cert_string=read("cert"), own_key_string=read("key"))
        elif o.get("insecure"):
            cfg = pynng.TLSConfig(
                pynng.TLSConfig.MODE_CLIENT,
                auth_mode=pynng.TLSConfig.AUTH_MODE_NONE)
        else:
            cfg = pynng.TLSConfig(
                pynng.TLSConfig.MODE_CLIENT, server_name="127.0.0.1",
                ca_string=read("cacert"))
        self.sock.tls_config = cfg

    def show(self, body):
        if self.o.get("quoted"):
            sys.stdout.write(quoted(body))
            sys.stdout.flush()

    def recvloop(self):
        n = 0
        while not (self.count and n >= self.count):
            n += 1
            try:
                body = self.sock.recv()
            except (pynng.Timeout, pynng.BadState):
                return
            self.show(body)

    def resploop(self):
        n = 0
        while True:
            try:
                body = self.sock.recv()
            except pynng.NNGException as e:
                fatal("Receive error: %s" % e)
            self.show(body)
            self.sock.send(self.data)
            n += 1
            if self.count and n >= self.count:
                break
        time.sleep(0.2)

    def sendloop(self):
        self.delay()
        n = 0
        while True:
            self.sock.send(self.data)
            n += 1
            if (self.interval is None and not self.count) or (self.count and n >= self.count):
                break
            time.sleep(self.interval or 0)
        time.sleep(0.2)

    def sendrecv(self):
        self.delay()
        n = 0
        while True:
            self.sock.send(self.data)
            self.recvloop() if (self.interval is None and not self.count) else self.drain()
            n += 1
            if (self.interval is None and not self.count) or (self.count and n >= self.count):
                break

    def drain(self):
        end = time.monotonic() + (self.interval or 0)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.sock.recv_timeout = max(1, int(left * 1000))
            try:
                self.show(self.sock.recv())
            except (pynng.Timeout, pynng.BadState):
                return

    def delay(self):
        if self.data is None:
            fatal("No data to send (specify with --data or --file)")
        time.sleep(int(self.o.get("delay", 0)))

    def run(self):
        p = self.o["proto"]
        if p in ("sub0", "pull0"):
            self.recvloop()
        elif p in ("rep0", "respondent0"):
            self.resploop() if self.data is not None else self.recvloop()
        elif p in ("push0", "pub0"):
            self.sendloop()
        elif p in ("req0", "surveyor0"):
            self.sendrecv()
        else:
            self.sendrecv() if self.data is not None else self.recvloop()


def main():
    opts = parse(sys.argv[1:])
    if "proto" not in opts:
        fatal("No protocol specified.")
    if not opts["dial"] and not opts["listen"]:
        fatal("No address specified.")
    try:
        cat = Cat(opts)
        cat.run()
    except pynng.NNGException as e:
        fatal("pynng error: %s" % e)
    # Leave without closing: the nng 1.x bundled with pynng can abort in a
    # worker thread while a ws socket closes ("pthread_mutex_lock: Invalid
    # argument"), which would turn a finished exchange into a crash.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
