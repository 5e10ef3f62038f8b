//! Settings records: a dict written as a literal with string keys (`_config = {"enabled": True,
//! "timeout": 30}`) and read only under string keys (`_config["enabled"]`,
//! `_config.get("timeout")`). Its `update(overrides)` replaces settings; a key that no code reads
//! by name is never looked up, so the dict is a record with a fixed schema, not a map that grows
//! with traffic.

use super::{Container, ContainerKind, Owner};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

/// Whether a container's initializer is a non-empty dict display whose keys are all string
/// literals.
pub(super) fn is_record_literal(value: &Expr) -> bool {
    match value {
        Expr::Dict(d) => {
            !d.items.is_empty()
                && d.items
                    .iter()
                    .all(|item| matches!(item.key, Some(Expr::StringLiteral(_))))
        }
        _ => false,
    }
}

/// Marks each record-literal dict that grows as bounded when every use of it in the module reads
/// one named key or merges settings into it.
pub(super) fn bound_settings_records(suite: &[Stmt], containers: &mut [Container]) {
    for c in containers.iter_mut() {
        if !c.record_literal || c.kind != ContainerKind::Dict || c.bound.is_some() {
            continue;
        }
        if c.growth.is_empty() {
            continue;
        }
        let mut uses = RecordUses {
            container: c,
            named_reads: 0,
            other_use: false,
        };
        uses.visit_body(suite);
        if !uses.other_use && uses.named_reads > 0 {
            let range = c.range;
            c.bound = Some((
                range,
                "it is a settings record: a dict literal with string keys, read only under named keys"
                    .to_string(),
            ));
            c.bound_at_definition = true;
        }
    }
}

struct RecordUses<'c> {
    container: &'c Container,
    named_reads: usize,
    other_use: bool,
}

impl RecordUses<'_> {
    /// `_config` for a module global, `self._config`/`cls._config`/`Class._config` for class
    /// and instance attributes (any receiver: the attribute name is what the class declares).
    fn denotes(&self, expr: &Expr) -> bool {
        match (self.container.owner, expr) {
            (Owner::Module, Expr::Name(n)) => n.id.as_str() == self.container.attr,
            (Owner::ClassAttr(_) | Owner::SelfAttr(_), Expr::Attribute(a)) => {
                a.attr.as_str() == self.container.attr
            }
            _ => false,
        }
    }
}

fn is_string(expr: &Expr) -> bool {
    matches!(expr, Expr::StringLiteral(_))
}

impl<'a> Visitor<'a> for RecordUses<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // The definition and reassignments: not a use of the contents.
            Stmt::Assign(a) if a.targets.iter().any(|t| self.denotes(t)) => {
                self.visit_expr(&a.value);
            }
            Stmt::AnnAssign(a) if self.denotes(&a.target) => {
                if let Some(v) = &a.value {
                    self.visit_expr(v);
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Subscript(sub) if self.denotes(&sub.value) => {
                if is_string(&sub.slice) {
                    self.named_reads += usize::from(sub.ctx == ast::ExprContext::Load);
                } else {
                    self.other_use = true;
                }
                self.visit_expr(&sub.slice);
            }
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Attribute(attr) if self.denotes(&attr.value) => {
                    match attr.attr.as_str() {
                        "get" if call.arguments.args.first().is_some_and(is_string) => {
                            self.named_reads += 1;
                        }
                        // Merging settings in (keys no code reads by name are never looked up),
                        // or handing out a copy of the record.
                        "update" | "setdefault" | "copy" => {}
                        _ => self.other_use = true,
                    }
                    for arg in &*call.arguments.args {
                        self.visit_expr(arg);
                    }
                    for kw in &*call.arguments.keywords {
                        self.visit_expr(&kw.value);
                    }
                }
                _ => visitor::walk_expr(self, expr),
            },
            e if self.denotes(e) => {
                if e.range() != self.container.range {
                    self.other_use = true;
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
