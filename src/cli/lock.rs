//! `lock.report`, `lock.optimize` and `obs.metrics`: lock metrics from swarmcheck's event log
//! and the legacy metrics file.

use super::{fail, write_atomically, Status};
use crate::obs::fmt::fmt_ms;
use crate::obs::html;
use crate::obs::load::{self, Dataset};
use crate::obs::lock_report::{self, Filter, LockReport, Stats};
use crate::obs::optimize::{self, Schedule};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct Inputs {
    /// Metrics file or glob (event log or legacy file); repeatable. Default: $SWARMCHECK_METRICS.
    #[arg(long = "metrics", value_name = "PATH")]
    metrics: Vec<String>,
    /// Only the last N hours before --now.
    #[arg(long, conflicts_with_all = ["since", "until"])]
    hours: Option<f64>,
    /// Only events at or after this time (RFC 3339 or naive local time).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only events at or before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only documents whose path matches this glob.
    #[arg(long, value_name = "GLOB")]
    path: Option<String>,
    /// The time to compute windows and freshness against (default: now). Makes output reproducible.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// A log with no event for this long is reported as silent.
    #[arg(long, default_value = "1h", value_name = "DURATION")]
    stale_after: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    /// A self-contained page with charts; best written with `-o report.html`.
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: ReportFormat,
    /// Write the output here instead of standard output (atomically: a temporary file, then a rename).
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Also write a timestamped text + JSON pair into this directory.
    #[arg(long, value_name = "DIR")]
    save_report: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: Format,
}

#[derive(Debug, Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: Format,
    /// Operation success to reach with the recommended schedule.
    #[arg(long, default_value_t = 0.999)]
    target_success: f64,
    /// The retry settings in use: max_retries=8,base_delay=0.15,cap=2.0
    #[arg(long, value_name = "SETTINGS")]
    current: Option<String>,
}

struct Loaded {
    data: Dataset,
    report: LockReport,
    filter: Filter,
    now_ms: i64,
}

fn load(inputs: &Inputs) -> Result<Loaded, String> {
    let mut files = inputs.metrics.clone();
    if files.is_empty() {
        if let Some(env) = std::env::var_os("SWARMCHECK_METRICS").filter(|v| !v.is_empty()) {
            files.push(env.to_string_lossy().into_owned());
        }
    }
    if files.is_empty() {
        return Err("no metrics given: pass --metrics PATH (repeatable, globs allowed) or set SWARMCHECK_METRICS".to_string());
    }
    let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>, String> {
        v.as_deref()
            .map(|t| {
                load::parse_time(t).ok_or_else(|| {
                    format!("{flag} `{t}` is not a time (RFC 3339, e.g. 2025-12-03T06:00:00Z)")
                })
            })
            .transpose()
    };
    let now_ms =
        time("--now", &inputs.now)?.unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
    let mut filter = Filter {
        since_ms: time("--since", &inputs.since)?,
        until_ms: time("--until", &inputs.until)?,
        path: None,
    };
    if let Some(h) = inputs.hours {
        if !(h.is_finite() && h > 0.0) {
            return Err(format!("--hours must be a positive number, got {h}"));
        }
        filter.since_ms = Some(now_ms - (h * 3_600_000.0) as i64);
        filter.until_ms = Some(now_ms);
    }
    if let Some(glob) = &inputs.path {
        let g = globset::Glob::new(glob).map_err(|e| format!("--path `{glob}`: {e}"))?;
        filter.path = Some(g.compile_matcher());
    }
    let stale = crate::obs::parse_duration_s(&inputs.stale_after)?;
    let data = load::load_all(&files).map_err(|e| e.to_string())?;
    let report = lock_report::build(&data, &filter, now_ms, stale);
    Ok(Loaded {
        data,
        report,
        filter,
        now_ms,
    })
}

pub fn report(args: ReportArgs) -> Status {
    let loaded = match load(&args.inputs) {
        Ok(l) => l,
        Err(e) => return fail(miette::miette!("{e}")),
    };
    let r = &loaded.report;
    let json = serde_json::to_string_pretty(r).expect("serializable");
    let color = args.output_file.is_none() && std::io::stdout().is_terminal();
    let text = render_report(r, color);
    let page = match args.output_format {
        ReportFormat::Json => json.clone() + "\n",
        ReportFormat::Text => text,
        ReportFormat::Html => html_page(&loaded),
    };
    match &args.output_file {
        Some(path) => {
            if let Err(e) = write_atomically(path, page.as_bytes()) {
                return fail(miette::miette!("cannot write {}: {e}", path.display()));
            }
        }
        None => out!("{page}"),
    }
    if let Some(dir) = &args.save_report {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let result = std::fs::create_dir_all(dir)
            .and_then(|_| {
                write_atomically(
                    &dir.join(format!("lock-report-{stamp}.txt")),
                    render_report(r, false).as_bytes(),
                )
            })
            .and_then(|_| {
                write_atomically(
                    &dir.join(format!("lock-report-{stamp}.json")),
                    json.as_bytes(),
                )
            });
        if let Err(e) = result {
            return fail(miette::miette!(
                "cannot save the report in {}: {e}",
                dir.display()
            ));
        }
    }
    Status::Ok
}

/// The HTML page over the reported period: from the first kept event (or `--since`) to `--now`.
fn html_page(loaded: &Loaded) -> String {
    let end = loaded
        .filter
        .until_ms
        .unwrap_or(loaded.now_ms)
        .min(loaded.now_ms);
    let ops: Vec<&load::Op> = loaded
        .data
        .ops
        .iter()
        .filter(|o| o.end_ms <= end && loaded.filter.keeps(&o.path, o.end_ms))
        .collect();
    let first = ops
        .iter()
        .map(|o| o.end_ms)
        .min()
        .unwrap_or(end - 3_600_000);
    let start = loaded.filter.since_ms.unwrap_or(first).min(end - 1);
    html::lock_page(&loaded.report, &ops, start - 1, end)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0))
}

fn render_report(r: &LockReport, histogram: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Lock report ({}), {}",
        r.generated_at, r.freshness.status
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<36} {:>6} {:>6} {:>7} {:>6} {:>9} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>5}",
        "path",
        "ops",
        "ok",
        "timeout",
        "error",
        "success",
        "retried",
        "max att",
        "att fail",
        "wait p50",
        "wait p95",
        "wait p99",
        "wait max",
        "peak"
    );
    let row = |out: &mut String, name: &str, s: &Stats| {
        let get = |k: &str| s.outcomes.get(k).copied().unwrap_or(0);
        let w = s.wait_ms.as_ref();
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}ms"));
        let _ = writeln!(
            out,
            "{:<36} {:>6} {:>6} {:>7} {:>6} {:>9} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>5}",
            truncate(name, 36),
            s.operations,
            get("ok") + get("recovered"),
            get("timeout"),
            get("error"),
            pct(s.success_rate),
            s.retried_operations,
            s.max_attempts,
            s.failed_attempts,
            ms(w.map(|p| p.p50)),
            ms(w.map(|p| p.p95)),
            ms(w.map(|p| p.p99)),
            ms(w.map(|p| p.max)),
            s.peak_waiters
        );
    };
    for (path, s) in &r.by_path {
        row(&mut out, &super::output::printable(path), s);
    }
    row(&mut out, "(all)", &r.overall);
    let _ = writeln!(out);
    let o = &r.overall;
    let _ = writeln!(
        out,
        "Operation success rate: {} ({} operations; timeouts and errors fail, recoveries do not)",
        pct(o.success_rate),
        o.operations
    );
    for l in &r.legacy {
        let _ = writeln!(
            out,
            "Legacy attempt-based figure from {}: {} (successes / (failed attempts + successes) = {} / ({} + {})); it counts attempts, not operations",
            l.file,
            pct(l.legacy_attempt_based_success_rate),
            l.legacy_retry_success_count,
            l.legacy_total_errors,
            l.legacy_retry_success_count
        );
    }
    if let Some(mean) = o.mean_attempts {
        let _ = writeln!(
            out,
            "Retries: {} operations needed more than one attempt; mean {:.2} attempts, max {}",
            o.retried_operations, mean, o.max_attempts
        );
    }
    if o.failed_attempts > 0 || !o.errors_by_code.is_empty() {
        let codes: Vec<String> = o
            .errors_by_code
            .iter()
            .map(|(c, n)| format!("{c} x{n}"))
            .collect();
        let _ = writeln!(
            out,
            "Errors: {} failed attempts; by code: {}",
            o.failed_attempts,
            codes.join(", ")
        );
    }
    if let Some(h) = &o.hold_ms {
        let _ = writeln!(
            out,
            "Hold: p50 {:.1}ms, p95 {:.1}ms, p99 {:.1}ms, max {:.1}ms",
            h.p50, h.p95, h.p99, h.max
        );
    }
    let _ = writeln!(
        out,
        "Contention: at most {} process{} waiting at once",
        o.peak_waiters,
        if o.peak_waiters == 1 { "" } else { "es" }
    );
    if histogram && o.operations > 0 {
        let _ = writeln!(out, "\nWait times:");
        let max = r
            .wait_histogram
            .iter()
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(1)
            .max(1);
        for (label, n) in &r.wait_histogram {
            let bar = "#".repeat(((*n as f64 / max as f64) * 40.0).ceil() as usize);
            let _ = writeln!(out, "  {label:>9} {n:>8} {bar}");
        }
    }
    if !r.malformed.is_empty() {
        let _ = writeln!(out, "\n{} malformed entries skipped:", r.malformed.len());
        for m in r.malformed.iter().take(20) {
            let _ = writeln!(
                out,
                "  {}:{}: {}",
                super::output::printable(&m.file),
                m.line,
                super::output::printable(&m.reason)
            );
        }
        if r.malformed.len() > 20 {
            let _ = writeln!(
                out,
                "  ... and {} more (all are in --output-format json)",
                r.malformed.len() - 20
            );
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

pub fn optimize(args: OptimizeArgs) -> Status {
    if !(args.target_success > 0.0 && args.target_success <= 1.0) {
        return fail(miette::miette!(
            "--target-success must be in (0, 1], got {}",
            args.target_success
        ));
    }
    let current = match args.current.as_deref().map(Schedule::parse).transpose() {
        Ok(c) => c,
        Err(e) => return fail(miette::miette!("--current: {e}")),
    };
    let loaded = match load(&args.inputs) {
        Ok(l) => l,
        Err(e) => return fail(miette::miette!("{e}")),
    };
    let result = optimize::optimize(&loaded.data, &loaded.report, args.target_success, current);
    match args.output_format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&result).expect("serializable")
        ),
        Format::Text => {
            outln!(
                "Lock optimization over {} operations ({})",
                result.operations,
                loaded.report.freshness.status
            );
            for r in &result.recommendations {
                outln!(
                    "\n[{}] {}\n  evidence: {}\n  action:   {}",
                    r.priority,
                    r.title,
                    r.evidence,
                    r.action
                );
            }
            if result.recommendations.is_empty() {
                outln!("\nNo recommendation: the data shows no problem to fix.");
            }
        }
    }
    Status::Ok
}

/// `obs.metrics`: the report's aggregates as flat name/value pairs.
pub fn metrics(args: MetricsArgs) -> Status {
    let inputs = args.inputs;
    let loaded = match load(&inputs) {
        Ok(l) => l,
        Err(e) => return fail(miette::miette!("{e}")),
    };
    let r = &loaded.report;
    let mut pairs: Vec<(String, serde_json::Value)> = Vec::new();
    let mut push_stats = |prefix: &str, s: &Stats| {
        pairs.push((format!("{prefix}operations"), s.operations.into()));
        for (k, v) in &s.outcomes {
            pairs.push((format!("{prefix}outcome_{k}"), (*v).into()));
        }
        if let Some(v) = s.success_rate {
            pairs.push((format!("{prefix}success_rate"), v.into()));
        }
        pairs.push((format!("{prefix}failed_attempts"), s.failed_attempts.into()));
        pairs.push((
            format!("{prefix}retried_operations"),
            s.retried_operations.into(),
        ));
        pairs.push((format!("{prefix}max_attempts"), s.max_attempts.into()));
        for (code, n) in &s.errors_by_code {
            pairs.push((format!("{prefix}errors_{code}"), (*n).into()));
        }
        for (name, p) in [("wait", &s.wait_ms), ("hold", &s.hold_ms)] {
            if let Some(p) = p {
                pairs.push((format!("{prefix}{name}_ms_p50"), p.p50.into()));
                pairs.push((format!("{prefix}{name}_ms_p95"), p.p95.into()));
                pairs.push((format!("{prefix}{name}_ms_p99"), p.p99.into()));
                pairs.push((format!("{prefix}{name}_ms_max"), p.max.into()));
            }
        }
        pairs.push((format!("{prefix}peak_waiters"), s.peak_waiters.into()));
    };
    push_stats("lock_", &r.overall);
    if let Some(age) = r.freshness.age_seconds {
        pairs.push(("lock_last_event_age_seconds".to_string(), age.into()));
    }
    pairs.push((
        "lock_monitoring_silent".to_string(),
        u8::from(r.freshness.silent).into(),
    ));
    if let Some(last) = r.overall.last_event_ms {
        pairs.push(("lock_last_event".to_string(), fmt_ms(last).into()));
    }
    for l in &r.legacy {
        if let Some(v) = l.legacy_attempt_based_success_rate {
            pairs.push(("legacy_attempt_based_success_rate".to_string(), v.into()));
        }
    }
    pairs.push((
        "malformed_entries".to_string(),
        (r.malformed.len() as u64).into(),
    ));
    match args.output_format {
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = pairs.into_iter().collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&map).expect("serializable")
            );
        }
        Format::Text => {
            for (k, v) in pairs {
                match v {
                    serde_json::Value::String(s) => outln!("{k} {s}"),
                    other => outln!("{k} {other}"),
                }
            }
        }
    }
    Status::Ok
}
