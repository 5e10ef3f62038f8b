//! Recommendations for lock retry settings, with the evidence behind each: the legacy
//! optimizer's triggers (computed on operations, not attempts), and a replay of the observed
//! wait distribution against candidate retry schedules.

use super::load::Dataset;
use super::lock_report::LockReport;
use serde::Serialize;

/// A retry schedule: up to `max_retries` retries, sleeping `min(cap, base * 2^i)` (full jitter:
/// uniformly in `[0, that]`) before retry `i`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Schedule {
    pub max_retries: u32,
    pub base_delay_s: f64,
    pub cap_s: f64,
}

impl Schedule {
    /// Parses `max_retries=8,base_delay=0.15,cap=2.0`.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let mut s = Schedule {
            max_retries: 8,
            base_delay_s: 0.15,
            cap_s: 2.0,
        };
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("expected key=value in `{part}`"))?;
            let num: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("`{v}` is not a number in `{part}`"))?;
            if !(num.is_finite() && num >= 0.0) {
                return Err(format!("`{part}` must be a non-negative number"));
            }
            match k.trim() {
                "max_retries" => s.max_retries = num as u32,
                "base_delay" => s.base_delay_s = num,
                "cap" => s.cap_s = num,
                other => {
                    return Err(format!(
                        "unknown setting `{other}` (max_retries, base_delay, cap)"
                    ))
                }
            }
        }
        Ok(s)
    }

    /// Expected total time the schedule keeps trying (half of each jittered sleep).
    fn budget_s(&self) -> f64 {
        (0..self.max_retries)
            .map(|i| (self.base_delay_s * 2f64.powi(i as i32)).min(self.cap_s) / 2.0)
            .sum()
    }

    /// Whether an operation that needed `wait_s` of waiting succeeds, and the latency it pays
    /// beyond that wait (the overshoot to the next retry). The reference for [`simulate`].
    #[cfg(test)]
    fn replay(&self, wait_s: f64) -> (bool, f64) {
        if wait_s <= 0.0 {
            return (true, 0.0);
        }
        let mut t = 0.0;
        for i in 0..self.max_retries {
            t += (self.base_delay_s * 2f64.powi(i as i32)).min(self.cap_s) / 2.0;
            if t >= wait_s {
                return (true, t - wait_s);
            }
        }
        (false, 0.0)
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Recommendation {
    pub priority: &'static str,
    pub title: String,
    pub evidence: String,
    pub action: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SimulatedSchedule {
    pub schedule: Schedule,
    pub simulated_success: f64,
    pub expected_added_latency_ms: f64,
    pub budget_ms: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Optimization {
    pub schema: &'static str,
    pub target_success: f64,
    pub operations: u64,
    pub current: Option<SimulatedSchedule>,
    pub recommended: Option<SimulatedSchedule>,
    pub recommendations: Vec<Recommendation>,
}

/// Observed waits, sorted, with prefix sums: a schedule is replayed against all of them with a
/// binary search per retry instead of a pass per operation.
struct Waits {
    sorted: Vec<f64>,
    prefix: Vec<f64>,
}

impl Waits {
    fn new(mut waits: Vec<f64>) -> Self {
        waits.sort_unstable_by(f64::total_cmp);
        let mut prefix = Vec::with_capacity(waits.len() + 1);
        prefix.push(0.0);
        for w in &waits {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + w);
        }
        Waits {
            sorted: waits,
            prefix,
        }
    }

    /// Number of waits `<= t`.
    fn upto(&self, t: f64) -> usize {
        self.sorted.partition_point(|&w| w <= t)
    }
}

fn simulate(schedule: Schedule, waits: &Waits) -> SimulatedSchedule {
    // Operations with no wait succeed at once; the others at the first retry time >= their wait.
    let zero = waits.upto(0.0);
    let mut ok = zero;
    let mut extra = 0.0;
    let mut prev = zero;
    let mut t = 0.0;
    for i in 0..schedule.max_retries {
        t += (schedule.base_delay_s * 2f64.powi(i as i32)).min(schedule.cap_s) / 2.0;
        let upto = waits.upto(t);
        if upto > prev {
            let count = (upto - prev) as f64;
            extra += count * t - (waits.prefix[upto] - waits.prefix[prev]);
            ok = upto;
            prev = upto;
        }
    }
    let total = waits.sorted.len();
    SimulatedSchedule {
        schedule,
        simulated_success: if total == 0 {
            1.0
        } else {
            ok as f64 / total as f64
        },
        expected_added_latency_ms: if ok == 0 {
            0.0
        } else {
            extra / ok as f64 * 1000.0
        },
        budget_ms: schedule.budget_s() * 1000.0,
    }
}

/// Candidate schedules, cheapest (smallest budget) first.
fn candidates() -> Vec<Schedule> {
    let mut out = Vec::new();
    for max_retries in [1, 2, 3, 4, 6, 8, 10, 12, 16] {
        for base in [0.001, 0.005, 0.01, 0.05, 0.15] {
            for cap in [0.02, 0.1, 0.5, 2.0] {
                if cap >= base {
                    out.push(Schedule {
                        max_retries,
                        base_delay_s: base,
                        cap_s: cap,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.budget_s().total_cmp(&b.budget_s()));
    out
}

pub fn optimize(
    data: &Dataset,
    report: &LockReport,
    target: f64,
    current: Option<Schedule>,
) -> Optimization {
    let waits_s: Vec<f64> = data.ops.iter().map(|o| o.wait_ms / 1000.0).collect();
    let overall = &report.overall;
    let mut recs = Vec::new();

    // The legacy triggers, computed on operations.
    let failed_ops = overall.outcomes.get("timeout").copied().unwrap_or(0)
        + overall.outcomes.get("error").copied().unwrap_or(0);
    if failed_ops > 0 {
        recs.push(Recommendation {
            priority: "HIGH",
            title: "operations failed after exhausting their retries".to_string(),
            evidence: format!(
                "{failed_ops} of {} operations failed (success rate {:.2}%)",
                overall.operations,
                overall.success_rate.unwrap_or(1.0) * 100.0
            ),
            action: "see the schedule below, and the contention note when waits are long"
                .to_string(),
        });
    }
    if let Some(cur) = current {
        if cur.max_retries > 0
            && f64::from(overall.max_attempts) >= 0.75 * f64::from(cur.max_retries + 1)
        {
            recs.push(Recommendation {
                priority: "MEDIUM",
                title: "operations come close to the retry limit".to_string(),
                evidence: format!(
                    "max attempts {} with a limit of {} attempts ({} retries)",
                    overall.max_attempts,
                    cur.max_retries + 1,
                    cur.max_retries
                ),
                action: "raise max_retries or lower contention before operations start failing"
                    .to_string(),
            });
        }
    }
    let mean_delay_s = if waits_s.is_empty() {
        0.0
    } else {
        waits_s.iter().sum::<f64>() / waits_s.len() as f64
    };
    if mean_delay_s > 1.5 {
        recs.push(Recommendation {
            priority: "MEDIUM",
            title: "operations wait a long time for the lock".to_string(),
            evidence: format!(
                "mean wait {:.2}s over {} operations",
                mean_delay_s,
                waits_s.len()
            ),
            action: "shorten lock holds (no I/O or network while holding) or split the document"
                .to_string(),
        });
    }
    let total_errors: u64 = overall.errors_by_code.values().sum();
    let sharing = overall.errors_by_code.get("WIN32_32").copied().unwrap_or(0)
        + overall.errors_by_code.get("WIN32_33").copied().unwrap_or(0);
    let access_denied = overall.errors_by_code.get("WIN32_5").copied().unwrap_or(0);
    if total_errors > 0 && (sharing + access_denied) * 2 > total_errors {
        recs.push(Recommendation {
            priority: "MEDIUM",
            title: "Windows sharing violations dominate the errors".to_string(),
            evidence: format!(
                "{} of {total_errors} errors are WIN32_5/32/33 ({} recorded as WIN32_5: Python raises PermissionError for both 5 and 32, so the legacy monitor may have mislabelled sharing violations)",
                sharing + access_denied,
                access_denied
            ),
            action: "another process holds the file open: close handles promptly (swarmcheck's SWC301) and replace files with os.replace from a unique temp file".to_string(),
        });
    }

    // Data-driven: the cheapest schedule whose replay meets the target.
    let waits = Waits::new(waits_s.clone());
    let current_sim = current.map(|c| simulate(c, &waits));
    let recommended = candidates()
        .into_iter()
        .map(|c| simulate(c, &waits))
        .find(|s| s.simulated_success >= target);
    match &recommended {
        Some(r) => recs.push(Recommendation {
            priority: if current_sim.as_ref().is_some_and(|c| c.simulated_success < target) { "HIGH" } else { "LOW" },
            title: "retry schedule".to_string(),
            evidence: format!(
                "replaying {} observed waits: max_retries={} base_delay={}s cap={}s succeeds for {:.3}% (target {:.3}%), expected added latency {:.1} ms{}",
                waits_s.len(),
                r.schedule.max_retries,
                r.schedule.base_delay_s,
                r.schedule.cap_s,
                r.simulated_success * 100.0,
                target * 100.0,
                r.expected_added_latency_ms,
                current_sim
                    .as_ref()
                    .map(|c| format!("; the current schedule: {:.3}%, {:.1} ms", c.simulated_success * 100.0, c.expected_added_latency_ms))
                    .unwrap_or_default()
            ),
            action: format!(
                "use max_retries={},base_delay={},cap={} with full jitter",
                r.schedule.max_retries, r.schedule.base_delay_s, r.schedule.cap_s
            ),
        }),
        None if !waits_s.is_empty() => recs.push(Recommendation {
            priority: "HIGH",
            title: "no retry schedule meets the target".to_string(),
            evidence: format!("the longest observed wait is {:.1} ms", waits_s.iter().cloned().fold(0.0, f64::max) * 1000.0),
            action: "reduce contention instead of retrying more".to_string(),
        }),
        None => {}
    }
    // Timeouts from contention: more retries only queue more processes.
    let timeouts = overall.outcomes.get("timeout").copied().unwrap_or(0);
    if timeouts > 0 && overall.peak_waiters >= 2 {
        recs.push(Recommendation {
            priority: "HIGH",
            title: "timeouts come from contention, not from transient errors".to_string(),
            evidence: format!("{timeouts} timeouts with up to {} processes waiting at once", overall.peak_waiters),
            action: "hold one lock across each read-modify-write and keep it short (swarmcheck.store.locked_json), instead of adding retries".to_string(),
        });
    }
    recs.sort_by_key(|r| match r.priority {
        "HIGH" => 0,
        "MEDIUM" => 1,
        _ => 2,
    });
    Optimization {
        schema: "swarmcheck.lock-optimize/v1",
        target_success: target,
        operations: overall.operations,
        current: current_sim,
        recommended,
        recommendations: recs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_and_budget() {
        let s = Schedule {
            max_retries: 3,
            base_delay_s: 0.1,
            cap_s: 0.15,
        };
        // Expected sleeps: 0.05, 0.075, 0.075.
        assert!((s.budget_s() - 0.2).abs() < 1e-9);
        assert_eq!(s.replay(0.0), (true, 0.0));
        let (ok, extra) = s.replay(0.06);
        assert!(ok && (extra - 0.065).abs() < 1e-9);
        assert!(!s.replay(0.25).0);
    }

    #[test]
    fn fast_replay_matches_the_per_operation_replay() {
        let raw: Vec<f64> = (0..500).map(|i| f64::from(i % 37) * 0.004).collect();
        let waits = Waits::new(raw.clone());
        for s in candidates().into_iter().step_by(7) {
            let fast = simulate(s, &waits);
            let (mut ok, mut extra) = (0usize, 0.0);
            for &w in &raw {
                let (success, over) = s.replay(w);
                if success {
                    ok += 1;
                    extra += over;
                }
            }
            assert!((fast.simulated_success - ok as f64 / raw.len() as f64).abs() < 1e-12);
            let slow_latency = if ok == 0 {
                0.0
            } else {
                extra / ok as f64 * 1000.0
            };
            assert!(
                (fast.expected_added_latency_ms - slow_latency).abs() < 1e-6,
                "{s:?}"
            );
        }
    }

    #[test]
    fn parses_current_settings() {
        let s = Schedule::parse("max_retries=5,base_delay=0.01,cap=1").unwrap();
        assert_eq!((s.max_retries, s.base_delay_s, s.cap_s), (5, 0.01, 1.0));
        assert!(Schedule::parse("retries=5").is_err());
        assert!(Schedule::parse("cap=-1").is_err());
    }
}
