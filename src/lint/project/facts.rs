//! Phase one: reduces a parsed module to the [`ModuleFacts`] that other modules need. Runs per
//! file, in parallel; nothing here looks at another module.

use super::{frameworks, stdlib};
use super::{ClassFacts, Hold, HoldSite, ModuleFacts, Name};
use crate::lint::blocks::{
    calls_in, counts_to_limit, first_param, for_each_stmt, is_main_guard, is_name, module_level,
    pages_until_empty, reads_to_the_end, self_attr, single_assignment, walk_blocks, SERVICE_LOOPS,
};
use crate::lint::semantic::{BindingKind, Resolved, ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_source_file::LineIndex;
use ruff_text_size::{Ranged, TextRange, TextSize};

/// The local name under which `exports` records a `from m import *`: the target is the module.
pub const STAR: &str = "*";

/// A public conventional service method (`run`, `serve_forever`) is what the code that makes the
/// object calls and blocks in; a private one (`_run`) or a method the class starts as a task
/// runs in the background of whoever holds the object.
pub(super) fn caller_runs_loop(method: &str) -> bool {
    !method.starts_with('_') && SERVICE_LOOPS.contains(&method)
}

pub struct FactsBuilder<'a, 'm> {
    semantic: &'m SemanticModel<'a>,
    index: &'m LineIndex,
    facts: ModuleFacts,
    /// Module functions called from the entry point.
    entry_functions: Vec<&'a str>,
    /// Classes that findings of this module name in their conditions: always summarized.
    keep_classes: &'m [String],
    /// Module globals bound to a call of a qualified callable (`app = Flask(__name__)`).
    module_assignments: Vec<(&'a str, String)>,
    /// The module's decorators that keep a method's result on its instance
    /// ([`stores_result_on_receiver`]).
    instance_caching: Vec<&'a str>,
}

/// What phase one knows of a module besides its AST.
pub struct ModuleInput<'i> {
    /// Qualified module name.
    pub module: &'i str,
    pub is_test: bool,
    pub in_package: bool,
    /// Its own cross-process lock helpers (qualified).
    pub lock_helpers: Vec<String>,
    /// Classes that findings of this module name in their conditions: always summarized.
    pub keep_classes: &'i [String],
    /// Containers of other modules it resets through imported names
    /// ([`crate::lint::containers::imported`]).
    pub resets: Vec<Name>,
}

/// Builds the facts of one module.
pub fn summarize<'a>(
    suite: &'a [Stmt],
    semantic: &SemanticModel<'a>,
    index: &LineIndex,
    input: ModuleInput<'_>,
) -> ModuleFacts {
    let ModuleInput {
        module,
        is_test,
        in_package,
        lock_helpers,
        keep_classes,
        resets,
    } = input;
    let mut b = FactsBuilder {
        semantic,
        index,
        facts: ModuleFacts {
            module: Name::new(module),
            is_test,
            in_package,
            lock_helpers: lock_helpers.iter().map(Name::from).collect(),
            ..ModuleFacts::default()
        },
        entry_functions: Vec::new(),
        keep_classes,
        module_assignments: Vec::new(),
        instance_caching: module_level(suite)
            .into_iter()
            .filter_map(|s| match s {
                Stmt::FunctionDef(f) if stores_result_on_receiver(f) => Some(f.name.as_str()),
                _ => None,
            })
            .collect(),
    };
    // With the module's own classes (`bot = Avrae(...)`), qualified as their facts name them.
    let module_assignments = module_level(suite)
        .into_iter()
        .filter_map(|s| match single_assignment(s)? {
            (Expr::Name(n), Expr::Call(c)) => Some((
                n.id.as_str(),
                semantic
                    .qualified_name(ScopeId::MODULE, &c.func)
                    .or_else(|| match c.func.as_ref() {
                        Expr::Name(f) => b.local_class(f.id.as_str()),
                        _ => None,
                    })?,
            )),
            _ => None,
        })
        .collect();
    b.module_assignments = module_assignments;
    b.collect_imports(suite);
    b.facts.is_migration = is_migration(suite, semantic);
    let is_main_module = module == "__main__" || module.ends_with(".__main__");
    // The lines of each `__main__` block, for the holds made there.
    let mut main_blocks: Vec<(u32, u32)> = Vec::new();
    for stmt in module_level(suite) {
        match stmt {
            Stmt::ClassDef(class) => b.class(class),
            Stmt::If(i) if is_main_guard(&i.test) => {
                if let (Some(first), Some(last)) = (i.body.first(), i.body.last()) {
                    main_blocks.push((b.line(first.start()), b.line(last.end())));
                }
                b.facts.has_main_guard = true;
                b.entry_block(&i.body, "__main__");
                b.note_loops(&i.body);
            }
            other => {
                if let Some((Expr::Name(n), value)) = single_assignment(other) {
                    let mut classes = b.constructed(ScopeId::MODULE, value);
                    if classes.is_empty() {
                        classes = b.factory_made(suite, value);
                    }
                    if classes.is_empty() {
                        classes = b.collected(ScopeId::MODULE, value);
                    }
                    for class in classes {
                        let site = if is_main_module {
                            HoldSite::Entry {
                                function: "__main__".into(),
                            }
                        } else {
                            HoldSite::ModuleGlobal {
                                name: Name::new(n.id.as_str()),
                            }
                        };
                        b.hold(class, value.start(), site);
                    }
                }
            }
        }
    }
    if is_main_module {
        b.entry_block(suite, "__main__");
    }
    // A management command's `handle` is what its process runs (`manage.py <command>`): a loop
    // there keeps the process going.
    if frameworks::in_management_commands(module) {
        for stmt in module_level(suite) {
            let Stmt::ClassDef(class) = stmt else {
                continue;
            };
            for s in &class.body {
                if let Stmt::FunctionDef(f) = s {
                    if f.name.as_str() == "handle" {
                        b.note_loops(&f.body);
                    }
                }
            }
        }
    }
    let top: Vec<&Stmt> = module_level(suite)
        .into_iter()
        .filter(|s| !matches!(s, Stmt::FunctionDef(_) | Stmt::ClassDef(_) | Stmt::If(_)))
        .collect();
    for s in top {
        if let Stmt::Expr(e) = s {
            let call = match e.value.as_ref() {
                Expr::Await(a) => a.value.as_ref(),
                other => other,
            };
            if let Expr::Call(call) = call {
                b.facts.calls_at_top_level |= !is_setup_call(semantic, call);
                if let Expr::Name(n) = call.func.as_ref() {
                    b.facts.runs_own_function_at_import |= suite.iter().any(
                        |d| matches!(d, Stmt::FunctionDef(f) if f.name.as_str() == n.id.as_str()),
                    );
                }
            }
        }
        // A loop or `with` block at module level does its work at import too.
        if matches!(s, Stmt::For(_) | Stmt::While(_) | Stmt::With(_)) {
            b.facts.calls_at_top_level = true;
        }
        b.note_loops(std::slice::from_ref(s));
    }
    if b.facts.runs_forever.is_none() {
        if let Some((shown, at)) = crate::lint::json_io::concurrency::served_route(suite) {
            let line = b.line(at.start());
            b.facts.runs_forever = Some((format!("`@{shown}` routes").into(), line));
        }
    }
    // Functions the entry point calls run until exit too; and every function may register
    // objects with a framework, keep a singleton through `global`, or hand instances to a
    // constructor (which every module may do: the walk is not skipped).
    // At module level, a name handed to a constructor is looked up among the module's own
    // assignments (`tk = Toolkit()` then `Agent(tools=[*tk.get_tools()])` in a script).
    let mut registrations = Registrations {
        b: &mut b,
        scope: ScopeId::MODULE,
        body: suite,
        class: None,
    };
    registrations.visit_body(suite);
    let entry: Vec<&str> = std::mem::take(&mut b.entry_functions);
    // The program keeps running when a function the entry point calls loops, or a coroutine
    // such a function hands to the event loop (`main()` runs `asyncio.run(monitor(...))`, and
    // `monitor` loops).
    for f in reached_functions(suite, &entry) {
        b.note_loops(&f.body);
    }
    // What the program's main coroutine creates is kept by the entry point too: the one an
    // entry function ends by handing the event loop (`asyncio.run(async_main())`, where
    // `async_main` makes the service and awaits its `run`), not one that runs before the
    // program serves (`asyncio.run(migrate(rows))`, then `serve_forever()`).
    let main_coroutines = main_coroutines(suite, &entry);
    for stmt in suite {
        let Stmt::FunctionDef(f) = stmt else {
            continue;
        };
        let direct = entry.contains(&f.name.as_str());
        if direct || main_coroutines.contains(&f.name.as_str()) {
            // In the coroutine, not in a `for`: one object per item, each dropped for the
            // next (`for test_file in files: agent = CoverAgent(...); agent.run()`).
            let mut found = Vec::new();
            crate::lint::blocks::walk_blocks(&f.body, &mut |s| {
                found.push(s);
                direct || !matches!(s, Stmt::For(_))
            });
            let site = HoldSite::Entry {
                function: Name::new(f.name.as_str()),
            };
            b.hold_made_by(f, &found, &site);
        } else if let Some((call, what)) = b.serves_until_stopped(&f.body) {
            // Any function that makes objects and then serves until the process is stopped
            // keeps them for that long, whoever calls it (an entry point in another module, a
            // console script): `gw = Gateway(config)`, then `gw.client.loop_forever()`.
            let mut before = Vec::new();
            statements_before(&f.body, call.start(), &mut before);
            let site = HoldSite::Serving {
                function: Name::new(f.name.as_str()),
                call: what.into(),
                line: b.line(call.start()),
            };
            b.hold_made_by(f, &before, &site);
        }
    }
    if !is_test {
        let made = super::temporaries::collect(&b, suite, &entry);
        b.facts.temporaries = made.temporaries;
        b.facts.returned = made.returned;
        b.facts.filed = made.filed;
        b.facts.resets = resets;
        b.facts.instance_caches = super::singletons::instance_caches(suite)
            .into_iter()
            .map(|f| Name::new(&format!("{module}.{f}")))
            .collect();
    }
    let mut facts = b.facts;
    for hold in &mut facts.holds {
        hold.in_main_block = main_blocks
            .iter()
            .any(|&(first, last)| (first..=last).contains(&hold.line));
    }
    // Summaries of every module stay in memory until linking: no spare capacity.
    facts.exports.shrink_to_fit();
    facts.imported.shrink_to_fit();
    facts.keywords_set.sort_unstable_by_key(|n| n.as_str());
    facts.keywords_set.dedup();
    facts.keywords_set.shrink_to_fit();
    facts.holds.shrink_to_fit();
    facts.temporaries.shrink_to_fit();
    facts.returned.shrink_to_fit();
    facts.classes.shrink_to_fit();
    for c in &mut facts.classes {
        c.bases.shrink_to_fit();
        c.bounds.shrink_to_fit();
    }
    facts
}

impl<'a> FactsBuilder<'a, '_> {
    /// Records the first sign that this code keeps running: a `while` loop, or a call that
    /// serves until stopped (`serve_forever`, `run_polling`, `uvicorn.run`, ...).
    fn note_loops(&mut self, body: &'a [Stmt]) {
        if self.facts.runs_forever.is_some() {
            return;
        }
        struct Loops<'s> {
            found: Option<(String, TextSize)>,
            serve: &'s [String],
            serves: &'s dyn Fn(&ast::ExprCall) -> bool,
        }
        impl<'a> Visitor<'a> for Loops<'_> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                if self.found.is_some() || matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_))
                {
                    return;
                }
                if let Stmt::While(w) = stmt {
                    if keeps_running(w) {
                        self.found = Some(("a `while` loop".into(), w.start()));
                        return;
                    }
                    // Loops inside one that ends with its input end with it.
                    if reads_to_the_end(&w.body) {
                        return;
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if self.found.is_some() {
                    return;
                }
                if let Expr::Call(call) = expr {
                    let name = match call.func.as_ref() {
                        Expr::Attribute(a) => Some(a.attr.as_str()),
                        Expr::Name(n) => Some(n.id.as_str()),
                        _ => None,
                    };
                    // `t.join()` waits on a thread, greenlet or process; `os.path.join(a, b)` and
                    // `", ".join(xs)` take positional arguments and wait on nothing.
                    let waits = |n: &str| n != "join" || call.arguments.args.is_empty();
                    if let Some(name) = name.filter(|n| {
                        (self.serve.iter().any(|s| s == n) && waits(n)) || (self.serves)(call)
                    }) {
                        self.found = Some((format!("`{name}(...)`"), call.start()));
                        return;
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let serves = |call: &ast::ExprCall| self.serves(call);
        let mut loops = Loops {
            found: None,
            serve: &frameworks::table().serve_calls,
            serves: &serves,
        };
        loops.visit_body(body);
        let found = loops.found;
        if let Some((what, at)) = found {
            self.facts.runs_forever = Some((what.into(), self.line(at)));
        }
    }

    /// The call by which a function serves until the process is stopped, and how to show it
    /// (`server.serve_forever()`, `await server.serve()`, `client.loop_forever()`,
    /// `uvicorn.run(app)`), in the function's own blocks (not inside a loop, where it would run
    /// once per item). A call that returns when its work is done (`t.join()`,
    /// `loop.run_until_complete(...)`, `start_server`) is not one, nor is a generic name that
    /// serves one request (`static.serve(request, path)`, with positional arguments); nor is a
    /// `while` loop, which in any function but an entry point is as often a request's own loop (a
    /// stream read until its end) as the program's.
    fn serves_until_stopped(&self, body: &'a [Stmt]) -> Option<(TextRange, String)> {
        const GENERIC: &[&str] = &["serve", "polling"];
        let table = frameworks::table();
        let mut found = None;
        crate::lint::blocks::walk_blocks(body, &mut |s| {
            if found.is_some() {
                return false;
            }
            let call = match s {
                Stmt::Expr(e) => match e.value.as_ref() {
                    Expr::Await(a) => a.value.as_call_expr(),
                    other => other.as_call_expr(),
                },
                _ => None,
            };
            if let Some(call) = call {
                let method = match call.func.as_ref() {
                    Expr::Attribute(a) => Some(a.attr.as_str()),
                    _ => None,
                };
                let serving_method = method.filter(|n| {
                    !table.serve_calls_that_return.iter().any(|s| s == n)
                        && table.serve_calls.iter().any(|s| s == n)
                        && (!GENERIC.contains(n) || call.arguments.args.is_empty())
                });
                if serving_method.is_some() || self.serves(call) {
                    let shown = crate::lint::blocks::dotted(&call.func)
                        .or(method.map(str::to_string))
                        .unwrap_or_default();
                    found = Some((call.range(), format!("`{shown}(...)`")));
                }
            }
            !crate::lint::blocks::repeats_stmt(s)
        });
        found
    }

    /// Holds at `site` each object that one of `statements` of function `f` makes and keeps in a
    /// local: an assignment, or `with Core() as core:`, which keeps the object for the block as
    /// an assignment does for the function.
    fn hold_made_by(
        &mut self,
        f: &'a ast::StmtFunctionDef,
        statements: &[&'a Stmt],
        site: &HoldSite,
    ) {
        let scope = self.semantic.scope_of(f).unwrap_or(ScopeId::MODULE);
        for s in statements {
            let values: Vec<&Expr> = match s {
                Stmt::With(w) => w
                    .items
                    .iter()
                    .filter(|i| i.optional_vars.is_some())
                    .map(|i| &i.context_expr)
                    .collect(),
                _ => single_assignment(s).map(|(_, v)| v).into_iter().collect(),
            };
            for value in values {
                for class in self.constructed(scope, value) {
                    self.hold(class, value.start(), site.clone());
                }
            }
        }
    }

    /// `uvicorn.run(app)`, or `app.run()` on a module-global web application
    /// (`app = Flask(__name__)`): a call that serves until stopped.
    fn serves(&self, call: &ast::ExprCall) -> bool {
        let table = frameworks::table();
        if let Some(q) = self.semantic.qualified_name(ScopeId::MODULE, &call.func) {
            if table.serve_functions.contains(&q) {
                return true;
            }
        }
        let Expr::Attribute(a) = call.func.as_ref() else {
            return false;
        };
        // `demo.launch()`, `app.queue().launch(...)` in a Gradio app: the server runs in the
        // call until stopped, unless told to return at once (`prevent_thread_lock=True`).
        if a.attr.as_str() == "launch"
            && self.semantic.imports_from_any(&["gradio"])
            && !call.arguments.keywords.iter().any(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|n| n.as_str() == "prevent_thread_lock")
                    && !matches!(
                        k.value,
                        Expr::BooleanLiteral(ast::ExprBooleanLiteral { value: false, .. })
                    )
            })
        {
            return true;
        }
        // `threading.Event().wait()`, `await asyncio.Event().wait()`: an event nothing else can
        // set, waited on with no timeout, parks the main thread for good while the threads or
        // tasks it started do the work.
        if let Expr::Call(made) = a.value.as_ref() {
            return crate::lint::blocks::waits_forever(call)
                && self
                    .semantic
                    .qualified_name(ScopeId::MODULE, &made.func)
                    .is_some_and(|q| matches!(q.as_str(), "threading.Event" | "asyncio.Event"));
        }
        let Expr::Name(app) = a.value.as_ref() else {
            return false;
        };
        // A bot or service of a long-running framework class (`bot = Avrae(...)`, whose class
        // subclasses `commands.AutoShardedBot`, then `bot.run(TOKEN)`) runs in that call until
        // it is stopped, as a web application does.
        let long_running = |class: &str| {
            table.is_long_lived_base(class)
                || self.facts.classes.iter().any(|c| {
                    c.name.as_str() == class
                        && c.bases.iter().any(|b| table.is_long_lived_base(b.as_str()))
                })
        };
        a.attr.as_str() == "run"
            && self.module_assignments.iter().any(|(name, class)| {
                *name == app.id.as_str()
                    && (table.serving_apps.iter().any(|c| c == class) || long_running(class))
            })
    }

    pub(super) fn semantic(&self) -> &SemanticModel<'a> {
        self.semantic
    }

    pub(super) fn line(&self, offset: TextSize) -> u32 {
        self.index.line_index(offset).get() as u32
    }

    fn hold(&mut self, class: String, at: TextSize, site: HoldSite) {
        self.hold_of(class, at, site, false);
    }

    /// As [`Self::hold`]; with `subclasses`, what is kept may be of any subclass of `class`.
    fn hold_of(&mut self, class: String, at: TextSize, site: HoldSite, subclasses: bool) {
        // A module of the project may shadow a standard-library name: its own classes stay.
        let own_top = self.facts.module.split('.').next().unwrap_or_default();
        if stdlib::is_stdlib(&class) && class.split('.').next() != Some(own_top) {
            return;
        }
        let line = self.line(at);
        self.facts.holds.push(Hold {
            class: class.into(),
            line,
            site,
            subclasses,
            in_main_block: false,
        });
    }

    /// Plugin loading by module name: a class instantiated from a module that `method` imports
    /// by a computed name under a fixed package (`m = import_module(f"app.plugins.{name}")`
    /// then `m.Plugin(...)`, or `import_module("app.output." + engine).Output()`) is an instance
    /// of whichever class of that name the package's modules define, made by this loader.
    fn loaded_instances(&mut self, owner: &str, scope: ScopeId, method: &'a ast::StmtFunctionDef) {
        let calls = crate::lint::blocks::calls_in(&method.body);
        // Each import by name, with its package: the assignments below are among these calls
        // (both walks skip nested definitions), so each call is resolved once.
        let imports: Vec<(&ast::ExprCall, String)> = calls
            .iter()
            .filter_map(|c| Some((*c, self.imports_by_name(scope, c)?)))
            .collect();
        if imports.is_empty() {
            return;
        }
        let package_of = |call: &ast::ExprCall| {
            imports
                .iter()
                .find(|(c, _)| std::ptr::eq(*c, call))
                .map(|(_, p)| p.clone())
        };
        // Locals bound to such a module: (name, package).
        let mut modules: Vec<(&str, String)> = Vec::new();
        for_each_stmt(&method.body, &mut |s| {
            if let Some((Expr::Name(target), Expr::Call(call))) = single_assignment(s) {
                if let Some(package) = package_of(call) {
                    modules.push((target.id.as_str(), package));
                }
            }
        });
        for call in calls {
            let Expr::Attribute(a) = call.func.as_ref() else {
                continue;
            };
            let package = match a.value.as_ref() {
                Expr::Name(n) => modules
                    .iter()
                    .find(|(m, _)| *m == n.id.as_str())
                    .map(|(_, p)| p.clone()),
                Expr::Call(inner) => package_of(inner),
                _ => None,
            };
            let class = a.attr.as_str();
            // A class by its convention: capitalised (`Plugin`, `PluginModel`), not a factory
            // function (`setup`).
            if let (Some(package), true) = (package, class.starts_with(char::is_uppercase)) {
                self.hold(
                    format!("{package}.{class}"),
                    call.start(),
                    HoldSite::Loaded {
                        owner: Name::new(owner),
                        function: Name::new(method.name.as_str()),
                    },
                );
            }
        }
    }

    /// The package below which `call` imports a module by a computed name:
    /// `importlib.import_module(f"app.plugins.{name}")` or `import_module("app.plugins." + name)`.
    fn imports_by_name(&self, scope: ScopeId, call: &ast::ExprCall) -> Option<String> {
        // Resolving every call of every method is not cheap: the last name first.
        let last = match call.func.as_ref() {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return None,
        };
        if last != "import_module" {
            return None;
        }
        let callee = self.semantic.qualified_name(scope, &call.func)?;
        if callee != "importlib.import_module" || call.arguments.args.len() != 1 {
            return None;
        }
        let prefix = crate::lint::blocks::literal_start(&call.arguments.args[0])?;
        // Only a fixed package, named up to the dot before the computed part.
        let package = prefix.strip_suffix('.')?;
        (!package.is_empty() && !package.starts_with('.')).then(|| package.to_string())
    }

    /// Plugin discovery: under `if issubclass(cls, Base):` (or `... and issubclass(cls, Base)`),
    /// an instance `cls(...)` stored on `self` (`self.plugins.append(cls(cfg))`, through a local
    /// or not) keeps an instance of whichever subclass of `Base` was found.
    fn discovered_instances(
        &mut self,
        owner: &str,
        scope: ScopeId,
        guard: &ast::StmtIf,
        self_name: &str,
    ) {
        let Some((var, base)) = issubclass_guard(&guard.test)
            .and_then(|(var, base)| Some((var, self.class_ref(scope, base)?)))
        else {
            return;
        };
        let made = |e: &Expr, locals: &[&str]| match e {
            Expr::Call(c) => crate::lint::blocks::is_name(&c.func, var),
            Expr::Name(n) => locals.contains(&n.id.as_str()),
            _ => false,
        };
        let mut locals: Vec<&str> = Vec::new();
        let mut kept: Vec<(&str, TextSize)> = Vec::new();
        for_each_stmt(&guard.body, &mut |s| match s {
            Stmt::Assign(a) if a.targets.len() == 1 && made(&a.value, &locals) => {
                match &a.targets[0] {
                    Expr::Name(n) => locals.push(n.id.as_str()),
                    t => {
                        let t = match t {
                            Expr::Subscript(sub) => sub.value.as_ref(),
                            other => other,
                        };
                        if let Some(attr) = self_attr(t, self_name) {
                            kept.push((attr, a.start()));
                        }
                    }
                }
            }
            Stmt::Expr(e) => {
                if let Expr::Call(c) = e.value.as_ref() {
                    if let Expr::Attribute(m) = c.func.as_ref() {
                        let stores =
                            matches!(m.attr.as_str(), "append" | "add" | "appendleft" | "insert");
                        if stores && c.arguments.args.iter().any(|a| made(a, &locals)) {
                            if let Some(attr) = self_attr(&m.value, self_name) {
                                kept.push((attr, c.start()));
                            }
                        }
                    }
                }
            }
            _ => {}
        });
        for (attr, at) in kept {
            let site = HoldSite::Attribute {
                owner: Name::new(owner),
                attr: Name::new(attr),
            };
            self.hold_of(base.clone(), at, site, true);
        }
    }

    fn collect_imports(&mut self, suite: &'a [Stmt]) {
        // The spans of `if TYPE_CHECKING:` bodies, whose imports never run (an `else` does): the
        // walk meets each such `if` before the statements inside it.
        let mut typing_blocks: Vec<TextRange> = Vec::new();
        let mut run_time_locals: Vec<&str> = Vec::new();
        let mut typing_locals: Vec<&str> = Vec::new();
        for stmt in module_level(suite) {
            let typing_only = typing_blocks.iter().any(|r| r.contains_range(stmt.range()));
            match stmt {
                Stmt::If(i) if self.is_type_checking(&i.test) => {
                    if let (Some(first), Some(last)) = (i.body.first(), i.body.last()) {
                        typing_blocks.push(TextRange::new(first.start(), last.end()));
                    }
                }
                Stmt::Import(import) => {
                    for alias in &import.names {
                        if !stdlib::is_stdlib(&alias.name) && !typing_only {
                            self.facts.imported.push(Name::new(alias.name.as_str()));
                        }
                    }
                }
                Stmt::ImportFrom(import) => {
                    for alias in &import.names {
                        let local = alias.asname.as_ref().unwrap_or(&alias.name);
                        if typing_only {
                            typing_locals.push(local.as_str());
                        } else {
                            run_time_locals.push(local.as_str());
                        }
                        if alias.name.as_str() == "*" {
                            continue;
                        }
                        let Resolved::Binding(_, binding) =
                            self.semantic
                                .resolve(ScopeId::MODULE, local.as_str(), alias.end())
                        else {
                            continue;
                        };
                        if let BindingKind::Import(q) = &binding.kind {
                            if !stdlib::is_stdlib(q) {
                                self.facts.exports.push((Name::new(local), Name::new(q)));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        typing_locals.retain(|l| !run_time_locals.contains(l));
        self.facts.typing_only = typing_locals.into_iter().map(Name::new).collect();
        self.facts.typing_only.sort_unstable();
        self.facts.typing_only.dedup();
        // Re-exports by `from .base import *`, followed when another module names one of them.
        for star in self.semantic.star_imports() {
            if !star.starts_with('.') && !stdlib::is_stdlib(star) {
                self.facts.exports.push((Name::new(STAR), Name::new(star)));
            }
        }
    }

    /// `TYPE_CHECKING` (from `typing` or `typing_extensions`, or a bare name of that spelling),
    /// true only while a type checker reads the module.
    fn is_type_checking(&self, test: &Expr) -> bool {
        is_name(test, "TYPE_CHECKING")
            || self
                .semantic
                .qualified_name(ScopeId::MODULE, test)
                .is_some_and(|q| {
                    q == "typing.TYPE_CHECKING" || q == "typing_extensions.TYPE_CHECKING"
                })
    }

    /// The qualified name of the class `expr` names, as this module sees it: `module.Name` for a
    /// class of this module, the import path for an imported one. Lower-case final names are
    /// functions by PEP 8 and are left out to keep summaries small.
    fn class_ref(&self, scope: ScopeId, expr: &Expr) -> Option<String> {
        let expr = match expr {
            // `Optional[X]`, `list[X]` are not instances of X, except Optional.
            Expr::Subscript(s) => {
                let q = self.semantic.qualified_name(scope, &s.value)?;
                if q == "typing.Optional" {
                    return self.class_ref(scope, &s.slice);
                }
                return None;
            }
            Expr::BinOp(b) if b.op == ast::Operator::BitOr => {
                return if b.right.is_none_literal_expr() {
                    self.class_ref(scope, &b.left)
                } else if b.left.is_none_literal_expr() {
                    self.class_ref(scope, &b.right)
                } else {
                    None
                };
            }
            Expr::StringLiteral(s) => {
                let text = s.value.to_str();
                if !text.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return None;
                }
                return self.local_class(text).or_else(|| {
                    match self
                        .semantic
                        .resolve(ScopeId::MODULE, text, TextSize::default())
                    {
                        Resolved::Binding(_, b) => match &b.kind {
                            BindingKind::Import(q) => Some(q.clone()),
                            _ => None,
                        },
                        Resolved::Builtin => None,
                    }
                });
            }
            other => other,
        };
        let last = match expr {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return None,
        };
        if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        if let Expr::Name(n) = expr {
            if let Resolved::Binding(s, b) = self.semantic.resolve(scope, n.id.as_str(), n.start())
            {
                if b.kind == BindingKind::ClassDef && s == ScopeId::MODULE {
                    return Some(format!("{}.{}", self.facts.module, n.id));
                }
            }
        }
        self.semantic
            .qualified_name(scope, expr)
            .filter(|q| !q.starts_with("builtins."))
    }

    /// The class of the elements of an annotated container: `list[Platform]`,
    /// `dict[str, Platform]`, `typing.Deque[Platform]`.
    fn element_class(&self, scope: ScopeId, annotation: &Expr) -> Option<String> {
        let Expr::Subscript(s) = annotation else {
            return None;
        };
        let container = self.semantic.qualified_name(scope, &s.value)?;
        let last = container.rsplit('.').next().unwrap_or(&container);
        let element = match (last, s.slice.as_ref()) {
            ("list" | "List" | "set" | "Set" | "deque" | "Deque" | "Sequence", e) => e,
            ("dict" | "Dict" | "OrderedDict" | "Mapping" | "MutableMapping", Expr::Tuple(t))
                if t.elts.len() == 2 =>
            {
                &t.elts[1]
            }
            _ => return None,
        };
        self.class_ref(scope, element)
    }

    fn local_class(&self, name: &str) -> Option<String> {
        self.semantic
            .is_module_class(ScopeId::MODULE, name, TextSize::new(u32::MAX))
            .then(|| format!("{}.{name}", self.facts.module))
    }

    /// Classes whose instances `value` evaluates to: `C(...)`, `x or C(...)`,
    /// `C(...) if a else D(...)`.
    pub(super) fn constructed(&self, scope: ScopeId, value: &Expr) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![value];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Call(call) => {
                    if let Some(c) = self.class_ref(scope, &call.func) {
                        out.push(c);
                    }
                }
                Expr::BoolOp(b) => stack.extend(b.values.iter()),
                Expr::If(i) => {
                    stack.push(&i.body);
                    stack.push(&i.orelse);
                }
                Expr::Await(a) => stack.push(&a.value),
                _ => {}
            }
        }
        out
    }

    /// Classes made as the members of a collection literal: `TOOLS = {"planner": PlannerTool(),
    /// ...}`, `HANDLERS = [Echo(), Ping()]`. A module global holding it holds each of them.
    fn collected(&self, scope: ScopeId, value: &Expr) -> Vec<String> {
        let members: Vec<&Expr> = match value {
            Expr::Dict(d) => d.items.iter().map(|item| &item.value).collect(),
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            Expr::Set(s) => s.elts.iter().collect(),
            _ => return Vec::new(),
        };
        let mut out: Vec<String> = members
            .into_iter()
            .flat_map(|m| self.constructed(scope, m))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Classes a call of one of the module's own functions hands back, when that function
    /// returns an instance it makes: `interaction = initialize_system()`, where
    /// `initialize_system` ends with `return Interaction(agents)` or returns a local bound to
    /// one.
    fn factory_made(&self, suite: &'a [Stmt], value: &Expr) -> Vec<String> {
        let Expr::Call(call) = value else {
            return Vec::new();
        };
        let Expr::Name(callee) = call.func.as_ref() else {
            return Vec::new();
        };
        let factory = suite.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == callee.id.as_str() => Some(f),
            _ => None,
        });
        let Some(factory) = factory else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .returned_instances(factory)
            .into_iter()
            .map(|(class, _)| class)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The classes `f` makes and returns, with the line of each construction: `return C(...)`,
    /// or a local bound once to `C(...)` and returned. A local that is also stored where it
    /// outlives the call (`self._client = c`, `cache[key] = c`) is a memo, not a new instance per
    /// call, and is left out.
    pub(super) fn returned_instances(
        &self,
        f: &'a ast::StmtFunctionDef,
    ) -> Vec<(String, TextSize)> {
        let scope = self.semantic.scope_of(f).unwrap_or(ScopeId::MODULE);
        let mut bound: Vec<(&str, &Expr)> = Vec::new();
        let mut stored: Vec<&str> = Vec::new();
        let mut returned: Vec<&Expr> = Vec::new();
        for_each_stmt(&f.body, &mut |s| {
            if let Stmt::Return(r) = s {
                returned.extend(r.value.as_deref());
            } else if let Some((target, v)) = single_assignment(s) {
                match (target, v) {
                    (Expr::Name(n), v) => bound.push((n.id.as_str(), v)),
                    (_, Expr::Name(v)) => stored.push(v.id.as_str()),
                    _ => {}
                }
            }
        });
        let mut out = Vec::new();
        for r in returned {
            match r {
                Expr::Name(n) if !stored.contains(&n.id.as_str()) => {
                    let values: Vec<&Expr> = bound
                        .iter()
                        .filter(|(name, _)| *name == n.id.as_str())
                        .map(|(_, v)| *v)
                        .collect();
                    // Bound once: the name is the instance made there.
                    if let [v] = values.as_slice() {
                        out.extend(
                            self.constructed(scope, v)
                                .into_iter()
                                .map(|c| (c, v.start())),
                        );
                    }
                }
                Expr::Name(_) => {}
                other => out.extend(
                    self.constructed(scope, other)
                        .into_iter()
                        .map(|c| (c, other.start())),
                ),
            }
        }
        out
    }

    fn class(&mut self, class: &'a ast::StmtClassDef) {
        let scope = self.semantic.scope_of(class).unwrap_or(ScopeId::MODULE);
        let qualified = format!("{}.{}", self.facts.module, class.name);
        let holds_before = self.facts.holds.len();
        let bases = class
            .arguments
            .iter()
            .flat_map(|a| a.args.iter())
            .filter_map(|b| {
                let b = match b {
                    Expr::Subscript(s) => s.value.as_ref(),
                    other => other,
                };
                if let Expr::Name(n) = b {
                    if let Some(local) = self.local_class(n.id.as_str()) {
                        return Some(local);
                    }
                }
                self.semantic.qualified_name(ScopeId::MODULE, b)
            })
            .map(Name::from)
            .collect();
        let mut facts = ClassFacts {
            name: Name::new(&qualified),
            line: self.line(class.start()),
            bases,
            service_loop: None,
            serves_routes: None,
            bounds: Vec::new(),
            is_model: crate::lint::containers::is_model_class(class, self.semantic),
            decorators: class
                .decorator_list
                .iter()
                .filter_map(|d| {
                    // Imported, or else a function of this module.
                    let qualified = self.semantic.qualified_name(scope, &d.expression);
                    match &d.expression {
                        Expr::Name(n) if qualified.is_none() => {
                            Some(Name::new(&format!("{}.{}", self.facts.module, n.id)))
                        }
                        _ => qualified.map(Name::from),
                    }
                })
                .collect(),
        };
        let started = started_methods(&class.body);
        for item in &class.body {
            match item {
                Stmt::FunctionDef(method) => {
                    self.method(&qualified, &mut facts, method, &started);
                }
                Stmt::AnnAssign(a) => {
                    let Expr::Name(attr) = a.target.as_ref() else {
                        continue;
                    };
                    let mut classes = Vec::new();
                    if let Some(value) = &a.value {
                        classes.extend(self.field_default(scope, value));
                    }
                    if classes.is_empty() {
                        classes.extend(self.class_ref(scope, &a.annotation));
                    }
                    for c in classes {
                        self.hold(
                            c,
                            a.start(),
                            HoldSite::Attribute {
                                owner: Name::new(&qualified),
                                attr: Name::new(attr.id.as_str()),
                            },
                        );
                    }
                }
                Stmt::Assign(a) => {
                    if let [Expr::Name(attr)] = a.targets.as_slice() {
                        for c in self.field_default(scope, &a.value) {
                            self.hold(
                                c,
                                a.start(),
                                HoldSite::Attribute {
                                    owner: Name::new(&qualified),
                                    attr: Name::new(attr.id.as_str()),
                                },
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        facts.serves_routes = routes_using_the_instance(&class.body)
            .map(|(shown, at)| (Name::new(&shown), self.line(at)));
        let replaced = replaced_attributes(&class.body);
        if !replaced.is_empty() {
            let mut i = holds_before;
            while i < self.facts.holds.len() {
                let drop = matches!(&self.facts.holds[i].site, HoldSite::Attribute { owner, attr }
                    if *owner == qualified && replaced.contains(&attr.as_str()));
                if drop {
                    self.facts.holds.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        // Instances used as context managers live for their `with` block: the loop they run in
        // the background is stopped when the block ends (`__exit__` closes it), not at exit.
        // A loop the caller runs in the foreground (`with Bot() as bot: bot.run()`) holds the
        // block open for as long as it runs.
        let scoped_by_with = class.body.iter().any(|s| {
            matches!(s, Stmt::FunctionDef(f)
                if matches!(f.name.as_str(), "__enter__" | "__aenter__" | "__exit__" | "__aexit__"))
        });
        let in_background = |method: &str| {
            started.contains(&method)
                || facts.bases.iter().any(|b| {
                    matches!(
                        b.as_str(),
                        "threading.Thread"
                            | "multiprocessing.Process"
                            | "multiprocessing.context.Process"
                    )
                })
        };
        if scoped_by_with
            && facts
                .service_loop
                .as_ref()
                .is_some_and(|(method, _)| in_background(method.as_str()))
        {
            facts.service_loop = None;
        }
        // A class with no base, no loop, no bound and nothing it holds tells other modules nothing
        // (its own containers carry their class name in their findings' conditions, and
        // `ContainerClasses` keeps those classes): leaving it out keeps summaries small.
        let holds_something = self.facts.holds[holds_before..]
            .iter()
            .any(|h| matches!(&h.site, HoldSite::Attribute { owner, .. } | HoldSite::Loaded { owner, .. } if *owner == qualified));
        // A constructor that takes arguments may keep what it is handed (`HoldSite::Argument`).
        let takes_arguments = class.body.iter().any(|s| {
            matches!(s, Stmt::FunctionDef(f) if f.name.as_str() == "__init__"
                && f.parameters.iter_non_variadic_params().nth(1).is_some())
        });
        let telling = !facts.bases.is_empty()
            || takes_arguments
            || facts.service_loop.is_some()
            || !facts.bounds.is_empty()
            || holds_something
            || self.keep_classes.iter().any(|k| *k == class.name.as_str());
        if telling {
            self.facts.classes.push(facts);
        }
    }

    /// The classes a field default makes: `C()`, `field(default_factory=C)`,
    /// `attrs.field(factory=C)`, `Field(default_factory=C)`, `attrs.Factory(C)`.
    fn field_default(&self, scope: ScopeId, value: &Expr) -> Vec<String> {
        let mut out = self.constructed(scope, value);
        if let Expr::Call(call) = value {
            for kw in ["default_factory", "factory"] {
                if let Some(f) = call.arguments.find_keyword(kw) {
                    out.extend(self.class_ref(scope, &f.value));
                }
            }
            let callee = self
                .semantic
                .qualified_name(scope, &call.func)
                .unwrap_or_default();
            if callee.ends_with("Factory") {
                if let Some(f) = call.arguments.args.first() {
                    out.extend(self.class_ref(scope, f));
                }
            }
            out.retain(|c| !c.ends_with(".Factory") && !c.ends_with(".Field"));
        }
        out
    }

    /// A method whose decorator keeps its result on the instance (`functools.cached_property`,
    /// or a decorator of this module whose wrapper stores the result on its receiver, as
    /// synapse's `@cache_in_self def get_federation_sender(self): return FederationSender(self)`):
    /// what it returns lives as long as the instance, as `self.x = X()` would.
    fn cached_on_instance(
        &mut self,
        owner: &str,
        scope: ScopeId,
        method: &'a ast::StmtFunctionDef,
    ) {
        let caches = method.decorator_list.iter().any(|d| {
            let e = &d.expression;
            matches!(e, Expr::Name(n) if self.instance_caching.contains(&n.id.as_str()))
                || self
                    .semantic
                    .qualified_name(scope, e)
                    .is_some_and(|q| INSTANCE_CACHING_DECORATORS.contains(&q.as_str()))
        });
        if !caches {
            return;
        }
        let mut made = Vec::new();
        for_each_stmt(&method.body, &mut |s| {
            if let Stmt::Return(ast::StmtReturn { value: Some(v), .. }) = s {
                made.push((v.start(), self.constructed(scope, v)));
            }
        });
        for (at, classes) in made {
            for c in classes {
                self.hold(
                    c,
                    at,
                    HoldSite::Attribute {
                        owner: Name::new(owner),
                        attr: Name::new(method.name.as_str()),
                    },
                );
            }
        }
    }

    fn method(
        &mut self,
        owner: &str,
        facts: &mut ClassFacts,
        method: &'a ast::StmtFunctionDef,
        started: &[&str],
    ) {
        let Some(self_name) = first_param(method) else {
            return;
        };
        let scope = self.semantic.scope_of(method).unwrap_or(ScopeId::MODULE);
        self.loaded_instances(owner, scope, method);
        self.cached_on_instance(owner, scope, method);
        // A method that parks for good once it has set up (`await asyncio.Event().wait()`)
        // builds the object's state once, as an initializer does.
        let init_like = matches!(
            method.name.as_str(),
            "__init__" | "__post_init__" | "__new__" | "setup" | "__attrs_post_init__"
        ) || crate::lint::blocks::parks_forever(&method.body);
        // Removal at the end of the object's life bounds nothing while it works.
        let bounds_nothing = crate::lint::blocks::runs_at_life_edge(method.name.as_str());
        // Parameters annotated with a class: storing one on `self` holds that instance.
        let annotated: Vec<(&str, String)> = method
            .parameters
            .iter_non_variadic_params()
            .filter_map(|p| {
                let ann = p.parameter.annotation.as_deref()?;
                Some((p.parameter.name.as_str(), self.class_ref(scope, ann)?))
            })
            .collect();
        // A conventional service method name (`run`, `serve_forever`) needs no starter, unless
        // the method must be handed its input and never waits for more: markdown2's
        // `LinkProcessor.run(self, text)` scans the text it is given, one call per conversion,
        // while a service handed a channel (`_run(self, events)`) blocks on it between events.
        let takes_input =
            !waits_for_input(&method.body) && crate::lint::blocks::requires_arguments(method, true);
        let conventional = SERVICE_LOOPS.contains(&method.name.as_str()) && !takes_input;
        // A method that hands the process to a serving loop (`application.run_polling()`,
        // `server.serve_forever()`) keeps its object running as long as a loop of its own would.
        if facts.service_loop.is_none() {
            let serving = frameworks::table();
            let serve = crate::lint::blocks::calls_in(&method.body)
                .into_iter()
                .find(|call| match call.func.as_ref() {
                    Expr::Attribute(a) => {
                        let name = a.attr.as_str();
                        // `self.wait_closed()`: the object waits for its own end (a
                        // connection's handler until that connection closes), which says
                        // nothing of how long it lives.
                        let own_end = name == "wait_closed" && is_name(&a.value, self_name);
                        // A class's own `self.polling()` is a method of its own, not
                        // pyTelegramBotAPI's `bot.polling()`.
                        let own_poll = name == "polling" && is_name(&a.value, self_name);
                        !matches!(name, "join" | "run_until_complete")
                            && !own_end
                            && !own_poll
                            && serving.serve_calls.iter().any(|s| s == name)
                    }
                    _ => self.serves(call),
                });
            if let Some(call) = serve {
                facts.service_loop =
                    Some((Name::new(method.name.as_str()), self.line(call.start())));
            } else if let Some(park) = crate::lint::blocks::parking_statement(&method.body) {
                // It parks for good once it has set up (`await asyncio.Event().wait()`).
                facts.service_loop =
                    Some((Name::new(method.name.as_str()), self.line(park.start())));
            }
        }
        let mut stmts = Vec::new();
        for_each_stmt(&method.body, &mut |s| stmts.push(s));
        for stmt in stmts {
            if let Stmt::If(guard) = stmt {
                self.discovered_instances(owner, scope, guard, self_name);
            }
            match stmt {
                Stmt::While(w) if conventional || started.contains(&method.name.as_str()) => {
                    // A started method's `while True:` that returns from inside is one task run
                    // in the background (a step with a timeout), not a service; a flag on `self`
                    // or a conventional service method name says so by itself.
                    // It must also be the method's own loop, not a wait nested in other work.
                    let outermost = conventional || is_outermost(&method.body, w);
                    let forever = outermost
                        && !counts_to_limit(&w.body)
                        && !crate::lint::blocks::reads_until_closed(&w.body)
                        && !crate::lint::blocks::reads_to_the_end(&w.body)
                        && !crate::lint::blocks::prompts_each_round(&w.body)
                        && match w.test.as_ref() {
                            Expr::BooleanLiteral(b) => {
                                b.value && (conventional || !returns_from(&w.body))
                            }
                            other => crate::lint::blocks::tests_flag_on(other, self_name),
                        };
                    if forever && facts.service_loop.is_none() {
                        facts.service_loop =
                            Some((Name::new(method.name.as_str()), self.line(w.start())));
                    }
                }
                Stmt::Delete(d) => {
                    for t in &d.targets {
                        if let Expr::Subscript(s) = t {
                            if let Some(attr) = self_attr(&s.value, self_name) {
                                push_bound_unless(
                                    bounds_nothing,
                                    &mut facts.bounds,
                                    (Name::new(attr), self.line(t.start()), "`del`".into()),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
            // A removal used for its value counts too: `payload = self.pending.pop(rid, None)`,
            // `return self.waiters.pop(key)`, `if self.seen.pop(k, None):`.
            let mut calls = Vec::new();
            for e in own_expressions(stmt) {
                crate::lint::blocks::collect_calls(e, &mut calls);
            }
            for call in calls {
                if let Expr::Attribute(m) = call.func.as_ref() {
                    if crate::lint::containers::REMOVE_METHODS.contains(&m.attr.as_str()) {
                        if let Some(attr) = self_attr(&m.value, self_name) {
                            push_bound_unless(
                                bounds_nothing,
                                &mut facts.bounds,
                                (
                                    Name::new(attr),
                                    self.line(call.start()),
                                    format!("`.{}()`", m.attr).into(),
                                ),
                            );
                        }
                    }
                }
            }
            let (target, value, annotation) = match stmt {
                Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], Some(&*a.value), None),
                Stmt::AnnAssign(a) => (&*a.target, a.value.as_deref(), Some(&*a.annotation)),
                _ => continue,
            };
            let Some(attr) = self_attr(target, self_name) else {
                continue;
            };
            // `self.seen = sorted(set(self.seen))` keeps every distinct item: no bound.
            let reshaped = value.is_some_and(|v| crate::lint::containers::same_items(v, target));
            if !init_like && !reshaped {
                push_bound_unless(
                    bounds_nothing,
                    &mut facts.bounds,
                    (
                        Name::new(attr),
                        self.line(target.start()),
                        format!("reassigned in `{}`", method.name).into(),
                    ),
                );
            }
            let mut classes = value
                .map(|v| self.constructed(scope, v))
                .unwrap_or_default();
            if let Some(Expr::Name(n)) = value {
                classes.extend(
                    annotated
                        .iter()
                        .filter(|(p, _)| *p == n.id.as_str())
                        .map(|(_, c)| c.clone()),
                );
            }
            if let Some(Expr::BoolOp(b)) = value {
                for v in &b.values {
                    if let Expr::Name(n) = v {
                        classes.extend(
                            annotated
                                .iter()
                                .filter(|(p, _)| *p == n.id.as_str())
                                .map(|(_, c)| c.clone()),
                        );
                    }
                }
            }
            if let Some(ann) = annotation {
                classes.extend(self.class_ref(scope, ann));
                // `self.platforms: list[Platform] = []`: what it is filled with lives as long as
                // its owner, of the annotated class or any subclass.
                if let Some(element) = self.element_class(scope, ann) {
                    let site = HoldSite::Attribute {
                        owner: Name::new(owner),
                        attr: Name::new(attr),
                    };
                    self.hold_of(element, target.start(), site, true);
                }
            }
            for c in classes {
                self.hold(
                    c,
                    target.start(),
                    HoldSite::Attribute {
                        owner: Name::new(owner),
                        attr: Name::new(attr),
                    },
                );
            }
        }
    }

    /// Instances created by the entry point, and the module functions it calls.
    fn entry_block(&mut self, body: &'a [Stmt], function: &str) {
        struct Calls<'v, 'a, 'm> {
            b: &'v mut FactsBuilder<'a, 'm>,
            function: &'v str,
        }
        impl<'a> Visitor<'a> for Calls<'_, 'a, '_> {
            fn visit_stmt(&mut self, stmt: &'a Stmt) {
                if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                    return;
                }
                visitor::walk_stmt(self, stmt);
            }
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    if let Expr::Name(n) = call.func.as_ref() {
                        self.b.entry_functions.push(n.id.as_str());
                    }
                    if let Some(c) = self.b.class_ref(ScopeId::MODULE, &call.func) {
                        self.b.hold(
                            c,
                            call.start(),
                            HoldSite::Entry {
                                function: Name::new(self.function),
                            },
                        );
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut calls = Calls { b: self, function };
        calls.visit_body(body);
    }
}

/// Module-level calls that configure the process rather than do its work: a plugin module
/// that sets up logging or loads `.env` at import is still a library, not a script.
const SETUP_CALLS: &[&str] = &[
    "logging.",
    "warnings.",
    "sys.path.",
    "sys.setrecursionlimit",
    "os.environ.",
    "os.makedirs",
    "dotenv.load_dotenv",
    "nest_asyncio.apply",
    "faulthandler.",
    "multiprocessing.set_start_method",
    "asyncio.set_event_loop_policy",
    "random.seed",
    "numpy.random.seed",
    "torch.manual_seed",
    "mimetypes.",
    "signal.signal",
    "atexit.register",
    "locale.setlocale",
    "urllib3.disable_warnings",
    "socket.setdefaulttimeout",
    "sentry_sdk.init",
    "structlog.configure",
    "matplotlib.use",
    "pandas.set_option",
];

/// `call` (or the call its method chain starts from: `logging.getLogger(x).setLevel(...)`)
/// resolves to one of `SETUP_CALLS`.
fn is_setup_call(semantic: &SemanticModel<'_>, call: &ast::ExprCall) -> bool {
    let mut func = call.func.as_ref();
    loop {
        if let Some(q) = semantic.qualified_name(ScopeId::MODULE, func) {
            return SETUP_CALLS
                .iter()
                .any(|s| q == *s || (s.ends_with('.') && q.starts_with(s)));
        }
        match func {
            Expr::Attribute(a) => match a.value.as_ref() {
                Expr::Call(inner) => func = inner.func.as_ref(),
                other => func = other,
            },
            _ => return false,
        }
    }
}

/// The statements of `body` that run before the statement at `at` on the way to it: those
/// before it in its own block and in each block around it (and a `with` around it, whose items
/// run first), never a branch beside that path (`if once: ...; return`).
fn statements_before<'s>(body: &'s [Stmt], at: TextSize, out: &mut Vec<&'s Stmt>) {
    for s in body {
        if s.range().contains(at) {
            if matches!(s, Stmt::With(_)) {
                out.push(s);
            }
            if !crate::lint::blocks::repeats_stmt(s) {
                crate::lint::blocks::for_each_child_block(s, &mut |block| {
                    let around = block
                        .first()
                        .zip(block.last())
                        .is_some_and(|(a, z)| TextRange::new(a.start(), z.end()).contains(at));
                    if around {
                        statements_before(block, at, out);
                    }
                });
            }
            return;
        }
        if s.end() <= at {
            out.push(s);
            // Branches that go on to the call (`if discovery: gw = DiscoveryGateway(config)`
            // / `else: gw = Gateway(config)`), not one that leaves the function first.
            if !crate::lint::blocks::repeats_stmt(s) {
                crate::lint::blocks::for_each_child_block(s, &mut |block| {
                    let leaves = matches!(block.last(), Some(Stmt::Return(_) | Stmt::Raise(_)));
                    if !leaves {
                        statements_before(block, at, out);
                    }
                });
            }
        }
    }
}

/// An Alembic revision (module-level `revision` and `down_revision`, and `def upgrade()`) or a
/// Django migration (`class Migration(migrations.Migration)`).
fn is_migration(suite: &[Stmt], semantic: &SemanticModel<'_>) -> bool {
    let assigned = |name: &str| {
        suite.iter().any(|s| match s {
            Stmt::Assign(a) => a.targets.iter().any(|t| is_name(t, name)),
            Stmt::AnnAssign(a) => is_name(&a.target, name),
            _ => false,
        })
    };
    let alembic = assigned("revision")
        && assigned("down_revision")
        && suite
            .iter()
            .any(|s| matches!(s, Stmt::FunctionDef(f) if f.name.as_str() == "upgrade"));
    alembic
        || suite.iter().any(|s| match s {
            Stmt::ClassDef(c) if c.name.as_str() == "Migration" => {
                c.arguments.iter().flat_map(|a| a.args.iter()).any(|b| {
                    semantic
                        .qualified_name(ScopeId::MODULE, b)
                        .is_some_and(|q| q == "django.db.migrations.Migration")
                })
            }
            _ => false,
        })
}

/// Decorators that compute a method's result once and keep it on the instance.
const INSTANCE_CACHING_DECORATORS: &[&str] = &[
    "functools.cached_property",
    "werkzeug.utils.cached_property",
    "django.utils.functional.cached_property",
    "cached_property.cached_property",
];

/// A decorator whose wrapper calls the function it decorates and stores the result on the
/// wrapper's first parameter (`setattr(self, name, builder(self))`): a lazy getter whose
/// product the instance keeps.
fn stores_result_on_receiver(decorator: &ast::StmtFunctionDef) -> bool {
    let Some(decorated) = decorator
        .parameters
        .iter_non_variadic_params()
        .next()
        .map(|p| p.parameter.name.as_str())
    else {
        return false;
    };
    let mut stores = false;
    for_each_stmt(&decorator.body, &mut |s| {
        let Stmt::FunctionDef(wrapper) = s else {
            return;
        };
        let Some(receiver) = first_param(wrapper) else {
            return;
        };
        // The names bound to a call of the decorated function, and the call itself.
        let mut results: Vec<&str> = Vec::new();
        for_each_stmt(&wrapper.body, &mut |w| {
            if let Some((Expr::Name(n), Expr::Call(c))) = single_assignment(w) {
                if is_name(&c.func, decorated) {
                    results.push(n.id.as_str());
                }
            }
        });
        for call in calls_in(&wrapper.body) {
            let [target, _, value] = call.arguments.args.as_ref() else {
                continue;
            };
            let built = matches!(value, Expr::Name(n) if results.contains(&n.id.as_str()))
                || matches!(value, Expr::Call(c) if is_name(&c.func, decorated));
            if is_name(&call.func, "setattr") && is_name(target, receiver) && built {
                stores = true;
            }
        }
    });
    stores
}

/// The coroutines that functions of `entry` end by handing to an event loop: the last statement
/// (or the last of a `try` there) is `asyncio.run(main())` or `loop.run_until_complete(main())`.
fn main_coroutines<'a>(suite: &'a [Stmt], entry: &[&str]) -> Vec<&'a str> {
    fn last_run(body: &[Stmt]) -> Option<&str> {
        match body.last()? {
            Stmt::Try(t) => last_run(&t.body),
            Stmt::Expr(e) => match e.value.as_ref() {
                Expr::Call(call) => handed_to_event_loop(call),
                _ => None,
            },
            _ => None,
        }
    }
    suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if entry.contains(&f.name.as_str()) => last_run(&f.body),
            _ => None,
        })
        .collect()
}

/// The function whose coroutine `call` hands an event loop: `main` of `asyncio.run(main())`,
/// `loop.run_until_complete(main())` or `anyio.run(main)`.
fn handed_to_event_loop(call: &ast::ExprCall) -> Option<&str> {
    if !matches!(
        crate::lint::blocks::last_segment(&call.func),
        Some("run" | "run_until_complete")
    ) {
        return None;
    }
    match call.arguments.args.first()? {
        Expr::Call(inner) => match inner.func.as_ref() {
            Expr::Name(n) => Some(n.id.as_str()),
            _ => None,
        },
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

/// The module-level functions `entry` names, and the coroutines they hand to an event loop in
/// turn (`asyncio.run(monitor(url))`, `loop.run_until_complete(serve())`, `anyio.run(main)`),
/// which are the program's main: a few hops deep.
fn reached_functions<'a>(suite: &'a [Stmt], entry: &[&str]) -> Vec<&'a ast::StmtFunctionDef> {
    const DEPTH: usize = 3;
    let defs: Vec<&ast::StmtFunctionDef> = suite
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some(f),
            _ => None,
        })
        .collect();
    struct Called<'a>(Vec<&'a str>);
    impl<'a> Visitor<'a> for Called<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                self.0.extend(handed_to_event_loop(call));
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut reached: Vec<&ast::StmtFunctionDef> = Vec::new();
    let mut frontier: Vec<&str> = entry.to_vec();
    for _ in 0..DEPTH {
        let mut next = Vec::new();
        for name in frontier {
            let Some(f) = defs.iter().find(|f| f.name.as_str() == name) else {
                continue;
            };
            if reached.iter().any(|r| std::ptr::eq(*r, *f)) {
                continue;
            }
            reached.push(f);
            let mut called = Called(Vec::new());
            called.visit_body(&f.body);
            next.extend(called.0);
        }
        frontier = next;
    }
    reached
}

/// The first request handler that a method of the class defines within its body and that uses
/// the method's receiver (a closure over `self`): how its decorator is spelled, and where.
fn routes_using_the_instance(body: &[Stmt]) -> Option<(String, TextSize)> {
    fn nested<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a ast::StmtFunctionDef>) {
        crate::lint::blocks::walk_blocks(stmts, &mut |s| {
            if let Stmt::FunctionDef(f) = s {
                out.push(f);
                nested(&f.body, out);
                return false;
            }
            !matches!(s, Stmt::ClassDef(_))
        });
    }
    body.iter().find_map(|s| {
        let Stmt::FunctionDef(method) = s else {
            return None;
        };
        // A class method's `cls` is no instance.
        let static_or_class = method.decorator_list.iter().any(|d| {
            matches!(&d.expression, Expr::Name(n) if matches!(n.id.as_str(), "classmethod" | "staticmethod"))
        });
        if static_or_class {
            return None;
        }
        let receiver = crate::lint::blocks::first_param(method)?;
        // An app the method makes itself (`app = Flask(__name__)` for one OAuth redirect) lives
        // no longer than the method's use of it.
        let made_here: Vec<&str> = method
            .body
            .iter()
            .filter_map(|s| match single_assignment(s) {
                Some((Expr::Name(n), Expr::Call(_))) => Some(n.id.as_str()),
                _ => None,
            })
            .collect();
        let mut inner = Vec::new();
        nested(&method.body, &mut inner);
        inner.into_iter().find_map(|f| {
            let shown = crate::lint::json_io::concurrency::request_route(f)?;
            let app = shown.split('.').next().unwrap_or_default();
            if made_here.contains(&app) {
                return None;
            }
            crate::lint::blocks::body_uses_any_name(&f.body, &[receiver])
                .then(|| (shown, f.start()))
        })
    })
}

/// Attributes of `self` whose instance is replaced while the object works, so none lives as long
/// as the object: assigned inside a loop (`self.current = queue.get()` in `run`), or assigned and
/// then reset to `None` by the same call (`self.dk = Kitchen(...)` in `start`, which ends by
/// calling `self.clean_up()`, where `self.dk = None`).
fn replaced_attributes(body: &[Stmt]) -> Vec<&str> {
    let methods: Vec<(&ast::StmtFunctionDef, &str)> = body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f, crate::lint::blocks::first_param(f)?)),
            _ => None,
        })
        .collect();
    // `self.x = value` statements of a body, nested blocks included: (attr, is None, where).
    fn assignments<'s>(stmts: &'s [Stmt], me: &str) -> Vec<(&'s str, bool, TextSize)> {
        let mut out = Vec::new();
        for_each_stmt(stmts, &mut |s| {
            if let Some((target, value)) = single_assignment(s) {
                if let Some(attr) = self_attr(target, me) {
                    out.push((attr, value.is_none_literal_expr(), s.start()));
                }
            }
        });
        out
    }
    // Per method, in `methods` order: every `self.x = ...` of its body.
    let assigned: Vec<Vec<(&str, bool, TextSize)>> = methods
        .iter()
        .map(|(f, me)| assignments(&f.body, me))
        .collect();
    let resets = |method: &str, attr: &str| {
        methods.iter().zip(&assigned).any(|((f, _), list)| {
            f.name.as_str() == method && list.iter().any(|(a, is_none, _)| *is_none && *a == attr)
        })
    };
    let mut out = Vec::new();
    for ((f, me), mine) in methods.iter().zip(&assigned) {
        // A handler the framework runs once per command or event (`@group.command()`, a
        // route): what it stores replaces what the previous event stored.
        if runs_per_event(f) {
            out.extend(
                mine.iter()
                    .filter(|(_, is_none, _)| !is_none)
                    .map(|(a, ..)| *a),
            );
        }
        crate::lint::blocks::walk_blocks(&f.body, &mut |s| match s {
            Stmt::For(ast::StmtFor { body, .. }) | Stmt::While(ast::StmtWhile { body, .. }) => {
                out.extend(
                    assignments(body, me)
                        .into_iter()
                        .filter(|(_, is_none, _)| !is_none)
                        .map(|(a, ..)| a),
                );
                false
            }
            _ => true,
        });
        let mut calls = Vec::new();
        for_each_stmt(&f.body, &mut |s| {
            if let Stmt::Expr(e) = s {
                if let Expr::Call(c) = e.value.as_ref() {
                    if let Some(m) = self_attr(&c.func, me) {
                        calls.push((m, s.start()));
                    }
                }
            }
        });
        for (attr, _, at) in mine.iter().filter(|(_, is_none, _)| !is_none) {
            let reset_here = mine
                .iter()
                .any(|(a, is_none, when)| a == attr && *is_none && when > at);
            let reset_by_call = calls.iter().any(|(m, when)| when > at && resets(m, attr));
            if reset_here || reset_by_call {
                out.push(*attr);
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A method its framework calls once per event: decorated as a route, a task, a bot event or a
/// bot command (`@group.command()` on a method; a click command is a function, not a method).
fn runs_per_event(f: &ast::StmtFunctionDef) -> bool {
    let table = &super::frameworks::table().handler_decorators;
    f.decorator_list.iter().any(|d| {
        let func = match &d.expression {
            Expr::Call(c) => c.func.as_ref(),
            other => other,
        };
        let Expr::Attribute(a) = func else {
            return false;
        };
        let verb = a.attr.as_str();
        let listed = |list: &[String]| list.iter().any(|v| v == verb);
        matches!(verb, "command" | "group")
            || listed(&table.request)
            || listed(&table.task)
            || listed(&table.event)
    })
}

/// Records the first bound of each attribute (one is enough to clear a finding).
/// Methods the class starts in the background: `threading.Thread(target=self.loop)`,
/// `asyncio.create_task(self.loop())`, `loop.run_in_executor(None, self.loop)`,
/// `tg.start_soon(self.loop)`. A loop there that
/// runs until a flag on `self` says stop makes the object a service, whatever the method's name.
fn started_methods(body: &[Stmt]) -> Vec<&str> {
    struct Starts<'s>(Vec<&'s str>);
    impl<'s> Visitor<'s> for Starts<'s> {
        fn visit_expr(&mut self, expr: &'s Expr) {
            if let Expr::Call(call) = expr {
                let bound = |e: &'s Expr| match e {
                    Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(_)) => {
                        Some(a.attr.as_str())
                    }
                    _ => None,
                };
                let callee = match call.func.as_ref() {
                    Expr::Attribute(a) => a.attr.as_str(),
                    Expr::Name(n) => n.id.as_str(),
                    _ => "",
                };
                if let Some(target) = call.arguments.find_keyword("target") {
                    self.0.extend(bound(&target.value));
                }
                match callee {
                    "create_task" | "ensure_future" | "run_coroutine_threadsafe" => {
                        if let Some(Expr::Call(inner)) = call.arguments.args.first() {
                            self.0.extend(bound(&inner.func));
                        }
                    }
                    "run_in_executor" | "start_new_thread" | "to_thread" | "submit" => {
                        self.0.extend(call.arguments.args.iter().find_map(bound));
                    }
                    // anyio's and trio's task groups (`tg.start_soon(self.loop)`), gevent's
                    // `spawn(self.loop)`: a method of `self` handed to them. Not through the
                    // class's own helper (`self.spawn(self.reader, id)`), which may start one per
                    // event and stop it again.
                    "start_soon" | "spawn" if !matches!(call.func.as_ref(), Expr::Attribute(a) if is_name(&a.value, "self")) =>
                    {
                        self.0
                            .extend(call.arguments.args.first().and_then(|a| match a {
                                Expr::Attribute(m) if is_name(&m.value, "self") => {
                                    Some(m.attr.as_str())
                                }
                                _ => None,
                            }));
                    }
                    _ => {}
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut starts = Starts(Vec::new());
    for stmt in body {
        if let Stmt::FunctionDef(f) = stmt {
            starts.visit_body(&f.body);
        }
    }
    starts.0
}

/// Whether `w` is a statement of `body` itself, or of a `try`/`with` block directly in it.
fn is_outermost(body: &[Stmt], w: &ast::StmtWhile) -> bool {
    body.iter().any(|s| match s {
        Stmt::While(x) => std::ptr::eq(x, w),
        Stmt::Try(t) => is_outermost(&t.body, w),
        Stmt::With(x) => is_outermost(&x.body, w),
        _ => false,
    })
}

/// Whether a `return` statement appears in `body` (nested blocks included, nested defs not).
fn returns_from(body: &[Stmt]) -> bool {
    let mut found = false;
    for_each_stmt(body, &mut |s| found |= matches!(s, Stmt::Return(_)));
    found
}

fn push_bound_unless(
    bounds_nothing: bool,
    bounds: &mut Vec<(Name, u32, Name)>,
    bound: (Name, u32, Name),
) {
    if !bounds_nothing && !bounds.iter().any(|(a, _, _)| *a == bound.0) {
        bounds.push(bound);
    }
}

/// The expressions a statement evaluates itself, not those of the blocks it holds.
fn own_expressions(stmt: &Stmt) -> Vec<&Expr> {
    match stmt {
        Stmt::Expr(e) => vec![&e.value],
        Stmt::Assign(a) => vec![&a.value],
        Stmt::AnnAssign(a) => a.value.as_deref().into_iter().collect(),
        Stmt::AugAssign(a) => vec![&a.value],
        Stmt::Return(r) => r.value.as_deref().into_iter().collect(),
        Stmt::If(i) => vec![&i.test],
        Stmt::While(w) => vec![&w.test],
        Stmt::For(f) => vec![&f.iter],
        Stmt::With(w) => w.items.iter().map(|i| &i.context_expr).collect(),
        _ => Vec::new(),
    }
}

/// Whether a `while` loop keeps a program running until something stops it: its test holds
/// until stopped ([`runs_until_stopped`]), it does not count its turns to a limit, and its test
/// is not data the loop itself fetches again (`while result.interruptions: ...; result =
/// run(...)` ends when the data says so), nor a state of completion (`while not
/// progress.finished`). A loop that waits for a person to type each turn (`input()`) is a
/// session someone drives by hand (a debug REPL, a terminal harness to try a bot), not a service:
/// it runs only as long as that person keeps typing.
fn keeps_running(w: &ast::StmtWhile) -> bool {
    runs_until_stopped(&w.test)
        && !counts_to_limit(&w.body)
        && !refetches_test(w)
        && !awaits_completion(&w.test)
        && !waits_for_a_person(&w.body)
        && !reads_to_the_end(&w.body)
        && !pages_until_empty(&w.body)
}

/// `not x.finished`, `not x.done()`: the loop ends when the work it tracks completes.
fn awaits_completion(test: &Expr) -> bool {
    let Expr::UnaryOp(u) = test else {
        return false;
    };
    if u.op != ast::UnaryOp::Not {
        return false;
    }
    let attr = match u.operand.as_ref() {
        Expr::Attribute(a) => a.attr.as_str(),
        Expr::Call(c) if c.arguments.is_empty() => match c.func.as_ref() {
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return false,
        },
        _ => return false,
    };
    matches!(
        attr,
        "finished" | "is_finished" | "done" | "is_done" | "complete" | "completed" | "is_complete"
    )
}

/// The loop's own body (not nested functions or lambdas) reads a line a person types:
/// `input()`, `raw_input()`, `getpass()`.
fn waits_for_a_person(body: &[Stmt]) -> bool {
    crate::lint::blocks::calls_in(body).iter().any(|call| {
        let name = match call.func.as_ref() {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) if crate::lint::blocks::is_name(&a.value, "getpass") => {
                a.attr.as_str()
            }
            _ => "",
        };
        matches!(name, "input" | "raw_input" | "getpass")
    })
}

/// The name a `while` test reads (`result` of `result.interruptions`) is bound again inside the
/// loop to something other than a flag value.
fn refetches_test(w: &ast::StmtWhile) -> bool {
    fn root(e: &Expr) -> Option<&str> {
        match e {
            Expr::Name(n) => Some(n.id.as_str()),
            Expr::Attribute(a) => root(&a.value),
            Expr::UnaryOp(u) => root(&u.operand),
            _ => None,
        }
    }
    let Some(name) = root(&w.test) else {
        return false;
    };
    if matches!(name, "self" | "cls") {
        return false;
    }
    let mut found = false;
    walk_blocks(&w.body, &mut |s| {
        if let Some((Expr::Name(n), value)) = single_assignment(s) {
            found |= n.id.as_str() == name && !matches!(value, Expr::BooleanLiteral(_));
        }
        true
    });
    found
}

/// Whether a `while` test keeps a program running until something stops it (`True`, a flag, a
/// call such as `not stop.is_set()`, a queue's truth), rather than counting to a bound: a
/// comparison (`i < len(text)`, `node is not None`, `time.time() < deadline`) ends by itself.
fn runs_until_stopped(test: &Expr) -> bool {
    match test {
        Expr::BooleanLiteral(b) => b.value,
        Expr::NumberLiteral(_) | Expr::Name(_) | Expr::Attribute(_) | Expr::Call(_) => true,
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => runs_until_stopped(&u.operand),
        Expr::BoolOp(b) => b.values.iter().all(runs_until_stopped),
        _ => false,
    }
}

/// Registrations with a framework anywhere in the module (`bot.add_cog(Stats(bot))`), and
/// singletons kept through `global` in an accessor.
struct Registrations<'v, 'a, 'm> {
    b: &'v mut FactsBuilder<'a, 'm>,
    scope: ScopeId,
    /// The body of the function being walked: an argument passed by name (`tools`) is looked up
    /// among its single assignments (`tools = [...]`) when a constructor is handed it.
    body: &'a [Stmt],
    /// The module-level class whose body is being walked.
    class: Option<&'a str>,
}

impl<'a> Registrations<'_, 'a, '_> {
    /// `Owner(arg, key=arg)`: what each argument carries is held by the constructed object.
    fn constructor_arguments(&mut self, call: &'a ast::ExprCall) {
        // Cheap tests first: most calls are of functions, or pass nothing that is an instance.
        let callee = match call.func.as_ref() {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return,
        };
        let may_carry = |e: &Expr| {
            matches!(
                e,
                Expr::Call(_)
                    | Expr::List(_)
                    | Expr::Tuple(_)
                    | Expr::Set(_)
                    | Expr::Starred(_)
                    | Expr::Name(_)
                    | Expr::BoolOp(_)
                    | Expr::If(_)
                    | Expr::Attribute(_)
            )
        };
        if !callee.starts_with(|c: char| c.is_ascii_uppercase())
            || !(call.arguments.args.iter().any(may_carry)
                || call.arguments.keywords.iter().any(|k| may_carry(&k.value)))
        {
            return;
        }
        let Some(owner) = self.b.class_ref(self.scope, &call.func) else {
            return;
        };
        let args = call
            .arguments
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("#{i}"), a));
        let keywords = call
            .arguments
            .keywords
            .iter()
            .filter_map(|k| Some((k.arg.as_ref()?.to_string(), &k.value)));
        let mut held = Vec::new();
        for (param, value) in args.chain(keywords) {
            let mut carried = Vec::new();
            self.carried(value, 0, &mut carried);
            for class in carried {
                if class != owner {
                    held.push((class, value.start(), param.clone()));
                }
            }
        }
        for (class, at, param) in held {
            self.b.hold(
                class,
                at,
                HoldSite::Argument {
                    owner: Name::new(&owner),
                    param: Name::new(&param),
                },
            );
        }
    }

    /// Classes whose instances (or bound methods, or what a method of a fresh instance returns
    /// when unpacked into a list) an argument carries: `X()`, `[X().run, *Y().get_tools()]`,
    /// or a local bound to one of those.
    fn carried(&self, arg: &'a Expr, depth: u8, out: &mut Vec<String>) {
        if depth > 3 {
            return;
        }
        match arg {
            Expr::List(l) => l.elts.iter().for_each(|e| self.carried(e, depth + 1, out)),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.carried(e, depth + 1, out)),
            Expr::Set(t) => t.elts.iter().for_each(|e| self.carried(e, depth + 1, out)),
            Expr::Starred(s) => match s.value.as_ref() {
                Expr::Call(c) => match c.func.as_ref() {
                    // `*tk.get_tools()` with `tk = Toolkit()` bound before.
                    Expr::Attribute(a) => match a.value.as_ref() {
                        Expr::Name(n) => {
                            if let Some(value) = self.assigned_before(n) {
                                out.extend(self.b.constructed(self.scope, value));
                            }
                        }
                        receiver => out.extend(self.b.constructed(self.scope, receiver)),
                    },
                    _ => self.carried(&s.value, depth + 1, out),
                },
                other => self.carried(other, depth + 1, out),
            },
            // A bound method of a fresh instance: `X().run`.
            Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Call(_)) => {
                out.extend(self.b.constructed(self.scope, &a.value));
            }
            Expr::Name(n) => {
                if let Some(value) = self.assigned_before(n) {
                    self.carried(value, depth + 1, out);
                }
            }
            other => out.extend(self.b.constructed(self.scope, other)),
        }
    }

    /// A singleton kept on its class: `cls._instance = cls()` (or `super().__new__(cls)`, or
    /// `Name._instance = Name()`) in a method. The class object is a module global, so the
    /// instance lives for the process.
    fn singleton(&mut self, body: &'a [Stmt]) {
        let Some(class) = self.class else { return };
        let mut stmts = Vec::new();
        for_each_stmt(body, &mut |s| stmts.push(s));
        for s in stmts {
            let Some((Expr::Attribute(target), value)) = single_assignment(s) else {
                continue;
            };
            let on_class = matches!(target.value.as_ref(), Expr::Name(n) if n.id.as_str() == "cls" || n.id.as_str() == class);
            if !on_class {
                continue;
            }
            let Expr::Call(call) = value else { continue };
            let creates_own = match call.func.as_ref() {
                Expr::Name(n) => n.id.as_str() == "cls" || n.id.as_str() == class,
                // `super().__new__(cls)`, `object.__new__(cls)`
                Expr::Attribute(a) => a.attr.as_str() == "__new__",
                _ => false,
            };
            if creates_own {
                let qualified = format!("{}.{class}", self.b.facts.module);
                self.b.hold(
                    qualified,
                    value.start(),
                    HoldSite::ModuleGlobal {
                        name: Name::new(&format!("{class}.{}", target.attr)),
                    },
                );
            }
        }
    }

    /// A module-level function that takes no argument under `functools.cache` or
    /// `functools.lru_cache` (bare or called, with any size but 0): its first call's result is
    /// returned by every later call, and the cache keeps it for the process. With an argument it
    /// would keep one result per distinct argument, up to its size, which says less; on a
    /// coroutine function it keeps the coroutine, whose frame lets go of the instance once
    /// awaited.
    fn memoized_accessor(&self, f: &ast::StmtFunctionDef) -> bool {
        if !f.parameters.is_empty() || f.is_async {
            return false;
        }
        f.decorator_list.iter().any(|d| {
            let (callee, size) = match &d.expression {
                Expr::Call(c) => (
                    c.func.as_ref(),
                    c.arguments.find_argument_value("maxsize", 0),
                ),
                other => (other, None),
            };
            let keeps_nothing = matches!(size, Some(Expr::NumberLiteral(n))
                if matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(0)));
            !keeps_nothing
                && matches!(
                    self.b
                        .semantic
                        .qualified_name(ScopeId::MODULE, callee)
                        .as_deref(),
                    Some("functools.cache" | "functools.lru_cache")
                )
        })
    }

    /// The body being walked hands local `n` back after registering it with `method`.
    fn unregistered(&self, n: &ast::ExprName, method: &str) -> bool {
        let Some(undo) = unregistration(method) else {
            return false;
        };
        let mut found = false;
        for_each_stmt(self.body, &mut |s| {
            if found || s.start() < n.start() {
                return;
            }
            let Stmt::Expr(e) = s else { return };
            let Expr::Call(c) = e.value.as_ref() else {
                return;
            };
            found = matches!(c.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == undo)
                && c.arguments
                    .args
                    .iter()
                    .any(|a| matches!(a, Expr::Name(x) if x.id == n.id));
        });
        found
    }

    /// The value of the last single assignment to `n` before it, in the body being walked.
    fn assigned_before(&self, n: &ast::ExprName) -> Option<&'a Expr> {
        let mut value = None;
        for_each_stmt(self.body, &mut |s| {
            if let Some((Expr::Name(t), v)) = single_assignment(s) {
                if t.id == n.id && v.start() < n.start() {
                    value = Some(v);
                }
            }
        });
        value
    }
}

/// The call that undoes registration method `method`: `addHandler` → `removeHandler`,
/// `add_listener` → `remove_listener`, `register_plugin` → `unregister_plugin`.
fn unregistration(method: &str) -> Option<String> {
    if let Some(rest) = method.strip_prefix("add") {
        return Some(format!("remove{rest}"));
    }
    method
        .starts_with("register")
        .then(|| format!("un{method}"))
}

impl<'a> Visitor<'a> for Registrations<'_, 'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                let saved = self.scope;
                let saved_body = std::mem::replace(&mut self.body, &f.body);
                self.scope = self.b.semantic.scope_of(f).unwrap_or(saved);
                let globals: Vec<&str> = f
                    .body
                    .iter()
                    .filter_map(|s| match s {
                        Stmt::Global(g) => Some(g.names.iter().map(|n| n.as_str())),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                self.singleton(&f.body);
                if saved == ScopeId::MODULE && self.memoized_accessor(f) {
                    for (c, at) in self.b.returned_instances(f) {
                        self.b.hold(
                            c,
                            at,
                            HoldSite::Memoized {
                                function: Name::new(f.name.as_str()),
                            },
                        );
                    }
                }
                if !globals.is_empty() {
                    let mut stmts = Vec::new();
                    for_each_stmt(&f.body, &mut |s| stmts.push(s));
                    for s in stmts {
                        if let Some((Expr::Name(n), value)) = single_assignment(s) {
                            if globals.contains(&n.id.as_str()) {
                                for c in self.b.constructed(self.scope, value) {
                                    self.b.hold(
                                        c,
                                        value.start(),
                                        HoldSite::ModuleGlobal {
                                            name: Name::new(n.id.as_str()),
                                        },
                                    );
                                }
                            }
                        }
                    }
                }
                self.visit_body(&f.body);
                self.scope = saved;
                self.body = saved_body;
            }
            Stmt::ClassDef(c) => {
                let saved = self.scope;
                let saved_class = self.class;
                self.scope = self.b.semantic.scope_of(c).unwrap_or(saved);
                if saved == ScopeId::MODULE {
                    self.class = Some(c.name.as_str());
                }
                self.visit_body(&c.body);
                self.scope = saved;
                self.class = saved_class;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            self.keywords_set(call);
            self.constructor_arguments(call);
            if let Expr::Attribute(m) = call.func.as_ref() {
                let table = frameworks::table();
                if table
                    .registration_methods
                    .iter()
                    .any(|r| r == m.attr.as_str())
                {
                    for arg in call.arguments.args.iter() {
                        // `h = Capture(); log.addHandler(h)`: the local's constructor, unless the
                        // same function hands it back (`log.removeHandler(h)`), which scopes the
                        // registration to one call.
                        let value = match arg {
                            Expr::Name(n) if !self.unregistered(n, m.attr.as_str()) => {
                                self.assigned_before(n).unwrap_or(arg)
                            }
                            _ => arg,
                        };
                        for c in self.b.constructed(self.scope, value) {
                            self.b.hold(
                                c,
                                call.start(),
                                HoldSite::Registered {
                                    call: format!(
                                        "{}.{}",
                                        crate::lint::json_io::dotted(&m.value)
                                            .unwrap_or_else(|| "…".into()),
                                        m.attr
                                    )
                                    .into(),
                                },
                            );
                        }
                    }
                }
            }
            self.added_entities(call);
        }
        visitor::walk_expr(self, expr);
    }
}

impl<'a> Registrations<'_, 'a, '_> {
    /// The keywords `call` passes with a value that may be true ([`ModuleFacts::keywords_set`]).
    fn keywords_set(&mut self, call: &'a ast::ExprCall) {
        for k in call.arguments.keywords.iter() {
            let Some(arg) = &k.arg else { continue };
            let off = crate::lint::blocks::is_off_literal(&k.value)
                || matches!(&k.value, Expr::Name(n) if n.id.as_str() == arg.as_str());
            if !off {
                self.b.facts.keywords_set.push(Name::new(arg.as_str()));
            }
        }
    }

    /// Home Assistant's platform setup hands its entities to the callback it was given
    /// (`async_add_entities([Sensor(hass, entry)])`); Home Assistant keeps each until its config
    /// entry is unloaded, for as long as the integration runs.
    fn added_entities(&mut self, call: &'a ast::ExprCall) {
        let Expr::Name(f) = call.func.as_ref() else {
            return;
        };
        if !matches!(f.id.as_str(), "async_add_entities" | "add_entities")
            || !self.b.semantic.imports_from_any(&["homeassistant"])
        {
            return;
        }
        let Some(arg) = call.arguments.args.first() else {
            return;
        };
        let listed = match arg {
            Expr::Name(n) => self.assigned_before(n).unwrap_or(arg),
            _ => arg,
        };
        let elements: Vec<&Expr> = match listed {
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        for element in elements {
            for c in self.b.constructed(self.scope, element) {
                self.b.hold(
                    c,
                    call.start(),
                    HoldSite::Registered {
                        call: f.id.as_str().into(),
                    },
                );
            }
        }
    }
}

/// `issubclass(cls, Base)` in an `if` test, alone or among `and`ed conditions: the class
/// variable and the base expression.
fn issubclass_guard(test: &Expr) -> Option<(&str, &Expr)> {
    match test {
        Expr::BoolOp(b) if b.op == ast::BoolOp::And => b.values.iter().find_map(issubclass_guard),
        Expr::Call(c) if crate::lint::blocks::is_name(&c.func, "issubclass") => {
            match c.arguments.args.as_ref() {
                [Expr::Name(var), base] if !matches!(base, Expr::Tuple(_)) => {
                    Some((var.id.as_str(), base))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The body waits for something to arrive: an `await`, or a blocking call (`queue.get()`,
/// `sock.recv()`, `time.sleep()`, `event.wait()`), as a loop serving events must between them.
fn waits_for_input(body: &[Stmt]) -> bool {
    struct Waits(bool);
    impl<'a> Visitor<'a> for Waits {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !self.0 && !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.0 {
                return;
            }
            match expr {
                Expr::Await(_) => self.0 = true,
                Expr::Call(call) => {
                    let name = match call.func.as_ref() {
                        Expr::Attribute(a) => a.attr.as_str(),
                        Expr::Name(n) => n.id.as_str(),
                        _ => "",
                    };
                    // `queue.get()` blocks; `mapping.get(key)` looks up.
                    let queue_get = name == "get" && call.arguments.args.is_empty();
                    self.0 = queue_get
                        || matches!(
                            name,
                            "recv"
                                | "recvfrom"
                                | "accept"
                                | "wait"
                                | "sleep"
                                | "select"
                                | "poll"
                                | "readline"
                                | "receive"
                                | "input"
                        );
                    if !self.0 {
                        visitor::walk_expr(self, expr);
                    }
                }
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut w = Waits(false);
    w.visit_body(body);
    w.0
}

#[cfg(test)]
mod tests {
    use super::started_methods;
    use ruff_python_parser::parse_module;

    #[test]
    fn task_groups_start_methods_but_a_class_own_spawn_helper_does_not() {
        let source = "class W:\n\
            \x20   async def run(self):\n\
            \x20       async with anyio.create_task_group() as tg:\n\
            \x20           tg.start_soon(self.plan)\n\
            \x20       gevent.spawn(self.beat)\n\
            \x20   def on_message(self, m):\n\
            \x20       self.spawn(self.reader, m)\n";
        let parsed = parse_module(source).expect("valid");
        let ruff_python_ast::Stmt::ClassDef(class) = &parsed.suite()[0] else {
            panic!("a class")
        };
        assert_eq!(started_methods(&class.body), ["plan", "beat"]);
    }
}
