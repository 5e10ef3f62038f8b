//! `swarm.pulse` (agent states now) and `health.ping` (is every data source alive).

use super::{fail, SourceArgs, Status};
use crate::obs::fmt::{bytes, human};
use crate::obs::lock_report::freshness_of_ops;
use crate::obs::pulse::{self, Pulse};
use crate::obs::sources::{self, load_pulse};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PulseArgs {
    #[command(flatten)]
    sources: SourceArgs,
    /// Append this pulse as one JSON line to FILE (history for time-slice SLOs); with --watch,
    /// defaults to [observe] pulse-history.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Record a pulse every INTERVAL (e.g. 30s, 1m) until interrupted (SIGINT or SIGTERM).
    #[arg(long, value_name = "INTERVAL")]
    watch: Option<String>,
    /// With --watch: stop after this many records.
    #[arg(long, value_name = "N", requires = "watch")]
    count: Option<u64>,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: Format,
}

#[derive(Debug, Args)]
pub struct PingArgs {
    /// The project whose configuration names the sources.
    #[arg(default_value = ".")]
    root: PathBuf,
    #[command(flatten)]
    sources: SourceArgs,
    /// A saved `check --output-format json` report whose age to show. Overrides [observe] findings.
    #[arg(long, value_name = "REPORT")]
    findings: Option<PathBuf>,
    /// A scan report older than this is stale.
    #[arg(long, default_value = "1d", value_name = "DURATION")]
    report_stale_after: String,
}

pub fn run(args: PulseArgs) -> Status {
    let src = match sources::resolve(&PathBuf::from("."), &args.sources.flags()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if src.agents.is_empty() && src.processes.is_empty() {
        return fail(miette::miette!(
            help = "e.g. swarmcheck swarm.pulse --agents agent_workspaces --agents orchestrator-registry",
            "no agent sources: pass --agents DIR|FILE or set [observe] agents (or [[observe.process]]) in swarmcheck.toml"
        ));
    }
    if let Some(interval) = &args.watch {
        return watch(src, &args, interval);
    }
    let p = match load_pulse(&src) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Some(path) = &args.record {
        if let Err(e) = pulse::record(path, &pulse::Snapshot::of(&p)) {
            return fail(miette::miette!("cannot append to {}: {e}", path.display()));
        }
    }
    match args.output_format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&p).expect("serializable")
        ),
        Format::Text => out!("{}", render(&p)),
    }
    Status::Ok
}

/// `--watch`: a pulse, with its processes sampled, appended every interval until a signal
/// (or `--count` records). Each record is one line on standard output.
fn watch(mut src: sources::Sources, args: &PulseArgs, interval: &str) -> Status {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let every_ms = match crate::obs::parse_duration_ms(interval) {
        Ok(ms) if ms >= 100 => ms,
        Ok(_) => {
            return fail(miette::miette!(
                "--watch {interval}: the interval must be at least 100ms"
            ))
        }
        Err(e) => return fail(miette::miette!("--watch: {e}")),
    };
    if args.sources.now.is_some() {
        return fail(miette::miette!(
            "--watch samples the running processes now; --now does not apply"
        ));
    }
    let Some(path) = args.record.clone().or(src.pulse_history.clone()) else {
        return fail(miette::miette!(
            help = "pass --record FILE or set [observe] pulse-history",
            "--watch needs a file to record to"
        ));
    };
    let stop = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            return fail(miette::miette!("cannot handle signal {signal}: {e}"));
        }
    }
    // The clock, even where the configuration pins `evaluate-at` for reports.
    src.now_is_clock = true;
    let mut recorded = 0u64;
    let mut next = std::time::Instant::now();
    while !stop.load(Ordering::Relaxed) {
        src.now_ms = chrono::Utc::now().timestamp_millis();
        let p = match load_pulse(&src) {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        if let Err(e) = pulse::record(&path, &pulse::Snapshot::of(&p)) {
            return fail(miette::miette!("cannot append to {}: {e}", path.display()));
        }
        recorded += 1;
        outln!(
            "{} recorded {} agents ({} active), {} processes to {}{}",
            p.now,
            p.totals.agents,
            p.totals.active,
            p.processes.len(),
            path.display(),
            if p.warnings.is_empty() {
                String::new()
            } else {
                format!("; {} warnings", p.warnings.len())
            }
        );
        for w in &p.warnings {
            eprintln!(
                "warning: {}: {}",
                super::output::printable(&w.file),
                super::output::printable(&w.message)
            );
        }
        if args.count.is_some_and(|n| recorded >= n) {
            break;
        }
        next += std::time::Duration::from_millis(every_ms as u64);
        // Sleep in short steps so that a signal ends the wait promptly.
        while !stop.load(Ordering::Relaxed) {
            let now = std::time::Instant::now();
            if now >= next {
                break;
            }
            std::thread::sleep((next - now).min(std::time::Duration::from_millis(100)));
        }
        // A slow sample (or a suspended machine) skips the missed ticks instead of bursting.
        if std::time::Instant::now() > next {
            next = std::time::Instant::now();
        }
    }
    Status::Ok
}

fn render(p: &Pulse) -> String {
    let mut s = String::new();
    let t = &p.totals;
    let _ = writeln!(
        s,
        "Agent pulse at {} (stale after {}): {} agents",
        p.now,
        human(p.stale_after_seconds),
        t.agents
    );
    let _ = writeln!(
        s,
        "  active {}  idle {}  stale {}  blocked {}  done {}  unknown {}  |  tasks in progress {}\n",
        t.active, t.idle, t.stale, t.blocked, t.done, t.unknown, p.tasks_in_progress
    );
    let id_w = p
        .agents
        .iter()
        .map(|a| a.id.len())
        .max()
        .unwrap_or(5)
        .clamp(5, 64);
    let _ = writeln!(
        s,
        "  {:<id_w$}  {:<8} {:>8}  TASK",
        "AGENT", "STATE", "UPDATED"
    );
    for a in &p.agents {
        let age = match (a.age_seconds, a.time_source) {
            (Some(age), "mtime") => format!("{}*", human(age)),
            (Some(age), _) => human(age),
            (None, _) => "-".to_string(),
        };
        let task: String = a.task.as_deref().unwrap_or("-").chars().take(60).collect();
        let task = super::output::printable(&task);
        let id: String = a.id.chars().take(id_w).collect();
        let id = super::output::printable(&id);
        let _ = writeln!(
            s,
            "  {id:<id_w$}  {:<8} {:>8}  {task}",
            a.state.as_str(),
            age
        );
    }
    if p.agents.iter().any(|a| a.time_source == "mtime") {
        let _ = writeln!(s, "  (* age from the file's modification time)");
    }
    if !p.processes.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<id_w$}  {:>8}  {:>10}  {:>6}  {:>7}  {:>8}",
            "PROCESS", "PID", "RSS", "FDS", "THREADS", "CPU"
        );
        for x in &p.processes {
            let name: String = x.name.chars().take(id_w).collect();
            let opt = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
            let _ = writeln!(
                s,
                "  {:<id_w$}  {:>8}  {:>10}  {:>6}  {:>7}  {:>8}",
                super::output::printable(&name),
                x.pid,
                bytes(x.rss_bytes as f64),
                opt(x.fds),
                opt(x.threads),
                x.cpu_seconds
                    .map_or("-".to_string(), |c| format!("{c:.1}s"))
            );
        }
    }
    if !p.warnings.is_empty() {
        let _ = writeln!(s, "\nWarnings:");
        for w in &p.warnings {
            let _ = writeln!(
                s,
                "  {}: {}",
                super::output::printable(&w.file),
                super::output::printable(&w.message)
            );
        }
    }
    s
}

pub fn ping(args: PingArgs) -> Status {
    let src = match sources::resolve(&args.root, &args.sources.flags()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let report_stale = match crate::obs::parse_duration_s(&args.report_stale_after) {
        Ok(s) => s,
        Err(e) => return fail(miette::miette!("--report-stale-after: {e}")),
    };
    let findings = args.findings.clone().or(src.findings.clone());
    if src.agents.is_empty() && src.metrics.is_empty() && findings.is_none() {
        return fail(miette::miette!(
            help = "set [observe] metrics, agents and findings in swarmcheck.toml, or pass --metrics, --agents, --findings",
            "nothing to ping: no source is configured"
        ));
    }
    let mut healthy = true;
    let mut line = |source: &str, ok: bool, text: String| {
        healthy &= ok;
        outln!("{source:<9} {:<6} {text}", if ok { "ok" } else { "FAIL" });
    };
    if src.agents.is_empty() {
        outln!("{:<9} {:<6} not configured", "agents", "-");
    } else {
        match load_pulse(&src) {
            Ok(p) => {
                let newest = p.newest_update_ms().map(|ms| (src.now_ms - ms) / 1000);
                let fresh = newest.is_some_and(|age| age <= src.stale_after_s);
                let agent_warnings = p
                    .warnings
                    .iter()
                    .filter(|w| !w.file.starts_with("process "))
                    .count();
                let text = format!(
                    "{} agents found ({} active); newest update {}{}",
                    p.totals.agents,
                    p.totals.active,
                    newest.map_or("never".to_string(), |a| format!("{} ago", human(a))),
                    if agent_warnings == 0 {
                        String::new()
                    } else {
                        format!("; {agent_warnings} warnings")
                    }
                );
                line("agents", p.totals.agents > 0 && fresh, text);
                // Every process named (by a status pid or [[observe.process]]) must be readable.
                let named = p.agents.iter().filter(|a| a.pid.is_some()).count();
                if named > 0 || !src.processes.is_empty() {
                    let problems: Vec<&str> = p
                        .warnings
                        .iter()
                        .filter(|w| w.file.starts_with("process "))
                        .map(|w| w.message.as_str())
                        .collect();
                    let text = format!(
                        "{} sampled{}",
                        p.processes.len(),
                        problems.first().map_or(String::new(), |m| format!(
                            "; {} warnings, first: {m}",
                            problems.len()
                        ))
                    );
                    line(
                        "processes",
                        problems.is_empty() && !p.processes.is_empty(),
                        text,
                    );
                }
            }
            Err(e) => line("agents", false, e.to_string()),
        }
    }
    if src.metrics.is_empty() {
        outln!("{:<9} {:<6} not configured", "metrics", "-");
    } else {
        match crate::obs::load::load_all(&src.metrics) {
            Ok(data) => {
                let f = freshness_of_ops(&data.ops, src.now_ms, src.metrics_stale_after_s);
                line(
                    "metrics",
                    !f.silent,
                    format!("{} events; {}", data.ops.len(), f.status),
                );
            }
            Err(e) => line("metrics", false, e.to_string()),
        }
    }
    match findings {
        None => outln!(
            "{:<9} {:<6} no saved scan report configured",
            "findings",
            "-"
        ),
        Some(path) => match std::fs::metadata(&path).and_then(|m| m.modified()) {
            Ok(modified) => {
                let ms = modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64);
                let age = (src.now_ms - ms) / 1000;
                line(
                    "findings",
                    age <= report_stale,
                    format!("{}: written {} ago", path.display(), human(age)),
                );
            }
            Err(e) => line("findings", false, format!("{}: {e}", path.display())),
        },
    }
    if healthy {
        Status::Ok
    } else {
        Status::Failed
    }
}
