//! `github`: workflow commands that GitHub Actions turns into annotations.

use crate::finding::Severity;
use crate::lint::ScanResult;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
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
            escape_property(&f.path),
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
            escape_property(&e.path),
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
