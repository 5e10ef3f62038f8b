//! The single AST walk: tracks the current scope and the chain of ancestors, and dispatches each
//! node to the enabled rules. Rules record diagnostics here; nothing prints.

use super::containers::{self, ContainerOptions};
use super::json_io;
use super::semantic::{ScopeId, SemanticModel};
use super::settings::RuleOptions;
use crate::rules::{self, Rule, RuleSet};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// A node on the ancestor chain.
#[derive(Clone, Copy, Debug)]
pub enum NodeRef<'a> {
    Stmt(&'a Stmt),
    Expr(&'a Expr),
}

/// A finding before positions are resolved to lines and columns.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Rule,
    pub range: TextRange,
    pub message: String,
    pub related: Vec<(TextRange, String)>,
    pub fix: Option<String>,
    /// What must hold in the rest of the project for the finding to stand.
    pub condition: crate::lint::project::Condition,
}

/// Where the module sits in its project, as far as phase one knows.
pub struct Context<'c> {
    /// Qualified module name: classes in findings' conditions are qualified with it.
    pub module: &'c str,
    /// Test code: no memory-growth finding (a test run is not a long-running process).
    pub is_test: bool,
    /// Context managers that hold a cross-process lock: configured ones and the project's
    /// helpers this module imports.
    pub extra_locks: &'c [String],
    /// JSON helpers of other modules this module imports, by the names it calls them with.
    pub json_helpers: &'c [(String, json_io::Summary)],
    /// Functions of other modules this module imports that remove from a parameter, by the
    /// names it calls them with, and the parameter's position.
    pub removers: &'c [(String, usize)],
    /// The containers of other modules it grows through imported names.
    pub imported_growth: &'c [(String, containers::ContainerKind, ruff_text_size::TextRange)],
}

/// What the walk found that other modules need.
pub struct Exports {
    /// Qualified names of the module's cross-process lock helpers.
    pub lock_helpers: Vec<String>,
    /// The module's JSON helpers: (name in the module, summary).
    pub json_helpers: Vec<(String, json_io::Summary)>,
    /// Files the module writes, named across modules, and where.
    pub written_files: Vec<(String, ruff_text_size::TextRange)>,
    /// Files the module reads JSON from, named across modules, and where.
    pub read_files: Vec<(String, ruff_text_size::TextRange)>,
    /// Helpers of other modules it calls to write a file it reads: (qualified callee, the
    /// helper's path, where).
    pub state_writer_calls: Vec<(String, String, ruff_text_size::TextRange)>,
    /// The module's functions that remove from a parameter: (name in the module, position).
    pub removers: Vec<(String, usize)>,
    /// Module-level containers the module neither grows nor bounds: (name in the module, kind).
    pub quiet_globals: Vec<(String, &'static str)>,
    /// Containers on instances the module makes but neither grows nor bounds: (class in the
    /// module, attribute, kind, where).
    pub quiet_attrs: Vec<(String, String, &'static str, ruff_text_size::TextRange)>,
}

pub struct Checker<'a, 'm> {
    pub semantic: &'m SemanticModel<'a>,
    pub suite: &'a [Stmt],
    pub options: &'m RuleOptions,
    pub context: &'m Context<'m>,
    rules: RuleSet,
    scope: ScopeId,
    ancestors: Vec<NodeRef<'a>>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a, 'm> Checker<'a, 'm> {
    pub fn new(
        semantic: &'m SemanticModel<'a>,
        suite: &'a [Stmt],
        rules: RuleSet,
        options: &'m RuleOptions,
        context: &'m Context<'m>,
    ) -> Self {
        Checker {
            semantic,
            suite,
            options,
            context,
            rules,
            scope: ScopeId::MODULE,
            ancestors: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Walks the module once and returns the diagnostics of all enabled rules, with the
    /// module's own cross-process lock helpers (qualified) for the project.
    pub fn run(mut self) -> (Vec<Diagnostic>, Exports) {
        self.visit_body(self.suite);
        let lock_helpers = json_io::lock_helpers(
            self.suite,
            self.semantic,
            self.context.module,
            self.context.extra_locks,
        );
        let removers = containers::removers::removers(self.suite);
        let mut quiet_globals = Vec::new();
        let mut quiet_attrs = Vec::new();
        let growth_rules = [
            Rule::UnboundedDefaultdict,
            Rule::UncheckedAppend,
            Rule::UnboundedDictCache,
        ];
        if !self.context.is_test && growth_rules.iter().any(|r| self.enabled(*r)) {
            let options = ContainerOptions {
                bounded_types: &self.options.bounded_types,
                module: self.context.module,
                removers: self.context.removers,
                local_removers: &removers,
                imported_growth: self.context.imported_growth,
            };
            let found = containers::analyze(self.suite, self.semantic, &options);
            quiet_globals = found
                .iter()
                .filter(|c| c.is_quiet_global())
                .map(|c| (c.attr.clone(), c.kind.family()))
                .collect();
            quiet_attrs = found
                .iter()
                .filter(|c| c.is_quiet_attr())
                .filter_map(|c| Some((c.class.clone()?, c.attr.clone(), c.kind.family(), c.range)))
                .collect();
            if self.enabled(Rule::UnboundedDefaultdict) {
                rules::unbounded_defaultdict::check(&mut self, &found);
            }
            if self.enabled(Rule::UncheckedAppend) {
                rules::unchecked_append::check(&mut self, &found);
            }
            if self.enabled(Rule::UnboundedDictCache) {
                rules::unbounded_dict_cache::check(&mut self, &found);
            }
        }
        let mut json_helpers = Vec::new();
        let mut written_files = Vec::new();
        let mut read_files = Vec::new();
        let mut state_writer_calls = Vec::new();
        let file_rules = [
            Rule::UnprotectedJsonRmw,
            Rule::NonAtomicWrite,
            Rule::SplitLockRmw,
            Rule::ThreadLockOnly,
        ];
        if file_rules.iter().any(|r| self.enabled(*r)) {
            let facts = json_io::analyze(
                self.suite,
                self.semantic,
                self.context.extra_locks,
                self.context.json_helpers,
            );
            json_helpers = facts.helpers.clone();
            written_files = facts.written_files.clone();
            read_files = facts.read_files.clone();
            state_writer_calls = facts.state_writer_calls.clone();
            if self.enabled(Rule::UnprotectedJsonRmw) {
                rules::unprotected_json_rmw::check(&mut self, &facts);
            }
            if self.enabled(Rule::NonAtomicWrite) {
                rules::non_atomic_write::check(&mut self, &facts);
            }
            if self.enabled(Rule::SplitLockRmw) {
                rules::split_lock_rmw::check(&mut self, &facts);
            }
            if self.enabled(Rule::ThreadLockOnly) {
                rules::thread_lock_only::check(&mut self, &facts);
            }
        }
        (
            self.diagnostics,
            Exports {
                lock_helpers,
                json_helpers,
                written_files,
                read_files,
                state_writer_calls,
                removers,
                quiet_globals,
                quiet_attrs,
            },
        )
    }

    pub fn enabled(&self, rule: Rule) -> bool {
        self.rules.contains(rule)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn scope(&self) -> ScopeId {
        self.scope
    }

    /// The resolved qualified name of `expr` in the current scope (see [`SemanticModel::qualified_name`]).
    pub fn qualified_name(&self, expr: &Expr) -> Option<String> {
        self.semantic.qualified_name(self.scope, expr)
    }

    /// Ancestors of the node being visited, nearest first (the node itself excluded).
    pub fn ancestors(&self) -> impl Iterator<Item = NodeRef<'a>> + '_ {
        self.ancestors.iter().rev().skip(1).copied()
    }

    /// The innermost function around the current node, if any.
    pub fn enclosing_function(&self) -> Option<&'a ast::StmtFunctionDef> {
        self.ancestors().find_map(|n| match n {
            NodeRef::Stmt(Stmt::FunctionDef(f)) => Some(f),
            _ => None,
        })
    }

    /// The class whose method body contains the current node, with that method.
    pub fn enclosing_method(&self) -> Option<(&'a ast::StmtClassDef, &'a ast::StmtFunctionDef)> {
        let mut func = None;
        for n in self.ancestors() {
            match n {
                NodeRef::Stmt(Stmt::FunctionDef(f)) if func.is_none() => func = Some(f),
                NodeRef::Stmt(Stmt::FunctionDef(_)) => return None,
                NodeRef::Stmt(Stmt::ClassDef(c)) => return func.map(|f| (c, f)),
                _ => {}
            }
        }
        None
    }

    /// The statements of the innermost function (or the module) around the current node.
    pub fn enclosing_body(&self) -> &'a [Stmt] {
        self.enclosing_function()
            .map_or(self.suite, |f| f.body.as_slice())
    }

    fn with_scope_of(&mut self, node: &impl Ranged, f: impl FnOnce(&mut Self)) {
        let saved = self.scope;
        if let Some(scope) = self.semantic.scope_of(node) {
            self.scope = scope;
        }
        f(self);
        self.scope = saved;
    }
}

impl<'a> Visitor<'a> for Checker<'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        self.ancestors.push(NodeRef::Stmt(stmt));
        match stmt {
            Stmt::FunctionDef(func) => {
                let class = match self.ancestors().next() {
                    Some(NodeRef::Stmt(Stmt::ClassDef(class))) => Some(class),
                    _ => None,
                };
                // A test run is not a long-running process: its caches die with it.
                let long_running = !self.context.is_test;
                if long_running
                    && self.enabled(Rule::UncappedMemoize)
                    && self.enclosing_function().is_none()
                {
                    rules::uncapped_memoize::check(self, func, class.is_some());
                }
                if let (true, Some(class)) =
                    (long_running && self.enabled(Rule::MethodCache), class)
                {
                    rules::method_cache::check(self, class, func);
                }
                for d in &func.decorator_list {
                    self.visit_decorator(d);
                }
                for p in func.parameters.iter() {
                    if let Some(default) = p.default() {
                        self.visit_expr(default);
                    }
                }
                self.with_scope_of(func, |c| c.visit_body(&func.body));
            }
            Stmt::ClassDef(class) => {
                for d in &class.decorator_list {
                    self.visit_decorator(d);
                }
                if let Some(args) = &class.arguments {
                    self.visit_arguments(args);
                }
                self.with_scope_of(class, |c| c.visit_body(&class.body));
            }
            _ => visitor::walk_stmt(self, stmt),
        }
        self.ancestors.pop();
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        self.ancestors.push(NodeRef::Expr(expr));
        match expr {
            Expr::Call(call) => {
                if self.enabled(Rule::OpenWithoutContext) {
                    rules::open_without_context::check_call(self, call);
                }
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(lambda) => {
                if let Some(params) = &lambda.parameters {
                    for p in params.iter() {
                        if let Some(default) = p.default() {
                            self.visit_expr(default);
                        }
                    }
                }
                self.with_scope_of(lambda, |c| c.visit_expr(&lambda.body));
            }
            _ => visitor::walk_expr(self, expr),
        }
        self.ancestors.pop();
    }
}
