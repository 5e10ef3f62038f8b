//! Samples of one process in time order, and the growth rate of a quantity over a window.

use super::ProcessSample;
use std::collections::BTreeMap;

/// One process (name, pid and start time) and its samples, oldest first.
#[derive(Clone, Debug)]
pub struct ProcessSeries {
    pub name: String,
    pub agent: Option<String>,
    pub pid: i32,
    pub started: String,
    pub samples: Vec<(i64, ProcessSample)>,
    /// The source file it runs, and the code whose findings are its suspects
    /// ([`super::entry_file`], [`super::code_scope`]); filled in by whoever knows the project.
    pub entry: Option<std::path::PathBuf>,
    pub scope: Option<std::path::PathBuf>,
}

/// Groups timed samples by process. A pid seen with two start times is two processes.
pub fn by_process(samples: &[(i64, ProcessSample)]) -> Vec<ProcessSeries> {
    let mut groups: BTreeMap<(String, i32, String), Vec<(i64, ProcessSample)>> = BTreeMap::new();
    for (t, s) in samples {
        groups
            .entry((s.name.clone(), s.pid, s.started.clone()))
            .or_default()
            .push((*t, s.clone()));
    }
    groups
        .into_iter()
        .map(|((name, pid, started), mut samples)| {
            samples.sort_by_key(|(t, _)| *t);
            samples.dedup_by_key(|(t, _)| *t);
            ProcessSeries {
                agent: samples.iter().rev().find_map(|(_, s)| s.agent.clone()),
                name,
                pid,
                started,
                samples,
                entry: None,
                scope: None,
            }
        })
        .collect()
}

/// The least-squares slope of `(time ms, value)` points, per hour; `None` with fewer than two
/// distinct times.
pub fn slope_per_hour(points: &[(i64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    // Centred on the first point: Unix milliseconds squared would lose precision in f64.
    let t0 = points[0].0;
    let n = points.len() as f64;
    let mean_t = points.iter().map(|(t, _)| (t - t0) as f64).sum::<f64>() / n;
    let mean_v = points.iter().map(|(_, v)| v).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, v) in points {
        let dt = (t - t0) as f64 - mean_t;
        num += dt * (v - mean_v);
        den += dt * dt;
    }
    (den > 0.0).then(|| num / den * 3_600_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line_and_of_noise() {
        let line: Vec<(i64, f64)> = (0..10).map(|i| (i * 60_000, 1000.0 * i as f64)).collect();
        // 1000 per minute is 60 000 per hour.
        assert!((slope_per_hour(&line).unwrap() - 60_000.0).abs() < 1e-6);
        let flat = [(0, 5.0), (1000, 7.0), (2000, 5.0), (3000, 7.0)];
        assert!(slope_per_hour(&flat).unwrap().abs() < 3_600_000.0);
        assert_eq!(slope_per_hour(&[(0, 1.0)]), None);
        assert_eq!(slope_per_hour(&[(5, 1.0), (5, 2.0)]), None);
        // Real Unix times do not lose the slope to rounding.
        let t = 1_795_000_000_000i64;
        let late: Vec<(i64, f64)> = (0..5)
            .map(|i| (t + i * 1000, 1e9 + 10.0 * i as f64))
            .collect();
        assert!((slope_per_hour(&late).unwrap() - 36_000.0).abs() < 1e-3);
    }

    fn s(name: &str, pid: i32, started: &str) -> ProcessSample {
        ProcessSample {
            name: name.into(),
            agent: None,
            pid,
            started: started.into(),
            rss_bytes: 1,
            pss_bytes: None,
            uss_bytes: None,
            fds: None,
            fd_files: None,
            fd_sockets: None,
            threads: None,
            cpu_seconds: None,
            cmdline: vec![],
            cwd: None,
        }
    }

    #[test]
    fn a_reused_pid_is_another_process() {
        let samples = vec![
            (2, s("a", 7, "2026-01-01T00:00:00Z")),
            (1, s("a", 7, "2026-01-01T00:00:00Z")),
            (3, s("a", 7, "2026-01-02T00:00:00Z")),
        ];
        let g = by_process(&samples);
        assert_eq!(g.len(), 2);
        assert_eq!(
            g[0].samples.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(g[1].samples.len(), 1);
    }
}
