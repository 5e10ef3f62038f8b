//! Atomic, durable commits: a unique temporary file in the document's directory (created with
//! `O_EXCL`, never following symlinks), fsync, rename over the document, fsync the directory.

use super::error::{io_code, is_transient, StoreError};
use super::lock::{open_no_follow, Jitter};
use super::Durability;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Temp files of this store end with this, so orphans can be told from user files.
const TEMP_SUFFIX: &str = ".swctmp";
/// Fresh temp files tried after an fsync failure (a failed fsync is never retried).
const FSYNC_ATTEMPTS: u32 = 3;
/// Retries of a rename that failed with a transient error.
const RENAME_ATTEMPTS: u32 = 10;

#[derive(Debug, Default)]
pub struct CommitStats {
    pub io: Duration,
    pub bytes: u64,
    pub retries: BTreeMap<String, u32>,
}

fn dir_of(doc: &Path) -> &Path {
    match doc.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(doc: &Path) -> String {
    doc.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document".to_string())
}

/// A fresh, unique temporary file next to the document.
fn create_temp(doc: &Path, jitter: &mut Jitter) -> Result<(PathBuf, std::fs::File), StoreError> {
    let dir = dir_of(doc);
    let name = file_name(doc);
    for _ in 0..16 {
        let candidate = dir.join(format!(
            ".{name}.{}-{:016x}{TEMP_SUFFIX}",
            std::process::id(),
            jitter.next_u64()
        ));
        match open_no_follow(&candidate, true) {
            Ok(f) => return Ok((candidate, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::io(&candidate, "create temp file", e)),
        }
    }
    Err(StoreError::io(
        dir,
        "create temp file",
        std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free temporary name"),
    ))
}

/// Writes `bytes` as the new content of `doc`, atomically, provided the document is still the
/// generation `expected` (its identity when it was read; `None` when it did not exist).
///
/// The check and the rename happen under a short exclusive lock on the directory (Unix), so
/// they form one compare-and-swap: even if the sidecar lock was defeated (its file deleted
/// while held), two writers cannot both replace the generation they read.
pub fn commit(
    doc: &Path,
    bytes: &[u8],
    durability: Durability,
    keep_backup: bool,
    expected: Option<Generation>,
) -> Result<CommitStats, StoreError> {
    let started = Instant::now();
    let mut stats = CommitStats {
        bytes: bytes.len() as u64,
        ..CommitStats::default()
    };
    let mut jitter = Jitter::new();
    let mut attempt = 0;
    let tmp = loop {
        attempt += 1;
        let (tmp, mut file) = create_temp(doc, &mut jitter)?;
        if let Err(e) = file.write_all(bytes) {
            let _ = std::fs::remove_file(&tmp);
            return Err(StoreError::io(&tmp, "write temp file", e));
        }
        if durability == Durability::None {
            break tmp;
        }
        // fdatasync: the data and the size of the new file; its other metadata (times) need
        // not reach the disk for the document to be readable after a power loss.
        match file.sync_data() {
            Ok(()) => break tmp,
            Err(e) => {
                // The page cache may have dropped the dirty pages: a second fsync of the same file
                // can report success for data that never reached the disk. Start over.
                let _ = std::fs::remove_file(&tmp);
                let code = io_code(&e, "fsync");
                *stats.retries.entry(code).or_default() += 1;
                if attempt >= FSYNC_ATTEMPTS {
                    return Err(StoreError::io(&tmp, "fsync temp file", e));
                }
            }
        }
    };
    // The new generation keeps the document's permissions (a 0600 file stays 0600).
    if let Ok(meta) = std::fs::metadata(doc) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    let dir_lock = lock_dir(dir_of(doc));
    if generation(doc) != expected {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Conflict {
            path: doc.to_path_buf(),
        });
    }
    if keep_backup && doc.exists() {
        backup(doc)?;
    }
    let mut step = Duration::from_millis(1);
    let mut renamed = 0;
    loop {
        match std::fs::rename(&tmp, doc) {
            Ok(()) => break,
            Err(e) if is_transient(&e) && renamed < RENAME_ATTEMPTS => {
                renamed += 1;
                *stats.retries.entry(io_code(&e, "rename")).or_default() += 1;
                std::thread::sleep(jitter.up_to(step));
                step = (step * 2).min(Duration::from_millis(100));
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(StoreError::io(doc, "rename temp file over", e));
            }
        }
    }
    if durability == Durability::Full {
        match &dir_lock {
            Some(dir) => dir.sync_all(),
            None => sync_dir(dir_of(doc)),
        }
        .map_err(|e| StoreError::io(dir_of(doc), "fsync directory", e))?;
    }
    drop(dir_lock);
    stats.io = started.elapsed();
    Ok(stats)
}

/// `<doc>.bak` becomes the current generation: a hard link (no copy) renamed into place.
fn backup(doc: &Path) -> Result<(), StoreError> {
    let bak = sibling(doc, ".bak");
    let staging = sibling(doc, &format!(".bak.{}{TEMP_SUFFIX}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    if std::fs::hard_link(doc, &staging).is_err() {
        std::fs::copy(doc, &staging).map_err(|e| StoreError::io(&staging, "copy backup", e))?;
    }
    std::fs::rename(&staging, &bak).map_err(|e| StoreError::io(&bak, "rename backup", e))
}

/// `<doc><suffix>` in the same directory.
pub fn sibling(doc: &Path, suffix: &str) -> PathBuf {
    let mut name = doc.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// An exclusive lock on the directory, held for the compare-and-swap of a commit (released
/// when the returned file is dropped). Best effort: without it the sidecar lock still excludes.
#[cfg(unix)]
fn lock_dir(dir: &Path) -> Option<std::fs::File> {
    let f = std::fs::File::open(dir).ok()?;
    f.lock().ok()?;
    Some(f)
}

#[cfg(not(unix))]
fn lock_dir(_dir: &Path) -> Option<std::fs::File> {
    None
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows has no directory fsync; the rename is made durable by NTFS's journal.
    Ok(())
}

/// What identifies one generation of a document: its inode, plus its modification time and
/// size, because a freed inode is soon reused (A replaces X by Y, C's temp file gets X's inode:
/// without the time, a writer that read X would see "X" again and overwrite two updates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generation {
    id: (u64, u64),
    modified_ns: u128,
    len: u64,
}

/// The generation of the document at `doc`, or `None` when there is no document.
pub fn generation(doc: &Path) -> Option<Generation> {
    std::fs::symlink_metadata(doc)
        .ok()
        .map(|m| generation_of(&m))
}

/// The generation a file's metadata describes.
pub fn generation_of(meta: &std::fs::Metadata) -> Generation {
    Generation {
        id: super::lock::metadata_identity(meta),
        modified_ns: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos()),
        len: meta.len(),
    }
}

/// The writer's pid in `<pid>-<16 hex digits>`, the variable part of this document's temp names
/// (so the temp files of `state.v2` are not mistaken for those of `state`).
fn temp_writer_pid(stem: &str) -> Option<u32> {
    let (pid, random) = stem.split_once('-')?;
    let valid = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| pid.parse().ok()).flatten()
}

/// Whether a process still runs: its temp file may be a commit in progress (the lock is meant
/// to prevent that, but a deleted lock file can let two writers in), so it is not an orphan.
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(pid: u32) -> bool {
    // Without a cheap liveness check, only this process's own temp files are known to be live.
    pid == std::process::id()
}

/// Removes temp files left by writers that crashed mid-commit. Call only while holding the
/// lock: no live writer can be between creating and renaming its temp file then.
pub fn remove_orphans(doc: &Path) -> usize {
    let prefix = format!(".{}.", file_name(doc));
    let Ok(entries) = std::fs::read_dir(dir_of(doc)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_orphan = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .and_then(temp_writer_pid)
            .is_some_and(|pid| !process_alive(pid));
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_orphan && is_file && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}
