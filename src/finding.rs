//! The finding: one reported problem at one place in one file.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            other => Err(format!(
                "unknown severity `{other}` (expected high, medium or low)"
            )),
        }
    }
}

/// A second location that explains a finding (for example the read of a read-modify-write).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Related {
    /// The file, when it is not the finding's own (evidence from another module).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One reported problem. Lines and columns are 1-based; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Path as displayed: relative to the current directory when below it, `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub related: Vec<Related>,
    pub fix: Option<String>,
    pub fingerprint: String,
    /// Source lines around the finding, for the code frame of the text output.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
}

/// A few lines of source kept for rendering, so the file's text need not outlive its analysis.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Snippet {
    /// 1-based number of the first line in `text`.
    pub first_line: usize,
    pub text: String,
    /// Byte range of the finding inside `text`.
    pub start: usize,
    pub end: usize,
}

impl Finding {
    /// The sort key that makes output deterministic whatever the thread count.
    pub fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.line, self.column, self.code)
    }
}
