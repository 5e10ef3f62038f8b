//! Methods that only run while modules are imported: `worker_registry.add_state_listener(f)` at
//! the top of another module, and no function anywhere naming `add_state_listener`. What such a
//! method adds to its container, it adds a fixed number of times.
//!
//! Phase one keeps, per module, the method names its module-level code calls, hashes of the
//! attribute names its functions use (a called method, a bound method handed on as a callback),
//! and the `self.m(...)` calls that lead to its growing methods. Linking keeps the names called
//! at import, directly or through such calls, that no other function of the project uses. The
//! hashes can only err towards "used", which keeps a finding.

use super::{ModuleFacts, Name};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// The attribute names a module's functions use, as sorted 32-bit hashes: four bytes a name.
/// A Bloom filter was smaller, but its false "maybe"s add up over the modules of a project
/// (with a few percent each, a name looked up in twenty modules was "used" nearly every other
/// time); a 32-bit hash errs once in billions per module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrNameHashes(Vec<u32>);

impl AttrNameHashes {
    pub(crate) fn with_names(names: &FxHashSet<&str>) -> Self {
        let mut hashes: Vec<u32> = names.iter().map(|n| hash(n)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        AttrNameHashes(hashes)
    }

    /// `false` when `name` was never inserted; `true` when it was (or, rarely, when another
    /// name has the same hash, which errs towards "used" and keeps a finding).
    pub(crate) fn may_contain(&self, name: &str) -> bool {
        self.0.binary_search(&hash(name)).is_ok()
    }

    pub(crate) fn hashes(&self) -> &[u32] {
        &self.0
    }
}

/// FNV-1a, folded to 32 bits.
pub(crate) fn hash(name: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 32)) as u32
}

/// What [`collect`] finds in a module.
pub struct ImportCalls {
    /// Method names module-level code calls, decorators of module-level definitions included.
    pub at_import: Vec<Name>,
    /// Attribute names functions use, except the calls [`ImportCalls::edges`] keeps, the
    /// attributes module-level code hands on uncalled (`Thread(target=store.flush)`), and the
    /// growing functions named as values anywhere (`lib.hook = _patched_spawn`).
    pub in_functions: AttrNameHashes,
    /// `(caller, callee)`: a function of the module calls `self.callee(...)` where `callee` adds
    /// to a container of this module, directly or through such calls. The caller is the
    /// function's name, or the decorator factory's for a call in the decorator it returns
    /// (`def message_handler(...): def decorator(f): self.add_handler(f); return f`), which
    /// runs once per decorated definition; empty for a call in another nested function (a
    /// callback, which may run any time).
    pub edges: Vec<(Name, Name)>,
    /// The decorator factories among the callers of `edges`.
    pub factories: Vec<Name>,
    /// `(class, method)`: an initializer of the module's class `class` calls `x.method(...)` on
    /// an object other than its own (`module.add_stop_method(self.stop)` in `__init__`). Such
    /// a call runs once per instance of `class`; kept apart from `in_functions`.
    pub from_initializers: Vec<(Name, Name)>,
    /// `(function, method)`: a module-level function of the module calls `x.method(...)` on
    /// an object other than its own (`ledger.startup_ledger()` in `start_mint`), outside loops
    /// whose rounds nothing bounds. Such a call runs a fixed number of times per call of the
    /// function: a fixed number in all when only start-up code calls it, which linking
    /// decides. Kept apart from `in_functions`.
    pub from_functions: Vec<(Name, Name)>,
}

/// The method names module-level code calls (`x.m(...)`, also in `if`/`try` blocks, the
/// `__main__` block and the decorators of module-level definitions, not in function or class
/// bodies), the hashes of attribute names used inside functions, and the calls between methods
/// that lead to the module's `growth` methods.
pub fn collect(suite: &[Stmt], growth: &[Name]) -> ImportCalls {
    let leads_to_growth = methods_leading_to(suite, growth);
    struct Walk<'a, 'g> {
        depth: usize,
        /// The functions the walk is in, outermost first: (name, is a decorator it returns).
        functions: Vec<(&'a str, bool)>,
        leads_to_growth: &'g FxHashSet<&'a str>,
        /// The module's growing methods, by name.
        growth: &'g [Name],
        at_import: Vec<&'a str>,
        in_functions: FxHashSet<&'a str>,
        edges: Vec<(&'a str, &'a str)>,
        factories: Vec<&'a str>,
        /// Per function the walk is in: the receivers it binds to an instance it makes.
        fresh: Vec<Vec<Receiver<'a>>>,
        /// Loops around the walk within the current function: a call there repeats.
        loops: usize,
        /// Those of them that run until the process is stopped ([`repeats_without_end`]).
        endless: usize,
        /// Those of them whose rounds nothing in sight bounds: every `while`, every `async for`,
        /// and a `for` over anything but what [`walks_a_fixed_collection`] accepts.
        unbounded: usize,
        /// Per class the walk is in: its methods that run once per instance (initializers and
        /// what only they call), and the `self` attributes its initializers bind to an
        /// instance they make.
        classes: Vec<(Vec<&'a str>, Vec<Receiver<'a>>)>,
        /// The names of the classes the walk is in, innermost last.
        class_names: Vec<&'a str>,
        from_initializers: Vec<(&'a str, &'a str)>,
        from_functions: Vec<(&'a str, &'a str)>,
    }
    impl<'a> Walk<'a, '_> {
        /// Whether `value` is a receiver the current function bound to an instance it made.
        fn is_fresh(&self, value: &Expr) -> bool {
            let Some(fresh) = self.fresh.last() else {
                return false;
            };
            if self.loops > 0 {
                return false;
            }
            receiver(value).is_some_and(|r| fresh.contains(&r))
        }
        /// Who a call in the current function is made by, as [`ImportCalls::edges`] names it,
        /// and whether it is made in a decorator that caller returns.
        fn caller(&self) -> (&'a str, bool) {
            let mut at = self.functions.len();
            while at > 1 && self.functions[at - 1].1 {
                at -= 1;
            }
            let in_decorator = at < self.functions.len();
            let name = match at {
                1 => self.functions[0].0,
                // A method of a class, or a decorator inside one.
                2 if self.functions.len() >= 2 && self.functions[0].0.is_empty() => {
                    self.functions[1].0
                }
                _ => "",
            };
            (name, in_decorator && !name.is_empty())
        }
        /// The class whose initializer the walk is directly in (outside loops that run until
        /// stopped, nested functions and lambdas).
        fn in_initializer(&self) -> Option<&'a str> {
            let n = self.functions.len();
            if n < 2 || self.endless > 0 || !self.functions[n - 2].0.is_empty() {
                return None;
            }
            let (method, _) = self.functions[n - 1];
            if !crate::lint::containers::is_init_like(method) {
                return None;
            }
            self.class_names.last().copied()
        }
        /// The module-level function the walk is directly in, outside nested functions,
        /// lambdas and loops whose rounds nothing bounds. A `for` over a collection the code or
        /// the configuration holds (`for name, conf in config["agents"].items():`) runs once
        /// per item each time the function runs; one over a stream (`for msg in consumer:`,
        /// `async for`) or a `while` may run for the life of the process.
        fn in_module_function(&self) -> Option<&'a str> {
            match self.functions.as_slice() {
                [(name, _)] if !name.is_empty() && self.unbounded == 0 => Some(name),
                _ => None,
            }
        }
    }
    impl<'a> Visitor<'a> for Walk<'a, '_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(f) => {
                    // Decorators run where the definition is, when it is executed. A property's
                    // `@name.setter` names the property being defined, not a use of it.
                    for d in f
                        .decorator_list
                        .iter()
                        .filter(|d| !crate::lint::blocks::is_property_accessor(&d.expression))
                    {
                        self.visit_expr(&d.expression);
                    }
                    // Defined in a function (not a class body) and handing back its argument.
                    let decorator = self.functions.last().is_some_and(|(n, _)| !n.is_empty())
                        && returns_decorated(f);
                    let mut fresh = made_here(&f.body);
                    // A method that runs once per instance reaches the instances its
                    // initializers made: `self.bot = Bot()` in `__init__`, which then calls
                    // `self._setup()` to register on it.
                    let in_class = self.functions.last().is_some_and(|(n, _)| n.is_empty());
                    if let (true, Some((once, made))) = (in_class, self.classes.last()) {
                        if once.contains(&f.name.as_str()) {
                            fresh.extend(made.iter().copied());
                        }
                    }
                    self.functions.push((f.name.as_str(), decorator));
                    self.fresh.push(fresh);
                    let loops = std::mem::take(&mut self.loops);
                    let endless = std::mem::take(&mut self.endless);
                    self.depth += 1;
                    self.visit_parameters(&f.parameters);
                    if let Some(returns) = &f.returns {
                        self.visit_annotation(returns);
                    }
                    self.visit_body(&f.body);
                    self.depth -= 1;
                    self.loops = loops;
                    self.endless = endless;
                    self.functions.pop();
                    self.fresh.pop();
                }
                Stmt::For(_) | Stmt::While(_) => {
                    let endless = matches!(stmt, Stmt::While(w) if repeats_without_end(w));
                    let unbounded = match stmt {
                        Stmt::For(f) => f.is_async || !walks_a_fixed_collection(&f.iter),
                        _ => true,
                    };
                    self.loops += 1;
                    self.endless += usize::from(endless);
                    self.unbounded += usize::from(unbounded);
                    visitor::walk_stmt(self, stmt);
                    self.unbounded -= usize::from(unbounded);
                    self.endless -= usize::from(endless);
                    self.loops -= 1;
                }
                Stmt::ClassDef(c) => {
                    for d in &c.decorator_list {
                        self.visit_expr(&d.expression);
                    }
                    // Methods are named by themselves; the class is a frame with no name.
                    self.functions.push(("", false));
                    self.fresh.push(Vec::new());
                    self.classes.push(once_per_instance(c));
                    self.class_names.push(c.name.as_str());
                    self.depth += 1;
                    if let Some(arguments) = &c.arguments {
                        self.visit_arguments(arguments);
                    }
                    self.visit_body(&c.body);
                    self.depth -= 1;
                    self.functions.pop();
                    self.fresh.pop();
                    self.classes.pop();
                    self.class_names.pop();
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            // A lambda's body runs when it is called, like a function's.
            if let Expr::Lambda(_) = expr {
                self.depth += 1;
                self.functions.push(("", false));
                self.fresh.push(Vec::new());
                visitor::walk_expr(self, expr);
                self.fresh.pop();
                self.functions.pop();
                self.depth -= 1;
                return;
            }
            match expr {
                // A call in a loop at module level that runs until the process is stopped (the
                // `while True:` of a `__main__` block) repeats without end, as in a function.
                Expr::Call(call) if self.depth == 0 && self.endless > 0 => {
                    if let Expr::Attribute(a) = call.func.as_ref() {
                        self.in_functions.insert(a.attr.as_str());
                    }
                }
                Expr::Call(call) if self.depth == 0 => {
                    if let Expr::Attribute(a) = call.func.as_ref() {
                        self.at_import.push(a.attr.as_str());
                        self.visit_expr(&a.value);
                        self.visit_arguments(&call.arguments);
                        return;
                    }
                }
                // An assignment at import runs a property's setter there, once
                // (`MAP.portal_data = [...]` in each map module).
                Expr::Attribute(a) if self.depth == 0 && a.ctx.is_store() => {
                    self.at_import.push(a.attr.as_str());
                }
                // A bound method handed on at import (`Thread(target=store.flush)`,
                // `bot.add_listener(stats.on_message)`) runs whenever its receiver calls it.
                Expr::Attribute(a) if self.depth == 0 => {
                    self.in_functions.insert(a.attr.as_str());
                }
                Expr::Call(call) if self.depth > 0 => {
                    if let Expr::Attribute(a) = call.func.as_ref() {
                        // `agent = Agent(...); agent.include(p)`: it adds to the instance just
                        // made, once per instance, as code at import adds once.
                        if self.is_fresh(&a.value) {
                            self.at_import.push(a.attr.as_str());
                            self.visit_expr(&a.value);
                            self.visit_arguments(&call.arguments);
                            return;
                        }
                        let on_self = matches!(a.value.as_ref(),
                            Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls"));
                        if on_self && self.leads_to_growth.contains(a.attr.as_str()) {
                            // A call in a service loop (`start()` polling `self.run_all_rules()`
                            // until stopped) repeats however few times its method is called:
                            // no caller bounds it, as for a callback.
                            let (caller, factory) = if self.endless > 0 {
                                ("", false)
                            } else {
                                self.caller()
                            };
                            self.edges.push((caller, a.attr.as_str()));
                            if factory {
                                self.factories.push(caller);
                            }
                            self.visit_arguments(&call.arguments);
                            return;
                        }
                        if let (false, Some(class)) = (on_self, self.in_initializer()) {
                            self.from_initializers.push((class, a.attr.as_str()));
                            self.visit_expr(&a.value);
                            self.visit_arguments(&call.arguments);
                            return;
                        }
                        if let (false, Some(function)) = (on_self, self.in_module_function()) {
                            self.from_functions.push((function, a.attr.as_str()));
                            self.visit_expr(&a.value);
                            self.visit_arguments(&call.arguments);
                            return;
                        }
                    }
                }
                Expr::Attribute(a) if self.depth > 0 => {
                    self.in_functions.insert(a.attr.as_str());
                }
                // A growing function handed on by name (`lib.hook = _patched_spawn`, a nested
                // callback) runs whenever its receiver calls it.
                Expr::Name(n)
                    if n.ctx.is_load()
                        && self.growth.iter().any(|g| g.as_str() == n.id.as_str()) =>
                {
                    self.in_functions.insert(n.id.as_str());
                }
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut walk = Walk {
        depth: 0,
        functions: Vec::new(),
        leads_to_growth: &leads_to_growth,
        growth,
        at_import: Vec::new(),
        in_functions: FxHashSet::default(),
        edges: Vec::new(),
        factories: Vec::new(),
        fresh: Vec::new(),
        loops: 0,
        endless: 0,
        unbounded: 0,
        classes: Vec::new(),
        class_names: Vec::new(),
        from_initializers: Vec::new(),
        from_functions: Vec::new(),
    };
    walk.visit_body(suite);
    let mut names = walk.at_import;
    names.sort_unstable();
    names.dedup();
    let mut edges = walk.edges;
    edges.sort_unstable();
    edges.dedup();
    let mut factories = walk.factories;
    factories.sort_unstable();
    factories.dedup();
    ImportCalls {
        at_import: names.iter().map(|n| Name::new(n)).collect(),
        in_functions: AttrNameHashes::with_names(&walk.in_functions),
        edges: edges
            .into_iter()
            .map(|(a, b)| (Name::new(a), Name::new(b)))
            .collect(),
        factories: factories.into_iter().map(Name::new).collect(),
        from_initializers: sorted_pairs(walk.from_initializers),
        from_functions: sorted_pairs(walk.from_functions),
    }
}

fn sorted_pairs(mut pairs: Vec<(&str, &str)>) -> Vec<(Name, Name)> {
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .into_iter()
        .map(|(a, b)| (Name::new(a), Name::new(b)))
        .collect()
}

/// What a `for` loop walks when it is a collection the code or the configuration holds: a
/// literal, `range(...)`, a constant (`PLUGINS`), an attribute or item of an object
/// (`conf.configs["notifications"]`), or their `.items()`, `.keys()` or `.values()`. Not a
/// local or a call result, which may be a stream that never ends (`for msg in consumer:`).
fn walks_a_fixed_collection(iter: &Expr) -> bool {
    match iter {
        Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) | Expr::Dict(_) => true,
        Expr::Name(n) => crate::lint::containers::is_constant_name(n.id.as_str()),
        Expr::Attribute(_) | Expr::Subscript(_) => true,
        Expr::Call(c) => match c.func.as_ref() {
            Expr::Name(n) => n.id.as_str() == "range",
            Expr::Attribute(a) => {
                matches!(a.attr.as_str(), "items" | "keys" | "values")
                    && c.arguments.is_empty()
                    && walks_a_fixed_collection(&a.value)
            }
            _ => false,
        },
        _ => false,
    }
}

/// A `while` loop that runs until the process stops it: `while True:`, `while not
/// stop.is_set():` (`blocks::repeats_until_stopped`), or a flag on `self` that only stopping
/// clears (`while self.running:`, `while not self._closed:`).
fn repeats_without_end(w: &ast::StmtWhile) -> bool {
    crate::lint::blocks::repeats_until_stopped(w)
        || (crate::lint::blocks::tests_flag_on(&w.test, "self")
            && !crate::lint::blocks::counts_to_limit(&w.body))
}

/// A receiver of method calls a function may bind to a new instance: a local, or an attribute
/// of its `self`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Receiver<'a> {
    Local(&'a str),
    OnSelf(&'a str),
}

fn receiver(value: &Expr) -> Option<Receiver<'_>> {
    match value {
        Expr::Name(n) => Some(Receiver::Local(n.id.as_str())),
        Expr::Attribute(a) => match a.value.as_ref() {
            Expr::Name(n) if n.id.as_str() == "self" => Some(Receiver::OnSelf(a.attr.as_str())),
            _ => None,
        },
        _ => None,
    }
}

/// The receivers a function body binds (outside nested functions and classes) to an instance
/// it makes there: `agent = Agent(...)`, `self.bot = Bot(...)`, the callee named as a class
/// (capitalized). Each is bound to nothing else in the body, so every call on it reaches the
/// instance made there.
fn made_here(body: &[Stmt]) -> Vec<Receiver<'_>> {
    let mut made: Vec<Receiver<'_>> = Vec::new();
    let mut other: Vec<Receiver<'_>> = Vec::new();
    crate::lint::blocks::for_each_stmt(body, &mut |stmt| {
        let (targets, value): (&[Expr], Option<&Expr>) = match stmt {
            Stmt::Assign(a) => (&a.targets, Some(&a.value)),
            Stmt::AnnAssign(a) => (std::slice::from_ref(&a.target), a.value.as_deref()),
            Stmt::AugAssign(a) => (std::slice::from_ref(&a.target), None),
            Stmt::For(f) => (std::slice::from_ref(&f.target), None),
            Stmt::With(w) => {
                for item in &w.items {
                    other.extend(item.optional_vars.as_deref().and_then(receiver));
                }
                return;
            }
            _ => return,
        };
        let constructed = value.is_some_and(|v| matches!(v, Expr::Call(c) if names_class(&c.func)));
        for t in targets {
            // Names unpacked from a tuple are bound to something else than a new instance.
            let parts = match t {
                Expr::Tuple(tuple) => Some(&tuple.elts),
                Expr::List(list) => Some(&list.elts),
                _ => None,
            };
            if let Some(parts) = parts {
                other.extend(parts.iter().filter_map(receiver));
                continue;
            }
            if let Some(r) = receiver(t) {
                if constructed {
                    made.push(r);
                } else {
                    other.push(r);
                }
            }
        }
    });
    made.retain(|r| !other.contains(r));
    made
}

/// A class's methods that run once per instance, and the `self` attributes its initializers
/// bind to instances they make (see [`made_here`]).
///
/// The once-per-instance methods are only worked out when an initializer makes such an
/// instance: without one they reach nothing, and most classes have none.
fn once_per_instance(class: &ruff_python_ast::StmtClassDef) -> (Vec<&str>, Vec<Receiver<'_>>) {
    let initializers: Vec<&ruff_python_ast::StmtFunctionDef> = class
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::FunctionDef(f) if crate::lint::containers::is_init_like(f.name.as_str()) => {
                Some(f)
            }
            _ => None,
        })
        .collect();
    let made: Vec<Receiver<'_>> = initializers
        .iter()
        .flat_map(|f| made_here(&f.body))
        .filter(|r| matches!(r, Receiver::OnSelf(_)))
        .collect();
    if made.is_empty() {
        return (Vec::new(), made);
    }
    let mut once = crate::lint::containers::once_methods(class);
    once.extend(initializers.iter().map(|f| f.name.as_str()));
    // A lifecycle start (`def start(self)`, no loop of its own) brings the object up once.
    once.extend(crate::lint::containers::lifecycle_starts(class));
    (once, made)
}

/// A callee written as a class is: `Agent`, `uagents.Agent`.
fn names_class(callee: &Expr) -> bool {
    let last = match callee {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    last.starts_with(|c: char| c.is_ascii_uppercase())
        && last.chars().any(|c| c.is_ascii_lowercase())
}

/// `def decorator(f): ...; return f`: a function that hands back what it is given.
pub(crate) fn returns_decorated(f: &ruff_python_ast::StmtFunctionDef) -> bool {
    let Some(first) = f.parameters.iter_non_variadic_params().next() else {
        return false;
    };
    let Some(Stmt::Return(r)) = f.body.last() else {
        return false;
    };
    let Some(Expr::Name(n)) = r.value.as_deref() else {
        return false;
    };
    let returned = n.id.as_str();
    // The function itself, or a wrapper defined here around it (`@functools.wraps(func)`),
    // which stands for it wherever it is decorated.
    returned == first.parameter.name.as_str()
        || f.body
            .iter()
            .any(|s| matches!(s, Stmt::FunctionDef(inner) if inner.name.as_str() == returned))
}

/// The module's `growth` methods and the methods of its classes that reach them through
/// `self.m(...)` calls.
fn methods_leading_to<'a>(suite: &'a [Stmt], growth: &[Name]) -> FxHashSet<&'a str> {
    let mut calls: Vec<(&'a str, &'a str)> = Vec::new();
    let mut out: FxHashSet<&'a str> = FxHashSet::default();
    for stmt in suite {
        let Stmt::ClassDef(class) = stmt else {
            continue;
        };
        for item in &class.body {
            let Stmt::FunctionDef(f) = item else { continue };
            if growth.iter().any(|g| g.as_str() == f.name.as_str()) {
                out.insert(f.name.as_str());
            }
            struct SelfCalls<'a>(Vec<&'a str>);
            impl<'a> Visitor<'a> for SelfCalls<'a> {
                fn visit_expr(&mut self, expr: &'a Expr) {
                    if let Expr::Call(call) = expr {
                        if let Expr::Attribute(a) = call.func.as_ref() {
                            if matches!(a.value.as_ref(),
                                Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls"))
                            {
                                self.0.push(a.attr.as_str());
                            }
                        }
                    }
                    visitor::walk_expr(self, expr);
                }
            }
            let mut found = SelfCalls(Vec::new());
            found.visit_body(&f.body);
            calls.extend(found.0.into_iter().map(|c| (f.name.as_str(), c)));
        }
    }
    if out.is_empty() {
        return out;
    }
    loop {
        let before = out.len();
        for (caller, callee) in &calls {
            if out.contains(callee) {
                out.insert(caller);
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Methods that grow a container somewhere in the project and that run only while modules are
/// imported: module-level code of the project calls them, or they are called through
/// `self.m(...)` only by such methods (a decorator factory used at module level, a
/// `register_*` method module-level code calls) or by methods nothing calls, and no other
/// function of the project (outside test code) uses their name.
///
/// A call from the initializer of a class the program makes a fixed number of instances of
/// (`single_instances`, given `module.Class`) counts as a call at import: ZeroNet's servers
/// each register one reload callback in `__init__`. One from a class whose instances come and
/// go is a use like any other.
///
/// A call from a module-level function that runs only while the program starts
/// (`startup_only`, given `module.function`) counts as a call at import too: nutshell's
/// `start_mint`, which only the web app's lifespan hook calls, starts the ledger's tasks once.
pub fn import_only_methods(
    modules: &[(String, &ModuleFacts)],
    single_instances: &dyn Fn(&str) -> bool,
    startup_only: &dyn Fn(&str) -> bool,
) -> FxHashSet<&'static str> {
    let live = || modules.iter().map(|(_, m)| *m).filter(|m| !m.is_test);
    // Example code shows how a program calls the library from its own set-up: its calls at
    // import count, but a `register_handlers(bot)` function there says nothing about when a
    // deployment calls the method, so its functions' names do not.
    let run_time = || live().filter(|m| !m.is_example);
    let growing: FxHashSet<&str> = live()
        .flat_map(|m| m.growth_methods.iter().map(|n| n.as_str()))
        .collect();
    if growing.is_empty() {
        return FxHashSet::default();
    }
    let edges: Vec<(&'static str, &'static str)> = live()
        .flat_map(|m| {
            m.registration_edges
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
        })
        .collect();
    // A decorator factory registers once per definition it decorates, which the program's code
    // bounds: it runs "at import" even when nothing in the project uses it yet.
    let factories: FxHashSet<&'static str> = live()
        .flat_map(|m| m.registration_factories.iter().map(|n| n.as_str()))
        .collect();
    let mut at_import: FxHashSet<&'static str> = live()
        .flat_map(|m| m.import_time_method_calls.iter().map(|n| n.as_str()))
        .collect();
    // Calls from initializers, judged only for the methods that grow (the class lookup is the
    // costly part): once per instance of a class made a fixed number of times, or a use.
    let mut from_initializers_of_many: FxHashSet<&'static str> = FxHashSet::default();
    let callers: FxHashSet<&str> = edges.iter().map(|(c, _)| *c).collect();
    for m in run_time() {
        for (class, method) in &m.initializer_method_calls {
            let method = method.as_str();
            if !growing.contains(method) && !callers.contains(method) {
                continue;
            }
            if single_instances(&format!("{}.{}", m.module.as_str(), class.as_str())) {
                at_import.insert(method);
            } else {
                from_initializers_of_many.insert(method);
            }
        }
    }
    // Candidates: the growing methods and every method on a path of calls to one.
    let mut candidates: FxHashSet<&'static str> = growing.clone();
    loop {
        let before = candidates.len();
        for (caller, callee) in &edges {
            if candidates.contains(callee) && !caller.is_empty() {
                candidates.insert(caller);
            }
        }
        if candidates.len() == before {
            break;
        }
    }
    // One pass over every module's hashes, keeping those of the candidates.
    let wanted: FxHashSet<u32> = candidates.iter().map(|n| hash(n)).collect();
    let mut used: FxHashSet<u32> = run_time()
        .flat_map(|m| m.function_attr_names.0.iter().copied())
        .filter(|h| wanted.contains(h))
        .collect();
    // Calls from module-level functions, judged only for the candidates that no other function
    // uses already (who calls the function is a question across modules, asked once per
    // function): at start-up, or a use.
    let mut judged: rustc_hash::FxHashMap<String, bool> = rustc_hash::FxHashMap::default();
    for m in run_time() {
        for (function, method) in &m.function_method_calls {
            let method = method.as_str();
            if !candidates.contains(method) || used.contains(&hash(method)) {
                continue;
            }
            let qualified = format!("{}.{}", m.module.as_str(), function.as_str());
            let at_startup = *judged
                .entry(qualified)
                .or_insert_with_key(|q| startup_only(q));
            if at_startup {
                at_import.insert(method);
            } else {
                used.insert(hash(method));
            }
        }
    }
    let used_in_functions =
        |name: &str| used.contains(&hash(name)) || from_initializers_of_many.contains(name);
    // A method nothing in the project calls (a `register_*` of the public API no code uses)
    // runs no time at all here: its calls add nothing.
    let never_called: FxHashSet<&'static str> = candidates
        .iter()
        .copied()
        .filter(|name| {
            !name.is_empty()
                && !at_import.contains(name)
                && !edges.iter().any(|(_, c)| c == name)
                && !used_in_functions(name)
        })
        .collect();
    candidates.retain(|name| !used_in_functions(name));
    // Least fixpoint: reached at import (called there, or by a method known to run only then),
    // and every call from a function is by one known to run only at import, or by one nothing
    // calls (a hook a framework calls is not reached at import, so what it calls is not either).
    let mut import_only: FxHashSet<&'static str> = FxHashSet::default();
    loop {
        let before = import_only.len();
        for name in &candidates {
            if import_only.contains(name) {
                continue;
            }
            // A method calling itself (walking a folder tree) runs within the call that
            // started it: the recursion is no caller of its own.
            let mut callers = edges.iter().filter(|(f, c)| c == name && f != name);
            let reached = at_import.contains(name)
                || factories.contains(name)
                || callers.clone().any(|(f, _)| import_only.contains(f));
            if reached && callers.all(|(f, _)| import_only.contains(f) || never_called.contains(f))
            {
                import_only.insert(name);
            }
        }
        if import_only.len() == before {
            break;
        }
    }
    import_only.retain(|name| growing.contains(name));
    import_only
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    #[test]
    fn import_calls_and_function_names() {
        let source = "registry.add_listener(on_change)\n\
                      later = lambda: registry.flush()\n\
                      if ready:\n    registry.start()\n\
                      def handle(x):\n    registry.record(x)\n    return registry.on_close\n\
                      class C:\n    def m(self):\n        self.items.append(1)\n";
        let parsed = parse_module(source).expect("valid");
        let calls = collect(&parsed.syntax().body, &[]);
        let names: Vec<&str> = calls.at_import.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["add_listener", "start"]);
        for used in ["on_close", "append", "items", "flush"] {
            assert!(calls.in_functions.may_contain(used), "{used}");
        }
        // A module-level function's call is kept with its caller, for linking to judge.
        let from: Vec<(&str, &str)> = calls
            .from_functions
            .iter()
            .map(|(f, m)| (f.as_str(), m.as_str()))
            .collect();
        assert_eq!(from, [("handle", "record")]);
        assert!(!calls.in_functions.may_contain("add_listener"));
        assert!(calls.edges.is_empty());
    }

    #[test]
    fn registration_paths() {
        let source = "class Bot:\n\
                      \x20   def handler(self, cmd):\n\
                      \x20       def decorator(f):\n\
                      \x20           self.add_handler(f)\n\
                      \x20           return f\n\
                      \x20       return decorator\n\
                      \x20   def register(self, f):\n\
                      \x20       self.add_handler(f)\n\
                      \x20   def on_event(self, f):\n\
                      \x20       def later():\n\
                      \x20           self.add_handler(f)\n\
                      \x20       return later\n\
                      \x20   def add_handler(self, f):\n\
                      \x20       self.handlers.append(f)\n\
                      @bot.handler('start')\n\
                      def start(m):\n    pass\n";
        let parsed = parse_module(source).expect("valid");
        let calls = collect(&parsed.syntax().body, &[Name::new("add_handler")]);
        let edges: Vec<(&str, &str)> = calls
            .edges
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        // The decorator's call is the factory's; a callback's is nobody's in particular.
        assert_eq!(
            edges,
            [
                ("", "add_handler"),
                ("handler", "add_handler"),
                ("register", "add_handler")
            ]
        );
        let names: Vec<&str> = calls.at_import.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["handler"]);
        assert!(!calls.in_functions.may_contain("add_handler"));
        let factories: Vec<&str> = calls.factories.iter().map(|n| n.as_str()).collect();
        assert_eq!(factories, ["handler"]);
    }
}
