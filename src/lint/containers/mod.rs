//! Lifetime facts about containers, for the memory-growth rules (SWC101, SWC102, SWC105).
//!
//! A container is **long-lived** when it is bound at module level, as a class attribute, or on
//! `self` in a class whose instances live for the process (decided by the project model: the
//! finding carries that condition). Its
//! **growth sites** are the places that add to it from code that runs repeatedly (function
//! bodies; not module-level code, which runs once at import, nor `__init__` for `self`
//! attributes, which runs once per instance). Its **bound** is the first evidence that something
//! limits it: removal, reassignment or truncation outside the initializer, a `len()` comparison,
//! a bounded type, or keys that come from a fixed set.

mod borrowed;
mod callers;
pub mod event_keys;
pub(crate) mod imported;
mod keys;
mod loop_locals;
mod once;
mod records;
pub mod removers;
mod uses;

use super::semantic::{BindingKind, Resolved, ScopeId, SemanticModel};
use crate::lint::blocks::{first_param, for_each_stmt, is_name, module_level, single_assignment};
use crate::lint::project::{Condition, Name};
pub(crate) use keys::is_constant_name;
pub(crate) use once::{is_init_like, lifecycle_starts, once_methods};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use uses::UseWalker;
pub(crate) use uses::REMOVE_METHODS;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// `defaultdict(factory)`; `per_key_bound` when each value is bounded (`deque(maxlen=...)`).
    DefaultDict {
        per_key_bound: bool,
    },
    List,
    Set,
    /// `deque()` without `maxlen`.
    Deque,
    /// `{}`, `dict()`, `dict.fromkeys(seed)`, `OrderedDict()`.
    Dict,
    /// `Counter()`: a missing key reads as 0, so `counts[key] += 1` adds `key`.
    Counter,
}

impl ContainerKind {
    /// What other modules can do to it through an import: store under a key (`dict`), append
    /// (`list`) or add (`set`).
    pub fn family(&self) -> &'static str {
        match self {
            ContainerKind::List | ContainerKind::Deque => "list",
            ContainerKind::Set => "set",
            _ => "dict",
        }
    }
}

/// Where the container is bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    Module,
    /// A class attribute (index into the class table).
    ClassAttr(usize),
    /// An attribute set on `self` in a method of the class.
    SelfAttr(usize),
    /// A module global of another module, grown here through an imported name ([`imported`]).
    Imported,
    /// A local of a function, grown in the function's loop that runs until the process stops
    /// ([`loop_locals`]).
    Local,
}

/// What a growth site adds, as far as the size of the container goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrowthKey {
    /// A key from a fixed set (a literal, a constant, an Enum member, a configured choice).
    Fixed,
    /// An item with no key: a list append adds one on every call.
    Item,
    /// A key (or a set member, or a value a list holds once) whose provenance the code does not
    /// show: it may come from a finite catalogue outside the code.
    Unknown,
    /// A key new with every event, with the evidence (`keys are fresh uuid4() values`).
    PerEvent(String),
}

#[derive(Clone, Debug)]
pub struct Growth {
    pub range: TextRange,
    /// Name of the function the growth is in.
    pub function: String,
    /// What the key it adds says about the container's size.
    pub key: GrowthKey,
    /// The module-level function the growth is in (`None` inside classes).
    top_function: Option<String>,
    /// In the decorator that function defines and returns: it runs as often as the function.
    made_by_factory: bool,
    /// Inside a loop that runs until the process stops: repeated however often its function
    /// is called.
    in_endless_loop: bool,
    /// In an initializer of this class of the module, for a container shared by its instances
    /// (a module global, a class attribute): it grows once per instance made.
    per_instance_of: Option<String>,
    /// Runs only when this keyword-only flag of its function, off by default, is set.
    opt_in: Option<String>,
}

impl Growth {
    pub fn in_endless_loop(&self) -> bool {
        self.in_endless_loop
    }
}

#[derive(Clone, Debug)]
pub struct Container {
    /// As users write it: `_cache`, `self.history`, `Registry.entries`.
    pub display: String,
    /// The class that owns a class or `self` attribute.
    pub class: Option<String>,
    pub attr: String,
    pub owner: Owner,
    pub kind: ContainerKind,
    /// The target of the defining assignment.
    pub range: TextRange,
    def_stmt: TextRange,
    /// Initialized with a dict literal whose keys are all strings (a candidate settings record).
    record_literal: bool,
    pub growth: Vec<Growth>,
    /// What limits it, and where.
    pub bound: Option<(TextRange, String)>,
    /// `len()` comparisons outside the functions that grow it, with the function they are in:
    /// a bound only if it turns out to guard growth (see [`Container::settle_size_checks`]).
    size_checks: Vec<(String, TextRange)>,
    /// A removal or reset found only where the owner closes or reloads its state (`.clear()`
    /// in `close`): shown with the finding, but no bound.
    pub edge_bound: Option<(TextRange, String)>,
    /// The functions where the use walk found a bound (`bound` then came from one of them,
    /// unless `bound_at_definition`).
    bound_in: Vec<String>,
    /// `bound` was set where the container is made (re-created per call), from its shape (a
    /// settings record) or by a `len()` check where it grows, not by a removal or reset in
    /// some function.
    bound_at_definition: bool,
    /// A bound found only in methods or functions other than those that grow it, which the
    /// project must show are called ([`Condition::LongLivedOwner::removed_in`]): what it is and
    /// where, and those functions.
    pub uncalled_bound: Option<(TextRange, String, Vec<String>)>,
    /// What the project must confirm: that the owning instances live for the process.
    pub condition: Condition,
    /// Grown by its class but made by another class of its family ([`borrowed`]): `range` is
    /// the first growth.
    pub borrowed: bool,
    /// For a local ([`Owner::Local`]): the function whose endless loop keeps it.
    pub local_of: Option<String>,
}

impl Container {
    /// A container as its defining site shows it, before the use walk finds its growth and
    /// bounds.
    fn new(
        display: String,
        class: Option<String>,
        attr: String,
        owner: Owner,
        kind: ContainerKind,
        range: TextRange,
        def_stmt: TextRange,
    ) -> Container {
        Container {
            display,
            class,
            attr,
            owner,
            kind,
            range,
            def_stmt,
            record_literal: false,
            growth: Vec::new(),
            bound: None,
            size_checks: Vec::new(),
            edge_bound: None,
            bound_in: Vec::new(),
            bound_at_definition: false,
            uncalled_bound: None,
            condition: Condition::Always,
            borrowed: false,
            local_of: None,
        }
    }

    /// A size check bounds the container where it can stop growth: in a function that grows it
    /// (`if len(q) < cap: q.append(x)`, `if len(q) >= cap: return`). One elsewhere (an index
    /// check, `if i >= len(items)`, a stats line) limits nothing.
    fn settle_size_checks(&mut self) {
        if self.bound.is_some() {
            return;
        }
        let guarded = self
            .size_checks
            .iter()
            .find(|(f, _)| self.growth.iter().any(|g| g.function == *f));
        if let Some((_, range)) = guarded {
            self.bound = Some((*range, "its size is checked with `len()`".into()));
            self.bound_at_definition = true;
        }
    }

    /// A module global that nothing in its module grows or bounds: other modules may grow it
    /// through an import ([`imported`]).
    pub fn is_quiet_global(&self) -> bool {
        self.owner == Owner::Module
            && self.growth.is_empty()
            && self.bound.is_none()
            && self.edge_bound.is_none()
    }

    /// A container on instances that the module makes but neither grows nor bounds: a class
    /// of its family in another module may grow it ([`borrowed`]).
    pub fn is_quiet_attr(&self) -> bool {
        matches!(self.owner, Owner::SelfAttr(_))
            && !self.borrowed
            && self.growth.is_empty()
            && self.bound.is_none()
            && self.edge_bound.is_none()
    }

    /// The first growth that adds an item on every call, or a key new with every event: the
    /// evidence SWC102 needs.
    pub fn open_growth(&self) -> Option<&Growth> {
        self.growth
            .iter()
            .find(|g| matches!(g.key, GrowthKey::Item | GrowthKey::PerEvent(_)))
    }

    /// The first growth whose key is new with every event, with why: the evidence the keyed
    /// rules (SWC101, SWC105) require.
    pub fn per_event_growth(&self) -> Option<(&Growth, &str)> {
        self.growth.iter().find_map(|g| match &g.key {
            GrowthKey::PerEvent(why) => Some((g, why.as_str())),
            _ => None,
        })
    }
}

/// What the rules may tune.
#[derive(Clone, Debug, Default)]
pub struct ContainerOptions<'o> {
    pub bounded_types: &'o [String],
    /// Qualified name of the module, to name classes in findings' conditions.
    pub module: &'o str,
    /// Functions of other modules that remove from a parameter ([`removers`]), by the names
    /// this module calls them with, and the parameter's position.
    pub removers: &'o [(String, usize)],
    /// The module's own such functions, by name.
    pub local_removers: &'o [(String, usize)],
    /// The containers of other modules it grows through imported names ([`imported`]).
    pub imported_growth: &'o [(String, ContainerKind, TextRange)],
}

struct ClassInfo<'a> {
    name: &'a str,
    bases: Vec<&'a str>,
    is_enum: bool,
    /// A dataclass, attrs or pydantic model: its class-level fields are per-instance defaults.
    is_model: bool,
    /// Calling the class makes a new object every time: no decorator, metaclass or `__new__`
    /// (in it or a base) could hand back a kept instance, and no base outside the module could.
    makes_new_instances: bool,
}

/// Finds the module's long-lived containers and what grows and bounds them.
pub fn analyze<'a>(
    suite: &'a [Stmt],
    semantic: &SemanticModel<'a>,
    options: &ContainerOptions<'_>,
) -> Vec<Container> {
    let mut facts = Facts {
        semantic,
        options,
        classes: Vec::new(),
        class_index: HashMap::default(),
        containers: Vec::new(),
        by_key: HashMap::default(),
        held: HashMap::default(),
        any_imported: false,
    };
    facts.collect_classes(suite);
    facts.collect_module_definitions(suite);
    facts.collect_borrowed(suite);
    for (name, kind, at) in options.imported_growth {
        let key = (Owner::Imported, name.clone());
        if !facts.by_key.contains_key(&key) {
            facts.by_key.insert(key, facts.containers.len());
            facts
                .containers
                .push(imported::container(name.clone(), kind.clone(), *at));
            facts.any_imported = true;
        }
    }
    let locals = facts.loop_locals(suite);
    if facts.containers.is_empty() && locals.is_empty() {
        return Vec::new();
    }
    let mut walker = UseWalker::new(&mut facts, suite);
    walker.visit_body(suite);
    facts.containers.extend(locals);
    for c in &mut facts.containers {
        c.settle_size_checks();
    }
    records::bound_settings_records(suite, &mut facts.containers);
    // Growth in helpers that only module-level code calls happens once, at import, unless it
    // sits in a loop that runs until the process stops (`def main(): while True: ...` under
    // `if __name__ == "__main__":`). Only computed when such growth exists: it walks the whole
    // module again.
    let in_top_functions = facts
        .containers
        .iter()
        .any(|c| c.growth.iter().any(|g| g.top_function.is_some()));
    if in_top_functions {
        let import_time_only = import_time_only_functions(suite);
        for c in &mut facts.containers {
            c.growth.retain(|g| {
                g.in_endless_loop
                    || g.top_function
                        .as_deref()
                        .is_none_or(|f| !import_time_only.contains(f))
            });
        }
    }
    let module = options.module;
    // Classes with a base outside the module, perhaps a model class of another module of the
    // project (then their class-level containers are per-instance fields).
    let foreign_base: Vec<bool> = (0..facts.classes.len())
        .map(|ci| {
            std::iter::once(ci).chain(facts.ancestors(ci)).any(|c| {
                facts.classes[c]
                    .bases
                    .iter()
                    .any(|b| !facts.class_index.contains_key(b))
            })
        })
        .collect();
    let Facts { containers, .. } = facts;
    // Only asked of module globals that grow, which few modules have.
    let decorated = |name: &str| {
        suite.iter().any(|s| {
            matches!(s, Stmt::FunctionDef(f) if f.name.as_str() == name && !f.decorator_list.is_empty())
        })
    };
    // The methods that add to it, for linking to excuse when only set-up code calls them; none
    // when one adds inside a loop that runs until the process stops (`run_forever()` called
    // once, from the `__main__` block), which repeats however few calls it gets.
    let grown_in = |c: &Container| {
        if c.growth.iter().any(|g| g.in_endless_loop) {
            return Vec::new();
        }
        let mut names: Vec<Name> = c.growth.iter().map(|g| Name::new(&g.function)).collect();
        names.sort_unstable_by_key(|n| n.as_str());
        names.dedup();
        names
    };
    // The flags every growth site waits on; none when one grows unconditionally.
    let opt_in = |c: &Container| -> Vec<Name> {
        let mut flags: Vec<Name> = Vec::new();
        for g in &c.growth {
            match &g.opt_in {
                Some(f) => flags.push(Name::new(f)),
                None => return Vec::new(),
            }
        }
        flags.sort_unstable_by_key(|n| n.as_str());
        flags.dedup();
        flags
    };
    containers
        .into_iter()
        .map(|mut c| {
            // Grown only in initializers, of one class or of several (SaitamaRobot's message and
            // regex handlers each add their name to one list): once per instance made.
            let mut per_instance: Vec<&str> = Vec::new();
            for g in &c.growth {
                match &g.per_instance_of {
                    Some(class) => per_instance.push(class),
                    None => {
                        per_instance.clear();
                        break;
                    }
                }
            }
            per_instance.sort_unstable();
            per_instance.dedup();
            let per_instance: Vec<Name> = per_instance
                .into_iter()
                .map(|class| Name::new(&format!("{module}.{class}")))
                .collect();
            // Another module's global that grows once per instance made here: whether such
            // instances come and go is asked of its own module's containers only.
            if !per_instance.is_empty() && c.owner == Owner::Imported {
                c.growth.clear();
            }
            c.condition = match (c.owner, &c.class) {
                _ if !per_instance.is_empty() => Condition::GrowsPerInstance {
                    classes: per_instance,
                },
                (Owner::ClassAttr(ci), Some(class)) if foreign_base[ci] => {
                    Condition::ClassBodyContainer {
                        class: format!("{module}.{class}").into(),
                        attr: c.attr.clone().into(),
                        grown_in: grown_in(&c),
                    }
                }
                (Owner::SelfAttr(_), Some(class)) => Condition::LongLivedOwner {
                    class: format!("{module}.{class}").into(),
                    attr: c.attr.clone().into(),
                    grown_in: grown_in(&c),
                    items_only: c.per_event_growth().is_none(),
                    // A request, task or event handler nested in a method (a route closing
                    // over `self`) runs when its framework calls it: no name shows its callers.
                    decorated: c.growth.iter().any(|g| {
                        method_decorated(suite, class, &g.function) == Some(true)
                            || nested_handler(suite, class, &g.function)
                    }),
                    opt_in: opt_in(&c),
                    borrowed: c.borrowed.then(|| Name::new(c.kind.family())),
                    removed_in: Vec::new(),
                },
                (Owner::Module | Owner::Imported, _) => Condition::SharedContainer {
                    name: match c.owner {
                        Owner::Imported => Name::new(&c.attr),
                        _ => Name::new(&format!("{module}.{}", c.attr)),
                    },
                    imported: (c.owner == Owner::Imported).then(|| Name::new(c.kind.family())),
                    decorated: c
                        .growth
                        .iter()
                        .any(|g| g.top_function.as_deref().is_some_and(decorated)),
                    grown_in: if module_functions_only(&c) {
                        c.growth
                            .iter()
                            .filter_map(|g| g.top_function.as_deref())
                            .map(|f| Name::new(&format!("{module}.{f}")))
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect()
                    } else {
                        Vec::new()
                    },
                    methods: Vec::new(),
                    opt_in: opt_in(&c),
                    removed_in: Vec::new(),
                },
                (Owner::ClassAttr(_), Some(class)) => Condition::SharedContainer {
                    name: Name::new(&format!("{module}.{class}.{}", c.attr)),
                    imported: None,
                    grown_in: Vec::new(),
                    decorated: c
                        .growth
                        .iter()
                        .any(|g| decorated_method(suite, class, &g.function)),
                    methods: grown_in(&c),
                    opt_in: opt_in(&c),
                    removed_in: Vec::new(),
                },
                _ => Condition::ModuleLivesLong,
            };
            settle_uncalled_bound(&mut c, suite);
            c
        })
        .collect()
}

/// A container bounded only in functions that neither grow it nor start its owner (a
/// `remove_frequency_control(chat_id)` beside the `get_or_create` that adds): a bound only if
/// the program calls one of them, which the project decides
/// ([`Condition::LongLivedOwner::removed_in`]). Each must be a plain method of the owning class
/// (or a plain function of the module, for a global): a decorated one may be handed to a
/// framework that calls it without naming it.
fn settle_uncalled_bound(c: &mut Container, suite: &[Stmt]) {
    // Only for growth keyed by what is new with each event: a list that gains items has too
    // little evidence of traffic to stand on once its bound is set aside (in the development
    // corpus, none of the 15 lists this found was a leak; half of the 16 keyed containers were).
    if c.bound_at_definition || c.bound_in.is_empty() || c.per_event_growth().is_none() {
        return;
    }
    let Some((range, why)) = c.bound.clone() else {
        return;
    };
    // A `len()` check where it grows stands whatever else bounds it.
    if c.size_checks
        .iter()
        .any(|(f, _)| c.growth.iter().any(|g| g.function == *f))
    {
        return;
    }
    // Attributes of instances and module globals only: a class attribute may also be bounded
    // through its class's name by a subclass that a framework drives.
    let undecorated_function = |f: &str| {
        suite.iter().any(|s| {
            matches!(s, Stmt::FunctionDef(d) if d.name.as_str() == f && d.decorator_list.is_empty())
        })
    };
    let plain = |f: &str| match (&c.owner, &c.class) {
        (Owner::SelfAttr(_), Some(class)) => method_decorated(suite, class, f) == Some(false),
        (Owner::Module, None) => undecorated_function(f),
        _ => false,
    };
    let elsewhere = c.bound_in.iter().all(|f| {
        !is_init_like(f)
            && !f.starts_with("__")
            && !c.growth.iter().any(|g| g.function == *f)
            && plain(f)
    });
    if !elsewhere {
        return;
    }
    let names: Vec<Name> = c.bound_in.iter().map(|f| Name::new(f)).collect();
    let slot = match &mut c.condition {
        Condition::LongLivedOwner { removed_in, .. } => removed_in,
        Condition::SharedContainer {
            removed_in,
            imported: None,
            ..
        } => removed_in,
        _ => return,
    };
    *slot = names;
    c.uncalled_bound = Some((range, why, c.bound_in.clone()));
    c.bound = None;
}

/// Whether method `name` of the module-level class `class` has a decorator other than
/// `classmethod` or `staticmethod`: one that may hand it to a framework that calls it without
/// naming it (`@app.route`). A method not found this way counts as decorated.
fn decorated_method(suite: &[Stmt], class: &str, name: &str) -> bool {
    method_decorated(suite, class, name).unwrap_or(true)
}

/// As [`decorated_method`], `None` when the method is not found; a property's accessors
/// (`@property`, `@name.setter`) are not handed anywhere either.
fn method_decorated(suite: &[Stmt], class: &str, name: &str) -> Option<bool> {
    let method = suite.iter().find_map(|s| match s {
        Stmt::ClassDef(c) if c.name.as_str() == class => c.body.iter().find_map(|m| match m {
            Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
            _ => None,
        }),
        _ => None,
    })?;
    Some(method.decorator_list.iter().any(|d| match &d.expression {
        Expr::Name(n) => !matches!(
            n.id.as_str(),
            "classmethod" | "staticmethod" | "property" | "cached_property"
        ),
        other => !crate::lint::blocks::is_property_accessor(other),
    }))
}

/// Some method of class `class` defines, within its body, a handler named `name` that its
/// framework runs per request, task or event.
fn nested_handler(suite: &[Stmt], class: &str, name: &str) -> bool {
    suite.iter().any(|s| match s {
        Stmt::ClassDef(c) if c.name.as_str() == class => c.body.iter().any(|m| {
            let Stmt::FunctionDef(m) = m else {
                return false;
            };
            let mut found = false;
            crate::lint::blocks::for_each_stmt(&m.body, &mut |s| {
                found |= matches!(s, Stmt::FunctionDef(f)
                    if f.name.as_str() == name
                        && crate::lint::json_io::concurrency::is_handler(f));
            });
            found
        }),
        _ => false,
    })
}

/// Every growth site of `c` is directly in a module-level function (not in a function nested in
/// it, which may run at any time), outside an endless loop: whether it repeats is up to the
/// callers of those functions.
fn module_functions_only(c: &Container) -> bool {
    !c.growth.is_empty()
        && c.growth.iter().all(|g| {
            (g.made_by_factory || g.top_function.as_deref() == Some(g.function.as_str()))
                && !g.in_endless_loop
        })
}

struct Facts<'a, 'm, 'o> {
    semantic: &'m SemanticModel<'a>,
    options: &'o ContainerOptions<'o>,
    classes: Vec<ClassInfo<'a>>,
    class_index: HashMap<&'a str, usize>,
    containers: Vec<Container>,
    by_key: HashMap<(Owner, String), usize>,
    /// `self.cache = Cache()` or `self.cache = cache` (a parameter annotated `Cache`): the class
    /// of this module whose instance a class's attribute holds, so `self.cache.orders` names
    /// the container `orders` of `Cache`.
    held: HashMap<(usize, &'a str), usize>,
    /// Some container is another module's global ([`Owner::Imported`]).
    any_imported: bool,
}

impl<'a> Facts<'a, '_, '_> {
    fn collect_classes(&mut self, suite: &'a [Stmt]) {
        for stmt in module_level(suite) {
            if let Stmt::ClassDef(class) = stmt {
                let bases: Vec<&'a str> = class
                    .arguments
                    .iter()
                    .flat_map(|a| a.args.iter())
                    .filter_map(|b| match b {
                        Expr::Name(n) => Some(n.id.as_str()),
                        Expr::Attribute(a) => Some(a.attr.as_str()),
                        _ => None,
                    })
                    .collect();
                let is_enum = class.arguments.iter().flat_map(|a| a.args.iter()).any(|b| {
                    self.semantic
                        .qualified_name(ScopeId::MODULE, b)
                        .is_some_and(|q| q.starts_with("enum."))
                });
                let is_model = is_model_class(class, self.semantic);
                let defines_new = class
                    .body
                    .iter()
                    .any(|s| matches!(s, Stmt::FunctionDef(f) if f.name.as_str() == "__new__"));
                let plain = class.decorator_list.is_empty()
                    && class
                        .arguments
                        .as_ref()
                        .is_none_or(|a| a.keywords.is_empty())
                    && !defines_new;
                self.class_index
                    .insert(class.name.as_str(), self.classes.len());
                self.classes.push(ClassInfo {
                    name: class.name.as_str(),
                    bases,
                    is_enum,
                    is_model,
                    makes_new_instances: plain,
                });
            }
        }
        // What a class is (an enum, a model, a maker of new objects) is inherited within the
        // module too.
        for i in 0..self.classes.len() {
            let bases_known = self.classes[i]
                .bases
                .iter()
                .all(|b| *b == "object" || self.class_index.contains_key(b));
            self.classes[i].makes_new_instances &= bases_known;
        }
        for i in 0..self.classes.len() {
            if self
                .ancestors(i)
                .any(|a| !self.classes[a].makes_new_instances)
            {
                self.classes[i].makes_new_instances = false;
            }
            if self.ancestors(i).any(|a| self.classes[a].is_enum) {
                self.classes[i].is_enum = true;
            }
            if self.ancestors(i).any(|a| self.classes[a].is_model) {
                self.classes[i].is_model = true;
            }
        }
    }

    /// Base classes defined in this module, transitively (cycle-safe).
    fn ancestors(&self, class: usize) -> impl Iterator<Item = usize> + '_ {
        let mut seen = vec![class];
        let mut stack = vec![class];
        std::iter::from_fn(move || {
            while let Some(c) = stack.pop() {
                for base in &self.classes[c].bases {
                    if let Some(&b) = self.class_index.get(base) {
                        if !seen.contains(&b) {
                            seen.push(b);
                            stack.push(b);
                            return Some(b);
                        }
                    }
                }
            }
            None
        })
    }

    fn collect_module_definitions(&mut self, suite: &'a [Stmt]) {
        for stmt in module_level(suite) {
            match stmt {
                Stmt::ClassDef(class) => {
                    let Some(&ci) = self.class_index.get(class.name.as_str()) else {
                        continue;
                    };
                    let scope = self.semantic.scope_of(class).unwrap_or(ScopeId::MODULE);
                    for item in &class.body {
                        match item {
                            Stmt::FunctionDef(method) => {
                                self.collect_self_definitions(ci, method, &class.body)
                            }
                            other => {
                                if let Some((target, value)) = single_assignment(other) {
                                    if let Expr::Name(n) = target {
                                        // A traitlets container trait (`pending = Dict()`)
                                        // is a descriptor: each instance gets its own.
                                        let per_instance = self.classes[ci].is_model
                                            || is_container_trait(value, self.semantic, scope);
                                        let value = if per_instance {
                                            field_factory(value, self.semantic, scope)
                                                .unwrap_or(value)
                                        } else {
                                            value
                                        };
                                        self.define(
                                            if per_instance {
                                                Owner::SelfAttr(ci)
                                            } else {
                                                Owner::ClassAttr(ci)
                                            },
                                            n.id.as_str(),
                                            if per_instance {
                                                format!("self.{}", n.id)
                                            } else {
                                                format!("{}.{}", class.name, n.id)
                                            },
                                            target.range(),
                                            other.range(),
                                            value,
                                            scope,
                                            None,
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                other => {
                    if let Some((Expr::Name(n), value)) = single_assignment(other) {
                        self.define(
                            Owner::Module,
                            n.id.as_str(),
                            n.id.to_string(),
                            n.range(),
                            other.range(),
                            value,
                            ScopeId::MODULE,
                            None,
                        );
                    }
                }
            }
        }
    }

    fn collect_self_definitions(
        &mut self,
        class: usize,
        method: &'a ast::StmtFunctionDef,
        class_body: &'a [Stmt],
    ) {
        let Some(self_name) = first_param(method) else {
            return;
        };
        let scope = self.semantic.scope_of(method).unwrap_or(ScopeId::MODULE);
        let mut defs = Vec::new();
        // Local containers later stored on self: `items = []; ...; self.items = items`.
        let mut locals: HashMap<&str, &Expr> = HashMap::default();
        for_each_stmt(&method.body, &mut |stmt| {
            if let Some((target, value)) = single_assignment(stmt) {
                match target {
                    Expr::Name(n) => {
                        locals.insert(n.id.as_str(), value);
                    }
                    Expr::Attribute(attr) if is_name(&attr.value, self_name) => {
                        let value = match value {
                            Expr::Name(n) => locals.get(n.id.as_str()).copied().unwrap_or(value),
                            // `self.conversation = self._load_conversation()`: the container
                            // the method builds and returns.
                            Expr::Call(call) => match call.func.as_ref() {
                                Expr::Attribute(m) if is_name(&m.value, self_name) => {
                                    built_and_returned(class_body, m.attr.as_str()).unwrap_or(value)
                                }
                                _ => value,
                            },
                            _ => value,
                        };
                        if let Some(held) = self.instance_class(method, value) {
                            self.held.insert((class, attr.attr.as_str()), held);
                        }
                        defs.push((attr.attr.as_str(), target.range(), stmt.range(), value));
                    }
                    _ => {}
                }
            }
        });
        let method_name = method.name.as_str();
        // A method that parks for good (`await asyncio.Event().wait()`) runs once:
        // what it first builds is the object's state for its life, not a reset.
        let recreated_in = (!is_init_like(method_name)
            && !crate::lint::blocks::parks_forever(&method.body))
        .then_some(method_name);
        // A class method's `cls.list = []` assigns the class attribute (a reassignment, when
        // the class body defines it), not one of each instance.
        let on_class = method
            .decorator_list
            .iter()
            .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "classmethod"));
        let class_name = self.classes[class].name;
        for (attr, range, stmt, value) in defs {
            let (owner, display) = if on_class {
                (Owner::ClassAttr(class), format!("{class_name}.{attr}"))
            } else {
                (Owner::SelfAttr(class), format!("self.{attr}"))
            };
            self.define(
                owner,
                attr,
                display,
                range,
                stmt,
                value,
                scope,
                recreated_in,
            );
        }
    }

    /// The class of this module whose instance `value` is: `Cache()`, or a parameter of
    /// `method` annotated `Cache` (or `"Cache"`).
    fn instance_class(&self, method: &ast::StmtFunctionDef, value: &Expr) -> Option<usize> {
        let class_name = match value {
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Name(n) => n.id.as_str(),
                _ => return None,
            },
            Expr::Name(n) => {
                let param = method
                    .parameters
                    .iter_non_variadic_params()
                    .find(|p| p.parameter.name.as_str() == n.id.as_str())?;
                match param.parameter.annotation.as_deref()? {
                    Expr::Name(a) => a.id.as_str(),
                    Expr::StringLiteral(s) => s.value.to_str(),
                    _ => return None,
                }
            }
            _ => return None,
        };
        self.class_index.get(class_name).copied()
    }

    #[allow(clippy::too_many_arguments)]
    fn define(
        &mut self,
        owner: Owner,
        attr: &str,
        display: String,
        range: TextRange,
        def_stmt: TextRange,
        value: &Expr,
        scope: ScopeId,
        recreated_in: Option<&str>,
    ) {
        let key = (owner, attr.to_string());
        if self.by_key.contains_key(&key) {
            // A second initialization: counted as a reassignment by the use walk.
            return;
        }
        if attr.starts_with("__") && attr.ends_with("__") {
            return;
        }
        let Some(kind) = self.container_kind(value, scope) else {
            return;
        };
        let class = match owner {
            Owner::ClassAttr(ci) | Owner::SelfAttr(ci) => Some(self.classes[ci].name.to_string()),
            Owner::Module | Owner::Imported | Owner::Local => None,
        };
        self.by_key.insert(key, self.containers.len());
        let mut container = Container::new(
            display,
            class,
            attr.to_string(),
            owner,
            kind,
            range,
            def_stmt,
        );
        container.record_literal = records::is_record_literal(value);
        // First built in an ordinary method: each call of that method starts it afresh.
        container.bound = recreated_in.map(|m| (range, format!("re-created in `{m}`")));
        container.bound_at_definition = container.bound.is_some();
        self.containers.push(container);
    }

    /// The kind of container an initializer builds, or `None` when it is not a tracked (or is a
    /// bounded) container.
    fn container_kind(&self, value: &Expr, scope: ScopeId) -> Option<ContainerKind> {
        match value {
            // A bare type is a field's default factory (`field(default_factory=list)`).
            Expr::Name(_) | Expr::Attribute(_) => {
                match self.semantic.qualified_name(scope, value)?.as_str() {
                    "builtins.list" => Some(ContainerKind::List),
                    "builtins.set" => Some(ContainerKind::Set),
                    "builtins.dict" | "collections.OrderedDict" => Some(ContainerKind::Dict),
                    "collections.Counter" => Some(ContainerKind::Counter),
                    "collections.deque" => Some(ContainerKind::Deque),
                    _ => None,
                }
            }
            Expr::List(_) | Expr::ListComp(_) => Some(ContainerKind::List),
            Expr::Set(_) | Expr::SetComp(_) => Some(ContainerKind::Set),
            Expr::Dict(_) | Expr::DictComp(_) => Some(ContainerKind::Dict),
            Expr::Call(call) => {
                let q = self.semantic.qualified_name(scope, &call.func)?;
                if self.options.bounded_types.iter().any(|b| b == &q) {
                    return None;
                }
                match q.as_str() {
                    "builtins.list" => Some(ContainerKind::List),
                    "builtins.set" => Some(ContainerKind::Set),
                    "builtins.dict"
                    | "collections.OrderedDict"
                    | "typing.OrderedDict"
                    // `dict.fromkeys(CHANNELS, 0.0)`: seeded from a fixed list, but a dict like
                    // any other once keys are added.
                    | "builtins.dict.fromkeys"
                    | "collections.OrderedDict.fromkeys" => Some(ContainerKind::Dict),
                    "collections.Counter" | "typing.Counter" => Some(ContainerKind::Counter),
                    trait_name if CONTAINER_TRAITS.contains(&trait_name) => {
                        match trait_name.rsplit('.').next() {
                            Some("Dict") => Some(ContainerKind::Dict),
                            Some("Set") => Some(ContainerKind::Set),
                            _ => {
                                let bounded = call.arguments.find_keyword("maxlen").is_some();
                                (!bounded).then_some(ContainerKind::List)
                            }
                        }
                    }
                    "collections.deque" => {
                        let bounded = call
                            .arguments
                            .find_argument_value("maxlen", 1)
                            .is_some_and(|v| !v.is_none_literal_expr());
                        (!bounded).then_some(ContainerKind::Deque)
                    }
                    "collections.defaultdict" => {
                        let factory = call.arguments.find_argument_value("default_factory", 0);
                        // With no factory a missing key raises `KeyError` as in a plain dict:
                        // only a store adds one.
                        if factory.is_none_or(Expr::is_none_literal_expr) {
                            return Some(ContainerKind::Dict);
                        }
                        let per_key_bound =
                            factory.is_some_and(|f| self.is_bounded_factory(f, scope));
                        Some(ContainerKind::DefaultDict { per_key_bound })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `lambda: deque(maxlen=N)`, `partial(deque, maxlen=N)`, or a configured bounded type.
    fn is_bounded_factory(&self, factory: &Expr, scope: ScopeId) -> bool {
        let body = match factory {
            Expr::Lambda(l) => l.body.as_ref(),
            other => other,
        };
        match body {
            Expr::Call(call) => {
                let q = self
                    .semantic
                    .qualified_name(scope, &call.func)
                    .unwrap_or_default();
                let maxlen = call.arguments.find_keyword("maxlen").is_some()
                    || call.arguments.find_keyword("maxsize").is_some()
                    || call.arguments.args.get(1).is_some();
                (q == "collections.deque" && maxlen)
                    || (q == "functools.partial" && call.arguments.find_keyword("maxlen").is_some())
                    || q.starts_with("cachetools.")
                    || self.options.bounded_types.contains(&q)
            }
            other => self
                .semantic
                .qualified_name(scope, other)
                .is_some_and(|q| self.options.bounded_types.contains(&q)),
        }
    }

    /// The container a reference denotes, if any.
    fn lookup(&self, scope: ScopeId, class: Option<(usize, &str)>, expr: &Expr) -> Option<usize> {
        match expr {
            Expr::Name(name) => {
                let resolved = self.semantic.resolve(scope, name.id.as_str(), name.start());
                match resolved {
                    Resolved::Binding(ScopeId::MODULE, b)
                        if !matches!(b.kind, BindingKind::Import(_)) =>
                    {
                        self.by_key
                            .get(&(Owner::Module, name.id.to_string()))
                            .copied()
                    }
                    Resolved::Binding(_, b) if self.any_imported => match &b.kind {
                        BindingKind::Import(q) => {
                            self.by_key.get(&(Owner::Imported, q.clone())).copied()
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            Expr::Attribute(attr) => {
                let name = attr.attr.as_str();
                if let (Expr::Attribute(holder), Some((ci, self_name))) =
                    (attr.value.as_ref(), class)
                {
                    // `self.cache.orders`: the container of the instance `self.cache` holds.
                    if !is_name(&holder.value, self_name) {
                        return None;
                    }
                    let held = std::iter::once(ci)
                        .chain(self.ancestors(ci))
                        .find_map(|c| self.held.get(&(c, holder.attr.as_str())))?;
                    return self.member(*held, name, true);
                }
                let Expr::Name(owner) = attr.value.as_ref() else {
                    return None;
                };
                if self.any_imported {
                    if let Some(q) = imported::imported_name(self.semantic, scope, expr) {
                        if let Some(&c) = self.by_key.get(&(Owner::Imported, q)) {
                            return Some(c);
                        }
                    }
                }
                if let Some((ci, self_name)) = class {
                    if owner.id.as_str() == self_name {
                        return self.member(ci, name, true);
                    }
                }
                let ci = *self.class_index.get(owner.id.as_str())?;
                self.member(ci, name, false)
            }
            _ => None,
        }
    }

    /// `self.<name>` or `Class.<name>` in class `ci` or a base class defined in the module.
    fn member(&self, ci: usize, name: &str, via_self: bool) -> Option<usize> {
        std::iter::once(ci).chain(self.ancestors(ci)).find_map(|c| {
            let own = via_self
                .then(|| self.by_key.get(&(Owner::SelfAttr(c), name.to_string())))
                .flatten();
            own.or_else(|| self.by_key.get(&(Owner::ClassAttr(c), name.to_string())))
                .copied()
        })
    }
}

/// A class whose class-level assignments declare per-instance fields with defaults: a
/// `@dataclass`, an attrs class, a pydantic model (by decorator or base).
pub(crate) fn is_model_class(class: &ast::StmtClassDef, semantic: &SemanticModel) -> bool {
    const DECORATORS: &[&str] = &[
        "dataclasses.dataclass",
        "attr.s",
        "attr.attrs",
        "attr.define",
        "attr.frozen",
        "attr.mutable",
        "attrs.define",
        "attrs.frozen",
        "attrs.mutable",
        "pydantic.dataclasses.dataclass",
    ];
    // Pydantic models under other names: LangChain's runnables, tools and models are pydantic
    // models, and so are SQLModel tables.
    const BASES: &[&str] = &[
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.v1.BaseModel",
        "pydantic_settings.BaseSettings",
        "msgspec.Struct",
        "sqlmodel.SQLModel",
        "langchain_core.pydantic_v1.BaseModel",
        "langchain.pydantic_v1.BaseModel",
        "langchain_core.load.serializable.Serializable",
        "langchain_core.runnables.RunnableSerializable",
        "langchain_core.runnables.base.RunnableSerializable",
        "langchain_core.tools.BaseTool",
        "langchain_core.tools.base.BaseTool",
        "langchain.tools.BaseTool",
        "langchain_core.language_models.BaseChatModel",
        "langchain_core.language_models.chat_models.BaseChatModel",
        "langchain_core.language_models.BaseLLM",
        "langchain_core.language_models.llms.BaseLLM",
        "langchain.chains.base.Chain",
        "langchain.agents.AgentExecutor",
    ];
    class.decorator_list.iter().any(|d| {
        let e = match &d.expression {
            Expr::Call(c) => c.func.as_ref(),
            other => other,
        };
        semantic
            .qualified_name(ScopeId::MODULE, e)
            .is_some_and(|q| DECORATORS.contains(&q.as_str()))
    }) || class.arguments.iter().flat_map(|a| a.args.iter()).any(|b| {
        // `RunnableSerializable[Dict, Output]`: the generic base itself.
        let b = match b {
            Expr::Subscript(s) => s.value.as_ref(),
            other => other,
        };
        semantic
            .qualified_name(ScopeId::MODULE, b)
            .is_some_and(|q| {
                BASES.contains(&q.as_str()) || MODEL_MODULES.iter().any(|m| q.starts_with(m))
            })
    })
}

/// Modules whose classes are all pydantic models: LangChain's language models, the `LLM` and
/// chat-model wrappers a project subclasses (`class H2OLlamaCpp(LlamaCpp)`).
const MODEL_MODULES: &[&str] = &[
    "langchain_core.language_models.",
    "langchain.llms.",
    "langchain.chat_models.",
    "langchain_community.llms.",
    "langchain_community.chat_models.",
];

/// traitlets' container traits: declared on a class, each instance gets its own container.
const CONTAINER_TRAITS: &[&str] = &[
    "traitlets.Dict",
    "traitlets.List",
    "traitlets.Set",
    "traitlets.traitlets.Dict",
    "traitlets.traitlets.List",
    "traitlets.traitlets.Set",
];

/// A traitlets container trait declared on a class (`all_ids = Set()`, `pending = Dict()`).
fn is_container_trait(value: &Expr, semantic: &SemanticModel, scope: ScopeId) -> bool {
    let Expr::Call(call) = value else {
        return false;
    };
    semantic
        .qualified_name(scope, &call.func)
        .is_some_and(|q| CONTAINER_TRAITS.contains(&q.as_str()))
}

/// The container a field's default factory builds, as an expression that builds one:
/// `field(default_factory=list)`, `attrs.field(factory=dict)`, `Field(default_factory=set)`,
/// `attrs.Factory(list)`.
fn field_factory<'e>(
    value: &'e Expr,
    semantic: &SemanticModel,
    scope: ScopeId,
) -> Option<&'e Expr> {
    let Expr::Call(call) = value else {
        return None;
    };
    let q = semantic.qualified_name(scope, &call.func)?;
    let factory = match q.rsplit('.').next()? {
        "field" | "Field" | "ib" | "attrib" => call
            .arguments
            .find_keyword("default_factory")
            .or_else(|| call.arguments.find_keyword("factory"))
            .map(|k| &k.value)
            .or_else(|| call.arguments.find_keyword("default").map(|k| &k.value))?,
        "Factory" => call.arguments.args.first()?,
        _ => return None,
    };
    match factory {
        Expr::Lambda(l) => Some(&l.body),
        // `attr.ib(default=attr.Factory(dict))`: the default is itself a factory.
        Expr::Call(_) if !std::ptr::eq(factory, value) => {
            field_factory(factory, semantic, scope).or(Some(factory))
        }
        other => Some(other),
    }
}

/// Module-level functions that only module-level code calls (calls while the module is imported,
/// `@decorator` lines) and that no function body names: whatever they add, they add once. A
/// function handed on as a value at module level (`ToolSpec(functions=[view_image])`,
/// `atexit.register(cleanup)`) is not run there, and whoever receives it may call it any number
/// of times; so may one called in a `while` loop at module level (`while True: handle(recv())`
/// in the `__main__` block), which is the program's service loop.
fn import_time_only_functions(suite: &[Stmt]) -> HashSet<&str> {
    struct Refs<'a> {
        depth: usize,
        /// `while` loops around the walk at module level.
        in_while: usize,
        at_module: HashSet<&'a str>,
        /// Names used as values: anywhere in a function body, or handed on at module level.
        as_values: HashSet<&'a str>,
    }
    impl<'a> Refs<'a> {
        /// `f(...)` or `@f` / `@f(...)` at module level: `f` runs (or is applied) at import.
        fn called_at_import(&mut self, callee: &'a Expr) {
            if let Expr::Name(n) = callee {
                if self.in_while > 0 {
                    self.as_values.insert(n.id.as_str());
                } else {
                    self.at_module.insert(n.id.as_str());
                }
            } else {
                self.visit_expr(callee);
            }
        }
    }
    impl<'a> Visitor<'a> for Refs<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::FunctionDef(f) = stmt {
                for d in &f.decorator_list {
                    self.visit_decorator(d);
                }
                self.depth += 1;
                self.visit_body(&f.body);
                self.depth -= 1;
            } else if let Stmt::While(_) = stmt {
                self.in_while += 1;
                visitor::walk_stmt(self, stmt);
                self.in_while -= 1;
            } else if matches!(stmt, Stmt::If(i)
                if self.depth == 0 && crate::lint::blocks::is_main_guard(&i.test))
            {
                // What only the `__main__` block calls may be a demonstration of a function
                // that other modules import and call per event (wcgw's `get_tool_output`, which
                // the MCP server's tool handler calls): the project sees every caller
                // (`SharedContainer::grown_in`). Names it hands on still count as values.
                self.depth += 1;
                visitor::walk_stmt(self, stmt);
                self.depth -= 1;
            } else {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_decorator(&mut self, decorator: &'a ast::Decorator) {
            match &decorator.expression {
                Expr::Call(call) if self.depth == 0 => {
                    self.called_at_import(&call.func);
                    self.visit_arguments(&call.arguments);
                }
                e if self.depth == 0 => self.called_at_import(e),
                e => self.visit_expr(e),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Call(call) if self.depth == 0 => {
                    self.called_at_import(&call.func);
                    self.visit_arguments(&call.arguments);
                }
                // `del helper` at module level ends a helper's life at import.
                Expr::Name(n) if self.depth == 0 && matches!(n.ctx, ast::ExprContext::Del) => {
                    self.at_module.insert(n.id.as_str());
                }
                Expr::Name(n) if matches!(n.ctx, ast::ExprContext::Load) => {
                    self.as_values.insert(n.id.as_str());
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut refs = Refs {
        depth: 0,
        in_while: 0,
        at_module: HashSet::default(),
        as_values: HashSet::default(),
    };
    refs.visit_body(suite);
    module_level(suite)
        .into_iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f.name.as_str()),
            _ => None,
        })
        .filter(|name| refs.at_module.contains(name) && !refs.as_values.contains(name))
        .collect()
}

/// Whether `value` holds the items of `target` again: `list(set(x))`, `sorted(x)`,
/// `list(dict.fromkeys(x))`, nested. A slice, a filter or a new value are not.
pub(crate) fn same_items(value: &Expr, target: &Expr) -> bool {
    if ruff_python_ast::comparable::ComparableExpr::from(value)
        == ruff_python_ast::comparable::ComparableExpr::from(target)
    {
        return true;
    }
    let Expr::Call(call) = value else {
        return false;
    };
    let [arg] = &call.arguments.args[..] else {
        return false;
    };
    // `sorted(x, key=...)` keeps every item; other keywords may not.
    let only_order = call
        .arguments
        .keywords
        .iter()
        .all(|k| matches!(k.arg.as_deref(), Some("key" | "reverse")));
    let reshapes = match call.func.as_ref() {
        Expr::Name(n) => matches!(
            n.id.as_str(),
            "list" | "set" | "sorted" | "tuple" | "dict" | "frozenset" | "deque"
        ),
        Expr::Attribute(a) => {
            a.attr.as_str() == "fromkeys"
                && matches!(a.value.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "dict" | "OrderedDict"))
        }
        _ => false,
    };
    only_order && reshapes && same_items(arg, target)
}

/// The container literal that method `name` of a class body builds and returns on every path:
/// each `return` hands back a literal (`{}`, `[]`, `{"default": [...]}`) or a local bound once
/// to one and only filled in place (`conversations = {...}; for ...: conversations[k] = v;
/// return conversations`). What else it may return (a loaded document, another object's
/// attribute) has no kind the code shows.
fn built_and_returned<'a>(class_body: &'a [Stmt], name: &str) -> Option<&'a Expr> {
    // The last definition of the name is the one the class keeps.
    let method = class_body.iter().rev().find_map(|s| match s {
        Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
        _ => None,
    })?;
    // No decorator may hand back something else, and no path may fall off the end (`None`).
    if !method.decorator_list.is_empty()
        || !matches!(method.body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
    {
        return None;
    }
    let bound = crate::lint::blocks::bound_once(&method.body);
    let literal = |e: &'a Expr| -> Option<&'a Expr> {
        let e = match e {
            Expr::Name(n) => bound
                .iter()
                .find(|(local, _)| *local == n.id.as_str())
                .map(|(_, v)| *v)?,
            other => other,
        };
        matches!(
            e,
            Expr::Dict(_)
                | Expr::DictComp(_)
                | Expr::List(_)
                | Expr::ListComp(_)
                | Expr::Set(_)
                | Expr::SetComp(_)
        )
        .then_some(e)
    };
    let mut returned: Option<&'a Expr> = None;
    let mut all = true;
    crate::lint::blocks::for_each_stmt(&method.body, &mut |stmt| {
        if let Stmt::Return(r) = stmt {
            match r.value.as_deref().and_then(literal) {
                Some(e)
                    if returned.is_none_or(|first| {
                        std::mem::discriminant(first) == std::mem::discriminant(e)
                    }) =>
                {
                    returned.get_or_insert(e);
                }
                _ => all = false,
            }
        }
    });
    returned.filter(|_| all)
}
