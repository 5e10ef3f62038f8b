//! The analysis engine: discovery, decoding, parsing, semantic facts, the rule walk,
//! suppressions and baseline. It returns findings; it never prints.

pub mod baseline;
pub mod blocks;
pub mod cache;
pub mod checker;
pub mod containers;
pub mod discover;
pub mod json_io;
pub mod nesting;
pub mod noqa;
pub mod project;
pub mod semantic;
pub mod settings;
pub mod source;
pub mod vendored;

use crate::finding::{Finding, Related, Snippet};
use crate::rules::{Rule, RuleSet};
use checker::{Checker, Diagnostic};
use project::summary::{Candidate, LineSuppression, ModuleSummary};
use rayon::prelude::*;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::PySourceType;
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};
use semantic::SemanticModel;
use settings::LintSettings;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use discover::WalkError;

/// Stack for analysis threads: the parser and visitors recurse once per nesting level, and
/// pathological files (10,000 nested parentheses) must not overflow.
pub const ANALYSIS_STACK_BYTES: usize = 256 * 1024 * 1024;

/// The result of one scan.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub files_scanned: usize,
    /// Findings, sorted by path, line, column, code.
    pub findings: Vec<Finding>,
    pub errors: Vec<WalkError>,
    /// Findings hidden by `# noqa` comments.
    pub suppressed: usize,
    /// Findings hidden by the baseline.
    pub baselined: usize,
}

/// Text that stands for a file's content instead of what is on disk: an editor's unsaved
/// buffers, by absolute path.
pub type Unsaved = rustc_hash::FxHashMap<PathBuf, Vec<u8>>;

/// Discovers and checks `paths`: every file is summarized (in parallel, or taken from the
/// cache), the summaries are linked into one project, and each file's findings are decided.
/// A discovered file in `unsaved` is analyzed from that text (never cached), so its edits reach
/// the verdicts of the modules that depend on it.
/// `on_file` is called once per summarized file (for progress).
pub fn check_paths(
    paths: &[PathBuf],
    settings: &LintSettings,
    cwd: &Path,
    on_discovered: &(dyn Fn(usize) + Sync),
    on_file: &(dyn Fn() + Sync),
    cache: Option<&cache::Cache>,
    unsaved: &Unsaved,
) -> Result<ScanResult, String> {
    let roots: Vec<PathBuf> = paths.iter().map(|p| discover::normalize(p, cwd)).collect();
    let (files, errors) = discover::discover(&roots, settings);
    let vendored = vendored::trees(&roots);
    on_discovered(files.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(ANALYSIS_STACK_BYTES)
        .build()
        .map_err(|e| format!("cannot start analysis threads: {e}"))?;
    // With a cache, each file's stamp and rules are taken first: if the last run read exactly
    // these files, its result stands (`cache::memo`). Whether a file is test code is judged once,
    // on its path below the checked root, and serves the memo, the summary and the cache.
    let discovered: Vec<(String, RuleSet, bool, Option<cache::Stamp>)> = pool.install(|| {
        files
            .par_iter()
            .map(|path| {
                let stamp = cache
                    .filter(|_| !unsaved.contains_key(path))
                    .and_then(|_| cache::stamp(path));
                let root = checked_root(path, &roots);
                let test = Unit::is_test(path, root);
                // Third-party code shipped in the tree is read for the project model only.
                let rules = if vendored.iter().any(|v| path.starts_with(v))
                    || vendored::in_private_vendor_package(path, root)
                {
                    RuleSet::empty()
                } else {
                    Unit::rules_below(path, root, settings.rules_for(path))
                };
                (display_path(path, cwd), rules, test, stamp)
            })
            .collect()
    });
    let walk_failed = !errors.is_empty();
    let commands = Commands::read(&files, &roots, cwd, cache.is_some());
    if let Some(c) = cache.filter(|_| !walk_failed && unsaved.is_empty()) {
        // The packaging files are inputs too: the commands they declare decide what runs only
        // at start-up.
        let now: Vec<cache::memo::Discovered<'_>> = files
            .iter()
            .zip(&discovered)
            .map(
                |(path, (display, rules, test, stamp))| cache::memo::Discovered {
                    path,
                    display,
                    rules: rules.bits(),
                    test: *test,
                    stamp: *stamp,
                },
            )
            .chain(commands.files.iter().map(|f| cache::memo::Discovered {
                path: &f.path,
                display: &f.display,
                rules: 0,
                test: false,
                stamp: f.stamp,
            }))
            .collect();
        if let Some(replay) = c.replay(&now) {
            if let Some(files) = replay.restamped {
                c.record_run(files, &replay.findings, replay.suppressed);
            }
            return Ok(ScanResult {
                files_scanned: files.len(),
                findings: replay.findings,
                suppressed: replay.suppressed,
                ..ScanResult::default()
            });
        }
    }
    let packages = project::names::package_dirs(&files);
    let mut summaries: Vec<(String, ModuleSummary, Option<u64>)> = pool.install(|| {
        files
            .par_iter()
            .zip(&discovered)
            .map(|(path, (display, rules, test, stamp))| {
                let unit = Unit::of(path, &packages, *test);
                let (out, hash) = match unsaved.get(path) {
                    Some(bytes) => (
                        summarize_bytes(bytes, display, &unit, *rules, settings)
                            .unwrap_or_else(|| internal_error(display, settings)),
                        None,
                    ),
                    None => summarize_file(path, display, &unit, *rules, settings, cache, stamp),
                };
                on_file();
                (display.clone(), out, hash)
            })
            .collect()
    });
    let mut result = ScanResult {
        files_scanned: files.len(),
        ..ScanResult::default()
    };
    // A directory that cannot be walked hides its files: report it like an unreadable file.
    for error in errors {
        let display = display_path(Path::new(&error.path), cwd);
        result.findings.push(whole_file_finding(
            &display,
            format!("cannot scan: {}", error.message),
            settings,
        ));
    }
    for (path, (_, summary, _)) in files.iter().zip(summaries.iter_mut()) {
        summary.facts.is_example = Unit::is_example(path, checked_root(path, &roots));
    }
    let facts: Vec<(String, &project::ModuleFacts)> = summaries
        .iter()
        .map(|(d, s, _)| (d.clone(), &s.facts))
        .collect();
    let mut linked = project::link::link(&facts, &settings.options, &commands.entry_points);
    linked.whole_tree = !roots.is_empty() && roots.iter().all(|r| r.is_dir());
    // File-concurrency findings of modules that use another module's lock helper are redone
    // with that helper known (few files; their ASTs are gone, so they are parsed again).
    type Redone = Option<(ModuleSummary, Vec<(project::Name, project::Name, u32)>)>;
    let redone: Vec<Redone> = pool.install(|| {
        files
            .par_iter()
            .zip(&summaries)
            .zip(&discovered)
            .map(|((path, (display, summary, _)), (_, rules, test, _))| {
                let mut helpers = linked.imports_of(&summary.facts);
                // A removal helper only matters to a module with a growth finding to drop.
                let grows = summary.candidates.iter().any(|c| {
                    [
                        Rule::UnboundedDefaultdict,
                        Rule::UncheckedAppend,
                        Rule::UnboundedDictCache,
                    ]
                    .iter()
                    .any(|r| r.code() == c.finding.code)
                });
                if !grows {
                    helpers.removers.clear();
                }
                if helpers.is_empty() {
                    return None;
                }
                let unit = Unit::of(path, &packages, *test);
                let bytes = match unsaved.get(path) {
                    Some(bytes) => bytes.clone(),
                    None => std::fs::read(path).ok()?,
                };
                let mut again =
                    summarize_source(&bytes, display, &unit, *rules, settings, &helpers);
                // Only the candidates are used again, and the calls of the helpers now known
                // (which make their writes writes of state); the facts were linked already.
                let calls = std::mem::take(&mut again.facts.state_writer_calls);
                again.facts = project::ModuleFacts::default();
                Some((again, calls))
            })
            .collect()
    });
    let redone: Vec<Option<ModuleSummary>> = redone
        .into_iter()
        .enumerate()
        .map(|(i, again)| {
            again.map(|(again, calls)| {
                linked.add_state_writer_calls(i, calls);
                again
            })
        })
        .collect();
    for (((display, summary, _), again), path) in summaries.iter().zip(&redone).zip(&files) {
        let (findings, suppressed) = again.as_ref().unwrap_or(summary).finish(
            display,
            &linked,
            &|| match unsaved.get(path) {
                Some(bytes) => source::decode(bytes).ok().map(|t| t.into_owned()),
                None => read_text(path),
            },
        );
        result.findings.extend(findings);
        result.suppressed += suppressed;
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if let Some(c) = cache.filter(|_| !walk_failed) {
        // Recorded only when every file was read with a known stamp and content, and every
        // directory could be walked.
        let inputs: Option<Vec<cache::memo::FileInput>> = files
            .iter()
            .zip(&discovered)
            .zip(&summaries)
            .map(|((path, (display, rules, test, stamp)), (_, _, hash))| {
                let stamp = stamp.as_ref()?;
                Some(cache::memo::FileInput {
                    path: path.to_string_lossy().into_owned(),
                    display: display.clone(),
                    rules: rules.bits(),
                    test: *test,
                    size: stamp.size,
                    modified_ns: stamp.modified_ns,
                    content_hash: (*hash)?,
                })
            })
            .chain(commands.files.iter().map(|f| {
                let stamp = f.stamp.as_ref()?;
                Some(cache::memo::FileInput {
                    path: f.path.to_string_lossy().into_owned(),
                    display: f.display.clone(),
                    rules: 0,
                    test: false,
                    size: stamp.size,
                    modified_ns: stamp.modified_ns,
                    content_hash: f.content_hash?,
                })
            }))
            .collect();
        if let Some(inputs) = inputs {
            c.record_run(inputs, &result.findings, result.suppressed);
        }
    }
    Ok(result)
}

/// The packaging files of the checked project and the commands they declare.
struct Commands {
    files: Vec<PackagingFile>,
    entry_points: Vec<project::scripts::EntryPoint>,
}

struct PackagingFile {
    path: PathBuf,
    display: String,
    /// Taken before the file is read, for the run cache (with one).
    stamp: Option<cache::Stamp>,
    content_hash: Option<u64>,
}

impl Commands {
    fn read(files: &[PathBuf], roots: &[PathBuf], cwd: &Path, stamped: bool) -> Commands {
        let mut commands = Commands {
            files: Vec::new(),
            entry_points: Vec::new(),
        };
        let root_of = |file| checked_root(file, roots);
        for path in project::scripts::packaging_files(files, root_of, roots) {
            let stamp = stamped.then(|| cache::stamp(&path)).flatten();
            let bytes = project::scripts::read(&path);
            if let Some(text) = bytes.as_deref().and_then(|b| std::str::from_utf8(b).ok()) {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                commands
                    .entry_points
                    .extend(project::scripts::entry_points(name, text));
            }
            commands.files.push(PackagingFile {
                display: display_path(&path, cwd),
                content_hash: bytes.as_deref().map(cache::content_hash),
                path,
                stamp,
            });
        }
        commands
    }
}

/// Where a file sits in its project: its module name, package and execution context.
#[derive(Clone, Debug)]
pub struct Unit {
    pub module: String,
    pub package: Option<String>,
    /// Its directory is a namespace package ([`project::names::PackageDirs`]).
    pub in_namespace: bool,
    pub is_test: bool,
    pub is_stub: bool,
}

impl Unit {
    /// `is_test`: the file is test code ([`Unit::is_test`]).
    pub fn of(path: &Path, packages: &project::names::PackageDirs, is_test: bool) -> Unit {
        let (module, package) = project::names::module_name(path, packages);
        let in_namespace = path
            .parent()
            .is_some_and(|d| packages.namespaces.contains(d));
        Unit {
            module,
            package,
            in_namespace,
            is_test,
            is_stub: path.extension().is_some_and(|e| e == "pyi"),
        }
    }

    /// Whether `path` is test code, judged on its path below `root`, the checked directory
    /// that holds it: a project that itself sits in a `tests/` directory (pytest's temporary
    /// directories, a checkout under `~/tests/`) is not all test code.
    pub fn is_test(path: &Path, root: &Path) -> bool {
        project::context::is_test_path(path.strip_prefix(root).unwrap_or(path))
    }

    /// Whether `path` is example or documentation code, judged like test code on its path
    /// below `root`.
    pub fn is_example(path: &Path, root: &Path) -> bool {
        project::context::is_example_path(path.strip_prefix(root).unwrap_or(path))
    }

    /// The rules that apply to `path` given those configured for it: in example code
    /// ([`Unit::is_example`]), not the memory-growth rules; in test code ([`Unit::is_test`]),
    /// not the file-concurrency rules either, since the files a test writes are its own
    /// fixtures, not state the deployed program shares.
    pub fn rules_below(path: &Path, root: &Path, configured: RuleSet) -> RuleSet {
        let memory = || RuleSet::from_selector("SWC1").unwrap_or_default();
        if Unit::is_test(path, root) {
            configured
                .minus(memory())
                .minus(RuleSet::from_selector("SWC2").unwrap_or_default())
        } else if Unit::is_example(path, root) {
            configured.minus(memory())
        } else {
            configured
        }
    }

    /// A file checked on its own, named `display`.
    pub fn standalone(display: &str, is_stub: bool) -> Unit {
        let path = Path::new(display);
        Unit {
            module: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            package: None,
            in_namespace: false,
            is_test: project::context::is_test_path(path),
            is_stub,
        }
    }
}

/// The widest of the checked `roots` that holds `file` (the parent directory of a root that is
/// a file).
fn checked_root<'r>(file: &'r Path, roots: &'r [PathBuf]) -> &'r Path {
    roots
        .iter()
        .map(|r| {
            if r.as_path() == file {
                r.parent().unwrap_or(Path::new(""))
            } else {
                r.as_path()
            }
        })
        .filter(|r| file.starts_with(r))
        .min_by_key(|r| r.components().count())
        .unwrap_or_else(|| file.parent().unwrap_or(Path::new("")))
}

/// Hides findings whose fingerprint is in `baseline`.
pub fn apply_baseline(result: &mut ScanResult, baseline: &HashSet<&str>) {
    let before = result.findings.len();
    let syntax_error = Rule::SyntaxError.code();
    result
        .findings
        .retain(|f| f.code == syntax_error || !baseline.contains(f.fingerprint.as_str()));
    result.baselined = before - result.findings.len();
}

/// The path as shown to users: relative to `cwd` when below it, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path
        .strip_prefix(cwd)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let shown = shown.strip_prefix("./").unwrap_or(shown);
    shown.to_string_lossy().replace('\\', "/")
}

/// Checks one file on disk on its own (its project is itself). Returns its findings and the
/// number suppressed by `# noqa`.
pub fn check_file(
    path: &Path,
    display: &str,
    settings: &LintSettings,
    cache: Option<&cache::Cache>,
) -> (Vec<Finding>, usize) {
    let unit = Unit::standalone(display, path.extension().is_some_and(|e| e == "pyi"));
    finish_alone(
        display,
        summarize_file(
            path,
            display,
            &unit,
            Unit::rules_below(Path::new(display), Path::new(""), settings.rules_for(path)),
            settings,
            cache,
            &cache.and_then(|_| cache::stamp(path)),
        )
        .0,
        settings,
        &|| read_text(path),
    )
}

/// Links a single summary as a project of one module and returns its findings.
fn finish_alone(
    display: &str,
    summary: ModuleSummary,
    settings: &LintSettings,
    source: &dyn Fn() -> Option<String>,
) -> (Vec<Finding>, usize) {
    let facts = [(display.to_string(), &summary.facts)];
    let linked = project::link::link(&facts, &settings.options, &[]);
    summary.finish(display, &linked, source)
}

/// A file's text, decoded as phase one decoded it.
fn read_text(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    source::decode(&bytes).ok().map(|t| t.into_owned())
}

/// The code frame of `start..end` in `text`, or `None` when the range no longer fits the text
/// (the file changed between the phases).
pub(crate) fn snippet_checked(
    text: &str,
    index: &LineIndex,
    start: u32,
    end: u32,
) -> Option<Snippet> {
    let (s, e) = (start as usize, end as usize);
    if s > e || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
        return None;
    }
    Some(snippet(
        text,
        index,
        TextRange::new(start.into(), end.into()),
    ))
}

/// The summary of one file (from the cache when its entry holds), with the hash of the content
/// it was made from when the file was read whole.
fn summarize_file(
    path: &Path,
    display: &str,
    unit: &Unit,
    rules: RuleSet,
    settings: &LintSettings,
    cache: Option<&cache::Cache>,
    stamp: &Option<cache::Stamp>,
) -> (ModuleSummary, Option<u64>) {
    if let (Some(c), Some(s)) = (cache, stamp) {
        if let Some((hit, hash)) =
            c.lookup(path, display, rules.bits(), s, || std::fs::read(path).ok())
        {
            // The same file is test code or not, and named, by where the check starts from.
            let same_unit = hit.facts.module.as_str().is_empty()
                || (hit.facts.is_test == unit.is_test && hit.facts.module.as_str() == unit.module);
            if same_unit {
                return (hit, Some(hash));
            }
        }
    }
    let unreadable = |message: String| {
        let summary = ModuleSummary::failed(whole_file_finding(display, message, settings));
        (summary, None)
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return unreadable("cannot read file: it is a directory".into())
        }
        // A FIFO would block the scan and a device (`/dev/zero`) never ends.
        Ok(meta) if !meta.is_file() => {
            return unreadable(
                "cannot read file: it is not a regular file (a FIFO, socket or device)".into(),
            )
        }
        Ok(meta) if meta.len() > settings.max_file_size => {
            return unreadable(over_size_limit(meta.len(), settings))
        }
        Ok(_) => {}
        Err(e) => return unreadable(format!("cannot read file: {e}")),
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return unreadable(format!("cannot read file: {e}")),
    };
    let Some(summary) = summarize_bytes(&bytes, display, unit, rules, settings) else {
        return (internal_error(display, settings), None);
    };
    // The hash only serves the cache; without one it would be a pass over every byte for nothing.
    let (Some(c), Some(s)) = (cache, stamp) else {
        return (summary, None);
    };
    let hash = cache::content_hash(&bytes);
    c.store(path, display, rules.bits(), s, hash, &summary);
    (summary, Some(hash))
}

/// Phase one for bytes in memory, with the size limit applied; `None` when the analysis
/// panicked (the rest of the scan goes on).
fn summarize_bytes(
    bytes: &[u8],
    display: &str,
    unit: &Unit,
    rules: RuleSet,
    settings: &LintSettings,
) -> Option<ModuleSummary> {
    if bytes.len() as u64 > settings.max_file_size {
        let message = over_size_limit(bytes.len() as u64, settings);
        return Some(ModuleSummary::failed(whole_file_finding(
            display, message, settings,
        )));
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        summarize_source(bytes, display, unit, rules, settings, &Default::default())
    }))
    .ok()
}

/// The SWC000 finding of a file whose analysis panicked.
fn internal_error(display: &str, settings: &LintSettings) -> ModuleSummary {
    let message =
        "internal error while analyzing this file (please report it); the rest of the scan went on";
    ModuleSummary::failed(whole_file_finding(display, message.into(), settings))
}

/// The SWC000 message of a file over `max-file-size`.
fn over_size_limit(len: u64, settings: &LintSettings) -> String {
    format!(
        "file is {len} bytes, over the {}-byte size limit (`max-file-size`); it was not analyzed",
        settings.max_file_size
    )
}

fn whole_file_finding(display: &str, message: String, settings: &LintSettings) -> Finding {
    Finding {
        code: Rule::SyntaxError.code(),
        name: Rule::SyntaxError.name(),
        severity: settings.severity_of(Rule::SyntaxError),
        path: display.to_string(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        message,
        related: Vec::new(),
        fix: None,
        // Whole-file findings have no line text: the fingerprint is the code and path.
        fingerprint: baseline::fingerprint(Rule::SyntaxError.code(), display, "", 0),
        snippet: None,
    }
}

/// Checks one file's bytes on their own: decode, parse, semantic facts, the rule walk, then
/// suppressions. Public so benchmarks and fuzzers can drive the whole per-file analysis without a
/// file system.
pub fn check_source(
    bytes: &[u8],
    display: &str,
    is_stub: bool,
    rules: RuleSet,
    settings: &LintSettings,
) -> (Vec<Finding>, usize) {
    let unit = Unit::standalone(display, is_stub);
    let summary = summarize_source(bytes, display, &unit, rules, settings, &Default::default());
    finish_alone(display, summary, settings, &|| {
        source::decode(bytes).ok().map(|t| t.into_owned())
    })
}

/// Checks source text that is not read from disk (standard input, an editor's buffer) as the
/// file at `path` would be checked on its own: `path` gives the displayed name, the per-file
/// ignores and, under `force-exclude`, the excludes. `path` must be absolute. Like a file on disk,
/// text over `max-file-size` or an analysis that panics is one SWC000 finding, so a language
/// server checking a half-typed buffer keeps running.
pub fn check_unsaved(bytes: &[u8], path: &Path, cwd: &Path, settings: &LintSettings) -> ScanResult {
    if settings.is_force_excluded(path) {
        return ScanResult::default();
    }
    let display = display_path(path, cwd);
    let is_stub = path.extension().is_some_and(|e| e == "pyi");
    let unit = Unit::standalone(&display, is_stub);
    let rules = Unit::rules_below(Path::new(&display), Path::new(""), settings.rules_for(path));
    let summary = summarize_bytes(bytes, &display, &unit, rules, settings)
        .unwrap_or_else(|| internal_error(&display, settings));
    let (findings, suppressed) = finish_alone(&display, summary, settings, &|| {
        source::decode(bytes).ok().map(|t| t.into_owned())
    });
    ScanResult {
        files_scanned: 1,
        findings,
        suppressed,
        ..ScanResult::default()
    }
}

/// Phase one for one file's bytes: decode, parse, semantic facts, the rule walk and the
/// module's facts for the project. `imports` are the lock and JSON helpers of other modules this
/// one uses (known only after linking; empty in phase one).
pub fn summarize_source(
    bytes: &[u8],
    display: &str,
    unit: &Unit,
    rules: RuleSet,
    settings: &LintSettings,
    imports: &project::link::ProjectImports,
) -> ModuleSummary {
    let text = match source::decode(bytes) {
        Ok(text) => text,
        Err(e) => {
            let mut f = whole_file_finding(display, e.message, settings);
            f.line = e.line;
            f.end_line = e.line;
            return ModuleSummary::failed(f);
        }
    };
    let text: &str = &text;
    if let Some(depth) = nesting::too_deep(text) {
        let f = whole_file_finding(
            display,
            format!(
                "expressions are nested about {depth} levels deep, over the {} that can be analyzed safely (CPython rejects such code too); the file was not analyzed",
                nesting::MAX_NESTING
            ),
            settings,
        );
        return ModuleSummary::failed(f);
    }
    let source_type = if unit.is_stub {
        PySourceType::Stub
    } else {
        PySourceType::Python
    };
    let parsed = ruff_python_parser::parse_unchecked_source(text, source_type);
    let index = LineIndex::from_source_text(text);
    if let Some(error) = parsed.errors().first() {
        let diagnostics = vec![Diagnostic {
            rule: Rule::SyntaxError,
            range: error.location,
            message: format!("syntax error: {}", error.error),
            related: Vec::new(),
            fix: None,
            condition: project::Condition::Always,
        }];
        return ModuleSummary {
            candidates: to_candidates(diagnostics, text, &index, display, settings),
            ..ModuleSummary::default()
        };
    }
    let suite = parsed.suite();
    // A single-file library copied in is read for the project model only, as a vendored tree.
    let rules = if vendored::is_single_file_library(suite, display.ends_with("__init__.py")) {
        RuleSet::empty()
    } else {
        rules
    };
    let semantic = SemanticModel::build_in(suite, unit.package.as_deref());
    let mut extra_locks = settings.options.lock_context_managers.clone();
    extra_locks.extend(imports.lock_helpers.iter().cloned());
    let project_rules = [
        Rule::UnboundedDefaultdict,
        Rule::UncheckedAppend,
        Rule::UnboundedDictCache,
        Rule::UncappedMemoize,
        Rule::MethodCache,
        Rule::UnprotectedJsonRmw,
        Rule::NonAtomicWrite,
        Rule::SplitLockRmw,
        Rule::ThreadLockOnly,
    ];
    // Judged on the run's rules, not this file's: a file whose own findings are off (example
    // code, a per-file ignore) still shows other modules who keeps their instances and calls
    // their registration methods.
    let needs_project = project_rules.iter().any(|r| settings.rules.contains(*r));
    // Test code grows and resets fixtures, which says nothing of production. The growth
    // rules are project rules: with none selected, nothing asks.
    let imported = if unit.is_test || !needs_project {
        containers::imported::ImportedChanges::default()
    } else {
        containers::imported::collect(&semantic, suite)
    };
    let context = checker::Context {
        module: &unit.module,
        is_test: unit.is_test,
        imported_growth: &imported.grown,
        extra_locks: &extra_locks,
        json_helpers: &imports.json_helpers,
        removers: &imports.removers,
    };
    let (diagnostics, exports) =
        Checker::new(&semantic, suite, rules, &settings.options, &context).run();
    let mut facts = if !needs_project {
        // No selected rule asks the project anything.
        project::ModuleFacts::default()
    } else {
        project::facts::summarize(
            suite,
            &semantic,
            &index,
            project::facts::ModuleInput {
                module: &unit.module,
                is_test: unit.is_test,
                in_package: unit.package.is_some() && !unit.in_namespace,
                lock_helpers: exports.lock_helpers,
                keep_classes: &{
                    // A class that makes a container only a class of another module grows must
                    // be in the hierarchy for linking to find it.
                    let mut keep = condition_classes(&diagnostics);
                    keep.extend(exports.quiet_attrs.iter().map(|(class, ..)| class.clone()));
                    keep
                },
                resets: imported.resets,
            },
        )
    };
    facts.growth_methods = growth_methods(&diagnostics);
    facts.quiet_globals = exports
        .quiet_globals
        .iter()
        .map(|(name, kind)| {
            (
                project::Name::new(&format!("{}.{name}", unit.module)),
                project::Name::new(kind),
            )
        })
        .collect();
    facts.quiet_attrs = exports
        .quiet_attrs
        .iter()
        .map(|(class, attr, kind, at)| {
            (
                project::Name::new(&format!("{}.{class}", unit.module)),
                project::Name::new(attr),
                project::Name::new(kind),
                index.line_column(at.start(), text).line.get() as u32,
            )
        })
        .collect();
    if needs_project {
        let calls = project::import_calls::collect(suite, &facts.growth_methods);
        facts.import_time_method_calls = calls.at_import;
        facts.function_attr_names = calls.in_functions;
        facts.registration_edges = calls.edges;
        facts.registration_factories = calls.factories;
        facts.initializer_method_calls = calls.from_initializers;
        facts.function_method_calls = calls.from_functions;
        let growers = global_growers(&diagnostics, &unit.module);
        facts.startup_calls = project::startup::collect(suite, &semantic, &unit.module, &growers);
        facts.one_shot_calls = project::one_shot::collect(suite, &semantic);
    }
    // The JSON libraries themselves are modelled directly; a project that contains one (a
    // vendored copy, the standard library) must not make every `json.load` call a helper call.
    let top = unit.module.split('.').next().unwrap_or_default();
    if !json_io::JSON_MODULES.contains(&top) {
        facts.json_helpers = exports
            .json_helpers
            .into_iter()
            .map(|(name, summary)| (format!("{}.{name}", unit.module).into(), summary))
            .collect();
    }
    if needs_project {
        facts.removers = exports
            .removers
            .iter()
            .map(|(name, i)| (format!("{}.{name}", unit.module).into(), *i as u8))
            .collect();
        let by_line = |files: &[(String, TextRange)]| -> Vec<(project::Name, u32)> {
            files
                .iter()
                .map(|(file, at)| {
                    let line = index.line_column(at.start(), text).line.get() as u32;
                    (file.as_str().into(), line)
                })
                .collect()
        };
        facts.written_files = by_line(&exports.written_files);
        facts.read_files = by_line(&exports.read_files);
        facts.state_writer_calls = exports
            .state_writer_calls
            .iter()
            .map(|(callee, path, at)| {
                let line = index.line_column(at.start(), text).line.get() as u32;
                (callee.as_str().into(), path.as_str().into(), line)
            })
            .collect();
        // Paths other modules import: the files they name, and those under the home directory.
        let names = json_io::files::FileNames::collect(suite, &semantic);
        let qualified = |name: &str| -> project::Name { format!("{}.{name}", unit.module).into() };
        facts.file_constants = names
            .constants()
            .into_iter()
            .map(|(name, file)| (qualified(&name), file.into()))
            .collect();
        facts.home_constants = names
            .home_constants()
            .into_iter()
            .map(|(name, at)| {
                let line = index.line_column(at.start(), text).line.get() as u32;
                (qualified(&name), line)
            })
            .collect();
        facts.launches = project::launches::collect(suite, &semantic)
            .into_iter()
            .map(|(program, at)| (program, index.line_column(at, text).line.get() as u32))
            .collect();
        facts.imports_inside = project::launches::imports_inside_functions(suite);
        facts.handler_calls = json_io::concurrency::handler_calls(suite, &semantic)
            .into_iter()
            .map(|(callee, at, why)| {
                let line = index.line_column(at.start(), text).line.get() as u32;
                (callee.into(), line, why)
            })
            .collect();
    }

    // Suppressions from comments.
    let mut file_exemption = noqa::FileExemption::None;
    let mut directives = Vec::new();
    for token in parsed.tokens().iter() {
        if token.kind() == TokenKind::Comment {
            let comment = &text[token.range()];
            if comment.len() >= 5 && comment.to_ascii_lowercase().contains("noqa") {
                if let Some(d) =
                    noqa::parse_comment(comment, u32::from(token.start()), &mut file_exemption)
                {
                    directives.push(d);
                }
            }
        }
    }
    let line_of = |offset: TextSize| index.line_index(offset).get();
    let unused_noqa =
        rules.contains(Rule::UnusedNoqa) && !file_exemption.covers(Rule::UnusedNoqa.code());
    let suppressions = directives
        .iter()
        .map(|directive| LineSuppression {
            line: line_of(directive.range.start()),
            codes: directive.codes.as_ref().map(|codes| {
                codes
                    .iter()
                    .map(|(code, range)| {
                        let unused = unused_noqa
                            .then(|| unused_noqa_diagnostic(code, *range, rules))
                            .flatten()
                            .and_then(|d| {
                                to_candidates(vec![d], text, &index, display, settings)
                                    .pop()
                                    .map(|c| c.finding)
                            });
                        (code.clone(), unused)
                    })
                    .collect()
            }),
        })
        .collect();
    ModuleSummary {
        facts,
        candidates: to_candidates(diagnostics, text, &index, display, settings),
        file_exemption,
        suppressions,
    }
}

/// Unqualified names of the classes that findings' conditions are about.
fn condition_classes(diagnostics: &[Diagnostic]) -> Vec<String> {
    let short = |class: &str| class.rsplit('.').next().unwrap_or(class).to_string();
    let mut out: Vec<String> = diagnostics
        .iter()
        .flat_map(|d| match &d.condition {
            project::Condition::GrowsPerInstance { classes } => {
                classes.iter().map(|c| short(c.as_str())).collect()
            }
            project::Condition::LongLivedOwner { class, .. }
            | project::Condition::ClassBodyContainer { class, .. }
            | project::Condition::CacheKeepsInstances { class, .. } => vec![short(class)],
            project::Condition::ConcurrentRmw {
                entry:
                    Some(project::NamedEntry {
                        class: Some(class), ..
                    }),
                ..
            }
            | project::Condition::StateWrite {
                entry:
                    Some(project::NamedEntry {
                        class: Some(class), ..
                    }),
                ..
            } => vec![short(class)],
            // A class attribute (`module.Class.attr`, grown in the class's methods): its class
            // and subclasses say whether anything calls those methods or removes from it.
            project::Condition::SharedContainer { name, methods, .. } if !methods.is_empty() => {
                name.as_str()
                    .rsplit('.')
                    .nth(1)
                    .map(str::to_string)
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The methods that add to the containers findings report ([`project::import_calls`]).
fn growth_methods(diagnostics: &[Diagnostic]) -> Vec<project::Name> {
    let mut out: Vec<project::Name> = diagnostics
        .iter()
        .filter_map(|d| match &d.condition {
            project::Condition::LongLivedOwner { grown_in, .. }
            | project::Condition::ClassBodyContainer { grown_in, .. } => Some(grown_in),
            project::Condition::SharedContainer { methods, .. } => Some(methods),
            _ => None,
        })
        .flatten()
        .copied()
        .collect();
    out.sort_unstable_by_key(|n| n.as_str());
    out.dedup();
    out
}

/// This module's functions that a module global grows in (their names, without the module).
fn global_growers<'d>(diagnostics: &'d [Diagnostic], module: &str) -> Vec<&'d str> {
    let mut out: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| match &d.condition {
            // Its own globals: whether a function that grows another module's global runs
            // only at start-up is not asked ([`project::startup`] records its calls apart).
            project::Condition::SharedContainer {
                grown_in,
                imported: None,
                ..
            } => Some(grown_in),
            _ => None,
        })
        .flatten()
        .filter_map(|f| f.as_str().strip_prefix(module)?.strip_prefix('.'))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The SWC900 finding for `code` in a `noqa` comment, if it would be reported when unused.
fn unused_noqa_diagnostic(code: &str, range: TextRange, rules: RuleSet) -> Option<Diagnostic> {
    if !code.starts_with("SWC") {
        return None;
    }
    let message = match Rule::from_code(code) {
        Some(rule) if rules.contains(rule) => format!(
            "unused `noqa` directive: {code} ({}) reported nothing on this line",
            rule.name()
        ),
        Some(_) => return None,
        None => format!("unused `noqa` directive: {code} is not a swarmcheck rule"),
    };
    Some(Diagnostic {
        rule: Rule::UnusedNoqa,
        range,
        message,
        related: Vec::new(),
        fix: Some(format!("remove `{code}` from the `noqa` comment")),
        condition: project::Condition::Always,
    })
}

fn to_candidates(
    mut diagnostics: Vec<Diagnostic>,
    text: &str,
    index: &LineIndex,
    display: &str,
    settings: &LintSettings,
) -> Vec<Candidate> {
    diagnostics.sort_by_key(|d| (d.range.start(), d.rule));
    let mut findings = Vec::with_capacity(diagnostics.len());
    let mut conditions = Vec::with_capacity(diagnostics.len());
    let mut lines = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        let deferred = !matches!(d.condition, project::Condition::Always);
        conditions.push((
            d.condition,
            deferred.then(|| (u32::from(d.range.start()), u32::from(d.range.end()))),
        ));
        let start = index.line_column(d.range.start(), text);
        let end = index.line_column(d.range.end(), text);
        let line_range = index.line_range(start.line, text);
        lines.push(baseline::normalize_line(&text[line_range]));
        findings.push(Finding {
            code: d.rule.code(),
            name: d.rule.name(),
            severity: settings.severity_of(d.rule),
            path: display.to_string(),
            line: start.line.get(),
            column: start.column.get(),
            end_line: end.line.get(),
            end_column: end.column.get(),
            related: d
                .related
                .iter()
                .map(|(range, message)| {
                    let at = index.line_column(range.start(), text);
                    Related {
                        path: None,
                        line: at.line.get(),
                        column: at.column.get(),
                        message: message.clone(),
                    }
                })
                .collect(),
            message: d.message,
            fix: d.fix,
            fingerprint: String::new(),
            snippet: (!deferred).then(|| snippet(text, index, d.range)),
        });
    }
    baseline::assign_fingerprints(findings.iter_mut().zip(lines));
    findings
        .into_iter()
        .zip(conditions)
        .map(|(finding, (condition, deferred_snippet))| Candidate {
            finding,
            condition,
            deferred_snippet,
        })
        .collect()
}

/// The finding's lines plus one line of context on each side (at most 8 lines).
fn snippet(text: &str, index: &LineIndex, range: TextRange) -> Snippet {
    let first = index.line_index(range.start());
    let last = index.line_index(range.end());
    let from = first.saturating_sub(1);
    let last_line = index.line_count();
    let to = last
        .saturating_add(1)
        .min(ruff_source_file::OneIndexed::new(last_line).unwrap_or(last));
    let to = if to.get() > from.get() + 7 {
        ruff_source_file::OneIndexed::new(from.get() + 7).unwrap_or(to)
    } else {
        to
    };
    let start = index.line_start(from, text);
    let end = index.line_end(to, text);
    let slice_end = usize::from(end);
    let start_u = usize::from(start);
    let r_start = usize::from(range.start()).saturating_sub(start_u);
    let r_end = (usize::from(range.end()).min(slice_end)).saturating_sub(start_u);
    Snippet {
        first_line: from.get(),
        text: text[start_u..slice_end].to_string(),
        start: r_start,
        end: r_end.max(r_start),
    }
}

#[cfg(test)]
mod tests {
    use super::Unit;
    use crate::rules::{Rule, RuleSet};
    use std::path::Path;

    #[test]
    fn rules_below_depend_on_the_execution_context() {
        let all = RuleSet::from_selector("ALL").expect("ALL selects every rule");
        let root = Path::new("/repo");
        let rules = |p: &str| Unit::rules_below(Path::new(p), root, all);
        let program = rules("/repo/app/store.py");
        assert!(program.contains(Rule::UnprotectedJsonRmw));
        assert!(program.contains(Rule::UnboundedDictCache));
        let example = rules("/repo/examples/store.py");
        assert!(example.contains(Rule::UnprotectedJsonRmw));
        assert!(!example.contains(Rule::UnboundedDictCache));
        for test in ["/repo/tests/test_store.py", "/repo/app/test_store.py"] {
            let in_tests = rules(test);
            assert!(!in_tests.contains(Rule::UnprotectedJsonRmw), "{test}");
            assert!(!in_tests.contains(Rule::NonAtomicWrite), "{test}");
            assert!(!in_tests.contains(Rule::UnboundedDictCache), "{test}");
            assert!(in_tests.contains(Rule::OpenWithoutContext), "{test}");
        }
        // A project that itself sits in a `tests/` directory is judged below the checked root.
        let nested = Unit::rules_below(
            Path::new("/tests/repo/app/store.py"),
            Path::new("/tests/repo"),
            all,
        );
        assert!(nested.contains(Rule::UnprotectedJsonRmw));
    }
}
