//! What a module does to the containers of other modules through the names it imports them by,
//! found in one walk of the module:
//! - it grows them: `from app.config import adminlist` then `adminlist[chat_id] = admins`, or
//!   `from app import config` then `config.lyrical[key] = text`. A bot keeps its shared state in
//!   one module and fills it from every handler module; the defining module never grows it, so
//!   without this the growth is seen nowhere. Linking confirms that the name is a module-level
//!   container of the project that its own module neither grows nor bounds.
//! - it empties, trims or replaces them: `debug.logs = []` after the logs were shown,
//!   `del state.sessions[key]`, `registry.Registry.entries.clear()`. A module global or class
//!   attribute that only its own module grows is still bounded when another module resets it;
//!   linking drops its finding. Test code resetting a fixture between tests bounds nothing in
//!   production and is not asked.

use super::{Container, ContainerKind, Owner, REMOVE_METHODS};
use crate::lint::project::Name;
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// What the module does to other modules' containers through imported names.
#[derive(Debug, Default)]
pub struct ImportedChanges {
    /// The containers it grows inside functions: (qualified name, kind, first growth site).
    pub grown: Vec<(String, ContainerKind, TextRange)>,
    /// Qualified names (`g4f.debug.logs`) of the containers it resets, sorted.
    pub resets: Vec<Name>,
}

/// Walks the module once for both.
pub fn collect(semantic: &SemanticModel<'_>, suite: &[Stmt]) -> ImportedChanges {
    let mut walk = Walk {
        semantic,
        scope: ScopeId::MODULE,
        found: Vec::new(),
        resets: Vec::new(),
    };
    walk.visit_body(suite);
    let mut resets: Vec<Name> = walk.resets.iter().map(|n| Name::new(n)).collect();
    resets.sort_unstable_by_key(|n| n.as_str());
    resets.dedup();
    ImportedChanges {
        grown: walk.found,
        resets,
    }
}

/// A container of another module, grown here, as the use walk sees its own containers.
pub(super) fn container(name: String, kind: ContainerKind, at: TextRange) -> Container {
    Container::new(name.clone(), None, name, Owner::Imported, kind, at, at)
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
    resets: Vec<String>,
}

impl Walk<'_, '_> {
    /// `target` is an attribute of an imported name (`debug.logs`), or an imported container
    /// itself (`from ..action import store as legacy_store`, even inside the function that
    /// empties it): record what it names.
    fn record_reset(&mut self, target: &Expr) {
        // Only what an import binds, or an attribute of it: the module's own globals, locals
        // and `self.x` are its own.
        if let Some(q) = self.semantic.imported_name(self.scope, target) {
            self.resets.push(q);
        }
    }

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
                    match t {
                        Expr::Subscript(s) => {
                            self.record(&s.value, ContainerKind::Dict, t.range());
                        }
                        // Assigning to an imported name rebinds it here; only `mod.name = []`
                        // replaces it.
                        Expr::Attribute(_) => self.record_reset(t),
                        _ => {}
                    }
                }
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    if let Expr::Subscript(s) = t {
                        self.record_reset(&s.value);
                    }
                }
            }
            Stmt::Expr(e) => {
                if let Expr::Call(ast::ExprCall { func, .. }) = e.value.as_ref() {
                    if let Expr::Attribute(m) = func.as_ref() {
                        if REMOVE_METHODS.contains(&m.attr.as_str()) {
                            self.record_reset(&m.value);
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn resets(source: &str) -> Vec<String> {
        let parsed = parse_module(source).expect("valid");
        let suite = &parsed.syntax().body;
        let semantic = SemanticModel::build_in(suite, Some("app"));
        collect(&semantic, suite)
            .resets
            .iter()
            .map(|n| n.as_str().to_string())
            .collect()
    }

    #[test]
    fn resets_through_imported_names() {
        let found = resets(
            "from g4f import debug\nfrom . import state\nimport pkg.registry as reg\n\
             def show():\n    debug.logs = []\n\
             def drop(k):\n    del state.sessions[k]\n\
             def reload():\n    reg.Registry.entries.clear()\n\
             def forget():\n    from pkg.actions import store as legacy\n    legacy.clear()\n\
             def rebind():\n    from pkg.other import cache\n    cache = {}\n    return cache\n",
        );
        assert_eq!(
            found,
            [
                "app.state.sessions",
                "g4f.debug.logs",
                "pkg.actions.store",
                "pkg.registry.Registry.entries"
            ]
        );
    }

    #[test]
    fn own_and_local_containers_are_not_other_modules() {
        let found = resets(
            "from g4f import debug\nlogs = []\n\
             class A:\n    def f(self, box):\n        self.items = []\n        box.seen.clear()\n        logs.clear()\n        debug.logs.append(1)\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
