//! Fixture tests: every `fixtures/<CODE>/*.py` marks each line that must be reported with
//! `# expect: CODE[, CODE]`. The built binary checks each file with every rule enabled; any
//! missing or extra finding fails, with a readable diff.

use std::path::{Path, PathBuf};
use std::process::Command;

fn expectations(path: &Path) -> Vec<(usize, String)> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // `# expect: SWC301, SWC301` expects two findings of the same code on the line.
        if let Some(at) = line.find("# expect:") {
            for code in line[at + 9..]
                .split([',', ' '])
                .filter(|c| c.starts_with("SWC"))
            {
                out.push((i + 1, code.trim().to_string()));
            }
        }
    }
    out
}

fn reported(path: &Path) -> Vec<(usize, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args([
            "check",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            "ALL",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "swarmcheck failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Items of `a` not matched one-for-one by items of `b`.
fn multiset_minus<'v>(a: &'v [(usize, String)], b: &[(usize, String)]) -> Vec<&'v (usize, String)> {
    let mut rest: Vec<&(usize, String)> = b.iter().collect();
    a.iter()
        .filter(|item| match rest.iter().position(|r| r == item) {
            Some(i) => {
                rest.swap_remove(i);
                false
            }
            None => true,
        })
        .collect()
}

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("SWC") && dir.is_dir()) {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "py") {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_fixture_reports_exactly_its_expectations() {
    let files = fixture_files();
    assert!(files.len() >= 8, "fixtures are missing: {files:?}");
    let mut failures = Vec::new();
    for file in &files {
        let mut expected = expectations(file);
        expected.sort();
        let got = reported(file);
        let missing = multiset_minus(&expected, &got);
        let extra = multiset_minus(&got, &expected);
        if !missing.is_empty() || !extra.is_empty() {
            let mut msg = format!("{}:\n", file.display());
            for (line, code) in missing {
                msg.push_str(&format!("  - missing {code} on line {line}\n"));
            }
            for (line, code) in extra {
                msg.push_str(&format!("  + unexpected {code} on line {line}\n"));
            }
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "fixture mismatches:\n{}",
        failures.join("")
    );
}

#[test]
fn every_rule_has_fixtures() {
    let files = fixture_files();
    for meta in swarmcheck::rules::catalog::all() {
        let has = files
            .iter()
            .any(|f| f.parent().unwrap().file_name().unwrap() == meta.code.as_str());
        assert!(
            has,
            "rule {} has no fixtures in fixtures/{}/",
            meta.code, meta.code
        );
    }
}
