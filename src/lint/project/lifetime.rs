//! Which classes live for the process, and why: a fixpoint over the places instances are kept.
//!
//! A class is long-lived when an instance is a module global, is created by the entry point, is
//! registered with a running framework, runs a service loop, subclasses a long-running
//! framework class (`frameworks.toml`), or is held by an attribute of a long-lived instance or
//! handed to the constructor of a long-lived class.
//! Test code and example code keep nothing alive. Each verdict keeps the link that proved it, so
//! a finding can show the whole chain.

use super::frameworks;
use super::hierarchy::{ClassId, Hierarchy};
use super::{Hold, HoldSite};
use crate::finding::Related;
use std::collections::VecDeque;

/// Why a class lives for the process. Kept compact (the project has tens of thousands of
/// classes); the sentence is written only for the few findings that show it.
#[derive(Clone, Copy, Debug)]
enum Cause<'p> {
    /// The class runs a loop until the process ends (`ClassFacts::service_loop`).
    ServiceLoop,
    /// Class `class` (itself or an ancestor) hands request handlers that use the instance to a
    /// web app (`ClassFacts::serves_routes`).
    ServesRoutes { class: ClassId },
    /// Class `class` (itself or an ancestor) subclasses long-running framework class `base`.
    Framework { class: ClassId, base: &'p str },
    /// Listed in the `long-lived-functions` option.
    Configured,
    /// Decorated with `decorator`, which keeps one instance of the class for the process.
    Singleton { decorator: &'p str },
    /// An instance is kept by `hold` in module `module`; for an attribute hold, `via` is the
    /// long-lived owner.
    Held {
        module: usize,
        hold: &'p Hold,
        via: Option<ClassId>,
    },
}

pub struct Lifetimes<'p> {
    causes: Vec<Option<Cause<'p>>>,
}

/// Classes named in the `long-lived-functions` option are long-lived by the user's word.
/// `ends[m]`: module `m` is a script that ends, so what its globals and entry point keep dies
/// with it.
/// `entry_lives[m]`: the entry point of module `m` keeps running (a loop, a serve call, or a
/// service object it starts).
/// `entry_runs[m]`: the `__main__` block of module `m` runs in the program (the module is not
/// imported, or importers take what its entry point runs); otherwise it is a demonstration, and
/// what it makes, hands on or registers there says nothing of the program's objects.
pub fn compute<'p>(
    h: &Hierarchy<'p>,
    configured: &[String],
    ends: &[bool],
    entry_lives: &[bool],
    entry_runs: &[bool],
) -> Lifetimes<'p> {
    let n = h.classes.len();
    let mut causes: Vec<Option<Cause<'p>>> = vec![None; n];
    let mut queue = VecDeque::new();
    let table = frameworks::table();
    // A class defined in a script that ends (nothing imports it) has instances only while that
    // script runs: a benchmark's sampler thread loops until the benchmark stops it.
    let mut seed = |id: ClassId, cause: Cause<'p>, queue: &mut VecDeque<ClassId>| {
        let mi = h.module_index_of(id);
        let module = h.module(mi).1;
        if module.is_test || module.is_example || ends[mi] {
            return;
        }
        // A place that keeps an instance (a module global, the entry point, a registration
        // with a running framework) is firmer evidence than the shape of a loop the class runs,
        // which may be one connection's or one client's, or than route handlers that close over
        // it: it replaces that cause while the seeds are still being gathered.
        let firmer = matches!(
            causes[id],
            Some(Cause::ServiceLoop | Cause::ServesRoutes { .. })
        ) && matches!(cause, Cause::Held { via: None, .. });
        if causes[id].is_some() && !firmer {
            return;
        }
        if let Cause::Held {
            hold,
            via: Some(owner),
            ..
        } = cause
        {
            if hold.subclasses && kept_through_its_family(h, &causes, hold, owner) {
                return;
            }
        }
        if causes[id].replace(cause).is_none() {
            queue.push_back(id);
        }
    };
    let instance_caches: Vec<&'p str> = h
        .modules
        .iter()
        .filter(|(_, m)| !m.is_test)
        .flat_map(|(_, m)| m.instance_caches.iter().map(|n| n.as_str()))
        .collect();
    // Matched through re-exports and namespace packages (`common.singleton.singleton` names the
    // module `singleton` of a directory without `__init__.py`).
    let is_cache = |n: &str| instance_caches.contains(&n);
    // A class some function makes and returns anew on every call (`def stream(self): return
    // SpeechStream(...)`) has one instance per call: a loop it runs in the background runs until
    // that instance is closed, which says nothing of the process. A public `run()` that the
    // caller blocks in is the caller's own loop (`with make_worker() as w: w.run()`).
    let mut made_per_call = vec![false; n];
    for (_, m) in h.modules.iter().filter(|(_, m)| !m.is_test) {
        for r in &m.returned {
            if let Some(id) = h.resolve(&r.class) {
                made_per_call[id] = true;
            }
        }
    }
    // Seeds from the classes themselves.
    for (id, &per_call) in made_per_call.iter().enumerate() {
        let class = h.class(id);
        let per_instance_loop = per_call
            && class
                .service_loop
                .as_ref()
                .is_some_and(|(method, _)| !super::facts::caller_runs_loop(method));
        if class.service_loop.is_some() && !per_instance_loop {
            seed(id, Cause::ServiceLoop, &mut queue);
            continue;
        }
        let singleton = class
            .decorators
            .iter()
            .filter(|_| !instance_caches.is_empty())
            .find(|d| h.resolve_name(d.as_str(), &is_cache).is_some())
            .or_else(|| {
                class
                    .decorators
                    .iter()
                    .find(|d| table.singleton_decorators.iter().any(|t| t == d.as_str()))
            });
        if let Some(decorator) = singleton {
            seed(
                id,
                Cause::Singleton {
                    decorator: decorator.as_str(),
                },
                &mut queue,
            );
            continue;
        }
        let framework = h
            .ancestors_and_self(id)
            .into_iter()
            .flat_map(|a| h.external_bases(a).iter().map(move |b| (a, *b)))
            .find(|(_, b)| table.is_long_lived_base(b));
        if let Some((class, base)) = framework {
            seed(id, Cause::Framework { class, base }, &mut queue);
            continue;
        }
        if configured
            .iter()
            .any(|c| class.name == *c || short_name(c) == short_name(&class.name))
        {
            seed(id, Cause::Configured, &mut queue);
            continue;
        }
        // Its request handlers close over the instance, and the app that routes to them is
        // served for the life of the process: the server keeps the instance. The weakest of
        // these causes (which methods run per request is not shown), so the last.
        let routes = h
            .ancestors_and_self(id)
            .into_iter()
            .find(|&a| h.class(a).serves_routes.is_some());
        if let Some(class) = routes {
            seed(id, Cause::ServesRoutes { class }, &mut queue);
        }
    }
    // Seeds from where instances are kept; attribute holds wait for their owner:
    // (owner, held class, module, hold), sorted by owner.
    let mut by_owner: Vec<(ClassId, ClassId, usize, &'p Hold)> = Vec::new();
    // Nor does example code: a demonstration keeps its objects for as long as it runs, which
    // says nothing of how long a deployment keeps them.
    for (mi, (_, m)) in h.modules.iter().enumerate() {
        if m.is_test || m.is_example {
            continue;
        }
        for hold in &m.holds {
            if hold.in_main_block && !entry_runs[mi] {
                continue;
            }
            // Loaded by name: every class of that name below the package, kept by the loader.
            if let HoldSite::Loaded { owner, .. } = &hold.site {
                if let Some(o) = h.resolve(owner) {
                    for held in loaded_classes(h, &hold.class) {
                        by_owner.push((o, held, mi, hold));
                    }
                }
                continue;
            }
            let Some(id) = h.resolve(&hold.class) else {
                continue;
            };
            match &hold.site {
                // What a script that ends hands to a constructor is kept by the object it builds,
                // which the script keeps no longer than it runs, whatever the class does
                // elsewhere.
                HoldSite::ModuleGlobal { .. }
                | HoldSite::Memoized { .. }
                | HoldSite::Entry { .. }
                | HoldSite::Serving { .. }
                | HoldSite::Argument { .. }
                    if ends[mi] =>
                {
                    continue
                }
                HoldSite::Entry { .. } if !entry_lives[mi] => continue,
                HoldSite::Attribute { owner, .. } | HoldSite::Argument { owner, .. } => {
                    if let Some(o) = h.resolve(owner) {
                        if hold.subclasses {
                            for sub in h.descendants_and_self(id).into_iter().filter(|&c| c != id) {
                                by_owner.push((o, sub, mi, hold));
                            }
                        } else {
                            by_owner.push((o, id, mi, hold));
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let cause = Cause::Held {
                module: mi,
                hold,
                via: None,
            };
            seed(id, cause, &mut queue);
        }
    }
    by_owner.sort_by_key(|(owner, ..)| *owner);
    // An attribute declared in a base is held by instances of every subclass too.
    while let Some(owner) = queue.pop_front() {
        for a in h.ancestors_and_self(owner) {
            let from = by_owner.partition_point(|(o, ..)| *o < a);
            for &(_, held, module, hold) in by_owner[from..].iter().take_while(|(o, ..)| *o == a) {
                let cause = Cause::Held {
                    module,
                    hold,
                    via: Some(owner),
                };
                seed(held, cause, &mut queue);
            }
        }
    }
    Lifetimes { causes }
}

/// A container of any subclass of `hold.class` on `owner`, where `owner` lives only because a
/// member of that same family holds it, through other objects (pipecat: a frame processor's
/// background loop keeps its setup, whose pipeline worker keeps "frame processors"). Lifetime
/// is decided per class, so this would make every member of the family live for the process
/// because one does: the worker holds the processors of its own pipeline, not all of them. A
/// member that holds its family directly (a service that keeps its plugins) still counts.
fn kept_through_its_family(
    h: &Hierarchy<'_>,
    causes: &[Option<Cause<'_>>],
    hold: &Hold,
    owner: ClassId,
) -> bool {
    let Some(base) = h.resolve(&hold.class) else {
        return false;
    };
    let root = hold_chain(causes, owner).last().map_or(owner, |(c, _)| *c);
    root != owner && h.ancestors_and_self(root).contains(&base)
}

/// `start` and its cause, then each holder that keeps it and its cause, up to the outermost
/// (whose cause is no hold), stopping at the first class seen twice.
fn hold_chain<'p>(causes: &[Option<Cause<'p>>], start: ClassId) -> Vec<(ClassId, Cause<'p>)> {
    let mut chain: Vec<(ClassId, Cause<'p>)> = Vec::new();
    let mut at = Some(start);
    while let Some(c) = at {
        if chain.iter().any(|(seen, _)| *seen == c) {
            break;
        }
        let Some(cause) = causes[c] else { break };
        chain.push((c, cause));
        at = match cause {
            Cause::Held { via, .. } => via,
            _ => None,
        };
    }
    chain
}

impl<'p> Lifetimes<'p> {
    /// The evidence that instances of `id` (or of one of its subclasses) live for the process,
    /// as related locations, outermost cause last.
    pub fn evidence(&self, h: &Hierarchy<'_>, id: ClassId) -> Option<Vec<Related>> {
        let chain = self.chain(h, id)?;
        let found = chain[0].0;
        let mut out = Vec::new();
        if found != id {
            let (path, _) = h.module_of(found);
            out.push(Related {
                path: Some(path.to_string()),
                line: h.class(found).line as usize,
                column: 1,
                message: format!(
                    "`{}` is a subclass of `{}`",
                    short_name(&h.class(found).name),
                    short_name(&h.class(id).name)
                ),
            });
        }
        out.extend(chain.into_iter().map(|(c, cause)| describe(h, c, cause)));
        Some(out)
    }

    /// Whether the lifetime of `id` (or of the subclass [`Self::evidence`] shows) rests on a
    /// background loop of another object, reached through one or more holders.
    pub fn through_anothers_loop(&self, h: &Hierarchy<'_>, id: ClassId) -> bool {
        self.chain(h, id).is_some_and(|chain| {
            chain.len() > 1 && matches!(chain.last(), Some((_, Cause::ServiceLoop)))
        })
    }

    /// Whether the lifetime of `id` rests on request handlers that close over an instance
    /// (its own or a holder's): the app keeps the object, but which of its methods run per
    /// request, rather than once while the app is built, is not shown by that.
    pub fn through_routes(&self, h: &Hierarchy<'_>, id: ClassId) -> bool {
        self.chain(h, id)
            .is_some_and(|chain| matches!(chain.last(), Some((_, Cause::ServesRoutes { .. }))))
    }

    /// The causes that make `id` long-lived, from the class itself (or the first subclass with
    /// a cause) outward through its holders to the outermost cause.
    fn chain(&self, h: &Hierarchy<'_>, id: ClassId) -> Option<Vec<(ClassId, Cause<'p>)>> {
        let start = h
            .descendants_and_self(id)
            .into_iter()
            .find(|c| self.causes[*c].is_some())?;
        Some(hold_chain(&self.causes, start))
    }
}

/// The sentence and location that show why `id` lives for the process.
fn describe(h: &Hierarchy<'_>, id: ClassId, cause: Cause<'_>) -> Related {
    let class = h.class(id);
    let name = short_name(&class.name);
    let at = |path: &str, line: u32, message: String| Related {
        path: Some(path.to_string()),
        line: line as usize,
        column: 1,
        message,
    };
    let (path, _) = h.module_of(id);
    match cause {
        Cause::ServiceLoop => {
            let (method, line) = class.service_loop.unwrap_or_default();
            at(
                path,
                line,
                format!("`{name}` runs a loop until the process ends in `{method}`"),
            )
        }
        Cause::ServesRoutes { class: a } => {
            let (shown, line) = h.class(a).serves_routes.unwrap_or_default();
            let definer = short_name(&h.class(a).name);
            at(
                h.module_of(a).0,
                line,
                format!(
                    "`{definer}` defines request handlers (`@{shown}`) that use the instance and \
                     hands them to the web app, whose server keeps it for the life of the process"
                ),
            )
        }
        Cause::Framework { class: a, base } => at(
            h.module_of(a).0,
            h.class(a).line,
            format!(
                "`{}` subclasses `{base}`, which runs for the life of the process",
                short_name(&h.class(a).name)
            ),
        ),
        Cause::Configured => at(
            path,
            class.line,
            format!("`{name}` is listed as long-lived in the configuration"),
        ),
        Cause::Singleton { decorator } => at(
            path,
            class.line,
            format!(
                "`{name}` is decorated with `@{}` (`{decorator}`), which keeps the one instance it makes for the life of the process",
                short_name(decorator)
            ),
        ),
        Cause::Held { module, hold, .. } => {
            let (path, facts) = h.module(module);
            let loop_note = facts
                .runs_forever
                .map(|(what, line)| format!(" (it runs {what} at line {line})"))
                .unwrap_or_default();
            let message = match &hold.site {
                HoldSite::ModuleGlobal { name: g } => format!(
                    "`{name}` is kept in the module global `{g}` for the life of the process{loop_note}"
                ),
                HoldSite::Memoized { function } => format!(
                    "`{name}` is made by `{function}()`, which takes no argument and whose cache (`functools.cache`/`lru_cache`) keeps the one instance it returns for the life of the process{loop_note}"
                ),
                HoldSite::Registered { call } => {
                    format!("`{name}` is registered with a running framework by `{call}(...)`")
                }
                HoldSite::Entry { function } => format!(
                    "`{name}` is created by the entry point (`{function}`), which runs until the process exits{loop_note}"
                ),
                HoldSite::Serving {
                    function,
                    call,
                    line,
                } => format!(
                    "`{name}` is made by `{function}`, which then serves until the process is stopped: {call} at line {line}"
                ),
                HoldSite::Attribute { owner, attr } if hold.subclasses => format!(
                    "`{name}` is held by `{}.{attr}`, which keeps instances of `{}` and of its subclasses (by an `issubclass` check or its annotation)",
                    short_name(owner),
                    short_name(&hold.class)
                ),
                HoldSite::Attribute { owner, attr } => {
                    format!("`{name}` is held by `{}.{attr}`", short_name(owner))
                }
                HoldSite::Loaded { owner, function } => format!(
                    "`{name}` is loaded by `{}.{function}`, which imports the modules below `{}` by name and makes their `{}`: a loaded plugin lives as long as its loader",
                    short_name(owner),
                    hold.class.as_str().rsplit_once('.').map_or("", |(p, _)| p),
                    short_name(&hold.class)
                ),
                HoldSite::Argument { owner, param } => {
                    let how = match param.strip_prefix('#').and_then(|i| i.parse::<usize>().ok()) {
                        Some(i) => format!("as positional argument {}", i + 1),
                        None => format!("as `{param}=`"),
                    };
                    format!(
                        "`{name}` (or its bound methods) is handed to `{}(...)` {how}, and the constructed object keeps what it is given",
                        short_name(owner)
                    )
                }
            };
            at(path, hold.line, message)
        }
    }
}

/// The classes a loader reaches by `package.Class`: those named `Class` in a module below
/// `package` (`app.plugins.stats.Plugin` for `app.plugins.Plugin`).
fn loaded_classes(h: &Hierarchy<'_>, loaded: &str) -> Vec<ClassId> {
    let Some((package, class)) = loaded.rsplit_once('.') else {
        return Vec::new();
    };
    (0..h.classes.len())
        .filter(|&id| {
            let name = h.class(id).name.as_str();
            name.rsplit_once('.').is_some_and(|(module, short)| {
                short == class
                    && module
                        .strip_prefix(package)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        })
        .collect()
}

fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}
