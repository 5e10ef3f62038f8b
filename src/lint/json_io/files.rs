//! Which file a path names beyond the function that uses it, so modules that touch the same
//! file can be matched: its file name (`QUEUE = Path("state") / "queue.json"` names
//! `queue.json`), or the module constant another module imports it as (`@pkg.paths.QUEUE`).

use super::paths::PathKey;
use crate::lint::semantic::{ScopeId, SemanticModel};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap as HashMap;

/// Stands for a part of a path the module cannot spell, in a concatenation's text.
const UNKNOWN_PART: char = '\u{0}';

/// How many names are followed from a path to its literal (`A = B / "x.json"; B = ...`).
const MAX_DEPTH: u32 = 4;

pub struct FileNames<'a> {
    semantic: &'a SemanticModel<'a>,
    /// Module-level assignments: name, value.
    constants: HashMap<&'a str, &'a Expr>,
    /// `self.<attr> = value` in the methods of each class: (class, attr), every value.
    attributes: HashMap<(&'a str, &'a str), Vec<&'a Expr>>,
    /// What the module's functions (class `None`) and methods return: (class, function), every
    /// returned value, a local name replaced by what the function assigns to it.
    returns: HashMap<(Option<&'a str>, &'a str), Vec<&'a Expr>>,
}

impl<'a> FileNames<'a> {
    pub fn collect(suite: &'a [Stmt], semantic: &'a SemanticModel<'a>) -> FileNames<'a> {
        let mut constants = HashMap::default();
        let mut attributes = HashMap::default();
        let mut returns = HashMap::default();
        for stmt in suite {
            match stmt {
                Stmt::FunctionDef(f) => {
                    returns.insert((None, f.name.as_str()), returned_values(&f.body));
                }
                Stmt::Assign(a) => {
                    for t in &a.targets {
                        if let Expr::Name(n) = t {
                            constants.insert(n.id.as_str(), a.value.as_ref());
                        }
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let (Expr::Name(n), Some(v)) = (a.target.as_ref(), &a.value) {
                        constants.insert(n.id.as_str(), v.as_ref());
                    }
                }
                Stmt::ClassDef(c) => {
                    for item in &c.body {
                        if let Stmt::FunctionDef(f) = item {
                            self_assignments(&f.body, c.name.as_str(), &mut attributes);
                            returns.insert(
                                (Some(c.name.as_str()), f.name.as_str()),
                                returned_values(&f.body),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        FileNames {
            semantic,
            constants,
            attributes,
            returns,
        }
    }

    /// The module constants that name a file: (constant, file name), for other modules that
    /// import them.
    pub fn constants(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .constants
            .iter()
            .filter_map(|(name, value)| {
                let file = self.of_expr(value, None, 0)?;
                (!file.starts_with('@')).then(|| (name.to_string(), file))
            })
            .collect();
        out.sort();
        out
    }

    /// The module constants rooted in the user's home directory, and the module-level functions
    /// that return such a path (`def user_dir(): return Path(click.get_app_dir("tool"))`):
    /// (name, where).
    pub fn home_constants(&self) -> Vec<(String, TextRange)> {
        let functions = self.returns.iter().filter_map(|((class, f), values)| {
            let at = values.iter().find_map(|v| self.home_in(v, None, 0))?.0;
            class.is_none().then(|| (f.to_string(), at))
        });
        let mut out: Vec<(String, TextRange)> = self
            .constants
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), self.home_in(value, None, 0)?.0)))
            .chain(functions)
            .collect();
        out.sort_by_key(|(_, at)| at.start());
        out
    }

    /// The qualified name of the imported constant a path starts from (`constants.LETTA_DIR`
    /// with `from letta import constants`; `CACHE_DIR` imported by name), or of the imported
    /// function that returns it (`user_dir() / "keys.json"`), for a root defined in another
    /// module.
    pub fn imported_root(&self, key: &PathKey) -> Option<String> {
        match key {
            PathKey::Join(parts) => self.imported_root(parts.first()?),
            PathKey::Var(name) => self.of_name(name, 0)?.strip_prefix('@').map(str::to_string),
            PathKey::Derived(helper, _) if !helper.contains('.') => self
                .of_name(helper, 0)?
                .strip_prefix('@')
                .map(str::to_string),
            PathKey::Attr(chain) => {
                let (first, rest) = chain.split_once('.')?;
                if first == "self" {
                    return None;
                }
                let module = self.of_name(first, 0)?;
                Some(format!("{}.{rest}", module.strip_prefix('@')?))
            }
            _ => None,
        }
    }

    /// The file a path key names, seen from a method of `class` (for `self.<attr>` paths).
    pub fn of_key(&self, key: &PathKey, class: Option<&str>) -> Option<String> {
        match key {
            PathKey::Lit(s) => file_name(s),
            PathKey::Join(parts) => self.of_key(parts.last()?, class),
            // `f"data{os.sep}alias.json"`, `f"{self.root}/alias.json"`: the literal after the
            // last separator names the file, whatever the directory before it.
            PathKey::Concat(parts) => {
                let mut whole = String::new();
                for p in parts {
                    match p {
                        PathKey::Lit(s) => whole.push_str(s),
                        p if self.is_separator(p) => whole.push('/'),
                        _ => whole.push(UNKNOWN_PART),
                    }
                }
                let last = whole.rsplit(['/', '\\']).next()?;
                if last.contains(UNKNOWN_PART) {
                    return None;
                }
                file_name(last)
            }
            PathKey::Var(name) => self.of_name(name, 0),
            PathKey::Attr(chain) => {
                let attr = chain.strip_prefix("self.")?;
                let values = self.attributes.get(&(class?, attr))?;
                values.iter().find_map(|v| self.of_expr(v, class, 0))
            }
            PathKey::Derived(helper, _) => self
                .returned(helper, class)?
                .iter()
                .find_map(|v| self.of_expr(v, class, 0)),
            PathKey::Param(_) | PathKey::Suffix(..) | PathKey::Unique(_) | PathKey::Unknown => None,
        }
    }

    /// Where the path is rooted in a directory many processes share: the user's home directory
    /// (`Path.home()`, `"~/.tool"`, `platformdirs.user_config_dir(...)`), a file every process
    /// of the tool the user runs shares, or the system's temp directory (`tempfile.gettempdir()`,
    /// `"/tmp/x.json"`), where a fixed name is shared by every process on the machine: the
    /// expression and what it calls.
    pub fn shared_place(&self, key: &PathKey, class: Option<&str>) -> Option<(TextRange, String)> {
        match key {
            // Written where it is used: the caller points at the use.
            PathKey::Lit(s) if is_home_literal(s) || is_system_temp_literal(s) => {
                Some((TextRange::default(), s.clone()))
            }
            PathKey::Join(parts) => self.shared_place(parts.first()?, class),
            PathKey::Var(name) => {
                let value = self.constants.get(name.as_str())?;
                self.home_in(value, class, 0)
            }
            PathKey::Attr(chain) => {
                let attr = chain.strip_prefix("self.")?;
                let values = self.attributes.get(&(class?, attr))?;
                values.iter().find_map(|v| self.home_in(v, class, 0))
            }
            // `self.data_file()` returning `Path.home() / ".tool" / "data.json"`.
            PathKey::Derived(helper, _) => self
                .returned(helper, class)?
                .iter()
                .find_map(|v| self.home_in(v, class, 0)),
            _ => None,
        }
    }

    /// What the helper a derived path key calls returns (`self.name` for a method of
    /// `class`, `name` for a module-level function).
    fn returned(&self, helper: &str, class: Option<&str>) -> Option<&Vec<&'a Expr>> {
        let (class, name) = match helper.strip_prefix("self.") {
            Some(method) => (Some(class?), method),
            None => (None, helper),
        };
        // Keyed by borrowed names of the module's source: looked up by value.
        self.returns
            .iter()
            .find(|((c, f), _)| *c == class && *f == name)
            .map(|(_, v)| v)
    }

    fn home_in(&self, expr: &Expr, class: Option<&str>, depth: u32) -> Option<(TextRange, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let found = |what: &str| Some((expr.range(), what.to_string()));
        match expr {
            Expr::StringLiteral(s) if is_home_literal(s.value.to_str()) => found("~"),
            Expr::StringLiteral(s) if is_system_temp_literal(s.value.to_str()) => {
                found(s.value.to_str())
            }
            Expr::Name(n) => {
                let value = self.constants.get(n.id.as_str())?;
                self.home_in(value, class, depth + 1)
            }
            Expr::Attribute(a) => match a.value.as_ref() {
                Expr::Name(n) if n.id.as_str() == "self" => {
                    let values = self.attributes.get(&(class?, a.attr.as_str()))?;
                    values
                        .iter()
                        .find_map(|v| self.home_in(v, class, depth + 1))
                }
                _ => None,
            },
            Expr::BinOp(b) => self.home_in(&b.left, class, depth + 1),
            Expr::Call(c) => {
                let name = crate::lint::blocks::dotted(&c.func).unwrap_or_default();
                let last = name.rsplit('.').next().unwrap_or_default();
                let home = last == "home"
                    // click's and typer's per-user application directory
                    || last == "get_app_dir"
                    || name == "tempfile.gettempdir"
                    || last.starts_with("user_") && last.ends_with("_dir")
                    || (matches!(last, "getenv" | "get")
                        && c.arguments.args.first().is_some_and(|a| {
                            matches!(a, Expr::StringLiteral(s) if matches!(s.value.to_str(), "HOME" | "APPDATA" | "XDG_CONFIG_HOME" | "XDG_DATA_HOME" | "XDG_STATE_HOME"))
                        }));
                if home {
                    return found(&format!("{name}()"));
                }
                let inner = c.arguments.args.first().or(match c.func.as_ref() {
                    Expr::Attribute(a) => Some(a.value.as_ref()),
                    _ => None,
                })?;
                self.home_in(inner, class, depth + 1)
            }
            _ => None,
        }
    }

    /// `os.sep`, `os.path.sep`, or `sep` imported from either.
    fn is_separator(&self, part: &PathKey) -> bool {
        let qualified = match part {
            PathKey::Attr(chain) => chain.clone(),
            PathKey::Var(name) => match self.of_name(name, 0) {
                Some(imported) => imported.trim_start_matches('@').to_string(),
                None => return false,
            },
            _ => return false,
        };
        matches!(qualified.as_str(), "os.sep" | "os.path.sep")
    }

    fn of_name(&self, name: &str, depth: u32) -> Option<String> {
        if let Some(value) = self.constants.get(name) {
            return self.of_expr(value, None, depth + 1);
        }
        // Imported from another module of the project: named by that module's constant.
        match self
            .semantic
            .resolve(ScopeId::MODULE, name, TextSize::new(u32::MAX))
        {
            crate::lint::semantic::Resolved::Binding(_, b) => match &b.kind {
                crate::lint::semantic::BindingKind::Import(q) => Some(format!("@{q}")),
                _ => None,
            },
            crate::lint::semantic::Resolved::Builtin => None,
        }
    }

    fn of_expr(&self, expr: &Expr, class: Option<&str>, depth: u32) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expr::StringLiteral(s) => file_name(s.value.to_str()),
            Expr::FString(_) => None,
            Expr::Name(n) => self.of_name(n.id.as_str(), depth),
            Expr::Attribute(a) => match a.value.as_ref() {
                Expr::Name(n) if n.id.as_str() == "self" => {
                    let values = self.attributes.get(&(class?, a.attr.as_str()))?;
                    values
                        .iter()
                        .find_map(|v| self.of_expr(v, class, depth + 1))
                }
                _ => None,
            },
            Expr::BinOp(b) => self.of_expr(&b.right, class, depth + 1),
            Expr::Call(c) => {
                let func = match c.func.as_ref() {
                    Expr::Name(n) => n.id.as_str(),
                    Expr::Attribute(a) => a.attr.as_str(),
                    _ => return None,
                };
                let receiver = match c.func.as_ref() {
                    Expr::Attribute(a) => Some(a.value.as_ref()),
                    _ => None,
                };
                match func {
                    "Path" | "PurePath" | "join" | "joinpath" | "str" | "fspath" | "abspath"
                    | "realpath" | "normpath" | "expanduser" => match c.arguments.args.last() {
                        Some(last) => self.of_expr(last, class, depth + 1),
                        None => self.of_expr(receiver?, class, depth + 1),
                    },
                    "resolve" | "absolute" => self.of_expr(receiver?, class, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn self_assignments<'a>(
    body: &'a [Stmt],
    class: &'a str,
    out: &mut HashMap<(&'a str, &'a str), Vec<&'a Expr>>,
) {
    for stmt in body {
        let (targets, value): (Vec<&Expr>, &Expr) = match stmt {
            Stmt::Assign(a) => (a.targets.iter().collect(), a.value.as_ref()),
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(v),
                ..
            }) => (vec![target.as_ref()], v.as_ref()),
            Stmt::If(i) => {
                self_assignments(&i.body, class, out);
                for clause in &i.elif_else_clauses {
                    self_assignments(&clause.body, class, out);
                }
                continue;
            }
            _ => continue,
        };
        for t in targets {
            if let Expr::Attribute(a) = t {
                if matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == "self") {
                    out.entry((class, a.attr.as_str())).or_default().push(value);
                }
            }
        }
    }
}

/// The values a function body returns (outside nested definitions); a returned local name is
/// replaced by every value the body assigns to it, since a path helper usually builds its path
/// in a local first.
fn returned_values(body: &[Stmt]) -> Vec<&Expr> {
    use ruff_python_ast::visitor::{self, Visitor};
    #[derive(Default)]
    struct Returns<'a> {
        returned: Vec<&'a Expr>,
        assigned: Vec<(&'a str, &'a Expr)>,
    }
    impl<'a> Visitor<'a> for Returns<'a> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                Stmt::Return(r) => self.returned.extend(r.value.as_deref()),
                Stmt::Assign(a) => {
                    if let [Expr::Name(n)] = a.targets.as_slice() {
                        self.assigned.push((n.id.as_str(), &a.value));
                    }
                }
                Stmt::AnnAssign(a) => {
                    if let (Expr::Name(n), Some(v)) = (a.target.as_ref(), &a.value) {
                        self.assigned.push((n.id.as_str(), v));
                    }
                }
                _ => visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut r = Returns::default();
    r.visit_body(body);
    let mut out = Vec::new();
    for value in r.returned {
        match value {
            Expr::Name(n) => out.extend(
                r.assigned
                    .iter()
                    .filter(|(name, _)| *name == n.id.as_str())
                    .map(|(_, v)| *v),
            ),
            other => out.push(other),
        }
    }
    out
}

/// `~`, `~/x` or `~\\x`: the user's home directory once expanded.
fn is_home_literal(s: &str) -> bool {
    s == "~" || s.starts_with("~/") || s.starts_with("~\\")
}

/// `/tmp/...` or `/var/tmp/...`: the system's temp directory, one for every process on the host.
pub fn is_system_temp_literal(s: &str) -> bool {
    ["/tmp/", "/var/tmp/"].iter().any(|t| s.starts_with(t))
}

/// The last component of a path literal when it names a file (`state/queue.json` names
/// `queue.json`): a stem and an extension, no wildcard.
fn file_name(path: &str) -> Option<String> {
    let last = path.rsplit(['/', '\\']).next()?;
    let (stem, ext) = last.rsplit_once('.')?;
    let plausible = !stem.is_empty()
        && (1..=6).contains(&ext.len())
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
        && !last.contains(['*', '?', '{', ' ']);
    plausible.then(|| last.to_string())
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names() {
        assert_eq!(file_name("state/queue.json").as_deref(), Some("queue.json"));
        assert_eq!(file_name("registry.json").as_deref(), Some("registry.json"));
        assert_eq!(file_name("state"), None);
        assert_eq!(file_name("*.json"), None);
        assert_eq!(file_name(".json"), None);
    }
}
