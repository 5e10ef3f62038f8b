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
    /// Byte range of a conditional finding, whose code frame is cut only if it stands (most
    /// do not, and the source is gone by then).
    pub deferred_snippet: Option<(u32, u32)>,
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
                deferred_snippet: None,
            }],
            ..ModuleSummary::default()
        }
    }

    /// The file's findings once linked: those whose condition holds (with the project's evidence
    /// appended), minus those its `noqa` comments hide, plus SWC900 for unused codes. Returns the
    /// findings and how many were hidden. `source` gives the file's text again, for the code
    /// frames of conditional findings that stand.
    pub fn finish(
        &self,
        path: &str,
        project: &Project<'_>,
        source: &dyn Fn() -> Option<String>,
    ) -> (Vec<Finding>, usize) {
        let mut deferred = Vec::new();
        let mut findings: Vec<Finding> = self
            .candidates
            .iter()
            .filter_map(|c| {
                let verdict = match &c.condition {
                    Condition::Always => Default::default(),
                    condition => project.verdict(path, condition)?,
                };
                let mut f = c.finding.clone();
                for (written, is) in &verdict.renamed {
                    f.message = f.message.replacen(written.as_str(), is, 1);
                    for r in &mut f.related {
                        r.message = r.message.replacen(written.as_str(), is, 1);
                    }
                }
                f.related.extend(verdict.evidence);
                if let Some((at_most, why)) = verdict.demoted {
                    if f.severity > at_most {
                        f.severity = at_most;
                        f.message = format!("{}; {why}", f.message);
                    }
                }
                if let Some(range) = c.deferred_snippet {
                    deferred.push((f.fingerprint.clone(), range));
                }
                Some(f)
            })
            .collect();
        if !deferred.is_empty() {
            if let Some(text) = source() {
                let index = ruff_source_file::LineIndex::from_source_text(&text);
                for f in &mut findings {
                    if let Some((_, (start, end))) =
                        deferred.iter().find(|(fp, _)| *fp == f.fingerprint)
                    {
                        f.snippet = crate::lint::snippet_checked(&text, &index, *start, *end);
                    }
                }
            }
        }
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
