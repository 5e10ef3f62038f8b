//! The metrics event log: one JSON line per store operation, appended with a single `write` on
//! an `O_APPEND` handle after the lock is released. Best effort: a failure to log never fails
//! the operation. Schema version 1 (documented in the README); `lock.report` and `slo` read it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One operation on a document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Schema version: 1.
    pub v: u32,
    /// When the operation ended, UTC, RFC 3339.
    pub ts: String,
    /// `update`, `read`, `recover` or `cleanup`.
    pub op: String,
    pub path: String,
    pub pid: u32,
    /// Attempts at the lock (1 when it was free at once).
    pub attempts: u32,
    /// Time waiting for the lock.
    pub wait_ms: f64,
    /// Time holding the lock.
    pub hold_ms: f64,
    /// Time in file I/O (read, write, fsync, rename).
    pub io_ms: f64,
    /// Bytes written (update) or read (read).
    pub bytes: u64,
    /// `none`, `file` or `full`.
    pub durability: String,
    /// `ok`, `timeout`, `error`, `recovered` or `aborted`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Retries by cause (`WIN32_32`, `EINTR`, `FSYNC_EIO`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retries: BTreeMap<String, u32>,
}

/// Appends `event` to the log at `path` as one line. Returns whether it was written.
pub fn append(path: &Path, event: &Event) -> bool {
    let Ok(mut line) = serde_json::to_vec(event) else {
        return false;
    };
    line.push(b'\n');
    // Never blocks on a FIFO and never writes into a device: a log is a regular file.
    let file = super::files::open_append(path);
    match file {
        // One write call: concurrent appenders' lines never interleave (O_APPEND).
        Ok(mut f) => f.write_all(&line).is_ok(),
        Err(_) => false,
    }
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
