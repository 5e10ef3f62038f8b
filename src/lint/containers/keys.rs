//! Keys from a fixed set: what a container keyed by them can hold is bounded by the code or the
//! configuration, not by traffic.

use super::first_param;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// `ALL_CAPS`: a constant by convention.
pub(crate) fn is_constant_name(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// What a key names when its variable is called `model_name`, `provider`, `service_name` or
/// `message_type`: a choice fixed by configuration or by the code (models, providers, services,
/// plugins, message kinds), so a cache keyed by it holds one entry per configured choice. This is
/// a hint from the name alone, documented as such in SWC101 and SWC105; per-event identifiers
/// (`run_id`, `session_id`, `tool_call_id`) and anything not listed stay open keys.
const CONFIGURATION_KEY_WORDS: &[&str] = &[
    "model",
    "provider",
    "backend",
    "engine",
    "service",
    "env",
    "environment",
    "locale",
    "language",
    "lang",
    "dtype",
    "device",
    "encoding",
    "tokenizer",
    "platform",
    "plugin",
    "cog",
    "extension",
    "persona",
    "role",
    "kind",
    "type",
    "category",
    "class",
    "module",
    "dialect",
    "driver",
    "vendor",
    "region",
    "protocol",
    "scheme",
    "level",
];

pub(super) fn is_configuration_name(name: &str) -> bool {
    let name = name.trim_start_matches('_');
    let stem = strip_suffix_ignore_case(name, "_name")
        .or_else(|| strip_suffix_ignore_case(name, "name"))
        .unwrap_or(name);
    stem.rsplit('_').next().is_some_and(|word| {
        CONFIGURATION_KEY_WORDS
            .iter()
            .any(|w| w.eq_ignore_ascii_case(word))
    })
}

fn strip_suffix_ignore_case<'s>(s: &'s str, suffix: &str) -> Option<&'s str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

/// Parameters of the module's private helpers (`_warn(code)`, `self._cache_type(module, attr)`)
/// that every call in the module passes a literal, an ALL_CAPS constant, or a parameter of the
/// caller that is fixed the same way: the helper sees only the values written in the code.
pub(super) fn fixed_params<'a>(
    suite: &'a [Stmt],
    calls: &[ModuleCall<'a>],
) -> Vec<(&'a str, &'a str)> {
    /// Private helpers and their explicit parameters (without `self`/`cls`).
    fn helpers<'a>(stmts: &'a [Stmt], in_class: bool, out: &mut Vec<(&'a str, Vec<&'a str>)>) {
        for stmt in stmts {
            match stmt {
                Stmt::FunctionDef(f) => {
                    let name = f.name.as_str();
                    if name.starts_with('_') && !name.starts_with("__") {
                        // A method's receiver (none for a static method) is not passed.
                        let skip = usize::from(in_class && first_param(f).is_some());
                        let params = f
                            .parameters
                            .iter_non_variadic_params()
                            .skip(skip)
                            .map(|p| p.parameter.name.as_str())
                            .collect();
                        out.push((name, params));
                    }
                }
                Stmt::ClassDef(c) => helpers(&c.body, true, out),
                _ => {}
            }
        }
    }
    let mut defs = Vec::new();
    helpers(suite, false, &mut defs);
    if defs.is_empty() {
        return Vec::new();
    }
    fn callee(call: &ast::ExprCall) -> Option<&str> {
        match call.func.as_ref() {
            Expr::Name(n) => Some(n.id.as_str()),
            Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(_)) => {
                Some(a.attr.as_str())
            }
            _ => None,
        }
    }
    let literal = |e: &Expr| {
        matches!(
            e,
            Expr::StringLiteral(_)
                | Expr::NumberLiteral(_)
                | Expr::BooleanLiteral(_)
                | Expr::NoneLiteral(_)
        ) || match e {
            Expr::Name(n) => is_constant_name(n.id.as_str()),
            Expr::Attribute(a) => is_constant_name(a.attr.as_str()),
            _ => false,
        }
    };
    let mut fixed: Vec<(&str, &str)> = Vec::new();
    // A helper's fixed parameter passed on to another helper: two rounds follow one hop.
    for _ in 0..2 {
        let mut next = Vec::new();
        for (name, params) in &defs {
            for (i, param) in params.iter().enumerate() {
                let mut seen = false;
                let all_fixed = calls
                    .iter()
                    .filter(|c| callee(c.call) == Some(*name))
                    .all(|c| {
                        let within = c.function.map(|f| f.name.as_str());
                        seen = true;
                        argument(c.call, i, param).is_some_and(|a| {
                            literal(a)
                                || matches!((a, within), (Expr::Name(n), Some(f))
                                    if fixed.contains(&(f, n.id.as_str())))
                        })
                    });
                if seen && all_fixed {
                    next.push((*name, *param));
                }
            }
        }
        fixed = next;
    }
    fixed
}

/// A call in a module, with the function and class it is written in.
pub(super) struct ModuleCall<'a> {
    pub call: &'a ast::ExprCall,
    /// The innermost function around the call (`None` at module or class level).
    pub function: Option<&'a ast::StmtFunctionDef>,
    /// The innermost class around the call.
    pub class: Option<&'a str>,
}

/// Every call of a module, with where it is written: the call sites that tell what a helper's
/// parameters receive.
pub(super) fn module_calls(suite: &[Stmt]) -> Vec<ModuleCall<'_>> {
    #[derive(Default)]
    struct Calls<'a> {
        functions: Vec<&'a ast::StmtFunctionDef>,
        classes: Vec<&'a str>,
        found: Vec<ModuleCall<'a>>,
    }
    impl<'a> Visitor<'a> for Calls<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(f) => {
                    self.functions.push(f);
                    visitor::walk_stmt(self, stmt);
                    self.functions.pop();
                }
                Stmt::ClassDef(c) => {
                    self.classes.push(c.name.as_str());
                    visitor::walk_stmt(self, stmt);
                    self.classes.pop();
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                self.found.push(ModuleCall {
                    call,
                    function: self.functions.last().copied(),
                    class: self.classes.last().copied(),
                });
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut calls = Calls::default();
    calls.visit_body(suite);
    calls.found
}

/// What a call passes as parameter `param`, the `index`-th explicit one: positionally or by
/// keyword.
pub(super) fn argument<'a>(call: &'a ast::ExprCall, index: usize, param: &str) -> Option<&'a Expr> {
    call.arguments
        .args
        .get(index)
        .filter(|a| !a.is_starred_expr())
        .or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == param))
                .map(|k| &k.value)
        })
}

pub(super) use crate::lint::blocks::bound_once;

/// Whether `key` names a module of the program: the function that stores under it imports a
/// module named from it (`importlib.import_module(f"providers.{provider_id}.chat")`), directly
/// or through a function of the module it hands the key to. A container keyed so holds at most
/// one entry per module the program ships.
pub(super) fn names_a_module(key: &str, body: &[Stmt], suite: &[Stmt]) -> bool {
    crate::lint::blocks::calls_in(body).into_iter().any(|call| {
        if !call_mentions(call, key) {
            return false;
        }
        if imports_module(call) {
            return imports_module_from(call, key);
        }
        // A helper of the module handed the key: does it import a module named from the
        // parameter it receives the key as?
        let Expr::Name(callee) = call.func.as_ref() else {
            return false;
        };
        let helper = suite.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == callee.id.as_str() => Some(f),
            _ => None,
        });
        let Some(helper) = helper else { return false };
        let params: Vec<&str> = helper
            .parameters
            .iter_non_variadic_params()
            .map(|p| p.parameter.name.as_str())
            .collect();
        call.arguments.args.iter().enumerate().any(|(i, arg)| {
            let passes = matches!(arg, Expr::Name(n) if n.id.as_str() == key);
            passes
                && params.get(i).is_some_and(|param| {
                    crate::lint::blocks::calls_in(&helper.body)
                        .into_iter()
                        .any(|inner| imports_module(inner) && imports_module_from(inner, param))
                })
        })
    })
}

fn imports_module(call: &ast::ExprCall) -> bool {
    match call.func.as_ref() {
        Expr::Name(n) => matches!(n.id.as_str(), "import_module" | "__import__"),
        Expr::Attribute(a) => a.attr.as_str() == "import_module",
        _ => false,
    }
}

/// The module name `import_module` is given is built from `key`.
fn imports_module_from(call: &ast::ExprCall, key: &str) -> bool {
    call.arguments
        .args
        .first()
        .is_some_and(|name| mentions(name, key))
}

fn call_mentions(call: &ast::ExprCall, key: &str) -> bool {
    call.arguments.args.iter().any(|a| mentions(a, key))
}

/// `key` itself, or a string built from it (an f-string, `+`, `.format`, `%`).
fn mentions(expr: &Expr, key: &str) -> bool {
    match expr {
        Expr::Name(n) => n.id.as_str() == key,
        Expr::FString(f) => f.value.elements().any(|e| match e {
            ast::InterpolatedStringElement::Interpolation(i) => mentions(&i.expression, key),
            ast::InterpolatedStringElement::Literal(_) => false,
        }),
        Expr::BinOp(b) => mentions(&b.left, key) || mentions(&b.right, key),
        Expr::Call(c) => {
            matches!(c.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "format")
                && c.arguments.args.iter().any(|a| mentions(a, key))
        }
        _ => false,
    }
}

/// `gdb.events.new_thread`: a member of a module the file imports whole (`import gdb`), reached
/// through attributes alone. A module's members are the objects it defines, a fixed set, however
/// their names read (`new_thread` names an event registry, not a thread).
pub(super) fn module_member(key: &Expr, suite: &[Stmt]) -> bool {
    let Expr::Attribute(attr) = key else {
        return false;
    };
    let mut root = attr.value.as_ref();
    while let Expr::Attribute(inner) = root {
        root = inner.value.as_ref();
    }
    let Expr::Name(root) = root else {
        return false;
    };
    let root = root.id.as_str();
    suite.iter().any(|s| match s {
        Stmt::Import(i) => i.names.iter().any(|alias| match &alias.asname {
            Some(local) => local.as_str() == root,
            None => alias.name.split('.').next() == Some(root),
        }),
        _ => false,
    })
}
