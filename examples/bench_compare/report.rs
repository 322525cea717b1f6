//! Rows, statistics, and the written report: CSV, SVG plot and a markdown table.

use crate::Config;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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
    /// One service against many peers (`scale.rs`; its own output files).
    Scale,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Main => "message path",
            Section::Api => "api paths",
            Section::Instructions => "instructions",
            Section::Memory => "memory",
            Section::Scale => "scale",
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

pub fn fmt_val(v: f64) -> String {
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
            Section::Memory | Section::Scale => format!("{} ({})", self.what, self.api),
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
        sort(&mut self.rows);
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
        let svg =
            svg(&self.rows, &self.header).unwrap_or_else(|e| panic!("drawing ratios.svg: {e}"));
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
pub fn machine_description() -> String {
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

/// The plot's x axis: Rust's speed relative to C on a log scale (2x faster
/// and 2x slower are equally far from parity), its grid lines, and the band
/// drawn around parity (the 3 % target).
const LO: f64 = 1.0 / 16.0;
const HI: f64 = 4.0;
const GRID: [f64; 9] = [1.0 / 16.0, 0.125, 0.25, 0.5, 0.75, 1.0, 1.333, 2.0, 4.0];
const BAND: f64 = 1.03;

/// A dot plot of Rust's speed relative to C (1 = parity, right = faster),
/// one line per row, with whiskers over the per-round paired ratios and the
/// target band shaded; an SVG drawn with plotters.
fn svg(rows: &[Row], caption: &str) -> Result<String, Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};

    let rows: Vec<&Row> = rows.iter().filter(|r| r.ratio.is_finite()).collect();
    // The vertical layout in lines, from the top: each section's heading, then
    // its rows. `at` is the centre of a row's line.
    let mut headings = Vec::new();
    let mut at = Vec::new();
    let mut y = 0.0;
    for (i, r) in rows.iter().enumerate() {
        if i == 0 || rows[i - 1].section != r.section {
            headings.push((y + 1.25, r.section.name()));
            y += 2.0;
        }
        at.push(y + 0.5);
        y += 1.0;
    }
    let lines = y + 0.5;
    // Plotters' y axis points up: line `l` from the top is at `lines - l`.
    let up = |l: f64| lines - l;

    let (line_h, top, bottom, left, right) = (18.0, 62u32, 40u32, 300u32, 150u32);
    let size = (
        left + 560 + right,
        top + bottom + (lines * line_h).ceil() as u32,
    );
    let colour = |r: &Row| match r.meets() {
        Some(true) => RGBColor(0x1a, 0x7f, 0x1a),
        Some(false) => RGBColor(0xc0, 0x39, 0x2b),
        None => RGBColor(0x2c, 0x5a, 0xa0),
    };
    // plotters writes a font size of `size / 1.24` into the SVG: these are pixels.
    let font = |px: u32| ("sans-serif", f64::from(px) * 1.24).into_font();
    let left_middle = Pos::new(HPos::Left, VPos::Center);
    let right_middle = Pos::new(HPos::Right, VPos::Center);

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)?;
        let heading = [
            (
                "nng safe Rust layer vs C: Rust speed relative to C (1 = same; right = Rust faster; log scale)",
                font(15).style(FontStyle::Bold),
            ),
            (caption, font(11)),
            (
                "dot: ratio of medians; whisker: range of per-round paired ratios; green band: within 3 %; \
                 plotted as Rust/C for throughput, C/Rust for latency, instructions, memory",
                font(11),
            ),
        ];
        for (line, (text, style)) in (0i32..).zip(heading) {
            root.draw(&Text::new(text, (10, 8 + 17 * line), style))?;
        }

        let grid_label = |g: &f64| {
            if *g < 0.2 {
                format!("1/{:.0}", 1.0 / g)
            } else {
                format!("{g:.2}")
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .to_string()
            }
        };
        let mut chart = ChartBuilder::on(&root)
            .margin_top(top)
            .margin_right(right)
            .margin_bottom(bottom - 25)
            .x_label_area_size(25)
            .y_label_area_size(left)
            .build_cartesian_2d(
                (LO..HI).log_scale().with_key_points(GRID.to_vec()),
                0.0..lines,
            )?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .light_line_style(TRANSPARENT)
            .axis_style(RGBColor(0xdd, 0xdd, 0xdd))
            .label_style(font(12))
            .x_label_formatter(&grid_label)
            .draw()?;
        chart.draw_series([Rectangle::new(
            [(1.0 / BAND, 0.0), (BAND, lines)],
            RGBColor(0x22, 0xaa, 0x22).mix(0.12).filled(),
        )])?;
        chart.draw_series([PathElement::new(
            [(1.0, 0.0), (1.0, lines)],
            RGBColor(0x33, 0x33, 0x33),
        )])?;

        for (y, name) in &headings {
            let (_, py) = chart.backend_coord(&(LO, up(*y)));
            let style = font(12).style(FontStyle::Bold).into_text_style(&root);
            root.draw(&Text::new(*name, (10, py), style.pos(left_middle)))?;
        }
        for (r, y) in rows.iter().zip(at.iter().map(|&l| up(l))) {
            let c = colour(r);
            let (px, py) = chart.backend_coord(&(LO, y));
            root.draw(&Text::new(
                r.label(),
                (px - 8, py),
                font(12).into_text_style(&root).pos(right_middle),
            ))?;
            let speed = r.speed(r.ratio);
            let (a, b) = (r.speed(r.ratio_lo), r.speed(r.ratio_hi));
            if a.is_finite() && b.is_finite() {
                let whisker = [(a.min(b).clamp(LO, HI), y), (a.max(b).clamp(LO, HI), y)];
                chart.draw_series([PathElement::new(whisker, c.mix(0.5).stroke_width(2))])?;
            }
            chart.draw_series([Circle::new((speed.clamp(LO, HI), y), 4.5, c.filled())])?;
            let (px, py) = chart.backend_coord(&(HI, y));
            let off_scale = if (LO..=HI).contains(&speed) {
                ""
            } else {
                " (off scale)"
            };
            root.draw(&Text::new(
                format!("{speed:.3}{off_scale}"),
                (px + 8, py),
                font(12).color(&c).pos(left_middle),
            ))?;
        }
        root.present()?;
    }
    Ok(out)
}

/// Draws `ratios.svg` again from the `results.csv` in `out` (`--plot-only`),
/// with the machine description of `results.md` there as its caption; gives
/// the path written.
pub fn replot(out: &Path) -> String {
    let csv = out.join("results.csv");
    let text =
        std::fs::read_to_string(&csv).unwrap_or_else(|e| panic!("reading {}: {e}", csv.display()));
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        match Row::from_csv(line) {
            Some(row) => rows.push(row),
            None => panic!("{}:{}: not a row: {line:?}", csv.display(), n + 1),
        }
    }
    sort(&mut rows);
    let caption = std::fs::read_to_string(out.join("results.md"))
        .ok()
        .and_then(|md| md.lines().next().map(str::to_string))
        .filter(|l| l.starts_with("Run "))
        .unwrap_or_else(|| format!("From {}.", csv.display()));
    let svg = svg(&rows, &caption).unwrap_or_else(|e| panic!("drawing ratios.svg: {e}"));
    let path = out.join("ratios.svg");
    std::fs::write(&path, svg).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path.display().to_string()
}

/// Puts rows in the report's order of sections (stable within one).
fn sort(rows: &mut [Row]) {
    let order = [
        Section::Main,
        Section::Api,
        Section::Instructions,
        Section::Memory,
    ];
    rows.sort_by_key(|r| order.iter().position(|s| *s == r.section));
}
