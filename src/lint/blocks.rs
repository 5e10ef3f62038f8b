//! Walking statement blocks without entering function or class bodies: what runs at module
//! level, and the statements of one body with its nested `if`/`try`/`with`/loop blocks.

use ruff_python_ast::{self as ast, Expr, Stmt};

/// Statements that run at module level: the suite and the bodies of module-level `if`, `try`
/// and `with` (not loops, function or class bodies, nor an `if __name__ == "__main__":` block,
/// which is a script's entry point rather than module state).
pub fn module_level(suite: &[Stmt]) -> Vec<&Stmt> {
    let mut out = Vec::new();
    walk_blocks(suite, &mut |s| {
        out.push(s);
        match s {
            Stmt::If(i) => !is_main_guard(&i.test),
            Stmt::For(_) | Stmt::While(_) | Stmt::Match(_) => false,
            _ => true,
        }
    });
    out
}

pub fn is_main_guard(test: &Expr) -> bool {
    let Expr::Compare(cmp) = test else {
        return false;
    };
    is_name(&cmp.left, "__name__")
        && matches!(cmp.comparators.first(), Some(Expr::StringLiteral(s)) if s.value.to_str() == "__main__")
}

/// The module's top-level `import package` or `from package... import` statement.
pub fn top_level_import<'s>(suite: &'s [Stmt], package: &str) -> Option<&'s Stmt> {
    suite.iter().find(|s| match s {
        Stmt::Import(i) => i
            .names
            .iter()
            .any(|a| a.name.split('.').next() == Some(package)),
        Stmt::ImportFrom(i) => {
            i.level == 0
                && i.module
                    .as_ref()
                    .is_some_and(|m| m.split('.').next() == Some(package))
        }
        _ => false,
    })
}

/// Calls `f` on every statement of a body, nested blocks included, nested defs excluded.
pub fn for_each_stmt<'s>(stmts: &'s [Stmt], f: &mut dyn FnMut(&'s Stmt)) {
    walk_blocks(stmts, &mut |s| {
        f(s);
        true
    });
}

/// Calls `visit` on each statement and descends into its blocks (`if`, `try`, `with`, loops,
/// `match`; never function or class bodies) when `visit` returns true.
pub fn walk_blocks<'s>(stmts: &'s [Stmt], visit: &mut dyn FnMut(&'s Stmt) -> bool) {
    for s in stmts {
        if visit(s) {
            for_each_child_block(s, &mut |block| walk_blocks(block, visit));
        }
    }
}

/// Calls `visit` on each statement list directly inside a compound statement: the branches of
/// `if`, the body, handlers, `else` and `finally` of `try`, the body of `with`, loops with their
/// `else`, the cases of `match`. Function and class bodies are not blocks of their statement.
pub fn for_each_child_block<'s>(s: &'s Stmt, visit: &mut dyn FnMut(&'s [Stmt])) {
    match s {
        Stmt::If(i) => {
            visit(&i.body);
            for c in &i.elif_else_clauses {
                visit(&c.body);
            }
        }
        Stmt::Try(t) => {
            visit(&t.body);
            for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                visit(&h.body);
            }
            visit(&t.orelse);
            visit(&t.finalbody);
        }
        Stmt::With(w) => visit(&w.body),
        Stmt::For(l) => {
            visit(&l.body);
            visit(&l.orelse);
        }
        Stmt::While(l) => {
            visit(&l.body);
            visit(&l.orelse);
        }
        Stmt::Match(m) => {
            for case in &m.cases {
                visit(&case.body);
            }
        }
        _ => {}
    }
}

/// A loop test that holds until the process is told to stop: a true constant (`while True:`,
/// `while 1:`) or an event not yet set (`while not stop.is_set():`). A loop over a shrinking
/// work list or a counter ends by itself. Narrower than the project's test for an entry point
/// that keeps running (`facts::runs_until_stopped`, which also takes `while work:` or
/// `while not env.is_done():`): that one errs towards a long life, this one decides that a
/// growth repeats without end and so errs towards silence.
fn ends_only_when_stopped(test: &Expr) -> bool {
    match test {
        Expr::BooleanLiteral(b) => b.value,
        Expr::NumberLiteral(n) => matches!(&n.value, ast::Number::Int(i) if i.as_u8() == Some(1)),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => matches!(
            u.operand.as_ref(),
            Expr::Call(call) if call.arguments.is_empty()
                && matches!(call.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "is_set")
        ),
        _ => false,
    }
}

/// A loop test that reads a stop flag kept by the object itself, with or without `not`: an
/// attribute of `receiver` (`while self.running:`), a predicate method of it called without
/// arguments (`while self.is_running():`), or a method of one of its attributes
/// (`while not self._stop.is_set():`). Whoever owns the object ends such a loop; the loop does
/// not end by itself.
pub fn tests_flag_on(test: &Expr, receiver: &str) -> bool {
    let flag = |e: &Expr| match e {
        Expr::Attribute(a) => is_name(&a.value, receiver),
        Expr::Call(c) => matches!(c.func.as_ref(), Expr::Attribute(m)
            if is_name(&m.value, receiver) && c.arguments.is_empty()
                || matches!(m.value.as_ref(), Expr::Attribute(a) if is_name(&a.value, receiver))),
        _ => false,
    };
    match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => flag(&u.operand),
        other => flag(other),
    }
}

/// A `while` loop that repeats until the process is told to stop ([`ends_only_when_stopped`])
/// and does not count its way out (`counts_to_limit`): what runs in it repeats without end.
pub fn repeats_until_stopped(w: &ast::StmtWhile) -> bool {
    ends_only_when_stopped(&w.test) && !counts_to_limit(&w.body)
}

/// Function names under which a `while True:` (or `while self.<flag>:`) loop is the service
/// the object or program runs.
pub const SERVICE_LOOPS: &[&str] = &[
    "run",
    "_run",
    "run_forever",
    "serve_forever",
    "loop",
    "main",
    "start",
    "worker",
    "_worker",
];

/// The statements a service function runs before its loop (`def run(self): self.connect();
/// self.peers.append(seed); while self.running: ...`). The loop lasts until the process is
/// told to stop, so a call never comes back for another round: what precedes the loop runs
/// once per start of the service, not once per cycle. Only a function under a service name
/// (`SERVICE_LOOPS`) that takes no required argument counts; a handler of the same shape under
/// another name, or one handed its input (`run(self, conn)`), may be started once per
/// connection. Empty when the function has no such loop among its own statements.
pub fn service_prelude<'a>(f: &'a ast::StmtFunctionDef, receiver: Option<&str>) -> &'a [Stmt] {
    if requires_arguments(f, receiver.is_some()) || !SERVICE_LOOPS.contains(&f.name.as_str()) {
        return &[];
    }
    let endless = f.body.iter().position(|s| match s {
        Stmt::While(w) => runs_while_function_lives(f, receiver, w),
        _ => false,
    });
    endless.map_or(&[], |i| &f.body[..i])
}

/// A `while` loop of `f` that runs until the process, or the object `receiver` names, is told
/// to stop: `while True:`, `while not stop.is_set():`, `while self.running:`, or `while not
/// STOP:` on a flag another part of the program sets (a local the function sets itself, as in
/// `while not done:`, ends the loop by itself); and no counted limit or retry ends it
/// ([`counts_to_limit`]).
pub fn runs_while_function_lives(
    f: &ast::StmtFunctionDef,
    receiver: Option<&str>,
    w: &ast::StmtWhile,
) -> bool {
    let stop_flag = |test: &Expr| match test {
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => match u.operand.as_ref() {
            Expr::Attribute(_) => true,
            Expr::Name(n) => !binds_name(&f.body, n.id.as_str()),
            _ => false,
        },
        _ => false,
    };
    (ends_only_when_stopped(&w.test)
        || receiver.is_some_and(|r| tests_flag_on(&w.test, r))
        || stop_flag(&w.test))
        && !counts_to_limit(&w.body)
}

/// Whether a caller must pass `f` some argument: a parameter with no default, besides the
/// receiver when `skip_receiver`.
pub fn requires_arguments(f: &ast::StmtFunctionDef, skip_receiver: bool) -> bool {
    f.parameters
        .posonlyargs
        .iter()
        .chain(&f.parameters.args)
        .skip(usize::from(skip_receiver))
        .chain(&f.parameters.kwonlyargs)
        .any(|p| p.default.is_none())
}

/// A `while` loop whose test reads a local name that its own body assigns (`while not path or
/// not os.path.isfile(path): path = input(...)`): it goes round until what it computes meets
/// the test, and then ends by itself, as a prompt that repeats until the answer is valid.
pub fn ends_on_its_own_result(w: &ast::StmtWhile) -> bool {
    let mut names: Vec<&str> = Vec::new();
    collect_names(&w.test, &mut names);
    names.iter().any(|n| binds_name(&w.body, n))
}

/// The plain names an expression reads, outside calls' callees (`os` of `os.path.isfile(p)`).
fn collect_names<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match e {
        Expr::Name(n) => out.push(n.id.as_str()),
        Expr::UnaryOp(u) => collect_names(&u.operand, out),
        Expr::BoolOp(b) => b.values.iter().for_each(|v| collect_names(v, out)),
        Expr::Compare(c) => {
            collect_names(&c.left, out);
            c.comparators.iter().for_each(|v| collect_names(v, out));
        }
        Expr::Call(c) => c.arguments.args.iter().for_each(|a| collect_names(a, out)),
        _ => {}
    }
}

/// Some statement of `body`, nested blocks included, assigns to the plain name `name`.
fn binds_name(body: &[Stmt], name: &str) -> bool {
    let mut found = false;
    for_each_stmt(body, &mut |s| {
        let targets: Vec<&Expr> = match s {
            Stmt::Assign(a) => a.targets.iter().collect(),
            Stmt::AugAssign(a) => vec![a.target.as_ref()],
            Stmt::AnnAssign(a) => vec![a.target.as_ref()],
            _ => Vec::new(),
        };
        found |= targets.into_iter().any(|t| is_name(t, name));
    });
    found
}

/// A `break` or `return` under an ordering comparison (`if i >= max_turns: break`): the loop
/// counts to a limit and ends by itself. So does one that leaves when the iterator it consumes
/// runs out (`except StopIteration: break`), one that breaks on its straight path, and a retry
/// loop that leaves once an attempt succeeds (`while True: try: content = extract(fp); break` /
/// `except Timeout: continue`): its work is one task, however many attempts it takes. So does one
/// that leaves when a wait times out or a queue is empty (a timer, a drain). Loops nested inside
/// are their own.
pub fn counts_to_limit(body: &[Stmt]) -> bool {
    fn leaves(body: &[Stmt]) -> bool {
        let mut found = false;
        walk_blocks(body, &mut |s| {
            found |= matches!(s, Stmt::Break(_) | Stmt::Return(_));
            !matches!(s, Stmt::For(_) | Stmt::While(_))
        });
        found
    }
    fn orders(test: &Expr) -> bool {
        match test {
            Expr::Compare(c) => c.ops.iter().any(|op| {
                matches!(
                    op,
                    ast::CmpOp::Lt | ast::CmpOp::LtE | ast::CmpOp::Gt | ast::CmpOp::GtE
                )
            }),
            Expr::BoolOp(b) => b.values.iter().any(orders),
            _ => false,
        }
    }
    /// The last part of each exception name a handler catches (`queue.Empty`: `Empty`);
    /// `None` for one that is no plain name, nothing for a bare `except:`.
    fn caught(h: &ast::ExceptHandlerExceptHandler) -> Vec<Option<&str>> {
        match h.type_.as_deref() {
            Some(Expr::Tuple(t)) => t.elts.iter().map(last_segment).collect(),
            Some(e) => vec![last_segment(e)],
            None => Vec::new(),
        }
    }
    fn exhausted(handler: &ast::ExceptHandler) -> bool {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        caught(h)
            .iter()
            .any(|n| matches!(n, Some("StopIteration" | "StopAsyncIteration")))
            && leaves(&h.body)
    }
    // A wait that gives up when nothing comes (`except TimeoutError: fire(); break`,
    // `except queue.Empty: return`): the loop runs until things go quiet, a timer or a drain.
    fn quiet(handler: &ast::ExceptHandler) -> bool {
        let ast::ExceptHandler::ExceptHandler(h) = handler;
        let names = caught(h);
        !names.is_empty()
            && names
                .iter()
                .all(|n| matches!(n, Some("TimeoutError" | "Timeout" | "timeout" | "Empty")))
            && h.body
                .iter()
                .any(|s| matches!(s, Stmt::Break(_) | Stmt::Return(_)))
    }
    // A `break` on the loop's own straight path: it runs once, `continue` aside.
    let mut found = body.iter().any(|s| matches!(s, Stmt::Break(_)));
    walk_blocks(body, &mut |s| {
        match s {
            Stmt::If(i) => found |= orders(&i.test) && leaves(&i.body),
            Stmt::Try(t) => {
                found |= t.handlers.iter().any(|h| exhausted(h) || quiet(h)) || retries(t)
            }
            _ => {}
        }
        !matches!(s, Stmt::For(_) | Stmt::While(_))
    });
    found
}

/// A `try` with handlers whose body (or `else`) ends the loop on its own straight path: the
/// attempt succeeded, so the loop is done; a failure goes round again. An attempt that waits
/// (`await asyncio.wait_for(stop.wait(), timeout=...)`; `break`) is a service's pause that ends
/// when it is told to stop, not work being retried.
fn retries(t: &ast::StmtTry) -> bool {
    let ends = |body: &[Stmt]| {
        body.iter()
            .any(|s| matches!(s, Stmt::Break(_) | Stmt::Return(_)))
    };
    let waits = calls_in(&t.body).into_iter().any(|c| {
        matches!(c.func.as_ref(), Expr::Attribute(a) if matches!(a.attr.as_str(), "wait" | "wait_for"))
            || matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == "wait_for")
    });
    !t.handlers.is_empty() && !waits && (ends(&t.body) || ends(&t.orelse))
}

/// A loop that reads from a connection with nothing inside it to outlive the connection's end
/// (`while True: data = await ws.receive_bytes()`, no `try` with handlers around the read)
/// stops when the peer closes or the read fails: it serves one connection, and lasts as long as
/// that connection. So does one whose handlers around the read all leave the loop
/// (`except ConnectionClosed: break`). A loop that catches the failure and goes round again (to
/// reconnect) keeps running.
pub fn reads_until_closed(body: &[Stmt]) -> bool {
    let reads = |e: &Expr| {
        let mut calls = Vec::new();
        collect_calls(e, &mut calls);
        calls.iter().any(|c| {
            matches!(c.func.as_ref(), Expr::Attribute(a)
                if a.attr.starts_with("recv") || a.attr.starts_with("receive")
                    // trio-websocket's read; not redis-py's `pubsub.get_message()`, which polls
                    || (a.attr.as_str() == "get_message" && names_a_websocket(&a.value)))
        })
    };
    let leaves = |t: &ast::StmtTry| {
        t.handlers
            .iter()
            .all(|ast::ExceptHandler::ExceptHandler(h)| {
                h.body
                    .iter()
                    .any(|s| matches!(s, Stmt::Break(_) | Stmt::Return(_) | Stmt::Raise(_)))
            })
    };
    let mut found = false;
    walk_blocks(body, &mut |s| {
        match s {
            Stmt::Expr(e) => found |= reads(&e.value),
            Stmt::Assign(a) => found |= reads(&a.value),
            Stmt::AnnAssign(a) => found |= a.value.as_deref().is_some_and(reads),
            _ => {}
        }
        match s {
            // A read a handler survives, or one in a nested loop, is not this loop's end.
            Stmt::Try(t) => leaves(t),
            Stmt::For(_) | Stmt::While(_) => false,
            _ => true,
        }
    });
    found
}

/// `ws`, `websocket`, `self._websocket`: a receiver named for a websocket.
fn names_a_websocket(receiver: &Expr) -> bool {
    let Some(name) = last_segment(receiver) else {
        return false;
    };
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    name == "ws" || name.ends_with("websocket")
}

/// Each round waits for a person to type (`command = input("> ")`, `self.session.prompt(...)`
/// of prompt_toolkit, rich's `Prompt.ask(...)` or `console.input(...)`, at the loop's own level
/// or in its `try`): an interactive session, paced by its user, which ends when the user
/// leaves. What each round adds is one entry per thing the user typed.
pub fn prompts_each_round(body: &[Stmt]) -> bool {
    // A prompt's text is fixed or built by a call of its own (`self.get_prompt()`); a method
    // of the same name handed the program's data (`model.prompt(text)`, an f-string of it)
    // asks a model instead.
    let prompt_text = |c: &ast::ExprCall| {
        c.arguments.args.iter().all(|a| match a {
            Expr::StringLiteral(_) => true,
            Expr::Call(inner) => inner.arguments.args.is_empty(),
            _ => false,
        })
    };
    let prompts = |e: &Expr| {
        let mut calls = Vec::new();
        collect_calls(e, &mut calls);
        calls.iter().any(|c| match c.func.as_ref() {
            Expr::Name(n) => n.id.as_str() == "input",
            // rich's `Prompt.ask(...)`, by its classes: `agent.ask("Next step?")` asks a model.
            Expr::Attribute(a) if a.attr.as_str() == "ask" => {
                matches!(a.value.as_ref(), Expr::Name(n)
                    if matches!(n.id.as_str(), "Prompt" | "Confirm" | "IntPrompt" | "FloatPrompt"))
            }
            Expr::Attribute(a) => {
                matches!(a.attr.as_str(), "prompt" | "prompt_async" | "input") && prompt_text(c)
            }
            _ => false,
        })
    };
    let mut found = false;
    walk_blocks(body, &mut |s| {
        if let Some((_, value)) = single_assignment(s) {
            found |= prompts(value);
        }
        // The loop's own statements and its `try`, not a branch or a nested loop.
        matches!(s, Stmt::Try(_))
    });
    found
}

/// The loop pages through results: it fetches a page into a name, leaves when the page is
/// empty (`if not items: break`) and advances a counter (`page += 1`, `offset += len(items)`).
/// It ends when the listing does.
pub fn pages_until_empty(body: &[Stmt]) -> bool {
    let mut fetched: Vec<&str> = Vec::new();
    let mut leaves_on_empty = false;
    let mut advances = false;
    for stmt in body {
        match stmt {
            Stmt::AugAssign(a) => {
                advances |=
                    a.op == ast::Operator::Add && matches!(a.target.as_ref(), Expr::Name(_));
            }
            Stmt::If(i) => leaves_on_empty |= breaks_when_empty(i, &fetched),
            _ => {
                if let Some((Expr::Name(n), value)) = single_assignment(stmt) {
                    let value = match value {
                        Expr::Await(a) => a.value.as_ref(),
                        other => other,
                    };
                    if matches!(value, Expr::Call(_) | Expr::Subscript(_)) {
                        fetched.push(n.id.as_str());
                    }
                }
            }
        }
    }
    leaves_on_empty && advances
}

/// The loop reads a chunk into a name and leaves when the chunk is empty (`data =
/// os.read(fd, 4096)` / `line = f.readline()` / `chunk = sock.recv(n)`, then `if not data:
/// break`): it ends with its input, a file read to its end or a peer that hung up.
pub fn reads_to_the_end(body: &[Stmt]) -> bool {
    let mut read_into: Vec<&str> = Vec::new();
    for stmt in body {
        if let Some((Expr::Name(n), value)) = single_assignment(stmt) {
            let value = match value {
                Expr::Await(a) => a.value.as_ref(),
                other => other,
            };
            if let Expr::Call(c) = value {
                if let Expr::Attribute(a) = c.func.as_ref() {
                    if matches!(
                        a.attr.as_str(),
                        "read" | "readline" | "read1" | "recv" | "readexactly"
                    ) {
                        read_into.push(n.id.as_str());
                    }
                }
            }
            continue;
        }
        if let Stmt::If(i) = stmt {
            if breaks_when_empty(i, &read_into) {
                return true;
            }
        }
    }
    false
}

/// `if not x: break` (or `if x is None: break`, `if x == "": break`) for `x` one of `names`, or
/// `if x: ... else: break` (`if x is not None:`): the loop leaves when what it got is empty.
fn breaks_when_empty(i: &ast::StmtIf, names: &[&str]) -> bool {
    let only_break = |body: &[Stmt]| matches!(body, [Stmt::Break(_)]);
    match tests_empty(&i.test, names) {
        Some(true) => only_break(&i.body),
        Some(false) => matches!(i.elif_else_clauses.as_slice(),
            [ast::ElifElseClause { test: None, body, .. }] if only_break(body)),
        None => false,
    }
}

/// `Some(true)` when `test` holds if the name of `names` it tests is empty or `None` (`not x`,
/// `x is None`, `x == ""`); `Some(false)` when it holds if the name has something (`x`,
/// `x is not None`, `x != b""`).
fn tests_empty(test: &Expr, names: &[&str]) -> Option<bool> {
    let named = |e: &Expr| matches!(e, Expr::Name(n) if names.contains(&n.id.as_str()));
    match test {
        e if named(e) => Some(false),
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => tests_empty(&u.operand, names).map(|t| !t),
        Expr::Compare(c) if named(&c.left) => {
            let ([op], [right]) = (&c.ops[..], &c.comparators[..]) else {
                return None;
            };
            let empty = match right {
                Expr::NoneLiteral(_) => true,
                Expr::StringLiteral(s) => s.value.is_empty(),
                Expr::BytesLiteral(b) => b.value.is_empty(),
                _ => return None,
            };
            if !empty {
                return None;
            }
            match op {
                ast::CmpOp::Is | ast::CmpOp::Eq => Some(true),
                ast::CmpOp::IsNot | ast::CmpOp::NotEq => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Calls inside an expression, innermost first (arguments are evaluated before the call).
pub fn collect_calls<'a>(expr: &'a Expr, out: &mut Vec<&'a ast::ExprCall>) {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Calls<'v, 'a>(&'v mut Vec<&'a ast::ExprCall>);
    impl<'a> Visitor<'a> for Calls<'_, 'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Lambda(_) => {}
                Expr::Call(call) => {
                    visitor::walk_expr(self, expr);
                    self.0.push(call);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    Calls(out).visit_expr(expr);
}

/// Local names stored to exactly once in a function body (outside nested definitions), by a
/// plain `name = value` (or `name: T = value`), with that value: only those hold one value for the whole body, whatever
/// branch ran.
pub fn bound_once(body: &[Stmt]) -> Vec<(&str, &Expr)> {
    use ruff_python_ast::visitor::{self, Visitor};
    #[derive(Default)]
    struct Stores<'a> {
        names: Vec<&'a str>,
        assigned: Vec<(&'a str, &'a Expr)>,
    }
    impl<'a> Visitor<'a> for Stores<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                Stmt::Assign(a) => {
                    if let [Expr::Name(n)] = a.targets.as_slice() {
                        self.assigned.push((n.id.as_str(), &a.value));
                    }
                    visitor::walk_stmt(self, stmt);
                }
                // `conversations: dict[str, list] = {...}` binds the same way.
                Stmt::AnnAssign(a) => {
                    if let (Expr::Name(n), Some(value)) = (a.target.as_ref(), a.value.as_deref()) {
                        self.assigned.push((n.id.as_str(), value));
                    }
                    visitor::walk_stmt(self, stmt);
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                if n.ctx == ast::ExprContext::Store {
                    self.names.push(n.id.as_str());
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut stores = Stores::default();
    stores.visit_body(body);
    let mut stores_of: rustc_hash::FxHashMap<&str, u32> = Default::default();
    for n in &stores.names {
        *stores_of.entry(n).or_default() += 1;
    }
    stores
        .assigned
        .into_iter()
        .filter(|(n, _)| stores_of.get(n) == Some(&1))
        .collect()
}

pub fn single_assignment(stmt: &Stmt) -> Option<(&Expr, &Expr)> {
    match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => Some((&a.targets[0], &a.value)),
        Stmt::AnnAssign(a) => a.value.as_deref().map(|v| (a.target.as_ref(), v)),
        _ => None,
    }
}

pub fn first_param(func: &ast::StmtFunctionDef) -> Option<&str> {
    let is_static = func
        .decorator_list
        .iter()
        .any(|d| matches!(&d.expression, Expr::Name(n) if n.id.as_str() == "staticmethod"));
    if is_static {
        return None;
    }
    func.parameters
        .posonlyargs
        .first()
        .or(func.parameters.args.first())
        .map(|p| p.parameter.name.as_str())
}

/// The names an assignment or `for` target binds: `k`, `(k, v)`, `[a, *rest]`.
pub fn bound_names(target: &Expr, out: &mut Vec<String>) {
    match target {
        Expr::Name(n) => out.push(n.id.to_string()),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| bound_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| bound_names(e, out)),
        Expr::Starred(s) => bound_names(&s.value, out),
        _ => {}
    }
}

/// `False` or `None`: a flag's value when it is off.
pub fn is_off_literal(expr: &Expr) -> bool {
    expr.is_none_literal_expr() || matches!(expr, Expr::BooleanLiteral(b) if !b.value)
}

/// `@name.setter`, `@name.getter`, `@name.deleter`: another accessor of the property `name`.
pub fn is_property_accessor(decorator: &Expr) -> bool {
    matches!(decorator, Expr::Attribute(a)
        if matches!(a.value.as_ref(), Expr::Name(_))
            && matches!(a.attr.as_str(), "setter" | "getter" | "deleter"))
}

pub fn is_name(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Name(n) if n.id.as_str() == name)
}

/// `self.<attr>` as written with the method's receiver name: the attribute's name.
pub fn self_attr<'e>(expr: &'e Expr, self_name: &str) -> Option<&'e str> {
    match expr {
        Expr::Attribute(a) if is_name(&a.value, self_name) => Some(a.attr.as_str()),
        _ => None,
    }
}

/// Whether `expr` reads one of `names` anywhere inside it.
pub fn uses_any_name(expr: &Expr, names: &[&str]) -> bool {
    let mut f = NameFinder {
        names,
        found: false,
    };
    ruff_python_ast::visitor::Visitor::visit_expr(&mut f, expr);
    f.found
}

/// Whether a body, nested definitions included, loads one of `names`: a closure that uses the
/// method's `self`.
pub fn body_uses_any_name(body: &[Stmt], names: &[&str]) -> bool {
    let mut f = NameFinder {
        names,
        found: false,
    };
    ruff_python_ast::visitor::Visitor::visit_body(&mut f, body);
    f.found
}

struct NameFinder<'n> {
    names: &'n [&'n str],
    found: bool,
}

impl<'a> ruff_python_ast::visitor::Visitor<'a> for NameFinder<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Name(n) = expr {
            self.found |= self.names.contains(&n.id.as_str());
        }
        ruff_python_ast::visitor::walk_expr(self, expr);
    }
}

/// Methods that run at the edges of an object's life rather than in its working cycle: when it
/// is closed or collected (`close`, `shutdown`, `__del__`, `__exit__`), or when its whole state
/// is replaced from storage (`load`, `restore`, `load_from_disk`, `__setstate__`). A container
/// emptied only there still grows for as long as the object works, so such a removal is no
/// bound (the protocol names are the evidence, not a guess from a class name).
pub fn runs_at_life_edge(method: &str) -> bool {
    let name = method.trim_start_matches('_');
    name == "load" || fills_from_storage_or_ends(method)
}

/// The life-edge methods whose additions are no growth either: closing, or restoring a saved
/// state (`load_from_disk`, `restore`). A bare `load(key)` is left out: loaders are often called
/// once per key while the object works.
pub fn fills_from_storage_or_ends(method: &str) -> bool {
    let name = method.trim_start_matches('_');
    matches!(
        method,
        "__del__" | "__exit__" | "__aexit__" | "__setstate__" | "__getstate__"
    ) || matches!(
        name,
        "close" | "aclose" | "shutdown" | "ashutdown" | "restore" | "load_state"
    ) || name.starts_with("load_from")
}

/// `a.b.c` as text, when the chain starts with a name.
pub fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => {
            let mut base = dotted(&a.value)?;
            base.push('.');
            base.push_str(a.attr.as_str());
            Some(base)
        }
        _ => None,
    }
}

/// A loop statement: its body runs once per item.
pub fn repeats_stmt(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::For(_) | Stmt::While(_))
}

/// A comprehension: its element runs once per item.
pub fn repeats_expr(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::Generator(_)
    )
}

/// Every call of a suite, in nested functions, classes and lambdas too.
pub fn all_calls(suite: &[Stmt]) -> Vec<&ast::ExprCall> {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Calls<'a>(Vec<&'a ast::ExprCall>);
    impl<'a> Visitor<'a> for Calls<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                self.0.push(call);
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut calls = Calls(Vec::new());
    calls.visit_body(suite);
    calls.0
}

/// A wait on an object made in the same expression, which nothing else can reach to end it:
/// `threading.Event().wait()`, `asyncio.Event().wait()` (awaited), `asyncio.Future()` (awaited).
/// The call never returns; a program parks its main task so while handlers do the work.
pub fn waits_forever(call: &ast::ExprCall) -> bool {
    let made = |e: &Expr, class: &str| matches!(e, Expr::Call(c) if c.arguments.is_empty() && last_segment(&c.func) == Some(class));
    if !call.arguments.is_empty() {
        return false;
    }
    match call.func.as_ref() {
        Expr::Attribute(a) if a.attr.as_str() == "wait" => made(&a.value, "Event"),
        func => last_segment(func) == Some("Future"),
    }
}

/// The last part of a name or dotted name (`asyncio.Event`: `Event`); `None` for anything else.
pub fn last_segment(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        _ => None,
    }
}

/// The statement of `body` itself that waits forever ([`waits_forever`]): awaited, or a
/// blocking `threading.Event().wait()` (an `asyncio.Future()` not awaited returns at once).
pub fn parking_statement(body: &[Stmt]) -> Option<&Stmt> {
    body.iter().find(|s| match s {
        Stmt::Expr(e) => match e.value.as_ref() {
            Expr::Await(a) => matches!(a.value.as_ref(), Expr::Call(c) if waits_forever(c)),
            Expr::Call(c) => {
                waits_forever(c)
                    && matches!(c.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "wait")
            }
            _ => false,
        },
        _ => false,
    })
}

/// Whether a statement of `body` itself waits forever ([`parking_statement`]).
pub fn parks_forever(body: &[Stmt]) -> bool {
    parking_statement(body).is_some()
}

/// The calls in a function body, outside nested definitions and lambdas (those run when they are
/// called, as functions of their own).
pub fn calls_in(body: &[Stmt]) -> Vec<&ast::ExprCall> {
    use ruff_python_ast::visitor::{self, Visitor};
    struct Calls<'a>(Vec<&'a ast::ExprCall>);
    impl<'a> Visitor<'a> for Calls<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                Expr::Lambda(_) => {}
                Expr::Call(call) => {
                    self.0.push(call);
                    visitor::walk_expr(self, expr);
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    let mut calls = Calls(Vec::new());
    calls.visit_body(body);
    calls.0
}

/// The literal start of a string built at run time: `f"cmd_{name}"`, `"cmd_" f"{name}"` or
/// `"cmd_" + name` give `cmd_`. `None` when the string starts with a computed part, or is no
/// such expression.
pub fn literal_start(expr: &Expr) -> Option<String> {
    match expr {
        Expr::FString(f) => match f.value.iter().next()? {
            ast::FStringPart::Literal(l) => Some(l.value.to_string()),
            ast::FStringPart::FString(f) => match f.elements.iter().next()? {
                ast::InterpolatedStringElement::Literal(l) => Some(l.value.to_string()),
                ast::InterpolatedStringElement::Interpolation(_) => None,
            },
        },
        Expr::BinOp(b) if b.op == ast::Operator::Add => match b.left.as_ref() {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        },
        // `"".join(["on_alert_", name])`, `"cmd_{}".format(name)`.
        Expr::Call(call) => {
            let Expr::Attribute(a) = call.func.as_ref() else {
                return None;
            };
            let Expr::StringLiteral(receiver) = a.value.as_ref() else {
                return None;
            };
            match (a.attr.as_str(), call.arguments.args.first()) {
                ("join", Some(Expr::List(l))) if receiver.value.to_str().is_empty() => {
                    match l.elts.first()? {
                        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                        _ => None,
                    }
                }
                ("format", _) => {
                    let text = receiver.value.to_str();
                    let start = &text[..text.find('{')?];
                    Some(start.to_string())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_python_parser::parse_module;

    /// `judge` applied to the body of the first `while` of `source`.
    fn first_loop(source: &str, judge: fn(&[Stmt]) -> bool) -> bool {
        let parsed = parse_module(source).expect("valid");
        let mut verdict = None;
        walk_blocks(&parsed.syntax().body, &mut |s| {
            if let (Stmt::While(w), None) = (s, verdict) {
                verdict = Some(judge(&w.body));
            }
            true
        });
        verdict.expect("a while loop")
    }

    /// Whether the first `while` of `source` counts to a limit or otherwise ends by itself.
    fn ends_by_itself(source: &str) -> bool {
        first_loop(source, counts_to_limit)
    }

    /// Whether the first `while` of `source` ends with the connection it reads.
    fn ends_with_connection(source: &str) -> bool {
        first_loop(source, reads_until_closed)
    }

    #[test]
    fn connection_loops_end_with_their_connection() {
        assert!(ends_with_connection(
            "while True:\n    data = await ws.receive_bytes()\n    handle(data)\n"
        ));
        assert!(ends_with_connection(
            "while not self.closed:\n    if ready:\n        msg = sock.recv(4096)\n"
        ));
        // A `try` without handlers lets the failure end the loop.
        assert!(ends_with_connection(
            "while True:\n    try:\n        frames.append(await ws.recv())\n    finally:\n        n += 1\n"
        ));
        // Surviving the failure (to reconnect), a read in a nested loop, or no read at all.
        assert!(!ends_with_connection(
            "while True:\n    try:\n        msg = await ws.recv()\n    except ConnectionError:\n        await asyncio.sleep(5)\n"
        ));
        assert!(!ends_with_connection(
            "while True:\n    for ws in clients:\n        ws.recv()\n"
        ));
        assert!(!ends_with_connection(
            "while True:\n    job = queue.get()\n    handle(job)\n"
        ));
        // Handlers that all leave the loop end it with the connection; one that goes round
        // again does not. A pub/sub poll (`pubsub.get_message()`) is no websocket read.
        assert!(ends_with_connection(
            "while True:\n    try:\n        m = await self.websocket.get_message()\n    except ConnectionClosed:\n        break\n"
        ));
        assert!(!ends_with_connection(
            "while True:\n    try:\n        m = await ws.recv()\n    except ConnectionClosed:\n        break\n    except TimeoutError:\n        continue\n"
        ));
        assert!(!ends_with_connection(
            "while True:\n    msg = self.pubsub.get_message()\n    handle(msg)\n"
        ));
    }

    #[test]
    fn only_waits_nothing_can_end_park_for_good() {
        let parks = |src: &str| {
            let parsed = ruff_python_parser::parse_module(src).expect("valid");
            parks_forever(parsed.suite())
        };
        assert!(parks("await asyncio.Event().wait()\n"));
        assert!(parks("await asyncio.Future()\n"));
        assert!(parks("threading.Event().wait()\n"));
        // Not awaited, a future returns at once; an event someone holds can be set.
        assert!(!parks("asyncio.Future()\n"));
        assert!(!parks("await self.stopped.wait()\n"));
        assert!(!parks("await asyncio.Event().wait(timeout)\n"));
    }

    #[test]
    fn retry_loops_end_when_an_attempt_succeeds() {
        assert!(ends_by_itself(
            "while True:\n    try:\n        content = extract(fp)\n        break\n    except Timeout:\n        continue\n"
        ));
        assert!(ends_by_itself(
            "while True:\n    try:\n        r = fetch()\n    except OSError:\n        sleep(1)\n    else:\n        return r\n"
        ));
        assert!(ends_by_itself(
            "while True:\n    if turns >= limit:\n        break\n"
        ));
        assert!(ends_by_itself(
            "while True:\n    check()\n    parts = split(text)\n    break\n"
        ));
    }

    #[test]
    fn timers_and_drains_end_when_things_go_quiet() {
        assert!(ends_by_itself(
            "while True:\n    try:\n        await asyncio.wait_for(ev.wait(), timeout=d)\n    except TimeoutError:\n        await fire()\n        break\n"
        ));
        assert!(ends_by_itself(
            "while True:\n    try:\n        item = q.get(timeout=1)\n    except queue.Empty:\n        return\n    handle(item)\n"
        ));
        // Waiting on: a timeout that goes round again, or a stop that comes from outside.
        assert!(!ends_by_itself(
            "while True:\n    try:\n        item = q.get(timeout=1)\n    except queue.Empty:\n        continue\n    handle(item)\n"
        ));
        assert!(!ends_by_itself(
            "while True:\n    try:\n        await tick()\n    except asyncio.CancelledError:\n        break\n"
        ));
    }

    #[test]
    fn service_loops_do_not() {
        // A worker that survives a failed job, and one that stops on a sentinel.
        assert!(!ends_by_itself(
            "while True:\n    try:\n        handle(queue.get())\n    except Exception:\n        log()\n"
        ));
        assert!(!ends_by_itself(
            "while True:\n    job = queue.get()\n    if job is None:\n        break\n    handle(job)\n"
        ));
        // A pause until told to stop, then the next round.
        assert!(!ends_by_itself(
            "while not stop.is_set():\n    poll()\n    try:\n        await asyncio.wait_for(stop.wait(), timeout=30)\n        break\n    except asyncio.TimeoutError:\n        continue\n"
        ));
        // A `break` that leaves a loop nested in the attempt is that loop's own.
        assert!(!ends_by_itself(
            "while True:\n    try:\n        for x in poll():\n            break\n    except Exception:\n        pass\n"
        ));
    }
}
