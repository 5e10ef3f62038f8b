//! Inputs that must never panic the process: each is reported (or checked) and the scan goes on.

mod common;
use common::*;

fn codes_by_path(out: &std::process::Output) -> Vec<(String, String)> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn pathological_files_do_not_crash_the_scan() {
    let p = Project::new();
    p.write(
        "parens.py",
        format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000)),
    );
    let mut blocks = String::new();
    for depth in 0..1000 {
        blocks.push_str(&format!("{}if x:\n", " ".repeat(depth)));
    }
    blocks.push_str(&format!("{}pass\n", " ".repeat(1000)));
    p.write("blocks.py", blocks);
    p.write(
        "calls.py",
        format!("x = {}{}\n", "f(".repeat(5000), ")".repeat(5000)),
    );
    p.write(
        "binop.py",
        format!("x = {}\n", vec!["1"; 100_000].join(" + ")),
    );
    p.write("unary.py", format!("x = {}1\n", "-".repeat(50_000)));
    p.write("nul.py", b"x = 1\n\0\n");
    p.write("empty.py", "");
    p.write("leak.py", LEAKY);
    std::fs::create_dir_all(p.path().join("dir.py")).unwrap();
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let found = codes_by_path(&out);
    assert!(found.contains(&("nul.py".into(), "SWC000".into())));
    assert!(
        found.contains(&("leak.py".into(), "SWC301".into())),
        "the rest of the scan is intact"
    );
    assert_eq!(json(&out)["files_scanned"], 8);
    for deep in ["parens.py", "calls.py", "binop.py", "unary.py"] {
        let f = json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == deep)
            .cloned()
            .unwrap_or_else(|| panic!("{deep} is reported"));
        assert_eq!(f["code"], "SWC000");
        assert!(f["message"].as_str().unwrap().contains("nested"), "{f}");
    }
}

#[test]
fn deep_but_allowed_nesting_is_analyzed() {
    // Just under the limit: parsed and walked by every rule without overflowing a thread stack.
    let p = Project::new();
    p.write(
        "chain.py",
        format!(
            "def f(a):
    x = {}
    return open(a)
",
            vec!["a"; 4_900].join(" + ")
        ),
    );
    p.write(
        "parens.py",
        format!(
            "x = {}open('p'){}
",
            "(".repeat(4_900),
            ")".repeat(4_900)
        ),
    );
    p.write(
        "unary.py",
        format!(
            "x = {}1
",
            "-".repeat(4_900)
        ),
    );
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = codes_by_path(&out);
    assert_eq!(found, vec![("parens.py".to_string(), "SWC301".to_string())]);
}

#[test]
fn huge_operator_chain_under_the_size_limit_is_reported_not_crashed() {
    let p = Project::new();
    p.write(
        "chain.py",
        format!(
            "x = {}
",
            vec!["1"; 2_000_000].join("+")
        ),
    );
    p.write(
        "minus.py",
        format!(
            "x = {}1
",
            "-".repeat(3_000_000)
        ),
    );
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let found = codes_by_path(&out);
    assert_eq!(
        found,
        vec![
            ("chain.py".to_string(), "SWC000".to_string()),
            ("minus.py".to_string(), "SWC000".to_string())
        ]
    );
}

#[test]
fn oversized_single_line_file_is_reported() {
    let p = Project::new();
    let mut big = String::with_capacity(50_000_010);
    big.push_str("x = \"");
    big.push_str(&"a".repeat(50_000_000));
    big.push_str("\"\n");
    p.write("big.py", big);
    p.write("leak.py", LEAKY);
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    let findings = json(&out)["findings"].clone();
    let big = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "big.py")
        .unwrap();
    assert_eq!(big["code"], "SWC000");
    assert!(big["message"].as_str().unwrap().contains("size limit"));
    // Raising the limit parses it.
    p.write("swarmcheck.toml", "max-file-size = 60000000\n");
    let out = p.run(&["check", "big.py", "--output-format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed() {
    let p = Project::new();
    std::os::unix::fs::symlink("self.py", p.path().join("self.py")).unwrap();
    std::os::unix::fs::symlink("b.py", p.path().join("a.py")).unwrap();
    std::os::unix::fs::symlink("a.py", p.path().join("b.py")).unwrap();
    std::fs::create_dir_all(p.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", p.path().join("sub/up")).unwrap();
    p.write("leak.py", LEAKY);
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    assert_eq!(code(&out), 0);
    let found = codes_by_path(&out);
    for name in ["self.py", "a.py", "b.py"] {
        assert!(
            found.contains(&(name.into(), "SWC000".into())),
            "{name}: {found:?}"
        );
    }
    assert!(found.contains(&("leak.py".into(), "SWC301".into())));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new();
    let path = p.write("secret.py", "x = 1\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        return; // Running as root: permissions do not apply.
    }
    let out = p.run(&["check", ".", "--output-format", "json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        codes_by_path(&out),
        vec![("secret.py".to_string(), "SWC000".to_string())]
    );
}

#[test]
fn a_file_that_vanishes_after_discovery_is_reported() {
    // What the engine does when a discovered file is gone by the time it is read.
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone.py");
    let settings = swarmcheck::lint::settings::LintSettings::default();
    let (findings, _) = swarmcheck::lint::check_file(&gone, "gone.py", &settings, None);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "SWC000");
    assert!(
        findings[0].message.starts_with("cannot read file"),
        "{}",
        findings[0].message
    );
}

#[test]
fn python2_and_wrong_cookie_and_empty_files() {
    let p = Project::new();
    p.write("py2.py", "print 'hello'\nexec 'x = 1'\n");
    p.write("cookie.py", b"# -*- coding: ascii -*-\nx = '\xc3\xa9'\n");
    p.write("empty.py", "");
    let out = p.run(&["check", ".", "--output-format", "json", "--exit-zero"]);
    let found = codes_by_path(&out);
    assert!(found.contains(&("py2.py".into(), "SWC000".into())));
    assert!(
        found.contains(&("cookie.py".into(), "SWC000".into())),
        "{found:?}"
    );
    assert!(!found.iter().any(|(p, _)| p == "empty.py"));
}
