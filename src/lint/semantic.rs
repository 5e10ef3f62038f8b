//! Per-module semantic facts, built once per file before the rule walk: scopes, the bindings in
//! each, and imports resolved to qualified names (`from functools import lru_cache as lc` makes
//! `lc` resolve to `functools.lru_cache`).

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextSize};
use rustc_hash::FxHashMap as HashMap;

/// Index of a scope in [`SemanticModel::scopes`]. The module scope is `ScopeId(0)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScopeId(pub u32);

impl ScopeId {
    pub const MODULE: ScopeId = ScopeId(0);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    Function,
    Lambda,
}

/// What a name is bound to at one point of a scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BindingKind {
    /// An import; holds the qualified name (`os.path`, `functools.lru_cache`).
    Import(String),
    FunctionDef,
    ClassDef,
    Parameter,
    /// Assignment, loop target, `with ... as`, `except ... as`, walrus, pattern capture.
    Assignment,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub offset: TextSize,
    pub kind: BindingKind,
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// Bindings of each name, in source order.
    bindings: HashMap<&'a str, Vec<Binding>>,
    /// Names declared `global` in this scope.
    globals: Vec<&'a str>,
}

impl<'a> Scope<'a> {
    fn new(kind: ScopeKind, parent: Option<ScopeId>) -> Self {
        Scope {
            kind,
            parent,
            bindings: HashMap::default(),
            globals: Vec::new(),
        }
    }
}

/// What a name resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved<'m> {
    /// Not bound in any enclosing scope: a builtin (or an undefined name).
    Builtin,
    Binding(ScopeId, &'m Binding),
}

/// Scopes and bindings of one module.
#[derive(Debug)]
pub struct SemanticModel<'a> {
    scopes: Vec<Scope<'a>>,
    /// Scope created by the function, lambda or class starting at this offset.
    scope_at: HashMap<TextSize, ScopeId>,
    /// Modules whose names `from m import *` brings in, absolute where the package is known.
    star_imports: Vec<String>,
}

impl<'a> SemanticModel<'a> {
    /// Builds the facts of a module from its statements. Relative imports keep their dots.
    pub fn build(suite: &'a [Stmt]) -> Self {
        Self::build_in(suite, None)
    }

    /// Builds the facts of a module of package `package` (`a.b` for `a/b/x.py` and for
    /// `a/b/__init__.py`): relative imports resolve to absolute names, so names agree across the
    /// modules of a project.
    pub fn build_in(suite: &'a [Stmt], package: Option<&'a str>) -> Self {
        let mut builder = Builder {
            model: SemanticModel {
                scopes: vec![Scope::new(ScopeKind::Module, None)],
                scope_at: HashMap::default(),
                star_imports: Vec::new(),
            },
            current: ScopeId::MODULE,
            package,
            import_fallback: false,
        };
        builder.visit_body(suite);
        builder.model
    }

    /// Modules the module imports every public name of (`from .base import *`).
    pub fn star_imports(&self) -> &[String] {
        &self.star_imports
    }

    pub fn scope(&self, id: ScopeId) -> &Scope<'a> {
        &self.scopes[id.0 as usize]
    }

    /// The scope opened by a function, lambda or class node.
    pub fn scope_of(&self, node: &impl Ranged) -> Option<ScopeId> {
        self.scope_at.get(&node.start()).copied()
    }

    /// Resolves `name`, used at `offset` inside scope `from`, following Python's rules: the scope
    /// itself (the binding in force at `offset`), then enclosing function scopes (class bodies are
    /// skipped), then the module, then builtins.
    pub fn resolve(&self, from: ScopeId, name: &str, offset: TextSize) -> Resolved<'_> {
        let mut id = from;
        let mut first = true;
        loop {
            let scope = self.scope(id);
            // `global x` at module level (legal, and a no-op) must not send the lookup back to
            // the module forever.
            if id != ScopeId::MODULE && scope.globals.contains(&name) {
                id = ScopeId::MODULE;
                first = false;
                continue;
            }
            let visible = first || scope.kind != ScopeKind::Class;
            if visible {
                if let Some(bindings) = scope.bindings.get(name) {
                    let binding = if first {
                        let before = bindings.iter().rev().find(|b| b.offset <= offset);
                        // A function's names are local throughout its body; module and class
                        // bodies run top to bottom and fall back to outer names until bound.
                        match (before, scope.kind) {
                            (Some(b), _) => Some(b),
                            (None, ScopeKind::Function | ScopeKind::Lambda) => Some(&bindings[0]),
                            (None, _) => None,
                        }
                    } else {
                        // A nested function runs later: it sees the scope's final binding.
                        bindings.last()
                    };
                    if let Some(binding) = binding {
                        return Resolved::Binding(id, binding);
                    }
                }
            }
            match scope.parent {
                Some(parent) if id != ScopeId::MODULE => {
                    id = parent;
                    first = false;
                }
                _ => return Resolved::Builtin,
            }
        }
    }

    /// Whether `name`, used at `offset` inside scope `from`, is a class the module defines at
    /// its top level (what `globals()` holds as a class), not a local or an import.
    pub fn is_module_class(&self, from: ScopeId, name: &str, offset: TextSize) -> bool {
        matches!(
            self.resolve(from, name, offset),
            Resolved::Binding(ScopeId::MODULE, b) if b.kind == BindingKind::ClassDef
        )
    }

    /// The qualified name of what `expr` takes from another module: a name bound by an import
    /// (`from app import state` then `state`), or an attribute chain on one (`state.sessions`,
    /// `reg.Registry.entries`). `None` for builtins, the module's own names, locals and
    /// attributes of other values (`self.x`).
    pub fn imported_name(&self, scope: ScopeId, expr: &Expr) -> Option<String> {
        self.qualified_name(scope, expr)
            .filter(|q| !q.starts_with("builtins."))
    }

    /// The qualified name an expression refers to: `builtins.open` for the builtin, the import
    /// path for imported names and attribute chains on them. `None` for locals and other values.
    pub fn qualified_name(&self, scope: ScopeId, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => match self.resolve(scope, name.id.as_str(), name.start()) {
                // A module no statement of this one imports, yet used by name: a star import
                // (`from .utils import *`) brought it in, as the module itself.
                Resolved::Builtin
                    if !self.star_imports.is_empty()
                        && STAR_REEXPORTED_MODULES.contains(&name.id.as_str()) =>
                {
                    Some(name.id.to_string())
                }
                Resolved::Builtin => Some(format!("builtins.{}", name.id)),
                Resolved::Binding(_, b) => match &b.kind {
                    BindingKind::Import(q) => Some(q.clone()),
                    _ => None,
                },
            },
            Expr::Attribute(attr) => {
                let mut base = self.qualified_name(scope, &attr.value)?;
                base.push('.');
                base.push_str(attr.attr.as_str());
                Some(base)
            }
            _ => None,
        }
    }

    /// Whether any scope imports something from one of `modules` (`import json`,
    /// `from json import load`), also from a copy of it vendored into a package
    /// (`from metaflow._vendor import click` is click), or may through a star import. One pass
    /// over the bindings.
    pub fn imports_from_any(&self, modules: &[&str]) -> bool {
        // A star import may bring one in (`from .utils import *`, whose `import json` it
        // re-exports): see `qualified_name`.
        if !self.star_imports.is_empty()
            && modules.iter().any(|m| STAR_REEXPORTED_MODULES.contains(m))
        {
            return true;
        }
        self.scopes.iter().any(|s| {
            s.bindings.values().flatten().any(|b| match &b.kind {
                BindingKind::Import(q) => modules.contains(&imported_library(q)),
                _ => false,
            })
        })
    }

    /// Whether `expr` resolves to one of `names` (qualified, e.g. `functools.lru_cache`).
    pub fn resolves_to(&self, scope: ScopeId, expr: &Expr, names: &[&str]) -> bool {
        self.qualified_name(scope, expr)
            .is_some_and(|q| names.contains(&q.as_str()))
    }
}

/// Modules the rules look for that a module may only reach through another's star import
/// (`from cogs.utils.checks import *`, whose `import json` it re-exports). None of them exports
/// a name of its own under the module's name, so an unbound `json` is the module.
const STAR_REEXPORTED_MODULES: &[&str] = &[
    "json",
    "ujson",
    "orjson",
    "simplejson",
    "os",
    "shutil",
    "tempfile",
    "threading",
    "asyncio",
    "fcntl",
    "filelock",
    "portalocker",
    "uuid",
];

/// The library a qualified import comes from: its first segment, or for a vendored copy
/// (`pkg._vendor.click.core`, `pip._vendor.requests`) the segment after the vendor directory.
fn imported_library(qualified: &str) -> &str {
    let mut segments = qualified.split('.');
    let first = segments.next().unwrap_or(qualified);
    while let Some(segment) = segments.next() {
        if matches!(
            segment,
            "_vendor" | "vendor" | "_vendored" | "vendored" | "extern" | "_extern"
        ) {
            return segments.next().unwrap_or(first);
        }
    }
    first
}

struct Builder<'a> {
    model: SemanticModel<'a>,
    current: ScopeId,
    package: Option<&'a str>,
    /// Inside the handler of `try: from filelock import FileLock` / `except ImportError:`.
    import_fallback: bool,
}

/// `except ImportError:` or `except (ImportError, OSError):` (also `ModuleNotFoundError`).
fn catches_import_error(handler: &ast::ExceptHandler) -> bool {
    let ast::ExceptHandler::ExceptHandler(h) = handler;
    let is_import_error = |e: &Expr| matches!(e, Expr::Name(n) if matches!(n.id.as_str(), "ImportError" | "ModuleNotFoundError"));
    match h.type_.as_deref() {
        Some(Expr::Tuple(t)) => t.elts.iter().any(is_import_error),
        Some(e) => is_import_error(e),
        None => false,
    }
}

/// The absolute module named by `from <level dots><module> import ...` inside `package`, or
/// `None` when it climbs above the package's root.
fn absolute_module(package: &str, level: u32, module: &str) -> Option<String> {
    let mut parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
    for _ in 1..level {
        parts.pop()?;
    }
    if parts.is_empty() {
        return None;
    }
    let mut out = parts.join(".");
    if !module.is_empty() {
        out.push('.');
        out.push_str(module);
    }
    Some(out)
}

impl<'a> Builder<'a> {
    fn bind(&mut self, name: &'a str, offset: TextSize, kind: BindingKind) {
        let bindings = self.model.scopes[self.current.0 as usize]
            .bindings
            .entry(name)
            .or_default();
        // `except ImportError: FileLock = None` stands in for an optional dependency: the code
        // is written for the import, so the name keeps meaning what was imported.
        let stand_in = self.import_fallback
            && !matches!(kind, BindingKind::Import(_))
            && bindings
                .iter()
                .any(|b| matches!(b.kind, BindingKind::Import(_)));
        if !stand_in {
            bindings.push(Binding { offset, kind });
        }
    }

    fn push_scope(&mut self, kind: ScopeKind, at: TextSize) -> ScopeId {
        let id = ScopeId(self.model.scopes.len() as u32);
        self.model.scopes.push(Scope::new(kind, Some(self.current)));
        self.model.scope_at.insert(at, id);
        let parent = self.current;
        self.current = id;
        parent
    }

    fn bind_parameters(&mut self, parameters: &'a ast::Parameters) {
        for p in parameters.iter() {
            let p = p.as_parameter();
            self.bind(p.name.as_str(), p.start(), BindingKind::Parameter);
        }
    }
}

impl<'a> Visitor<'a> for Builder<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(func) => {
                for d in &func.decorator_list {
                    self.visit_decorator(d);
                }
                for p in func.parameters.iter() {
                    if let Some(default) = p.default() {
                        self.visit_expr(default);
                    }
                }
                self.bind(func.name.as_str(), func.start(), BindingKind::FunctionDef);
                let parent = self.push_scope(ScopeKind::Function, func.start());
                self.bind_parameters(&func.parameters);
                self.visit_body(&func.body);
                self.current = parent;
            }
            Stmt::ClassDef(class) => {
                for d in &class.decorator_list {
                    self.visit_decorator(d);
                }
                if let Some(args) = &class.arguments {
                    self.visit_arguments(args);
                }
                self.bind(class.name.as_str(), class.start(), BindingKind::ClassDef);
                let parent = self.push_scope(ScopeKind::Class, class.start());
                self.visit_body(&class.body);
                self.current = parent;
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    let full = alias.name.as_str();
                    match &alias.asname {
                        Some(asname) => self.bind(
                            asname.as_str(),
                            alias.start(),
                            BindingKind::Import(full.to_string()),
                        ),
                        None => {
                            // `import a.b.c` binds `a`; attribute access resolves the rest.
                            let root = full.split('.').next().unwrap_or(full);
                            self.bind(root, alias.start(), BindingKind::Import(root.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map_or("", |m| m.as_str());
                let absolute = match (import.level, self.package) {
                    (0, _) => None,
                    (level, Some(package)) => absolute_module(package, level, module),
                    (_, None) => None,
                };
                let (prefix, module) = match &absolute {
                    Some(abs) => (String::new(), abs.as_str()),
                    None => (".".repeat(import.level as usize), module),
                };
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        self.model.star_imports.push(format!("{prefix}{module}"));
                        continue;
                    }
                    let qualified = if module.is_empty() {
                        format!("{prefix}{}", alias.name)
                    } else {
                        format!("{prefix}{module}.{}", alias.name)
                    };
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind(
                        bound.as_str(),
                        alias.start(),
                        BindingKind::Import(qualified),
                    );
                }
            }
            Stmt::Try(t) if t.handlers.iter().any(catches_import_error) => {
                self.visit_body(&t.body);
                for handler in &t.handlers {
                    let outer = std::mem::replace(&mut self.import_fallback, true);
                    self.visit_except_handler(handler);
                    self.import_fallback = outer;
                }
                self.visit_body(&t.orelse);
                self.visit_body(&t.finalbody);
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    self.model.scopes[self.current.0 as usize]
                        .globals
                        .push(name.as_str());
                }
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) if matches!(name.ctx, ExprContext::Store | ExprContext::Del) => {
                self.bind(name.id.as_str(), name.start(), BindingKind::Assignment);
            }
            Expr::Lambda(lambda) => {
                if let Some(params) = &lambda.parameters {
                    for p in params.iter() {
                        if let Some(default) = p.default() {
                            self.visit_expr(default);
                        }
                    }
                }
                let parent = self.push_scope(ScopeKind::Lambda, lambda.start());
                if let Some(params) = &lambda.parameters {
                    self.bind_parameters(params);
                }
                self.visit_expr(&lambda.body);
                self.current = parent;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        if let Some(name) = &h.name {
            self.bind(name.as_str(), name.start(), BindingKind::Assignment);
        }
        visitor::walk_except_handler(self, handler);
    }

    fn visit_pattern(&mut self, pattern: &'a ast::Pattern) {
        match pattern {
            ast::Pattern::MatchAs(p) => {
                if let Some(name) = &p.name {
                    self.bind(name.as_str(), name.start(), BindingKind::Assignment);
                }
            }
            ast::Pattern::MatchStar(p) => {
                if let Some(name) = &p.name {
                    self.bind(name.as_str(), name.start(), BindingKind::Assignment);
                }
            }
            ast::Pattern::MatchMapping(p) => {
                if let Some(name) = &p.rest {
                    self.bind(name.as_str(), name.start(), BindingKind::Assignment);
                }
            }
            _ => {}
        }
        visitor::walk_pattern(self, pattern);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn call_names(src: &str) -> Vec<Option<String>> {
        let parsed = parse_module(src).unwrap();
        let model = SemanticModel::build(parsed.suite());
        struct Calls<'m, 'a> {
            model: &'m SemanticModel<'a>,
            scope: ScopeId,
            out: Vec<Option<String>>,
        }
        impl<'a> Visitor<'a> for Calls<'_, 'a> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                if let Stmt::FunctionDef(f) = stmt {
                    let saved = self.scope;
                    self.scope = self.model.scope_of(f).unwrap();
                    self.visit_body(&f.body);
                    self.scope = saved;
                } else {
                    visitor::walk_stmt(self, stmt);
                }
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    self.out
                        .push(self.model.qualified_name(self.scope, &call.func));
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut calls = Calls {
            model: &model,
            scope: ScopeId::MODULE,
            out: vec![],
        };
        calls.visit_body(parsed.suite());
        calls.out
    }

    #[test]
    fn import_error_stand_in_keeps_the_import() {
        // `FileLock = None` under `except ImportError` stands in for the optional dependency;
        // a later plain rebinding still shadows it.
        let src = "try:\n    from filelock import FileLock\nexcept ImportError:\n    FileLock = None\ndef f():\n    FileLock()\ntry:\n    from ujson import dumps\nexcept ValueError:\n    dumps = None\ndef g():\n    dumps()\n";
        assert_eq!(
            call_names(src),
            vec![Some("filelock.FileLock".to_string()), None]
        );
    }

    #[test]
    fn import_aliases_resolve() {
        let src = "from functools import lru_cache as lc\nimport functools as ft\nimport os.path\nlc()\nft.cache()\nos.path.join()\n";
        assert_eq!(
            call_names(src),
            vec![
                Some("functools.lru_cache".into()),
                Some("functools.cache".into()),
                Some("os.path.join".into())
            ]
        );
    }

    #[test]
    fn local_def_shadows_builtin() {
        let src = "open()\ndef open(p): pass\nopen()\ndef f():\n    open()\n";
        assert_eq!(
            call_names(src),
            vec![Some("builtins.open".into()), None, None]
        );
    }

    #[test]
    fn module_level_global_statement_resolves() {
        // `global` at module level is a no-op; it once sent every lookup of the name in a loop
        // (chatgpt-on-wechat's voice/xunfei modules hung the checker).
        let src = "global p\nimport json as p\nclass C:\n    x = p.loads()\n";
        assert_eq!(call_names(src), vec![Some("json.loads".into())]);
    }

    #[test]
    fn parameter_shadows_and_class_scope_is_skipped() {
        let src = "class C:\n    open = staticmethod(print)\n    def m(self, x):\n        open()\n\ndef g(open):\n    open()\n";
        assert_eq!(
            call_names(src),
            vec![
                Some("builtins.staticmethod".into()),
                Some("builtins.open".into()),
                None
            ]
        );
    }
}
