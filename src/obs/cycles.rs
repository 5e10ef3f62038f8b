//! Agent cycle logs: one JSON line per work cycle of an agent, written by the Python helper
//! `swarmcheck.observe.record_cycle` (or anything that writes the same line), read by the
//! `cycle-time` and `task-success` objectives.
//!
//! A line (`v` 1): `{"v":1,"ts":"2026-11-20T12:00:00.000Z","agent":"Agent-3","duration_ms":850.5,
//! "ok":true}`, optionally with `task` and `pid`. `ts` is when the cycle ended.

use super::load::{expand, parse_time, LoadError, MAX_LINE_BYTES};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One finished cycle.
#[derive(Clone, Debug, PartialEq)]
pub struct Cycle {
    pub end_ms: i64,
    pub agent: String,
    pub duration_ms: f64,
    pub ok: bool,
}

#[derive(Debug, Default)]
pub struct CycleLog {
    /// Oldest first.
    pub cycles: Vec<Cycle>,
    pub files: Vec<PathBuf>,
    /// `(file, line, why)` of the lines skipped.
    pub malformed: Vec<(PathBuf, usize, String)>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default)]
    v: Option<u32>,
    #[serde(borrow)]
    ts: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    agent: std::borrow::Cow<'a, str>,
    duration_ms: f64,
    ok: bool,
}

/// Reads every cycle log (globs allowed). A missing or unreadable file is an error; a bad line
/// is skipped and counted.
pub fn load_all(inputs: &[String]) -> Result<CycleLog, LoadError> {
    let mut log = CycleLog::default();
    for input in inputs {
        for path in expand(input)? {
            let file = crate::store::files::open_regular(&path, true).map_err(|e| LoadError {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            read_lines(&path, BufReader::new(file), &mut log).map_err(|e| LoadError {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            log.files.push(path);
        }
    }
    log.cycles.sort_by_key(|c| c.end_ms);
    Ok(log)
}

/// Streams lines of at most [`MAX_LINE_BYTES`]; a longer one is skipped up to its newline, so
/// a file without newlines cannot grow memory.
fn read_lines(path: &Path, mut reader: impl BufRead, log: &mut CycleLog) -> std::io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            let mut rest = Vec::new();
            while Read::take(&mut reader, 1 << 16).read_until(b'\n', &mut rest)? > 0 {
                if rest.last() == Some(&b'\n') {
                    break;
                }
                rest.clear();
            }
            log.malformed
                .push((path.to_path_buf(), number, "line longer than 1 MiB".into()));
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(text) {
            Ok(l) if l.v.is_some_and(|v| v > 1) => log.malformed.push((
                path.to_path_buf(),
                number,
                format!(
                    "cycle line version {} is newer than this build reads",
                    l.v.unwrap_or(0)
                ),
            )),
            Ok(l) => match parse_time(&l.ts) {
                Some(end_ms) if l.duration_ms.is_finite() && l.duration_ms >= 0.0 => {
                    log.cycles.push(Cycle {
                        end_ms,
                        agent: l.agent.into_owned(),
                        duration_ms: l.duration_ms,
                        ok: l.ok,
                    })
                }
                Some(_) => log.malformed.push((
                    path.to_path_buf(),
                    number,
                    format!("duration_ms {} is not a duration", l.duration_ms),
                )),
                None => log.malformed.push((
                    path.to_path_buf(),
                    number,
                    format!("unreadable time `{}`", l.ts),
                )),
            },
            Err(e) => log
                .malformed
                .push((path.to_path_buf(), number, e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_good_lines_and_counts_bad_ones() {
        let text = concat!(
            r#"{"v":1,"ts":"2026-11-20T12:00:01Z","agent":"a","duration_ms":900,"ok":true}"#,
            "\n\n",
            r#"{"v":1,"ts":"2026-11-20T12:00:00Z","agent":"b","duration_ms":2500.5,"ok":false,"task":"t"}"#,
            "\nnot json\n",
            r#"{"v":1,"ts":"yesterday","agent":"a","duration_ms":1,"ok":true}"#,
            "\n",
            r#"{"v":9,"ts":"2026-11-20T12:00:00Z","agent":"a","duration_ms":1,"ok":true}"#,
            "\n",
            r#"{"v":1,"ts":"2026-11-20T12:00:00Z","agent":"a","duration_ms":-1,"ok":true}"#,
        );
        let mut log = CycleLog::default();
        read_lines(Path::new("c.jsonl"), text.as_bytes(), &mut log).unwrap();
        assert_eq!(log.cycles.len(), 2);
        assert_eq!(log.cycles[1].duration_ms, 2500.5);
        assert!(!log.cycles[1].ok);
        let lines: Vec<usize> = log.malformed.iter().map(|m| m.1).collect();
        assert_eq!(lines, [4, 5, 6, 7]);
    }

    #[test]
    fn an_endless_line_is_skipped_with_bounded_memory() {
        let mut text = vec![b'x'; MAX_LINE_BYTES * 2];
        text.extend_from_slice(
            b"\n{\"ts\":\"2026-11-20T12:00:00Z\",\"agent\":\"a\",\"duration_ms\":1,\"ok\":true}\n",
        );
        let mut log = CycleLog::default();
        read_lines(Path::new("c.jsonl"), &text[..], &mut log).unwrap();
        assert_eq!(log.cycles.len(), 1);
        assert_eq!(log.malformed.len(), 1);
    }
}
