//! `lock.report`, `lock.optimize` and `obs.metrics` through the binary, on the real legacy
//! sample and on generated event logs with known answers.

mod common;
use common::*;
use std::path::Path;

/// A copy of `../shared/data/seed-system/lock-metrics/file_locking_metrics.json`, unchanged.
const LEGACY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/metrics/legacy_file_locking_metrics.json"
);

fn legacy_path() -> String {
    let p = Path::new(LEGACY);
    assert!(
        p.exists(),
        "the shared legacy sample is missing: {}",
        p.display()
    );
    p.display().to_string()
}

#[test]
fn golden_legacy_sample() {
    let p = Project::new();
    let out = p.run(&[
        "lock.report",
        "--metrics",
        &legacy_path(),
        "--now",
        "2025-12-06T06:00:00Z",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    let o = &r["overall"];
    assert_eq!(o["failed_attempts"], 16);
    assert_eq!(o["operations"], 15);
    assert_eq!(o["outcomes"]["ok"], 15);
    assert_eq!(o["outcomes"].get("error"), None, "0 failures");
    assert_eq!(o["success_rate"], 1.0);
    assert_eq!(o["max_attempts"], 4);
    assert_eq!(o["errors_by_code"]["WIN32_5"], 16);
    let legacy = r["legacy"][0]["legacy_attempt_based_success_rate"]
        .as_f64()
        .unwrap();
    assert!((legacy - 15.0 / 31.0).abs() < 1e-9, "{legacy}");
    assert_eq!(r["freshness"]["silent"], true);
    assert!(r["freshness"]["status"]
        .as_str()
        .unwrap()
        .starts_with("monitoring silent for 3d"));
    let text = stdout(&p.run(&[
        "lock.report",
        "--metrics",
        &legacy_path(),
        "--now",
        "2025-12-06T06:00:00Z",
    ]));
    assert!(text.contains("Operation success rate: 100.00%"), "{text}");
    assert!(text.contains("48.39%"), "{text}");
    assert!(text.contains("monitoring silent for 3d"), "{text}");
    // Fresh relative to a --now just after the last event.
    let r = json(&p.run(&[
        "lock.report",
        "--metrics",
        &legacy_path(),
        "--now",
        "2025-12-03T06:10:00",
        "--output-format",
        "json",
    ]));
    assert_eq!(r["freshness"]["silent"], false);
}

#[test]
fn legacy_optimize_triggers() {
    let p = Project::new();
    let out = p.run(&[
        "lock.optimize",
        "--metrics",
        &legacy_path(),
        "--now",
        "2025-12-06T06:00:00Z",
        "--current",
        "max_retries=4,base_delay=0.15,cap=2.0",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let o = json(&out);
    let titles: Vec<&str> = o["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    // No operation failed: the legacy HIGH alert on "48.4%" does not fire.
    assert!(!titles.iter().any(|t| t.contains("failed")), "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.contains("close to the retry limit")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("sharing violations")),
        "{titles:?}"
    );
    assert!(o["recommended"]["simulated_success"].as_f64().unwrap() >= 0.999);
}

fn event(ts: &str, path: &str, wait: f64, hold: f64, outcome: &str, attempts: u32) -> String {
    format!(
        "{{\"v\":1,\"ts\":\"{ts}\",\"op\":\"update\",\"path\":\"{path}\",\"pid\":1,\"attempts\":{attempts},\"wait_ms\":{wait},\"hold_ms\":{hold},\"io_ms\":0.5,\"bytes\":10,\"durability\":\"full\",\"outcome\":\"{outcome}\"}}\n"
    )
}

#[test]
fn generated_log_with_known_answers() {
    let p = Project::new();
    let mut log = String::new();
    // 100 ok updates on a.json, waits 1..=100 ms, holds 2 ms, one per second.
    for i in 1..=100 {
        log.push_str(&event(
            &format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60),
            "a.json",
            f64::from(i),
            2.0,
            "ok",
            1,
        ));
    }
    // b.json: three waits ending together overlap (peak 3); one timeout, one error, one recovered.
    log.push_str(&event(
        "2026-01-01T01:00:00.100Z",
        "b.json",
        50.0,
        0.0,
        "ok",
        2,
    ));
    log.push_str(&event(
        "2026-01-01T01:00:00.100Z",
        "b.json",
        30.0,
        0.0,
        "timeout",
        5,
    ));
    log.push_str(&event(
        "2026-01-01T01:00:00.090Z",
        "b.json",
        20.0,
        0.0,
        "error",
        1,
    ));
    log.push_str(&event(
        "2026-01-01T01:00:01Z",
        "b.json",
        0.0,
        1.0,
        "recovered",
        1,
    ));
    log.push_str("not json\n");
    log.push_str("{\"v\":1,\"ts\":\"yesterday\",\"op\":\"update\",\"outcome\":\"ok\"}\n");
    log.push_str("{\"v\":1,\"ts\":\"2026-01-01T01:00:02Z\",\"op\":\"read\",\"path\":\"a.json\",\"outcome\":\"ok\"}\n");
    p.write("m/events.jsonl", &log);
    let out = p.run(&[
        "lock.report",
        "--metrics",
        "m/*.jsonl",
        "--now",
        "2026-01-01T01:10:00Z",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    let a = &r["by_path"]["a.json"];
    assert_eq!(a["operations"], 100);
    assert_eq!(a["wait_ms"]["p50"], 50.0);
    assert_eq!(a["wait_ms"]["p95"], 95.0);
    assert_eq!(a["wait_ms"]["p99"], 99.0);
    assert_eq!(a["wait_ms"]["max"], 100.0);
    assert_eq!(a["peak_waiters"], 1);
    let b = &r["by_path"]["b.json"];
    assert_eq!(b["operations"], 4);
    assert_eq!(b["success_rate"], 0.5);
    assert_eq!(b["peak_waiters"], 3);
    assert_eq!(b["retried_operations"], 2);
    assert_eq!(b["max_attempts"], 5);
    assert_eq!(r["overall"]["operations"], 104);
    let malformed = r["malformed"].as_array().unwrap();
    assert_eq!(malformed.len(), 2);
    assert_eq!(malformed[0]["line"], 105);
    assert_eq!(malformed[1]["line"], 106);
    assert_eq!(r["freshness"]["status"], "fresh: last event 9m ago");
    // Windows and path filters.
    let r = json(&p.run(&[
        "lock.report",
        "--metrics",
        "m/events.jsonl",
        "--now",
        "2026-01-01T01:10:00Z",
        "--hours",
        "0.5",
        "--output-format",
        "json",
    ]));
    assert_eq!(r["overall"]["operations"], 4);
    let r = json(&p.run(&[
        "lock.report",
        "--metrics",
        "m/events.jsonl",
        "--path",
        "a.*",
        "--output-format",
        "json",
        "--now",
        "2026-01-01T01:10:00Z",
    ]));
    assert_eq!(r["overall"]["operations"], 100);
    let r = json(&p.run(&[
        "lock.report",
        "--metrics",
        "m/events.jsonl",
        "--since",
        "2026-01-01T00:01:00Z",
        "--until",
        "2026-01-01T00:01:09Z",
        "--output-format",
        "json",
        "--now",
        "2026-01-01T01:10:00Z",
    ]));
    assert_eq!(r["overall"]["operations"], 10);
    // Contention, not transient errors: the optimizer says so.
    let o = json(&p.run(&[
        "lock.optimize",
        "--metrics",
        "m/events.jsonl",
        "--output-format",
        "json",
        "--now",
        "2026-01-01T01:10:00Z",
    ]));
    let titles: Vec<&str> = o["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.iter().any(|t| t.contains("contention")),
        "{titles:?}"
    );
    // obs.metrics: flat pairs.
    let text = stdout(&p.run(&[
        "obs.metrics",
        "--metrics",
        "m/events.jsonl",
        "--now",
        "2026-01-01T01:10:00Z",
    ]));
    assert!(text.lines().any(|l| l == "lock_operations 104"), "{text}");
    assert!(text.lines().any(|l| l == "malformed_entries 2"), "{text}");
    let m = json(&p.run(&[
        "obs.metrics",
        "--metrics",
        "m/events.jsonl",
        "--output-format",
        "json",
        "--now",
        "2026-01-01T01:10:00Z",
    ]));
    assert_eq!(m["lock_peak_waiters"], 3);
}

#[test]
fn save_report_writes_a_text_and_json_pair() {
    let p = Project::new();
    let out = p.run(&[
        "lock.report",
        "--metrics",
        &legacy_path(),
        "--save-report",
        "reports",
        "--now",
        "2025-12-06T06:00:00Z",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(p.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("lock-report-") && n.ends_with(".txt")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("lock-report-") && n.ends_with(".json")),
        "{names:?}"
    );
}

#[test]
fn input_errors_exit_2() {
    let p = Project::new();
    let out = p.run(&["lock.report", "--metrics", "missing.jsonl"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.jsonl"), "{}", stderr(&out));
    assert_eq!(code(&p.run(&["lock.report"])), 2);
    assert_eq!(
        code(&p.run(&["lock.report", "--metrics", "nothing/*.jsonl"])),
        2
    );
    p.write("e.jsonl", "");
    assert_eq!(
        code(&p.run(&["lock.report", "--metrics", "e.jsonl", "--now", "tomorrow"])),
        2
    );
    assert_eq!(
        code(&p.run(&[
            "lock.optimize",
            "--metrics",
            "e.jsonl",
            "--current",
            "retries=3"
        ])),
        2
    );
    let out = p.run(&[
        "lock.report",
        "--metrics",
        "e.jsonl",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["freshness"]["silent"], true);
}
