//! The `slo` page: objectives by urgency, each with its budget, burn rate and good/bad strip,
//! then the locks, the agents, the findings and the data sources.

use super::charts::{self, palette};
use super::{aggregate, count, esc, locks, page_end, page_start, swatch};
use crate::obs::fmt::{bytes, window_label};
use crate::obs::load::Op;
use crate::obs::pulse::{PulseState, Totals};
use crate::obs::slo::eval::{error_budget, pct, Series};
use crate::obs::slo::{FindingRef, ObjectiveOut, Report, Verdict};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The agents' history: totals per observation and, where recorded, each agent's state.
pub struct AgentHistory<'a> {
    pub totals: &'a [(i64, Totals)],
    pub states: &'a [(i64, BTreeMap<String, PulseState>)],
}

/// Everything the SLO page shows.
pub struct SloPage<'a> {
    pub report: &'a Report,
    /// For each of `report.objectives`, in order: its good/bad series and window, for SLOs
    /// that have data.
    pub histories: Vec<Option<(&'a Series, i64)>>,
    pub ops: Option<&'a [Op]>,
    /// The first `lock-latency` objective's threshold, drawn on the wait histogram.
    pub latency_threshold_ms: Option<f64>,
    pub agents: Option<AgentHistory<'a>>,
    pub findings: Option<&'a [FindingRef]>,
    pub now_ms: i64,
}

/// Urgency order of the summary tiles: alerts by priority, then violating, at risk, no data,
/// meeting.
fn urgency(o: &ObjectiveOut) -> (u8, u8) {
    let alert = o.alert.as_ref().map_or(9, |a| a.priority as u8);
    let verdict = match o.verdict {
        Verdict::Violating => 0,
        Verdict::AtRisk => 1,
        Verdict::NoData => 2,
        Verdict::Meeting => 3,
    };
    (alert, verdict)
}

fn anchor(i: usize, name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("objective-{i}-{slug}")
}

fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Meeting => "meeting",
        Verdict::AtRisk => "at risk",
        Verdict::Violating => "violating",
        Verdict::NoData => "no data",
    }
}

/// The SLO report page.
pub fn slo_page(page: &SloPage) -> String {
    let r = page.report;
    let mut out = String::new();
    page_start(
        &mut out,
        &format!("swarmcheck SLO report, {}", r.evaluated_at),
    );
    let s = &r.summary;
    let _ = write!(
        out,
        "<header>\n<h1>SLO report</h1>\n<p class=\"meta\">Evaluated at {} · objectives from {}{} · {} meeting, {} at risk, {} violating, {} without data · alerts: {} P1, {} P2, {} P3</p>\n</header>\n",
        esc(&r.evaluated_at),
        r.objectives_from,
        r.config.as_deref().map(|c| format!(" ({})", esc(c))).unwrap_or_default(),
        s.meeting, s.at_risk, s.violating, s.no_data, s.p1, s.p2, s.p3
    );
    summary_tiles(&mut out, &r.objectives);
    if !r.alerts.is_empty() {
        out.push_str("<section id=\"alerts\">\n<h2>Alerts</h2>\n<table>\n<tr><th>priority</th><th>objective</th><th>rule</th><th>why</th></tr>\n");
        for a in &r.alerts {
            let _ = writeln!(
                out,
                "<tr><td><span class=\"badge {p}\">{P}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.objective),
                esc(&a.alert.rule),
                esc(&a.alert.reason),
                p = a.alert.priority.as_str(),
                P = a.alert.priority.as_str().to_uppercase()
            );
        }
        out.push_str("</table>\n</section>\n");
    }
    for (i, o) in r.objectives.iter().enumerate() {
        let history = page.histories.get(i).copied().flatten();
        objective_section(&mut out, i, o, history, page.now_ms);
    }
    let span = page
        .histories
        .iter()
        .flatten()
        .map(|(_, w)| *w)
        .max()
        .unwrap_or(30 * 24 * 3_600_000);
    let start = page.now_ms - span;
    if let Some(ops) = page.ops {
        let shown: Vec<&Op> = ops.iter().filter(|o| o.end_ms <= page.now_ms).collect();
        locks::lock_section(
            &mut out,
            &shown,
            page.latency_threshold_ms,
            start,
            page.now_ms,
        );
    }
    if let Some(agents) = &page.agents {
        swarm_section(&mut out, agents, start, page.now_ms);
    }
    if let Some(findings) = page.findings {
        findings_section(&mut out, findings);
    }
    sources_section(&mut out, r);
    page_end(&mut out);
    out
}

fn summary_tiles(out: &mut String, objectives: &[ObjectiveOut]) {
    let mut order: Vec<usize> = (0..objectives.len()).collect();
    order.sort_by_key(|&i| urgency(&objectives[i]));
    out.push_str("<nav class=\"tiles\" aria-label=\"objectives by urgency\">\n");
    for i in order {
        let o = &objectives[i];
        let sli = match (&o.sli, &o.gate) {
            (Some(s), _) => match s.value {
                Some(v) => format!("SLI {} of {} {}", pct(v), count(s.total), s.unit),
                None => "no events".to_string(),
            },
            (None, Some(g)) => format!(
                "{} high, {} medium, {} low",
                g.counts.high, g.counts.medium, g.counts.low
            ),
            _ => "no data".to_string(),
        };
        let budget = o
            .error_budget
            .as_ref()
            .and_then(|b| b.remaining_ratio)
            .map(|r| format!("<span>budget left {}</span>", pct(r)))
            .unwrap_or_default();
        let alert = o
            .alert
            .as_ref()
            .map(|a| {
                format!(
                    "<span><span class=\"badge {}\">{}</span> {}</span>",
                    a.priority.as_str(),
                    a.priority.as_str().to_uppercase(),
                    esc(&a.rule)
                )
            })
            .unwrap_or_else(|| "<span>no alert</span>".to_string());
        let _ = writeln!(
            out,
            "<a class=\"tile v-{v}\" href=\"#{}\"><b>{}</b><span>{}</span><span>{}</span>{budget}{alert}</a>",
            anchor(i, &o.name),
            esc(&o.name),
            verdict_words(o.verdict),
            esc(&sli),
            v = o.verdict.as_str(),
        );
    }
    out.push_str("</nav>\n");
}

fn objective_section(
    out: &mut String,
    i: usize,
    o: &ObjectiveOut,
    history: Option<(&Series, i64)>,
    now: i64,
) {
    let _ = write!(
        out,
        "<section class=\"objective\" id=\"{}\">\n<h2>{}<span class=\"badge v-{}\">{}</span></h2>\n",
        anchor(i, &o.name),
        esc(&o.name),
        o.verdict.as_str(),
        verdict_words(o.verdict)
    );
    if !o.description.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(&o.description));
    }
    let _ = writeln!(out, "<p><strong>{}</strong></p>", esc(&o.reason));
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(out, "<dt>{k}</dt><dd>{v}</dd>");
    };
    fact("kind", esc(o.kind));
    if let Some(obj) = o.objective {
        fact("objective", pct(obj));
    }
    if let (Some(w), Some(b)) = (&o.window, o.budgeting) {
        fact("window", format!("{} ({b})", esc(w)));
    }
    if let Some(s) = &o.sli {
        fact(
            "SLI",
            format!(
                "{} ({} good of {} {})",
                s.value.map_or("-".into(), pct),
                count(s.good),
                count(s.total),
                s.unit
            ),
        );
    }
    if let Some(b) = &o.error_budget {
        fact(
            "error budget",
            format!(
                "{} left: {} bad of {:.1} allowed",
                b.remaining_ratio.map_or("-".into(), pct),
                count(b.spent_bad),
                b.allowed_bad
            ),
        );
    }
    if let Some(a) = &o.alert {
        fact(
            "alert",
            format!(
                "<span class=\"badge {}\">{}</span> {}: {}",
                a.priority.as_str(),
                a.priority.as_str().to_uppercase(),
                esc(&a.rule),
                esc(&a.reason)
            ),
        );
    }
    out.push_str("</dl>\n");
    if let Some(g) = &o.gate {
        gate_table(out, g);
    }
    if !o.processes.is_empty() {
        process_table(out, o);
    }
    if let (Some((series, window)), Some(objective)) = (history, o.objective) {
        slo_charts(out, series, window, objective, now);
    } else if o.gate.is_none() {
        out.push_str("<p class=\"note\">Nothing to draw: no events for this objective.</p>\n");
    }
    if o.burn_rates.iter().any(|b| b.total > 0) {
        out.push_str("<table>\n<tr><th>window</th><th class=\"n\">good</th><th class=\"n\">total</th><th class=\"n\">error ratio</th><th class=\"n\">burn rate</th></tr>\n");
        for b in &o.burn_rates {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&b.window),
                count(b.good),
                count(b.total),
                b.error_ratio.map_or("-".into(), pct),
                b.burn_rate.map_or("-".into(), |r| format!("{r:.2}x"))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

/// Each process of a process objective: its own verdict, what it measures now, and the
/// findings suspected of causing it.
fn process_table(out: &mut String, o: &ObjectiveOut) {
    out.push_str("<table>\n<tr><th>process</th><th class=\"n\">pid</th><th>verdict</th><th class=\"n\">resident</th><th class=\"n\">growth</th><th class=\"n\">fds</th><th>suspects</th></tr>\n");
    for p in &o.processes {
        let suspects: Vec<String> = p
            .suspects
            .iter()
            .map(|s| format!("{} {}:{}", esc(&s.code), esc(&s.path), s.line))
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td><span class=\"badge v-{}\">{}</span></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&p.process),
            p.pid,
            p.verdict.as_str(),
            verdict_words(p.verdict),
            p.resident_bytes.map_or("-".into(), |b| bytes(b as f64)),
            p.growth_bytes_per_hour.map_or("-".into(), |g| format!("{}/h", bytes(g))),
            p.open_fds.map_or("-".into(), |n| n.to_string()),
            if suspects.is_empty() { "-".to_string() } else { suspects.join("<br>") }
        );
    }
    out.push_str("</table>\n");
}

fn gate_table(out: &mut String, g: &crate::obs::slo::GateOut) {
    let _ = writeln!(
        out,
        "<table>\n<tr><th>severity</th><th class=\"n\">findings</th><th class=\"n\">allowed</th></tr>"
    );
    let rows = [
        ("high", g.counts.high, g.limits.high),
        ("medium", g.counts.medium, g.limits.medium),
        ("low", g.counts.low, g.limits.low),
    ];
    for (name, n, max) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td class=\"n\">{n}</td><td class=\"n\">{}</td></tr>",
            max.map_or("any".into(), |m| m.to_string())
        );
    }
    let _ = writeln!(
        out,
        "</table>\n<p class=\"note\">Rules: {}. Details under <a href=\"#findings\">Findings</a>.</p>",
        esc(&g.select.join(", "))
    );
}

fn slo_charts(out: &mut String, series: &Series, window: i64, objective: f64, now: i64) {
    let start = now - window;
    let label = window_label(window);
    if let Some(points) = aggregate::budget_burndown(series, now, window, objective) {
        let _ = writeln!(
            out,
            "<figure>{}<figcaption>Error budget left over the {label} window, as it stood at each moment; below the red line it is spent.</figcaption></figure>",
            charts::budget(&points, start, now)
        );
    }
    let lines: Vec<(String, Vec<(i64, f64)>)> =
        aggregate::burn_history(series, now, window, objective)
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(w, p)| (format!("burn over {}", window_label(w)), p))
            .collect();
    if !lines.is_empty() {
        let _ = writeln!(
            out,
            "<figure>{}<figcaption>Burn rate (bad share over the share the objective allows) over the alert windows, with the page and ticket thresholds; 1x spends the budget exactly over the {label} window.</figcaption></figure>",
            charts::burn(&lines, start, now)
        );
    }
    let strip = aggregate::good_bad_strip(series, now, window);
    let _ = writeln!(
        out,
        "<figure>{}<figcaption class=\"legend\">Each cell is 1/{} of the window:{}{}{}{}</figcaption></figure>",
        charts::strip(&strip, error_budget(objective), start, now),
        aggregate::BUCKETS,
        swatch(palette::GOOD, "no bad events"),
        swatch(palette::WITHIN, "within the budget"),
        swatch(palette::BAD, "over the budget"),
        swatch(palette::NONE, "no events"),
    );
}

fn swarm_section(out: &mut String, agents: &AgentHistory, start: i64, end: i64) {
    out.push_str("<section id=\"swarm\">\n<h2>Swarm</h2>\n");
    let legend: String = PulseState::ALL
        .iter()
        .map(|s| swatch(palette::state(*s), s.as_str()))
        .collect();
    let (rows, omitted) = aggregate::agent_timeline(agents.states, start, end);
    if rows.is_empty() {
        out.push_str("<p class=\"note\">No per-agent states in the pulse history yet (`swarm.pulse --record` writes them), so no agents timeline.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<figure>{}<figcaption class=\"legend\">Each agent's state over time:{legend}</figcaption></figure>",
            charts::agents_timeline(&rows, start, end)
        );
        if omitted > 0 {
            let _ = writeln!(
                out,
                "<p class=\"note\">{omitted} more agents not drawn.</p>"
            );
        }
    }
    let totals = aggregate::totals_history(agents.totals, start, end);
    if totals.is_empty() {
        out.push_str("<p class=\"note\">No agent observations in the period.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<figure>{}<figcaption class=\"legend\">Agents by state, stacked:{legend}</figcaption></figure>",
            charts::totals(&totals, start, end)
        );
    }
    out.push_str("<p class=\"note\">Resident memory per process is not sampled yet, so no memory chart.</p>\n");
    out.push_str("</section>\n");
}

fn findings_section(out: &mut String, findings: &[FindingRef]) {
    let mut by_rule: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    for f in findings {
        by_rule.entry(&f.code).or_default()[crate::obs::slo::spec::severity_index(f.severity)] += 1;
    }
    let totals = by_rule.values().fold([0u64; 3], |mut acc, c| {
        for k in 0..3 {
            acc[k] += c[k];
        }
        acc
    });
    let _ = writeln!(
        out,
        "<section id=\"findings\">\n<h2>Findings</h2>\n<p>{} finding{}: {} high, {} medium, {} low.</p>",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        totals[0],
        totals[1],
        totals[2]
    );
    if !by_rule.is_empty() {
        out.push_str("<table>\n<tr><th>rule</th><th>name</th><th class=\"n\">high</th><th class=\"n\">medium</th><th class=\"n\">low</th></tr>\n");
        for (code, c) in &by_rule {
            let name = crate::rules::catalog::get(code).map_or("", |m| m.name.as_str());
            let _ = writeln!(
                out,
                "<tr><td><a href=\"#rule-{c0}\">{c0}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(name),
                c[0],
                c[1],
                c[2],
                c0 = esc(code)
            );
        }
        out.push_str("</table>\n");
        for code in by_rule.keys() {
            if let Some(meta) = crate::rules::catalog::get(code) {
                let _ = writeln!(
                    out,
                    "<details class=\"rule-doc\" id=\"rule-{}\"><summary><b>{} {}</b>: the text of <code>swarmcheck rule {}</code></summary><pre>{}</pre></details>",
                    esc(&meta.code),
                    esc(&meta.code),
                    esc(&meta.name),
                    esc(&meta.code),
                    esc(&meta.text())
                );
            }
        }
    }
    out.push_str("</section>\n");
}

fn sources_section(out: &mut String, r: &Report) {
    out.push_str("<section id=\"sources\">\n<h2>Sources</h2>\n<ul>\n");
    if let Some(m) = &r.sources.metrics {
        let _ = writeln!(
            out,
            "<li>Lock metrics: {} events from {} ({} malformed lines); {}</li>",
            count(m.events),
            esc(&m.files.join(", ")),
            m.malformed_lines,
            esc(&m.status)
        );
    }
    if let Some(a) = &r.sources.agents {
        let _ = writeln!(
            out,
            "<li>Agents: {} history snapshots{}{}</li>",
            a.history_snapshots,
            a.history_file
                .as_deref()
                .map(|f| format!(" from {}", esc(f)))
                .unwrap_or_default(),
            if a.files.is_empty() {
                String::new()
            } else {
                format!("; current pulse from {}", esc(&a.files.join(", ")))
            }
        );
        for w in &a.warnings {
            let _ = writeln!(out, "<li class=\"note\">warning: {}</li>", esc(w));
        }
    }
    if let Some(f) = &r.sources.findings {
        let _ = writeln!(
            out,
            "<li>Findings: {} of {}</li>",
            if f.origin == "scan" {
                "a scan"
            } else {
                "the saved report"
            },
            esc(&f.path)
        );
    }
    out.push_str("</ul>\n</section>\n");
}
