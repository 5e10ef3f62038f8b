//! Functions that run only while the program starts: called by module-level code (at import or
//! from the `__main__` block), by a function only such code calls, or by a start-up hook of a
//! web framework (`FastAPI(lifespan=...)`, `@app.on_event("startup")`), and by nothing else in
//! the project. What such a function adds to a module global, it adds a fixed number of times:
//! TaskingAI's provider table is filled by `load_provider_data()` from the lifespan, from the
//! directories the service ships, and only read by request handlers.
//!
//! Phase one keeps, per module, the qualified functions its start-up code calls, the calls
//! that its functions which grow a module global make (they run at start-up when all their
//! callers do), and the hashes of every other name its code uses. Linking accepts a function
//! when some start-up code calls it and no other code of the project names it. The hashes can
//! only err towards "named elsewhere", which keeps a finding.

use super::frameworks::table;
use super::import_calls::AttrNameHashes;
use super::Name;
use crate::lint::semantic::{BindingKind, Resolved, ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// What [`collect`] finds in a module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartupCalls {
    /// Qualified functions that module-level code and start-up hooks call, outside loops.
    pub at_startup: Vec<Name>,
    /// `(caller, callee)`, both qualified: calls made by the module's functions that grow a
    /// module global ([`collect`]'s `growers`).
    pub from_growers: Vec<(Name, Name)>,
    /// Every other name the module's code uses (a call, a callback handed on, an attribute).
    pub elsewhere: AttrNameHashes,
    /// The calls the module's other functions make outside loops, to functions named through
    /// an import or defined here (standard library aside): a function called only by start-up
    /// code and by functions that run only then runs only then too, however many modules the
    /// chain crosses. Read through [`StartupCalls::calls`].
    #[serde(default)]
    pub calls: FunctionCalls,
    /// The names of functions the module's code uses in any other way (a call in a loop, in a
    /// method or a nested function, a callback handed on): bare names, and attributes of
    /// imported names (`tasks.init`). An attribute of any other object (`pool.init()`) is a
    /// method, never a module-level function.
    #[serde(default)]
    pub named: AttrNameHashes,
    /// Literal starts of attribute names looked up as text (`getattr(self, f"cmd_{name}")`,
    /// `getattr(plugin, "on_" + event)`): methods so named may be called without being named.
    #[serde(default)]
    pub dispatch_prefixes: Vec<Name>,
}

/// Calls between functions, kept small: one summary per module stays in memory until linking,
/// and a project makes tens of thousands of such calls. The callers' names are stored once
/// each, in one string; the callee of each call is the hash of its qualified name
/// ([`super::import_calls::hash`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCalls {
    /// The callers' names, each ended by a newline.
    callers: String,
    /// (byte offset of the caller's name in `callers`, hash of the callee).
    calls: Vec<(u32, u32)>,
}

impl FunctionCalls {
    fn build(mut calls: Vec<(&str, u32)>) -> FunctionCalls {
        calls.sort_unstable();
        calls.dedup();
        let mut out = FunctionCalls::default();
        let mut last: Option<(&str, u32)> = None;
        for (caller, callee) in calls {
            let offset = match last {
                Some((name, at)) if name == caller => at,
                _ => {
                    let at = u32::try_from(out.callers.len()).unwrap_or(u32::MAX);
                    out.callers.push_str(caller);
                    out.callers.push('\n');
                    at
                }
            };
            last = Some((caller, offset));
            out.calls.push((offset, callee));
        }
        out.callers.shrink_to_fit();
        out.calls.shrink_to_fit();
        out
    }

    /// Each call as (the caller's name in its module, the hash of the callee's qualified name).
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.calls.iter().filter_map(|&(at, callee)| {
            let name = self.callers.get(at as usize..)?.split('\n').next()?;
            Some((name, callee))
        })
    }
}

/// What the modules of a project may call, merged ([`StartupCalls::name`] over many modules,
/// asked once per name instead of once per module and name).
#[derive(Default)]
pub struct CalledNames<'p> {
    hashes: FxHashSet<u32>,
    called: FxHashSet<&'p str>,
    prefixes: Vec<&'p str>,
}

impl<'p> CalledNames<'p> {
    pub fn add(&mut self, calls: &'p StartupCalls) {
        self.hashes.extend(calls.elsewhere.hashes());
        let last = |q: &'p Name| q.as_str().rsplit('.').next().unwrap_or_default();
        self.called.extend(calls.at_startup.iter().map(last));
        self.called
            .extend(calls.from_growers.iter().map(|(_, callee)| last(callee)));
        self.prefixes
            .extend(calls.dispatch_prefixes.iter().map(|p: &'p Name| p.as_str()));
    }

    /// As [`StartupCalls::name`] for any of the modules added: the same three tests over the
    /// merged sets, so a test added to one must be added to the other.
    pub fn name(&self, name: &str) -> bool {
        self.hashes.contains(&super::import_calls::hash(name))
            || self.called.contains(name)
            || self.prefixes.iter().any(|p| name.starts_with(p))
    }
}

impl StartupCalls {
    /// Whether the module's code may call the function or method `name`: it names it (a call, a
    /// reference, a bound method handed on), calls it while it starts, or looks up attributes
    /// by a name built with its start ([`Self::dispatches`]). [`CalledNames::name`] answers the
    /// same question for a whole project; keep the two alike.
    pub fn name(&self, name: &str) -> bool {
        let last = |q: &Name| q.as_str().rsplit('.').next() == Some(name);
        self.elsewhere.may_contain(name)
            || self.at_startup.iter().any(last)
            // A function that grows a module global calls it (kept apart for start-up
            // questions, but a call all the same).
            || self.from_growers.iter().any(|(_, callee)| last(callee))
            || self.dispatches(name)
    }

    /// Whether the module looks up attributes by a name built with the start of `name`
    /// (`getattr(self, f"cmd_{name}")` reaches every `cmd_*`).
    pub fn dispatches(&self, name: &str) -> bool {
        self.dispatch_prefixes
            .iter()
            .any(|p| name.starts_with(p.as_str()))
    }
}

/// The attribute name a `getattr(x, name)` or `hasattr(x, name)` call looks up, as written.
fn looked_up_name(call: &ast::ExprCall) -> Option<&Expr> {
    if !matches!(call.func.as_ref(), Expr::Name(n) if matches!(n.id.as_str(), "getattr" | "hasattr"))
    {
        return None;
    }
    call.arguments.args.get(1)
}

/// `getattr(x, f"cmd_{name}")` or `getattr(x, "on_" + event)`: the literal start of a name
/// built at run time.
fn dispatch_prefix(call: &ast::ExprCall) -> Option<Name> {
    let prefix = crate::lint::blocks::literal_start(looked_up_name(call)?)?;
    (!prefix.is_empty()).then(|| Name::new(&prefix))
}

/// `growers`: names of the module-level functions of this module that add to a module global.
pub fn collect(
    suite: &[Stmt],
    semantic: &SemanticModel<'_>,
    module: &str,
    growers: &[&str],
) -> StartupCalls {
    let functions: FxHashMap<&str, &ast::StmtFunctionDef> = suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let (roots, hook_refs) = startup_hooks(suite, semantic, &functions);
    let hook_offsets: FxHashSet<_> = hook_refs.iter().map(|n| n.range.start()).collect();
    let held = held_values(suite, &functions);
    // The module's own functions that run only at start-up: the hooks, and those that start-up
    // code calls (outside loops) and no other code of the module names. Each walk may show
    // more (what those call) or fewer (one also called elsewhere); a few walks settle it.
    let mut startup = roots.clone();
    let mut walk;
    let mut walks = 0;
    loop {
        walk = Walk {
            semantic,
            module,
            scope: ScopeId::MODULE,
            startup: true,
            loops: 0,
            at_startup: Vec::new(),
            from_growers: Vec::new(),
            grower: None,
            elsewhere: FxHashSet::default(),
            function: None,
            calls: Vec::new(),
            named: FxHashSet::default(),
            dispatch_prefixes: Vec::new(),
            hook_refs: hook_offsets.clone(),
            held_values: held.clone(),
            in_class: false,
        };
        walk.walk_module(suite, &startup, growers);
        walks += 1;
        let prefix_len = module.len() + 1;
        let mut next = roots.clone();
        next.extend(
            walk.at_startup
                .iter()
                .filter(|q| {
                    q.len() > prefix_len
                        && q.starts_with(module)
                        && q.as_bytes()[module.len()] == b'.'
                })
                .map(|q| &q[prefix_len..])
                .filter_map(|n| functions.get_key_value(n).map(|(k, _)| *k))
                .filter(|n| !walk.elsewhere.contains(n)),
        );
        if next == startup || walks >= 4 {
            break;
        }
        startup = next;
    }
    // A hook runs once; resolved from module level, where hooks are defined or imported.
    for name in &hook_refs {
        if let Some(q) = walk.callee(&Expr::Name((*name).clone())) {
            walk.at_startup.push(q);
        }
    }
    let mut at_startup: Vec<Name> = walk.at_startup.iter().map(|n| Name::new(n)).collect();
    at_startup.sort_unstable_by_key(|n| n.as_str());
    at_startup.dedup();
    let mut from_growers: Vec<(Name, Name)> = walk
        .from_growers
        .iter()
        .map(|(g, c)| (Name::new(&format!("{module}.{g}")), Name::new(c)))
        .collect();
    from_growers.sort_unstable_by_key(|(g, c)| (g.as_str(), c.as_str()));
    from_growers.dedup();
    let mut dispatch_prefixes = std::mem::take(&mut walk.dispatch_prefixes);
    dispatch_prefixes.sort_unstable_by_key(|n| n.as_str());
    dispatch_prefixes.dedup();
    let calls = FunctionCalls::build(std::mem::take(&mut walk.calls));
    StartupCalls {
        at_startup,
        from_growers,
        elsewhere: AttrNameHashes::with_names(&walk.elsewhere),
        calls,
        named: AttrNameHashes::with_names(&walk.named),
        dispatch_prefixes,
    }
}

struct Walk<'a, 'm> {
    semantic: &'m SemanticModel<'a>,
    module: &'m str,
    scope: ScopeId,
    /// The code walked runs once, while the program starts (loops aside).
    startup: bool,
    loops: usize,
    at_startup: Vec<String>,
    from_growers: Vec<(&'a str, String)>,
    /// The function walked, when it grows a module global.
    grower: Option<&'a str>,
    elsewhere: FxHashSet<&'a str>,
    /// The module-level function walked, outside nested definitions.
    function: Option<&'a str>,
    calls: Vec<(&'a str, u32)>,
    named: FxHashSet<&'a str>,
    dispatch_prefixes: Vec<Name>,
    /// Where a function is handed to the framework as a start-up hook.
    hook_refs: FxHashSet<ruff_text_size::TextSize>,
    /// Module-level names bound to data the program holds ([`held_values`]).
    held_values: FxHashSet<&'a str>,
    /// The statements walked are the body of a class.
    in_class: bool,
}

impl<'a> Walk<'a, '_> {
    /// Walks the module: the functions of `startup` as start-up code, those of `growers` for
    /// the calls they make.
    fn walk_module(&mut self, suite: &'a [Stmt], startup: &FxHashSet<&str>, growers: &[&str]) {
        for stmt in suite {
            match stmt {
                Stmt::FunctionDef(f) => {
                    for d in &f.decorator_list {
                        self.visit_decorator(d);
                    }
                    self.visit_parameters(&f.parameters);
                    let name = f.name.as_str();
                    let saved = self.scope;
                    self.scope = self.semantic.scope_of(f).unwrap_or(ScopeId::MODULE);
                    self.startup = startup.contains(name);
                    self.grower = (!self.startup && growers.contains(&name)).then_some(name);
                    self.function = Some(name);
                    self.visit_body(&f.body);
                    self.scope = saved;
                    self.startup = true;
                    self.grower = None;
                    self.function = None;
                }
                _ => self.visit_stmt(stmt),
            }
        }
    }

    /// The qualified name of a called function: imported, or defined at module level here.
    fn callee(&self, func: &Expr) -> Option<String> {
        if let Expr::Name(n) = func {
            if let Resolved::Binding(ScopeId::MODULE, b) =
                self.semantic
                    .resolve(self.scope, n.id.as_str(), n.range.start())
            {
                if b.kind == BindingKind::FunctionDef {
                    return Some(format!("{}.{}", self.module, n.id));
                }
            }
        }
        self.semantic
            .qualified_name(self.scope, func)
            .filter(|q| !q.starts_with("builtins."))
    }

    /// Whether the bare name `n` may be a module-level function: one defined at module level
    /// here, an imported name, or one the module cannot resolve (a star import's); a local,
    /// a parameter or a class is none.
    fn may_name_a_function(&self, n: &ast::ExprName) -> bool {
        match self
            .semantic
            .resolve(self.scope, n.id.as_str(), n.range.start())
        {
            Resolved::Builtin => true,
            Resolved::Binding(scope, b) => match &b.kind {
                BindingKind::Import(q) => !super::stdlib::is_stdlib(q),
                BindingKind::FunctionDef => scope == ScopeId::MODULE,
                _ => false,
            },
        }
    }

    /// Whether the bare name `n` is a parameter or variable of the function it is used in
    /// (`check_time = self.every_n_epochs; check_time(runner)`): it names that local, not a
    /// function of the same name elsewhere.
    fn names_a_local(&self, n: &ast::ExprName) -> bool {
        matches!(
            self.semantic.resolve(self.scope, n.id.as_str(), n.range.start()),
            Resolved::Binding(scope, b) if scope != ScopeId::MODULE
                && matches!(b.kind, BindingKind::Parameter | BindingKind::Assignment)
        )
    }

    /// `CONFIG.admins`: a field of data the module holds ([`held_values`]: `CONFIG =
    /// read_config()`), read when the loop starts. Not an attribute of an imported module
    /// (`sys.stdin`), of a parameter or `self`, or of a process or client the module made
    /// (`PROC.stdout`), which may be a stream.
    fn module_value_field(&self, iter: &Expr) -> bool {
        let Expr::Attribute(a) = iter else {
            return false;
        };
        let Expr::Name(n) = a.value.as_ref() else {
            return false;
        };
        self.held_values.contains(n.id.as_str())
            && matches!(
                self.semantic.resolve(self.scope, n.id.as_str(), n.range.start()),
                Resolved::Binding(ScopeId::MODULE, b) if matches!(b.kind, BindingKind::Assignment)
            )
    }

    /// Whether `value` is a dotted name whose root is bound by an import (`tasks`, `pkg.jobs`).
    fn imported_root(&self, value: &Expr) -> bool {
        let mut root = value;
        while let Expr::Attribute(a) = root {
            root = &a.value;
        }
        let Expr::Name(n) = root else {
            return false;
        };
        matches!(
            self.semantic.resolve(self.scope, n.id.as_str(), n.range.start()),
            Resolved::Binding(_, b) if matches!(b.kind, BindingKind::Import(_))
        )
    }
}

impl<'a> Visitor<'a> for Walk<'a, '_> {
    /// A decorator named bare (`@register`, `@registry.add`) is called with the definition
    /// when the definition is executed: at start-up for one at module level, like a call
    /// written there. A decorator factory (`@route("/x")`) is a call already.
    fn visit_decorator(&mut self, decorator: &'a ast::Decorator) {
        let expr = &decorator.expression;
        if self.startup && self.loops == 0 && matches!(expr, Expr::Name(_) | Expr::Attribute(_)) {
            if let Some(q) = self.callee(expr) {
                self.at_startup.push(q);
                if let Expr::Attribute(a) = expr {
                    self.visit_expr(&a.value);
                }
                return;
            }
        }
        visitor::walk_decorator(self, decorator);
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // A nested function runs whenever it is called or handed to, which is not known.
            // Decorators run where the definition is executed, and so does a class body: at
            // start-up for a class defined at module level, whose methods' decorators
            // (`@strategy` registering each method's name) run then too.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                let decorators = match stmt {
                    Stmt::ClassDef(c) => &c.decorator_list,
                    Stmt::FunctionDef(f) => &f.decorator_list,
                    _ => unreachable!(),
                };
                for d in decorators {
                    self.visit_decorator(d);
                }
                let (startup, grower, function) =
                    (self.startup, self.grower.take(), self.function.take());
                // A method the framework calls once at start-up, of a class defined at start-up
                // (`makeService` of a twistd plugin), is start-up code too.
                let startup_method = matches!(stmt, Stmt::FunctionDef(f)
                    if self.in_class && table().startup_hooks.methods.iter().any(|m| m == f.name.as_str()));
                let in_class = self.in_class;
                self.in_class = matches!(stmt, Stmt::ClassDef(_));
                self.startup = startup && (matches!(stmt, Stmt::ClassDef(_)) || startup_method);
                let saved = self.scope;
                if let Some(scope) = self.semantic.scope_of(stmt) {
                    self.scope = scope;
                }
                match stmt {
                    Stmt::ClassDef(c) => {
                        if let Some(arguments) = &c.arguments {
                            self.visit_arguments(arguments);
                        }
                        self.visit_body(&c.body);
                    }
                    Stmt::FunctionDef(f) => {
                        if let Some(type_params) = &f.type_params {
                            self.visit_type_params(type_params);
                        }
                        self.visit_parameters(&f.parameters);
                        if let Some(returns) = &f.returns {
                            self.visit_annotation(returns);
                        }
                        self.visit_body(&f.body);
                    }
                    _ => {}
                }
                self.scope = saved;
                (self.startup, self.grower, self.function) = (startup, grower, function);
                self.in_class = in_class;
            }
            // A `for` over data the program holds (`conf["middlewares"]`, `conf.items()`, a
            // literal list) runs once per item of a collection that is there already: a fixed
            // number of calls. One over what a call yields may run for good (`bot.listen()`).
            Stmt::For(f)
                if !f.is_async
                    && (iterates_held_data(&f.iter) || self.module_value_field(&f.iter)) =>
            {
                visitor::walk_stmt(self, stmt)
            }
            s if crate::lint::blocks::repeats_stmt(s) => {
                self.loops += 1;
                visitor::walk_stmt(self, stmt);
                self.loops -= 1;
            }
            // The `__main__` block runs once, like the rest of module-level code.
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                if let Some(prefix) = dispatch_prefix(call) {
                    self.dispatch_prefixes.push(prefix);
                }
                // `getattr(self.node, "on_disconnect", None)` names the method as text.
                if let Some(Expr::StringLiteral(name)) = looked_up_name(call) {
                    self.elsewhere.insert(name.value.to_str());
                }
                let once = self.startup && self.loops == 0;
                // A call made once per run of a function that is no start-up code itself.
                let plain = (!self.startup && self.grower.is_none() && self.loops == 0)
                    .then_some(self.function)
                    .flatten();
                let callee = if once || self.grower.is_some() || plain.is_some() {
                    self.callee(&call.func)
                } else {
                    None
                };
                match (callee, once, self.grower) {
                    (Some(q), false, None) => {
                        if let Some(f) = plain {
                            if !super::stdlib::is_stdlib(&q) {
                                self.calls.push((f, super::import_calls::hash(&q)));
                            }
                        }
                        // As for a call from start-up code, the callee is not named elsewhere.
                        if let Expr::Attribute(a) = call.func.as_ref() {
                            self.elsewhere.insert(a.attr.as_str());
                            self.visit_expr(&a.value);
                        } else if let Expr::Name(n) = call.func.as_ref() {
                            self.elsewhere.insert(n.id.as_str());
                        }
                    }
                    (Some(q), true, _) => {
                        self.at_startup.push(q);
                        // `mod.load()`: the module is named, not used.
                        if let Expr::Attribute(a) = call.func.as_ref() {
                            self.visit_expr(&a.value);
                        }
                    }
                    (Some(q), false, Some(g)) => {
                        self.from_growers.push((g, q));
                        if let Expr::Attribute(a) = call.func.as_ref() {
                            self.visit_expr(&a.value);
                        }
                    }
                    _ => self.visit_expr(&call.func),
                }
                self.visit_arguments(&call.arguments);
            }
            Expr::Name(n) => {
                if !self.hook_refs.contains(&n.range.start()) && !self.names_a_local(n) {
                    self.elsewhere.insert(n.id.as_str());
                    if self.may_name_a_function(n) {
                        self.named.insert(n.id.as_str());
                    }
                }
            }
            Expr::Attribute(a) => {
                self.elsewhere.insert(a.attr.as_str());
                if self.imported_root(&a.value) {
                    self.named.insert(a.attr.as_str());
                }
                self.visit_expr(&a.value);
            }
            e if crate::lint::blocks::repeats_expr(e) => {
                self.loops += 1;
                visitor::walk_expr(self, expr);
                self.loops -= 1;
            }
            Expr::Lambda(_) => {
                let startup = self.startup;
                self.startup = false;
                visitor::walk_expr(self, expr);
                self.startup = startup;
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

/// The module's functions that a web framework runs once, while the application starts. Also
/// returns the names that hand a function to the framework as a hook (`lifespan=lifespan`,
/// `add_event_handler("startup", load_tools)`): uses that are no call of their own.
fn startup_hooks<'a>(
    suite: &'a [Stmt],
    semantic: &SemanticModel<'_>,
    functions: &FxHashMap<&'a str, &'a ast::StmtFunctionDef>,
) -> (FxHashSet<&'a str>, Vec<&'a ast::ExprName>) {
    let hooks = &table().startup_hooks;
    let mut hook_refs: Vec<&ast::ExprName> = Vec::new();
    let mut roots: FxHashSet<&str> = FxHashSet::default();
    // Hooks named by keyword (`FastAPI(lifespan=lifespan)`) or registered for the start-up
    // event, and hooks by decorator; only a module that imports a web framework names them
    // (which spares a walk over every call of every other module).
    let frameworks: Vec<&str> = hooks.modules.iter().map(String::as_str).collect();
    let web = semantic.imports_from_any(&frameworks);
    // Every call of the module, in functions and classes too (`create_app()` often builds the
    // application).
    for call in if web {
        crate::lint::blocks::all_calls(suite)
    } else {
        Vec::new()
    } {
        for kw in &call.arguments.keywords {
            let Some(arg) = kw.arg.as_ref() else { continue };
            if hooks.keywords.iter().any(|k| k == arg.as_str()) {
                hook_refs.extend(function_names(&kw.value));
            }
        }
        if let Expr::Attribute(a) = call.func.as_ref() {
            if a.attr.as_str() == "add_event_handler" && names_startup_event(call) {
                hook_refs.extend(
                    call.arguments
                        .args
                        .get(1)
                        .into_iter()
                        .flat_map(function_names),
                );
            }
        }
    }
    for (name, f) in functions.iter().filter(|_| web) {
        let hooked = f.decorator_list.iter().any(|d| {
            let (func, call) = match &d.expression {
                Expr::Call(c) => (c.func.as_ref(), Some(c)),
                e => (e, None),
            };
            let Expr::Attribute(a) = func else {
                return false;
            };
            let attr = a.attr.as_str();
            hooks.decorators.iter().any(|h| h == attr)
                || (attr == "on_event" && call.is_some_and(names_startup_event))
        });
        if hooked {
            roots.insert(name);
        }
    }
    // A command of a click or typer interface runs once per invocation of the program, as
    // its `__main__` block does: a long-running command (`tgcf live`) calls its set-up once.
    if super::one_shot::uses_cli_framework(semantic) {
        roots.extend(
            functions
                .iter()
                .filter(|(_, f)| super::one_shot::is_cli_command(f))
                .map(|(name, _)| *name),
        );
    }
    roots.extend(
        hook_refs
            .iter()
            .map(|n| n.id.as_str())
            .filter(|r| functions.contains_key(r)),
    );
    (roots, hook_refs)
}

/// `X.on_event("startup")`, `X.add_event_handler("startup", f)`.
pub(crate) fn names_startup_event(call: &ast::ExprCall) -> bool {
    matches!(call.arguments.args.first(), Some(Expr::StringLiteral(s))
        if table().startup_hooks.events.iter().any(|e| e == s.value.to_str()))
}

/// The functions an argument names: `f`, or each of `[f, g]`.
fn function_names(value: &Expr) -> Vec<&ast::ExprName> {
    match value {
        Expr::Name(n) => vec![n],
        Expr::List(l) => l.elts.iter().flat_map(function_names).collect(),
        Expr::Tuple(t) => t.elts.iter().flat_map(function_names).collect(),
        _ => Vec::new(),
    }
}

/// Whether `function` (qualified) runs only while the program starts: some start-up code of the
/// project calls it, and every other caller is a function that itself runs only then, and no
/// other code of the project (test code aside) names it.
pub fn only_at_startup(
    modules: &[(String, &super::ModuleFacts)],
    hierarchy: &super::hierarchy::Hierarchy<'_>,
    commands: &[String],
    function: &str,
) -> bool {
    let mut seen: Vec<String> = Vec::new();
    let at = Callers {
        modules,
        hierarchy,
        commands,
    };
    at.only_at_startup_from(function, &mut seen)
}

/// What [`only_at_startup`] looks through: the modules, and the functions the packaging
/// installs as commands, which the launcher calls once per run.
struct Callers<'f, 'h> {
    modules: &'f [(String, &'f super::ModuleFacts)],
    hierarchy: &'h super::hierarchy::Hierarchy<'h>,
    commands: &'f [String],
}

impl Callers<'_, '_> {
    fn only_at_startup_from(&self, function: &str, seen: &mut Vec<String>) -> bool {
        // A cycle of callers, or a chain too long to follow, is no evidence.
        if seen.iter().any(|s| s == function) || seen.len() > 8 {
            return false;
        }
        seen.push(function.to_string());
        let only = self.only_at_startup_unseen(function, seen);
        seen.pop();
        only
    }

    fn only_at_startup_unseen(&self, function: &str, seen: &mut Vec<String>) -> bool {
        let name = function.rsplit('.').next().unwrap_or(function);
        let production = || self.modules.iter().map(|(_, m)| *m).filter(|m| !m.is_test);
        let is_it = |callee: &str| is_function(self.hierarchy, callee, function);
        // Named in a loop, by a method, handed on as a callback, or looked up by a name built
        // at run time: it may run at any time.
        if production()
            .any(|m| m.startup_calls.dispatches(name) || m.startup_calls.named.may_contain(name))
        {
            return false;
        }
        let spellings = self.spellings(function);
        let mut called = self.commands.iter().any(|c| c == function);
        for m in production() {
            let calls = &m.startup_calls;
            if calls.at_startup.iter().any(|c| is_it(c.as_str())) {
                called = true;
            }
            let grower_callers = calls
                .from_growers
                .iter()
                .filter(|(_, callee)| is_it(callee.as_str()))
                .map(|(caller, _)| caller.as_str().to_string());
            let other_callers = calls
                .calls
                .iter()
                .filter(|(_, callee)| spellings.contains(callee))
                .map(|(caller, _)| format!("{}.{}", m.module.as_str(), caller));
            for caller in grower_callers.chain(other_callers) {
                // A recursive call runs only while the function already does.
                if caller == function {
                    continue;
                }
                if !self.only_at_startup_from(&caller, seen) {
                    return false;
                }
                called = true;
            }
        }
        called
    }

    /// The hashes of the qualified names by which a module may call `function`: its own; as
    /// its package or a parent package (`from .bundle import *` in `cache/__init__.py`); and
    /// as a module of the project re-exports it (`from .runner import start` in `jobs.py`).
    fn spellings(&self, function: &str) -> Vec<u32> {
        let (module, name) = function.rsplit_once('.').unwrap_or(("", function));
        let mut names = vec![function.to_string()];
        let mut package = module;
        while let Some((parent, _)) = package.rsplit_once('.') {
            names.push(format!("{parent}.{name}"));
            package = parent;
        }
        for (_, m) in self.modules {
            for (local, target) in &m.exports {
                if local.as_str() == name && is_function(self.hierarchy, target.as_str(), function)
                {
                    names.push(format!("{}.{}", m.module.as_str(), local.as_str()));
                }
            }
        }
        names.iter().map(|n| super::import_calls::hash(n)).collect()
    }
}

/// Whether `callee`, as some module names it, is the module-level function `function`: the
/// same name; a re-export (followed by the hierarchy, or from a package that star-imports its
/// modules); or, when the project has two packages of one name (the services of a monorepo,
/// each with its own `app`), the same module and function below the same top package.
fn is_function(hierarchy: &super::hierarchy::Hierarchy<'_>, callee: &str, function: &str) -> bool {
    fn top(n: &str) -> &str {
        n.split('.').next().unwrap_or(n)
    }
    // The module's own name and the function's: `entrypoint.init`, not any `init` of the package.
    fn leaf(n: &str) -> &str {
        n.rsplit('.').nth(1).unwrap_or(n)
    }
    let name = function.rsplit('.').next().unwrap_or(function);
    if callee.rsplit('.').next() != Some(name) {
        return false;
    }
    // `cache.load` for `cache.bundle.load`, through `from .bundle import *` in the package.
    let module = function.rsplit_once('.').map_or("", |(m, _)| m);
    let from_package = callee.rsplit_once('.').is_some_and(|(package, _)| {
        module.len() > package.len()
            && module.starts_with(package)
            && module.as_bytes()[package.len()] == b'.'
    });
    callee == function
        || from_package
        || top(callee) == top(function)
            && leaf(callee) == leaf(function)
            && hierarchy.has_duplicate_modules()
        || hierarchy
            .resolve_name(callee, &|n: &str| n == function)
            .is_some()
}

/// Module-level names bound to data the program holds once loaded: a literal collection, what a
/// function of the module returns (`CONFIG = read_config()`), or a document loaded from a file
/// (`json.load(f)`, `yaml.safe_load(f)`). Not a process, a client or a queue the module makes.
fn held_values<'a>(
    suite: &'a [Stmt],
    functions: &FxHashMap<&'a str, &'a ast::StmtFunctionDef>,
) -> FxHashSet<&'a str> {
    let mut out = FxHashSet::default();
    for stmt in crate::lint::blocks::module_level(suite) {
        let Some((Expr::Name(n), value)) = crate::lint::blocks::single_assignment(stmt) else {
            continue;
        };
        let held = match value {
            Expr::Dict(_) | Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => true,
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Name(f) => functions.contains_key(f.id.as_str()),
                Expr::Attribute(a) => matches!(a.attr.as_str(), "load" | "safe_load" | "loads"),
                _ => false,
            },
            _ => false,
        };
        if held {
            out.insert(n.id.as_str());
        }
    }
    out
}

/// A collection the program holds, or its items, keys, values, a range or an enumeration of it:
/// `conf["middlewares"]`, `settings.items()`, `["a", "b"]`, `range(3)`. Not a bare name or
/// attribute (a generator or a stream, `sys.stdin`, may hide behind one) nor what another call
/// returns.
fn iterates_held_data(iter: &Expr) -> bool {
    match iter {
        Expr::Subscript(_) | Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => true,
        Expr::Call(call) if call.arguments.keywords.is_empty() => match call.func.as_ref() {
            // A mapping's views: the dict is there, with its entries.
            Expr::Attribute(a) if matches!(a.attr.as_str(), "items" | "keys" | "values") => {
                call.arguments.args.is_empty()
            }
            Expr::Name(n) if matches!(n.id.as_str(), "enumerate" | "sorted" | "reversed") => {
                matches!(call.arguments.args.as_ref(), [only] if iterates_held_data(only))
            }
            Expr::Name(n) if n.id.as_str() == "range" => true,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    fn collect_from(source: &str, growers: &[&str]) -> StartupCalls {
        let parsed = parse_module(source).expect("valid");
        let semantic = SemanticModel::build(parsed.suite());
        collect(parsed.suite(), &semantic, "pkg.app", growers)
    }

    fn names(calls: &[Name]) -> Vec<&str> {
        calls.iter().map(Name::as_str).collect()
    }

    #[test]
    fn a_framework_start_up_method_of_a_module_level_class_is_start_up_code() {
        let calls = collect_from(
            "from pkg import service\n\
             class Maker:\n    def makeService(self, options):\n        return service.create(options)\n\
             \n    def other(self):\n        service.handle()\n",
            &[],
        );
        assert_eq!(names(&calls.at_startup), ["pkg.service.create"]);
        assert!(calls.named.may_contain("handle"));
    }

    #[test]
    fn main_and_what_only_it_calls_run_at_startup() {
        let calls = collect_from(
            "from pkg.cache import load, serve, handle\n\
             def prepare():\n    load()\n\
             def main():\n    prepare()\n    while True:\n        handle()\n\
             if __name__ == '__main__':\n    main()\n",
            &[],
        );
        // `handle` runs in the loop: named elsewhere, not at start-up.
        assert_eq!(
            names(&calls.at_startup),
            ["pkg.app.main", "pkg.app.prepare", "pkg.cache.load"]
        );
        assert!(calls.elsewhere.may_contain("handle"));
        assert!(!calls.elsewhere.may_contain("load"));
    }

    #[test]
    fn a_function_also_called_by_a_handler_is_no_startup_code() {
        let calls = collect_from(
            "from pkg.cache import load\n\
             def prepare():\n    load()\n\
             def on_request():\n    prepare()\n\
             prepare()\n",
            &[],
        );
        assert_eq!(names(&calls.at_startup), ["pkg.app.prepare"]);
        assert!(calls.elsewhere.may_contain("load"));
    }

    #[test]
    fn bare_decorators_at_module_level_are_called_at_startup() {
        let calls = collect_from(
            "from pkg.config import register, hooks\n\
             @register\ndef wifi():\n    pass\n\
             @hooks.add\nclass Extra:\n    pass\n\
             def later():\n    @register\n    def inner():\n        pass\n",
            &[],
        );
        // The decorator inside `later` runs whenever `later` does: named elsewhere.
        assert_eq!(
            names(&calls.at_startup),
            ["pkg.config.hooks.add", "pkg.config.register"]
        );
        assert!(calls.elsewhere.may_contain("register"));
        assert!(!calls.elsewhere.may_contain("add"));
    }

    #[test]
    fn names_built_for_getattr_are_dispatch_prefixes() {
        let calls = collect_from(
            "def dispatch(bot, command, event, key):\n\
             \x20   getattr(bot, f\"cmd_{command}\")()\n\
             \x20   getattr(bot, 'on_' + event)()\n\
             \x20   getattr(bot, key)\n\
             \x20   getattr(bot, f\"{key}_x\")\n\
             \x20   getattr(bot, ''.join(['alert_', key]))\n\
             \x20   getattr(bot, 'do_{}'.format(key))\n\
             \x20   getattr(bot, 'close_session', None)\n",
            &[],
        );
        assert_eq!(
            names(&calls.dispatch_prefixes),
            ["alert_", "cmd_", "do_", "on_"]
        );
        // A whole name looked up as text is a name used, not a prefix.
        assert!(calls.elsewhere.may_contain("close_session"));
        assert!(!calls.dispatches("close_session_all"));
    }

    #[test]
    fn calls_per_item_of_a_comprehension_repeat() {
        let calls = collect_from(
            "from pkg.cache import load, each
load()
xs = [each(x) for x in items()]
",
            &[],
        );
        assert_eq!(names(&calls.at_startup), ["pkg.cache.load"]);
        assert!(calls.elsewhere.may_contain("each"));
    }

    #[test]
    fn lifespan_hooks_and_growers() {
        let calls = collect_from(
            "from fastapi import FastAPI\nfrom pkg.labels import set_label\n\
             from pkg.cache import load\n\
             TABLE = {}\n\
             async def lifespan(app):\n    load()\n    yield\n\
             def fill(name):\n    TABLE[name] = 1\n    set_label(name)\n\
             app = FastAPI(lifespan=lifespan)\n",
            &["fill"],
        );
        assert!(names(&calls.at_startup).contains(&"pkg.cache.load"));
        assert!(names(&calls.at_startup).contains(&"pkg.app.lifespan"));
        let edges: Vec<(&str, &str)> = calls
            .from_growers
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(edges, [("pkg.app.fill", "pkg.labels.set_label")]);
        assert!(!calls.elsewhere.may_contain("set_label"));
    }

    #[test]
    fn other_functions_calls_are_edges_and_other_uses_are_references() {
        let calls = collect_from(
            "import json\nfrom pkg.services import start, forward, on_close\n\
             def main():\n    start()\n    json.dumps({})\n    for line in feed():\n        forward(line)\n\
             def feed():\n    return []\n\
             class Bot:\n    def run(self):\n        start()\n\
             def hook(bus):\n    bus.subscribe(on_close)\n",
            &[],
        );
        let edges: Vec<(&str, u32)> = calls.calls.iter().collect();
        // The standard library is left out; the call in the loop is no edge.
        let start = crate::lint::project::import_calls::hash("pkg.services.start");
        assert_eq!(edges, [("main", start)]);
        // A call in a loop, in a method, and a callback handed on may run at any time; a
        // method of another object (`bus.subscribe`) is no module-level function.
        for used in ["feed", "forward", "on_close", "start"] {
            assert!(calls.named.may_contain(used), "{used}");
        }
        assert!(!calls.named.may_contain("subscribe"));
        // Nor is a call of the standard library, which holds no function of the project.
        assert!(!calls.named.may_contain("dumps"));
    }
}
