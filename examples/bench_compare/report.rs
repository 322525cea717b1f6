//! Rows, statistics, and the written report: CSV, SVG plot and a markdown table.

use crate::Config;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Which table a row belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Section {
    /// Transport x size x latency/throughput, `Message` path.
    Main,
    /// The other API paths.
    Api,
    /// Instructions per message under callgrind.
    Instructions,
    /// Resident memory.
    Memory,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Main => "message path",
            Section::Api => "api paths",
            Section::Instructions => "instructions",
            Section::Memory => "memory",
        }
    }
}

/// Median and range of the runs that succeeded.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Stats {
    pub fn of(mut v: Vec<f64>) -> Stats {
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n == 0 {
            return Stats {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                n,
            };
        }
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stats {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        }
    }

    /// Half the range as a percentage of the median.
    pub fn spread_pct(&self) -> f64 {
        (self.max - self.min) / 2.0 / self.median * 100.0
    }
}

/// One compared measurement.
#[derive(Clone, Debug)]
pub struct Row {
    pub section: Section,
    pub what: String,
    pub size: usize,
    pub metric: String,
    pub api: String,
    pub higher_better: bool,
    /// Allowed cost fraction (0.03 = 3 %), if the row has a target.
    pub tolerance: Option<f64>,
    pub c: Stats,
    pub rust: Stats,
    /// Rust/C of the medians.
    pub ratio: f64,
    /// Range of the per-round Rust/C ratios (paired runs).
    pub ratio_lo: f64,
    pub ratio_hi: f64,
    /// When the row was measured (UTC).
    pub when: String,
}

fn fmt_size(size: usize) -> String {
    match size {
        0 => "-".into(),
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

fn fmt_val(v: f64) -> String {
    if v.is_nan() {
        "failed".into()
    } else if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

impl Row {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        section: Section,
        what: &str,
        size: usize,
        metric: &'static str,
        api: &'static str,
        higher_better: bool,
        tolerance: Option<f64>,
        c: &[Option<f64>],
        rust: &[Option<f64>],
    ) -> Row {
        let paired: Vec<f64> = c
            .iter()
            .zip(rust)
            .filter_map(|(c, r)| Some(r.as_ref()? / c.as_ref()?))
            .collect();
        let pr = Stats::of(paired);
        let c = crate::run::stats(c);
        let rust = crate::run::stats(rust);
        Row {
            section,
            what: what.into(),
            size,
            metric: metric.into(),
            api: api.into(),
            higher_better,
            tolerance,
            ratio: rust.median / c.median,
            ratio_lo: pr.min,
            ratio_hi: pr.max,
            c,
            rust,
            when: utc_now(),
        }
    }

    /// Rust's speed relative to C: above 1 is faster (for the plot).
    pub fn speed(&self, ratio: f64) -> f64 {
        if self.higher_better {
            ratio
        } else {
            1.0 / ratio
        }
    }

    /// Whether the median ratio meets the target (None: no target).
    pub fn meets(&self) -> Option<bool> {
        let tol = self.tolerance?;
        if self.ratio.is_nan() {
            return Some(false);
        }
        Some(if self.higher_better {
            self.ratio >= 1.0 / (1.0 + tol)
        } else {
            self.ratio <= 1.0 + tol
        })
    }

    fn target_text(&self) -> String {
        match self.tolerance {
            None => "-".into(),
            Some(t) if self.higher_better => format!(">= {:.2}", 1.0 / (1.0 + t)),
            Some(t) => format!("<= {:.2}", 1.0 + t),
        }
    }

    pub fn header() -> String {
        "| section | what | size | metric | API | C median (±spread) | Rust median (±spread) | Rust/C | target | met |\n\
         |---|---|---|---|---|---|---|---|---|---|"
            .into()
    }

    pub fn line(&self) -> String {
        let met = match self.meets() {
            None => "-",
            Some(true) => "yes",
            Some(false) => "**no**",
        };
        format!(
            "| {} | {} | {} | {} | {} | {} (±{:.1}%) | {} (±{:.1}%) | {:.3} | {} | {} |",
            self.section.name(),
            self.what,
            fmt_size(self.size),
            self.metric,
            self.api,
            fmt_val(self.c.median),
            self.c.spread_pct(),
            fmt_val(self.rust.median),
            self.rust.spread_pct(),
            self.ratio,
            self.target_text(),
            met
        )
    }

    fn csv(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.section.name(),
            self.what,
            self.size,
            self.metric,
            self.api,
            self.c.median,
            self.c.min,
            self.c.max,
            self.c.n,
            self.rust.median,
            self.rust.min,
            self.rust.max,
            self.rust.n,
            self.ratio,
            self.tolerance.map(|t| t.to_string()).unwrap_or_default(),
            self.meets().map(|m| m.to_string()).unwrap_or_default(),
            self.higher_better,
            self.ratio_lo,
            self.ratio_hi,
            self.when
        )
    }

    /// Parses a line written by `csv` (for merging runs of some sections
    /// into an earlier full report).
    fn from_csv(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 20 {
            return None;
        }
        let num = |i: usize| f[i].parse::<f64>().ok();
        let section = [
            Section::Main,
            Section::Api,
            Section::Instructions,
            Section::Memory,
        ]
        .into_iter()
        .find(|s| s.name() == f[0])?;
        let stats = |i: usize| -> Option<Stats> {
            Some(Stats {
                median: num(i)?,
                min: num(i + 1)?,
                max: num(i + 2)?,
                n: f[i + 3].parse().ok()?,
            })
        };
        Some(Row {
            section,
            what: f[1].into(),
            size: f[2].parse().ok()?,
            metric: f[3].into(),
            api: f[4].into(),
            c: stats(5)?,
            rust: stats(9)?,
            ratio: num(13)?,
            tolerance: num(14),
            higher_better: f[16].parse().ok()?,
            ratio_lo: num(17)?,
            ratio_hi: num(18)?,
            when: f[19].into(),
        })
    }

    fn label(&self) -> String {
        match self.section {
            Section::Main => format!("{} {} {}", self.what, fmt_size(self.size), self.kind()),
            Section::Api => format!(
                "{} {} {} ({})",
                self.what,
                fmt_size(self.size),
                self.kind(),
                self.api
            ),
            Section::Instructions => format!("{} instr/msg ({})", self.what, self.api),
            Section::Memory => format!("{} ({})", self.what, self.api),
        }
    }

    fn kind(&self) -> &'static str {
        if self.metric.starts_with("latency") {
            "lat"
        } else {
            "thr"
        }
    }
}

/// Collects rows and writes them out.
pub struct Report {
    rows: Vec<Row>,
    out: PathBuf,
    quick: bool,
    rounds: usize,
    written: Vec<String>,
    header: String,
    kept: usize,
}

impl Report {
    pub fn new(cfg: &Config) -> Report {
        Report {
            rows: Vec::new(),
            out: cfg.out.clone(),
            quick: cfg.quick,
            rounds: cfg.rounds,
            written: Vec::new(),
            header: machine_description(),
            kept: 0,
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn written(&self) -> Vec<String> {
        self.written.clone()
    }

    /// Keeps the rows of `results.csv` in the output folder whose sections
    /// were not measured in this run (`--keep`), before this run's rows.
    pub fn keep_other_sections(&mut self, measured: &[Section]) {
        let Ok(text) = std::fs::read_to_string(self.out.join("results.csv")) else {
            return;
        };
        let old: Vec<Row> = text
            .lines()
            .skip(1)
            .filter_map(Row::from_csv)
            .filter(|r| !measured.contains(&r.section))
            .collect();
        self.kept = old.len();
        self.rows.splice(0..0, old);
    }

    /// Writes results.csv, ratios.svg and results.md into the output folder.
    pub fn finish(&mut self, secs: f64) {
        std::fs::create_dir_all(&self.out).expect("creating the output folder");
        let order = [
            Section::Main,
            Section::Api,
            Section::Instructions,
            Section::Memory,
        ];
        self.rows
            .sort_by_key(|r| order.iter().position(|s| *s == r.section));
        let mut csv = String::from(
            "section,what,size_bytes,metric,api,c_median,c_min,c_max,c_runs,\
             rust_median,rust_min,rust_max,rust_runs,rust_over_c,tolerance,target_met,\
             higher_is_better,round_ratio_min,round_ratio_max,measured_utc\n",
        );
        for r in &self.rows {
            csv.push_str(&r.csv());
            csv.push('\n');
        }
        self.write("results.csv", &csv);
        let svg = svg(&self.rows, &self.header);
        self.write("ratios.svg", &svg);

        let mut md = String::new();
        let _ = writeln!(md, "{}", self.header);
        let _ = writeln!(
            md,
            "Rounds per row: {} (C and Rust alternating){}; this run {:.0} s{}.\n",
            self.rounds,
            if self.quick { ", quick mode" } else { "" },
            secs,
            if self.kept > 0 {
                format!(
                    "; {} rows kept from an earlier run (see measured_utc in results.csv)",
                    self.kept
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(md, "{}", Row::header());
        for r in &self.rows {
            let _ = writeln!(md, "{}", r.line());
        }
        let _ = writeln!(md, "\n![Rust speed relative to C](ratios.svg)");
        self.write("results.md", &md);
    }

    fn write(&mut self, name: &str, text: &str) {
        let path = self.out.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        self.written.push(path.display().to_string());
    }
}

/// Date, CPU, cores, memory, kernel and load, for the report's heading.
fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let date = utc_now();
    format!(
        "Run {date} on {cpu}, {cores} cores, {mem_gib:.0} GiB, Linux {}, load average at start {}.",
        kernel.trim(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

use std::process::Command;

/// The current time, `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// A dot plot of Rust's speed relative to C (1 = parity, right = faster),
/// one line per row, with whiskers over the per-round paired ratios and the
/// target band shaded. Dependency-free SVG.
fn svg(rows: &[Row], caption: &str) -> String {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.ratio.is_finite()).collect();
    // Log scale: 2x faster and 2x slower are equally far from parity.
    let (lo, hi) = (1.0_f64 / 16.0, 4.0_f64);
    let (left, plot_w, line_h, top) = (300.0, 560.0, 18.0, 70.0);
    let mut sections = rows.iter().map(|r| r.section).collect::<Vec<_>>();
    sections.dedup();
    let height = top + line_h * (rows.len() + sections.len() * 2) as f64 + 60.0;
    let width = left + plot_w + 150.0;
    let x = |v: f64| left + (v.clamp(lo, hi) / lo).ln() / (hi / lo).ln() * plot_w;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">nng safe Rust layer vs C: Rust speed relative to C (1 = same; right = Rust faster; log scale)</text>"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="38" font-size="11">{}</text>"#,
        escape(caption)
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="54" font-size="11">dot: ratio of medians; whisker: range of per-round paired ratios; green band: within 3 %; plotted as Rust/C for throughput, C/Rust for latency, instructions, memory</text>"#
    );
    let bottom = height - 40.0;
    for g in [1.0 / 16.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.333, 2.0, 4.0] {
        let gx = x(g);
        let stroke = if g == 1.0 { "#333" } else { "#ddd" };
        let label = if g < 0.2 {
            format!("1/{:.0}", 1.0 / g)
        } else {
            format!("{g:.2}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        };
        let _ = writeln!(
            s,
            r#"<line x1="{gx:.1}" y1="{top}" x2="{gx:.1}" y2="{bottom}" stroke="{stroke}"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
            bottom + 15.0
        );
    }
    let (b0, b1) = (x(1.0 / 1.03), x(1.03));
    let _ = writeln!(
        s,
        r##"<rect x="{b0:.1}" y="{top}" width="{:.1}" height="{:.1}" fill="#2a2" fill-opacity="0.12"/>"##,
        b1 - b0,
        bottom - top
    );
    let mut y = top;
    let mut current = None;
    for r in rows {
        if current != Some(r.section) {
            current = Some(r.section);
            y += line_h * 1.5;
            let _ = writeln!(
                s,
                r#"<text x="10" y="{y:.1}" font-weight="bold">{}</text>"#,
                escape(r.section.name())
            );
            y += line_h * 0.5;
        }
        y += line_h;
        let speed = r.speed(r.ratio);
        let (w0, w1) = {
            let (a, b) = (r.speed(r.ratio_lo), r.speed(r.ratio_hi));
            (a.min(b), a.max(b))
        };
        let colour = match r.meets() {
            Some(true) => "#1a7f1a",
            Some(false) => "#c0392b",
            None => "#2c5aa0",
        };
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 4.0,
            escape(&r.label())
        );
        if w0.is_finite() && w1.is_finite() {
            let _ = writeln!(
                s,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2" stroke-opacity="0.5"/>"#,
                x(w0),
                x(w1)
            );
        }
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{y:.1}" r="4.5" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="{colour}">{speed:.3}{}</text>"#,
            x(speed),
            left + plot_w + 8.0,
            y + 4.0,
            if speed < lo || speed > hi {
                " (off scale)"
            } else {
                ""
            }
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
