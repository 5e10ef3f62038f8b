//! Findings as the editor sees them: diagnostics with UTF-16 positions, the rule's text on
//! hover, and the "add `# noqa`" code action.

use super::Document;
use crate::finding::{Finding, Severity};
use crate::lint::noqa;
use crate::rules::catalog;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, Hover, HoverContents, HoverParams, Location,
    MarkupContent, MarkupKind, NumberOrString, Position, Range, TextEdit, Url, WorkspaceEdit,
};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The diagnostics of one document. `base` is the directory finding paths are relative to;
/// evidence in other files becomes related information pointing at them.
pub(super) fn for_document(
    findings: &[Finding],
    text: &str,
    uri: &Url,
    base: &Path,
    path: &Path,
) -> Vec<Diagnostic> {
    let lines: Vec<&str> = text.split('\n').collect();
    findings
        .iter()
        .map(|f| {
            let related = f
                .related
                .iter()
                .filter_map(|r| {
                    let (uri, lines) = match &r.path {
                        Some(p) if base.join(p) != path => {
                            (Url::from_file_path(base.join(p)).ok()?, None)
                        }
                        _ => (uri.clone(), Some(&lines[..])),
                    };
                    let at = position(lines, r.line, r.column);
                    Some(DiagnosticRelatedInformation {
                        location: Location {
                            uri,
                            range: Range::new(at, at),
                        },
                        message: r.message.clone(),
                    })
                })
                .collect();
            Diagnostic {
                range: range_of(f, &lines),
                severity: Some(match f.severity {
                    Severity::High => DiagnosticSeverity::ERROR,
                    Severity::Medium => DiagnosticSeverity::WARNING,
                    Severity::Low => DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(f.code.to_string())),
                code_description: None,
                source: Some("swarmcheck".into()),
                message: match &f.fix {
                    Some(fix) => format!("{}\nfix: {fix}", f.message),
                    None => f.message.clone(),
                },
                related_information: Some(related),
                tags: None,
                data: None,
            }
        })
        .collect()
}

fn range_of(f: &Finding, lines: &[&str]) -> Range {
    let start = position(Some(lines), f.line, f.column);
    let mut end = position(Some(lines), f.end_line, f.end_column);
    if end <= start {
        // A whole-file finding (SWC000) or an empty span: mark the rest of the line.
        let len = lines
            .get(start.line as usize)
            .map_or(0, |l| utf16_len(l.trim_end_matches('\r')));
        end = Position::new(start.line, len.max(start.character));
    }
    Range::new(start, end)
}

/// A 1-based line and character column as an LSP position (0-based, UTF-16 code units). Without
/// the text (a file that is not open), characters are taken as one unit each.
fn position(lines: Option<&[&str]>, line: usize, column: usize) -> Position {
    let row = line.saturating_sub(1);
    let chars = column.saturating_sub(1);
    let character = match lines.and_then(|l| l.get(row)) {
        Some(text) => text.chars().take(chars).map(char::len_utf16).sum(),
        None => chars,
    };
    Position::new(row as u32, character as u32)
}

fn utf16_len(s: &str) -> u32 {
    s.chars().map(char::len_utf16).sum::<usize>() as u32
}

fn document<'d>(documents: &'d FxHashMap<PathBuf, Document>, uri: &Url) -> Option<&'d Document> {
    documents.get(&super::local_path(uri)?)
}

/// The text of every rule with a finding under the cursor.
pub(super) fn hover(documents: &FxHashMap<PathBuf, Document>, p: &HoverParams) -> Option<Hover> {
    let at = &p.text_document_position_params;
    let doc = document(documents, &at.text_document.uri)?;
    let line = at.position.line as usize + 1;
    let mut codes: Vec<&str> = doc
        .findings
        .iter()
        .filter(|f| f.line <= line && line <= f.end_line.max(f.line))
        .map(|f| f.code)
        .collect();
    // Findings are sorted by line, so the same rule can come back after another one.
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return None;
    }
    let value = codes
        .iter()
        .filter_map(|c| catalog::get(c))
        .map(|meta| format!("```text\n{}\n```", meta.text().trim_end()))
        .collect::<Vec<_>>()
        .join("\n\n---\n\n");
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: None,
    })
}

/// "Add `# noqa: CODE`" for each swarmcheck diagnostic the client sends back.
pub(super) fn noqa_actions(
    documents: &FxHashMap<PathBuf, Document>,
    p: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let Some(doc) = document(documents, &p.text_document.uri) else {
        return Vec::new();
    };
    let lines: Vec<&str> = doc.text.split('\n').collect();
    p.context
        .diagnostics
        .iter()
        .filter(|d| d.source.as_deref() == Some("swarmcheck"))
        .filter_map(|d| {
            let Some(NumberOrString::String(code)) = &d.code else {
                return None;
            };
            // An unreadable or unparsable file cannot be hidden line by line.
            if code == "SWC000" {
                return None;
            }
            let row = d.range.start.line as usize;
            let line = lines.get(row)?.trim_end_matches('\r');
            let new_text = noqa_addition(line, code)?;
            let end = Position::new(row as u32, utf16_len(line.trim_end()));
            let edit = TextEdit {
                range: Range::new(end, Position::new(row as u32, utf16_len(line))),
                new_text,
            };
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Add `# noqa: {code}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(p.text_document.uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            }))
        })
        .collect()
}

/// What replaces the trailing whitespace of `line` so that it suppresses `code`: a new comment,
/// or the code appended to a `# noqa: A, B` that ends the line. `None` when the line already
/// suppresses it (a bare `# noqa`, or one naming the code). The directive is read by the same
/// parser the suppressions use, so the action and the check agree on what it hides.
fn noqa_addition(line: &str, code: &str) -> Option<String> {
    let mut file = noqa::FileExemption::None;
    let directive = line
        .match_indices('#')
        .find_map(|(at, _)| noqa::parse_comment(&line[at..], at as u32, &mut file));
    let Some(directive) = directive else {
        return Some(format!("  # noqa: {code}"));
    };
    // A bare `# noqa` already hides everything on the line.
    let codes = directive.codes?;
    if codes.iter().any(|(c, _)| c == code) {
        return None;
    }
    // Words after the codes end the directive, so a code can join it only where it ends the line.
    if usize::from(directive.range.end()) == line.trim_end().len() {
        Some(format!(", {code}"))
    } else {
        Some(format!("  # noqa: {code}"))
    }
}

#[cfg(test)]
mod tests {
    use super::noqa_addition;

    #[test]
    fn noqa_is_added_or_extended() {
        assert_eq!(
            noqa_addition("x.append(1)", "SWC102").as_deref(),
            Some("  # noqa: SWC102")
        );
        assert_eq!(
            noqa_addition("x.append(1)  # noqa: SWC301", "SWC102").as_deref(),
            Some(", SWC102")
        );
        assert_eq!(noqa_addition("x.append(1)  # noqa", "SWC102"), None);
        assert_eq!(noqa_addition("x.append(1)  # NOQA: swc102", "SWC102"), None);
        assert_eq!(
            noqa_addition("x  # noqa: SWC301 see issue", "SWC102").as_deref(),
            Some("  # noqa: SWC102")
        );
        // `#noqa` without a space is a directive too, as for the suppressions themselves.
        assert_eq!(
            noqa_addition("x  #noqa:SWC301", "SWC102").as_deref(),
            Some(", SWC102")
        );
    }
}
