//! Benchmark: N processes x M read-modify-write increments of one JSON counter, with swarmcheck's
//! store at each durability level and with Python `filelock` + `mkstemp` + `os.replace` (the
//! pattern users write today), in one run on the same file system.
//!
//! ```sh
//! cargo run --release --example store_bench -- [PROCESSES] [UPDATES] [DIR]
//! ```
//!
//! Python rows need a Python with `filelock` (set `PYTHON`, default `python3`); they are skipped
//! with a note otherwise. Prints updates/s, lost updates, worst lock wait and the ratio.
//!
//! With `SWARMCHECK_BENCH_PG=postgresql://user:password@host:port/database`, the PostgreSQL
//! backend runs too (Rust and Python `locked_json`), next to a hand-written psycopg
//! `SELECT ... FOR UPDATE` loop (needs `psycopg` in that Python).

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use swarmcheck::store::{Durability, JsonStore, StoreOptions};

const PY_WORKER: &str = r#"
import json, os, sys, tempfile, time
from filelock import FileLock
doc, n, durable, out = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
d = os.path.dirname(doc) or "."
lock = FileLock(doc + ".lock")
worst = 0.0
for _ in range(n):
    t0 = time.perf_counter()
    with lock:
        worst = max(worst, time.perf_counter() - t0)
        try:
            with open(doc) as f:
                data = json.load(f)
        except FileNotFoundError:
            data = {"n": 0}
        data["n"] += 1
        fd, tmp = tempfile.mkstemp(dir=d)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, doc)
        if durable:
            dfd = os.open(d, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
with open(out, "w") as f:
    f.write(str(worst * 1000.0))
"#;

const PY_STORE_WORKER: &str = r#"
import sys, time
from swarmcheck.store import locked_json
doc, n, durability, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
worst = 0.0
for _ in range(n):
    t0 = time.perf_counter()
    with locked_json(doc, default=lambda: {"n": 0}, durability=durability) as d:
        worst = max(worst, time.perf_counter() - t0)
        d["n"] += 1
with open(out, "w") as f:
    f.write(str(worst * 1000.0))
"#;

/// What a user writes by hand on PostgreSQL: one connection, a transaction per increment.
const PY_PSYCOPG_WORKER: &str = r#"
import json, sys, time
import psycopg
address, name, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
worst = 0.0
with psycopg.connect(address) as conn:
    for _ in range(n):
        t0 = time.perf_counter()
        with conn.transaction():
            row = conn.execute(
                "SELECT body FROM swarmcheck_bench WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
            worst = max(worst, time.perf_counter() - t0)
            data = json.loads(row[0]) if row and row[0] else {"n": 0}
            data["n"] += 1
            conn.execute(
                "UPDATE swarmcheck_bench SET body = %s WHERE name = %s", (json.dumps(data), name)
            )
with open(out, "w") as f:
    f.write(str(worst * 1000.0))
"#;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("worker") {
        worker(&args[2..]);
        return;
    }
    let procs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let updates: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let base = args
        .get(3)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("swarmcheck-store-bench"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).expect("benchmark directory");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let has = |module: &str| {
        Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let has_filelock = has("filelock");
    let has_binding = has("swarmcheck.store");
    println!(
        "{procs} processes x {updates} increments, in {}",
        base.display()
    );
    println!(
        "{:<34} {:>10} {:>8} {:>14}",
        "implementation", "updates/s", "lost", "worst wait ms"
    );
    let mut rows: Vec<(String, f64)> = Vec::new();
    for (label, py_durable) in [("none", false), ("file", false), ("full", true)] {
        let dir = base.join(format!("store-{label}"));
        std::fs::create_dir_all(&dir).unwrap();
        let doc = dir.join("counter.json");
        let (rate, lost, wait) = run(procs, updates, &doc, |i| {
            let exe = std::env::current_exe().unwrap();
            let mut c = Command::new(exe);
            c.args([
                "worker",
                label,
                &doc.display().to_string(),
                &updates.to_string(),
            ])
            .arg(dir.join(format!("metrics-{i}.jsonl")));
            c
        });
        let name = format!("swarmcheck store, durability={label}");
        println!("{name:<34} {rate:>10.0} {lost:>8} {wait:>14.1}");
        rows.push((name, rate));
        let mut binding_rate = None;
        if has_binding && label != "file" {
            let bdir = base.join(format!("binding-{label}"));
            std::fs::create_dir_all(&bdir).unwrap();
            let bdoc = bdir.join("counter.json");
            let script = bdir.join("worker.py");
            std::fs::write(&script, PY_STORE_WORKER).unwrap();
            let (brate, blost, bwait) = run(procs, updates, &bdoc, |i| {
                let mut c = Command::new(&python);
                c.arg(&script)
                    .arg(&bdoc)
                    .arg(updates.to_string())
                    .arg(label)
                    .arg(bdir.join(format!("wait-{i}.txt")));
                c
            });
            let bname = format!("Python locked_json, durability={label}");
            println!("{bname:<34} {brate:>10.0} {blost:>8} {bwait:>14.1}");
            binding_rate = Some(brate);
        }
        if !has_filelock || label == "file" {
            continue;
        }
        let pdir = base.join(format!("filelock-{label}"));
        std::fs::create_dir_all(&pdir).unwrap();
        let pdoc = pdir.join("counter.json");
        let script = pdir.join("worker.py");
        std::fs::write(&script, PY_WORKER).unwrap();
        let (prate, plost, pwait) = run(procs, updates, &pdoc, |i| {
            let mut c = Command::new(&python);
            c.arg(&script)
                .arg(&pdoc)
                .arg(updates.to_string())
                .arg(if py_durable { "1" } else { "0" })
                .arg(pdir.join(format!("wait-{i}.txt")));
            c
        });
        let pname = format!(
            "filelock+os.replace, {}",
            if py_durable { "fsync" } else { "no fsync" }
        );
        println!("{pname:<34} {prate:>10.0} {plost:>8} {pwait:>14.1}");
        println!("{:<34} {:>10.2}x", "  ratio store/filelock", rate / prate);
        if let Some(b) = binding_rate {
            println!(
                "{:<34} {:>10.2}x",
                "  ratio locked_json/filelock",
                b / prate
            );
        }
    }
    if let Ok(server) = std::env::var("SWARMCHECK_BENCH_PG") {
        postgres_rows(
            &server,
            procs,
            updates,
            &base,
            &python,
            has_binding,
            has("psycopg"),
        );
    }
    if !has_binding {
        println!("(Python binding rows skipped: `{python} -c 'import swarmcheck.store'` failed)");
    }
    if !has_filelock {
        println!("(Python rows skipped: `{python} -c 'import filelock'` failed; set PYTHON to a Python with filelock)");
    }
}

/// The PostgreSQL rows: the store from Rust and from Python, and the hand-written psycopg loop.
fn postgres_rows(
    server: &str,
    procs: usize,
    updates: usize,
    base: &Path,
    python: &str,
    has_binding: bool,
    has_psycopg: bool,
) {
    let run_id = std::process::id();
    let count = |address: &str| {
        let store: JsonStore<Value> =
            JsonStore::open(address, StoreOptions::default(), || json!({"n": 0}));
        store.read().expect("read the counter")["n"]
            .as_i64()
            .unwrap_or(0)
    };
    let dir = base.join("postgres-rust");
    std::fs::create_dir_all(&dir).unwrap();
    let address = format!("{server}?document=bench-rust-{run_id}");
    let (rate, lost, wait) = run_counted(
        procs,
        updates,
        &dir,
        || count(&address),
        |i| {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.args(["worker", "full", &address, &updates.to_string()])
                .arg(dir.join(format!("metrics-{i}.jsonl")));
            c
        },
    );
    let name = "swarmcheck store, PostgreSQL";
    println!("{name:<34} {rate:>10.0} {lost:>8} {wait:>14.1}");
    let mut binding = None;
    if has_binding {
        let dir = base.join("postgres-python");
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("worker.py");
        std::fs::write(&script, PY_STORE_WORKER).unwrap();
        let address = format!("{server}?document=bench-python-{run_id}");
        let (rate, lost, wait) = run_counted(
            procs,
            updates,
            &dir,
            || count(&address),
            |i| {
                let mut c = Command::new(python);
                c.arg(&script)
                    .arg(&address)
                    .arg(updates.to_string())
                    .arg("full")
                    .arg(dir.join(format!("wait-{i}.txt")));
                c
            },
        );
        let name = "Python locked_json, PostgreSQL";
        println!("{name:<34} {rate:>10.0} {lost:>8} {wait:>14.1}");
        binding = Some(rate);
    }
    if !has_psycopg {
        println!("(psycopg row skipped: `{python} -c 'import psycopg'` failed)");
        return;
    }
    let mut client = server
        .parse::<postgres::Config>()
        .expect("SWARMCHECK_BENCH_PG is a PostgreSQL address")
        .connect(postgres::NoTls)
        .expect("connect to SWARMCHECK_BENCH_PG");
    let row = format!("bench-psycopg-{run_id}");
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS swarmcheck_bench (name text PRIMARY KEY, body text)",
        )
        .unwrap();
    client
        .execute(
            "INSERT INTO swarmcheck_bench VALUES ($1, '{\"n\": 0}')",
            &[&row],
        )
        .unwrap();
    let dir = base.join("postgres-psycopg");
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("worker.py");
    std::fs::write(&script, PY_PSYCOPG_WORKER).unwrap();
    let counted = || {
        let mut client = server
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap();
        let body: String = client
            .query_one("SELECT body FROM swarmcheck_bench WHERE name = $1", &[&row])
            .unwrap()
            .get(0);
        serde_json::from_str::<Value>(&body).unwrap()["n"]
            .as_i64()
            .unwrap_or(0)
    };
    let (prate, plost, pwait) = run_counted(procs, updates, &dir, counted, |i| {
        let mut c = Command::new(python);
        c.arg(&script)
            .arg(server)
            .arg(&row)
            .arg(updates.to_string())
            .arg(dir.join(format!("wait-{i}.txt")));
        c
    });
    let name = "psycopg SELECT ... FOR UPDATE";
    println!("{name:<34} {prate:>10.0} {plost:>8} {pwait:>14.1}");
    println!("{:<34} {:>10.2}x", "  ratio store/psycopg", rate / prate);
    if let Some(b) = binding {
        println!("{:<34} {:>10.2}x", "  ratio locked_json/psycopg", b / prate);
    }
}

/// Runs `procs` workers on `doc`; returns updates/s, lost updates and the worst lock wait (ms).
fn run(
    procs: usize,
    updates: usize,
    doc: &Path,
    command: impl Fn(usize) -> Command,
) -> (f64, i64, f64) {
    let count = || {
        let value: Value = serde_json::from_slice(&std::fs::read(doc).unwrap()).unwrap();
        value["n"].as_i64().unwrap_or(0)
    };
    run_counted(procs, updates, doc.parent().unwrap(), count, command)
}

/// Runs `procs` workers whose wait files and metrics logs go to `dir`; `count` reads the
/// final counter.
fn run_counted(
    procs: usize,
    updates: usize,
    dir: &Path,
    count: impl Fn() -> i64,
    command: impl Fn(usize) -> Command,
) -> (f64, i64, f64) {
    let started = Instant::now();
    let children: Vec<_> = (0..procs)
        .map(|i| command(i).spawn().expect("start a worker"))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a worker failed");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let expected = (procs * updates) as i64;
    let lost = expected - count();
    let mut worst: f64 = 0.0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if name.starts_with("metrics-") {
            for line in text.lines() {
                if let Ok(e) = serde_json::from_str::<Value>(line) {
                    worst = worst.max(e["wait_ms"].as_f64().unwrap_or(0.0));
                }
            }
        } else if name.starts_with("wait-") {
            worst = worst.max(text.trim().parse().unwrap_or(0.0));
        }
    }
    (expected as f64 / elapsed, lost, worst)
}

fn worker(args: &[String]) {
    let durability: Durability = args[0].parse().unwrap();
    let doc = PathBuf::from(&args[1]);
    let n: usize = args[2].parse().unwrap();
    let options = StoreOptions {
        durability,
        metrics: Some(PathBuf::from(&args[3])),
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({"n": 0}));
    for _ in 0..n {
        store
            .update(|d| {
                d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                Ok::<_, String>(())
            })
            .unwrap();
    }
}
