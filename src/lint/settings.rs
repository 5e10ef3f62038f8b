//! Resolved settings of one lint run: configuration file merged with command-line flags.

use crate::finding::Severity;
use crate::rules::{Rule, RuleSet};
use globset::GlobSet;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Directory and file names skipped during discovery unless `exclude` replaces them (as Ruff does).
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".swarmcheck_cache",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

/// Files larger than this are reported as SWC000 instead of being parsed.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Options read by individual rules.
#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// Extra context managers (qualified names) that hold a cross-process lock.
    pub lock_context_managers: Vec<String>,
    /// Extra factories whose results live for the whole process.
    pub long_lived_functions: Vec<String>,
    /// Extra container types that bound their own size.
    pub bounded_types: Vec<String>,
    /// Container names the memory rules ignore (globs over `_cache`, `self.history`, ...).
    pub ignore_names: GlobSet,
    /// The `ignore-names` patterns as written (for the cache key).
    pub ignore_name_patterns: Vec<String>,
    /// Read-modify-write findings (SWC201, SWC203, SWC204) with no evidence in the project that
    /// they run concurrently are reported at low severity.
    pub require_concurrency_evidence: bool,
}

/// Everything the engine needs to check files.
#[derive(Clone, Debug)]
pub struct LintSettings {
    pub rules: RuleSet,
    pub severity: HashMap<Rule, Severity>,
    pub exclude: GlobSet,
    /// The patterns `exclude` was built from, for `--show-settings`.
    pub exclude_patterns: Vec<String>,
    /// Each per-file-ignores glob with the rules it turns off.
    pub per_file_ignores: Vec<(GlobSet, RuleSet)>,
    /// The patterns of `per_file_ignores`, in the same order.
    pub per_file_ignore_patterns: Vec<String>,
    pub respect_gitignore: bool,
    /// Excludes apply to files named on the command line too (pre-commit passes every staged
    /// file by name).
    pub force_exclude: bool,
    pub max_file_size: u64,
    pub options: RuleOptions,
    /// Excludes and per-file-ignores match paths relative to this directory (the configuration
    /// file's directory, else the current directory), wherever the scan starts.
    pub project_root: PathBuf,
}

impl Default for LintSettings {
    fn default() -> Self {
        LintSettings {
            rules: RuleSet::all(),
            severity: HashMap::new(),
            exclude: build_globset(DEFAULT_EXCLUDES.iter().copied()).expect("valid defaults"),
            exclude_patterns: DEFAULT_EXCLUDES.iter().map(|p| p.to_string()).collect(),
            per_file_ignores: Vec::new(),
            per_file_ignore_patterns: Vec::new(),
            respect_gitignore: true,
            force_exclude: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            options: RuleOptions::default(),
            project_root: PathBuf::from("."),
        }
    }
}

impl LintSettings {
    pub fn severity_of(&self, rule: Rule) -> Severity {
        self.severity
            .get(&rule)
            .copied()
            .unwrap_or_else(|| rule.default_severity())
    }

    /// The per-rule severity overrides as `CODE=severity`, sorted.
    fn severity_overrides(&self) -> Vec<String> {
        let mut severity: Vec<String> = self
            .severity
            .iter()
            .map(|(r, s)| format!("{}={s}", r.code()))
            .collect();
        severity.sort();
        severity
    }

    /// Everything in these settings that shapes a file's findings, besides the rules enabled
    /// for it: the results cache is keyed by it.
    pub fn cache_key(&self) -> String {
        format!(
            "{:?}|{}|{:?}|{:?}|{:?}|{:?}",
            self.severity_overrides(),
            self.max_file_size,
            self.options.lock_context_managers,
            self.options.long_lived_functions,
            self.options.bounded_types,
            self.options.ignore_name_patterns
        )
    }

    /// The resolved settings as `key = value` lines, for `--show-settings`.
    pub fn describe(&self) -> String {
        let codes = |set: RuleSet| set.iter().map(|r| r.code()).collect::<Vec<_>>().join(", ");
        let mut out = format!(
            "project-root = {}\nselect = [{}]\nexclude = {:?}\nrespect-gitignore = {}\nforce-exclude = {}\nmax-file-size = {}\nseverity = [{}]\n",
            self.project_root.display(),
            codes(self.rules),
            self.exclude_patterns,
            self.respect_gitignore,
            self.force_exclude,
            self.max_file_size,
            self.severity_overrides().join(", "),
        );
        for (pattern, (_, rules)) in self
            .per_file_ignore_patterns
            .iter()
            .zip(&self.per_file_ignores)
        {
            out.push_str(&format!(
                "per-file-ignores.\"{pattern}\" = [{}]\n",
                codes(*rules)
            ));
        }
        out.push_str(&format!(
            "options.lock-context-managers = {:?}\noptions.long-lived-functions = {:?}\noptions.bounded-types = {:?}\noptions.ignore-names = {:?}\noptions.require-concurrency-evidence = {}\n",
            self.options.lock_context_managers,
            self.options.long_lived_functions,
            self.options.bounded_types,
            self.options.ignore_name_patterns,
            self.options.require_concurrency_evidence
        ));
        out
    }

    /// `path` relative to the project root, `/`-separated (absolute when outside it).
    pub fn project_relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.project_root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// Whether an exclude pattern matches the path (relative to the project root) or its name.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        self.exclude.is_match(name.as_ref()) || self.exclude.is_match(self.project_relative(path))
    }

    /// Whether a path named on the command line is excluded under `force-exclude`: the path or
    /// one of its directories below the project root matches an exclude pattern.
    pub fn is_force_excluded(&self, path: &Path) -> bool {
        self.force_exclude
            && path
                .ancestors()
                .take_while(|a| a.starts_with(&self.project_root) && *a != self.project_root)
                .any(|a| self.is_excluded(a))
    }

    /// Rules enabled for one file, after per-file ignores (matched on the path relative to the
    /// project root and on the file name).
    pub fn rules_for(&self, path: &Path) -> RuleSet {
        let rel = self.project_relative(path);
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        let mut rules = self.rules;
        for (globs, ignored) in &self.per_file_ignores {
            if globs.is_match(&rel) || globs.is_match(name) {
                rules = rules.minus(*ignored);
            }
        }
        rules.insert(Rule::SyntaxError);
        rules
    }
}

pub fn build_globset<'p>(
    patterns: impl IntoIterator<Item = &'p str>,
) -> Result<GlobSet, globset::Error> {
    let mut builder = globset::GlobSetBuilder::new();
    for p in patterns {
        builder.add(
            globset::GlobBuilder::new(p.trim_end_matches('/'))
                .literal_separator(false)
                .build()?,
        );
    }
    builder.build()
}
