//! Output formats. Each renders a finished [`ScanResult`]; the engine never prints.

mod github;
mod gitlab;
mod json;
mod junit;
mod pylint;
mod rdjson;
mod sarif;
mod text;

use crate::lint::ScanResult;
use std::io::{self, Write};

/// `--output-format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Findings with a code frame, for people.
    Text,
    /// One line per finding: `path:line:col: CODE [severity] message`.
    Concise,
    /// A versioned JSON document, for scripts.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// GitLab Code Quality report (JSON).
    Gitlab,
    /// JUnit XML, for CI test reporters.
    Junit,
    /// reviewdog's Diagnostic Format (rdjson).
    Rdjson,
    /// pylint's parseable format: `path:line: [CODE(name), ] message`.
    Pylint,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <Format as clap::ValueEnum>::from_str(s, true).map_err(|_| {
            format!("unknown output format `{s}` (expected text, concise, json, sarif, github, gitlab, junit, rdjson or pylint)")
        })
    }
}

/// What every format may show beyond the findings.
pub struct ReportOptions {
    /// Colour and Unicode frames (terminal output only).
    pub color: bool,
    /// Print per-rule counts instead of each finding (text and concise).
    pub statistics: bool,
    /// No summary line (text and concise).
    pub quiet: bool,
    /// The scanned directory's path inside the repository (from `GITHUB_WORKSPACE`), prefixed
    /// to relative paths in GitHub annotations.
    pub repository_prefix: Option<String>,
}

pub fn render(
    format: Format,
    result: &ScanResult,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text | Format::Concise if options.statistics => text::statistics(result, out),
        Format::Json if options.statistics => json::statistics(result, out),
        Format::Text => text::full(result, options, out),
        Format::Concise => text::concise(result, options, out),
        Format::Json => json::render(result, out),
        Format::Sarif => sarif::render(result, out),
        Format::Github => github::render(result, options.repository_prefix.as_deref(), out),
        Format::Gitlab => gitlab::render(result, out),
        Format::Junit => junit::render(result, out),
        Format::Rdjson => rdjson::render(result, out),
        Format::Pylint => pylint::render(result, out),
    }
}

pub const TOOL_NAME: &str = "swarmcheck";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
