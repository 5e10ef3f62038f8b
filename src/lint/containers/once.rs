//! Growth that does not accumulate over the life of the process: code that runs once per
//! instance (initializers, start-up hooks, methods only those call) and warn-once sets.

use super::{first_param, for_each_stmt, is_name};
use crate::lint::blocks::{ends_on_its_own_result, service_prelude};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// Methods that run once per instance, where attributes are first built.
pub(crate) fn is_init_like(name: &str) -> bool {
    matches!(
        name,
        "__init__"
            | "__new__"
            | "__post_init__"
            | "model_post_init"
            | "setUp"
            | "asyncSetUp"
            | "__enter__"
            | "__aenter__"
            // One-shot start-up hooks: discord.py calls them once per bot or cog.
            | "setup_hook"
            | "cog_load"
    )
}

/// A lifecycle start that takes nothing but its receiver (`def start(self)`, dask's
/// `start_unsafe(self)`) and runs no loop of its own: it brings the object up once, as a thread
/// that refuses a second `start()` does. A start that takes an argument (`start(self, job)`) is
/// a per-event call under a common name, and one that loops is the service itself.
pub(crate) fn is_lifecycle_start(f: &ast::StmtFunctionDef) -> bool {
    let Some(receiver) = first_param(f) else {
        return false;
    };
    // Twisted's `startService` / `privilegedStartService` (IService): twistd starts each
    // service of the application once.
    matches!(
        f.name.as_str(),
        "start" | "start_unsafe" | "startup" | "startService" | "privilegedStartService"
    ) && f.parameters.len() == 1
        && !self_refs(&f.body, 0, receiver).loops
}

/// The class's own lifecycle starts ([`is_lifecycle_start`]).
pub(crate) fn lifecycle_starts(class: &ast::StmtClassDef) -> Vec<&str> {
    class
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if is_lifecycle_start(f) => Some(f.name.as_str()),
            _ => None,
        })
        .collect()
}

/// Methods that run once per instance because only its initializers call them (directly or
/// through other such methods): `cog_load` calling `self.parse_zones()`; or because each call
/// sits under a flag it sets (`if not self.started: self.started = True; self.start()`). A
/// method handed on without being called (a callback, a listener) may run any number of times,
/// and one with a `while` or `async for` loop keeps running, so neither counts.
pub(crate) fn once_methods(class: &ast::StmtClassDef) -> Vec<&str> {
    let mut escaped: Vec<&str> = Vec::new();
    let mut looping: Vec<&str> = Vec::new();
    let starts = lifecycle_starts(class);
    let methods: Vec<(&str, Vec<(&str, bool)>)> = class
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => {
                let receiver = first_param(f)?;
                let prelude = service_prelude(f, Some(receiver)).len();
                let refs = self_refs(&f.body, prelude, receiver);
                escaped.extend(refs.escaped);
                if refs.loops {
                    looping.push(f.name.as_str());
                }
                Some((f.name.as_str(), refs.calls))
            }
            _ => None,
        })
        .collect();
    // `if self._initialized: return` first, `self._initialized = True` later: once per instance.
    let mut once: Vec<&str> = class
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => {
                let receiver = first_param(f)?;
                let flag = guarded_by_flag(&f.body, receiver)?;
                // A sentinel set back to `None` by a `close()` or a `finally:` lets the set-up
                // run again.
                (!flag.1 || !reset_to_none(class, flag.0)).then_some(f.name.as_str())
            }
            _ => None,
        })
        .collect();
    loop {
        let before = once.len();
        for (name, _) in &methods {
            if once.contains(name)
                || is_init_like(name)
                || starts.contains(name)
                || escaped.contains(name)
                || looping.contains(name)
            {
                continue;
            }
            // Callers that call it, and whether every such call sits under a once-flag. A
            // method calling itself (walking a nested menu) runs within the call that started
            // it: the recursion is no caller of its own.
            let callers: Vec<(&str, bool)> = methods
                .iter()
                .filter(|(m, calls)| m != name && calls.iter().any(|(c, _)| c == name))
                .map(|(m, calls)| {
                    let guarded = calls.iter().filter(|(c, _)| c == name).all(|(_, g)| *g);
                    (*m, guarded)
                })
                .collect();
            if !callers.is_empty()
                && callers.iter().all(|(c, guarded)| {
                    *guarded || is_init_like(c) || starts.contains(c) || once.contains(c)
                })
            {
                once.push(name);
            }
        }
        if once.len() == before {
            return once;
        }
    }
}

/// A body that leaves at once when a flag on the receiver is set (`if self._initialized:
/// return`, before anything else but a docstring, also first thing under a leading `with
/// self.lock:`) and sets that flag itself.
fn guarded_by_flag<'a>(body: &'a [Stmt], receiver: &str) -> Option<(&'a str, bool)> {
    let mut first = body
        .iter()
        .find(|s| !matches!(s, Stmt::Expr(e) if e.value.is_string_literal_expr()));
    while let Some(Stmt::With(w)) = first {
        first = w.body.first();
    }
    let Some(Stmt::If(guard)) = first else {
        return None;
    };
    // `if self.log is not None: return`, then `self.log = make()`: the attribute stands for
    // the set-up having run, as a boolean flag does.
    let (flag, any_value) = match guard.test.as_ref() {
        Expr::Attribute(a) if is_name(&a.value, receiver) => (a.attr.as_str(), false),
        Expr::Compare(c)
            if matches!(&*c.ops, [ast::CmpOp::IsNot])
                && matches!(&*c.comparators, [Expr::NoneLiteral(_)]) =>
        {
            match c.left.as_ref() {
                Expr::Attribute(a) if is_name(&a.value, receiver) => (a.attr.as_str(), true),
                _ => return None,
            }
        }
        _ => return None,
    };
    if !matches!(guard.body.last(), Some(Stmt::Return(_))) || !guard.elif_else_clauses.is_empty() {
        return None;
    }
    let mut sets = false;
    for_each_stmt(body, &mut |s| {
        sets |= if any_value {
            sets_to_a_value(s, receiver, flag)
        } else {
            sets_flag(s, receiver, flag)
        }
    });
    sets.then_some((flag, any_value))
}

/// Some method of the class other than an initializer sets `self.<attr>` back to `None`
/// (`close()`, or a `finally:` of the guarded method itself), or deletes it.
fn reset_to_none(class: &ast::StmtClassDef, attr: &str) -> bool {
    class.body.iter().any(|s| {
        let Stmt::FunctionDef(f) = s else {
            return false;
        };
        let Some(receiver) = first_param(f) else {
            return false;
        };
        if is_init_like(f.name.as_str()) {
            return false;
        }
        let mut resets = false;
        for_each_stmt(&f.body, &mut |s| {
            resets |= assigns_attr(s, receiver, attr, &|v| v.is_none_literal_expr())
                || matches!(s, Stmt::Delete(d)
                    if d.targets.iter().any(|t| is_attr_of(t, receiver, attr)));
        });
        resets
    })
}

/// `receiver.attr = <anything but None>`.
fn sets_to_a_value(stmt: &Stmt, receiver: &str, attr: &str) -> bool {
    assigns_attr(stmt, receiver, attr, &|v| !v.is_none_literal_expr())
}

/// `receiver.attr = value` (or `receiver.attr: T = value`) where `value` passes `test`.
fn assigns_attr(stmt: &Stmt, receiver: &str, attr: &str, test: &dyn Fn(&Expr) -> bool) -> bool {
    match stmt {
        Stmt::Assign(a) => {
            test(&a.value) && a.targets.iter().any(|t| is_attr_of(t, receiver, attr))
        }
        Stmt::AnnAssign(a) => a
            .value
            .as_deref()
            .is_some_and(|v| test(v) && is_attr_of(&a.target, receiver, attr)),
        _ => false,
    }
}

/// `receiver.attr`.
fn is_attr_of(expr: &Expr, receiver: &str, attr: &str) -> bool {
    matches!(expr, Expr::Attribute(t) if t.attr.as_str() == attr && is_name(&t.value, receiver))
}

/// `receiver.flag = True`.
fn sets_flag(stmt: &Stmt, receiver: &str, flag: &str) -> bool {
    assigns_attr(
        stmt,
        receiver,
        flag,
        &|v| matches!(v, Expr::BooleanLiteral(b) if b.value),
    )
}

/// Some statement of `body`, nested blocks included, is `receiver.flag = True`.
fn sets_flag_within(body: &[Stmt], receiver: &str, flag: &str) -> bool {
    let mut sets = false;
    for_each_stmt(body, &mut |s| sets |= sets_flag(s, receiver, flag));
    sets
}

/// Whether the body, or the `else` block, of `if receiver.flag:` / `if not receiver.flag:` runs
/// once per instance: the block that runs while the flag is unset sets it (`self.started =
/// True`), so later calls take the other way.
pub(super) fn once_branches(if_stmt: &ast::StmtIf, receiver: &str) -> (bool, bool) {
    let (flag, unset_is_body) = match if_stmt.test.as_ref() {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => (u.operand.as_ref(), true),
        other => (other, false),
    };
    let Expr::Attribute(a) = flag else {
        return (false, false);
    };
    if !is_name(&a.value, receiver) {
        return (false, false);
    }
    let flag = a.attr.as_str();
    if unset_is_body {
        (sets_flag_within(&if_stmt.body, receiver, flag), false)
    } else {
        let else_body = if_stmt
            .elif_else_clauses
            .last()
            .filter(|c| c.test.is_none() && if_stmt.elif_else_clauses.len() == 1);
        (
            false,
            else_body.is_some_and(|c| sets_flag_within(&c.body, receiver, flag)),
        )
    }
}

struct SelfRefs<'a> {
    /// `receiver.<name>(...)`, and whether the call sits under a once-flag.
    calls: Vec<(&'a str, bool)>,
    /// `receiver.<name>` used other than by calling it (names of data attributes too).
    escaped: Vec<&'a str>,
    /// The body has a `while` or `async for` loop.
    loops: bool,
}

/// How a method body uses `receiver.<name>`. The first `prelude` statements run once per
/// start of a service ([`service_prelude`]): calls there count as guarded.
fn self_refs<'a>(body: &'a [Stmt], prelude: usize, receiver: &str) -> SelfRefs<'a> {
    struct Walk<'r, 'a> {
        receiver: &'r str,
        refs: SelfRefs<'a>,
        /// Inside the body of a once-flag guard.
        guarded: bool,
    }
    impl<'a> Visitor<'a> for Walk<'_, 'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                // A loop that ends once what it computes meets its test (a prompt repeated
                // until the answer is valid) keeps nothing running.
                Stmt::While(w) if !ends_on_its_own_result(w) => self.refs.loops = true,
                Stmt::For(f) if f.is_async => self.refs.loops = true,
                Stmt::If(i) if !self.guarded && once_flag_guard(i, self.receiver) => {
                    self.visit_expr(&i.test);
                    self.guarded = true;
                    self.visit_body(&i.body);
                    self.guarded = false;
                    return;
                }
                _ => {}
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Call(call) => match call.func.as_ref() {
                    Expr::Attribute(a) if is_name(&a.value, self.receiver) => {
                        self.refs.calls.push((a.attr.as_str(), self.guarded));
                        for arg in &*call.arguments.args {
                            self.visit_expr(arg);
                        }
                        for kw in &*call.arguments.keywords {
                            self.visit_expr(&kw.value);
                        }
                    }
                    _ => visitor::walk_expr(self, expr),
                },
                Expr::Attribute(a) if is_name(&a.value, self.receiver) => {
                    self.refs.escaped.push(a.attr.as_str());
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut walk = Walk {
        receiver,
        refs: SelfRefs {
            calls: Vec::new(),
            escaped: Vec::new(),
            loops: false,
        },
        guarded: false,
    };
    walk.guarded = true;
    walk.visit_body(&body[..prelude]);
    walk.guarded = false;
    walk.visit_body(&body[prelude..]);
    walk.refs
}

/// `if not receiver.flag:` with no `else`, whose body sets `receiver.flag = True` before
/// anything can run twice: the body runs once per instance.
fn once_flag_guard(i: &ast::StmtIf, receiver: &str) -> bool {
    let Expr::UnaryOp(not) = i.test.as_ref() else {
        return false;
    };
    if not.op != ast::UnaryOp::Not || !i.elif_else_clauses.is_empty() {
        return false;
    }
    let flag = match not.operand.as_ref() {
        Expr::Attribute(a) if is_name(&a.value, receiver) => a.attr.as_str(),
        _ => return false,
    };
    i.body.iter().any(|s| sets_flag(s, receiver, flag))
}
