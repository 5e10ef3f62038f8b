//! Findings that depend on how code runs carry that evidence in `related`, in the JSON output:
//! why the owner lives for the process, why a read-modify-write can run concurrently, why a
//! script's write counts.

mod common;
use common::*;
use std::path::Path;

/// `related` messages of the findings of `code` at `path:line` of a checked fixture.
fn related(fixture: &str, path_suffix: &str, line: u64, code: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture);
    let p = Project::new();
    let out = p.run(&[
        "check",
        "--no-cache",
        "--exit-zero",
        "--output-format",
        "json",
        root.to_str().unwrap(),
    ]);
    let doc = json(&out);
    let findings = doc["findings"].as_array().expect("findings").clone();
    let found: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| {
            f["code"] == code
                && f["line"] == line
                && f["path"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with(path_suffix)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{code} at {path_suffix}:{line} in {findings:#?}"
    );
    found[0]["related"]
        .as_array()
        .expect("related")
        .iter()
        .map(|r| r["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Asserts that some related message of `chain` contains each of `needles`.
fn assert_mentions(chain: &[String], needles: &[&str]) {
    for needle in needles {
        assert!(
            chain.iter().any(|m| m.contains(needle)),
            "no related message mentions {needle:?}: {chain:?}"
        );
    }
}

#[test]
fn request_handler_and_coroutine_are_concurrency_evidence() {
    let route = related(
        "SWC201/request_handlers.py",
        "request_handlers.py",
        16,
        "SWC201",
    );
    assert_mentions(&route, &["`set_setting` handles requests (`@app.post`)"]);
    let coroutine = related("SWC201/async_helpers", "server.py", 38, "SWC201");
    assert_mentions(&coroutine, &["`add_server` is a coroutine"]);
}

#[test]
fn constructor_argument_chain_names_the_call() {
    let chain = related("SWC102/constructor_argument", "toolkits.py", 6, "SWC102");
    assert_mentions(
        &chain,
        &[
            "`NotesToolkit` (or its bound methods) is handed to `Agent(...)`",
            "`Agent` is created by the entry point",
        ],
    );
}

#[test]
fn started_service_loop_is_lifetime_evidence() {
    let chain = related("SWC102/started_loops", "services.py", 10, "SWC102");
    assert_mentions(
        &chain,
        &["`Heartbeat` runs a loop until the process ends in `_beat`"],
    );
}

#[test]
fn a_scripts_repeated_write_shows_the_loop() {
    let why = related("SWC202/one_shot_scripts", "evaluate.py", 21, "SWC202");
    assert_mentions(&why, &["`RESULTS` is written again on every pass here"]);
}
