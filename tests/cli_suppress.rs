//! Suppressions and the baseline through the binary.

mod common;
use common::*;

fn lines(out: &std::process::Output) -> Vec<(u64, String)> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ARGS: &[&str] = &["check", ".", "--output-format", "json", "--exit-zero"];

#[test]
fn line_noqa_forms() {
    let p = Project::new();
    p.write(
        "a.py",
        "a = open('1')  # noqa\nb = open('2')  # NOQA: SWC301\nc = open('3')  # noqa:SWC301,SWC900\nd = open('4')  # noqa: E501\ne = open('5')\ns = '# noqa'; g = open('6')\n",
    );
    let out = p.run(ARGS);
    // Line 3 also names SWC900, which suppressed nothing there: reported as unused.
    assert_eq!(
        lines(&out),
        vec![
            (3, "SWC900".into()),
            (4, "SWC301".into()),
            (5, "SWC301".into()),
            (6, "SWC301".into())
        ]
    );
    assert_eq!(json(&out)["summary"]["suppressed"], 3);
}

#[test]
fn file_level_noqa() {
    let p = Project::new();
    p.write("all.py", "x = 1\n# swarmcheck: noqa\nf = open('x')\n");
    p.write("codes.py", "# swarmcheck: noqa: SWC301\nf = open('x')\n");
    p.write("other.py", "# swarmcheck: noqa: SWC201\nf = open('x')\n");
    let out = p.run(ARGS);
    let paths: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["other.py"]);
}

#[test]
fn syntax_errors_cannot_be_suppressed() {
    let p = Project::new();
    p.write("a.py", "# swarmcheck: noqa\ndef f(:  # noqa\n");
    assert_eq!(lines(&p.run(ARGS)), vec![(2, "SWC000".into())]);
}

#[test]
fn unused_noqa_can_be_ignored() {
    let p = Project::new();
    p.write("a.py", "x = 1  # noqa: SWC301\n");
    assert_eq!(lines(&p.run(ARGS)), vec![(1, "SWC900".into())]);
    let mut args = ARGS.to_vec();
    args.extend(["--ignore", "SWC900"]);
    assert!(lines(&p.run(&args)).is_empty());
}

#[test]
fn baseline_hides_known_findings_and_survives_line_moves() {
    let p = Project::new();
    p.write(
        "a.py",
        "def load(p):\n    f = open(p)\n    return f.read()\n",
    );
    let out = p.run(&[
        "check",
        ".",
        "--write-baseline",
        "baseline.json",
        "--fail-on",
        "low",
    ]);
    assert_eq!(
        code(&out),
        0,
        "writing a baseline accepts the current findings"
    );
    let baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("baseline.json")).unwrap()).unwrap();
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 1);

    // Lines move: the known finding stays hidden.
    p.write(
        "a.py",
        "import os\n\n\ndef load(p):\n    f  =  open(p)\n    return f.read()\n",
    );
    let out = p.run(&[
        "check",
        ".",
        "--baseline",
        "baseline.json",
        "--fail-on",
        "low",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["summary"]["baselined"], 1);

    // A new finding fails the run; the old one stays hidden.
    p.write(
        "a.py",
        "import os\n\n\ndef load(p):\n    f  =  open(p)\n    return f.read()\n\ndef more(p):\n    g = open(p)\n    return g.read()\n",
    );
    let out = p.run(&[
        "check",
        ".",
        "--baseline",
        "baseline.json",
        "--fail-on",
        "low",
        "--output-format",
        "json",
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(lines(&out), vec![(9, "SWC301".into())]);
}

#[test]
fn identical_lines_are_told_apart_by_occurrence() {
    let p = Project::new();
    p.write("a.py", "f = open('x')\n");
    assert_eq!(
        code(&p.run(&["check", ".", "--write-baseline", "b.json"])),
        0
    );
    p.write("a.py", "f = open('x')\nf = open('x')\n");
    let out = p.run(&[
        "check",
        ".",
        "--baseline",
        "b.json",
        "--output-format",
        "json",
        "--exit-zero",
    ]);
    assert_eq!(lines(&out), vec![(2, "SWC301".into())]);
}

#[test]
fn bad_baseline_is_a_usage_error() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("b.json", "{\"nope\": 1}");
    let out = p.run(&["check", ".", "--baseline", "b.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("b.json"));
    assert_eq!(
        code(&p.run(&["check", ".", "--baseline", "missing.json"])),
        2
    );
}

#[test]
fn baseline_never_hides_unanalyzable_files() {
    let p = Project::new();
    p.write("a.py", "x = '\u{e9}'\n".as_bytes());
    p.write("bad.py", b"x = '\xff'\n");
    let written = p.run(&["check", ".", "--write-baseline", "b.json"]);
    assert_eq!(code(&written), 1, "SWC000 cannot be baselined: exit 1");
    assert!(
        stderr(&written).contains("bad.py") && stderr(&written).contains("never baselined"),
        "{}",
        stderr(&written)
    );
    let baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path().join("b.json")).unwrap()).unwrap();
    assert!(baseline["findings"].as_array().unwrap().is_empty());
    let out = p.run(&["check", ".", "--baseline", "b.json"]);
    assert_eq!(code(&out), 1);
}

#[test]
fn noqa_with_space_before_colon() {
    let p = Project::new();
    p.write("a.py", "f = open('x')  # noqa : SWC301\n");
    assert!(lines(&p.run(ARGS)).is_empty());
}
