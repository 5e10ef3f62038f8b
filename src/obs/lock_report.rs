//! Aggregates of lock operations: outcomes, the operation success rate, errors by code,
//! retries, exact wait and hold percentiles, peak concurrent waiters, and freshness.

use super::load::{Dataset, Op, Outcome};
use crate::obs::fmt::{fmt_ms, human};
use serde::Serialize;
use std::collections::BTreeMap;

/// Which operations to include.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub path: Option<globset::GlobMatcher>,
}

impl Filter {
    pub fn keeps(&self, path: &str, at_ms: i64) -> bool {
        self.since_ms.is_none_or(|s| at_ms >= s)
            && self.until_ms.is_none_or(|u| at_ms <= u)
            && self.path.as_ref().is_none_or(|g| g.is_match(path))
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Nearest-rank percentiles of `values` (exact, not estimated).
pub fn percentiles(values: &mut [f64]) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    // Selection, not a full sort: each rank is found in linear time.
    let n = values.len();
    let mut rank = |p: f64| {
        let idx = (((p / 100.0) * n as f64).ceil() as usize)
            .saturating_sub(1)
            .min(n - 1);
        *values.select_nth_unstable_by(idx, f64::total_cmp).1
    };
    Some(Percentiles {
        p50: rank(50.0),
        p95: rank(95.0),
        p99: rank(99.0),
        max: rank(100.0),
    })
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    pub operations: u64,
    pub outcomes: BTreeMap<&'static str, u64>,
    /// `1 - failed operations / operations` (timeouts and errors fail; recoveries do not).
    pub success_rate: Option<f64>,
    /// Failed attempts recorded individually (legacy `errors` entries).
    pub failed_attempts: u64,
    pub errors_by_code: BTreeMap<String, u64>,
    /// Operations that needed more than one attempt.
    pub retried_operations: u64,
    pub mean_attempts: Option<f64>,
    pub max_attempts: u32,
    pub wait_ms: Option<Percentiles>,
    pub hold_ms: Option<Percentiles>,
    /// Most processes waiting for the lock at the same moment.
    pub peak_waiters: u64,
    pub last_event_ms: Option<i64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LegacyFigures {
    pub file: String,
    /// The legacy monitor's own figure: successes / (failed attempts + successes).
    pub legacy_attempt_based_success_rate: Option<f64>,
    pub legacy_total_errors: u64,
    pub legacy_retry_success_count: u64,
    pub legacy_retry_failure_count: u64,
    pub legacy_max_retries_needed: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Freshness {
    pub last_event: Option<String>,
    pub age_seconds: Option<i64>,
    pub silent: bool,
    /// `fresh: last event 2m ago`, or `monitoring silent for 3d (last event ...)`.
    pub status: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MalformedEntry {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LockReport {
    pub schema: &'static str,
    pub generated_at: String,
    pub files: Vec<String>,
    pub overall: Stats,
    pub by_path: BTreeMap<String, Stats>,
    pub legacy: Vec<LegacyFigures>,
    pub freshness: Freshness,
    pub malformed: Vec<MalformedEntry>,
    /// Wait-time histogram buckets: (label, count).
    pub wait_histogram: Vec<(String, u64)>,
}

const WAIT_BUCKETS: &[(f64, &str)] = &[
    (1.0, "<1ms"),
    (5.0, "1-5ms"),
    (20.0, "5-20ms"),
    (100.0, "20-100ms"),
    (500.0, "100-500ms"),
    (2000.0, "0.5-2s"),
    (f64::INFINITY, ">2s"),
];

/// Builds the report. `now_ms` anchors freshness; `stale_after_s` is when silence becomes news.
pub fn build(data: &Dataset, filter: &Filter, now_ms: i64, stale_after_s: i64) -> LockReport {
    let ops: Vec<&Op> = data
        .ops
        .iter()
        .filter(|o| filter.keeps(&o.path, o.end_ms))
        .collect();
    let attempts: Vec<_> = data
        .failed_attempts
        .iter()
        .filter(|a| filter.keeps(&a.path, a.at_ms))
        .collect();
    let mut overall = stats(&ops);
    let mut grouped: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in &ops {
        grouped.entry(&op.path).or_default().push(op);
    }
    let mut by_path: BTreeMap<String, Stats> = grouped
        .into_iter()
        .map(|(p, v)| (p.to_string(), stats(&v)))
        .collect();
    for a in &attempts {
        overall.failed_attempts += 1;
        *overall.errors_by_code.entry(a.code.clone()).or_default() += 1;
        overall.last_event_ms = overall.last_event_ms.max(Some(a.at_ms));
        let s = by_path.entry(a.path.clone()).or_default();
        s.failed_attempts += 1;
        *s.errors_by_code.entry(a.code.clone()).or_default() += 1;
        s.last_event_ms = s.last_event_ms.max(Some(a.at_ms));
    }
    for l in &data.legacy {
        overall.last_event_ms = overall.last_event_ms.max(l.last_updated_ms);
    }
    let mut histogram: Vec<(String, u64)> = WAIT_BUCKETS
        .iter()
        .map(|(_, l)| (l.to_string(), 0))
        .collect();
    for op in &ops {
        let i = WAIT_BUCKETS
            .iter()
            .position(|(limit, _)| op.wait_ms < *limit)
            .unwrap_or(0);
        histogram[i].1 += 1;
    }
    LockReport {
        schema: "swarmcheck.lock-report/v1",
        generated_at: fmt_ms(now_ms),
        files: data.files.iter().map(|f| f.display().to_string()).collect(),
        freshness: freshness(overall.last_event_ms, now_ms, stale_after_s),
        overall,
        by_path,
        legacy: data
            .legacy
            .iter()
            .map(|l| LegacyFigures {
                file: l.file.display().to_string(),
                legacy_attempt_based_success_rate: l.attempt_based_rate(),
                legacy_total_errors: l.total_errors,
                legacy_retry_success_count: l.retry_success_count,
                legacy_retry_failure_count: l.retry_failure_count,
                legacy_max_retries_needed: l.max_retries_needed,
            })
            .collect(),
        malformed: data
            .malformed
            .iter()
            .map(|m| MalformedEntry {
                file: m.file.display().to_string(),
                line: m.line,
                reason: m.reason.clone(),
            })
            .collect(),
        wait_histogram: histogram,
    }
}

fn stats(ops: &[&Op]) -> Stats {
    let mut s = Stats {
        operations: ops.len() as u64,
        ..Stats::default()
    };
    let mut failed = 0u64;
    let mut attempts_total = 0u64;
    let mut waits = Vec::with_capacity(ops.len());
    let mut holds = Vec::with_capacity(ops.len());
    for op in ops {
        *s.outcomes.entry(op.outcome.as_str()).or_default() += 1;
        if op.outcome.failed() {
            failed += 1;
        }
        if let Some(code) = &op.error_code {
            if op.outcome != Outcome::Ok {
                *s.errors_by_code.entry(code.clone()).or_default() += 1;
            }
        }
        if op.attempts > 1 {
            s.retried_operations += 1;
        }
        attempts_total += u64::from(op.attempts);
        s.max_attempts = s.max_attempts.max(op.attempts);
        waits.push(op.wait_ms);
        holds.push(op.hold_ms);
        s.last_event_ms = s.last_event_ms.max(Some(op.end_ms));
    }
    if !ops.is_empty() {
        s.success_rate = Some(1.0 - failed as f64 / ops.len() as f64);
        s.mean_attempts = Some(attempts_total as f64 / ops.len() as f64);
    }
    s.peak_waiters = peak_waiters(ops);
    s.wait_ms = percentiles(&mut waits);
    s.hold_ms = percentiles(&mut holds);
    s
}

/// Peak overlap of waiting intervals `[end - hold - wait, end - hold]`, by a sweep over the
/// interval ends (a waiter that leaves as another arrives does not overlap it).
pub fn peak_waiters(ops: &[&Op]) -> u64 {
    let mut points: Vec<(i64, i32)> = Vec::with_capacity(ops.len() * 2);
    for op in ops {
        if op.wait_ms <= 0.0 {
            continue;
        }
        let end_wait = op.end_ms * 1000 - (op.hold_ms * 1000.0) as i64;
        let start = end_wait - (op.wait_ms * 1000.0) as i64;
        points.push((start, 1));
        points.push((end_wait, -1));
    }
    points.sort_unstable();
    let (mut now, mut peak) = (0i64, 0i64);
    for (_, delta) in points {
        now += i64::from(delta);
        peak = peak.max(now);
    }
    peak as u64
}

/// Freshness of a metrics log at `now_ms`: events after `now_ms` (a pinned clock) do not count.
pub fn freshness_of_ops(ops: &[Op], now_ms: i64, stale_after_s: i64) -> Freshness {
    let last = ops.iter().map(|o| o.end_ms).filter(|t| *t <= now_ms).max();
    let mut f = freshness(last, now_ms, stale_after_s);
    if last.is_none() && !ops.is_empty() {
        f.status = format!(
            "no data: all {} events are after the evaluation time {}",
            ops.len(),
            fmt_ms(now_ms)
        );
    }
    f
}

pub fn freshness(last: Option<i64>, now_ms: i64, stale_after_s: i64) -> Freshness {
    match last {
        None => Freshness {
            last_event: None,
            age_seconds: None,
            silent: true,
            status: "no data: no lock events in the inputs".to_string(),
        },
        Some(last) => {
            let age = (now_ms - last) / 1000;
            let silent = age > stale_after_s;
            let status = if silent {
                format!(
                    "monitoring silent for {} (last event {})",
                    human(age),
                    fmt_ms(last)
                )
            } else if age < 0 {
                format!("last event {} is in the future of --now", fmt_ms(last))
            } else {
                format!("fresh: last event {} ago", human(age))
            };
            Freshness {
                last_event: Some(fmt_ms(last)),
                age_seconds: Some(age),
                silent,
                status,
            }
        }
    }
}

/// `45s`, `12m`, `5h`, `3d`.
#[cfg(test)]
mod tests {
    use super::*;

    fn op(end_ms: i64, wait_ms: f64, hold_ms: f64, outcome: Outcome, attempts: u32) -> Op {
        Op {
            end_ms,
            path: "q.json".into(),
            attempts,
            wait_ms,
            hold_ms,
            outcome,
            error_code: None,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = percentiles(&mut v).unwrap();
        assert_eq!((p.p50, p.p95, p.p99, p.max), (50.0, 95.0, 99.0, 100.0));
        let mut one = vec![7.0];
        assert_eq!(percentiles(&mut one).unwrap().p50, 7.0);
        assert!(percentiles(&mut []).is_none());
    }

    #[test]
    fn peak_waiters_from_overlapping_intervals() {
        // Waits [0,10), [5,15), [9,12) overlap at t=9..10: three waiters; [20,25) alone.
        let ops = [
            op(10, 10.0, 0.0, Outcome::Ok, 1),
            op(15, 10.0, 0.0, Outcome::Ok, 1),
            op(12, 3.0, 0.0, Outcome::Ok, 1),
            op(25, 5.0, 0.0, Outcome::Ok, 1),
        ];
        let refs: Vec<&Op> = ops.iter().collect();
        assert_eq!(peak_waiters(&refs), 3);
    }

    #[test]
    fn success_rate_counts_operations_not_attempts() {
        let ops = [
            op(1, 0.0, 1.0, Outcome::Ok, 3),
            op(2, 0.0, 1.0, Outcome::Recovered, 1),
            op(3, 0.0, 1.0, Outcome::Timeout, 5),
            op(4, 0.0, 1.0, Outcome::Ok, 1),
        ];
        let refs: Vec<&Op> = ops.iter().collect();
        let s = stats(&refs);
        assert_eq!(s.success_rate, Some(0.75));
        assert_eq!(s.retried_operations, 2);
        assert_eq!(s.max_attempts, 5);
        assert_eq!(s.mean_attempts, Some(2.5));
    }
}
