//! Containers a class grows but never makes: a mixin's `self.instances[key] = value` where
//! `instances` is created by the class it is mixed into, often in another module
//! (`class Cleverbot(CleverbotAPI, commands.Cog)` making `self.instances = {}` in `__init__`,
//! `CleverbotAPI.get_response` filling it). The module that makes the container sees no growth
//! and the module that grows it sees no container, so each is silent on its own.
//!
//! The growing class gets a container of the kind its uses show (a store under a key: a dict;
//! `append`: a list; `add`: a set), which the use walk fills like any other. Its finding sits at
//! the growth the rule reports and holds only when linking finds a class of its family (a
//! subclass or a base, in any module) that makes that attribute a container of the same kind
//! and neither grows nor bounds it in its own module ([`Container::is_quiet_attr`]); the
//! maker's own lifetime is the evidence when it is a subclass.

use super::{Container, ContainerKind, Facts, Owner};
use crate::lint::blocks::{first_param, for_each_stmt, module_level, self_attr};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

impl<'a> Facts<'a, '_, '_> {
    /// Adds a container for each `self.<attr>` that a class of the module grows but that
    /// neither it nor a base of the module binds.
    pub(super) fn collect_borrowed(&mut self, suite: &'a [Stmt]) {
        for stmt in module_level(suite) {
            let Stmt::ClassDef(class) = stmt else {
                continue;
            };
            let Some(&ci) = self.class_index.get(class.name.as_str()) else {
                continue;
            };
            let mut assigned: HashSet<&str> = HashSet::default();
            let mut grown: HashMap<&str, (Option<ContainerKind>, TextRange)> = HashMap::default();
            let mut order: Vec<&str> = Vec::new();
            for item in &class.body {
                match item {
                    Stmt::FunctionDef(method) => {
                        borrowed_uses(method, &mut assigned, &mut grown, &mut order)
                    }
                    Stmt::Assign(a) => assigned.extend(a.targets.iter().filter_map(plain_name)),
                    Stmt::AnnAssign(a) if a.value.is_some() => {
                        assigned.extend(plain_name(&a.target))
                    }
                    _ => {}
                }
            }
            for attr in order {
                let Some((Some(kind), at)) = grown.get(attr).cloned() else {
                    continue;
                };
                if assigned.contains(&attr)
                    || (attr.starts_with("__") && attr.ends_with("__"))
                    || self.member(ci, attr, true).is_some()
                {
                    continue;
                }
                self.by_key.insert(
                    (Owner::SelfAttr(ci), attr.to_string()),
                    self.containers.len(),
                );
                let mut container = Container::new(
                    format!("self.{attr}"),
                    Some(self.classes[ci].name.to_string()),
                    attr.to_string(),
                    Owner::SelfAttr(ci),
                    kind,
                    at,
                    TextRange::default(),
                );
                container.borrowed = true;
                self.containers.push(container);
            }
        }
    }
}

fn plain_name(target: &Expr) -> Option<&str> {
    match target {
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

/// Records the `self.<attr>` a method assigns, and those it grows, with the kind the growth
/// shows (`None` once two uses disagree) and the first growth site.
fn borrowed_uses<'a>(
    method: &'a ast::StmtFunctionDef,
    assigned: &mut HashSet<&'a str>,
    grown: &mut HashMap<&'a str, (Option<ContainerKind>, TextRange)>,
    order: &mut Vec<&'a str>,
) {
    let Some(self_name) = first_param(method) else {
        return;
    };
    let on_self = |e: &'a Expr| self_attr(e, self_name);
    let mut note = |attr: &'a str, kind: ContainerKind, at: TextRange| {
        let entry = grown.entry(attr).or_insert_with(|| {
            order.push(attr);
            (Some(kind.clone()), at)
        });
        if entry.0.as_ref().is_some_and(|k| *k != kind) {
            entry.0 = None;
        }
    };
    for_each_stmt(&method.body, &mut |stmt| match stmt {
        Stmt::Assign(a) => {
            for t in &a.targets {
                match t {
                    Expr::Subscript(s) => {
                        if let Some(attr) = on_self(&s.value) {
                            note(attr, ContainerKind::Dict, t.range());
                        }
                    }
                    other => assigned.extend(on_self(other)),
                }
            }
        }
        Stmt::AnnAssign(a) => assigned.extend(on_self(&a.target)),
        Stmt::AugAssign(a) => assigned.extend(on_self(&a.target)),
        Stmt::Expr(e) => {
            let Expr::Call(call) = e.value.as_ref() else {
                return;
            };
            let Expr::Attribute(m) = call.func.as_ref() else {
                return;
            };
            let Some(attr) = on_self(&m.value) else {
                return;
            };
            let kind = match m.attr.as_str() {
                "append" | "extend" | "insert" => ContainerKind::List,
                "add" => ContainerKind::Set,
                // Not `update`, which sets have too.
                "setdefault" => ContainerKind::Dict,
                _ => return,
            };
            note(attr, kind, call.range());
        }
        _ => {}
    });
}
