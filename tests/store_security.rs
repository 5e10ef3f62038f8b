//! Files the store creates cannot be turned against the user by someone who can write to the
//! document's directory: no predictable names, no symlinks followed, no window in which a
//! private document's data is readable by others, no reading through a swapped lock file.
#![cfg(target_os = "linux")]

mod common;

use common::{code, stderr, Project};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use swarmcheck::store::{CorruptPolicy, Durability, JsonStore, StoreOptions};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn temp_files_of_a_private_document_are_never_readable_by_others() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("secret.json");
    std::fs::write(&doc, "{}").unwrap();
    std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = {
        let (stop, dir) = (stop.clone(), dir.path().to_path_buf());
        std::thread::spawn(move || {
            let mut modes = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    if entry.file_name().to_string_lossy().ends_with(".swctmp") {
                        if let Ok(m) = entry.metadata() {
                            modes.push(m.permissions().mode() & 0o777);
                        }
                    }
                }
            }
            modes
        })
    };
    let options = StoreOptions {
        durability: Durability::File,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
    let payload = "s".repeat(1 << 20);
    for i in 0..60 {
        store
            .update(|d| {
                d["token"] = json!(format!("{payload}{i}"));
                Ok::<_, String>(())
            })
            .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let modes = seen.join().unwrap();
    assert!(
        modes.iter().all(|&m| m == 0o600),
        "temp files seen with modes {:?} (decimal)",
        modes.iter().filter(|&&m| m != 0o600).collect::<Vec<_>>()
    );
    assert_eq!(mode(&doc), 0o600);
}

#[test]
fn backup_staging_cannot_be_redirected_by_a_planted_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("d.json");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The staging name the store used to use, re-planted as fast as possible.
    let planted = dir
        .path()
        .join(format!("d.json.bak.{}.swctmp", std::process::id()));
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = {
        let (stop, planted, victim) = (stop.clone(), planted.clone(), victim.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::os::unix::fs::symlink(&victim, &planted);
            }
        })
    };
    let options = StoreOptions {
        durability: Durability::None,
        keep_backup: true,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({"n": 0}));
    for _ in 0..400 {
        store
            .update(|d| {
                d["n"] = json!(d["n"].as_i64().unwrap() + 1);
                Ok::<_, String>(())
            })
            .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    attacker.join().unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&victim), 0o600);
    assert!(!std::fs::symlink_metadata(dir.path().join("d.json.bak"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn corrupt_copies_keep_the_documents_mode() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("c.json");
    std::fs::write(&doc, "{\"secret\": ").unwrap();
    std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let options = StoreOptions {
        on_corrupt: CorruptPolicy::Default,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
    store.update(|_| Ok::<_, String>(())).unwrap();
    let copy = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .unwrap()
        .path();
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(std::fs::read_to_string(copy).unwrap(), "{\"secret\": ");
}

#[test]
fn lock_holder_is_read_through_the_lock_not_a_swapped_path() {
    let p = Project::new();
    let doc = p.path().join("d.json");
    let secret = p.write("secret.txt", "TOPSECRET");
    let store: JsonStore<Value> = JsonStore::open(&doc, StoreOptions::default(), || json!({}));
    let txn = store.begin().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args([
            "store",
            "update",
            "d.json",
            "--incr",
            "/n",
            "--timeout",
            "1.5",
        ])
        .current_dir(p.path())
        .env_remove("SWARMCHECK_METRICS")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Swap the lock path for a symlink to a secret while the child waits.
    let link = p.path().join("swap");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    std::fs::rename(&link, p.path().join("d.json.lock")).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(txn);
    let err = stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(err.contains("timed out"), "{err}");
    assert!(!err.contains("TOPSECRET"), "{err}");
    assert!(err.contains("pid="), "{err}");
}

#[test]
fn hard_linked_or_special_lock_files_are_refused() {
    let p = Project::new();
    let victim = p.write("victim.txt", "first bytes matter");
    std::fs::hard_link(&victim, p.path().join("h.json.lock")).unwrap();
    let out = p.run(&["store", "update", "h.json", "--incr", "/n"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("hard links"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "first bytes matter"
    );
}

#[test]
fn long_document_names_can_be_updated() {
    let p = Project::new();
    let name = format!("{}.json", "n".repeat(240));
    let out = p.run(&["store", "update", &name, "--incr", "/n"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
