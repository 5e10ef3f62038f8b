//! Programs of the project that the project itself starts several times at once: a launcher that
//! runs `subprocess.Popen([sys.executable, "-m", "swarm.agent", agent_id])` (or a script path)
//! once per item of a loop. Every module of such a program runs in several processes at once.

use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

/// Calls that start a program in a new process.
const PROCESS_STARTS: &[&str] = &[
    "subprocess.Popen",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "asyncio.create_subprocess_exec",
    "os.spawnv",
    "os.spawnl",
];

/// What a launch starts, as written: a module (`-m pkg.mod`) or a script path (`agent.py`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Program {
    Module(super::Name),
    Script(super::Name),
}

/// The programs the module starts once per item of a loop, and where.
pub fn collect(suite: &[Stmt], semantic: &SemanticModel<'_>) -> Vec<(Program, TextSize)> {
    if !semantic.imports_from_any(&["subprocess", "asyncio", "os"]) {
        return Vec::new();
    }
    let mut v = Launches {
        semantic,
        scope: ScopeId::MODULE,
        repeating: 0,
        out: Vec::new(),
    };
    v.visit_body(suite);
    v.out
}

/// Modules imported (absolutely) inside functions: `from swarm.queue import claim` in `main()`.
/// They are part of the program as much as those imported at the top.
pub fn imports_inside_functions(suite: &[Stmt]) -> Vec<super::Name> {
    struct Inner {
        depth: u32,
        out: Vec<super::Name>,
    }
    impl<'a> Visitor<'a> for Inner {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) => {
                    self.depth += 1;
                    visitor::walk_stmt(self, stmt);
                    self.depth -= 1;
                }
                Stmt::ImportFrom(i) if self.depth > 0 && i.level == 0 => {
                    if let Some(m) = &i.module {
                        self.out.push(m.as_str().into());
                    }
                }
                Stmt::Import(i) if self.depth > 0 => {
                    self.out
                        .extend(i.names.iter().map(|a| super::Name::from(a.name.as_str())));
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
        fn visit_expr(&mut self, _: &'a Expr) {}
    }
    let mut v = Inner {
        depth: 0,
        out: Vec::new(),
    };
    v.visit_body(suite);
    v.out.sort();
    v.out.dedup();
    v.out
}

struct Launches<'m, 'a> {
    semantic: &'m SemanticModel<'a>,
    scope: ScopeId,
    repeating: u32,
    out: Vec<(Program, TextSize)>,
}

impl<'a> Visitor<'a> for Launches<'_, 'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            s if crate::lint::blocks::repeats_stmt(s) => {
                self.repeating += 1;
                visitor::walk_stmt(self, stmt);
                self.repeating -= 1;
            }
            Stmt::FunctionDef(f) => {
                let outer = self.scope;
                self.scope = self.semantic.scope_of(f).unwrap_or(outer);
                visitor::walk_stmt(self, stmt);
                self.scope = outer;
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
            Expr::Call(call)
                if self.repeating > 0
                    && self
                        .semantic
                        .resolves_to(self.scope, &call.func, PROCESS_STARTS) =>
            {
                if let Some(program) = program_of(&call.arguments.args) {
                    self.out.push((program, call.start()));
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// The program a command line runs: `[python, "-m", "pkg.mod", ...]`, or its first literal
/// naming a `.py` file. `create_subprocess_exec` takes the words as separate arguments.
fn program_of(args: &[Expr]) -> Option<Program> {
    let words: Vec<&Expr> = match args.first()? {
        Expr::List(l) => l.elts.iter().collect(),
        Expr::Tuple(t) => t.elts.iter().collect(),
        _ => args.iter().collect(),
    };
    let literal = |e: &Expr| match e {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    };
    for (i, word) in words.iter().enumerate() {
        let Some(text) = literal(word) else {
            continue;
        };
        if text == "-m" {
            let module = words.get(i + 1).and_then(|w| literal(w))?;
            return Some(Program::Module(module.into()));
        }
        if text.ends_with(".py") {
            return Some(Program::Script(text.trim_start_matches("./").into()));
        }
    }
    None
}

/// Per module: the launch that makes it run in several processes at once, if any.
pub struct Launched {
    of: Vec<Option<Reach>>,
}

#[derive(Clone, Copy)]
struct Reach {
    /// The module started as a program.
    program: usize,
    /// The module that starts it, and the line.
    launcher: usize,
    line: u32,
    /// The module of the program that imports this one (none for the program itself).
    imported_by: Option<usize>,
}

impl Launched {
    pub fn build(
        modules: &[(String, &super::ModuleFacts)],
        hierarchy: &super::hierarchy::Hierarchy<'_>,
    ) -> Launched {
        let mut of: Vec<Option<Reach>> = vec![None; modules.len()];
        for (launcher, (launcher_path, m)) in modules.iter().enumerate() {
            for (program, line) in &m.launches {
                let Some(target) = resolve(modules, hierarchy, program, launcher_path) else {
                    continue;
                };
                // Everything the program imports runs in each of its processes.
                let mut queue = vec![target];
                if of[target].is_none() {
                    of[target] = Some(Reach {
                        program: target,
                        launcher,
                        line: *line,
                        imported_by: None,
                    });
                }
                while let Some(i) = queue.pop() {
                    let inner = modules[i].1.imports_inside.iter().map(super::Name::as_str);
                    for name in modules[i].1.run_time_imported_names().chain(inner) {
                        let prefixes = name.match_indices('.').map(|(k, _)| &name[..k]);
                        for prefix in prefixes.chain([name]) {
                            let Some(j) = hierarchy.module_named(prefix) else {
                                continue;
                            };
                            if of[j].is_none() {
                                of[j] = Some(Reach {
                                    program: target,
                                    launcher,
                                    line: *line,
                                    imported_by: Some(i),
                                });
                                queue.push(j);
                            }
                        }
                    }
                }
            }
        }
        Launched { of }
    }

    /// Why module `i` runs in several processes at once, as related locations.
    pub fn evidence(
        &self,
        modules: &[(String, &super::ModuleFacts)],
        i: usize,
    ) -> Option<Vec<crate::finding::Related>> {
        let reach = self.of.get(i).copied().flatten()?;
        let name = |k: usize| modules[k].1.module.as_str();
        let mut out = vec![crate::finding::Related {
            path: Some(modules[reach.launcher].0.clone()),
            line: reach.line as usize,
            column: 1,
            message: format!(
                "`{}` starts `{}` as a new process once per item of a loop: several copies of the program run at once",
                name(reach.launcher),
                name(reach.program)
            ),
        }];
        if let Some(importer) = reach.imported_by {
            out.push(crate::finding::Related {
                path: Some(modules[importer].0.clone()),
                line: 1,
                column: 1,
                message: format!(
                    "`{}` is part of that program: `{}` imports it",
                    name(i),
                    name(importer)
                ),
            });
        }
        Some(out)
    }
}

/// The module a launch starts: by module name, or the module whose file the script path names
/// (the launcher's own directory first, when several files match).
fn resolve(
    modules: &[(String, &super::ModuleFacts)],
    hierarchy: &super::hierarchy::Hierarchy<'_>,
    program: &Program,
    launcher_path: &str,
) -> Option<usize> {
    match program {
        Program::Module(name) => hierarchy.module_named(name.as_str()),
        Program::Script(script) => {
            let script = script.as_str();
            let matches: Vec<usize> = modules
                .iter()
                .enumerate()
                .filter(|(_, (path, _))| path == script || path.ends_with(&format!("/{script}")))
                .map(|(i, _)| i)
                .collect();
            if matches.len() == 1 {
                return matches.first().copied();
            }
            let dir = launcher_path.rsplit_once('/').map_or("", |(d, _)| d);
            matches
                .into_iter()
                .find(|&i| modules[i].0.rsplit_once('/').map_or("", |(d, _)| d) == dir)
        }
    }
}
