//! A fault-injecting TCP proxy on loopback, for tests that need a slow,
//! stalled, reset or refusing link (this kernel has no netem).
//!
//! [`Proxy::start`] listens on `127.0.0.1:0` and forwards each accepted
//! connection to one upstream address. Its controls take effect while it
//! runs, on the connections already open and on new ones:
//!
//! - [`set_latency`](Proxy::set_latency): each chunk read in a direction is
//!   written no earlier than that long after it was read (reading goes on
//!   meanwhile, so chunks in flight are delayed together, as on a long link);
//! - [`set_bandwidth`](Proxy::set_bandwidth): at most that many bytes per
//!   second in each direction of each connection (the proxy sleeps
//!   `len / rate` before writing each slice, so a transfer of `n` bytes takes
//!   at least `n / rate` seconds);
//! - [`stall`](Proxy::stall) / [`resume`](Proxy::resume): stop forwarding
//!   (nothing more is read or written; connections stay open; the chunk in
//!   hand is held, not dropped) and go on again;
//! - [`reset_all`](Proxy::reset_all): abort every open connection with a TCP
//!   RST on both sides (`SO_LINGER` 0, then close);
//! - [`refuse`](Proxy::refuse) / [`admit`](Proxy::admit): close the listening
//!   socket, so connection attempts get `ECONNREFUSED`, and listen again on
//!   the same port.
//!
//! Bounded: [`BUFFERS`] buffers of 16 KiB per direction of a connection
//! (passed between its reader and writer thread and back), at most
//! [`MAX_CONNS`] open connections (more are closed at once), four threads per
//! connection plus one acceptor, all joined by
//! [`reset_all`](Proxy::reset_all) or on drop.
//! Blocking calls wake every [`TICK`] to see the controls, so a drop or a
//! reset returns within a few ticks.
#![allow(dead_code)] // each test file uses a subset

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most connections open at once; further ones are closed on accept.
pub const MAX_CONNS: usize = 16;
/// Bytes read at a time.
const CHUNK: usize = 16 * 1024;
/// Chunks that may be in flight (read, not yet written) per direction.
pub const BUFFERS: usize = 8;
/// How often blocked reads, writes and waits look at the controls.
pub const TICK: Duration = Duration::from_millis(20);

/// A direction through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// From the connecting client to the upstream server.
    Up = 0,
    /// From the upstream server back to the client.
    Down = 1,
}

/// Counters of a proxy, for assertions and printed figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted and forwarded.
    pub accepted: u64,
    /// Connections closed on accept (over [`MAX_CONNS`], or upstream down).
    pub rejected: u64,
    /// Connections aborted by [`Proxy::reset_all`].
    pub reset: u64,
    /// Connections open now.
    pub open: usize,
    /// Bytes read from each side (indexed by [`Dir`]), forwarded or held.
    pub read: [u64; 2],
    /// Bytes written on to the other side (indexed by [`Dir`]).
    pub written: [u64; 2],
}

struct Shared {
    upstream: SocketAddr,
    addr: SocketAddr,
    listener: Mutex<Option<TcpListener>>,
    conns: Mutex<Vec<ConnEntry>>,
    latency_us: [AtomicU64; 2],
    /// Bytes per second in each direction of each connection; 0: unlimited.
    bandwidth: AtomicU64,
    stalled: AtomicBool,
    stop: AtomicBool,
    accepted: AtomicU64,
    rejected: AtomicU64,
    reset: AtomicU64,
    read: [AtomicU64; 2],
    written: [AtomicU64; 2],
}

/// One forwarded connection: the accepted client side and the upstream side.
struct Conn {
    client: TcpStream,
    server: TcpStream,
    /// Set to make its threads give up (reset, a peer's error, or the drop).
    dead: AtomicBool,
}

struct ConnEntry {
    conn: Arc<Conn>,
    /// A reader and a writer per direction.
    threads: Vec<JoinHandle<()>>,
}

/// A chunk read, on its way to the writer; `len == 0` is the end of stream.
struct Chunk {
    buf: Box<[u8]>,
    len: usize,
    read_at: Instant,
}

/// A fault-injecting TCP proxy (see the [module docs](self)).
pub struct Proxy {
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `upstream`.
    pub fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy: bind");
        listener.set_nonblocking(true).expect("proxy: nonblocking");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            addr,
            listener: Mutex::new(Some(listener)),
            conns: Mutex::new(Vec::new()),
            latency_us: Default::default(),
            bandwidth: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            reset: AtomicU64::new(0),
            read: Default::default(),
            written: Default::default(),
        });
        let sh = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("proxy-accept".into())
            .spawn(move || accept_loop(&sh))
            .expect("proxy: spawn acceptor");
        Proxy {
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Adds `d` to every chunk forwarded in direction `dir`.
    pub fn set_latency(&self, dir: Dir, d: Duration) {
        self.shared.latency_us[dir as usize].store(d.as_micros() as u64, Ordering::SeqCst);
    }

    /// Adds `d` in both directions (a round trip gains `2 * d`).
    pub fn set_latency_both(&self, d: Duration) {
        self.set_latency(Dir::Up, d);
        self.set_latency(Dir::Down, d);
    }

    /// Limits each direction of each connection to `bytes_per_sec`
    /// (`None`: unlimited).
    pub fn set_bandwidth(&self, bytes_per_sec: Option<u64>) {
        let v = bytes_per_sec.map_or(0, |b| b.max(1));
        self.shared.bandwidth.store(v, Ordering::SeqCst);
    }

    /// Stops forwarding, keeping the connections open, until
    /// [`resume`](Self::resume).
    pub fn stall(&self) {
        self.shared.stalled.store(true, Ordering::SeqCst);
    }

    /// Forwards again after [`stall`](Self::stall), starting with what was held.
    pub fn resume(&self) {
        self.shared.stalled.store(false, Ordering::SeqCst);
    }

    /// Aborts every open connection with an RST to both sides; returns how
    /// many. When it returns, the sockets are closed and their threads joined.
    pub fn reset_all(&self) -> usize {
        let entries = std::mem::take(&mut *lock(&self.shared.conns));
        for e in &entries {
            for s in [&e.conn.client, &e.conn.server] {
                set_linger_zero(s).expect("proxy: SO_LINGER 0");
            }
            e.conn.dead.store(true, Ordering::SeqCst);
        }
        let n = entries.len();
        for e in entries {
            join_threads(e);
        }
        self.shared.reset.fetch_add(n as u64, Ordering::SeqCst);
        n
    }

    /// Closes the listening socket: connection attempts are refused
    /// (`ECONNREFUSED`) until [`admit`](Self::admit). Open connections stay.
    pub fn refuse(&self) {
        drop(lock(&self.shared.listener).take());
    }

    /// Listens again, on the same port, after [`refuse`](Self::refuse).
    /// Panics if the port cannot be bound again within 2 s.
    pub fn admit(&self) {
        let mut l = lock(&self.shared.listener);
        if l.is_some() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        let bound = loop {
            // std sets SO_REUSEADDR before binding on Unix.
            match TcpListener::bind(self.shared.addr) {
                Ok(b) => break b,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("proxy: listen again on {}: {e}", self.shared.addr),
            }
        };
        bound.set_nonblocking(true).expect("proxy: nonblocking");
        *l = Some(bound);
    }

    /// The proxy's counters now.
    pub fn stats(&self) -> ProxyStats {
        let sh = &self.shared;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        ProxyStats {
            accepted: get(&sh.accepted),
            rejected: get(&sh.rejected),
            reset: get(&sh.reset),
            open: lock(&sh.conns).len(),
            read: [get(&sh.read[0]), get(&sh.read[1])],
            written: [get(&sh.written[0]), get(&sh.written[1])],
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        for e in std::mem::take(&mut *lock(&self.shared.conns)) {
            join_threads(e);
        }
    }
}

/// Locks `m`, also after a panic elsewhere (the data stay consistent: every
/// critical section is a push, a take or a retain).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn join_threads(e: ConnEntry) {
    e.conn.dead.store(true, Ordering::SeqCst);
    for p in e.threads {
        let _ = p.join();
    }
    // `e.conn` is dropped here, the last reference: both sockets close.
}

/// `SO_LINGER` with a zero timeout: closing `s` then sends an RST.
fn set_linger_zero(s: &TcpStream) -> io::Result<()> {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the descriptor is open for the call (owned by `s`), and the
    // option value is a `linger` of the length passed.
    let rv = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rv == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn accept_loop(sh: &Arc<Shared>) {
    while !sh.stop.load(Ordering::SeqCst) {
        // Join the threads of connections both of whose directions ended.
        let finished: Vec<ConnEntry> = {
            let mut conns = lock(&sh.conns);
            let (done, open): (Vec<_>, Vec<_>) = std::mem::take(&mut *conns)
                .into_iter()
                .partition(|e| e.threads.iter().all(|p| p.is_finished()));
            *conns = open;
            done
        };
        finished.into_iter().for_each(join_threads);
        let accepted = match &*lock(&sh.listener) {
            Some(l) => l.accept().ok(),
            None => None,
        };
        match accepted {
            Some((client, _)) => admit_conn(sh, client),
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

fn admit_conn(sh: &Arc<Shared>, client: TcpStream) {
    let reject = |client: TcpStream| {
        let _ = set_linger_zero(&client);
        sh.rejected.fetch_add(1, Ordering::SeqCst);
    };
    if lock(&sh.conns).len() >= MAX_CONNS {
        return reject(client);
    }
    let Ok(server) = TcpStream::connect_timeout(&sh.upstream, Duration::from_secs(1)) else {
        return reject(client);
    };
    for s in [&client, &server] {
        let ok = s.set_nonblocking(false).is_ok()
            && s.set_nodelay(true).is_ok()
            && s.set_read_timeout(Some(TICK)).is_ok()
            && s.set_write_timeout(Some(TICK)).is_ok();
        assert!(ok, "proxy: configure an accepted connection");
    }
    let conn = Arc::new(Conn {
        client,
        server,
        dead: AtomicBool::new(false),
    });
    let mut threads = Vec::with_capacity(4);
    for dir in [Dir::Up, Dir::Down] {
        let (data_tx, data_rx) = std::sync::mpsc::sync_channel::<Chunk>(BUFFERS);
        let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Box<[u8]>>(BUFFERS);
        for _ in 0..BUFFERS {
            free_tx.send(vec![0; CHUNK].into_boxed_slice()).unwrap();
        }
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .expect("proxy: spawn")
        };
        let (s, c) = (sh.clone(), conn.clone());
        threads.push(spawn(
            format!("proxy-read-{dir:?}"),
            Box::new(move || read_side(&s, &c, dir, &free_rx, &data_tx)),
        ));
        let (s, c) = (sh.clone(), conn.clone());
        threads.push(spawn(
            format!("proxy-write-{dir:?}"),
            Box::new(move || write_side(&s, &c, dir, &data_rx, &free_tx)),
        ));
    }
    lock(&sh.conns).push(ConnEntry { conn, threads });
    sh.accepted.fetch_add(1, Ordering::SeqCst);
}

/// Timeouts of the sockets' `TICK`-long blocking calls, and signals.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Why forwarding gave up.
struct GiveUp;

/// The sockets of `dir`: (read from, write to).
fn sides(conn: &Conn, dir: Dir) -> (&TcpStream, &TcpStream) {
    match dir {
        Dir::Up => (&conn.client, &conn.server),
        Dir::Down => (&conn.server, &conn.client),
    }
}

/// Aborts `conn`: both sockets send an RST when closed, and every thread of
/// the connection gives up.
fn abort(conn: &Conn) {
    for s in [&conn.client, &conn.server] {
        let _ = set_linger_zero(s);
    }
    conn.dead.store(true, Ordering::SeqCst);
}

/// Reads direction `dir` of `conn` into free buffers, passing each chunk
/// with the time it was read to the writer, until end of stream (passed on
/// as an empty chunk), an error (the connection is aborted: a peer's RST
/// reaches the other peer as one), a reset or the proxy's drop.
fn read_side(
    sh: &Shared,
    conn: &Conn,
    dir: Dir,
    free: &Receiver<Box<[u8]>>,
    data: &SyncSender<Chunk>,
) {
    let mut from = sides(conn, dir).0;
    while live(sh, conn).is_ok() {
        let mut buf = match free.recv_timeout(TICK) {
            Ok(b) => b,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let len = loop {
            if live(sh, conn).is_err() {
                return;
            }
            match from.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if transient(&e) => {}
                Err(_) => return abort(conn),
            }
        };
        sh.read[dir as usize].fetch_add(len as u64, Ordering::SeqCst);
        let read_at = Instant::now();
        // Never blocks: there are only BUFFERS buffers.
        if data.send(Chunk { buf, len, read_at }).is_err() || len == 0 {
            return;
        }
    }
}

/// Writes the chunks of direction `dir` of `conn`, each after its latency,
/// while not stalled and within the bandwidth, returning the buffers; passes
/// the end of stream on as a FIN (the other direction goes on).
fn write_side(
    sh: &Shared,
    conn: &Conn,
    dir: Dir,
    data: &Receiver<Chunk>,
    free: &SyncSender<Box<[u8]>>,
) {
    let to = sides(conn, dir).1;
    while live(sh, conn).is_ok() {
        let chunk = match data.recv_timeout(TICK) {
            Ok(c) => c,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if chunk.len == 0 {
            let _ = to.shutdown(Shutdown::Write);
            return;
        }
        if forward(sh, conn, dir, to, &chunk.buf[..chunk.len], chunk.read_at).is_err() {
            if live(sh, conn).is_ok() {
                abort(conn); // the write failed
            }
            return;
        }
        let _ = free.send(chunk.buf);
    }
}

fn live(sh: &Shared, conn: &Conn) -> Result<(), GiveUp> {
    if conn.dead.load(Ordering::SeqCst) || sh.stop.load(Ordering::SeqCst) {
        Err(GiveUp)
    } else {
        Ok(())
    }
}

/// Sleeps until `until`, waking every [`TICK`] to see a reset or the drop.
fn sleep_until(sh: &Shared, conn: &Conn, until: Instant) -> Result<(), GiveUp> {
    loop {
        live(sh, conn)?;
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        std::thread::sleep((until - now).min(TICK));
    }
}

/// Writes `data` read at `read_at` to `to`, applying latency, stall and
/// bandwidth as they are now.
fn forward(
    sh: &Shared,
    conn: &Conn,
    dir: Dir,
    mut to: &TcpStream,
    mut data: &[u8],
    read_at: Instant,
) -> Result<(), GiveUp> {
    let latency = Duration::from_micros(sh.latency_us[dir as usize].load(Ordering::SeqCst));
    sleep_until(sh, conn, read_at + latency)?;
    while !data.is_empty() {
        while sh.stalled.load(Ordering::SeqCst) {
            live(sh, conn)?;
            std::thread::sleep(Duration::from_millis(5));
        }
        let rate = sh.bandwidth.load(Ordering::SeqCst);
        let mut slice = data.len();
        if rate > 0 {
            // Slices of ~10 ms at the rate, each preceded by its time.
            slice = slice.min((rate / 100).max(1) as usize);
            let cost = Duration::from_secs_f64(slice as f64 / rate as f64);
            sleep_until(sh, conn, Instant::now() + cost)?;
        }
        let mut part = &data[..slice];
        while !part.is_empty() {
            live(sh, conn)?;
            match to.write(part) {
                Ok(0) => return Err(GiveUp),
                Ok(n) => {
                    part = &part[n..];
                    sh.written[dir as usize].fetch_add(n as u64, Ordering::SeqCst);
                }
                Err(e) if transient(&e) => {}
                Err(_) => return Err(GiveUp),
            }
        }
        data = &data[slice..];
    }
    Ok(())
}
