//! `pylint`: pylint's parseable line format, `path:line: [CODE(name), ] message`, which editors
//! and CI problem matchers built for pylint already read.

use crate::lint::ScanResult;
use std::io::{self, Write};

pub fn render(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    for f in &result.findings {
        writeln!(
            out,
            "{}:{}: [{}({}), ] {}",
            f.path,
            f.line,
            f.code,
            f.name,
            one_line(&f.message)
        )?;
    }
    for e in &result.errors {
        writeln!(
            out,
            "{}:1: [SWC000(cannot-scan), ] {}",
            e.path,
            one_line(&e.message)
        )?;
    }
    Ok(())
}

/// Line-based consumers read one finding per line.
pub fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}
