//! Errors of the store. Each names the document and says what happened.

use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The lock was not acquired within the timeout.
    #[error("timed out after {:.3}s waiting for the lock on {} ({}){}", waited.as_secs_f64(), path.display(), lock_path.display(), holder.as_ref().map(|h| format!("; held by {h}")).unwrap_or_default())]
    LockTimeout {
        path: PathBuf,
        lock_path: PathBuf,
        waited: Duration,
        /// `pid=... host=... since=...` from the lock file, when readable.
        holder: Option<String>,
    },
    /// The document is not valid JSON (or not valid UTF-8, or empty). Its bytes were preserved.
    #[error("{} is corrupt at byte {offset}: {reason}; its bytes were preserved as {}", path.display(), preserved_as.display())]
    Corrupt {
        path: PathBuf,
        offset: usize,
        reason: String,
        preserved_as: PathBuf,
    },
    /// The document is not valid JSON, and its bytes could not be preserved (a full or
    /// read-only disk): nothing was changed.
    #[error("{} is corrupt at byte {offset}: {reason}; its bytes could not be preserved ({cause}), so nothing was changed", path.display())]
    CorruptNotPreserved {
        path: PathBuf,
        offset: usize,
        reason: String,
        cause: String,
    },
    /// A file the store uses is not what it must be (not a regular file, or hard-linked).
    #[error("refusing {}: {reason}", path.display())]
    UnsafeFile { path: PathBuf, reason: String },
    /// The document parsed as JSON but not as the requested type.
    #[error("{} does not hold the expected document: {reason}", path.display())]
    Schema { path: PathBuf, reason: String },
    /// The lock file was deleted or replaced while the update held it, and the document changed
    /// meanwhile: the update was not applied (applying it would lose the other change).
    #[error("the lock file of {} was deleted while this update held it, and the document changed meanwhile: the update was not applied; retry it", path.display())]
    Conflict { path: PathBuf },
    /// `update` called again on the same document by the thread that already holds its lock.
    #[error("nested update of {} from the thread that already holds its lock (it would deadlock)", path.display())]
    NestedUpdate { path: PathBuf },
    /// The caller's interrupt check abandoned the wait for the lock (for example Ctrl-C in
    /// Python): nothing was read or written.
    #[error("the wait for the lock on {} was interrupted: {reason}; nothing was written", path.display())]
    Interrupted { path: PathBuf, reason: String },
    /// The closure of `update` failed: nothing was written.
    #[error("update of {} aborted: {message}; nothing was written", path.display())]
    Aborted { path: PathBuf, message: String },
    /// A PostgreSQL document's server or connection failed (`code` is `PG_<SQLSTATE>`,
    /// `PG_CONNECTION` or `PG_SCHEMA_VERSION`).
    #[error("{op} {}: {message}", path.display())]
    Database {
        path: PathBuf,
        op: &'static str,
        message: String,
        code: String,
    },
    /// The document is on a network filesystem, where an OS file lock does not exclude other
    /// hosts (and client caches can serve stale data).
    #[error("{} is on a network filesystem ({filesystem}): a file lock there does not exclude processes on other hosts, and client caches can return a stale document to a locked update. Keep the document on a local disk, or use the PostgreSQL backend (postgresql://host/database?document=NAME) when the swarm spans hosts; allow-network-fs accepts the risk", path.display())]
    NetworkFilesystem {
        path: PathBuf,
        filesystem: &'static str,
    },
    /// An operating-system error, with the file and the operation.
    #[error("{op} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    pub fn io(path: &Path, op: &'static str, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    /// The normalized error code used in metrics events (`WIN32_32`, `EACCES`, `JSON_DECODE`, ...).
    pub fn code(&self) -> String {
        match self {
            StoreError::LockTimeout { .. } => "LOCK_TIMEOUT".to_string(),
            StoreError::Corrupt { .. } | StoreError::CorruptNotPreserved { .. } => {
                "JSON_DECODE".to_string()
            }
            StoreError::UnsafeFile { .. } => "UNSAFE_FILE".to_string(),
            StoreError::Schema { .. } => "JSON_SCHEMA".to_string(),
            StoreError::NestedUpdate { .. } => "NESTED_UPDATE".to_string(),
            StoreError::Conflict { .. } => "LOCK_FILE_REPLACED".to_string(),
            StoreError::Aborted { .. } => "ABORTED".to_string(),
            StoreError::Interrupted { .. } => "INTERRUPTED".to_string(),
            StoreError::Database { code, .. } => code.clone(),
            StoreError::NetworkFilesystem { .. } => "NETWORK_FS".to_string(),
            StoreError::Io { op, source, .. } => io_code(source, op),
        }
    }
}

/// `WIN32_<n>` on Windows, the errno name on Unix, with `FSYNC_` for fsync failures.
pub fn io_code(e: &std::io::Error, op: &str) -> String {
    let base = match e.raw_os_error() {
        #[cfg(windows)]
        Some(n) => format!("WIN32_{n}"),
        #[cfg(unix)]
        Some(n) => errno_name(n).map_or_else(|| format!("ERRNO_{n}"), str::to_string),
        #[cfg(not(any(unix, windows)))]
        Some(n) => format!("OS_{n}"),
        None => format!("{:?}", e.kind()).to_uppercase(),
    };
    if op.contains("fsync") {
        format!("FSYNC_{base}")
    } else {
        base
    }
}

#[cfg(unix)]
fn errno_name(n: i32) -> Option<&'static str> {
    Some(match n {
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::ENOSPC => "ENOSPC",
        libc::EDQUOT => "EDQUOT",
        libc::EINTR => "EINTR",
        libc::EAGAIN => "EAGAIN",
        libc::EROFS => "EROFS",
        libc::ELOOP => "ELOOP",
        libc::EEXIST => "EEXIST",
        libc::EBUSY => "EBUSY",
        libc::EXDEV => "EXDEV",
        _ => return None,
    })
}

/// Errors worth retrying while holding the lock: Windows sharing violations on rename (5, 32,
/// 33), EINTR, EAGAIN.
pub fn is_transient(e: &std::io::Error) -> bool {
    if e.kind() == std::io::ErrorKind::Interrupted || e.kind() == std::io::ErrorKind::WouldBlock {
        return true;
    }
    #[cfg(windows)]
    {
        matches!(e.raw_os_error(), Some(5 | 32 | 33))
    }
    #[cfg(not(windows))]
    {
        false
    }
}
