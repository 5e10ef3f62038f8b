//! Reducing events to what a chart can show: a bounded number of points, buckets or runs per
//! chart whatever the number of events, so a report over a million lock events stays small
//! and quick to draw.

use crate::obs::load::{Op, Outcome};
use crate::obs::lock_report::{percentiles, Percentiles};
use crate::obs::pulse::{PulseState, Totals};
use crate::obs::slo::eval::{error_budget, Series, ALERT_RULES};
use std::collections::BTreeMap;

/// Points per line chart.
pub const POINTS: usize = 400;
/// Buckets per good/bad strip and per outcomes chart.
pub const BUCKETS: usize = 120;
/// Columns of the agents timeline; more snapshots are grouped, the worst state showing.
pub const TIMELINE_COLUMNS: usize = 240;
/// Rows of the agents timeline and documents with an outcomes chart.
pub const MAX_AGENTS: usize = 40;
pub const MAX_DOCUMENTS: usize = 8;

/// `n` evenly spaced times in `(start, end]`, the last one `end`.
fn sample_times(start: i64, end: i64, n: usize) -> impl Iterator<Item = i64> {
    let span = (end - start).max(1) as i128;
    (1..=n as i128).map(move |i| start + (span * i / n as i128) as i64)
}

/// Error budget left over the SLO window ending at `now`, as it stood at each time `t`:
/// `1 - bad in (window start, t] / bad the whole window allows`. `None` without events.
pub fn budget_burndown(
    series: &Series,
    now: i64,
    window_ms: i64,
    objective: f64,
) -> Option<Vec<(i64, f64)>> {
    let start = now - window_ms;
    let (_, total) = series.counts(now, window_ms);
    let allowed = error_budget(objective) * total as f64;
    if total == 0 || allowed <= 0.0 {
        return None;
    }
    Some(
        sample_times(start, now, POINTS)
            .map(|t| {
                let (good, n) = series.counts(t, t - start);
                (t, 1.0 - (n - good) as f64 / allowed)
            })
            .collect(),
    )
}

/// Burn rate over each alert rule's long window (1h, 6h, 1d, 3d), sampled across the SLO
/// window: `(window, points)`; a time with no event in its window has no point.
pub fn burn_history(
    series: &Series,
    now: i64,
    window_ms: i64,
    objective: f64,
) -> Vec<(i64, Vec<(i64, f64)>)> {
    let budget = error_budget(objective);
    let mut windows: Vec<i64> = ALERT_RULES.iter().map(|r| r.long_ms).collect();
    windows.dedup();
    windows
        .into_iter()
        .map(|w| {
            let points = sample_times(now - window_ms, now, POINTS)
                .filter_map(|t| {
                    let (good, total) = series.counts(t, w);
                    (total > 0 && budget > 0.0)
                        .then(|| (t, (total - good) as f64 / total as f64 / budget))
                })
                .collect();
            (w, points)
        })
        .collect()
}

/// One bucket of time: `[start, end)` with its good and total counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    pub start: i64,
    pub end: i64,
    pub good: u64,
    pub total: u64,
}

/// The SLO window cut into `BUCKETS` equal buckets.
pub fn good_bad_strip(series: &Series, now: i64, window_ms: i64) -> Vec<Bucket> {
    let start = now - window_ms;
    let mut from = start;
    sample_times(start, now, BUCKETS)
        .map(|to| {
            let (good, total) = series.counts(to, to - from);
            let b = Bucket {
                start: from,
                end: to,
                good,
                total,
            };
            from = to;
            b
        })
        .collect()
}

/// Wait times in logarithmic bins (five per decade) with exact percentiles.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitHistogram {
    /// `(lower ms, upper ms, operations)`; waits below the first bound count in the first bin.
    pub bins: Vec<(f64, f64, u64)>,
    pub percentiles: Option<Percentiles>,
    pub operations: u64,
}

const BINS_PER_DECADE: f64 = 5.0;
const LOWEST_WAIT_MS: f64 = 0.01;

pub fn wait_histogram(ops: &[&Op]) -> WaitHistogram {
    let mut waits: Vec<f64> = ops
        .iter()
        .map(|o| o.wait_ms)
        .filter(|w| w.is_finite() && *w >= 0.0)
        .collect();
    let bin_of = |w: f64| -> usize {
        if w <= LOWEST_WAIT_MS {
            0
        } else {
            ((w / LOWEST_WAIT_MS).log10() * BINS_PER_DECADE).floor() as usize
        }
    };
    let top = waits.iter().copied().fold(0.0f64, f64::max);
    // A corrupt log may claim a wait of 1e300 ms; the bins stop at a day.
    let last = bin_of(top.min(86_400_000.0));
    let mut counts = vec![0u64; last + 1];
    for w in &waits {
        counts[bin_of(w.min(86_400_000.0))] += 1;
    }
    let bound = |i: usize| LOWEST_WAIT_MS * 10f64.powf(i as f64 / BINS_PER_DECADE);
    WaitHistogram {
        bins: counts
            .into_iter()
            .enumerate()
            .map(|(i, n)| (bound(i), bound(i + 1), n))
            .collect(),
        operations: waits.len() as u64,
        percentiles: percentiles(&mut waits),
    }
}

pub const OUTCOMES: [Outcome; 5] = [
    Outcome::Ok,
    Outcome::Recovered,
    Outcome::Timeout,
    Outcome::Error,
    Outcome::Aborted,
];

/// One document's operations per time bucket, by outcome (in the order of `OUTCOMES`).
#[derive(Clone, Debug, PartialEq)]
pub struct DocumentOutcomes {
    pub path: String,
    pub operations: u64,
    pub failed: u64,
    pub buckets: Vec<(i64, [u64; 5])>,
}

/// The `MAX_DOCUMENTS` busiest documents' outcomes over `(start, end]`, and how many
/// documents were left out.
pub fn outcomes_by_document(ops: &[&Op], start: i64, end: i64) -> (Vec<DocumentOutcomes>, usize) {
    let width = ((end - start) / BUCKETS as i64).max(1);
    let mut by_path: BTreeMap<&str, Vec<[u64; 5]>> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.end_ms > start && o.end_ms <= end) {
        let i = (((op.end_ms - start - 1) / width) as usize).min(BUCKETS - 1);
        let k = OUTCOMES.iter().position(|o| *o == op.outcome).unwrap_or(0);
        by_path
            .entry(&op.path)
            .or_insert_with(|| vec![[0; 5]; BUCKETS])[i][k] += 1;
    }
    let mut docs: Vec<DocumentOutcomes> = by_path
        .into_iter()
        .map(|(path, buckets)| {
            let operations = buckets.iter().flatten().sum();
            let failed = buckets.iter().map(|b| b[2] + b[3]).sum();
            DocumentOutcomes {
                path: path.to_string(),
                operations,
                failed,
                buckets: buckets
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| (start + i as i64 * width, b))
                    .collect(),
            }
        })
        .collect();
    docs.sort_by(|a, b| b.operations.cmp(&a.operations).then(a.path.cmp(&b.path)));
    let omitted = docs.len().saturating_sub(MAX_DOCUMENTS);
    docs.truncate(MAX_DOCUMENTS);
    (docs, omitted)
}

/// How much a state should catch the eye when snapshots are grouped: the worst one shows.
fn concern(state: PulseState) -> u8 {
    match state {
        PulseState::Blocked => 5,
        PulseState::Stale => 4,
        PulseState::Unknown => 3,
        PulseState::Idle => 2,
        PulseState::Done => 1,
        PulseState::Active => 0,
    }
}

/// One agent's row of the timeline: runs `[start, end)` of one state.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRuns {
    pub id: String,
    pub runs: Vec<(i64, i64, PulseState)>,
}

/// Per-agent runs of state over `[start, end]` from the snapshots that recorded states.
/// A snapshot's state lasts until the next snapshot, but not across a gap longer than twice
/// the usual interval (nobody looked then). Returns the rows and how many agents were left out.
pub fn agent_timeline(
    snapshots: &[(i64, BTreeMap<String, PulseState>)],
    start: i64,
    end: i64,
) -> (Vec<AgentRuns>, usize) {
    let shown: Vec<&(i64, BTreeMap<String, PulseState>)> = snapshots
        .iter()
        .filter(|(t, _)| *t >= start && *t <= end)
        .collect();
    if shown.is_empty() {
        return (Vec::new(), 0);
    }
    let mut gaps: Vec<i64> = shown.windows(2).map(|w| w[1].0 - w[0].0).collect();
    gaps.sort_unstable();
    let usual = gaps
        .get(gaps.len() / 2)
        .copied()
        .unwrap_or(end - start)
        .max(1);
    let width = ((end - start) / TIMELINE_COLUMNS as i64).max(1);
    let mut rows: BTreeMap<&str, Vec<(i64, i64, PulseState)>> = BTreeMap::new();
    for (i, (t, states)) in shown.iter().enumerate() {
        let t = *t;
        let next = shown.get(i + 1).map_or(end, |n| n.0);
        // At least one column wide, so the last snapshot (the current pulse) shows.
        let until = next.min(t + 2 * usual).max(t + width).min(end);
        let from = t.min(until - width).max(start);
        let column = (from - start) / width;
        for (id, state) in states {
            let runs = rows.entry(id).or_default();
            match runs.last_mut() {
                // Snapshots grouped into one column: the worst state shows.
                Some(last) if (last.0 - start) / width == column => {
                    last.1 = last.1.max(until);
                    if concern(*state) > concern(last.2) {
                        last.2 = *state;
                    }
                }
                Some(last) if last.2 == *state && last.1 >= from => last.1 = last.1.max(until),
                Some(last) => {
                    last.1 = last.1.min(from);
                    runs.push((from, until, *state));
                }
                None => runs.push((from, until, *state)),
            }
        }
    }
    let mut out: Vec<AgentRuns> = rows
        .into_iter()
        .map(|(id, runs)| AgentRuns {
            id: id.to_string(),
            runs: merge_runs(runs),
        })
        .collect();
    let omitted = out.len().saturating_sub(MAX_AGENTS);
    out.truncate(MAX_AGENTS);
    (out, omitted)
}

fn merge_runs(runs: Vec<(i64, i64, PulseState)>) -> Vec<(i64, i64, PulseState)> {
    let mut merged: Vec<(i64, i64, PulseState)> = Vec::with_capacity(runs.len());
    for r in runs {
        match merged.last_mut() {
            Some(last) if last.2 == r.2 && last.1 >= r.0 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    merged
}

/// Agent totals over `[start, end]`, at most `POINTS` of them: of the snapshots grouped into
/// one point, the one with the fewest active agents stands for the group, so dips show.
pub fn totals_history(observations: &[(i64, Totals)], start: i64, end: i64) -> Vec<(i64, Totals)> {
    let shown: Vec<&(i64, Totals)> = observations
        .iter()
        .filter(|(t, _)| *t >= start && *t <= end)
        .collect();
    let per_point = shown.len().div_ceil(POINTS).max(1);
    shown
        .chunks(per_point)
        .filter_map(|group| group.iter().min_by_key(|(_, t)| t.active).map(|p| **p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(end_ms: i64, wait_ms: f64, outcome: Outcome, path: &str) -> Op {
        Op {
            end_ms,
            path: path.into(),
            attempts: 1,
            wait_ms,
            hold_ms: 1.0,
            outcome,
            error_code: None,
        }
    }

    #[test]
    fn burndown_spends_the_budget_as_bad_events_arrive() {
        // 100 events over 100 ms, 2 bad ones at 50 and 90; objective 0.98 allows exactly 2.
        let s = Series::new((1..=100).map(|t| (t, t == 50 || t == 90)));
        let line = budget_burndown(&s, 100, 100, 0.98).unwrap();
        assert_eq!(line.len(), POINTS);
        assert_eq!(line.last().unwrap(), &(100, 0.0));
        let at = |t: i64| line.iter().find(|(x, _)| *x >= t).unwrap().1;
        assert!((at(10) - 1.0).abs() < 1e-9);
        assert!((at(60) - 0.5).abs() < 1e-9);
        assert!(budget_burndown(&Series::new(std::iter::empty()), 100, 100, 0.98).is_none());
    }

    #[test]
    fn strip_buckets_cover_the_window_once() {
        let s = Series::new((1..=1000).map(|t| (t, t % 100 == 0)));
        let strip = good_bad_strip(&s, 1000, 1000);
        assert_eq!(strip.len(), BUCKETS);
        assert_eq!(strip.iter().map(|b| b.total).sum::<u64>(), 1000);
        assert_eq!(strip.iter().map(|b| b.total - b.good).sum::<u64>(), 10);
        assert_eq!(strip.first().unwrap().start, 0);
        assert_eq!(strip.last().unwrap().end, 1000);
    }

    #[test]
    fn histogram_counts_every_wait_once() {
        let ops: Vec<Op> = [0.0, 0.005, 1.0, 1.5, 250.0, 1e300]
            .iter()
            .map(|w| op(1, *w, Outcome::Ok, "a"))
            .collect();
        let refs: Vec<&Op> = ops.iter().collect();
        let h = wait_histogram(&refs);
        assert_eq!(h.bins.iter().map(|b| b.2).sum::<u64>(), 6);
        assert_eq!(h.bins[0].2, 2);
        assert!(
            h.bins.len() < 60,
            "a corrupt huge wait must not make a huge histogram"
        );
        let p = h.percentiles.unwrap();
        assert_eq!(p.p50, 1.0);
    }

    #[test]
    fn outcomes_keep_the_busiest_documents() {
        let mut ops = Vec::new();
        for i in 0..(MAX_DOCUMENTS + 2) {
            for k in 0..=i {
                ops.push(op(10 + k as i64, 1.0, Outcome::Ok, &format!("doc{i}")));
            }
        }
        ops.push(op(50, 1.0, Outcome::Timeout, "doc9"));
        let refs: Vec<&Op> = ops.iter().collect();
        let (docs, omitted) = outcomes_by_document(&refs, 0, 100);
        assert_eq!(omitted, 2);
        assert_eq!(docs[0].path, "doc9");
        assert_eq!(docs[0].operations, 11);
        assert_eq!(docs[0].failed, 1);
    }

    #[test]
    fn timeline_merges_runs_and_bridges_no_long_gap() {
        let snap = |t: i64, s: PulseState| (t, BTreeMap::from([("a".to_string(), s)]));
        let snaps = vec![
            snap(0, PulseState::Active),
            snap(10, PulseState::Active),
            snap(20, PulseState::Idle),
            snap(30, PulseState::Idle),
            // Nobody looked between 30 and 100.
            snap(100, PulseState::Active),
        ];
        let (rows, omitted) = agent_timeline(&snaps, 0, 110);
        assert_eq!(omitted, 0);
        assert_eq!(
            rows[0].runs,
            vec![
                (0, 20, PulseState::Active),
                (20, 50, PulseState::Idle),
                (100, 110, PulseState::Active)
            ]
        );
    }

    #[test]
    fn totals_keep_the_dips() {
        let obs: Vec<(i64, Totals)> = (0..(POINTS as i64 * 3))
            .map(|t| {
                let active = if t == 7 { 1 } else { 5 };
                (
                    t,
                    Totals {
                        agents: 5,
                        active,
                        ..Totals::default()
                    },
                )
            })
            .collect();
        let h = totals_history(&obs, 0, i64::MAX);
        assert_eq!(h.len(), POINTS);
        assert!(h.iter().any(|(_, t)| t.active == 1));
    }
}
