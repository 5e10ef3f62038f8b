//! `rdjson`: reviewdog's Diagnostic Format (`reviewdog -f=rdjson`): `{source, diagnostics:
//! [{message, location: {path, range: {start, end}}, severity, code: {value}}]}`. Its columns
//! count UTF-8 bytes, so they are recomputed from the finding's source line where it is known.

use crate::finding::{Finding, Severity};
use crate::lint::ScanResult;
use serde_json::json;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let mut diagnostics: Vec<serde_json::Value> = result
        .findings
        .iter()
        .map(|f| {
            let (start, end) = byte_columns(f);
            json!({
                "message": f.message,
                "location": {
                    "path": f.path,
                    "range": {
                        "start": {"line": f.line, "column": start},
                        "end": {"line": f.end_line, "column": end},
                    },
                },
                "severity": match f.severity {
                    Severity::High => "ERROR",
                    Severity::Medium => "WARNING",
                    Severity::Low => "INFO",
                },
                "code": {"value": f.code},
                "original_output": format!("{}:{}:{}: {} {}", f.path, f.line, f.column, f.code, f.message),
            })
        })
        .collect();
    diagnostics.extend(result.errors.iter().map(|e| {
        json!({
            "message": format!("cannot scan: {}", e.message),
            "location": {"path": e.path},
            "severity": "ERROR",
            "code": {"value": "SWC000"},
        })
    }));
    let doc = json!({
        "source": {"name": super::TOOL_NAME},
        "diagnostics": diagnostics,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// 1-based start and end columns in UTF-8 bytes. The finding's own columns count characters;
/// its snippet holds the source to convert them, and without one (a finding replayed from the
/// cache) the character columns stand, which is exact for ASCII lines.
fn byte_columns(f: &Finding) -> (usize, usize) {
    let Some(s) = &f.snippet else {
        return (f.column, f.end_column);
    };
    let column_of = |offset: usize| -> Option<usize> {
        let before = s.text.get(..offset)?;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Some(offset - line_start + 1)
    };
    match (column_of(s.start), column_of(s.end)) {
        (Some(a), Some(b)) => (a, b),
        _ => (f.column, f.end_column),
    }
}
