//! Methods that only run while modules are imported: `worker_registry.add_state_listener(f)` at
//! the top of another module, and no function anywhere naming `add_state_listener`. What such a
//! method adds to its container, it adds a fixed number of times.
//!
//! Phase one keeps, per module, the method names its module-level code calls and a small filter
//! of the attribute names its functions use (a called method, a bound method handed on as a
//! callback). Linking keeps the names called at import that no function of the project uses.
//! The filter can only err towards "used", which keeps a finding.

use super::{ModuleFacts, Name};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// A Bloom filter of attribute names, about 8 bits per name and three hashes (a few percent of
/// false "maybe"s), so a module costs about a byte per distinct name it uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrNameFilter(Vec<u64>);

impl AttrNameFilter {
    fn with_names(names: &FxHashSet<&str>) -> Self {
        let words = names.len().div_ceil(8).next_power_of_two();
        let mut filter = AttrNameFilter(vec![0; words]);
        for name in names {
            for bit in filter.bits(name) {
                filter.0[bit / 64] |= 1 << (bit % 64);
            }
        }
        filter
    }

    fn bits(&self, name: &str) -> [usize; 3] {
        // FNV-1a; three indexes from one 64-bit hash (double hashing).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let size = (self.0.len() * 64) as u64;
        let (a, b) = (h & 0xffff_ffff, (h >> 32) | 1);
        [0, 1, 2].map(|i| (a.wrapping_add(i * b) % size) as usize)
    }

    /// `false` only when `name` was never inserted.
    pub fn may_contain(&self, name: &str) -> bool {
        !self.0.is_empty()
            && self
                .bits(name)
                .iter()
                .all(|&bit| self.0[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// The method names module-level code calls (`x.m(...)`, also in `if`/`try` blocks and the
/// `__main__` block, not in function or class bodies), and the filter of attribute names used
/// inside functions.
pub fn collect(suite: &[Stmt]) -> (Vec<Name>, AttrNameFilter) {
    struct Walk<'a> {
        depth: usize,
        at_import: Vec<&'a str>,
        in_functions: FxHashSet<&'a str>,
    }
    impl<'a> Visitor<'a> for Walk<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                    self.depth += 1;
                    visitor::walk_stmt(self, stmt);
                    self.depth -= 1;
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            // A lambda's body runs when it is called, like a function's.
            if let Expr::Lambda(_) = expr {
                self.depth += 1;
                visitor::walk_expr(self, expr);
                self.depth -= 1;
                return;
            }
            match expr {
                Expr::Call(call) if self.depth == 0 => {
                    if let Expr::Attribute(a) = call.func.as_ref() {
                        self.at_import.push(a.attr.as_str());
                    }
                }
                Expr::Attribute(a) if self.depth > 0 => {
                    self.in_functions.insert(a.attr.as_str());
                }
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut walk = Walk {
        depth: 0,
        at_import: Vec::new(),
        in_functions: FxHashSet::default(),
    };
    walk.visit_body(suite);
    let mut names = walk.at_import;
    names.sort_unstable();
    names.dedup();
    (
        names.iter().map(|n| Name::new(n)).collect(),
        AttrNameFilter::with_names(&walk.in_functions),
    )
}

/// Methods that grow a container somewhere in the project, that module-level code of the
/// project calls, and that no function of the project (outside test code) uses. Only names that
/// grow something are looked up in every module's filter.
pub fn import_only_methods(modules: &[(String, &ModuleFacts)]) -> FxHashSet<&'static str> {
    let live = || modules.iter().map(|(_, m)| *m).filter(|m| !m.is_test);
    let growing: FxHashSet<&str> = live()
        .flat_map(|m| m.growth_methods.iter().map(|n| n.as_str()))
        .collect();
    if growing.is_empty() {
        return FxHashSet::default();
    }
    let mut called: FxHashSet<&'static str> = live()
        .flat_map(|m| m.import_time_method_calls.iter().map(|n| n.as_str()))
        .filter(|name| growing.contains(name))
        .collect();
    called.retain(|name| !live().any(|m| m.function_attr_names.may_contain(name)));
    called
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    #[test]
    fn import_calls_and_function_names() {
        let source = "registry.add_listener(on_change)\n\
                      later = lambda: registry.flush()\n\
                      if ready:\n    registry.start()\n\
                      def handle(x):\n    registry.record(x)\n    return registry.on_close\n\
                      class C:\n    def m(self):\n        self.items.append(1)\n";
        let parsed = parse_module(source).expect("valid");
        let (at_import, filter) = collect(&parsed.syntax().body);
        let names: Vec<&str> = at_import.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["add_listener", "start"]);
        for used in ["record", "on_close", "append", "items", "flush"] {
            assert!(filter.may_contain(used), "{used}");
        }
        assert!(!filter.may_contain("add_listener"));
    }
}
