//! Pulse history: one JSON line per `swarm.pulse --record`, read back by `slo` for time-slice
//! objectives on agents.

use super::{Pulse, PulseError, Totals};
use crate::obs::load::parse_time;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One line of a pulse history (`swarm.pulse --record`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub v: u32,
    pub ts: String,
    #[serde(flatten)]
    pub totals: Totals,
    #[serde(default)]
    pub tasks_in_progress: u64,
}

impl Snapshot {
    pub fn of(pulse: &Pulse) -> Snapshot {
        Snapshot {
            v: 1,
            ts: pulse.now.clone(),
            totals: pulse.totals,
            tasks_in_progress: pulse.tasks_in_progress,
        }
    }
}

/// Appends one snapshot line with a single `write` on an `O_APPEND` file, so concurrent
/// recorders never interleave within a line.
pub fn record(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    use std::io::Write;
    let mut line = serde_json::to_vec(snapshot).expect("serializable");
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(&line)
}

/// Snapshots with parsed times, oldest first, and the lines that could not be read.
#[derive(Debug, Default)]
pub struct History {
    pub snapshots: Vec<(i64, Totals)>,
    pub malformed: Vec<(usize, String)>,
}

pub fn load_history(path: &Path) -> Result<History, PulseError> {
    let bytes = crate::store::files::read_regular(path, 1 << 30).map_err(|e| PulseError {
        path: path.to_path_buf(),
        reason: format!("pulse history: {e}"),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut history = History::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Snapshot>(line) {
            Ok(s) => match parse_time(&s.ts) {
                Some(ms) => history.snapshots.push((ms, s.totals)),
                None => history
                    .malformed
                    .push((i + 1, format!("unreadable time `{}`", s.ts))),
            },
            Err(e) => history.malformed.push((i + 1, e.to_string())),
        }
    }
    history.snapshots.sort_by_key(|(ms, _)| *ms);
    Ok(history)
}
