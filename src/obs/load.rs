//! Loading lock metrics: swarmcheck's event log (JSON Lines, schema v1) and the legacy
//! `file_locking_metrics.json` of the system swarmcheck replaces, told apart by content.
//! Malformed lines and entries are counted with their location, never fatal.

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// One lock operation, from either format.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// End of the operation, Unix milliseconds (UTC).
    pub end_ms: i64,
    /// Interned: a log holds many events per document.
    pub path: std::sync::Arc<str>,
    pub attempts: u32,
    pub wait_ms: f64,
    pub hold_ms: f64,
    pub outcome: Outcome,
    pub error_code: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    Recovered,
    Timeout,
    Error,
    Aborted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Recovered => "recovered",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
            Outcome::Aborted => "aborted",
        }
    }

    /// Whether the operation failed (its change did not happen).
    pub fn failed(self) -> bool {
        matches!(self, Outcome::Timeout | Outcome::Error)
    }
}

/// A failed attempt recorded by the legacy monitor (its `errors` list).
#[derive(Clone, Debug, PartialEq)]
pub struct FailedAttempt {
    pub at_ms: i64,
    pub path: String,
    pub code: String,
    pub delay_s: f64,
}

/// The legacy file's own figures, kept to show them next to ours.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_scanner_agrees_with_serde() {
        let lines = [
            r#"{"v":1,"ts":"2026-01-01T00:00:00Z","op":"update","path":"a/b.json","pid":7,"attempts":2,"wait_ms":1.5,"hold_ms":0.25,"io_ms":0.1,"bytes":10,"durability":"full","outcome":"timeout","error_code":"LOCK_TIMEOUT","retries":{"EINTR":1}}"#,
            r#"{ "v": 1, "ts": "2026-01-01T00:00:00Z", "op": "read", "path": "x", "outcome": "ok" }"#,
        ];
        for l in lines {
            let fast = fast_event(l).expect("fast path");
            let slow: RawEvent = serde_json::from_str(l).unwrap();
            assert_eq!(
                (
                    fast.v,
                    fast.ts,
                    fast.op,
                    fast.path.as_ref(),
                    fast.attempts,
                    fast.wait_ms,
                    fast.hold_ms,
                    fast.outcome,
                    fast.error_code
                ),
                (
                    slow.v,
                    slow.ts,
                    slow.op,
                    slow.path.as_ref(),
                    slow.attempts,
                    slow.wait_ms,
                    slow.hold_ms,
                    slow.outcome,
                    slow.error_code
                )
            );
        }
        // Escapes, missing fields, trailing junk: left to serde_json.
        assert!(fast_event(r#"{"ts":"a"b","op":"update","outcome":"ok"}"#).is_none());
        assert!(fast_event(r#"{"op":"update","outcome":"ok"}"#).is_none());
        assert!(fast_event(r#"{"ts":"x","op":"update","outcome":"ok"} junk"#).is_none());
    }

    #[test]
    fn fast_utc_parse_matches_chrono() {
        for t in [
            "2026-01-01T00:00:00Z",
            "2025-12-03T05:58:24.181185Z",
            "2000-02-29T23:59:59.9Z",
            "1970-01-01T00:00:00.001Z",
        ] {
            let slow = DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis();
            assert_eq!(parse_utc_fast(t), Some(slow), "{t}");
        }
        assert_eq!(parse_utc_fast("2026-13-01T00:00:00Z"), None);
        assert_eq!(
            parse_time("2025-12-03 05:58:24+00:00"),
            Some(
                DateTime::parse_from_rfc3339("2025-12-03T05:58:24Z")
                    .unwrap()
                    .timestamp_millis()
            )
        );
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LegacySummary {
    pub file: PathBuf,
    pub total_errors: u64,
    pub retry_success_count: u64,
    pub retry_failure_count: u64,
    pub max_retries_needed: u64,
    pub avg_retry_delay: f64,
    pub last_updated_ms: Option<i64>,
}

impl LegacySummary {
    /// The legacy "success rate": successes / (failed attempts + successes). It mixes attempts
    /// with operations: 15 retried operations with 16 failed attempts and no failure read 48.4%.
    pub fn attempt_based_rate(&self) -> Option<f64> {
        let denominator = self.total_errors + self.retry_success_count;
        (denominator > 0).then(|| self.retry_success_count as f64 / denominator as f64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub file: PathBuf,
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Dataset {
    pub ops: Vec<Op>,
    pub failed_attempts: Vec<FailedAttempt>,
    pub legacy: Vec<LegacySummary>,
    pub malformed: Vec<Malformed>,
    pub files: Vec<PathBuf>,
}

/// An input that could not be read at all (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot read metrics file {}: {reason}", path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub reason: String,
}

/// Expands globs (`logs/*.jsonl`) and loads every file into one dataset.
pub fn load_all(inputs: &[String]) -> Result<Dataset, LoadError> {
    let mut data = Dataset::default();
    for input in inputs {
        let paths = expand(input)?;
        for path in paths {
            load_file(&path, &mut data)?;
            data.files.push(path);
        }
    }
    Ok(data)
}

pub(crate) fn expand(input: &str) -> Result<Vec<PathBuf>, LoadError> {
    if !input.contains(['*', '?', '[']) {
        return Ok(vec![PathBuf::from(input)]);
    }
    let glob = globset::Glob::new(input)
        .map_err(|e| LoadError {
            path: input.into(),
            reason: e.to_string(),
        })?
        .compile_matcher();
    // Walk from the longest literal prefix directory.
    let literal: String = input
        .chars()
        .take_while(|c| !matches!(c, '*' | '?' | '['))
        .collect();
    let root = match literal.rfind('/') {
        Some(i) => PathBuf::from(&literal[..=i]),
        None => PathBuf::from("."),
    };
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(&root)
        .standard_filters(false)
        .build()
        .flatten()
    {
        let p = entry.path();
        let rel = p.strip_prefix("./").unwrap_or(p);
        if entry.file_type().is_some_and(|t| t.is_file())
            && (glob.is_match(p) || glob.is_match(rel))
        {
            out.push(p.to_path_buf());
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(LoadError {
            path: input.into(),
            reason: "no file matches this pattern".to_string(),
        });
    }
    Ok(out)
}

fn load_file(path: &Path, data: &mut Dataset) -> Result<(), LoadError> {
    let err = |reason: String| LoadError {
        path: path.to_path_buf(),
        reason,
    };
    // A FIFO or device (`/dev/zero`) is refused without blocking or reading it.
    let mut file = crate::store::files::open_regular(path, true).map_err(|e| err(e.to_string()))?;
    let mut head = [0u8; HEAD_BYTES];
    let n = file.read(&mut head).map_err(|e| err(e.to_string()))?;
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))
        .map_err(|e| err(e.to_string()))?;
    if looks_legacy(&head[..n]) {
        let bytes = crate::store::files::read_bounded(&mut file, LEGACY_MAX_BYTES)
            .map_err(|e| err(e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes);
        load_legacy(path, &text, data);
    } else {
        load_events(path, BufReader::with_capacity(1 << 20, file), data)
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(())
}

/// Bytes of the start of a file that decide its format.
const HEAD_BYTES: usize = 4096;

/// Tells the formats apart by content: the legacy file is one JSON object with an `errors` or
/// `retry_success` list (or a `summary`); the event log is one object per line.
fn looks_legacy(head: &[u8]) -> bool {
    let head_text = String::from_utf8_lossy(head);
    let first_line = head_text.lines().next().unwrap_or("");
    !(first_line.trim_end().ends_with('}') && first_line.contains("\"op\""))
        && (head_text.contains("\"retry_success\"")
            || head_text.contains("\"errors\"")
            || head_text.contains("\"summary\""))
}

/// Loads the content of one metrics file (event log or legacy file, told apart as for a file
/// on disk) already in memory; `path` names it in the dataset. The fuzz target's entry point.
pub fn load_bytes(path: &Path, bytes: &[u8], data: &mut Dataset) {
    if looks_legacy(&bytes[..bytes.len().min(HEAD_BYTES)]) {
        let bytes = &bytes[..bytes.len().min(LEGACY_MAX_BYTES as usize)];
        load_legacy(path, &String::from_utf8_lossy(bytes), data);
    } else {
        // Reading from memory cannot fail.
        let _ = load_events(path, bytes, data);
    }
}

/// The event fields the reports use, borrowed from the line (no allocation per field).
#[derive(Deserialize)]
struct RawEvent<'a> {
    v: Option<u32>,
    #[serde(borrow)]
    ts: &'a str,
    #[serde(borrow)]
    op: &'a str,
    #[serde(borrow, default)]
    path: std::borrow::Cow<'a, str>,
    #[serde(default)]
    attempts: u32,
    #[serde(default)]
    wait_ms: f64,
    #[serde(default)]
    hold_ms: f64,
    #[serde(borrow)]
    outcome: &'a str,
    #[serde(borrow, default)]
    error_code: Option<&'a str>,
}

/// The largest legacy metrics file read (it is one JSON document, parsed whole).
const LEGACY_MAX_BYTES: u64 = 256 << 20;

/// The longest event line kept; longer lines are reported as malformed and skipped, so a
/// file without newlines cannot grow memory.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// Bytes read per block. Blocks are parsed in parallel, so memory stays bounded however long
/// the log is.
const BLOCK_BYTES: usize = 16 << 20;

/// One parsed line of the event log.
enum Parsed {
    Op(Op),
    Skip,
    Malformed(usize, String),
}

fn load_events(path: &Path, mut reader: impl BufRead, data: &mut Dataset) -> std::io::Result<()> {
    use rayon::prelude::*;
    let paths = Interner::default();
    let mut carry: Vec<u8> = Vec::new();
    let mut first_line = 1usize;
    // Inside a line over MAX_LINE_BYTES: drop bytes up to its newline.
    let mut skipping = false;
    loop {
        let mut block = std::mem::take(&mut carry);
        let n = (&mut reader)
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut block)?;
        let at_end = n == 0;
        if skipping {
            match memchr::memchr(b'\n', &block) {
                Some(nl) => {
                    block.drain(..=nl);
                    first_line += 1;
                    skipping = false;
                }
                None if at_end => break,
                None => continue,
            }
        }
        if block.is_empty() {
            if at_end {
                break;
            }
            continue;
        }
        // Keep a partial last line for the next block.
        if !at_end {
            if let Some(nl) = memchr::memrchr(b'\n', &block) {
                carry = block.split_off(nl + 1);
            } else if block.len() > MAX_LINE_BYTES {
                data.malformed.push(Malformed {
                    file: path.to_path_buf(),
                    line: first_line,
                    reason: format!("line longer than {MAX_LINE_BYTES} bytes (skipped)"),
                });
                skipping = true;
                continue;
            } else {
                carry = std::mem::take(&mut block);
                continue;
            }
        }
        // Pieces at line boundaries, with the number of their first line.
        let pieces = split_lines(&block, rayon::current_num_threads().max(1) * 4, first_line);
        first_line += memchr::memchr_iter(b'\n', &block).count();
        let parsed: Vec<Vec<Parsed>> = pieces
            .par_iter()
            .map(|(line0, piece)| parse_piece(piece, *line0, &paths))
            .collect();
        for p in parsed.into_iter().flatten() {
            match p {
                Parsed::Op(op) => data.ops.push(op),
                Parsed::Skip => {}
                Parsed::Malformed(line, reason) => data.malformed.push(Malformed {
                    file: path.to_path_buf(),
                    line,
                    reason,
                }),
            }
        }
        if at_end {
            break;
        }
    }
    Ok(())
}

/// Splits `block` into about `parts` pieces ending at newlines: `(first line number, bytes)`.
fn split_lines(block: &[u8], parts: usize, first_line: usize) -> Vec<(usize, &[u8])> {
    let target = block.len() / parts + 1;
    let mut out = Vec::with_capacity(parts + 1);
    let (mut start, mut line) = (0, first_line);
    while start < block.len() {
        let guess = (start + target).min(block.len());
        let end = match memchr::memchr(b'\n', &block[guess.saturating_sub(1)..]) {
            Some(i) => guess.saturating_sub(1) + i + 1,
            None => block.len(),
        }
        .max(start + 1);
        out.push((line, &block[start..end]));
        line += memchr::memchr_iter(b'\n', &block[start..end]).count();
        start = end;
    }
    out
}

/// A scanner for the flat objects swarmcheck writes (string values without escapes, numbers,
/// one nested object of counts). Anything else returns `None` and goes to serde_json, so the
/// result is the same, only faster on the common case.
fn fast_event(text: &str) -> Option<RawEvent<'_>> {
    let b = text.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    let string = |i: &mut usize| -> Option<&str> {
        if b.get(*i) != Some(&b'"') {
            return None;
        }
        let start = *i + 1;
        let len = memchr::memchr2(b'"', b'\\', &b[start..])?;
        if b[start + len] != b'"' {
            return None;
        }
        *i = start + len + 1;
        Some(&text[start..start + len])
    };
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut ev = RawEvent {
        v: None,
        ts: "",
        op: "",
        path: std::borrow::Cow::Borrowed(""),
        attempts: 0,
        wait_ms: 0.0,
        hold_ms: 0.0,
        outcome: "",
        error_code: None,
    };
    let (mut has_ts, mut has_op, mut has_outcome) = (false, false, false);
    loop {
        ws(&mut i);
        match b.get(i)? {
            b'}' => break,
            b',' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let key = string(&mut i)?;
        ws(&mut i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        match b.get(i)? {
            b'"' => {
                let value = string(&mut i)?;
                match key {
                    "ts" => (ev.ts, has_ts) = (value, true),
                    "op" => (ev.op, has_op) = (value, true),
                    "path" => ev.path = std::borrow::Cow::Borrowed(value),
                    "outcome" => (ev.outcome, has_outcome) = (value, true),
                    "error_code" => ev.error_code = Some(value),
                    _ => {}
                }
            }
            b'{' => {
                // A flat object of counts (`retries`): skip it.
                let close = memchr::memchr(b'}', &b[i..])?;
                if b[i + 1..i + close].contains(&b'{') || b[i + 1..i + close].contains(&b'\\') {
                    return None;
                }
                i += close + 1;
            }
            b'n' if b[i..].starts_with(b"null") => i += 4,
            _ => {
                let start = i;
                while i < b.len() && matches!(b[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let num = &text[start..i];
                match key {
                    "v" => ev.v = Some(num.parse().ok()?),
                    "attempts" => ev.attempts = num.parse().ok()?,
                    "wait_ms" => ev.wait_ms = num.parse().ok()?,
                    "hold_ms" => ev.hold_ms = num.parse().ok()?,
                    _ if num.is_empty() => return None,
                    _ => {}
                }
            }
        }
    }
    ws(&mut i);
    (i + 1 == b.len() && has_ts && has_op && has_outcome).then_some(ev)
}

/// Paths interned across threads: a log names few documents many times.
#[derive(Default)]
struct Interner(std::sync::RwLock<std::collections::HashMap<Box<str>, std::sync::Arc<str>>>);

impl Interner {
    fn get(&self, path: &str) -> std::sync::Arc<str> {
        if let Some(p) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(path) {
            return p.clone();
        }
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.entry(path.into())
            .or_insert_with(|| path.into())
            .clone()
    }
}

fn parse_piece(piece: &[u8], first_line: usize, paths: &Interner) -> Vec<Parsed> {
    let mut out = Vec::with_capacity(piece.len() / 200 + 1);
    let mut begin = 0;
    let ends = memchr::memchr_iter(b'\n', piece).chain(std::iter::once(piece.len()));
    for (i, end) in ends.enumerate() {
        let raw_line = &piece[begin..end];
        begin = end + 1;
        let number = first_line + i;
        let text = match std::str::from_utf8(raw_line) {
            Ok(t) => t.trim(),
            Err(e) => {
                out.push(Parsed::Malformed(
                    number,
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                ));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        out.push(parse_event(text, number, paths));
    }
    out
}

fn parse_event(text: &str, number: usize, paths: &Interner) -> Parsed {
    let raw: RawEvent = match fast_event(text) {
        Some(r) => r,
        None => match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => return Parsed::Malformed(number, e.to_string()),
        },
    };
    if raw.v.is_some_and(|v| v != 1) {
        return Parsed::Malformed(
            number,
            format!("unsupported schema version {}", raw.v.unwrap_or(0)),
        );
    }
    let Some(end_ms) = parse_time(raw.ts) else {
        return Parsed::Malformed(number, format!("unreadable timestamp `{}`", raw.ts));
    };
    let outcome = match raw.outcome {
        "ok" => Outcome::Ok,
        "recovered" => Outcome::Recovered,
        "timeout" => Outcome::Timeout,
        "error" => Outcome::Error,
        "aborted" => Outcome::Aborted,
        other => return Parsed::Malformed(number, format!("unknown outcome `{other}`")),
    };
    // Lock metrics concern operations that take the lock.
    if raw.op != "update" {
        return Parsed::Skip;
    }
    if !(raw.wait_ms.is_finite()
        && raw.hold_ms.is_finite()
        && raw.wait_ms >= 0.0
        && raw.hold_ms >= 0.0)
    {
        return Parsed::Malformed(number, "negative or non-finite duration".to_string());
    }
    Parsed::Op(Op {
        end_ms,
        path: paths.get(&raw.path),
        attempts: raw.attempts.max(1),
        wait_ms: raw.wait_ms,
        hold_ms: raw.hold_ms,
        outcome,
        error_code: raw.error_code.map(str::to_string),
    })
}

/// Timestamps as seen in the wild: RFC 3339 with `Z` or an offset, naive ISO 8601 (local
/// time, as Python's `datetime.now().isoformat()` writes), space-separated.
pub fn parse_time(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(ms) = parse_utc_fast(t) {
        return Some(ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc).timestamp_millis());
    }
    let t2 = t.replace(' ', "T");
    if let Ok(dt) = DateTime::parse_from_rfc3339(&t2) {
        return Some(dt.with_timezone(&Utc).timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&t2, fmt) {
            return Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|dt| dt.with_timezone(&Utc).timestamp_millis());
        }
    }
    None
}

/// `YYYY-MM-DDTHH:MM:SS[.fff...]Z`, the form swarmcheck writes, without a general parser.
fn parse_utc_fast(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20
        || *b.last()? != b'Z'
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match mo {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // 2026-02-31 is not a date: left to the general parser, which rejects it.
    if !(1..=12).contains(&mo) || !(1..=month_days).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut millis = 0i64;
    let frac = &b[19..b.len() - 1];
    if !frac.is_empty() {
        if frac[0] != b'.' || frac.len() < 2 {
            return None;
        }
        let digits = &frac[1..];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        for i in 0..3 {
            millis = millis * 10 + digits.get(i).map_or(0, |c| i64::from(c - b'0'));
        }
    }
    // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + millis)
}

fn load_legacy(path: &Path, text: &str, data: &mut Dataset) {
    let malformed = |line: usize, reason: String| Malformed {
        file: path.to_path_buf(),
        line,
        reason,
    };
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            data.malformed
                .push(malformed(e.line(), format!("not JSON: {e}")));
            return;
        }
    };
    // Line numbers of list entries, for messages: the n-th `{` after the list's key.
    let entry_line = |key: &str, index: usize| -> usize {
        let Some(start) = text.find(&format!("\"{key}\"")) else {
            return 1;
        };
        let mut seen = 0;
        let mut depth = 0i32;
        for (offset, ch) in text[start..].char_indices() {
            match ch {
                '{' => {
                    if depth == 0 {
                        if seen == index {
                            return text[..start + offset].matches('\n').count() + 1;
                        }
                        seen += 1;
                    }
                    depth += 1;
                }
                '}' => depth -= 1,
                ']' if depth == 0 => break,
                _ => {}
            }
        }
        1
    };
    let mut summary = LegacySummary {
        file: path.to_path_buf(),
        ..LegacySummary::default()
    };
    if let Some(s) = doc.get("summary") {
        let num = |k: &str| s.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        summary.total_errors = num("total_errors") as u64;
        summary.retry_success_count = num("retry_success_count") as u64;
        summary.retry_failure_count = num("retry_failure_count") as u64;
        summary.max_retries_needed = num("max_retries_needed") as u64;
        summary.avg_retry_delay = num("avg_retry_delay");
    }
    summary.last_updated_ms = doc
        .get("last_updated")
        .and_then(|v| v.as_str())
        .and_then(parse_time);
    for (i, e) in entries(&doc, "errors") {
        let Some(at_ms) = entry_time(e) else {
            data.malformed.push(malformed(
                entry_line("errors", i),
                "error entry without a readable timestamp".into(),
            ));
            continue;
        };
        // The legacy monitor stored WinError numbers; errno names or exception types otherwise.
        let code = match e.get("winerror_code").and_then(|v| v.as_i64()) {
            Some(n) => format!("WIN32_{n}"),
            None => e
                .get("error_type")
                .and_then(|v| v.as_str())
                .map_or("UNKNOWN".to_string(), |t| t.to_uppercase()),
        };
        let delay_s = e.get("delay").and_then(|v| v.as_f64()).unwrap_or(0.0);
        if !(delay_s.is_finite() && delay_s >= 0.0) {
            data.malformed.push(malformed(
                entry_line("errors", i),
                format!("error entry with a negative or invalid delay ({delay_s})"),
            ));
            continue;
        }
        data.failed_attempts.push(FailedAttempt {
            at_ms,
            path: legacy_path(e.get("file_path").and_then(|v| v.as_str())),
            code,
            delay_s,
        });
    }
    for (i, e) in entries(&doc, "retry_success") {
        let at = entry_time(e);
        let attempts = e.get("attempts").and_then(|v| v.as_u64());
        let (Some(end_ms), Some(attempts)) = (at, attempts) else {
            data.malformed.push(malformed(
                entry_line("retry_success", i),
                "retry entry without timestamp or attempts".into(),
            ));
            continue;
        };
        let delay_s = e.get("total_delay").and_then(|v| v.as_f64()).unwrap_or(0.0);
        if !(delay_s.is_finite() && delay_s >= 0.0) {
            data.malformed.push(malformed(
                entry_line("retry_success", i),
                format!("retry entry with a negative or invalid total_delay ({delay_s})"),
            ));
            continue;
        }
        data.ops.push(Op {
            end_ms,
            path: legacy_path(e.get("file_path").and_then(|v| v.as_str())).into(),
            attempts: attempts.max(1) as u32,
            wait_ms: delay_s * 1000.0,
            hold_ms: 0.0,
            outcome: Outcome::Ok,
            error_code: e
                .get("winerror_code")
                .and_then(|v| v.as_i64())
                .map(|n| format!("WIN32_{n}")),
        });
    }
    // Operations that ran out of retries: the legacy file only counts them. Each one failed at
    // least once, so the count cannot exceed the recorded errors: a larger count is reported
    // and capped there (memory follows the file's size, never a number written in it).
    let recorded_errors = entries(&doc, "errors").count();
    let failures = match doc.get("retry_failure").and_then(|v| v.as_array()) {
        Some(list) => list.len(),
        None if summary.retry_failure_count > recorded_errors as u64 => {
            data.malformed.push(malformed(
                1,
                format!(
                    "summary.retry_failure_count is {}, more than the {recorded_errors} recorded errors: counted as {recorded_errors}",
                    summary.retry_failure_count
                ),
            ));
            recorded_errors
        }
        None => summary.retry_failure_count as usize,
    };
    let fail_at = summary.last_updated_ms.unwrap_or(0);
    for _ in 0..failures {
        data.ops.push(Op {
            end_ms: fail_at,
            path: "(legacy: path not recorded)".into(),
            attempts: summary.max_retries_needed.max(1) as u32,
            wait_ms: 0.0,
            hold_ms: 0.0,
            outcome: Outcome::Error,
            error_code: None,
        });
    }
    data.legacy.push(summary);
}

/// The entries of a list of the legacy file, numbered.
fn entries<'v>(
    doc: &'v serde_json::Value,
    key: &str,
) -> impl Iterator<Item = (usize, &'v serde_json::Value)> {
    doc.get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
}

fn entry_time(entry: &serde_json::Value) -> Option<i64> {
    entry
        .get("timestamp")
        .and_then(|v| v.as_str())
        .and_then(parse_time)
}

/// Windows paths as recorded (`message_queue\queue.json`) shown with `/`.
fn legacy_path(p: Option<&str>) -> String {
    p.map_or_else(
        || "(legacy: path not recorded)".to_string(),
        |p| p.replace('\\', "/"),
    )
}
