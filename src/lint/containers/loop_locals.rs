//! Containers local to a function that runs until the process stops: a poller's
//! `seen = set()`, made before the function's endless loop and added to inside it (directly, or
//! in a function nested in it that the loop calls). The function's frame lives as long as its
//! loop, and the local with it, so a set of handled ids grows with every id the poller ever
//! handles.
//!
//! Only what the function shows counts: a local that anything empties, trims, replaces or
//! measures (`len(seen) > N`), or that leaves the function (handed to a call, returned, stored
//! elsewhere, rebound by a nested function), is left alone, since what it is handed to may
//! bound it. Lists, sets and plain dicts only: a `defaultdict` or `Counter` local is left to
//! later work.

use super::event_keys::{per_event_key, KeyScope};
use super::{Container, ContainerKind, Facts, Growth, GrowthKey, Owner};
use crate::lint::blocks::{
    body_uses_any_name, bound_once, requires_arguments, runs_while_function_lives,
    single_assignment,
};
use crate::lint::semantic::ScopeId;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// Methods that add an item whatever it is.
const APPENDS: &[&str] = &["append", "appendleft", "extend", "insert"];
/// Methods that add a key or member.
const KEYED: &[&str] = &["add", "setdefault"];
/// Methods that take something out, empty or replace the contents.
const BOUNDS: &[&str] = &[
    "clear",
    "pop",
    "popitem",
    "popleft",
    "remove",
    "discard",
    "difference_update",
    "intersection_update",
];

impl Facts<'_, '_, '_> {
    /// The containers local to the module's functions that grow inside their function's
    /// endless loop. Module-level functions only: a method's loop may be one operation's (a
    /// task an object starts per download and cancels when it is done, a watcher of one
    /// session), while a module-level function that loops until the process stops is what a
    /// program, or one of its threads, runs.
    ///
    /// Nor a generator (`yield` in its body), which runs only while whoever iterates it does
    /// (an event stream per client), or a coroutine handed its input (`async def
    /// handle(websocket)`), which a server starts once per connection.
    pub(super) fn loop_locals(&self, suite: &[Stmt]) -> Vec<Container> {
        let mut out = Vec::new();
        for stmt in suite {
            if let Stmt::FunctionDef(f) = stmt {
                self.function_locals(f, &mut out);
            }
        }
        out
    }

    fn function_locals(&self, f: &ast::StmtFunctionDef, out: &mut Vec<Container>) {
        // The loop first: few functions have one, and the generator test walks the body.
        let Some(endless) = endless_loop(f) else {
            return;
        };
        if (f.is_async && requires_arguments(f, false)) || is_generator(f) {
            return;
        }
        let scope = self.semantic.scope_of(f).unwrap_or(ScopeId::MODULE);
        let bound = bound_once(&f.body);
        for stmt in &f.body {
            if stmt.start() >= endless.start() {
                break;
            }
            let Some((Expr::Name(target), value)) = single_assignment(stmt) else {
                continue;
            };
            let Some(kind) = self.container_kind(value, scope) else {
                continue;
            };
            if !matches!(
                kind,
                ContainerKind::List
                    | ContainerKind::Set
                    | ContainerKind::Dict
                    | ContainerKind::Deque
            ) {
                continue;
            }
            let name = target.id.as_str();
            let uses = Uses::of(f, name, stmt.range());
            if uses.bounded_or_escapes {
                continue;
            }
            let keyed = !matches!(kind, ContainerKind::List | ContainerKind::Deque);
            let growth = uses.growth_in(f, endless, keyed);
            if growth.is_empty() {
                continue;
            }
            let mut container = Container::new(
                name.to_string(),
                None,
                name.to_string(),
                Owner::Local,
                kind,
                target.range(),
                stmt.range(),
            );
            container.local_of = Some(f.name.to_string());
            let local = |n: &str| bound.iter().find(|(b, _)| *b == n).map(|(_, v)| *v);
            let no_function = |_: &Expr| false;
            let no_parameter = |_: &str| None;
            let no_class = |_: &str| false;
            let keys = KeyScope {
                local: &local,
                stream_positions: &[],
                own_function: &no_function,
                parameter: &no_parameter,
                content_names: true,
                class_parameter: &no_class,
            };
            for (range, key, function) in growth {
                let key = match key {
                    None => GrowthKey::Item,
                    Some(k) => {
                        per_event_key(k, &keys).map_or(GrowthKey::Unknown, GrowthKey::PerEvent)
                    }
                };
                container.growth.push(Growth {
                    range,
                    function: function.to_string(),
                    key,
                    top_function: None,
                    made_by_factory: false,
                    in_endless_loop: true,
                    per_instance_of: None,
                    opt_in: None,
                });
            }
            out.push(container);
        }
    }
}

/// The function's own loop that runs while the function lives: a statement of its body, or of
/// the body of a `try` or `with` its body holds (`try: while True: ... finally: close()`).
fn endless_loop<'a>(f: &'a ast::StmtFunctionDef) -> Option<&'a ast::StmtWhile> {
    let is_endless = |s: &'a Stmt| match s {
        Stmt::While(w) if runs_while_function_lives(f, None, w) && !leaves(&w.body) => Some(w),
        _ => None,
    };
    f.body.iter().find_map(|s| match s {
        Stmt::Try(t) => t.body.iter().find_map(is_endless),
        Stmt::With(w) => w.body.iter().find_map(is_endless),
        other => is_endless(other),
    })
}

/// Whether a loop body can leave its loop: a `break` of its own (not of a loop nested in it) or
/// a `return` anywhere in it, other than under a handler of what stops the process (`except
/// KeyboardInterrupt: break`). A loop that pages through results (`if not page.next: break`) or
/// scans until a search fails ends by itself; only one that nothing but an exception or the
/// process's end stops keeps its locals for good.
fn leaves(body: &[Stmt]) -> bool {
    fn walk(body: &[Stmt], nested_loop: bool) -> bool {
        body.iter().any(|s| match s {
            Stmt::Break(_) => !nested_loop,
            Stmt::Return(_) => true,
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => false,
            Stmt::For(l) => walk(&l.body, true) || walk(&l.orelse, nested_loop),
            Stmt::While(l) => walk(&l.body, true) || walk(&l.orelse, nested_loop),
            Stmt::If(i) => {
                walk(&i.body, nested_loop)
                    || i.elif_else_clauses
                        .iter()
                        .any(|c| walk(&c.body, nested_loop))
            }
            Stmt::With(w) => walk(&w.body, nested_loop),
            Stmt::Try(t) => {
                walk(&t.body, nested_loop)
                    || walk(&t.orelse, nested_loop)
                    || walk(&t.finalbody, nested_loop)
                    || t.handlers.iter().any(|h| match h {
                        ast::ExceptHandler::ExceptHandler(h) => {
                            !catches_only_stop(h) && walk(&h.body, nested_loop)
                        }
                    })
            }
            Stmt::Match(m) => m.cases.iter().any(|c| walk(&c.body, nested_loop)),
            _ => false,
        })
    }
    walk(body, false)
}

/// `yield` or `yield from` in the function's own body (not in functions nested in it).
fn is_generator(f: &ast::StmtFunctionDef) -> bool {
    struct Yields(bool);
    impl<'a> Visitor<'a> for Yields {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Yield(_) | Expr::YieldFrom(_) => self.0 = true,
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut y = Yields(false);
    y.visit_body(&f.body);
    y.0
}

/// A handler that catches only what stops the process or the task (`KeyboardInterrupt`,
/// `SystemExit`, `CancelledError`): leaving the loop there is the process stopping.
fn catches_only_stop(h: &ast::ExceptHandlerExceptHandler) -> bool {
    let stop = |e: &Expr| {
        let last = match e {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return false,
        };
        matches!(last, "KeyboardInterrupt" | "SystemExit" | "CancelledError")
    };
    match h.type_.as_deref() {
        Some(Expr::Tuple(t)) => !t.elts.is_empty() && t.elts.iter().all(stop),
        Some(e) => stop(e),
        None => false,
    }
}

/// How the function (nested functions included) uses the local `name`.
struct Uses<'a> {
    name: &'a str,
    definition: TextRange,
    bounded_or_escapes: bool,
    /// Nested functions of `f` that grow it, by name.
    growing_closures: Vec<&'a str>,
    in_closure: Option<&'a str>,
    in_compare_len: bool,
}

impl<'a> Uses<'a> {
    fn of(f: &'a ast::StmtFunctionDef, name: &'a str, definition: TextRange) -> Uses<'a> {
        let mut uses = Uses {
            name,
            definition,
            bounded_or_escapes: false,
            growing_closures: Vec::new(),
            in_closure: None,
            in_compare_len: false,
        };
        uses.visit_body(&f.body);
        uses
    }

    fn is_it(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n) if n.id.as_str() == self.name)
    }

    /// Growth sites inside `endless` (and inside nested functions that the loop calls), each
    /// with its key (`None` for an item with no key) and the function it is in.
    fn growth_in(
        &self,
        f: &'a ast::StmtFunctionDef,
        endless: &'a ast::StmtWhile,
        keyed: bool,
    ) -> Vec<(TextRange, Option<&'a Expr>, &'a str)> {
        let mut sites = LoopGrowth::new(self.name, f.name.as_str(), keyed);
        sites.visit_body(&endless.body);
        let called = std::mem::take(&mut sites.called);
        for s in &f.body {
            if let Stmt::FunctionDef(nested) = s {
                if self.growing_closures.contains(&nested.name.as_str())
                    && called.contains(&nested.name.as_str())
                    && !has_parameter(nested, self.name)
                {
                    sites.function = nested.name.as_str();
                    sites.visit_body(&nested.body);
                }
            }
        }
        sites.sites
    }
}

impl<'a> Visitor<'a> for Uses<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // A nested function with a parameter of that name uses its own.
            Stmt::FunctionDef(nested) if has_parameter(nested, self.name) => return,
            Stmt::FunctionDef(nested) => {
                let saved = self.in_closure.replace(nested.name.as_str());
                visitor::walk_stmt(self, stmt);
                self.in_closure = saved;
                return;
            }
            Stmt::ClassDef(_) => {
                // A class body naming it keeps it somewhere else.
                self.bounded_or_escapes |=
                    body_uses_any_name(std::slice::from_ref(stmt), &[self.name]);
                return;
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    let hit = match t {
                        Expr::Subscript(s) => self.is_it(&s.value),
                        other => self.is_it(other),
                    };
                    self.bounded_or_escapes |= hit;
                }
            }
            // `items += [x]` / `seen |= {x}` add; `seen -= done` / `seen &= live` take out.
            Stmt::AugAssign(a) if self.is_it(&a.target) => {
                match a.op {
                    ast::Operator::Add | ast::Operator::BitOr => {
                        if let Some(closure) = self.in_closure {
                            self.growing_closures.push(closure);
                        }
                    }
                    _ => self.bounded_or_escapes = true,
                }
                self.visit_expr(&a.value);
                return;
            }
            // `for item in seen:` reads it.
            Stmt::For(l) if self.is_it(&l.iter) => {
                self.visit_expr(&l.target);
                self.visit_body(&l.body);
                self.visit_body(&l.orelse);
                return;
            }
            Stmt::Global(g) => {
                self.bounded_or_escapes |= g.names.iter().any(|n| n.as_str() == self.name);
            }
            Stmt::Nonlocal(n) => {
                self.bounded_or_escapes |= n.names.iter().any(|n| n.as_str() == self.name);
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) if n.id.as_str() == self.name => {
                // Any use not taken apart below: a store (a rebinding) other than the
                // definition, or a load that hands the container on.
                if !(n.ctx.is_store() && self.definition.contains_range(n.range())) {
                    self.bounded_or_escapes = true;
                }
                return;
            }
            Expr::Call(call) => {
                if let Expr::Attribute(m) = call.func.as_ref() {
                    if self.is_it(&m.value) {
                        let method = m.attr.as_str();
                        if BOUNDS.contains(&method) {
                            self.bounded_or_escapes = true;
                        } else if let Some(closure) = self.in_closure {
                            if APPENDS.contains(&method) || KEYED.contains(&method) {
                                self.growing_closures.push(closure);
                            }
                        }
                        self.visit_arguments(&call.arguments);
                        return;
                    }
                }
                // `len(seen)`: a bound when compared, a report otherwise.
                if matches!(call.func.as_ref(), Expr::Name(f) if f.id.as_str() == "len")
                    && call.arguments.args.len() == 1
                    && self.is_it(&call.arguments.args[0])
                {
                    self.bounded_or_escapes |= self.in_compare_len;
                    return;
                }
            }
            Expr::Subscript(s) if self.is_it(&s.value) => {
                // `items[:] = items[-100:]` trims; `seen[k] = v` may add.
                if s.ctx.is_store() && s.slice.is_slice_expr() {
                    self.bounded_or_escapes = true;
                } else if s.ctx.is_store() {
                    if let Some(closure) = self.in_closure {
                        self.growing_closures.push(closure);
                    }
                }
                self.visit_expr(&s.slice);
                return;
            }
            Expr::Compare(c) => {
                // `key in seen`, `key not in seen`: a read.
                let membership = c
                    .ops
                    .iter()
                    .all(|op| matches!(op, ast::CmpOp::In | ast::CmpOp::NotIn));
                if membership && c.comparators.iter().any(|e| self.is_it(e)) {
                    self.visit_expr(&c.left);
                    for e in c.comparators.iter() {
                        if !self.is_it(e) {
                            self.visit_expr(e);
                        }
                    }
                    return;
                }
                let saved = std::mem::replace(&mut self.in_compare_len, true);
                visitor::walk_expr(self, expr);
                self.in_compare_len = saved;
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// Finds growth of the local in a loop body, and the names of functions the loop calls.
struct LoopGrowth<'a> {
    name: &'a str,
    /// A set or dict: a store to a key (`seen[k] = v`) may add one; to a list index it replaces.
    keyed: bool,
    /// The function being walked: the looping one, or a function nested in it.
    function: &'a str,
    sites: Vec<(TextRange, Option<&'a Expr>, &'a str)>,
    called: Vec<&'a str>,
}

impl<'a> LoopGrowth<'a> {
    fn new(name: &'a str, function: &'a str, keyed: bool) -> Self {
        LoopGrowth {
            name,
            keyed,
            function,
            sites: Vec::new(),
            called: Vec::new(),
        }
    }
}

impl<'a> Visitor<'a> for LoopGrowth<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // What a nested definition does runs when it is called, which the caller decides.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::AugAssign(a)
                if a.op == ast::Operator::Add
                    && matches!(a.target.as_ref(), Expr::Name(n) if n.id.as_str() == self.name) =>
            {
                self.sites.push((stmt.range(), None, self.function));
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Assign(a) if self.keyed => {
                for t in &a.targets {
                    if let Expr::Subscript(s) = t {
                        if matches!(s.value.as_ref(), Expr::Name(n) if n.id.as_str() == self.name) {
                            self.sites
                                .push((t.range(), Some(s.slice.as_ref()), self.function));
                        }
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => return,
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Attribute(m) if matches!(m.value.as_ref(), Expr::Name(n) if n.id.as_str() == self.name) =>
                {
                    let method = m.attr.as_str();
                    if APPENDS.contains(&method) {
                        self.sites.push((call.range(), None, self.function));
                    } else if KEYED.contains(&method) {
                        if let Some(key) = call.arguments.args.first() {
                            self.sites.push((call.range(), Some(key), self.function));
                        }
                    }
                }
                Expr::Name(n) => self.called.push(n.id.as_str()),
                _ => {}
            },
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// `f` takes a parameter called `name`.
fn has_parameter(f: &ast::StmtFunctionDef, name: &str) -> bool {
    f.parameters.iter().any(|p| p.name().as_str() == name)
}
