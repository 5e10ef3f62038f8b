//! The three uses the project brief names, run literally through the built binary on the demo
//! swarm from the repository root (`swarmcheck mem.leaks fixtures/demo-swarm`, a CI gate on high
//! severity, `swarmcheck slo fixtures/demo-swarm --format json`), and `--format` as an alias of
//! `--output-format` on every command that has an output format.
//!
//! Scans pass `--no-cache` so nothing is written into the fixtures; baselines go to a temp dir.

mod common;
use common::*;
use std::process::{Command, Output};

const DEMO: &str = "fixtures/demo-swarm";
const METRICS: &str = "fixtures/demo-swarm/metrics/locks.jsonl";
const AGENTS: &str = "fixtures/demo-swarm/agent_workspaces";
/// The demo data ends here (its `evaluate-at`); pinned so lock and pulse output is reproducible.
const NOW: &str = "2026-11-20T12:00:00Z";

/// Runs `swarmcheck ARGS` in the repository root, as a user of the README would.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SWARMCHECK_METRICS")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

#[test]
fn mem_leaks_on_the_demo_reports_findings_and_exits_1() {
    let out = run(&["mem.leaks", DEMO, "--no-cache"]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("SWC101"), "{text}");
    assert!(
        text.contains("Found 5 findings (2 high, 3 medium, 0 low)"),
        "{text}"
    );

    let out = run(&["mem.leaks", DEMO, "--no-cache", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(r["summary"]["high"], 2, "{r:#}");
    assert_eq!(r["summary"]["medium"], 3, "{r:#}");
    // The preset: memory-growth rules of medium severity and above, plus SWC000.
    let mut found = finding_codes(&r);
    found.sort();
    assert_eq!(found, ["SWC000", "SWC101", "SWC102", "SWC103", "SWC104"]);
}

#[test]
fn ci_gate_fails_on_high_and_passes_once_the_findings_are_baselined() {
    let out = run(&["check", "--fail-on", "high", DEMO, "--no-cache"]);
    assert_eq!(
        code(&out),
        1,
        "a high finding fails the gate: {}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("[high]"), "{}", stdout(&out));

    let out = run(&[
        "check",
        "--fail-on",
        "high",
        DEMO,
        "--no-cache",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 1);
    let r = json(&out);
    assert!(r["summary"]["high"].as_u64().unwrap() >= 1, "{r:#}");
    let all = finding_codes(&r);
    let syntax_errors = all.iter().filter(|c| *c == "SWC000").count();
    // tools/legacy_report.py is Python 2: one SWC000, which no baseline or noqa hides.
    assert_eq!(syntax_errors, 1, "{r:#}");

    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let out = run(&["check", DEMO, "--no-cache", "--write-baseline", baseline]);
    // The baseline is written, but the unparsed file cannot be in it: the writer learns it now.
    assert_eq!(
        code(&out),
        1,
        "a baseline that cannot hide an SWC000 exits 1: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("legacy_report.py"),
        "{}",
        stderr(&out)
    );

    // The baseline hides every rule finding; the unparsed file still fails the gate.
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--fail-on",
            "high",
            DEMO,
            "--no-cache",
            "--baseline",
            baseline,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let out = gate(&["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let r = json(&out);
    assert_eq!(finding_codes(&r), ["SWC000"], "{r:#}");
    assert_eq!(
        r["summary"]["baselined"],
        all.len() - syntax_errors,
        "{r:#}"
    );

    // With the Python 2 script excluded, the baselined project passes the gate.
    let out = gate(&["--extend-exclude", "tools"]);
    assert_eq!(
        code(&out),
        0,
        "baselined findings no longer fail the gate: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = gate(&["--extend-exclude", "tools", "--format", "json"]);
    assert_eq!(code(&out), 0);
    let r = json(&out);
    assert!(finding_codes(&r).is_empty(), "{r:#}");
    assert_eq!(r["summary"]["high"], 0, "{r:#}");
    assert_eq!(
        r["summary"]["baselined"],
        all.len() - syntax_errors,
        "{r:#}"
    );
}

#[test]
fn slo_format_json_on_the_demo_matches_the_schema() {
    let out = run(&["slo", DEMO, "--format", "json"]);
    assert_eq!(
        code(&out),
        1,
        "P1 alerts fire on the demo: {}",
        stderr(&out)
    );
    let r = json(&out);
    validate_slo_schema(&r);
    assert_eq!(r["schema"], "swarmcheck.slo/v1");
    assert!(!r["objectives"].as_array().unwrap().is_empty());
}

/// Every command with an output format, with the arguments it needs to run on the demo.
fn commands() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = [
        "check",
        "mem.leaks",
        "mem.scan",
        "mem.handles",
        "mem.verify",
    ]
    .into_iter()
    .map(|c| vec![c, DEMO, "--no-cache"])
    .collect();
    v.push(vec!["rule", "SWC101"]);
    v.push(vec!["rules"]);
    for c in ["lock.report", "lock.optimize", "obs.metrics"] {
        v.push(vec![c, "--metrics", METRICS, "--now", NOW]);
    }
    v.push(vec!["swarm.pulse", "--agents", AGENTS, "--now", NOW]);
    v.push(vec!["slo", DEMO]);
    // health.ping, store, `slo rules` and `slo validate` have no output format.
    v
}

#[test]
fn help_shows_format_as_an_alias_of_output_format() {
    for args in commands() {
        let out = run(&[args[0], "--help"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        // Collapse the wrapping of the help text.
        let help = stdout(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.contains("--output-format <OUTPUT_FORMAT>") && help.contains("[alias: --format]"),
            "{}: {help}",
            args[0]
        );
    }
}

#[test]
fn format_json_gives_the_same_output_as_output_format_json() {
    for args in commands() {
        let with = |flag: &str| {
            let mut a = args.clone();
            a.extend([flag, "json"]);
            run(&a)
        };
        let short = with("--format");
        let long = with("--output-format");
        assert_ne!(
            code(&short),
            2,
            "{args:?} --format json: {}",
            stderr(&short)
        );
        assert_eq!(code(&short), code(&long), "{args:?}");
        assert_eq!(json(&short), json(&long), "{args:?}");
    }
}

#[test]
fn format_and_output_format_together_are_one_flag_given_twice() {
    let out = run(&["rules", "--format", "json", "--output-format", "text"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(
        stderr(&out).contains("cannot be used multiple times"),
        "{}",
        stderr(&out)
    );
}
