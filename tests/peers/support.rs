//! Shared helpers of the interop tests: where the peers are, child processes
//! with bounded lifetimes, free loopback addresses.
//!
//! A missing peer is a failure naming `.ci/install-peers.sh`, never a skip.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any one child may run before it is killed.
pub const CHILD_LIMIT: Duration = Duration::from_secs(40);

/// The folder of this repository.
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Rust nngcat (`examples/nngcat`), built by cargo next to the tests.
pub fn rust_nngcat() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples/nngcat
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("examples")
        .join(format!("nngcat{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: build it first with `cargo build --all-features --examples` \
         (plain `cargo test --all-features` builds it)",
        path.display()
    );
    // `cargo test --test <name>` does not rebuild examples: refuse a binary
    // older than its sources rather than test stale code.
    let built = mtime(&path);
    for dir in ["examples/nngcat", "src"] {
        for entry in std::fs::read_dir(repo_dir().join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            assert!(
                mtime(&entry.path()) <= built,
                "{} is older than {}: rebuild with `cargo build --all-features --examples`",
                path.display(),
                entry.path().display()
            );
        }
    }
    path
}

fn mtime(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
}

/// C nngcat built from the vendored nng 2.0 source (feature `tools`).
pub fn c_nngcat() -> PathBuf {
    let path = Path::new(nng::ffi::TOOLS_DIR).join("nngcat");
    assert!(path.is_file(), "C nngcat missing at {}", path.display());
    path
}

/// Debian's nngcat (nng 1.5.2, package nng-utils).
pub fn debian_nngcat() -> PathBuf {
    let path = PathBuf::from("/usr/bin/nngcat");
    assert!(
        path.is_file(),
        "Debian nngcat (/usr/bin/nngcat, package nng-utils) is missing: run .ci/install-peers.sh"
    );
    path
}

/// The Python interpreter that has pynng: `$PYTHON` or `python3`, resolved
/// once to the real executable (`sys.executable`). Shims such as pyenv's take
/// seconds per start when many run at once, which would skew the peers' timing.
pub fn python() -> PathBuf {
    static PY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PY.get_or_init(|| {
        let name = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(&name)
            .args(["-c", "import sys, pynng; print(sys.executable)"])
            .stderr(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string())
            }
            _ => panic!("pynng is missing for {name}: run .ci/install-peers.sh"),
        }
    })
    .clone()
}

/// `python3 tests/peers/pynng_cat.py`; fails if pynng is not importable.
pub fn pynng_cat() -> Command {
    let mut c = Command::new(python());
    c.arg(repo_dir().join("tests/peers/pynng_cat.py"));
    c
}

/// A TLS test file in tests/peers (a self-signed certificate for 127.0.0.1
/// and its key).
pub fn peer_file(name: &str) -> String {
    if let Some(generated) = generated_tls_file(name) {
        return generated;
    }
    repo_dir()
        .join("tests/peers")
        .join(name)
        .display()
        .to_string()
}

/// `test_cert.pem` / `test_key.pem`: a self-signed certificate for the name
/// `127.0.0.1` (as a DNS name, which mbedTLS checks a server name against, and
/// as an IP address, which OpenSSL checks an address against) and
/// `localhost`, generated once per
/// test process with rcgen. No key material is committed.
fn generated_tls_file(name: &str) -> Option<String> {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    if name != "test_cert.pem" && name != "test_key.pem" {
        return None;
    }
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("nng-interop-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the certificate folder");
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "127.0.0.1");
        // "127.0.0.1" both as a DNS name (mbedTLS compares the server name
        // with DNS names as text) and as an IP address (OpenSSL checks a
        // server name that is an address against IP entries only).
        params.subject_alt_names = ["127.0.0.1", "localhost"]
            .iter()
            .map(|n| rcgen::SanType::DnsName((*n).try_into().expect("a DNS name")))
            .chain([rcgen::SanType::IpAddress(
                std::net::Ipv4Addr::LOCALHOST.into(),
            )])
            .collect();
        let key = rcgen::KeyPair::generate().expect("generating a key");
        let cert = params.self_signed(&key).expect("self-signing");
        std::fs::write(dir.join("test_cert.pem"), cert.pem()).expect("writing the certificate");
        std::fs::write(dir.join("test_key.pem"), key.serialize_pem()).expect("writing the key");
        dir
    });
    Some(dir.join(name).display().to_string())
}

/// A loopback TCP port that is free now and was not handed out before in
/// this process. Ports come from 20000..32768, below Linux's ephemeral range,
/// so outgoing connections (which take ephemeral local ports) never hold
/// them; the start is derived from the process id so parallel runs differ.
pub fn free_port() -> u16 {
    const LOW: u32 = 20000;
    const SPAN: u32 = 32768 - LOW;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7919) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let port = (LOW + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {LOW}..32768");
}

/// A fresh IPC path (an absolute file name) for this process.
pub fn ipc_path() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "nng-rs-interop-{}-{}.ipc",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&p);
    p.display().to_string()
}

/// A fresh URL of `transport` (tcp, ipc, ws, tls+tcp, wss) on loopback.
pub fn url(transport: &str) -> String {
    match transport {
        "ipc" => format!("ipc://{}", ipc_path()),
        "ws" | "wss" => format!("{transport}://127.0.0.1:{}/nngcat", free_port()),
        _ => format!("{transport}://127.0.0.1:{}", free_port()),
    }
}

/// Waits until something listens at `url` (the TCP port is in LISTEN state,
/// or the IPC socket file exists), up to 10 s.
///
/// On Linux the port's state is read from /proc/net/tcp{,6} rather than by
/// connecting: a probe connection that closes during the SP handshake is
/// itself an event for the peer (nng 1.5.2 listeners were seen to drop or
/// refuse the next real connection right after one).
pub fn wait_listening(url: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let up = if let Some(path) = url.strip_prefix("ipc://") {
            Path::new(path).exists()
        } else {
            let hostport = url.split("://").nth(1).unwrap_or("");
            let hostport = hostport.split('/').next().unwrap_or("");
            let port = hostport.rsplit(':').next().and_then(|p| p.parse().ok());
            match port.and_then(tcp_listening) {
                Some(up) => up,
                None => TcpStream::connect(hostport).is_ok(),
            }
        };
        if up {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Whether a socket is in LISTEN state on `port` per /proc/net/tcp{,6};
/// `None` where those files do not exist.
fn tcp_listening(port: u16) -> Option<bool> {
    let mut found_table = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        found_table = true;
        let listening = text.lines().skip(1).any(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1).unwrap_or("");
            let state = cols.nth(1).unwrap_or("");
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            state == "0A" && local_port == Some(port)
        });
        if listening {
            return Some(true);
        }
    }
    found_table.then_some(false)
}

/// One of the programs the interop tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `examples/nngcat`.
    Rust,
    /// C nngcat from the vendored nng 2.0 source.
    C2,
    /// Debian's nngcat, nng 1.5.2.
    Debian,
    /// `tests/peers/pynng_cat.py` on pynng.
    Pynng,
}

impl Side {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Side::Rust => "rust-nngcat",
            Side::C2 => "c-nngcat-2.0",
            Side::Debian => "debian-nngcat-1.5.2",
            Side::Pynng => "pynng",
        }
    }

    /// A command running it with nngcat-style `args`.
    pub fn command<S: AsRef<std::ffi::OsStr>>(self, args: &[S]) -> Command {
        let mut c = match self {
            Side::Rust => Command::new(rust_nngcat()),
            Side::C2 => Command::new(c_nngcat()),
            Side::Debian => Command::new(debian_nngcat()),
            Side::Pynng => pynng_cat(),
        };
        c.args(args);
        c
    }
}

/// What a finished (or killed) child left.
#[derive(Debug)]
pub struct Output {
    /// `None` if it had to be killed.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    /// The exit code, or `None` if killed or signalled.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// A short description for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "status {:?}, stdout {:?}, stderr {:?}",
            self.status.map(|s| s.to_string()),
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

/// A child process that is killed if still running when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
    out: Option<JoinHandle<Vec<u8>>>,
    err: Option<JoinHandle<Vec<u8>>>,
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        v
    })
}

impl Proc {
    /// Starts `cmd` with stdin closed (or fed `stdin`) and stdout/stderr captured.
    pub fn spawn(name: impl Into<String>, mut cmd: Command, stdin: Option<Vec<u8>>) -> Proc {
        let name = name.into();
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        if let Some(data) = stdin {
            let mut w = child.stdin.take().expect("piped stdin");
            thread::spawn(move || {
                use std::io::Write;
                let _ = w.write_all(&data);
            });
        }
        let out = Some(drain(child.stdout.take().expect("piped stdout")));
        let err = Some(drain(child.stderr.take().expect("piped stderr")));
        Proc {
            name,
            child,
            out,
            err,
        }
    }

    /// Whether the child has exited (std keeps the status for `wait`).
    pub fn finished(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits up to `limit` for the child to exit, killing it after that.
    pub fn wait(mut self, limit: Duration) -> Output {
        let deadline = Instant::now() + limit;
        let mut status = None;
        loop {
            match self.child.try_wait() {
                Ok(Some(s)) => {
                    status = Some(s);
                    break;
                }
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => break,
            }
        }
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.collect(status)
    }

    /// Kills the child now and collects what it wrote.
    pub fn kill(mut self) -> Output {
        let status = match self.child.try_wait() {
            Ok(Some(s)) => Some(s),
            _ => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                None
            }
        };
        self.collect(status)
    }

    fn collect(&mut self, status: Option<ExitStatus>) -> Output {
        Output {
            status,
            stdout: self
                .out
                .take()
                .map(|h| h.join().unwrap_or_default())
                .unwrap_or_default(),
            stderr: self
                .err
                .take()
                .map(|h| h.join().unwrap_or_default())
                .unwrap_or_default(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `jobs` on up to `width` threads and returns their results in order.
pub fn run_parallel<T: Send>(
    width: usize,
    jobs: Vec<Box<dyn FnOnce() -> T + Send + '_>>,
) -> Vec<T> {
    let jobs = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..width {
            s.spawn(|| loop {
                let job = jobs.lock().unwrap().pop();
                let Some((i, job)) = job else { break };
                let r = job();
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
