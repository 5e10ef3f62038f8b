//! Fixture tests: every `fixtures/<CODE>/*.py`, and every directory fixture
//! `fixtures/<CODE>/<case>/` (a small project of several modules, checked as one), marks each
//! line that must be reported with `# expect: CODE[, CODE]`. The built binary checks each fixture
//! with every rule enabled; any missing or extra finding fails, with a readable diff.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A finding: the file (relative to the fixture), line and code.
type Expect = (String, usize, String);

/// The Python files of a fixture: the file itself, or every `.py` below the directory.
fn python_files(fixture: &Path) -> Vec<PathBuf> {
    if fixture.is_file() {
        return vec![fixture.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![fixture.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(fixture: &Path, file: &Path) -> String {
    let base = if fixture.is_file() {
        fixture.parent().unwrap()
    } else {
        fixture
    };
    file.strip_prefix(base)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

fn expectations(fixture: &Path) -> Vec<Expect> {
    let mut out = Vec::new();
    for file in python_files(fixture) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let name = relative(fixture, &file);
        for (i, line) in text.lines().enumerate() {
            // `# expect: SWC301, SWC301` expects two findings of the same code on the line.
            if let Some(at) = line.find("# expect:") {
                for code in line[at + 9..]
                    .split([',', ' '])
                    .filter(|c| c.starts_with("SWC"))
                {
                    out.push((name.clone(), i + 1, code.trim().to_string()));
                }
            }
        }
    }
    out
}

fn reported(path: &Path, select: &str) -> Vec<Expect> {
    let output = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args([
            "check",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            select,
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
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(f["path"].as_str().unwrap());
            (
                relative(path, &file),
                f["line"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Items of `a` not matched one-for-one by items of `b`.
fn multiset_minus<'v>(a: &'v [Expect], b: &[Expect]) -> Vec<&'v Expect> {
    let mut rest: Vec<&Expect> = b.iter().collect();
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
            if file.is_dir() || file.extension().is_some_and(|e| e == "py") {
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
        // With every rule, and with only the rule the fixture is for: selecting one rule must
        // not change its findings (other files still give the project its evidence).
        let code = file
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().to_string())
            .unwrap_or_default();
        let only: Vec<Expect> = expected.iter().filter(|e| e.2 == code).cloned().collect();
        // SWC900 (unused `noqa`) judges comments for the other rules, so it needs them on.
        let passes = if code == "SWC900" {
            vec![("ALL", &expected)]
        } else {
            vec![("ALL", &expected), (code.as_str(), &only)]
        };
        for (select, expected) in passes {
            let got = reported(file, select);
            let missing = multiset_minus(expected, &got);
            let extra = multiset_minus(&got, expected);
            if !missing.is_empty() || !extra.is_empty() {
                let mut msg = format!("{} (--select {select}):\n", file.display());
                for (file, line, code) in missing {
                    msg.push_str(&format!("  - missing {code} at {file}:{line}\n"));
                }
                for (file, line, code) in extra {
                    msg.push_str(&format!("  + unexpected {code} at {file}:{line}\n"));
                }
                failures.push(msg);
            }
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
