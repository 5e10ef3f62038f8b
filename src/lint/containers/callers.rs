//! What the module's own calls of a function tell about a key parameter of it: evidence that
//! the values are new with each event (a caller passes a key built from a `tool_id`), or that
//! they are bounded (every caller passes the calling thread's identifier).

use super::event_keys::{per_event_key, KeyScope};
use super::keys::{argument, bound_once, module_member, ModuleCall};
use crate::lint::blocks::{dotted, first_param, is_name};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// The function whose parameter is asked about.
pub(super) struct Callee<'a> {
    pub def: &'a ast::StmtFunctionDef,
    /// Defined directly in a class body: its receiver is not passed.
    pub is_method: bool,
    /// The class it is a method of, when callers must be in that class.
    pub class: Option<&'a str>,
    /// Module globals bound to an instance of that class (`_limiter = BanLimiter(5)`): calls
    /// through them anywhere in the module call the method too.
    pub instances: Vec<&'a str>,
}

/// The module-level names bound once to an instance of `class`: `limiter = Limiter(...)`.
pub(super) fn module_instances<'a>(suite: &'a [Stmt], class: &str) -> Vec<&'a str> {
    suite
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign(a) if a.targets.len() == 1 => match (&a.targets[0], a.value.as_ref()) {
                (Expr::Name(n), Expr::Call(c)) if is_name(&c.func, class) => Some(n.id.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

impl Callee<'_> {
    /// The position of `param` among the explicit arguments a call passes.
    fn index_of(&self, param: &str) -> Option<usize> {
        let skip = usize::from(self.is_method && first_param(self.def).is_some());
        self.def
            .parameters
            .iter_non_variadic_params()
            .skip(skip)
            .position(|p| p.parameter.name.as_str() == param)
    }

    fn name(&self) -> &str {
        self.def.name.as_str()
    }
}

/// The names of the module's functions and of the methods of its classes.
pub(super) fn module_function_names(suite: &[Stmt]) -> Vec<&str> {
    let mut names = Vec::new();
    for stmt in suite {
        match stmt {
            Stmt::FunctionDef(f) => names.push(f.name.as_str()),
            Stmt::ClassDef(c) => names.extend(c.body.iter().filter_map(|s| match s {
                Stmt::FunctionDef(f) => Some(f.name.as_str()),
                _ => None,
            })),
            _ => {}
        }
    }
    names
}

/// `helper(...)` of a module-level function, or `self.helper(...)` / `cls.helper(...)` of a
/// method defined in this module (`names` from [`module_function_names`]).
pub(super) fn own_function(callee: &Expr, names: &[&str]) -> bool {
    let name = match callee {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) if is_name(&a.value, "self") || is_name(&a.value, "cls") => {
            a.attr.as_str()
        }
        _ => return false,
    };
    names.contains(&name)
}

/// Why the values passed as parameter `param` of `callee` are new with each event, shown by a
/// call of it in this module: `self.lock_for(cache_key)` in a method of the same class, or
/// `track(session_id)` of a module-level function, where the argument has that evidence in the
/// caller (its own parameters are not followed further, and names for text are no evidence
/// there: callers pass messages written in the code as often as traffic).
pub(super) fn caller_evidence(
    callee: &Callee<'_>,
    calls: &[ModuleCall<'_>],
    own: &dyn Fn(&Expr) -> bool,
    param: &str,
    suite: &[Stmt],
) -> Option<String> {
    let index = callee.index_of(param)?;
    calls.iter().find_map(|site| {
        let direct = match (site.call.func.as_ref(), callee.class) {
            // A method, called on the instance or class from a method of its own class.
            (Expr::Attribute(a), Some(cls)) => {
                a.attr.as_str() == callee.name()
                    && (site.class == Some(cls)
                        && (is_name(&a.value, "self")
                            || is_name(&a.value, "cls")
                            || site
                                .function
                                .and_then(first_param)
                                .is_some_and(|r| is_name(&a.value, r)))
                        || matches!(a.value.as_ref(), Expr::Name(n)
                            if callee.instances.contains(&n.id.as_str())))
            }
            (Expr::Name(n), None) => n.id.as_str() == callee.name(),
            _ => false,
        };
        if !direct {
            return None;
        }
        let arg = argument(site.call, index, param)?;
        if module_member(arg, suite) {
            return None;
        }
        let caller = site.function?;
        let locals = bound_once(&caller.body);
        let local = |name: &str| locals.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let no_parameter = |_: &str| None;
        let scope = KeyScope {
            local: &local,
            stream_positions: &[],
            own_function: own,
            parameter: &no_parameter,
            content_names: false,
            class_parameter: &|_| false,
        };
        let why = per_event_key(arg, &scope)?;
        let why = why.strip_prefix("keys are ").unwrap_or(&why);
        Some(format!(
            "keys are the `{param}` values `{}` passes, which are {why}",
            caller.name
        ))
    })
}

/// `threading.get_ident()` or `threading.current_thread().ident`: the calling thread's
/// identifier, which the system reuses once that thread has ended.
pub(super) fn is_thread_ident(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => matches!(
            dotted(&c.func).as_deref(),
            Some(
                "threading.get_ident"
                    | "threading.get_native_id"
                    | "_thread.get_ident"
                    | "get_ident"
                    | "get_native_id"
            )
        ),
        Expr::Attribute(a) => {
            matches!(a.attr.as_str(), "ident" | "native_id")
                && matches!(a.value.as_ref(), Expr::Call(c)
                    if dotted(&c.func).is_some_and(|d| d.ends_with("current_thread")))
        }
        _ => false,
    }
}

/// Whether every call of `callee` in the module (through any receiver: `manager.add_timeout(
/// threading.get_ident(), ttl)`), and at least one, passes the calling thread's identifier as
/// `param`: the keys are the threads alive at once, since the system reuses the identifier of a
/// thread that has ended, whatever the parameter is called (`thread_id`).
pub(super) fn passes_thread_ident(
    callee: &Callee<'_>,
    calls: &[ModuleCall<'_>],
    param: &str,
) -> bool {
    let Some(index) = callee.index_of(param) else {
        return false;
    };
    let mut seen = false;
    let all = calls
        .iter()
        .filter(|site| match site.call.func.as_ref() {
            Expr::Attribute(a) => a.attr.as_str() == callee.name(),
            Expr::Name(c) => c.id.as_str() == callee.name(),
            _ => false,
        })
        .all(|site| {
            seen = true;
            argument(site.call, index, param).is_some_and(is_thread_ident)
        });
    seen && all
}
