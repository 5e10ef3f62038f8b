//! Declared objectives: `[[slo]]` and `[[gate]]` from the configuration, checked and typed, or
//! the built-in defaults that mirror the system swarmcheck replaces.

use crate::config::{ConfigError, GateConfig, LoadedConfig, SloConfig};
use crate::finding::Severity;
use crate::obs::parse_duration_ms;
use crate::rules::RuleSet;
use toml::Spanned;

/// What an SLO measures.
#[derive(Clone, Debug, PartialEq)]
pub enum Sli {
    /// Lock operations that did not fail (timeout or error) over all lock operations.
    LockSuccess,
    /// Lock operations whose wait was at most the threshold over all lock operations.
    LockLatency { threshold_ms: f64 },
    /// Time slices in which at least `min` agents were active over all observed slices.
    AgentsActive { min: u64 },
    /// Process samples at which resident memory, fitted by least squares over the preceding
    /// `rate_window_ms`, grew slower than `max_bytes_per_hour`. A sample before the process
    /// has been observed for a whole window is not judged.
    MemoryGrowth {
        max_bytes_per_hour: f64,
        rate_window_ms: i64,
    },
    /// Process samples with fewer than `max` open descriptors.
    OpenHandles { max: u64 },
    /// Agent cycles that took at most `threshold_ms`.
    CycleTime { threshold_ms: f64 },
    /// Agent cycles that succeeded.
    TaskSuccess,
}

impl Sli {
    pub fn kind(&self) -> &'static str {
        match self {
            Sli::LockSuccess => "lock-success",
            Sli::LockLatency { .. } => "lock-latency",
            Sli::AgentsActive { .. } => "agents-active",
            Sli::MemoryGrowth { .. } => "memory-growth",
            Sli::OpenHandles { .. } => "open-handles",
            Sli::CycleTime { .. } => "cycle-time",
            Sli::TaskSuccess => "task-success",
        }
    }

    /// Whether it is measured on sampled processes.
    pub fn on_processes(&self) -> bool {
        matches!(self, Sli::MemoryGrowth { .. } | Sli::OpenHandles { .. })
    }

    /// Whether it is measured on lock operations (and so can be narrowed by `path`).
    pub fn on_locks(&self) -> bool {
        matches!(self, Sli::LockSuccess | Sli::LockLatency { .. })
    }
}

/// The defaults of the process objectives, as the seed system's memory SLO states them.
pub const DEFAULT_MAX_GROWTH_BYTES_PER_HOUR: f64 = 100.0 * 1024.0 * 1024.0;
pub const DEFAULT_RATE_WINDOW_MS: i64 = 3_600_000;
pub const DEFAULT_MAX_HANDLES: u64 = 100;

/// Parses a growth rate: a size (`B`, `KB`, `MB`, `GB`, binary multiples as `ps` and `top`
/// count; `KiB`, `MiB`, `GiB` too) per a duration (`h`, `30m`, `1d`): `100MB/h`.
pub fn parse_growth(text: &str) -> Result<f64, String> {
    let bad = || format!("`{text}` is not a growth rate (examples: 100MB/h, 512KB/m, 1GB/d)");
    let (size, per) = text.split_once('/').ok_or_else(bad)?;
    let size = size.trim();
    let split = size
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(bad)?;
    let n: f64 = size[..split].trim().parse().map_err(|_| bad())?;
    let factor = match size[split..].to_ascii_uppercase().as_str() {
        "B" => 1.0,
        "KB" | "KIB" | "K" => 1024.0,
        "MB" | "MIB" | "M" => 1024.0 * 1024.0,
        "GB" | "GIB" | "G" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{text}` (B, KB, MB, GB)"
            ))
        }
    };
    let per = per.trim();
    // `h` alone means one hour.
    let per_ms = if per.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration_ms(per)?
    } else {
        parse_duration_ms(&format!("1{per}"))?
    };
    if !(n.is_finite() && n > 0.0) || per_ms <= 0 {
        return Err(format!("`{text}` must be a positive rate"));
    }
    Ok(n * factor * 3_600_000.0 / per_ms as f64)
}

#[derive(Clone, Debug, PartialEq)]
pub enum Budgeting {
    /// Every event counts: the budget is a share of events.
    Occurrences,
    /// Time is cut into slices; a slice with traffic is good when its share of good events
    /// reaches `target`. The budget is a share of slices.
    Timeslices { slice_ms: i64, target: f64 },
}

impl Budgeting {
    pub fn as_str(&self) -> &'static str {
        match self {
            Budgeting::Occurrences => "occurrences",
            Budgeting::Timeslices { .. } => "timeslices",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SloSpec {
    pub name: String,
    pub description: String,
    pub sli: Sli,
    pub objective: f64,
    pub window_ms: i64,
    pub budgeting: Budgeting,
    /// Only documents matching this glob (pattern as written, and compiled).
    pub path: Option<(String, globset::GlobMatcher)>,
    pub min_events: u64,
}

#[derive(Clone, Debug)]
pub struct GateSpec {
    pub name: String,
    pub description: String,
    pub selectors: Vec<String>,
    pub rules: RuleSet,
    /// Most findings allowed, indexed by [`severity_index`].
    pub max: [Option<u64>; 3],
}

/// `high`, `medium`, `low` as 0, 1, 2.
pub fn severity_index(s: Severity) -> usize {
    match s {
        Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low => 2,
    }
}

pub const SEVERITIES: [Severity; 3] = [Severity::High, Severity::Medium, Severity::Low];

#[derive(Clone, Debug)]
pub struct Objectives {
    pub slos: Vec<SloSpec>,
    pub gates: Vec<GateSpec>,
    /// Whether these came from the configuration (false: the built-in defaults).
    pub from_config: bool,
}

const DAY_MS: i64 = 86_400_000;

/// Samples a process objective needs before it judges (per process, and overall).
const PROCESS_MIN_EVENTS: u64 = 3;

/// The defaults mirror the legacy monitor's thresholds: 95% lock success, an availability
/// objective of 99.9% of busy minutes, lock waits under 500 ms, 8 agents working, the memory
/// gate of 0 high and fewer than 5 medium findings, and the runtime half of its memory-safety
/// SLO: resident memory growing under 100 MB/h and under 100 open file handles.
pub fn defaults() -> Objectives {
    Objectives {
        slos: vec![
            SloSpec {
                name: "lock-success".into(),
                description: "Lock operations that succeed (no timeout, no error)".into(),
                sli: Sli::LockSuccess,
                objective: 0.95,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Occurrences,
                path: None,
                min_events: 10,
            },
            SloSpec {
                name: "lock-availability".into(),
                description:
                    "Minutes with lock traffic in which at least 95% of operations succeed".into(),
                sli: Sli::LockSuccess,
                objective: 0.999,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Timeslices {
                    slice_ms: 60_000,
                    target: 0.95,
                },
                path: None,
                min_events: 10,
            },
            SloSpec {
                name: "lock-latency".into(),
                description: "Lock operations that acquire the lock within 500 ms".into(),
                sli: Sli::LockLatency {
                    threshold_ms: 500.0,
                },
                objective: 0.99,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Occurrences,
                path: None,
                min_events: 10,
            },
            SloSpec {
                name: "agents-active".into(),
                description: "Minutes in which at least 8 agents are active".into(),
                sli: Sli::AgentsActive { min: 8 },
                objective: 0.95,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Timeslices {
                    slice_ms: 60_000,
                    target: 1.0,
                },
                path: None,
                min_events: 1,
            },
            SloSpec {
                name: "memory-growth".into(),
                description: "Process samples whose resident memory grows under 100 MB/h".into(),
                sli: Sli::MemoryGrowth {
                    max_bytes_per_hour: DEFAULT_MAX_GROWTH_BYTES_PER_HOUR,
                    rate_window_ms: DEFAULT_RATE_WINDOW_MS,
                },
                objective: 0.99,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Occurrences,
                path: None,
                min_events: PROCESS_MIN_EVENTS,
            },
            SloSpec {
                name: "open-handles".into(),
                description: "Process samples with fewer than 100 open file descriptors".into(),
                sli: Sli::OpenHandles {
                    max: DEFAULT_MAX_HANDLES,
                },
                objective: 0.99,
                window_ms: 30 * DAY_MS,
                budgeting: Budgeting::Occurrences,
                path: None,
                min_events: PROCESS_MIN_EVENTS,
            },
        ],
        gates: vec![memory_gate()],
        from_config: false,
    }
}

fn memory_gate() -> GateSpec {
    GateSpec {
        name: "memory-findings".into(),
        description: "Memory-growth findings: none high, fewer than 5 medium".into(),
        selectors: vec!["SWC1".into()],
        rules: RuleSet::from_selector("SWC1").expect("known prefix"),
        max: [Some(0), Some(4), None],
    }
}

/// The objectives a configuration declares; the defaults when it declares none.
pub fn from_config(loaded: Option<&LoadedConfig>) -> Result<Objectives, Box<ConfigError>> {
    let Some(loaded) = loaded else {
        return Ok(defaults());
    };
    let (slos, gates) = (&loaded.config.slo, &loaded.config.gate);
    if slos.is_none() && gates.is_none() {
        return Ok(defaults());
    }
    let err = |span: std::ops::Range<usize>, message: String, help: Option<&str>| {
        Box::new(ConfigError::at(
            &loaded.path,
            &loaded.source,
            Some(span),
            message,
            help.map(str::to_string),
        ))
    };
    let mut out = Objectives {
        slos: Vec::new(),
        gates: Vec::new(),
        from_config: true,
    };
    let mut names = std::collections::HashSet::new();
    let mut unique = |name: &Spanned<String>| -> Result<String, Box<ConfigError>> {
        let n = name.get_ref().trim().to_string();
        if n.is_empty()
            || !n
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(err(
                name.span(),
                format!("invalid name `{n}`"),
                Some("names use letters, digits, `-`, `_` and `.` (they become metric labels)"),
            ));
        }
        if !names.insert(n.clone()) {
            return Err(err(name.span(), format!("duplicate name `{n}`"), None));
        }
        Ok(n)
    };
    if slos.as_ref().is_some_and(Vec::is_empty) && gates.as_ref().is_none_or(Vec::is_empty) {
        return Err(err(
            0..0,
            "`slo = []` declares no objective".into(),
            Some("remove it to use the built-in defaults, or add [[slo]] tables"),
        ));
    }
    for c in slos.iter().flatten() {
        let name = unique(&c.name)?;
        out.slos.push(slo_spec(c, name, &err)?);
    }
    for g in gates.iter().flatten() {
        let name = unique(&g.name)?;
        out.gates.push(gate_spec(g, name, &err)?);
    }
    Ok(out)
}

type ErrFn<'a> = dyn Fn(std::ops::Range<usize>, String, Option<&str>) -> Box<ConfigError> + 'a;

fn duration(s: &Spanned<String>, err: &ErrFn) -> Result<i64, Box<ConfigError>> {
    match parse_duration_ms(s.get_ref()) {
        Ok(ms) if ms > 0 => Ok(ms),
        Ok(_) => Err(err(s.span(), "must be longer than zero".into(), None)),
        Err(e) => Err(err(s.span(), e, None)),
    }
}

fn ratio(s: &Spanned<f64>, what: &str, err: &ErrFn) -> Result<f64, Box<ConfigError>> {
    let v = *s.get_ref();
    // A time slice may be required to be perfect; an objective of 100% leaves no budget.
    let top_ok = what == "timeslice-target" && v == 1.0;
    if v.is_finite() && v > 0.0 && (v < 1.0 || top_ok) {
        Ok(v)
    } else {
        Err(err(
            s.span(),
            format!("{what} must be a ratio between 0 and 1 (exclusive), got {v}"),
            Some("write 99.9% as 0.999"),
        ))
    }
}

fn slo_spec(c: &SloConfig, name: String, err: &ErrFn) -> Result<SloSpec, Box<ConfigError>> {
    let objective = ratio(&c.objective, "objective", err)?;
    let sli = match c.sli.get_ref().as_str() {
        "lock-success" => Sli::LockSuccess,
        "lock-latency" => {
            let Some(t) = &c.threshold else {
                return Err(err(
                    c.sli.span(),
                    "a lock-latency SLO needs `threshold` (e.g. \"500ms\")".into(),
                    None,
                ));
            };
            Sli::LockLatency {
                threshold_ms: duration(t, err)? as f64,
            }
        }
        "agents-active" => {
            let Some(m) = &c.min_active else {
                return Err(err(
                    c.sli.span(),
                    "an agents-active SLO needs `min-active` (e.g. 8)".into(),
                    None,
                ));
            };
            Sli::AgentsActive { min: *m.get_ref() }
        }
        "memory-growth" => Sli::MemoryGrowth {
            max_bytes_per_hour: match &c.max_growth {
                Some(g) => parse_growth(g.get_ref()).map_err(|e| err(g.span(), e, None))?,
                None => DEFAULT_MAX_GROWTH_BYTES_PER_HOUR,
            },
            rate_window_ms: match &c.rate_window {
                Some(w) => duration(w, err)?,
                None => DEFAULT_RATE_WINDOW_MS,
            },
        },
        "open-handles" => Sli::OpenHandles {
            max: c.max_handles.as_ref().map_or(DEFAULT_MAX_HANDLES, |m| *m.get_ref()),
        },
        "cycle-time" => {
            let Some(t) = &c.threshold else {
                return Err(err(
                    c.sli.span(),
                    "a cycle-time SLO needs `threshold` (e.g. \"2s\")".into(),
                    None,
                ));
            };
            Sli::CycleTime {
                threshold_ms: duration(t, err)? as f64,
            }
        }
        "task-success" => Sli::TaskSuccess,
        other => {
            return Err(err(
                c.sli.span(),
                format!("unknown sli `{other}`"),
                Some("expected lock-success, lock-latency, agents-active, memory-growth, open-handles, cycle-time or task-success"),
            ))
        }
    };
    for (key, span, applies) in [
        (
            "max-growth",
            c.max_growth.as_ref().map(Spanned::span),
            matches!(sli, Sli::MemoryGrowth { .. }),
        ),
        (
            "rate-window",
            c.rate_window.as_ref().map(Spanned::span),
            matches!(sli, Sli::MemoryGrowth { .. }),
        ),
        (
            "max-handles",
            c.max_handles.as_ref().map(Spanned::span),
            matches!(sli, Sli::OpenHandles { .. }),
        ),
    ] {
        if let (Some(span), false) = (span, applies) {
            return Err(err(
                span,
                format!(
                    "`{key}` only applies to {}",
                    if key == "max-handles" {
                        "open-handles"
                    } else {
                        "memory-growth"
                    }
                ),
                None,
            ));
        }
    }
    if let (Some(t), false) = (
        &c.threshold,
        matches!(sli, Sli::LockLatency { .. } | Sli::CycleTime { .. }),
    ) {
        return Err(err(
            t.span(),
            "`threshold` only applies to lock-latency and cycle-time".into(),
            None,
        ));
    }
    if let (Some(m), false) = (&c.min_active, matches!(sli, Sli::AgentsActive { .. })) {
        return Err(err(
            m.span(),
            "`min-active` only applies to agents-active".into(),
            None,
        ));
    }
    let window_ms = match &c.window {
        Some(w) => duration(w, err)?,
        None => 30 * DAY_MS,
    };
    let slice_ms = match &c.timeslice {
        Some(s) => duration(s, err)?,
        None => 60_000,
    };
    let agents = matches!(sli, Sli::AgentsActive { .. });
    let budgeting = match c.budgeting.as_ref().map(|b| (b.get_ref().as_str(), b.span())) {
        None | Some(("timeslices", _)) if agents => Budgeting::Timeslices {
            slice_ms,
            target: 1.0,
        },
        Some((_, span)) if agents => {
            return Err(err(
                span,
                "agents-active is measured in time slices; use budgeting = \"timeslices\" or leave it out".into(),
                None,
            ))
        }
        Some(("timeslices", span)) if !sli.on_locks() => {
            return Err(err(
                span,
                format!(
                    "{} is counted per {}; use budgeting = \"occurrences\" or leave it out",
                    sli.kind(),
                    if sli.on_processes() { "process sample" } else { "cycle" }
                ),
                None,
            ))
        }
        None | Some(("occurrences", _)) => Budgeting::Occurrences,
        Some(("timeslices", _)) => Budgeting::Timeslices {
            slice_ms,
            target: match &c.timeslice_target {
                Some(t) => ratio(t, "timeslice-target", err)?,
                None => objective,
            },
        },
        Some((other, span)) => {
            return Err(err(
                span,
                format!("unknown budgeting `{other}`"),
                Some("expected occurrences or timeslices"),
            ))
        }
    };
    if matches!(budgeting, Budgeting::Occurrences) {
        for (key, span) in [
            ("timeslice", c.timeslice.as_ref().map(Spanned::span)),
            (
                "timeslice-target",
                c.timeslice_target.as_ref().map(Spanned::span),
            ),
        ] {
            if let Some(span) = span {
                return Err(err(
                    span,
                    format!("`{key}` only applies with budgeting = \"timeslices\""),
                    None,
                ));
            }
        }
    }
    if let (true, Some(t)) = (agents, &c.timeslice_target) {
        return Err(err(
            t.span(),
            "agents-active slices are good when every snapshot in them has `min-active` agents; `timeslice-target` does not apply".into(),
            None,
        ));
    }
    if matches!(budgeting, Budgeting::Timeslices { .. }) && slice_ms > window_ms {
        let span = c.timeslice.as_ref().map_or(c.name.span(), Spanned::span);
        return Err(err(
            span,
            "the time slice is longer than the window".into(),
            None,
        ));
    }
    let path = match &c.path {
        Some(p) if !sli.on_locks() => {
            return Err(err(
                p.span(),
                "`path` only applies to lock SLOs".into(),
                None,
            ))
        }
        Some(p) => {
            let glob = globset::Glob::new(p.get_ref())
                .map_err(|e| err(p.span(), format!("invalid glob: {e}"), None))?;
            Some((p.get_ref().clone(), glob.compile_matcher()))
        }
        None => None,
    };
    let default_min = if agents {
        1
    } else if sli.on_processes() {
        PROCESS_MIN_EVENTS
    } else {
        10
    };
    let min_events = c.min_events.as_ref().map_or(default_min, |m| *m.get_ref());
    Ok(SloSpec {
        description: c.description.clone().unwrap_or_default(),
        name,
        sli,
        objective,
        window_ms,
        budgeting,
        path,
        min_events,
    })
}

fn gate_spec(g: &GateConfig, name: String, err: &ErrFn) -> Result<GateSpec, Box<ConfigError>> {
    let mut rules = RuleSet::empty();
    let mut selectors = Vec::new();
    for s in g.select.iter().flatten() {
        let set = RuleSet::from_selector(s.get_ref()).ok_or_else(|| {
            err(
                s.span(),
                format!("unknown rule selector `{}`", s.get_ref()),
                Some("codes (SWC301), prefixes (SWC3) or ALL; `swarmcheck rules` lists them"),
            )
        })?;
        rules = rules.union(set);
        selectors.push(s.get_ref().clone());
    }
    if g.select.as_ref().is_some_and(Vec::is_empty) {
        return Err(err(
            g.name.span(),
            format!("gate `{name}` selects no rule (`select = []`)"),
            Some("leave `select` out to count every rule"),
        ));
    }
    if g.select.is_none() {
        rules = RuleSet::all();
        selectors.push("ALL".into());
    }
    let max = [g.max_high, g.max_medium, g.max_low];
    if max.iter().all(Option::is_none) {
        return Err(err(
            g.name.span(),
            format!("gate `{name}` sets no limit"),
            Some("add max-high, max-medium or max-low"),
        ));
    }
    Ok(GateSpec {
        description: g.description.clone().unwrap_or_default(),
        name,
        selectors,
        rules,
        max,
    })
}

/// Objectives that are valid but cannot work as intended: `slo validate` prints these.
pub fn warnings(o: &Objectives) -> Vec<String> {
    let mut out = Vec::new();
    for s in &o.slos {
        let budget = super::eval::error_budget(s.objective);
        // A burn rate is an error ratio over the budget; it cannot exceed 1 / budget.
        let max_burn = 1.0 / budget;
        for rule in super::eval::ALERT_RULES {
            if rule.factor >= max_burn {
                out.push(format!(
                    "slo `{}`: objective {} leaves a budget of {:.1}%, so the burn rate can never exceed {:.1}x and the {} alert ({}x) can never fire; tighten the objective to at least {:.4}",
                    s.name,
                    s.objective,
                    budget * 100.0,
                    max_burn,
                    rule.name,
                    rule.factor,
                    1.0 - 1.0 / rule.factor
                ));
            }
        }
        if let Sli::LockLatency { threshold_ms } = s.sli {
            let s_bound = threshold_ms / 1000.0;
            if !super::WAIT_BUCKETS_S
                .iter()
                .any(|b| (b - s_bound).abs() < 1e-12)
            {
                out.push(format!(
                    "slo `{}`: threshold {threshold_ms} ms is not a bucket of swarmcheck_lock_wait_seconds ({}), so `slo rules` cannot express it; `slo` itself evaluates it exactly",
                    s.name,
                    super::WAIT_BUCKETS_S.iter().map(|b| format!("{}s", b)).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let longest = super::eval::BURN_WINDOWS_MS
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        if s.window_ms < longest {
            out.push(format!(
                "slo `{}`: its window ({}) is shorter than the 3d burn-rate window; the slow ticket compares against more history than the objective covers",
                s.name,
                crate::obs::fmt::window_label(s.window_ms)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_have_no_warnings() {
        assert!(
            warnings(&defaults()).is_empty(),
            "{:?}",
            warnings(&defaults())
        );
    }

    #[test]
    fn growth_rates() {
        let mb = 1024.0 * 1024.0;
        assert_eq!(parse_growth("100MB/h").unwrap(), 100.0 * mb);
        assert_eq!(parse_growth("100 MiB / 1h").unwrap(), 100.0 * mb);
        assert_eq!(parse_growth("1MB/m").unwrap(), 60.0 * mb);
        assert_eq!(parse_growth("2GB/d").unwrap(), 2.0 * 1024.0 * mb / 24.0);
        assert_eq!(parse_growth("512KB/30m").unwrap(), 1024.0 * 1024.0);
        for bad in [
            "100MB",
            "MB/h",
            "100XB/h",
            "0MB/h",
            "100MB/0h",
            "-1MB/h",
            "100MB/fortnight",
        ] {
            assert!(parse_growth(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loose_objective_is_flagged() {
        let mut o = defaults();
        o.slos[0].objective = 0.9;
        let w = warnings(&o);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("page-fast"), "{w:?}");
    }
}
