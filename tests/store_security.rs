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

/// `store update d.json --incr /n --timeout 1.5` in `dir`, started while the test holds the lock.
fn wait_for_lock_of(dir: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args([
            "store",
            "update",
            "d.json",
            "--incr",
            "/n",
            "--timeout",
            "1.5",
        ])
        .current_dir(dir)
        .env_remove("SWARMCHECK_METRICS")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The waiting update timed out, and its message shows nothing of the secret; returns stderr.
fn assert_timed_out_without_secret(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert_eq!(code(out), 2, "{err}");
    assert!(err.contains("timed out"), "{err}");
    assert!(!err.contains("TOPSECRET"), "{err}");
    err
}

#[test]
fn lock_holder_is_read_through_the_lock_not_a_swapped_path() {
    let p = Project::new();
    let doc = p.path().join("d.json");
    let secret = p.write("secret.txt", "TOPSECRET");
    let store: JsonStore<Value> = JsonStore::open(&doc, StoreOptions::default(), || json!({}));
    let txn = store.begin().unwrap();
    let child = wait_for_lock_of(p.path());
    std::thread::sleep(std::time::Duration::from_millis(500));
    // Swap the lock path for a symlink to a secret while the child waits.
    let link = p.path().join("swap");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    std::fs::rename(&link, p.path().join("d.json.lock")).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(txn);
    let err = assert_timed_out_without_secret(&out);
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

// ---------------------------------------------------------------------------------------------
// The same attacks, run by another user. CI runs as root: the attacker is this test binary
// re-run as `nobody` (uid and gid 65534, no supplementary groups), in a directory both can
// write to. Without root (no way to become another user), these tests say so and skip.

const NOBODY: u32 = 65534;
/// Set in the attacker's environment: what it does.
const ATTACK: &str = "SWC_SECOND_USER_ATTACK";

/// The attacker's side, run only in the re-run process (a no-op in a normal test run).
#[test]
fn second_user_attacker() {
    let Ok(attack) = std::env::var(ATTACK) else {
        return;
    };
    let dir = std::path::PathBuf::from(std::env::var("SWC_DIR").unwrap());
    let stop = dir.join("stop");
    // SAFETY: getuid/getgid have no preconditions.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    println!("ATTACK uid={uid} gid={gid}");
    let started = std::time::Instant::now();
    let mut names = std::collections::BTreeSet::new();
    let (mut opened, mut swapped) = (0u64, 0u64);
    let mut leaked = std::collections::BTreeSet::new();
    let marker = std::env::var("SWC_MARKER").unwrap_or_default();
    let victim = dir.join("victim.txt");
    println!("ATTACK ready");
    while !stop.exists() && started.elapsed() < std::time::Duration::from_secs(60) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            names.insert(name.clone());
            match attack.as_str() {
                // Read every file the victim's store has in the directory, as it appears.
                "read" => {
                    if let Ok(bytes) = std::fs::read(entry.path()) {
                        opened += 1;
                        if !marker.is_empty()
                            && bytes.windows(marker.len()).any(|w| w == marker.as_bytes())
                        {
                            leaked.insert(name);
                        }
                    }
                }
                // Swap each temp or staging file for a symlink to the victim, so that anything
                // done by path afterwards (chmod, reopen, copy) lands on the victim.
                "plant" if name.ends_with(".swctmp") => {
                    let link = dir.join(format!("link-{}", std::process::id()));
                    let _ = std::fs::remove_file(&link);
                    if std::os::unix::fs::symlink(&victim, &link).is_ok()
                        && std::fs::rename(&link, entry.path()).is_ok()
                    {
                        swapped += 1;
                    }
                }
                _ => {}
            }
        }
    }
    println!(
        "ATTACK names={} opened={opened} swapped={swapped} leaked={}",
        names.len(),
        leaked.into_iter().collect::<Vec<_>>().join(",")
    );
}

/// A running attacker (this test binary as `nobody`), or `None` (with the reason printed) when
/// this process cannot become another user.
fn start_attacker(
    attack: &str,
    dir: &std::path::Path,
    marker: &str,
) -> Option<std::process::Child> {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: not root, so no way to run the attacker as another user");
        return None;
    }
    let spawned = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "second_user_attacker",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ATTACK, attack)
        .env("SWC_DIR", dir)
        .env("SWC_MARKER", marker)
        // Drops root: setgroups(0), setgid, setuid before exec.
        .uid(NOBODY)
        .gid(NOBODY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            println!("SKIPPED: cannot start a process as uid {NOBODY}: {e}");
            return None;
        }
    };
    // Wait until the attacker runs (and check it really is the other user).
    use std::io::BufRead;
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut ready = false;
    while !ready && out.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("ATTACK uid=") {
            assert_eq!(line.trim(), format!("ATTACK uid={NOBODY} gid={NOBODY}"));
        }
        ready = line.starts_with("ATTACK ready");
        line.clear();
    }
    assert!(ready, "the attacker did not start");
    child.stdout = Some(out.into_inner());
    Some(child)
}

/// Stops the attacker and returns its report: (names seen, files opened, swaps, leaked names).
fn stop_attacker(child: std::process::Child, dir: &std::path::Path) -> (u64, u64, u64, String) {
    std::fs::write(dir.join("stop"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = text
        .lines()
        .find_map(|l| l.strip_prefix("ATTACK names="))
        .unwrap_or_else(|| panic!("no report from the attacker: {text}"));
    let field = |key: &str| -> String {
        report
            .split(' ')
            .find_map(|f| f.strip_prefix(key))
            .unwrap_or_default()
            .to_string()
    };
    let names: u64 = report.split(' ').next().unwrap().parse().unwrap();
    (
        names,
        field("opened=").parse().unwrap(),
        field("swapped=").parse().unwrap(),
        field("leaked="),
    )
}

/// A directory the other user can write to: mode 0777 without the sticky bit, so the kernel's
/// protections for sticky world-writable directories (`protected_symlinks`) do not help the
/// store; its own care must.
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

#[test]
fn another_user_reads_nothing_of_a_private_document_while_it_is_written() {
    let dir = shared_dir();
    let marker = "TOPSECRET-7f3a";
    let doc = dir.path().join("secret.json");
    std::fs::write(&doc, format!("{{\"token\": \"{marker}\"}}")).unwrap();
    std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o600)).unwrap();
    // A world-readable file in the same directory shows that the attacker can read what it may.
    let public = format!("PUBLIC-{marker}");
    std::fs::write(dir.path().join("public.txt"), &public).unwrap();
    let Some(attacker) = start_attacker("read", dir.path(), marker) else {
        return;
    };
    let options = StoreOptions {
        durability: Durability::File,
        keep_backup: true,
        on_corrupt: CorruptPolicy::Backup,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({}));
    let payload = "s".repeat(1 << 20);
    for i in 0..40 {
        store
            .update(|d| {
                d["token"] = json!(format!("{marker}{payload}{i}"));
                Ok::<_, String>(())
            })
            .unwrap();
        if i % 10 == 9 {
            // A corrupt generation: its preserved copy holds the secret too.
            std::fs::write(&doc, format!("{{\"token\": \"{marker}{i}")).unwrap();
        }
    }
    let (names, opened, _, leaked) = stop_attacker(attacker, dir.path());
    println!("the other user saw {names} names and opened {opened} files");
    // The attacker ran and read what it was allowed to (the public file): the test is not
    // vacuous. It saw the store's files (document, lock, backup, corrupt copies, temp files)...
    assert!(opened > 0 && names >= 5, "names {names}, opened {opened}");
    // ...and none of them gave it the secret.
    assert_eq!(
        leaked, "public.txt",
        "the other user read the secret from {leaked}"
    );
    let copies = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .count();
    assert!(copies >= 3, "corrupt copies: {copies}");
}

#[test]
fn another_user_cannot_redirect_writes_by_swapping_temp_files_for_symlinks() {
    let dir = shared_dir();
    let doc = dir.path().join("d.json");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    let Some(attacker) = start_attacker("plant", dir.path(), "") else {
        return;
    };
    let options = StoreOptions {
        durability: Durability::File,
        keep_backup: true,
        ..StoreOptions::default()
    };
    let store: JsonStore<Value> = JsonStore::open(&doc, options, || json!({"n": 0}));
    let payload = "p".repeat(1 << 19);
    let mut failed = 0;
    for i in 0..150 {
        // The attacker may make an update fail (it can delete the document anyway); it must
        // never make one write, copy or re-mode another file. (A swapped temp file renamed
        // over the document leaves it a symlink to the victim; start each round without it.)
        // The document has a mode of its own, so every temp file is given it (on the
        // descriptor: given by path, it would land on the victim).
        if !std::fs::symlink_metadata(&doc).is_ok_and(|m| m.file_type().is_file()) {
            let _ = std::fs::remove_file(&doc);
            std::fs::write(&doc, "{}").unwrap();
            std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        failed += store
            .update(|d| {
                *d = json!({"n": i, "pad": payload});
                Ok::<_, String>(())
            })
            .is_err() as u32;
    }
    let (_, _, swapped, _) = stop_attacker(attacker, dir.path());
    println!("{swapped} temp files swapped for symlinks, {failed} updates failed");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&victim), 0o600);
}

#[test]
fn another_user_cannot_make_a_timeout_message_print_a_file_it_cannot_read() {
    let p = Project::new();
    std::fs::set_permissions(p.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let secret = p.write("secret.txt", "TOPSECRET-lock");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let doc = p.path().join("d.json");
    let store: JsonStore<Value> = JsonStore::open(&doc, StoreOptions::default(), || json!({}));
    let txn = store.begin().unwrap();
    let child = wait_for_lock_of(p.path());
    std::thread::sleep(std::time::Duration::from_millis(400));
    // The other user swaps the lock path for a symlink to the secret while the victim waits.
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("SKIPPED: not root, so no way to swap the lock file as another user");
        drop(txn);
        let _ = child.wait_with_output();
        return;
    }
    let swap = std::process::Command::new("sh")
        .args(["-c", "ln -s secret.txt swap && mv -f swap d.json.lock"])
        .current_dir(p.path())
        .uid(NOBODY)
        .gid(NOBODY)
        .status();
    match swap {
        Ok(status) => assert!(
            status.success(),
            "the other user could not swap the lock file"
        ),
        Err(e) => {
            println!("SKIPPED: cannot start a process as uid {NOBODY}: {e}");
            drop(txn);
            let _ = child.wait_with_output();
            return;
        }
    }
    assert!(std::fs::symlink_metadata(p.path().join("d.json.lock"))
        .unwrap()
        .file_type()
        .is_symlink());
    let out = child.wait_with_output().unwrap();
    drop(txn);
    assert_timed_out_without_secret(&out);
    // A new run refuses the planted symlink instead of reading or locking through it.
    let again = p.run(&[
        "store",
        "update",
        "d.json",
        "--incr",
        "/n",
        "--timeout",
        "1",
    ]);
    assert_eq!(code(&again), 2, "{}", stderr(&again));
    assert!(!stderr(&again).contains("TOPSECRET"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "TOPSECRET-lock");
}
