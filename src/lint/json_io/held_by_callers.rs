//! The cross-process lock a private helper runs under because every caller holds one: `def
//! _save(self)` called only inside `with self._lock, self._file_lock():` writes under the file
//! lock, though its own body takes none. Thread locks are not passed on: a thread lock held by
//! every caller still leaves the processes sharing the file unserialized. Only names private to
//! the module or class (`_save`, not `save` or `__exit__`) count, and only when nothing hands the
//! helper elsewhere (`Thread(target=self._save)`), since a public or escaping function may be
//! called from code this module does not show.

use super::locks::LockKind;
use super::Function;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// A helper whose calls this module tracks: private, not a dunder.
pub(super) fn is_private(id: &str) -> bool {
    let name = id.rsplit('.').next().unwrap_or(id);
    name.starts_with('_') && !name.starts_with("__")
}

/// The functions (by their definitions' ranges) every call of which holds a cross-process
/// lock. `calls` are (callee id, locks held at the call) from every function's walk.
pub(super) fn process_locked_by_callers(
    suite: &[Stmt],
    functions: &[Function<'_>],
    calls: &[(String, Vec<LockKind>)],
) -> HashSet<TextRange> {
    let mut locked: HashMap<&str, bool> = HashMap::default();
    for (callee, kinds) in calls {
        *locked.entry(callee.as_str()).or_insert(true) &= kinds.contains(&LockKind::Process);
    }
    locked.retain(|_, all| *all);
    if locked.is_empty() {
        return HashSet::default();
    }
    let escaping = escaping_names(suite);
    functions
        .iter()
        .filter(|f| locked.contains_key(f.id.as_str()) && !escaping.contains(&f.id))
        .map(|f| f.def_range)
        .collect()
}

/// Private functions used other than by calling them (`self._save` passed as a callback,
/// stored, or handed to a thread), by id (`Class._save` for `self._save` in `Class`, `_save` for
/// a bare name): such a helper may run without its callers' locks.
fn escaping_names(suite: &[Stmt]) -> HashSet<String> {
    struct Uses {
        out: HashSet<String>,
        class: Option<String>,
    }
    impl Uses {
        fn mark(&mut self, expr: &Expr) {
            let id = match expr {
                Expr::Name(n) if is_private(n.id.as_str()) => n.id.to_string(),
                Expr::Attribute(a) if is_private(a.attr.as_str()) => {
                    match (a.value.as_ref(), &self.class) {
                        (Expr::Name(n), Some(class)) if matches!(n.id.as_str(), "self" | "cls") => {
                            format!("{class}.{}", a.attr)
                        }
                        _ => return,
                    }
                }
                _ => return,
            };
            self.out.insert(id);
        }
    }
    impl<'a> Visitor<'a> for Uses {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::ClassDef(c) = stmt {
                let outer = self.class.replace(c.name.to_string());
                visitor::walk_stmt(self, stmt);
                self.class = outer;
            } else {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Call(call) => {
                    // The callee itself is a call, not an escape; its receiver may be one.
                    match call.func.as_ref() {
                        Expr::Name(_) => {}
                        Expr::Attribute(a) => self.visit_expr(&a.value),
                        other => self.visit_expr(other),
                    }
                    for arg in call.arguments.args.iter() {
                        self.visit_expr(arg);
                    }
                    for kw in call.arguments.keywords.iter() {
                        self.visit_expr(&kw.value);
                    }
                }
                Expr::Name(_) | Expr::Attribute(_) => {
                    self.mark(expr);
                    visitor::walk_expr(self, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut uses = Uses {
        out: HashSet::default(),
        class: None,
    };
    uses.visit_body(suite);
    uses.out
}
