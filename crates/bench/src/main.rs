//! Benchmarks of chittyid: one subcommand per scenario of BENCHMARKS.md, and `all`, which runs every scenario and
//! prints one table.
//!
//! # Why ratios
//!
//! The machine these numbers come from has two cores shared with compilers and other jobs, so an absolute latency
//! means little. Where a scenario has a natural baseline (a bare HTTP request, the schedule without jitter), the
//! baseline runs in the same process, interleaved with the measured code, and the table reports the ratio.
//!
//! Every server is the real `chittyid serve` binary, a child process on `127.0.0.1`. Nothing here talks to another
//! address.
//!
//! Benchmarks are not tests: nothing here fails on a timing. A scenario that cannot run becomes a "not measured"
//! row with the reason, and the exit status is non-zero only for invalid arguments or a runtime that cannot start.

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub, rust_2018_idioms)]

mod alloc;
mod cpu;
mod forwarder;
mod load;
mod report;
mod scenarios;
mod service;
mod stats;

use clap::{Parser, ValueEnum};

use report::Table;
use scenarios::Scenario;

/// Runs the chittyid benchmarks against a local service on loopback and prints a table.
#[derive(Debug, Parser)]
#[command(name = "chittyid-bench")]
struct Cli {
    /// The scenario to run (overhead, fail-fast, detection, recovery, herd, memory, fleet, service, bulk,
    /// monitoring), or `all`.
    #[arg(value_parser = parse_selection, value_name = "SCENARIO")]
    scenario: Selection,
}

/// The scenarios to run, from the command line.
#[derive(Debug, Clone)]
struct Selection(Vec<Scenario>);

fn parse_selection(text: &str) -> Result<Selection, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(Selection(Scenario::ALL.to_vec()));
    }
    Scenario::from_str(text, true)
        .map(|scenario| Selection(vec![scenario]))
        .map_err(|_| format!("unknown scenario {text:?}: expected all, or one of the names in --help"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Silent unless RUST_LOG enables the library's debug logs.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let Selection(scenarios) = cli.scenario;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut table = Table::default();
    let started = std::time::Instant::now();
    for scenario in scenarios {
        eprintln!("running {scenario:?}…");
        let scenario_started = std::time::Instant::now();
        if let Err(error) = runtime.block_on(scenario.run(&mut table)) {
            table.not_measured(scenario.number(), scenario.title(), &format!("{error:#}"));
        }
        eprintln!("{scenario:?} took {:.1} s", scenario_started.elapsed().as_secs_f64());
    }
    println!("{}", table.render());
    eprintln!("total {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
