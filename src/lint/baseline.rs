//! Fingerprints that survive lines moving, and the baseline file built from them.
//!
//! A fingerprint hashes the rule code, the path, the reported line's text with whitespace
//! collapsed, and the occurrence index of that (code, text) pair in the file. Inserting or
//! deleting lines elsewhere leaves it unchanged; editing the reported line changes it.

use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// `text` with runs of whitespace collapsed to one space and the ends trimmed.
pub fn normalize_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn fingerprint(code: &str, path: &str, normalized_line: &str, occurrence: usize) -> String {
    let mut hasher = Sha256::new();
    for part in [code, path, normalized_line, &occurrence.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Assigns fingerprints to one file's findings (sorted by position), given each finding's line text.
pub fn assign_fingerprints<'f>(findings: impl Iterator<Item = (&'f mut Finding, String)>) {
    let mut seen: HashMap<(&'static str, String), usize> = HashMap::new();
    for (finding, normalized) in findings {
        let occurrence = seen.entry((finding.code, normalized.clone())).or_insert(0);
        finding.fingerprint = fingerprint(finding.code, &finding.path, &normalized, *occurrence);
        *occurrence += 1;
    }
}

/// The on-disk baseline: the findings accepted when it was written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub code: String,
    pub path: String,
    /// Informational: where the finding was when the baseline was written.
    pub line: usize,
    pub message: String,
}

impl BaselineFile {
    pub fn from_findings(findings: &[Finding]) -> Self {
        BaselineFile {
            version: 1,
            tool: "swarmcheck".to_string(),
            // A file that could not be analyzed is never accepted: it would hide whatever the
            // file holds once it parses again.
            findings: findings
                .iter()
                .filter(|f| f.code != crate::rules::Rule::SyntaxError.code())
                .map(|f| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    code: f.code.to_string(),
                    path: f.path.clone(),
                    line: f.line,
                    message: f.message.clone(),
                })
                .collect(),
        }
    }

    pub fn fingerprints(&self) -> HashSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        let baseline: BaselineFile =
            serde_json::from_str(&text).map_err(|e| format!("not a swarmcheck baseline: {e}"))?;
        if baseline.version != 1 {
            return Err(format!("unsupported baseline version {}", baseline.version));
        }
        Ok(baseline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_change_the_fingerprint() {
        let a = fingerprint("SWC301", "a.py", &normalize_line("  f = open(p)  "), 0);
        let b = fingerprint("SWC301", "a.py", &normalize_line("f  =  open(p)"), 0);
        assert_eq!(a, b);
        assert_ne!(a, fingerprint("SWC301", "a.py", "f = open(p)", 1));
        assert_ne!(a, fingerprint("SWC301", "b.py", "f = open(p)", 0));
        assert_eq!(a.len(), 16);
    }
}
