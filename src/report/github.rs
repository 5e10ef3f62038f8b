//! `github`: workflow commands that GitHub Actions turns into annotations.

use crate::finding::Severity;
use crate::lint::ScanResult;
use std::io::{self, Write};

/// `prefix` is the scanned directory inside the repository; GitHub attaches an annotation only
/// when its file is named from the repository root.
pub fn render(result: &ScanResult, prefix: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let from_root = |path: &str| match prefix {
        Some(p) if !p.is_empty() && !std::path::Path::new(path).is_absolute() => {
            format!("{}/{path}", p.trim_end_matches('/'))
        }
        _ => path.to_string(),
    };
    for f in &result.findings {
        let level = match f.severity {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "notice",
        };
        writeln!(
            out,
            "::{level} title={},file={},line={},col={},endLine={},endColumn={}::{}",
            escape_property(&format!("{} {}", f.code, f.name)),
            escape_property(&from_root(&f.path)),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            escape_data(&format!("{} [{}] {}", f.code, f.severity, f.message))
        )?;
    }
    for e in &result.errors {
        writeln!(
            out,
            "::error file={}::{}",
            escape_property(&from_root(&e.path)),
            escape_data(&e.message)
        )?;
    }
    Ok(())
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
