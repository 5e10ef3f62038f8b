//! Atomic, durable commits: a unique temporary file in the document's directory (created with
//! `O_EXCL`, never following symlinks), fsync, rename over the document, fsync the directory.

use super::error::{io_code, is_transient, StoreError};
use super::lock::Jitter;
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

/// The document's name as used in its temp names: at most `TEMP_STEM_MAX` bytes, so that a
/// long document name (up to the 255 bytes of `NAME_MAX`) still leaves room for the suffix.
fn file_name(doc: &Path) -> String {
    let name = doc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "document".to_string());
    let mut end = name.len().min(TEMP_STEM_MAX);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// Longest document-name prefix in temp names (`.<name>.<pid>-<16 hex>.swctmp` adds 35 bytes).
const TEMP_STEM_MAX: usize = 160;

/// The permission bits of a file, to give its replacement.
pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        0o644
    }
}

/// Creates a new file (`O_CREAT|O_EXCL|O_NOFOLLOW`: never an existing file or a symlink's
/// target). With `mode`, it is created readable by its owner only and given `mode` on the
/// descriptor before any data is written, so the data is never more readable than the
/// document it copies; without, it gets 0644 less the umask (a new document).
pub fn create_private(path: &Path, mode: Option<u32>) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(if mode.is_some() { 0o600 } else { 0o644 });
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        // fchmod on the descriptor: a file swapped in at the path is never touched.
        if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(mode)) {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
    }
    Ok(file)
}

/// A fresh temp name next to the document: `.<name>.<pid>-<16 random hex digits>.swctmp`.
fn temp_name(doc: &Path) -> PathBuf {
    dir_of(doc).join(format!(
        ".{}.{}-{:016x}{TEMP_SUFFIX}",
        file_name(doc),
        std::process::id(),
        super::files::random_u64()
    ))
}

/// A fresh, unique temporary file next to the document, unpredictably named, with the
/// document's permissions from the start.
fn create_temp(doc: &Path, mode: Option<u32>) -> Result<(PathBuf, std::fs::File), StoreError> {
    let dir = dir_of(doc);
    for _ in 0..16 {
        let candidate = temp_name(doc);
        match create_private(&candidate, mode) {
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
    pinned: Option<&std::fs::File>,
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
    // The new generation keeps the permissions of the one read (a 0600 file stays 0600), taken
    // from the open descriptor and given to the temp file before it holds any data.
    let mode = pinned.and_then(|f| f.metadata().ok()).map(|m| mode_of(&m));
    let mut attempt = 0;
    let tmp = loop {
        attempt += 1;
        let (tmp, mut file) = create_temp(doc, mode)?;
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
    let dir_lock = lock_dir(dir_of(doc));
    if generation(doc) != expected {
        let _ = std::fs::remove_file(&tmp);
        return Err(StoreError::Conflict {
            path: doc.to_path_buf(),
        });
    }
    if let (true, Some(current)) = (keep_backup, pinned) {
        if let Err(e) = backup(doc, current, mode) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
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

/// `<doc>.bak` becomes the current generation (`current`, the file read and still open): a
/// hard link under a fresh unpredictable temp name, checked to be that very file, renamed into
/// place; where links are not possible, a copy made through the descriptors into a file
/// created new with the document's permissions. Staging names are temp names, so a crash
/// leaves an orphan that the next update sweeps.
fn backup(doc: &Path, current: &std::fs::File, mode: Option<u32>) -> Result<(), StoreError> {
    let bak = sibling(doc, ".bak");
    let expected = current
        .metadata()
        .map(|m| super::lock::metadata_identity(&m))
        .map_err(|e| StoreError::io(doc, "stat document", e))?;
    let mut staged = None;
    for _ in 0..16 {
        let staging = temp_name(doc);
        match std::fs::hard_link(doc, &staging) {
            Ok(()) => {
                if super::lock::path_identity(&staging) == Some(expected) {
                    staged = Some(staging);
                } else {
                    // The path no longer names the file we read: copy from the descriptor.
                    let _ = std::fs::remove_file(&staging);
                }
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => break,
        }
    }
    let staging = match staged {
        Some(s) => s,
        None => {
            let (staging, mut copy) = create_temp(doc, mode)?;
            use std::io::{Seek, SeekFrom};
            let mut source = current;
            let copied = source
                .seek(SeekFrom::Start(0))
                .and_then(|_| std::io::copy(&mut source, &mut copy))
                .and_then(|_| copy.sync_data());
            if let Err(e) = copied {
                let _ = std::fs::remove_file(&staging);
                return Err(StoreError::io(&staging, "copy backup", e));
            }
            staging
        }
    };
    std::fs::rename(&staging, &bak).map_err(|e| {
        let _ = std::fs::remove_file(&staging);
        StoreError::io(&bak, "rename backup", e)
    })
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
    // A signal handler without SA_RESTART interrupts the wait: take the lock all the same
    // (giving up would commit without the compare-and-swap's protection).
    loop {
        match f.lock() {
            Ok(()) => return Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
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
