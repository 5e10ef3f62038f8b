//! The store's behaviour within one process: transactions, corruption policies, metrics events,
//! nested updates, and the `swarmcheck store` CLI.

mod common;
use common::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use swarmcheck::store::metrics::Event;
use swarmcheck::store::{CorruptPolicy, Durability, JsonStore, StoreError, StoreOptions};

fn open(doc: &Path, on_corrupt: CorruptPolicy, metrics: Option<&Path>) -> JsonStore<Value> {
    let options = StoreOptions {
        on_corrupt,
        metrics: metrics.map(Path::to_path_buf),
        keep_backup: true,
        durability: Durability::File,
        ..StoreOptions::default()
    };
    JsonStore::open(doc, options, || json!({"default": true}))
}

fn events(path: &Path) -> Vec<Event> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn corrupt_copies(dir: &Path) -> Vec<Vec<u8>> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

#[test]
fn closure_error_or_panic_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let s = open(&doc, CorruptPolicy::Error, None);
    s.update(|d| {
        d["n"] = json!(1);
        Ok::<_, String>(())
    })
    .unwrap();
    let before = std::fs::read(&doc).unwrap();
    let err = s
        .update(|d| {
            d["n"] = json!(2);
            Err::<(), _>("validation failed")
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Aborted { .. }), "{err}");
    assert!(err.to_string().contains("validation failed"));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.update(|d| -> Result<(), String> {
            d["n"] = json!(3);
            panic!("boom")
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(std::fs::read(&doc).unwrap(), before);
    // The lock was released after the panic.
    s.update(|_| Ok::<_, String>(())).unwrap();
}

#[test]
fn nested_update_from_the_same_thread_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let s = open(&doc, CorruptPolicy::Error, None);
    let inner = s
        .update(|_| Ok::<_, String>(s.update(|_| Ok::<_, String>(())).map_err(|e| e.to_string())))
        .unwrap();
    let message = inner.unwrap_err();
    assert!(message.contains("nested update"), "{message}");
}

#[test]
fn threads_of_one_process_queue_on_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let s = std::sync::Arc::new(open(&doc, CorruptPolicy::Error, None));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    s.update(|d| {
                        d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                        Ok::<_, String>(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(s.read().unwrap()["n"], 400);
}

#[test]
fn corrupt_documents_are_preserved_and_each_policy_is_honoured() {
    let cases: &[(&str, &[u8])] = &[
        ("truncated", b"{\"agents\": {\"a\": 1"),
        ("empty", b""),
        ("invalid-utf8", b"{\"a\": \"\xff\xfe\"}"),
        ("nul-filled", &[0u8; 64]),
    ];
    for (name, bytes) in cases {
        for policy in [
            CorruptPolicy::Error,
            CorruptPolicy::Default,
            CorruptPolicy::Backup,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let doc = dir.path().join("doc.json");
            let metrics = dir.path().join("metrics.jsonl");
            let s = open(&doc, policy, Some(&metrics));
            // Two good generations, so `.bak` holds the first.
            s.update(|d| {
                *d = json!({"gen": 1});
                Ok::<_, String>(())
            })
            .unwrap();
            s.update(|d| {
                *d = json!({"gen": 2});
                Ok::<_, String>(())
            })
            .unwrap();
            std::fs::write(&doc, bytes).unwrap();
            let result = s.update(|d| {
                d["touched"] = json!(true);
                Ok::<_, String>(d.clone())
            });
            match policy {
                CorruptPolicy::Error => {
                    let err = result.unwrap_err();
                    assert!(matches!(err, StoreError::Corrupt { .. }), "{name}: {err}");
                    assert!(err.to_string().contains("doc.json"), "{err}");
                    assert_eq!(
                        std::fs::read(&doc).unwrap(),
                        *bytes,
                        "{name}: the bad file is left as it was"
                    );
                }
                CorruptPolicy::Default => {
                    assert_eq!(
                        result.unwrap(),
                        json!({"default": true, "touched": true}),
                        "{name}"
                    );
                }
                CorruptPolicy::Backup => {
                    assert_eq!(
                        result.unwrap(),
                        json!({"gen": 1, "touched": true}),
                        "{name}"
                    );
                }
            }
            assert_eq!(
                corrupt_copies(dir.path()),
                vec![bytes.to_vec()],
                "{name}: bytes preserved exactly"
            );
            let recover: Vec<Event> = events(&metrics)
                .into_iter()
                .filter(|e| e.op == "recover")
                .collect();
            assert_eq!(recover.len(), 1, "{name} {policy:?}");
            assert_eq!(recover[0].error_code.as_deref(), Some("JSON_DECODE"));
            let expected = if policy == CorruptPolicy::Error {
                "error"
            } else {
                "recovered"
            };
            assert_eq!(recover[0].outcome, expected);
        }
    }
}

#[test]
fn corrupt_error_names_the_byte_offset() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.json");
    std::fs::write(&doc, b"{\n  \"a\": 1,\n  \"b\": oops\n}").unwrap();
    let s = open(&doc, CorruptPolicy::Error, None);
    match s.read().unwrap_err() {
        StoreError::Corrupt { offset, .. } => assert_eq!(offset, 19),
        other => panic!("{other}"),
    }
    // Reading the same corruption again keeps one preserved copy.
    let _ = s.read();
    assert_eq!(corrupt_copies(dir.path()).len(), 1);
}

#[test]
fn metrics_events_follow_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.json");
    let metrics = dir.path().join("m.jsonl");
    let s = open(&doc, CorruptPolicy::Error, Some(&metrics));
    s.update(|d| {
        d["x"] = json!(1);
        Ok::<_, String>(())
    })
    .unwrap();
    s.read().unwrap();
    let _ = s.update(|_| Err::<(), _>("no"));
    let ev = events(&metrics);
    let ops: Vec<(&str, &str)> = ev
        .iter()
        .map(|e| (e.op.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        ops,
        vec![("update", "ok"), ("read", "ok"), ("update", "aborted")]
    );
    let first = &ev[0];
    assert_eq!(first.v, 1);
    assert!(
        first.ts.ends_with('Z') && first.ts.contains('T'),
        "{}",
        first.ts
    );
    assert_eq!(first.pid, std::process::id());
    assert_eq!(first.attempts, 1);
    assert_eq!(first.durability, "file");
    assert!(first.bytes > 0);
    assert!(first.hold_ms >= first.io_ms * 0.0);
    assert_eq!(ev[2].error_code.as_deref(), Some("ABORTED"));
}

#[test]
fn typed_documents() {
    #[derive(Serialize, Deserialize, Default, PartialEq, Debug)]
    struct Queue {
        tasks: Vec<String>,
    }
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("q.json");
    let s: JsonStore<Queue> = JsonStore::open(&doc, StoreOptions::default(), Queue::default);
    s.update(|q| {
        q.tasks.push("a".into());
        Ok::<_, String>(())
    })
    .unwrap();
    assert_eq!(
        s.read().unwrap(),
        Queue {
            tasks: vec!["a".into()]
        }
    );
    std::fs::write(&doc, b"{\"tasks\": 5}").unwrap();
    assert!(matches!(s.read().unwrap_err(), StoreError::Schema { .. }));
}

#[cfg(unix)]
#[test]
fn lock_files_are_not_followed_through_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("d.json.lock")).unwrap();
    let s = open(&doc, CorruptPolicy::Error, None);
    let err = s.update(|_| Ok::<_, String>(())).unwrap_err();
    assert!(err.to_string().contains("d.json.lock"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn store_cli_get_set_merge_incr() {
    let p = Project::new();
    assert_eq!(
        stdout(&p.run(&["store", "update", "s.json", "--incr", "/n"])).trim(),
        "1"
    );
    assert_eq!(
        stdout(&p.run(&["store", "update", "s.json", "--incr", "/n", "--by", "4"])).trim(),
        "5"
    );
    assert_eq!(
        code(&p.run(&[
            "store",
            "set",
            "s.json",
            "/agents/a1",
            "{\"status\": \"active\"}"
        ])),
        0
    );
    assert_eq!(
        code(&p.run(&[
            "store",
            "update",
            "s.json",
            "--merge",
            "{\"agents\": {\"a2\": 1}, \"n\": null}"
        ])),
        0
    );
    let doc = json(&p.run(&["store", "get", "s.json"]));
    assert_eq!(
        doc,
        json!({"agents": {"a1": {"status": "active"}, "a2": 1}})
    );
    assert_eq!(
        stdout(&p.run(&["store", "get", "s.json", "/agents/a1/status"])).trim(),
        "\"active\""
    );
    assert_eq!(code(&p.run(&["store", "get", "s.json", "/missing"])), 1);
    assert_eq!(code(&p.run(&["store", "get", "s.json", "no-slash"])), 2);
    assert_eq!(
        code(&p.run(&["store", "set", "s.json", "/x", "not json"])),
        2
    );
    assert_eq!(code(&p.run(&["store", "update", "s.json"])), 2);
    p.write("bad.json", "{");
    let out = p.run(&["store", "get", "bad.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("bad.json is corrupt"),
        "{}",
        stderr(&out)
    );
    let out = p.run(&[
        "store",
        "update",
        "m.json",
        "--incr",
        "/n",
        "--metrics",
        "events.jsonl",
    ]);
    assert_eq!(code(&out), 0);
    let line = std::fs::read_to_string(p.path().join("events.jsonl")).unwrap();
    let event: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(event["op"], "update");
    assert_eq!(event["outcome"], "ok");
}

#[test]
fn review_regressions_backup_permissions_symlinks_orphans() {
    let dir = tempfile::tempdir().unwrap();
    // Recovering from corruption with the backup policy keeps the good `.bak`.
    let doc = dir.path().join("d.json");
    let s = open(&doc, CorruptPolicy::Backup, None);
    s.update(|d| {
        *d = json!({"a": 1});
        Ok::<_, String>(())
    })
    .unwrap();
    s.update(|d| {
        *d = json!({"a": 2});
        Ok::<_, String>(())
    })
    .unwrap();
    std::fs::write(&doc, b"{\"a\": 3").unwrap();
    s.update(|d| {
        d["b"] = json!(1);
        Ok::<_, String>(())
    })
    .unwrap();
    let bak: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("d.json.bak")).unwrap()).unwrap();
    assert_eq!(bak, json!({"a": 1}));
    // A temp file of another document whose name extends this one's is not an orphan of it.
    let other = dir.path().join(".d.json.v2.123-0123456789abcdef.swctmp");
    std::fs::write(&other, b"{}").unwrap();
    let fresh = open(&doc, CorruptPolicy::Error, None);
    fresh.update(|_| Ok::<_, String>(())).unwrap();
    assert!(other.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Commits keep the document's permissions.
        std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o600)).unwrap();
        fresh.update(|_| Ok::<_, String>(())).unwrap();
        assert_eq!(
            std::fs::metadata(&doc).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A symlinked document is updated where it points; the link stays a link.
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&doc, &link).unwrap();
        let via_link = open(&link, CorruptPolicy::Error, None);
        via_link
            .update(|d| {
                d["via"] = json!("link");
                Ok::<_, String>(())
            })
            .unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let value: Value = serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
        assert_eq!(value["via"], "link");
    }
}

#[test]
fn a_thread_with_a_timeout_is_not_stuck_behind_a_thread_waiting_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    // Another open file description holds the OS lock (as another process would).
    let outside = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("d.json.lock"))
        .unwrap();
    outside.lock().unwrap();
    let patient = {
        let doc = doc.clone();
        std::thread::spawn(move || {
            let s = open(&doc, CorruptPolicy::Error, None);
            s.update(|_| Ok::<_, String>(())).unwrap();
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let options = StoreOptions {
        timeout: Some(std::time::Duration::from_millis(300)),
        ..StoreOptions::default()
    };
    let hasty: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
    let started = std::time::Instant::now();
    let err = hasty.update(|_| Ok::<_, String>(())).unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::LockTimeout { .. }), "{err}");
    assert!(
        waited < std::time::Duration::from_millis(600),
        "waited {waited:?}"
    );
    outside.unlock().unwrap();
    patient.join().unwrap();
}

#[test]
fn a_document_on_a_network_filesystem_is_refused_unless_allowed() {
    // Debug builds (the test suite's) read the filesystem type from SWARMCHECK_TEST_FS_MAGIC.
    if !cfg!(debug_assertions) {
        eprintln!("*** SKIPPED: the network-filesystem override exists only in debug builds ***");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("queue.json");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
            .args(["store", "update"])
            .arg(&doc)
            .args(["--incr", "/n"])
            .args(extra)
            .env("SWARMCHECK_TEST_FS_MAGIC", "0x6969")
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr).replace(['\n', '│', ' '], "");
    assert!(message.contains("isonanetworkfilesystem(NFS)"), "{message}");
    assert!(message.contains("postgresql://"), "{message}");
    assert!(!doc.exists(), "nothing was written");
    let allowed = run(&["--allow-network-fs"]);
    assert!(allowed.status.success());
    assert_eq!(
        std::fs::read_to_string(&doc).unwrap().trim(),
        "{\n  \"n\": 1\n}"
    );
}
