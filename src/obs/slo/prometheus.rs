//! Prometheus: the report as text exposition (for node_exporter's textfile collector), and
//! recording plus alerting rules for the same objectives (`slo rules`).

use super::eval::{ALERT_RULES, BURN_WINDOWS_MS};
use super::spec::{Budgeting, Objectives, Sli, SloSpec};
use super::{Priority, Report, Verdict, WAIT_BUCKETS_S};
use crate::obs::fmt::window_label;
use crate::obs::pulse::PulseState;
use std::fmt::Write as _;

/// A label value, escaped as the exposition format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn float(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{v}")
    }
}

/// An `le` label as Prometheus 3 normalizes it (`1.0`, not `1`).
fn le_label(v: f64) -> String {
    format!("{v:?}")
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
            .collect();
        if labels.is_empty() {
            let _ = writeln!(self.out, "{name} {}", float(value));
        } else {
            let _ = writeln!(self.out, "{name}{{{}}} {}", labels.join(","), float(value));
        }
    }
}

/// Classic text exposition, version 0.0.4. Values that do not exist (an SLI without events)
/// are left out rather than written as NaN.
pub fn exposition(report: &Report) -> String {
    let mut out = String::new();
    let mut f = Family { out: &mut out };
    let slos: Vec<_> = report
        .objectives
        .iter()
        .filter(|o| o.objective.is_some())
        .collect();

    f.header(
        "swarmcheck_slo_objective_ratio",
        "gauge",
        "Target share of good events or time slices.",
    );
    for o in &slos {
        f.sample(
            "swarmcheck_slo_objective_ratio",
            &[("slo", &o.name), ("sli", o.kind)],
            o.objective.unwrap_or_default(),
        );
    }
    f.header(
        "swarmcheck_slo_sli_ratio",
        "gauge",
        "Measured share of good events or time slices over the SLO window.",
    );
    for o in &slos {
        if let Some(v) = o.sli.as_ref().and_then(|s| s.value) {
            f.sample("swarmcheck_slo_sli_ratio", &[("slo", &o.name)], v);
        }
    }
    f.header(
        "swarmcheck_slo_error_budget_remaining_ratio",
        "gauge",
        "Share of the error budget left (negative when overspent).",
    );
    for o in &slos {
        if let Some(v) = o.error_budget.as_ref().and_then(|b| b.remaining_ratio) {
            f.sample(
                "swarmcheck_slo_error_budget_remaining_ratio",
                &[("slo", &o.name)],
                v,
            );
        }
    }
    f.header(
        "swarmcheck_slo_burn_rate",
        "gauge",
        "Error ratio over the window divided by the error budget.",
    );
    for o in &slos {
        for b in &o.burn_rates {
            if let Some(r) = b.burn_rate {
                f.sample(
                    "swarmcheck_slo_burn_rate",
                    &[("slo", &o.name), ("window", &b.window)],
                    r,
                );
            }
        }
    }
    f.header(
        "swarmcheck_slo_verdict",
        "gauge",
        "1 for the objective's current verdict, 0 for the others.",
    );
    for o in &report.objectives {
        for v in Verdict::ALL {
            f.sample(
                "swarmcheck_slo_verdict",
                &[("slo", &o.name), ("verdict", v.as_str())],
                f64::from(u8::from(o.verdict == v)),
            );
        }
    }
    f.header(
        "swarmcheck_slo_alert",
        "gauge",
        "1 when an alert of this priority fires for the objective.",
    );
    for o in &report.objectives {
        for p in Priority::ALL {
            let firing = o.alert.as_ref().is_some_and(|a| a.priority == p);
            f.sample(
                "swarmcheck_slo_alert",
                &[("slo", &o.name), ("priority", p.as_str())],
                f64::from(u8::from(firing)),
            );
        }
    }
    if let Some(totals) = report.sources.agents.as_ref().and_then(|a| a.totals) {
        f.header("swarmcheck_agents", "gauge", "Agents by pulse state.");
        for s in PulseState::ALL {
            f.sample(
                "swarmcheck_agents",
                &[("state", s.as_str())],
                totals.get(s) as f64,
            );
        }
    }
    if let Some(fs) = &report.sources.findings {
        f.header(
            "swarmcheck_findings",
            "gauge",
            "Static findings in the project by severity.",
        );
        for (sev, n) in [
            ("high", fs.counts.high),
            ("medium", fs.counts.medium),
            ("low", fs.counts.low),
        ] {
            f.sample("swarmcheck_findings", &[("severity", sev)], n as f64);
        }
        f.header(
            "swarmcheck_gate_findings",
            "gauge",
            "Static findings counted by each gate, by severity.",
        );
        for o in &report.objectives {
            if let Some(g) = &o.gate {
                for (sev, n) in [
                    ("high", g.counts.high),
                    ("medium", g.counts.medium),
                    ("low", g.counts.low),
                ] {
                    f.sample(
                        "swarmcheck_gate_findings",
                        &[("gate", &o.name), ("severity", sev)],
                        n as f64,
                    );
                }
            }
        }
    }
    if let Some(ps) = &report.sources.processes {
        type Value = fn(&super::ProcessLatest) -> Option<f64>;
        let gauges: [(&str, &str, Value); 3] = [
            (
                "swarmcheck_process_resident_bytes",
                "Resident memory of each agent process at its newest sample.",
                |p| Some(p.resident_bytes as f64),
            ),
            (
                "swarmcheck_process_open_fds",
                "Open file descriptors of each agent process at its newest sample.",
                |p| p.open_fds.map(|n| n as f64),
            ),
            (
                "swarmcheck_process_resident_growth_bytes_per_hour",
                "Least-squares growth of resident memory over the last hour of samples.",
                |p| p.growth_bytes_per_hour,
            ),
        ];
        for (name, help, value) in gauges {
            f.header(name, "gauge", help);
            for p in &ps.processes {
                if let Some(v) = value(p) {
                    let pid = p.pid.to_string();
                    let labels = [
                        ("process", p.process.as_str()),
                        ("agent", p.agent.as_deref().unwrap_or_default()),
                        ("pid", pid.as_str()),
                    ];
                    f.sample(name, &labels, v);
                }
            }
        }
    }
    if let Some(c) = &report.sources.cycles {
        f.header(
            "swarmcheck_agent_cycles_total",
            "counter",
            "Agent cycles in the cycle logs by outcome.",
        );
        f.sample(
            "swarmcheck_agent_cycles_total",
            &[("outcome", "ok")],
            (c.cycles - c.failed) as f64,
        );
        f.sample(
            "swarmcheck_agent_cycles_total",
            &[("outcome", "failed")],
            c.failed as f64,
        );
        f.header(
            "swarmcheck_agent_cycles_slow_total",
            "counter",
            "Agent cycles longer than each cycle-time objective's threshold.",
        );
        for (slo, n) in &c.slow {
            f.sample(
                "swarmcheck_agent_cycles_slow_total",
                &[("slo", slo)],
                *n as f64,
            );
        }
    }
    if let Some(c) = &report.lock_counters {
        f.header(
            "swarmcheck_lock_operations_total",
            "counter",
            "Lock operations in the metrics logs by document and outcome.",
        );
        for ((path, outcome), n) in &c.operations {
            f.sample(
                "swarmcheck_lock_operations_total",
                &[("path", path), ("outcome", outcome)],
                *n as f64,
            );
        }
        f.header(
            "swarmcheck_lock_wait_seconds",
            "histogram",
            "Time spent waiting for the lock.",
        );
        for (path, (buckets, sum, count)) in &c.waits {
            for (le, n) in WAIT_BUCKETS_S.iter().zip(buckets) {
                f.sample(
                    "swarmcheck_lock_wait_seconds_bucket",
                    &[("path", path), ("le", &le_label(*le))],
                    *n as f64,
                );
            }
            f.sample(
                "swarmcheck_lock_wait_seconds_bucket",
                &[("path", path), ("le", "+Inf")],
                *count as f64,
            );
            f.sample("swarmcheck_lock_wait_seconds_sum", &[("path", path)], *sum);
            f.sample(
                "swarmcheck_lock_wait_seconds_count",
                &[("path", path)],
                *count as f64,
            );
        }
    }
    out
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn yq(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// The PromQL selector for an SLO's documents: a glob becomes an anchored RE2 regex.
fn path_matcher(spec: &SloSpec) -> String {
    match &spec.path {
        None => String::new(),
        Some((pattern, _)) => {
            let re = globset::Glob::new(pattern)
                .map(|g| g.regex().to_string())
                .unwrap_or_default();
            // globset writes `(?-u)^...$`; Prometheus anchors regexes itself.
            let re = re.trim_start_matches("(?-u)");
            let re = re.strip_prefix('^').unwrap_or(re);
            let re = re.strip_suffix('$').unwrap_or(re);
            format!(",path=~{}", yq(re))
        }
    }
}

/// The PromQL for an SLO's error ratio over `window`.
fn error_ratio_expr(spec: &SloSpec, window: &str) -> String {
    let sel = path_matcher(spec);
    let occurrences = match &spec.sli {
        Sli::LockSuccess => format!(
            "sum(rate(swarmcheck_lock_operations_total{{outcome=~\"timeout|error\"{sel}}}[{window}])) / sum(rate(swarmcheck_lock_operations_total{{{}}}[{window}]))",
            sel.trim_start_matches(',')
        ),
        Sli::LockLatency { threshold_ms } => {
            let le = threshold_ms / 1000.0;
            format!(
                "1 - (sum(rate(swarmcheck_lock_wait_seconds_bucket{{le=\"{}\"{sel}}}[{window}])) / sum(rate(swarmcheck_lock_wait_seconds_count{{{}}}[{window}])))",
                le_label(le),
                sel.trim_start_matches(',')
            )
        }
        Sli::MemoryGrowth {
            max_bytes_per_hour,
            rate_window_ms,
        } => {
            return format!(
                "1 - avg_over_time(avg(deriv(swarmcheck_process_resident_bytes[{}]) * 3600 < bool {})[{window}:1m])",
                window_label(*rate_window_ms),
                float(*max_bytes_per_hour)
            );
        }
        Sli::OpenHandles { max } => {
            return format!(
                "1 - avg_over_time(avg(swarmcheck_process_open_fds < bool {max})[{window}:1m])"
            );
        }
        Sli::CycleTime { .. } => format!(
            "sum(rate(swarmcheck_agent_cycles_slow_total{{slo=\"{}\"}}[{window}])) / sum(rate(swarmcheck_agent_cycles_total[{window}]))",
            spec.name
        ),
        Sli::TaskSuccess => format!(
            "sum(rate(swarmcheck_agent_cycles_total{{outcome=\"failed\"}}[{window}])) / sum(rate(swarmcheck_agent_cycles_total[{window}]))"
        ),
        Sli::AgentsActive { min } => {
            let step = match spec.budgeting {
                Budgeting::Timeslices { slice_ms, .. } => window_label(slice_ms),
                Budgeting::Occurrences => "1m".into(),
            };
            return format!(
                "1 - avg_over_time((swarmcheck_agents{{state=\"active\"}} >= bool {min})[{window}:{step}])"
            );
        }
    };
    match &spec.budgeting {
        Budgeting::Occurrences => occurrences,
        Budgeting::Timeslices { slice_ms, target } => {
            // Only slices with traffic count, as in `slo`: idle slices are dropped by `and`.
            let step = window_label(*slice_ms);
            let total = match spec.sli {
                Sli::LockLatency { .. } => "swarmcheck_lock_wait_seconds_count",
                _ => "swarmcheck_lock_operations_total",
            };
            format!(
                "1 - avg_over_time((((1 - ({})) >= bool {target}) and (sum(rate({total}{{{}}}[{step}])) > 0))[{window}:{step}])",
                occurrences.replace(&format!("[{window}]"), &format!("[{step}]")),
                sel.trim_start_matches(',')
            )
        }
    }
}

/// Recording rules for the error ratio of every SLO over every burn window, and alerting
/// rules for the multi-window burn rates and the findings gates, as a Prometheus rule file.
pub fn rules(objectives: &Objectives) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Generated by swarmcheck {} (`swarmcheck slo rules`). Expects the series of\n# `swarmcheck slo --output-format prometheus`, scraped through node_exporter's textfile collector.",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(s, "groups:");
    for spec in &objectives.slos {
        let budget = super::eval::error_budget(spec.objective);
        let _ = writeln!(
            s,
            "  - name: {}",
            yq(&format!("swarmcheck-slo-{}", spec.name))
        );
        let _ = writeln!(s, "    rules:");
        for w in BURN_WINDOWS_MS {
            let wl = window_label(w);
            let _ = writeln!(
                s,
                "      - record: {}",
                yq(&format!("swarmcheck:slo_error_ratio:rate{wl}"))
            );
            let _ = writeln!(s, "        expr: {}", yq(&error_ratio_expr(spec, &wl)));
            let _ = writeln!(s, "        labels:");
            let _ = writeln!(s, "          slo: {}", yq(&spec.name));
        }
        for rule in ALERT_RULES {
            let long = window_label(rule.long_ms);
            let short = window_label(rule.short_ms);
            let threshold = ((rule.factor * budget) * 1e9).round() / 1e9;
            let expr = format!(
                "swarmcheck:slo_error_ratio:rate{long}{{slo=\"{n}\"}} > {t} and swarmcheck:slo_error_ratio:rate{short}{{slo=\"{n}\"}} > {t}",
                n = spec.name,
                t = float(threshold)
            );
            alert(
                &mut s,
                &format!("SwarmcheckSLOBurn{}", camel(rule.name)),
                &expr,
                None,
                &[("slo", &spec.name), ("priority", rule.priority.as_str())],
                &format!(
                    "{}: error budget burning faster than {}x over {long} and {short}",
                    spec.name, rule.factor
                ),
            );
        }
        let slo = [("slo", spec.name.as_str())];
        match spec.sli {
            Sli::MemoryGrowth {
                max_bytes_per_hour,
                rate_window_ms,
            } => {
                let rw = window_label(rate_window_ms);
                let record = format!("swarmcheck:process_resident_growth_bytes_per_hour:deriv{rw}");
                let _ = writeln!(s, "      - record: {}", yq(&record));
                let _ = writeln!(
                    s,
                    "        expr: {}",
                    yq(&format!(
                        "deriv(swarmcheck_process_resident_bytes[{rw}]) * 3600"
                    ))
                );
                alert(
                    &mut s,
                    "SwarmcheckProcessMemoryGrowth",
                    &format!("{record} > {}", float(max_bytes_per_hour)),
                    Some(&rw),
                    &[slo[0], ("priority", "p2")],
                    &format!(
                        "{{{{ $labels.process }}}} (pid {{{{ $labels.pid }}}}): resident memory grows faster than {}/h",
                        crate::obs::fmt::bytes(max_bytes_per_hour)
                    ),
                );
            }
            Sli::OpenHandles { max } => alert(
                &mut s,
                "SwarmcheckProcessOpenHandles",
                &format!("swarmcheck_process_open_fds >= {max}"),
                Some("5m"),
                &[slo[0], ("priority", "p2")],
                &format!(
                    "{{{{ $labels.process }}}} (pid {{{{ $labels.pid }}}}): {max} or more open file descriptors"
                ),
            ),
            Sli::AgentsActive { min } => alert(
                &mut s,
                "SwarmcheckAgentsBelowFloor",
                &format!("swarmcheck_agents{{state=\"active\"}} < {min}"),
                None,
                &[slo[0], ("priority", "p1")],
                &format!("fewer than {min} agents active"),
            ),
            _ => {}
        }
    }
    if !objectives.gates.is_empty() {
        let _ = writeln!(s, "  - name: \"swarmcheck-gates\"");
        let _ = writeln!(s, "    rules:");
        for g in &objectives.gates {
            for (i, sev) in ["high", "medium", "low"].iter().enumerate() {
                let Some(max) = g.max[i] else { continue };
                let priority = ["p1", "p2", "p3"][i];
                alert(
                    &mut s,
                    &format!("SwarmcheckGate{}", camel(sev)),
                    &format!(
                        "swarmcheck_gate_findings{{gate=\"{}\",severity=\"{sev}\"}} > {max}",
                        g.name
                    ),
                    None,
                    &[("gate", &g.name), ("priority", priority)],
                    &format!("more than {max} {sev} findings in {}", g.name),
                );
            }
        }
    }
    s
}

/// One alerting rule of a rule group, its label values and summary quoted for YAML.
fn alert(
    s: &mut String,
    name: &str,
    expr: &str,
    for_: Option<&str>,
    labels: &[(&str, &str)],
    summary: &str,
) {
    let _ = writeln!(s, "      - alert: {}", yq(name));
    let _ = writeln!(s, "        expr: {}", yq(expr));
    if let Some(f) = for_ {
        let _ = writeln!(s, "        for: {}", yq(f));
    }
    let _ = writeln!(s, "        labels:");
    for (k, v) in labels {
        let _ = writeln!(s, "          {k}: {}", yq(v));
    }
    let _ = writeln!(s, "        annotations:");
    let _ = writeln!(s, "          summary: {}", yq(summary));
}

fn camel(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
