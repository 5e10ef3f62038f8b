//! A file saved only where the code computes it anew because its loader found nothing: a
//! cache, whatever its name, since a cut-short write costs that work again, not data.

use super::Function;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// Whether the module saves the document only where it computes it again because `reader` (whose
/// read treats an unreadable file as missing) found none: `token = _load()`, then
/// `if token is None:` (or `if not token:`) around `token = fetch(); _save(token)`, or
/// `if token: return token` before them. What is written there is new work, not the document
/// read, so a cut-short write costs that work again, not data.
pub(super) fn computes_after_reading(
    functions: &[Function<'_>],
    reader: &str,
    writer: &str,
    write: TextRange,
) -> bool {
    let (Some(reader), Some(writer)) = (Callee::of(reader), Callee::of(writer)) else {
        return false;
    };
    let mut absent_blocks: Vec<TextRange> = Vec::new();
    for f in functions.iter().skip(1) {
        // The name the loader's result is bound to, and the blocks where it held nothing.
        let mut loaded_name: Option<&str> = None;
        crate::lint::blocks::for_each_stmt(f.body, &mut |stmt| match stmt {
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(call)) =
                    (a.targets.as_slice(), a.value.as_ref())
                {
                    if loaded_name.is_none() && reader.is_called_by(call) {
                        loaded_name = Some(n.id.as_str());
                    }
                }
            }
            Stmt::If(i) => {
                let Some(name) = loaded_name else { return };
                if tests_missing(&i.test, name) {
                    // The branch itself: an `else` there has the document that was read.
                    if let (Some(first), Some(last)) = (i.body.first(), i.body.last()) {
                        absent_blocks.push(TextRange::new(first.start(), last.end()));
                    }
                } else if tests_present(&i.test, name)
                    && i.elif_else_clauses.is_empty()
                    && i.body.iter().any(|b| matches!(b, Stmt::Return(_)))
                {
                    absent_blocks.push(TextRange::new(i.end(), f.def_range.end()));
                }
            }
            _ => {}
        });
    }
    let inside = |at: TextRange| absent_blocks.iter().any(|b| b.contains_range(at));
    if inside(write) {
        return true;
    }
    // Every use of the saver anywhere in the module (a call at module level, in a lambda, or the
    // saver handed on as a callback included) must be a call in such a block.
    let Some(module) = functions.first() else {
        return false;
    };
    let mut uses = Uses {
        writer: &writer,
        calls: Vec::new(),
        other: false,
    };
    uses.visit_body(module.body);
    !uses.other && !uses.calls.is_empty() && uses.calls.iter().all(|c| inside(*c))
}

/// How code calls a function of the module: a method through `self` or `cls`, a module-level
/// function by its bare name.
struct Callee {
    name: String,
    method: bool,
}

impl Callee {
    fn of(id: &str) -> Option<Callee> {
        if id.contains('<') {
            return None;
        }
        let (name, method) = match id.rsplit_once('.') {
            Some((_, name)) => (name, true),
            None => (id, false),
        };
        Some(Callee {
            name: name.to_string(),
            method,
        })
    }

    fn is_called_by(&self, call: &ast::ExprCall) -> bool {
        self.names(&call.func)
    }

    /// Whether `expr` names this function as code calls it.
    fn names(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(n) => !self.method && n.id.as_str() == self.name,
            Expr::Attribute(a) => {
                self.method
                    && a.attr.as_str() == self.name
                    && matches!(a.value.as_ref(), Expr::Name(r) if matches!(r.id.as_str(), "self" | "cls"))
            }
            _ => false,
        }
    }

    /// Whether `expr` could name it in any other way (`store._save`, a bare `_save` handed on).
    fn may_name(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(n) => n.id.as_str() == self.name,
            Expr::Attribute(a) => a.attr.as_str() == self.name,
            _ => false,
        }
    }
}

/// The calls of the saver in a module, and whether anything names it otherwise.
struct Uses<'c> {
    writer: &'c Callee,
    calls: Vec<TextRange>,
    other: bool,
}

impl<'a> Visitor<'a> for Uses<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if self.writer.is_called_by(call) {
                self.calls.push(call.range());
                for arg in &*call.arguments.args {
                    self.visit_expr(arg);
                }
                for kw in &*call.arguments.keywords {
                    self.visit_expr(&kw.value);
                }
                return;
            }
        }
        if self.writer.may_name(expr) {
            self.other = true;
        }
        visitor::walk_expr(self, expr);
    }
}

/// `x is None`, `not x`: the test holds when `x` holds nothing.
fn tests_missing(test: &Expr, name: &str) -> bool {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => {
            crate::lint::blocks::is_name(&u.operand, name)
        }
        Expr::Compare(c) => {
            crate::lint::blocks::is_name(&c.left, name)
                && matches!(c.ops.as_ref(), [ast::CmpOp::Is])
                && matches!(c.comparators.as_ref(), [Expr::NoneLiteral(_)])
        }
        Expr::BoolOp(b) if b.op == ast::BoolOp::Or => {
            b.values.iter().any(|v| tests_missing(v, name))
        }
        _ => false,
    }
}

/// `x`, `x is not None`: the test holds when `x` holds something.
fn tests_present(test: &Expr, name: &str) -> bool {
    match test {
        Expr::Compare(c) => {
            crate::lint::blocks::is_name(&c.left, name)
                && matches!(c.ops.as_ref(), [ast::CmpOp::IsNot])
                && matches!(c.comparators.as_ref(), [Expr::NoneLiteral(_)])
        }
        other => crate::lint::blocks::is_name(other, name),
    }
}
