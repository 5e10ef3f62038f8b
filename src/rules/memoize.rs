//! Shared decorator resolution for SWC103 and SWC104: which decorators memoize, and whether
//! their cache is capped.

use crate::lint::checker::Checker;
use ruff_python_ast::{self as ast, Expr};

/// `functools.lru_cache`'s size when none is given.
const DEFAULT_LRU_MAXSIZE: u64 = 128;

/// A memoizing decorator found on a function.
pub struct Memoize<'a> {
    pub decorator: &'a ast::Decorator,
    /// `functools.cache`, `lru_cache(maxsize=None)`, `lru_cache(None)`.
    pub uncapped: bool,
    /// The number of entries kept, when written as a literal (`lru_cache` alone keeps 128).
    pub cap: Option<u64>,
    /// As written: `functools.lru_cache(maxsize=None)`, `cache`.
    pub spelled: &'static str,
}

pub fn memoize_decorator<'a>(
    checker: &Checker,
    func: &'a ast::StmtFunctionDef,
) -> Option<Memoize<'a>> {
    func.decorator_list.iter().find_map(|d| {
        let (callee, call) = match &d.expression {
            Expr::Call(call) => (call.func.as_ref(), Some(call)),
            other => (other, None),
        };
        let q = checker.qualified_name(callee)?;
        match (q.as_str(), call) {
            ("functools.cache", _) => Some(Memoize {
                decorator: d,
                uncapped: true,
                cap: None,
                spelled: "functools.cache",
            }),
            ("functools.lru_cache", None) => Some(Memoize {
                decorator: d,
                uncapped: false,
                cap: Some(DEFAULT_LRU_MAXSIZE),
                spelled: "functools.lru_cache",
            }),
            ("functools.lru_cache", Some(call)) => {
                let maxsize = call
                    .arguments
                    .find_argument_value("maxsize", 0)
                    .or_else(|| unpacked_keyword(call, "maxsize"));
                let uncapped = maxsize.is_some_and(Expr::is_none_literal_expr);
                let cap = match maxsize {
                    None => Some(DEFAULT_LRU_MAXSIZE),
                    Some(Expr::NumberLiteral(n)) => match &n.value {
                        ast::Number::Int(i) => i.as_u64(),
                        _ => None,
                    },
                    Some(_) => None,
                };
                Some(Memoize {
                    decorator: d,
                    uncapped,
                    cap,
                    spelled: if uncapped {
                        "functools.lru_cache(maxsize=None)"
                    } else {
                        "functools.lru_cache"
                    },
                })
            }
            _ => None,
        }
    })
}

/// The value of `name` in a dict literal unpacked into the call: `lru_cache(**{"maxsize": None})`.
fn unpacked_keyword<'c>(call: &'c ast::ExprCall, name: &str) -> Option<&'c Expr> {
    call.arguments
        .keywords
        .iter()
        .filter(|k| k.arg.is_none())
        .find_map(|k| match &k.value {
            Expr::Dict(d) => d.items.iter().find_map(|item| match &item.key {
                Some(Expr::StringLiteral(s)) if s.value.to_str() == name => Some(&item.value),
                _ => None,
            }),
            _ => None,
        })
}

/// `@staticmethod` or `@classmethod` (resolved, so a local function named so does not count).
pub fn is_static_or_class_method(checker: &Checker, func: &ast::StmtFunctionDef) -> bool {
    func.decorator_list.iter().any(|d| {
        checker
            .qualified_name(&d.expression)
            .is_some_and(|q| q == "builtins.staticmethod" || q == "builtins.classmethod")
    })
}
