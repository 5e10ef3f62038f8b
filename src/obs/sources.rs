//! The data `slo`, `swarm.pulse` and `health.ping` read, found from the flags first and then
//! the project configuration's `[observe]` table (paths relative to the configuration file),
//! and loaded with every oddity reported as a warning: lock metrics, agent status and pulse
//! history, process samples, agent cycles and static findings.

use crate::config::{self, ConfigError, LoadedConfig};
use crate::finding::Severity;
use crate::obs::cycles::{self, Cycle};
use crate::obs::fmt::{fmt_ms, human};
use crate::obs::load::{self, parse_time, Op};
use crate::obs::lock_report::freshness_of_ops;
use crate::obs::parse_duration_s;
use crate::obs::process::{
    self, Locator, ProcessSample, ProcessSeries, ProcessSpec, RecordedStart, Target,
};
use crate::obs::pulse::{self, Pulse, Totals};
use crate::obs::slo::{
    spec, AgentsSource, CyclesSource, FindingCounts, FindingRef, FindingsSource, MetricsSource,
    ProcessLatest, ProcessesSource,
};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// What the command line says about the sources; anything left out comes from `[observe]`.
#[derive(Debug, Clone, Default)]
pub struct SourceFlags {
    pub config: Option<PathBuf>,
    pub metrics: Vec<String>,
    pub agents: Vec<PathBuf>,
    pub stale_after: Option<String>,
    pub now: Option<String>,
}

pub struct Sources {
    pub root: PathBuf,
    pub config: Option<LoadedConfig>,
    pub metrics: Vec<String>,
    pub agents: Vec<PathBuf>,
    pub pulse_history: Option<PathBuf>,
    pub findings: Option<PathBuf>,
    pub stale_after_s: i64,
    pub metrics_stale_after_s: i64,
    pub now_ms: i64,
    /// Whether `now_ms` is the clock (not `--now` or `evaluate-at`): only then are processes
    /// sampled, since a sample is a measurement of this moment.
    pub now_is_clock: bool,
    /// `[[observe.process]]` entries.
    pub processes: Vec<ProcessSpec>,
    /// Agent cycle logs (files or globs).
    pub cycles: Vec<String>,
}

/// Loads the configuration that applies to `root` and merges it with the flags.
pub fn resolve(root: &Path, args: &SourceFlags) -> Result<Sources, miette::Report> {
    let config_path = match &args.config {
        Some(p) if !p.is_file() => {
            return Err(miette::miette!(
                "configuration file {} does not exist",
                p.display()
            ))
        }
        Some(p) => Some(p.clone()),
        None => {
            let start = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
            let cwd = std::env::current_dir().unwrap_or_default();
            // Shown relative to the current directory, as paths given on the command line are.
            config::find(&start).map(|p| p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(p))
        }
    };
    let loaded = config_path
        .as_deref()
        .map(config::load)
        .transpose()
        .map_err(|e| miette::Report::new(*e))?;
    let observe = loaded.as_ref().and_then(|l| l.config.observe.as_ref());
    let base = loaded
        .as_ref()
        .and_then(|l| l.path.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let in_config = |p: &str| -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() || base.as_os_str().is_empty() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let err = |span: std::ops::Range<usize>, message: String| {
        let l = loaded.as_ref().expect("spans come from a loaded file");
        miette::Report::new(ConfigError::at(
            &l.path,
            &l.source,
            Some(span),
            message,
            None,
        ))
    };
    let duration = |flag: &Option<String>,
                    key: Option<&Spanned<String>>,
                    default: i64|
     -> Result<i64, miette::Report> {
        match (flag, key) {
            (Some(f), _) => parse_duration_s(f).map_err(|e| miette::miette!("{e}")),
            (None, Some(k)) => parse_duration_s(k.get_ref()).map_err(|e| err(k.span(), e)),
            (None, None) => Ok(default),
        }
    };
    let stale_after_s = duration(
        &args.stale_after,
        observe.and_then(|o| o.stale_after.as_ref()),
        15 * 60,
    )?;
    let metrics_stale_after_s = duration(
        &None,
        observe.and_then(|o| o.metrics_stale_after.as_ref()),
        3600,
    )?;
    let now_is_clock = args.now.is_none() && observe.and_then(|o| o.evaluate_at.as_ref()).is_none();
    let now_ms = match (&args.now, observe.and_then(|o| o.evaluate_at.as_ref())) {
        (Some(t), _) => parse_time(t).ok_or_else(|| {
            miette::miette!("--now `{t}` is not a time (RFC 3339, e.g. 2026-11-20T12:00:00Z)")
        })?,
        (None, Some(t)) => parse_time(t.get_ref())
            .ok_or_else(|| err(t.span(), format!("`{}` is not a time", t.get_ref())))?,
        (None, None) => chrono::Utc::now().timestamp_millis(),
    };
    let metrics = if args.metrics.is_empty() {
        observe
            .and_then(|o| o.metrics.as_ref())
            .into_iter()
            .flatten()
            .map(|m| in_config(m.get_ref()).to_string_lossy().into_owned())
            .collect()
    } else {
        args.metrics.clone()
    };
    let agents = if args.agents.is_empty() {
        observe
            .and_then(|o| o.agents.as_ref())
            .into_iter()
            .flatten()
            .map(|a| in_config(a.get_ref()))
            .collect()
    } else {
        args.agents.clone()
    };
    let mut processes = Vec::new();
    for p in observe
        .and_then(|o| o.process.as_ref())
        .into_iter()
        .flatten()
    {
        let name = p.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(err(p.name.span(), "a process needs a name".into()));
        }
        let locator = match (&p.pid_file, &p.matches) {
            (Some(f), None) => Locator::PidFile(in_config(f.get_ref())),
            (None, Some(m)) => Locator::Match(
                regex::Regex::new(m.get_ref())
                    .map_err(|e| err(m.span(), format!("invalid regular expression: {e}")))?,
            ),
            (Some(f), Some(_)) => {
                return Err(err(
                    f.span(),
                    format!("process `{name}`: give `pid-file` or `match`, not both"),
                ))
            }
            (None, None) => {
                return Err(err(
                    p.name.span(),
                    format!("process `{name}` needs `pid-file` or `match`"),
                ))
            }
        };
        processes.push(ProcessSpec {
            name,
            agent: p.agent.clone(),
            locator,
        });
    }
    let cycles = observe
        .and_then(|o| o.cycles.as_ref())
        .into_iter()
        .flatten()
        .map(|c| in_config(c.get_ref()).to_string_lossy().into_owned())
        .collect();
    Ok(Sources {
        now_is_clock,
        processes,
        cycles,
        root: root.to_path_buf(),
        metrics,
        agents,
        pulse_history: observe
            .and_then(|o| o.pulse_history.as_ref())
            .map(|p| in_config(p.get_ref())),
        findings: observe
            .and_then(|o| o.findings.as_ref())
            .map(|p| in_config(p.get_ref())),
        stale_after_s,
        metrics_stale_after_s,
        now_ms,
        config: loaded,
    })
}

/// The agents' pulse now, with their processes sampled when the pulse is taken at the clock.
pub fn load_pulse(src: &Sources) -> Result<Pulse, miette::Report> {
    let mut p = pulse::load(&src.agents, src.now_ms, src.stale_after_s)
        .map_err(|e| miette::miette!("{e}"))?;
    if src.now_is_clock {
        let mut warnings = Vec::new();
        let mut targets: Vec<Target> = p
            .agents
            .iter()
            .filter_map(|a| {
                Some(Target {
                    name: a.id.clone(),
                    agent: Some(a.id.clone()),
                    pid: a.pid?,
                    recorded_start: a.process_start_ms.map(RecordedStart::Exactly),
                    origin: a.source.clone(),
                })
            })
            .collect();
        targets.extend(process::locate(&src.processes, &mut warnings));
        p.processes = process::sample(&targets, &mut warnings);
        p.warnings
            .extend(warnings.into_iter().map(|w| pulse::Warning {
                file: format!("process {}", w.process),
                message: w.message,
            }));
    }
    Ok(p)
}

/// Lock operations, sorted by end time.
pub struct Metrics {
    pub ops: Vec<Op>,
    pub source: MetricsSource,
    pub stale: Option<String>,
}

/// The lock metrics logs; `None` when none is configured.
pub fn load_metrics(src: &Sources) -> Result<Option<Metrics>, miette::Report> {
    if src.metrics.is_empty() {
        return Ok(None);
    }
    let data = load::load_all(&src.metrics).map_err(|e| miette::miette!("{e}"))?;
    let mut ops = data.ops;
    ops.sort_unstable_by_key(|o| o.end_ms);
    let f = freshness_of_ops(&ops, src.now_ms, src.metrics_stale_after_s);
    let stale = f.silent.then(|| f.status.clone());
    Ok(Some(Metrics {
        source: MetricsSource {
            files: data.files.iter().map(|p| p.display().to_string()).collect(),
            events: ops.len() as u64,
            malformed_lines: data.malformed.len() as u64,
            last_event: f.last_event.clone(),
            silent: f.silent,
            status: f.status,
        },
        ops,
        stale,
    }))
}

/// Agent observations: the pulse history plus the pulse now.
pub struct Agents {
    pub observations: Vec<(i64, Totals)>,
    pub states: Vec<(i64, std::collections::BTreeMap<String, pulse::PulseState>)>,
    /// Process samples of the history and of the pulse now, oldest first.
    pub processes: Vec<(i64, ProcessSample)>,
    pub process_warnings: Vec<String>,
    pub source: AgentsSource,
    pub stale: Option<String>,
}

/// Reads the pulse history and takes the pulse now; `None` when neither is configured.
pub fn load_agents(
    src: &Sources,
    history: Option<&Path>,
) -> Result<Option<Agents>, miette::Report> {
    if src.agents.is_empty() && history.is_none() {
        return Ok(None);
    }
    let mut observations = Vec::new();
    let mut states = Vec::new();
    let mut processes = Vec::new();
    let mut process_warnings = Vec::new();
    let mut source = AgentsSource {
        files: Vec::new(),
        totals: None,
        warnings: Vec::new(),
        history_file: history.map(|h| h.display().to_string()),
        history_snapshots: 0,
        history_malformed_lines: 0,
    };
    // Before the first `swarm.pulse --record` there is no history yet: no data, not an error.
    if let Some(h) = history.filter(|h| !h.exists()) {
        source.warnings.push(format!(
            "pulse history {} does not exist yet; record it with `swarmcheck swarm.pulse --record`",
            h.display()
        ));
    }
    if let Some(h) = history.filter(|h| h.exists()) {
        let hist = pulse::load_history(h).map_err(|e| miette::miette!("{e}"))?;
        source.history_snapshots = hist.snapshots.len() as u64;
        source.history_malformed_lines = hist.malformed.len() as u64;
        for (line, why) in hist.malformed.iter().take(5) {
            source
                .warnings
                .push(format!("{}:{line}: skipped: {why}", h.display()));
        }
        observations.extend(hist.snapshots);
        states = hist.states;
        processes = hist.processes;
    }
    if !src.agents.is_empty() {
        let p = load_pulse(src)?;
        source.files = p.sources.clone();
        source.totals = Some(p.totals);
        for w in &p.warnings {
            let line = format!("{}: {}", w.file, w.message);
            if w.file.starts_with("process ") {
                process_warnings.push(line);
            } else {
                source.warnings.push(line);
            }
        }
        processes.extend(p.processes.iter().map(|s| (src.now_ms, s.clone())));
        observations.push((src.now_ms, p.totals));
        states.push((
            src.now_ms,
            p.agents.iter().map(|a| (a.id.clone(), a.state)).collect(),
        ));
    }
    observations.sort_by_key(|(t, _)| *t);
    let latest = observations
        .iter()
        .rev()
        .find(|(t, _)| *t <= src.now_ms)
        .map(|(t, _)| *t);
    let stale = match latest {
        None => Some("no agent observation at or before the evaluation time".to_string()),
        Some(t) if (src.now_ms - t) / 1000 > src.stale_after_s => Some(format!(
            "pulse history silent for {} (last snapshot {}); record it with `swarm.pulse --record`",
            human((src.now_ms - t) / 1000),
            fmt_ms(t)
        )),
        Some(_) => None,
    };
    states.sort_by_key(|(t, _)| *t);
    processes.sort_by_key(|(t, _)| *t);
    Ok(Some(Agents {
        observations,
        states,
        processes,
        process_warnings,
        source,
        stale,
    }))
}

/// The sampled processes as series, each with the code it runs resolved in the project.
pub struct Processes {
    pub series: Vec<ProcessSeries>,
    pub source: ProcessesSource,
}

/// Groups the agents' process samples by process; `None` when there are none.
pub fn processes_of(src: &Sources, agents: &Agents) -> Option<Processes> {
    if agents.processes.is_empty() && agents.process_warnings.is_empty() {
        return None;
    }
    let mut series = process::by_process(&agents.processes);
    let root = std::path::absolute(&src.root).unwrap_or_else(|_| src.root.clone());
    for s in &mut series {
        let newest = s.samples.last().map(|(_, x)| x);
        s.entry = newest.and_then(|x| process::entry_file(x, &root));
        s.entry = s
            .entry
            .as_ref()
            .map(|e| e.canonicalize().unwrap_or_else(|_| e.clone()));
        s.scope = s.entry.as_deref().map(process::code_scope);
    }
    let latest = series
        .iter()
        .filter_map(|s| {
            let (t, x) = s.samples.iter().rev().find(|(t, _)| *t <= src.now_ms)?;
            Some(ProcessLatest {
                process: s.name.clone(),
                agent: s.agent.clone(),
                pid: s.pid,
                sampled_at: fmt_ms(*t),
                resident_bytes: x.rss_bytes,
                open_fds: x.fds,
                growth_bytes_per_hour: crate::obs::slo::eval::growth_at(
                    s,
                    *t,
                    spec::DEFAULT_RATE_WINDOW_MS,
                ),
            })
        })
        .collect();
    Some(Processes {
        source: ProcessesSource {
            processes: latest,
            samples: agents.processes.len() as u64,
            warnings: agents.process_warnings.clone(),
        },
        series,
    })
}

/// The cycle logs, counted for the report; `None` when none is configured.
pub fn load_cycles(
    src: &Sources,
    objectives: &spec::Objectives,
) -> Result<Option<(Vec<Cycle>, CyclesSource)>, miette::Report> {
    if src.cycles.is_empty() {
        return Ok(None);
    }
    let log = cycles::load_all(&src.cycles).map_err(|e| miette::miette!("{e}"))?;
    let done: Vec<&Cycle> = log
        .cycles
        .iter()
        .filter(|c| c.end_ms <= src.now_ms)
        .collect();
    let slow = objectives
        .slos
        .iter()
        .filter(|s| matches!(s.sli, spec::Sli::CycleTime { .. }))
        .map(|s| {
            let n = done
                .iter()
                .filter(|c| crate::obs::slo::eval::cycle_is_bad(&s.sli, c))
                .count() as u64;
            (s.name.clone(), n)
        })
        .collect();
    let source = CyclesSource {
        files: log.files.iter().map(|p| p.display().to_string()).collect(),
        cycles: done.len() as u64,
        failed: done.iter().filter(|c| !c.ok).count() as u64,
        malformed_lines: log.malformed.len() as u64,
        slow,
    };
    Ok(Some((log.cycles, source)))
}

/// The static findings: a saved report, or a scan of the project.
pub fn load_findings(
    src: &Sources,
    report: Option<&Path>,
) -> Result<(Vec<FindingRef>, FindingsSource), miette::Report> {
    let (list, origin, path) = match report {
        Some(path) => (
            read_report(path, &src.root)?,
            "report",
            path.display().to_string(),
        ),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| miette::miette!("cannot read the current directory: {e}"))?;
            let (mut settings, _) =
                crate::config::resolve(src.config.as_ref(), &Default::default())?;
            settings.project_root =
                crate::config::project_root(src.config.as_ref(), &src.root, &cwd);
            if std::fs::symlink_metadata(&src.root).is_err() {
                return Err(miette::miette!(
                    "{}: no such file or directory",
                    src.root.display()
                ));
            }
            let result = crate::lint::check_paths(
                std::slice::from_ref(&src.root),
                &settings,
                &cwd,
                &|_| {},
                &|| {},
                None,
                &crate::lint::Unsaved::default(),
            )
            .map_err(|e| miette::miette!("{e}"))?;
            let list = result
                .findings
                .iter()
                .map(|f| FindingRef {
                    code: f.code.to_string(),
                    severity: f.severity,
                    file: on_disk(&f.path, &cwd, &src.root),
                    path: f.path.clone(),
                    line: f.line as u64,
                    message: f.message.clone(),
                })
                .collect();
            (list, "scan", src.root.display().to_string())
        }
    };
    let mut counts = [0u64; 3];
    for f in &list {
        counts[spec::severity_index(f.severity)] += 1;
    }
    Ok((
        list,
        FindingsSource {
            origin,
            path,
            counts: FindingCounts::from(counts),
        },
    ))
}

/// The findings of a saved JSON report: `{"findings": [{"code", "severity", ...}]}`.
fn read_report(path: &Path, root: &Path) -> Result<Vec<FindingRef>, miette::Report> {
    #[derive(serde::Deserialize)]
    struct Saved {
        findings: Vec<SavedFinding>,
    }
    #[derive(serde::Deserialize)]
    struct SavedFinding {
        code: String,
        severity: Severity,
        #[serde(default)]
        path: String,
        #[serde(default)]
        line: u64,
        #[serde(default)]
        message: String,
    }
    let text = crate::store::files::read_regular_to_string(path, 1 << 30)
        .map_err(|e| miette::miette!("cannot read findings report {}: {e}", path.display()))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| {
        miette::miette!(
            help = "write one with `swarmcheck check --output-format json -o REPORT.json`",
            "{}:{}:{}: not a swarmcheck JSON report: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(saved
        .findings
        .into_iter()
        .map(|f| FindingRef {
            file: on_disk(&f.path, &cwd, root),
            code: f.code,
            severity: f.severity,
            path: f.path,
            line: f.line,
            message: f.message,
        })
        .collect())
}

/// A reported path on disk: as written, relative to where the scan ran (taken to be here),
/// or relative to the project.
fn on_disk(path: &str, cwd: &Path, root: &Path) -> Option<PathBuf> {
    if path.is_empty() {
        return None;
    }
    let p = Path::new(path);
    [cwd.join(p), root.join(p)]
        .into_iter()
        .find_map(|c| c.canonicalize().ok())
}
