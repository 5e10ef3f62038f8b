//! Containers of other modules that this module empties, trims or replaces through the name it
//! imports them by: `debug.logs = []` after the logs were shown, `del state.sessions[key]`,
//! `registry.Registry.entries.clear()`. A module global or class attribute that only its own
//! module grows is still bounded when another module resets it; linking drops its finding.
//! Test code resetting a fixture between tests bounds nothing in production and is not asked.

use super::Name;
use crate::lint::containers::REMOVE_METHODS;
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// Qualified names (`g4f.debug.logs`) of imported containers that the module resets, sorted.
pub(super) fn collect<'a>(semantic: &SemanticModel<'a>, suite: &'a [Stmt]) -> Vec<Name> {
    let mut walk = Walk {
        semantic,
        scope: ScopeId::MODULE,
        out: Vec::new(),
    };
    walk.visit_body(suite);
    let mut out: Vec<Name> = walk.out.iter().map(|n| Name::new(n)).collect();
    out.sort_unstable_by_key(|n| n.as_str());
    out.dedup();
    out
}

struct Walk<'w, 'a> {
    semantic: &'w SemanticModel<'a>,
    scope: ScopeId,
    out: Vec<String>,
}

impl Walk<'_, '_> {
    /// `target` is an attribute of an imported name (`debug.logs`), or an imported container
    /// itself (`from ..action import store as legacy_store`, even inside the function that
    /// empties it): record what it names.
    fn record(&mut self, target: &Expr) {
        // Only what an import binds, or an attribute of it: the module's own globals, locals
        // and `self.x` are its own.
        if let Some(q) = self.semantic.imported_name(self.scope, target) {
            self.out.push(q);
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
            // Assigning to an imported name rebinds it here; only `mod.name = []` replaces it.
            Stmt::Assign(a) => {
                for t in a.targets.iter().filter(|t| t.is_attribute_expr()) {
                    self.record(t);
                }
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    if let Expr::Subscript(s) = t {
                        self.record(&s.value);
                    }
                }
            }
            Stmt::Expr(e) => {
                if let Expr::Call(ast::ExprCall { func, .. }) = e.value.as_ref() {
                    if let Expr::Attribute(m) = func.as_ref() {
                        if REMOVE_METHODS.contains(&m.attr.as_str()) {
                            self.record(&m.value);
                        }
                    }
                }
            }
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
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
