//! Execution context: code that runs under a test runner rather than in the long-running program.
//! A test double is not a service, and a container in `conftest.py` lives for one test session.

use std::path::Path;

/// Whether the file is test code by pytest's and unittest's conventions: under a `tests`/`test`
/// directory or one of a suite's (`integration_tests`, `tests_e2e`, paasta's `general_itests`
/// of integration tests), an end-to-end suite's
/// `e2e`/`cypress` directory, a directory of test fixtures (`test_fixtures`,
/// `extension_test_fixtures`), or a package of test support (`testing`, `_testing`, as in
/// `numpy.testing`: doubles and scripted fakes for tests), a suite under a `t` directory
/// (`t/unit`, `t/integration`, and any other under a top-level `t`), a nox session file that
/// runs the suites (`noxfile.py`, hikari's `pipelines/pytest.nox.py`), or named `test_*.py`,
/// `*_test.py`, `tests.py` or `conftest.py`.
pub fn is_test_path(path: &Path) -> bool {
    let dirs: Vec<&str> = directories(path).collect();
    let in_test_dir = dirs.iter().any(|&c| {
        matches!(
            c,
            "tests" | "test" | "itests" | "e2e" | "cypress" | "testing" | "_testing"
        ) || c.ends_with("_tests")
            || c.ends_with("_itests")
            || c.starts_with("tests_")
            || c.ends_with("test_fixtures")
    });
    // Celery's and kombu's layout: a top-level `t` directory holding the suites (`t/unit`,
    // `t/integration`), or such a suite deeper down.
    let in_t_suite = dirs.first() == Some(&"t")
        || dirs.windows(2).any(|w| {
            w[0] == "t"
                && matches!(
                    w[1],
                    "unit" | "integration" | "functional" | "smoke" | "stress" | "benchmarks"
                )
        });
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".pyi")
        .or_else(|| name.strip_suffix(".py"))
        .unwrap_or(&name);
    in_test_dir
        || in_t_suite
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem == "tests"
        || stem == "conftest"
        || stem == "noxfile"
        || stem.ends_with(".nox")
}

/// Whether the file is example, documentation or measurement code: under an `examples`/`example`
/// (or a `*_examples` directory, Telethon's `telethon_examples`),
/// `cookbook`/`cookbooks`, `demo`/`demos`, `docs`/`doc`/`docs_src` or `benchmark`/`benchmarks`/
/// `bench`/`benches` directory, or named `example.py`, `example_*.py` or `*_example.py`. Such a program is run to show an API, briefly, and its in-memory
/// tables stand in for the database a real deployment would use; a benchmark keeps every sample
/// it takes to report them: keeping everything is what it means to do, so the memory-growth rules
/// do not report there. Its JSON files are still checked: an example that races on a file
/// teaches the race.
pub fn is_example_path(path: &Path) -> bool {
    // A script named as one (`example.py`, `example_bot.py`, `slack_example.py`) beside the
    // package it shows: SeeAct's `seeact_package/example.py`.
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if stem == "example" || stem.starts_with("example_") || stem.ends_with("_example") {
        return true;
    }
    directories(path).any(|c| {
        matches!(
            c,
            "examples"
                | "example"
                | "cookbook"
                | "cookbooks"
                | "demo"
                | "demos"
                | "docs"
                | "doc"
                | "docs_src"
                | "benchmark"
                | "benchmarks"
                | "bench"
                | "benches"
        ) || c.ends_with("_examples")
    })
}

/// The names of the directories a file is in.
fn directories(path: &Path) -> impl Iterator<Item = &str> {
    path.parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| c.as_os_str().to_str())
}

/// Parameters through which pytest hands a test a directory of its own.
pub const PRIVATE_DIR_FIXTURES: &[&str] =
    &["tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"];

/// Calls that create a file or directory no other process knows the name of.
pub const PRIVATE_DIR_CALLS: &[&str] = &[
    "tempfile.mkdtemp",
    "tempfile.TemporaryDirectory",
    "tempfile.mkstemp",
    "tempfile.NamedTemporaryFile",
    "tempfile.TemporaryFile",
    "tempfile.SpooledTemporaryFile",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        for p in [
            "a/tests/x.py",
            "test_a.py",
            "pkg/a_test.py",
            "conftest.py",
            "a/test/b/c.py",
            "cypress/e2e/data_layer/main.py",
            "integration_tests/_contract_support.py",
            "src/agents/testing/model.py",
            "pkg/tests_e2e/run.py",
            "backend/extension_test_fixtures/demo_extensions.py",
            "general_itests/steps/http_drain_method_steps.py",
            "t/integration/app.py",
            "t/unit/app/test_base.py",
            "t/old/app.py",
            "noxfile.py",
            "pipelines/pytest.nox.py",
            "pkg/t/unit/x.py",
        ] {
            assert!(is_test_path(Path::new(p)), "{p}");
        }
        for p in [
            "a/testing_tools.py",
            "contest.py",
            "a/latest/x.py",
            "attest.py",
            "a/contests/x.py",
            "a/testing_tools/x.py",
            "a/latest_results/x.py",
            "a/contest_entries/x.py",
            "a/splitests/x.py",
            // A directory named like a test run (pytest's `test_hooks_gate0/`) is not a suite;
            // and the path is judged below the checked root, so what lies above it never counts.
            "tmp/test_hooks_gate0/work/jobs/runner.py",
            "src/t/x.py",
            "pkg/nox.py",
            "pkg/noxfiles/x.py",
        ] {
            assert!(!is_test_path(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn example_paths() {
        for p in [
            "examples/bot.py",
            "cookbook/05_agent_os/slack/app.py",
            "pkg/docs_src/tutorial001.py",
            "a/demo/server.py",
            "src/app/rule_manager/benchmark/bench_times.py",
            "telethon_examples/interactive_telegram_client.py",
            "seeact_package/example.py",
            "pkg/contrib/example_server.py",
            "bots/slack_example.py",
        ] {
            assert!(is_example_path(Path::new(p)), "{p}");
        }
        // A module named like a directory of examples (`examples.py`, a package's example
        // data), or a directory that only starts with the word (the bundled `demo-swarm`), is
        // the program itself.
        for p in [
            "examples.py",
            "pkg/docs.py",
            "demo-swarm/worker.py",
            "src/exampleapp/x.py",
            "config-examples/x.py",
        ] {
            assert!(!is_example_path(Path::new(p)), "{p}");
        }
    }
}
