//! SWC301 open-without-context: a file object that no `with` block (or equivalent) closes.

use crate::lint::checker::{Checker, Diagnostic, NodeRef};
use crate::lint::semantic::{BindingKind, Resolved};
use crate::rules::Rule;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

/// Callables that return an open file object, by qualified name.
const OPENERS: &[&str] = &[
    "builtins.open",
    "io.open",
    "codecs.open",
    "gzip.open",
    "bz2.open",
    "lzma.open",
    "tarfile.open",
    "zipfile.ZipFile",
    "tempfile.TemporaryFile",
    "tempfile.NamedTemporaryFile",
    // The same kind of handle under other names.
    "_io.open",
    "io.open_code",
    "tokenize.open",
    "gzip.GzipFile",
    "bz2.BZ2File",
    "lzma.LZMAFile",
    "tarfile.TarFile",
    "tarfile.TarFile.open",
    "tempfile.SpooledTemporaryFile",
    "wave.open",
    "shelve.open",
    "dbm.open",
    "dbm.dumb.open",
    "dbm.gnu.open",
    "dbm.ndbm.open",
    "fileinput.input",
    "fileinput.FileInput",
    "tarfile.TarFile.taropen",
    "zipfile.PyZipFile",
];

/// The last segment of every opener (and `Path.open`): an attribute call with another name is
/// not an opener, whatever its receiver.
const OPENER_NAMES: &[&str] = &[
    "open",
    "open_code",
    "ZipFile",
    "TemporaryFile",
    "NamedTemporaryFile",
    "SpooledTemporaryFile",
    "GzipFile",
    "BZ2File",
    "LZMAFile",
    "TarFile",
    "input",
    "FileInput",
    "taropen",
    "PyZipFile",
];

const PATH_TYPES: &[&str] = &["pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"];

/// Functions that read a whole file and return data: the handle passed to them is dropped, never
/// handed on, so their result being managed does not manage the handle.
const CONSUMERS: &[&str] = &[
    "json.load",
    "pickle.load",
    "marshal.load",
    "tomllib.load",
    "plistlib.load",
    "yaml.load",
    "yaml.safe_load",
    "yaml.full_load",
];

/// Methods that register a context manager to be exited later (`ExitStack`, `unittest`).
const ENTER_CONTEXT: &[&str] = &[
    "enter_context",
    "enter_async_context",
    "enterContext",
    "enterAsyncContext",
    "enterClassContext",
];

/// Context managers inside which a call is expected to raise (so its result never exists).
const EXPECT_RAISES: &[&str] = &["assertRaises", "assertRaisesRegex", "raises"];

pub fn check_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Some(opener) = opener_name(checker, call) else {
        return;
    };
    let Some(problem) = unmanaged(checker, call) else {
        return;
    };
    checker.report(Diagnostic {
        condition: crate::lint::project::Condition::Always,
        rule: Rule::OpenWithoutContext,
        range: call.range(),
        message: format!("`{opener}` {problem}"),
        related: Vec::new(),
        fix: Some(format!(
            "use it as a `with` item (`with {opener} as f:`) or close it in a `finally` block"
        )),
    });
}

/// The display name of the opener `call` invokes, or `None` when it opens no file.
fn opener_name(checker: &Checker, call: &ast::ExprCall) -> Option<String> {
    // Most calls are not openers: rule them out without building a qualified name.
    let candidate = match call.func.as_ref() {
        Expr::Name(name) => {
            match checker
                .semantic
                .resolve(checker.scope(), name.id.as_str(), name.start())
            {
                Resolved::Builtin => name.id.as_str() == "open",
                Resolved::Binding(_, b) => {
                    matches!(&b.kind, BindingKind::Import(q) if OPENERS.contains(&q.as_str()))
                }
            }
        }
        Expr::Attribute(attr) => OPENER_NAMES.contains(&attr.attr.as_str()),
        _ => false,
    };
    if !candidate {
        return None;
    }
    if let Some(q) = checker.qualified_name(&call.func) {
        if OPENERS.contains(&q.as_str()) {
            let short = q.strip_prefix("builtins.").unwrap_or(&q);
            return Some(format!("{short}(...)"));
        }
    }
    // `pathlib.Path(...).open()`, or `p.open()` where every assignment to `p` in the body is a
    // `Path(...)`.
    if let Expr::Attribute(attr) = call.func.as_ref() {
        if attr.attr.as_str() == "open" {
            let is_path = |e: &Expr| match e {
                Expr::Call(inner) => checker
                    .qualified_name(&inner.func)
                    .is_some_and(|q| PATH_TYPES.contains(&q.as_str())),
                _ => false,
            };
            if is_path(&attr.value) {
                return Some("Path(...).open()".to_string());
            }
            if let Expr::Name(n) = attr.value.as_ref() {
                let mut values = Vec::new();
                crate::lint::blocks::for_each_stmt(checker.enclosing_body(), &mut |stmt| {
                    if let Stmt::Assign(a) = stmt {
                        if a.targets
                            .iter()
                            .any(|t| matches!(t, Expr::Name(t) if t.id == n.id))
                        {
                            values.push(a.value.as_ref());
                        }
                    }
                });
                if !values.is_empty() && values.iter().all(|v| is_path(v)) {
                    return Some(format!("{}.open()", n.id));
                }
            }
        }
    }
    None
}

/// `None` when something visibly closes the handle; otherwise what is wrong, for the message.
///
/// Walks up from the call: a `with` item, `enter_context(...)`, `return`/`yield`, a name or
/// attribute that is closed later, or `open(...).close()` manage it. A handle passed to another
/// call is handed on to that call's result (`closing(open(p))`, `TextIOWrapper(open(p))`), so the
/// walk continues from the outer call, except for functions that only read it (`json.load`).
fn unmanaged(checker: &Checker, call: &ast::ExprCall) -> Option<&'static str> {
    if inside_open_patch(checker) {
        return None;
    }
    let mut child = call.range();
    let mut ancestors = checker.ancestors().peekable();
    while let Some(ancestor) = ancestors.next() {
        match ancestor {
            NodeRef::Stmt(Stmt::With(with)) => {
                return if with.items.iter().any(|i| i.context_expr.range() == child) {
                    None
                } else {
                    Some("is opened inside a `with` statement but is not one of its items, so nothing closes it")
                };
            }
            NodeRef::Stmt(Stmt::Return(_)) => return None,
            NodeRef::Expr(Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Lambda(_)) => return None,
            NodeRef::Expr(Expr::Attribute(attr)) if attr.attr.as_str() == "close" => {
                // `open(p).close()`: created and closed at once.
                if matches!(ancestors.peek(), Some(NodeRef::Expr(Expr::Call(c))) if c.func.range() == attr.range())
                {
                    return None;
                }
                return Some("is used and never closed");
            }
            NodeRef::Expr(Expr::Call(outer)) => {
                let is_arg = outer.arguments.args.iter().any(|a| a.range() == child)
                    || outer
                        .arguments
                        .keywords
                        .iter()
                        .any(|k| k.value.range() == child);
                if !is_arg {
                    return Some("is used and never closed");
                }
                if is_enter_context(&outer.func) {
                    return None;
                }
                if checker
                    .semantic
                    .resolves_to(checker.scope(), &outer.func, CONSUMERS)
                {
                    return Some("is passed to a function that reads it, and is never closed");
                }
                child = outer.range();
            }
            NodeRef::Stmt(Stmt::Assign(assign)) => {
                // `f = self.fh = open(p)`: managed if any of the bindings is.
                let mut problem = None;
                for target in &assign.targets {
                    match assigned_handle(checker, target, call.start()) {
                        None => return None,
                        Some(p) => problem = problem.or(Some(p)),
                    }
                }
                return problem;
            }
            NodeRef::Stmt(Stmt::AnnAssign(assign)) => {
                return assigned_handle(checker, &assign.target, call.start());
            }
            NodeRef::Expr(Expr::Named(named)) => {
                return assigned_handle(checker, &named.target, call.start());
            }
            // Expressions that pass the value through: keep looking at what receives it.
            NodeRef::Expr(
                e @ (Expr::If(_)
                | Expr::BoolOp(_)
                | Expr::Tuple(_)
                | Expr::List(_)
                | Expr::Await(_)),
            ) => {
                child = e.range();
            }
            NodeRef::Stmt(Stmt::Expr(_)) if inside_expect_raises(checker) => return None,
            NodeRef::Stmt(_) => return Some("is never closed"),
            NodeRef::Expr(_) => return Some("is used and never closed"),
        }
    }
    Some("is never closed")
}

fn is_enter_context(func: &Expr) -> bool {
    matches!(func, Expr::Attribute(a) if ENTER_CONTEXT.contains(&a.attr.as_str()))
}

/// Inside `with patch("builtins.open", ...)`: the opener is a mock and opens nothing.
fn inside_open_patch(checker: &Checker) -> bool {
    checker.ancestors().any(|n| match n {
        NodeRef::Stmt(Stmt::With(with)) => with.items.iter().any(|item| {
            let Expr::Call(call) = &item.context_expr else {
                return false;
            };
            let is_patch = match call.func.as_ref() {
                Expr::Attribute(a) => a.attr.as_str() == "patch",
                Expr::Name(n) => n.id.as_str() == "patch",
                _ => false,
            };
            is_patch
                && matches!(call.arguments.args.first(), Some(Expr::StringLiteral(s)) if s.value.to_str().ends_with(".open"))
        }),
        _ => false,
    })
}

/// Inside `with self.assertRaises(...)` or `with pytest.raises(...)`: the call is expected to fail.
fn inside_expect_raises(checker: &Checker) -> bool {
    checker.ancestors().any(|n| match n {
        NodeRef::Stmt(Stmt::With(with)) => with.items.iter().any(|item| {
            let Expr::Call(call) = &item.context_expr else {
                return false;
            };
            match call.func.as_ref() {
                Expr::Attribute(a) => EXPECT_RAISES.contains(&a.attr.as_str()),
                Expr::Name(n) => EXPECT_RAISES.contains(&n.id.as_str()),
                _ => false,
            }
        }),
        _ => false,
    })
}

/// A handle bound to a name or attribute: accepted when that binding is visibly closed or
/// handed on to an owner that outlives the function.
fn assigned_handle(
    checker: &Checker,
    target: &Expr,
    opened_at: ruff_text_size::TextSize,
) -> Option<&'static str> {
    match target {
        Expr::Name(name) => {
            let mut uses = HandleUses::new(Target::Name(name.id.as_str()));
            uses.rebound_at = rebound_at(checker.enclosing_body(), name.id.as_str(), opened_at);
            uses.visit_body(checker.enclosing_body());
            if uses.closed {
                return None;
            }
            // `self.x = f` later: the class now owns the handle.
            let stored = std::mem::take(&mut uses.stored_on_self);
            if !stored.is_empty() {
                if let Some((class, _)) = checker.enclosing_method() {
                    if stored.iter().any(|attr| class_closes(class, attr)) {
                        return None;
                    }
                    return Some("is stored on `self` but no method of the class closes it");
                }
            }
            Some("is bound to a name that is never closed in a `finally` block, used as a `with` item or returned")
        }
        Expr::Attribute(attr) => {
            let self_method = checker.enclosing_method().filter(|(_, method)| {
                let first = method
                    .parameters
                    .posonlyargs
                    .first()
                    .or(method.parameters.args.first());
                matches!((attr.value.as_ref(), first), (Expr::Name(owner), Some(p)) if p.parameter.name.as_str() == owner.id.as_str())
            });
            match self_method {
                Some((class, _)) if class_closes(class, attr.attr.as_str()) => None,
                Some(_) => Some("is stored on `self` but no method of the class closes it"),
                // Another object (`sys.stderr = open(...)`, `request.stream = ...`) now owns it.
                None => None,
            }
        }
        // Stored in a container item: handed on to whoever owns the container.
        Expr::Subscript(_) => None,
        _ => Some("is never closed"),
    }
}

/// The start of the first statement after the one that opens at `opened_at`, in the same block,
/// that assigns `name` a value other than the handle (`fh = None`, `fh = open(b)`). Assignments
/// in other branches (`if`/`else`, `try`/`except`) are alternatives, not rebindings.
fn rebound_at(
    body: &[Stmt],
    name: &str,
    opened_at: ruff_text_size::TextSize,
) -> Option<ruff_text_size::TextSize> {
    let mut found = None;
    let mut visit = |stmts: &[Stmt]| {
        let Some(i) = stmts.iter().position(|s| s.range().contains(opened_at)) else {
            return;
        };
        if found.is_some() {
            return;
        }
        found = stmts[i + 1..]
            .iter()
            .find(|s| {
                let (targets, value): (&[Expr], Option<&Expr>) = match s {
                    Stmt::Assign(a) => (&a.targets, Some(&a.value)),
                    Stmt::AnnAssign(a) => (std::slice::from_ref(&*a.target), a.value.as_deref()),
                    _ => return false,
                };
                let assigns = targets
                    .iter()
                    .any(|t| matches!(t, Expr::Name(t) if t.id.as_str() == name));
                // The handle wrapped (`fh = io.BufferedReader(fh)`) is still the handle.
                let keeps_handle =
                    value.is_some_and(|v| crate::lint::blocks::uses_any_name(v, &[name]));
                assigns && !keeps_handle
            })
            .map(|s| s.start());
    };
    visit(body);
    crate::lint::blocks::walk_blocks(body, &mut |stmt| {
        match stmt {
            Stmt::If(i) => {
                visit(&i.body);
                for c in &i.elif_else_clauses {
                    visit(&c.body);
                }
            }
            Stmt::Try(t) => {
                visit(&t.body);
                for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                    visit(&h.body);
                }
                visit(&t.orelse);
                visit(&t.finalbody);
            }
            Stmt::With(w) => visit(&w.body),
            Stmt::For(l) => visit(&l.body),
            Stmt::While(l) => visit(&l.body),
            _ => {}
        }
        true
    });
    found
}

/// Whether any method of `class` closes `self.<attr>` (or hands it on, e.g. to a `with`).
fn class_closes(class: &ast::StmtClassDef, attr: &str) -> bool {
    let mut uses = HandleUses::new(Target::SelfAttr(attr));
    for stmt in &class.body {
        if let Stmt::FunctionDef(m) = stmt {
            uses.visit_body(&m.body);
        }
    }
    uses.closed
}

#[derive(Clone, Copy)]
enum Target<'t> {
    Name(&'t str),
    SelfAttr(&'t str),
}

/// Looks for evidence that a handle is closed or handed on: `x.close()` in a `finally` block (or
/// anywhere for `self.x`, whose closing method the owner calls), the bound `x.close` registered
/// for later (`addCleanup(x.close)`), `with x`, `enter_context(x)`, `return`/`yield` of `x` (also
/// inside a tuple or a wrapper call), or `x` stored into another object or container.
struct HandleUses<'t> {
    target: Target<'t>,
    in_finally: bool,
    closed: bool,
    /// Attributes of `self` the handle was stored in.
    stored_on_self: Vec<String>,
    /// Where the name is next given another value in the same block as the open: what is
    /// closed or returned from there on is another object.
    rebound_at: Option<ruff_text_size::TextSize>,
}

impl<'t> HandleUses<'t> {
    fn new(target: Target<'t>) -> Self {
        HandleUses {
            target,
            in_finally: false,
            closed: false,
            stored_on_self: Vec::new(),
            rebound_at: None,
        }
    }

    fn is_target(&self, expr: &Expr) -> bool {
        match (self.target, expr) {
            (Target::Name(n), Expr::Name(name)) => name.id.as_str() == n,
            (Target::SelfAttr(a), Expr::Attribute(attr)) => {
                attr.attr.as_str() == a && matches!(attr.value.as_ref(), Expr::Name(_))
            }
            _ => false,
        }
    }

    /// `expr` is the handle, or carries it to whoever receives `expr`: a tuple or list element,
    /// or an argument of a call that is not a reader such as `json.load`.
    fn hands_on(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Tuple(t) => t.elts.iter().any(|e| self.hands_on(e)),
            Expr::List(l) => l.elts.iter().any(|e| self.hands_on(e)),
            Expr::Starred(s) => self.hands_on(&s.value),
            Expr::Call(call) if !is_reader(&call.func) => {
                call.arguments.args.iter().any(|a| self.hands_on(a))
                    || call
                        .arguments
                        .keywords
                        .iter()
                        .any(|k| self.hands_on(&k.value))
            }
            _ => self.is_target(expr),
        }
    }
}

/// `json.load`, `pickle.load`, `yaml.safe_load`, ...: read the handle and return data.
fn is_reader(func: &Expr) -> bool {
    let name = match func {
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Name(n) => n.id.as_str(),
        _ => return false,
    };
    matches!(name, "load" | "safe_load" | "full_load" | "loads")
}

impl<'a> Visitor<'a> for HandleUses<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.closed || self.rebound_at.is_some_and(|at| stmt.start() >= at) {
            return;
        }
        match stmt {
            // Nested definitions have their own bindings.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Try(t) => {
                self.visit_body(&t.body);
                for h in &t.handlers {
                    self.visit_except_handler(h);
                }
                self.visit_body(&t.orelse);
                let saved = self.in_finally;
                self.in_finally = true;
                self.visit_body(&t.finalbody);
                self.in_finally = saved;
            }
            Stmt::With(with) => {
                if with.items.iter().any(|i| self.hands_on(&i.context_expr)) {
                    self.closed = true;
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Return(ret) => {
                if ret.value.as_deref().is_some_and(|v| self.hands_on(v)) {
                    self.closed = true;
                }
                visitor::walk_stmt(self, stmt);
            }
            // `close_stream = f.close`: kept to be called later.
            Stmt::Assign(assign) if matches!(assign.value.as_ref(), Expr::Attribute(m) if m.attr.as_str() == "close" && self.is_target(&m.value)) =>
            {
                self.closed = true;
            }
            Stmt::Assign(assign) if self.hands_on(&assign.value) => {
                for target in &assign.targets {
                    match target {
                        Expr::Attribute(attr) => match attr.value.as_ref() {
                            Expr::Name(owner) if owner.id.as_str() == "self" => {
                                self.stored_on_self.push(attr.attr.to_string());
                            }
                            _ => self.closed = true,
                        },
                        Expr::Subscript(_) => self.closed = true,
                        _ => {}
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                if let Expr::Attribute(attr) = call.func.as_ref() {
                    let closes = attr.attr.as_str() == "close" && self.is_target(&attr.value);
                    let self_attr = matches!(self.target, Target::SelfAttr(_));
                    if closes && (self.in_finally || self_attr) {
                        self.closed = true;
                    }
                    let args = &call.arguments.args;
                    if is_enter_context(&call.func) && args.iter().any(|a| self.is_target(a)) {
                        self.closed = true;
                    }
                    // `items.append(f)`: a container now owns the handle.
                    if matches!(attr.attr.as_str(), "append" | "add" | "put" | "appendleft")
                        && args.iter().any(|a| self.hands_on(a))
                    {
                        self.closed = true;
                    }
                }
                // The bound method passed on: `addCleanup(f.close)`, `stack.callback(f.close)`.
                let passes_close = call.arguments.args.iter().any(|a| {
                    matches!(a, Expr::Attribute(m) if m.attr.as_str() == "close" && self.is_target(&m.value))
                });
                if passes_close {
                    self.closed = true;
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Yield(y) => {
                if y.value.as_deref().is_some_and(|v| self.hands_on(v)) {
                    self.closed = true;
                }
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opener_names_cover_every_opener() {
        for opener in OPENERS {
            let last = opener.rsplit('.').next().unwrap();
            assert!(OPENER_NAMES.contains(&last), "{opener}");
        }
    }
}
