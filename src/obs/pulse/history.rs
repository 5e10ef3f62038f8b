//! Pulse history: one JSON line per `swarm.pulse --record`, read back by `slo` for time-slice
//! objectives on agents and for the memory and handle objectives on their processes.
//!
//! Line versions: 1 has the agent totals and states; 2 adds `processes`, one sample of each
//! agent process. Both load, and a line without a field reads as empty.

use super::{Pulse, PulseError, PulseState, Totals};
use crate::obs::load::parse_time;
use crate::obs::process::ProcessSample;
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
    /// Each sampled process at the snapshot (version 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<ProcessSample>,
}

/// The version of the lines this build writes.
pub const HISTORY_VERSION: u32 = 2;

impl Snapshot {
    pub fn of(pulse: &Pulse) -> Snapshot {
        Snapshot {
            v: HISTORY_VERSION,
            ts: crate::obs::fmt::fmt_ms_exact(pulse.now_ms),
            totals: pulse.totals,
            tasks_in_progress: pulse.tasks_in_progress,
            states: pulse
                .agents
                .iter()
                .map(|a| (a.id.clone(), a.state))
                .collect(),
            processes: pulse.processes.clone(),
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
    /// Process samples with their snapshot's time, oldest first.
    pub processes: Vec<(i64, ProcessSample)>,
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
                    history
                        .processes
                        .extend(s.processes.into_iter().map(|p| (ms, p)));
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
    history.processes.sort_by_key(|(ms, _)| *ms);
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

    #[test]
    fn version_2_lines_carry_process_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pulse.jsonl");
        let v1 = r#"{"v":1,"ts":"2026-11-20T10:00:00Z","agents":0,"active":0,"idle":0,"stale":0,"blocked":0,"done":0,"unknown":0}"#;
        let v2 = r#"{"v":2,"ts":"2026-11-20T10:01:00Z","agents":0,"active":0,"idle":0,"stale":0,"blocked":0,"done":0,"unknown":0,"processes":[{"name":"Agent-1","pid":42,"started":"2026-11-20T09:00:00Z","rss_bytes":1048576,"fds":7}]}"#;
        std::fs::write(&path, format!("{v1}\n{v2}\n")).unwrap();
        let h = load_history(&path).unwrap();
        assert!(h.malformed.is_empty(), "{:?}", h.malformed);
        assert_eq!(h.snapshots.len(), 2);
        assert_eq!(h.processes.len(), 1);
        let (t, p) = &h.processes[0];
        assert_eq!(*t, parse_time("2026-11-20T10:01:00Z").unwrap());
        assert_eq!((p.pid, p.rss_bytes, p.fds), (42, 1 << 20, Some(7)));
        // Written back, a sample keeps its fields and leaves out the unknown ones.
        let line = serde_json::to_string(p).unwrap();
        assert!(!line.contains("pss_bytes"), "{line}");
    }
}
