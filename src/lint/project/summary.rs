//! What phase one keeps of a file once its AST is dropped, and how phase two turns it into the
//! file's findings: candidates whose conditions the project confirms, then the file's `noqa`
//! comments.

use super::link::Project;
use super::{Condition, ModuleFacts};
use crate::finding::Finding;
use crate::lint::noqa::FileExemption;
use std::collections::HashSet;

/// A finding that stands when its condition holds in the project.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub finding: Finding,
    pub condition: Condition,
}

/// A `# noqa` comment: its line and codes (`None`: bare `# noqa`). Each code carries the SWC900
/// finding to report when nothing on the line used it (`None` when SWC900 would not report it).
#[derive(Clone, Debug)]
pub struct LineSuppression {
    pub line: usize,
    pub codes: Option<Vec<(String, Option<Finding>)>>,
}

/// One file after phase one.
#[derive(Clone, Debug, Default)]
pub struct ModuleSummary {
    pub facts: ModuleFacts,
    pub candidates: Vec<Candidate>,
    pub file_exemption: FileExemption,
    pub suppressions: Vec<LineSuppression>,
}

impl ModuleSummary {
    /// A file that could not be analyzed: one whole-file finding and no facts.
    pub fn failed(finding: Finding) -> Self {
        ModuleSummary {
            candidates: vec![Candidate {
                finding,
                condition: Condition::Always,
            }],
            ..ModuleSummary::default()
        }
    }

    /// The file's findings once linked: those whose condition holds (with the project's evidence
    /// appended), minus those its `noqa` comments hide, plus SWC900 for unused codes. Returns the
    /// findings and how many were hidden.
    pub fn finish(&self, path: &str, project: Option<&Project<'_>>) -> (Vec<Finding>, usize) {
        let mut findings: Vec<Finding> = self
            .candidates
            .iter()
            .filter_map(|c| {
                let evidence = match (&c.condition, project) {
                    (Condition::Always, _) => Vec::new(),
                    (condition, Some(p)) => p.verdict(path, condition)?,
                    (_, None) => return None,
                };
                let mut f = c.finding.clone();
                f.related.extend(evidence);
                Some(f)
            })
            .collect();
        let before = findings.len();
        let syntax_error = crate::rules::Rule::SyntaxError.code();
        let mut used: Vec<HashSet<&str>> = vec![HashSet::new(); self.suppressions.len()];
        findings.retain(|f| {
            if f.code != syntax_error && self.file_exemption.covers(f.code) {
                return false;
            }
            for (i, s) in self.suppressions.iter().enumerate() {
                if s.line != f.line {
                    continue;
                }
                match &s.codes {
                    None => return false,
                    Some(codes) if codes.iter().any(|(c, _)| c == f.code) => {
                        used[i].insert(f.code);
                        return false;
                    }
                    Some(_) => {}
                }
            }
            true
        });
        let suppressed = before - findings.len();
        for (i, s) in self.suppressions.iter().enumerate() {
            for (code, unused) in s.codes.iter().flatten() {
                if let Some(f) = unused {
                    if !used[i].contains(code.as_str()) {
                        findings.push(f.clone());
                    }
                }
            }
        }
        (findings, suppressed)
    }
}
