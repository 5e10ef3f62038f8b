//! SWC103 uncapped-memoize: `functools.cache` / `lru_cache(maxsize=None)` on a module-level
//! function, a static method or a class method: every distinct argument is kept forever.
//! (On instance methods SWC104 reports it, with the cap in its message.)

use super::memoize::{is_static_or_class_method, memoize_decorator};
use crate::lint::checker::{Checker, Diagnostic};
use crate::rules::Rule;
use ruff_python_ast as ast;
use ruff_text_size::Ranged;

/// `in_class` is true for functions defined directly in a class body.
pub fn check(checker: &mut Checker, func: &ast::StmtFunctionDef, in_class: bool) {
    let Some(memo) = memoize_decorator(checker, func) else {
        return;
    };
    if !memo.uncapped || (in_class && !is_static_or_class_method(checker, func)) {
        return;
    }
    // Without arguments there is one distinct call, so one cached result: a compute-once value.
    if takes_no_arguments(func, in_class) {
        return;
    }
    // As for keyed containers (SWC105): the arguments must show they keep arriving (text,
    // prompts, ids); a cache over names, kinds or paths holds one result per member of a
    // catalogue the code or the configuration bounds.
    let Some(evidence) = func
        .parameters
        .iter()
        .find_map(|p| crate::lint::containers::event_keys::per_event_parameter(p.name().as_str()))
    else {
        return;
    };
    // `render.cache_clear()` where the program works (a chat switched, a file reloaded):
    // emptied as it goes, so not kept for the life of the process.
    if cleared_while_working(checker.suite, func.name.as_str()) {
        return;
    }
    let what = if in_class { "method" } else { "function" };
    checker.report(Diagnostic {
        // Like a module-global dict (SWC105): it lives as long as the process, which a script
        // that ends (run once per invocation, imported by nothing) does not keep.
        condition: crate::lint::project::Condition::ModuleLivesLong,
        rule: Rule::UncappedMemoize,
        range: memo.decorator.range(),
        message: format!(
            "`@{}` on {what} `{}` has no size cap: it keeps a result for every distinct argument for the life of the process",
            memo.spelled, func.name
        ),
        related: vec![(func.parameters.range(), evidence.replacen("keys are", "arguments are", 1))],
        fix: Some("cap it: `@functools.lru_cache(maxsize=N)`, or `cachetools.TTLCache` when entries go stale".to_string()),
    });
}

/// No parameters besides a classmethod's `cls`, and no `*args`/`**kwargs`.
fn takes_no_arguments(func: &ast::StmtFunctionDef, in_class: bool) -> bool {
    let p = &func.parameters;
    if p.vararg.is_some() || p.kwarg.is_some() {
        return false;
    }
    let receiver = func
        .decorator_list
        .iter()
        .any(|d| matches!(&d.expression, ast::Expr::Name(n) if n.id.as_str() == "classmethod"));
    let count = p.iter_non_variadic_params().count();
    count == usize::from(in_class && receiver)
}

/// Some function of the module (other than one that runs when the program ends) calls
/// `<name>.cache_clear()`, or `<Class>.<name>.cache_clear()` for a static or class method.
fn cleared_while_working(suite: &[ast::Stmt], name: &str) -> bool {
    use ruff_python_ast::visitor::{self, Visitor};
    use ruff_python_ast::{Expr, Stmt};
    struct Clears<'m> {
        name: &'m str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Clears<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(f) if crate::lint::blocks::runs_at_life_edge(f.name.as_str()) => {
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(clear) = call.func.as_ref() {
                    let cleared = match clear.value.as_ref() {
                        Expr::Name(n) => n.id.as_str() == self.name,
                        Expr::Attribute(m) => m.attr.as_str() == self.name,
                        _ => false,
                    };
                    self.found |= clear.attr.as_str() == "cache_clear" && cleared;
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut clears = Clears { name, found: false };
    for stmt in suite {
        // Module-level code runs once, at import.
        if let Stmt::FunctionDef(_) | Stmt::ClassDef(_) = stmt {
            clears.visit_stmt(stmt);
        }
    }
    clears.found
}
