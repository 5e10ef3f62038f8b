//! Where a module makes instances that die with the call that made them: a class instantiated
//! into a local that the function does not hand back (`claim = Claim(task)`), or used and dropped
//! in one expression (`Claim(task).score()`). Such a class has as many instances over the life of
//! the process as the function has calls, which is what a cache on one of its methods keeps.
//!
//! A function that makes an instance and returns it (`def stream(self): return SpeechStream(...)`)
//! also makes one per call; [`Made::returned`] lists those.
//!
//! Entry points (what the `__main__` block calls) and initializers run once per process or per
//! owner, so what they make is not counted; nor is test code, which makes everything this way.

use super::facts::FactsBuilder;
use super::{Name, Temporary};
use crate::lint::semantic::ScopeId;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

/// Builtins that use an object without keeping it.
const KEEPS_NOTHING: &[&str] = &[
    "print",
    "len",
    "str",
    "repr",
    "bool",
    "int",
    "float",
    "isinstance",
    "hash",
    "id",
    "type",
    "format",
    "sorted",
    "list",
    "tuple",
];

/// What the module's functions make anew on every call.
pub(super) struct Made {
    /// The first site per class where an instance dies with the call.
    pub temporaries: Vec<Temporary>,
    /// The first site per class where a function returns an instance it makes.
    pub returned: Vec<Temporary>,
    /// The first site per class where a function files an instance it makes in a collection.
    pub filed: Vec<Temporary>,
}

/// Decorators that make a function hand back the same object on every call (the last part of
/// their qualified name: `functools.lru_cache`, `async_lru.alru_cache`, `builtins.property`).
const MEMOIZING: &[&str] = &[
    "property",
    "cached_property",
    "cache",
    "lru_cache",
    "alru_cache",
];

pub(super) fn collect<'a>(b: &FactsBuilder<'a, '_>, suite: &'a [Stmt], entry: &[&str]) -> Made {
    let mut walk = Walk {
        b,
        entry,
        scope: ScopeId::MODULE,
        function: None,
        class: None,
        out: Vec::new(),
        returned: Vec::new(),
        filed: Vec::new(),
    };
    walk.visit_body(suite);
    Made {
        temporaries: walk.out,
        returned: walk.returned,
        filed: walk.filed,
    }
}

struct Walk<'w, 'a, 'm> {
    b: &'w FactsBuilder<'a, 'm>,
    entry: &'w [&'w str],
    scope: ScopeId,
    /// The function being walked, and its qualified display name, when it counts.
    function: Option<(&'a ast::StmtFunctionDef, String)>,
    /// The class whose body is being walked.
    class: Option<&'a str>,
    out: Vec<Temporary>,
    returned: Vec<Temporary>,
    filed: Vec<Temporary>,
}

impl<'a> Walk<'_, 'a, '_> {
    /// Records the classes `value` constructs, directly or through a local it assigns a
    /// construction to (`new_chat = HeartFChatting(...)`, on any branch), as filed in a
    /// collection.
    fn record_filed(&mut self, value: &'a Expr) {
        let Some((f, function)) = &self.function else {
            return;
        };
        let mut values = Vec::new();
        match value {
            Expr::Name(n) => {
                let name = n.id.as_str();
                crate::lint::blocks::for_each_stmt(&f.body, &mut |s| {
                    if let Stmt::Assign(a) = s {
                        if matches!(a.targets.as_slice(), [Expr::Name(t)] if t.id.as_str() == name)
                        {
                            values.push(a.value.as_ref());
                        }
                    }
                });
            }
            other => values.push(other),
        }
        for value in values {
            if !matches!(value, Expr::Call(_) | Expr::Await(_)) {
                continue;
            }
            let mut classes = self.b.constructed(self.scope, value);
            classes.retain(|c| !self.filed.iter().any(|t| t.class.as_str() == c));
            for class in classes {
                self.filed.push(Temporary {
                    class: Name::new(&class),
                    line: self.b.line(value.start()),
                    function: Name::new(function),
                });
            }
        }
    }

    /// Records the classes `value` constructs, unless `kept` (checked only for a construction
    /// of a class not seen yet: it walks the function again) says the instance outlives the call.
    fn record(&mut self, value: &'a Expr, kept: impl Fn(&ast::StmtFunctionDef) -> bool) {
        let Some((f, function)) = &self.function else {
            return;
        };
        // Cheap tests first: most values are no call of a class.
        if !matches!(
            value,
            Expr::Call(_) | Expr::BoolOp(_) | Expr::If(_) | Expr::Await(_)
        ) {
            return;
        }
        let mut classes = self.b.constructed(self.scope, value);
        classes.retain(|c| !self.out.iter().any(|t| t.class.as_str() == c));
        if classes.is_empty() || kept(f) {
            return;
        }
        for class in classes {
            self.out.push(Temporary {
                class: Name::new(&class),
                line: self.b.line(value.start()),
                function: Name::new(function),
            });
        }
    }
}

impl<'a> Visitor<'a> for Walk<'_, 'a, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                let saved_scope = self.scope;
                let saved_function = self.function.take();
                self.scope = self.b.semantic().scope_of(f).unwrap_or(saved_scope);
                let name = f.name.as_str();
                let once = crate::lint::containers::is_init_like(name)
                    || (self.class.is_none()
                        && saved_scope == ScopeId::MODULE
                        && self.entry.contains(&name));
                if !once {
                    let shown = match self.class {
                        Some(c) => format!("{c}.{name}"),
                        None => name.to_string(),
                    };
                    let memoized = f.decorator_list.iter().any(|d| {
                        let e = match &d.expression {
                            Expr::Call(c) => c.func.as_ref(),
                            other => other,
                        };
                        let last = match e {
                            Expr::Name(n) => n.id.as_str(),
                            Expr::Attribute(a) => a.attr.as_str(),
                            _ => "",
                        };
                        MEMOIZING.contains(&last)
                    });
                    if !memoized {
                        for (class, at) in self.b.returned_instances(f) {
                            if !self.returned.iter().any(|t| t.class.as_str() == class) {
                                self.returned.push(Temporary {
                                    class: Name::new(&class),
                                    line: self.b.line(at),
                                    function: Name::new(&shown),
                                });
                            }
                        }
                    }
                    self.function = Some((f, shown));
                }
                let saved_class = self.class.take();
                self.visit_body(&f.body);
                self.class = saved_class;
                self.scope = saved_scope;
                self.function = saved_function;
            }
            Stmt::ClassDef(c) => {
                let saved_scope = self.scope;
                let saved_class = self.class.replace(c.name.as_str());
                self.scope = self.b.semantic().scope_of(c).unwrap_or(saved_scope);
                self.visit_body(&c.body);
                self.scope = saved_scope;
                self.class = saved_class;
            }
            Stmt::Assign(a) => {
                match a.targets.as_slice() {
                    [Expr::Name(n)] => {
                        let name = n.id.as_str();
                        self.record(&a.value, |f| hands_back(f, name));
                    }
                    // `self.chats[chat_id] = HeartFChatting(chat_id)`; not under a literal key
                    // (`self.loops["main"] = ...`), which holds one.
                    [Expr::Subscript(sub)]
                        if !matches!(
                            sub.slice.as_ref(),
                            Expr::StringLiteral(_) | Expr::NumberLiteral(_)
                        ) =>
                    {
                        self.record_filed(&a.value)
                    }
                    _ => {}
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        // `Claim(task).score()`: made, used once and dropped.
        if let Expr::Attribute(a) = expr {
            if matches!(a.value.as_ref(), Expr::Call(_)) {
                self.record(&a.value, |_| false);
            }
        }
        // `self.sessions.append(Session())`, `chats.setdefault(chat_id, Chat(chat_id))`.
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(m) = call.func.as_ref() {
                let filed = match (m.attr.as_str(), call.arguments.args.as_ref()) {
                    ("append" | "add", [value]) => Some(value),
                    ("setdefault", [key, value])
                        if !matches!(key, Expr::StringLiteral(_) | Expr::NumberLiteral(_)) =>
                    {
                        Some(value)
                    }
                    _ => None,
                };
                if let Some(value) = filed {
                    self.record_filed(value);
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// `f` returns or yields local `name`, declares it `global`, stores it where it outlives the call
/// (`self.x = name`), or hands it to a call that may keep it (`self.items.append(name)`,
/// `register(name)`; not `print(name)` and the like): the instance may outlive the call.
fn hands_back(f: &ast::StmtFunctionDef, name: &str) -> bool {
    struct Finds<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'a> Visitor<'a> for Finds<'_> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            let name = self.name;
            let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
            match stmt {
                Stmt::Return(r) if r.value.as_deref().is_some_and(is_name) => self.found = true,
                Stmt::Global(g) if g.names.iter().any(|n| n.as_str() == name) => self.found = true,
                Stmt::Assign(a)
                    if is_name(&a.value)
                        && a.targets.iter().any(|t| !matches!(t, Expr::Name(_))) =>
                {
                    self.found = true
                }
                _ => {}
            }
            visitor::walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'a Expr) {
            let name = self.name;
            let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == name);
            match expr {
                Expr::Yield(y) if y.value.as_deref().is_some_and(is_name) => self.found = true,
                // Handed to a function or to a method of something else, which may keep it.
                Expr::Call(c)
                    if c.arguments
                        .args
                        .iter()
                        .chain(c.arguments.keywords.iter().map(|k| &k.value))
                        .any(is_name)
                        && match c.func.as_ref() {
                            Expr::Attribute(m) => !is_name(&m.value),
                            Expr::Name(f) => !KEEPS_NOTHING.contains(&f.id.as_str()),
                            _ => true,
                        } =>
                {
                    self.found = true
                }
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut finds = Finds { name, found: false };
    finds.visit_body(&f.body);
    finds.found
}
