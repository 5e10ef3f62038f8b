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
    let mut corrupted = 0;
    for entry in std::fs::read_dir(p.path().join("elsewhere")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            std::fs::write(&path, "not a cache").unwrap();
            corrupted += 1;
        }
    }
    assert_eq!(corrupted, 2, "the summaries and the run record");
    assert_eq!(
        findings(&p.run(&with(&["--cache-dir", "elsewhere"]))).len(),
        1
    );
}

const REGISTRY: &str = "import json\nimport threading\n\nfrom pkg.utils import locked\n\nPATH = \"state/registry.json\"\n\n\ndef register(name):\n    with locked(PATH):\n        with open(PATH) as f:\n            agents = json.load(f)\n        agents[name] = \"up\"\n        with open(PATH, \"w\") as f:\n            json.dump(agents, f)\n\n\ndef start(names):\n    for name in names:\n        threading.Thread(target=register, args=(name,)).start()\n";

const UTILS_NO_LOCK: &str =
    "import contextlib\n\n\n@contextlib.contextmanager\ndef locked(path):\n    yield\n";

const UTILS_LOCK: &str = "import contextlib\n\nfrom filelock import FileLock\n\n\n@contextlib.contextmanager\ndef locked(path):\n    with FileLock(path + \".lock\"):\n        yield\n";

/// Editing a helper in one module changes the findings of the module that calls it, with the
/// cache on, exactly as a cold scan says.
#[test]
fn editing_a_helper_module_changes_its_callers_findings_with_the_cache_on() {
    let p = Project::new();
    p.write("pkg/__init__.py", "");
    p.write("pkg/registry.py", REGISTRY);
    p.write("pkg/utils.py", UTILS_NO_LOCK);
    let rmw = ("pkg/registry.py".to_string(), 15, "SWC201".to_string());
    let before = findings(&p.run(ARGS));
    assert!(before.contains(&rmw), "{before:?}");
    assert_eq!(before, findings(&p.run(&with(&["--no-cache"]))));
    // The helper now takes a cross-process lock: the caller's read-modify-write is protected.
    p.write("pkg/utils.py", UTILS_LOCK);
    let after = findings(&p.run(ARGS));
    assert!(!after.contains(&rmw), "{after:?}");
    assert_eq!(after, findings(&p.run(&with(&["--no-cache"]))));
    // And back.
    p.write("pkg/utils.py", UTILS_NO_LOCK);
    assert!(findings(&p.run(ARGS)).contains(&rmw));
}

/// A class's lifetime is decided by another module: keeping an instance in a global there makes
/// its container a finding; removing that global clears it, with the cache on.
#[test]
fn lifetime_from_another_module_follows_edits_with_the_cache_on() {
    let p = Project::new();
    p.write("app/__init__.py", "");
    p.write(
        "app/runner.py",
        "class Runner:\n    def __init__(self):\n        self.done = []\n\n    def finish(self, job):\n        self.done.append(job)\n",
    );
    // `finish` is called per job in both versions: only the lifetime changes.
    const USES: &str =
        "from app.runner import Runner\n\n\ndef on_job(runner, job):\n    runner.finish(job)\n";
    p.write("app/main.py", USES);
    let leak = ("app/runner.py".to_string(), 3, "SWC102".to_string());
    assert!(!findings(&p.run(ARGS)).contains(&leak));
    p.write("app/main.py", format!("{USES}\nRUNNER = Runner()\n"));
    let out = p.run(ARGS);
    assert!(findings(&out).contains(&leak));
    let doc = json(&out);
    let related = doc["findings"][0]["related"].to_string();
    assert!(
        related.contains("app/main.py") && related.contains("RUNNER"),
        "{related}"
    );
    assert_eq!(findings(&out), findings(&p.run(&with(&["--no-cache"]))));
    p.write("app/main.py", USES);
    assert!(!findings(&p.run(ARGS)).contains(&leak));
}

#[test]
fn import_time_registration_follows_edits_of_other_modules_with_the_cache_on() {
    let p = Project::new();
    p.write("app/__init__.py", "");
    p.write(
        "app/registry.py",
        "class Registry:\n    def __init__(self):\n        self.listeners = []\n\n    def add_listener(self, f):\n        self.listeners.append(f)\n\n\nREGISTRY = Registry()\n",
    );
    p.write(
        "app/hooks.py",
        "from app.registry import REGISTRY\n\nREGISTRY.add_listener(print)\n",
    );
    let leak = ("app/registry.py".to_string(), 3, "SWC102".to_string());
    // Only module-level code adds listeners: once each, at import.
    assert!(!findings(&p.run(ARGS)).contains(&leak));
    // A function of another module now adds one per call.
    p.write(
        "app/hooks.py",
        "from app.registry import REGISTRY\n\nREGISTRY.add_listener(print)\n\n\ndef on_request(f):\n    REGISTRY.add_listener(f)\n",
    );
    let out = p.run(ARGS);
    assert!(findings(&out).contains(&leak));
    assert_eq!(findings(&out), findings(&p.run(&with(&["--no-cache"]))));
    p.write(
        "app/hooks.py",
        "from app.registry import REGISTRY\n\nREGISTRY.add_listener(print)\n",
    );
    assert!(!findings(&p.run(ARGS)).contains(&leak));
}

#[test]
fn a_command_declared_in_pyproject_is_seen_with_the_cache_on() {
    let p = Project::new();
    p.write("svc/__init__.py", "");
    p.write(
        "svc/services.py",
        "processes = []\n\n\ndef start(names):\n    for name in names:\n        processes.append(name)\n",
    );
    p.write(
        "svc/cli.py",
        "from svc.services import start\n\n\ndef main():\n    start(['a', 'b'])\n",
    );
    let leak = ("svc/services.py".to_string(), 1, "SWC102".to_string());
    // Nothing says when `main` runs.
    assert!(findings(&p.run(ARGS)).contains(&leak));
    // Installed as a command, it runs once per run, and `start` only from it.
    p.write(
        "pyproject.toml",
        "[project]\nname = \"svc\"\n\n[project.scripts]\nsvc = \"svc.cli:main\"\n",
    );
    let out = p.run(ARGS);
    assert!(!findings(&out).contains(&leak));
    assert_eq!(findings(&out), findings(&p.run(&with(&["--no-cache"]))));
    // Checking the package alone still finds the project's packaging one level up.
    let below = p.run(&["check", "svc", "--output-format", "json", "--exit-zero"]);
    assert!(findings(&below).iter().all(|(_, _, code)| code != "SWC102"));
    // The command removed again: the packaging file is an input of the cached run.
    p.write("pyproject.toml", "[project]\nname = \"svc\"\n");
    assert!(findings(&p.run(ARGS)).contains(&leak));
}

/// The attack the cache's seal stops: a pull request commits a `.swarmcheck_cache` made on the
/// attacker's machine for a clean file, then swaps in a file of the same size with a finding and
/// the same modification time. On any other machine the cache does not verify and is ignored.
#[test]
fn a_cache_written_on_another_machine_never_hides_a_finding() {
    let p = Project::new();
    let clean = "f = iter('x')\n";
    let leaky = "f = open('x')\n";
    assert_eq!(clean.len(), leaky.len());
    let file = p.write("a.py", clean);
    let attacker = tempfile::tempdir().unwrap();
    let planted = p.run_with_user_cache(ARGS, attacker.path());
    assert!(findings(&planted).is_empty());
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    p.write("a.py", leaky);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // Old enough that the content is not compared anyway ("racy" files are).
    std::thread::sleep(std::time::Duration::from_millis(3100));
    // The attacker's own cache does hide it on the attacker's machine: the stamps match.
    assert!(findings(&p.run_with_user_cache(ARGS, attacker.path())).is_empty());
    // Anywhere else, the finding is reported.
    let out = p.run(&["check", ".", "--fail-on", "low"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("SWC301"));
}

/// An edited cache file is refused even on the machine that wrote it.
#[test]
fn an_edited_cache_is_ignored() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    assert_eq!(findings(&p.run(ARGS)).len(), 1);
    for entry in std::fs::read_dir(p.path().join(".swarmcheck_cache")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let mut bytes = std::fs::read(&path).unwrap();
            // Drop the recorded finding's last byte and flip another: the seal no longer fits.
            let n = bytes.len();
            bytes[n / 2] ^= 0x20;
            std::fs::write(&path, &bytes).unwrap();
        }
    }
    assert_eq!(findings(&p.run(ARGS)).len(), 1);
}

/// Files planted in the cache directory are replaced or left alone, never written through.
#[cfg(unix)]
#[test]
fn cache_writes_do_not_follow_planted_symlinks() {
    let p = Project::new();
    p.write("a.py", LEAKY);
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim");
    std::fs::create_dir_all(p.path().join(".swarmcheck_cache")).unwrap();
    // A dangling link at `.gitignore` would create the victim file if followed.
    std::os::unix::fs::symlink(&victim, p.path().join(".swarmcheck_cache/.gitignore")).unwrap();
    assert_eq!(findings(&p.run(ARGS)).len(), 1);
    assert!(!victim.exists());
    // A cache directory that is itself a symlink is not used at all.
    let q = Project::new();
    q.write("a.py", LEAKY);
    std::os::unix::fs::symlink(victim_dir.path(), q.path().join(".swarmcheck_cache")).unwrap();
    assert_eq!(findings(&q.run(ARGS)).len(), 1);
    assert_eq!(std::fs::read_dir(victim_dir.path()).unwrap().count(), 0);
}

/// A run whose files are all unchanged replays the recorded result; touching a file (same
/// content) keeps it; changing a file that another module depends on does not.
#[test]
fn unchanged_runs_replay_and_edits_do_not() {
    let p = Project::new();
    p.write("pkg/__init__.py", "");
    p.write("pkg/registry.py", REGISTRY);
    let utils = p.write("pkg/utils.py", UTILS_NO_LOCK);
    let cold = stdout(&p.run(&["check", ".", "--no-cache", "--exit-zero"]));
    let first = stdout(&p.run(&["check", ".", "--exit-zero"]));
    assert_eq!(first, cold);
    assert_eq!(stdout(&p.run(&["check", ".", "--exit-zero"])), cold);
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&utils)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(stdout(&p.run(&["check", ".", "--exit-zero"])), cold);
    p.write("pkg/utils.py", UTILS_LOCK);
    let edited = stdout(&p.run(&["check", ".", "--exit-zero"]));
    assert_eq!(
        edited,
        stdout(&p.run(&["check", ".", "--no-cache", "--exit-zero"]))
    );
    assert_ne!(edited, cold);
    // A new file is a different run.
    p.write("pkg/extra.py", "g = open('y')\n");
    assert!(stdout(&p.run(&["check", ".", "--exit-zero"])).contains("pkg/extra.py"));
}

/// Test code is judged below the directory the check covers: a project checked on its own is not
/// test code because it sits in a `tests/` directory, and a cached summary made from a wider root
/// (where it was test code) is not reused for it.
#[test]
fn test_code_is_judged_below_the_checked_root() {
    let p = Project::new();
    p.write(
        "tests/app/svc.py",
        "SEEN = []\n\n\ndef on_message(msg):\n    SEEN.append(msg)\n\n\nHANDLERS = [on_message]\n",
    );
    let args = |root: &'static str, cache: bool| {
        let mut a = vec!["check", root, "--output-format", "json", "--exit-zero"];
        if !cache {
            a.push("--no-cache");
        }
        a
    };
    let swc102 = |out: &std::process::Output| {
        findings(out)
            .into_iter()
            .filter(|(_, _, code)| code == "SWC102")
            .count()
    };
    // From the repository root, `tests/` is the project's test suite.
    assert_eq!(swc102(&p.run(&args(".", true))), 0);
    // Checked on its own, the application under it is not.
    assert_eq!(swc102(&p.run(&args("tests/app", true))), 1);
    assert_eq!(swc102(&p.run(&args("tests/app", false))), 1);
    assert_eq!(swc102(&p.run(&args(".", true))), 0);
}
