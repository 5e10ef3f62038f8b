//! `sarif`: SARIF 2.1.0 with rule metadata from the catalog, relative URIs against
//! `%SRCROOT%`, and partial fingerprints.

use crate::finding::Severity;
use crate::lint::ScanResult;
use crate::rules::catalog;
use serde_json::{json, Value};
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let rules = catalog::all();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|m| {
            json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": {"text": m.summary.trim()},
                "fullDescription": {"text": m.why.trim()},
                "help": {
                    "text": m.fix.trim(),
                    "markdown": format!("{}\n\nBad:\n```python\n{}\n```\nGood:\n```python\n{}\n```", m.fix.trim(), m.bad.trim(), m.good.trim()),
                },
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {"tags": m.groups, "severity": m.severity},
            })
        })
        .collect();
    let results: Vec<Value> = result
        .findings
        .iter()
        .map(|f| {
            let index = rules.iter().position(|m| m.code == f.code).unwrap_or(0);
            let related: Vec<Value> = f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i,
                        "message": {"text": r.message},
                        "physicalLocation": location(r.path.as_deref().unwrap_or(&f.path), r.line, r.column, None),
                    })
                })
                .collect();
            let mut res = json!({
                "ruleId": f.code,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": location(&f.path, f.line, f.column, Some((f.end_line, f.end_column)))}],
                "partialFingerprints": {"swarmcheck/v1": f.fingerprint},
                "properties": {"severity": f.severity},
            });
            if !related.is_empty() {
                res["relatedLocations"] = Value::Array(related);
            }
            res
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": super::TOOL_NAME,
                "version": super::TOOL_VERSION,
                "informationUri": "https://github.com/swarmcheck/swarmcheck",
                "rules": descriptors,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": srcroot()}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn srcroot() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut uri = file_uri(&cwd.to_string_lossy());
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `file://` URI of an absolute path.
fn file_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    format!("file://{}", encode_path(&path))
}

/// Percent-encodes a path for a URI, keeping `/` and RFC 3986 unreserved characters.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(path: &str, line: usize, column: usize, end: Option<(usize, usize)>) -> Value {
    let mut region = json!({"startLine": line, "startColumn": column});
    if let Some((end_line, end_column)) = end {
        region["endLine"] = json!(end_line);
        region["endColumn"] = json!(end_column);
    }
    let absolute = path.starts_with('/') || path.get(1..3) == Some(":/");
    let artifact = if absolute {
        json!({"uri": file_uri(path)})
    } else {
        json!({"uri": encode_path(path), "uriBaseId": "%SRCROOT%"})
    };
    json!({"artifactLocation": artifact, "region": region})
}
