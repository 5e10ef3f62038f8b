//! `slo`, `swarm.pulse` and `health.ping` through the binary: the demo swarm, generated event
//! logs and pulse histories whose verdicts, budgets and burn rates are worked out by hand, the
//! real seed-system agent files, and bad configurations.

mod common;
use common::*;
use std::fmt::Write as _;

const NOW: &str = "2026-01-10T12:00:00Z";
const NOW_S: i64 = 1_768_046_400; // NOW as Unix seconds

fn demo() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-swarm").to_string()
}

fn seed(rel: &str) -> String {
    format!("{}/fixtures/seed-agents/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn ts(unix_s: i64) -> String {
    chrono::DateTime::from_timestamp(unix_s, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One event-log line ending `secs_ago` before NOW.
fn event(secs_ago: i64, path: &str, wait_ms: f64, outcome: &str) -> String {
    format!(
        "{{\"v\":1,\"ts\":\"{}\",\"op\":\"update\",\"path\":\"{path}\",\"attempts\":1,\"wait_ms\":{wait_ms},\"hold_ms\":1.0,\"outcome\":\"{outcome}\"}}\n",
        ts(NOW_S - secs_ago)
    )
}

fn objective<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no objective {name}"))
}

fn burn(o: &serde_json::Value, window: &str) -> Option<f64> {
    o["burn_rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["window"] == window)
        .unwrap()["burn_rate"]
        .as_f64()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

const ONE_SLO: &str = r#"
[observe]
metrics = ["locks.jsonl"]

[[slo]]
name = "locks"
sli = "lock-success"
objective = 0.99
window = "1d"
"#;

#[test]
fn demo_shows_every_verdict_and_matches_the_schema() {
    let p = Project::new();
    let out = p.run(&["slo", &demo(), "--output-format", "json"]);
    assert_eq!(code(&out), 1, "P1 alerts fire: {}", stderr(&out));
    let r = json(&out);
    validate_slo_schema(&r);
    assert_eq!(r["schema"], "swarmcheck.slo/v1");
    assert_eq!(r["evaluated_at"], "2026-11-20T12:00:00Z");
    let verdicts: std::collections::BTreeMap<String, String> = r["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("lock-success", "meeting"),
        ("queue-availability", "violating"),
        ("lock-latency", "at_risk"),
        ("registry-writes", "no_data"),
        ("agents-active", "at_risk"),
        ("agent-memory", "at_risk"),
        ("agent-handles", "meeting"),
        ("memory-findings", "violating"),
        ("file-handles", "at_risk"),
    ];
    for (name, verdict) in want {
        assert_eq!(verdicts[name], verdict, "{name}");
    }
    let alert = |name: &str| objective(&r, name)["alert"]["priority"].clone();
    assert_eq!(alert("agents-active"), "p1");
    assert_eq!(alert("memory-findings"), "p1");
    assert_eq!(alert("lock-latency"), "p2");
    assert_eq!(alert("queue-availability"), "p3");
    assert!(objective(&r, "lock-success")["alert"].is_null());
    assert_eq!(alert("agent-memory"), "p1");
    assert_eq!(r["summary"]["p1"], 3);
    // Agent-3's memory climbs for the last 6 hours: its process is at risk, the others meet,
    // and the suspects are the memory findings of the `swarm` package it runs, its entry
    // module's own first.
    let memory = objective(&r, "agent-memory");
    let procs = memory["processes"].as_array().unwrap();
    assert_eq!(procs.len(), 6);
    for p in procs {
        let want = if p["process"] == "Agent-3" {
            "at_risk"
        } else {
            "meeting"
        };
        assert_eq!(p["verdict"], want, "{p}");
        assert_eq!(
            p["suspects"].as_array().unwrap().is_empty(),
            want == "meeting",
            "{p}"
        );
    }
    let agent3 = procs.iter().find(|p| p["process"] == "Agent-3").unwrap();
    let growth = agent3["growth_bytes_per_hour"].as_f64().unwrap() / 1048576.0;
    assert!((35.0..45.0).contains(&growth), "{agent3}");
    assert!(
        agent3["entry"]
            .as_str()
            .unwrap()
            .ends_with("swarm/agent.py"),
        "{agent3}"
    );
    let suspects: Vec<String> = agent3["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["code"].as_str().unwrap(),
                s["path"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        suspects[0].starts_with("SWC102 ") && suspects[0].ends_with("swarm/agent.py"),
        "{suspects:?}"
    );
    assert!(
        suspects.iter().all(|s| s.starts_with("SWC1")),
        "{suspects:?}"
    );
    assert!(
        suspects.iter().any(|s| s.ends_with("swarm/knowledge.py")),
        "{suspects:?}"
    );
    assert!(
        memory["alert"]["reason"]
            .as_str()
            .unwrap()
            .contains("Agent-3 (pid 4103) grows"),
        "{memory}"
    );
    assert_eq!(
        r["sources"]["processes"]["processes"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    // The current pulse: Agent-1, Agent-2 and the registry's running evaluator are active.
    assert_eq!(r["sources"]["agents"]["totals"]["active"], 3);
    assert_eq!(r["sources"]["agents"]["totals"]["stale"], 2);
    // Text output carries the same verdicts.
    let text = stdout(&p.run(&["slo", &demo()]));
    for label in ["MEETING", "AT RISK", "VIOLATING", "NO DATA"] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
}

#[test]
fn fast_burn_pages_with_hand_computed_figures() {
    // 1000 good events 20 h ago and, in the last 2 minutes, 5 good and 5 bad.
    // Window 1d, objective 99%: SLI 1005/1010 = 99.505%, allowed 10.1 bad, 5 spent,
    // remaining 1 - 5/10.1 = 0.50495. Burn over 5m and 1h: (5/10)/0.01 = 50x > 14.4x: page.
    // Budget spent in 1h: 50 * 1h/24h = 208.3%; gone in 0.50495 * 24h / 50 = 14.5 min.
    let p = Project::new();
    let mut log = String::new();
    for _ in 0..1000 {
        log += &event(20 * 3600, "q.json", 1.0, "ok");
    }
    for i in 0..10 {
        log += &event(
            100 + i,
            "q.json",
            1.0,
            if i % 2 == 0 { "timeout" } else { "ok" },
        );
    }
    p.write("locks.jsonl", log);
    p.write("swarmcheck.toml", ONE_SLO);
    let out = p.run(&["slo", "--now", NOW, "--output-format", "json"]);
    assert_eq!(code(&out), 1, "a P1 page fails the run: {}", stderr(&out));
    let r = json(&out);
    validate_slo_schema(&r);
    let o = objective(&r, "locks");
    assert_eq!(o["verdict"], "at_risk");
    assert_eq!(o["sli"]["good"], 1005);
    assert_eq!(o["sli"]["total"], 1010);
    assert!(close(
        o["error_budget"]["allowed_bad"].as_f64().unwrap(),
        10.1
    ));
    assert!(close(
        o["error_budget"]["remaining_ratio"].as_f64().unwrap(),
        1.0 - 5.0 / 10.1
    ));
    assert!(close(burn(o, "5m").unwrap(), 50.0));
    assert!(close(burn(o, "1h").unwrap(), 50.0));
    assert!(close(burn(o, "1d").unwrap(), (5.0 / 1010.0) / 0.01));
    assert_eq!(o["alert"]["priority"], "p1");
    assert_eq!(o["alert"]["rule"], "page-fast");
    let reason = o["alert"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("burn 50.0x over 1h and 50.0x over 5m > 14.4x: 208.3% of the 1-day budget spent in 1h; at this rate the budget is gone in 14m"),
        "{reason}"
    );
    // --fail-on never: same report, exit 0.
    assert_eq!(
        code(&p.run(&["slo", "--now", NOW, "--fail-on", "never"])),
        0
    );
}

#[test]
fn exact_window_bounds() {
    // An event exactly 1 h before now is outside the 1h window; one a second later is inside.
    let p = Project::new();
    let mut log = String::new();
    for _ in 0..20 {
        log += &event(10 * 3600, "q.json", 1.0, "ok");
    }
    log += &event(3600, "q.json", 1.0, "error");
    log += &event(3599, "q.json", 1.0, "ok");
    p.write("locks.jsonl", log);
    p.write("swarmcheck.toml", ONE_SLO);
    let r = json(&p.run(&["slo", "--now", NOW, "--output-format", "json"]));
    let o = objective(&r, "locks");
    let w = |label: &str| {
        o["burn_rates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["window"] == label)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (w("1h")["good"].clone(), w("1h")["total"].clone()),
        (1.into(), 1.into())
    );
    assert_eq!(
        (w("2h")["good"].clone(), w("2h")["total"].clone()),
        (1.into(), 2.into())
    );
}

#[test]
fn low_traffic_is_no_data_not_healthy() {
    let p = Project::new();
    let log: String = (0..5).map(|i| event(60 * i, "q.json", 1.0, "ok")).collect();
    p.write("locks.jsonl", log);
    p.write("swarmcheck.toml", ONE_SLO);
    let out = p.run(&["slo", "--now", NOW, "--output-format", "json"]);
    assert_eq!(code(&out), 0);
    let o = objective(&json(&out), "locks").clone();
    assert_eq!(o["verdict"], "no_data");
    assert!(o["reason"]
        .as_str()
        .unwrap()
        .contains("fewer than min_events = 10"));
    assert!(o["alert"].is_null());
}

#[test]
fn silent_metrics_log_is_no_data() {
    let p = Project::new();
    let log: String = (0..50)
        .map(|i| event(3 * 3600 + i, "q.json", 1.0, "ok"))
        .collect();
    p.write("locks.jsonl", log);
    p.write("swarmcheck.toml", ONE_SLO);
    let r = json(&p.run(&["slo", "--now", NOW, "--output-format", "json"]));
    let o = objective(&r, "locks");
    assert_eq!(o["verdict"], "no_data");
    assert!(o["reason"].as_str().unwrap().contains("silent"), "{o}");
    assert_eq!(r["sources"]["metrics"]["silent"], true);
}

#[test]
fn loose_objective_never_pages_and_validate_says_so() {
    // Objective 90%: the burn rate is at most 1/0.1 = 10x, so the 14.4x page can never fire,
    // even when every operation fails; the 6x slow page does.
    let p = Project::new();
    let log: String = (0..400)
        .map(|i| event(i * 30, "q.json", 1.0, "error"))
        .collect();
    p.write("locks.jsonl", log);
    p.write(
        "swarmcheck.toml",
        ONE_SLO.replace("objective = 0.99", "objective = 0.9"),
    );
    let r = json(&p.run(&["slo", "--now", NOW, "--output-format", "json"]));
    let o = objective(&r, "locks");
    assert!(close(burn(o, "5m").unwrap(), 10.0));
    assert_eq!(o["verdict"], "violating");
    assert_eq!(o["alert"]["rule"], "page-slow");
    assert_eq!(o["alert"]["priority"], "p2");
    let v = p.run(&["slo", "validate"]);
    assert_eq!(code(&v), 0);
    assert!(
        stderr(&v).contains("can never fire") && stderr(&v).contains("page-fast"),
        "{}",
        stderr(&v)
    );
    // A P2 alert fails the run only from --fail-on p2 down.
    assert_eq!(code(&p.run(&["slo", "--now", NOW])), 0);
    assert_eq!(code(&p.run(&["slo", "--now", NOW, "--fail-on", "p2"])), 1);
}

#[test]
fn timeslices_and_latency() {
    // Ten busy minutes; in minute 3 one of two operations waits 900 ms.
    let p = Project::new();
    let mut log = String::new();
    for m in 0..10 {
        log += &event(m * 60 + 10, "q.json", 5.0, "ok");
        log += &event(
            m * 60 + 20,
            "q.json",
            if m == 3 { 900.0 } else { 5.0 },
            "ok",
        );
    }
    p.write("locks.jsonl", log);
    p.write(
        "swarmcheck.toml",
        r#"
[observe]
metrics = ["locks.jsonl"]

[[slo]]
name = "minutes"
sli = "lock-latency"
threshold = "500ms"
objective = 0.8
window = "1d"
budgeting = "timeslices"
timeslice = "1m"
timeslice-target = 1.0
min-events = 1

[[slo]]
name = "ops"
sli = "lock-latency"
threshold = "500ms"
objective = 0.9
window = "1d"
"#,
    );
    let r = json(&p.run(&["slo", "--now", NOW, "--output-format", "json"]));
    let m = objective(&r, "minutes");
    assert_eq!(
        (m["sli"]["good"].as_u64(), m["sli"]["total"].as_u64()),
        (Some(9), Some(10))
    );
    assert_eq!(m["sli"]["unit"], "timeslices");
    assert_eq!(m["verdict"], "meeting");
    let o = objective(&r, "ops");
    assert_eq!(
        (o["sli"]["good"].as_u64(), o["sli"]["total"].as_u64()),
        (Some(19), Some(20))
    );
    // 1 bad of 20 against a 10% budget: 50% of it spent.
    assert!(close(
        o["error_budget"]["remaining_ratio"].as_f64().unwrap(),
        0.5
    ));
}

#[test]
fn agents_from_pulse_history() {
    // 100 snapshots, one per minute; the 6 most recent... 10 of them have 2 active of min 3.
    let p = Project::new();
    let mut hist = String::new();
    for i in 0..100 {
        let active = if i % 10 == 0 { 2 } else { 4 };
        let _ = writeln!(
            hist,
            "{{\"v\":1,\"ts\":\"{}\",\"agents\":4,\"active\":{active},\"idle\":{},\"stale\":0,\"blocked\":0,\"done\":0,\"unknown\":0}}",
            ts(NOW_S - 60 * (100 - i) + 30),
            4 - active
        );
    }
    hist += "not json\n";
    p.write("pulse.jsonl", hist);
    p.write(
        "swarmcheck.toml",
        r#"
[observe]
pulse-history = "pulse.jsonl"

[[slo]]
name = "agents"
sli = "agents-active"
min-active = 3
objective = 0.8
window = "1d"
"#,
    );
    let out = p.run(&["slo", "--now", NOW, "--output-format", "json"]);
    let r = json(&out);
    validate_slo_schema(&r);
    let o = objective(&r, "agents");
    assert_eq!(
        (o["sli"]["good"].as_u64(), o["sli"]["total"].as_u64()),
        (Some(90), Some(100))
    );
    assert_eq!(o["verdict"], "meeting");
    assert!(close(
        o["error_budget"]["remaining_ratio"].as_f64().unwrap(),
        0.5
    ));
    assert_eq!(r["sources"]["agents"]["history_malformed_lines"], 1);
    // The history is the only source and it is fresh; an hour later it is silent.
    let later = ts(NOW_S + 3600);
    let r = json(&p.run(&["slo", "--now", &later, "--output-format", "json"]));
    assert_eq!(objective(&r, "agents")["verdict"], "no_data");
}

#[test]
fn prometheus_output_is_written_atomically() {
    let p = Project::new();
    let target = p.write("textfile/swarmcheck.prom", "old contents\n");
    let out = p.run(&[
        "slo",
        &demo(),
        "--output-format",
        "prometheus",
        "--output-file",
        target.to_str().unwrap(),
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let text = std::fs::read_to_string(&target).unwrap();
    for needle in [
        "# TYPE swarmcheck_slo_objective_ratio gauge",
        "swarmcheck_slo_sli_ratio{slo=\"lock-success\"}",
        "swarmcheck_slo_error_budget_remaining_ratio{slo=\"queue-availability\"} -",
        "swarmcheck_slo_burn_rate{slo=\"lock-latency\",window=\"6h\"}",
        "swarmcheck_slo_alert{slo=\"memory-findings\",priority=\"p1\"} 1",
        "swarmcheck_agents{state=\"active\"} 3",
        "swarmcheck_findings{severity=\"high\"}",
        "swarmcheck_lock_operations_total{path=\"state/task_queue.json\",outcome=\"timeout\"}",
        "swarmcheck_lock_wait_seconds_bucket{path=\"state/task_queue.json\",le=\"+Inf\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // Every sample line is `name{labels} value` with a numeric value.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(
            value.parse::<f64>().is_ok() || value == "+Inf",
            "bad sample: {line}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
}

#[test]
fn rules_cover_every_slo_and_gate() {
    let p = Project::new();
    let out = p.run(&["slo", "rules", &demo()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("# Generated by swarmcheck"));
    for name in [
        "lock-success",
        "queue-availability",
        "lock-latency",
        "agents-active",
    ] {
        assert!(
            text.contains(&format!("name: \"swarmcheck-slo-{name}\"")),
            "{name}"
        );
    }
    assert!(
        text.contains(r#"path=~\"state/task_queue\\\\.json\""#),
        "{text}"
    );
    assert!(text.contains("SwarmcheckSLOBurnPageFast"));
    assert!(text.contains("SwarmcheckAgentsBelowFloor"));
    assert!(text.contains(
        "swarmcheck_gate_findings{gate=\\\"memory-findings\\\",severity=\\\"high\\\"} > 0"
    ));
    // lock-latency's page threshold: 14.4 x 2% = 0.288.
    assert!(text.contains("> 0.288 and"), "{text}");
    // Process objectives: growth is deriv() over the resident-bytes gauge, per hour, over the
    // rate window; 20 MB/h is 20971520 bytes/h.
    assert!(
        text.contains(r#"expr: "deriv(swarmcheck_process_resident_bytes[1h]) * 3600""#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"expr: "swarmcheck:process_resident_growth_bytes_per_hour:deriv1h > 20971520""#
        ),
        "{text}"
    );
    assert!(
        text.contains("avg(deriv(swarmcheck_process_resident_bytes[1h]) * 3600 < bool 20971520)"),
        "{text}"
    );
    assert!(
        text.contains(r#"expr: "swarmcheck_process_open_fds >= 100""#),
        "{text}"
    );
}

#[test]
fn process_and_cycle_objectives_are_checked_where_they_are_written() {
    let p = Project::new();
    let cases = [
        (
            "sli = \"memory-growth\"\nmax-growth = \"100MB\"",
            "is not a growth rate",
        ),
        (
            "sli = \"memory-growth\"\nmax-handles = 5",
            "`max-handles` only applies to open-handles",
        ),
        (
            "sli = \"open-handles\"\nrate-window = \"1h\"",
            "`rate-window` only applies to memory-growth",
        ),
        ("sli = \"cycle-time\"", "a cycle-time SLO needs `threshold`"),
        (
            "sli = \"task-success\"\npath = \"x.json\"",
            "`path` only applies to lock SLOs",
        ),
        (
            "sli = \"open-handles\"\nbudgeting = \"timeslices\"",
            "counted per process sample",
        ),
    ];
    for (body, want) in cases {
        p.write(
            "swarmcheck.toml",
            format!("[[slo]]\nname = \"x\"\nobjective = 0.99\n{body}\n"),
        );
        let out = p.run(&["slo", "validate"]);
        assert_eq!(code(&out), 2, "{body}");
        assert!(stderr(&out).contains(want), "{body}: {}", stderr(&out));
        assert!(stderr(&out).contains("swarmcheck.toml"), "{}", stderr(&out));
    }
    p.write(
        "swarmcheck.toml",
        "[[slo]]\nname = \"m\"\nobjective = 0.99\nsli = \"memory-growth\"\nmax-growth = \"50MB/h\"\nrate-window = \"30m\"\n\n[[slo]]\nname = \"c\"\nobjective = 0.9\nsli = \"cycle-time\"\nthreshold = \"2s\"\n",
    );
    let out = p.run(&["slo", "validate"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn cycle_objectives_from_a_cycle_log() {
    let p = Project::new();
    // 20 cycles in the last hour: 4 slower than 2 s, 1 failed; plus lines to skip.
    let mut log = String::new();
    for i in 0..20 {
        let ms = if i % 5 == 0 { 2500.0 } else { 800.0 };
        log += &format!(
            "{{\"v\":1,\"ts\":\"2026-11-20T11:{:02}:00Z\",\"agent\":\"Agent-{}\",\"duration_ms\":{ms},\"ok\":{}}}\n",
            10 + i,
            i % 3,
            i != 7
        );
    }
    log += "garbage\n{\"v\":1,\"ts\":\"2026-11-20T11:59:00Z\",\"agent\":\"a\",\"duration_ms\":\"slow\",\"ok\":true}\n";
    p.write("logs/cycles-1.jsonl", log);
    p.write(
        "swarmcheck.toml",
        "[observe]\ncycles = [\"logs/cycles-*.jsonl\"]\nevaluate-at = \"2026-11-20T12:00:00Z\"\n\n[[slo]]\nname = \"cycle-time\"\nsli = \"cycle-time\"\nthreshold = \"2s\"\nobjective = 0.9\nmin-events = 5\n\n[[slo]]\nname = \"task-success\"\nsli = \"task-success\"\nobjective = 0.9\nmin-events = 5\n",
    );
    let out = p.run(&["slo", "--output-format", "json", "--fail-on", "never"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    validate_slo_schema(&r);
    let ct = objective(&r, "cycle-time");
    assert_eq!(
        (ct["sli"]["good"].as_u64(), ct["sli"]["total"].as_u64()),
        (Some(16), Some(20))
    );
    assert_eq!(ct["verdict"], "violating", "{ct}");
    let ts = objective(&r, "task-success");
    assert_eq!(ts["sli"]["good"], 19);
    // 1 failure of the 2 the objective allows: half the budget left, no alert.
    assert_eq!(ts["verdict"], "meeting", "{ts}");
    assert_eq!(ts["error_budget"]["remaining_ratio"], 0.5);
    assert_eq!(r["sources"]["cycles"]["malformed_lines"], 2);
    let out = p.run(&["slo", "--output-format", "prometheus", "--fail-on", "never"]);
    let text = stdout(&out);
    assert!(
        text.contains("swarmcheck_agent_cycles_total{outcome=\"failed\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("swarmcheck_agent_cycles_slow_total{slo=\"cycle-time\"} 4\n"),
        "{text}"
    );
}

#[test]
fn defaults_without_a_config() {
    let p = Project::new();
    p.write("app.py", LEAKY);
    let out = p.run(&["slo", "--output-format", "json"]);
    let r = json(&out);
    validate_slo_schema(&r);
    assert_eq!(r["objectives_from"], "defaults");
    let names: Vec<&str> = r["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "lock-success",
            "lock-availability",
            "lock-latency",
            "agents-active",
            "memory-growth",
            "open-handles",
            "memory-findings"
        ]
    );
    // No metrics, no agents, no processes: no data, never "meeting". The memory gate has
    // nothing to count.
    for n in &names[..6] {
        assert_eq!(objective(&r, n)["verdict"], "no_data", "{n}");
    }
    assert!(
        objective(&r, "memory-growth")["reason"]
            .as_str()
            .unwrap()
            .contains("no process samples"),
        "{r}"
    );
    assert_eq!(objective(&r, "memory-findings")["verdict"], "meeting");
    assert_eq!(code(&out), 0);
}

#[test]
fn saved_findings_report() {
    let p = Project::new();
    p.write("app.py", "from collections import defaultdict\n");
    p.write(
        "report.json",
        r#"{"findings": [{"code": "SWC102", "severity": "medium"}, {"code": "SWC102", "severity": "medium"}, {"code": "SWC301", "severity": "low"}]}"#,
    );
    let r = json(&p.run(&[
        "slo",
        "--findings",
        "report.json",
        "--output-format",
        "json",
    ]));
    assert_eq!(r["sources"]["findings"]["origin"], "report");
    let g = objective(&r, "memory-findings");
    assert_eq!(g["gate"]["counts"]["medium"], 2);
    assert_eq!(g["verdict"], "at_risk");
    p.write("bad.json", "{\"findings\": 3}");
    let out = p.run(&["slo", "--findings", "bad.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("bad.json:1:"), "{}", stderr(&out));
}

#[test]
fn bad_configs_are_pointed_errors() {
    let cases = [
        ("objective = 1.5", "objective must be a ratio"),
        ("objective = 0.99\nwindow = \"30x\"", "unknown unit `x`"),
        (
            "objective = 0.99\nbudgeting = \"sometimes\"",
            "unknown budgeting",
        ),
        (
            "objective = 0.99\nthreshold = \"1s\"",
            "only applies to lock-latency",
        ),
        (
            "objective = 0.99\nwindow = \"1000000000d\"",
            "longer than 100 years",
        ),
        (
            "objective = 0.99\ntimeslice = \"5m\"",
            "only applies with budgeting",
        ),
    ];
    for (body, message) in cases {
        let p = Project::new();
        p.write(
            "swarmcheck.toml",
            format!("[[slo]]\nname = \"x\"\nsli = \"lock-success\"\n{body}\n"),
        );
        let out = p.run(&["slo", "validate"]);
        assert_eq!(code(&out), 2, "{body}");
        let err = stderr(&out);
        assert!(err.contains(message), "{body}: {err}");
        assert!(err.contains("swarmcheck.toml"), "{err}");
        assert_eq!(code(&p.run(&["slo"])), 2);
    }
    let p = Project::new();
    p.write(
        "swarmcheck.toml",
        "[[slo]]\nname = \"x\"\nsli = \"cpu\"\nobjective = 0.9\n",
    );
    assert!(stderr(&p.run(&["slo", "validate"])).contains("unknown sli `cpu`"));
    p.write(
        "swarmcheck.toml",
        "[[gate]]\nname = \"g\"\nselect = [\"SWC7\"]\nmax-high = 0\n",
    );
    assert!(stderr(&p.run(&["slo", "validate"])).contains("unknown rule selector"));
    p.write(
        "swarmcheck.toml",
        "[[gate]]\nname = \"g\"\nselect = []\nmax-high = 0\n",
    );
    assert!(stderr(&p.run(&["slo", "validate"])).contains("selects no rule"));
    p.write("swarmcheck.toml", "[observe]\nstale-after = \"soon\"\n");
    assert_eq!(code(&p.run(&["slo"])), 2);
}

#[test]
fn pulse_on_the_seed_system() {
    let p = Project::new();
    let out = p.run(&[
        "swarm.pulse",
        "--agents",
        &seed("agent_workspaces"),
        "--now",
        "2025-10-17T01:20:00Z",
        "--output-format",
        "json",
        "--record",
        "history.jsonl",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    let t = &r["totals"];
    // Agent-5 (ACTIVE_AGENT_MODE, 15 min ago) is the only fresh active agent; Agent-8 rests;
    // Agent-4 and Agent-7 are done; Agent-1, 2, 3 and 6 say active but are hours old.
    assert_eq!(t["agents"], 8);
    assert_eq!(t["active"], 1);
    assert_eq!(t["idle"], 1);
    assert_eq!(t["done"], 2);
    assert_eq!(t["stale"], 4);
    let agent3 = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "Agent-3")
        .unwrap();
    assert_eq!(agent3["status"], "ACTIVE", "read from `state`");
    // Space-separated naive time (Agent-6) parsed as local time (UTC here).
    let agent6 = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "Agent-6")
        .unwrap();
    assert_eq!(agent6["last_update"], "2025-10-16T08:15:00Z");
    // The snapshot was appended, twice after a second run.
    p.run(&[
        "swarm.pulse",
        "--agents",
        &seed("agent_workspaces"),
        "--record",
        "history.jsonl",
    ]);
    let hist = std::fs::read_to_string(p.path().join("history.jsonl")).unwrap();
    assert_eq!(hist.lines().count(), 2);
    assert!(
        hist.starts_with("{\"v\":2,\"ts\":\"2025-10-17T01:20:00.000Z\",\"agents\":8,\"active\":1,")
    );
}

#[test]
fn pulse_flags_future_timestamps_and_merges_registries() {
    let p = Project::new();
    let out = p.run(&[
        "swarm.pulse",
        "--agents",
        &seed("orchestrator-registry"),
        "--now",
        "2025-10-17T21:00:00Z",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    // 13 agents in AGENT_REGISTRY.json all reappear in GLOBAL_REGISTRY.json's 27.
    assert_eq!(r["totals"]["agents"], 27);
    let suspect = r["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["suspect_timestamp"] == true)
        .count();
    assert!(suspect > 0);
    assert!(r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["message"].as_str().unwrap().contains("in the future")));
    // Registry statuses: `working` is active (or stale), `completed` is done.
    assert_eq!(r["totals"]["done"], 26);
}

#[test]
fn pulse_survives_broken_files() {
    let p = Project::new();
    p.write("agents/Agent-1/status.json", "{\"status\": \"ACTIVE\", ");
    p.write("agents/Agent-2/status.json", "[1, 2]");
    p.write(
        "agents/Agent-3/status.json",
        "{\"status\": \"working\", \"last_updated\": \"yesterday-ish\"}",
    );
    p.write(
        "agents/Agent-4/status.json",
        "{\"last_updated\": \"2026-01-10T11:59:00Z\"}",
    );
    let out = p.run(&[
        "swarm.pulse",
        "--agents",
        "agents",
        "--now",
        NOW,
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["totals"]["agents"], 2);
    assert_eq!(r["totals"]["unknown"], 1);
    let warnings = r["warnings"].to_string();
    for needle in [
        "unparsable JSON at line 1",
        "expected a JSON object",
        "unreadable timestamp",
        "no `status` or `state`",
    ] {
        assert!(warnings.contains(needle), "{needle}: {warnings}");
    }
    let missing = p.run(&["swarm.pulse", "--agents", "nope"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("nope"));
    assert_eq!(code(&p.run(&["swarm.pulse"])), 2);
}

#[test]
fn health_ping_lines_and_exit_codes() {
    let p = Project::new();
    let out = p.run(&["health.ping", &demo()]);
    // At the demo's pinned time, the agents and the metrics log are fresh.
    let text = stdout(&out);
    assert!(text.contains("agents    ok"), "{text}");
    assert!(text.contains("metrics   ok"), "{text}");
    assert_eq!(code(&out), 0, "{text}");
    let later = p.run(&["health.ping", &demo(), "--now", "2026-11-21T12:00:00Z"]);
    assert_eq!(code(&later), 1);
    assert!(
        stdout(&later).contains("metrics   FAIL"),
        "{}",
        stdout(&later)
    );
    assert_eq!(code(&p.run(&["health.ping"])), 2, "nothing configured");
}

#[test]
fn empty_windows_and_missing_history_are_no_data() {
    // min-events = 0 must not turn "no events at all" into a verdict.
    let p = Project::new();
    p.write("locks.jsonl", event(40 * 86_400, "q.json", 1.0, "error"));
    p.write(
        "swarmcheck.toml",
        r#"
[observe]
metrics = ["locks.jsonl"]
metrics-stale-after = "100d"
pulse-history = "not-yet.jsonl"

[[slo]]
name = "locks"
sli = "lock-success"
objective = 0.99
window = "1d"
min-events = 0

[[slo]]
name = "agents"
sli = "agents-active"
min-active = 1
objective = 0.9
"#,
    );
    let out = p.run(&["slo", "--now", NOW, "--output-format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(objective(&r, "locks")["verdict"], "no_data");
    assert!(objective(&r, "locks")["alert"].is_null());
    assert_eq!(objective(&r, "agents")["verdict"], "no_data");
    assert!(r["sources"]["agents"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("does not exist yet"));
}
