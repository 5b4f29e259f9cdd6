//! The scenarios of BENCHMARKS.md, numbered as there. Each adds its rows to the [`Table`].

mod bulk;
mod detection;
mod fail_fast;
mod fleet;
mod memory;
mod monitoring;
mod overhead;
mod schedule;
mod throughput;

use crate::report::Table;

/// One scenario; its command-line name is the variant in kebab case (`fail-fast`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scenario {
    Overhead,
    FailFast,
    Detection,
    Recovery,
    Herd,
    Memory,
    Fleet,
    Service,
    Bulk,
    Monitoring,
}

impl Scenario {
    /// Every scenario, in the order of BENCHMARKS.md.
    pub(crate) const ALL: [Scenario; 10] = [
        Scenario::Overhead,
        Scenario::FailFast,
        Scenario::Detection,
        Scenario::Recovery,
        Scenario::Herd,
        Scenario::Memory,
        Scenario::Fleet,
        Scenario::Service,
        Scenario::Bulk,
        Scenario::Monitoring,
    ];

    /// Returns the scenario's number in BENCHMARKS.md.
    pub(crate) fn number(self) -> u8 {
        Scenario::ALL.iter().position(|scenario| *scenario == self).map_or(0, |index| index as u8 + 1)
    }

    /// Returns the scenario's title in the table.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Scenario::Overhead => "overhead",
            Scenario::FailFast => "fail-fast",
            Scenario::Detection => "detection",
            Scenario::Recovery => "recovery",
            Scenario::Herd => "herd",
            Scenario::Memory => "memory",
            Scenario::Fleet => "fleet",
            Scenario::Service => "local service",
            Scenario::Bulk => "bulk job",
            Scenario::Monitoring => "monitoring cost",
        }
    }

    /// Runs the scenario, adding its rows to `table`.
    pub(crate) async fn run(self, table: &mut Table) -> anyhow::Result<()> {
        let name = format!("{} {}", self.number(), self.title());
        match self {
            Scenario::Overhead => overhead::run(&name, table).await,
            Scenario::FailFast => fail_fast::run(&name, table).await,
            Scenario::Detection => detection::run(&name, table).await,
            Scenario::Recovery => schedule::recovery(&name, table).await,
            Scenario::Herd => schedule::herd(&name, table),
            Scenario::Memory => memory::run(&name, table).await,
            Scenario::Fleet => fleet::run(&name, table).await,
            Scenario::Service => throughput::run(&name, table).await,
            Scenario::Bulk => bulk::run(&name, table).await,
            Scenario::Monitoring => monitoring::run(&name, table).await,
        }
    }
}
