//! The project's classes across modules: names resolved through re-exports, bases linked to the
//! classes they name, and the subclasses of each class.

use super::ModuleFacts;
use rustc_hash::FxHashMap as HashMap;

/// A class of the project: (module index, class index in that module's facts).
pub type ClassId = usize;

pub struct Hierarchy<'p> {
    pub modules: &'p [(String, &'p ModuleFacts)],
    module_index: HashMap<&'p str, usize>,
    /// Two files have one module name (each service of a monorepo has its own `app`): a name
    /// resolves to the first only.
    duplicate_modules: bool,
    /// Longer names of modules under directories without `__init__.py`, which Python imports
    /// as namespace packages: `endpoints/chat.py` (module `chat`) is also `endpoints.chat`.
    namespace_names: HashMap<String, usize>,
    class_index: HashMap<&'p str, ClassId>,
    /// (module, class) of each class id.
    pub classes: Vec<(u32, u32)>,
    bases: Adjacency<ClassId>,
    subclasses: Adjacency<ClassId>,
    /// Bases that are not project classes (`threading.Thread`), as written.
    external_bases: Adjacency<&'p str>,
}

/// A list per class, all in one allocation: a project has tens of thousands of classes, and a
/// `Vec` each would cost more than the lists themselves.
struct Adjacency<T> {
    /// `items[start[id]..start[id + 1]]` belong to class `id`.
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy> Adjacency<T> {
    /// From (class, item) pairs, for `n` classes.
    fn from_pairs(n: usize, mut pairs: Vec<(ClassId, T)>) -> Self {
        pairs.sort_by_key(|(id, _)| *id);
        let mut start = Vec::with_capacity(n + 1);
        let mut at = 0;
        for id in 0..=n {
            while at < pairs.len() && pairs[at].0 < id {
                at += 1;
            }
            start.push(at as u32);
        }
        Adjacency {
            start,
            items: pairs.into_iter().map(|(_, item)| item).collect(),
        }
    }

    fn of(&self, id: ClassId) -> &[T] {
        &self.items[self.start[id] as usize..self.start[id + 1] as usize]
    }
}

/// How many re-exports a name may go through (`pkg` re-exports `pkg.api` re-exports ...).
const MAX_REEXPORTS: usize = 8;

impl<'p> Hierarchy<'p> {
    /// `modules`: each module's displayed path and facts. Two files with the same module name:
    /// the first (in path order) wins, the other's classes are still linked by their own names.
    pub fn build(modules: &'p [(String, &'p ModuleFacts)]) -> Self {
        let mut module_index = HashMap::default();
        let mut class_index = HashMap::default();
        let mut classes = Vec::new();
        let mut duplicate_modules = false;
        for (mi, (_, m)) in modules.iter().enumerate() {
            match module_index.entry(m.module.as_str()) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(mi);
                }
                std::collections::hash_map::Entry::Occupied(_) => duplicate_modules = true,
            }
            for (ci, c) in m.classes.iter().enumerate() {
                class_index.entry(c.name.as_str()).or_insert(classes.len());
                classes.push((mi as u32, ci as u32));
            }
        }
        let mut namespace_names = HashMap::default();
        // Only for files outside any regular package, and for the `__init__.py` of a top-level
        // package: a package's own modules are imported by their package names, and aliases for
        // all of them would cost memory on large trees. The top-level package's alias
        // (`sources.agents` for `agents/`, under a `sources/` with no `__init__.py`) is enough:
        // a name below it is rewritten through it (`sources.agents.browser_agent.X`).
        let top_package = |path: &str, m: &ModuleFacts| {
            !m.module.as_str().contains('.')
                && (path.ends_with("/__init__.py") || path.ends_with("/__init__.pyi"))
        };
        for (mi, (path, m)) in modules
            .iter()
            .enumerate()
            .filter(|(_, (path, m))| !m.in_package || top_package(path, m))
        {
            for name in namespace_names_of(path, m.module.as_str(), !m.in_package) {
                if !module_index.contains_key(name.as_str()) {
                    namespace_names.entry(name).or_insert(mi);
                }
            }
        }
        let mut h = Hierarchy {
            modules,
            module_index,
            duplicate_modules,
            namespace_names,
            class_index,
            classes,
            bases: Adjacency::from_pairs(0, Vec::new()),
            subclasses: Adjacency::from_pairs(0, Vec::new()),
            external_bases: Adjacency::from_pairs(0, Vec::new()),
        };
        let n = h.classes.len();
        let (mut bases, mut external) = (Vec::new(), Vec::new());
        for id in 0..n {
            for base in &h.class(id).bases {
                match h.resolve(base) {
                    Some(b) if b != id => bases.push((id, b)),
                    Some(_) => {}
                    None => external.push((id, base.as_str())),
                }
            }
        }
        h.subclasses = Adjacency::from_pairs(n, bases.iter().map(|&(id, b)| (b, id)).collect());
        h.bases = Adjacency::from_pairs(n, bases);
        h.external_bases = Adjacency::from_pairs(n, external);
        h
    }

    /// The module of this name (the first in path order when two files map to it).
    pub fn module_named(&self, name: &str) -> Option<usize> {
        self.module_index
            .get(name)
            .or_else(|| self.namespace_names.get(name))
            .copied()
    }

    /// Bases of `id` that are not project classes, as written.
    pub fn external_bases(&self, id: ClassId) -> &[&'p str] {
        self.external_bases.of(id)
    }

    pub fn class(&self, id: ClassId) -> &'p super::ClassFacts {
        let (m, c) = self.classes[id];
        &self.modules[m as usize].1.classes[c as usize]
    }

    pub fn module_of(&self, id: ClassId) -> (&'p str, &'p ModuleFacts) {
        self.module(self.module_index_of(id))
    }

    /// Index of the module that defines `id`.
    pub fn module_index_of(&self, id: ClassId) -> usize {
        self.classes[id].0 as usize
    }

    /// Displayed path and facts of module `m`.
    pub fn module(&self, m: usize) -> (&'p str, &'p ModuleFacts) {
        (self.modules[m].0.as_str(), self.modules[m].1)
    }

    /// The project class a qualified name denotes, following re-exports
    /// (`pkg.Runner` -> `pkg.jobs.runner.Runner`).
    pub fn resolve(&self, name: &str) -> Option<ClassId> {
        let found = self.resolve_name(name, &|n| self.class_index.contains_key(n))?;
        self.class_index.get(found.as_str()).copied()
    }

    /// What `name`, imported absolutely by module `importer`, names when its first segment is
    /// no module of the project but a sibling module of `importer`'s package is: Python 2's
    /// implicit relative import (`from objectracker import missingObjects` inside
    /// `network/bmproto.py`), which a `sys.path` entry for the package's directory also gives.
    pub fn sibling_name(&self, importer: &str, name: &str) -> Option<String> {
        let first = name.split('.').next()?;
        if self.module_named(first).is_some() {
            return None;
        }
        // Only the importer's own package: a grandparent's module is no sibling.
        if let Some((package, _)) = importer.rsplit_once('.') {
            if self.module_named(&format!("{package}.{first}")).is_some() {
                return Some(format!("{package}.{name}"));
            }
        }
        // An `__init__.py` is its package: its siblings are the package's modules.
        let candidate = format!("{importer}.{first}");
        self.module_named(&candidate)
            .map(|_| format!("{importer}.{name}"))
    }

    /// For telling whether a module is imported at all: `name` as a module of a package above
    /// `importer`, when no module has that name as written nor as a sibling. A program run from
    /// its package directory imports that package's modules by their own names (`agixt/`'s
    /// `endpoints/config.py` does `from XBotManager import ...`), which is how
    /// `agixt/XBotManager.py` runs. Names are not resolved this way: a grandparent's module of a
    /// common name may be another module than the one the program imports.
    pub fn ancestor_package_name(&self, importer: &str, name: &str) -> Option<String> {
        let first = name.split('.').next()?;
        if self.module_named(first).is_some() || super::stdlib::is_stdlib(first) {
            return None;
        }
        let mut package = importer;
        while let Some((parent, _)) = package.rsplit_once('.') {
            if self.module_named(&format!("{parent}.{first}")).is_some() {
                return Some(format!("{parent}.{name}"));
            }
            package = parent;
        }
        None
    }

    pub fn has_duplicate_modules(&self) -> bool {
        self.duplicate_modules
    }

    /// Follows re-exports from `name` until `exists` accepts a name; returns that name.
    pub fn resolve_name(&self, name: &str, exists: &dyn Fn(&str) -> bool) -> Option<String> {
        let mut name = name.to_string();
        for _ in 0..MAX_REEXPORTS {
            if exists(&name) {
                return Some(name);
            }
            // The longest prefix that is a project module; the next segment is one of its names.
            let mut next = None;
            for (i, _) in name.rmatch_indices('.') {
                let (module, rest) = (&name[..i], &name[i + 1..]);
                let Some(&mi) = self.module_index.get(module) else {
                    // `endpoints.chat.Router` names `chat.Router`.
                    if let Some(&mi) = self.namespace_names.get(module) {
                        next = Some(format!("{}.{rest}", self.modules[mi].1.module));
                        break;
                    }
                    continue;
                };
                let (first, tail) = rest.split_once('.').unwrap_or((rest, ""));
                let exports = &self.modules[mi].1.exports;
                let named = exports
                    .iter()
                    .find(|(local, _)| local == first)
                    .map(|(_, t)| t.to_string());
                // Else a module it star-imports that defines or re-exports the name.
                let starred = || {
                    exports
                        .iter()
                        .filter(|(local, _)| local == super::facts::STAR)
                        .map(|(_, m)| format!("{m}.{first}"))
                        .find(|candidate| {
                            exists(candidate)
                                || candidate.rsplit_once('.').is_some_and(|(m, n)| {
                                    self.module_index.get(m).is_some_and(|&j| {
                                        self.modules[j].1.exports.iter().any(|(l, _)| l == n)
                                    })
                                })
                        })
                };
                let target = named.or_else(starred)?;
                next = Some(if tail.is_empty() {
                    target
                } else {
                    format!("{target}.{tail}")
                });
                break;
            }
            name = next?;
        }
        None
    }

    /// The class and its project ancestors, nearest first, each once (cycle-safe).
    pub fn ancestors_and_self(&self, id: ClassId) -> Vec<ClassId> {
        closure(id, &self.bases)
    }

    /// The class and its project subclasses, each once.
    pub fn descendants_and_self(&self, id: ClassId) -> Vec<ClassId> {
        closure(id, &self.subclasses)
    }
}

/// How many directories without `__init__.py` above a module's package may name it.
const NAMESPACE_DEPTH: usize = 3;

/// The names `path` also has when the directories above its package are namespace packages
/// (`a/b/jobs.py`, module `jobs`: `b.jobs`, `a.b.jobs`), stopping at a directory that is not an
/// identifier; and for a module of a namespace package (`own_namespace`), the ends of its own
/// name.
fn namespace_names_of(path: &str, module: &str, own_namespace: bool) -> Vec<String> {
    let Some(stem) = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
    else {
        return Vec::new();
    };
    let mut parts: Vec<&str> = stem.split('/').collect();
    if parts.last() == Some(&"__init__") {
        parts.pop();
    }
    let own = module.split('.').count();
    let Some(above) = parts.len().checked_sub(own) else {
        return Vec::new();
    };
    let is_identifier = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    // A module of a namespace package below a regular one (`agixt.endpoints.Conversation`)
    // is also imported by the names it has when a directory below the package is on the path
    // (`endpoints.Conversation`, `Conversation`).
    let mut names: Vec<String> = if own_namespace {
        module
            .match_indices('.')
            .map(|(i, _)| module[i + 1..].to_string())
            .collect()
    } else {
        Vec::new()
    };
    let mut name = module.to_string();
    for dir in parts[..above].iter().rev().take(NAMESPACE_DEPTH) {
        if !is_identifier(dir) {
            break;
        }
        name = format!("{dir}.{name}");
        names.push(name.clone());
    }
    names
}

fn closure(id: ClassId, edges: &Adjacency<ClassId>) -> Vec<ClassId> {
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        for &next in edges.of(out[i]) {
            if !out.contains(&next) {
                out.push(next);
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::namespace_names_of;

    #[test]
    fn directories_above_a_package_name_it_too_up_to_a_non_identifier() {
        assert_eq!(
            namespace_names_of("/r/my-repo/agixt/endpoints/chat.py", "chat", true),
            ["endpoints.chat", "agixt.endpoints.chat"]
        );
        assert_eq!(
            namespace_names_of("src/app/pkg/jobs/__init__.py", "pkg.jobs", false),
            ["app.pkg.jobs", "src.app.pkg.jobs"]
        );
        assert!(namespace_names_of("chat.py", "chat", true).is_empty());
        assert_eq!(
            namespace_names_of("a/b/c/d/e.py", "e", true),
            ["d.e", "c.d.e", "b.c.d.e"]
        );
    }

    #[test]
    fn a_namespace_subpackage_module_keeps_the_ends_of_its_name() {
        assert_eq!(
            namespace_names_of("/r/agixt/endpoints/chat.py", "agixt.endpoints.chat", true),
            ["endpoints.chat", "chat", "r.agixt.endpoints.chat"]
        );
    }
}
