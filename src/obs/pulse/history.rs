//! Pulse history: one JSON line per `swarm.pulse --record`, read back by `slo` for time-slice
//! objectives on agents.

use super::{Pulse, PulseError, PulseState, Totals};
use crate::obs::load::parse_time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// Each agent's state at the snapshot, for the per-agent timeline of the HTML report.
    /// Lines written before this field existed have none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub states: BTreeMap<String, PulseState>,
}

impl Snapshot {
    pub fn of(pulse: &Pulse) -> Snapshot {
        Snapshot {
            v: 1,
            ts: pulse.now.clone(),
            totals: pulse.totals,
            tasks_in_progress: pulse.tasks_in_progress,
            states: pulse
                .agents
                .iter()
                .map(|a| (a.id.clone(), a.state))
                .collect(),
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
    /// Per-agent states of the snapshots that recorded them, oldest first.
    pub states: Vec<(i64, BTreeMap<String, PulseState>)>,
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
                Some(ms) => {
                    history.snapshots.push((ms, s.totals));
                    if !s.states.is_empty() {
                        history.states.push((ms, s.states));
                    }
                }
                None => history
                    .malformed
                    .push((i + 1, format!("unreadable time `{}`", s.ts))),
            },
            Err(e) => history.malformed.push((i + 1, e.to_string())),
        }
    }
    history.snapshots.sort_by_key(|(ms, _)| *ms);
    history.states.sort_by_key(|(ms, _)| *ms);
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_recorded_and_old_lines_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pulse.jsonl");
        let old = r#"{"v":1,"ts":"2026-11-20T10:00:00Z","agents":1,"active":1,"idle":0,"stale":0,"blocked":0,"done":0,"unknown":0}"#;
        let new = r#"{"v":1,"ts":"2026-11-20T11:00:00Z","agents":2,"active":1,"idle":0,"stale":0,"blocked":0,"done":0,"unknown":1,"states":{"a":"active","b":"dreaming"}}"#;
        std::fs::write(&path, format!("{new}\n{old}\n")).unwrap();
        let h = load_history(&path).unwrap();
        assert!(h.malformed.is_empty(), "{:?}", h.malformed);
        assert_eq!(h.snapshots.len(), 2);
        assert!(h.snapshots[0].0 < h.snapshots[1].0, "oldest first");
        assert_eq!(h.states.len(), 1, "only the new line has states");
        let states = &h.states[0].1;
        assert_eq!(states["a"], PulseState::Active);
        // A state this version does not know reads as unknown rather than dropping the line.
        assert_eq!(states["b"], PulseState::Unknown);
    }
}
