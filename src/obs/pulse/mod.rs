//! Agent pulse: which agents are working, from agent status files
//! (`agent_workspaces/Agent-*/status.json`) and orchestrator registries (`*REGISTRY*.json`).
//! Both are written by hand-rolled agents and disagree with each other, so every field is
//! optional and every oddity becomes a warning, never an error.

use super::load::parse_time;
use crate::obs::fmt::fmt_ms;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod history;
pub use history::{load_history, record, History, Snapshot};

/// What an agent's own status text says, mapped by [`classify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reported {
    Active,
    Idle,
    Blocked,
    Done,
    Unknown,
}

/// The state the pulse counts: an agent that says it is active but has not updated within
/// `--stale-after` is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PulseState {
    Active,
    Idle,
    Stale,
    Blocked,
    Done,
    /// Also what a history line's unrecognised state reads as.
    #[serde(other)]
    Unknown,
}

impl PulseState {
    pub const ALL: [PulseState; 6] = [
        PulseState::Active,
        PulseState::Idle,
        PulseState::Stale,
        PulseState::Blocked,
        PulseState::Done,
        PulseState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PulseState::Active => "active",
            PulseState::Idle => "idle",
            PulseState::Stale => "stale",
            PulseState::Blocked => "blocked",
            PulseState::Done => "done",
            PulseState::Unknown => "unknown",
        }
    }
}

const BLOCKED_WORDS: &[&str] = &[
    "BLOCKED", "ERROR", "ERRORED", "FAILED", "FAILURE", "STUCK", "CRASHED", "HUNG",
];
const DONE_WORDS: &[&str] = &[
    "COMPLETE",
    "COMPLETED",
    "DONE",
    "FINISHED",
    "TERMINATED",
    "STOPPED",
    "CANCELLED",
    "CANCELED",
    "EXITED",
    "KILLED",
];
const IDLE_WORDS: &[&str] = &[
    "IDLE",
    "REST",
    "RESTING",
    "READY",
    "STANDBY",
    "WAITING",
    "PAUSED",
    "SLEEPING",
    "INACTIVE",
    "INITIALIZED",
    "PENDING",
    "QUEUED",
];
const ACTIVE_WORDS: &[&str] = &[
    "ACTIVE",
    "RUNNING",
    "WORKING",
    "BUSY",
    "EXECUTING",
    "PROCESSING",
    "STARTED",
    "ONLINE",
];

/// Maps a free-text status to a state. The text is split into words at anything that is not a
/// letter or digit (`ACTIVE_AGENT_MODE` is ACTIVE, AGENT, MODE); the first group with a word in
/// it wins, in this order: blocked, done, idle, active. `IN_PROGRESS` counts as active.
pub fn classify(status: &str) -> Reported {
    let upper = status.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(BLOCKED_WORDS) {
        Reported::Blocked
    } else if has(DONE_WORDS) {
        Reported::Done
    } else if has(IDLE_WORDS) {
        Reported::Idle
    } else if has(ACTIVE_WORDS) || words.windows(2).any(|w| w == ["IN", "PROGRESS"]) {
        Reported::Active
    } else {
        Reported::Unknown
    }
}

/// How far ahead of now a timestamp may be before it is suspect (clock skew between hosts).
const FUTURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;

#[derive(Clone, Debug, Serialize)]
pub struct AgentRow {
    pub id: String,
    pub state: PulseState,
    pub reported: Reported,
    /// The status text as written.
    pub status: Option<String>,
    pub task: Option<String>,
    pub last_update: Option<String>,
    pub age_seconds: Option<i64>,
    /// `timestamp`, `mtime` (the file's modification time, used when the timestamp is
    /// missing, unparsable or in the future) or `none`.
    pub time_source: &'static str,
    pub suspect_timestamp: bool,
    pub source: String,
    /// `last_update` in Unix milliseconds.
    #[serde(skip)]
    pub updated_ms: Option<i64>,
    /// The agent's process, from a `pid` (or `process_id`) field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// When that process started, from `process_start_time` (or `pid_start_time`): a live pid
    /// that started at another time is not the agent's process.
    #[serde(skip)]
    pub process_start_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    pub agents: u64,
    pub active: u64,
    pub idle: u64,
    pub stale: u64,
    pub blocked: u64,
    pub done: u64,
    pub unknown: u64,
}

impl Totals {
    pub fn get(&self, state: PulseState) -> u64 {
        match state {
            PulseState::Active => self.active,
            PulseState::Idle => self.idle,
            PulseState::Stale => self.stale,
            PulseState::Blocked => self.blocked,
            PulseState::Done => self.done,
            PulseState::Unknown => self.unknown,
        }
    }

    fn add(&mut self, state: PulseState) {
        self.agents += 1;
        match state {
            PulseState::Active => self.active += 1,
            PulseState::Idle => self.idle += 1,
            PulseState::Stale => self.stale += 1,
            PulseState::Blocked => self.blocked += 1,
            PulseState::Done => self.done += 1,
            PulseState::Unknown => self.unknown += 1,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    pub file: String,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Pulse {
    pub now: String,
    #[serde(skip)]
    pub now_ms: i64,
    pub stale_after_seconds: i64,
    pub totals: Totals,
    /// Distinct tasks held by active agents.
    pub tasks_in_progress: u64,
    pub agents: Vec<AgentRow>,
    /// The agents' processes, sampled now (see `obs::sources`); empty when none is known or
    /// the pulse is evaluated at a pinned time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<crate::obs::process::ProcessSample>,
    pub warnings: Vec<Warning>,
    pub sources: Vec<String>,
}

impl Pulse {
    /// The newest update of any agent, for `health.ping`.
    pub fn newest_update_ms(&self) -> Option<i64> {
        self.agents.iter().filter_map(|a| a.updated_ms).max()
    }
}

/// A source that does not exist or cannot be listed (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("agent source {}: {reason}", path.display())]
pub struct PulseError {
    pub path: PathBuf,
    pub reason: String,
}

/// One agent as read from a file, before the clock is applied.
struct RawAgent {
    id: String,
    status: Option<String>,
    time_text: Option<String>,
    task: Option<String>,
    source: PathBuf,
    mtime_ms: Option<i64>,
    pid: Option<i32>,
    process_start: Option<String>,
}

/// Reads every agent source (directories are searched for `status.json` and `*registry*.json`
/// up to three levels deep) and computes the pulse at `now_ms`.
pub fn load(inputs: &[PathBuf], now_ms: i64, stale_after_s: i64) -> Result<Pulse, PulseError> {
    let mut warnings = Vec::new();
    let mut raw = Vec::new();
    let mut sources = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| PulseError {
            path: input.clone(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() && !meta.is_file() {
            // A FIFO or device named as a source: an error, never a read that blocks.
            return Err(PulseError {
                path: input.clone(),
                reason: format!(
                    "it is {}, not a status file, registry or directory",
                    crate::store::files::kind_of(&meta)
                ),
            });
        }
        let files = if meta.is_dir() {
            let found = discover(input);
            if found.is_empty() {
                warnings.push(Warning {
                    file: input.display().to_string(),
                    message: "no status.json or registry file found here".to_string(),
                });
            }
            found
        } else {
            vec![input.clone()]
        };
        for file in files {
            read_source(&file, &mut raw, &mut warnings);
            sources.push(file.display().to_string());
        }
    }
    Ok(evaluate(raw, warnings, sources, now_ms, stale_after_s))
}

fn discover(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .max_depth(Some(3))
        .follow_links(true)
        .build()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            name == "status.json" || (name.contains("registry") && name.ends_with(".json"))
        })
        .collect();
    out.sort();
    out
}

/// The largest agent status file or registry read.
const SOURCE_MAX_BYTES: u64 = 64 << 20;

fn read_source(path: &Path, raw: &mut Vec<RawAgent>, warnings: &mut Vec<Warning>) {
    let warn = |warnings: &mut Vec<Warning>, message: String| {
        warnings.push(Warning {
            file: path.display().to_string(),
            message,
        })
    };
    // Never blocks on a FIFO, never reads a device or more than a status file can hold.
    let bytes = match crate::store::files::read_regular(path, SOURCE_MAX_BYTES) {
        Ok(b) => b,
        Err(e) => return warn(warnings, format!("cannot read: {e}")),
    };
    let mtime_ms = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64);
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return warn(
                warnings,
                format!(
                    "unparsable JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        }
    };
    let Some(obj) = value.as_object() else {
        return warn(
            warnings,
            "not an agent status file or registry (expected a JSON object)".to_string(),
        );
    };
    match obj.get("agents") {
        Some(Value::Array(list)) => {
            for (i, agent) in list.iter().enumerate() {
                match agent.as_object() {
                    Some(a) => raw.push(registry_agent(a, None, obj, path, mtime_ms)),
                    None => warn(warnings, format!("agents[{i}] is not an object; skipped")),
                }
            }
        }
        Some(Value::Object(map)) => {
            for (id, agent) in map {
                match agent.as_object() {
                    Some(a) => raw.push(registry_agent(a, Some(id), obj, path, mtime_ms)),
                    None => warn(warnings, format!("agents.{id} is not an object; skipped")),
                }
            }
        }
        Some(_) => warn(
            warnings,
            "`agents` is neither a list nor an object; skipped".to_string(),
        ),
        None => {
            let id = text(obj, &["agent_id", "id", "name"]).unwrap_or_else(|| {
                // `Agent-3/status.json` without an id is agent `Agent-3`.
                let stem = if path.file_stem().is_some_and(|s| s == "status") {
                    path.parent().and_then(Path::file_name)
                } else {
                    path.file_stem()
                };
                stem.map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string())
            });
            let agent = RawAgent {
                id,
                status: status_text(obj),
                time_text: time_text(obj),
                task: task_text(obj, None),
                source: path.to_path_buf(),
                mtime_ms,
                pid: pid_of(obj),
                process_start: text(obj, PROCESS_START_KEYS),
            };
            if agent.status.is_none() {
                warn(
                    warnings,
                    format!("agent {}: no `status` or `state` field", agent.id),
                );
            }
            raw.push(agent);
        }
    }
}

fn registry_agent(
    a: &Map<String, Value>,
    key: Option<&String>,
    registry: &Map<String, Value>,
    path: &Path,
    mtime_ms: Option<i64>,
) -> RawAgent {
    let id = text(a, &["id", "agent_id", "name"])
        .or_else(|| key.cloned())
        .unwrap_or_else(|| "(unnamed)".to_string());
    RawAgent {
        id,
        status: status_text(a),
        time_text: time_text(a),
        task: task_text(a, Some(registry)),
        source: path.to_path_buf(),
        mtime_ms,
        pid: pid_of(a),
        process_start: text(a, PROCESS_START_KEYS),
    }
}

/// The first of `keys` holding a non-empty string (or a number, written out).
fn text(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match obj.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

const PROCESS_START_KEYS: &[&str] = &["process_start_time", "pid_start_time"];

/// `pid` or `process_id`, as a number or a numeric string.
fn pid_of(obj: &Map<String, Value>) -> Option<i32> {
    text(obj, &["pid", "process_id"])
        .and_then(|t| t.parse::<i32>().ok())
        .filter(|p| *p > 0)
}

fn status_text(obj: &Map<String, Value>) -> Option<String> {
    if let Some(Value::Object(inner)) = obj.get("status") {
        if let Some(s) = text(inner, &["state", "status"]) {
            return Some(s);
        }
    }
    text(obj, &["status", "state", "fsm_state"])
}

fn time_text(obj: &Map<String, Value>) -> Option<String> {
    text(
        obj,
        &[
            "last_updated",
            "last_update",
            "updated_at",
            "last_heartbeat",
            "heartbeat",
            "timestamp",
        ],
    )
}

fn task_text(obj: &Map<String, Value>, registry: Option<&Map<String, Value>>) -> Option<String> {
    if let Some(t) = text(
        obj,
        &["current_task", "task", "current_mission", "current_phase"],
    ) {
        return Some(t);
    }
    if let Some(Value::Array(list)) = obj.get("current_tasks") {
        if let Some(Value::String(s)) = list.first() {
            return Some(s.trim().to_string());
        }
    }
    let registry = registry?;
    if let Some(task_id) = text(obj, &["task_id"]) {
        let described = registry
            .get("tasks")
            .and_then(|t| t.get(&task_id))
            .and_then(|t| t.get("description"))
            .and_then(Value::as_str);
        return Some(described.map_or(task_id, str::to_string));
    }
    text(registry, &["task_description", "task_id"])
}

fn evaluate(
    raw: Vec<RawAgent>,
    mut warnings: Vec<Warning>,
    sources: Vec<String>,
    now_ms: i64,
    stale_after_s: i64,
) -> Pulse {
    let mut rows: Vec<AgentRow> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    // Per file: (agents with a future timestamp, furthest ahead in ms, first such agent).
    let mut future: std::collections::BTreeMap<String, (usize, i64, String)> = Default::default();
    for agent in raw {
        let file = agent.source.display().to_string();
        let mut suspect = false;
        let parsed = agent.time_text.as_deref().and_then(|t| {
            let ms = parse_time(t);
            if ms.is_none() {
                warnings.push(Warning {
                    file: file.clone(),
                    message: format!(
                        "agent {}: unreadable timestamp `{t}`; using the file's mtime",
                        agent.id
                    ),
                });
            }
            ms
        });
        let from_timestamp = match parsed {
            Some(ms) if ms > now_ms + FUTURE_TOLERANCE_MS => {
                suspect = true;
                let ahead = future
                    .entry(file.clone())
                    .or_insert((0, 0, agent.id.clone()));
                ahead.0 += 1;
                ahead.1 = ahead.1.max(ms - now_ms);
                None
            }
            other => other,
        };
        // The mtime is only a fallback, and a future mtime is no better than a future stamp.
        let mtime = agent
            .mtime_ms
            .filter(|m| *m <= now_ms + FUTURE_TOLERANCE_MS);
        let (at, time_source) = match (from_timestamp, mtime) {
            (Some(ms), _) => (Some(ms), "timestamp"),
            (None, Some(ms)) => (Some(ms), "mtime"),
            (None, None) => (None, "none"),
        };
        let age_s = at.map(|ms| ((now_ms - ms) / 1000).max(0));
        let reported = agent.status.as_deref().map_or(Reported::Unknown, classify);
        let state = match reported {
            Reported::Active if age_s.is_some_and(|a| a <= stale_after_s) => PulseState::Active,
            Reported::Active => PulseState::Stale,
            Reported::Idle => PulseState::Idle,
            Reported::Blocked => PulseState::Blocked,
            Reported::Done => PulseState::Done,
            Reported::Unknown => PulseState::Unknown,
        };
        let row = AgentRow {
            id: agent.id.clone(),
            state,
            reported,
            status: agent.status,
            task: agent.task,
            last_update: at.map(fmt_ms),
            age_seconds: age_s,
            time_source,
            suspect_timestamp: suspect,
            source: file,
            updated_ms: at,
            pid: agent.pid,
            process_start_ms: agent.process_start.as_deref().and_then(parse_time),
        };
        // The same agent in two registries: the newest record wins.
        match by_id.get(&agent.id) {
            Some(&i) if rows[i].updated_ms >= at => {}
            Some(&i) => rows[i] = row,
            None => {
                by_id.insert(agent.id, rows.len());
                rows.push(row);
            }
        }
    }
    for (file, (n, ahead, first)) in future {
        let who = if n == 1 {
            format!("agent {first}: timestamp is")
        } else {
            format!("{n} agents (first: {first}): timestamps up to")
        };
        warnings.push(Warning {
            file,
            message: format!(
                "{who} {} in the future; not trusted, the file's mtime is used instead",
                crate::obs::fmt::human(ahead / 1000)
            ),
        });
    }
    let mut totals = Totals::default();
    let mut tasks = std::collections::HashSet::new();
    for row in &rows {
        totals.add(row.state);
        if row.state == PulseState::Active {
            if let Some(t) = &row.task {
                tasks.insert(t.as_str());
            }
        }
    }
    let tasks_in_progress = tasks.len() as u64;
    rows.sort_by_key(|a| natural_key(&a.id));
    Pulse {
        now: fmt_ms(now_ms),
        now_ms,
        stale_after_seconds: stale_after_s,
        totals,
        tasks_in_progress,
        agents: rows,
        processes: Vec::new(),
        warnings,
        sources,
    }
}

/// Sorts `Agent-2` before `Agent-10` (by the trailing digits' length, then their text).
fn natural_key(id: &str) -> (String, usize, String) {
    let digits: String = id
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let head = id[..id.len() - digits.len()].to_string();
    let significant = digits.trim_start_matches('0').to_string();
    (head, significant.len(), significant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_statuses_seen_in_the_seed_system() {
        for (text, want) in [
            ("ACTIVE", Reported::Active),
            ("ACTIVE_AGENT_MODE", Reported::Active),
            ("CO_CAPTAIN_ACTIVE", Reported::Active),
            ("running", Reported::Active),
            ("working", Reported::Active),
            ("IN_PROGRESS", Reported::Active),
            ("STRATEGIC_REST_READY_MODE", Reported::Idle),
            ("INITIALIZED", Reported::Idle),
            ("INACTIVE", Reported::Idle),
            ("SESSION_COMPLETE", Reported::Done),
            (
                "COMPLETE - LEGENDARY SESSION: all directives complete, 3 agents strategic rest",
                Reported::Done,
            ),
            ("completed", Reported::Done),
            ("terminated", Reported::Done),
            ("blocked", Reported::Blocked),
            ("error", Reported::Blocked),
            ("ACTIVE - blocked on review", Reported::Blocked),
            ("vibing", Reported::Unknown),
            ("", Reported::Unknown),
        ] {
            assert_eq!(classify(text), want, "{text}");
        }
    }

    #[test]
    fn natural_order() {
        let mut ids = vec!["Agent-10", "Agent-2", "Agent-1"];
        ids.sort_by_key(|i| natural_key(i));
        assert_eq!(ids, ["Agent-1", "Agent-2", "Agent-10"]);
    }
}
