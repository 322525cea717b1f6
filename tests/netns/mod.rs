//! Network namespaces joined by veth pairs, and services (child processes)
//! running inside them, for the fault tests of `tests/netns_faults.rs`.
//!
//! A [`Link`] is two fresh namespaces, `a` and `b`, joined by one veth pair
//! with addresses `10.X.Y.1` (in `a`) and `10.X.Y.2` (in `b`); nothing is
//! added to the namespace the tests run in. Names carry this process's id
//! (namespaces `nngrs-nf-<pid>-<n>-a|b`, veth ends `nf<pid hex><n hex>a|b`,
//! at most 15 characters), so parallel tests and parallel runs never share
//! one. Dropping the `Link` kills its services and deletes its namespaces
//! (which destroys the veth pair); namespaces left behind by a run that died
//! are swept by the next one ([`sweep_stale`]).
//!
//! A [`Service`] is this test binary started again inside a namespace
//! (`ip netns exec NS <exe> service --exact --ignored`), with the role to
//! play in `NETNS_ROLE`: nng opens its sockets on its own threads, so only a
//! whole process can be moved into a namespace. It reads commands from its
//! stdin, one a line, and reports on stdout in lines starting with `@ `
//! (other lines are the test harness's own and are ignored). Its stderr is
//! forwarded to the test's (captured unless the test fails).
//!
//! Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2's `ip`: without
//! them [`require_capabilities`] fails the test with a message saying so.
#![allow(dead_code)] // each test uses a subset

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// The prefix of every namespace these tests create.
const PREFIX: &str = "nngrs-nf-";

/// The environment variable naming a service's role (unset in the tests).
pub const ROLE_VAR: &str = "NETNS_ROLE";
/// The environment variable holding a service's arguments, space-separated.
pub const ARGS_VAR: &str = "NETNS_ARGS";

/// Serializes `ip netns add` / `del` of this process (the first `ip netns
/// add` on a machine also sets up the `/run/netns` mount).
static IP_LOCK: Mutex<()> = Mutex::new(());

/// Runs `ip ARGS`, panicking with its stderr if it fails.
pub fn ip(args: &[&str]) {
    if let Err(e) = try_ip(args) {
        panic!("{e}");
    }
}

/// Runs `ip ARGS`: `Err` with the command and its stderr if it fails.
pub fn try_ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip {}`: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Fails the test, saying what is missing, unless this process is root and
/// iproute2's `ip` runs and can list namespaces. Then removes namespaces
/// left by earlier runs that died (once per process).
pub fn require_capabilities() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert!(
        euid == 0,
        "the netns fault tests create network namespaces and veth pairs: they need root \
         (CAP_SYS_ADMIN, CAP_NET_ADMIN); this process runs as uid {euid}. Run them as root \
         (CI does), e.g. `sudo -E cargo test --features tools --test netns_faults`"
    );
    match Command::new("ip").args(["netns", "list"]).output() {
        Err(e) => panic!(
            "the netns fault tests need iproute2's `ip` (`ip netns`, veth): cannot run it: {e}. \
             Install it: `bash .ci/install-netns.sh` (Debian package iproute2)"
        ),
        Ok(o) if !o.status.success() => panic!(
            "`ip netns list` failed ({}): {}; the netns fault tests need a working `ip netns`",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Ok(_) => {}
    }
    static SWEEP: Once = Once::new();
    SWEEP.call_once(sweep_stale);
}

/// Deletes the namespaces named with [`PREFIX`] whose owning process (the
/// pid in the name) no longer exists, or is this process (a dead run's pid
/// reused: this runs before this process creates any). Never touches any
/// other namespace.
pub fn sweep_stale() {
    let _g = IP_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            eprintln!("netns: removing stale namespace {name} (pid {pid} is gone)");
            let _ = try_ip(&["netns", "del", name]);
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: the same clock in every process of the
/// machine (no time namespaces here), so services can timestamp events.
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_MONOTONIC)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Two namespaces joined by a veth pair; see the module docs.
pub struct Link {
    /// Namespace names.
    pub ns_a: String,
    pub ns_b: String,
    /// veth end names (`veth_a` lives in `ns_a`).
    pub veth_a: String,
    pub veth_b: String,
    /// The addresses, without prefix length.
    pub addr_a: String,
    pub addr_b: String,
    services: Vec<Option<Service>>,
}

impl Link {
    /// Creates both namespaces, the veth pair between them and its
    /// addresses, and brings everything up (loopback too).
    pub fn new() -> Link {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let (x, y) = ((pid >> 8) % 250 + 1, (pid % 250) as usize ^ (n % 4));
        let link = Link {
            ns_a: format!("{PREFIX}{pid}-{n}-a"),
            ns_b: format!("{PREFIX}{pid}-{n}-b"),
            veth_a: format!("nf{pid:x}{n:x}a"),
            veth_b: format!("nf{pid:x}{n:x}b"),
            addr_a: format!("10.{x}.{y}.1"),
            addr_b: format!("10.{x}.{y}.2"),
            services: Vec::new(),
        };
        assert!(
            link.veth_a.len() <= 15,
            "veth name {} too long",
            link.veth_a
        );
        {
            let _g = IP_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            ip(&["netns", "add", &link.ns_a]);
            ip(&["netns", "add", &link.ns_b]);
        }
        // From here on, Drop deletes the namespaces whatever fails.
        link.create_veth();
        link.up_a();
        link.up_b();
        link
    }

    /// Creates the veth pair with its addresses; brings up `lo` in both
    /// namespaces, not the veth ends.
    fn create_veth(&self) {
        ip(&[
            "link",
            "add",
            &self.veth_a,
            "netns",
            &self.ns_a,
            "type",
            "veth",
            "peer",
            "name",
            &self.veth_b,
            "netns",
            &self.ns_b,
        ]);
        for (ns, dev, addr) in [
            (&self.ns_a, &self.veth_a, &self.addr_a),
            (&self.ns_b, &self.veth_b, &self.addr_b),
        ] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
    }

    /// Brings `veth_a` up.
    pub fn up_a(&self) {
        ip(&["-n", &self.ns_a, "link", "set", &self.veth_a, "up"]);
    }

    /// Brings `veth_b` up.
    pub fn up_b(&self) {
        ip(&["-n", &self.ns_b, "link", "set", &self.veth_b, "up"]);
    }

    /// Takes the link down: `veth_b` administratively down (its peer loses
    /// carrier). TCP connections across it stay open; packets are dropped.
    pub fn cut(&self) {
        ip(&["-n", &self.ns_b, "link", "set", &self.veth_b, "down"]);
    }

    /// Brings the link back after [`cut`](Self::cut).
    pub fn restore(&self) {
        self.up_b();
    }

    /// Starts `role` in namespace `a` (`in_a`) or `b`; returns its index
    /// for [`svc`](Self::svc).
    pub fn spawn(&mut self, in_a: bool, role: &str, args: &[&str]) -> usize {
        let ns = if in_a { &self.ns_a } else { &self.ns_b };
        let s = Service::start(ns, role, args);
        self.services.push(Some(s));
        self.services.len() - 1
    }

    /// The service [`spawn`](Self::spawn) numbered `i`.
    pub fn svc(&mut self, i: usize) -> &mut Service {
        self.services[i].as_mut().expect("service already killed")
    }

    /// Kills service `i`, deletes namespace `b` (destroying the veth pair),
    /// then creates `b` again with the same name, veth names and addresses;
    /// leaves `veth_a` down (bring it up with [`up_a`](Self::up_a)) and
    /// `veth_b` up.
    pub fn recreate_b(&mut self, i: usize) {
        if let Some(mut s) = self.services[i].take() {
            s.kill();
        }
        {
            let _g = IP_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            ip(&["netns", "del", &self.ns_b]);
        }
        // The kernel dismantles a deleted namespace asynchronously: wait
        // until the old pair's end in `a` is gone before reusing its name.
        let deadline = Instant::now() + Duration::from_secs(10);
        while try_ip(&["-n", &self.ns_a, "link", "show", &self.veth_a]).is_ok() {
            assert!(
                Instant::now() < deadline,
                "{} still exists 10 s after deleting {}",
                self.veth_a,
                self.ns_b
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        {
            let _g = IP_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            ip(&["netns", "add", &self.ns_b]);
        }
        self.create_veth();
        self.up_b();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for s in self.services.iter_mut().flatten() {
            s.kill();
        }
        let _g = IP_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        for ns in [&self.ns_a, &self.ns_b] {
            // Gone already if creating it failed.
            let _ = try_ip(&["netns", "del", ns]);
        }
    }
}

/// A child process running a role inside a namespace; see the module docs.
pub struct Service {
    pub name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Lines received but not yet taken by [`expect`](Self::expect).
    pending: Vec<String>,
}

impl Service {
    fn start(ns: &str, role: &str, args: &[&str]) -> Service {
        let exe = std::env::current_exe().expect("current_exe");
        let name = format!("{role}@{ns}");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(&exe)
            .args(["service", "--exact", "--ignored", "--nocapture", "-q"])
            .args(["--test-threads=1"])
            .env(ROLE_VAR, role)
            .env(ARGS_VAR, args.join(" "))
            .env_remove("RUST_TEST_THREADS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let (tx, lines) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(l) = line.strip_prefix("@ ") {
                    if tx.send(l.to_owned()).is_err() {
                        break;
                    }
                }
            }
        });
        let err = child.stderr.take().unwrap();
        let tag = name.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("[{tag}] {line}");
            }
        });
        Service {
            name,
            stdin: child.stdin.take(),
            child,
            lines,
            pending: Vec::new(),
        }
    }

    /// Sends one command line.
    pub fn send(&mut self, cmd: &str) {
        let stdin = self.stdin.as_mut().expect("service stdin");
        writeln!(stdin, "{cmd}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: write {cmd:?}: {e}", self.name));
    }

    /// Waits (at most `limit`) for a report line starting with `prefix`;
    /// returns it (without the prefix) and takes it; other lines stay
    /// pending for [`take_all`](Self::take_all).
    pub fn expect(&mut self, prefix: &str, limit: Duration) -> String {
        let i = self.wait_for(&format!("`{prefix}`"), limit, |l| l.starts_with(prefix));
        let l = self.pending.remove(i);
        l[prefix.len()..].trim_start().to_owned()
    }

    /// Waits (at most `limit`) for a report line satisfying `pred` and
    /// returns a copy, leaving it pending.
    pub fn wait_line(
        &mut self,
        what: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let i = self.wait_for(what, limit, pred);
        self.pending[i].clone()
    }

    /// The index in `pending` of the first line satisfying `pred`, waiting
    /// for it at most `limit`; panics with `what` if none comes.
    fn wait_for(&mut self, what: &str, limit: Duration, pred: impl Fn(&str) -> bool) -> usize {
        let deadline = Instant::now() + limit;
        let mut from = 0;
        loop {
            if let Some(i) = self.pending[from..].iter().position(|l| pred(l)) {
                return from + i;
            }
            from = self.pending.len();
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.pending.push(l),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no {what} report within {limit:?} (last lines: {:?})",
                    self.name,
                    self.pending.iter().rev().take(5).collect::<Vec<_>>()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: exited ({:?}) before reporting {what}",
                    self.name,
                    self.child.try_wait()
                ),
            }
        }
    }

    /// Every report line received so far and not yet taken, in order.
    pub fn take_all(&mut self) -> Vec<String> {
        self.pending.extend(self.lines.try_iter());
        std::mem::take(&mut self.pending)
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The role of this process if it is a service: `(role, args)`.
pub fn role() -> Option<(String, Vec<String>)> {
    let role = std::env::var(ROLE_VAR).ok()?;
    let args = std::env::var(ARGS_VAR).unwrap_or_default();
    Some((role, args.split_whitespace().map(str::to_owned).collect()))
}

/// Writes one report line (`@ ` + `line`) to stdout, flushed.
pub fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "@ {line}");
    let _ = out.flush();
}

/// The service's commands: stdin lines on a channel. When stdin closes (the
/// test ended or died), the process exits.
pub fn commands() -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
        std::process::exit(0);
    });
    rx
}
