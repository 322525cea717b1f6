//! The Rust nngcat (`examples/nngcat`) against C nngcat built from the same
//! nng 2.0 source (feature `tools`): the same command line must give the same
//! bytes on stdout, the same message on stderr and the same exit status.

#[path = "peers/support.rs"]
mod support;

use nng::options::SendTimeout;
use nng::{Protocol, Socket};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use support::{Output, Proc, CHILD_LIMIT};

/// Runs one program with `args` (stdin fed `stdin`) to completion.
fn run(prog: PathBuf, args: &[String], stdin: Option<Vec<u8>>) -> Output {
    let mut c = Command::new(prog);
    c.args(args);
    Proc::spawn("nngcat", c, stdin).wait(CHILD_LIMIT)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Asserts both tools behave the same on `args`; returns C's output.
fn same(args: &[String], stdin: Option<Vec<u8>>) -> Output {
    let c = run(support::c_nngcat(), args, stdin.clone());
    let r = run(support::rust_nngcat(), args, stdin);
    assert!(
        c.status.is_some(),
        "C nngcat {args:?} did not finish: {}",
        c.describe()
    );
    assert_eq!(
        (c.code(), &c.stdout, &c.stderr),
        (r.code(), &r.stdout, &r.stderr),
        "C and Rust nngcat differ on {args:?}:\n  C:    {}\n  Rust: {}",
        c.describe(),
        r.describe()
    );
    c
}

/// Command lines that end before any message moves: help, version, every
/// option syntax, and every usage error, in C nngcat's order of checks.
const CASES: &[&[&str]] = &[
    &["--help"],
    &["-h"],
    &["--he"],
    &["--version"],
    &["-V"],
    &[],
    &["--re"],
    &["--"],
    &["--p"],
    &["--foo"],
    &["--req=1"],
    &["-vx"],
    &["-y"],
    &["--req", "--dial"],
    &["-D"],
    &["--req", "--rep"],
    &["--req0", "--sub"],
    &["--req", "--dial", "tcp://127.0.0.1:1"],
    &["--req", "word", "--dial", "tcp://127.0.0.1:1"],
    &["--req", "-", "--dial", "tcp://127.0.0.1:1"],
    &["-x", "/tmp/nngcat-none"],
    &["--count=xyz", "--pair0", "-x", "/tmp/nngcat-none"],
    &["--count=", "--req"],
    &["--count=2147483648", "--req"],
    &["--count", "2147483647", "--req"],
    &["-C", "-1", "--req"],
    &["-L", "65537"],
    &["-L65536", "--rep"],
    &["--bind-local=99999"],
    &["--delay", "86401"],
    &["--interval:86401"],
    &["--recv-timeout", "1x"],
    &["--send-timeout", "100000"],
    &["-Z", "2147483648"],
    &["--compat", "--pair1", "-x", "/tmp/nngcat-none"],
    &["--comp", "--pair1", "-x", "/tmp/nngcat-none"],
    &["--compat", "--async", "--req", "-x", "/tmp/nngcat-none"],
    &["--compat", "--count=1", "--pair0", "-x", "/tmp/nngcat-none"],
    &["--req0", "-x", "/tmp/nngcat-none", "--subscribe=oops"],
    &["--req0", "-x", "/tmp/nngcat-none", "--subscribe:oops"],
    &["--req0", "-x", "/tmp/nngcat-none", "--subs", "oops"],
    &["--interval", "1", "--pull", "-x", "/tmp/nngcat-none"],
    &[
        "--async",
        "--file=/nosuchfilehere",
        "--push0",
        "-x",
        "/tmp/nngcat-none",
    ],
    &["--file=/", "--push0"],
    &["--push", "-x", "/tmp/nngcat-none"],
    &["--pub", "-x", "/tmp/nngcat-none", "-D", "a", "--ascii"],
    &[
        "--push",
        "-x",
        "/tmp/nngcat-none",
        "-D",
        "a",
        "--format",
        "no",
    ],
    &["--req", "-x", "/tmp/nngcat-none"],
    &["--surv", "-x", "/tmp/nngcat-none"],
    &["--pull", "-D", "x", "-x", "/tmp/nngcat-none"],
    &["--sub", "-D", "x", "-x", "/tmp/nngcat-none"],
    &["--rep", "-i", "1", "-x", "/tmp/nngcat-none"],
    &["--respondent", "-i", "1", "-x", "/tmp/nngcat-none"],
    &["--bus", "-i", "1", "-x", "/tmp/nngcat-none"],
    &["--pair0", "-i", "1", "-x", "/tmp/nngcat-none"],
    &["--format=foo"],
    &["--format", "hex", "--raw"],
    &["--hex", "--raw"],
    &["-A", "-Q"],
    &["--msgpack", "--format=no"],
    &["-D", "a", "-F", "b"],
    &["-F", "/nosuchfilehere"],
    &["--psk", "0"],
    &["--psk", "zz"],
    &["--psk", ""],
    &["--psk", "00", "--dial", "x"],
    &["--psk-identity", "me", "--dial", "x"],
    &["--psk", "00", "--psk", "11"],
    &["--psk-identity", "a", "--psk-identity", "b"],
    &["--pass", "a", "--pass", "b"],
    &["--cert", "/nosuchfilehere"],
    &["-E", "/nosuchfilehere"],
    &["--key", "/nosuchfilehere"],
    &["--cacert", "/nosuchfilehere"],
    &[
        "--socket-name",
        "x",
        "--pull",
        "-D",
        "x",
        "-x",
        "/tmp/nngcat-none",
    ],
    &["--req", "--dial", "foo://bar", "-D", "x"],
    &["--req", "--dial", "tcp://127.0.0.1:1", "-D", "x"],
    &["--req", "-l", "1", "-D", "x"],
    &["--rep", "--listen", "tcp://127.0.0.1:99999"],
    &["--rep", "--listen", "tcp://300.0.0.1:1"],
    &[
        "--sub",
        "--dial",
        "tcp://127.0.0.1:1",
        "--subscribe",
        "a",
        "--subscribe",
        "b",
    ],
    &["--sub", "--dial", "tcp://127.0.0.1:1", "-v", "-q"],
    // runtime errors: a send that cannot complete, a receive that times out
    &[
        "--push",
        "--async",
        "--dial",
        "tcp://127.0.0.1:1",
        "--send-timeout",
        "1",
        "-D",
        "x",
    ],
    &[
        "--req",
        "--async",
        "--dial",
        "tcp://127.0.0.1:1",
        "--send-timeout",
        "1",
        "-D",
        "x",
    ],
    &[
        "--pull",
        "--async",
        "--dial",
        "tcp://127.0.0.1:1",
        "--recv-timeout",
        "1",
    ],
];

#[test]
fn same_output_and_status_for_usage_and_errors() {
    for case in CASES {
        same(&strings(case), None);
    }
}

#[test]
fn help_and_version() {
    let help = same(&strings(&["--help"]), None);
    assert_eq!(help.code(), Some(1));
    assert!(help.stdout.starts_with(b"Usage: nngcat <proto> <addr>..."));
    let version = same(&strings(&["--version"]), None);
    assert_eq!(version.code(), Some(0));
    assert_eq!(version.stdout, b"2.0.0\n");
}

/// Messages that exercise every byte and each msgpack length class.
fn messages() -> Vec<Vec<u8>> {
    vec![
        (0..=255u8).collect(),
        Vec::new(),
        b"hello \"world\"\n\r\t\\ ~".to_vec(),
        vec![b'a'; 255],
        vec![0x80; 300],
        (0..70_000u32).map(|i| (i % 251) as u8).collect(),
    ]
}

/// Starts `prog` as a PULL listener with `fmt`, feeds it `messages()` from a
/// Rust PUSH socket, and returns what it printed.
fn receive(prog: PathBuf, fmt: &[&str]) -> Output {
    let url = support::url("tcp");
    let msgs = messages();
    let mut args = strings(&["--pull0", "--listen", &url, "--recv-timeout", "10"]);
    args.extend(strings(fmt));
    args.extend(strings(&["--count", &msgs.len().to_string()]));
    let mut c = Command::new(prog);
    c.args(&args);
    let p = Proc::spawn("nngcat", c, None);
    assert!(
        support::wait_listening(&url),
        "nngcat did not listen at {url}"
    );
    let push = Socket::new(Protocol::Push0).unwrap();
    push.set_opt::<SendTimeout>(Some(Duration::from_secs(10)))
        .unwrap();
    push.dial(&url).unwrap();
    for m in &msgs {
        push.send(m).unwrap();
    }
    let out = p.wait(CHILD_LIMIT);
    drop(push);
    out
}

#[test]
fn same_bytes_for_every_output_format() {
    let formats: &[&[&str]] = &[
        &["--ascii"],
        &["-A"],
        &["--quoted"],
        &["-Q"],
        &["--hex"],
        &["--msgpack"],
        &["--raw"],
        &["--format", "no"],
        &["--format=ascii"],
        &["--format:quoted"],
        &["--format", "hex"],
        &["--format", "msgpack"],
        &["--format", "raw"],
        &[], // default: print nothing
    ];
    let jobs: Vec<Box<dyn FnOnce() -> (Output, Output) + Send>> = formats
        .iter()
        .map(|f| {
            Box::new(move || {
                (
                    receive(support::c_nngcat(), f),
                    receive(support::rust_nngcat(), f),
                )
            }) as Box<dyn FnOnce() -> _ + Send>
        })
        .collect();
    for (f, (c, r)) in formats.iter().zip(support::run_parallel(4, jobs)) {
        assert_eq!(c.code(), Some(0), "C nngcat {f:?}: {}", c.describe());
        assert_eq!(r.code(), Some(0), "Rust nngcat {f:?}: {}", r.describe());
        assert!(
            c.stdout == r.stdout,
            "format {f:?}: stdout differs (C {} bytes, Rust {} bytes)",
            c.stdout.len(),
            r.stdout.len()
        );
    }
}

/// Runs `prog` as a PUSH dialer with `src` args and returns what a Rust PULL
/// listener got, plus the tool's output.
fn send_from(prog: PathBuf, src: &[&str], stdin: Option<Vec<u8>>) -> (Vec<u8>, Output) {
    let pull = Socket::new(Protocol::Pull0).unwrap();
    pull.set_opt::<nng::options::RecvTimeout>(Some(Duration::from_secs(10)))
        .unwrap();
    let l = pull.listener("tcp://127.0.0.1:0").unwrap();
    l.start().unwrap();
    let url = format!("tcp://127.0.0.1:{}", l.port().unwrap());
    let mut args = strings(&["--push0", "--dial", &url]);
    args.extend(strings(src));
    let mut c = Command::new(prog);
    c.args(&args);
    let p = Proc::spawn("nngcat", c, stdin);
    let got = pull
        .recv()
        .map(|m| m.as_slice().to_vec())
        .unwrap_or_default();
    (got, p.wait(CHILD_LIMIT))
}

#[test]
fn same_message_from_data_file_and_stdin() {
    let body: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let file = std::env::temp_dir().join(format!("nngcat-cli-{}.bin", std::process::id()));
    std::fs::write(&file, &body).unwrap();
    let path = file.display().to_string();
    // (source options, standard input, the message expected)
    type Case<'a> = (Vec<&'a str>, Option<Vec<u8>>, Vec<u8>);
    let cases: Vec<Case> = vec![
        (vec!["--data", "hello world"], None, b"hello world".to_vec()),
        (vec!["-Dhello"], None, b"hello".to_vec()),
        (vec!["--file", &path], None, body.clone()),
        (vec!["-F", "-"], Some(body.clone()), body.clone()),
        (
            vec!["--file=-"],
            Some(b"hello world\n".to_vec()),
            b"hello world\n".to_vec(),
        ),
    ];
    for (src, stdin, want) in cases {
        for prog in [support::c_nngcat(), support::rust_nngcat()] {
            let (got, out) = send_from(prog.clone(), &src, stdin.clone());
            assert_eq!(
                out.code(),
                Some(0),
                "{} {src:?}: {}",
                prog.display(),
                out.describe()
            );
            assert!(
                got == want,
                "{} {src:?}: sent {} bytes, expected {}",
                prog.display(),
                got.len(),
                want.len()
            );
        }
    }
    let _ = std::fs::remove_file(file);
}

/// `--verbose` prints where it listens; a receive timeout on REP is an error.
#[test]
fn same_verbose_and_timeout_behaviour() {
    let port = support::free_port().to_string();
    let out = same(
        &strings(&[
            "--pull",
            "-L",
            &port,
            "-v",
            "--recv-timeout",
            "1",
            "--quoted",
        ]),
        None,
    );
    assert_eq!(out.code(), Some(0));
    assert_eq!(
        out.stdout,
        format!("Listening at: tcp://127.0.0.1:{port}\n").as_bytes()
    );
    let out = same(
        &strings(&["--rep", "-L", &port, "--data", "x", "--recv-timeout", "1"]),
        None,
    );
    assert_eq!(
        (out.code(), out.stderr.as_slice()),
        (Some(1), &b"Receive error: Timed out\n"[..])
    );
    let out = same(
        &strings(&[
            "--sub",
            "-L",
            &port,
            "--recv-timeout",
            "1",
            "-v",
            "--silent",
        ]),
        None,
    );
    assert_eq!((out.code(), out.stdout.as_slice()), (Some(0), &b""[..]));
}

/// C nngcat 2.0.0 drops `--pair` ("No protocol specified."); the port follows
/// the documentation: PAIR v1, or PAIR v0 with `--compat`.
#[test]
fn pair_alias_selects_pair1_or_pair0_with_compat() {
    for (flags, c_proto) in [
        (&["--pair"][..], "--pair1"),
        (&["--pair", "--compat"][..], "--pair0"),
    ] {
        let url = support::url("tcp");
        let mut args = strings(flags);
        args.extend(strings(&[
            "--listen",
            &url,
            "--data",
            "from-rust",
            "--quoted",
            "--recv-timeout",
            "2",
        ]));
        let mut c = Command::new(support::rust_nngcat());
        c.args(&args);
        let rust = Proc::spawn("rust", c, None);
        assert!(support::wait_listening(&url));
        let mut c = Command::new(support::c_nngcat());
        c.args([
            c_proto,
            "--dial",
            &url,
            "--data",
            "from-c",
            "--quoted",
            "--recv-timeout",
            "2",
        ]);
        let cout = Proc::spawn("c", c, None).wait(CHILD_LIMIT);
        let rout = rust.wait(CHILD_LIMIT);
        assert_eq!(
            (rout.code(), rout.stdout.as_slice()),
            (Some(0), &b"\"from-c\"\n"[..]),
            "{}",
            rout.describe()
        );
        assert_eq!(
            (cout.code(), cout.stdout.as_slice()),
            (Some(0), &b"\"from-rust\"\n"[..]),
            "{}",
            cout.describe()
        );
    }
}

/// TLS option errors surface when the endpoint is configured, with C's words.
#[test]
fn same_tls_configuration_errors() {
    let vendored = |f: &str| {
        support::repo_dir()
            .join("vendor/nng/src/tools/nngcat")
            .join(f)
            .display()
            .to_string()
    };
    let cert = support::peer_file("test_cert.pem");
    let key = support::peer_file("test_key.pem");
    let enc_cert = vendored("nngcat_tls_cert.pem");
    let enc_key = vendored("nngcat_tls_key.pem");
    let cases: Vec<Vec<&str>> = vec![
        // wrong or missing passphrase for an encrypted key
        vec![
            "--rep",
            "--listen",
            "tls+tcp://127.0.0.1:1",
            "--cert",
            &enc_cert,
            "--key",
            &enc_key,
            "--pass",
            "wrong",
        ],
        vec![
            "--rep",
            "--listen",
            "tls+tcp://127.0.0.1:1",
            "--cert",
            &enc_cert,
            "--key",
            &enc_key,
        ],
        // a key where a certificate belongs
        vec![
            "--req",
            "--dial",
            "tls+tcp://127.0.0.1:1",
            "--cacert",
            &key,
            "-D",
            "x",
        ],
        vec![
            "--rep",
            "--listen",
            "tls+tcp://127.0.0.1:1",
            "--cert",
            &key,
            "--key",
            &key,
        ],
        // a certificate without a key in the same file
        vec!["--rep", "--listen", "wss://127.0.0.1:1/x", "-E", &cert],
        // TLS options are ignored on transports without TLS
        vec![
            "--req",
            "--dial",
            "tcp://127.0.0.1:1",
            "-k",
            "--cacert",
            &cert,
            "-D",
            "x",
        ],
        // refused connection after a good configuration
        vec![
            "--req",
            "--dial",
            "tls+tcp://127.0.0.1:1",
            "--cacert",
            &cert,
            "-D",
            "x",
        ],
    ];
    for case in cases {
        let out = same(&strings(&case), None);
        assert_eq!(out.code(), Some(1), "{case:?}: {}", out.describe());
    }
}

/// A PULL listener run by `prog` with `opts`, fed `msgs` by a Rust PUSH;
/// returns what it printed.
fn pull_with(prog: PathBuf, opts: &[&str], msgs: &[Vec<u8>]) -> Output {
    let url = support::url("tcp");
    let mut args = strings(&["--pull0", "--listen", &url]);
    args.extend(strings(opts));
    let mut c = Command::new(prog);
    c.args(&args);
    let p = Proc::spawn("nngcat", c, None);
    assert!(support::wait_listening(&url));
    let push = Socket::new(Protocol::Push0).unwrap();
    push.set_opt::<SendTimeout>(Some(Duration::from_secs(5)))
        .unwrap();
    push.dial_background(&url).unwrap();
    for m in msgs {
        push.send(m).unwrap();
    }
    let out = p.wait(CHILD_LIMIT);
    drop(push);
    out
}

/// `--recv-maxsz`/`-Z`: a larger message is refused (nothing printed), `0`
/// lifts the limit; both tools agree.
#[test]
fn same_recv_maxsz_behaviour() {
    let big = vec![vec![b'z'; 100]];
    for (opts, want) in [
        (
            &["-Z", "50", "--quoted", "--recv-timeout", "2"][..],
            &b""[..],
        ),
        (
            &[
                "--recv-maxsz=0",
                "--quoted",
                "--count",
                "1",
                "--recv-timeout",
                "5",
            ][..],
            &[b'"'; 1][..],
        ),
        (
            &[
                "--recv-maxsz",
                "100",
                "--raw",
                "--count",
                "1",
                "--recv-timeout",
                "5",
            ][..],
            &[b'z'; 100][..],
        ),
    ] {
        let c = pull_with(support::c_nngcat(), opts, &big);
        let r = pull_with(support::rust_nngcat(), opts, &big);
        assert_eq!((c.code(), &c.stdout), (r.code(), &r.stdout), "{opts:?}");
        assert_eq!(c.code(), Some(0), "{opts:?}: {}", c.describe());
        assert!(c.stdout.starts_with(want), "{opts:?}: {}", c.describe());
    }
}

/// `--interval` with `--count` repeats a PUSH; `-v` on a dialer says where it
/// connected. Both tools send the same messages and print the same line.
#[test]
fn same_interval_count_and_verbose_dial() {
    for prog in [support::c_nngcat(), support::rust_nngcat()] {
        let pull = Socket::new(Protocol::Pull0).unwrap();
        pull.set_opt::<nng::options::RecvTimeout>(Some(Duration::from_secs(10)))
            .unwrap();
        let l = pull.listener("tcp://127.0.0.1:0").unwrap();
        l.start().unwrap();
        let port = l.port().unwrap().to_string();
        let mut c = Command::new(&prog);
        c.args([
            "--push", "-l", &port, "-v", "-D", "tick", "-i", "1", "-C", "3",
        ]);
        let p = Proc::spawn("nngcat", c, None);
        for _ in 0..3 {
            assert_eq!(
                pull.recv().unwrap().as_slice(),
                b"tick",
                "{}",
                prog.display()
            );
        }
        let out = p.wait(CHILD_LIMIT);
        assert_eq!(
            out.code(),
            Some(0),
            "{}: {}",
            prog.display(),
            out.describe()
        );
        assert_eq!(
            out.stdout,
            format!("Connected to: tcp://127.0.0.1:{port}\n").as_bytes(),
            "{}",
            prog.display()
        );
    }
}

/// Several addresses on one socket: a PULL listening on tcp and ipc gets a
/// message from a pusher on each.
#[test]
fn multiple_addresses() {
    for prog in [support::c_nngcat(), support::rust_nngcat()] {
        let (tcp, ipc) = (support::url("tcp"), support::url("ipc"));
        let mut c = Command::new(&prog);
        c.args([
            "--pull",
            "--listen",
            &tcp,
            "--bind",
            &ipc,
            "-Q",
            "-C",
            "2",
            "--recv-timeout",
            "10",
        ]);
        let p = Proc::spawn("nngcat", c, None);
        assert!(support::wait_listening(&tcp) && support::wait_listening(&ipc));
        for (url, data) in [(&tcp, "over tcp"), (&ipc, "over ipc")] {
            let push = Socket::new(Protocol::Push0).unwrap();
            push.dial(url).unwrap();
            push.send(data).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = p.wait(CHILD_LIMIT);
        assert_eq!(
            out.code(),
            Some(0),
            "{}: {}",
            prog.display(),
            out.describe()
        );
        assert_eq!(
            out.stdout,
            b"\"over tcp\"\n\"over ipc\"\n",
            "{}",
            prog.display()
        );
    }
}

/// `--async` dials in the background: a requester started before its
/// replier still gets its answer (C nngcat's own async test).
#[test]
fn async_dial_before_listener() {
    for (req, rep) in [
        (support::rust_nngcat(), support::c_nngcat()),
        (support::c_nngcat(), support::rust_nngcat()),
    ] {
        let url = support::url("ipc");
        let mut c = Command::new(&req);
        c.args([
            "--async",
            "-d",
            "1",
            "--connect",
            &url,
            "--req0",
            "-D",
            "ping",
            "-Q",
        ]);
        let rq = Proc::spawn("req", c, None);
        let mut c = Command::new(&rep);
        c.args([
            "--rep0",
            "--recv-timeout=10",
            "--listen",
            &url,
            "-D",
            "pong",
            "--ascii",
            "-C",
            "1",
        ]);
        let rp = Proc::spawn("rep", c, None).wait(CHILD_LIMIT);
        let rq = rq.wait(CHILD_LIMIT);
        assert_eq!(
            (rp.code(), rp.stdout.as_slice()),
            (Some(0), &b"ping"[..]),
            "{}",
            rp.describe()
        );
        assert_eq!(
            (rq.code(), rq.stdout.as_slice()),
            (Some(0), &b"\"pong\"\n"[..]),
            "{}",
            rq.describe()
        );
    }
}

/// C nngcat's own test scripts (`src/tools/nngcat/*_test.sh` in nng), run
/// against the Rust nngcat as their `NNGCAT`: a drop-in must pass them all.
#[test]
fn c_nngcat_test_scripts_pass_with_rust_nngcat() {
    let dir = support::repo_dir().join("vendor/nng/src/tools/nngcat");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run vendor/fetch-nng.sh)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_test.sh"))
        .collect();
    scripts.sort();
    assert!(
        scripts.len() >= 11,
        "expected nng's 11 nngcat test scripts, found {scripts:?}"
    );
    let rust = support::rust_nngcat();
    let jobs: Vec<Box<dyn FnOnce() -> Output + Send>> = scripts
        .iter()
        .map(|script| {
            let (script, rust) = (script.clone(), rust.clone());
            Box::new(move || {
                // The scripts pace themselves with `sleep 1`; on a loaded
                // machine that can be too short, so a failure gets one retry
                // (reported).
                let run = || {
                    // coreutils' timeout kills the script's whole process
                    // group (its background nngcats too) if it hangs.
                    let mut c = Command::new("timeout");
                    c.args(["-k", "5", "30", "bash"]);
                    c.arg(&script).arg(&rust).env("NNGCAT", &rust);
                    Proc::spawn("script", c, None).wait(CHILD_LIMIT)
                };
                let first = run();
                if first.code() == Some(0) {
                    return first;
                }
                println!("RETRY {}: {}", script.display(), first.describe());
                run()
            }) as Box<dyn FnOnce() -> Output + Send>
        })
        .collect();
    let mut failed = Vec::new();
    for (script, out) in scripts.iter().zip(support::run_parallel(4, jobs)) {
        let name = script.file_name().unwrap().to_string_lossy().into_owned();
        if out.code() == Some(0) {
            println!("PASS {name}");
        } else {
            failed.push(format!("{name}: {}", out.describe()));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
