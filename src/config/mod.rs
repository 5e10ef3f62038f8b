//! Configuration files: `swarmcheck.toml`, or `[tool.swarmcheck]` in `pyproject.toml`, found
//! upward from the current directory. Every error points into the TOML.

use crate::finding::Severity;
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;
use toml::Spanned;

/// The `--fail-on` threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run, or `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

/// Lint settings as written in the file. Every key is optional; flags override them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    pub select: Option<Vec<Spanned<String>>>,
    pub extend_select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub extend_exclude: Option<Vec<Spanned<String>>>,
    pub per_file_ignores: Option<BTreeMap<String, Vec<Spanned<String>>>>,
    /// Per-rule severity overrides: `SWC105 = "medium"`.
    pub severity: Option<BTreeMap<String, Spanned<String>>>,
    pub fail_on: Option<FailOn>,
    pub respect_gitignore: Option<bool>,
    pub force_exclude: Option<bool>,
    pub max_file_size: Option<u64>,
    pub options: Option<OptionsConfig>,
    pub observe: Option<ObserveConfig>,
    pub slo: Option<Vec<SloConfig>>,
    pub gate: Option<Vec<GateConfig>>,
}

/// Rule options (`[options]`, or `[tool.swarmcheck.options]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OptionsConfig {
    pub lock_context_managers: Option<Vec<String>>,
    pub long_lived_functions: Option<Vec<String>>,
    pub bounded_types: Option<Vec<String>>,
    pub ignore_names: Option<Vec<Spanned<String>>>,
    pub require_concurrency_evidence: Option<bool>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTool>,
}

#[derive(Deserialize)]
struct PyprojectTool {
    swarmcheck: Option<LintConfig>,
}

/// A configuration file and what it holds.
#[derive(Debug)]
pub struct LoadedConfig {
    pub path: PathBuf,
    pub source: String,
    pub config: LintConfig,
}

/// A configuration error, rendered by miette with the offending TOML highlighted.
#[derive(Debug, Error, Diagnostic)]
#[error("invalid configuration: {message}")]
#[diagnostic(code(swarmcheck::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl ConfigError {
    pub fn at(
        loaded_path: &Path,
        source: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let message = message.into();
        ConfigError {
            label: "here".to_string(),
            src: NamedSource::new(loaded_path.display().to_string(), source.to_string()),
            span: span.map(|r| (r.start, r.end.saturating_sub(r.start)).into()),
            message,
            help,
        }
    }
}

/// The project root that excludes are anchored at: the configuration file's directory, or
/// `fallback` when there is no configuration. Normalized against `cwd`.
pub fn project_root(loaded: Option<&LoadedConfig>, fallback: &Path, cwd: &Path) -> PathBuf {
    let dir = loaded.and_then(|l| l.path.parent()).unwrap_or(fallback);
    crate::lint::discover::normalize(dir, cwd)
}

/// Finds the configuration that applies to `start`: the nearest `swarmcheck.toml`, or
/// `pyproject.toml` with a `[tool.swarmcheck]` table, walking up.
pub fn find(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        let own = dir.join("swarmcheck.toml");
        if own.is_file() {
            return Some(own);
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            if let Ok(text) = std::fs::read_to_string(&pyproject) {
                // A pyproject that does not parse is returned too, so its error is reported.
                if text.contains("swarmcheck")
                    && (has_tool_table(&text) || toml::from_str::<toml::Table>(&text).is_err())
                {
                    return Some(pyproject);
                }
            }
        }
    }
    None
}

/// Whether a TOML document has a `tool.swarmcheck` table (however it is spelled).
fn has_tool_table(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| {
        t.get("tool")
            .and_then(|tool| tool.get("swarmcheck"))
            .is_some()
    })
}

/// Reads and parses a configuration file: a `pyproject.toml` (or any file with a `[tool]`
/// table holding `swarmcheck`) reads `[tool.swarmcheck]`; any other file is read whole.
pub fn load(path: &Path) -> Result<LoadedConfig, Box<ConfigError>> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        Box::new(ConfigError::at(
            path,
            "",
            None,
            format!("cannot read {}: {e}", path.display()),
            None,
        ))
    })?;
    let is_pyproject =
        path.file_name().is_some_and(|n| n == "pyproject.toml") || has_tool_table(&source);
    let parsed = if is_pyproject {
        toml::from_str::<Pyproject>(&source)
            .map(|p| p.tool.and_then(|t| t.swarmcheck).unwrap_or_default())
    } else {
        toml::from_str::<LintConfig>(&source)
    };
    let config = parsed.map_err(|e| {
        Box::new(ConfigError::at(
            path,
            &source,
            e.span(),
            e.message().trim().to_string(),
            Some("see the Configuration section of the README for every key".to_string()),
        ))
    })?;
    Ok(LoadedConfig {
        path: path.to_path_buf(),
        source,
        config,
    })
}

mod observe;
mod resolve;
pub use observe::{GateConfig, ObserveConfig, ProcessConfig, SloConfig};
pub use resolve::{resolve, Overrides, ResolveError};
