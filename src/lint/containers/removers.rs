//! Functions that remove from a container their caller hands them: `def safe_remove(items, x):
//! items.remove(x)`. A call `safe_remove(self.waiting, x)`, in this module or in one that imports
//! the helper, bounds `self.waiting` as a `.remove()` in place would.

use super::uses::REMOVE_METHODS;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// The module-level functions of `suite` that remove from one of their positional parameters:
/// (function name, parameter position).
pub fn removers(suite: &[Stmt]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for stmt in suite {
        let Stmt::FunctionDef(f) = stmt else { continue };
        let params: Vec<&str> = f
            .parameters
            .posonlyargs
            .iter()
            .chain(&f.parameters.args)
            .map(|p| p.parameter.name.as_str())
            .collect();
        let mut found = Removals {
            params: &params,
            removed: Vec::new(),
        };
        found.visit_body(&f.body);
        // A parameter rebound in the body (`items = list(items)`) no longer is the caller's.
        let mut rebound = Vec::new();
        crate::lint::blocks::for_each_stmt(&f.body, &mut |s| {
            if let Some((Expr::Name(n), _)) = crate::lint::blocks::single_assignment(s) {
                rebound.extend(params.iter().position(|p| *p == n.id.as_str()));
            }
        });
        found.removed.retain(|i| !rebound.contains(i));
        found.removed.sort_unstable();
        found.removed.dedup();
        out.extend(found.removed.into_iter().map(|i| (f.name.to_string(), i)));
    }
    out
}

struct Removals<'p> {
    params: &'p [&'p str],
    /// Positions of the parameters removed from.
    removed: Vec<usize>,
}

impl Removals<'_> {
    fn note(&mut self, receiver: &Expr) {
        if let Expr::Name(n) = receiver {
            if let Some(i) = self.params.iter().position(|p| *p == n.id.as_str()) {
                self.removed.push(i);
            }
        }
    }
}

impl<'a> Visitor<'a> for Removals<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // A nested definition's parameters are other names.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::Delete(d) => {
                for target in &d.targets {
                    if let Expr::Subscript(s) = target {
                        self.note(&s.value);
                    }
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(ast::ExprCall { func, .. }) = expr {
            if let Expr::Attribute(a) = func.as_ref() {
                if REMOVE_METHODS.contains(&a.attr.as_str()) {
                    self.note(&a.value);
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}
