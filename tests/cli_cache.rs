//! The results cache through the binary: reuse, invalidation, and equality with a cold scan.

mod common;
use common::*;

fn findings(out: &std::process::Output) -> Vec<(String, u64, String)> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const ARGS: &[&str] = &["check", ".", "--output-format", "json", "--exit-zero"];

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut all = ARGS.to_vec();
    all.extend_from_slice(extra);
    all
}

#[test]
fn warm_runs_match_cold_runs_through_edits() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    p.write("b.py", "x = 1\n");
    let cold = findings(&p.run(&with(&["--no-cache"])));
    let first = findings(&p.run(ARGS));
    assert_eq!(first, cold);
    assert!(p.path().join(".swarmcheck_cache/.gitignore").exists());
    // Unchanged: served from the cache, same answer.
    assert_eq!(findings(&p.run(ARGS)), cold);
    // An edit is seen, whatever the timestamps say.
    p.write("b.py", "y = open('x')\n");
    let edited = findings(&p.run(ARGS));
    assert_eq!(edited, findings(&p.run(&with(&["--no-cache"]))));
    assert!(edited.contains(&("b.py".to_string(), 1, "SWC301".to_string())));
    // Same size, new content.
    p.write("b.py", "z = open('y')\n");
    assert_eq!(
        findings(&p.run(ARGS)),
        findings(&p.run(&with(&["--no-cache"])))
    );
}

#[test]
fn settings_and_per_file_rules_invalidate() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    assert_eq!(findings(&p.run(ARGS)).len(), 1);
    assert!(findings(&p.run(&with(&["--ignore", "SWC301"]))).is_empty());
    p.write(
        "swarmcheck.toml",
        "[per-file-ignores]\n\"a.py\" = [\"SWC301\"]\n",
    );
    assert!(findings(&p.run(ARGS)).is_empty());
    p.write("swarmcheck.toml", "[severity]\nSWC301 = \"high\"\n");
    let out = p.run(ARGS);
    assert_eq!(json(&out)["findings"][0]["severity"], "high");
}

#[test]
fn cached_findings_keep_their_code_frame_and_noqa_counts() {
    let p = Project::new();
    p.write("a.py", "f = open('x')  # noqa: SWC301\ng = open('y')\n");
    let cold = stdout(&p.run(&["check", ".", "--no-cache", "--exit-zero"]));
    let _ = p.run(&["check", ".", "--exit-zero"]);
    let warm = stdout(&p.run(&["check", ".", "--exit-zero"]));
    assert_eq!(warm, cold);
    assert!(warm.contains("2 │ g = open('y')"), "{warm}");
    assert!(warm.contains("1 suppressed by noqa"), "{warm}");
}

#[test]
fn cache_dir_flag_and_unwritable_cache() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let out = p.run(&with(&["--cache-dir", "elsewhere"]));
    assert_eq!(findings(&out).len(), 1);
    assert!(p.path().join("elsewhere").is_dir());
    // A cache that cannot be written is skipped, not an error.
    p.write("blocked", "a file where the cache directory would be");
    let out = p.run(&with(&["--cache-dir", "blocked/cache"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(findings(&out).len(), 1);
    // A corrupt cache file is ignored.
    for entry in std::fs::read_dir(p.path().join("elsewhere")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::write(&path, "{ not json").unwrap();
        }
    }
    assert_eq!(
        findings(&p.run(&with(&["--cache-dir", "elsewhere"]))).len(),
        1
    );
}
