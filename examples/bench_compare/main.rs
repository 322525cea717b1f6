//! Side-by-side benchmark of the Rust perf tools (`examples/perf.rs`, safe API
//! only) against nng's C perf tools built from the same vendored source.
//!
//! ```text
//! cargo run --release --features tools --example bench_compare            # full run, writes docs/perf/
//! cargo run --release --features tools --example bench_compare -- --quick # < 60 s, writes target/bench_compare/
//! cargo run --release --features tools --example bench_compare -- --sections scale # ~8 min, docs/perf/scale.*
//! ```
//!
//! Options (`--help` lists them): `--quick` (1 round, a fifth of the
//! messages, no callgrind, output to target/bench_compare/), `--rounds N`,
//! `--scale F` (multiplies message counts), `--out DIR`, `--sections LIST`
//! (comma-separated, from `main`, `api`, `instructions`, `memory`, `scale`;
//! default all but `scale`, which is measured only when named and writes its
//! own `scale.csv`, `scale.md` and `scale.svg`: see `scale.rs`), `--keep` (keep the other sections' rows of an earlier `results.csv`
//! in the output folder, so that sections can be measured at different times),
//! `--plot-only` (measure nothing: draw `ratios.svg` again from the output
//! folder's `results.csv`).
//!
//! It builds the Rust port (`cargo build --release --example perf`), then for
//! every row runs the C tool and the Rust port alternately, several rounds,
//! and reports medians, spreads and the Rust/C ratio. Instruction counts come
//! from `valgrind --tool=callgrind` (if installed) as the difference of two
//! runs with different message counts, so start-up costs cancel out.

mod ffi_aio;
mod mem;
mod report;
mod run;
mod scale;
mod scale_load;
mod scale_service;

use clap::{Parser, ValueEnum};
use report::{Row, Section};
use run::{Imp, Kind, Runner, Transport};
use std::path::PathBuf;
use std::time::Instant;

/// Message sizes of the main table.
const SIZES: [usize; 4] = [64, 1024, 64 * 1024, 1024 * 1024];

/// The command line (clap); `Config` is what the run uses.
#[derive(Parser)]
#[command(
    about = "The Rust perf tools (safe API) against nng's C perf tools, side by side",
    after_help = "Without --out, a full run writes docs/perf/ and a --quick run target/bench_compare/."
)]
struct Args {
    /// 1 round, a fifth of the messages, no callgrind, scale at 100 peers, output to target/bench_compare/
    #[arg(long)]
    quick: bool,
    /// Rounds per row, C and Rust alternating [default: 5, with --quick 1]
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
    /// Multiplies the message counts [default: 1, with --quick 0.2]
    #[arg(long, value_name = "F")]
    scale: Option<f64>,
    /// The folder for results.csv, results.md and ratios.svg (and scale.csv, scale.md, scale.svg)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The sections to measure [default: all but scale]
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    sections: Option<Vec<SectionArg>>,
    /// Keep the other sections' rows of an earlier results.csv in the output folder
    #[arg(long)]
    keep: bool,
    /// Measure nothing: draw ratios.svg again from the output folder's results.csv
    #[arg(long, conflicts_with_all = ["rounds", "scale", "sections", "keep"])]
    plot_only: bool,
    /// Internal: the raw-C-API aio baseline (see ffi_aio.rs): MODE [URL] SIZE COUNT
    #[arg(long, hide = true, num_args = 1.., allow_hyphen_values = true)]
    ffi_aio: Option<Vec<String>>,
    /// Internal: a child process measuring resident memory (see mem.rs)
    #[arg(long, hide = true, value_name = "MODE")]
    mem_child: Option<String>,
    /// Internal: the service of the scale section (see scale_service.rs): PROTO SIDE
    #[arg(long, hide = true, num_args = 2)]
    scale_service: Option<Vec<String>>,
    /// Internal: the scale section's peers (see scale_load.rs): PROTO URL PEERS SECS
    #[arg(long, hide = true, num_args = 4)]
    scale_load: Option<Vec<String>>,
}

/// A name of `--sections`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SectionArg {
    Main,
    Api,
    Instructions,
    Memory,
    Scale,
}

/// Settings of a run.
pub struct Config {
    quick: bool,
    rounds: usize,
    scale: f64,
    out: PathBuf,
    main: bool,
    callgrind: bool,
    api: bool,
    memory: bool,
    /// The scale section (only when named in `--sections`).
    scaling: bool,
    keep: bool,
}

impl Config {
    fn new(args: &Args) -> Config {
        let dir = if args.quick {
            "target/bench_compare"
        } else {
            "docs/perf"
        };
        let on = |s: SectionArg| args.sections.as_ref().is_none_or(|l| l.contains(&s));
        Config {
            quick: args.quick,
            rounds: args.rounds.unwrap_or(if args.quick { 1 } else { 5 }).max(1),
            scale: args.scale.unwrap_or(if args.quick { 0.2 } else { 1.0 }),
            out: args
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)),
            main: on(SectionArg::Main),
            // --quick leaves callgrind out, unless --sections names it.
            callgrind: match args.sections {
                Some(_) => on(SectionArg::Instructions),
                None => !args.quick,
            },
            api: on(SectionArg::Api),
            memory: on(SectionArg::Memory),
            scaling: args
                .sections
                .as_ref()
                .is_some_and(|l| l.contains(&SectionArg::Scale)),
            keep: args.keep,
        }
    }
}

fn main() {
    let args = Args::parse();
    if let Some(args) = &args.ffi_aio {
        ffi_aio::child(args);
        return;
    }
    if let Some(mode) = &args.mem_child {
        mem::child(mode);
        return;
    }
    if let Some(args) = &args.scale_service {
        scale_service::child(args);
        return;
    }
    if let Some(args) = &args.scale_load {
        scale_load::child(args);
        return;
    }
    let cfg = Config::new(&args);
    if args.plot_only {
        let written = report::replot(&cfg.out);
        println!("wrote {written}");
        return;
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: built without --release; the Rust side is unoptimised");
    }
    let started = Instant::now();
    let mut report = report::Report::new(&cfg);
    if cfg.keep {
        let measured: Vec<Section> = [
            (cfg.main, Section::Main),
            (cfg.api, Section::Api),
            (cfg.callgrind, Section::Instructions),
            (cfg.memory, Section::Memory),
        ]
        .into_iter()
        .filter_map(|(on, s)| on.then_some(s))
        .collect();
        report.keep_other_sections(&measured);
    }
    let results = cfg.main || cfg.api || cfg.callgrind || cfg.memory;
    let runner = results.then(|| Runner::new(&cfg));
    let rust = Imp::Rust(run::Api::Msg);

    if let Some(runner) = runner.as_ref().filter(|_| cfg.main) {
        println!("# Message path: perf tools, Rust port vs C");
        println!("{}", Row::header());
        for kind in [Kind::Latency, Kind::Throughput] {
            for transport in Transport::ALL {
                for size in SIZES {
                    let row = runner.compare(Section::Main, transport, kind, size, rust);
                    println!("{}", row.line());
                    report.push(row);
                }
            }
        }
    }

    if let Some(runner) = runner.as_ref().filter(|_| cfg.api) {
        println!("\n# Other API paths, 64 B messages, ratio to the C tool");
        println!("{}", Row::header());
        for api in run::Api::OTHERS {
            for transport in [Transport::Inproc, Transport::Tcp] {
                for kind in [Kind::Latency, Kind::Throughput] {
                    let row = runner.compare(Section::Api, transport, kind, 64, Imp::Rust(api));
                    println!("{}", row.line());
                    report.push(row);
                }
            }
        }
    }

    if let Some(runner) = runner.as_ref().filter(|_| cfg.callgrind) {
        if runner.have_valgrind() {
            println!("\n# Instructions per message (callgrind, 64 B)");
            println!("{}", Row::header());
            for api in run::Api::ALL {
                for (transport, kind) in [
                    (Transport::Inproc, Kind::Throughput),
                    (Transport::Inproc, Kind::Latency),
                    (Transport::Tcp, Kind::Throughput),
                ] {
                    let row = runner.instructions(transport, kind, 64, Imp::Rust(api));
                    println!("{}", row.line());
                    report.push(row);
                }
            }
        } else {
            println!("\n(valgrind not found: no instruction counts)");
        }
    }

    if cfg.memory {
        println!("\n# Resident memory");
        println!("{}", Row::header());
        for row in mem::rows(&cfg) {
            println!("{}", row.line());
            report.push(row);
        }
    }

    let scaled = cfg.scaling.then(|| {
        println!("\n# Scale: one service, many tcp peers (Rust service vs C service)");
        scale::run(&cfg)
    });

    let secs = started.elapsed().as_secs_f64();
    let mut written = Vec::new();
    if results {
        report.finish(secs);
        written = report.written();
    }
    let mut failed = 0;
    if let Some(measured) = scaled {
        written.extend(scale::write(&cfg, &measured, secs));
        failed = measured.failures();
    }
    println!("\nwrote {} ({:.0} s)", written.join(", "), secs);
    if failed > 0 {
        eprintln!("{failed} scale run(s) measured nothing (see above)");
        std::process::exit(1);
    }
}
