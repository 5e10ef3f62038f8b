//! `text` (code frames, via miette) and `concise` output, plus `--statistics`.

use super::ReportOptions;
use crate::finding::{Finding, Severity, Snippet};
use crate::lint::ScanResult;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode,
    SourceSpan, SpanContents,
};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

pub fn full(result: &ScanResult, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_links(false);
    for finding in &result.findings {
        let mut rendered = String::new();
        let view = FindingView(finding);
        if handler.render_report(&mut rendered, &view).is_err() {
            rendered = format!("{}\n", concise_line(finding));
        }
        out.write_all(rendered.as_bytes())?;
        writeln!(out)?;
    }
    walk_errors(result, out)?;
    if !options.quiet {
        summary(result, out)?;
    }
    Ok(())
}

pub fn concise(
    result: &ScanResult,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for f in &result.findings {
        writeln!(out, "{}", concise_line(f))?;
    }
    walk_errors(result, out)?;
    if !options.quiet {
        summary(result, out)?;
    }
    Ok(())
}

/// Findings per rule, most frequent first: `(code, name, severity, count)`.
pub fn rule_counts(result: &ScanResult) -> Vec<(&'static str, &'static str, Severity, usize)> {
    let mut counts: BTreeMap<(&'static str, &'static str), (usize, Severity)> = BTreeMap::new();
    for f in &result.findings {
        let entry = counts.entry((f.code, f.name)).or_insert((0, f.severity));
        entry.0 += 1;
    }
    let mut rows: Vec<_> = counts
        .into_iter()
        .map(|((code, name), (count, severity))| (code, name, severity, count))
        .collect();
    rows.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)));
    rows
}

pub fn statistics(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let rows = rule_counts(result);
    let width = rows
        .iter()
        .map(|r| r.3.to_string().len())
        .max()
        .unwrap_or(1);
    for (code, name, severity, count) in rows {
        writeln!(out, "{count:>width$}\t{code}\t[{severity}]\t{name}")?;
    }
    Ok(())
}

fn concise_line(f: &Finding) -> String {
    format!(
        "{}:{}:{}: {} [{}] {}",
        f.path, f.line, f.column, f.code, f.severity, f.message
    )
}

fn walk_errors(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    for e in &result.errors {
        writeln!(out, "error: {}: {}", e.path, e.message)?;
    }
    Ok(())
}

fn summary(result: &ScanResult, out: &mut dyn Write) -> io::Result<()> {
    let count = |s: Severity| result.findings.iter().filter(|f| f.severity == s).count();
    let n = result.findings.len();
    let files = result.files_scanned;
    if n == 0 {
        write!(
            out,
            "No findings in {files} file{}.",
            if files == 1 { "" } else { "s" }
        )?;
    } else {
        write!(
            out,
            "Found {n} finding{} ({} high, {} medium, {} low) in {files} file{}.",
            if n == 1 { "" } else { "s" },
            count(Severity::High),
            count(Severity::Medium),
            count(Severity::Low),
            if files == 1 { "" } else { "s" }
        )?;
    }
    if result.suppressed > 0 {
        write!(out, " {} suppressed by noqa.", result.suppressed)?;
    }
    if result.baselined > 0 {
        write!(out, " {} hidden by the baseline.", result.baselined)?;
    }
    writeln!(out)
}

/// A finding seen as a miette diagnostic, over its stored snippet.
struct FindingView<'f>(&'f Finding);

impl fmt::Debug for FindingView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Display for FindingView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.0.severity, self.0.message)
    }
}

impl std::error::Error for FindingView<'_> {}

impl Diagnostic for FindingView<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!("{} {}", self.0.code, self.0.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let mut help = self.0.fix.clone().unwrap_or_default();
        for r in &self.0.related {
            if !help.is_empty() {
                help.push('\n');
            }
            match &r.path {
                Some(path) => {
                    help.push_str(&format!("{path}:{}:{}: {}", r.line, r.column, r.message))
                }
                None => help.push_str(&format!("line {}:{}: {}", r.line, r.column, r.message)),
            }
        }
        (!help.is_empty()).then(|| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.snippet.as_ref().map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let s = self.0.snippet.as_ref()?;
        let span = SourceSpan::from((s.start, s.end - s.start));
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.0.code.to_string()),
            span,
        ))))
    }
}

impl SourceCode for FindingView<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let snippet: &'a Snippet = self.0.snippet.as_ref().ok_or(MietteError::OutOfBounds)?;
        let inner = snippet.text.read_span(span, before, after)?;
        Ok(Box::new(ShiftedContents {
            inner,
            first_line: snippet.first_line,
            name: &self.0.path,
            column: self.0.column.saturating_sub(1),
        }))
    }
}

/// Span contents whose line numbers are those of the whole file, not of the snippet.
struct ShiftedContents<'a> {
    inner: Box<dyn SpanContents<'a> + 'a>,
    first_line: usize,
    name: &'a str,
    /// 0-based character column of the finding, as the other formats report it.
    column: usize,
}

impl<'a> SpanContents<'a> for ShiftedContents<'a> {
    fn data(&self) -> &'a [u8] {
        self.inner.data()
    }
    fn span(&self) -> &SourceSpan {
        self.inner.span()
    }
    fn name(&self) -> Option<&str> {
        Some(self.name)
    }
    fn line(&self) -> usize {
        self.inner.line() + self.first_line - 1
    }
    fn column(&self) -> usize {
        self.column
    }
    fn line_count(&self) -> usize {
        self.inner.line_count()
    }
}
