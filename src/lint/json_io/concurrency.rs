//! Why a function of the module can run concurrently with itself, as the module shows it: a
//! handler decorator (a web route, a task-queue task, a bot command), a spawn of one thread,
//! process or task per item (`Thread(target=work)` in a loop, `pool.map(work, items)`,
//! `asyncio.gather(*(work(x) for x in xs))`), or a call from a function that has such evidence.
//! The evidence is a chain of steps a reviewer can follow from the read-modify-write outward.

use super::Function;
use crate::lint::blocks::last_segment;
use crate::lint::project::frameworks;
use ruff_python_ast::comparable::ComparableExpr;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

/// One step of the evidence: where, and what it shows.
pub type Step = (TextRange, String);

/// The longest chain kept: the read-modify-write's function, the callers between, the root.
const MAX_STEPS: usize = 4;

pub(super) struct ConcurrentRuns {
    /// Per function of the module (same order), the evidence that it runs concurrently.
    chains: Vec<Vec<Step>>,
    /// Per function: its evidence is a spawn of threads or tasks inside one process.
    spawned: Vec<bool>,
    /// Per function: its evidence is a Gradio event listener, which runs one event at a time
    /// (a listener's default concurrency limit is 1) alongside the listeners of other events.
    listener: Vec<bool>,
    def_ranges: Vec<TextRange>,
}

impl ConcurrentRuns {
    pub(super) fn collect(functions: &[Function<'_>]) -> ConcurrentRuns {
        let def_ranges: Vec<TextRange> = functions.iter().map(|f| f.def_range).collect();
        let mut chains: Vec<Vec<Step>> = functions
            .iter()
            .map(|f| f.node.and_then(handler).into_iter().collect())
            .collect();
        if let Some(step) = functions.first().and_then(|m| streamlit_reruns(m.body)) {
            chains[0].push(step);
        }
        let mut sites = Sites::default();
        if let Some(module) = functions.first() {
            sites.imports_gradio =
                crate::lint::blocks::top_level_import(module.body, "gradio").is_some();
            sites.ptb_run_async = ptb_run_async_names(module.body);
            sites.imports_telegram =
                crate::lint::blocks::top_level_import(module.body, "telegram").is_some();
            awaited_later(module.body, &mut sites.awaited_later);
            sites.visit_body(module.body);
        }
        let caller = |at: TextRange| super::innermost(functions, at);
        let mut spawned = vec![false; functions.len()];
        spawned[0] = !chains[0].is_empty();
        for spawn in &sites.spawns {
            let class = caller(spawn.at).and_then(|i| functions[i].class.as_deref());
            for i in callees(functions, &spawn.target, class) {
                if chains[i].is_empty() {
                    let name = last_name(&functions[i].id);
                    chains[i].push((spawn.at, spawn.describe(name)));
                    spawned[i] = spawn.how != "Process";
                }
            }
        }
        let mut listener = vec![false; functions.len()];
        for (at, target, event) in &sites.gradio_listeners {
            let class = caller(*at).and_then(|i| functions[i].class.as_deref());
            for i in callees(functions, target, class) {
                if chains[i].is_empty() {
                    let name = last_name(&functions[i].id);
                    chains[i].push((*at, format!("`{name}` is a Gradio event listener (`.{event}(...)`): the server runs the listeners of different events at once, on its worker threads")));
                    spawned[i] = true;
                    listener[i] = true;
                }
            }
        }
        // python-telegram-bot before version 20 runs a callback marked `@run_async`, or
        // registered with `run_async=True`, on a thread of its dispatcher's worker pool, one per
        // update: two commands sent together run at once.
        let mut threaded: Vec<(TextRange, usize, &str)> = Vec::new();
        for (i, f) in functions.iter().enumerate().skip(1) {
            let Some(node) = f.node else { continue };
            if let Some(d) = node
                .decorator_list
                .iter()
                .find(|d| is_ptb_run_async(&d.expression, &sites.ptb_run_async))
            {
                threaded.push((d.range(), i, "@run_async"));
            }
        }
        for (at, target) in &sites.ptb_threaded {
            let class = caller(*at).and_then(|i| functions[i].class.as_deref());
            for i in callees(functions, target, class) {
                threaded.push((*at, i, "run_async=True"));
            }
        }
        for (at, i, how) in threaded {
            if chains[i].is_empty() {
                let name = last_name(&functions[i].id);
                chains[i].push((at, format!("`{name}` (`{how}`) runs on a thread of python-telegram-bot's worker pool, one per update: updates that arrive together run it at once")));
                spawned[i] = true;
            }
        }
        // web.py serves each request on a thread of its pool: the `GET`/`POST`/... methods of
        // the classes its URL table names answer requests at once.
        for (at, class, route) in webpy_routes(functions) {
            for (i, f) in functions.iter().enumerate() {
                let Some(method) = f.id.strip_prefix(&format!("{class}.")) else {
                    continue;
                };
                if WEBPY_VERBS.contains(&method) && chains[i].is_empty() {
                    chains[i].push((at, format!("`{class}.{method}` answers requests at `{route}` of web.py's URL table: its server runs each request on a thread of its pool, so requests run at once")));
                    spawned[i] = true;
                }
            }
        }
        // A function called from one that runs concurrently runs concurrently too.
        for _ in 0..MAX_STEPS {
            let mut changed = false;
            for call in &sites.calls {
                let Some(from) = caller(call.at) else {
                    continue;
                };
                if chains[from].is_empty() || chains[from].len() >= MAX_STEPS {
                    continue;
                }
                let class = functions[from].class.as_deref();
                for to in callees(functions, &call.target, class) {
                    if to == from || !chains[to].is_empty() {
                        continue;
                    }
                    let (callee, caller) =
                        (last_name(&functions[to].id), last_name(&functions[from].id));
                    let message = match &call.started_by {
                        Some(how) => format!("`{caller}` starts `{callee}` here (`{how}`)"),
                        None => format!("`{callee}` is called from `{caller}` here"),
                    };
                    let step = (call.at, message);
                    let mut chain = vec![step];
                    chain.extend(chains[from].iter().cloned());
                    chains[to] = chain;
                    spawned[to] = spawned[from];
                    listener[to] = listener[from];
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        ConcurrentRuns {
            chains,
            spawned,
            listener,
            def_ranges,
        }
    }

    /// Whether the evidence for code at `at` is only that a Gradio event listener runs it: a
    /// race with the listeners of other events, not with itself.
    pub(super) fn by_listener_only(&self, at: TextRange) -> bool {
        self.innermost_with_evidence(at)
            .is_some_and(|i| self.listener[i])
    }

    /// The evidence for code at `at`: that of its innermost function with some, from the inside
    /// out (a closure runs when its enclosing function does), and whether it shows only threads
    /// or tasks of one process.
    pub(super) fn of(&self, at: TextRange) -> (Vec<Step>, bool) {
        self.innermost_with_evidence(at)
            .map(|i| (self.chains[i].clone(), self.spawned[i]))
            .unwrap_or_default()
    }

    /// Whether anything shows code at `at` running concurrently.
    pub(super) fn has_evidence(&self, at: TextRange) -> bool {
        self.innermost_with_evidence(at).is_some()
    }

    fn innermost_with_evidence(&self, at: TextRange) -> Option<usize> {
        let mut enclosing: Vec<usize> = (1..self.def_ranges.len())
            .filter(|&i| self.def_ranges[i].contains_range(at))
            .collect();
        enclosing.sort_by_key(|&i| self.def_ranges[i].len());
        // The module's own evidence (a Streamlit script, run again per session) covers every
        // line of it, the functions it defines included.
        enclosing
            .into_iter()
            .chain(std::iter::once(0))
            .find(|&i| self.chains.get(i).is_some_and(|c| !c.is_empty()))
    }
}

/// The methods of a web.py handler class that answer requests.
const WEBPY_VERBS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// `web.application(urls, globals())` in a module that imports `web`, anywhere in it: for each
/// handler class the URL table names (`("/message", "MessageHandler", ...)`, pairs of a pattern
/// and a class name, given as a literal or a name bound to one), the call, the class and its
/// pattern.
fn webpy_routes<'a>(functions: &[Function<'a>]) -> Vec<(TextRange, String, String)> {
    let Some(module) = functions.first() else {
        return Vec::new();
    };
    if crate::lint::blocks::top_level_import(module.body, "web").is_none() {
        return Vec::new();
    }
    // `globals()` holds only the module's own top-level classes.
    let top_level_class = |name: &str| {
        module
            .body
            .iter()
            .any(|s| matches!(s, Stmt::ClassDef(c) if c.name.as_str() == name))
    };
    // (function index, name, value): a table is looked up in the call's function first.
    let mut tables: Vec<(usize, &'a str, &'a Expr)> = Vec::new();
    let mut calls: Vec<(usize, &'a ast::ExprCall)> = Vec::new();
    for (i, f) in functions.iter().enumerate() {
        crate::lint::blocks::for_each_stmt(f.body, &mut |stmt| {
            if let Stmt::Assign(a) = stmt {
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    tables.push((i, n.id.as_str(), &a.value));
                }
            }
            let value = match stmt {
                Stmt::Assign(a) => Some(a.value.as_ref()),
                Stmt::Expr(e) => Some(e.value.as_ref()),
                _ => None,
            };
            if let Some(Expr::Call(c)) = value {
                if matches!(c.func.as_ref(), Expr::Attribute(a)
                if a.attr.as_str() == "application"
                    && matches!(a.value.as_ref(), Expr::Name(w) if w.id.as_str() == "web"))
                {
                    calls.push((i, c));
                }
            }
        });
    }
    let mut out = Vec::new();
    for (at, call) in calls {
        let table = match call.arguments.args.first() {
            Some(Expr::Name(n)) => [at, 0].iter().find_map(|&scope| {
                tables
                    .iter()
                    .rev()
                    .find(|(i, t, _)| *i == scope && *t == n.id.as_str())
                    .map(|(_, _, v)| *v)
            }),
            other => other,
        };
        let items = match table {
            Some(Expr::Tuple(t)) => &t.elts,
            Some(Expr::List(l)) => &l.elts,
            _ => continue,
        };
        for pair in items.chunks(2) {
            // The class by name (`"ConfigHandler"`); a table naming the class object instead is
            // not followed yet (the rest of the project takes its methods for uncalled ones).
            let class = match pair {
                [Expr::StringLiteral(_), Expr::StringLiteral(c)] => c.value.to_str(),
                _ => continue,
            };
            if let (Expr::StringLiteral(route), true) = (&pair[0], top_level_class(class)) {
                out.push((
                    call.range(),
                    class.to_string(),
                    route.value.to_str().to_string(),
                ));
            }
        }
    }
    out
}

/// A Streamlit script (one that imports `streamlit` at module level): `streamlit run` executes it
/// from the top for every browser session and again on every widget interaction, each run on a
/// thread of the one server process, so two sessions run any line of it at once.
fn streamlit_reruns(suite: &[Stmt]) -> Option<Step> {
    let import = crate::lint::project::one_shot::streamlit_import(suite)?;
    Some((
        import.range(),
        "the module imports Streamlit: `streamlit run` executes the script from the top for every browser session and again on every interaction, each run on a thread of one server process, so two sessions run it at once".to_string(),
    ))
}

/// The step showing that `function`, an `async def`, awaits between the read and the write of
/// `rmw`: the event loop runs its other tasks in that gap.
pub(super) fn await_gap(function: &Function<'_>, rmw: &super::Rmw) -> Option<Step> {
    if !function.is_coroutine() {
        return None;
    }
    let at = first_await_between(function.body, rmw.read.end(), rmw.write.start())?;
    Some((
        at,
        format!(
            "`{}` awaits here, between its read and its write of `{}`: the event loop runs its other tasks in the gap, and a change one of them makes to the file is lost at the write",
            last_name(&function.id),
            rmw.path
        ),
    ))
}

/// Drops, for a coroutine whose read-modify-write has no `await` between the read and the write
/// (the caller has found no [`await_gap`]), the evidence that its own decorator makes it a
/// handler of many requests or events at once: those calls run one at a time between awaits,
/// so they cannot interleave there. Threads, processes and tasks that other code starts stay
/// evidence.
pub(super) fn drop_turn_taking_handlers(function: &Function<'_>, rmw: &mut super::Rmw) {
    let Some(node) = function.node.filter(|n| n.is_async) else {
        return;
    };
    if let Some((at, HandlerKind::Request | HandlerKind::Event, _)) = handler_kind(node) {
        rmw.concurrency.retain(|(step, _)| *step != at);
    }
}

/// The first `await` (or `async for` / `async with`) of `body` that starts after `from` and
/// ends before `to`, outside nested functions, which run at another time.
fn first_await_between(body: &[Stmt], from: TextSize, to: TextSize) -> Option<TextRange> {
    struct Gap {
        from: TextSize,
        to: TextSize,
        found: Option<TextRange>,
        /// `try` statements around the statement visited.
        in_try: u32,
    }
    impl Gap {
        fn inside(&self, at: TextRange) -> bool {
            at.start() >= self.from && at.end() <= self.to
        }
        /// A branch that does not hold the write and whose last statement returns or raises,
        /// outside any `try`, with no `break` or `continue` that could skip to the write.
        fn leaves_before_write(&self, body: &[Stmt]) -> bool {
            let holds_write = body
                .first()
                .zip(body.last())
                .is_some_and(|(a, z)| a.start() <= self.to && self.to < z.end());
            let mut jumps = false;
            crate::lint::blocks::for_each_stmt(body, &mut |s| {
                jumps |= matches!(s, Stmt::Break(_) | Stmt::Continue(_));
            });
            self.in_try == 0 && !holds_write && !jumps && body.last().is_some_and(leaves)
        }
    }
    impl<'a> Visitor<'a> for Gap {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if self.found.is_some() || stmt.start() >= self.to || stmt.end() <= self.from {
                return;
            }
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                // An `await` in a `return` or `raise`, or in a branch that ends in one, is on a
                // path that leaves the function before the write (`if not ok: return await
                // ctx.send(...)`): no task it lets run can be overwritten by this write.
                Stmt::Return(_) | Stmt::Raise(_) if self.in_try == 0 => {}
                // A `raise` a handler catches, or a `return` a `finally` follows, may still reach
                // the write: inside a `try`, every branch counts.
                Stmt::Try(_) => {
                    self.in_try += 1;
                    visitor::walk_stmt(self, stmt);
                    self.in_try -= 1;
                }
                Stmt::If(i) => {
                    self.visit_expr(&i.test);
                    if !self.leaves_before_write(&i.body) {
                        self.visit_body(&i.body);
                    }
                    for clause in &i.elif_else_clauses {
                        if let Some(test) = &clause.test {
                            self.visit_expr(test);
                        }
                        if !self.leaves_before_write(&clause.body) {
                            self.visit_body(&clause.body);
                        }
                    }
                }
                Stmt::For(f) if f.is_async && f.iter.start() >= self.from => {
                    self.found = Some(f.iter.range());
                }
                Stmt::With(w) if w.is_async && w.start() >= self.from => {
                    self.found = Some(w.items.first().map_or(w.range(), Ranged::range));
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if self.found.is_some() {
                return;
            }
            match expr {
                Expr::Await(_) if self.inside(expr.range()) => self.found = Some(expr.range()),
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut gap = Gap {
        from,
        to,
        found: None,
        in_try: 0,
    };
    gap.visit_body(body);
    gap.found
}

/// A statement after which control never reaches the next one: `return`, `raise`, or an `if`
/// whose every branch, `else` included, ends in one.
fn leaves(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Return(_) | Stmt::Raise(_) => true,
        Stmt::If(i) => {
            i.body.last().is_some_and(leaves)
                && i.elif_else_clauses.last().is_some_and(|c| c.test.is_none())
                && i.elif_else_clauses
                    .iter()
                    .all(|c| c.body.last().is_some_and(leaves))
        }
        _ => false,
    }
}

fn last_name(id: &str) -> &str {
    id.rsplit('.').next().unwrap_or(id)
}

/// A function named at a call or spawn: by its name (`work`) or as a method of the caller's
/// class (`self.work`).
#[derive(Debug)]
struct Target {
    name: String,
    on_self: bool,
}

impl Target {
    fn of(expr: &Expr) -> Option<Target> {
        match expr {
            Expr::Name(n) => Some(Target {
                name: n.id.to_string(),
                on_self: false,
            }),
            Expr::Attribute(a) => match a.value.as_ref() {
                Expr::Name(n) if matches!(n.id.as_str(), "self" | "cls") => Some(Target {
                    name: a.attr.to_string(),
                    on_self: true,
                }),
                _ => None,
            },
            // `functools.partial(work, item)` runs `work`.
            Expr::Call(c) if last_segment(&c.func) == Some("partial") => {
                c.arguments.args.first().and_then(Target::of)
            }
            Expr::Lambda(l) => match l.body.as_ref() {
                Expr::Call(c) => Target::of(&c.func),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The module's functions `target` can name from a function of `class`: a method of that class
/// through `self`, otherwise a function outside any class.
fn callees(functions: &[Function<'_>], target: &Target, class: Option<&str>) -> Vec<usize> {
    (1..functions.len())
        .filter(|&i| {
            let f = &functions[i];
            last_name(&f.id) == target.name
                && if target.on_self {
                    class.is_some() && f.class.as_deref() == class
                } else {
                    f.class.is_none()
                }
        })
        .collect()
}

/// What a handler decorator says runs many calls of the function at once.
#[derive(Clone, Copy)]
enum HandlerKind {
    /// A web route: concurrent requests, and every worker process of the server.
    Request,
    /// A task-queue task: every worker process, and each worker's concurrent slots.
    Task,
    /// A bot's or server's event handler: one call per event.
    Event,
}

/// The decorator that makes the function a handler its framework runs many at a time.
fn handler(node: &ast::StmtFunctionDef) -> Option<Step> {
    let (at, kind, shown) = handler_kind(node)?;
    let why = match kind {
        HandlerKind::Request => {
            "handles requests: concurrent requests, and every worker process of the server, run it at once"
        }
        HandlerKind::Task => {
            "is a task-queue task: every worker process, and each worker's concurrent slots, run it at once"
        }
        HandlerKind::Event => {
            "handles bot or server events: one call per event, many in flight at once"
        }
    };
    Some((at, format!("`{}` (`@{shown}`) {why}", node.name.as_str())))
}

/// Whether a request, task or event handler decorator registers the function: its framework
/// calls it once per request, job or event, whatever its name says.
pub fn is_handler(node: &ast::StmtFunctionDef) -> bool {
    handler_kind(node).is_some()
}

/// How the code spells the decorator that makes the function a request handler of a web app
/// or router (`app.route`, `router.post`), if one does.
pub fn request_route(node: &ast::StmtFunctionDef) -> Option<String> {
    match handler_kind(node)? {
        (_, HandlerKind::Request, shown) => Some(shown),
        _ => None,
    }
}

/// The handler decorator of the function, what kind it is, and how the code spells it.
fn handler_kind(node: &ast::StmtFunctionDef) -> Option<(TextRange, HandlerKind, String)> {
    let table = &frameworks::table().handler_decorators;
    for d in &node.decorator_list {
        let func = match &d.expression {
            Expr::Call(c) => c.func.as_ref(),
            other => other,
        };
        let Some(verb) = last_segment(func) else {
            continue;
        };
        let is = |list: &[String]| list.iter().any(|v| v == verb);
        // A bare `@get` is some other decorator; routes are methods of an app or router.
        let on_object = matches!(func, Expr::Attribute(_));
        // `@app.on_event("startup")` runs once, while the application starts.
        if matches!(&d.expression, Expr::Call(c) if crate::lint::project::startup::names_startup_event(c))
        {
            continue;
        }
        let kind = if is(&table.request) && on_object {
            HandlerKind::Request
        } else if is(&table.task) {
            HandlerKind::Task
        } else if is(&table.event) && on_object {
            HandlerKind::Event
        } else {
            continue;
        };
        let shown = crate::lint::blocks::dotted(func).unwrap_or_else(|| verb.to_string());
        return Some((d.range(), kind, shown));
    }
    None
}

struct Spawn {
    at: TextRange,
    target: Target,
    /// The call that starts it (`Thread`, `submit`, `gather`).
    how: String,
    /// The call runs its function once per item by itself (`pool.map`).
    mapping: bool,
}

impl Spawn {
    fn describe(&self, name: &str) -> String {
        if self.mapping {
            format!("`{}` runs `{name}` for every item at once", self.how)
        } else {
            format!(
                "`{}` starts `{name}` once per item of a loop: the copies run at once",
                self.how
            )
        }
    }
}

struct Call {
    at: TextRange,
    target: Target,
    /// The spawn that runs it (`Process`, `to_thread`), when it is not called directly.
    started_by: Option<String>,
}

/// Spawns of one concurrent run per item, and calls of the module's functions.
#[derive(Default)]
struct Sites {
    spawns: Vec<Spawn>,
    calls: Vec<Call>,
    /// The module imports Gradio: `component.click(fn, ...)` registers an event listener.
    imports_gradio: bool,
    /// Gradio event listeners: the registration, the function and the event's name.
    gradio_listeners: Vec<(TextRange, Target, String)>,
    /// The names python-telegram-bot's `run_async` decorator is imported as.
    ptb_run_async: Vec<String>,
    /// The module imports python-telegram-bot: `CommandHandler("x", f, run_async=True)`
    /// registers a callback its dispatcher runs on a worker thread.
    imports_telegram: bool,
    /// Callbacks registered with `run_async=True`: the registration and the function.
    ptb_threaded: Vec<(TextRange, Target)>,
    /// Loops and comprehensions around the walk, within the current function.
    repeating: u32,
    /// The spawn call being awaited right where it is made (`await asyncio.to_thread(save)`).
    awaited: Option<TextRange>,
    /// Spawn calls whose task is kept and awaited further down the same block
    /// (`task = create_task(poll()); await task`).
    awaited_later: Vec<TextRange>,
}

impl Sites {
    fn spawn(&mut self, call: &ast::ExprCall) {
        let table = frameworks::table();
        let Some(how) = last_segment(&call.func) else {
            return;
        };
        if !table.spawn_calls.iter().any(|s| s == how) {
            return;
        }
        let mapping = table.mapping_calls.iter().any(|s| s == how);
        // `await asyncio.to_thread(save)` in a loop: each copy ends before the loop goes on, so
        // one runs at a time, as with a plain call of `save`. A spawn outside any loop starts one
        // copy each time its caller runs: also a call, which carries the caller's evidence (a
        // route that starts a process per request).
        // So does `task = create_task(poll()); await task`: the loop waits for it.
        let one_at_a_time = !mapping
            && (self.awaited == Some(call.range())
                || self.awaited_later.contains(&call.range())
                || self.repeating == 0);
        let args = &call.arguments.args;
        let keyword = |name: &str| call.arguments.find_keyword(name).map(|k| &k.value);
        let mut targets: Vec<&Expr> = Vec::new();
        match how {
            "Thread" | "Process" => targets.extend(keyword("target")),
            "Timer" => targets.extend(keyword("function").or(args.get(1))),
            "run_in_executor" => targets.extend(args.get(1)),
            "create_task" | "ensure_future" | "gather" | "start_soon" | "spawn" => {
                for arg in args.iter() {
                    called_in(arg, &mut targets);
                }
                if how == "start_soon" || how == "spawn" {
                    targets.extend(args.first());
                }
            }
            _ => targets.extend(args.first()),
        }
        // `map` alone is the builtin: one call after another, not at once.
        if how == "map" && matches!(call.func.as_ref(), Expr::Name(_)) {
            return;
        }
        for t in targets {
            if let Some(target) = Target::of(t) {
                if one_at_a_time {
                    self.calls.push(Call {
                        at: call.range(),
                        target,
                        started_by: Some(how.to_string()),
                    });
                    continue;
                }
                self.spawns.push(Spawn {
                    at: call.range(),
                    target,
                    how: how.to_string(),
                    mapping,
                });
            }
        }
    }
}

/// The calls bound to a name or attribute in some block of `stmts` (nested blocks and
/// definitions included) whose value a later statement of that block awaits: `task =
/// create_task(poll()); await task`, `await asyncio.wait_for(task, 5)`.
fn awaited_later(stmts: &[Stmt], out: &mut Vec<TextRange>) {
    for (i, stmt) in stmts.iter().enumerate() {
        if let Some((target, Expr::Call(call))) = crate::lint::blocks::single_assignment(stmt) {
            let target = ComparableExpr::from(target);
            let mut awaits = false;
            crate::lint::blocks::for_each_stmt(&stmts[i + 1..], &mut |later| {
                awaits = awaits
                    || awaited_value(later).is_some_and(|v| ComparableExpr::from(v) == target);
            });
            if awaits {
                out.push(call.range());
            }
        }
        match stmt {
            Stmt::FunctionDef(f) => awaited_later(&f.body, out),
            Stmt::ClassDef(c) => awaited_later(&c.body, out),
            other => crate::lint::blocks::for_each_child_block(other, &mut |block| {
                awaited_later(block, out)
            }),
        }
    }
}

/// What a statement awaits on its own: `await x`, `y = await x`, `await asyncio.wait_for(x, t)`
/// (also `shield`): `x`.
fn awaited_value(stmt: &Stmt) -> Option<&Expr> {
    let value = match stmt {
        Stmt::Expr(e) => e.value.as_ref(),
        Stmt::Return(r) => r.value.as_deref()?,
        other => crate::lint::blocks::single_assignment(other)?.1,
    };
    let Expr::Await(a) = value else {
        return None;
    };
    match a.value.as_ref() {
        Expr::Call(c) if matches!(last_segment(&c.func), Some("wait_for" | "shield")) => {
            c.arguments.args.first()
        }
        other => Some(other),
    }
}

/// The functions called in a coroutine argument: `work(x)`, `*[work(x) for x in xs]`.
fn called_in<'a>(arg: &'a Expr, out: &mut Vec<&'a Expr>) {
    match arg {
        Expr::Call(c) => out.push(&c.func),
        Expr::Starred(s) => called_in(&s.value, out),
        Expr::ListComp(c) => called_in(&c.elt, out),
        Expr::Generator(c) => called_in(&c.elt, out),
        Expr::SetComp(c) => called_in(&c.elt, out),
        Expr::Await(a) => called_in(&a.value, out),
        _ => {}
    }
}

impl<'a> Visitor<'a> for Sites {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                let outer = std::mem::take(&mut self.repeating);
                visitor::walk_stmt(self, stmt);
                self.repeating = outer;
            }
            s if crate::lint::blocks::repeats_stmt(s) => {
                self.repeating += 1;
                visitor::walk_stmt(self, stmt);
                self.repeating -= 1;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            e if crate::lint::blocks::repeats_expr(e) => {
                self.repeating += 1;
                visitor::walk_expr(self, expr);
                self.repeating -= 1;
                return;
            }
            Expr::Await(a) => {
                if let Expr::Call(call) = a.value.as_ref() {
                    self.awaited = Some(call.range());
                }
            }
            Expr::Call(call) => {
                self.spawn(call);
                if self.imports_gradio {
                    if let Some(listener) = gradio_listener(call) {
                        self.gradio_listeners.push(listener);
                    }
                }
                if self.imports_telegram {
                    for target in ptb_threaded_callbacks(call) {
                        self.ptb_threaded.push((call.range(), target));
                    }
                }
                if let Some(target) = Target::of(&call.func) {
                    self.calls.push(Call {
                        at: call.range(),
                        target,
                        started_by: None,
                    });
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// The events of Gradio components and apps whose listeners the server runs per event, each on
/// a thread of its worker pool.
const GRADIO_EVENTS: &[&str] = &[
    "click", "change", "submit", "input", "upload", "select", "release", "blur", "focus", "clear",
    "like", "edit", "load", "then", "success", "stream", "tick",
];

/// `button.click(fn, inputs, outputs)`, `demo.load(fn=refresh)`: a listener registered for a
/// Gradio event, with the event's name.
fn gradio_listener(call: &ast::ExprCall) -> Option<(TextRange, Target, String)> {
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let event = method.attr.as_str();
    if !GRADIO_EVENTS.contains(&event) {
        return None;
    }
    let listener = call
        .arguments
        .args
        .first()
        .or_else(|| call.arguments.find_keyword("fn").map(|k| &k.value))?;
    Some((call.range(), Target::of(listener)?, event.to_string()))
}

/// The local names of python-telegram-bot's `run_async` decorator (`from telegram.ext import
/// run_async`, `from telegram.ext.dispatcher import run_async as threaded`); other libraries'
/// `run_async` helpers (an event loop runner) run nothing at once.
fn ptb_run_async_names(suite: &[Stmt]) -> Vec<String> {
    crate::lint::blocks::module_level(suite)
        .into_iter()
        .filter_map(|s| match s {
            Stmt::ImportFrom(i)
                if i.level == 0
                    && i.module.as_ref().is_some_and(|m| {
                        matches!(m.as_str(), "telegram.ext" | "telegram.ext.dispatcher")
                    }) =>
            {
                Some(
                    i.names
                        .iter()
                        .filter(|a| a.name.as_str() == "run_async")
                        .map(|a| a.asname.as_ref().unwrap_or(&a.name).as_str().to_string()),
                )
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// `@run_async` under a name the module imported it as, or spelled out in full
/// (`@telegram.ext.dispatcher.run_async`).
fn is_ptb_run_async(decorator: &Expr, names: &[String]) -> bool {
    match decorator {
        Expr::Name(n) => names.iter().any(|x| x == n.id.as_str()),
        other => crate::lint::blocks::dotted(other).is_some_and(|d| {
            matches!(
                d.as_str(),
                "telegram.ext.run_async" | "telegram.ext.dispatcher.run_async"
            )
        }),
    }
}

/// `CommandHandler("ban", ban, run_async=True)`, `CallbackQueryHandler(button, pattern=...,
/// run_async=True)`, `MessageHandler(filters, callback=f, run_async=True)`: the callback of a
/// python-telegram-bot handler (a class whose name ends in `Handler`) registered to run on the
/// dispatcher's worker threads. Its position differs between handler classes, so every
/// argument that names a function is a candidate; the caller keeps those the module defines.
fn ptb_threaded_callbacks(call: &ast::ExprCall) -> Vec<Target> {
    if !last_segment(&call.func).is_some_and(|n| n.ends_with("Handler")) {
        return Vec::new();
    }
    let keyword = |name: &str| call.arguments.find_keyword(name).map(|k| &k.value);
    if !matches!(keyword("run_async"), Some(Expr::BooleanLiteral(b)) if b.value) {
        return Vec::new();
    }
    call.arguments
        .args
        .iter()
        .chain(keyword("callback"))
        .filter_map(Target::of)
        .collect()
}

/// A handler is defined anywhere in `stmts`: Flask blueprints are often built inside a function.
fn any_handler(stmts: &[Stmt]) -> bool {
    let mut found = false;
    crate::lint::blocks::walk_blocks(stmts, &mut |s| {
        found = found
            || match s {
                Stmt::FunctionDef(f) => handler(f).is_some() || any_handler(&f.body),
                Stmt::ClassDef(c) => any_handler(&c.body),
                _ => false,
            };
        !found
    });
    found
}

/// The first module-level function a server or worker calls per request or task (`@app.post`,
/// `@celery.task`), as the code spells its decorator: a module of routes is loaded by a server
/// (`uvicorn server:app`) that keeps it for the life of its process, though nothing in the
/// module itself runs a loop.
pub fn served_route(suite: &[Stmt]) -> Option<(String, TextRange)> {
    suite.iter().find_map(|s| match s {
        Stmt::FunctionDef(f) => match handler_kind(f)? {
            (at, HandlerKind::Request | HandlerKind::Task, shown) => Some((shown, at)),
            _ => None,
        },
        _ => None,
    })
}

/// Calls that functions of this module which run concurrently (a route, a task, an event
/// handler, or a function one of them calls or starts) make to functions imported from other
/// modules: (the callee's qualified name, the call, the evidence as one sentence). A
/// read-modify-write in the callee runs concurrently too. Only modules with a handler are
/// walked: elsewhere no chain can start.
pub fn handler_calls(
    suite: &[Stmt],
    semantic: &crate::lint::semantic::SemanticModel<'_>,
) -> Vec<(String, TextRange, String)> {
    struct Calls<'c> {
        out: Vec<&'c ast::ExprCall>,
    }
    impl<'c> Visitor<'c> for Calls<'c> {
        fn visit_stmt(&mut self, stmt: &'c Stmt) {
            // A nested definition runs when it is called, which its own chain decides.
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'c Expr) {
            if let Expr::Call(call) = expr {
                if matches!(call.func.as_ref(), Expr::Name(_) | Expr::Attribute(_)) {
                    self.out.push(call);
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    if !any_handler(suite) {
        return Vec::new();
    }
    let functions = super::collect_functions(suite);
    let runs = ConcurrentRuns::collect(&functions);
    let mut out = Vec::new();
    for (i, f) in functions.iter().enumerate().skip(1) {
        let chain = &runs.chains[i];
        let Some(node) = f.node.filter(|_| !chain.is_empty()) else {
            continue;
        };
        let why = if chain.len() == 1 {
            format!("called here by a handler: {}", chain[0].1)
        } else {
            let steps: Vec<&str> = chain.iter().map(|(_, m)| m.as_str()).collect();
            format!(
                "called here by `{}`, which runs concurrently: {}",
                last_name(&f.id),
                steps.join("; ")
            )
        };
        let scope = semantic
            .scope_of(node)
            .unwrap_or(crate::lint::semantic::ScopeId::MODULE);
        let mut calls = Calls { out: Vec::new() };
        calls.visit_body(&node.body);
        for call in calls.out {
            if let Some(q) = semantic.qualified_name(scope, &call.func) {
                if !q.starts_with("builtins.") {
                    out.push((q, call.range(), why.clone()));
                }
            }
        }
    }
    out
}
