//! The analysis engine: discovery, decoding, parsing, semantic facts, the rule walk,
//! suppressions and baseline. It returns findings; it never prints.

pub mod baseline;
pub mod cache;
pub mod checker;
pub mod containers;
pub mod discover;
pub mod json_io;
pub mod nesting;
pub mod noqa;
pub mod semantic;
pub mod settings;
pub mod source;

use crate::finding::{Finding, Related, Snippet};
use crate::rules::{Rule, RuleSet};
use checker::{Checker, Diagnostic};
use rayon::prelude::*;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::PySourceType;
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};
use semantic::SemanticModel;
use settings::LintSettings;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use discover::WalkError;

/// Stack for analysis threads: the parser and visitors recurse once per nesting level, and
/// pathological files (10,000 nested parentheses) must not overflow.
pub const ANALYSIS_STACK_BYTES: usize = 256 * 1024 * 1024;

/// The result of one scan.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub files_scanned: usize,
    /// Findings, sorted by path, line, column, code.
    pub findings: Vec<Finding>,
    pub errors: Vec<WalkError>,
    /// Findings hidden by `# noqa` comments.
    pub suppressed: usize,
    /// Findings hidden by the baseline.
    pub baselined: usize,
}

/// Discovers and checks `paths`. `on_file` is called once per checked file (for progress).
pub fn check_paths(
    paths: &[PathBuf],
    settings: &LintSettings,
    cwd: &Path,
    on_discovered: &(dyn Fn(usize) + Sync),
    on_file: &(dyn Fn() + Sync),
    cache: Option<&cache::Cache>,
) -> Result<ScanResult, String> {
    let roots: Vec<PathBuf> = paths.iter().map(|p| discover::normalize(p, cwd)).collect();
    let (files, errors) = discover::discover(&roots, settings);
    on_discovered(files.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK_BYTES)
        .build()
        .map_err(|e| format!("cannot start analysis threads: {e}"))?;
    let per_file: Vec<(Vec<Finding>, usize)> = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let display = display_path(path, cwd);
                let out = check_file(path, &display, settings, cache);
                on_file();
                out
            })
            .collect()
    });
    let mut result = ScanResult {
        files_scanned: files.len(),
        ..ScanResult::default()
    };
    // A directory that cannot be walked hides its files: report it like an unreadable file.
    for error in errors {
        let display = display_path(Path::new(&error.path), cwd);
        result.findings.push(whole_file_finding(
            &display,
            format!("cannot scan: {}", error.message),
            settings,
        ));
    }
    for (findings, suppressed) in per_file {
        result.findings.extend(findings);
        result.suppressed += suppressed;
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(result)
}

/// Hides findings whose fingerprint is in `baseline`.
pub fn apply_baseline(result: &mut ScanResult, baseline: &HashSet<&str>) {
    let before = result.findings.len();
    let syntax_error = Rule::SyntaxError.code();
    result
        .findings
        .retain(|f| f.code == syntax_error || !baseline.contains(f.fingerprint.as_str()));
    result.baselined = before - result.findings.len();
}

/// The path as shown to users: relative to `cwd` when below it, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path
        .strip_prefix(cwd)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let shown = shown.strip_prefix("./").unwrap_or(shown);
    shown.to_string_lossy().replace('\\', "/")
}

/// Checks one file on disk (or takes its findings from the cache). Returns its findings and the
/// number suppressed by `# noqa`.
pub fn check_file(
    path: &Path,
    display: &str,
    settings: &LintSettings,
    cache: Option<&cache::Cache>,
) -> (Vec<Finding>, usize) {
    let rules = settings.rules_for(path);
    let stamp = cache.and_then(|_| cache::stamp(path));
    if let (Some(c), Some(s)) = (cache, &stamp) {
        if let Some(hit) = c.lookup(path, display, rules.bits(), s, || std::fs::read(path).ok()) {
            return hit;
        }
    }
    let unreadable = |message: String| (vec![whole_file_finding(display, message, settings)], 0);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return unreadable("cannot read file: it is a directory".into())
        }
        Ok(meta) if meta.len() > settings.max_file_size => {
            return unreadable(format!(
            "file is {} bytes, over the {}-byte size limit (`max-file-size`); it was not analyzed",
            meta.len(),
            settings.max_file_size
        ))
        }
        Ok(_) => {}
        Err(e) => return unreadable(format!("cannot read file: {e}")),
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(format!("cannot read file: {e}")),
    };
    let is_stub = path.extension().is_some_and(|e| e == "pyi");
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_source(&bytes, display, is_stub, rules, settings)
    }));
    if let (Ok((findings, suppressed)), Some(c), Some(s)) = (&run, cache, &stamp) {
        c.store(
            path,
            display,
            rules.bits(),
            s,
            cache::content_hash(&bytes),
            findings,
            *suppressed,
        );
    }
    run.unwrap_or_else(|_| {
        unreadable("internal error while analyzing this file (please report it); the rest of the scan went on".into())
    })
}

fn whole_file_finding(display: &str, message: String, settings: &LintSettings) -> Finding {
    Finding {
        code: Rule::SyntaxError.code(),
        name: Rule::SyntaxError.name(),
        severity: settings.severity_of(Rule::SyntaxError),
        path: display.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        message,
        related: Vec::new(),
        fix: None,
        // Whole-file findings have no line text: the fingerprint is the code and path.
        fingerprint: baseline::fingerprint(Rule::SyntaxError.code(), display, "", 0),
        snippet: None,
    }
}

/// Checks one file's bytes: decode, parse, semantic facts, the rule walk, then suppressions.
/// Public so benchmarks and fuzzers can drive the whole per-file analysis without a file system.
pub fn check_source(
    bytes: &[u8],
    display: &str,
    is_stub: bool,
    rules: RuleSet,
    settings: &LintSettings,
) -> (Vec<Finding>, usize) {
    let text = match source::decode(bytes) {
        Ok(text) => text,
        Err(e) => {
            let mut f = whole_file_finding(display, e.message, settings);
            f.line = e.line;
            f.end_line = e.line;
            return (vec![f], 0);
        }
    };
    let text: &str = &text;
    if let Some(depth) = nesting::too_deep(text) {
        let f = whole_file_finding(
            display,
            format!(
                "expressions are nested about {depth} levels deep, over the {} that can be analyzed safely (CPython rejects such code too); the file was not analyzed",
                nesting::MAX_NESTING
            ),
            settings,
        );
        return (vec![f], 0);
    }
    let source_type = if is_stub {
        PySourceType::Stub
    } else {
        PySourceType::Python
    };
    let parsed = ruff_python_parser::parse_unchecked_source(text, source_type);
    let mut diagnostics = Vec::new();
    if let Some(error) = parsed.errors().first() {
        diagnostics.push(Diagnostic {
            rule: Rule::SyntaxError,
            range: error.location,
            message: format!("syntax error: {}", error.error),
            related: Vec::new(),
            fix: None,
        });
        let index = LineIndex::from_source_text(text);
        return (to_findings(diagnostics, text, &index, display, settings), 0);
    }
    let suite = parsed.suite();
    let semantic = SemanticModel::build(suite);
    diagnostics = Checker::new(&semantic, suite, rules, &settings.options).run();

    // Suppressions from comments.
    let mut file_exemption = noqa::FileExemption::None;
    let mut directives = Vec::new();
    for token in parsed.tokens().iter() {
        if token.kind() == TokenKind::Comment {
            let comment = &text[token.range()];
            if comment.len() >= 5 && comment.to_ascii_lowercase().contains("noqa") {
                if let Some(d) =
                    noqa::parse_comment(comment, u32::from(token.start()), &mut file_exemption)
                {
                    directives.push(d);
                }
            }
        }
    }
    if diagnostics.is_empty() && directives.is_empty() {
        return (Vec::new(), 0);
    }
    let index = LineIndex::from_source_text(text);
    let line_of = |offset: TextSize| index.line_index(offset).get();
    let mut used: Vec<HashSet<String>> = vec![HashSet::new(); directives.len()];
    let mut bare_used = vec![false; directives.len()];
    let directive_lines: Vec<usize> = directives
        .iter()
        .map(|d| line_of(d.range.start()))
        .collect();
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let code = d.rule.code();
        if file_exemption.covers(code) {
            return false;
        }
        let line = line_of(d.range.start());
        for (i, directive) in directives.iter().enumerate() {
            if directive_lines[i] != line {
                continue;
            }
            match &directive.codes {
                None => {
                    bare_used[i] = true;
                    return false;
                }
                Some(codes) if codes.iter().any(|(c, _)| c == code) => {
                    used[i].insert(code.to_string());
                    return false;
                }
                Some(_) => {}
            }
        }
        true
    });
    let suppressed = before - diagnostics.len();
    if rules.contains(Rule::UnusedNoqa) && !file_exemption.covers(Rule::UnusedNoqa.code()) {
        for (i, directive) in directives.iter().enumerate() {
            let Some(codes) = &directive.codes else {
                continue;
            };
            for (code, range) in codes {
                if !code.starts_with("SWC") || used[i].contains(code) {
                    continue;
                }
                let message = match Rule::from_code(code) {
                    Some(rule) if rules.contains(rule) => format!(
                        "unused `noqa` directive: {code} ({}) reported nothing on this line",
                        rule.name()
                    ),
                    Some(_) => continue,
                    None => format!("unused `noqa` directive: {code} is not a swarmcheck rule"),
                };
                diagnostics.push(Diagnostic {
                    rule: Rule::UnusedNoqa,
                    range: *range,
                    message,
                    related: Vec::new(),
                    fix: Some(format!("remove `{code}` from the `noqa` comment")),
                });
            }
        }
    }
    (
        to_findings(diagnostics, text, &index, display, settings),
        suppressed,
    )
}

fn to_findings(
    mut diagnostics: Vec<Diagnostic>,
    text: &str,
    index: &LineIndex,
    display: &str,
    settings: &LintSettings,
) -> Vec<Finding> {
    diagnostics.sort_by_key(|d| (d.range.start(), d.rule));
    let mut findings = Vec::with_capacity(diagnostics.len());
    let mut lines = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let start = index.line_column(d.range.start(), text);
        let end = index.line_column(d.range.end(), text);
        let line_range = index.line_range(start.line, text);
        lines.push(baseline::normalize_line(&text[line_range]));
        findings.push(Finding {
            code: d.rule.code(),
            name: d.rule.name(),
            severity: settings.severity_of(d.rule),
            path: display.to_string(),
            line: start.line.get(),
            column: start.column.get(),
            end_line: end.line.get(),
            end_column: end.column.get(),
            related: d
                .related
                .iter()
                .map(|(range, message)| {
                    let at = index.line_column(range.start(), text);
                    Related {
                        line: at.line.get(),
                        column: at.column.get(),
                        message: message.clone(),
                    }
                })
                .collect(),
            message: d.message,
            fix: d.fix,
            fingerprint: String::new(),
            snippet: Some(snippet(text, index, d.range)),
        });
    }
    baseline::assign_fingerprints(findings.iter_mut().zip(lines));
    findings
}

/// The finding's lines plus one line of context on each side (at most 8 lines).
fn snippet(text: &str, index: &LineIndex, range: TextRange) -> Snippet {
    let first = index.line_index(range.start());
    let last = index.line_index(range.end());
    let from = first.saturating_sub(1);
    let last_line = index.line_count();
    let to = last
        .saturating_add(1)
        .min(ruff_source_file::OneIndexed::new(last_line).unwrap_or(last));
    let to = if to.get() > from.get() + 7 {
        ruff_source_file::OneIndexed::new(from.get() + 7).unwrap_or(to)
    } else {
        to
    };
    let start = index.line_start(from, text);
    let end = index.line_end(to, text);
    let slice_end = usize::from(end);
    let start_u = usize::from(start);
    let r_start = usize::from(range.start()).saturating_sub(start_u);
    let r_end = (usize::from(range.end()).min(slice_end)).saturating_sub(start_u);
    Snippet {
        first_line: from.get(),
        text: text[start_u..slice_end].to_string(),
        start: r_start,
        end: r_end.max(r_start),
    }
}
