//! The project's classes across modules: names resolved through re-exports, bases linked to the
//! classes they name, and the subclasses of each class.

use super::ModuleFacts;
use rustc_hash::FxHashMap as HashMap;

/// A class of the project: (module index, class index in that module's facts).
pub type ClassId = usize;

pub struct Hierarchy<'p> {
    pub modules: &'p [(String, &'p ModuleFacts)],
    module_index: HashMap<&'p str, usize>,
    class_index: HashMap<&'p str, ClassId>,
    /// (module, class) of each class id.
    pub classes: Vec<(usize, usize)>,
    pub bases: Vec<Vec<ClassId>>,
    pub subclasses: Vec<Vec<ClassId>>,
    /// Bases that are not project classes (`threading.Thread`), as written.
    pub external_bases: Vec<Vec<&'p str>>,
}

/// How many re-exports a name may go through (`pkg` re-exports `pkg.api` re-exports ...).
const MAX_REEXPORTS: usize = 8;

impl<'p> Hierarchy<'p> {
    /// `modules`: each module's displayed path and facts. Two files with the same module name:
    /// the first (in path order) wins, the other's classes are still linked by their own names.
    pub fn build(modules: &'p [(String, &'p ModuleFacts)]) -> Self {
        let mut h = Hierarchy {
            modules,
            module_index: HashMap::default(),
            class_index: HashMap::default(),
            classes: Vec::new(),
            bases: Vec::new(),
            subclasses: Vec::new(),
            external_bases: Vec::new(),
        };
        for (mi, (_, m)) in modules.iter().enumerate() {
            h.module_index.entry(m.module.as_str()).or_insert(mi);
            for (ci, c) in m.classes.iter().enumerate() {
                let id = h.classes.len();
                h.classes.push((mi, ci));
                h.class_index.entry(c.name.as_str()).or_insert(id);
            }
        }
        let n = h.classes.len();
        h.bases = vec![Vec::new(); n];
        h.subclasses = vec![Vec::new(); n];
        h.external_bases = vec![Vec::new(); n];
        for id in 0..n {
            let class = h.class(id);
            for base in &class.bases {
                match h.resolve(base) {
                    Some(b) if b != id => {
                        h.bases[id].push(b);
                        h.subclasses[b].push(id);
                    }
                    Some(_) => {}
                    None => h.external_bases[id].push(base.as_str()),
                }
            }
        }
        h
    }

    pub fn class(&self, id: ClassId) -> &'p super::ClassFacts {
        let (m, c) = self.classes[id];
        &self.modules[m].1.classes[c]
    }

    pub fn module_of(&self, id: ClassId) -> (&'p str, &'p ModuleFacts) {
        let (m, _) = self.classes[id];
        (self.modules[m].0.as_str(), self.modules[m].1)
    }

    /// The project class a qualified name denotes, following re-exports
    /// (`pkg.Runner` -> `pkg.jobs.runner.Runner`).
    pub fn resolve(&self, name: &str) -> Option<ClassId> {
        let found = self.resolve_name(name, &|n| self.class_index.contains_key(n))?;
        self.class_index.get(found.as_str()).copied()
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
                    continue;
                };
                let (first, tail) = rest.split_once('.').unwrap_or((rest, ""));
                let target = self.modules[mi]
                    .1
                    .exports
                    .iter()
                    .find(|(local, _)| local == first)
                    .map(|(_, t)| t)?;
                next = Some(if tail.is_empty() {
                    target.clone()
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
        self.closure(id, &self.bases)
    }

    /// The class and its project subclasses, each once.
    pub fn descendants_and_self(&self, id: ClassId) -> Vec<ClassId> {
        self.closure(id, &self.subclasses)
    }

    fn closure(&self, id: ClassId, edges: &[Vec<ClassId>]) -> Vec<ClassId> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            for &next in &edges[out[i]] {
                if !out.contains(&next) {
                    out.push(next);
                }
            }
            i += 1;
        }
        out
    }
}
