//! The walk over a module's code that finds what grows each long-lived container and what
//! bounds it.

use super::callers::{
    caller_evidence, module_function_names, module_instances, own_function, passes_thread_ident,
    Callee,
};
use super::event_keys::{per_event_key, KeyScope};
use super::keys::{
    bound_once, fixed_params, is_configuration_name, is_constant_name, module_calls, ModuleCall,
};
use super::once::{is_init_like, is_lifecycle_start, once_branches, once_methods};
use super::{first_param, for_each_stmt, is_name, ContainerKind, Facts, Growth, GrowthKey, Owner};
use crate::lint::blocks::repeats_until_stopped;
use crate::lint::semantic::ScopeId;
use ruff_python_ast::comparable::ComparableExpr;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange};
use std::cell::OnceCell;

const GROW_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "appendleft",
    "extendleft",
];
/// Methods that remove from a container or empty it (`__delitem__` called by name, as a
/// `del` would).
pub(crate) const REMOVE_METHODS: &[&str] = &[
    "pop",
    "popitem",
    "remove",
    "discard",
    "clear",
    "popleft",
    "__delitem__",
];

struct FunctionCtx<'a> {
    name: &'a str,
    def: &'a ast::StmtFunctionDef,
    /// Growth here does not accumulate over the process: `__init__` for `self` attributes, or
    /// a registration decorator that returns its argument.
    runs_once_per_instance: bool,
    /// Registers: a decorator that returns its argument, class creation, or (a documented hint
    /// from the name) a `register*` function. Letting a per-event key override the name
    /// (`register_user_if_not_exists(user)` keyed by `user.id`) found one leak and five
    /// registries keyed by provider, exchange or type ids in the development corpus, so the
    /// hint stands on its own.
    is_registration: bool,
    /// A method that returns its receiver, and registers by no other sign: a builder step, or a
    /// fluent call.
    fluent: bool,
    /// Name of its `**kwargs` parameter: the keys it holds are identifiers written in code.
    kwargs: Option<&'a str>,
    /// A method directly in a class body: it runs once per instance when only the class's
    /// initializers call it (decided on the first growth in it).
    is_method: bool,
    /// The decorator a module-level factory defines and returns (`def command(regex): def
    /// decorator(f): ...; return f; return decorator`): it runs once per definition the
    /// factory's result is applied to, so as often as the factory is called.
    made_by_factory: bool,
    body: &'a [Stmt],
    /// Local names stored to exactly once in the body, by a plain assignment, with the value
    /// (computed on first need).
    bound_once: OnceCell<Vec<(&'a str, &'a Expr)>>,
    /// Names and attribute chains in the arguments of its warnings, and the messages of its
    /// errors (computed on first need).
    warned: OnceCell<Vec<String>>,
}

pub(super) struct UseWalker<'f, 'a, 'm, 'o> {
    facts: &'f mut Facts<'a, 'm, 'o>,
    scope: ScopeId,
    /// Class index and the name of `self` in the current method.
    class: Option<(usize, &'a str)>,
    function: Option<FunctionCtx<'a>>,
    /// Loop variables that range over a fixed set (an Enum, a literal tuple) or over positions
    /// (`for i, x in enumerate(xs)`, `for i in range(n)`: keys made from them reuse the same
    /// slots on every call).
    fixed_names: Vec<&'a str>,
    /// Loop variables counting positions in what a call yields (`enumerate(stream())`), which
    /// need not repeat from one call to the next.
    stream_positions: Vec<&'a str>,
    /// Loop variables over the keys or items another object already holds (`for digest in
    /// protocol.models:`): a key copied from there adds nothing that container lacks, so
    /// what its name suggests is no evidence of novelty.
    copied_names: Vec<&'a str>,
    /// Parameters of private helpers that every call in the module passes a literal or a
    /// constant (or a parameter that is itself fixed this way): (function, parameter). Computed
    /// on first need: it walks the whole module.
    fixed_params: OnceCell<Vec<(&'a str, &'a str)>>,
    /// Some container of the module is a defaultdict: only then can a subscript read grow one
    /// (a cheap test before the name lookup on every subscript).
    has_defaultdict: bool,
    /// Every call of the module, with where it is (computed on first need).
    calls: OnceCell<Vec<ModuleCall<'a>>>,
    /// Names of the module's functions and methods (computed on first need).
    own_functions: OnceCell<Vec<&'a str>>,
    suite: &'a [Stmt],
    /// The class being walked, and the methods that only its initializers (or such methods)
    /// call, computed on first need.
    class_node: Option<&'a ast::StmtClassDef>,
    once_methods: OnceCell<Vec<&'a str>>,
    /// Keys known to be in a container already, so storing under them adds nothing: inside
    /// `if key in d:`, or in `for key in d:`.
    present_keys: Vec<(usize, ComparableExpr<'a>)>,
    /// Values a list holds once: appended only after a test that they are not in it yet
    /// (`if x not in xs:`, or `if x in xs: return` earlier in the function).
    distinct: Vec<(usize, ComparableExpr<'a>)>,
    /// Local names bound to a container in the current function: `handlers = _handlerList`.
    aliases: Vec<(&'a str, usize)>,
    /// The module-level function being walked, if any.
    top_function: Option<&'a str>,
    /// How many loops that only end with the process (`while True:`, `while not
    /// stop.is_set():`) enclose the current statement in the current function.
    endless_loops: usize,
    /// How many blocks around the current statement run once: each sits under a test of a flag
    /// it sets (`if not self.started: ... self.started = True`).
    flag_guarded: usize,
    /// Inside the statements a service function runs before its endless loop
    /// ([`crate::lint::blocks::service_prelude`]): once per start of the service.
    service_prelude: bool,
    /// Keyword-only flags of the current function, off by default, that a block around the
    /// current statement runs under (`if dedupe:`), outermost first.
    opt_in_guards: Vec<&'a str>,
    /// Containers the current function replaces with a new one in its own body (not in a
    /// branch), before the current statement: `self.sources = []` then appends. What it adds
    /// after that, it adds to the new container, which holds one call's worth.
    rebuilt: Vec<usize>,
}

impl<'f, 'a, 'm, 'o> UseWalker<'f, 'a, 'm, 'o> {
    pub(super) fn new(facts: &'f mut Facts<'a, 'm, 'o>, suite: &'a [Stmt]) -> Self {
        let has_defaultdict = facts
            .containers
            .iter()
            .any(|c| matches!(c.kind, ContainerKind::DefaultDict { .. }));
        UseWalker {
            has_defaultdict,
            facts,
            scope: ScopeId::MODULE,
            class: None,
            function: None,
            fixed_names: Vec::new(),
            stream_positions: Vec::new(),
            copied_names: Vec::new(),
            fixed_params: OnceCell::new(),
            calls: OnceCell::new(),
            own_functions: OnceCell::new(),
            suite,
            class_node: None,
            once_methods: OnceCell::new(),
            present_keys: Vec::new(),
            distinct: Vec::new(),
            aliases: Vec::new(),
            top_function: None,
            endless_loops: 0,
            flag_guarded: 0,
            service_prelude: false,
            opt_in_guards: Vec::new(),
            rebuilt: Vec::new(),
        }
    }
}

impl<'a> UseWalker<'_, 'a, '_, '_> {
    fn lookup(&self, expr: &Expr) -> Option<usize> {
        if let Expr::Name(n) = expr {
            if let Some((_, c)) = self.aliases.iter().rev().find(|(a, _)| *a == n.id.as_str()) {
                return Some(*c);
            }
        }
        self.facts
            .lookup(self.scope, self.class, expr)
            .or_else(|| self.instance_member(expr))
    }

    /// `channel.sessions` where the function binds `channel = WebChannel()` once, a class of
    /// this module: the attribute of an instance of that class (a removal there bounds it).
    fn instance_member(&self, expr: &Expr) -> Option<usize> {
        let Expr::Attribute(attr) = expr else {
            return None;
        };
        let Expr::Name(local) = attr.value.as_ref() else {
            return None;
        };
        let Expr::Call(call) = self.local_value(local.id.as_str())? else {
            return None;
        };
        let Expr::Name(class) = call.func.as_ref() else {
            return None;
        };
        let ci = *self.facts.class_index.get(class.id.as_str())?;
        self.facts.member(ci, attr.attr.as_str(), true)
    }

    /// `local.attr` where the function binds `local` once to a new object of a class of this
    /// module (`out = RoadGrids([])`), one that calling it cannot hand back already made.
    fn fresh_instance(&self, via: &Expr) -> bool {
        let Expr::Attribute(attr) = via else {
            return false;
        };
        let Expr::Name(local) = attr.value.as_ref() else {
            return false;
        };
        let Some(Expr::Call(call)) = self.local_value(local.id.as_str()) else {
            return false;
        };
        let Expr::Name(class) = call.func.as_ref() else {
            return false;
        };
        self.facts
            .class_index
            .get(class.id.as_str())
            .is_some_and(|&ci| self.facts.classes[ci].makes_new_instances)
    }

    /// The container `self.__dict__["name"]` stores, in a method of its class.
    fn dict_slot(&self, sub: &ast::ExprSubscript) -> Option<usize> {
        let Expr::Attribute(d) = sub.value.as_ref() else {
            return None;
        };
        let Expr::StringLiteral(name) = sub.slice.as_ref() else {
            return None;
        };
        let (ci, self_name) = self.class?;
        if d.attr.as_str() != "__dict__" || !is_name(&d.value, self_name) {
            return None;
        }
        self.facts.member(ci, name.value.to_str(), true)
    }

    /// `x = container` and `a, b = c1, c2` inside a function make local aliases.
    fn record_aliases(&mut self, target: &'a Expr, value: &'a Expr) {
        if !self.in_function() {
            return;
        }
        match (target, value) {
            (Expr::Name(n), v) => {
                if let Some(c) = self.lookup(v) {
                    self.aliases.push((n.id.as_str(), c));
                }
            }
            (Expr::Tuple(t), Expr::Tuple(v)) if t.elts.len() == v.elts.len() => {
                for (t, v) in t.elts.iter().zip(v.elts.iter()) {
                    self.record_aliases(t, v);
                }
            }
            _ => {}
        }
    }

    /// Directly in a method of a class that derives from `type`.
    fn in_metaclass(&self) -> bool {
        self.class.is_some_and(|(ci, _)| {
            self.facts.classes[ci]
                .bases
                .iter()
                .any(|b| matches!(*b, "type" | "ABCMeta"))
        })
    }

    fn in_function(&self) -> bool {
        self.function.is_some()
    }

    /// Container `c`, reached through `via`, gains an entry at `range`.
    fn grow(&mut self, c: usize, via: &Expr, range: TextRange, key: GrowthKey) {
        let Some(func) = &self.function else { return };
        // An object this call made holds what this call adds (`out = Road([]);
        // out.grids.append(g)`), not what earlier calls added to the long-lived one.
        if self.endless_loops == 0 && self.fresh_instance(via) {
            return;
        }
        // A registration runs once per definition or builder step the code makes; a key new with
        // every event says a method that returns its receiver is no builder step but a fluent
        // call made with traffic (`def new(self, user_id): self.queues[user_id] = []; return
        // self`), and so does it say a function named for registering traffic
        // (`register_message`) registers traffic. Filling from storage (`load`) or adding while
        // closing is not the working cycle.
        let registration = func.is_registration
            && !((func.fluent || super::event_keys::registers_traffic(func.name))
                && matches!(key, GrowthKey::PerEvent(_)));
        if registration || crate::lint::blocks::fills_from_storage_or_ends(func.name) {
            return;
        }
        // Refilled after being replaced in this call: it holds what this call adds, unless a
        // loop that runs until the process stops keeps adding.
        if self.rebuilt.contains(&c) && self.endless_loops == 0 {
            return;
        }
        let container = &self.facts.containers[c];
        let in_once_method = func.is_method
            && self.class_node.is_some_and(|class| {
                self.once_methods
                    .get_or_init(|| once_methods(class))
                    .contains(&func.name)
            });
        let in_prelude = self.service_prelude;
        if matches!(container.owner, Owner::SelfAttr(_))
            && (func.runs_once_per_instance
                || self.flag_guarded > 0
                || in_once_method
                || in_prelude)
        {
            return;
        }
        // A module function's service runs for the rest of the process once started: what it
        // adds before its loop, it adds once per start.
        if in_prelude && !func.is_method {
            return;
        }
        // A class attribute or module global that an initializer, or a method only the
        // initializers call, adds to grows once per instance made: linking decides whether
        // instances keep coming.
        let once_per_instance =
            func.is_method && (func.runs_once_per_instance || in_once_method || in_prelude);
        let per_instance_of = match (self.class, once_per_instance) {
            (Some((ci, _)), true) => Some(self.facts.classes[ci].name.to_string()),
            _ => None,
        };
        let function = func.name.to_string();
        let top_function = self.top_function.map(str::to_string);
        let made_by_factory = func.made_by_factory;
        let in_endless_loop = self.endless_loops > 0;
        let opt_in = self.opt_in_guards.first().map(|f| f.to_string());
        self.facts.containers[c].growth.push(Growth {
            range,
            function,
            key,
            top_function,
            made_by_factory,
            in_endless_loop,
            per_instance_of,
            opt_in,
        });
    }

    /// The container `call` hands to a function that removes from that parameter (of this
    /// module, or imported from another one), and the function as called.
    fn handed_to_remover(&self, call: &ast::ExprCall) -> Option<(usize, String)> {
        let handed: Vec<(usize, usize)> = call
            .arguments
            .args
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((i, self.lookup(a)?)))
            .collect();
        if handed.is_empty() {
            return None;
        }
        let semantic = self.facts.semantic;
        let (removers, name): (&[(String, usize)], String) = match call.func.as_ref() {
            Expr::Name(n) => match semantic.resolve(self.scope, n.id.as_str(), n.start()) {
                crate::lint::semantic::Resolved::Binding(ScopeId::MODULE, b)
                    if b.kind == crate::lint::semantic::BindingKind::FunctionDef =>
                {
                    (self.facts.options.local_removers, n.id.to_string())
                }
                _ => (
                    self.facts.options.removers,
                    semantic.qualified_name(self.scope, &call.func)?,
                ),
            },
            Expr::Attribute(_) => (
                self.facts.options.removers,
                semantic.qualified_name(self.scope, &call.func)?,
            ),
            _ => return None,
        };
        handed.into_iter().find_map(|(i, c)| {
            removers
                .iter()
                .any(|(f, p)| *f == name && *p == i)
                .then(|| {
                    (
                        c,
                        crate::lint::blocks::dotted(&call.func).unwrap_or(name.clone()),
                    )
                })
        })
    }

    fn bound(&mut self, c: usize, range: TextRange, why: impl Into<String>) {
        let Some(func) = &self.function else {
            // At module level, a removal in the program's own service loop (`while True:` in
            // a script's top-level code) runs on every pass; one at import runs once, before
            // anything has grown.
            if self.endless_loops > 0 {
                let container = &mut self.facts.containers[c];
                if container.bound.is_none() {
                    container.bound = Some((range, why.into()));
                }
            }
            return;
        };
        if crate::lint::blocks::runs_at_life_edge(func.name) {
            let why: String = why.into();
            let place = format!("`{}`", func.name);
            let what = if why.contains(&place) {
                why
            } else {
                format!("{why} in {place}")
            };
            self.facts.containers[c]
                .edge_bound
                .get_or_insert((range, what));
            return;
        }
        let name = func.name;
        let container = &mut self.facts.containers[c];
        if !container.bound_in.iter().any(|f| f == name) {
            container.bound_in.push(name.to_string());
        }
        if container.bound.is_none() {
            container.bound = Some((range, why.into()));
        }
    }

    /// `len(c)` compared in `cmp`: a bound at once when the function returns the comparison
    /// (a capacity predicate, `def full(self): return len(self.q) >= self.cap`), else only if
    /// the function also grows `c`, decided once the walk is done.
    fn size_check(&mut self, c: usize, cmp: &Expr) {
        let Some(func) = &self.function else { return };
        let mut returned = false;
        crate::lint::blocks::for_each_stmt(func.body, &mut |s| {
            if let Stmt::Return(r) = s {
                returned |= r
                    .value
                    .as_ref()
                    .is_some_and(|v| v.range().contains_range(cmp.range()));
            }
        });
        if returned {
            self.bound(c, cmp.range(), "its size is checked with `len()`");
        } else if !crate::lint::blocks::runs_at_life_edge(func.name) {
            let name = func.name.to_string();
            self.facts.containers[c]
                .size_checks
                .push((name, cmp.range()));
        }
    }

    /// `if CLIENTS: return CLIENTS[0]` (or `if len(CLIENTS) > 0:`, or one term of an `or`) at
    /// the top of a function that then fills `CLIENTS`: it adds only while the container is
    /// empty (a lazily made singleton). The same test in another function (`if history: return history[-1]`) bounds
    /// nothing.
    fn returns_unless_empty(&mut self, body: &'a [Stmt]) {
        for (i, stmt) in body.iter().enumerate() {
            let Stmt::If(guard) = stmt else { continue };
            if !guard.elif_else_clauses.is_empty() || !leaves_block(&guard.body) {
                continue;
            }
            // `if self._patterns or self._packagetypes: return`: any term that holds anything
            // leaves, so each container tested there is filled only while it is empty.
            let terms: &[Expr] = match guard.test.as_ref() {
                Expr::BoolOp(b) if b.op == ast::BoolOp::Or => &b.values,
                test => std::slice::from_ref(test),
            };
            for term in terms {
                let held = match term {
                    Expr::Compare(cmp) => match emptiness_test(cmp) {
                        Some((Expr::Call(len), false)) => {
                            len.arguments.args.first().and_then(|a| self.lookup(a))
                        }
                        _ => None,
                    },
                    test => self.lookup(test),
                };
                if let Some(c) = held {
                    if self.grows_in(&body[i + 1..], c) {
                        self.bound(
                            c,
                            guard.test.range(),
                            "filled only while empty: the function returns first when it holds anything",
                        );
                    }
                }
            }
        }
    }

    /// The container `test` holds only while empty: `not c`, `not len(c)`, `len(c) == 0` (also
    /// `0 == len(c)`, `len(c) < 1`, `len(c) <= 0`), alone or as one term of an `and` (`if
    /// queue.qsize() and not len(self.threads):`).
    fn requires_empty(&self, test: &'a Expr) -> Option<usize> {
        let len_of = |e: &'a Expr| match e {
            Expr::Call(call) if is_name(&call.func, "len") && call.arguments.len() == 1 => {
                call.arguments.args.first().and_then(|a| self.lookup(a))
            }
            _ => None,
        };
        match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And => {
                b.values.iter().find_map(|v| self.requires_empty(v))
            }
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                self.lookup(&u.operand).or_else(|| len_of(&u.operand))
            }
            Expr::Compare(cmp) => match emptiness_test(cmp) {
                Some((len, true)) => len_of(len),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `body` (nested blocks included) adds to container `c` in place: a growth method
    /// called on it, or a store under a key.
    fn grows_in(&self, body: &'a [Stmt], c: usize) -> bool {
        struct Finder<'w, 'f, 'a, 'm, 'o> {
            walker: &'w UseWalker<'f, 'a, 'm, 'o>,
            c: usize,
            found: bool,
        }
        impl<'a> Visitor<'a> for Finder<'_, '_, 'a, '_, '_> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                match stmt {
                    Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                    Stmt::Assign(a) => {
                        self.found |= a.targets.iter().any(|t| {
                            matches!(t,
                            Expr::Subscript(sub) if self.walker.lookup(&sub.value) == Some(self.c))
                        });
                        visitor::walk_stmt(self, stmt);
                    }
                    _ => visitor::walk_stmt(self, stmt),
                }
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    if let Expr::Attribute(a) = call.func.as_ref() {
                        self.found |= GROW_METHODS.contains(&a.attr.as_str())
                            && self.walker.lookup(&a.value) == Some(self.c);
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut finder = Finder {
            walker: self,
            c,
            found: false,
        };
        finder.visit_body(body);
        finder.found
    }

    /// Whether a key expression comes from a fixed set: a literal, an Enum member or an
    /// ALL_CAPS constant, a loop variable over such a set, or a tuple of those.
    fn fixed_key(&self, key: &Expr) -> bool {
        self.fixed_key_within(key, 0)
    }

    /// What storing under `key` does to the container's size.
    fn key_of(&self, key: &'a Expr) -> GrowthKey {
        if self.fixed_key(key) || self.thread_ident_parameter(key) {
            return GrowthKey::Fixed;
        }
        if matches!(key, Expr::Name(n) if self.copied_names.contains(&n.id.as_str())) {
            return GrowthKey::Unknown;
        }
        if let (Expr::Name(n), Some(f)) = (key, self.function.as_ref()) {
            if super::keys::names_a_module(n.id.as_str(), &f.def.body, self.suite) {
                return GrowthKey::Fixed;
            }
        }
        let local = |name: &str| self.local_value(name);
        let own_function = |callee: &Expr| self.is_own_function(callee);
        let parameter = |name: &str| self.caller_evidence(name);
        let class_parameter = |name: &str| self.class_parameter(name);
        let scope = KeyScope {
            local: &local,
            stream_positions: &self.stream_positions,
            own_function: &own_function,
            parameter: &parameter,
            content_names: true,
            class_parameter: &class_parameter,
        };
        per_event_key(key, &scope).map_or(GrowthKey::Unknown, GrowthKey::PerEvent)
    }

    /// The calling thread's identifier (`threading.current_thread().ident`, directly or bound
    /// to a local first), or a parameter that every call of the current function in the module
    /// passes it: bounded by the threads alive at once.
    fn thread_ident_parameter(&self, key: &Expr) -> bool {
        if super::callers::is_thread_ident(key) {
            return true;
        }
        let (Expr::Name(n), Some(f)) = (key, self.function.as_ref()) else {
            return false;
        };
        if self
            .local_value(n.id.as_str())
            .is_some_and(super::callers::is_thread_ident)
        {
            return true;
        }
        let callee = Callee {
            def: f.def,
            is_method: f.is_method,
            class: None,
            instances: Vec::new(),
        };
        passes_thread_ident(&callee, self.module_calls(), n.id.as_str())
    }

    fn module_calls(&self) -> &[ModuleCall<'a>] {
        self.calls.get_or_init(|| module_calls(self.suite))
    }

    /// Whether a callee is a function or method of this module (see [`own_function`]).
    fn is_own_function(&self, callee: &Expr) -> bool {
        own_function(
            callee,
            self.own_functions
                .get_or_init(|| module_function_names(self.suite)),
        )
    }

    /// Why the values the module's calls pass as parameter `param` of the current function are
    /// new with each event (see [`caller_evidence`]).
    fn caller_evidence(&self, param: &str) -> Option<String> {
        let f = self.function.as_ref()?;
        let callee = Callee {
            def: f.def,
            is_method: f.is_method,
            class: self.class.map(|(ci, _)| self.facts.classes[ci].name),
            instances: self.class.map_or_else(Vec::new, |(ci, _)| {
                module_instances(self.suite, self.facts.classes[ci].name)
            }),
        };
        let own = |e: &Expr| self.is_own_function(e);
        caller_evidence(&callee, self.module_calls(), &own, param, self.suite)
    }

    /// The key a growth method adds: `d.setdefault(key, ...)`, `d.update({key: ...})`, the
    /// member of a set, the value of a list that holds each value once (`if x not in xs:
    /// xs.append(x)`); other list items have none.
    /// What `c |= value` (or `c += value`) adds. Into a set or dict, a literal adds its
    /// elements or keys, judged as `.add(x)` and `.update({k: v})` judge them; anything else
    /// adds unknown keys. A list gains an item.
    fn union_key(&self, c: usize, value: &'a Expr) -> GrowthKey {
        let keys: Vec<&Expr> = match (&self.facts.containers[c].kind, value) {
            (ContainerKind::Set, Expr::Set(set)) => set.elts.iter().collect(),
            (ContainerKind::Set, _) => return GrowthKey::Unknown,
            (ContainerKind::List | ContainerKind::Deque, _) => return self.items_key(c, value),
            (_, Expr::Dict(d)) => d.items.iter().filter_map(|i| i.key.as_ref()).collect(),
            _ => return GrowthKey::Unknown,
        };
        let mut open = None;
        for k in keys {
            if self.fixed_key(k) || self.warns_once_into(c, k) {
                continue;
            }
            match self.key_of(k) {
                GrowthKey::Fixed => {}
                key @ GrowthKey::PerEvent(_) => return key,
                other => open = open.or(Some(other)),
            }
        }
        open.unwrap_or(GrowthKey::Fixed)
    }

    fn added_key(&self, c: usize, method: &str, call: &'a ast::ExprCall) -> GrowthKey {
        let first = call.arguments.args.first();
        match (method, first) {
            ("setdefault", Some(key)) => self.key_of(key),
            ("update", Some(Expr::Dict(d))) => d
                .items
                .iter()
                .filter_map(|item| item.key.as_ref())
                .map(|k| self.key_of(k))
                .find(|k| matches!(k, GrowthKey::PerEvent(_)))
                .unwrap_or(GrowthKey::Unknown),
            ("update", _) => GrowthKey::Unknown,
            ("add", Some(value)) if self.facts.containers[c].kind == ContainerKind::Set => {
                self.key_of(value)
            }
            ("append" | "appendleft" | "insert", Some(value)) => {
                // `insert(i, x)` adds its second argument.
                let value = if method == "insert" {
                    call.arguments.args.get(1).unwrap_or(value)
                } else {
                    value
                };
                if self.names_a_definition(value) {
                    return GrowthKey::Fixed;
                }
                let held_once = ComparableExpr::from(value);
                if self
                    .distinct
                    .iter()
                    .any(|(k, e)| *k == c && *e == held_once)
                {
                    if self.warns_once(value) {
                        return GrowthKey::Fixed;
                    }
                    self.key_of(value)
                } else {
                    GrowthKey::Item
                }
            }
            ("extend", Some(value)) => self.items_key(c, value),
            _ => GrowthKey::Item,
        }
    }

    /// What `xs.extend(values)` (or `xs += values`) adds to list `c`: an item each, unless the
    /// values are those of a comprehension that keeps only the ones not in `xs` yet (`[t for t
    /// in topics if t not in self.topics]`, directly or through a local bound once). Then the
    /// list holds each value once, like `if x not in xs: xs.append(x)`, and what it can hold
    /// is what the comprehension's element can be.
    fn items_key(&self, c: usize, value: &'a Expr) -> GrowthKey {
        let value = match value {
            Expr::Name(n) => self.local_value(n.id.as_str()).unwrap_or(value),
            other => other,
        };
        let (elt, generators) = match value {
            Expr::ListComp(l) => (l.elt.as_ref(), &l.generators),
            Expr::Generator(g) => (g.elt.as_ref(), &g.generators),
            Expr::SetComp(s) => (s.elt.as_ref(), &s.generators),
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })
                if !elts.is_empty() && elts.iter().all(|e| self.names_a_definition(e)) =>
            {
                return GrowthKey::Fixed;
            }
            // `if name not in active: active += [name]`: the spelling of a guarded append.
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })
                if !elts.is_empty()
                    && elts.iter().all(|e| {
                        let held_once = ComparableExpr::from(e);
                        self.distinct
                            .iter()
                            .any(|(k, d)| *k == c && *d == held_once)
                    }) =>
            {
                let keys: Vec<GrowthKey> = elts
                    .iter()
                    .map(|e| {
                        if self.warns_once(e) {
                            GrowthKey::Fixed
                        } else {
                            self.key_of(e)
                        }
                    })
                    .collect();
                return keys
                    .iter()
                    .find(|k| matches!(k, GrowthKey::PerEvent(_)))
                    .or_else(|| keys.iter().find(|k| **k == GrowthKey::Unknown))
                    .cloned()
                    .unwrap_or(GrowthKey::Fixed);
            }
            _ => return GrowthKey::Item,
        };
        let held_once = ComparableExpr::from(elt);
        let filtered = generators.iter().flat_map(|g| &g.ifs).any(|test| {
            self.absence(test)
                .iter()
                .any(|(k, e)| *k == c && *e == held_once)
        });
        if filtered {
            self.key_of(elt)
        } else {
            GrowthKey::Item
        }
    }

    /// A module-level class or function, or an imported name (`CLASSES.extend([VLLMModel,
    /// VLLMChatModel])` after importing them, `hooks.append(on_exit)`): registering the code's
    /// own definitions adds from the finite set the source spells, not one item per event. A
    /// `def` or `class` inside a function is a new object on every call (a closure appended
    /// per subscription), so it does not count.
    fn names_a_definition(&self, value: &Expr) -> bool {
        use crate::lint::semantic::{BindingKind, Resolved};
        let Expr::Name(n) = value else { return false };
        match self
            .facts
            .semantic
            .resolve(self.scope, n.id.as_str(), n.start())
        {
            Resolved::Binding(scope, b) => match b.kind {
                BindingKind::Import(_) => true,
                BindingKind::ClassDef | BindingKind::FunctionDef => scope == ScopeId::MODULE,
                _ => false,
            },
            _ => false,
        }
    }

    /// A set (or a list holding each value once) filled with the very value a warning in the
    /// same function reports is the warn-once idiom: it holds one entry per distinct warning the
    /// code can emit (a model name, a deprecated option), which the call sites bound, not one
    /// per event. Only warnings and errors count (`logger.warning(...)`, `warnings.warn(...)`,
    /// `log.error(...)`): a bot that logs each message it handles at info level is not warning
    /// once.
    ///
    /// The entry may be built from what the warning reports and from fixed parts: a tuple that
    /// pairs the message with where it was raised (`site = (message,
    /// caller.f_code.co_filename, caller.f_lineno)`, a place in the source, of which the code
    /// has finitely many), a concatenation or f-string of reported names (`func + "|" +
    /// caller`), or its `hash(...)`.
    fn warns_once(&self, value: &Expr) -> bool {
        self.warns_once_within(value, 2)
    }

    /// [`Self::warns_once`] for a value added to set `c`, which must be the set the warning
    /// consults: the function tests the value's membership in it (`if key not in warned:`, `if
    /// key in warned: return`, `elif name not in Seen.models: warn(...)`). A warning that only
    /// names what failed (`logger.warning(f"cancelling {task_id} failed")` after
    /// `self.cancelled.add(task_id)`) makes no set warn-once.
    fn warns_once_into(&self, c: usize, value: &'a Expr) -> bool {
        let held_once = ComparableExpr::from(value);
        let Some(f) = &self.function else {
            return false;
        };
        let mut tests = Vec::new();
        crate::lint::blocks::for_each_stmt(f.body, &mut |s| {
            let mut compares = MembershipTests(&mut tests);
            match s {
                Stmt::If(i) => {
                    compares.visit_expr(&i.test);
                    for clause in &i.elif_else_clauses {
                        if let Some(t) = &clause.test {
                            compares.visit_expr(t);
                        }
                    }
                }
                Stmt::While(w) => compares.visit_expr(&w.test),
                Stmt::Expr(e) => compares.visit_expr(&e.value),
                Stmt::Assign(a) => compares.visit_expr(&a.value),
                Stmt::AnnAssign(ast::StmtAnnAssign { value: Some(v), .. }) => {
                    compares.visit_expr(v)
                }
                Stmt::AugAssign(a) => compares.visit_expr(&a.value),
                Stmt::Assert(a) => compares.visit_expr(&a.test),
                Stmt::Return(r) => {
                    if let Some(v) = &r.value {
                        compares.visit_expr(v);
                    }
                }
                _ => {}
            }
        });
        tests.iter().any(|cmp| {
            ComparableExpr::from(cmp.left.as_ref()) == held_once
                && self.container_or_keys(&cmp.comparators[0]) == Some(c)
        }) && self.warns_once(value)
    }

    /// `depth` counts local names followed to their value.
    fn warns_once_within(&self, value: &Expr, depth: u8) -> bool {
        if self.warned(value) {
            return true;
        }
        let mut parts = Vec::new();
        match value {
            Expr::Name(n) if depth > 0 => {
                return self
                    .local_value(n.id.as_str())
                    .is_some_and(|v| self.warns_once_within(v, depth - 1));
            }
            Expr::Tuple(_) | Expr::BinOp(_) | Expr::FString(_) | Expr::Call(_) => {
                if !composed_parts(value, &mut parts) {
                    return false;
                }
            }
            _ => return false,
        }
        let in_source = |e: &Expr| {
            matches!(e, Expr::Attribute(a) if matches!(
                a.attr.as_str(),
                "f_lineno" | "co_filename" | "co_name" | "lineno" | "filename"
            ))
        };
        let warned_part = |e: &Expr| match e {
            Expr::Name(n) if depth > 0 => {
                self.warned(e) || {
                    self.local_value(n.id.as_str())
                        .is_some_and(|v| self.warns_once_within(v, depth - 1))
                }
            }
            _ => self.warned(e),
        };
        parts.iter().any(|e| warned_part(e))
            && parts
                .iter()
                .all(|e| in_source(e) || self.fixed_key(e) || warned_part(e))
    }

    /// `value` (a name or a dotted name) is among what a warning of the current function
    /// reports, or is the whole message of an error it logs. An error names what failed, often
    /// an identifier of things that keep arriving (`logger.error(f"failed {message_id}")` beside
    /// a set of processed mail ids, which grows with the mail); a set of the messages
    /// themselves holds one entry per distinct error.
    fn warned(&self, value: &Expr) -> bool {
        let Some(f) = &self.function else {
            return false;
        };
        let Some(added) = crate::lint::blocks::dotted(value) else {
            return false;
        };
        let is_method = f.is_method;
        let warned = f.warned.get_or_init(|| {
            let mut names = Vec::new();
            crate::lint::blocks::for_each_stmt(f.body, &mut |s| {
                let Stmt::Expr(e) = s else { return };
                let Expr::Call(call) = e.value.as_ref() else {
                    return;
                };
                let Expr::Attribute(a) = call.func.as_ref() else {
                    return;
                };
                let receiver = crate::lint::blocks::dotted(&a.value).unwrap_or_default();
                // A module-level function taking `self` is bound onto a logger at run time
                // (`logger.warning_once = MethodType(warning_once, logger)`).
                let logger = receiver == "warnings"
                    || receiver.to_ascii_lowercase().contains("log")
                    || (receiver == "self" && !is_method);
                if !logger {
                    return;
                }
                match a.attr.as_str() {
                    "warn" | "warning" => {
                        let mut collect = DottedNames(&mut names);
                        for arg in call.arguments.args.iter() {
                            collect.visit_expr(arg);
                        }
                    }
                    "error" | "exception" | "critical" => {
                        names.extend(
                            call.arguments
                                .args
                                .first()
                                .and_then(crate::lint::blocks::dotted),
                        );
                    }
                    _ => {}
                }
            });
            names
        });
        warned.contains(&added)
    }

    /// `depth` counts local names followed to their value (`key = (name, "x")`).
    fn fixed_key_within(&self, key: &Expr, depth: u8) -> bool {
        let fixed = |e: &Expr| self.fixed_key_within(e, depth);
        match key {
            Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_) => true,
            Expr::Tuple(t) => t.elts.iter().all(&fixed),
            // `self.__class__` (one key per class), `Color.RED`, `mod.TIMEOUT`.
            // `fn.__name__`: one key per definition.
            Expr::Attribute(attr) => {
                let member = attr.attr.as_str();
                matches!(member, "__class__" | "__name__" | "__qualname__")
                    || is_constant_name(member)
                    || is_configuration_name(member)
                    || self.is_enum_expr(&attr.value)
                    || super::keys::module_member(key, self.suite)
            }
            // Cheap tests first; the last one walks the whole module once.
            Expr::Name(n) => {
                let name = n.id.as_str();
                name == "cls"
                    || is_constant_name(name)
                    || is_configuration_name(name)
                    || self.fixed_names.contains(&name)
                    || (depth < 3 && self.local_fixed(name, depth))
                    || self.function.as_ref().is_some_and(|f| {
                        self.fixed_params
                            .get_or_init(|| fixed_params(self.suite, self.module_calls()))
                            .contains(&(f.name, name))
                    })
            }
            // `type(self)`: one key per class; `str(i + 1)` of a position or constant.
            Expr::Call(call) => {
                let args = &call.arguments.args;
                (is_name(&call.func, "type") && args.len() == 1)
                    || ((is_name(&call.func, "str") || is_name(&call.func, "int"))
                        && args.len() == 1
                        && call.arguments.keywords.is_empty()
                        && fixed(&args[0]))
            }
            // `config["username"]`: an entry of the configuration, one value per deployment.
            Expr::Subscript(sub) => {
                matches!(sub.slice.as_ref(), Expr::StringLiteral(_))
                    && match sub.value.as_ref() {
                        Expr::Name(n) => names_configuration(n.id.as_str()),
                        Expr::Attribute(a) => names_configuration(a.attr.as_str()),
                        _ => false,
                    }
            }
            Expr::BinOp(b) => fixed(&b.left) && fixed(&b.right),
            Expr::UnaryOp(u) => fixed(&u.operand),
            Expr::FString(f) => f.value.elements().all(|e| match e {
                ast::InterpolatedStringElement::Literal(_) => true,
                ast::InterpolatedStringElement::Interpolation(i) => fixed(&i.expression),
            }),
            _ => false,
        }
    }

    /// A local name of the current function stored to once, from a key from a fixed set.
    fn local_fixed(&self, name: &str, depth: u8) -> bool {
        self.local_value(name)
            .is_some_and(|value| self.fixed_key_within(value, depth + 1))
    }

    /// The value of `name`, a local of the current function stored to once.
    fn local_value(&self, name: &str) -> Option<&'a Expr> {
        let f = self.function.as_ref()?;
        f.bound_once
            .get_or_init(|| bound_once(f.body))
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// `d.update(a=1)` or `d.update(kwargs)` with the function's `**kwargs`: the keys are
    /// identifiers written in the code, a fixed set.
    fn update_has_code_keys(&self, call: &ast::ExprCall) -> bool {
        let args = &call.arguments.args;
        match (args.len(), self.function.as_ref().and_then(|f| f.kwargs)) {
            (0, _) => call.arguments.keywords.iter().all(|k| k.arg.is_some()),
            (1, Some(kwargs)) => is_name(&args[0], kwargs) && call.arguments.keywords.is_empty(),
            _ => false,
        }
    }

    /// Whether `d[key]` names a key already in container `c`.
    fn known_present(&self, c: usize, key: &Expr) -> bool {
        let key = ComparableExpr::from(key);
        self.present_keys.iter().any(|(k, e)| *k == c && *e == key)
    }

    /// `key in d` (or `key in d.keys()`) tests: the containers and keys found present when the
    /// test is true.
    fn membership(&self, test: &'a Expr) -> Vec<(usize, ComparableExpr<'a>)> {
        self.tested(test, ast::CmpOp::In)
    }

    /// `x not in xs` tests: the containers and values found absent when the test is true.
    fn absence(&self, test: &'a Expr) -> Vec<(usize, ComparableExpr<'a>)> {
        self.tested(test, ast::CmpOp::NotIn)
    }

    /// The `x <op> container` comparisons (`in` or `not in`) that hold when `test` is true:
    /// one alone, or each of an `and`.
    fn tested(&self, test: &'a Expr, op: ast::CmpOp) -> Vec<(usize, ComparableExpr<'a>)> {
        let mut out = Vec::new();
        match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And => {
                for v in &b.values {
                    out.extend(self.tested(v, op));
                }
            }
            Expr::Compare(cmp) if cmp.ops.len() == 1 && cmp.ops[0] == op => {
                if let Some(c) = self.container_or_keys(&cmp.comparators[0]) {
                    out.push((c, ComparableExpr::from(cmp.left.as_ref())));
                }
            }
            // `not x in c` is `x not in c`, and `not x not in c` is `x in c`.
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
                if let Expr::Compare(cmp) = u.operand.as_ref() {
                    let negated = match op {
                        ast::CmpOp::NotIn => Some(ast::CmpOp::In),
                        ast::CmpOp::In => Some(ast::CmpOp::NotIn),
                        _ => None,
                    };
                    if cmp.ops.len() == 1 && Some(cmp.ops[0]) == negated {
                        if let Some(c) = self.container_or_keys(&cmp.comparators[0]) {
                            out.push((c, ComparableExpr::from(cmp.left.as_ref())));
                        }
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// A loop over a container that leaves when an element equals (or is) some value: the
    /// container and that value.
    fn scan_for_equal(&self, for_stmt: &'a ast::StmtFor) -> Option<(usize, ComparableExpr<'a>)> {
        let Expr::Name(element) = for_stmt.target.as_ref() else {
            return None;
        };
        let c = self.lookup(&for_stmt.iter)?;
        for_stmt.body.iter().find_map(|stmt| {
            let Stmt::If(test) = stmt else { return None };
            let Expr::Compare(cmp) = test.test.as_ref() else {
                return None;
            };
            if !(leaves_block(&test.body)
                && cmp.ops.len() == 1
                && matches!(cmp.ops[0], ast::CmpOp::Eq | ast::CmpOp::Is))
            {
                return None;
            }
            let value = match (cmp.left.as_ref(), &cmp.comparators[0]) {
                (Expr::Name(n), other) | (other, Expr::Name(n)) if n.id == element.id => other,
                _ => return None,
            };
            Some((c, ComparableExpr::from(value)))
        })
    }

    /// The container `expr` is, or whose keys it lists (`d`, `d.keys()`, `list(d)`).
    fn container_or_keys(&self, expr: &Expr) -> Option<usize> {
        if let Some(c) = self.lookup(expr) {
            return Some(c);
        }
        let Expr::Call(call) = expr else { return None };
        match call.func.as_ref() {
            Expr::Attribute(a) if a.attr.as_str() == "keys" && call.arguments.is_empty() => {
                self.lookup(&a.value)
            }
            f if (is_name(f, "list") || is_name(f, "tuple") || is_name(f, "sorted"))
                && call.arguments.args.len() == 1 =>
            {
                self.lookup(&call.arguments.args[0])
            }
            _ => None,
        }
    }

    fn is_enum_expr(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(n) => self
                .facts
                .class_index
                .get(n.id.as_str())
                .is_some_and(|&i| self.facts.classes[i].is_enum),
            _ => false,
        }
    }

    fn fixed_collection(&self, iter: &Expr) -> bool {
        match iter {
            Expr::Tuple(t) => t.elts.iter().all(|e| self.fixed_key(e)),
            Expr::List(l) => l.elts.iter().all(|e| self.fixed_key(e)),
            Expr::Set(s) => s.elts.iter().all(|e| self.fixed_key(e)),
            // A constant collection of the module or of the configuration
            // (`config.MESSAGES_TO_FILTER`), unless it is a container the code grows.
            Expr::Name(n) if is_constant_name(n.id.as_str()) => self.lookup(iter).is_none(),
            Expr::Attribute(a) if is_constant_name(a.attr.as_str()) => self.lookup(iter).is_none(),
            other => self.is_enum_expr(other),
        }
    }

    /// Whether `expr` refers to container `c` anywhere inside.
    fn mentions(&self, expr: &Expr, c: usize) -> bool {
        struct Finder<'w, 'f, 'a, 'm, 'o> {
            walker: &'w UseWalker<'f, 'a, 'm, 'o>,
            c: usize,
            found: bool,
        }
        impl<'e> Visitor<'e> for Finder<'_, '_, '_, '_, '_> {
            fn visit_expr(&mut self, expr: &'e Expr) {
                if self.found {
                    return;
                }
                if matches!(expr, Expr::Name(_) | Expr::Attribute(_))
                    && self.walker.lookup(expr) == Some(self.c)
                {
                    self.found = true;
                    return;
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut finder = Finder {
            walker: self,
            c,
            found: false,
        };
        finder.visit_expr(expr);
        finder.found
    }

    /// `cls._instances[key] = super().__new__(cls)` in `__new__`: the class keeps the instance
    /// it makes and hands it back for the same key, a singleton per key. Each entry is an
    /// instance that then lives on, not one added per instance made and dropped.
    /// `self.by_gcid[self.gcid] = self` into a class attribute or a module global: each
    /// instance files itself under its own identity, so the registry gains one entry per
    /// instance ever made, whatever the identity is called. Not under an attribute that names a
    /// configured choice or a catalogue entry (`self.name`, `self.path`, `self.provider_id`):
    /// plugins and loaders file themselves so, one per plugin the program ships.
    fn registers_itself(&self, c: usize, key: &Expr, stmt: &Stmt) -> Option<String> {
        let (_, receiver) = self.class?;
        let container = &self.facts.containers[c];
        if !matches!(container.owner, Owner::ClassAttr(_) | Owner::Module) {
            return None;
        }
        let Stmt::Assign(assign) = stmt else {
            return None;
        };
        let Expr::Attribute(identity) = key else {
            return None;
        };
        if !is_name(&assign.value, receiver) || !is_name(&identity.value, receiver) {
            return None;
        }
        let attr = identity.attr.as_str();
        let bare = attr.trim_start_matches('_').to_ascii_lowercase();
        let first = bare.split('_').next().unwrap_or(&bare);
        let named_choice = super::keys::is_configuration_name(attr)
            || super::event_keys::is_catalogue_noun(first)
            || matches!(
                first,
                "name" | "path" | "title" | "label" | "key" | "slug" | "url"
            );
        if named_choice {
            return None;
        }
        let class = container
            .class
            .as_deref()
            .map_or("this class".to_string(), |c| format!("`{c}`"));
        Some(format!(
            "keys are each instance's own `{attr}`: every instance of {class} files itself here when it is made or loaded, so the registry keeps one entry per instance ever made"
        ))
    }

    /// Whether `name` is a parameter of the current function annotated as a class: `type`,
    /// `type[X]`, `Type[X]` (also qualified, `typing.Type[X]`).
    fn class_parameter(&self, name: &str) -> bool {
        let Some(func) = self.function.as_ref() else {
            return false;
        };
        let is_type = |e: &Expr| match e {
            Expr::Name(n) => matches!(n.id.as_str(), "type" | "Type"),
            Expr::Attribute(a) => a.attr.as_str() == "Type",
            _ => false,
        };
        func.def
            .parameters
            .iter_non_variadic_params()
            .find(|p| p.parameter.name.as_str() == name)
            .and_then(|p| p.parameter.annotation.as_deref())
            .is_some_and(|a| match a {
                Expr::Subscript(s) => is_type(&s.value),
                other => is_type(other),
            })
    }

    /// The flag an `if` test waits on when it is a keyword-only parameter of the current
    /// function that is off unless a caller sets it (`def info(msg, *, dedupe=False)` and
    /// `if dedupe:`, or `if dedupe and ...:`).
    fn opt_in_flag(&self, test: &'a Expr) -> Option<&'a str> {
        let func = self.function.as_ref()?;
        let flag = |e: &'a Expr| -> Option<&'a str> {
            let Expr::Name(n) = e else { return None };
            func.def
                .parameters
                .kwonlyargs
                .iter()
                .find(|p| p.parameter.name.as_str() == n.id.as_str())
                .filter(|p| {
                    p.default
                        .as_deref()
                        .is_some_and(crate::lint::blocks::is_off_literal)
                })
                .map(|p| p.parameter.name.as_str())
        };
        match test {
            Expr::BoolOp(b) if b.op == ast::BoolOp::And => b.values.iter().find_map(flag),
            other => flag(other),
        }
    }

    fn caches_new_instance(&self, stmt: &Stmt) -> bool {
        let in_new = self.function.as_ref().is_some_and(|f| f.name == "__new__");
        in_new
            && matches!(stmt, Stmt::Assign(a) if matches!(a.value.as_ref(), Expr::Call(c)
                if matches!(c.func.as_ref(), Expr::Attribute(m) if m.attr.as_str() == "__new__")))
    }

    /// Where the current statement runs, for a message: `` in `save` ``, or the program's own
    /// top-level loop.
    fn place(&self) -> String {
        self.function.as_ref().map_or_else(
            || "in the program's top-level loop".to_string(),
            |f| format!("in `{}`", f.name),
        )
    }

    fn assign_target(&mut self, target: &'a Expr, stmt: &'a Stmt) {
        match target {
            Expr::Subscript(sub) => {
                // `self.__dict__["subs"] = [...]` (written so to skip a `__setattr__` hook)
                // replaces `self.subs`.
                if let Some(c) = self.dict_slot(sub) {
                    let place = self.place();
                    self.bound(c, target.range(), format!("reassigned {place}"));
                } else if let Some(c) = self.lookup(&sub.value) {
                    if matches!(sub.slice.as_ref(), Expr::Slice(_)) {
                        self.bound(c, target.range(), "truncated by a slice assignment");
                    } else if !matches!(
                        self.facts.containers[c].kind,
                        ContainerKind::List | ContainerKind::Deque
                    ) && !self.known_present(c, &sub.slice)
                        && !self.caches_new_instance(stmt)
                    {
                        let key = self
                            .registers_itself(c, &sub.slice, stmt)
                            .map_or_else(|| self.key_of(&sub.slice), GrowthKey::PerEvent);
                        self.grow(c, &sub.value, target.range(), key);
                    }
                }
            }
            Expr::Tuple(t) => {
                for e in &t.elts {
                    self.assign_target(e, stmt);
                }
            }
            other => {
                if let Some(c) = self.lookup(other) {
                    // `self.seen = list(dict.fromkeys(self.seen))`: the same items again, in
                    // another order or without duplicates; nothing old is dropped for good.
                    let reshaped = match stmt {
                        Stmt::Assign(a) => super::same_items(&a.value, other),
                        _ => false,
                    };
                    if self.facts.containers[c].def_stmt != stmt.range() && !reshaped {
                        let place = self.place();
                        self.bound(c, other.range(), format!("reassigned {place}"));
                        let unconditional = self
                            .function
                            .as_ref()
                            .is_some_and(|f| f.body.iter().any(|s| s.range() == stmt.range()));
                        // `self.items = self.items + [x]` or `list(self.items)` keeps the old
                        // entries: not a fresh container.
                        let fresh = match stmt {
                            Stmt::Assign(a) => !self.mentions(&a.value, c),
                            Stmt::AnnAssign(a) => {
                                a.value.as_deref().is_some_and(|v| !self.mentions(v, c))
                            }
                            _ => false,
                        };
                        if unconditional && fresh {
                            self.rebuilt.push(c);
                        }
                    }
                }
            }
        }
    }
}

impl<'a> Visitor<'a> for UseWalker<'_, 'a, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::ClassDef(class) => {
                let saved_scope = self.scope;
                let saved_class = self.class;
                if let Some(s) = self.facts.semantic.scope_of(class) {
                    self.scope = s;
                }
                let ci = self.facts.class_index.get(class.name.as_str()).copied();
                let saved_node = (
                    self.class_node.replace(class),
                    std::mem::take(&mut self.once_methods),
                );
                for item in &class.body {
                    if let (Stmt::FunctionDef(f), Some(ci)) = (item, ci) {
                        self.class = first_param(f).map(|p| (ci, p));
                    } else {
                        self.class = None;
                    }
                    self.visit_stmt(item);
                }
                (self.class_node, self.once_methods) = saved_node;
                self.scope = saved_scope;
                self.class = saved_class;
            }
            Stmt::FunctionDef(func) => {
                let saved_scope = self.scope;
                if let Some(s) = self.facts.semantic.scope_of(func) {
                    self.scope = s;
                }
                let name = func.name.as_str();
                let is_top = self.function.is_none() && self.class.is_none();
                let saved_top = self.top_function;
                if is_top {
                    self.top_function = Some(name);
                }
                let ctx = FunctionCtx {
                    name,
                    def: func,
                    runs_once_per_instance: is_init_like(name)
                        || (self.class.is_some() && is_lifecycle_start(func)),
                    // Class creation runs once per class the code defines: `__init_subclass__`
                    // and a metaclass's `__new__`/`__init__` register classes, not traffic.
                    // A `register_*` function registers what the code defines, unless a
                    // framework runs it per request or event (`@app.post` `register_wallet`).
                    is_registration: ((name.starts_with("register")
                        || name.starts_with("_register"))
                        && !crate::lint::json_io::concurrency::is_handler(func))
                        || name == "__init_subclass__"
                        || (matches!(name, "__new__" | "__init__") && self.in_metaclass())
                        || returns_a_parameter(func, self.class.is_some())
                        // What a registration defines runs when it registers, unless the
                        // framework runs it per request (`register_routes` defining
                        // `@self.app.post` handlers).
                        || (self.function.as_ref().is_some_and(|f| f.is_registration)
                            && !crate::lint::json_io::concurrency::is_handler(func)),
                    fluent: self.class.is_some()
                        && !name.starts_with("register")
                        && !name.starts_with("_register")
                        && returns_its_receiver(func),
                    kwargs: func.parameters.kwarg.as_ref().map(|k| k.name.as_str()),
                    is_method: self.class.is_some(),
                    made_by_factory: self.class.is_none()
                        && self.function.as_ref().is_some_and(|f| {
                            self.top_function == Some(f.name) && returns_name(f.body, name)
                        })
                        && crate::lint::project::import_calls::returns_decorated(func),
                    body: &func.body,
                    bound_once: OnceCell::new(),
                    warned: OnceCell::new(),
                };
                let saved_fn = self.function.replace(ctx);
                let saved_fn_is_none = saved_fn.is_none();
                let saved_rebuilt = std::mem::take(&mut self.rebuilt);
                let saved_loops = std::mem::take(&mut self.endless_loops);
                let saved_guards = std::mem::take(&mut self.opt_in_guards);
                let saved_fixed = self.fixed_names.len();
                let saved_aliases = self.aliases.len();
                let saved_distinct = self.distinct.len();
                // Parameters annotated with an Enum of this module take a fixed set of values.
                for p in func.parameters.iter_non_variadic_params() {
                    if p.parameter
                        .annotation
                        .as_deref()
                        .is_some_and(|a| self.is_enum_expr(a))
                    {
                        self.fixed_names.push(p.parameter.name.as_str());
                    }
                }
                self.returns_unless_empty(&func.body);
                let saved_prelude = self.service_prelude;
                let prelude = if saved_fn_is_none {
                    crate::lint::blocks::service_prelude(func, self.class.map(|(_, me)| me)).len()
                } else {
                    0
                };
                self.service_prelude = prelude > 0;
                self.visit_body(&func.body[..prelude]);
                self.service_prelude = false;
                self.visit_body(&func.body[prelude..]);
                self.service_prelude = saved_prelude;
                self.fixed_names.truncate(saved_fixed);
                self.aliases.truncate(saved_aliases);
                self.distinct.truncate(saved_distinct);
                self.top_function = saved_top;
                self.endless_loops = saved_loops;
                self.opt_in_guards = saved_guards;
                self.rebuilt = saved_rebuilt;
                self.function = saved_fn;
                self.scope = saved_scope;
                // Nested functions see the enclosing method's `self` through the closure.
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.assign_target(target, stmt);
                    self.record_aliases(target, &assign.value);
                }
                // `pop = self._pending.pop`, called later: removal through the bound method.
                if let Expr::Attribute(a) = assign.value.as_ref() {
                    if REMOVE_METHODS.contains(&a.attr.as_str()) {
                        if let Some(c) = self.lookup(&a.value) {
                            self.bound(
                                c,
                                assign.value.range(),
                                format!(
                                    "entries are removed through `.{}`, bound to a name",
                                    a.attr
                                ),
                            );
                        }
                    }
                }
                self.visit_expr(&assign.value);
            }
            Stmt::AnnAssign(assign) => {
                if assign.value.is_some() {
                    self.assign_target(&assign.target, stmt);
                }
                if let Some(v) = &assign.value {
                    self.visit_expr(v);
                }
            }
            Stmt::AugAssign(aug) => {
                match aug.target.as_ref() {
                    Expr::Subscript(sub) => {
                        if let Some(c) = self.lookup(&sub.value) {
                            let kind = &self.facts.containers[c].kind;
                            if matches!(
                                kind,
                                ContainerKind::DefaultDict { .. } | ContainerKind::Counter
                            ) && !self.known_present(c, &sub.slice)
                            {
                                let key = self.key_of(&sub.slice);
                                self.grow(c, &sub.value, aug.target.range(), key);
                            }
                        }
                    }
                    target => {
                        if let Some(c) = self.lookup(target) {
                            if matches!(aug.op, Operator::Add | Operator::BitOr) {
                                let key = self.union_key(c, &aug.value);
                                self.grow(c, target, aug.target.range(), key);
                            } else if matches!(aug.op, Operator::Sub | Operator::BitAnd) {
                                self.bound(c, aug.target.range(), "reduced with `-=`/`&=`");
                            }
                        }
                    }
                }
                self.visit_expr(&aug.value);
            }
            Stmt::Delete(del) => {
                for target in &del.targets {
                    if let Expr::Subscript(sub) = target {
                        if let Some(c) = self.lookup(&sub.value) {
                            self.bound(c, target.range(), "entries are deleted with `del`");
                        }
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            // `if not _patterns: _patterns.extend(...)`: filled once, when empty. An emptiness
            // test elsewhere (`if history: return history[-1]`) bounds nothing.
            Stmt::If(ast::StmtIf { test, body, .. })
            | Stmt::While(ast::StmtWhile { test, body, .. }) => {
                let emptied = self.requires_empty(test);
                if let Some(c) = emptied.filter(|&c| self.grows_in(body, c)) {
                    self.bound(c, test.range(), "filled only when its emptiness is checked");
                }
                match stmt {
                    Stmt::If(if_stmt) => {
                        self.visit_expr(&if_stmt.test);
                        let present = self.membership(&if_stmt.test);
                        let absent = self.absence(&if_stmt.test);
                        // `if x in xs: return`: what follows runs only for an absent `x`.
                        if leaves_block(&if_stmt.body) && if_stmt.elif_else_clauses.is_empty() {
                            let known = self.membership(&if_stmt.test);
                            self.distinct.extend(known);
                        }
                        let saved = self.present_keys.len();
                        let saved_distinct = self.distinct.len();
                        self.present_keys.extend(present);
                        self.distinct.extend(absent);
                        let (once_body, once_else) = self
                            .class
                            .map_or((false, false), |(_, me)| once_branches(if_stmt, me));
                        self.flag_guarded += usize::from(once_body);
                        let opt_in = self.opt_in_flag(&if_stmt.test);
                        self.opt_in_guards.extend(opt_in);
                        // An alias made on one branch (`if stop is None: stop = self.stops`)
                        // does not hold on the others (`else: stop += self.stops` grows the
                        // caller's list); after the `if`, it may hold.
                        let aliases_before = self.aliases.len();
                        self.visit_body(&if_stmt.body);
                        let mut branch_aliases: Vec<_> =
                            self.aliases.drain(aliases_before..).collect();
                        self.flag_guarded -= usize::from(once_body);
                        if opt_in.is_some() {
                            self.opt_in_guards.pop();
                        }
                        self.present_keys.truncate(saved);
                        self.distinct.truncate(saved_distinct);
                        for clause in &if_stmt.elif_else_clauses {
                            if let Some(test) = &clause.test {
                                self.visit_expr(test);
                            }
                            let once = once_else && clause.test.is_none();
                            self.flag_guarded += usize::from(once);
                            self.visit_body(&clause.body);
                            branch_aliases.extend(self.aliases.drain(aliases_before..));
                            self.flag_guarded -= usize::from(once);
                        }
                        self.aliases.extend(branch_aliases);
                    }
                    Stmt::While(w) if repeats_until_stopped(w) => {
                        self.endless_loops += 1;
                        visitor::walk_stmt(self, stmt);
                        self.endless_loops -= 1;
                    }
                    _ => visitor::walk_stmt(self, stmt),
                }
            }
            Stmt::For(for_stmt) => {
                let fixed = match for_stmt.target.as_ref() {
                    Expr::Name(n) if self.fixed_collection(&for_stmt.iter) => Some(n.id.as_str()),
                    target => position_name(target, &for_stmt.iter),
                };
                // `for key in d:` / `for key, v in d.items():` visits keys that are there.
                let own_key = match (for_stmt.target.as_ref(), for_stmt.iter.as_ref()) {
                    (Expr::Tuple(t), Expr::Call(call)) if t.elts.len() == 2 => {
                        match call.func.as_ref() {
                            Expr::Attribute(a)
                                if a.attr.as_str() == "items" && call.arguments.is_empty() =>
                            {
                                self.lookup(&a.value).map(|c| (c, &t.elts[0]))
                            }
                            _ => None,
                        }
                    }
                    (key @ Expr::Name(_), iter) => self.container_or_keys(iter).map(|c| (c, key)),
                    _ => None,
                };
                let stream = stream_position(for_stmt.target.as_ref(), &for_stmt.iter);
                let copied = match for_stmt.target.as_ref() {
                    Expr::Name(n) if held_elsewhere(&for_stmt.iter) => Some(n.id.as_str()),
                    _ => None,
                };
                self.visit_expr(&for_stmt.iter);
                if let Some(n) = fixed {
                    self.fixed_names.push(n);
                }
                self.copied_names.extend(copied);
                self.stream_positions.extend(stream);
                let saved = self.present_keys.len();
                if let Some((c, key)) = own_key {
                    self.present_keys.push((c, ComparableExpr::from(key)));
                }
                self.visit_body(&for_stmt.body);
                self.present_keys.truncate(saved);
                if fixed.is_some() {
                    self.fixed_names.pop();
                }
                if copied.is_some() {
                    self.copied_names.pop();
                }
                if stream.is_some() {
                    self.stream_positions.pop();
                }
                self.visit_body(&for_stmt.orelse);
                // `for e in xs: if e == x: return`: after the loop, `x` is not in `xs`.
                if let Some(found) = self.scan_for_equal(for_stmt) {
                    self.distinct.push(found);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                if let Expr::Attribute(attr) = call.func.as_ref() {
                    let method = attr.attr.as_str();
                    if let Some(c) = self.lookup(&attr.value) {
                        if GROW_METHODS.contains(&method) {
                            let fixed_setdefault =
                                method == "setdefault"
                                    && call.arguments.args.first().is_some_and(|k| {
                                        self.fixed_key(k) || self.known_present(c, k)
                                    });
                            let fixed_update =
                                method == "update" && self.update_has_code_keys(call);
                            // A set holds each value once: adding from a fixed set is bounded.
                            let fixed_add = method == "add"
                                && self.facts.containers[c].kind == ContainerKind::Set
                                && (call
                                    .arguments
                                    .args
                                    .first()
                                    .is_some_and(|k| self.fixed_key(k))
                                    || call
                                        .arguments
                                        .args
                                        .first()
                                        .is_some_and(|v| self.warns_once_into(c, v)));
                            let key = if fixed_setdefault || fixed_update || fixed_add {
                                GrowthKey::Fixed
                            } else {
                                self.added_key(c, method, call)
                            };
                            self.grow(c, &attr.value, expr.range(), key);
                        } else if REMOVE_METHODS.contains(&method) {
                            self.bound(
                                c,
                                expr.range(),
                                format!("entries are removed with `.{method}()`"),
                            );
                        }
                    }
                }
                // A helper that removes from what it is handed: `safe_remove(self.waiting, x)`.
                if let Some((c, helper)) = self.handed_to_remover(call) {
                    self.bound(
                        c,
                        expr.range(),
                        format!("entries are removed by `{helper}(...)`, which it is handed to"),
                    );
                }
                // A removal method handed over as a callback removes later:
                // `task.add_done_callback(self._tasks.discard)`, `weakref.finalize(o, d.pop, k)`.
                for arg in call
                    .arguments
                    .args
                    .iter()
                    .chain(call.arguments.keywords.iter().map(|k| &k.value))
                {
                    if let Expr::Attribute(a) = arg {
                        if REMOVE_METHODS.contains(&a.attr.as_str()) {
                            if let Some(c) = self.lookup(&a.value) {
                                self.bound(
                                    c,
                                    arg.range(),
                                    format!("entries are removed by the callback `.{}`", a.attr),
                                );
                            }
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
            // Reading a missing key of a defaultdict stores it: `d[key].append(x)`, `h =
            // d[key]` before `h.append(x)`, `return d[key]` to a caller that appends.
            Expr::Subscript(sub) if sub.ctx.is_load() && self.has_defaultdict => {
                if let Some(c) = self.lookup(&sub.value) {
                    if matches!(
                        self.facts.containers[c].kind,
                        ContainerKind::DefaultDict { .. }
                    ) && !self.known_present(c, &sub.slice)
                    {
                        let key = self.key_of(&sub.slice);
                        self.grow(c, &sub.value, expr.range(), key);
                    }
                }
                visitor::walk_expr(self, expr);
            }
            // An emptiness test (`len(c) > 0`, `len(c) == 0`, `0 < len(c)`) limits no size.
            Expr::Compare(cmp) if emptiness_test(cmp).is_none() => {
                for operand in std::iter::once(cmp.left.as_ref()).chain(cmp.comparators.iter()) {
                    if let Expr::Call(call) = operand {
                        if is_name(&call.func, "len") {
                            if let Some(arg) = call.arguments.args.first() {
                                if let Some(c) = self.lookup(arg) {
                                    self.size_check(c, expr);
                                }
                            }
                        }
                    }
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(lambda) => {
                let saved = self.scope;
                if let Some(s) = self.facts.semantic.scope_of(lambda) {
                    self.scope = s;
                }
                self.visit_expr(&lambda.body);
                self.scope = saved;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The name of a program's configuration as code spells it: `config`, `self.settings`,
/// `cfg`, `opts`.
fn names_configuration(name: &str) -> bool {
    matches!(
        name.trim_start_matches('_'),
        "config" | "conf" | "cfg" | "configuration" | "settings" | "options" | "opts"
    )
}

/// The loop variable that counts positions: `i` in `for i, x in enumerate(xs)` or
/// `for i in range(n)`. Over a collection, positions repeat from one call to the next; over a
/// call (`enumerate(stream())`, possibly an endless generator) they might not, so those count
/// as open keys.
fn position_name<'a>(target: &'a Expr, iter: &Expr) -> Option<&'a str> {
    let Expr::Call(call) = iter else { return None };
    let over_collection = call
        .arguments
        .args
        .first()
        .is_some_and(|a| !matches!(a, Expr::Call(_) | Expr::Generator(_)));
    match target {
        Expr::Tuple(t)
            if is_name(&call.func, "enumerate") && t.elts.len() == 2 && over_collection =>
        {
            match &t.elts[0] {
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            }
        }
        Expr::Name(n) if is_name(&call.func, "range") => Some(n.id.as_str()),
        _ => None,
    }
}

/// A block that ends by leaving: `return`, `continue`, `raise`.
fn leaves_block(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Continue(_) | Stmt::Raise(_))
    )
}

/// The position in `for i, x in enumerate(stream())`: what a call yields may never end, so its
/// positions are new keys.
fn stream_position<'a>(target: &'a Expr, iter: &Expr) -> Option<&'a str> {
    let Expr::Call(call) = iter else { return None };
    match (target, call.arguments.args.first()) {
        (Expr::Tuple(t), Some(Expr::Call(_) | Expr::Generator(_)))
            if is_name(&call.func, "enumerate") && t.elts.len() == 2 =>
        {
            match &t.elts[0] {
                Expr::Name(n) => Some(n.id.as_str()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `return self` somewhere in a method: a builder step or a fluent call.
fn returns_its_receiver(func: &ast::StmtFunctionDef) -> bool {
    first_param(func).is_some_and(|receiver| returns_name(&func.body, receiver))
}

/// Whether `body` returns the name `name` (outside nested definitions).
fn returns_name(body: &[Stmt], name: &str) -> bool {
    let mut found = false;
    for_each_stmt(body, &mut |s| {
        if let Stmt::Return(r) = s {
            found |= matches!(r.value.as_deref(), Some(Expr::Name(n)) if n.id.as_str() == name);
        }
    });
    found
}

/// `def register(fn): REGISTRY[fn.__name__] = fn; return fn`: a decorator that runs once per
/// decorated definition, so what it adds is bounded by the code. The parameter it returns is
/// what it stores (itself, or wrapped: `HANDLERS.append(Handler(fn))`); a function that returns
/// the record it was handed after filing something else under one of its fields
/// (`self.io_old[proc["pid"]] = counters; return proc`) is no decorator. A method that returns
/// its receiver is a builder step (`Word().suppress_warning(...)`), run while a structure is
/// set up.
fn returns_a_parameter(func: &ast::StmtFunctionDef, is_method: bool) -> bool {
    let params: Vec<&str> = func
        .parameters
        .iter_non_variadic_params()
        .map(|p| p.parameter.name.as_str())
        .collect();
    let receiver = is_method.then(|| first_param(func)).flatten();
    let mut returned: Vec<&str> = Vec::new();
    for_each_stmt(&func.body, &mut |s| {
        if let Stmt::Return(r) = s {
            if let Some(Expr::Name(n)) = r.value.as_deref() {
                if params.contains(&n.id.as_str()) {
                    returned.push(n.id.as_str());
                }
            }
        }
    });
    if returned.is_empty() {
        return false;
    }
    if receiver.is_some_and(|r| returned.contains(&r)) {
        return true;
    }
    let mut stores_it = false;
    for_each_stmt(&func.body, &mut |s| {
        let stored: Vec<&Expr> = match s {
            Stmt::Assign(a) if a.targets.iter().any(|t| matches!(t, Expr::Subscript(_))) => {
                vec![&a.value]
            }
            Stmt::Expr(e) => match e.value.as_ref() {
                Expr::Call(c)
                    if matches!(c.func.as_ref(), Expr::Attribute(m) if matches!(
                        m.attr.as_str(),
                        "append" | "add" | "appendleft" | "insert" | "setdefault" | "extend" | "update"
                    )) =>
                {
                    c.arguments.args.iter().collect()
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        stores_it |= stored
            .into_iter()
            .any(|v| returned.iter().any(|p| mentions_whole(v, p)));
    });
    stores_it
}

/// Whether `expr` uses the object `name` itself, not only a part of it (`name["pid"]`,
/// `name.id`).
fn mentions_whole(expr: &Expr, name: &str) -> bool {
    struct Finder<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Finder<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Name(n) if n.id.as_str() == self.name => self.found = true,
                Expr::Subscript(ast::ExprSubscript { value, slice, .. })
                    if is_name(value, self.name) =>
                {
                    self.visit_expr(slice);
                }
                Expr::Attribute(a) if is_name(&a.value, self.name) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut f = Finder { name, found: false };
    f.visit_expr(expr);
    f.found
}

/// Collects the names and attribute chains (`model`, `self.name`) an expression uses.
/// The `x in c` and `x not in c` comparisons of an expression.
struct MembershipTests<'v, 'a>(&'v mut Vec<&'a ast::ExprCompare>);

impl<'a> Visitor<'a> for MembershipTests<'_, 'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Compare(cmp) = expr {
            if cmp.ops.len() == 1 && matches!(cmp.ops[0], ast::CmpOp::In | ast::CmpOp::NotIn) {
                self.0.push(cmp);
            }
        }
        visitor::walk_expr(self, expr);
    }
}

struct DottedNames<'v>(&'v mut Vec<String>);

impl<'a> Visitor<'a> for DottedNames<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Some(text) = crate::lint::blocks::dotted(expr) {
            self.0.push(text);
            if matches!(expr, Expr::Name(_)) {
                return;
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// An iterable that is a container another object holds, by attribute (`protocol.models`,
/// `self.registry.handlers.keys()`), not what a call makes or yields.
fn held_elsewhere(iter: &Expr) -> bool {
    let held = match iter {
        Expr::Call(call) if call.arguments.is_empty() => match call.func.as_ref() {
            Expr::Attribute(a) if matches!(a.attr.as_str(), "keys" | "values" | "items") => {
                a.value.as_ref()
            }
            _ => return false,
        },
        other => other,
    };
    let Expr::Attribute(a) = held else {
        return false;
    };
    let mut owner = a.value.as_ref();
    while let Expr::Attribute(inner) = owner {
        owner = inner.value.as_ref();
    }
    matches!(owner, Expr::Name(_))
}

/// The parts an entry is built from: the elements of a tuple, the operands of `+`, the values
/// an f-string interpolates (its literal text is fixed), the argument of `hash(...)` or
/// `str(...)`. `false` for anything else, which may hold more than what is reported.
fn composed_parts<'e>(value: &'e Expr, out: &mut Vec<&'e Expr>) -> bool {
    match value {
        Expr::Tuple(t) => {
            out.extend(t.elts.iter());
            true
        }
        Expr::BinOp(b) if b.op == ast::Operator::Add => {
            composed_parts(&b.left, out) && composed_parts(&b.right, out)
        }
        Expr::FString(f) => {
            for part in f.value.elements() {
                if let ast::InterpolatedStringElement::Interpolation(i) = part {
                    out.push(&i.expression);
                }
            }
            true
        }
        Expr::Call(call)
            if call.arguments.args.len() == 1
                && call.arguments.keywords.is_empty()
                && matches!(call.func.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "hash" | "str")) =>
        {
            composed_parts(&call.arguments.args[0], out)
        }
        Expr::StringLiteral(_) => true,
        other => {
            out.push(other);
            true
        }
    }
}

/// A comparison of `len(x)` with 0 or 1 that tests whether `x` holds anything, not how much:
/// `len(x) > 0`, `len(x) != 0`, `len(x) == 0`, `len(x) >= 1`, `len(x) < 1`, `0 == len(x)`. Gives
/// the `len(...)` operand, and whether the test holds when `x` is empty.
fn emptiness_test(cmp: &ast::ExprCompare) -> Option<(&Expr, bool)> {
    let ([op], [right]) = (&cmp.ops[..], &cmp.comparators[..]) else {
        return None;
    };
    let small = |e: &Expr| match e {
        Expr::NumberLiteral(n) => match &n.value {
            ast::Number::Int(i) => i.as_u8(),
            _ => None,
        },
        _ => None,
    };
    use ast::CmpOp::{Eq, Gt, GtE, Lt, LtE, NotEq};
    // Normalised to `len(x) <op> n`.
    let (len, op, n) = match (small(&cmp.left), small(right)) {
        (None, Some(n)) => (cmp.left.as_ref(), *op, n),
        (Some(n), None) => (
            right,
            match op {
                Gt => Lt,
                GtE => LtE,
                Lt => Gt,
                LtE => GtE,
                other => *other,
            },
            n,
        ),
        _ => return None,
    };
    let when_empty = match (op, n) {
        (Eq | LtE, 0) | (Lt, 1) => true,
        (NotEq | Gt, 0) | (GtE, 1) => false,
        _ => return None,
    };
    matches!(len, Expr::Call(c) if is_name(&c.func, "len")).then_some((len, when_empty))
}
