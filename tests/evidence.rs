//! Findings that depend on how code runs carry that evidence in `related`, in the JSON output:
//! why the owner lives for the process, why a read-modify-write can run concurrently, why a
//! script's write counts.

mod common;
use common::*;
use std::path::Path;

/// A finding of a checked fixture: path, line, code, severity and related messages.
type Found = (String, u64, String, String, Vec<String>);

/// The findings of a checked fixture, with `require-concurrency-evidence` on when `strict`.
fn checked(fixture: &str, strict: bool) -> Vec<Found> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(fixture);
    let p = Project::new();
    let mut args = vec![
        "check".to_string(),
        "--no-cache".into(),
        "--exit-zero".into(),
        "--output-format".into(),
        "json".into(),
    ];
    if strict {
        let config = p.write(
            "strict.toml",
            "[options]\nrequire-concurrency-evidence = true\n",
        );
        args.extend(["--config".into(), config.to_str().unwrap().to_string()]);
    }
    args.push(root.to_str().unwrap().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&p.run(&args))["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let related = f["related"]
                .as_array()
                .expect("related")
                .iter()
                .map(|r| r["message"].as_str().unwrap_or_default().to_string())
                .collect();
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                related,
            )
        })
        .collect()
}

/// The findings of a fixture checked with `require-concurrency-evidence` on.
fn strict(fixture: &str) -> Vec<Found> {
    checked(fixture, true)
}

/// The findings of `code` at `path_suffix:line`.
fn hits<'f>(found: &'f [Found], path_suffix: &str, line: u64, code: &str) -> Vec<&'f Found> {
    found
        .iter()
        .filter(|f| f.0.ends_with(path_suffix) && f.1 == line && f.2 == code)
        .collect()
}

/// The one finding of `code` at `path_suffix:line`.
fn the_one<'f>(found: &'f [Found], path_suffix: &str, line: u64, code: &str) -> &'f Found {
    let hits = hits(found, path_suffix, line, code);
    assert_eq!(
        hits.len(),
        1,
        "{code} at {path_suffix}:{line} in {found:#?}"
    );
    hits[0]
}

/// `related` messages of the finding of `code` at `path:line` of a checked fixture.
fn related(fixture: &str, path_suffix: &str, line: u64, code: &str) -> Vec<String> {
    the_one(&checked(fixture, false), path_suffix, line, code)
        .4
        .clone()
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

/// Whether no finding of `code` is at `path_suffix:line`.
fn absent(found: &[Found], path_suffix: &str, line: u64, code: &str) -> bool {
    hits(found, path_suffix, line, code).is_empty()
}

/// The severity of the one finding of `code` at `path_suffix:line`.
fn severity_of(found: &[Found], path_suffix: &str, line: u64, code: &str) -> String {
    the_one(found, path_suffix, line, code).3.clone()
}

#[test]
fn request_handler_is_concurrency_evidence() {
    let route = related(
        "SWC201/request_handlers.py",
        "request_handlers.py",
        18,
        "SWC201",
    );
    assert_mentions(&route, &["`set_setting` (`@app.post`) handles requests"]);
    // A coroutine's requests interleave where it awaits between its read and its write.
    let awaited = related(
        "SWC201/request_handlers.py",
        "request_handlers.py",
        46,
        "SWC201",
    );
    assert_mentions(&awaited, &["`fetch_note` (`@app.post`) handles requests"]);
}

#[test]
fn a_spawn_per_item_reaches_the_helper_through_its_callers() {
    let chain = related("SWC201/spawned_per_item", "jobs.py", 15, "SWC201");
    assert_mentions(
        &chain,
        &[
            "`record` is called from `handle` here",
            "`map` runs `handle` for every item at once",
        ],
    );
    // Threads are what a thread lock excludes: no evidence for SWC204, so it is demoted.
    let found = strict("SWC201/spawned_per_item");
    assert_eq!(severity_of(&found, "jobs.py", 15, "SWC201"), "high");
    assert_eq!(severity_of(&found, "jobs.py", 29, "SWC204"), "low");
}

#[test]
fn a_handler_of_another_module_reaches_the_helper_through_its_module() {
    let chain = related(
        "SWC201/handler_reaches_through_module",
        "tools.py",
        10,
        "SWC201",
    );
    assert_mentions(
        &chain,
        &[
            "`handle_call_tool` (`@server.call_tool`) handles bot or server events",
            "`run_tool` leads to `write_file` through calls in its module",
        ],
    );
}

#[test]
fn another_module_writing_the_file_is_concurrency_evidence() {
    let chain = related("SWC201/shared_file", "service.py", 12, "SWC201");
    assert_mentions(
        &chain,
        &["`registry.json` is also written by `registry.paths`"],
    );
    let found = strict("SWC201/shared_file");
    assert_eq!(severity_of(&found, "service.py", 12, "SWC201"), "high");
    // The notes file: nothing else writes it and nothing runs its update twice at once.
    assert!(absent(&found, "notes.py", 12, "SWC201"), "{found:#?}");
}

#[test]
fn a_file_under_the_home_directory_is_shared_by_every_process() {
    let chain = related("SWC201/home_directory", "settings.py", 11, "SWC201");
    assert_mentions(
        &chain,
        &["is under the user's home directory (`Path.home()`)"],
    );
    let found = strict("SWC201/home_directory");
    assert_eq!(severity_of(&found, "settings.py", 11, "SWC201"), "high");
    assert!(absent(&found, "settings.py", 18, "SWC201"), "{found:#?}");
    // Through a method that returns a path it builds under the home directory.
    let helper = related("SWC201/home_directory", "settings.py", 35, "SWC201");
    assert_mentions(
        &helper,
        &["is under the user's home directory (`Path.home()`)"],
    );
    assert_eq!(severity_of(&found, "settings.py", 35, "SWC201"), "high");
    assert_eq!(severity_of(&found, "settings.py", 40, "SWC201"), "low");
}

#[test]
fn a_program_started_once_per_agent_runs_concurrently() {
    let found = strict("demo-swarm");
    assert_eq!(severity_of(&found, "orchestrator.py", 20, "SWC201"), "high");
    assert_eq!(severity_of(&found, "task_queue.py", 35, "SWC203"), "high");
    let registry = related("demo-swarm", "orchestrator.py", 20, "SWC201");
    assert_mentions(
        &registry,
        &[
            "`swarm.orchestrator` starts `swarm.agent` as a new process once per item of a loop",
            "`swarm.orchestrator` is part of that program: `swarm.agent` imports it",
        ],
    );
}

#[test]
fn without_the_option_no_finding_is_demoted() {
    // The default keeps each rule's severity: a store object's file is reported at it with no
    // evidence of concurrent runs, and the option demotes it.
    let store_rmw: Vec<Found> = checked("SWC201/store_objects.py", false)
        .into_iter()
        .filter(|f| f.2 == "SWC201")
        .collect();
    assert_eq!(store_rmw.len(), 2, "{store_rmw:#?}");
    assert!(store_rmw.iter().all(|f| f.3 == "high"), "{store_rmw:#?}");
    let found = strict("SWC201/store_objects.py");
    assert_eq!(severity_of(&found, "store_objects.py", 22, "SWC201"), "low");
    assert_eq!(severity_of(&found, "store_objects.py", 28, "SWC201"), "low");
    let chain = related("SWC201/store_objects.py", "store_objects.py", 22, "SWC201");
    assert_mentions(
        &chain,
        &["`self.path` is drawn from the state of the object this method runs on"],
    );
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
fn a_workers_repeated_write_shows_the_loop() {
    let why = related("SWC202/one_shot_scripts", "worker.py", 16, "SWC202");
    assert_mentions(&why, &["`STATUS` is written again on every pass here"]);
}

#[test]
fn a_handler_of_another_module_calling_the_helper_is_concurrency_evidence() {
    let chain = related("SWC201/handler_calls", "store.py", 10, "SWC201");
    assert_mentions(
        &chain,
        &["called here by a handler: `create_note` (`@app.post`) handles requests"],
    );
    let found = strict("SWC201/handler_calls");
    assert_eq!(severity_of(&found, "store.py", 10, "SWC201"), "high");
    assert!(absent(&found, "store.py", 19, "SWC201"), "{found:#?}");
    assert_eq!(severity_of(&found, "store.py", 27, "SWC201"), "high");
    assert_eq!(severity_of(&found, "store.py", 35, "SWC201"), "high");
}

#[test]
fn a_process_a_handler_starts_carries_the_handlers_evidence() {
    let chain = related("SWC201/handler_calls", "store.py", 27, "SWC201");
    assert_mentions(
        &chain,
        &[
            "called here by `archive_job`, which runs concurrently",
            "`archive_note` starts `archive_job` here (`Process`)",
            "`archive_note` (`@app.post`) handles requests",
        ],
    );
}

#[test]
fn a_route_defined_inside_a_function_is_a_handler() {
    let chain = related("SWC201/handler_calls", "store.py", 35, "SWC201");
    assert_mentions(&chain, &["`rename_note` (`@notes.route`) handles requests"]);
}

#[test]
fn a_home_directory_constant_of_another_module_is_concurrency_evidence() {
    let chain = related("SWC201/home_constant", "servers.py", 14, "SWC201");
    assert_mentions(
        &chain,
        &["`tool.constants.DATA_DIR` is under the user's home directory"],
    );
    assert_eq!(
        severity_of(&strict("SWC201/home_constant"), "servers.py", 14, "SWC201"),
        "high"
    );
}

#[test]
fn an_await_between_the_read_and_the_write_is_concurrency_evidence() {
    let found = strict("SWC201/await_gap.py");
    assert_eq!(severity_of(&found, "await_gap.py", 22, "SWC201"), "high");
    assert!(absent(&found, "await_gap.py", 28, "SWC201"), "{found:#?}");
    // Awaits only on paths that return or raise before the write: no gap.
    assert!(absent(&found, "await_gap.py", 43, "SWC201"), "{found:#?}");
    let chain = related("SWC201/await_gap.py", "await_gap.py", 22, "SWC201");
    assert_mentions(
        &chain,
        &["`add_welcome` awaits here, between its read and its write of `STATE`"],
    );
}

#[test]
fn a_helper_of_another_module_writes_state_for_its_caller() {
    let chain = related(
        "SWC202/helper_in_another_module",
        "kvstore/utils.py",
        14,
        "SWC202",
    );
    assert_mentions(
        &chain,
        &["`kvstore.storage.kv` calls `write_json` here to write a file it also reads"],
    );
}

#[test]
fn a_mixins_growth_names_the_class_that_makes_the_container() {
    let chain = related("SWC105/mixin_growth", "cog/api.py", 7, "SWC105");
    assert_mentions(
        &chain,
        &[
            "keys are `id` values",
            "registered with a running framework by `bot.add_cog(...)`",
            "`Chat`, a subclass of `ConversationMixin`, makes `self.conversations` a dict here",
        ],
    );
}
