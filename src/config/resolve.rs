//! Merging a configuration file with command-line flags into [`LintSettings`].
//!
//! Order (as in Ruff): the base selection is `--select`, else the preset's group, else the
//! file's `select`, else every rule; then `extend-select` adds and `ignore` removes (file first,
//! then flags). SWC000 is always on: a file that cannot be read is never silently skipped.

use super::{ConfigError, FailOn, LoadedConfig};
use crate::finding::Severity;
use crate::lint::settings::{build_globset, LintSettings, RuleOptions, DEFAULT_EXCLUDES};
use crate::rules::{Rule, RuleSet};
use toml::Spanned;

/// Settings given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// A preset command (`mem.leaks`, ...), selecting its rule group.
    pub preset: Option<String>,
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub respect_gitignore: Option<bool>,
    pub force_exclude: Option<bool>,
}

#[derive(Debug)]
pub enum ResolveError {
    /// A bad value in the configuration file.
    Config(Box<ConfigError>),
    /// A bad flag value.
    Usage(String),
}

impl From<ResolveError> for miette::Report {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::Config(e) => miette::Report::new(*e),
            ResolveError::Usage(message) => miette::miette!("{message}"),
        }
    }
}

pub fn resolve(
    loaded: Option<&LoadedConfig>,
    flags: &Overrides,
) -> Result<(LintSettings, FailOn), ResolveError> {
    let default_config = super::LintConfig::default();
    let config = loaded.map_or(&default_config, |l| &l.config);
    let config_err = |span: std::ops::Range<usize>, message: String| {
        let l = loaded.expect("spans only come from a loaded file");
        ResolveError::Config(Box::new(ConfigError::at(
            &l.path,
            &l.source,
            Some(span),
            message,
            Some("rule selectors are codes (SWC301), prefixes (SWC3) or ALL; `swarmcheck rules` lists them".into()),
        )))
    };
    let from_file = |list: &Option<Vec<Spanned<String>>>| -> Result<Option<RuleSet>, ResolveError> {
        let Some(list) = list else { return Ok(None) };
        let mut set = RuleSet::empty();
        for s in list {
            let rules = RuleSet::from_selector(s.get_ref()).ok_or_else(|| {
                config_err(s.span(), format!("unknown rule selector `{}`", s.get_ref()))
            })?;
            set = set.union(rules);
        }
        Ok(Some(set))
    };
    let from_flags = |list: &[String], flag: &str| -> Result<RuleSet, ResolveError> {
        let mut set = RuleSet::empty();
        for s in list
            .iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
        {
            let rules = RuleSet::from_selector(s).ok_or_else(|| {
                ResolveError::Usage(format!(
                    "unknown rule selector `{s}` in {flag} (codes like SWC301, prefixes like SWC3, or ALL; see `swarmcheck rules`)"
                ))
            })?;
            set = set.union(rules);
        }
        Ok(set)
    };

    let mut rules = if let Some(select) = &flags.select {
        from_flags(select, "--select")?
    } else if let Some(preset) = &flags.preset {
        RuleSet::group(preset)
    } else {
        from_file(&config.select)?.unwrap_or_else(RuleSet::all)
    };
    if flags.preset.is_none() || flags.select.is_some() {
        if let Some(extra) = from_file(&config.extend_select)? {
            rules = rules.union(extra);
        }
    }
    rules = rules.union(from_flags(&flags.extend_select, "--extend-select")?);
    if let Some(ignored) = from_file(&config.ignore)? {
        rules = rules.minus(ignored);
    }
    rules = rules.minus(from_flags(&flags.ignore, "--ignore")?);
    rules.insert(Rule::SyntaxError);

    let mut settings = LintSettings {
        rules,
        ..LintSettings::default()
    };

    // Excludes: flags replace the file's list, which replaces the defaults; extends add up.
    let mut patterns: Vec<(String, Option<std::ops::Range<usize>>)> =
        match (&flags.exclude, &config.exclude) {
            (Some(list), _) => list.iter().map(|p| (p.clone(), None)).collect(),
            (None, Some(list)) => list
                .iter()
                .map(|p| (p.get_ref().clone(), Some(p.span())))
                .collect(),
            (None, None) => DEFAULT_EXCLUDES
                .iter()
                .map(|p| (p.to_string(), None))
                .collect(),
        };
    if let Some(list) = &config.extend_exclude {
        patterns.extend(list.iter().map(|p| (p.get_ref().clone(), Some(p.span()))));
    }
    patterns.extend(flags.extend_exclude.iter().map(|p| (p.clone(), None)));
    for (pattern, span) in &patterns {
        if let Err(e) = build_globset([pattern.as_str()]) {
            return Err(match span {
                Some(span) => config_err(span.clone(), format!("invalid glob `{pattern}`: {e}")),
                None => ResolveError::Usage(format!("invalid exclude glob `{pattern}`: {e}")),
            });
        }
    }
    settings.exclude = build_globset(patterns.iter().map(|(p, _)| p.as_str()))
        .map_err(|e| ResolveError::Usage(e.to_string()))?;
    settings.exclude_patterns = patterns.into_iter().map(|(p, _)| p).collect();

    if let Some(per_file) = &config.per_file_ignores {
        for (pattern, codes) in per_file {
            let globs = build_globset([pattern.as_str()]).map_err(|e| {
                config_err(
                    0..0,
                    format!("invalid glob `{pattern}` in per-file-ignores: {e}"),
                )
            })?;
            let ignored = from_file(&Some(codes.clone()))?.unwrap_or_default();
            settings.per_file_ignores.push((globs, ignored));
            settings.per_file_ignore_patterns.push(pattern.clone());
        }
    }
    if let Some(overrides) = &config.severity {
        for (code, value) in overrides {
            let rule = Rule::from_code(code).ok_or_else(|| {
                config_err(value.span(), format!("unknown rule `{code}` in [severity]"))
            })?;
            let severity: Severity = value
                .get_ref()
                .parse()
                .map_err(|e: String| config_err(value.span(), e))?;
            settings.severity.insert(rule, severity);
        }
    }
    if let Some(respect) = flags.respect_gitignore.or(config.respect_gitignore) {
        settings.respect_gitignore = respect;
    }
    if let Some(force) = flags.force_exclude.or(config.force_exclude) {
        settings.force_exclude = force;
    }
    if let Some(size) = config.max_file_size {
        settings.max_file_size = size;
    }
    if let Some(options) = &config.options {
        for p in options.ignore_names.iter().flatten() {
            if let Err(e) = build_globset([p.get_ref().as_str()]) {
                return Err(config_err(
                    p.span(),
                    format!("invalid glob `{}`: {e}", p.get_ref()),
                ));
            }
        }
        settings.options = RuleOptions {
            lock_context_managers: options.lock_context_managers.clone().unwrap_or_default(),
            long_lived_functions: options.long_lived_functions.clone().unwrap_or_default(),
            bounded_types: options.bounded_types.clone().unwrap_or_default(),
            require_concurrency_evidence: options.require_concurrency_evidence.unwrap_or(false),
            ignore_names: build_globset(
                options
                    .ignore_names
                    .iter()
                    .flatten()
                    .map(|s| s.get_ref().as_str()),
            )
            .map_err(|e| ResolveError::Usage(e.to_string()))?,
            ignore_name_patterns: options
                .ignore_names
                .iter()
                .flatten()
                .map(|s| s.get_ref().clone())
                .collect(),
        };
    }
    let fail_on = flags.fail_on.or(config.fail_on).unwrap_or(FailOn::High);
    Ok((settings, fail_on))
}
