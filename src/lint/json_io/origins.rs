//! Where a path comes from, when that alone makes the file private to one process or one call:
//! pytest's temporary directories, `tempfile.mkdtemp()`, and names no other writer can produce
//! (a `uuid4()`, a timestamp to the second, the process id). A file named that way is written by
//! the call that made the name: no other process has updates to lose in it, and after a crash
//! nothing reads it back as the current state. A content hash is not such a name: its whole
//! point is that a later run finds the same file again.
//!
//! Names flow through local bindings (`p = tmp_path / "state.json"`), through helpers of the
//! module that return such a name (`log_path = self._new_log_file()`), and through attributes
//! and context variables that only ever hold such names (`self._log_path.set(log_path)` ...
//! `self._log_path.get()`).

use super::Function;
use crate::lint::blocks::{for_each_stmt, uses_any_name};
use crate::lint::project::context::{PRIVATE_DIR_CALLS, PRIVATE_DIR_FIXTURES};
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// Calls whose value differs in every process or call: a path built from one is not shared with
/// another writer.
const UNIQUE_NAME_CALLS: &[&str] = &[
    "uuid.uuid1",
    "uuid.uuid4",
    "time.time",
    "time.time_ns",
    "os.getpid",
    "secrets.token_hex",
    "secrets.token_urlsafe",
    "tempfile.mktemp",
];

/// The current time: unique unless formatted coarsely (`strftime("%Y-%m-%d")` names a file that
/// every process writes that day).
const NOW_CALLS: &[&str] = &[
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
];

/// Whether a name is built from a value unique to this process or call (`f"{path}.{os.getpid()}.tmp"`,
/// a `uuid4()`): no other writer produces it.
pub(super) fn has_unique_part(value: &Expr, scope: ScopeId, semantic: &SemanticModel<'_>) -> bool {
    let mut calls = Vec::new();
    super::collect_calls(value, &mut calls);
    let coarse_time = calls.iter().any(|c| is_coarse_strftime(c));
    calls.iter().any(|c| {
        semantic
            .qualified_name(scope, &c.func)
            .is_some_and(|q| names_uniquely(&q, coarse_time))
    })
}

/// A call (by qualified name) whose value differs in every process or call; the current time
/// only when the name does not format it coarsely.
fn names_uniquely(qualified: &str, coarse_time: bool) -> bool {
    UNIQUE_NAME_CALLS.contains(&qualified) || (!coarse_time && NOW_CALLS.contains(&qualified))
}

/// A call whose value differs in every call, not only in every process: the process id is
/// shared by the threads of the process.
pub(super) fn unique_per_call(qualified: &str) -> bool {
    qualified != "os.getpid" && names_uniquely(qualified, false)
}

pub(super) struct PrivateOrigins<'a> {
    /// Functions of the module (last name) whose every return is a private name.
    functions: Vec<&'a str>,
    /// Attributes (`self.<attr>`, or a context variable read with `.get()`) that only ever hold
    /// private names.
    attrs: Vec<&'a str>,
    /// Parameters of private helpers (`_name`) that every call in the module passes a private
    /// name: (function, parameter).
    params: Vec<(&'a str, &'a str)>,
}

impl<'a> PrivateOrigins<'a> {
    pub(super) fn collect(functions: &[Function<'a>], semantic: &SemanticModel<'a>) -> Self {
        let mut origins = PrivateOrigins {
            functions: Vec::new(),
            attrs: Vec::new(),
            params: Vec::new(),
        };
        // Helpers calling helpers, and attributes set from helpers: two rounds settle it.
        for _ in 0..2 {
            let mut returning = Vec::new();
            let mut attr_values: Vec<(&'a str, bool)> = Vec::new();
            let mut arguments: Vec<((&'a str, &'a str), bool)> = Vec::new();
            for f in functions {
                let Some(node) = f.node else { continue };
                let roots = origins.roots(f, semantic);
                let scope = semantic.scope_of(node).unwrap_or(ScopeId::MODULE);
                let private = |e: &Expr| origins.is_private(e, &roots, scope, semantic);
                for call in crate::lint::blocks::calls_in(f.body) {
                    let callee = match call.func.as_ref() {
                        Expr::Name(n) => n.id.as_str(),
                        Expr::Attribute(a) => a.attr.as_str(),
                        _ => continue,
                    };
                    // A private helper sees only the calls of its module.
                    if !callee.starts_with('_') || callee.starts_with("__") {
                        continue;
                    }
                    for target in functions
                        .iter()
                        .filter(|g| g.node.is_some_and(|n| n.name.as_str() == callee))
                    {
                        for (i, arg) in call.arguments.args.iter().enumerate() {
                            if let Some(param) = target.params.get(i) {
                                arguments.push(((callee, *param), private(arg)));
                            }
                        }
                        for kw in &*call.arguments.keywords {
                            if let Some(param) = target
                                .params
                                .iter()
                                .find(|p| kw.arg.as_ref().is_some_and(|a| a.as_str() == **p))
                            {
                                arguments.push(((callee, *param), private(&kw.value)));
                            }
                        }
                    }
                }
                let mut returns = Vec::new();
                for_each_stmt(f.body, &mut |stmt| match stmt {
                    // `return None` (logging disabled) names no file.
                    Stmt::Return(r) => match r.value.as_deref() {
                        None | Some(Expr::NoneLiteral(_)) => {}
                        Some(v) => returns.push(private(v)),
                    },
                    Stmt::Assign(a) => {
                        // `token = self._path.set(value)`.
                        if let Expr::Call(call) = a.value.as_ref() {
                            if let Some((attr, value)) = context_set(call, f.receiver) {
                                attr_values.push((attr, private(value)));
                            }
                        }
                        for t in &a.targets {
                            if let Some(attr) = self_attr(t, f.receiver) {
                                let neutral = matches!(*a.value, Expr::NoneLiteral(_))
                                    || is_context_var(&a.value, scope, semantic);
                                if !neutral {
                                    attr_values.push((attr, private(&a.value)));
                                }
                            }
                        }
                    }
                    Stmt::Expr(e) => {
                        // `self._path.set(value)` on a context variable.
                        if let Expr::Call(call) = e.value.as_ref() {
                            if let Some((attr, value)) = context_set(call, f.receiver) {
                                attr_values.push((attr, private(value)));
                            }
                        }
                    }
                    _ => {}
                });
                if !returns.is_empty() && returns.iter().all(|p| *p) {
                    returning.push(f.node.map_or("", |n| n.name.as_str()));
                }
            }
            origins.functions = returning;
            origins.attrs = always_private(attr_values);
            origins.params = always_private(arguments);
        }
        origins
    }

    /// Names in `f` that denote a private directory or file: pytest's temporary directory
    /// fixtures, and local names bound from a private origin or from such names.
    pub(super) fn roots(&self, f: &Function<'a>, semantic: &SemanticModel<'a>) -> Vec<&'a str> {
        let Some(node) = f.node else {
            return Vec::new();
        };
        let name = node.name.as_str();
        let mut roots: Vec<&str> = f
            .params
            .iter()
            .copied()
            .filter(|p| PRIVATE_DIR_FIXTURES.contains(p) || self.params.contains(&(name, *p)))
            .collect();
        let scope = semantic.scope_of(node).unwrap_or(ScopeId::MODULE);
        let mut bindings: Vec<(&'a str, &'a Expr)> = Vec::new();
        // A parameter given a fresh name only when the caller passes none (`if not message_id:
        // message_id = str(uuid4())`) still holds the caller's name on the other path.
        let mut defaults: Vec<&Stmt> = Vec::new();
        for_each_stmt(f.body, &mut |stmt| {
            if let Stmt::If(i) = stmt {
                for s in &i.body {
                    if let Stmt::Assign(a) = s {
                        if matches!(a.targets.as_slice(), [Expr::Name(n)]
                            if f.params.contains(&n.id.as_str())
                                && uses_any_name(&i.test, &[n.id.as_str()]))
                        {
                            defaults.push(s);
                        }
                    }
                }
            }
        });
        for_each_stmt(f.body, &mut |stmt| match stmt {
            Stmt::Assign(a) => {
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    if !defaults.iter().any(|d| std::ptr::eq(*d, stmt)) {
                        bindings.push((n.id.as_str(), &a.value));
                    }
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(Expr::Name(n)) = item.optional_vars.as_deref() {
                        bindings.push((n.id.as_str(), &item.context_expr));
                    }
                }
            }
            _ => {}
        });
        // Derived names may come before or after their root in the list: two passes settle it.
        for _ in 0..2 {
            for (name, value) in &bindings {
                if !roots.contains(name) && self.is_private(value, &roots, scope, semantic) {
                    roots.push(name);
                }
            }
        }
        roots
    }

    /// Whether a path text (`log_path / "x"`, `self._log_file`) starts from a private name.
    pub(super) fn path_is_private(&self, path: &str, roots: &[&str]) -> bool {
        let word = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        // Any local name in the path text: `base / f"{digest}.json"` shows its parts.
        let mut rest = path;
        while let Some(start) = rest.find(|c: char| c.is_alphabetic() || c == '_') {
            let preceded_by_dot = rest[..start].ends_with('.');
            let name = word(&rest[start..]);
            if !preceded_by_dot && roots.contains(&name.as_str()) {
                return true;
            }
            rest = &rest[start + name.len().max(1)..];
        }
        path.strip_prefix("self.")
            .is_some_and(|rest| self.attrs.contains(&word(rest).as_str()))
    }

    fn is_private(
        &self,
        value: &Expr,
        roots: &[&str],
        scope: ScopeId,
        semantic: &SemanticModel<'a>,
    ) -> bool {
        // `given or f"anon-{uuid4()}"`: a fresh name only when nothing was given, so private
        // only when every alternative is.
        match value {
            Expr::BoolOp(b) => {
                return b
                    .values
                    .iter()
                    .all(|v| self.is_private(v, roots, scope, semantic));
            }
            Expr::If(i) => {
                return self.is_private(&i.body, roots, scope, semantic)
                    && self.is_private(&i.orelse, roots, scope, semantic);
            }
            _ => {}
        }
        if uses_any_name(value, roots) {
            return true;
        }
        let mut calls = Vec::new();
        super::collect_calls(value, &mut calls);
        let coarse_time = calls.iter().any(|c| is_coarse_strftime(c));
        let private_call = calls.iter().any(|c| {
            if let Some(q) = semantic.qualified_name(scope, &c.func) {
                if PRIVATE_DIR_CALLS.contains(&q.as_str()) || names_uniquely(&q, coarse_time) {
                    return true;
                }
            }
            match c.func.as_ref() {
                Expr::Name(n) => self.functions.contains(&n.id.as_str()),
                Expr::Attribute(a) => {
                    self.functions.contains(&a.attr.as_str())
                        || (a.attr.as_str() == "get" && self.is_private_attr(&a.value))
                }
                _ => false,
            }
        });
        private_call || self.is_private_attr(value)
    }

    /// `self.<attr>` for an attribute that only holds private names.
    fn is_private_attr(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Attribute(a)
            if matches!(a.value.as_ref(), Expr::Name(_)) && self.attrs.contains(&a.attr.as_str()))
    }
}

/// The keys whose every observation is private: an attribute all of whose assignments are, a
/// parameter all of whose arguments are.
fn always_private<K: Ord + Copy>(mut seen: Vec<(K, bool)>) -> Vec<K> {
    seen.sort_unstable();
    // Sorted by key, `false` before `true`: a key is private when its first observation is.
    seen.dedup_by_key(|(k, _)| *k);
    seen.into_iter()
        .filter(|(_, p)| *p)
        .map(|(k, _)| k)
        .collect()
}

/// `self.<attr>` as an assignment target.
fn self_attr<'a>(target: &'a Expr, receiver: Option<&str>) -> Option<&'a str> {
    receiver.and_then(|r| crate::lint::blocks::self_attr(target, r))
}

/// `self.<attr>.set(value)`.
fn context_set<'a>(call: &'a ast::ExprCall, receiver: Option<&str>) -> Option<(&'a str, &'a Expr)> {
    let Expr::Attribute(set) = call.func.as_ref() else {
        return None;
    };
    if set.attr.as_str() != "set" || call.arguments.args.len() != 1 {
        return None;
    }
    Some((self_attr(&set.value, receiver)?, &call.arguments.args[0]))
}

fn is_context_var(value: &Expr, scope: ScopeId, semantic: &SemanticModel<'_>) -> bool {
    matches!(value, Expr::Call(c)
        if semantic.qualified_name(scope, &c.func).as_deref() == Some("contextvars.ContextVar"))
}

/// `.strftime(fmt)` with a literal format that names no second: the same name all day (or hour).
fn is_coarse_strftime(call: &ast::ExprCall) -> bool {
    let Expr::Attribute(a) = call.func.as_ref() else {
        return false;
    };
    if a.attr.as_str() != "strftime" {
        return false;
    }
    match call.arguments.args.first() {
        Some(Expr::StringLiteral(s)) => {
            let fmt = s.value.to_str();
            !["%S", "%f", "%s", "%T", "%X", "%c"]
                .iter()
                .any(|d| fmt.contains(d))
        }
        _ => false,
    }
}
