//! Class decorators that keep one instance per class: `@singleton` written as
//!
//! ```python
//! def singleton(cls):
//!     instances = {}
//!     def get_instance(*args, **kwargs):
//!         if cls not in instances:
//!             instances[cls] = cls(*args, **kwargs)
//!         return instances[cls]
//!     return get_instance
//! ```
//!
//! The dictionary lives in the decorator's closure, as long as the decorated name: the first
//! instance made is the one every later call gets, and it lives for the process. Such a
//! decorator is often defined in a utilities module and applied in others, so phase one records
//! both sides (the module's instance-caching decorators, each class's decorators) and lifetimes
//! join them.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt, StmtFunctionDef};

/// The module-level functions of `suite` that store an instance of the class they are given in
/// a container (`instances[cls] = cls(*args, **kwargs)`), directly or in a function they define.
pub(super) fn instance_caches(suite: &[Stmt]) -> Vec<&str> {
    suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if keeps_an_instance(f) => Some(f.name.as_str()),
            _ => None,
        })
        .collect()
}

fn keeps_an_instance(f: &StmtFunctionDef) -> bool {
    let mut params = f.parameters.iter_non_variadic_params();
    let (Some(class), None) = (params.next(), params.next()) else {
        return false;
    };
    struct Find<'n> {
        class: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Find<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if let Stmt::Assign(a) = stmt {
                let made = matches!(a.value.as_ref(), Expr::Call(c)
                    if matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == self.class));
                if made && a.targets.iter().any(|t| matches!(t, Expr::Subscript(_))) {
                    self.found = true;
                }
            }
            visitor::walk_stmt(self, stmt);
        }
    }
    let mut find = Find {
        class: class.parameter.name.as_str(),
        found: false,
    };
    find.visit_body(&f.body);
    find.found
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    #[test]
    fn finds_decorators_that_keep_one_instance() {
        let source = "\
def singleton(cls):
    instances = {}
    def get_instance(*args, **kwargs):
        if cls not in instances:
            instances[cls] = cls(*args, **kwargs)
        return instances[cls]
    return get_instance

def register(cls):
    REGISTRY[cls.__name__] = cls
    return cls

def build(cls, n):
    cache[n] = cls(n)
";
        let parsed = parse_module(source).expect("valid");
        assert_eq!(instance_caches(&parsed.syntax().body), ["singleton"]);
    }
}
