//! Evaluating objectives from raw events: SLI over the window, error budget, burn rates over
//! fixed windows, the multi-window alert rules of the Google SRE workbook, and a verdict.
//!
//! Window bounds are exact: an event at time `t` is in the window `w` ending at `now` when
//! `now - w < t <= now`. A time slice is in the window when its start is.

use super::spec::{severity_index, Budgeting, GateSpec, Objectives, Sli, SloSpec, SEVERITIES};
use super::{
    Alert, BudgetOut, Burn, FindingCounts, FindingLimits, FindingRef, GateOut, ObjectiveOut,
    Priority, ProcessOut, SliOut, Suspect, Verdict,
};
use crate::finding::Severity;
use crate::obs::cycles::Cycle;
use crate::obs::fmt::bytes;
use crate::obs::fmt::human;
use crate::obs::fmt::window_label;
use crate::obs::load::{Op, Outcome};
use crate::obs::process::{slope_per_hour, ProcessSeries};
use crate::obs::pulse::Totals;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// The burn-rate windows reported for every SLO.
pub const BURN_WINDOWS_MS: [i64; 7] = [5 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY];

/// A multi-window burn-rate alert: fires when both windows burn faster than `factor`.
#[derive(Clone, Copy, Debug)]
pub struct AlertRule {
    pub name: &'static str,
    pub priority: Priority,
    pub long_ms: i64,
    pub short_ms: i64,
    pub factor: f64,
}

/// Page fast (2% of a 30-day budget in 1h), page slow (5% in 6h), ticket (10% in 1d, and
/// 10% in 3d).
pub const ALERT_RULES: [AlertRule; 4] = [
    AlertRule {
        name: "page-fast",
        priority: Priority::P1,
        long_ms: HOUR,
        short_ms: 5 * MIN,
        factor: 14.4,
    },
    AlertRule {
        name: "page-slow",
        priority: Priority::P2,
        long_ms: 6 * HOUR,
        short_ms: 30 * MIN,
        factor: 6.0,
    },
    AlertRule {
        name: "ticket",
        priority: Priority::P3,
        long_ms: DAY,
        short_ms: 2 * HOUR,
        factor: 3.0,
    },
    AlertRule {
        name: "ticket-slow",
        priority: Priority::P3,
        long_ms: 3 * DAY,
        short_ms: 6 * HOUR,
        factor: 1.0,
    },
];

/// A verdict of `at_risk` when less than this share of the budget is left.
pub const LOW_BUDGET: f64 = 0.25;

/// Everything the objectives are evaluated against.
pub struct Inputs<'a> {
    pub now_ms: i64,
    /// Lock operations sorted by end time; `None` when no metrics log is configured.
    pub ops: Option<&'a [Op]>,
    /// Why lock data cannot be trusted (a silent log), if so.
    pub metrics_stale: Option<String>,
    /// Agent observations `(time, totals)`, oldest first: pulse history plus the current pulse.
    pub agent_observations: Option<&'a [(i64, Totals)]>,
    pub agents_stale: Option<String>,
    /// Static findings; `None` when they could not be obtained.
    pub findings: Option<&'a [FindingRef]>,
    /// Sampled processes, one series each; `None` when nothing was ever sampled.
    pub processes: Option<&'a [ProcessSeries]>,
    /// Agent cycles, oldest first; `None` when no cycle log is configured.
    pub cycles: Option<&'a [Cycle]>,
}

/// Events (or slices) in time order with a running count of bad ones, so any window is two
/// binary searches.
pub struct Series {
    times: Vec<i64>,
    bad_prefix: Vec<u32>,
}

impl Series {
    pub fn new(points: impl Iterator<Item = (i64, bool)>) -> Series {
        let mut times = Vec::new();
        let mut bad_prefix = vec![0u32];
        let mut bad = 0u32;
        for (t, is_bad) in points {
            times.push(t);
            bad += u32::from(is_bad);
            bad_prefix.push(bad);
        }
        Series { times, bad_prefix }
    }

    /// When the first and the last event (or slice) happened.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((*self.times.first()?, *self.times.last()?))
    }

    /// `(good, total)` in `(now - window, now]`.
    pub fn counts(&self, now: i64, window: i64) -> (u64, u64) {
        let start = self
            .times
            .partition_point(|&t| t <= now.saturating_sub(window));
        let end = self.times.partition_point(|&t| t <= now);
        if end <= start {
            return (0, 0);
        }
        let total = (end - start) as u64;
        let bad = u64::from(self.bad_prefix[end] - self.bad_prefix[start]);
        (total - bad, total)
    }
}

/// Groups time-ordered `(time, bad)` events into slices; a slice is bad when its good share is
/// below `target`. Each slice is stamped with its start.
fn slices(
    events: impl Iterator<Item = (i64, bool)>,
    slice_ms: i64,
    target: f64,
) -> Vec<(i64, bool)> {
    let mut out = Vec::new();
    let mut current: Option<(i64, u64, u64)> = None;
    let close = |(start, good, total): (i64, u64, u64), out: &mut Vec<(i64, bool)>| {
        out.push((start, (good as f64) < target * total as f64 - 1e-9));
    };
    for (t, bad) in events {
        let start = t.div_euclid(slice_ms) * slice_ms;
        match &mut current {
            Some((s, good, total)) if *s == start => {
                *total += 1;
                *good += u64::from(!bad);
            }
            _ => {
                if let Some(c) = current.take() {
                    close(c, &mut out);
                }
                current = Some((start, u64::from(!bad), 1));
            }
        }
    }
    if let Some(c) = current {
        close(c, &mut out);
    }
    out
}

pub fn evaluate(objectives: &Objectives, inputs: &Inputs) -> Vec<ObjectiveOut> {
    evaluate_keeping(objectives, inputs, false)
        .into_iter()
        .map(|(o, _)| o)
        .collect()
}

/// The evaluation, with each SLO's good/bad series kept for drawing its history; gates have
/// none, nor do SLOs without data.
pub fn evaluate_with_series(
    objectives: &Objectives,
    inputs: &Inputs,
) -> Vec<(ObjectiveOut, Option<Series>)> {
    evaluate_keeping(objectives, inputs, true)
}

/// Without `keep_series`, each series is dropped as soon as its objective is evaluated: a
/// series holds 12 bytes per event.
fn evaluate_keeping(
    objectives: &Objectives,
    inputs: &Inputs,
    keep_series: bool,
) -> Vec<(ObjectiveOut, Option<Series>)> {
    let mut out: Vec<(ObjectiveOut, Option<Series>)> = objectives
        .slos
        .iter()
        .map(|s| {
            let (o, series) = evaluate_slo(s, inputs);
            (o, series.filter(|_| keep_series))
        })
        .collect();
    out.extend(
        objectives
            .gates
            .iter()
            .map(|g| (evaluate_gate(g, inputs), None)),
    );
    out
}

fn evaluate_slo(spec: &SloSpec, inputs: &Inputs) -> (ObjectiveOut, Option<Series>) {
    let now = inputs.now_ms;
    let mut out = ObjectiveOut::no_data(&spec.name, &spec.description, spec.sli.kind());
    out.objective = Some(spec.objective);
    out.window = Some(window_label(spec.window_ms));
    out.budgeting = Some(spec.budgeting.as_str());
    let (series, unit, stale, floor) = match &spec.sli {
        Sli::AgentsActive { min } => {
            let Some(obs) = inputs.agent_observations else {
                out.reason = "no agent data: set [observe] agents or pulse-history (or pass --agents / --pulse-history)".into();
                return (out, None);
            };
            let obs: Vec<&(i64, Totals)> = obs.iter().filter(|(t, _)| *t <= now).collect();
            // One observation per slice is the norm; with several, the worst one counts.
            let points = obs.iter().map(|(t, totals)| (*t, totals.active < *min));
            let slice_ms = match spec.budgeting {
                Budgeting::Timeslices { slice_ms, .. } => slice_ms,
                Budgeting::Occurrences => MIN,
            };
            let s = slices(points, slice_ms, 1.0);
            let floor = obs
                .last()
                .map(|(_, t)| *t)
                .filter(|latest| latest.active < *min)
                .map(|latest| Alert {
                    priority: Priority::P1,
                    rule: "agents-floor".into(),
                    reason: format!(
                        "{} of the {min} required agents active now ({} idle, {} stale, {} blocked, {} done, {} unknown)",
                        latest.active, latest.idle, latest.stale, latest.blocked, latest.done, latest.unknown
                    ),
                });
            (
                Series::new(s.into_iter()),
                "timeslices",
                inputs.agents_stale.clone(),
                floor,
            )
        }
        Sli::MemoryGrowth { .. } | Sli::OpenHandles { .. } => {
            return evaluate_processes(spec, inputs, out);
        }
        Sli::CycleTime { .. } | Sli::TaskSuccess => {
            let Some(cycles) = inputs.cycles else {
                out.reason = "no agent cycles: set [observe] cycles to the log swarmcheck.observe.record_cycle writes".into();
                return (out, None);
            };
            let points = cycles
                .iter()
                .filter(|c| c.end_ms <= now)
                .map(|c| (c.end_ms, cycle_is_bad(&spec.sli, c)));
            (Series::new(points), "events", None, None)
        }
        sli => {
            let Some(ops) = inputs.ops else {
                out.reason = "no lock metrics: set [observe] metrics (or pass --metrics)".into();
                return (out, None);
            };
            let threshold = match sli {
                Sli::LockLatency { threshold_ms } => Some(*threshold_ms),
                _ => None,
            };
            let points = ops
                .iter()
                .filter(|op| op.end_ms <= now)
                .filter(|op| {
                    spec.path
                        .as_ref()
                        .is_none_or(|(_, m)| m.is_match(&*op.path))
                })
                .map(|op| {
                    let bad = match threshold {
                        // A lock that timed out was not acquired in time, whatever it recorded.
                        Some(limit) => op.wait_ms > limit || op.outcome == Outcome::Timeout,
                        None => op.outcome.failed(),
                    };
                    (op.end_ms, bad)
                });
            let (series, unit) = match spec.budgeting {
                Budgeting::Occurrences => (Series::new(points), "events"),
                Budgeting::Timeslices { slice_ms, target } => (
                    Series::new(slices(points, slice_ms, target).into_iter()),
                    "timeslices",
                ),
            };
            (series, unit, inputs.metrics_stale.clone(), None)
        }
    };
    judge(spec, &mut out, &series, unit, stale, floor, now);
    (out, Some(series))
}

/// A process objective: each process judged on its own samples (its own verdict, and its
/// suspects when it is not meeting the objective), and the objective on all samples together.
fn evaluate_processes(
    spec: &SloSpec,
    inputs: &Inputs,
    mut out: ObjectiveOut,
) -> (ObjectiveOut, Option<Series>) {
    let now = inputs.now_ms;
    let Some(procs) = inputs.processes.filter(|p| !p.is_empty()) else {
        out.reason = "no process samples: record them with `swarm.pulse --record` or `--watch` (agents with a `pid` in their status, or [[observe.process]])".into();
        return (out, None);
    };
    let mut all: Vec<(i64, bool)> = Vec::new();
    for p in procs {
        let points = process_points(&spec.sli, p, now);
        let series = Series::new(points.iter().copied());
        let mut own = ObjectiveOut::no_data(&p.name, "", spec.sli.kind());
        judge(spec, &mut own, &series, "samples", None, None, now);
        let latest = p.samples.iter().rev().find(|(t, _)| *t <= now);
        let growth = match spec.sli {
            Sli::MemoryGrowth { rate_window_ms, .. } => growth_at(p, now, rate_window_ms),
            _ => None,
        };
        if points.is_empty() {
            own.reason = match (&spec.sli, p.samples.first()) {
                (Sli::MemoryGrowth { rate_window_ms, .. }, Some((first, _))) => format!(
                    "observed for {} of the {} rate window: growth is judged once a whole window is covered",
                    human((now - first).max(0) / 1000),
                    window_label(*rate_window_ms)
                ),
                _ => "no sample at or before the evaluation time".into(),
            };
        }
        let suspects = if matches!(own.verdict, Verdict::Violating | Verdict::AtRisk) {
            suspects_of(&spec.sli, p, inputs.findings.unwrap_or_default())
        } else {
            Vec::new()
        };
        out.processes.push(ProcessOut {
            process: p.name.clone(),
            agent: p.agent.clone(),
            pid: p.pid,
            started: p.started.clone(),
            verdict: own.verdict,
            reason: own.reason,
            sli: own.sli,
            growth_bytes_per_hour: growth,
            resident_bytes: latest.map(|(_, s)| s.rss_bytes),
            open_fds: latest.and_then(|(_, s)| s.fds),
            entry: p.entry.as_ref().map(|e| e.display().to_string()),
            suspects,
        });
        all.extend(points);
    }
    all.sort_by_key(|(t, _)| *t);
    let series = Series::new(all.into_iter());
    judge(spec, &mut out, &series, "samples", None, None, now);
    // The processes to look at, worst first, named in the alert with their suspects.
    let culprits: Vec<String> = out
        .processes
        .iter()
        .filter(|p| p.verdict == Verdict::Violating)
        .chain(
            out.processes
                .iter()
                .filter(|p| p.verdict == Verdict::AtRisk),
        )
        .map(|p| {
            let what = match (&spec.sli, p.growth_bytes_per_hour, p.open_fds) {
                (Sli::MemoryGrowth { .. }, Some(g), _) => format!("grows {}/h", bytes(g)),
                (Sli::OpenHandles { .. }, _, Some(n)) => format!("{n} open descriptors"),
                _ => p.verdict.as_str().to_string(),
            };
            let suspects = if p.suspects.is_empty() {
                String::new()
            } else {
                format!(
                    "; suspects: {}",
                    p.suspects
                        .iter()
                        .take(3)
                        .map(|s| format!("{} {}:{}", s.code, s.path, s.line))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            format!("{} (pid {}) {what}{suspects}", p.process, p.pid)
        })
        .collect();
    if !culprits.is_empty() {
        let who = culprits.join("; ");
        if let Some(a) = &mut out.alert {
            a.reason = format!("{}: {who}", a.reason);
        }
        if out.verdict != Verdict::NoData {
            out.reason = format!("{}: {who}", out.reason);
        }
    }
    (out, Some(series))
}

/// The judged samples of one process: memory growth over the rate window ending at each
/// sample (once a whole window is covered), or the open descriptors at each sample.
fn process_points(sli: &Sli, p: &ProcessSeries, now: i64) -> Vec<(i64, bool)> {
    let samples: Vec<&(i64, crate::obs::process::ProcessSample)> =
        p.samples.iter().filter(|(t, _)| *t <= now).collect();
    match *sli {
        Sli::MemoryGrowth {
            max_bytes_per_hour,
            rate_window_ms,
        } => {
            let Some(first) = samples.first().map(|(t, _)| *t) else {
                return Vec::new();
            };
            let mut out = Vec::new();
            let mut lo = 0;
            for (i, (t, _)) in samples.iter().enumerate() {
                if t - first < rate_window_ms {
                    continue;
                }
                while samples[lo].0 < t - rate_window_ms {
                    lo += 1;
                }
                let window: Vec<(i64, f64)> = samples[lo..=i]
                    .iter()
                    .map(|(t, s)| (*t, s.rss_bytes as f64))
                    .collect();
                if let Some(slope) = slope_per_hour(&window) {
                    out.push((*t, slope >= max_bytes_per_hour));
                }
            }
            out
        }
        Sli::OpenHandles { max } => samples
            .iter()
            .filter_map(|(t, s)| s.fds.map(|n| (*t, n >= max)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Resident-memory growth over the rate window ending at `now` (however much of it the
/// samples cover), bytes/hour.
pub fn growth_at(p: &ProcessSeries, now: i64, rate_window_ms: i64) -> Option<f64> {
    let window: Vec<(i64, f64)> = p
        .samples
        .iter()
        .filter(|(t, _)| *t <= now && *t >= now - rate_window_ms)
        .map(|(t, s)| (*t, s.rss_bytes as f64))
        .collect();
    slope_per_hour(&window)
}

/// The findings in the code a process runs that can explain what its objective measures.
fn suspects_of(sli: &Sli, p: &ProcessSeries, findings: &[FindingRef]) -> Vec<Suspect> {
    let prefix = match sli {
        Sli::MemoryGrowth { .. } => "SWC1",
        _ => "SWC3",
    };
    let Some(scope) = &p.scope else {
        return Vec::new();
    };
    let mut found: Vec<&FindingRef> = findings
        .iter()
        .filter(|f| f.code.starts_with(prefix))
        .filter(|f| f.file.as_ref().is_some_and(|file| file.starts_with(scope)))
        .collect();
    // The entry file's own findings first, then by severity.
    let entry = p.entry.as_deref();
    found.sort_by_key(|f| {
        (
            f.file.as_deref() != entry,
            severity_index(f.severity),
            &f.path,
            f.line,
        )
    });
    found
        .into_iter()
        .map(|f| Suspect {
            code: f.code.clone(),
            severity: f.severity,
            path: f.path.clone(),
            line: f.line,
            message: f.message.clone(),
        })
        .collect()
}

/// Whether a cycle is bad for a cycle objective.
pub fn cycle_is_bad(sli: &Sli, c: &Cycle) -> bool {
    match sli {
        Sli::CycleTime { threshold_ms } => c.duration_ms > *threshold_ms,
        _ => !c.ok,
    }
}

/// Fills in the SLI, budget, burn rates, alert and verdict of `out` from its good/bad series.
/// `stale` (why the data cannot be trusted) stops short of a verdict; `floor` is an alert that
/// fires whatever the budget says (too few agents now).
fn judge(
    spec: &SloSpec,
    out: &mut ObjectiveOut,
    series: &Series,
    unit: &'static str,
    stale: Option<String>,
    floor: Option<Alert>,
    now: i64,
) {
    let (good, total) = series.counts(now, spec.window_ms);
    let value = (total > 0).then(|| good as f64 / total as f64);
    out.sli = Some(SliOut {
        value,
        good,
        total,
        unit,
    });
    let budget = error_budget(spec.objective);
    let bad = total - good;
    let allowed = budget * total as f64;
    let remaining = (total > 0).then(|| 1.0 - bad as f64 / allowed);
    out.error_budget = Some(BudgetOut {
        allowed_bad: allowed,
        spent_bad: bad,
        remaining_ratio: remaining,
    });
    out.burn_rates = BURN_WINDOWS_MS
        .iter()
        .map(|&w| {
            let (g, t) = series.counts(now, w);
            let error_ratio = (t > 0).then(|| (t - g) as f64 / t as f64);
            Burn {
                window: window_label(w),
                good: g,
                total: t,
                error_ratio,
                burn_rate: error_ratio.map(|e| e / budget),
            }
        })
        .collect();

    if let Some(why) = stale {
        out.reason = why;
        return;
    }
    if total == 0 || total < spec.min_events {
        out.reason = format!(
            "{total} {unit} in the last {}, fewer than min_events = {}; not enough to judge",
            window_label(spec.window_ms),
            spec.min_events
        );
        return;
    }

    out.alert = burn_alert(spec, &out.burn_rates, remaining.unwrap_or(1.0));
    if floor.is_some() {
        out.alert = floor;
    }
    let value = value.unwrap_or(0.0);
    let sli_text = format!(
        "{} = {good}/{total} {unit} over {}",
        pct(value),
        window_label(spec.window_ms)
    );
    let remaining = remaining.unwrap_or(1.0);
    if value < spec.objective {
        out.verdict = Verdict::Violating;
        out.reason = format!(
            "{sli_text}, below the objective of {}: the error budget is overspent by {} ({} bad {unit}, {:.1} allowed)",
            pct(spec.objective),
            pct(-remaining),
            bad,
            allowed
        );
        if out.alert.is_none() {
            out.alert = Some(Alert {
                priority: Priority::P3,
                rule: "budget-exhausted".into(),
                reason: format!(
                    "the {} error budget is spent ({} over) although no burn-rate alert fires now",
                    window_label(spec.window_ms),
                    pct(-remaining)
                ),
            });
        }
    } else if out.alert.is_some() || remaining < LOW_BUDGET {
        out.verdict = Verdict::AtRisk;
        out.reason = match &out.alert {
            Some(a) => format!("{sli_text} meets {}, but {}", pct(spec.objective), a.reason),
            None => format!(
                "{sli_text} meets {}, but only {} of the error budget is left",
                pct(spec.objective),
                pct(remaining)
            ),
        };
    } else {
        out.verdict = Verdict::Meeting;
        out.reason = format!(
            "{sli_text} meets {}; {} of the error budget left",
            pct(spec.objective),
            pct(remaining)
        );
    }
}

/// The highest-priority multi-window rule that fires, with its reason in plain words.
fn burn_alert(spec: &SloSpec, burns: &[Burn], remaining: f64) -> Option<Alert> {
    // `burns` is in the order of BURN_WINDOWS_MS.
    let burn_at = |w: i64| {
        let i = BURN_WINDOWS_MS.iter().position(|&b| b == w)?;
        burns.get(i).and_then(|b| b.burn_rate)
    };
    ALERT_RULES.iter().find_map(|rule| {
        let long = burn_at(rule.long_ms)?;
        let short = burn_at(rule.short_ms)?;
        if !(long > rule.factor && short > rule.factor) {
            return None;
        }
        let spent = long * rule.long_ms as f64 / spec.window_ms as f64;
        let eta = if remaining <= 0.0 {
            "the budget is already spent".to_string()
        } else {
            let ms = remaining * spec.window_ms as f64 / long;
            format!("at this rate the budget is gone in {}", duration_words(ms))
        };
        Some(Alert {
            priority: rule.priority,
            rule: rule.name.into(),
            reason: format!(
                "burn {long:.1}x over {} and {short:.1}x over {} > {}x: {} of the {} budget spent in {}; {eta}",
                window_label(rule.long_ms),
                window_label(rule.short_ms),
                rule.factor,
                pct(spent),
                window_words(spec.window_ms),
                window_label(rule.long_ms)
            ),
        })
    })
}

fn evaluate_gate(spec: &GateSpec, inputs: &Inputs) -> ObjectiveOut {
    let mut out = ObjectiveOut::no_data(&spec.name, &spec.description, "findings-gate");
    let Some(findings) = inputs.findings else {
        out.reason = "no findings: the scan did not run".into();
        return out;
    };
    let mut counts = [0u64; 3];
    for f in findings {
        if crate::rules::Rule::from_code(&f.code).is_some_and(|r| spec.rules.contains(r)) {
            counts[severity_index(f.severity)] += 1;
        }
    }
    out.gate = Some(GateOut {
        select: spec.selectors.clone(),
        counts: FindingCounts::from(counts),
        limits: FindingLimits::from(spec.max),
    });
    let over: Vec<(Severity, u64, u64)> = SEVERITIES
        .iter()
        .filter_map(|&s| {
            let i = severity_index(s);
            spec.max[i]
                .filter(|m| counts[i] > *m)
                .map(|m| (s, counts[i], m))
        })
        .collect();
    let describe = |(s, n, m): &(Severity, u64, u64)| {
        format!(
            "{n} {s} finding{} ({m} allowed)",
            if *n == 1 { "" } else { "s" }
        )
    };
    if let Some(worst) = over.first() {
        out.verdict = Verdict::Violating;
        out.reason = over.iter().map(describe).collect::<Vec<_>>().join(", ");
        out.alert = Some(Alert {
            priority: match worst.0 {
                Severity::High => Priority::P1,
                Severity::Medium => Priority::P2,
                Severity::Low => Priority::P3,
            },
            rule: format!("gate-{}", worst.0),
            reason: format!("{}: {}", out.reason, "fix them or baseline them"),
        });
        return out;
    }
    let near: Vec<String> = SEVERITIES
        .iter()
        .filter_map(|&s| {
            let i = severity_index(s);
            spec.max[i]
                .filter(|_| counts[i] > 0)
                .map(|m| format!("{} {s} of {m} allowed", counts[i]))
        })
        .collect();
    if near.is_empty() {
        out.verdict = Verdict::Meeting;
        out.reason = "no findings at the limited severities".into();
    } else {
        out.verdict = Verdict::AtRisk;
        out.reason = format!("within limits, but close: {}", near.join(", "));
        out.alert = Some(Alert {
            priority: Priority::P3,
            rule: "gate-drift".into(),
            reason: out.reason.clone(),
        });
    }
    out
}

/// 1 - objective, without the float noise (1 - 0.999 is 0.0010000000000000009), so that burn
/// rates of exactly 14.4 compare as written.
pub fn error_budget(objective: f64) -> f64 {
    ((1.0 - objective) * 1e12).round() / 1e12
}

/// `97.3%`, with more digits near the edges where they matter.
pub fn pct(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p != 0.0 && p.abs() < 0.1 || (99.0..100.0).contains(&p) {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

fn window_words(ms: i64) -> String {
    if ms % DAY == 0 {
        format!("{}-day", ms / DAY)
    } else {
        window_label(ms)
    }
}

fn duration_words(ms: f64) -> String {
    let h = ms / HOUR as f64;
    if h >= 48.0 {
        format!("{:.1} days", h / 24.0)
    } else if h >= 2.0 {
        format!("{h:.1} hours")
    } else {
        human((ms / 1000.0) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_bounds_are_half_open() {
        let s = Series::new([(0, false), (10, true), (20, false), (30, true)].into_iter());
        assert_eq!(s.counts(30, 20), (1, 2)); // (10, 30]: 20 and 30
        assert_eq!(s.counts(30, 30), (1, 3)); // (0, 30]: 10, 20 and 30
        assert_eq!(s.counts(5, 100), (1, 1)); // nothing after now
        assert_eq!(s.counts(-1, 10), (0, 0));
    }

    #[test]
    fn slices_use_the_target() {
        let ev = [(0, false), (1, true), (10, false), (11, false)];
        assert_eq!(
            slices(ev.into_iter(), 10, 0.6),
            vec![(0, true), (10, false)]
        );
        assert_eq!(
            slices(ev.into_iter(), 10, 0.5),
            vec![(0, false), (10, false)]
        );
    }
}
