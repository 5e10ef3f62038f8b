//! Every reader fed FIFOs, devices, huge lines and tiny allocation bombs, and every command
//! writing to a closed pipe or a full disk: each finishes in time, within a memory cap, with a
//! clear message and exit status 2 (or quietly, for a closed pipe), never a hang or a panic.
#![cfg(target_os = "linux")]

mod common;

use common::Project;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Memory a run may use (data segment, which covers the heap and anonymous mappings).
const MEMORY_CAP: u64 = 1 << 30;
const TIME_CAP: Duration = Duration::from_secs(20);

fn command(p: &Project, args: &[&str]) -> Command {
    command_capped(p, args, MEMORY_CAP)
}

fn command_capped(p: &Project, args: &[&str], memory: u64) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmcheck"));
    cmd.args(args)
        .current_dir(p.path())
        .env_remove("SWARMCHECK_METRICS")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC");
    // SAFETY: setrlimit is async-signal-safe; it only limits the child being started.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: memory,
                rlim_max: memory,
            };
            libc::setrlimit(libc::RLIMIT_DATA, &limit);
            Ok(())
        });
    }
    cmd
}

/// Runs with the time cap (killed and failed past it).
fn run_capped(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        let mut e = Vec::new();
        let _ = out.read_to_end(&mut o);
        let _ = err.read_to_end(&mut e);
        (o, e)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_CAP {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {TIME_CAP:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = reader.join().unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}

fn fails_clearly(p: &Project, args: &[&str], says: &str) {
    let out = run_capped(command(p, args));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?} should say `{says}`: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

fn mkfifo(p: &Project, name: &str) {
    let path = std::ffi::CString::new(p.path().join(name).to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads the NUL-terminated path we own.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
}

#[test]
fn fifos_are_refused_without_hanging() {
    let p = Project::new();
    mkfifo(&p, "fifo");
    fails_clearly(&p, &["store", "get", "fifo"], "a FIFO");
    fails_clearly(&p, &["store", "update", "fifo", "--incr", "/n"], "a FIFO");
    fails_clearly(
        &p,
        &[
            "store",
            "update",
            "d.json",
            "--incr",
            "/n",
            "--metrics",
            "fifo",
        ],
        "a FIFO",
    );
    mkfifo(&p, "l.json.lock");
    fails_clearly(
        &p,
        &[
            "store",
            "update",
            "l.json",
            "--incr",
            "/n",
            "--timeout",
            "1",
        ],
        "the lock file is a FIFO",
    );
    fails_clearly(&p, &["lock.report", "--metrics", "fifo"], "a FIFO");
    fails_clearly(&p, &["lock.optimize", "--metrics", "fifo"], "a FIFO");
    fails_clearly(&p, &["obs.metrics", "--metrics", "fifo"], "a FIFO");
    fails_clearly(&p, &["swarm.pulse", "--agents", "fifo"], "a FIFO");
    p.write("status/a/status.json", r#"{"status": "ACTIVE"}"#);
    mkfifo(&p, "status/b.status.json");
    fails_clearly(
        &p,
        &["slo", ".", "--metrics", "fifo", "--agents", "status"],
        "a FIFO",
    );
}

#[test]
fn devices_are_refused_not_read() {
    let p = Project::new();
    std::os::unix::fs::symlink("/dev/zero", p.path().join("z.json")).unwrap();
    fails_clearly(&p, &["store", "get", "z.json"], "character device");
    fails_clearly(
        &p,
        &[
            "store",
            "update",
            "z.json",
            "--incr",
            "/n",
            "--on-corrupt",
            "default",
        ],
        "character device",
    );
    fails_clearly(
        &p,
        &["lock.report", "--metrics", "/dev/zero"],
        "character device",
    );
    fails_clearly(
        &p,
        &["obs.metrics", "--metrics", "/dev/zero"],
        "character device",
    );
    fails_clearly(
        &p,
        &["swarm.pulse", "--agents", "/dev/zero"],
        "character device",
    );
}

#[test]
fn counts_in_the_input_allocate_nothing() {
    let p = Project::new();
    p.write(
        "legacy.json",
        r#"{"summary":{"retry_failure_count":1e15,"max_retries_needed":3}}"#,
    );
    let out = run_capped(command(&p, &["lock.report", "--metrics", "legacy.json"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("retry_failure_count is 1000000000000000"),
        "{text}"
    );
}

#[test]
fn a_line_without_end_is_skipped_in_bounded_memory() {
    let p = Project::new();
    // A 300 MB line, read with at most 192 MB of memory.
    let mut log = vec![b'x'; 300 << 20];
    log.extend_from_slice(
        b"\n{\"v\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"op\":\"update\",\"path\":\"a\",\"outcome\":\"ok\"}\n",
    );
    p.write("m.jsonl", &log);
    drop(log);
    let out = run_capped(command_capped(
        &p,
        &[
            "obs.metrics",
            "--metrics",
            "m.jsonl",
            "--output-format",
            "json",
        ],
        192 << 20,
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(metrics["lock_operations"], 1, "{metrics}");
}

fn full_stdout(p: &Project, args: &[&str]) -> Output {
    let mut cmd = command(p, args);
    cmd.stdout(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
    .stderr(Stdio::piped())
    .stdin(Stdio::null());
    cmd.output().unwrap()
}

#[test]
fn a_full_stdout_is_an_error_not_a_panic() {
    let p = Project::new();
    p.write("m.jsonl", "{\"v\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"op\":\"update\",\"path\":\"a\",\"attempts\":1,\"wait_ms\":1.0,\"hold_ms\":1.0,\"outcome\":\"ok\"}\n");
    p.write("a/status.json", r#"{"status": "ACTIVE"}"#);
    p.write("d.json", r#"{"n": 1}"#);
    for args in [
        &["rule", "SWC301"][..],
        &["rules"],
        &["store", "get", "d.json"],
        &["swarm.pulse", "--agents", "a"],
        &["health.ping", ".", "--agents", "a"],
        &["obs.metrics", "--metrics", "m.jsonl"],
        &["lock.report", "--metrics", "m.jsonl"],
        &["lock.optimize", "--metrics", "m.jsonl"],
        &["slo", ".", "--metrics", "m.jsonl", "--agents", "a"],
    ] {
        let out = full_stdout(&p, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to standard output"),
            "{args:?}: {err}"
        );
    }
    // The increment was made: the message says so, so that nobody retries it.
    let out = full_stdout(&p, &["store", "update", "d.json", "--incr", "/n"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is now 2") && err.contains("committed"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(p.path().join("d.json")).unwrap(),
        r#"{"n": 2}"#
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let p = Project::new();
    let big = format!("{{\"items\": [{}0]}}", "1234567890, ".repeat(200_000));
    p.write("d.json", &big);
    let mut cmd = command(&p, &["store", "get", "d.json"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut head = [0u8; 10];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn control_characters_from_files_are_escaped_in_text_output() {
    let p = Project::new();
    p.write(
        "agents/a/status.json",
        r#"{"agent_id": "evil\u001b]0;pwned\u0007", "status": "ACTIVE", "current_task": "x\u001b[2J"}"#,
    );
    let out = run_capped(command(&p, &["swarm.pulse", "--agents", "agents"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("evil\\u{1b}]0;pwned\\u{7}"), "{text}");
    p.write(
        "m.jsonl",
        "{\"v\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"op\":\"update\",\"path\":\"q\\u001b[31m.json\",\"attempts\":1,\"wait_ms\":1.0,\"hold_ms\":1.0,\"outcome\":\"ok\"}\nnot json \u{1b}[2J\n",
    );
    let out = run_capped(command(
        &p,
        &[
            "lock.report",
            "--metrics",
            "m.jsonl",
            "--now",
            "2026-01-01T00:01:00Z",
        ],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("q\\u{1b}[31m.json"), "{text}");
}

#[test]
fn impossible_dates_and_negative_waits_are_flagged() {
    let p = Project::new();
    p.write(
        "m.jsonl",
        "{\"v\":1,\"ts\":\"2026-02-31T00:00:00Z\",\"op\":\"update\",\"path\":\"a\",\"attempts\":1,\"wait_ms\":1.0,\"hold_ms\":1.0,\"outcome\":\"ok\"}\n",
    );
    let out = run_capped(command(
        &p,
        &[
            "obs.metrics",
            "--metrics",
            "m.jsonl",
            "--output-format",
            "json",
        ],
    ));
    let metrics: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(metrics["lock_operations"], 0, "{metrics}");
    assert_eq!(metrics["malformed_entries"], 1, "{metrics}");
    p.write(
        "legacy.json",
        r#"{"retry_success": [{"timestamp": "2026-01-01T00:00:00", "attempts": 2, "total_delay": -5}], "summary": {}}"#,
    );
    let out = run_capped(command(
        &p,
        &[
            "lock.report",
            "--metrics",
            "legacy.json",
            "--now",
            "2026-01-01T00:01:00Z",
        ],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("-5000"), "{text}");
    assert!(text.contains("negative or invalid total_delay"), "{text}");
}

/// `check` never blocks on a FIFO nor reads a device named like a Python file: a device behind a
/// symlink, or a FIFO named on the command line, is a whole-file finding (the walk itself lists
/// only regular files), and the other files are still checked.
#[test]
fn check_refuses_fifos_and_devices_named_like_python_files() {
    let p = Project::new();
    p.write("ok.py", "def f(p):\n    return open(p).read()\n");
    mkfifo(&p, "pipe.py");
    std::os::unix::fs::symlink("/dev/zero", p.path().join("zero.py")).unwrap();
    let out = run_capped(command_capped(
        &p,
        &[
            "check",
            ".",
            "--no-cache",
            "--output-format",
            "json",
            "--exit-zero",
        ],
        MEMORY_CAP,
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.iter().any(|f| f["path"] == "pipe.py"));
    let named = run_capped(command_capped(
        &p,
        &[
            "check",
            "pipe.py",
            "--no-cache",
            "--output-format",
            "json",
            "--exit-zero",
        ],
        MEMORY_CAP,
    ));
    let named: serde_json::Value = serde_json::from_slice(&named.stdout).unwrap();
    let all: Vec<serde_json::Value> = findings
        .iter()
        .chain(named["findings"].as_array().unwrap())
        .cloned()
        .collect();
    let findings = &all;
    for name in ["pipe.py", "zero.py"] {
        let f = findings
            .iter()
            .find(|f| f["path"] == name)
            .unwrap_or_else(|| panic!("no finding for {name}: {findings:?}"));
        assert_eq!(f["code"], "SWC000");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"));
    }
    assert!(findings
        .iter()
        .any(|f| f["path"] == "ok.py" && f["code"] == "SWC301"));
}

#[test]
fn metrics_read_from_memory_match_the_same_file_read_from_disk() {
    // `load_bytes` is the fuzz target's way in: it must take the same paths as a file.
    use swarmcheck::obs::load::{load_all, load_bytes, Dataset};
    let p = Project::new();
    let events = concat!(
        r#"{"v":1,"ts":"2026-01-01T00:00:00Z","op":"update","path":"a.json","pid":7,"attempts":2,"wait_ms":1.5,"hold_ms":0.25,"io_ms":0.1,"bytes":10,"durability":"full","outcome":"ok"}"#,
        "\nnot json\n"
    );
    let legacy = r#"{"summary":{"retry_failure_count":1e15},"errors":[{"timestamp":"2026-02-31T00:00:00","error_type":"PermissionError","attempt":1,"delay":-5}]}"#;
    for (name, text) in [("events.jsonl", events), ("legacy.json", legacy)] {
        let path = p.write(name, text);
        let from_disk = load_all(&[path.to_string_lossy().into_owned()]).unwrap();
        let mut from_memory = Dataset::default();
        load_bytes(&path, text.as_bytes(), &mut from_memory);
        let summary = |d: &Dataset| {
            (
                d.ops.len(),
                d.failed_attempts.len(),
                d.legacy.len(),
                d.malformed
                    .iter()
                    .map(|m| (m.line, m.reason.clone()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(summary(&from_memory), summary(&from_disk), "{name}");
        assert!(
            from_disk.ops.len() + from_disk.legacy.len() > 0 && !from_disk.malformed.is_empty(),
            "{name}: {:?}",
            summary(&from_disk)
        );
    }
}
