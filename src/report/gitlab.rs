//! `gitlab`: a GitLab Code Quality report (the Code Climate issue subset GitLab reads): a JSON
//! array of `{description, check_name, fingerprint, severity, location: {path, lines: {begin,
//! end}}}`, with `severity` one of `info`, `minor`, `major`, `critical`, `blocker`.

use crate::finding::Severity;
use crate::lint::ScanResult;
use serde_json::json;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let mut issues: Vec<serde_json::Value> = result
        .findings
        .iter()
        .map(|f| {
            json!({
                "type": "issue",
                "check_name": f.code,
                "description": format!("{} {}: {}", f.code, f.name, f.message),
                "categories": ["Bug Risk"],
                "severity": match f.severity {
                    Severity::High => "critical",
                    Severity::Medium => "major",
                    Severity::Low => "minor",
                },
                // Unique per finding, stable across runs (GitLab diffs reports by it).
                "fingerprint": f.fingerprint,
                "location": {
                    "path": f.path,
                    "lines": {"begin": f.line, "end": f.end_line.max(f.line)},
                },
            })
        })
        .collect();
    issues.extend(result.errors.iter().map(|e| {
        json!({
            "type": "issue",
            "check_name": "SWC000",
            "description": format!("SWC000 cannot scan: {}", e.message),
            "categories": ["Bug Risk"],
            "severity": "critical",
            "fingerprint": crate::lint::baseline::fingerprint("SWC000", &e.path, &e.message, 0),
            "location": {"path": e.path, "lines": {"begin": 1, "end": 1}},
        })
    }));
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
