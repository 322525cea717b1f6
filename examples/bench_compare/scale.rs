//! The scale section: one service against many peers over tcp, the service
//! on the safe API against the same service on the raw C API.
//!
//! - rep0 on [`CONTEXTS`] contexts (each a loop: receive a request, send it
//!   back) against 100, 1,000 and 5,000 req0 peers, each with one request
//!   outstanding: requests per second, and resident memory per connection;
//! - pub0 publishing 64-byte messages as fast as it can to 10, 100 and 1,000
//!   sub0 peers: messages delivered per second (counted at the subscribers:
//!   pub0 drops for a subscriber whose queue is full) and memory per
//!   connection.
//!
//! Each run starts a fresh service process (`scale_service.rs`) and a load
//! generator process (`scale_load.rs`, the same for both sides). Memory per
//! connection is (VmRSS of the service with N pipes added − VmRSS before any
//! peer) / N, read from `/proc/<pid>/status` once the service's pipe
//! callback has counted N pipes. C and Rust alternate, `rounds` times per
//! point; the output is `scale.csv`, `scale.md` and `scale.svg`.

use crate::report::{self, Row, Section, Stats};
use crate::Config;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Contexts of the rep0 service.
pub const CONTEXTS: usize = 16;
/// Message size, requests and publications alike.
pub const MSG: usize = 64;
/// Peer counts of the full run.
const REP_PEERS: [usize; 3] = [100, 1000, 5000];
const PUB_PEERS: [usize; 3] = [10, 100, 1000];
/// A child process still running after this long is killed.
const CHILD_DEADLINE: Duration = Duration::from_secs(180);

/// The service's protocol.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    Rep,
    Pub,
}

impl Proto {
    pub fn from_flag(s: &str) -> Proto {
        match s {
            "rep" | "req" => Proto::Rep,
            "pub" | "sub" => Proto::Pub,
            _ => panic!("unknown protocol {s}"),
        }
    }

    fn service_flag(self) -> &'static str {
        match self {
            Proto::Rep => "rep",
            Proto::Pub => "pub",
        }
    }

    fn load_flag(self) -> &'static str {
        match self {
            Proto::Rep => "req",
            Proto::Pub => "sub",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Proto::Rep => "rep0 (16 contexts) / req0 peers",
            Proto::Pub => "pub0 / sub0 peers",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Proto::Rep => "rep0",
            Proto::Pub => "pub0",
        }
    }

    fn rate_metric(self) -> &'static str {
        match self {
            Proto::Rep => "requests/s",
            Proto::Pub => "delivered msg/s",
        }
    }

    /// What the Rust service uses.
    fn api(self) -> &'static str {
        match self {
            Proto::Rep => "Context + Aio",
            Proto::Pub => "Socket::send",
        }
    }
}

/// The service's implementation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    C,
    Rust,
}

impl Side {
    pub fn from_flag(s: &str) -> Side {
        match s {
            "c" => Side::C,
            "rust" => Side::Rust,
            _ => panic!("unknown side {s}"),
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Side::C => "c",
            Side::Rust => "rust",
        }
    }
}

const MEM_METRIC: &str = "memory/connection [B]";
/// pub0 only, for information: what the publisher's `send` accepted per
/// second (most of it dropped for full subscriber queues).
const SENT_METRIC: &str = "sent msg/s (info)";
/// For information: the service's VmRSS before any peer (the fixed cost that
/// the per-connection figure leaves out: runtime, sockets, contexts, aios).
const BASE_METRIC: &str = "RSS with 0 peers [KiB] (info)";
/// rep0 only, for information: the service process's CPU time (user +
/// system) per request served, from `/proc/<pid>/stat` over the loaded
/// part of the run; less sensitive to other processes than requests/s.
const CPU_METRIC: &str = "service CPU/request [us] (info)";
/// Rows without a target.
const INFO: [&str; 3] = [SENT_METRIC, BASE_METRIC, CPU_METRIC];
/// The memory target: within 5 % of C.
const MEM_TOLERANCE: f64 = 0.05;

/// One measured point: a protocol at a peer count.
pub struct Point {
    proto: Proto,
    peers: usize,
    /// Throughput and memory rows (C and Rust over the rounds), and for pub0
    /// the publisher's send rate.
    rows: Vec<Row>,
    /// Median of the 1-minute load average at the start of each run.
    load: f64,
    /// Runs that measured nothing.
    failures: usize,
}

/// What the section measured, and where (the machine at the start).
pub struct Measured {
    machine: String,
    points: Vec<Point>,
}

impl Measured {
    /// Runs that measured nothing (a child failed or timed out).
    pub fn failures(&self) -> usize {
        self.points.iter().map(|p| p.failures).sum()
    }
}

/// Measures every point.
pub fn run(cfg: &Config) -> Measured {
    let machine = report::machine_description();
    let (rep, publ): (&[usize], &[usize]) = if cfg.quick {
        (&[100], &[100])
    } else {
        (&REP_PEERS, &PUB_PEERS)
    };
    let secs = if cfg.quick { 1.0 } else { 2.0 };
    let mut points = Vec::new();
    for (proto, counts) in [(Proto::Rep, rep), (Proto::Pub, publ)] {
        for &peers in counts {
            let p = point(proto, peers, cfg.rounds, secs);
            for r in &p.rows {
                println!("{}", line(&p, r));
            }
            points.push(p);
        }
    }
    Measured { machine, points }
}

fn point(proto: Proto, peers: usize, rounds: usize, secs: f64) -> Point {
    let (mut rate, mut mem) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let mut sent = [Vec::new(), Vec::new()];
    let mut base = [Vec::new(), Vec::new()];
    let mut cpu = [Vec::new(), Vec::new()];
    let mut loads = Vec::new();
    let mut failures = 0;
    for round in 0..rounds {
        // Alternate who goes first, so slow drifts hit both sides alike.
        let order = if round % 2 == 0 {
            [Side::C, Side::Rust]
        } else {
            [Side::Rust, Side::C]
        };
        for side in order {
            loads.push(load_average());
            let run = run_once(proto, side, peers, secs);
            failures += usize::from(run.is_none());
            let i = usize::from(side == Side::Rust);
            rate[i].push(run.map(|r| r.rate));
            mem[i].push(run.map(|r| r.mem));
            sent[i].push(run.and_then(|r| r.sent));
            base[i].push(run.map(|r| r.base));
            cpu[i].push(run.and_then(|r| r.cpu));
        }
    }
    let what = format!("{} {peers} peers", proto.short());
    let row = |metric, higher_better, tolerance, v: &[Vec<Option<f64>>; 2]| {
        Row::new(
            Section::Scale,
            &what,
            MSG,
            metric,
            proto.api(),
            higher_better,
            tolerance,
            &v[0],
            &v[1],
        )
    };
    let mut rows = vec![
        row(proto.rate_metric(), true, None, &rate),
        row(MEM_METRIC, false, Some(MEM_TOLERANCE), &mem),
        row(BASE_METRIC, false, None, &base),
    ];
    match proto {
        Proto::Rep => rows.push(row(CPU_METRIC, false, None, &cpu)),
        Proto::Pub => rows.push(row(SENT_METRIC, true, None, &sent)),
    }
    Point {
        proto,
        peers,
        rows,
        load: Stats::of(loads).median,
        failures,
    }
}

/// The 1-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// VmRSS of a process in KiB.
fn rss_kib(pid: u32) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// User + system CPU time of a process in seconds (`/proc/<pid>/stat`).
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 here.
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| ticks / hz as f64)
}

/// A child process driven through its stdin and stdout, killed if it is
/// still running after [`CHILD_DEADLINE`] or when dropped (after a grace
/// period for a clean exit at the end of its stdin).
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    /// Dropping it (or sending) stops the watchdog.
    watchdog: Option<mpsc::Sender<()>>,
}

impl Proc {
    fn spawn(args: &[&str]) -> Option<Proc> {
        let exe = std::env::current_exe().ok()?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| eprintln!("spawning {args:?}: {e}"))
            .ok()?;
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take()?).lines();
        let (tx, rx) = mpsc::channel::<()>();
        let pid = child.id();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(CHILD_DEADLINE) {
                eprintln!("scale: child {pid} ran past its deadline; killed");
                // SAFETY: kill(2) on the id of a child we spawned and have
                // not reaped yet (Proc's drop reaps it after this thread's
                // channel closes), so the id is still ours.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        });
        Some(Proc {
            child,
            stdin,
            lines,
            watchdog: Some(tx),
        })
    }

    fn say(&mut self, line: &str) -> Option<()> {
        let stdin = self.stdin.as_mut()?;
        writeln!(stdin, "{line}").ok()?;
        stdin.flush().ok()
    }

    /// The rest of the next line starting with `prefix` (None at the end).
    fn expect(&mut self, prefix: &str) -> Option<String> {
        for line in self.lines.by_ref() {
            let line = line.ok()?;
            if let Some(rest) = line.strip_prefix(prefix) {
                return Some(rest.trim().to_string());
            }
            eprintln!("scale: unexpected output {line:?}");
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        drop(self.stdin.take()); // the end of stdin: the child exits
        for _ in 0..200 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        // The child is reaped: stop the watchdog only now, so that it never
        // signals an id that could be reused.
        drop(self.watchdog.take());
    }
}

/// What one run measured.
#[derive(Clone, Copy)]
struct Run {
    /// Replies or delivered messages per second, counted at the peers.
    rate: f64,
    /// Service memory per connection in bytes.
    mem: f64,
    /// Service VmRSS before any peer, KiB.
    base: f64,
    /// rep0: service CPU time per request, microseconds.
    cpu: Option<f64>,
    /// pub0: messages the publisher's send accepted per second.
    sent: Option<f64>,
}

fn run_once(proto: Proto, side: Side, peers: usize, secs: f64) -> Option<Run> {
    let mut service = Proc::spawn(&["--scale-service", proto.service_flag(), side.flag()])?;
    let port = service.expect("ready ")?;
    let pid = service.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kib(pid)?;
    let url = format!("tcp://127.0.0.1:{port}");
    let peers_s = peers.to_string();
    let secs_s = secs.to_string();
    let mut load = Proc::spawn(&["--scale-load", proto.load_flag(), &url, &peers_s, &secs_s])?;
    load.expect("connected")?;
    service.say(&format!("wait {peers}"))?;
    let added: usize = service.expect("pipes ")?.parse().ok()?;
    if added < peers {
        eprintln!("scale: {side:?} {proto:?}: only {added} of {peers} pipes added");
        return None;
    }
    std::thread::sleep(Duration::from_millis(300));
    let after = rss_kib(pid)?;
    if proto == Proto::Pub {
        service.say("go")?;
    }
    let cpu0 = cpu_secs(pid);
    load.say("go")?;
    let text = load.expect("rate ")?;
    let cpu1 = cpu_secs(pid);
    let mut f = text.split_whitespace();
    let rate: f64 = f.next()?.parse().ok()?;
    let total: f64 = f.nth(1)?.parse().ok()?;
    let cpu = match (proto, cpu0, cpu1) {
        (Proto::Rep, Some(a), Some(b)) if total > 0.0 => Some((b - a) / total * 1e6),
        _ => None,
    };
    let mut sent = None;
    if proto == Proto::Pub {
        service.say("stop")?;
        let text = service.expect("sent ")?;
        let mut f = text.split_whitespace().map(|v| v.parse::<f64>().ok());
        if let (Some(Some(n)), Some(Some(t))) = (f.next(), f.next()) {
            sent = Some(n / t);
        }
    }
    Some(Run {
        rate,
        mem: (after - before) * 1024.0 / peers as f64,
        base: before,
        cpu,
        sent,
    })
}

/// Whether a row meets its target: memory within 5 % of C; throughput
/// within noise (|Rust/C − 1| no larger than the larger of the two sides'
/// spreads, the "within noise of C"; None with one run a side,
/// which has no spread).
fn met(r: &Row) -> Option<bool> {
    if INFO.contains(&r.metric.as_str()) {
        return None;
    }
    if r.tolerance.is_some() {
        return r.meets();
    }
    if r.c.n < 2 || r.rust.n < 2 {
        return None;
    }
    let noise = r.c.spread_pct().max(r.rust.spread_pct()) / 100.0;
    Some((r.ratio - 1.0).abs() <= noise)
}

fn target(r: &Row) -> &'static str {
    if INFO.contains(&r.metric.as_str()) {
        "-"
    } else if r.tolerance.is_some() {
        "<= 1.05"
    } else {
        "within noise"
    }
}

fn header() -> &'static str {
    "| service / peers | peers | metric | Rust API | C median (±spread) | Rust median (±spread) | Rust/C | per-round Rust/C | target | met | load |\n\
     |---|---|---|---|---|---|---|---|---|---|---|"
}

fn line(p: &Point, r: &Row) -> String {
    let v = |s: &Stats| {
        if s.median.is_nan() {
            "failed".to_string()
        } else {
            format!("{} (±{:.1}%)", report::fmt_val(s.median), s.spread_pct())
        }
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3}–{:.3} | {} | {} | {:.2} |",
        p.proto.name(),
        p.peers,
        r.metric,
        r.api,
        v(&r.c),
        v(&r.rust),
        r.ratio,
        r.ratio_lo,
        r.ratio_hi,
        target(r),
        match met(r) {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        },
        p.load
    )
}

/// Writes scale.csv, scale.md and scale.svg into `cfg.out`; gives the paths.
pub fn write(cfg: &Config, measured: &Measured, secs: f64) -> Vec<String> {
    std::fs::create_dir_all(&cfg.out).expect("creating the output folder");
    let (machine, points) = (&measured.machine, &measured.points);
    let mut csv = String::from(
        "protocol,peers,metric,rust_api,c_median,c_min,c_max,c_runs,rust_median,rust_min,rust_max,\
         rust_runs,rust_over_c,round_ratio_min,round_ratio_max,target,target_met,load_1min,measured_utc\n",
    );
    let mut md = String::new();
    let _ = writeln!(md, "{machine}");
    let _ = writeln!(
        md,
        "Rounds per point: {} (C and Rust alternating, a fresh service and load generator \
         process per run){}; this run {secs:.0} s. `load` is the median 1-minute load average \
         at the start of the point's runs.\n",
        cfg.rounds,
        if cfg.quick { ", quick mode" } else { "" },
    );
    let _ = writeln!(md, "{}", header());
    for p in points {
        for r in &p.rows {
            let _ = writeln!(md, "{}", line(p, r));
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                p.proto.short(),
                p.peers,
                r.metric,
                r.api,
                r.c.median,
                r.c.min,
                r.c.max,
                r.c.n,
                r.rust.median,
                r.rust.min,
                r.rust.max,
                r.rust.n,
                r.ratio,
                r.ratio_lo,
                r.ratio_hi,
                target(r),
                met(r).map(|m| m.to_string()).unwrap_or_default(),
                p.load,
                r.when
            );
        }
    }
    let _ = writeln!(md, "\n![Cost against peer count](scale.svg)");
    let mut written = Vec::new();
    let mut put = |name: &str, text: &str| {
        let path = cfg.out.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        written.push(path.display().to_string());
    };
    put("scale.csv", &csv);
    put("scale.md", &md);
    let svg = svg(points, machine).unwrap_or_else(|e| panic!("drawing scale.svg: {e}"));
    put("scale.svg", &svg);
    written
}

/// Four panels (rep0 and pub0; throughput and memory per connection) of
/// C and Rust against the peer count, log x, with whiskers over the rounds'
/// range; an SVG drawn with plotters.
fn svg(points: &[Point], caption: &str) -> Result<String, Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    let c_colour = RGBColor(0x2c, 0x5a, 0xa0);
    let rust_colour = RGBColor(0xd3, 0x5f, 0x00);
    let font = |px: u32| ("sans-serif", f64::from(px) * 1.24).into_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (1000, 760)).into_drawing_area();
        root.fill(&WHITE)?;
        root.draw(&Text::new(
            "nng service scaling over tcp: the service on the safe Rust API vs on the raw C API",
            (10, 8),
            font(15).style(FontStyle::Bold),
        ))?;
        root.draw(&Text::new(caption, (10, 27), font(11)))?;
        root.draw(&Text::new(
            "dot: median over the rounds; whisker: min–max; blue: C, orange: Rust; \
             memory per connection = (service VmRSS with N peers − with 0) / N",
            (10, 44),
            font(11),
        ))?;
        let area = root.margin(62, 0, 0, 0);
        let panels = area.split_evenly((2, 2));
        for (i, panel) in panels.iter().enumerate() {
            let proto = if i < 2 { Proto::Rep } else { Proto::Pub };
            let which = i % 2; // 0: throughput, 1: memory
            let pts: Vec<&Point> = points.iter().filter(|p| p.proto == proto).collect();
            if pts.is_empty() {
                continue;
            }
            let rows: Vec<(f64, &Row)> = pts
                .iter()
                .map(|p| (p.peers as f64, &p.rows[which]))
                .collect();
            let finite = |v: f64| v.is_finite().then_some(v);
            let ys: Vec<f64> = rows
                .iter()
                .flat_map(|(_, r)| [r.c.min, r.c.max, r.rust.min, r.rust.max])
                .filter_map(finite)
                .collect();
            let yhi = ys.iter().fold(0.0f64, |a, &y| a.max(y));
            let (xlo, xhi) = (
                rows.iter().map(|r| r.0).fold(f64::INFINITY, f64::min) / 2.0,
                rows.iter().map(|r| r.0).fold(0.0, f64::max) * 2.0,
            );
            let title = format!(
                "{}: {}",
                proto.name(),
                if which == 0 {
                    proto.rate_metric()
                } else {
                    MEM_METRIC
                }
            );
            let mut chart = ChartBuilder::on(panel)
                .caption(title, font(13))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(70)
                .build_cartesian_2d(
                    (xlo..xhi)
                        .log_scale()
                        .with_key_points(rows.iter().map(|r| r.0).collect()),
                    0.0..(if yhi > 0.0 { yhi * 1.15 } else { 1.0 }),
                )?;
            chart
                .configure_mesh()
                .x_desc("peers (log scale)")
                .label_style(font(11))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .light_line_style(TRANSPARENT)
                .draw()?;
            for (side, colour, shift) in [(0, c_colour, 0.97), (1, rust_colour, 1.03)] {
                let stats = |r: &Row| if side == 0 { r.c } else { r.rust };
                let line: Vec<(f64, f64)> = rows
                    .iter()
                    .filter_map(|(x, r)| Some((x * shift, finite(stats(r).median)?)))
                    .collect();
                chart
                    .draw_series([PathElement::new(line.clone(), colour.stroke_width(2))])?
                    .label(if side == 0 { "C" } else { "Rust" })
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
                chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                for (x, r) in &rows {
                    let s = stats(r);
                    if s.min.is_finite() && s.max.is_finite() {
                        chart.draw_series([PathElement::new(
                            [(x * shift, s.min), (x * shift, s.max)],
                            colour.mix(0.6).stroke_width(2),
                        )])?;
                    }
                }
            }
            chart
                .configure_series_labels()
                // Throughput falls with the peer count, memory per connection
                // too, but from near the top: keep the legend off the data.
                .position(if which == 0 {
                    SeriesLabelPosition::LowerLeft
                } else {
                    SeriesLabelPosition::LowerRight
                })
                .label_font(font(11))
                .background_style(WHITE.mix(0.8))
                .border_style(RGBColor(0xcc, 0xcc, 0xcc))
                .draw()?;
        }
        root.present()?;
    }
    Ok(out)
}
