//! Helpers for tests that drive the built binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Project {
    pub dir: tempfile::TempDir,
    /// The user's cache home (where the results cache's key lives), outside the project.
    pub user_cache: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().unwrap(),
            user_cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Runs `swarmcheck ARGS` in the project directory.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_user_cache(args, self.user_cache.path())
    }

    /// Runs `swarmcheck ARGS` as a user whose cache home is `user_cache` (another machine).
    pub fn run_with_user_cache(&self, args: &[&str], user_cache: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
            .args(args)
            .current_dir(self.dir.path())
            .env("XDG_CACHE_HOME", user_cache)
            .env_remove("SWARMCHECK_METRICS")
            .env("NO_COLOR", "1")
            // Naive timestamps are local time; pin the zone so answers do not depend on the host.
            .env("TZ", "UTC")
            .output()
            .unwrap()
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally, not by a signal")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// The codes of a JSON report's findings, in report order.
pub fn finding_codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A file with one SWC301 finding (low) on line 2.
pub const LEAKY: &str = "def load(p):\n    f = open(p)\n    return f.read()\n";
/// A file with one SWC000 finding (high).
pub const BROKEN: &str = "def f(:\n    pass\n";

/// Asserts that `report` is valid against `schemas/slo-v1.schema.json`.
pub fn validate_slo_schema(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/slo-v1.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

/// A function that reads a JSON file, changes it and writes it back in place with no lock
/// (SWC201, SWC202). A macro, so that tests can `concat!` more source after it.
#[macro_export]
macro_rules! bump_without_lock {
    () => {
        "\
import json, threading

def bump(path):
    with open(path) as f:
        data = json.load(f)
    data['n'] += 1
    with open(path, 'w') as f:
        json.dump(data, f)
"
    };
}

/// `bump_without_lock!()` started in a new thread again and again, as a long-running worker
/// does: concurrent runs of the read-modify-write.
pub const UNLOCKED_RMW_LOOP: &str = concat!(
    crate::bump_without_lock!(),
    "
while True:
    threading.Thread(target=bump, args=('state/counter.json',)).start()
"
);

/// The PostgreSQL test server's address (no document; started by `scripts/test`), or `None`
/// after saying loudly that the calling test is skipped. With `SWARMCHECK_REQUIRE_PG=1` (CI) a
/// missing server fails the test instead.
pub fn pg_server() -> Option<String> {
    match std::env::var("SWARMCHECK_TEST_PG") {
        Ok(address) if !address.is_empty() => Some(address),
        _ => {
            let msg = "SWARMCHECK_TEST_PG is not set (scripts/test starts a PostgreSQL server and sets it): this PostgreSQL test was NOT run";
            if std::env::var("SWARMCHECK_REQUIRE_PG").as_deref() == Ok("1") {
                panic!("{msg}, and SWARMCHECK_REQUIRE_PG=1 requires it");
            }
            eprintln!("\n*** SKIPPED: {msg} ***\n");
            None
        }
    }
}

/// A document of its own on the test server for each caller (tests run in parallel, and
/// several test processes share the server).
pub fn pg_document(server: &str, name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("{server}?document={name}-{}-{n}", std::process::id())
}
