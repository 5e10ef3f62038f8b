//! Where `slo`, `swarm.pulse` and `health.ping` find their data: flags first, then the
//! project configuration's `[observe]` table (paths relative to the configuration file).

use crate::config::{self, ConfigError, LoadedConfig};
use crate::obs::load::parse_time;
use crate::obs::parse_duration_s;
use clap::Args;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, Args, Clone, Default)]
pub struct SourceArgs {
    /// Configuration file (default: swarmcheck.toml or pyproject.toml found from the project root up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lock metrics file or glob; repeatable. Overrides [observe] metrics.
    #[arg(long = "metrics", value_name = "PATH")]
    pub metrics: Vec<String>,
    /// Agent status directory, status file or orchestrator registry; repeatable. Overrides [observe] agents.
    #[arg(long = "agents", value_name = "PATH")]
    pub agents: Vec<PathBuf>,
    /// An agent that says it is active but has not updated for this long is stale (default 15m).
    #[arg(long, value_name = "DURATION")]
    pub stale_after: Option<String>,
    /// Evaluate at this time instead of now (RFC 3339); makes output reproducible.
    #[arg(long, value_name = "TIME")]
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
}

/// Loads the configuration that applies to `root` and merges it with the flags.
pub fn resolve(root: &Path, args: &SourceArgs) -> Result<Sources, miette::Report> {
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
    Ok(Sources {
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
