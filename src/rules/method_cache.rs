//! SWC104 method-cache: `lru_cache`/`cache` on an instance method. The cache lives on the
//! function, shared by all instances, and holds a reference to every `self` it has seen.
//!
//! Not reported: `@staticmethod`/`@classmethod` (no instance), `__new__` (receives the class,
//! which lives for the process anyway; flake8-bugbear reports it, Ruff does not), and
//! per-instance wrapping in `__init__` (`self.f = lru_cache(maxsize=32)(self._f)`), which dies
//! with the instance, `maxsize=0` or `1`, which keeps at most one instance, and methods of
//! `enum.Enum` subclasses (in any module of the project), whose instances are their members.
//! Reported only when the project shows instances that come and go (a framework base that makes
//! one per request, or a function that makes one and drops it when it returns): a class made once
//! (a singleton, an attribute of its owner) keeps alive through the cache only what is alive
//! anyway. Nor a cache the class empties while it works
//! (`self._get.cache_clear()` when its view changes, not only in `close()`): what it keeps is
//! released there. Nor a class whose `__new__` is itself memoized: it hands back the instance it
//! made for the same arguments, so there is one instance per set of arguments, not per call.

use super::memoize::{is_static_or_class_method, memoize_decorator};
use crate::lint::checker::{Checker, Diagnostic};
use crate::rules::Rule;
use ruff_python_ast as ast;
use ruff_text_size::Ranged;

pub fn check(checker: &mut Checker, class: &ast::StmtClassDef, func: &ast::StmtFunctionDef) {
    if func.name.as_str() == "__new__" || is_static_or_class_method(checker, func) {
        return;
    }
    let Some(memo) = memoize_decorator(checker, func) else {
        return;
    };
    if memo.cap.is_some_and(|n| n <= 1)
        || cleared_while_working(class, func.name.as_str())
        || constructs_once_per_arguments(checker, class)
    {
        return;
    }
    let kept = match (memo.uncapped, memo.cap) {
        (true, _) => "every `self` it is called on alive, with no size cap,".to_string(),
        (false, Some(n)) => format!("the `self` of each of its last {n} calls alive"),
        (false, None) => "the `self` of each of its most recent calls alive".to_string(),
    };
    checker.report(Diagnostic {
        condition: crate::lint::project::Condition::CacheKeepsInstances {
            class: format!("{}.{}", checker.context.module, class.name).into(),
        },
        rule: Rule::MethodCache,
        range: memo.decorator.range(),
        message: format!(
            "`@{}` on method `{}.{}` keeps {kept} for the life of the process (the cache is shared by every instance)",
            memo.spelled, class.name, func.name
        ),
        related: Vec::new(),
        fix: Some(
            "cache per instance in `__init__` (`self.f = functools.lru_cache(maxsize=N)(self._f)`), or move the cached logic to a module-level function of the arguments that matter".to_string(),
        ),
    });
}

/// The class memoizes `__new__` (paasta's `KubeClient`): calling it again with the same
/// arguments returns the instance made the first time, so instances do not come and go and the
/// method cache keeps alive only what the constructor's cache keeps anyway.
fn constructs_once_per_arguments(checker: &Checker, class: &ast::StmtClassDef) -> bool {
    class.body.iter().any(|stmt| {
        matches!(stmt, ast::Stmt::FunctionDef(f)
            if f.name.as_str() == "__new__" && memoize_decorator(checker, f).is_some())
    })
}

/// A method of `class` (other than one that runs when the object ends) calls
/// `self.<method>.cache_clear()` (or through `cls` or the class name).
fn cleared_while_working(class: &ast::StmtClassDef, method: &str) -> bool {
    use ruff_python_ast::visitor::{self, Visitor};
    use ruff_python_ast::Expr;
    struct Clears<'m> {
        method: &'m str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Clears<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(clear) = call.func.as_ref() {
                    if clear.attr.as_str() == "cache_clear"
                        && matches!(clear.value.as_ref(), Expr::Attribute(m)
                            if m.attr.as_str() == self.method && matches!(m.value.as_ref(), Expr::Name(_)))
                    {
                        self.found = true;
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut clears = Clears {
        method,
        found: false,
    };
    for stmt in &class.body {
        if let ast::Stmt::FunctionDef(f) = stmt {
            if !crate::lint::blocks::runs_at_life_edge(f.name.as_str()) {
                clears.visit_body(&f.body);
            }
        }
    }
    clears.found
}
