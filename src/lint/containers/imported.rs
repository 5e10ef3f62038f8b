//! Module globals of other modules that this module grows through the name it imports them by:
//! `from app.config import adminlist` then `adminlist[chat_id] = admins`, or
//! `from app import config` then `config.lyrical[key] = text`. A bot keeps its shared state in
//! one module and fills it from every handler module; the defining module never grows it, so
//! without this the growth is seen nowhere. Linking confirms that the name is a module-level
//! container of the project that its own module neither grows nor bounds.

use super::{Container, ContainerKind, Owner};
use crate::lint::project::Condition;
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// The imported containers the module grows: (qualified name, kind, first growth site).
pub(super) fn grown(
    semantic: &SemanticModel<'_>,
    suite: &[Stmt],
) -> Vec<(String, ContainerKind, TextRange)> {
    let mut walk = Walk {
        semantic,
        scope: ScopeId::MODULE,
        found: Vec::new(),
    };
    walk.visit_body(suite);
    walk.found
}

/// A container of another module, grown here, as the use walk sees its own containers.
pub(super) fn container(name: String, kind: ContainerKind, at: TextRange) -> Container {
    Container {
        display: name.clone(),
        class: None,
        attr: name,
        owner: Owner::Imported,
        kind,
        range: at,
        def_stmt: at,
        record_literal: false,
        growth: Vec::new(),
        bound: None,
        size_checks: Vec::new(),
        edge_bound: None,
        condition: Condition::Always,
    }
}

/// The qualified name `target` denotes when it is another module's global: a name bound by an
/// import, or an attribute of an imported module (one level: `state.admins`).
pub(super) fn imported_name(
    semantic: &SemanticModel<'_>,
    scope: ScopeId,
    target: &Expr,
) -> Option<String> {
    let base = match target {
        Expr::Attribute(a) => a.value.as_ref(),
        other => other,
    };
    if !base.is_name_expr() {
        return None;
    }
    semantic.imported_name(scope, target)
}

struct Walk<'w, 'a> {
    semantic: &'w SemanticModel<'a>,
    scope: ScopeId,
    found: Vec<(String, ContainerKind, TextRange)>,
}

impl Walk<'_, '_> {
    fn record(&mut self, target: &Expr, kind: ContainerKind, at: TextRange) {
        // Growth at import time happens once; only code in functions repeats.
        if self.scope == ScopeId::MODULE {
            return;
        }
        if let Some(name) = imported_name(self.semantic, self.scope, target) {
            if !self.found.iter().any(|(n, k, _)| *n == name && *k == kind) {
                self.found.push((name, kind, at));
            }
        }
    }
}

impl<'a> Visitor<'a> for Walk<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                let saved = self.scope;
                self.scope = self.semantic.scope_of(stmt).unwrap_or(saved);
                visitor::walk_stmt(self, stmt);
                self.scope = saved;
                return;
            }
            Stmt::Assign(a) => {
                for t in &a.targets {
                    if let Expr::Subscript(s) = t {
                        self.record(&s.value, ContainerKind::Dict, t.range());
                    }
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(m) = call.func.as_ref() {
                let kind = match m.attr.as_str() {
                    "append" | "extend" | "insert" => Some(ContainerKind::List),
                    "add" => Some(ContainerKind::Set),
                    "setdefault" => Some(ContainerKind::Dict),
                    _ => None,
                };
                if let Some(kind) = kind {
                    self.record(&m.value, kind, expr.range());
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}
