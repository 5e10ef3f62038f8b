//! `junit`: JUnit XML as CI test reporters read it (Jenkins, GitLab, Azure, CircleCI): one
//! `<testsuite>` per file with findings, one failed `<testcase>` per finding; a clean scan is
//! one passing test case, so the report is never empty.

use crate::lint::ScanResult;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let mut by_file: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for f in &result.findings {
        by_file.entry(&f.path).or_default().push(format!(
            "    <testcase name=\"{code} {name}\" classname=\"{path}\" file=\"{path}\" line=\"{line}\">\n      <failure type=\"{code}\" message=\"{msg}\">{path}:{line}:{col}: {code} [{severity}] {msg}</failure>\n    </testcase>\n",
            code = f.code,
            name = f.name,
            path = xml(&f.path),
            line = f.line,
            col = f.column,
            severity = f.severity,
            msg = xml(&f.message),
        ));
    }
    for e in &result.errors {
        by_file.entry(&e.path).or_default().push(format!(
            "    <testcase name=\"SWC000 cannot-scan\" classname=\"{path}\" file=\"{path}\">\n      <error type=\"SWC000\" message=\"{msg}\">{msg}</error>\n    </testcase>\n",
            path = xml(&e.path),
            msg = xml(&e.message),
        ));
    }
    let total: usize = by_file.values().map(Vec::len).sum();
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
        super::TOOL_NAME,
        total.max(1),
        total
    )?;
    if by_file.is_empty() {
        writeln!(
            out,
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"0\">\n    <testcase name=\"no findings in {1} files\" classname=\"{0}\"/>\n  </testsuite>",
            super::TOOL_NAME,
            result.files_scanned
        )?;
    }
    for (path, cases) in &by_file {
        writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">",
            xml(path),
            n = cases.len()
        )?;
        for c in cases {
            out.write_all(c.as_bytes())?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot hold at all (control
/// characters other than tab and newlines) become U+FFFD.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
