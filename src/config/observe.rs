//! The observability part of the configuration: where the metrics, agent status and pulse
//! history live (`[observe]`), and the declared objectives (`[[slo]]`, `[[gate]]`). Checked and
//! turned into typed specs by `obs::slo::spec`.

use serde::Deserialize;
use toml::Spanned;

/// `[observe]`: data sources for `slo`, `swarm.pulse` and `health.ping`. Relative paths are
/// relative to the configuration file's directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ObserveConfig {
    /// Lock metrics: event logs or legacy files; globs allowed.
    pub metrics: Option<Vec<Spanned<String>>>,
    /// Agent status directories, status files or orchestrator registries.
    pub agents: Option<Vec<Spanned<String>>>,
    /// The JSON Lines file `swarm.pulse --record` appends to.
    pub pulse_history: Option<Spanned<String>>,
    /// A saved `check --output-format json` report, used instead of scanning.
    pub findings: Option<Spanned<String>>,
    /// An agent whose last update is older than this is stale (default 15m).
    pub stale_after: Option<Spanned<String>>,
    /// A metrics log with no event for this long is silent (default 1h).
    pub metrics_stale_after: Option<Spanned<String>>,
    /// Evaluate at this fixed time instead of now (reproducible demos and examples).
    pub evaluate_at: Option<Spanned<String>>,
    /// Agent cycle logs (JSON Lines from `swarmcheck.observe.record_cycle`); globs allowed.
    pub cycles: Option<Vec<Spanned<String>>>,
    /// Processes to sample besides those named by a `pid` in an agent's status record.
    pub process: Option<Vec<ProcessConfig>>,
}

/// One `[[observe.process]]`: a process found through a pid file or its command line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProcessConfig {
    pub name: Spanned<String>,
    /// A file holding the pid (as `daemon --pidfile` writes it).
    pub pid_file: Option<Spanned<String>>,
    /// A regular expression over the command line (arguments joined by spaces).
    #[serde(rename = "match")]
    pub matches: Option<Spanned<String>>,
    /// The agent id this process runs, to join it with the agent's status.
    pub agent: Option<String>,
}

/// One `[[slo]]`, named after OpenSLO and sloth fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SloConfig {
    pub name: Spanned<String>,
    pub description: Option<String>,
    /// `lock-success`, `lock-latency`, `agents-active`, `memory-growth`, `open-handles`,
    /// `cycle-time` or `task-success`.
    pub sli: Spanned<String>,
    /// Target share of good events (or good time slices), e.g. 0.95.
    pub objective: Spanned<f64>,
    /// Rolling window (default 30d).
    pub window: Option<Spanned<String>>,
    /// `occurrences` (default) or `timeslices`.
    pub budgeting: Option<Spanned<String>>,
    /// Length of a time slice (default 1m).
    pub timeslice: Option<Spanned<String>>,
    /// Share of good events that makes a time slice good (default: the objective).
    pub timeslice_target: Option<Spanned<f64>>,
    /// `lock-latency`: an operation is good when its lock wait is at most this (e.g. 500ms).
    pub threshold: Option<Spanned<String>>,
    /// `agents-active`: a time slice is good when at least this many agents are active.
    pub min_active: Option<Spanned<u64>>,
    /// Only lock operations on documents matching this glob.
    pub path: Option<Spanned<String>>,
    /// Fewer events (or slices) than this in the window give `no_data`.
    pub min_events: Option<Spanned<u64>>,
    /// `memory-growth`: a sample is good when resident memory grew slower than this (`100MB/h`).
    pub max_growth: Option<Spanned<String>>,
    /// `memory-growth`: the span the growth rate is fitted over (default 1h).
    pub rate_window: Option<Spanned<String>>,
    /// `open-handles`: a sample is good when the process has fewer open descriptors than this.
    pub max_handles: Option<Spanned<u64>>,
}

/// One `[[gate]]` on static findings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GateConfig {
    pub name: Spanned<String>,
    pub description: Option<String>,
    /// Rule selectors the gate counts (default: all).
    pub select: Option<Vec<Spanned<String>>>,
    /// Most findings allowed per severity; a missing key means no limit.
    pub max_high: Option<u64>,
    pub max_medium: Option<u64>,
    pub max_low: Option<u64>,
}
