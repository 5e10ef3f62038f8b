//! Lock metrics on a page: the wait histogram and the outcomes per document (shared by the `slo`
//! page), and the `lock.report` page.

use super::charts::{self, palette};
use super::{aggregate, count, esc, page_end, page_start, swatch};
use crate::obs::fmt::fmt_ms;
use crate::obs::load::Op;
use crate::obs::lock_report::{LockReport, Stats};
use crate::obs::slo::eval::pct;
use std::fmt::Write as _;

pub(super) fn lock_section(
    out: &mut String,
    ops: &[&Op],
    threshold_ms: Option<f64>,
    start: i64,
    end: i64,
) {
    out.push_str("<section id=\"locks\">\n<h2>Lock metrics</h2>\n");
    if ops.is_empty() {
        out.push_str("<p class=\"note\">No lock operations recorded.</p>\n</section>\n");
        return;
    }
    let h = aggregate::wait_histogram(ops);
    if let Some(p) = &h.percentiles {
        let _ = writeln!(
            out,
            "<p>{} operations: waits p50 {}, p95 {}, p99 {}, max {}{}.</p>",
            count(h.operations),
            charts::ms_label(p.p50),
            charts::ms_label(p.p95),
            charts::ms_label(p.p99),
            charts::ms_label(p.max),
            threshold_ms
                .map(|t| format!("; the latency objective allows {}", charts::ms_label(t)))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "<figure>{}<figcaption>How long operations waited for the lock (all documents, logarithmic bins).</figcaption></figure>",
        charts::wait_histogram(&h, threshold_ms)
    );
    let (docs, omitted) = aggregate::outcomes_by_document(ops, start, end);
    if !docs.is_empty() {
        let _ = writeln!(
            out,
            "<h3>Outcomes over time, per document</h3>\n<p class=\"legend\">Operations per 1/{} of the period, logarithmic:{}{}{}{}{}</p>",
            aggregate::BUCKETS,
            swatch(palette::GOOD, "ok"),
            swatch(palette::LINE, "recovered"),
            swatch(palette::P2, "timeout"),
            swatch(palette::BAD, "error"),
            swatch(palette::NONE, "aborted"),
        );
        for d in &docs {
            let _ = writeln!(
                out,
                "<figure>{}<figcaption><code>{}</code>: {} operations, {} failed</figcaption></figure>",
                charts::outcomes(d, start, end),
                esc(&d.path),
                count(d.operations),
                count(d.failed)
            );
        }
        if omitted > 0 {
            let _ = writeln!(
                out,
                "<p class=\"note\">{omitted} quieter document{} not drawn.</p>",
                if omitted == 1 { "" } else { "s" }
            );
        }
    }
    out.push_str("</section>\n");
}

/// The `lock.report` page: the lock section over the reported period, and the table.
pub fn lock_page(report: &LockReport, ops: &[&Op], start: i64, end: i64) -> String {
    let mut out = String::new();
    page_start(
        &mut out,
        &format!("swarmcheck lock report, {}", report.generated_at),
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>Lock report</h1>\n<p class=\"meta\">Generated at {} · {} · from {}</p>\n</header>",
        esc(&report.generated_at),
        esc(&report.freshness.status),
        esc(&report.files.join(", "))
    );
    let _ = writeln!(
        out,
        "<p>Operation success rate <strong>{}</strong> over {} operations ({} to {}); timeouts and errors fail, recoveries do not.</p>",
        report.overall.success_rate.map_or("-".into(), pct),
        count(report.overall.operations),
        esc(&fmt_ms(start)),
        esc(&fmt_ms(end))
    );
    lock_section(&mut out, ops, None, start, end);
    out.push_str("<section id=\"documents\">\n<h2>Per document</h2>\n<table>\n<tr><th>document</th><th class=\"n\">operations</th><th class=\"n\">success</th><th class=\"n\">timeouts</th><th class=\"n\">errors</th><th class=\"n\">wait p50</th><th class=\"n\">p95</th><th class=\"n\">p99</th><th class=\"n\">peak waiters</th></tr>\n");
    let row = |out: &mut String, name: &str, s: &Stats| {
        let get = |k: &str| s.outcomes.get(k).copied().unwrap_or(0);
        let w = |f: fn(&crate::obs::lock_report::Percentiles) -> f64| {
            s.wait_ms
                .as_ref()
                .map_or("-".into(), |p| charts::ms_label(f(p)))
        };
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(name),
            count(s.operations),
            s.success_rate.map_or("-".into(), pct),
            get("timeout"),
            get("error"),
            w(|p| p.p50),
            w(|p| p.p95),
            w(|p| p.p99),
            s.peak_waiters
        );
    };
    for (path, s) in &report.by_path {
        row(&mut out, path, s);
    }
    row(&mut out, "(all)", &report.overall);
    out.push_str("</table>\n");
    if !report.malformed.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} malformed entries were skipped.</p>",
            report.malformed.len()
        );
    }
    out.push_str("</section>\n");
    page_end(&mut out);
    out
}
