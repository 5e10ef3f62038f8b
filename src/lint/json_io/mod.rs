//! Facts about JSON files read and written by a module, for the file-concurrency rules
//! (SWC201-SWC204).
//!
//! Each function (and the module body) is walked once in statement order. The walk records
//! **reads** (a document loaded from a path) and **writes** (a document dumped to a path), each with
//! the lock regions held at that point. Variables that hold a loaded document, and values computed
//! from them, are tracked so a write can be traced back to the read it is derived from. Functions
//! are first **summarized** ("returns the JSON loaded from `self.path`", "writes its argument as
//! JSON to `path`", "calls its callable argument under a lock") and the summaries are applied at
//! call sites, so helpers, `__init__`-cached snapshots and closures passed to wrappers are seen.

pub mod concurrency;
pub mod files;
mod held_by_callers;
mod locks;
mod origins;
pub mod paths;
mod recomputed;
mod walker;

use super::project::one_shot;
use super::semantic::SemanticModel;
use locks::{LockKind, LockTable};
use paths::PathKey;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use walker::analyze_function;

/// How the pieces of a read-modify-write are protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmwKind {
    /// No lock at all, or none held across both.
    Unprotected,
    /// Read and write each under a cross-process lock, released in between.
    SplitLock,
    /// Only a thread (or asyncio) lock spans them.
    ThreadOnly,
}

/// A document read from a path and written back to it.
#[derive(Clone, Debug)]
pub struct Rmw {
    pub kind: RmwKind,
    pub path: String,
    pub read: TextRange,
    pub write: TextRange,
    /// The read happened in another method (a snapshot cached on `self`).
    pub cached_read: bool,
    /// Why the read-modify-write can run concurrently, as far as the module shows: steps from
    /// its function out to the handler, spawn or loop that runs it many times at once (empty
    /// when the module shows none).
    pub concurrency: Vec<(TextRange, String)>,
    /// What names the file beyond this function: its file name, or the module constant it is
    /// imported as (`@pkg.paths.QUEUE`), for matching the other modules that touch it.
    pub file: Option<String>,
    /// The evidence shows only threads or tasks of one process (a spawn per item), which a
    /// thread lock does exclude.
    pub threads_only: bool,
    /// The imported constant the path starts from (`pkg.constants.DATA_DIR`), which the
    /// project may show to be under the user's home directory.
    pub root: Option<String>,
    /// The module-level function that does it (its name in the module), which handlers of
    /// other modules may call.
    pub function: Option<String>,
    /// It runs in a command of a command-line interface (click, typer): once per invocation by
    /// the user, so only another part of the project touching the file makes it concurrent.
    pub one_shot: bool,
    /// The function or method that does it, when nothing but a call by its name can run it
    /// (no decorator registers it, it is not nested): the project may show that nothing does.
    pub entry: Option<Entry>,
    /// The file is drawn from the state of the object whose method does it (`self.path`,
    /// `self.dir / name`): the object is a store, shared by whoever holds it.
    pub object_file: bool,
    /// Other module-level functions of the module that read, change and write back the same
    /// file: what runs them concurrently (a handler of another module) races with this one.
    pub siblings: Vec<String>,
    /// Module-level functions of the module that call `function`, directly or through one
    /// another (nearest first): a handler of another module that calls one of them runs it too
    /// (wcgw's MCP tool handler calls `get_tool_output`, which calls `write_file`).
    pub callers: Vec<String>,
    /// It runs in a coroutine with no `await` between its read and its write: tasks of its event
    /// loop cannot run in between, and other modules of the program that write the file from
    /// their own coroutines take turns with it.
    pub takes_turns: bool,
    key: PathKey,
}

/// A function or method that runs only when something calls it by its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The class (its name in the module) whose method it is.
    pub class: Option<String>,
    pub name: String,
}

impl Entry {
    /// The entry as the project knows it: its class qualified by `module`.
    pub fn qualified(&self, module: &str) -> crate::lint::project::NamedEntry {
        crate::lint::project::NamedEntry {
            class: self.class.as_ref().map(|c| format!("{module}.{c}").into()),
            name: self.name.as_str().into(),
        }
    }
}

/// How a write reaches the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `open(p, "w")` then dump, or `write_text`: truncates the file first.
    InPlace,
    /// A unique temporary file then `os.replace`: atomic.
    Atomic,
    /// A temporary file whose name is the same for every process (`p.with_suffix(".tmp")`).
    FixedTemp(String),
}

/// A JSON write that a concurrent reader or a crash can see half done.
#[derive(Clone, Debug)]
pub struct RiskyWrite {
    pub path: String,
    /// The function that writes (to confirm a helper's parameter path is a state file).
    function: String,
    /// The path is a parameter of that function.
    param_path: bool,
    /// [`PathKey::record_family`] of the path: reading another record of the same store makes
    /// this one a state file too.
    family: Option<String>,
    pub range: TextRange,
    pub scheme: Scheme,
    /// The target is deleted before the temporary file is moved into place.
    pub unlinked_first: bool,
    /// Where the module reads the same file (the reason it is a state file).
    pub read: Option<TextRange>,
    /// Set when that read is of another record of the same store: the family's text.
    pub read_family: Option<String>,
    /// Where the same file is written again in one run: the write sits in a loop, or its
    /// function is called from one (a progress file saved after every item).
    pub repeated: Option<TextRange>,
    /// For a replace through a fixed temporary name, whose only hazard is a second writer: the
    /// write seen as a read-modify-write without its read, for the evidence that it runs
    /// concurrently ([`Rmw::concurrency`] and what the project may add).
    pub concurrent: Option<Box<Rmw>>,
    /// The function or method that writes, when only a call by its name can run it (as
    /// [`Rmw::entry`]): a write in code nothing runs loses no state.
    pub entry: Option<Entry>,
    /// Nothing in this module reads the file back: it is state only if another module of the
    /// project reads the file of this name (`alias.json`, written by the command that edits
    /// aliases and loaded by the configuration module).
    pub read_elsewhere: Option<String>,
    /// Every call of the writing function in this module runs only when the file does not
    /// exist (`if not path.exists(): await save_all()`): it writes the file's first version,
    /// which replaces nothing. The function's name: a call from another module may rewrite it.
    pub first_version_by: Option<String>,
    /// A module-level function writing in place to the path its caller hands it, which no
    /// caller in this module reads: its name. A finding only when a module that imports it
    /// reads the file it passes ([`JsonFacts::state_writer_calls`]).
    pub for_callers: Option<String>,
    key: PathKey,
}

impl RiskyWrite {
    fn new(
        function: &str,
        key: &PathKey,
        range: TextRange,
        scheme: Scheme,
        unlinked_first: bool,
    ) -> RiskyWrite {
        let shared_temp_only = matches!(scheme, Scheme::FixedTemp(_)) && !unlinked_first;
        RiskyWrite {
            function: function.to_string(),
            param_path: matches!(key, PathKey::Param(_)),
            family: key.record_family(),
            path: key.to_string(),
            range,
            scheme,
            unlinked_first,
            read: None,
            read_family: None,
            repeated: None,
            concurrent: shared_temp_only
                .then(|| Box::new(Rmw::new(RmwKind::Unprotected, key, range, range, false))),
            entry: None,
            read_elsewhere: None,
            first_version_by: None,
            for_callers: None,
            key: key.clone(),
        }
    }
}

impl Rmw {
    /// A read-modify-write as the walk sees it; what names the file and shows concurrent runs
    /// is added once the whole module is known ([`Rmw::fill_concurrency`]).
    fn new(
        kind: RmwKind,
        key: &PathKey,
        read: TextRange,
        write: TextRange,
        cached_read: bool,
    ) -> Rmw {
        Rmw {
            kind,
            path: key.to_string(),
            read,
            write,
            cached_read,
            concurrency: Vec::new(),
            file: None,
            threads_only: false,
            root: None,
            function: None,
            one_shot: false,
            entry: None,
            object_file: false,
            siblings: Vec::new(),
            callers: Vec::new(),
            takes_turns: false,
            key: key.clone(),
        }
    }
}

#[derive(Debug, Default)]
pub struct JsonFacts {
    pub rmw: Vec<Rmw>,
    pub risky_writes: Vec<RiskyWrite>,
    /// The module's functions that read or write JSON for their callers: (name in the module,
    /// summary).
    pub helpers: Vec<(String, Summary)>,
    /// Files the module writes, by what names them across modules ([`Rmw::file`]), outside
    /// test code: evidence that several parts of the project change the same file.
    pub written_files: Vec<(String, TextRange)>,
    /// The files the module reads JSON from, by name: what makes another module's write of
    /// the same file a write of state ([`RiskyWrite::read_elsewhere`]).
    pub read_files: Vec<(String, TextRange)>,
    /// Helpers of other modules it calls to write a file the calling function also reads:
    /// (qualified callee, the helper's path as it spells it, the call). Their writes in place
    /// to that path are writes of state ([`RiskyWrite::for_callers`]).
    pub state_writer_calls: Vec<(String, String, TextRange)>,
}

/// A read made in one of the module's functions itself (not through a helper's summary).
struct DirectRead<'f> {
    key: PathKey,
    at: TextRange,
    /// The function that reads (its id).
    function: String,
    /// The body of the `try` that treats an unreadable document as missing.
    tolerated_in: Option<TextRange>,
    /// The function's class, for `self.<attr>` paths.
    class: Option<&'f str>,
}

/// JSON modules whose `load`/`loads`/`dump`/`dumps` are recognized.
pub const JSON_MODULES: &[&str] = &[
    "json",
    "ujson",
    "orjson",
    "simplejson",
    "rapidjson",
    "json_repair",
];

/// Whether the module calls pydantic's parsers of JSON text (`Config.parse_raw(...)`,
/// `Config.model_validate_json(...)`), which read a file when given its text.
fn parses_model_text(suite: &[Stmt]) -> bool {
    crate::lint::blocks::all_calls(suite).iter().any(|c| {
        matches!(c.func.as_ref(), Expr::Attribute(a)
            if matches!(a.attr.as_str(), "parse_raw" | "model_validate_json"))
    })
}

/// google-auth's loader of a stored OAuth token, a JSON document the program rewrites after
/// every refresh (`token_file.write_text(creds.to_json())`).
pub const TOKEN_FILE_READER: &str =
    "google.oauth2.credentials.Credentials.from_authorized_user_file";

/// google-auth's credential built from a stored token's fields (`Credentials(token=data["token"],
/// ...)`, `Credentials.from_authorized_user_info(data)`): what the program writes back from it
/// is the credential the server refreshed, one whole document, not the stored one changed.
pub const CREDENTIAL_BUILDERS: &[&str] = &[
    "google.oauth2.credentials.Credentials",
    "google.oauth2.credentials.Credentials.from_authorized_user_info",
];

/// Modules whose locks exclude other processes; a module that imports none defines no lock
/// helper.
const LOCK_MODULES: &[&str] = &[
    "fcntl",
    "filelock",
    "portalocker",
    "fasteners",
    "msvcrt",
    "lockfile",
    "multiprocessing",
    "swarmcheck",
];

/// Qualified names (`module.name`) of the module's context managers and lock classes that hold
/// a cross-process lock: other modules that use them are protected too.
pub fn lock_helpers<'a>(
    suite: &'a [Stmt],
    semantic: &SemanticModel<'a>,
    module: &str,
    extra_locks: &[String],
) -> Vec<String> {
    let imports_lock = semantic.imports_from_any(LOCK_MODULES)
        || extra_locks
            .iter()
            .any(|l| semantic.imports_from_any(&[l.split('.').next().unwrap_or(l)]));
    if !imports_lock {
        return Vec::new();
    }
    let mut out: Vec<String> = LockTable::build(suite, semantic, extra_locks)
        .process_lock_helpers()
        .map(|name| format!("{module}.{name}"))
        .collect();
    out.sort();
    out
}

/// Analyzes a module. `extra_locks` are qualified names of context managers that hold a
/// cross-process lock (the `lock-context-managers` option and the project's lock helpers this
/// module imports); `imported` are summaries of JSON helpers of other modules, by the qualified
/// name this module calls them with. Test code is not analyzed: the files a test writes are
/// its own fixtures ([`crate::lint::Unit::rules_below`]).
pub fn analyze<'a>(
    suite: &'a [Stmt],
    semantic: &SemanticModel<'a>,
    extra_locks: &[String],
    imported: &[(String, Summary)],
) -> JsonFacts {
    // Also google-auth's token files, and pydantic models parsed from their files' text
    // (`Config.parse_raw(f.read())`); many more modules define models than parse them so.
    let reads_models = semantic.imports_from_any(&["pydantic"]) && parses_model_text(suite);
    if imported.is_empty()
        && !semantic.imports_from_any(JSON_MODULES)
        && !semantic.imports_from_any(&["google"])
        && !reads_models
    {
        return JsonFacts {
            helpers: text_helpers(suite, semantic, extra_locks),
            ..JsonFacts::default()
        };
    }
    let locks = LockTable::build(suite, semantic, extra_locks);
    let functions = collect_functions(suite);
    let seed: HashMap<String, Summary> = imported.iter().cloned().collect();
    let mut summaries = seed.clone();
    // Helpers calling helpers: a few rounds reach a fixed point in practice.
    for _ in 0..3 {
        let mut next = seed.clone();
        for f in &functions {
            let result =
                analyze_function(f, semantic, &locks, &summaries, &[], &HashMap::default());
            next.insert(f.id.clone(), result.summary);
        }
        summaries = next;
    }
    // Snapshots: `self.data = <read of P>` in one method, written back from another.
    let mut snapshots: HashMap<(String, String), (PathKey, TextRange)> = HashMap::default();
    let mut runs = Vec::new();
    let mut closure_locks: HashMap<TextRange, Vec<LockKind>> = HashMap::default();
    for f in &functions {
        let inherited = closure_locks.get(&f.def_range).cloned().unwrap_or_default();
        let result = analyze_function(
            f,
            semantic,
            &locks,
            &summaries,
            &inherited,
            &HashMap::default(),
        );
        for (closure, kinds) in &result.closures_under_locks {
            closure_locks.insert(*closure, kinds.clone());
        }
        if let Some(class) = &f.class {
            for (attr, snap) in &result.self_snapshots {
                snapshots
                    .entry((class.clone(), attr.clone()))
                    .or_insert(snap.clone());
            }
        }
        runs.push(result);
    }
    // Private helpers that every caller runs under a cross-process lock hold it too.
    let calls: Vec<(String, Vec<LockKind>)> = runs
        .iter()
        .flat_map(|r| r.private_calls.iter().cloned())
        .collect();
    let locked_by_callers = held_by_callers::process_locked_by_callers(suite, &functions, &calls);
    // Second pass with snapshots known, for writes of cached documents in other methods.
    let mut facts = JsonFacts::default();
    let mut all_reads: Vec<DirectRead> = Vec::new();
    // Writes of a value derived from a read of the same file, locked or not.
    let mut derived_writes: Vec<TextRange> = Vec::new();
    let mut held_documents: Vec<TextRange> = Vec::new();
    let mut helper_writes: Vec<HelperWrite> = Vec::new();
    let mut credential_functions: Vec<String> = Vec::new();
    let mut state_writers: Vec<(String, String, TextRange)> = Vec::new();
    let mut written: Vec<(PathKey, TextRange, Option<&str>)> = Vec::new();
    // Every file each class's methods read, directly or through a helper.
    let mut class_reads: Vec<(&str, PathKey)> = Vec::new();
    for (f, first) in functions.iter().zip(runs) {
        let class_snaps: HashMap<String, (PathKey, TextRange)> = match &f.class {
            Some(class) => snapshots
                .iter()
                .filter(|((c, _), _)| c == class)
                .map(|((_, a), v)| (a.clone(), v.clone()))
                .collect(),
            None => HashMap::default(),
        };
        let mut inherited = closure_locks.get(&f.def_range).cloned().unwrap_or_default();
        let from_callers = locked_by_callers.contains(&f.def_range);
        if from_callers {
            inherited.push(LockKind::Process);
        }
        let result = if class_snaps.is_empty() && !from_callers {
            first
        } else {
            analyze_function(f, semantic, &locks, &summaries, &inherited, &class_snaps)
        };
        all_reads.extend(
            result
                .reads
                .iter()
                .filter(|r| r.direct)
                .map(|r| DirectRead {
                    key: r.key.clone(),
                    at: r.range,
                    function: f.id.clone(),
                    tolerated_in: r.tolerated_in,
                    class: f.class.as_deref(),
                }),
        );
        if let Some(class) = f.class.as_deref() {
            class_reads.extend(result.reads.iter().map(|r| (class, r.key.clone())));
        }
        derived_writes.extend(result.derived_writes.iter().copied());
        held_documents.extend(result.held_documents.iter().copied());
        helper_writes.extend(result.helper_writes);
        if result.handles_credentials {
            credential_functions.push(f.id.clone());
        }
        written.extend(
            result
                .written
                .into_iter()
                .map(|(k, at)| (k, at, f.class.as_deref())),
        );
        facts.rmw.extend(result.rmw);
        state_writers.extend(result.state_writers);
        facts.risky_writes.extend(result.risky_writes);
    }
    // A helper that writes a file another method of the class reads (a classmethod `load`,
    // then `save`) writes the class's state, as when one method does both.
    for w in &helper_writes {
        let Some((class, key)) = w.class.as_deref().zip(w.key.as_ref()) else {
            continue;
        };
        if class_reads
            .iter()
            .any(|(c, read)| *c == class && read.same_file(key))
        {
            state_writers.push((w.callee.clone(), w.path.clone(), w.call));
        }
    }
    let module_functions: Vec<&str> = suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f.name.as_str()),
            _ => None,
        })
        .collect();
    // A write in place is a risk only for a state file: one the module also reads.
    // Record families of the reads, rendered once and only when a write needs them.
    let read_families: std::cell::OnceCell<Vec<Option<String>>> = std::cell::OnceCell::new();
    // Writes kept only in case another module reads the file back ([`RiskyWrite::read_elsewhere`]),
    // by where they are: named once the module's file names are known, dropped if unnamed.
    let mut read_elsewhere_candidates: Vec<TextRange> = Vec::new();
    facts.risky_writes.retain_mut(|w| {
        if w.scheme != Scheme::InPlace {
            return true;
        }
        // A parameter names a file only inside its function: it is a state file when the same
        // function reads it, or when a caller of this helper also reads what it passes.
        let same_function = |f: &String| !w.param_path || *f == w.function;
        // A path a method of `self` computes (`self.path()`) is the object's: another class of
        // the module that spells it the same way names its own file.
        let write_class = functions
            .iter()
            .find(|f| f.id == w.function)
            .and_then(|f| f.class.as_deref());
        let same_object = |r: &DirectRead| !r.key.from_own_method("self") || r.class == write_class;
        let mut reads: Vec<_> = all_reads
            .iter()
            .filter(|r| r.key.to_string() == w.path && same_function(&r.function) && same_object(r))
            .collect();
        if reads.is_empty() && w.family.is_some() {
            let families = read_families
                .get_or_init(|| all_reads.iter().map(|r| r.key.record_family()).collect());
            reads = all_reads
                .iter()
                .zip(families)
                .filter(|(_, family)| **family == w.family)
                .map(|(read, _)| read)
                .collect();
            if !reads.is_empty() {
                w.read_family = w.family.clone();
            }
        }
        // A cache, not state: named one by the code, or read first by the function that writes
        // it (which computes the document again when that read fails); what is written is not
        // derived from the file, and every read treats an unreadable file as missing (and does
        // not skip this write when it fails), so a truncated file costs a recomputation, not
        // data. A token or credential file read the same way is state the user must recreate by
        // hand: a function that builds a credential from it does not fall through.
        let falls_through = !credential_functions.contains(&w.function)
            && reads.iter().any(|r| {
                r.tolerated_in.is_some()
                    && if r.function == w.function {
                        r.at.start() < w.range.start()
                    } else {
                        !credential_functions.contains(&r.function)
                            && recomputed::computes_after_reading(
                                &functions,
                                &r.function,
                                &w.function,
                                w.range,
                            )
                    }
            });
        let regenerated = (w.path.to_ascii_lowercase().contains("cache") || falls_through)
            && !reads.is_empty()
            && !derived_writes.iter().any(|d| d.contains_range(w.range))
            && reads.iter().all(|r| {
                r.tolerated_in
                    .is_some_and(|body| !body.contains_range(w.range))
            });
        if regenerated {
            return false;
        }
        w.read = reads.first().map(|r| r.at);
        if w.read.is_some()
            || (w.param_path
                && state_writers
                    .iter()
                    .any(|(c, p, _)| *c == w.function && *p == w.path))
        {
            return true;
        }
        // A module-level helper writing where its caller says (`write_json(obj, path)`): state
        // when a caller in another module reads the file it hands over (the project decides).
        if w.param_path && module_functions.contains(&w.function.as_str()) {
            w.for_callers = Some(w.function.clone());
            return true;
        }
        // Read elsewhere, perhaps: the saved copy of what the process keeps in memory, in a
        // file named the same way another module can name it (not a parameter's, which only
        // callers know).
        let candidate = !w.param_path && held_documents.contains(&w.range);
        if candidate {
            read_elsewhere_candidates.push(w.range);
        }
        candidate
    });
    // Files under a directory only this process knows (pytest's `tmp_path`, `mkdtemp()`), or
    // named uniquely by the call that writes them, are private: no other process writes them.
    // Only computed for modules with something to report: it walks every function again.
    if !facts.rmw.is_empty() || !facts.risky_writes.is_empty() {
        let origins = origins::PrivateOrigins::collect(&functions, semantic);
        let private: Vec<(TextRange, Vec<&str>)> = functions
            .iter()
            .map(|f| (f.def_range, origins.roots(f, semantic)))
            .collect();
        let is_private = |at: TextRange, path: &str| {
            private
                .iter()
                .filter(|(def, _)| def.contains_range(at))
                .any(|(_, roots)| origins.path_is_private(path, roots))
        };
        facts
            .rmw
            .retain(|r| !r.key.has_unique() && !is_private(r.write, &r.path));
        facts
            .risky_writes
            .retain(|w| !w.key.has_unique() && !is_private(w.range, &w.path));
    }
    // A name-mangled method (`__fetch`) is callable only from its own class's code, as
    // `self.__fetch`: one its class never names never runs (Mailpile's `__cache_handle`).
    if !facts.rmw.is_empty() || !facts.risky_writes.is_empty() {
        let never_run: Vec<TextRange> = functions
            .iter()
            .filter_map(|f| unnamed_private_method(suite, f))
            .collect();
        let runs = |at: TextRange| !never_run.iter().any(|d| d.contains_range(at));
        facts.rmw.retain(|r| runs(r.write));
        facts.risky_writes.retain(|w| runs(w.range));
    }
    // A helper that every use calls only when its file does not exist (`if not
    // os.path.exists(CONFIG): save_login(resp)`) writes the file's first version: like a first
    // write in place, it replaces nothing a cut-short write could lose. Whether another module
    // calls it too (a refresh command) is for the project to say.
    for w in &mut facts.risky_writes {
        if w.scheme != Scheme::InPlace || w.function.contains("<locals>") {
            continue;
        }
        let calls: Vec<&HelperWrite> = helper_writes
            .iter()
            .filter(|c| c.callee == w.function && c.path == w.path)
            .collect();
        if calls.is_empty() || !calls.iter().all(|c| c.absent) {
            continue;
        }
        let name = w.function.rsplit('.').next().unwrap_or(&w.function);
        if references_to(suite, name)
            .iter()
            .all(|r| calls.iter().any(|c| c.func == *r))
        {
            w.first_version_by = Some(name.to_string());
        }
    }
    if !facts.risky_writes.is_empty() {
        let repeats = Repeats::collect(&functions);
        for w in &mut facts.risky_writes {
            w.repeated = repeats.of_write(w);
            w.entry = innermost(&functions, w.range).and_then(|i| entry_of(&functions[i]));
        }
    }
    // Code that runs once per invocation of the program: a module's top-level code and its
    // `__main__` block (outside `while` loops) and the commands of a command-line interface
    // (click, typer, argparse's `set_defaults(func=...)`). A document it writes once is written
    // again by running it again (as by a script that ends), and its read-modify-write has no
    // concurrent run of itself unless something shows several.
    let mut once_per_run =
        one_shot::top_level_runs(suite, concurrency::served_route(suite).is_some());
    if !facts.rmw.is_empty() || !facts.risky_writes.is_empty() {
        let commands = one_shot::CliCommands::of(suite, semantic);
        if commands.any() {
            once_per_run.extend(
                functions
                    .iter()
                    // argparse runs module-level functions; click may decorate methods too.
                    .filter(|f| {
                        f.node.is_some_and(|n| {
                            commands.is_command(n)
                                && (f.class.is_none() || one_shot::is_cli_command(n))
                        })
                    })
                    .map(|f| f.def_range),
            );
        }
    }
    if !once_per_run.is_empty() {
        let in_run = |at: TextRange| once_per_run.iter().any(|b| b.contains_range(at));
        facts
            .risky_writes
            .retain(|w| w.repeated.is_some() || !in_run(w.range));
        for r in &mut facts.rmw {
            r.one_shot = in_run(r.write);
        }
    }
    facts.helpers = functions
        .iter()
        .filter(|f| f.class.is_none() && f.node.is_some() && !f.id.contains('.'))
        .filter_map(|f| {
            let s = summaries.get(&f.id)?;
            let useful = s.returns.is_some()
                || !s.writes.is_empty()
                || !s.calls_param.is_empty()
                || s.returns_text.is_some()
                || !s.writes_text.is_empty();
            useful.then(|| (f.id.clone(), s.clone()))
        })
        .collect();
    // The module's own helpers were matched with their callers above; the project matches
    // those of other modules (the `imported` summaries).
    facts.state_writer_calls = state_writers
        .into_iter()
        .filter(|(callee, _, _)| seed.contains_key(callee))
        .collect();
    facts.rmw.sort_by_key(|r| (r.write.start(), r.read.start()));
    facts.rmw.dedup_by_key(|r| r.write);
    // What names the files across modules: for what the module writes, and for what it reads
    // (another module's write of the same file in place is a write of state).
    let names =
        (!written.is_empty() || !all_reads.is_empty() || !read_elsewhere_candidates.is_empty())
            .then(|| files::FileNames::collect(suite, semantic));
    if let Some(names) = &names {
        facts.read_files = all_reads
            .iter()
            .filter_map(|r| Some((names.of_key(&r.key, r.class)?, r.at)))
            .collect();
    }
    if let (false, Some(names)) = (written.is_empty(), &names) {
        if !facts.rmw.is_empty() || facts.risky_writes.iter().any(|w| w.concurrent.is_some()) {
            let runs = concurrency::ConcurrentRuns::collect(&functions);
            for r in facts
                .risky_writes
                .iter_mut()
                .filter_map(|w| w.concurrent.as_deref_mut())
            {
                (r.concurrency, r.threads_only) = runs.of(r.write);
                r.fill_concurrency(&functions, names);
            }
            // A Gradio listener runs one event at a time: its read-modify-write races only with
            // another function's of the same file that runs concurrently (another listener's).
            let raced: Vec<bool> = facts
                .rmw
                .iter()
                .map(|r| {
                    !runs.by_listener_only(r.write)
                        || facts.rmw.iter().any(|other| {
                            other.path == r.path
                                && innermost(&functions, other.write)
                                    != innermost(&functions, r.write)
                                && runs.has_evidence(other.write)
                        })
                })
                .collect();
            for (r, raced) in facts.rmw.iter_mut().zip(raced) {
                let owner = innermost(&functions, r.write).map(|i| &functions[i]);
                (r.concurrency, r.threads_only) = runs.of(r.write);
                if !raced {
                    r.concurrency.clear();
                    r.threads_only = false;
                }
                let gap = owner.and_then(|f| concurrency::await_gap(f, r));
                r.takes_turns = gap.is_none() && owner.is_some_and(Function::is_coroutine);
                // Many calls of a coroutine at once take turns on one event loop: with no
                // `await` from the read to the write, none of them runs in between (aiohttp's
                // handlers in ComfyUI's one server process).
                if let (Some(f), None) = (owner, &gap) {
                    concurrency::drop_turn_taking_handlers(f, r);
                }
                // An `await` between the read and the write lets the event loop run its other
                // tasks there: any of them that updates the file is overwritten by this write.
                // Not in a command run once by hand, nor in a document cached earlier.
                if r.concurrency.is_empty() && !r.cached_read && !r.one_shot {
                    if let Some(step) = gap {
                        r.concurrency.push(step);
                        r.threads_only = true;
                    }
                }
                r.fill_concurrency(&functions, names);
            }
            // One call graph of the module's functions serves every read-modify-write that
            // the project may find called from elsewhere; most modules have none.
            let asks = |r: &Rmw| r.function.is_some();
            if facts.rmw.iter().any(asks)
                || facts
                    .risky_writes
                    .iter()
                    .filter_map(|w| w.concurrent.as_deref())
                    .any(asks)
            {
                let calls = ModuleCalls::collect(&functions);
                for r in facts
                    .risky_writes
                    .iter_mut()
                    .filter_map(|w| w.concurrent.as_deref_mut())
                    .chain(facts.rmw.iter_mut())
                {
                    if let Some(function) = &r.function {
                        r.callers = calls.callers_of(function);
                    }
                }
            }
            share_concurrency_by_file(&mut facts.rmw, &functions);
        }
        // What a script or a command writes once per invocation shows no part of the program
        // that runs alongside another: it is no evidence that the file is shared.
        facts.written_files = written
            .iter()
            .filter(|(_, at, _)| !once_per_run.iter().any(|b| b.contains_range(*at)))
            .filter_map(|(key, at, class)| Some((names.of_key(key, *class)?, *at)))
            .collect();
    }
    // Named whether or not the module writes a file it can name whole: the candidate's own path
    // may have a part only the running process knows (`<dir> / "config.json"`).
    if let Some(names) = &names {
        for w in facts
            .risky_writes
            .iter_mut()
            .filter(|w| read_elsewhere_candidates.contains(&w.range))
        {
            let class = innermost(&functions, w.range).and_then(|i| functions[i].class.as_deref());
            w.read_elsewhere = names.of_key(&w.key, class);
        }
    }
    facts
        .risky_writes
        .retain(|w| w.read_elsewhere.is_some() || !read_elsewhere_candidates.contains(&w.range));
    facts
}

/// A read-modify-write that shows no concurrent runs of its own still races with another one of
/// the same path in the module that does (on threads or in processes): whichever writes last
/// drops the other's update (a trimming job run once by a scheduler against the request handlers
/// that append). With none in the module, the module-level functions that do one of the same
/// path are kept for the project, which may find handlers elsewhere that call them. The path
/// must be spelt the same (the same constant, the same attribute): a file name alone may sit in
/// two directories.
fn share_concurrency_by_file(rmw: &mut [Rmw], functions: &[Function<'_>]) {
    let owner = |r: &Rmw| innermost(functions, r.write).map(|i| &functions[i]);
    let module_function = |r: &Rmw| {
        owner(r)
            .and_then(Function::module_level_name)
            .map(str::to_string)
    };
    let named = |r: &Rmw| r.file.is_some() && !r.key.has_param() && !r.key.has_unknown();
    let doers: Vec<(PathKey, String)> = rmw
        .iter()
        .filter(|r| named(r))
        .filter_map(|r| Some((r.key.clone(), module_function(r)?)))
        .collect();
    // Not a coroutine's: tasks of one event loop take turns, and whether an update with no
    // `await` of its own is lost in another's gap is the other's finding.
    let coroutine = |r: &Rmw| owner(r).is_some_and(Function::is_coroutine);
    let shown: Vec<(PathKey, TextRange, (TextRange, String), bool)> = rmw
        .iter()
        .filter(|r| named(r) && !coroutine(r))
        .filter_map(|r| {
            let first = r.concurrency.first()?;
            Some((r.key.clone(), r.write, first.clone(), r.threads_only))
        })
        .collect();
    for r in rmw
        .iter_mut()
        .filter(|r| r.concurrency.is_empty() && named(r))
    {
        if let Some((_, write, first, threads_only)) = shown
            .iter()
            .find(|(key, write, ..)| *key == r.key && *write != r.write)
        {
            r.concurrency.push((
                *write,
                format!(
                    "`{}` is also read, changed and written back here, by code that runs concurrently; whichever write comes last drops the other's update",
                    r.path
                ),
            ));
            r.concurrency.push(first.clone());
            r.threads_only = *threads_only;
            r.entry = None;
            r.root = None;
            r.function = None;
            continue;
        }
        let own = module_function(r);
        r.siblings = doers
            .iter()
            .filter(|(key, doer)| *key == r.key && own.as_ref() != Some(doer))
            .map(|(_, doer)| doer.clone())
            .collect();
        r.siblings.dedup();
    }
}

impl Rmw {
    /// Adds what the module shows beyond the spawns and handlers around the write (already in
    /// `concurrency`): a file in a place every process shares, the names other modules know it
    /// by, whose object it belongs to, and, with no evidence, what the project may still show.
    fn fill_concurrency(&mut self, functions: &[Function<'_>], names: &files::FileNames) {
        let owner = innermost(functions, self.write).map(|i| &functions[i]);
        let class = owner.and_then(|f| f.class.as_deref());
        if let Some((at, root)) = names.shared_place(&self.key, class) {
            let at = if at.is_empty() { self.read } else { at };
            let system_temp = root.starts_with("tempfile.") || files::is_system_temp_literal(&root);
            self.concurrency.push((
                at,
                if system_temp {
                    format!("`{}` has a fixed name in the system's temp directory (`{root}`): every process on the machine that uses it shares it", self.path)
                } else {
                    format!("`{}` is under the user's home directory (`{root}`): every process of the tool the user runs, in every terminal and session, shares it", self.path)
                },
            ));
            self.threads_only = false;
        }
        self.file = names.of_key(&self.key, class);
        self.object_file = owner
            .filter(|f| f.class.is_some())
            .and_then(|f| f.receiver)
            .is_some_and(|receiver| self.key.rooted_at(receiver));
        if self.concurrency.is_empty() {
            self.entry = owner.and_then(entry_of);
            self.root = names.imported_root(&self.key);
            self.function = owner
                .and_then(Function::module_level_name)
                .map(str::to_string);
        }
    }
}

/// Loops and the functions that run more than once per run, to tell a file written once per run
/// from one written again and again (progress saved after every item).
struct Repeats {
    /// Loop statements: (range of the loop, names its `for` binds).
    loops: Vec<(TextRange, Vec<String>)>,
    /// Functions called in a loop, or by such a function: (function id, the call that repeats).
    repeated: Vec<(String, TextRange)>,
}

impl Repeats {
    fn collect(functions: &[Function]) -> Repeats {
        use ruff_python_ast::visitor::{self, Visitor};
        /// Loops, and calls of a function by its last name (`self.save()`, `save()`) or
        /// hand-offs of it as an argument (`asyncio.to_thread(_write)`).
        #[derive(Default)]
        struct Collect {
            loops: Vec<(TextRange, Vec<String>)>,
            calls: Vec<(String, TextRange)>,
        }
        impl<'a> Visitor<'a> for Collect {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                match stmt {
                    Stmt::For(f) => {
                        let mut names = Vec::new();
                        crate::lint::blocks::bound_names(&f.target, &mut names);
                        self.loops.push((f.range(), names));
                    }
                    Stmt::While(w) => self.loops.push((w.range(), Vec::new())),
                    _ => {}
                }
                visitor::walk_stmt(self, stmt);
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    let callee = match call.func.as_ref() {
                        Expr::Name(n) => Some(n.id.as_str()),
                        Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(_)) => {
                            Some(a.attr.as_str())
                        }
                        _ => None,
                    };
                    if let Some(name) = callee {
                        self.calls.push((name.to_string(), call.range()));
                    }
                    for arg in call.arguments.args.iter() {
                        if let Expr::Name(n) = arg {
                            self.calls.push((n.id.to_string(), call.range()));
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut c = Collect::default();
        if let Some(module) = functions.first() {
            c.visit_body(module.body);
        }
        // A fixed point over calls: called in a loop, or from a function already repeated.
        let mut repeated: Vec<(String, TextRange)> = Vec::new();
        for _ in 0..4 {
            let before = repeated.len();
            for f in functions.iter().skip(1) {
                if repeated.iter().any(|(id, _)| *id == f.id) {
                    continue;
                }
                let name = f.id.rsplit('.').next().unwrap_or(&f.id);
                let site = c.calls.iter().find(|(callee, at)| {
                    callee == name
                        && (c.loops.iter().any(|(r, _)| r.contains_range(*at))
                            || repeated.iter().any(|(id, _)| {
                                functions
                                    .iter()
                                    .any(|g| g.id == *id && g.def_range.contains_range(*at))
                            }))
                });
                if let Some((_, at)) = site {
                    repeated.push((f.id.clone(), *at));
                }
            }
            if repeated.len() == before {
                break;
            }
        }
        Repeats {
            loops: c.loops,
            repeated,
        }
    }

    /// The loop (or the repeated call) that writes `w` again, if any. A loop whose variable
    /// names the file writes a different file each time; so does a helper handed its path.
    fn of_write(&self, w: &RiskyWrite) -> Option<TextRange> {
        let same_file_each_time = |names: &[String]| {
            !names.iter().any(|n| {
                w.path
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|token| token == n)
            })
        };
        if let Some((range, _)) = self
            .loops
            .iter()
            .find(|(r, names)| r.contains_range(w.range) && same_file_each_time(names))
        {
            return Some(*range);
        }
        if w.param_path {
            return None;
        }
        self.repeated
            .iter()
            .find(|(id, _)| *id == w.function)
            .map(|(_, at)| *at)
    }
}

/// A function (or the module body) to analyze.
struct Function<'a> {
    /// `name`, `Class.name`, or `<module>`.
    id: String,
    class: Option<String>,
    def_range: TextRange,
    params: Vec<&'a str>,
    /// The first parameter of a method (`self`/`cls`), not passed explicitly at call sites.
    receiver: Option<&'a str>,
    body: &'a [Stmt],
    node: Option<&'a ast::StmtFunctionDef>,
}

impl Function<'_> {
    /// Its name in the module, when it is a module-level function (no method, not nested): what
    /// other modules can import and call.
    fn module_level_name(&self) -> Option<&str> {
        (self.class.is_none() && !self.id.contains('.')).then_some(self.id.as_str())
    }

    /// An `async def`: its runs take turns on an event loop.
    fn is_coroutine(&self) -> bool {
        self.node.is_some_and(|n| n.is_async)
    }
}

/// The bare names each module-level function calls (anywhere in its body, nested definitions
/// included), in the module's order: walked once per module, asked per read-modify-write.
struct ModuleCalls<'f> {
    calls: Vec<(&'f str, HashSet<&'f str>)>,
}

impl<'f> ModuleCalls<'f> {
    fn collect(functions: &'f [Function<'_>]) -> ModuleCalls<'f> {
        use ruff_python_ast::visitor::{self, Visitor};
        struct Calls<'f>(HashSet<&'f str>);
        impl<'f> Visitor<'f> for Calls<'f> {
            fn visit_expr(&mut self, expr: &'f Expr) {
                if let Expr::Call(call) = expr {
                    if let Expr::Name(n) = call.func.as_ref() {
                        self.0.insert(n.id.as_str());
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let calls = functions
            .iter()
            .filter_map(|f| {
                let (name, node) = (f.module_level_name()?, f.node?);
                let mut calls = Calls(HashSet::default());
                calls.visit_body(&node.body);
                Some((name, calls.0))
            })
            .collect();
        ModuleCalls { calls }
    }

    /// The module-level functions that call `name` (a module-level function too) by its bare
    /// name, directly or through one another, nearest first: a few, as a chain longer than that
    /// says little.
    fn callers_of(&self, name: &str) -> Vec<String> {
        const MOST: usize = 6;
        let mut reached = vec![name];
        let mut frontier = 0;
        while frontier < reached.len() && reached.len() <= MOST {
            let targets = reached[frontier..].to_vec();
            frontier = reached.len();
            for (caller, callees) in &self.calls {
                if !reached.contains(caller) && targets.iter().any(|t| callees.contains(t)) {
                    reached.push(caller);
                }
            }
        }
        reached
            .into_iter()
            .skip(1)
            .take(MOST)
            .map(str::to_string)
            .collect()
    }
}

/// Every expression that names `name`: a bare name or an attribute (`save`, `self.save`).
fn references_to(suite: &[Stmt], name: &str) -> Vec<TextRange> {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Refs<'n> {
        name: &'n str,
        found: Vec<TextRange>,
    }
    impl<'a> Visitor<'a> for Refs<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(n) if n.id.as_str() == self.name => self.found.push(n.range),
                Expr::Attribute(a) if a.attr.as_str() == self.name => self.found.push(a.range),
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut refs = Refs {
        name,
        found: Vec::new(),
    };
    refs.visit_body(suite);
    refs.found
}

/// The range of `f` when it is a name-mangled method (`__name`, not `__name__`) of a
/// module-level class, with no decorator but `staticmethod` or `classmethod` ([`entry_of`]: a
/// decorator may hand it on), whose class's code names it nowhere outside its own body.
fn unnamed_private_method(suite: &[Stmt], f: &Function<'_>) -> Option<TextRange> {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Names<'n> {
        name: &'n str,
        skip: TextRange,
        found: bool,
    }
    impl<'a> Visitor<'a> for Names<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !self.found && !self.skip.contains_range(stmt.range()) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found {
                return;
            }
            match expr {
                Expr::Attribute(a) if a.attr.as_str() == self.name => self.found = true,
                // `getattr(self, "_Class__name")`, or the name in any other text.
                Expr::StringLiteral(s) if s.value.to_str().contains(self.name) => self.found = true,
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    // A method itself, not a closure inside one (`def __helper()` called bare).
    let entry = entry_of(f)?;
    let (class, name) = (entry.class.as_deref()?, entry.name.as_str());
    if !name.starts_with("__") || name.ends_with("__") {
        return None;
    }
    let node = f.node?;
    let class_def = suite.iter().find_map(|s| match s {
        Stmt::ClassDef(c) if c.name.as_str() == class => Some(c),
        _ => None,
    })?;
    let mut names = Names {
        name,
        skip: node.range(),
        found: false,
    };
    names.visit_body(&class_def.body);
    (!names.found).then_some(node.range())
}

/// `function` as an [`Entry`]: a module-level function or a method of a module-level class,
/// with no decorator but `staticmethod` or `classmethod` (which change how it is called, not
/// whether something calls it).
fn entry_of(function: &Function<'_>) -> Option<Entry> {
    let node = function.node?;
    let plain = node.decorator_list.iter().all(|d| {
        matches!(&d.expression, Expr::Name(n) if matches!(n.id.as_str(), "staticmethod" | "classmethod"))
    });
    let name = node.name.as_str();
    let expected = match &function.class {
        Some(class) => format!("{class}.{name}"),
        None => name.to_string(),
    };
    let top_level = function.class.as_deref().is_none_or(|c| !c.contains('.'));
    (plain && top_level && function.id == expected).then(|| Entry {
        class: function.class.clone(),
        name: name.to_string(),
    })
}

/// The smallest function (not the module body, which comes first) whose definition contains
/// `at`.
fn innermost(functions: &[Function<'_>], at: TextRange) -> Option<usize> {
    (1..functions.len())
        .filter(|&i| functions[i].def_range.contains_range(at))
        .min_by_key(|&i| functions[i].def_range.len())
}

/// The file helpers of a module that handles no JSON itself: module-level functions that return
/// a file's text or write a parameter's text to a file (kvmd's `aiotools.read_file(path)` and
/// `write_file(path, text)`), which callers elsewhere use for JSON documents. Only functions
/// that read or write text are walked.
fn text_helpers(
    suite: &[Stmt],
    semantic: &SemanticModel,
    extra_locks: &[String],
) -> Vec<(String, Summary)> {
    let handles_text = |body: &[Stmt]| {
        crate::lint::blocks::calls_in(body).iter().any(|c| {
            matches!(c.func.as_ref(), Expr::Attribute(a)
                if matches!(a.attr.as_str(), "read" | "read_text" | "write" | "write_text"))
        })
    };
    // Most modules have no such function: look before collecting every function.
    let candidate = suite.iter().any(
        |s| matches!(s, Stmt::FunctionDef(f) if !f.parameters.is_empty() && handles_text(&f.body)),
    );
    if !candidate {
        return Vec::new();
    }
    let functions: Vec<Function> = collect_functions(suite)
        .into_iter()
        .filter(|f| f.module_level_name().is_some() && !f.params.is_empty())
        .filter(|f| f.node.is_some() && handles_text(f.body))
        .collect();
    let locks = LockTable::build(suite, semantic, extra_locks);
    let none = HashMap::default();
    functions
        .iter()
        .filter_map(|f| {
            let full = analyze_function(f, semantic, &locks, &none, &[], &HashMap::default());
            let summary = Summary {
                params: full.summary.params,
                returns_text: full.summary.returns_text,
                writes_text: full.summary.writes_text,
                ..Summary::default()
            };
            (summary.returns_text.is_some() || !summary.writes_text.is_empty())
                .then(|| (f.id.clone(), summary))
        })
        .collect()
}

fn collect_functions(suite: &[Stmt]) -> Vec<Function<'_>> {
    let mut out = vec![Function {
        id: "<module>".to_string(),
        class: None,
        def_range: TextRange::default(),
        params: Vec::new(),
        receiver: None,
        body: suite,
        node: None,
    }];
    /// Where definitions are found: directly in a class body (methods), inside a function
    /// (closures, which see the enclosing method's class and `self`), or at module level.
    #[derive(Clone, Copy)]
    enum Place<'p> {
        Module,
        Class(&'p str),
        Closure {
            class: Option<&'p str>,
            receiver: Option<&'p str>,
        },
    }
    fn visit<'a>(stmts: &'a [Stmt], place: Place<'a>, prefix: &str, out: &mut Vec<Function<'a>>) {
        for stmt in stmts {
            match stmt {
                Stmt::FunctionDef(f) => {
                    let is_static = f.decorator_list.iter().any(|d| {
                        matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "staticmethod")
                    });
                    let mut params: Vec<&str> = f
                        .parameters
                        .iter_non_variadic_params()
                        .map(|p| p.parameter.name.as_str())
                        .collect();
                    let (class, receiver, id) = match place {
                        Place::Class(c) => {
                            let receiver =
                                (!is_static && !params.is_empty()).then(|| params.remove(0));
                            (Some(c), receiver, format!("{c}.{}", f.name))
                        }
                        Place::Closure { class, receiver } => {
                            let receiver = receiver.filter(|r| !params.contains(r));
                            (class, receiver, format!("{prefix}{}", f.name))
                        }
                        Place::Module => (None, None, format!("{prefix}{}", f.name)),
                    };
                    out.push(Function {
                        id: id.clone(),
                        class: class.map(str::to_string),
                        def_range: f.range(),
                        params,
                        receiver,
                        body: &f.body,
                        node: Some(f),
                    });
                    let inner = Place::Closure { class, receiver };
                    visit(&f.body, inner, &format!("{id}.<locals>."), out);
                }
                Stmt::ClassDef(c) => {
                    // A module's class body runs at import, as its top-level code does
                    // (`class Config: with open("data/alias.json") as f: aliases = json.load(f)`).
                    if matches!(place, Place::Module) {
                        out.push(Function {
                            id: format!("{prefix}{}.<body>", c.name),
                            class: None,
                            def_range: c.range(),
                            params: Vec::new(),
                            receiver: None,
                            body: &c.body,
                            node: None,
                        });
                    }
                    visit(&c.body, Place::Class(c.name.as_str()), prefix, out)
                }
                Stmt::If(i) => {
                    visit(&i.body, place, prefix, out);
                    for clause in &i.elif_else_clauses {
                        visit(&clause.body, place, prefix, out);
                    }
                }
                Stmt::Try(t) => {
                    visit(&t.body, place, prefix, out);
                    visit(&t.finalbody, place, prefix, out);
                }
                _ => {}
            }
        }
    }
    visit(suite, Place::Module, "", &mut out);
    out
}

/// What a function does with JSON, as seen from its callers. Module-level functions with one
/// are exported to the project, so callers in other modules see through the helper.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    params: Vec<String>,
    /// Returns the document read from this path; lock kinds held at the read inside.
    returns: Option<(PathKey, Vec<LockKind>)>,
    /// Writes a document to a path: (path, where the value comes from, lock kinds, scheme).
    writes: Vec<(PathKey, ValueSource, Vec<LockKind>)>,
    /// Calls its callable parameter under these locks.
    calls_param: Vec<(String, Vec<LockKind>)>,
    /// Loads JSON from these paths (what it does with the document aside): a caller that hands
    /// it a path reads that file, so the file is state for the caller's module.
    #[serde(default)]
    reads: Vec<PathKey>,
    /// Of those, the paths every read of which treats an unreadable document as missing.
    #[serde(default)]
    tolerant_reads: Vec<PathKey>,
    /// Attributes of `self` it leaves holding the document of a file it reads (`self.data =
    /// json.load(f)`, `f` opened on `os.path.join(self.folder, name)`): after
    /// `self._read_data("data.json")`, the caller's `self.data` is that file's document.
    #[serde(default)]
    loads_into: Vec<(String, PathKey)>,
    /// Returns the text of this file unparsed (`return f.read()`, kvmd's `aiotools.read_file`):
    /// a caller that parses it as JSON reads the file.
    #[serde(default)]
    returns_text: Option<PathKey>,
    /// Writes the text of a parameter to a path in place (`f.write(text)` on a handle opened
    /// for writing, `p.write_text(text)`): a caller that hands it JSON text writes a JSON
    /// document there. (path, the parameter, lock kinds held at the write.)
    #[serde(default)]
    writes_text: Vec<(PathKey, String, Vec<LockKind>)>,
    /// Every value it returns is JSON text it serializes (`return json.dumps(out)`, a settings
    /// module's `to_json()`): what a caller writes from its result is a JSON document.
    #[serde(default)]
    returns_json_text: bool,
    /// Of such a function, the parameter whose value it serializes (`def dump(data): return
    /// json.dumps(data)`): the caller's argument is the document written.
    #[serde(default)]
    serializes: Option<String>,
    /// Parses this parameter as JSON text (`json.loads(json_data)` in a `from_json(json_data)`):
    /// a caller that hands it a file's text reads that file's document.
    #[serde(default)]
    parses_text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum ValueSource {
    Param(String),
    SelfAttr(String),
    /// A literal of constants only (`{}`, `{"items": []}`).
    Constant,
    /// A name that is not a parameter: for a closure, a variable of the enclosing function.
    Free(String),
    Other,
}

#[derive(Clone, Debug)]
struct Read {
    key: PathKey,
    range: TextRange,
    regions: Vec<(u32, LockKind)>,
    /// Read in this function (not through a summary): counts as the module reading the file.
    direct: bool,
    cached: bool,
    /// Inside the body of a `try` whose handler treats an unreadable document as missing
    /// (catches `JSONDecodeError`/`ValueError`/`Exception` and does not re-raise): that body.
    tolerated_in: Option<TextRange>,
}

struct FunctionResult {
    summary: Summary,
    reads: Vec<Read>,
    rmw: Vec<Rmw>,
    risky_writes: Vec<RiskyWrite>,
    self_snapshots: Vec<(String, (PathKey, TextRange))>,
    closures_under_locks: Vec<(TextRange, Vec<LockKind>)>,
    /// Calls of the module's private helpers: (callee id, the locks held at the call).
    private_calls: Vec<(String, Vec<LockKind>)>,
    /// Helpers called here to write a file this function also reads: their writes are writes
    /// of a state file. (callee as this module names it, the path it writes as the callee
    /// spells it, the call.)
    state_writers: Vec<(String, String, TextRange)>,
    /// Writes of a value derived from a read of the same file (under a lock or not).
    derived_writes: Vec<TextRange>,
    /// Writes of a document the process keeps in memory ([`walker`]'s `holds_state`): the
    /// saved copy of its state, which a reader elsewhere restores.
    held_documents: Vec<TextRange>,
    /// Every write with a known path: (path, where).
    written: Vec<(PathKey, TextRange)>,
    /// Calls of helpers that write a file.
    helper_writes: Vec<HelperWrite>,
    /// Builds an OAuth credential from a stored token (google-auth): a token the user must
    /// authorize again by hand when the file is lost.
    handles_credentials: bool,
}

/// A call of a helper that writes a file, and whether the file is known to be absent there.
#[derive(Clone, Debug)]
struct HelperWrite {
    callee: String,
    /// The path as the helper names it.
    path: String,
    /// The called expression (`save` of `save(doc)`).
    func: TextRange,
    /// The call runs only when the file does not exist (`if not p.exists(): save()`).
    absent: bool,
    /// The file as the caller names it, when the caller is a method that does not read it
    /// itself and it is not one of its parameters: another method of its class may read it.
    key: Option<PathKey>,
    /// The caller's class, for a method.
    class: Option<String>,
    /// The whole call.
    call: TextRange,
}

/// An open file handle bound to a name.
#[derive(Clone, Debug)]
struct Handle {
    key: PathKey,
    mode: Mode,
    /// Opened on a temporary file: unique (`mkstemp`) or shared by every process.
    temp: Option<Temp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
    Append,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Temp {
    Unique,
    Fixed,
}

/// A JSON document written to a temporary file, waiting to be moved into place.
#[derive(Clone, Debug)]
struct TempWrite {
    /// The temp file's path, when it has a known one.
    key: PathKey,
    /// `f.name` for a handle whose path is only known at run time (`NamedTemporaryFile`).
    handle_name: Option<String>,
    temp: Temp,
    value: Option<Taint>,
    source: ValueSource,
    regions: Vec<(u32, LockKind)>,
}

/// Which read a value derives from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Taint(usize);

pub(crate) use crate::lint::blocks::collect_calls;

pub(crate) use crate::lint::blocks::dotted;
