//! Phase two: links the summaries of every module into one project and decides the findings
//! whose truth depends on other modules.

use super::hierarchy::Hierarchy;
use super::lifetime::{self, Lifetimes};
use super::shared_files::SharedFiles;
use super::{Condition, ModuleFacts, Name};
use crate::finding::{Related, Severity};
use crate::lint::json_io::Summary;
use rustc_hash::FxHashSet as HashSet;

/// The helpers of other modules that one module uses, by the names it calls them with.
#[derive(Clone, Debug, Default)]
pub struct ProjectImports {
    /// Context managers and lock classes that hold a cross-process lock.
    pub lock_helpers: Vec<String>,
    /// Functions that read or write JSON for their callers.
    pub json_helpers: Vec<(String, Summary)>,
    /// Functions that remove from a container they are handed, and the parameter's position.
    pub removers: Vec<(String, usize)>,
}

impl ProjectImports {
    pub fn is_empty(&self) -> bool {
        self.lock_helpers.is_empty() && self.json_helpers.is_empty() && self.removers.is_empty()
    }
}

pub struct Project<'p> {
    pub hierarchy: Hierarchy<'p>,
    /// Every checked path is a directory, so the project holds the whole source tree: that
    /// nothing calls a function is then a fact, not an artefact of checking a few files (a
    /// pre-commit hook or an editor names only the files it changed).
    pub whole_tree: bool,
    lifetimes: Lifetimes<'p>,
    lock_helpers: HashSet<&'p str>,
    json_helpers: rustc_hash::FxHashMap<&'p str, &'p Summary>,
    /// Functions that remove from a parameter, with its position.
    removers: rustc_hash::FxHashMap<&'p str, u8>,
    /// Lock, JSON and removal helpers of each module, by the module's name.
    helpers_by_module: rustc_hash::FxHashMap<&'p str, Vec<&'p str>>,
    /// Per module: a script that ends (nothing imports it and its entry point runs no loop).
    ends: Vec<bool>,
    /// Methods only module-level code calls ([`super::import_calls`]).
    import_only_methods: rustc_hash::FxHashSet<&'static str>,
    module_of_path: rustc_hash::FxHashMap<&'p str, usize>,
    modules: &'p [(String, &'p ModuleFacts)],
    shared_files: SharedFiles<'p>,
    launched: super::launches::Launched,
    /// Demote read-modify-writes with no evidence of concurrent runs to low severity.
    require_concurrency_evidence: bool,
    /// Containers some module resets through an imported name ([`ModuleFacts::resets`]), as
    /// written and, for an implicit relative import, as the sibling module it names.
    resets: rustc_hash::FxHashSet<String>,
    /// What the program's modules (tests aside) may call ([`Project::may_be_called`]).
    called: super::startup::CalledNames<'p>,
    /// Every module's [`ModuleFacts::quiet_globals`]: (qualified name, kind).
    quiet_globals: rustc_hash::FxHashSet<(Name, Name)>,
    /// Every module's [`ModuleFacts::quiet_attrs`]: (class, attribute, kind) to the module
    /// and line that make it.
    quiet_attrs: rustc_hash::FxHashMap<(Name, Name, Name), (usize, u32)>,
    /// The functions the packaging installs as commands, qualified ([`super::scripts`]).
    commands: Vec<String>,
    /// Calls of other modules' helpers to write a file the calling function reads: (calling
    /// module, qualified callee, line). Known only once modules are analyzed again with the
    /// helpers they import ([`Project::add_state_writer_calls`]).
    state_writer_calls: Vec<(usize, Name, Name, u32)>,
}

/// What the project says about a finding that stands.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Related locations that justify it.
    pub evidence: Vec<Related>,
    /// Reported at this severity at most, with the reason appended to its message.
    pub demoted: Option<(Severity, &'static str)>,
    /// The project shows the finding's subject to be something else than the module thought:
    /// each (as written, as it is) pair is replaced in its message and related messages.
    pub renamed: Vec<(String, String)>,
}

impl Verdict {
    fn holds(evidence: Vec<Related>) -> Verdict {
        Verdict {
            evidence,
            ..Verdict::default()
        }
    }
}

/// Links `modules` (displayed path and facts of each) under the rule options (the classes the
/// configuration declares long-lived, whether read-modify-writes need concurrency evidence),
/// with the commands the project's packaging declares.
pub fn link<'p>(
    modules: &'p [(String, &'p ModuleFacts)],
    options: &crate::lint::settings::RuleOptions,
    entry_points: &[super::scripts::EntryPoint],
) -> Project<'p> {
    let long_lived = &options.long_lived_functions;
    let hierarchy = Hierarchy::build(modules);
    // Every module some other module imports (by any prefix of an imported name).
    let mut imported = vec![false; modules.len()];
    // Modules from which another module may take what their entry point runs: the module
    // itself (`from pkg import bot`), or one of its entry functions (`from .bot import main`
    // in `__main__.py`). Importers that take only a class or a helper use the module as a
    // library, and its `__main__` block is a demonstration, not how the program runs. Nor can
    // an importer of the module itself run what its `__main__` block does inline (no entry
    // function of its own: `e = Evaluator(); while True: ...` under the guard).
    let mut entry_imported = vec![false; modules.len()];
    // Who imports each module (for a script's helper module that only scripts import).
    let mut importers: Vec<Vec<usize>> = vec![Vec::new(); modules.len()];
    let has_entry_function = |m: &ModuleFacts| {
        m.holds.iter().any(|h| {
            matches!(&h.site, super::HoldSite::Entry { function } if function.as_str() != "__main__")
        })
    };
    // The module an import names, when it is no module as written: a sibling, or a module of a
    // package above the importer.
    let import_target = |importer: &str, name: &str| {
        hierarchy
            .sibling_name(importer, name)
            .or_else(|| hierarchy.ancestor_package_name(importer, name))
    };
    for (mi, (_, m)) in modules.iter().enumerate() {
        for name in m.run_time_imported_names() {
            let sibling = import_target(m.module.as_str(), name);
            let name = sibling.as_deref().unwrap_or(name);
            let prefixes = name.match_indices('.').map(|(i, _)| &name[..i]);
            for prefix in prefixes.chain([name]) {
                if let Some(i) = hierarchy.module_named(prefix) {
                    imported[i] = true;
                    if i != mi && !importers[i].contains(&mi) {
                        importers[i].push(mi);
                    }
                    let taken = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('.'));
                    entry_imported[i] |= match taken {
                        None => prefix == name && has_entry_function(modules[i].1),
                        Some(child) => {
                            let child = child.split('.').next().unwrap_or(child);
                            modules[i].1.holds.iter().any(|h| {
                                matches!(&h.site, super::HoldSite::Entry { function } if function.as_str() == child)
                            })
                        }
                    };
                }
            }
        }
    }
    // A module imported inside a function (`from XBotManager import get_manager` in a request
    // handler) is part of the program too: it is no script of its own. Only the module is
    // known there, not what is taken from it, so its entry point is not judged by it.
    for (mi, (_, m)) in modules.iter().enumerate().filter(|(_, (_, m))| !m.is_test) {
        for name in m.imports_inside.iter().map(|n| n.as_str()) {
            let found = import_target(m.module.as_str(), name);
            let name = found.as_deref().unwrap_or(name);
            if let Some(i) = hierarchy.module_named(name).filter(|&i| i != mi) {
                imported[i] = true;
                if !importers[i].contains(&mi) {
                    importers[i].push(mi);
                }
            }
        }
    }
    let mut entry_lives = Vec::with_capacity(modules.len());
    let mut entry_runs_of = Vec::with_capacity(modules.len());
    let several = modules.len() > 1;
    let mut lives_of = Vec::with_capacity(modules.len());
    let mut ends: Vec<bool> = modules
        .iter()
        .map(|(_, m)| {
            // An entry point that starts an object with a service loop runs as long as it, when
            // it blocks in that loop (`server.serve_forever()`). A loop the object runs in the
            // background (`_run` on a thread) lasts only as long as the entry point goes on: a
            // benchmark's sampler thread stops when the benchmark ends.
            let starts_service =
                m.holds.iter().any(|hold| {
                    matches!(hold.site, super::HoldSite::Entry { .. })
                        && hierarchy.resolve(&hold.class).is_some_and(|c| {
                            hierarchy.ancestors_and_self(c).iter().any(|&a| {
                                hierarchy.class(a).service_loop.as_ref().is_some_and(
                                    |(method, _)| super::facts::caller_runs_loop(method),
                                )
                            })
                        })
                });
            let lives = m.runs_forever.is_some() || starts_service;
            lives_of.push(lives);
            // A top-level module with no `__main__` block is a script when it does its work at
            // import and no module of the project imports it (a lone file shows no importers
            // either way, so it is not judged).
            // Two files with one module name are imported together.
            let named = hierarchy.module_named(&m.module);
            let is_imported = named.is_some_and(|j| imported[j]);
            // An imported module's entry point counts only when importers may run it.
            let entry_runs = !is_imported || named.is_some_and(|j| entry_imported[j]);
            entry_lives.push(lives && entry_runs);
            entry_runs_of.push(entry_runs);
            // A file whose name is no identifier (`2-agent-tools.py`) cannot be imported, so
            // even inside a package it only ever runs as a script.
            let last = m.module.rsplit('.').next().unwrap_or_default();
            let importable = is_identifier(last);
            // A package's `__main__.py` is what `python -m pkg` runs: a script, never imported.
            let main_module = last == "__main__";
            // Inside a package, a module that nothing imports and that calls its own function
            // at import is run as a program too (a release script's `update_manifest()`).
            let plain_script = several
                && (!m.in_package || !importable || main_module || m.runs_own_function_at_import)
                && m.calls_at_top_level;
            !is_imported
                && (m.has_main_guard || plain_script || is_management_command(m) || m.is_migration)
                && !lives
        })
        .collect();
    // A script that other scripts import for its functions (an evaluation's `run_eval.py`,
    // imported by its sibling scripts after a `sys.path` insert) runs only inside processes that
    // end: a loose module (in no package) with a `__main__` block, no loop of its own that keeps
    // running, and only scripts that end (or tests) importing it.
    loop {
        let mut changed = false;
        for (i, (_, m)) in modules.iter().enumerate() {
            if ends[i] || lives_of[i] || m.in_package || !m.has_main_guard || m.is_test {
                continue;
            }
            let by = &importers[i];
            let only_ending = by.iter().all(|&j| ends[j] || modules[j].1.is_test);
            if only_ending && by.iter().any(|&j| ends[j]) {
                ends[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let lifetimes = lifetime::compute(&hierarchy, long_lived, &ends, &entry_lives, &entry_runs_of);
    let lock_helpers = modules
        .iter()
        .flat_map(|(_, m)| m.lock_helpers.iter().map(super::Name::as_str))
        .collect();
    let module_of_path = modules
        .iter()
        .enumerate()
        .map(|(i, (path, _))| (path.as_str(), i))
        .collect();
    let json_helpers = modules
        .iter()
        .flat_map(|(_, m)| m.json_helpers.iter().map(|(n, s)| (n.as_str(), s)))
        .collect();
    let removers = modules
        .iter()
        .flat_map(|(_, m)| m.removers.iter().map(|(n, i)| (n.as_str(), *i)))
        .collect();
    let mut helpers_by_module: rustc_hash::FxHashMap<&str, Vec<&str>> = Default::default();
    for (_, m) in modules {
        let names = m
            .lock_helpers
            .iter()
            .chain(m.json_helpers.iter().map(|(n, _)| n))
            .chain(m.removers.iter().map(|(n, _)| n))
            .map(super::Name::as_str);
        for name in names {
            helpers_by_module
                .entry(m.module.as_str())
                .or_default()
                .push(name);
        }
    }
    let launched = super::launches::Launched::build(modules, &hierarchy);
    let mut resets = rustc_hash::FxHashSet::default();
    for (_, m) in modules {
        for r in &m.resets {
            resets.extend(hierarchy.sibling_name(m.module.as_str(), r.as_str()));
            resets.insert(r.to_string());
        }
    }
    let commands = entry_points
        .iter()
        .flat_map(|e| {
            modules
                .iter()
                .filter(|(path, _)| super::scripts::is_module_at(path, &e.module_path))
                .map(|(_, m)| format!("{}.{}", m.module.as_str(), e.function))
        })
        .collect();
    let quiet_globals = modules
        .iter()
        .flat_map(|(_, m)| m.quiet_globals.iter().copied())
        .collect();
    let quiet_attrs = modules
        .iter()
        .enumerate()
        .flat_map(|(i, (_, m))| {
            m.quiet_attrs
                .iter()
                .map(move |&(class, attr, kind, line)| ((class, attr, kind), (i, line)))
        })
        .collect();
    let mut called = super::startup::CalledNames::default();
    for (_, m) in modules.iter().filter(|(_, m)| !m.is_test) {
        called.add(&m.startup_calls);
    }
    let mut project = Project {
        called,
        resets,
        quiet_globals,
        quiet_attrs,
        commands,
        import_only_methods: Default::default(),
        hierarchy,
        lifetimes,
        lock_helpers,
        json_helpers,
        removers,
        helpers_by_module,
        ends,
        module_of_path,
        modules,
        shared_files: SharedFiles::build(modules),
        launched,
        require_concurrency_evidence: options.require_concurrency_evidence,
        whole_tree: false,
        state_writer_calls: Vec::new(),
    };
    // Most classes are never made as a temporary: only those whose family shares a name with
    // one are looked up in full (a scan of every module's temporaries).
    let temporary_names: HashSet<&str> = modules
        .iter()
        .flat_map(|(_, m)| m.temporaries.iter())
        .map(|t| t.class.rsplit('.').next().unwrap_or(&t.class))
        .collect();
    // Classes a function files anew in a collection on every call: many instances over the
    // process, however few places make them.
    let filed_classes: HashSet<super::hierarchy::ClassId> = modules
        .iter()
        .filter(|(_, m)| !m.is_test)
        .flat_map(|(_, m)| m.filed.iter())
        .filter_map(|t| project.hierarchy.resolve(&t.class))
        .collect();
    let decided = std::cell::RefCell::new(rustc_hash::FxHashMap::<String, bool>::default());
    let startup_only = |function: &str| {
        super::startup::only_at_startup(modules, &project.hierarchy, &project.commands, function)
    };
    project.import_only_methods = super::import_calls::import_only_methods(
        modules,
        &|class| {
            if let Some(&single) = decided.borrow().get(class) {
                return single;
            }
            let h = &project.hierarchy;
            let single = h.resolve(class).is_some_and(|id| {
                if !filed_classes.is_empty()
                    && h.descendants_and_self(id)
                        .iter()
                        .any(|c| filed_classes.contains(c))
                {
                    return false;
                }
                let maybe_temporary = h.descendants_and_self(id).into_iter().any(|c| {
                    let name = h.class(c).name.as_str();
                    temporary_names.contains(name.rsplit('.').next().unwrap_or(name))
                });
                let per_request_bases = &super::frameworks::table().per_request_bases;
                let per_request = h.ancestors_and_self(id).into_iter().any(|a| {
                    h.external_bases(a)
                        .iter()
                        .any(|b| per_request_bases.iter().any(|t| t == *b))
                });
                !(maybe_temporary || per_request) || project.instances_come_and_go(id).is_none()
            });
            decided.borrow_mut().insert(class.to_string(), single);
            single
        },
        &startup_only,
    );
    project
}

/// A command module of a web framework's management tool (`manage.py <command>` runs the
/// `Command` of `<app>/management/commands/<command>.py`, once per process). Whether its
/// `handle` loops is [`ModuleFacts::runs_forever`].
fn is_management_command(m: &ModuleFacts) -> bool {
    let bases = &super::frameworks::table().one_shot_command_bases;
    super::frameworks::in_management_commands(m.module.as_str())
        && m.classes.iter().any(|c| {
            c.bases
                .iter()
                .any(|b| bases.iter().any(|x| x == b.as_str()))
        })
}

/// Why a read-modify-write with no sign of concurrent runs is reported at low severity.
/// A special method (`__call__`, `__setitem__`), which the language calls without naming it.
fn is_special(name: &str) -> bool {
    name.starts_with("__") && name.ends_with("__")
}

const NO_CONCURRENCY_SHOWN: &str = "nothing in the project shows it running concurrently (no request, task or event handler reaching it, no thread, process or task per item, no path under the home directory, no other module writing the file, no program started once per item): low severity, since a second launch of the program or a cron job can still race with it";

/// The standard library's enum base classes: a subclass has a fixed set of instances.
const ENUM_BASES: &[&str] = &[
    "enum.Enum",
    "enum.IntEnum",
    "enum.StrEnum",
    "enum.Flag",
    "enum.IntFlag",
    "enum.ReprEnum",
];

/// Bases that call no method of their subclasses by name.
const PLAIN_BASES: &[&str] = &[
    "builtins.object",
    "abc.ABC",
    "typing.Generic",
    "typing.Protocol",
    "typing_extensions.Protocol",
];

impl Project<'_> {
    /// Whether module `module` (its index) is part of the program that keeps running: not test
    /// code, an example, a migration or a script that ends.
    fn in_running_program(&self, module: usize) -> bool {
        let m = self.modules[module].1;
        !m.is_test && !m.is_example && !m.is_migration && !self.ends[module]
    }

    /// Whether module `importer` imports module `imported` when it runs, whole or a name from
    /// it, by any name the project knows it by (a namespace package's longer name too).
    fn imports_module(&self, importer: usize, imported: usize) -> bool {
        self.modules[importer]
            .1
            .run_time_imported_names()
            .any(|name| {
                self.hierarchy.module_named(name) == Some(imported)
                    || name
                        .rsplit_once('.')
                        .is_some_and(|(m, _)| self.hierarchy.module_named(m) == Some(imported))
            })
    }

    /// A related location at `line` of module `module` (its index).
    fn related_in(&self, module: usize, line: u32, message: String) -> Related {
        Related {
            path: Some(self.modules[module].0.clone()),
            line: line as usize,
            column: 1,
            message,
        }
    }

    /// Records the module's calls of other modules' helpers that write a file it reads
    /// ([`ModuleFacts::state_writer_calls`]). They are known only from its second analysis,
    /// with those helpers' summaries, which runs after linking: without them a helper's write
    /// to the path its callers hand it would never count as a write of state.
    pub fn add_state_writer_calls(&mut self, module: usize, calls: Vec<(Name, Name, u32)>) {
        self.state_writer_calls.extend(
            calls
                .into_iter()
                .map(|(callee, written, line)| (module, callee, written, line)),
        );
    }

    /// `Some(verdict)` when a finding under `condition`, reported in the module shown as `path`,
    /// holds: the evidence goes into its related locations, and a demotion caps its severity.
    pub fn verdict(&self, path: &str, condition: &Condition) -> Option<Verdict> {
        let evidence = match condition {
            Condition::Always => Some(Vec::new()),
            Condition::ModuleLivesLong => {
                let ends = self.module_of_path.get(path).is_some_and(|&i| self.ends[i]);
                (!ends).then(Vec::new)
            }
            // Code that nothing in the program runs (a helper kept for callers that do not
            // exist) writes no state.
            Condition::StateWrite {
                entry,
                read_elsewhere,
                first_version_by,
                for_callers,
            } => {
                if entry
                    .as_ref()
                    .is_some_and(|e| self.never_runs(e, path, true))
                {
                    return None;
                }
                let mut verdict = self.verdict(path, &Condition::ModuleLivesLong)?;
                if let Some(function) = first_version_by {
                    // Another module of the running program that imports the function (or its
                    // module) and names it.
                    let module = self.module_of_path.get(path).copied()?;
                    let own = self.modules[module].1.module.as_str();
                    let qualified = format!("{own}.{function}");
                    let imports_it = |f: &super::ModuleFacts| {
                        f.exports.iter().any(|(_, target)| {
                            target.as_str() == own
                                || self
                                    .hierarchy
                                    .resolve_name(target.as_str(), &|n| n == qualified)
                                    .is_some()
                        })
                    };
                    let (other, _) = self.modules.iter().enumerate().find(|(j, (_, f))| {
                        *j != module
                            && !f.is_test
                            && !f.is_example
                            && imports_it(f)
                            && f.startup_calls.name(function.as_str())
                    })?;
                    let message = format!(
                        "`{function}` is called only where the file does not exist in its own module, but `{}` names it too, where the file may hold data",
                        self.modules[other].1.module
                    );
                    verdict.evidence.push(self.related_in(other, 1, message));
                }
                if let Some((function, written)) = for_callers {
                    // A caller in another module of the running program (not a test, an
                    // example, a migration or a script that ends) hands it a path that the
                    // calling function also reads.
                    let module = self.module_of_path.get(path).copied()?;
                    let qualified = format!("{}.{function}", self.modules[module].1.module);
                    let found = self.state_writer_calls.iter().find(|(j, callee, at, _)| {
                        *j != module
                            && at == written
                            && self.in_running_program(*j)
                            && (callee.as_str() == qualified
                                || self
                                    .hierarchy
                                    .resolve_name(callee.as_str(), &|n| n == qualified)
                                    .is_some())
                    });
                    let (j, line) = found.map(|(j, _, _, line)| (*j, *line))?;
                    let message = format!(
                        "`{}` calls `{function}` here to write a file it also reads, so the file is state",
                        self.modules[j].1.module
                    );
                    verdict.evidence.push(self.related_in(j, line, message));
                }
                if let Some(file) = read_elsewhere {
                    // A file's name alone says little across packages (`config.json`,
                    // `report.json`): a reader of the same top-level package, of another
                    // package beside it under the same directory (a bot's `cogs` and `store`,
                    // run from the same working directory), or one the writing module imports
                    // (`bot_utilities.config_loader`, a directory without `__init__.py`), in the
                    // program that keeps running (not an example, a migration or a script that
                    // ends), names the same file.
                    let module = self.module_of_path.get(path).copied()?;
                    let top = |i: usize| self.modules[i].1.module.split('.').next().unwrap_or("");
                    let packaged = |i: usize| self.modules[i].1.module.contains('.');
                    let root =
                        |i: usize| import_root(&self.modules[i].0, &self.modules[i].1.module);
                    let (j, line) = self.shared_files.other_reader(file.as_str(), module, |j| {
                        self.in_running_program(j)
                            && (top(j) == top(module)
                                || (packaged(j)
                                    && packaged(module)
                                    && root(j).is_some_and(|r| root(module) == Some(r)))
                                || self.imports_module(module, j))
                    })?;
                    let message = format!(
                        "`{}` is read back in `{}`, so it is a state file",
                        self.shared_files.file(file.as_str()),
                        self.modules[j].1.module
                    );
                    verdict.evidence.push(self.related_in(j, line, message));
                }
                return Some(verdict);
            }
            Condition::SharedContainer {
                name,
                grown_in,
                decorated,
                methods,
                opt_in,
                imported,
                removed_in,
            } => {
                if self.only_at_import(methods) || self.never_opted_in(opt_in) {
                    return None;
                }
                // A package that re-exports the function offers it to code outside the
                // repository, which may call it.
                let module = name.as_str().rsplit_once('.').map_or("", |(m, _)| m);
                if !removed_in.is_empty()
                    && (!self.whole_tree
                        || removed_in.iter().any(|f| {
                            self.may_be_called(f.as_str())
                                || self.reexported(module, &format!("{module}.{f}"))
                        }))
                {
                    return None;
                }
                if let Some(kind) = imported {
                    // As the importer wrote it, or as the sibling module an implicit relative
                    // import names.
                    let importer = self
                        .module_of_path
                        .get(path)
                        .map(|&i| self.modules[i].1.module.as_str());
                    let sibling = importer
                        .and_then(|m| self.hierarchy.sibling_name(m, name.as_str()))
                        .map(|s| Name::new(&s));
                    let quiet = std::iter::once(*name)
                        .chain(sibling)
                        .any(|n| self.quiet_globals.contains(&(n, *kind)));
                    if !quiet {
                        return None;
                    }
                }
                // Through the name the module defines, or one a package re-exports it as
                // (`from twitchbot import reply_wait_queue`).
                let reset_elsewhere = self.resets.contains(name.as_str())
                    || self.resets.iter().any(|r| {
                        self.hierarchy
                            .resolve_name(r, &|n| n == name.as_str())
                            .is_some()
                    });
                let startup_only = !grown_in.is_empty()
                    && grown_in.iter().all(|f| {
                        super::startup::only_at_startup(
                            self.modules,
                            &self.hierarchy,
                            &self.commands,
                            f.as_str(),
                        )
                    });
                // Functions of the module that nothing in the program names (tests aside) never
                // run: an API such as tornado's `add_reload_hook`, vendored and never called.
                let never_called = !decorated
                    && !grown_in.is_empty()
                    && grown_in.iter().all(|f| {
                        let short = f.as_str().rsplit('.').next().unwrap_or(f.as_str());
                        !self.may_be_called(short)
                    });
                // The same for a class attribute's methods, when no class of its family has a
                // base in another module that may call them by convention (prefect's
                // `TaskQueue.configure_task_key`, which only tests call).
                let (class, attr) = name.as_str().rsplit_once('.').unzip();
                let class_id = class.and_then(|c| self.hierarchy.resolve(c));
                let methods_never_called =
                    !decorated && class_id.is_some_and(|id| self.never_called(id, methods));
                // A subclass in another module that removes what the base adds
                // (`self.sessions.remove(session)` when the connection closes) bounds the class
                // attribute its instances share, as it does an instance attribute.
                let bounded_in_family = class_id
                    .zip(attr)
                    .is_some_and(|(id, attr)| self.bounded_in_family(id, attr));
                if reset_elsewhere
                    || startup_only
                    || never_called
                    || methods_never_called
                    || bounded_in_family
                {
                    return None;
                }
                return self.verdict(path, &Condition::ModuleLivesLong);
            }
            Condition::ConcurrentRmw {
                file,
                shown,
                snapshot,
                one_shot,
                takes_turns,
                locked,
                object_file,
                root,
                function,
                entry,
                siblings,
                callers,
            } => {
                let module = self.module_of_path.get(path).copied();
                if module.is_some_and(|i| self.ends[i]) {
                    return None;
                }
                if *shown {
                    return Some(Verdict::default());
                }
                let other_writers = if *takes_turns { &None } else { file };
                let mut evidence = self.concurrency_evidence(module, other_writers, root, function);
                if evidence.is_empty() {
                    evidence = self.callers_called_by_handlers(function, callers);
                }
                if evidence.is_empty() {
                    evidence = self.siblings_called_by_handlers(file, siblings);
                }
                // Example code with nothing showing it run concurrently, and no lock to say its
                // author expects that, is a demonstration run once by hand: its
                // read-modify-write races with no one.
                let example = !*locked && module.is_some_and(|i| self.modules[i].1.is_example);
                // A file the function names itself (a module constant, a path it builds, one
                // handed in), in code nothing shows running twice at once and that takes no
                // lock to say its author expects that: a script, a command, a single-process
                // bot. Its read-modify-write races with no one. A store object's file is
                // another matter: every holder of the store shares it.
                let own_file = !*object_file && !*locked;
                if evidence.is_empty() && (*snapshot || *one_shot || example || own_file) {
                    return None;
                }
                // Code that nothing in the program runs (an API kept for callers that do not
                // exist, a helper only tests call) races with no one.
                if evidence.is_empty()
                    && entry
                        .as_ref()
                        .is_some_and(|e| self.never_runs(e, path, false))
                {
                    return None;
                }
                // A helper that only commands of the program's command-line interface reach runs
                // once per invocation, as they do.
                let once = |e: &super::NamedEntry| {
                    e.class.is_none() && self.runs_once_per_invocation(e.name.as_str())
                };
                if evidence.is_empty() && entry.as_ref().is_some_and(once) {
                    return None;
                }
                if evidence.is_empty() && self.require_concurrency_evidence {
                    return Some(Verdict {
                        evidence,
                        demoted: Some((Severity::Low, NO_CONCURRENCY_SHOWN)),
                        ..Verdict::default()
                    });
                }
                Some(evidence)
            }
            Condition::GrowsPerInstance { classes } => {
                let ends = self.module_of_path.get(path).is_some_and(|&i| self.ends[i]);
                if ends {
                    return None;
                }
                classes.iter().find_map(|class| {
                    let id = self.hierarchy.resolve(class)?;
                    self.instances_come_and_go(id)
                })
            }
            Condition::CacheKeepsInstances { class } => {
                let h = &self.hierarchy;
                let id = h.resolve(class)?;
                let is_enum = h
                    .ancestors_and_self(id)
                    .into_iter()
                    .any(|c| h.external_bases(c).iter().any(|b| ENUM_BASES.contains(b)));
                if is_enum {
                    return None;
                }
                self.instances_come_and_go(id)
            }
            Condition::ClassBodyContainer {
                class,
                attr,
                grown_in,
            } => {
                let h = &self.hierarchy;
                let model = h.resolve(class).and_then(|id| {
                    h.ancestors_and_self(id)
                        .into_iter()
                        .find(|&c| h.class(c).is_model)
                });
                let Some(model) = model else {
                    if self.only_at_import(grown_in) {
                        return None;
                    }
                    if h.resolve(class).is_some_and(|id| {
                        self.never_called(id, grown_in) || self.bounded_in_family(id, attr)
                    }) {
                        return None;
                    }
                    return self.verdict(path, &Condition::ModuleLivesLong);
                };
                // A field default: one container per instance, and what the initializers add
                // is added once per instance.
                let grown_in: Vec<_> = grown_in
                    .iter()
                    .filter(|m| !crate::lint::containers::is_init_like(m.as_str()))
                    .copied()
                    .collect();
                if grown_in.is_empty() {
                    return None;
                }
                let mut verdict = self.verdict(
                    path,
                    &Condition::LongLivedOwner {
                        class: *class,
                        attr: *attr,
                        grown_in,
                        items_only: false,
                        decorated: false,
                        opt_in: Vec::new(),
                        borrowed: None,
                        removed_in: Vec::new(),
                    },
                )?;
                let short = class.as_str().rsplit('.').next().unwrap_or(class.as_str());
                let (model_path, _) = h.module_of(model);
                let model_facts = h.class(model);
                verdict.evidence.insert(
                    0,
                    Related {
                        path: Some(model_path.to_string()),
                        line: model_facts.line as usize,
                        column: 1,
                        message: format!(
                            "`{short}` derives from the model class `{}` (pydantic, dataclass or attrs): `{attr}` in its class body is a field, one per instance",
                            model_facts.name.as_str().rsplit('.').next().unwrap_or_default()
                        ),
                    },
                );
                verdict.renamed = vec![
                    (
                        format!("class attribute `{short}.{attr}`"),
                        format!("`self.{attr}` (on `{short}` instances, a field of a model class)"),
                    ),
                    (format!("`{short}.{attr}`"), format!("`self.{attr}`")),
                ];
                return Some(verdict);
            }
            Condition::LongLivedOwner {
                class,
                attr,
                grown_in,
                items_only,
                decorated,
                opt_in,
                borrowed,
                removed_in,
            } => {
                if self.only_at_import(grown_in) || self.never_opted_in(opt_in) {
                    return None;
                }
                let h = &self.hierarchy;
                let id = h.resolve(class)?;
                // Bounded only in methods the program may call: bounded.
                if !removed_in.is_empty()
                    && (!self.whole_tree || !self.never_called(id, removed_in))
                {
                    return None;
                }
                let maker = match borrowed {
                    Some(kind) => Some(self.quiet_maker(id, *attr, *kind)?),
                    None => None,
                };
                if !decorated && self.never_called(id, grown_in) {
                    return None;
                }
                // A subclass that makes the container is what lives with it: its instances,
                // not those of another subclass of the mixin, must be the long-lived ones.
                let owner = match maker {
                    Some((c, _)) if c != id && h.descendants_and_self(id).contains(&c) => c,
                    _ => id,
                };
                let mut evidence = self.lifetimes.evidence(h, owner)?;
                evidence.extend(maker.map(|(_, related)| related));
                // Components held by an object with a background loop (the stages of a
                // per-call pipeline, the handles of one reply) share its life, and whether that
                // loop runs for the process or for one session is a guess from its shape: a
                // list appended to on such a component needs better evidence. So does one on an
                // object the app keeps through its route handlers, whose other methods may run
                // only while the app is built. Keys new with each event (SWC105, SWC101) are that
                // evidence on their own.
                if *items_only
                    && (self.lifetimes.through_anothers_loop(h, id)
                        || self.lifetimes.through_routes(h, id))
                {
                    return None;
                }
                // Removal in a base class or subclass, in this module or another, bounds it too
                // (`self.exceptions = {}` in a subclass's `start`). With `removed_in`, the
                // module's walk saw the class's own bounds: only in those uncalled methods.
                let bounded = if removed_in.is_empty() {
                    self.bounded_in_family(id, attr)
                } else {
                    let mut family = h.ancestors_and_self(id);
                    family.extend(h.descendants_and_self(id));
                    family
                        .iter()
                        .filter(|&&c| c != id)
                        .any(|&c| h.class(c).bounds.iter().any(|(a, _, _)| a == attr))
                };
                (!bounded).then_some(evidence)
            }
        };
        evidence.map(Verdict::holds)
    }

    /// Where a class of the family of `id` (itself, a base or a subclass, in any module) makes
    /// `attr` a container of `kind` that its own module neither grows nor bounds: the evidence
    /// for a container `id` grows without making it ([`Condition::LongLivedOwner::borrowed`]).
    fn quiet_maker(
        &self,
        id: super::hierarchy::ClassId,
        attr: Name,
        kind: Name,
    ) -> Option<(super::hierarchy::ClassId, Related)> {
        let h = &self.hierarchy;
        let short = |c: super::hierarchy::ClassId| last_name(h.class(c).name.as_str());
        let ancestors = h.ancestors_and_self(id);
        let descendants = h.descendants_and_self(id);
        ancestors
            .iter()
            .chain(&descendants)
            .find_map(|&c| {
                let &(module, line) = self.quiet_attrs.get(&(h.class(c).name, attr, kind))?;
                let kin = if c == id {
                    String::new()
                } else if ancestors.contains(&c) {
                    format!(", a base class of `{}`,", short(id))
                } else {
                    format!(", a subclass of `{}`,", short(id))
                };
                Some((
                    c,
                    self.related_in(
                        module,
                        line,
                        format!(
                            "`{}`{kin} makes `self.{attr}` a {kind} here, and nothing in its module grows or bounds it: the growth reported fills it",
                            short(c)
                        ),
                    ),
                ))
            })
    }

    /// Whether the class, a base or a subclass, in any module, removes from its attribute `attr`,
    /// resets or bounds it.
    fn bounded_in_family(&self, id: super::hierarchy::ClassId, attr: &str) -> bool {
        let h = &self.hierarchy;
        let mut related = h.ancestors_and_self(id);
        related.extend(h.descendants_and_self(id));
        related
            .iter()
            .any(|&c| h.class(c).bounds.iter().any(|(a, _, _)| a == attr))
    }

    /// Whether the methods that grow a container of class `id` never run in this program:
    /// nothing in its production code names any of them (no call, no reference, no bound
    /// method handed on; tests aside), none is a special method the language calls, and
    /// neither the class nor a base or subclass has a base outside the project, through which a
    /// framework could call them by name (a `cmd.Cmd`'s `do_*`, a `discord.Client`'s
    /// `on_message`), nor does the project look methods up by a name it builds with their
    /// start (`getattr(self, f"cmd_{name}")`). What is left is API that nothing uses, such as a `register_*` kept for
    /// plugins that do not exist.
    fn never_called(&self, id: super::hierarchy::ClassId, grown_in: &[super::Name]) -> bool {
        if grown_in.is_empty() {
            return false;
        }
        let h = &self.hierarchy;
        let mut family = h.ancestors_and_self(id);
        family.extend(h.descendants_and_self(id));
        if family
            .iter()
            .any(|&c| h.external_bases(c).iter().any(|b| !PLAIN_BASES.contains(b)))
        {
            return false;
        }
        grown_in.iter().all(|m| !self.may_be_called(m.as_str()))
    }

    /// Whether something may call the function or method `name`: it is a special method the
    /// language calls, or the program's code (tests aside) names it (a call, a reference, a
    /// bound method handed on), calls it while it starts, or looks up attributes by a name
    /// built with its start (`getattr(self, f"cmd_{name}")`).
    fn may_be_called(&self, name: &str) -> bool {
        is_special(name) || self.called.name(name)
    }

    /// Whether `flags` are some, and no call in the program (tests aside) passes any of them as a
    /// keyword with a value that may be true: growth that waits on them never runs.
    fn never_opted_in(&self, flags: &[super::Name]) -> bool {
        !flags.is_empty()
            && !self
                .modules
                .iter()
                .filter(|(_, m)| !m.is_test)
                .any(|(_, m)| {
                    flags.iter().any(|f| {
                        m.keywords_set
                            .binary_search_by(|k| k.as_str().cmp(f.as_str()))
                            .is_ok()
                    })
                })
    }

    /// Whether the module-level function `name` runs only from commands of the program's
    /// command-line interface: one calls it (or a function of its module that only commands
    /// call, [`super::one_shot`]), and nothing else in the program (tests aside) names it or a
    /// function it is reached through.
    fn runs_once_per_invocation(&self, name: &str) -> bool {
        let production = || self.modules.iter().filter(|(_, f)| !f.is_test);
        let mut called = false;
        let mut via = Vec::new();
        for (_, f) in production() {
            for (v, callee) in f.one_shot_calls.iter().flat_map(|o| &o.calls) {
                if callee.as_str() == name {
                    called = true;
                    via.extend(v.as_ref().map(super::Name::as_str));
                }
            }
        }
        // In a module with commands, what they call does not count; elsewhere, as for
        // `may_be_called`, every name the module's code uses does.
        let named_elsewhere = |n: &str| {
            is_special(n)
                || production().any(|(_, f)| match &f.one_shot_calls {
                    Some(o) => o.elsewhere.may_contain(n) || f.startup_calls.dispatches(n),
                    None => f.startup_calls.name(n),
                })
        };
        called && !named_elsewhere(name) && via.iter().all(|v| !named_elsewhere(v))
    }

    /// Whether `entry` never runs: nothing may call it by its name ([`Self::may_be_called`]),
    /// and, for a method, its class stands alone: no base or subclass in the project, whose
    /// interface it may implement for callers outside the repository (a storage backend's
    /// `upsert` behind the project's abstract store), and no base outside it that could call it.
    /// With `outside_callers`, calls from outside the program count too: a function a package's
    /// `__init__.py` re-exports, or a method of a class it re-exports, is the package's interface
    /// ([`Self::reexported`]), and a method of a class the program never names may be called by
    /// whatever makes it (web.py finds its handlers by the names in its URL table). What a
    /// crash does to a file does not depend on who calls; whether runs overlap does, and only
    /// the program's own calls can show that.
    fn never_runs(&self, entry: &super::NamedEntry, path: &str, outside_callers: bool) -> bool {
        let Some(class) = &entry.class else {
            let name = entry.name.as_str();
            let module = self
                .module_of_path
                .get(path)
                .map(|&i| &self.modules[i].1.module);
            let offered = outside_callers
                && module.is_some_and(|m| self.reexported(m, &format!("{m}.{name}")));
            return !self.may_be_called(name) && !offered;
        };
        let (module, short) = class.rsplit_once('.').unwrap_or(("", class));
        let offered =
            outside_callers && (!self.may_be_called(short) || self.reexported(module, class));
        let h = &self.hierarchy;
        !offered
            && h.resolve(class).is_some_and(|id| {
                h.ancestors_and_self(id).len() == 1
                    && h.descendants_and_self(id).len() == 1
                    && self.never_called(id, std::slice::from_ref(&entry.name))
            })
    }

    /// Whether a package's `__init__.py` (outside tests) imports `target` (a qualified function
    /// or class of `module`) or everything of `module` (`from .config import *`): it offers it to
    /// code outside the repository (vnpy's `AlphaLab`, AstrBot's plugin API `put_config`).
    fn reexported(&self, module: &str, target: &str) -> bool {
        self.modules
            .iter()
            .filter(|(p, f)| !f.is_test && p.ends_with("__init__.py"))
            .any(|(_, f)| {
                f.exports.iter().any(|(local, t)| {
                    t.as_str() == target || (local.as_str() == "*" && t.as_str() == module)
                })
            })
    }

    /// Whether `methods` are some, and each runs only while the program starts
    /// ([`super::import_calls::import_only_methods`]).
    fn only_at_import(&self, methods: &[super::Name]) -> bool {
        !methods.is_empty()
            && methods
                .iter()
                .all(|m| self.import_only_methods.contains(m.as_str()))
    }

    /// Why class `id` has instances that come and go, so that a cache on one of its methods
    /// keeps alive what would otherwise be freed: a framework base that makes one per request,
    /// or a function that makes one (of it or a subclass) and drops it when it returns.
    fn instances_come_and_go(&self, id: super::hierarchy::ClassId) -> Option<Vec<Related>> {
        let h = &self.hierarchy;
        let short = |c: super::hierarchy::ClassId| {
            let name = h.class(c).name.as_str();
            name.rsplit('.').next().unwrap_or(name).to_string()
        };
        let table = super::frameworks::table();
        for a in h.ancestors_and_self(id) {
            if let Some(base) = h
                .external_bases(a)
                .iter()
                .find(|b| table.per_request_bases.iter().any(|t| t == *b))
            {
                return Some(vec![Related {
                    path: Some(h.module_of(a).0.to_string()),
                    line: h.class(a).line as usize,
                    column: 1,
                    message: format!(
                        "`{}` subclasses `{base}`, which the framework instantiates for every request it serves",
                        short(a)
                    ),
                }]);
            }
        }
        let family = h.descendants_and_self(id);
        let short_names: Vec<String> = family.iter().map(|&c| short(c)).collect();
        for (j, (path, m)) in self.modules.iter().enumerate() {
            // A script that ends, or the command the packaging installs (`pai = pai.__main__:
            // main`), runs once per invocation: what it makes and drops is one instance a run.
            let once_per_run = |function: &str| {
                self.ends[j]
                    || self
                        .commands
                        .iter()
                        .filter_map(|c| c.strip_prefix(m.module.as_str())?.strip_prefix('.'))
                        .any(|c| c == function)
            };
            for t in m
                .temporaries
                .iter()
                .filter(|t| !once_per_run(t.function.as_str()))
            {
                // A cheap test before resolving the name through re-exports.
                let last = t.class.rsplit('.').next().unwrap_or(&t.class);
                if !short_names.iter().any(|s| s == last) {
                    continue;
                }
                let Some(made) = h.resolve(&t.class).filter(|c| family.contains(c)) else {
                    continue;
                };
                return Some(vec![Related {
                    path: Some(path.clone()),
                    line: t.line as usize,
                    column: 1,
                    message: format!(
                        "`{}` makes a new `{}` on every call and drops it when it returns",
                        t.function,
                        short(made)
                    ),
                }]);
            }
        }
        None
    }

    /// What the project shows about concurrent runs of a read-modify-write in module `module`
    /// that its own module does not: the program it belongs to is started once per item, a
    /// handler of another module calls its `function`, its path starts from a home-directory
    /// constant `root` of another module, or another module writes the same `file`.
    fn concurrency_evidence(
        &self,
        module: Option<usize>,
        file: &Option<super::Name>,
        root: &Option<super::Name>,
        function: &Option<super::Name>,
    ) -> Vec<Related> {
        let mut evidence = module
            .and_then(|i| self.launched.evidence(self.modules, i))
            .unwrap_or_default();
        if let Some(function) = function {
            evidence.extend(self.handlers_calling(function.as_str()));
        }
        if let Some((j, line)) = root.as_ref().and_then(|r| self.home_constant(r)) {
            let message = format!(
                "`{}` is under the user's home directory: every process of the tool the user runs, in every terminal and session, shares what is below it",
                root.as_deref().unwrap_or_default()
            );
            evidence.push(self.related_in(j, line, message));
        }
        if let (Some(file), Some(i)) = (file, module) {
            let shown = self.shared_files.file(file.as_str());
            for (j, line) in self
                .shared_files
                .other_writers(file.as_str(), i)
                .into_iter()
                .take(3)
            {
                let message = format!(
                    "`{shown}` is also written by `{}`: two parts of the project change the same file, each from its own copy of the document",
                    self.modules[j].1.module
                );
                evidence.push(self.related_in(j, line, message));
            }
        }
        evidence
    }

    /// The first of `siblings` (functions of the module that read, change and write back
    /// `file` too) that handlers call: what runs it concurrently, said of the file.
    fn siblings_called_by_handlers(
        &self,
        file: &Option<super::Name>,
        siblings: &[super::Name],
    ) -> Vec<Related> {
        let file = self.shared_files.file(file.as_deref().unwrap_or_default());
        self.first_called_by_handlers(siblings, |sibling, why| {
            format!(
                "`{}` also reads, changes and writes back `{file}`, and runs concurrently: {why}",
                last_name(sibling),
            )
        })
    }

    /// The first of `callers` (functions of the module that call `function`, nearest first)
    /// that handlers of other modules call: they run `function` concurrently.
    fn callers_called_by_handlers(
        &self,
        function: &Option<super::Name>,
        callers: &[super::Name],
    ) -> Vec<Related> {
        let Some(function) = function else {
            return Vec::new();
        };
        self.first_called_by_handlers(callers, |caller, why| {
            format!(
                "{why}; `{}` leads to `{}` through calls in its module",
                last_name(caller),
                last_name(function.as_str()),
            )
        })
    }

    /// The handlers' calls of the first of `functions` (qualified) that handlers of other
    /// modules call, each message reworded by `say(function, why the handler runs
    /// concurrently)`.
    fn first_called_by_handlers(
        &self,
        functions: &[super::Name],
        say: impl Fn(&str, &str) -> String,
    ) -> Vec<Related> {
        functions
            .iter()
            .find_map(|f| {
                let calls = self.handlers_calling(f.as_str());
                (!calls.is_empty()).then(|| {
                    calls
                        .into_iter()
                        .map(|mut call| {
                            call.message = say(f.as_str(), &call.message);
                            call
                        })
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// Handlers of other modules that call `function` (qualified), directly or through a
    /// re-export: the call, and why the handler runs concurrently.
    fn handlers_calling(&self, function: &str) -> Vec<Related> {
        let is_it = |n: &str| n == function;
        let name = last_name(function);
        let mut out = Vec::new();
        for (path, m) in self.modules {
            for (callee, line, why) in &m.handler_calls {
                if last_name(callee.as_str()) != name {
                    continue;
                }
                let hit = callee.as_str() == function
                    || self
                        .hierarchy
                        .resolve_name(callee.as_str(), &is_it)
                        .is_some();
                if hit && out.len() < 3 {
                    out.push(Related {
                        path: Some(path.clone()),
                        line: *line as usize,
                        column: 1,
                        message: why.clone(),
                    });
                }
            }
        }
        out
    }

    /// The module and line of `name`, a module constant under the user's home directory.
    fn home_constant(&self, name: &str) -> Option<(usize, u32)> {
        self.modules.iter().enumerate().find_map(|(j, (_, m))| {
            m.home_constants
                .iter()
                .find(|(c, _)| c.as_str() == name)
                .map(|(_, line)| (j, *line))
        })
    }

    /// The project's lock and JSON helpers that `module` imports, by the names it uses for them:
    /// `pkg.locks.file_lock` (imported by name, or the module imported whole), or
    /// `pkg.file_lock` through a re-export.
    pub fn imports_of(&self, module: &ModuleFacts) -> ProjectImports {
        let mut out = ProjectImports::default();
        if self.lock_helpers.is_empty() && self.json_helpers.is_empty() && self.removers.is_empty()
        {
            return out;
        }
        let json = |n: &str| self.json_helpers.contains_key(n);
        let lock = |n: &str| self.lock_helpers.contains(n);
        let remover = |n: &str| self.removers.contains_key(n);
        for name in module.run_time_imported_names() {
            // `import pkg.utils`: every helper of that module, by its full name.
            for helper in self.helpers_by_module.get(name).into_iter().flatten() {
                if let Some(summary) = self.json_helpers.get(helper) {
                    out.json_helpers
                        .push((helper.to_string(), (*summary).clone()));
                }
                if lock(helper) {
                    out.lock_helpers.push(helper.to_string());
                }
                if let Some(&i) = self.removers.get(helper) {
                    out.removers.push((helper.to_string(), i.into()));
                }
            }
            if let Some(canonical) = self.hierarchy.resolve_name(name, &remover) {
                out.removers
                    .push((name.to_string(), self.removers[canonical.as_str()].into()));
            }
            if let Some(canonical) = self.hierarchy.resolve_name(name, &json) {
                let summary = self.json_helpers[canonical.as_str()];
                out.json_helpers.push((name.to_string(), summary.clone()));
            }
            if let Some(canonical) = self.hierarchy.resolve_name(name, &lock) {
                out.lock_helpers.push(name.to_string());
                out.lock_helpers.push(canonical);
            }
        }
        out.lock_helpers.sort();
        out.lock_helpers.dedup();
        out.json_helpers.sort_by(|a, b| a.0.cmp(&b.0));
        out.json_helpers.dedup_by(|a, b| a.0 == b.0);
        out.removers.sort();
        out.removers.dedup();
        out
    }
}

/// The directory a module's qualified name starts from (`/repo` for `cogs.admin` at
/// `/repo/cogs/admin.py`, or at `/repo/cogs/admin/__init__.py`).
fn import_root<'p>(path: &'p str, module: &str) -> Option<&'p str> {
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))?;
    let stem = stem
        .strip_suffix("/__init__")
        .or_else(|| stem.strip_suffix("\\__init__"))
        .unwrap_or(stem);
    let mut rest = stem;
    let mut parts = module.rsplit('.').peekable();
    while let Some(part) = parts.next() {
        rest = rest.strip_suffix(part)?;
        if rest.is_empty() {
            // The path starts with the name: the root is the working directory, unless parts
            // of the name are left over.
            return parts.peek().is_none().then_some(rest);
        }
        rest = rest.strip_suffix('/').or_else(|| rest.strip_suffix('\\'))?;
    }
    Some(rest)
}

/// The last part of a qualified name (`save` of `pkg.store.save`).
fn last_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Whether `name` can be written in an `import` statement.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::import_root;

    #[test]
    fn import_root_is_the_directory_the_qualified_name_starts_from() {
        assert_eq!(
            import_root("/repo/cogs/admin.py", "cogs.admin"),
            Some("/repo")
        );
        assert_eq!(
            import_root("/repo/cogs/admin/__init__.py", "cogs.admin"),
            Some("/repo")
        );
        assert_eq!(import_root("cogs/admin.py", "cogs.admin"), Some(""));
        // A name that does not end the path on a component boundary has no root.
        assert_eq!(import_root("/repo/xcogs/admin.py", "cogs.admin"), None);
        assert_eq!(import_root("/repo/cogs/admin.txt", "cogs.admin"), None);
        assert_eq!(import_root("admin.py", "cogs.admin"), None);
    }
}
