//! `slo`: verdicts and alerts for the project's objectives; `slo rules` and `slo validate`.

use super::observe::{self, SourceArgs};
use super::{fail, write_atomically, Status};
use crate::finding::Severity;
use crate::lint;
use crate::obs::html;
use crate::obs::load::{self, Op};
use crate::obs::lock_report::freshness_of_ops;
use crate::obs::pulse::{self, Totals};
use crate::obs::slo::{
    self, eval, prometheus, render, spec, AgentsSource, FindingCounts, FindingsSource,
    LockCounters, MetricsSource, Priority, Report,
};
use clap::{Args, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Prometheus,
    /// A self-contained page with charts; best written with `-o report.html`.
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    P1,
    P2,
    P3,
    Never,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SloArgs {
    #[command(subcommand)]
    command: Option<SloCommand>,
    #[command(flatten)]
    eval: EvalArgs,
}

#[derive(Debug, Subcommand)]
enum SloCommand {
    /// Prometheus recording and alerting rules for the same objectives.
    Rules(RulesArgs),
    /// Check the objectives of a configuration; exit 2 on errors.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The project: its code is scanned for the findings gates and its configuration names the data.
    #[arg(default_value = ".")]
    root: PathBuf,
    #[command(flatten)]
    sources: SourceArgs,
    /// A saved `check --output-format json` report to use instead of scanning ROOT.
    #[arg(long, value_name = "REPORT")]
    findings: Option<PathBuf>,
    /// Pulse history (JSON Lines from `swarm.pulse --record`). Overrides [observe] pulse-history.
    #[arg(long, value_name = "FILE")]
    pulse_history: Option<PathBuf>,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: Format,
    /// Write the output here instead of standard output (atomically: a temporary file, then a rename).
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Exit 1 when an alert of this priority or a more urgent one fires.
    #[arg(long, value_enum, default_value = "p1")]
    fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(default_value = ".")]
    root: PathBuf,
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A configuration file, or a project directory whose configuration to check.
    #[arg(default_value = ".")]
    target: PathBuf,
}

pub fn run(args: SloArgs) -> Status {
    match args.command {
        Some(SloCommand::Rules(a)) => rules(a),
        Some(SloCommand::Validate(a)) => validate(a),
        None => evaluate(args.eval),
    }
}

fn objectives_for(src: &observe::Sources) -> Result<spec::Objectives, miette::Report> {
    spec::from_config(src.config.as_ref()).map_err(|e| miette::Report::new(*e))
}

fn rules(args: RulesArgs) -> Status {
    let flags = SourceArgs {
        config: args.config,
        ..SourceArgs::default()
    };
    let result = observe::resolve(&args.root, &flags).and_then(|src| objectives_for(&src));
    let objectives = match result {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let text = prometheus::rules(&objectives);
    output(args.output_file.as_deref(), &text)
}

fn validate(args: ValidateArgs) -> Status {
    let flags = SourceArgs {
        config: args.target.is_file().then(|| args.target.clone()),
        ..SourceArgs::default()
    };
    let root = if args.target.is_file() {
        args.target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    } else {
        args.target.clone()
    };
    let src = match observe::resolve(&root, &flags) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let Some(config) = &src.config else {
        return fail(miette::miette!(
            "no configuration found for {} (swarmcheck.toml or [tool.swarmcheck] in pyproject.toml)",
            args.target.display()
        ));
    };
    // Lint settings are part of the same file; check them too.
    if let Err(e) = crate::config::resolve(Some(config), &Default::default()) {
        return fail(e.into());
    }
    let objectives = match objectives_for(&src) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    for w in spec::warnings(&objectives) {
        eprintln!("warning: {w}");
    }
    outln!(
        "{}: {} SLO{} and {} gate{} are valid{}",
        config.path.display(),
        objectives.slos.len(),
        if objectives.slos.len() == 1 { "" } else { "s" },
        objectives.gates.len(),
        if objectives.gates.len() == 1 { "" } else { "s" },
        if objectives.from_config {
            ""
        } else {
            " (none declared: the built-in defaults apply)"
        }
    );
    Status::Ok
}

fn output(path: Option<&Path>, text: &str) -> Status {
    match path {
        Some(p) => match write_atomically(p, text.as_bytes()) {
            Ok(()) => Status::Ok,
            Err(e) => fail(miette::miette!("cannot write {}: {e}", p.display())),
        },
        None => {
            out!("{text}");
            Status::Ok
        }
    }
}

struct Metrics {
    ops: Vec<Op>,
    source: MetricsSource,
    stale: Option<String>,
}

fn load_metrics(src: &observe::Sources) -> Result<Option<Metrics>, miette::Report> {
    if src.metrics.is_empty() {
        return Ok(None);
    }
    let data = load::load_all(&src.metrics).map_err(|e| miette::miette!("{e}"))?;
    let mut ops = data.ops;
    ops.sort_unstable_by_key(|o| o.end_ms);
    let f = freshness_of_ops(&ops, src.now_ms, src.metrics_stale_after_s);
    let stale = f.silent.then(|| f.status.clone());
    Ok(Some(Metrics {
        source: MetricsSource {
            files: data.files.iter().map(|p| p.display().to_string()).collect(),
            events: ops.len() as u64,
            malformed_lines: data.malformed.len() as u64,
            last_event: f.last_event.clone(),
            silent: f.silent,
            status: f.status,
        },
        ops,
        stale,
    }))
}

struct Agents {
    observations: Vec<(i64, Totals)>,
    states: Vec<(i64, std::collections::BTreeMap<String, pulse::PulseState>)>,
    source: AgentsSource,
    stale: Option<String>,
}

fn load_agents(
    src: &observe::Sources,
    history: Option<&Path>,
) -> Result<Option<Agents>, miette::Report> {
    if src.agents.is_empty() && history.is_none() {
        return Ok(None);
    }
    let mut observations = Vec::new();
    let mut states = Vec::new();
    let mut source = AgentsSource {
        files: Vec::new(),
        totals: None,
        warnings: Vec::new(),
        history_file: history.map(|h| h.display().to_string()),
        history_snapshots: 0,
        history_malformed_lines: 0,
    };
    // Before the first `swarm.pulse --record` there is no history yet: no data, not an error.
    if let Some(h) = history.filter(|h| !h.exists()) {
        source.warnings.push(format!(
            "pulse history {} does not exist yet; record it with `swarmcheck swarm.pulse --record`",
            h.display()
        ));
    }
    if let Some(h) = history.filter(|h| h.exists()) {
        let hist = pulse::load_history(h).map_err(|e| miette::miette!("{e}"))?;
        source.history_snapshots = hist.snapshots.len() as u64;
        source.history_malformed_lines = hist.malformed.len() as u64;
        for (line, why) in hist.malformed.iter().take(5) {
            source
                .warnings
                .push(format!("{}:{line}: skipped: {why}", h.display()));
        }
        observations.extend(hist.snapshots);
        states = hist.states;
    }
    if !src.agents.is_empty() {
        let p = super::pulse::load_pulse(src)?;
        source.files = p.sources.clone();
        source.totals = Some(p.totals);
        source.warnings.extend(
            p.warnings
                .iter()
                .map(|w| format!("{}: {}", w.file, w.message)),
        );
        observations.push((src.now_ms, p.totals));
        states.push((
            src.now_ms,
            p.agents.iter().map(|a| (a.id.clone(), a.state)).collect(),
        ));
    }
    observations.sort_by_key(|(t, _)| *t);
    let latest = observations
        .iter()
        .rev()
        .find(|(t, _)| *t <= src.now_ms)
        .map(|(t, _)| *t);
    let stale = match latest {
        None => Some("no agent observation at or before the evaluation time".to_string()),
        Some(t) if (src.now_ms - t) / 1000 > src.stale_after_s => Some(format!(
            "pulse history silent for {} (last snapshot {}); record it with `swarm.pulse --record`",
            crate::obs::lock_report::human((src.now_ms - t) / 1000),
            crate::obs::lock_report::fmt_ms(t)
        )),
        Some(_) => None,
    };
    states.sort_by_key(|(t, _)| *t);
    Ok(Some(Agents {
        observations,
        states,
        source,
        stale,
    }))
}

fn load_findings(
    src: &observe::Sources,
    report: Option<&Path>,
) -> Result<(Vec<(String, Severity)>, FindingsSource), miette::Report> {
    let (list, origin, path) = match report {
        Some(path) => (read_report(path)?, "report", path.display().to_string()),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| miette::miette!("cannot read the current directory: {e}"))?;
            let (mut settings, _) =
                crate::config::resolve(src.config.as_ref(), &Default::default())?;
            settings.project_root =
                crate::config::project_root(src.config.as_ref(), &src.root, &cwd);
            if std::fs::symlink_metadata(&src.root).is_err() {
                return Err(miette::miette!(
                    "{}: no such file or directory",
                    src.root.display()
                ));
            }
            let result = lint::check_paths(
                std::slice::from_ref(&src.root),
                &settings,
                &cwd,
                &|_| {},
                &|| {},
                None,
                &lint::Unsaved::default(),
            )
            .map_err(|e| miette::miette!("{e}"))?;
            let list = result
                .findings
                .iter()
                .map(|f| (f.code.to_string(), f.severity))
                .collect();
            (list, "scan", src.root.display().to_string())
        }
    };
    let mut counts = [0u64; 3];
    for (_, s) in &list {
        counts[spec::severity_index(*s)] += 1;
    }
    Ok((
        list,
        FindingsSource {
            origin,
            path,
            counts: FindingCounts::from(counts),
        },
    ))
}

/// The findings of a saved JSON report: `{"findings": [{"code", "severity", ...}]}`.
fn read_report(path: &Path) -> Result<Vec<(String, Severity)>, miette::Report> {
    #[derive(serde::Deserialize)]
    struct Saved {
        findings: Vec<SavedFinding>,
    }
    #[derive(serde::Deserialize)]
    struct SavedFinding {
        code: String,
        severity: Severity,
    }
    let text = crate::store::files::read_regular_to_string(path, 1 << 30)
        .map_err(|e| miette::miette!("cannot read findings report {}: {e}", path.display()))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        miette::miette!(
            help = "write one with `swarmcheck check --output-format json -o REPORT.json`",
            "{}:{}:{}: not a swarmcheck JSON report: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    Ok(saved
        .findings
        .into_iter()
        .map(|f| (f.code, f.severity))
        .collect())
}

/// The evaluated report and the data behind it, which the HTML page draws.
struct Evaluation {
    report: Report,
    /// Each objective's good/bad series; empty unless the output is HTML.
    series: Vec<Option<eval::Series>>,
    windows_ms: Vec<Option<i64>>,
    latency_threshold_ms: Option<f64>,
    ops: Option<Vec<Op>>,
    agents: Option<Agents>,
    findings: Option<Vec<(String, Severity)>>,
    now_ms: i64,
}

/// Loads every source and evaluates the objectives.
fn build_report(args: &EvalArgs) -> Result<Evaluation, miette::Report> {
    let src = observe::resolve(&args.root, &args.sources)?;
    let objectives = objectives_for(&src)?;
    let metrics = load_metrics(&src)?;
    let history = args.pulse_history.clone().or(src.pulse_history.clone());
    let agents = load_agents(&src, history.as_deref())?;
    let findings_report = args.findings.clone().or(src.findings.clone());
    let findings = if objectives.gates.is_empty() && findings_report.is_none() {
        None
    } else {
        Some(load_findings(&src, findings_report.as_deref())?)
    };
    let inputs = eval::Inputs {
        now_ms: src.now_ms,
        ops: metrics.as_ref().map(|m| m.ops.as_slice()),
        metrics_stale: metrics.as_ref().and_then(|m| m.stale.clone()),
        agent_observations: agents.as_ref().map(|a| a.observations.as_slice()),
        agents_stale: agents.as_ref().and_then(|a| a.stale.clone()),
        findings: findings.as_ref().map(|(list, _)| list.as_slice()),
    };
    // Only the HTML page draws the series; the other formats let each go once evaluated.
    let (evaluated, series): (Vec<_>, Vec<_>) = if args.output_format == Format::Html {
        eval::evaluate_with_series(&objectives, &inputs)
            .into_iter()
            .unzip()
    } else {
        (eval::evaluate(&objectives, &inputs), Vec::new())
    };
    let counters = metrics
        .as_ref()
        .filter(|_| args.output_format == Format::Prometheus)
        .map(|m| LockCounters::from_ops(&m.ops, src.now_ms));
    let (metrics_source, ops) = match metrics {
        Some(m) => (Some(m.source), Some(m.ops)),
        None => (None, None),
    };
    let (findings_list, findings_source) = match findings {
        Some((list, s)) => (Some(list), Some(s)),
        None => (None, None),
    };
    let sources = slo::Sources {
        metrics: metrics_source,
        agents: agents.as_ref().map(|a| a.source.clone()),
        findings: findings_source,
    };
    let report = Report::new(
        src.now_ms,
        evaluated,
        objectives.from_config,
        src.config.as_ref().map(|c| c.path.display().to_string()),
        sources,
        counters,
    );
    Ok(Evaluation {
        report,
        series,
        windows_ms: objectives
            .slos
            .iter()
            .map(|s| Some(s.window_ms))
            .chain(objectives.gates.iter().map(|_| None))
            .collect(),
        latency_threshold_ms: objectives.slos.iter().find_map(|s| match s.sli {
            spec::Sli::LockLatency { threshold_ms } => Some(threshold_ms),
            _ => None,
        }),
        ops,
        agents,
        findings: findings_list,
        now_ms: src.now_ms,
    })
}

fn html_page(e: &Evaluation) -> String {
    let page = html::SloPage {
        report: &e.report,
        histories: e
            .series
            .iter()
            .zip(&e.windows_ms)
            .map(|(s, w)| s.as_ref().zip(*w))
            .collect(),
        ops: e.ops.as_deref(),
        latency_threshold_ms: e.latency_threshold_ms,
        agents: e.agents.as_ref().map(|a| html::AgentHistory {
            totals: &a.observations,
            states: &a.states,
        }),
        findings: e.findings.as_deref(),
        now_ms: e.now_ms,
    };
    html::slo_page(&page)
}

fn evaluate(args: EvalArgs) -> Status {
    let evaluation = match build_report(&args) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let report = &evaluation.report;
    let text = match args.output_format {
        Format::Html => html_page(&evaluation),
        Format::Json => serde_json::to_string_pretty(report).expect("serializable") + "\n",
        Format::Prometheus => prometheus::exposition(report),
        Format::Text => {
            let color = args.output_file.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            render::text(report, color)
        }
    };
    let written = output(args.output_file.as_deref(), &text);
    if written != Status::Ok {
        return written;
    }
    let threshold = match args.fail_on {
        FailOn::P1 => Some(Priority::P1),
        FailOn::P2 => Some(Priority::P2),
        FailOn::P3 => Some(Priority::P3),
        FailOn::Never => None,
    };
    match (report.highest_alert(), threshold) {
        (Some(p), Some(t)) if p <= t => Status::Failed,
        _ => Status::Ok,
    }
}
