//! `json`: `{"version": 1, "tool", "files_scanned", "summary", "findings", "errors"}`.

use crate::finding::Severity;
use crate::lint::ScanResult;
use serde_json::json;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let doc = json!({
        "version": 1,
        "tool": {"name": super::TOOL_NAME, "version": super::TOOL_VERSION},
        "files_scanned": result.files_scanned,
        "summary": {
            "high": count(Severity::High),
            "medium": count(Severity::Medium),
            "low": count(Severity::Low),
            "suppressed": result.suppressed,
            "baselined": result.baselined,
        },
        "findings": result.findings,
        "errors": result.errors.iter().map(|e| json!({"path": e.path, "message": e.message})).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// `--statistics` as JSON: `[{"code", "name", "severity", "count"}]`, most frequent first.
pub fn statistics(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<_> = super::text::rule_counts(result)
        .into_iter()
        .map(|(code, name, severity, count)| {
            json!({"code": code, "name": name, "severity": severity, "count": count})
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &rows)?;
    writeln!(out)
}
