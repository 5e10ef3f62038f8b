//! `slo`: verdicts and alerts for the project's objectives; `slo rules` and `slo validate`.

use super::{fail, write_atomically, SourceArgs, Status};
use crate::obs::html;
use crate::obs::load::Op;
use crate::obs::slo::{
    self, eval, prometheus, render, spec, FindingRef, LockCounters, Priority, Report,
};
use crate::obs::sources::{self, Agents};
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

fn objectives_for(src: &sources::Sources) -> Result<spec::Objectives, miette::Report> {
    spec::from_config(src.config.as_ref()).map_err(|e| miette::Report::new(*e))
}

fn rules(args: RulesArgs) -> Status {
    let flags = sources::SourceFlags {
        config: args.config,
        ..Default::default()
    };
    let result = sources::resolve(&args.root, &flags).and_then(|src| objectives_for(&src));
    let objectives = match result {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let text = prometheus::rules(&objectives);
    output(args.output_file.as_deref(), &text)
}

fn validate(args: ValidateArgs) -> Status {
    let flags = sources::SourceFlags {
        config: args.target.is_file().then(|| args.target.clone()),
        ..Default::default()
    };
    let root = if args.target.is_file() {
        args.target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    } else {
        args.target.clone()
    };
    let src = match sources::resolve(&root, &flags) {
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

/// The evaluated report and the data behind it, which the HTML page draws.
struct Evaluation {
    report: Report,
    /// Each objective's good/bad series; empty unless the output is HTML.
    series: Vec<Option<eval::Series>>,
    windows_ms: Vec<Option<i64>>,
    latency_threshold_ms: Option<f64>,
    ops: Option<Vec<Op>>,
    agents: Option<Agents>,
    findings: Option<Vec<FindingRef>>,
    now_ms: i64,
}

/// Loads every source and evaluates the objectives.
fn build_report(args: &EvalArgs) -> Result<Evaluation, miette::Report> {
    let src = sources::resolve(&args.root, &args.sources.flags())?;
    let objectives = objectives_for(&src)?;
    let metrics = sources::load_metrics(&src)?;
    let history = args.pulse_history.clone().or(src.pulse_history.clone());
    let agents = sources::load_agents(&src, history.as_deref())?;
    let processes = agents.as_ref().and_then(|a| sources::processes_of(&src, a));
    let cycles = sources::load_cycles(&src, &objectives)?;
    let findings_report = args.findings.clone().or(src.findings.clone());
    // Suspects of a process objective come from the findings too.
    let wants_findings = !objectives.gates.is_empty()
        || (processes.is_some() && objectives.slos.iter().any(|s| s.sli.on_processes()));
    let findings = if !wants_findings && findings_report.is_none() {
        None
    } else {
        Some(sources::load_findings(&src, findings_report.as_deref())?)
    };
    let inputs = eval::Inputs {
        now_ms: src.now_ms,
        ops: metrics.as_ref().map(|m| m.ops.as_slice()),
        metrics_stale: metrics.as_ref().and_then(|m| m.stale.clone()),
        agent_observations: agents.as_ref().map(|a| a.observations.as_slice()),
        agents_stale: agents.as_ref().and_then(|a| a.stale.clone()),
        findings: findings.as_ref().map(|(list, _)| list.as_slice()),
        processes: processes.as_ref().map(|p| p.series.as_slice()),
        cycles: cycles.as_ref().map(|(c, _)| c.as_slice()),
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
        processes: processes.map(|p| p.source),
        cycles: cycles.map(|(_, s)| s),
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
