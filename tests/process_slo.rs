//! Runtime process objectives end to end: real Python processes are sampled by
//! `swarm.pulse --watch`, and `slo` judges their memory growth and open handles and names the
//! static findings in the code each one runs.
#![cfg(target_os = "linux")]

mod common;
use common::*;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Appends to a list held by a long-lived agent for as long as it runs (SWC102).
const LEAKER: &str = r#"import time


class Agent:
    def __init__(self):
        self.history = []

    def run_cycle(self):
        self.history.append("x" * 200_000)


def main():
    agent = Agent()
    open("leaker.ready", "w").close()
    while True:
        agent.run_cycle()
        time.sleep(0.01)


if __name__ == "__main__":
    main()
"#;

/// Starts a task thread per tick that opens a file and never finishes, so its handle stays
/// open (SWC301).
const HANDLES: &str = r#"import threading
import time


def handle(path):
    f = open(path)
    f.readline()
    while True:
        time.sleep(1)


def main():
    open("handles.ready", "w").close()
    while True:
        threading.Thread(target=handle, args=(__file__,), daemon=True).start()
        time.sleep(0.02)


if __name__ == "__main__":
    main()
"#;

const STEADY: &str = r#"import time


def main():
    open("steady.ready", "w").close()
    while True:
        time.sleep(0.05)


if __name__ == "__main__":
    main()
"#;

/// Children killed when the test ends, whatever happens.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn python(dir: &std::path::Path, script: &str) -> Child {
    // By absolute path, so that a pattern can tell this test's processes from any other.
    Command::new("python3")
        .arg(dir.join(script))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs")
}

/// Runs `swarmcheck ARGS` in `dir`, killed after `limit`.
fn run_bounded(dir: &std::path::Path, args: &[&str], limit: Duration) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("swarmcheck {args:?} ran past {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Waits (at most 30 s) until each script has written `NAME.ready`: it has started up.
fn wait_ready(dir: &std::path::Path, names: &[&str]) {
    let start = Instant::now();
    while names
        .iter()
        .any(|n| !dir.join(format!("{n}.ready")).exists())
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the scripts did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn process<'a>(objective: &'a Value, name: &str) -> &'a Value {
    objective["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["process"] == name)
        .unwrap_or_else(|| panic!("no process {name} in {objective}"))
}

/// The current UTC time, RFC 3339, from `date` (the tests do not depend on chrono).
fn now_rfc3339() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn leaking_processes_violate_their_objectives_and_name_their_findings() {
    let p = Project::new();
    p.write("leaker.py", LEAKER);
    p.write("handles.py", HANDLES);
    p.write("steady.py", STEADY);
    let dir = p.path().to_path_buf();
    let kids = Children(vec![
        python(&dir, "leaker.py"),
        python(&dir, "handles.py"),
        python(&dir, "steady.py"),
    ]);
    let (leaker, handles, steady) = (kids.0[0].id(), kids.0[1].id(), kids.0[2].id());
    // Three ways to find a process: a pid file, a command-line pattern, an agent's status.
    p.write("run/handles.pid", format!("{handles}\n"));
    p.write(
        "agents/steady/status.json",
        format!(
            r#"{{"agent_id": "steady", "status": "active", "pid": {steady}, "last_updated": "{}"}}"#,
            now_rfc3339()
        ),
    );
    let leaker_pattern = format!(
        " {}$",
        regex::escape(&dir.join("leaker.py").display().to_string())
    );
    p.write(
        "swarmcheck.toml",
        format!(
            r#"[observe]
agents = ["agents"]
pulse-history = "pulse.jsonl"

[[observe.process]]
name = "leaker"
match = '{leaker_pattern}'

[[observe.process]]
name = "handles"
pid-file = "run/handles.pid"

[[slo]]
name = "memory"
sli = "memory-growth"
objective = 0.9
# Far above what a sleeping interpreter's page-level noise reaches over one second, far below
# the leaker's ~70 GB/h.
max-growth = "5GB/h"
rate-window = "1s"

[[slo]]
name = "handles"
sli = "open-handles"
objective = 0.9
max-handles = 40
"#
        ),
    );
    // Sampling starts once every interpreter has started up: start-up growth is not a leak.
    wait_ready(&dir, &["leaker", "handles", "steady"]);
    let out = run_bounded(
        &dir,
        &["swarm.pulse", "--watch", "250ms", "--count", "14"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 14, "{}", stdout(&out));
    assert!(stdout(&out).contains("3 processes"), "{}", stdout(&out));

    let out = run_bounded(
        &dir,
        &["slo", "--output-format", "json", "--fail-on", "never"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Killed and reaped now: dropping a `Child` alone would leave the process running.
    drop(kids);
    let r = json(&out);
    validate_slo_schema(&r);
    let objectives = r["objectives"].as_array().unwrap();
    let memory = objectives.iter().find(|o| o["name"] == "memory").unwrap();
    let handles_o = objectives.iter().find(|o| o["name"] == "handles").unwrap();

    let l = process(memory, "leaker");
    assert_eq!(l["pid"], leaker);
    assert_eq!(l["verdict"], "violating", "{l}");
    assert!(l["growth_bytes_per_hour"].as_f64().unwrap() > 1e9, "{l}");
    let suspects: Vec<(&str, &str)> = l["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["code"].as_str().unwrap(), s["path"].as_str().unwrap()))
        .collect();
    assert_eq!(suspects, [("SWC102", "leaker.py")], "{l}");
    assert!(l["entry"].as_str().unwrap().ends_with("leaker.py"), "{l}");
    assert_eq!(process(memory, "steady")["verdict"], "meeting", "{memory}");
    assert_eq!(process(memory, "steady")["suspects"], serde_json::json!([]));
    assert_eq!(memory["verdict"], "violating");
    assert!(
        memory["alert"]["reason"]
            .as_str()
            .unwrap()
            .contains("SWC102 leaker.py:"),
        "{memory}"
    );

    let h = process(handles_o, "handles");
    assert_eq!(h["pid"], handles);
    assert_eq!(h["verdict"], "violating", "{h}");
    assert!(h["open_fds"].as_u64().unwrap() >= 40, "{h}");
    let codes: Vec<&str> = h["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["SWC301"], "{h}");
    assert_eq!(process(handles_o, "steady")["verdict"], "meeting");
    assert_eq!(process(handles_o, "leaker")["verdict"], "meeting");

    // The same processes as Prometheus gauges.
    let out = run_bounded(
        &dir,
        &["slo", "--output-format", "prometheus", "--fail-on", "never"],
        Duration::from_secs(60),
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "swarmcheck_process_resident_bytes{{process=\"leaker\",agent=\"\",pid=\"{leaker}\"}} "
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "swarmcheck_process_open_fds{{process=\"steady\",agent=\"steady\",pid=\"{steady}\"}} "
        )),
        "{text}"
    );
    assert!(text.contains("swarmcheck_process_resident_growth_bytes_per_hour{"));
}

#[test]
fn gone_reused_and_exiting_processes_are_warnings() {
    let p = Project::new();
    let dir = p.path().to_path_buf();
    // A pid file naming a process that has exited.
    let mut dead = Command::new("python3")
        .args(["-c", "pass"])
        .spawn()
        .unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    p.write("run/dead.pid", format!("{dead_pid}\n"));
    p.write("run/garbage.pid", "not a pid\n");
    // A live process whose recorded start time is not its own: the pid was reused.
    p.write("steady.py", STEADY);
    let kids = Children(vec![
        python(&dir, "steady.py"),
        Command::new("python3")
            .args([
                "-c",
                "import time; open('short.ready', 'w').close(); time.sleep(0.8)",
            ])
            .current_dir(&dir)
            .spawn()
            .unwrap(),
    ]);
    let live = kids.0[0].id();
    let short = kids.0[1].id();
    p.write(
        "agents/old/status.json",
        format!(
            r#"{{"agent_id": "old", "status": "active", "pid": {live}, "process_start_time": "2020-01-01T00:00:00Z", "last_updated": "{}"}}"#,
            now_rfc3339()
        ),
    );
    p.write(
        "agents/short/status.json",
        format!(
            r#"{{"agent_id": "short", "status": "active", "pid": {short}, "last_updated": "{}"}}"#,
            now_rfc3339()
        ),
    );
    p.write(
        "swarmcheck.toml",
        r#"[observe]
agents = ["agents"]
pulse-history = "pulse.jsonl"

[[observe.process]]
name = "dead"
pid-file = "run/dead.pid"

[[observe.process]]
name = "garbage"
pid-file = "run/garbage.pid"

[[observe.process]]
name = "missing"
pid-file = "run/missing.pid"
"#,
    );
    // Both are running (and the short one has not yet ended) when the first sample is taken.
    wait_ready(&dir, &["steady", "short"]);
    let out = run_bounded(
        &dir,
        &["swarm.pulse", "--watch", "300ms", "--count", "8"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "process dead: pid {dead_pid} (from run/dead.pid): no such process"
        )),
        "{err}"
    );
    assert!(
        err.contains("process garbage: pid file run/garbage.pid: `not` is not a pid"),
        "{err}"
    );
    assert!(
        err.contains("process missing: pid file run/missing.pid:"),
        "{err}"
    );
    assert!(
        err.contains(&format!("process old: pid {live} (from "))
            && err.contains("is another process now"),
        "{err}"
    );
    // The short-lived process was sampled while it ran, then reported gone.
    assert!(
        err.contains(&format!("process short: pid {short} (from "))
            && err.contains("no such process"),
        "{err}"
    );
    // health.ping fails the processes line while a named process cannot be sampled.
    let out = p.run(&["health.ping"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("processes FAIL"), "{}", stdout(&out));
    let history = std::fs::read_to_string(dir.join("pulse.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 8);
    assert!(
        history
            .lines()
            .next()
            .unwrap()
            .contains(&format!("\"pid\":{short}")),
        "{history}"
    );
    assert!(
        !history.contains(&format!("\"pid\":{live}")),
        "a reused pid is never sampled"
    );
    drop(kids);
    // `slo` reads that history without complaint: too little to judge growth yet.
    let out = run_bounded(
        &dir,
        &["slo", "--output-format", "json", "--fail-on", "never"],
        Duration::from_secs(60),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json(&out);
    validate_slo_schema(&r);
    let growth = r["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "memory-growth")
        .unwrap();
    assert_eq!(growth["verdict"], "no_data", "{growth}");
    assert!(
        process(growth, "short")["reason"]
            .as_str()
            .unwrap()
            .contains("of the 1h rate window"),
        "{growth}"
    );
}

#[test]
fn watch_needs_a_file_and_a_sane_interval() {
    let p = Project::new();
    p.write(
        "agents/a/status.json",
        r#"{"agent_id": "a", "status": "idle"}"#,
    );
    let out = p.run(&["swarm.pulse", "--agents", "agents", "--watch", "1s"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("--watch needs a file to record to"),
        "{}",
        stderr(&out)
    );
    let out = p.run(&[
        "swarm.pulse",
        "--agents",
        "agents",
        "--watch",
        "5ms",
        "--record",
        "h.jsonl",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("at least 100ms"), "{}", stderr(&out));
    let out = p.run(&["swarm.pulse", "--agents", "agents", "--count", "3"]);
    assert_eq!(code(&out), 2, "--count without --watch is a usage error");
    p.write(
        "swarmcheck.toml",
        "[observe]\nagents = [\"agents\"]\n\n[[observe.process]]\nname = \"x\"\nmatch = \"(unclosed\"\n",
    );
    let out = p.run(&["swarm.pulse"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("invalid regular expression"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("swarmcheck.toml"), "{}", stderr(&out));
    p.write(
        "swarmcheck.toml",
        "[observe]\nagents = [\"agents\"]\n\n[[observe.process]]\nname = \"x\"\n",
    );
    let out = p.run(&["swarm.pulse"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("needs `pid-file` or `match`"),
        "{}",
        stderr(&out)
    );
}
