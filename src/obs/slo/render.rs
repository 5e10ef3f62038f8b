//! The SLO report as text for people.

use super::eval::pct;
use super::{ObjectiveOut, Report, Verdict};
use crate::obs::fmt::bytes;
use std::fmt::Write as _;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn verdict_label(v: Verdict, color: bool) -> String {
    let (text, code) = match v {
        Verdict::Meeting => ("MEETING", "32"),
        Verdict::AtRisk => ("AT RISK", "33"),
        Verdict::Violating => ("VIOLATING", "1;31"),
        Verdict::NoData => ("NO DATA", "2"),
    };
    paint(color, code, &format!("{text:<9}"))
}

pub fn text(report: &Report, color: bool) -> String {
    let mut s = String::new();
    let from = match &report.config {
        Some(c) if report.objectives_from == "config" => format!("objectives from {c}"),
        _ => "built-in default objectives".to_string(),
    };
    let _ = writeln!(s, "SLOs evaluated at {} ({from})\n", report.evaluated_at);
    for o in &report.objectives {
        objective(&mut s, o, color);
    }
    sources(&mut s, report);
    let sm = &report.summary;
    let _ = writeln!(
        s,
        "\n{} meeting, {} at risk, {} violating, {} no data; alerts: {} P1, {} P2, {} P3",
        sm.meeting, sm.at_risk, sm.violating, sm.no_data, sm.p1, sm.p2, sm.p3
    );
    for a in &report.alerts {
        let label = a.alert.priority.as_str().to_ascii_uppercase();
        let code = match a.alert.priority {
            super::Priority::P1 => "1;31",
            super::Priority::P2 => "31",
            super::Priority::P3 => "33",
        };
        let _ = writeln!(
            s,
            "  {} {} ({}): {}",
            paint(color, code, &label),
            a.objective,
            a.alert.rule,
            a.alert.reason
        );
    }
    s
}

fn objective(s: &mut String, o: &ObjectiveOut, color: bool) {
    let what = match (o.objective, &o.window) {
        (Some(obj), Some(w)) => format!(
            "{}, {} of {} over {w}",
            o.kind,
            pct(obj),
            o.sli.as_ref().map_or("events", |s| s.unit)
        ),
        _ => o.kind.to_string(),
    };
    let _ = writeln!(
        s,
        "  {}  {}  {}",
        verdict_label(o.verdict, color),
        paint(color, "1", &o.name),
        paint(color, "2", &what)
    );
    let pad = "             ";
    let _ = writeln!(s, "{pad}{}", o.reason);
    if let Some(b) = &o.error_budget {
        if let (Some(r), Some(sli)) = (b.remaining_ratio, &o.sli) {
            let _ = writeln!(
                s,
                "{pad}error budget: {} left ({} of {:.1} allowed bad {} spent)",
                pct(r),
                b.spent_bad,
                b.allowed_bad,
                sli.unit
            );
        }
    }
    if o.burn_rates.iter().any(|b| b.burn_rate.is_some()) {
        let burns: Vec<String> = o
            .burn_rates
            .iter()
            .map(|b| match b.burn_rate {
                Some(r) => format!("{} {r:.1}x", b.window),
                None => format!("{} -", b.window),
            })
            .collect();
        let _ = writeln!(s, "{pad}burn rate: {}", burns.join("  "));
    }
    if let Some(g) = &o.gate {
        let lim = |v: Option<u64>| v.map_or("no limit".to_string(), |m| format!("max {m}"));
        let _ = writeln!(
            s,
            "{pad}{} high ({}), {} medium ({}), {} low ({}) in {}",
            g.counts.high,
            lim(g.limits.high),
            g.counts.medium,
            lim(g.limits.medium),
            g.counts.low,
            lim(g.limits.low),
            g.select.join(", ")
        );
    }
    for p in &o.processes {
        let measure = match (p.growth_bytes_per_hour, p.open_fds, o.kind) {
            (Some(g), _, "memory-growth") => format!("{}/h", bytes(g)),
            (_, Some(n), "open-handles") => format!("{n} fds"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "{pad}{:<10} {} (pid {}): {measure}, rss {}; {}",
            p.verdict.as_str(),
            p.process,
            p.pid,
            p.resident_bytes
                .map_or("-".to_string(), |b| bytes(b as f64)),
            p.reason
        );
        for x in &p.suspects {
            let _ = writeln!(
                s,
                "{pad}    suspect {} [{}] {}:{}: {}",
                x.code, x.severity, x.path, x.line, x.message
            );
        }
    }
    s.push('\n');
}

fn sources(s: &mut String, report: &Report) {
    let _ = writeln!(s, "Sources");
    let src = &report.sources;
    match &src.metrics {
        Some(m) => {
            let _ = writeln!(
                s,
                "  metrics   {}: {} events{}; {}",
                m.files.join(", "),
                m.events,
                if m.malformed_lines > 0 {
                    format!(" ({} malformed lines skipped)", m.malformed_lines)
                } else {
                    String::new()
                },
                m.status
            );
        }
        None => {
            let _ = writeln!(s, "  metrics   not configured");
        }
    }
    match &src.agents {
        Some(a) => {
            let mut parts = Vec::new();
            if let Some(t) = &a.totals {
                parts.push(format!(
                    "{} agents now: {} active, {} idle, {} stale, {} blocked, {} done, {} unknown",
                    t.agents, t.active, t.idle, t.stale, t.blocked, t.done, t.unknown
                ));
            }
            if let Some(h) = &a.history_file {
                parts.push(format!(
                    "history {h}: {} snapshots{}",
                    a.history_snapshots,
                    if a.history_malformed_lines > 0 {
                        format!(" ({} malformed lines skipped)", a.history_malformed_lines)
                    } else {
                        String::new()
                    }
                ));
            }
            let _ = writeln!(s, "  agents    {}", parts.join("; "));
            for w in &a.warnings {
                let _ = writeln!(s, "            warning: {w}");
            }
        }
        None => {
            let _ = writeln!(s, "  agents    not configured");
        }
    }
    if let Some(p) = &src.processes {
        let _ = writeln!(
            s,
            "  processes {} sampled, {} samples",
            p.processes.len(),
            p.samples
        );
        for w in &p.warnings {
            let _ = writeln!(s, "            warning: {w}");
        }
    }
    if let Some(c) = &src.cycles {
        let _ = writeln!(
            s,
            "  cycles    {}: {} cycles, {} failed{}",
            c.files.join(", "),
            c.cycles,
            c.failed,
            if c.malformed_lines > 0 {
                format!(" ({} malformed lines skipped)", c.malformed_lines)
            } else {
                String::new()
            }
        );
    }
    if let Some(f) = &src.findings {
        let _ = writeln!(
            s,
            "  findings  {} {}: {} high, {} medium, {} low",
            if f.origin == "scan" {
                "scan of"
            } else {
                "report"
            },
            f.path,
            f.counts.high,
            f.counts.medium,
            f.counts.low
        );
    }
}
