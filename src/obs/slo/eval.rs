//! Evaluating objectives from raw events: SLI over the window, error budget, burn rates over
//! fixed windows, the multi-window alert rules of the Google SRE workbook, and a verdict.
//!
//! Window bounds are exact: an event at time `t` is in the window `w` ending at `now` when
//! `now - w < t <= now`. A time slice is in the window when its start is.

use super::spec::{severity_index, Budgeting, GateSpec, Objectives, Sli, SloSpec, SEVERITIES};
use super::{
    Alert, BudgetOut, Burn, FindingCounts, FindingLimits, GateOut, ObjectiveOut, Priority, SliOut,
    Verdict,
};
use crate::finding::Severity;
use crate::obs::load::{Op, Outcome};
use crate::obs::lock_report::human;
use crate::obs::pulse::Totals;
use crate::obs::window_label;

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
    /// Static findings `(code, severity)`; `None` when they could not be obtained.
    pub findings: Option<&'a [(String, Severity)]>,
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
    let (series, unit, stale, latest_agents) = match &spec.sli {
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
            (
                Series::new(s.into_iter()),
                "timeslices",
                inputs.agents_stale.clone(),
                obs.last().map(|(_, t)| *t),
            )
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
        return (out, Some(series));
    }
    if total == 0 || total < spec.min_events {
        out.reason = format!(
            "{total} {unit} in the last {}, fewer than min_events = {}; not enough to judge",
            window_label(spec.window_ms),
            spec.min_events
        );
        return (out, Some(series));
    }

    out.alert = burn_alert(spec, &out.burn_rates, remaining.unwrap_or(1.0));
    if let (Sli::AgentsActive { min }, Some(latest)) = (&spec.sli, latest_agents) {
        if latest.active < *min {
            out.alert = Some(Alert {
                priority: Priority::P1,
                rule: "agents-floor".into(),
                reason: format!(
                    "{} of the {min} required agents active now ({} idle, {} stale, {} blocked, {} done, {} unknown)",
                    latest.active, latest.idle, latest.stale, latest.blocked, latest.done, latest.unknown
                ),
            });
        }
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
    (out, Some(series))
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
    for (code, severity) in findings {
        if crate::rules::Rule::from_code(code).is_some_and(|r| spec.rules.contains(r)) {
            counts[severity_index(*severity)] += 1;
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
