//! A file saved only where the code computes it anew because its loader found nothing: a
//! cache, whatever its name, since a cut-short write costs that work again, not data.

use super::Function;
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
    let last = |id: &str| -> Option<String> {
        (!id.contains('<')).then(|| id.rsplit('.').next().unwrap_or(id).to_string())
    };
    let (Some(read_name), Some(write_name)) = (last(reader), last(writer)) else {
        return false;
    };
    fn callee(call: &ast::ExprCall) -> Option<&str> {
        match call.func.as_ref() {
            Expr::Name(n) => Some(n.id.as_str()),
            Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(_)) => {
                Some(a.attr.as_str())
            }
            _ => None,
        }
    }
    let mut missing: Vec<TextRange> = Vec::new();
    let mut calls: Vec<TextRange> = Vec::new();
    for f in functions.iter().skip(1) {
        // The name the reader's result is bound to, and the blocks where it held nothing.
        let mut result: Option<&str> = None;
        crate::lint::blocks::for_each_stmt(f.body, &mut |stmt| match stmt {
            Stmt::Assign(a) => {
                if let ([Expr::Name(n)], Expr::Call(call)) =
                    (a.targets.as_slice(), a.value.as_ref())
                {
                    if callee(call) == Some(read_name.as_str()) && result.is_none() {
                        result = Some(n.id.as_str());
                    }
                }
            }
            Stmt::If(i) => {
                let Some(name) = result else { return };
                if tests_missing(&i.test, name) {
                    missing.push(TextRange::new(
                        i.body.first().map_or(i.start(), |b| b.start()),
                        i.end(),
                    ));
                } else if tests_present(&i.test, name)
                    && i.elif_else_clauses.is_empty()
                    && i.body.iter().any(|b| matches!(b, Stmt::Return(_)))
                {
                    missing.push(TextRange::new(i.end(), f.def_range.end()));
                }
            }
            _ => {}
        });
        calls.extend(
            crate::lint::blocks::calls_in(f.body)
                .iter()
                .filter(|c| callee(c) == Some(write_name.as_str()))
                .map(|c| c.range()),
        );
    }
    let inside = |at: &TextRange| missing.iter().any(|m| m.contains_range(*at));
    // Every save of the document is of one computed anew: none writes back what was read.
    if functions
        .iter()
        .any(|f| f.id == writer && f.def_range.contains_range(write))
        && inside(&write)
    {
        return true;
    }
    !calls.is_empty() && calls.iter().all(inside)
}

/// `x is None`, `not x`: the test holds when `x` holds nothing.
fn tests_missing(test: &Expr, name: &str) -> bool {
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => is_name_expr(&u.operand, name),
        Expr::Compare(c) => {
            is_name_expr(&c.left, name)
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
            is_name_expr(&c.left, name)
                && matches!(c.ops.as_ref(), [ast::CmpOp::IsNot])
                && matches!(c.comparators.as_ref(), [Expr::NoneLiteral(_)])
        }
        other => is_name_expr(other, name),
    }
}

fn is_name_expr(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Name(n) if n.id.as_str() == name)
}
