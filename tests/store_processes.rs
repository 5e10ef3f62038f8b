//! The store under real concurrency: independent processes (this test binary re-executed as a
//! worker), not threads only.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use swarmcheck::store::{Durability, JsonStore, StoreError, StoreOptions};

/// Starts this test binary as a worker: it runs `worker_entry` with the given environment.
fn spawn_worker(kind: &str, doc: &Path, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "worker_entry",
        "--ignored",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env("STORE_WORKER", kind)
    .env("STORE_DOC", doc)
    .env_remove("SWARMCHECK_METRICS")
    .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn wait_all(children: Vec<Child>) {
    for mut c in children {
        let status = c.wait().unwrap();
        assert!(status.success(), "a worker failed: {status}");
    }
}

fn store(doc: &Path, durability: Durability) -> JsonStore<Value> {
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    JsonStore::open(doc, options, || json!({"n": 0}))
}

/// System-wide monotonic clock in nanoseconds, comparable across processes.
fn monotonic_ns() -> u128 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime fills the struct we own.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    }
}

#[test]
#[ignore = "runs only as a worker process spawned by the other tests"]
fn worker_entry() {
    let Ok(kind) = std::env::var("STORE_WORKER") else {
        return;
    };
    let doc = PathBuf::from(std::env::var("STORE_DOC").unwrap());
    let n: usize = std::env::var("STORE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    match kind.as_str() {
        "incr" => {
            let s = store(&doc, Durability::None);
            for _ in 0..n {
                s.update(|d| {
                    d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                    Ok::<_, String>(())
                })
                .unwrap();
            }
        }
        "hold" => {
            // Records [acquire, release] of each lock hold.
            let out = PathBuf::from(std::env::var("STORE_OUT").unwrap());
            let s = store(&doc, Durability::None);
            let mut lines = String::new();
            for _ in 0..n {
                let (a, b) = s
                    .update(|d| {
                        let a = monotonic_ns();
                        d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                        std::thread::sleep(Duration::from_micros(200));
                        Ok::<_, String>((a, monotonic_ns()))
                    })
                    .unwrap();
                lines.push_str(&format!("{a} {b}\n"));
            }
            std::fs::write(out, lines).unwrap();
        }
        "incr-retry" => {
            // Increments, retrying the (rare) update refused because the lock file was deleted
            // under it while the document changed.
            let s = store(&doc, Durability::None);
            let mut conflicts = 0;
            for _ in 0..n {
                loop {
                    let r = s.update(|d| {
                        d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                        std::thread::sleep(Duration::from_micros(200));
                        Ok::<_, String>(())
                    });
                    match r {
                        Ok(()) => break,
                        Err(StoreError::Conflict { .. }) => conflicts += 1,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            eprintln!("conflicts={conflicts}");
        }
        "read" => {
            // Lock-free readers: every read parses and the counter never goes back.
            let s = store(&doc, Durability::None);
            let until = Instant::now() + Duration::from_millis(n as u64);
            let mut last = 0;
            let mut reads = 0u64;
            while Instant::now() < until {
                let d = s
                    .read()
                    .expect("a lock-free read always sees a whole document");
                let v = d["n"].as_i64().unwrap();
                assert!(v >= last, "counter went back from {last} to {v}");
                last = v;
                reads += 1;
            }
            assert!(reads > 10);
        }
        "one" => {
            let s = store(&doc, Durability::Full);
            s.update(|d| {
                d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                Ok::<_, String>(())
            })
            .unwrap();
        }
        "sleep-holding" => {
            let s = store(&doc, Durability::None);
            s.update(|_| {
                std::fs::write(doc.with_extension("held"), b"").unwrap();
                std::thread::sleep(Duration::from_millis(n as u64));
                Ok::<_, String>(())
            })
            .unwrap();
        }
        "contend" => {
            let options = StoreOptions {
                timeout: Some(Duration::from_millis(n as u64)),
                ..StoreOptions::default()
            };
            let s: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
            let started = Instant::now();
            let err = s.update(|_| Ok::<_, String>(())).unwrap_err();
            let elapsed = started.elapsed();
            let cpu = cpu_seconds();
            let holder = match &err {
                StoreError::LockTimeout { holder, .. } => holder.clone().unwrap_or_default(),
                other => panic!("expected a timeout, got {other}"),
            };
            let out = PathBuf::from(std::env::var("STORE_OUT").unwrap());
            std::fs::write(
                out,
                format!("{} {} {}\n{}", elapsed.as_secs_f64(), cpu, err, holder),
            )
            .unwrap();
        }
        other => panic!("unknown worker {other}"),
    }
}

fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage fills the struct we own.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(usage.ru_utime) + t(usage.ru_stime)
    }
    #[cfg(not(unix))]
    {
        0.0
    }
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".swctmp"))
        .collect()
}

#[test]
fn sixteen_processes_times_500_increments_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("counter.json");
    let workers = (0..16)
        .map(|_| spawn_worker("incr", &doc, &[("STORE_N", "500".into())]))
        .collect();
    wait_all(workers);
    let value: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
    assert_eq!(value["n"], 8000);
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        temp_files(dir.path())
    );
}

fn no_overlaps(dir: &Path, files: &[PathBuf]) {
    let mut intervals: Vec<(u128, u128)> = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let (a, b) = line.split_once(' ').unwrap();
            intervals.push((a.parse().unwrap(), b.parse().unwrap()));
        }
    }
    intervals.sort();
    let overlaps = intervals.windows(2).filter(|w| w[1].0 < w[0].1).count();
    assert_eq!(overlaps, 0, "lock holds overlapped in {}", dir.display());
    assert_eq!(intervals.len(), 8 * 200);
}

#[test]
fn eight_processes_times_200_holds_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("holds.json");
    let outs: Vec<PathBuf> = (0..8)
        .map(|i| dir.path().join(format!("holds-{i}.txt")))
        .collect();
    let workers = outs
        .iter()
        .map(|o| {
            spawn_worker(
                "hold",
                &doc,
                &[
                    ("STORE_N", "200".into()),
                    ("STORE_OUT", o.display().to_string()),
                ],
            )
        })
        .collect();
    wait_all(workers);
    no_overlaps(dir.path(), &outs);
}

/// A rogue process deletes the lock file again and again while 8 writers run. A newcomer can
/// then lock a fresh file while the old one is still held; the holder notices before committing
/// (the lock file's inode changed), takes the new lock, and commits only if the document is
/// unchanged, else refuses (and the worker retries). No update is lost.
#[test]
fn deleting_the_lock_file_mid_run_loses_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("counter.json");
    let lock = dir.path().join("counter.json.lock");
    let workers: Vec<Child> = (0..8)
        .map(|_| spawn_worker("incr-retry", &doc, &[("STORE_N", "200".into())]))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deleter = {
        let stop = stop.clone();
        let lock = lock.clone();
        std::thread::spawn(move || {
            let mut deleted = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if std::fs::remove_file(&lock).is_ok() {
                    deleted += 1;
                }
                std::thread::sleep(Duration::from_millis(3));
            }
            deleted
        })
    };
    wait_all(workers);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let deleted = deleter.join().unwrap();
    assert!(
        deleted > 5,
        "the lock file was deleted only {deleted} times"
    );
    let value: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
    assert_eq!(value["n"], 1600, "an update was lost");
}

#[test]
fn lock_free_readers_never_see_a_partial_document() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("counter.json");
    store(&doc, Durability::None)
        .update(|_| Ok::<_, String>(()))
        .unwrap();
    let mut children: Vec<Child> = (0..8)
        .map(|_| spawn_worker("incr", &doc, &[("STORE_N", "150".into())]))
        .collect();
    children.extend((0..2).map(|_| spawn_worker("read", &doc, &[("STORE_N", "1500".into())])));
    wait_all(children);
    let value: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
    assert_eq!(value["n"], 1200);
}

#[cfg(unix)]
#[test]
fn kill_9_during_commits_never_corrupts_and_frees_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("gen.json");
    let s = store(&doc, Durability::Full);
    s.update(|_| Ok::<_, String>(())).unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut killed_mid_update = 0;
    for _ in 0..200 {
        let before: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
        let g = before["n"].as_i64().unwrap();
        let mut child = spawn_worker("one", &doc, &[]);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Process start-up takes a few milliseconds; spread the kills over it and the commit.
        std::thread::sleep(Duration::from_micros(1_000 + seed % 12_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            killed_mid_update += 1;
        }
        let after: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap())
            .expect("the document always parses");
        let n = after["n"].as_i64().unwrap();
        assert!(n == g || n == g + 1, "generation {n} after {g}");
        // The kernel released the dead writer's lock.
        let probe: JsonStore<Value> = JsonStore::open(
            &doc,
            StoreOptions {
                timeout: Some(Duration::from_millis(100)),
                durability: Durability::None,
                ..StoreOptions::default()
            },
            || json!({}),
        );
        probe
            .update(|_| Ok::<_, String>(()))
            .expect("the lock is free within 100 ms");
        assert!(
            temp_files(dir.path()).is_empty(),
            "the next update removes orphan temps"
        );
    }
    assert!(killed_mid_update > 0, "no trial killed a worker");
}

#[test]
fn a_contender_times_out_on_time_without_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("held.json");
    let out = dir.path().join("contender.txt");
    let mut holder = spawn_worker("sleep-holding", &doc, &[("STORE_N", "2000".into())]);
    let marker = doc.with_extension("held");
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the holder never took the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut contender = spawn_worker(
        "contend",
        &doc,
        &[
            ("STORE_N", "500".into()),
            ("STORE_OUT", out.display().to_string()),
        ],
    );
    assert!(contender.wait().unwrap().success());
    assert!(holder.wait().unwrap().success());
    let report = std::fs::read_to_string(&out).unwrap();
    let mut fields = report.split_whitespace();
    let elapsed: f64 = fields.next().unwrap().parse().unwrap();
    let cpu: f64 = fields.next().unwrap().parse().unwrap();
    assert!(
        (0.5..=0.55).contains(&elapsed),
        "timed out after {elapsed}s"
    );
    assert!(
        cpu < 0.25,
        "the contender burned {cpu}s of CPU while waiting"
    );
    assert!(
        report.contains("pid="),
        "the timeout names the holder: {report}"
    );
}
