//! The rule catalog: every `rules/*.toml` is compiled in, `rule`/`rules` print it, and the
//! README's rule table is generated from it.

mod common;
use common::*;
use std::path::Path;

#[test]
fn every_rule_file_is_registered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    on_disk.sort();
    let compiled: Vec<String> = swarmcheck::rules::catalog::all()
        .iter()
        .map(|m| m.code.clone())
        .collect();
    assert_eq!(on_disk, compiled);
    let rules: Vec<&str> = swarmcheck::rules::Rule::ALL
        .iter()
        .map(|r| r.code())
        .collect();
    assert_eq!(
        compiled, rules,
        "Rule::ALL must list every catalog rule, in code order"
    );
    for rule in swarmcheck::rules::Rule::ALL {
        assert_eq!(rule.meta().code, rule.code());
    }
}

#[test]
fn readme_rule_table_is_current() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = swarmcheck::rules::catalog::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's rule table is stale; replace it with the output of `swarmcheck rules --output-format markdown`:\n{table}"
    );
}

#[test]
fn rule_and_rules_commands() {
    let p = Project::new();
    let out = p.run(&["rule", "SWC301"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("SWC301 open-without-context (low)"),
        "{text}"
    );
    assert!(text.contains("with open(path) as f:"));
    let out = p.run(&["rule", "swc301", "--output-format", "json"]);
    assert_eq!(json(&out)["name"], "open-without-context");
    let out = p.run(&["rule", "SWC999"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown rule `SWC999`"));
    let out = p.run(&["rules", "--output-format", "json"]);
    let all = json(&out);
    assert_eq!(
        all.as_array().unwrap().len(),
        swarmcheck::rules::Rule::ALL.len()
    );
    let text = stdout(&p.run(&["rules"]));
    assert!(text.contains("SWC000  syntax-error"));
}

#[test]
fn demo_swarm_fails_the_gate() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo-swarm");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(["check", "--output-format", "json"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for rule in swarmcheck::rules::Rule::ALL {
        if *rule != swarmcheck::rules::Rule::UnusedNoqa {
            assert!(
                codes.contains(rule.code()),
                "the demo shows no {} finding",
                rule.code()
            );
        }
    }
}
