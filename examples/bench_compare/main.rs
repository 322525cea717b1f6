//! Side-by-side benchmark of the Rust perf tools (`examples/perf.rs`, safe API
//! only) against nng's C perf tools built from the same vendored source.
//!
//! ```text
//! cargo run --release --features tools --example bench_compare            # full run, writes docs/perf/
//! cargo run --release --features tools --example bench_compare -- --quick # < 60 s, writes target/bench_compare/
//! ```
//!
//! Options: `--quick` (1 round, a fifth of the messages, no callgrind, output
//! to target/bench_compare/), `--rounds N`, `--scale F` (multiplies message
//! counts), `--out DIR`, `--sections LIST` (comma-separated, from `main`,
//! `api`, `instructions`, `memory`; default all), `--keep` (keep the other
//! sections' rows of an earlier `results.csv` in the output folder, so that
//! sections can be measured at different times).
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

use report::{Row, Section};
use run::{Imp, Kind, Runner, Transport};
use std::path::PathBuf;
use std::time::Instant;

/// Message sizes of the main table.
const SIZES: [usize; 4] = [64, 1024, 64 * 1024, 1024 * 1024];

/// Command-line settings.
pub struct Config {
    quick: bool,
    rounds: usize,
    scale: f64,
    out: PathBuf,
    main: bool,
    callgrind: bool,
    api: bool,
    memory: bool,
    keep: bool,
}

fn parse_args() -> Config {
    let mut args = std::env::args().skip(1);
    let mut cfg = Config {
        quick: false,
        rounds: 5,
        scale: 1.0,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/perf"),
        main: true,
        callgrind: true,
        api: true,
        memory: true,
        keep: false,
    };
    let mut sections: Option<String> = None;
    let mut rounds = None;
    let mut scale = None;
    let mut out = None;
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match a.as_str() {
            "--quick" => cfg.quick = true,
            "--rounds" => rounds = Some(value("--rounds").parse().expect("--rounds N")),
            "--scale" => scale = Some(value("--scale").parse().expect("--scale F")),
            "--out" => out = Some(PathBuf::from(value("--out"))),
            "--sections" => sections = Some(value("--sections")),
            "--keep" => cfg.keep = true,
            "--ffi-aio" => {
                // Internal: the raw-C-API aio baseline (see ffi_aio.rs).
                ffi_aio::child(&args.collect::<Vec<_>>());
                std::process::exit(0);
            }
            "--mem-child" => {
                // Internal: a child process measuring resident memory.
                mem::child(&value("--mem-child"));
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench_compare [--quick] [--rounds N] [--scale F] [--out DIR] \
                     [--sections main,api,instructions,memory] [--keep]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other} (try --help)"),
        }
    }
    if cfg.quick {
        cfg.rounds = 1;
        cfg.scale = 0.2;
        cfg.callgrind = false;
        cfg.out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench_compare");
    }
    cfg.rounds = rounds.unwrap_or(cfg.rounds).max(1);
    cfg.scale = scale.unwrap_or(cfg.scale);
    if let Some(o) = out {
        cfg.out = o;
    }
    if let Some(list) = sections {
        let has = |name: &str| list.split(',').any(|s| s.trim() == name);
        cfg.main = has("main");
        cfg.api = has("api");
        cfg.callgrind = has("instructions");
        cfg.memory = has("memory");
    }
    cfg
}

fn main() {
    let cfg = parse_args();
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
    let runner = Runner::new(&cfg);
    let rust = Imp::Rust(run::Api::Msg);

    if cfg.main {
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

    if cfg.api {
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

    if cfg.callgrind {
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

    let secs = started.elapsed().as_secs_f64();
    report.finish(secs);
    println!("\nwrote {} ({:.0} s)", report.written().join(", "), secs);
}
