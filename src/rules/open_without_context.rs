//! SWC301 open-without-context: a file object that no `with` block (or equivalent) closes.

use crate::lint::checker::{Checker, Diagnostic, NodeRef};
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
];

const PATH_TYPES: &[&str] = &["pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"];

/// Wrappers that hand the handle to something that closes it.
const CLOSING_WRAPPERS: &[&str] = &["contextlib.closing"];

pub fn check_call(checker: &mut Checker, call: &ast::ExprCall) {
    let Some(opener) = opener_name(checker, call) else {
        return;
    };
    let Some(problem) = unmanaged(checker, call) else {
        return;
    };
    checker.report(Diagnostic {
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
    if let Some(q) = checker.qualified_name(&call.func) {
        if OPENERS.contains(&q.as_str()) {
            let short = q.strip_prefix("builtins.").unwrap_or(&q);
            return Some(format!("{short}(...)"));
        }
    }
    // `pathlib.Path(...).open()`
    if let Expr::Attribute(attr) = call.func.as_ref() {
        if attr.attr.as_str() == "open" {
            if let Expr::Call(inner) = attr.value.as_ref() {
                if let Some(q) = checker.qualified_name(&inner.func) {
                    if PATH_TYPES.contains(&q.as_str()) {
                        return Some("Path(...).open()".to_string());
                    }
                }
            }
        }
    }
    None
}

/// `None` when something visibly closes the handle; otherwise what is wrong, for the message.
fn unmanaged(checker: &Checker, call: &ast::ExprCall) -> Option<&'static str> {
    let mut child = call.range();
    for ancestor in checker.ancestors() {
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
            NodeRef::Expr(Expr::Call(outer)) => {
                let is_arg = outer.arguments.args.iter().any(|a| a.range() == child);
                if is_arg && is_enter_context(&outer.func) {
                    return None;
                }
                if is_arg
                    && checker
                        .semantic
                        .resolves_to(checker.scope(), &outer.func, CLOSING_WRAPPERS)
                {
                    child = outer.range();
                    continue;
                }
                return Some("is passed to a call and never closed");
            }
            NodeRef::Stmt(Stmt::Assign(assign)) if assign.targets.len() == 1 => {
                return assigned_handle(checker, &assign.targets[0]);
            }
            NodeRef::Stmt(Stmt::AnnAssign(assign)) => {
                return assigned_handle(checker, &assign.target);
            }
            NodeRef::Expr(Expr::Named(named)) => {
                return assigned_handle(checker, &named.target);
            }
            // Parentheses-like wrappers keep looking at the same value.
            NodeRef::Expr(e @ (Expr::If(_) | Expr::BoolOp(_))) => {
                child = e.range();
            }
            NodeRef::Stmt(_) => return Some("is never closed"),
            NodeRef::Expr(_) => return Some("is used and never closed"),
        }
    }
    Some("is never closed")
}

fn is_enter_context(func: &Expr) -> bool {
    matches!(func, Expr::Attribute(a) if a.attr.as_str() == "enter_context")
}

/// A handle bound to a name or attribute: accepted when that binding is visibly closed.
fn assigned_handle(checker: &Checker, target: &Expr) -> Option<&'static str> {
    match target {
        Expr::Name(name) => {
            let mut uses = HandleUses::new(Target::Name(name.id.as_str()));
            uses.visit_body(checker.enclosing_body());
            if uses.closed {
                None
            } else {
                Some("is bound to a name that is never closed in a `finally` block, used as a `with` item or returned")
            }
        }
        Expr::Attribute(attr) => {
            let (Expr::Name(owner), Some((class, method))) =
                (attr.value.as_ref(), checker.enclosing_method())
            else {
                return Some("is stored in an attribute that nothing closes");
            };
            let is_self = method
                .parameters
                .args
                .first()
                .or(method.parameters.posonlyargs.first())
                .is_some_and(|p| p.parameter.name.as_str() == owner.id.as_str());
            if !is_self {
                return Some("is stored in an attribute that nothing closes");
            }
            let mut uses = HandleUses::new(Target::SelfAttr(attr.attr.as_str()));
            for stmt in &class.body {
                if let Stmt::FunctionDef(m) = stmt {
                    uses.visit_body(&m.body);
                }
            }
            if uses.closed {
                None
            } else {
                Some("is stored on `self` but no method of the class closes it")
            }
        }
        _ => Some("is never closed"),
    }
}

#[derive(Clone, Copy)]
enum Target<'t> {
    Name(&'t str),
    SelfAttr(&'t str),
}

/// Looks for evidence that a handle is closed: `x.close()` in a `finally` block (or anywhere for
/// `self.x`, whose closing method is called by the owner), `with x`, `return x`, `enter_context(x)`.
struct HandleUses<'t> {
    target: Target<'t>,
    in_finally: bool,
    closed: bool,
}

impl<'t> HandleUses<'t> {
    fn new(target: Target<'t>) -> Self {
        HandleUses {
            target,
            in_finally: false,
            closed: false,
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
}

impl<'a> Visitor<'a> for HandleUses<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.closed {
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
                if with.items.iter().any(|i| self.is_target(&i.context_expr)) {
                    self.closed = true;
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::Return(ret) => {
                if ret.value.as_deref().is_some_and(|v| self.is_target(v)) {
                    self.closed = true;
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(attr) = call.func.as_ref() {
                let closes = attr.attr.as_str() == "close" && self.is_target(&attr.value);
                let self_attr = matches!(self.target, Target::SelfAttr(_));
                if closes && (self.in_finally || self_attr) {
                    self.closed = true;
                }
                if is_enter_context(&call.func)
                    && call.arguments.args.iter().any(|a| self.is_target(a))
                {
                    self.closed = true;
                }
            }
        }
        if let Expr::Yield(y) = expr {
            if y.value.as_deref().is_some_and(|v| self.is_target(v)) {
                self.closed = true;
            }
        }
        visitor::walk_expr(self, expr);
    }
}
