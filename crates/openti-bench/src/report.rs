//! Result types of a bench run, their spread statistics, the printed table and the JSON file.

use serde::Serialize;

use crate::load::LoadResult;
use crate::sys::{CpuUse, Machine, ProcessMemory, Quiet};

/// Minimum, median and maximum of repeated measurements.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Spread {
    /// Smallest.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (all zero when empty).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Spread {
        let mut v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() {
            return Spread::default();
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Spread {
            min: v[0],
            median,
            max: v[n - 1],
        }
    }

    /// `median [min–max]` with the given precision.
    pub fn show(&self, prec: usize) -> String {
        format!(
            "{:.p$} [{:.p$}–{:.p$}]",
            self.median,
            self.min,
            self.max,
            p = prec
        )
    }
}

/// One ingest repeat.
#[derive(Debug, Clone, Serialize)]
pub struct IngestRun {
    /// Observations accepted.
    pub observations: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Observations per second.
    pub rate: f64,
    /// CPU seconds (user + system) the ingest process used.
    pub cpu_seconds: f64,
    /// Observations per CPU second: the rate on an otherwise idle core.
    pub cpu_rate: f64,
    /// Machine CPU use during the run.
    pub cpu: CpuUse,
}

/// The ingest figure.
#[derive(Debug, Clone, Serialize)]
pub struct IngestFigure {
    /// Backend (`sqlite`, later `postgres`).
    pub backend: String,
    /// Every repeat.
    pub runs: Vec<IngestRun>,
    /// Observations per second over the repeats.
    pub rate: Spread,
    /// Observations per CPU second over the repeats.
    pub cpu_rate: Spread,
    /// Database size on disk after ingest (file + WAL), bytes; `None` for a server database.
    pub database_bytes: Option<u64>,
    /// Passive DNS rows the API counts after ingest (`/passiveDnsRecords/$count`).
    pub pdns_rows: Option<u64>,
    /// Hosts the API counts after ingest.
    pub hosts: Option<u64>,
}

/// One measured repeat of one route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteRun {
    /// Load-generator figures.
    #[serde(flatten)]
    pub load: LoadResult,
    /// Server CPU during the run, percent of one core.
    pub server_cpu_pct: f64,
    /// CPU used by other processes during the run, percent of the whole machine.
    pub other_cpu_pct: f64,
}

/// One route's figures.
#[derive(Debug, Clone, Serialize)]
pub struct RouteFigure {
    /// Short name.
    pub name: String,
    /// An example path.
    pub example: String,
    /// Number of distinct paths cycled through.
    pub paths: usize,
    /// Every repeat.
    pub runs: Vec<RouteRun>,
    /// Requests per second.
    pub rps: Spread,
    /// Median latency, ms.
    pub p50_ms: Spread,
    /// 95th percentile, ms.
    pub p95_ms: Spread,
    /// 99th percentile, ms.
    pub p99_ms: Spread,
    /// Median rps divided by the ceiling route's median rps.
    pub ratio_to_ceiling: f64,
}

impl RouteFigure {
    /// Builds the spreads from the runs.
    pub fn new(name: &str, paths: &[String], runs: Vec<RouteRun>) -> RouteFigure {
        let s = |f: fn(&RouteRun) -> f64| Spread::of(runs.iter().map(f));
        RouteFigure {
            name: name.to_string(),
            example: paths.first().cloned().unwrap_or_default(),
            paths: paths.len(),
            rps: s(|r| r.load.rps),
            p50_ms: s(|r| r.load.p50_ms),
            p95_ms: s(|r| r.load.p95_ms),
            p99_ms: s(|r| r.load.p99_ms),
            ratio_to_ceiling: 0.0,
            runs,
        }
    }
}

/// The whole result file.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    /// Format version of this file.
    pub format: u32,
    /// Start time (UTC, RFC 3339).
    pub date: String,
    /// The command as typed.
    pub command: String,
    /// Git commit of the tree measured (with `-dirty` if modified).
    pub commit: String,
    /// Machine description.
    pub machine: Machine,
    /// Quietness before the run.
    pub quiet_before: Quiet,
    /// Generator settings.
    pub data: serde_json::Value,
    /// Ingest figure.
    pub ingest: IngestFigure,
    /// API settings: concurrency, durations, repeats.
    pub load: serde_json::Value,
    /// Route figures (the ceiling first).
    pub routes: Vec<RouteFigure>,
    /// Server memory after the load.
    pub server_memory: ProcessMemory,
    /// Warnings (noisy machine, failed requests, …).
    pub warnings: Vec<String>,
    /// Total wall time, seconds.
    pub total_seconds: f64,
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

/// The human table.
pub fn table(r: &BenchResult) -> String {
    let mut s = String::new();
    let rows = r.data["pdns"].as_u64().unwrap_or(0);
    s.push_str(&format!(
        "OpenTI bench — {} — {} rows — {} ({} cores, {} GiB) — commit {}\n\n",
        r.date, rows, r.machine.cpu, r.machine.cores, r.machine.memory_gib, r.commit
    ));
    let i = &r.ingest;
    if i.runs.is_empty() {
        s.push_str("ingest: not measured in this run (--reuse-database)\n");
    }
    s.push_str(&format!(
        "ingest ({}): {} observations/s (median [min–max] of {} runs), {} per CPU second; \
         {} observations; passive DNS rows {}; hosts {}; database {}\n\n",
        i.backend,
        i.rate.show(0),
        i.runs.len(),
        i.cpu_rate.show(0),
        i.runs.first().map(|x| x.observations).unwrap_or(0),
        i.pdns_rows
            .map(|n| n.to_string())
            .unwrap_or_else(|| "?".into()),
        i.hosts.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
        i.database_bytes.map(mib).unwrap_or_else(|| "n/a".into()),
    ));
    s.push_str(&format!(
        "{:<22} {:>26} {:>8} {:>8} {:>22} {:>7} {:>9}\n",
        "route", "req/s median [min–max]", "p50 ms", "p95 ms", "p99 ms [min–max]", "ratio", "bytes"
    ));
    for f in &r.routes {
        let bytes = Spread::of(f.runs.iter().map(|x| x.load.mean_bytes)).median;
        s.push_str(&format!(
            "{:<22} {:>26} {:>8.2} {:>8.2} {:>22} {:>7.2} {:>9.0}\n",
            f.name,
            f.rps.show(0),
            f.p50_ms.median,
            f.p95_ms.median,
            f.p99_ms.show(2),
            f.ratio_to_ceiling,
            bytes
        ));
    }
    s.push_str(&format!(
        "\nserver peak RSS {:.1} MiB (now {:.1} MiB); total {:.0} s\n",
        r.server_memory.peak_rss_mib, r.server_memory.rss_mib, r.total_seconds
    ));
    for w in &r.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_median() {
        let s = Spread::of([3.0, 1.0, 2.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        assert_eq!(Spread::of([1.0, 2.0]).median, 1.5);
        assert_eq!(Spread::of([]).max, 0.0);
    }
}
