//! `swarmcheck check` and its presets (`mem.leaks`, `mem.scan`, `mem.handles`, `mem.verify`).

use super::{fail, write_atomically, Status};
use crate::config::{self, FailOn, Overrides};
use crate::lint::{self, baseline::BaselineFile};
use crate::report::{self, Format, ReportOptions};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check [default: .]
    paths: Vec<PathBuf>,
    /// Rules to run (codes, prefixes such as SWC2, or ALL), replacing the configured selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Option<Vec<String>>,
    /// Rules to add to the selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,
    /// Rules to leave out.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Glob patterns to skip, replacing the defaults (.git, .venv, build, ...).
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    exclude: Option<Vec<String>>,
    /// Glob patterns to skip in addition to the defaults.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    extend_exclude: Vec<String>,
    /// Check files that .gitignore (and other ignore files) exclude.
    #[arg(long)]
    no_respect_gitignore: bool,
    /// Apply the excludes to files named on the command line too (for pre-commit and editors).
    #[arg(long)]
    force_exclude: bool,
    /// With `-` as the path: the file the source on standard input stands for (its shown name,
    /// configuration, per-file ignores and, with --force-exclude, excludes).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity is reported [default: high].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Exit 0 even when findings are reported.
    #[arg(long)]
    exit_zero: bool,
    /// Output format.
    #[arg(long, visible_alias = "format", value_enum, default_value = "text")]
    output_format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Also write a report in another format: FORMAT=PATH (repeatable).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report)]
    report: Vec<(Format, PathBuf)>,
    /// Print the number of findings per rule instead of each finding.
    #[arg(long)]
    statistics: bool,
    /// Configuration file (default: swarmcheck.toml or pyproject.toml found upward).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Hide findings recorded in this baseline file; fail only on new ones.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Do not read or write the results cache.
    #[arg(long)]
    no_cache: bool,
    /// Where the results cache lives [default: .swarmcheck_cache in the project root].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Print findings only: no summary line, no progress bar.
    #[arg(long, short = 'q', conflicts_with = "silent")]
    quiet: bool,
    /// Print nothing on standard output; only the exit code (and -o/--report files) tell.
    #[arg(long, short = 's')]
    silent: bool,
    /// Also say on standard error which configuration, project root and cache were used, how
    /// many files were checked and how long it took.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// When to colour the text output: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR or
    /// CLICOLOR_FORCE turn it on), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Print the settings in effect (after configuration and flags) and exit.
    #[arg(long, conflicts_with = "show_files")]
    show_settings: bool,
    /// Print the files that would be checked and exit.
    #[arg(long)]
    show_files: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour: the flag, then NO_COLOR (off), then FORCE_COLOR / CLICOLOR_FORCE (on),
/// then whether the output is a terminal.
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Always => true,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto
            if set("FORCE_COLOR")
                || std::env::var_os("CLICOLOR_FORCE")
                    .is_some_and(|v| !v.is_empty() && v != "0") =>
        {
            true
        }
        ColorChoice::Auto => to_terminal,
    }
}

fn parse_report(value: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = value
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, got `{value}`"))?;
    if path.is_empty() {
        return Err(format!("missing PATH in `{value}`"));
    }
    Ok((format.parse()?, PathBuf::from(path)))
}

pub fn run(args: CheckArgs, preset: Option<&str>) -> Status {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => return fail(miette::miette!("cannot read the current directory: {e}")),
    };
    let stdin = args.paths.iter().any(|p| is_stdout(p));
    if stdin && args.paths.len() > 1 {
        return fail(miette::miette!(
            "`-` (standard input) cannot be combined with other paths"
        ));
    }
    if args.stdin_filename.is_some() && !stdin {
        return fail(miette::miette!(
            help = "e.g. cat app.py | swarmcheck check - --stdin-filename app.py",
            "--stdin-filename names the file that standard input stands for; pass `-` as the path"
        ));
    }
    // Standard input is checked as the named file: its configuration is found from there.
    let stdin_path = args
        .stdin_filename
        .as_deref()
        .map(|p| lint::discover::normalize(p, &cwd));
    let config_start = stdin_path
        .as_deref()
        .and_then(std::path::Path::parent)
        .unwrap_or(&cwd)
        .to_path_buf();
    let config_path = match &args.config {
        Some(path) if !path.is_file() => {
            return fail(miette::miette!(
                "configuration file {} does not exist",
                path.display()
            ))
        }
        Some(path) => Some(path.clone()),
        None => config::find(&config_start),
    };
    let loaded = match config_path.as_deref().map(config::load).transpose() {
        Ok(loaded) => loaded,
        Err(e) => return fail(miette::Report::new(*e)),
    };
    let overrides = Overrides {
        preset: preset.map(str::to_string),
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        exclude: args.exclude.clone(),
        extend_exclude: args.extend_exclude.clone(),
        fail_on: args.fail_on,
        respect_gitignore: args.no_respect_gitignore.then_some(false),
        force_exclude: args.force_exclude.then_some(true),
    };
    let (mut settings, fail_on) = match config::resolve(loaded.as_ref(), &overrides) {
        Ok(resolved) => resolved,
        Err(e) => return fail(e.into()),
    };
    settings.project_root = config::project_root(loaded.as_ref(), &cwd, &cwd);
    let config_shown = config_path
        .as_deref()
        .map_or("(none: the defaults)".to_string(), |p| {
            p.display().to_string()
        });
    if args.show_settings {
        out!(
            "config = {config_shown}\n{}fail-on = {}\n",
            settings.describe(),
            format!("{fail_on:?}").to_lowercase()
        );
        return Status::Ok;
    }
    if args.verbose {
        eprintln!("swarmcheck: configuration {config_shown}");
        eprintln!(
            "swarmcheck: project root {}",
            settings.project_root.display()
        );
    }
    let baseline = match &args.baseline {
        Some(path) => match BaselineFile::load(path) {
            Ok(b) => Some(b),
            Err(e) => return fail(miette::miette!("baseline {}: {e}", path.display())),
        },
        None => None,
    };

    if args.statistics
        && !matches!(
            args.output_format,
            Format::Text | Format::Concise | Format::Json
        )
    {
        return fail(miette::miette!(
            "--statistics works with the text, concise and json formats, not {:?}",
            args.output_format
        ));
    }
    let mut targets: Vec<PathBuf> = args.report.iter().map(|(_, p)| p.clone()).collect();
    targets.extend(args.output_file.iter().cloned());
    let stdout_targets =
        targets.iter().filter(|p| is_stdout(p)).count() + usize::from(args.output_file.is_none());
    let mut seen = std::collections::HashSet::new();
    for t in targets.iter().filter(|p| !is_stdout(p)) {
        if !seen.insert(lint::discover::normalize(t, &cwd)) {
            return fail(miette::miette!(
                "{} is named as the destination of two outputs; each output needs its own file",
                t.display()
            ));
        }
    }
    if stdout_targets > 1 {
        return fail(miette::miette!(
            "two outputs would go to standard output; give one of them a file (`--report FORMAT=PATH`)"
        ));
    }

    if args.show_files {
        let roots: Vec<PathBuf> = if args.paths.is_empty() {
            vec![cwd.clone()]
        } else {
            args.paths
                .iter()
                .map(|p| lint::discover::normalize(p, &cwd))
                .collect()
        };
        let (files, errors) = lint::discover::discover(&roots, &settings);
        for f in &files {
            outln!("{}", lint::display_path(f, &cwd));
        }
        for e in &errors {
            eprintln!("warning: {}: {}", e.path, e.message);
        }
        return if errors.is_empty() {
            Status::Ok
        } else {
            Status::Error
        };
    }
    let started = std::time::Instant::now();
    let scan = if stdin {
        let path = stdin_path.unwrap_or_else(|| cwd.join("-"));
        read_stdin(settings.max_file_size)
            .map(|bytes| lint::check_unsaved(&bytes, &path, &cwd, &settings))
            .map_err(|e| format!("cannot read standard input: {e}"))
    } else {
        scan_paths(&args, &settings, &cwd)
    };
    let mut result = match scan {
        Ok(result) => result,
        Err(e) => return fail(miette::miette!("{e}")),
    };

    if args.verbose {
        eprintln!(
            "swarmcheck: checked {} file{} in {:.2} s; {} finding{}, {} suppressed by noqa",
            result.files_scanned,
            if result.files_scanned == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64(),
            result.findings.len(),
            if result.findings.len() == 1 { "" } else { "s" },
            result.suppressed
        );
    }
    if let Some(path) = &args.write_baseline {
        return write_baseline(path, &result, args.quiet || args.silent);
    }
    if let Some(baseline) = &baseline {
        lint::apply_baseline(&mut result, &baseline.fingerprints());
    }
    let repository_prefix = repository_prefix(&cwd);

    let to_terminal =
        args.output_file.as_deref().is_none_or(is_stdout) && std::io::stdout().is_terminal();
    let color = use_color(args.color, to_terminal);
    let options = ReportOptions {
        color,
        statistics: args.statistics,
        quiet: args.quiet,
        repository_prefix: repository_prefix.clone(),
    };
    let mut primary = Vec::new();
    if let Err(e) = report::render(args.output_format, &result, &options, &mut primary) {
        return fail(miette::miette!("cannot render the report: {e}"));
    }
    let to_stdout = args.output_file.as_deref().is_none_or(is_stdout);
    if !(args.silent && to_stdout) {
        if let Err(e) = emit(args.output_file.as_deref(), &primary) {
            return fail(miette::miette!("{e}"));
        }
    }
    let plain = ReportOptions {
        color: false,
        statistics: false,
        quiet: args.quiet,
        repository_prefix,
    };
    for (format, path) in &args.report {
        let mut buf = Vec::new();
        if let Err(e) = report::render(*format, &result, &plain, &mut buf) {
            return fail(miette::miette!(
                "cannot render report {}: {e}",
                path.display()
            ));
        }
        if args.silent && is_stdout(path) {
            continue;
        }
        if let Err(e) = emit(Some(path), &buf) {
            return fail(miette::miette!("cannot write report {e}"));
        }
    }

    let failing = fail_on
        .threshold()
        .is_some_and(|t| result.findings.iter().any(|f| f.severity >= t));
    if failing && !args.exit_zero {
        Status::Failed
    } else {
        Status::Ok
    }
}

/// Standard input, up to one byte over the size limit (enough to tell it is over).
fn read_stdin(limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Where the current directory sits in the repository GitHub Actions checked out
/// (`GITHUB_WORKSPACE`), so annotations name files from the repository root even when the
/// scan runs in a subdirectory.
fn repository_prefix(cwd: &std::path::Path) -> Option<String> {
    let workspace = std::env::var_os("GITHUB_WORKSPACE").filter(|w| !w.is_empty())?;
    let workspace = lint::discover::normalize(std::path::Path::new(&workspace), cwd);
    let rel = cwd.strip_prefix(&workspace).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// `--write-baseline`: records the findings. A file that cannot be parsed (SWC000) is never
/// baselined, so its finding would fail the next run at once: say so now, and exit 1.
fn write_baseline(path: &std::path::Path, result: &lint::ScanResult, quiet: bool) -> Status {
    let file = BaselineFile::from_findings(&result.findings);
    let json = serde_json::to_vec_pretty(&file).expect("serializable");
    if let Err(e) = write_atomically(path, &json) {
        return fail(miette::miette!(
            "cannot write baseline {}: {e}",
            path.display()
        ));
    }
    if !quiet {
        eprintln!(
            "Wrote a baseline of {} finding{} to {}.",
            file.findings.len(),
            if file.findings.len() == 1 { "" } else { "s" },
            path.display()
        );
    }
    let unbaselined: Vec<&crate::finding::Finding> = result
        .findings
        .iter()
        .filter(|f| f.code == crate::rules::Rule::SyntaxError.code())
        .collect();
    if unbaselined.is_empty() {
        return Status::Ok;
    }
    eprintln!(
        "error: {} file{} could not be analyzed (SWC000), and SWC000 is never baselined: every run will report {} until fixed or excluded:",
        unbaselined.len(),
        if unbaselined.len() == 1 { "" } else { "s" },
        if unbaselined.len() == 1 { "it" } else { "them" }
    );
    for f in unbaselined {
        eprintln!("  {}:{}: {}", f.path, f.line, f.message);
    }
    Status::Failed
}

/// Discovers and checks the paths on the command line, with the results cache.
fn scan_paths(
    args: &CheckArgs,
    settings: &crate::lint::settings::LintSettings,
    cwd: &std::path::Path,
) -> Result<lint::ScanResult, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let missing: Vec<_> = paths
        .iter()
        .filter(|p| std::fs::symlink_metadata(p).is_err())
        .collect();
    if let Some(p) = missing.first() {
        return Err(format!("{}: no such file or directory", p.display()));
    }

    let cache = (!args.no_cache).then(|| {
        let dir = match &args.cache_dir {
            Some(d) => lint::discover::normalize(d, cwd),
            None => settings.project_root.join(".swarmcheck_cache"),
        };
        if args.verbose {
            eprintln!("swarmcheck: cache {}", dir.display());
        }
        lint::cache::Cache::open(&dir, &settings.cache_key())
    });
    let progress = Progress::new(!args.no_progress && !args.quiet && !args.silent);
    let scan = lint::check_paths(
        &paths,
        settings,
        cwd,
        &|total| progress.start(total),
        &|| progress.tick(),
        cache.as_ref(),
        &lint::Unsaved::default(),
    );
    progress.finish();
    if let Some(cache) = cache {
        cache.save();
    }
    scan
}

fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes an output to its file, or to standard output for `None` and `-`.
fn emit(path: Option<&std::path::Path>, bytes: &[u8]) -> Result<(), String> {
    match path {
        Some(path) if !is_stdout(path) => {
            write_atomically(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
                // A closed pipe (`| head`) is not an error of the scan.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| format!("standard output: {e}")),
            }
        }
    }
}

/// A progress bar on stderr, shown only on a terminal and only for long scans.
struct Progress {
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    enabled: bool,
}

/// Scans smaller than this finish before a bar would be readable.
const PROGRESS_MIN_FILES: usize = 2000;

impl Progress {
    fn new(wanted: bool) -> Self {
        Progress {
            bar: std::sync::OnceLock::new(),
            enabled: wanted && std::io::stderr().is_terminal(),
        }
    }

    fn start(&self, total: usize) {
        if self.enabled && total >= PROGRESS_MIN_FILES {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed}")
                    .expect("valid template"),
            );
            let _ = self.bar.set(bar);
        }
    }

    fn tick(&self) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}
