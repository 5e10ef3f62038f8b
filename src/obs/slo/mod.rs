//! SLOs: static findings, lock metrics, agent pulse, process samples and agent cycles turned
//! into verdicts and P1/P2/P3 alerts. The report is versioned (`swarmcheck.slo/v1`, described by
//! `schemas/slo-v1.schema.json`) and renders as text, JSON or Prometheus text.

pub mod eval;
pub mod prometheus;
pub mod render;
pub mod spec;

use crate::obs::load::Op;
use crate::obs::pulse::Totals;
use serde::Serialize;

pub const SCHEMA: &str = "swarmcheck.slo/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Meeting,
    AtRisk,
    Violating,
    NoData,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Meeting,
        Verdict::AtRisk,
        Verdict::Violating,
        Verdict::NoData,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Meeting => "meeting",
            Verdict::AtRisk => "at_risk",
            Verdict::Violating => "violating",
            Verdict::NoData => "no_data",
        }
    }
}

/// Alert priority; `P1` is the most urgent, and orders first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    P1,
    P2,
    P3,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::P1, Priority::P2, Priority::P3];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "p1",
            Priority::P2 => "p2",
            Priority::P3 => "p3",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub priority: Priority,
    /// `page-fast`, `page-slow`, `ticket`, `ticket-slow`, `agents-floor`, `budget-exhausted`,
    /// `gate-high`, `gate-medium`, `gate-low` or `gate-drift`.
    pub rule: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SliOut {
    /// good / total; `null` without events.
    pub value: Option<f64>,
    pub good: u64,
    pub total: u64,
    /// `events` or `timeslices`.
    pub unit: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetOut {
    /// Bad events (or slices) the objective allows over the window.
    pub allowed_bad: f64,
    pub spent_bad: u64,
    /// 1 - spent / allowed: 1 is untouched, 0 is spent, negative is overspent.
    pub remaining_ratio: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Burn {
    pub window: String,
    pub good: u64,
    pub total: u64,
    pub error_ratio: Option<f64>,
    /// error ratio / (1 - objective): 1 spends the budget exactly over the SLO window.
    pub burn_rate: Option<f64>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FindingCounts {
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

impl From<[u64; 3]> for FindingCounts {
    fn from(c: [u64; 3]) -> Self {
        FindingCounts {
            high: c[0],
            medium: c[1],
            low: c[2],
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct FindingLimits {
    pub high: Option<u64>,
    pub medium: Option<u64>,
    pub low: Option<u64>,
}

impl From<[Option<u64>; 3]> for FindingLimits {
    fn from(max: [Option<u64>; 3]) -> Self {
        FindingLimits {
            high: max[0],
            medium: max[1],
            low: max[2],
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GateOut {
    pub select: Vec<String>,
    pub counts: FindingCounts,
    pub limits: FindingLimits,
}

/// One evaluated objective: an SLO or a findings gate.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectiveOut {
    pub name: String,
    pub description: String,
    /// `lock-success`, `lock-latency`, `agents-active` or `findings-gate`.
    pub kind: &'static str,
    pub objective: Option<f64>,
    pub window: Option<String>,
    pub budgeting: Option<&'static str>,
    pub verdict: Verdict,
    pub reason: String,
    pub sli: Option<SliOut>,
    pub error_budget: Option<BudgetOut>,
    pub burn_rates: Vec<Burn>,
    pub gate: Option<GateOut>,
    pub alert: Option<Alert>,
    /// Process objectives: each process's own verdict, and its suspects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessOut>,
}

/// One process under a `memory-growth` or `open-handles` objective.
#[derive(Clone, Debug, Serialize)]
pub struct ProcessOut {
    pub process: String,
    pub agent: Option<String>,
    pub pid: i32,
    pub started: String,
    pub verdict: Verdict,
    pub reason: String,
    pub sli: Option<SliOut>,
    /// Resident memory growth fitted over the last rate window (memory-growth), bytes/hour.
    pub growth_bytes_per_hour: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    /// The source file the process runs, when its command line names one in the project.
    pub entry: Option<String>,
    /// Static findings in the code the process runs that explain this kind of growth (SWC1xx
    /// for memory, SWC3xx for handles); listed when the process is not meeting its objective.
    pub suspects: Vec<Suspect>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Suspect {
    pub code: String,
    pub severity: crate::finding::Severity,
    pub path: String,
    pub line: u64,
    pub message: String,
}

/// A static finding as the objectives see it: what gates count and suspects cite.
#[derive(Clone, Debug)]
pub struct FindingRef {
    pub code: String,
    pub severity: crate::finding::Severity,
    /// As reported (relative to where the scan ran).
    pub path: String,
    /// Resolved on disk, for matching against the code a process runs.
    pub file: Option<std::path::PathBuf>,
    pub line: u64,
    pub message: String,
}

impl ObjectiveOut {
    /// An objective with nothing measured yet: `no_data`, to be filled in by the evaluation.
    pub fn no_data(name: &str, description: &str, kind: &'static str) -> ObjectiveOut {
        ObjectiveOut {
            name: name.to_string(),
            description: description.to_string(),
            kind,
            objective: None,
            window: None,
            budgeting: None,
            verdict: Verdict::NoData,
            reason: String::new(),
            sli: None,
            error_budget: None,
            burn_rates: Vec::new(),
            gate: None,
            alert: None,
            processes: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertRow {
    pub objective: String,
    #[serde(flatten)]
    pub alert: Alert,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub meeting: u64,
    pub at_risk: u64,
    pub violating: u64,
    pub no_data: u64,
    pub p1: u64,
    pub p2: u64,
    pub p3: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricsSource {
    pub files: Vec<String>,
    pub events: u64,
    pub malformed_lines: u64,
    pub last_event: Option<String>,
    pub silent: bool,
    pub status: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct AgentsSource {
    pub files: Vec<String>,
    /// The current pulse, when agent sources are configured.
    pub totals: Option<Totals>,
    pub warnings: Vec<String>,
    pub history_file: Option<String>,
    pub history_snapshots: u64,
    pub history_malformed_lines: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingsSource {
    /// `scan` (the project was checked) or `report` (a saved JSON report).
    pub origin: &'static str,
    pub path: String,
    pub counts: FindingCounts,
}

/// The newest sample of each process in the pulse history (and the current pulse).
#[derive(Clone, Debug, Serialize)]
pub struct ProcessesSource {
    pub processes: Vec<ProcessLatest>,
    pub samples: u64,
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProcessLatest {
    pub process: String,
    pub agent: Option<String>,
    pub pid: i32,
    pub sampled_at: String,
    pub resident_bytes: u64,
    pub open_fds: Option<u64>,
    /// Least-squares growth over the samples of the last hour, bytes/hour.
    pub growth_bytes_per_hour: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CyclesSource {
    pub files: Vec<String>,
    pub cycles: u64,
    pub failed: u64,
    pub malformed_lines: u64,
    /// Cycles over each cycle-time objective's threshold: `slo name -> count`.
    #[serde(skip)]
    pub slow: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Sources {
    pub metrics: Option<MetricsSource>,
    pub agents: Option<AgentsSource>,
    pub findings: Option<FindingsSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<ProcessesSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycles: Option<CyclesSource>,
}

/// Lock operation totals for the Prometheus counters `slo rules` is written against.
#[derive(Clone, Debug, Default)]
pub struct LockCounters {
    /// `(path, outcome) -> count`.
    pub operations: std::collections::BTreeMap<(String, &'static str), u64>,
    /// `path -> (cumulative counts per bucket of WAIT_BUCKETS_S, sum of seconds, count)`.
    pub waits: std::collections::BTreeMap<String, (Vec<u64>, f64, u64)>,
}

/// Bucket bounds (seconds) of `swarmcheck_lock_wait_seconds`; 0.5 s matches the default
/// latency objective.
pub const WAIT_BUCKETS_S: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

impl LockCounters {
    pub fn from_ops(ops: &[Op], now_ms: i64) -> LockCounters {
        use std::collections::{BTreeMap, HashMap};
        // Keyed by the borrowed path while counting: no allocation per event.
        let mut operations: HashMap<(&str, &'static str), u64> = HashMap::new();
        let mut waits: HashMap<&str, (Vec<u64>, f64, u64)> = HashMap::new();
        for op in ops.iter().filter(|op| op.end_ms <= now_ms) {
            *operations
                .entry((&*op.path, op.outcome.as_str()))
                .or_default() += 1;
            let entry = waits
                .entry(&*op.path)
                .or_insert_with(|| (vec![0; WAIT_BUCKETS_S.len()], 0.0, 0));
            let s = op.wait_ms / 1000.0;
            for (i, le) in WAIT_BUCKETS_S.iter().enumerate() {
                if s <= *le {
                    entry.0[i] += 1;
                }
            }
            entry.1 += s;
            entry.2 += 1;
        }
        LockCounters {
            operations: operations
                .into_iter()
                .map(|((p, o), n)| ((p.to_string(), o), n))
                .collect::<BTreeMap<_, _>>(),
            waits: waits.into_iter().map(|(p, w)| (p.to_string(), w)).collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool_version: &'static str,
    pub evaluated_at: String,
    /// `config` or `defaults`.
    pub objectives_from: &'static str,
    pub config: Option<String>,
    pub summary: Summary,
    pub objectives: Vec<ObjectiveOut>,
    /// Every alert, most urgent first.
    pub alerts: Vec<AlertRow>,
    pub sources: Sources,
    #[serde(skip)]
    pub lock_counters: Option<LockCounters>,
}

impl Report {
    pub fn new(
        evaluated_at_ms: i64,
        objectives: Vec<ObjectiveOut>,
        from_config: bool,
        config: Option<String>,
        sources: Sources,
        lock_counters: Option<LockCounters>,
    ) -> Report {
        let mut summary = Summary::default();
        let mut alerts = Vec::new();
        for o in &objectives {
            match o.verdict {
                Verdict::Meeting => summary.meeting += 1,
                Verdict::AtRisk => summary.at_risk += 1,
                Verdict::Violating => summary.violating += 1,
                Verdict::NoData => summary.no_data += 1,
            }
            if let Some(a) = &o.alert {
                match a.priority {
                    Priority::P1 => summary.p1 += 1,
                    Priority::P2 => summary.p2 += 1,
                    Priority::P3 => summary.p3 += 1,
                }
                alerts.push(AlertRow {
                    objective: o.name.clone(),
                    alert: a.clone(),
                });
            }
        }
        alerts.sort_by_key(|a| a.alert.priority);
        Report {
            schema: SCHEMA,
            tool_version: env!("CARGO_PKG_VERSION"),
            evaluated_at: crate::obs::fmt::fmt_ms(evaluated_at_ms),
            objectives_from: if from_config { "config" } else { "defaults" },
            config,
            summary,
            objectives,
            alerts,
            sources,
            lock_counters,
        }
    }

    /// The most urgent alert that fires, if any.
    pub fn highest_alert(&self) -> Option<Priority> {
        self.alerts.first().map(|a| a.alert.priority)
    }
}
