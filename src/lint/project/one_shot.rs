//! Code that runs once per invocation of the program, by the user: the commands of a click or
//! typer command-line interface, and a module's top-level code and `__main__` block (outside
//! `while` loops). A read-modify-write there has no concurrent run of itself unless something
//! shows several (json_io marks those in the module itself). The same holds for a helper of
//! another module that only commands call: metaflow's `store_token`, which only
//! `step-functions create` reaches, through `resolve_token`.
//!
//! Phase one keeps, per module with commands, the bare names they call (and the module-level
//! function of its own that the call is made from, when that function runs from commands only
//! because nothing else in the module names it) and the hashes of every name the rest of its
//! code uses. Linking accepts a function when some command calls it and no other code of the
//! project names it. The hashes can only err towards "named elsewhere", which keeps a finding.

use super::import_calls::AttrNameHashes;
use super::Name;
use crate::lint::blocks::{is_main_guard, walk_blocks};
use crate::lint::semantic::SemanticModel;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// What [`collect`] finds in a module that has commands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneShotCalls {
    /// `(via, callee)`: the bare name of a function a command calls, and the module-level
    /// function the call is made in when only the module's commands name that function
    /// (`None` in a command itself).
    pub calls: Vec<(Option<Name>, Name)>,
    /// Every name the module's other code uses (a call, a reference, an attribute).
    pub elsewhere: AttrNameHashes,
}

/// Statements that run once per process: the module's own top-level code and its `__main__`
/// block, outside `while` loops (which keep the process serving) and definitions. Top-level code
/// runs when the module is run or first imported, so a file it writes is written once per
/// process start, as by a script. Not in a Streamlit script, which `streamlit run` executes
/// again for every session; and only the `__main__` block when `serves` (a module of routes,
/// which every worker process of a server imports at the same time).
pub fn top_level_runs(suite: &[Stmt], serves: bool) -> Vec<TextRange> {
    let mut out = Vec::new();
    if streamlit_import(suite).is_some() {
        return out;
    }
    let mut once = |s: &Stmt| match s {
        Stmt::While(_) | Stmt::FunctionDef(_) | Stmt::ClassDef(_) => false,
        Stmt::If(_) | Stmt::Try(_) | Stmt::With(_) | Stmt::For(_) | Stmt::Match(_) => true,
        other => {
            out.push(other.range());
            false
        }
    };
    if serves {
        for stmt in suite {
            if let Stmt::If(guard) = stmt {
                if is_main_guard(&guard.test) {
                    walk_blocks(&guard.body, &mut once);
                }
            }
        }
    } else {
        walk_blocks(suite, &mut once);
    }
    out
}

/// The module's top-level import of Streamlit.
pub fn streamlit_import(suite: &[Stmt]) -> Option<&Stmt> {
    crate::lint::blocks::top_level_import(suite, "streamlit")
}

/// `@cli.command(...)`, `@app.command()`, `@click.command()`: a command of a click or typer
/// command-line interface (the caller checks that the module uses one of them).
pub fn is_cli_command(f: &ast::StmtFunctionDef) -> bool {
    f.decorator_list.iter().any(|d| {
        let func = match &d.expression {
            Expr::Call(c) => c.func.as_ref(),
            other => other,
        };
        matches!(func, Expr::Attribute(a) if a.attr.as_str() == "command")
    })
}

/// Whether the module uses click or typer (also a copy vendored into its package).
pub fn uses_cli_framework(semantic: &SemanticModel<'_>) -> bool {
    semantic.imports_from_any(&["click", "typer"])
}

/// The commands of a module's command-line interface: functions decorated as click or typer
/// commands (when the module uses one of them), and the functions an argparse parser runs,
/// handed to it as `parser.set_defaults(func=name)` and called through `args.func(args)`.
pub struct CliCommands<'a> {
    decorated: bool,
    argparse: Vec<&'a str>,
}

impl<'a> CliCommands<'a> {
    pub fn of(suite: &'a [Stmt], semantic: &SemanticModel<'_>) -> CliCommands<'a> {
        struct Defaults<'a>(Vec<&'a str>);
        impl<'a> Visitor<'a> for Defaults<'a> {
            fn visit_expr(&mut self, expr: &'a Expr) {
                if let Expr::Call(call) = expr {
                    let set_defaults = matches!(call.func.as_ref(),
                        Expr::Attribute(a) if a.attr.as_str() == "set_defaults");
                    if let Some(Expr::Name(n)) = set_defaults
                        .then(|| call.arguments.find_keyword("func").map(|k| &k.value))
                        .flatten()
                    {
                        self.0.push(n.id.as_str());
                    }
                }
                visitor::walk_expr(self, expr);
            }
        }
        let mut argparse = Defaults(Vec::new());
        if semantic.imports_from_any(&["argparse"]) {
            argparse.visit_body(suite);
        }
        CliCommands {
            decorated: uses_cli_framework(semantic),
            argparse: argparse.0,
        }
    }

    /// Whether the module has commands.
    pub fn any(&self) -> bool {
        self.decorated || !self.argparse.is_empty()
    }

    /// Whether `f` is one of the commands (an argparse one by its name: the caller checks that
    /// `f` is defined at module level).
    pub fn is_command(&self, f: &ast::StmtFunctionDef) -> bool {
        (self.decorated && is_cli_command(f)) || self.argparse.contains(&f.name.as_str())
    }
}

/// The calls of the module's commands, or `None` when it has none.
pub fn collect(suite: &[Stmt], semantic: &SemanticModel<'_>) -> Option<OneShotCalls> {
    // A `__main__` block is one-shot code for what it does itself (json_io), but what it calls
    // in other modules is not counted: the project may start that program once per event
    // (mem0's telemetry sender, `Popen([sys.executable, "-m", ...])` after every command),
    // and then its copies run at once.
    let commands = CliCommands::of(suite, semantic);
    if !commands.any() {
        return None;
    }
    let functions: Vec<&ast::StmtFunctionDef> = module_functions(suite);
    // A function with a `while` loop keeps running (a worker's `main()`, a `serve` command):
    // what it reaches runs for as long as the process, in every copy of it.
    let looping: FxHashSet<&str> = functions
        .iter()
        .filter(|f| has_while(&f.body))
        .map(|f| f.name.as_str())
        .collect();
    let regions: Vec<TextRange> = functions
        .iter()
        .filter(|f| commands.is_command(f) && !looping.contains(f.name.as_str()))
        .map(|f| body_range(f))
        .collect();
    if regions.is_empty() {
        return None;
    }
    let mut uses = Uses::default();
    for stmt in suite {
        uses.visit_stmt(stmt);
    }
    // A lambda, or a nested function handed on rather than called where it is defined, is a
    // callback, which may run any time.
    let mut deferred = uses.lambdas.clone();
    deferred.extend(
        uses.nested
            .iter()
            .filter(|n| {
                let mut named = uses
                    .all
                    .iter()
                    .filter(|u| u.name == n.name && n.parent.contains_range(u.range))
                    .peekable();
                named.peek().is_none() || !named.all(|u| u.called)
            })
            .map(|n| n.range),
    );
    let is_deferred = |at: TextRange| deferred.iter().any(|r| r.contains_range(at));
    // Module-level functions that only one-shot code names, called there: one-shot too. Each
    // round may add the functions those call; a few rounds settle it.
    let mut helpers: Vec<&ast::StmtFunctionDef> = Vec::new();
    for _ in 0..4 {
        let covered = |at: TextRange| {
            !is_deferred(at)
                && regions
                    .iter()
                    .copied()
                    .chain(helpers.iter().map(|f| body_range(f)))
                    .any(|r| r.contains_range(at))
        };
        let next: Vec<&ast::StmtFunctionDef> = functions
            .iter()
            .filter(|f| !commands.is_command(f) && f.decorator_list.is_empty())
            .filter(|f| !looping.contains(f.name.as_str()))
            .filter(|f| {
                let name = f.name.as_str();
                let mut named = uses.all.iter().filter(|u| u.name == name).peekable();
                named.peek().is_some() && named.all(|u| u.called && covered(u.range))
            })
            .copied()
            .collect();
        let settled = next.len() == helpers.len();
        helpers = next;
        if settled {
            break;
        }
    }
    let mut calls = Vec::new();
    let mut elsewhere: FxHashSet<&str> = FxHashSet::default();
    for u in &uses.all {
        let deferred = is_deferred(u.range) || looping.contains(u.name);
        let in_region = !deferred && regions.iter().any(|r| r.contains_range(u.range));
        let via = helpers
            .iter()
            .find(|f| body_range(f).contains_range(u.range));
        if u.called && in_region {
            calls.push((None, Name::new(u.name)));
        } else if let (true, false, Some(f)) = (u.called, deferred, via) {
            calls.push((Some(Name::new(f.name.as_str())), Name::new(u.name)));
        } else {
            elsewhere.insert(u.name);
        }
    }
    calls.sort_unstable_by(|a, b| {
        (a.0.as_ref().map(Name::as_str), a.1.as_str())
            .cmp(&(b.0.as_ref().map(Name::as_str), b.1.as_str()))
    });
    calls.dedup();
    Some(OneShotCalls {
        calls,
        elsewhere: AttrNameHashes::with_names(&elsewhere),
    })
}

/// Whether `body` has a `while` loop, also in a nested block or function.
fn has_while(body: &[Stmt]) -> bool {
    struct Finder(bool);
    impl<'a> Visitor<'a> for Finder {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if matches!(stmt, Stmt::While(_)) {
                self.0 = true;
            } else if !self.0 {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, _: &'a Expr) {}
    }
    let mut finder = Finder(false);
    finder.visit_body(body);
    finder.0
}

/// A function's body, without its decorators and signature.
fn body_range(f: &ast::StmtFunctionDef) -> TextRange {
    let start = f.body.first().map_or(f.range.end(), Ranged::start);
    TextRange::new(start, f.range.end())
}

/// Functions defined at module level, also under `if`/`try` there.
fn module_functions(suite: &[Stmt]) -> Vec<&ast::StmtFunctionDef> {
    let mut out = Vec::new();
    walk_blocks(suite, &mut |s| match s {
        Stmt::FunctionDef(f) => {
            out.push(f);
            false
        }
        Stmt::If(_) | Stmt::Try(_) => true,
        _ => false,
    });
    out
}

/// A name the code uses: a variable or an attribute, and whether it is the function of a call.
struct Use<'a> {
    name: &'a str,
    range: TextRange,
    called: bool,
}

/// A function defined inside another one.
struct Nested<'a> {
    name: &'a str,
    range: TextRange,
    /// The function it is defined in.
    parent: TextRange,
}

#[derive(Default)]
struct Uses<'a> {
    all: Vec<Use<'a>>,
    nested: Vec<Nested<'a>>,
    lambdas: Vec<TextRange>,
    /// The functions the walk is in, innermost last.
    enclosing: Vec<TextRange>,
}

impl<'a> Visitor<'a> for Uses<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::FunctionDef(f) = stmt {
            if let Some(&parent) = self.enclosing.last() {
                self.nested.push(Nested {
                    name: f.name.as_str(),
                    range: f.range,
                    parent,
                });
            }
            self.enclosing.push(f.range);
            visitor::walk_stmt(self, stmt);
            self.enclosing.pop();
        } else {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                match call.func.as_ref() {
                    Expr::Name(n) => self.all.push(Use {
                        name: n.id.as_str(),
                        range: n.range,
                        called: true,
                    }),
                    Expr::Attribute(a) => {
                        self.all.push(Use {
                            name: a.attr.as_str(),
                            range: a.range,
                            called: true,
                        });
                        self.visit_expr(&a.value);
                    }
                    other => self.visit_expr(other),
                }
                self.visit_arguments(&call.arguments);
            }
            Expr::Name(n) => self.all.push(Use {
                name: n.id.as_str(),
                range: n.range,
                called: false,
            }),
            Expr::Lambda(l) => {
                self.lambdas.push(l.range);
                visitor::walk_expr(self, expr);
            }
            Expr::Attribute(a) => {
                self.all.push(Use {
                    name: a.attr.as_str(),
                    range: a.range,
                    called: false,
                });
                visitor::walk_expr(self, expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::semantic::SemanticModel;

    fn collect_from(source: &str) -> Option<OneShotCalls> {
        let parsed = ruff_python_parser::parse_module(source).expect("valid Python");
        let suite = &parsed.syntax().body;
        let semantic = SemanticModel::build(suite);
        collect(suite, &semantic)
    }

    fn calls(found: &OneShotCalls) -> Vec<(Option<&str>, &str)> {
        found
            .calls
            .iter()
            .map(|(v, c)| (v.as_ref().map(Name::as_str), c.as_str()))
            .collect()
    }

    #[test]
    fn commands_and_the_helpers_only_they_call() {
        let found = collect_from(
            "import click\nfrom .tokens import store_token\n\n\
             def resolve(name):\n    store_token(name)\n\n\
             @cli.command()\ndef create(name):\n    resolve(name)\n\n\
             def serve(name):\n    save(name)\n",
        )
        .expect("the module has a command");
        assert_eq!(
            calls(&found),
            vec![(None, "resolve"), (Some("resolve"), "store_token")]
        );
        assert!(found.elsewhere.may_contain("save"));
        assert!(!found.elsewhere.may_contain("store_token"));
    }

    #[test]
    fn a_helper_also_named_elsewhere_is_not_one_shot() {
        let found = collect_from(
            "import typer\n\n\
             def resolve(name):\n    store_token(name)\n\n\
             @app.command()\ndef create(name):\n    resolve(name)\n\n\
             HANDLERS = [resolve]\n",
        )
        .expect("the module has a command");
        assert_eq!(calls(&found), vec![(None, "resolve")]);
        assert!(found.elsewhere.may_contain("store_token"));
        assert!(found.elsewhere.may_contain("resolve"));
    }

    #[test]
    fn a_callback_inside_a_command_may_run_any_time() {
        let found = collect_from(
            "import click\n\n\
             @cli.command()\ndef sync(items):\n    def work(x):\n        save(x)\n    \
             pool.map(work, items)\n    pool.map(lambda x: push(x), items)\n",
        )
        .expect("the module has a command");
        assert_eq!(calls(&found), vec![(None, "map")]);
        assert!(found.elsewhere.may_contain("save"));
        assert!(found.elsewhere.may_contain("push"));
    }

    #[test]
    fn a_nested_function_the_command_calls_runs_with_it() {
        let found = collect_from(
            "import click\n\n\
             @cli.command()\ndef delete(names):\n    def _delete(n):\n        check(n)\n    \
             for n in names:\n        _delete(n)\n",
        )
        .expect("the module has a command");
        assert_eq!(calls(&found), vec![(None, "_delete"), (None, "check")]);
        assert!(!found.elsewhere.may_contain("check"));
    }

    #[test]
    fn a_command_that_keeps_running_is_no_one_shot_code() {
        let found = collect_from(
            "import click\n\n\
             def main():\n    prune()\n    while True:\n        poll()\n\n\
             @cli.command()\ndef start():\n    main()\n\n\
             @cli.command()\ndef serve():\n    setup()\n    while True:\n        poll()\n",
        )
        .expect("the module has commands");
        assert!(calls(&found).is_empty());
        assert!(found.elsewhere.may_contain("main"));
        assert!(found.elsewhere.may_contain("prune"));
        assert!(found.elsewhere.may_contain("setup"));
    }

    #[test]
    fn what_a_main_block_calls_is_not_counted() {
        // The project may start the program once per event, so its copies can run at once.
        assert!(collect_from("if __name__ == '__main__':\n    setup()\n").is_none());
    }

    #[test]
    fn a_module_without_one_shot_code_has_nothing() {
        assert!(collect_from("def f():\n    g()\n").is_none());
        // A `.command` decorator without click or typer is someone else's API.
        assert!(collect_from("@bot.command()\ndef f():\n    g()\n").is_none());
    }
}
