//! The walk of one function: reads, writes and lock regions in statement order, with the taint
//! that links a write to the read it derives from, and the function's summary for its callers.

use super::locks::{LockKind, LockTable};
use super::paths::{FormatPart, PathKey};
use super::{
    collect_calls, dotted, Function, FunctionResult, Handle, HelperWrite, Mode, Read, RiskyWrite,
    Rmw, RmwKind, Scheme, Summary, Taint, Temp, TempWrite, ValueSource, CREDENTIAL_BUILDERS,
    JSON_MODULES, TOKEN_FILE_READER,
};
use crate::lint::semantic::{BindingKind, Resolved, ScopeId, SemanticModel};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::FxHashMap as HashMap;

pub(super) fn analyze_function<'a>(
    f: &Function<'a>,
    semantic: &SemanticModel<'a>,
    locks: &LockTable<'a>,
    summaries: &HashMap<String, Summary>,
    inherited: &[LockKind],
    snapshots: &HashMap<String, (PathKey, TextRange)>,
) -> FunctionResult {
    let scope = f
        .node
        .and_then(|n| semantic.scope_of(n))
        .unwrap_or(ScopeId::MODULE);
    let mut w = Walker {
        f,
        semantic,
        scope,
        locks,
        summaries,
        next_region: 1,
        regions: Vec::new(),
        manual: Vec::new(),
        local_paths: HashMap::default(),
        local_locks: HashMap::default(),
        handles: HashMap::default(),
        temps: HashMap::default(),
        taint: HashMap::default(),
        documents: HashMap::default(),
        texts: HashMap::default(),
        json_texts: HashMap::default(),
        self_paths: Vec::new(),
        handle_paths: HashMap::default(),
        param_snapshots: Vec::new(),
        self_taint: HashMap::default(),
        self_fresh: Default::default(),
        http_clients: Default::default(),
        tolerant_try: Vec::new(),
        absent: Vec::new(),
        temp_writes: Vec::new(),
        unlinked: Vec::new(),
        reads: Vec::new(),
        result: FunctionResult {
            summary: Summary {
                params: f.params.iter().map(|s| s.to_string()).collect(),
                ..Summary::default()
            },
            reads: Vec::new(),
            rmw: Vec::new(),
            risky_writes: Vec::new(),
            self_snapshots: Vec::new(),
            closures_under_locks: Vec::new(),
            private_calls: Vec::new(),
            state_writers: Vec::new(),
            derived_writes: Vec::new(),
            held_documents: Vec::new(),
            written: Vec::new(),
            helper_writes: Vec::new(),
            handles_credentials: false,
        },
    };
    for kind in inherited {
        let id = w.fresh_region();
        w.regions.push((id, *kind));
    }
    // Cached snapshots read elsewhere are documents here.
    for (attr, (key, range)) in snapshots {
        let idx = w.reads.len();
        w.reads.push(Read {
            key: key.clone(),
            range: *range,
            regions: Vec::new(),
            direct: false,
            cached: true,
            tolerated_in: None,
        });
        w.self_taint.insert(attr.clone(), Taint(idx));
    }
    w.body(f.body);
    // `self.path = path` with `path` read into an attribute here: the attribute caches the file
    // other methods reach as `self.path` (`__init__(self, path)` loading what `save` rewrites).
    for (attr, read) in std::mem::take(&mut w.param_snapshots) {
        let key = &w.reads[read.0].key;
        if let Some((_, held)) = w.self_paths.iter().find(|(k, _)| k == key) {
            let held = PathKey::Attr(held.clone());
            let mut same = w.reads[read.0].clone();
            w.result
                .self_snapshots
                .push((attr, (held.clone(), same.range)));
            // The module reads `self.path` here as much as `path`: a state file for SWC202.
            same.key = held;
            w.reads.push(same);
        }
    }
    // What the method leaves in `self` from a file it reads: the caller's attribute holds that
    // file's document after the call.
    let mut loads_into: Vec<(String, PathKey)> = w
        .self_taint
        .iter()
        .map(|(attr, t)| (attr, &w.reads[t.0]))
        .filter(|(_, read)| !read.cached && !read.key.has_unknown())
        .map(|(attr, read)| (attr.clone(), read.key.clone()))
        .collect();
    loads_into.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    w.result.summary.loads_into = loads_into;
    w.result.summary.tolerant_reads = w
        .result
        .summary
        .reads
        .iter()
        .filter(|key| {
            w.reads
                .iter()
                .filter(|r| r.direct && r.key == **key)
                .all(|r| r.tolerated_in.is_some())
        })
        .cloned()
        .collect();
    w.result.reads = std::mem::take(&mut w.reads);
    w.result
}

struct Walker<'w, 'a> {
    f: &'w Function<'a>,
    semantic: &'w SemanticModel<'a>,
    scope: ScopeId,
    locks: &'w LockTable<'a>,
    summaries: &'w HashMap<String, Summary>,
    next_region: u32,
    /// Lock regions held now: `with` blocks and manual acquisitions.
    regions: Vec<(u32, LockKind)>,
    /// Manually acquired regions (`flock(LOCK_EX)`, `lock.acquire()`), by the lock's text.
    manual: Vec<(String, u32)>,
    local_paths: HashMap<String, PathKey>,
    /// Lock objects bound to local names: `lock = FileLock(p)`.
    local_locks: HashMap<String, LockKind>,
    handles: HashMap<String, Handle>,
    temps: HashMap<String, Temp>,
    taint: HashMap<String, Taint>,
    /// Names bound to a file's unparsed text (`text = f.read()`), by the file's path: parsing the
    /// name later (`json.loads(text)`) reads that file.
    texts: HashMap<String, PathKey>,
    /// Names bound, at this point of the walk, to the JSON text of a document
    /// (`data = json.dumps(data)`), with that document: a name bound more than once still
    /// holds what its last binding put there.
    json_texts: HashMap<String, &'a Expr>,
    /// Names bound to the path of a file object (`tmp = f.name`), by the object's dotted name.
    handle_paths: HashMap<String, String>,
    /// Attributes of `self` bound here to a path named by parameters (`self.path = path`): the
    /// key and the attribute's dotted name.
    self_paths: Vec<(PathKey, String)>,
    /// Attributes of `self` that cache a read of a parameter's file, kept until the walk ends to
    /// learn whether an attribute of `self` names that file too.
    param_snapshots: Vec<(String, Taint)>,
    /// Names bound to a loaded document itself (`task = load_task(task_id)`), not to a value
    /// computed from one: an attribute of such a name (`task.id`) is the document's own field.
    documents: HashMap<String, Taint>,
    self_taint: HashMap<String, Taint>,
    /// Bodies of the enclosing `try` statements whose handlers treat an unreadable document as
    /// missing, innermost last.
    tolerant_try: Vec<TextRange>,
    /// Files known not to exist where the walk is: inside `if not os.path.exists(p):`, the
    /// `else` of `if p.exists():`, or after `if p.exists(): return`.
    absent: Vec<PathKey>,
    /// Attributes of `self` this function has assigned a value not read from a file.
    self_fresh: rustc_hash::FxHashSet<String>,
    /// Local names bound to an HTTP client session (`async with aiohttp.ClientSession() as s`).
    http_clients: rustc_hash::FxHashSet<&'a str>,
    temp_writes: Vec<TempWrite>,
    unlinked: Vec<PathKey>,
    reads: Vec<Read>,
    result: FunctionResult,
}

impl<'w, 'a> Walker<'w, 'a> {
    fn fresh_region(&mut self) -> u32 {
        self.next_region += 1;
        self.next_region
    }

    fn is_receiver(&self, expr: &Expr) -> bool {
        matches!((expr, self.f.receiver), (Expr::Name(n), Some(r)) if n.id.as_str() == r)
    }

    fn qualified(&self, expr: &Expr) -> Option<String> {
        self.semantic.qualified_name(self.scope, expr)
    }

    fn is_json_call(&self, func: &Expr, names: &[&str]) -> bool {
        self.qualified(func).is_some_and(|q| {
            q.rsplit_once('.').is_some_and(|(module, name)| {
                JSON_MODULES.contains(&module) && names.contains(&name)
            })
        })
    }

    // ---- paths -------------------------------------------------------------------------

    fn key(&self, expr: &Expr) -> PathKey {
        self.key_depth(expr, 0)
    }

    /// `os.path.exists(p)`, `p.exists()`, `p.is_file()` (and their negations) as a test: the
    /// file's key and whether the test holds when the file exists.
    fn existence_test(&self, test: &Expr) -> Option<(PathKey, bool)> {
        if let Expr::UnaryOp(u) = test {
            if u.op == ast::UnaryOp::Not {
                return self
                    .existence_test(&u.operand)
                    .map(|(k, holds)| (k, !holds));
            }
            return None;
        }
        let Expr::Call(call) = test else { return None };
        let path = match self.qualified(&call.func).as_deref() {
            Some("os.path.exists" | "os.path.isfile" | "os.path.lexists") => {
                call.arguments.args.first()?
            }
            Some(_) => return None,
            // `p.exists()` on a path object the module cannot resolve.
            None => match call.func.as_ref() {
                Expr::Attribute(a)
                    if matches!(a.attr.as_str(), "exists" | "is_file")
                        && call.arguments.is_empty() =>
                {
                    a.value.as_ref()
                }
                _ => return None,
            },
        };
        let key = self.key(path);
        (!key.has_unknown()).then_some((key, true))
    }

    /// `a and p.exists() and b`: the one existence test among the `and`ed conditions, and the
    /// other conditions.
    fn conjoined_existence<'e>(&self, test: &'e Expr) -> Option<((PathKey, bool), Vec<&'e Expr>)> {
        let Expr::BoolOp(b) = test else { return None };
        if b.op != ast::BoolOp::And {
            return None;
        }
        let mut found = None;
        let mut others = Vec::new();
        for v in &b.values {
            match self.existence_test(v) {
                Some(e) if found.is_none() => found = Some(e),
                Some(_) => return None,
                None => others.push(v),
            }
        }
        found.map(|e| (e, others))
    }

    /// `not force and p.exists()`: an existence test joined only with negated flags (names or
    /// attributes), which an explicit option turns off.
    fn existence_unless_forced(&self, test: &Expr) -> Option<(PathKey, bool)> {
        let (existence, others) = self.conjoined_existence(test)?;
        others
            .iter()
            .all(|v| {
                matches!(v, Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not
                    && matches!(u.operand.as_ref(), Expr::Name(_) | Expr::Attribute(_)))
            })
            .then_some(existence)
    }

    /// An `elif` that repeats every other condition of `if cond and p.exists():` runs only
    /// when the file does not exist: the file's key.
    fn absent_after_conjunction(&self, test: &Expr, elif: &Expr) -> Option<PathKey> {
        use ruff_python_ast::comparable::ComparableExpr;
        let ((key, holds_if_present), others) = self.conjoined_existence(test)?;
        let repeated: Vec<ComparableExpr> = match elif {
            Expr::BoolOp(e) if e.op == ast::BoolOp::And => {
                e.values.iter().map(ComparableExpr::from).collect()
            }
            e => vec![ComparableExpr::from(e)],
        };
        let all_repeated = others
            .iter()
            .all(|v| repeated.contains(&ComparableExpr::from(*v)));
        (holds_if_present && all_repeated).then_some(key)
    }

    fn key_depth(&self, expr: &Expr, depth: u32) -> PathKey {
        if depth > 8 {
            return PathKey::Unknown;
        }
        match expr {
            Expr::StringLiteral(s) => PathKey::Lit(s.value.to_str().to_string()),
            Expr::FString(fs) => PathKey::concat(
                fs.value
                    .elements()
                    .map(|e| match e {
                        ast::InterpolatedStringElement::Literal(l) => {
                            PathKey::Lit(l.value.to_string())
                        }
                        ast::InterpolatedStringElement::Interpolation(i) => {
                            self.key_depth(&i.expression, depth + 1)
                        }
                    })
                    .collect(),
            ),
            Expr::Name(n) => {
                let name = n.id.as_str();
                if let Some(k) = self.local_paths.get(name) {
                    return k.clone();
                }
                if self.f.params.contains(&name) {
                    return PathKey::Param(name.to_string());
                }
                // Module constants stay names: `REGISTRY` reads better than its value, and
                // every function that uses the constant spells it the same way.
                PathKey::Var(name.to_string())
            }
            Expr::Attribute(_) => match dotted(expr) {
                Some(d) => PathKey::Attr(d),
                None => PathKey::Unknown,
            },
            // `name or self.filename`, `self.filename if name == "" else name`: the file the
            // caller names, when it names one (a caller that passes none leaves it unknown).
            Expr::BoolOp(b) if b.op == ast::BoolOp::Or => match b.values.first() {
                Some(Expr::Name(n)) if self.f.params.contains(&n.id.as_str()) => {
                    PathKey::Param(n.id.to_string())
                }
                _ => PathKey::Unknown,
            },
            Expr::If(e) => match (e.body.as_ref(), e.orelse.as_ref()) {
                (Expr::Name(n), _) | (_, Expr::Name(n))
                    if self.f.params.contains(&n.id.as_str())
                        && tests_name(&e.test, n.id.as_str()) =>
                {
                    PathKey::Param(n.id.to_string())
                }
                _ => PathKey::Unknown,
            },
            Expr::BinOp(b) if b.op == ast::Operator::Div => PathKey::join(vec![
                self.key_depth(&b.left, depth + 1),
                self.key_depth(&b.right, depth + 1),
            ]),
            // `'cells-%s.json' % user`: spelt as the f-string `f"cells-{user}.json"` is.
            Expr::BinOp(b) if b.op == ast::Operator::Mod => match b.left.as_ref() {
                Expr::StringLiteral(format) => {
                    let values: Vec<&Expr> = match b.right.as_ref() {
                        Expr::Tuple(t) => t.elts.iter().collect(),
                        Expr::Dict(_) => Vec::new(),
                        single => vec![single],
                    };
                    let parts = super::paths::percent_format_parts(format.value.to_str())
                        .into_iter()
                        .map(|part| match part {
                            FormatPart::Text(t) => PathKey::Lit(t),
                            FormatPart::Value(i) => values
                                .get(i)
                                .map_or(PathKey::Unknown, |v| self.key_depth(v, depth + 1)),
                            FormatPart::Named => PathKey::Unknown,
                        })
                        .collect();
                    PathKey::concat(parts)
                }
                _ => PathKey::Unknown,
            },
            Expr::BinOp(b) if b.op == ast::Operator::Add => match b.right.as_ref() {
                Expr::StringLiteral(s) => PathKey::Suffix(
                    Box::new(self.key_depth(&b.left, depth + 1)),
                    s.value.to_str().to_string(),
                ),
                _ => PathKey::Unknown,
            },
            Expr::Call(call) => {
                let args = &call.arguments.args;
                if let Expr::Attribute(attr) = call.func.as_ref() {
                    let method = attr.attr.as_str();
                    match method {
                        "with_suffix" | "with_name" => {
                            let added = match args.first() {
                                Some(Expr::StringLiteral(s)) => Some(s),
                                // `p.with_suffix(p.suffix + ".tmp")`: `reports.json.tmp`.
                                Some(Expr::BinOp(b))
                                    if method == "with_suffix"
                                        && b.op == ast::Operator::Add
                                        && matches!(b.left.as_ref(),
                                            Expr::Attribute(a) if a.attr.as_str() == "suffix") =>
                                {
                                    match b.right.as_ref() {
                                        Expr::StringLiteral(s) => Some(s),
                                        _ => None,
                                    }
                                }
                                _ => None,
                            };
                            if let Some(s) = added {
                                return PathKey::Suffix(
                                    Box::new(self.key_depth(&attr.value, depth + 1)),
                                    s.value.to_str().to_string(),
                                );
                            }
                        }
                        // `model.replace(".pth", ".json")`: a name derived from another, the
                        // same one wherever it is spelt so (SerpentAI's episode state beside its
                        // checkpoint).
                        "replace" if call.arguments.keywords.is_empty() => {
                            if let [Expr::StringLiteral(from), Expr::StringLiteral(to)] = &args[..]
                            {
                                return PathKey::Suffix(
                                    Box::new(self.key_depth(&attr.value, depth + 1)),
                                    format!(
                                        ".replace({:?}, {:?})",
                                        from.value.to_str(),
                                        to.value.to_str()
                                    ),
                                );
                            }
                        }
                        "joinpath" => {
                            let mut parts = vec![self.key_depth(&attr.value, depth + 1)];
                            parts.extend(args.iter().map(|a| self.key_depth(a, depth + 1)));
                            return PathKey::join(parts);
                        }
                        "resolve" | "absolute" | "expanduser" if args.is_empty() => {
                            return self.key_depth(&attr.value, depth + 1);
                        }
                        _ => {}
                    }
                }
                match self.qualified(&call.func).as_deref() {
                    // The user's home directory: one place for every process of the user.
                    Some("pathlib.Path.home" | "pathlib.PosixPath.home") if args.is_empty() => {
                        PathKey::Lit("~".to_string())
                    }
                    Some(
                        "pathlib.Path"
                        | "pathlib.PurePath"
                        | "pathlib.PosixPath"
                        | "pathlib.WindowsPath"
                        // Async wrappers of `pathlib.Path`: the same file.
                        | "anyio.Path"
                        | "trio.Path"
                        | "os.path.join"
                        | "os.fspath"
                        | "builtins.str"
                        | "os.path.abspath"
                        | "os.path.expanduser"
                        | "os.path.realpath"
                        | "os.path.normpath",
                    ) if !args.is_empty() => {
                        PathKey::join(args.iter().map(|a| self.key_depth(a, depth + 1)).collect())
                    }
                    // A function of the project (defined here or imported from it), or a
                    // method of `self`: a path helper. Its arguments name the file, keyword
                    // arguments by name and value (`self.path_of(kind="config")`); what `**kw`
                    // passes is unknown.
                    qualified if call.arguments.keywords.iter().all(|k| k.arg.is_some()) => {
                        let helper = match (call.func.as_ref(), qualified) {
                            (Expr::Name(n), None) => Some(n.id.to_string()),
                            (Expr::Name(n), Some(q)) if !crate::lint::project::is_stdlib(q) => {
                                Some(n.id.to_string())
                            }
                            (Expr::Attribute(a), _) if self.is_receiver(&a.value) => {
                                Some(format!("self.{}", a.attr))
                            }
                            _ => None,
                        };
                        let mut keywords: Vec<(&str, &Expr)> = call
                            .arguments
                            .keywords
                            .iter()
                            .filter_map(|k| Some((k.arg.as_ref()?.as_str(), &k.value)))
                            .collect();
                        keywords.sort_unstable_by_key(|(name, _)| *name);
                        match helper {
                            Some(name) => PathKey::Derived(
                                name,
                                args.iter()
                                    .map(|a| self.key_depth(a, depth + 1))
                                    .chain(keywords.into_iter().map(|(k, v)| {
                                        PathKey::concat(vec![
                                            PathKey::Lit(format!("{k}=")),
                                            self.key_depth(v, depth + 1),
                                        ])
                                    }))
                                    .collect(),
                            ),
                            None => PathKey::Unknown,
                        }
                    }
                    _ => PathKey::Unknown,
                }
            }
            _ => PathKey::Unknown,
        }
    }

    // ---- taint -------------------------------------------------------------------------

    /// The read a value derives from, if any. What an HTTP request returns is the server's
    /// answer, fetched anew, even when the request carries a field of the read (a refresh token):
    /// writing it back replaces the document, it does not merge into it.
    fn taint_of(&self, expr: &Expr) -> Option<Taint> {
        use ruff_python_ast::visitor::{self, Visitor};
        if let Expr::Call(call) = expr {
            if self
                .qualified(&call.func)
                .is_some_and(|q| CREDENTIAL_BUILDERS.contains(&q.as_str()))
            {
                return None;
            }
        }
        struct Find<'t, 'w, 'a> {
            w: &'t Walker<'w, 'a>,
            found: Option<Taint>,
        }
        impl<'e> Visitor<'e> for Find<'_, '_, '_> {
            fn visit_expr(&mut self, e: &'e Expr) {
                if self.found.is_some() || matches!(e, Expr::Lambda(_)) {
                    return;
                }
                match e {
                    Expr::Name(n) => self.found = self.w.taint.get(n.id.as_str()).copied(),
                    Expr::Attribute(a) if self.w.is_receiver(&a.value) => {
                        self.found = self.w.self_taint.get(a.attr.as_str()).copied();
                    }
                    Expr::Call(c) if self.w.is_http_request(c) => {}
                    _ => visitor::walk_expr(self, e),
                }
            }
        }
        let mut find = Find {
            w: self,
            found: None,
        };
        find.visit_expr(expr);
        find.found
    }

    /// A request to a web server: `requests.post(...)`, `httpx.get(...)`, `urlopen(...)`, or
    /// `session.post(...)` on a client session bound here.
    fn is_http_request(&self, call: &ast::ExprCall) -> bool {
        const METHODS: &[&str] = &[
            "get", "post", "put", "patch", "delete", "head", "request", "send", "urlopen",
        ];
        let method = match call.func.as_ref() {
            Expr::Attribute(a) => a.attr.as_str(),
            Expr::Name(n) => n.id.as_str(),
            _ => return false,
        };
        if !METHODS.contains(&method) {
            return false;
        }
        if let Expr::Attribute(a) = call.func.as_ref() {
            if let Expr::Name(n) = a.value.as_ref() {
                if self.http_clients.contains(n.id.as_str()) {
                    return true;
                }
            }
        }
        self.qualified(&call.func).is_some_and(|q| {
            HTTP_MODULES
                .iter()
                .any(|m| q.strip_prefix(m).is_some_and(|rest| rest.starts_with('.')))
        })
    }

    /// `aiohttp.ClientSession()`, `requests.Session()`, `httpx.AsyncClient()`.
    fn is_http_client(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Call(c) if self
            .qualified(&c.func)
            .is_some_and(|q| HTTP_CLIENTS.contains(&q.as_str())))
    }

    // ---- reads -------------------------------------------------------------------------

    /// If `expr` loads a JSON document, records the read and returns its taint.
    fn read_expr(&mut self, expr: &Expr) -> Option<Taint> {
        // Reads behind wrappers: `await load()`, `json.load(f)["items"]`, `load(p) or {}`,
        // `typing.cast(dict, json.load(f))`, a model built from the document.
        let expr = match expr {
            Expr::Await(a) => return self.read_expr(&a.value),
            Expr::Subscript(s) => return self.read_expr(&s.value),
            Expr::BoolOp(b) if b.op == ast::BoolOp::Or => {
                return b.values.first().and_then(|v| self.read_expr(v));
            }
            // `json.load(f) if os.path.exists(p) else {}`
            Expr::If(i) => {
                return self
                    .read_expr(&i.body)
                    .or_else(|| self.read_expr(&i.orelse));
            }
            Expr::Call(c)
                if c.arguments.args.len() == 2
                    && self.qualified(&c.func).as_deref() == Some("typing.cast") =>
            {
                return self.read_expr(&c.arguments.args[1]);
            }
            // `set(json.loads(text))`, `sorted(load(p))`: the same data in another container.
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && self
                        .qualified(&c.func)
                        .is_some_and(|q| CONVERSIONS.iter().any(|b| q == *b)) =>
            {
                return self.read_expr(&c.arguments.args[0]);
            }
            // `Log(**json.loads(text))`, `Log.parse_obj(json.load(f))`: a model made from the
            // document holds what it holds.
            Expr::Call(c)
                if c.arguments.args.is_empty()
                    && matches!(c.arguments.keywords.as_ref(), [k] if k.arg.is_none()) =>
            {
                return self.read_expr(&c.arguments.keywords[0].value);
            }
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && matches!(c.func.as_ref(), Expr::Attribute(a)
                        if matches!(a.attr.as_str(), "parse_obj" | "model_validate")) =>
            {
                return self.read_expr(&c.arguments.args[0]);
            }
            // `json.loads(text).get("injected", [])`: a part of the document (but `self.get(k)`
            // is a call of its own, perhaps of a helper that loads).
            Expr::Call(c)
                if matches!(c.func.as_ref(), Expr::Attribute(a)
                    if a.attr.as_str() == "get" && matches!(a.value.as_ref(), Expr::Call(_))) =>
            {
                let Expr::Attribute(a) = c.func.as_ref() else {
                    return None;
                };
                if let Some(taint) = self.read_expr(&a.value) {
                    return Some(taint);
                }
                expr
            }
            other => other,
        };
        let Expr::Call(call) = expr else { return None };
        if self.is_json_call(&call.func, &["load"]) {
            let source = call.arguments.find_argument_value("fp", 0)?;
            let key = self.readable_file(source)?;
            return Some(self.record_read(key, expr.range(), true, Vec::new()));
        }
        if self.is_json_call(&call.func, &["loads"]) {
            let source = call.arguments.find_argument_value("s", 0)?;
            let key = self.read_text_of(source)?;
            return Some(self.record_read(key, expr.range(), true, Vec::new()));
        }
        // json_repair's parser of model output, which LLM programs also use to load their own
        // files: `repair_json(text, return_objects=True)` returns the document.
        let repairs = self.qualified(&call.func).as_deref() == Some("json_repair.repair_json")
            && call.arguments.keywords.iter().any(|k| {
                k.arg
                    .as_ref()
                    .is_some_and(|a| a.as_str() == "return_objects")
                    && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
            });
        if repairs {
            let source = call.arguments.find_argument_value("json_str", 0)?;
            let key = self.read_text_of(source)?;
            return Some(self.record_read(key, expr.range(), true, Vec::new()));
        }
        // A library that loads a JSON file by its path: google-auth's stored OAuth token. The
        // read makes the file state (a torn rewrite loses the user's authorization, SWC202), but
        // what is written back is the credential refreshed from the server, one whole document
        // with nothing of another process's to lose: no taint, so no read-modify-write.
        if self.qualified(&call.func).as_deref() == Some(TOKEN_FILE_READER) {
            let key = self.key(call.arguments.find_argument_value("filename", 0)?);
            if !key.has_unknown() {
                self.record_read(key, expr.range(), true, Vec::new());
            }
            return None;
        }
        // A helper that returns a loaded document.
        let closure = self.calls_closure(call);
        let (summary, args) = self.summary_for(call)?;
        let (key, kinds) = summary.returns.clone()?;
        let key = self.callee_key(&key, &args, closure);
        Some(self.record_read(key, expr.range(), false, kinds))
    }

    fn record_read(
        &mut self,
        key: PathKey,
        range: TextRange,
        direct: bool,
        inner: Vec<LockKind>,
    ) -> Taint {
        let mut regions = self.regions.clone();
        // Locks taken inside a helper are released when it returns: a region of its own.
        for kind in inner {
            let id = self.fresh_region();
            regions.push((id, kind));
        }
        if direct && !key.has_unknown() && !self.result.summary.reads.contains(&key) {
            self.result.summary.reads.push(key.clone());
        }
        self.reads.push(Read {
            key,
            range,
            regions,
            direct,
            cached: false,
            tolerated_in: self.tolerant_try.last().copied(),
        });
        Taint(self.reads.len() - 1)
    }

    /// The path of a readable file object: a handle name, `open(p)`, `p.open()`.
    fn readable_file(&self, expr: &Expr) -> Option<PathKey> {
        match expr {
            Expr::Name(n) => self
                .handles
                .get(n.id.as_str())
                .filter(|h| h.mode != Mode::Append)
                .map(|h| h.key.clone()),
            Expr::Call(_) => self
                .opened(expr)
                .filter(|(_, m)| *m == Mode::Read)
                .map(|(k, _)| k),
            _ => None,
        }
    }

    /// `p.read_text()`, `f.read()`, `open(p).read()`, and their awaited async forms
    /// (`await anyio.Path(p).read_text()`, `await f.read()` on an aiofiles handle).
    fn read_text_of(&self, expr: &Expr) -> Option<PathKey> {
        match expr {
            Expr::Await(a) => return self.read_text_of(&a.value),
            Expr::Name(n) => return self.texts.get(n.id.as_str()).cloned(),
            // `json.loads(f.read() or "{}")`
            Expr::BoolOp(b) if b.op == ast::BoolOp::Or => {
                return b.values.first().and_then(|v| self.read_text_of(v));
            }
            _ => {}
        }
        let Expr::Call(call) = expr else { return None };
        let Expr::Attribute(attr) = call.func.as_ref() else {
            return None;
        };
        match attr.attr.as_str() {
            "read_text" | "read_bytes" => {
                Some(self.key(&attr.value)).filter(|k| *k != PathKey::Unknown)
            }
            "read" => self.readable_file(&attr.value),
            // The same text cleaned up before it is parsed: `content.strip()`,
            // `content.replace(",}", "}")` (XX-Net's config loader).
            "decode" | "strip" | "lstrip" | "rstrip" | "replace" => self.read_text_of(&attr.value),
            _ => None,
        }
    }

    /// `open(p, mode)`, `io.open`, `codecs.open`, `p.open(mode)`, and the async openers: the path
    /// and mode.
    fn opened(&self, expr: &Expr) -> Option<(PathKey, Mode)> {
        // `await anyio.open_file(p)`
        if let Expr::Await(a) = expr {
            return self.opened(&a.value);
        }
        let Expr::Call(call) = expr else { return None };
        let q = self.qualified(&call.func);
        let (path, mode_arg) = match q.as_deref() {
            // A descriptor opened for writing and not to append: what `os.write` puts there
            // replaces the file in place, after truncating it (`O_TRUNC`) or over the old bytes
            // (st2's token cache: a shorter document leaves the old tail behind it).
            Some("os.open") => {
                let path = call.arguments.find_argument_value("path", 0)?;
                let flags = call.arguments.find_argument_value("flags", 1)?;
                let writes = ["O_TRUNC", "O_WRONLY", "O_RDWR"]
                    .iter()
                    .any(|f| mentions_flag(flags, f));
                return (writes && !mentions_flag(flags, "O_APPEND"))
                    .then(|| (self.key(path), Mode::Write));
            }
            // `aiofiles.open` and `anyio.open_file` open the same file for async reads and
            // writes (`await f.read()`, `await f.write(...)`).
            Some(
                "builtins.open" | "io.open" | "codecs.open" | "aiofiles.open" | "anyio.open_file",
            ) => (
                call.arguments.find_argument_value("file", 0)?,
                call.arguments.find_argument_value("mode", 1),
            ),
            // `p.open("w")` on a path the module names (a local, `self.path`), or on one that
            // another module keeps (`constants.Hosting.HOSTING_JSON.open("w")`, which resolves
            // to an imported name): opened with nothing but a file mode, as only a path is.
            // Library openers (`webbrowser.open(url)`, `tarfile.open(name)`) take a name first.
            _ => match call.func.as_ref() {
                Expr::Attribute(a)
                    if a.attr.as_str() == "open" && (q.is_none() || opens_by_mode_only(call)) =>
                {
                    (
                        a.value.as_ref(),
                        call.arguments.find_argument_value("mode", 0),
                    )
                }
                _ => return None,
            },
        };
        let mode = match mode_arg {
            None => Mode::Read,
            Some(Expr::StringLiteral(s)) => {
                let m = s.value.to_str();
                if m.contains('a') {
                    Mode::Append
                } else if m.contains('w') || m.contains('x') || m.contains('+') {
                    Mode::Write
                } else {
                    Mode::Read
                }
            }
            Some(_) => return None,
        };
        Some((self.key(path), mode))
    }

    /// The id of the function a call invokes: `self.method(...)` in a class, a closure of this
    /// function, or a module-level function.
    fn callee_id(&self, call: &ast::ExprCall) -> Option<String> {
        let (func, _) = self.dispatched(call);
        self.callee_id_of(func)
    }

    /// The function a call runs and where its own arguments start: `f(a)` runs `f`;
    /// `asyncio.to_thread(f, a)` and `loop.run_in_executor(None, f, a)` run `f` in a thread.
    fn dispatched<'c>(&self, call: &'c ast::ExprCall) -> (&'c Expr, usize) {
        let args = &call.arguments.args;
        match call.func.as_ref() {
            Expr::Attribute(a) if a.attr.as_str() == "run_in_executor" && args.len() >= 2 => {
                (&args[1], 2)
            }
            func if !args.is_empty()
                && self.qualified(func).as_deref() == Some("asyncio.to_thread") =>
            {
                (&args[0], 1)
            }
            func => (func, 0),
        }
    }

    fn callee_id_of(&self, func: &Expr) -> Option<String> {
        match func {
            Expr::Attribute(a) if self.is_receiver(&a.value) => {
                Some(format!("{}.{}", self.f.class.as_deref()?, a.attr))
            }
            Expr::Name(n) => {
                let local = format!("{}.<locals>.{}", self.f.id, n.id);
                if self.summaries.contains_key(&local) {
                    Some(local)
                } else if self.summaries.contains_key(n.id.as_str()) {
                    Some(n.id.to_string())
                } else {
                    // A helper imported from another module of the project.
                    self.semantic
                        .qualified_name(self.scope, func)
                        .filter(|q| self.summaries.contains_key(q))
                        .or_else(|| Some(n.id.to_string()))
                }
            }
            Expr::Attribute(_) => self
                .semantic
                .qualified_name(self.scope, func)
                .filter(|q| self.summaries.contains_key(q)),
            _ => None,
        }
    }

    /// A callee's path key in this function's terms: its parameters become the arguments'
    /// keys, and a closure's free names (`path` of the enclosing function) become this
    /// function's keys for them.
    fn callee_key(&self, key: &PathKey, args: &HashMap<String, &Expr>, closure: bool) -> PathKey {
        let key = key.substitute(&|p| args.get(p).map(|a| self.key(a)));
        if closure {
            key.substitute_vars(&|v| self.local_paths.get(v).cloned())
        } else {
            key
        }
    }

    /// Whether the call runs a function defined inside this one.
    fn calls_closure(&self, call: &ast::ExprCall) -> bool {
        self.callee_id(call)
            .is_some_and(|id| id.starts_with(&format!("{}.<locals>.", self.f.id)))
    }

    fn summary_for<'c>(
        &self,
        call: &'c ast::ExprCall,
    ) -> Option<(&'w Summary, HashMap<String, &'c Expr>)>
    where
        'w: 'c,
    {
        let (func, skip) = self.dispatched(call);
        let id = self.callee_id_of(func)?;
        let summary = self.summaries.get(&id)?;
        let mut args = HashMap::default();
        for (i, arg) in call.arguments.args.iter().skip(skip).enumerate() {
            if let Some(p) = summary.params.get(i) {
                args.insert(p.clone(), arg);
            }
        }
        for kw in call.arguments.keywords.iter() {
            if let Some(name) = &kw.arg {
                args.insert(name.to_string(), &kw.value);
            }
        }
        Some((summary, args))
    }
}

impl<'w, 'a> Walker<'w, 'a> {
    // ---- statements --------------------------------------------------------------------

    fn body(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    /// A branch of an `if`. A file it removes on a path that leaves the function (`if not
    /// cookies: os.remove(path); return`) is not removed before what follows the `if`.
    fn branch(&mut self, stmts: &'a [Stmt]) {
        let unlinked = self.unlinked.len();
        self.body(stmts);
        if ends_in_return(stmts) {
            self.unlinked.truncate(unlinked);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::With(with) => {
                let depth = self.regions.len();
                for item in &with.items {
                    self.with_item(item);
                }
                self.body(&with.body);
                self.regions.truncate(depth);
            }
            Stmt::Assign(assign) => {
                if let [Expr::Name(n)] = assign.targets.as_slice() {
                    if self.is_http_client(&assign.value) {
                        self.http_clients.insert(n.id.as_str());
                    }
                }
                self.exprs(&assign.value);
                let document = self.read_expr(&assign.value);
                let taint = document.or_else(|| self.taint_of(&assign.value));
                for target in &assign.targets {
                    self.bind_document(target, document);
                    self.bind(target, &assign.value, taint);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    self.exprs(value);
                    let document = self.read_expr(value);
                    let taint = document.or_else(|| self.taint_of(value));
                    self.bind_document(&assign.target, document);
                    self.bind(&assign.target, value, taint);
                }
            }
            Stmt::AugAssign(aug) => self.exprs(&aug.value),
            Stmt::Return(ret) => {
                if let Some(value) = &ret.value {
                    self.exprs(value);
                    let taint = self.read_expr(value).or_else(|| self.taint_of(value));
                    if let (Some(t), None) = (taint, &self.result.summary.returns) {
                        let read = &self.reads[t.0];
                        if !read.cached {
                            let kinds = read.regions.iter().map(|(_, k)| *k).collect();
                            self.result.summary.returns = Some((read.key.clone(), kinds));
                        }
                    }
                }
            }
            Stmt::Expr(e) => {
                self.exprs(&e.value);
                // `out.append(item)` with an item from the document, or the document itself
                // (`defaults.update(json.load(f))`, `self.update(**json.loads(text))`): `out`
                // carries it now.
                if let Expr::Call(call) = e.value.as_ref() {
                    if let Expr::Attribute(m) = call.func.as_ref() {
                        let fills = matches!(
                            m.attr.as_str(),
                            "append" | "extend" | "update" | "add" | "insert" | "setdefault"
                        );
                        let taint = fills
                            .then(|| {
                                call.arguments
                                    .args
                                    .iter()
                                    .chain(call.arguments.keywords.iter().map(|k| &k.value))
                                    .find_map(|a| self.read_expr(a).or_else(|| self.taint_of(a)))
                            })
                            .flatten();
                        if let Some(t) = taint {
                            self.carry_into(&m.value, t);
                        }
                    }
                }
            }
            Stmt::If(i) => {
                // A value is derived from a read if it is on any branch: `if exists: data =
                // load() else: data = {}` still writes back what was read.
                self.exprs(&i.test);
                let before = (self.taint.clone(), self.self_taint.clone());
                let paths_before = self.local_paths.clone();
                // The path each branch that falls through leaves in each local.
                let mut paths_after: Vec<HashMap<String, PathKey>> = Vec::new();
                let existence = self.existence_test(&i.test);
                let depth = self.absent.len();
                if let Some((key, false)) = &existence {
                    self.absent.push(key.clone());
                }
                self.branch(&i.body);
                self.absent.truncate(depth);
                if !ends_in_return(&i.body) {
                    paths_after.push(self.local_paths.clone());
                }
                let mut merged = (self.taint.clone(), self.self_taint.clone());
                let has_else = i.elif_else_clauses.iter().any(|c| c.test.is_none());
                for clause in &i.elif_else_clauses {
                    (self.taint, self.self_taint) = before.clone();
                    self.local_paths = paths_before.clone();
                    if let Some(test) = &clause.test {
                        self.exprs(test);
                    }
                    if let (Some((key, true)), None) = (&existence, &clause.test) {
                        self.absent.push(key.clone());
                    }
                    // `if enabled and p.exists(): ... elif enabled:`: the file is absent.
                    if let Some(key) = clause
                        .test
                        .as_ref()
                        .and_then(|t| self.absent_after_conjunction(&i.test, t))
                    {
                        self.absent.push(key);
                    }
                    self.branch(&clause.body);
                    self.absent.truncate(depth);
                    union_into(&mut merged, (&self.taint, &self.self_taint));
                    if !ends_in_return(&clause.body) {
                        paths_after.push(self.local_paths.clone());
                    }
                }
                if !has_else {
                    paths_after.push(paths_before);
                }
                self.local_paths = join_paths(paths_after, &|n| self.f.params.contains(&n));
                // `if p.exists(): return ...`: what follows runs only when the file is absent
                // (also `if not force and p.exists(): return`, a cache that only an explicit
                // flag rebuilds).
                let early_exit = existence
                    .clone()
                    .or_else(|| self.existence_unless_forced(&i.test));
                if let (Some((key, true)), true) = (&early_exit, ends_in_return(&i.body)) {
                    if i.elif_else_clauses.is_empty() {
                        self.absent.push(key.clone());
                    }
                }
                if !has_else {
                    union_into(&mut merged, (&before.0, &before.1));
                }
                (self.taint, self.self_taint) = merged;
            }
            Stmt::For(l) => {
                self.exprs(&l.iter);
                // `for k, v in doc.items():` — the loop variables carry the document's data.
                let taint = self.read_expr(&l.iter).or_else(|| self.taint_of(&l.iter));
                let mut names = Vec::new();
                crate::lint::blocks::bound_names(&l.target, &mut names);
                for name in names {
                    self.documents.remove(&name);
                    match taint {
                        Some(t) => self.taint.insert(name, t),
                        None => self.taint.remove(&name),
                    };
                }
                self.body(&l.body);
                self.body(&l.orelse);
            }
            Stmt::While(l) => {
                self.exprs(&l.test);
                self.body(&l.body);
                self.body(&l.orelse);
            }
            Stmt::Try(t) => {
                // `try: data = json.load(f) / except: data = {}`: the handler may run after any
                // part of the body, so its result merges with the body's.
                let before = (self.taint.clone(), self.self_taint.clone());
                let tolerant = treats_unreadable_as_missing(t);
                if tolerant {
                    let body = match (t.body.first(), t.body.last()) {
                        (Some(a), Some(b)) => TextRange::new(a.start(), b.end()),
                        _ => t.range,
                    };
                    self.tolerant_try.push(body);
                }
                self.body(&t.body);
                if tolerant {
                    self.tolerant_try.pop();
                }
                self.body(&t.orelse);
                let mut merged = (self.taint.clone(), self.self_taint.clone());
                union_into(&mut merged, (&before.0, &before.1));
                for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                    (self.taint, self.self_taint) = merged.clone();
                    self.body(&h.body);
                    union_into(&mut merged, (&self.taint, &self.self_taint));
                }
                (self.taint, self.self_taint) = merged;
                self.body(&t.finalbody);
            }
            Stmt::Match(m) => {
                let before = (self.taint.clone(), self.self_taint.clone());
                let mut merged = before.clone();
                for case in &m.cases {
                    (self.taint, self.self_taint) = before.clone();
                    self.body(&case.body);
                    union_into(&mut merged, (&self.taint, &self.self_taint));
                }
                (self.taint, self.self_taint) = merged;
            }
            _ => {}
        }
    }

    /// The lock a `with` item holds: a local lock object (`lock = FileLock(p)`; `with lock:` or
    /// `with lock.acquire(timeout=10):`), else what the module's lock table knows.
    fn lock_kind(&self, ctx: &Expr) -> Option<LockKind> {
        let local = match ctx {
            Expr::Name(n) => Some(n.id.as_str()),
            Expr::Call(c) => match c.func.as_ref() {
                Expr::Attribute(a) if a.attr.as_str() == "acquire" => match a.value.as_ref() {
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        local
            .and_then(|n| self.local_locks.get(n).copied())
            .or_else(|| {
                self.locks
                    .lock_kind(ctx, self.semantic, self.scope, self.f.receiver)
            })
    }

    fn with_item(&mut self, item: &'a ast::WithItem) {
        let ctx = &item.context_expr;
        if let Some(kind) = self.lock_kind(ctx) {
            let id = self.fresh_region();
            self.regions.push((id, kind));
        }
        let Some(var) = item.optional_vars.as_deref() else {
            self.exprs(ctx);
            return;
        };
        let Expr::Name(name) = var else { return };
        let name = name.id.as_str();
        // `as f` rebinds `f`: a handle an earlier `with open(p) as f` bound is gone (paasta reads
        // a file through one `f`, then writes through `with atomic_file_write(p) as f`).
        self.handles.remove(name);
        if self.is_http_client(ctx) {
            self.http_clients.insert(name);
            return;
        }
        if let Some((key, mode)) = self.opened(ctx) {
            let temp = self.temp_of(&key);
            self.handles
                .insert(name.to_string(), Handle { key, mode, temp });
        } else if let Some(temp) = self.temp_file_handle(ctx) {
            self.handles.insert(name.to_string(), temp);
        } else if let Some(fd_handle) = self.fdopen(ctx) {
            self.handles.insert(name.to_string(), fd_handle);
        } else {
            self.exprs(ctx);
        }
    }

    /// Temp-ness of a path key: a name from `mkstemp`, or a fixed derived name.
    fn temp_of(&self, key: &PathKey) -> Option<Temp> {
        // The path of a temp name bound here (`tmp = f"{path}.{os.getpid()}.tmp"`): what the
        // binding decided.
        if let Some(temp) = self
            .local_paths
            .iter()
            .find(|(_, k)| *k == key)
            .and_then(|(n, _)| self.temps.get(n))
        {
            return Some(temp.clone());
        }
        match key {
            PathKey::Var(n) | PathKey::Param(n) => self.temps.get(n).cloned(),
            PathKey::Suffix(_, s) if s.contains("tmp") || s.contains("temp") => Some(Temp::Fixed),
            PathKey::Join(parts) | PathKey::Concat(parts) => match parts.last() {
                Some(PathKey::Lit(s)) if s.ends_with(".tmp") => Some(Temp::Fixed),
                _ => None,
            },
            _ => None,
        }
    }

    /// `tempfile.NamedTemporaryFile("w", dir=..., delete=False)`: a unique temp file handle.
    fn temp_file_handle(&self, ctx: &Expr) -> Option<Handle> {
        let Expr::Call(call) = ctx else { return None };
        let q = self.qualified(&call.func)?;
        if q != "tempfile.NamedTemporaryFile" {
            return None;
        }
        Some(Handle {
            key: PathKey::Unknown,
            mode: Mode::Write,
            temp: Some(Temp::Unique),
        })
    }

    /// `os.fdopen(fd, "w")` on a descriptor from `mkstemp` or from `os.open` for writing.
    fn fdopen(&self, ctx: &Expr) -> Option<Handle> {
        let Expr::Call(call) = ctx else { return None };
        if self.qualified(&call.func).as_deref() != Some("os.fdopen") {
            return None;
        }
        let Some(Expr::Name(fd)) = call.arguments.args.first() else {
            return None;
        };
        self.handle_named(fd.id.as_str())
    }

    /// What the name `name` writes to: a file object or descriptor bound here (`f = open(p,
    /// "w")`, `fd = os.open(p, os.O_WRONLY)`), or the descriptor of `fd, tmp =
    /// tempfile.mkstemp(...)`.
    fn handle_named(&self, name: &str) -> Option<Handle> {
        self.handles
            .get(name)
            .cloned()
            .or_else(|| self.mkstemp_handle(name))
    }

    /// The descriptor `fd` of `fd, tmp = tempfile.mkstemp(...)`: a unique temporary file.
    fn mkstemp_handle(&self, fd: &str) -> Option<Handle> {
        let tmp = self.local_paths.get(&format!("fd:{fd}"))?.clone();
        Some(Handle {
            key: tmp,
            mode: Mode::Write,
            temp: Some(Temp::Unique),
        })
    }

    fn bind_document(&mut self, target: &Expr, document: Option<Taint>) {
        if let Expr::Name(n) = target {
            match document {
                Some(t) => self.documents.insert(n.id.to_string(), t),
                None => self.documents.remove(n.id.as_str()),
            };
        }
    }

    /// Whether `key` names another record of the store the read `idx` came from through a
    /// field of that very document (`f"{task.id}.json"` after `task = load_task(task_id)`
    /// read `f"{task_id}.json"`): the record the document was loaded from, under its own id.
    fn names_own_record(&self, key: &PathKey, idx: usize) -> bool {
        fn field_heads<'k>(key: &'k PathKey, out: &mut Vec<&'k str>) {
            match key {
                PathKey::Attr(chain) => out.extend(chain.split_once('.').map(|(h, _)| h)),
                PathKey::Join(parts) | PathKey::Concat(parts) | PathKey::Derived(_, parts) => {
                    parts.iter().for_each(|p| field_heads(p, out))
                }
                PathKey::Suffix(base, _) => field_heads(base, out),
                _ => {}
            }
        }
        let mut heads = Vec::new();
        field_heads(key, &mut heads);
        if !heads
            .iter()
            .any(|h| self.documents.get(*h) == Some(&Taint(idx)))
        {
            return false;
        }
        let family = key.record_family();
        family.is_some() && family == self.reads[idx].key.record_family()
    }

    fn bind(&mut self, target: &'a Expr, value: &'a Expr, taint: Option<Taint>) {
        match target {
            Expr::Name(n) => {
                let name = n.id.to_string();
                if let Some(t) = taint {
                    self.taint.insert(name.clone(), t);
                } else {
                    self.taint.remove(&name);
                }
                // What the value means, computed before the name forgets its old meaning (the
                // value may mention the name: `path = path.with_suffix(".tmp")`).
                let lock = self.lock_kind(value);
                let opened = self.opened(value);
                let handle = self.temp_file_handle(value).or_else(|| self.fdopen(value));
                let key = self.key(value);
                match self.read_text_of(value) {
                    Some(text) => self.texts.insert(name.clone(), text),
                    None => self.texts.remove(&name),
                };
                match self.dumped_in(value) {
                    Some(document) => self.json_texts.insert(name.clone(), document),
                    None => self.json_texts.remove(&name),
                };
                // `tmp = f.name` of a temp-file handle: moving `tmp` moves what `f` wrote.
                let handle_path = match value {
                    Expr::Attribute(a) if a.attr.as_str() == "name" => dotted(value),
                    _ => None,
                };
                match handle_path {
                    Some(text) => self.handle_paths.insert(name.clone(), text),
                    None => self.handle_paths.remove(&name),
                };
                self.handles.remove(&name);
                self.local_locks.remove(&name);
                self.local_paths.remove(&name);
                self.temps.remove(&name);
                if let Some(kind) = lock {
                    self.local_locks.insert(name, kind);
                } else if let Some((key, mode)) = opened {
                    let temp = self.temp_of(&key);
                    self.handles.insert(name, Handle { key, mode, temp });
                } else if let Some(h) = handle {
                    self.handles.insert(name, h);
                } else if taint.is_none() && key != PathKey::Unknown {
                    if let Some(temp) = self.temp_of(&key) {
                        // `f"{path}.{os.getpid()}.tmp"`: a temp name of this process alone.
                        let temp =
                            if super::origins::has_unique_part(value, self.scope, self.semantic) {
                                Temp::Unique
                            } else {
                                temp
                            };
                        self.temps.insert(name.clone(), temp);
                    }
                    self.local_paths.insert(name, key);
                }
            }
            Expr::Attribute(a) if self.is_receiver(&a.value) => {
                if taint.is_none() {
                    let key = self.key(value);
                    if key.has_param() && !key.has_unknown() {
                        if let Some(dotted) = dotted(target) {
                            self.self_paths.push((key, dotted));
                        }
                    }
                }
                // `self.content = response.json()`: the attribute no longer holds the document
                // (what is written from it next is not derived from the read).
                if taint.is_none() {
                    self.self_taint.remove(a.attr.as_str());
                    self.self_fresh.insert(a.attr.to_string());
                } else {
                    self.self_fresh.remove(a.attr.as_str());
                }
                if let Some(t) = taint {
                    self.cache_on_self(a.attr.as_str(), t);
                }
            }
            // `out[k] = item` with an item from the document: `out` carries it now.
            Expr::Subscript(sub) => {
                if let Some(t) = taint {
                    self.carry_into(&sub.value, t);
                }
            }
            Expr::Tuple(t) => {
                // `fd, tmp = tempfile.mkstemp(...)`
                if let (Some(Expr::Name(fd)), Some(Expr::Name(tmp)), Expr::Call(call)) =
                    (t.elts.first(), t.elts.get(1), value)
                {
                    if self.qualified(&call.func).as_deref() == Some("tempfile.mkstemp") {
                        self.temps.insert(tmp.id.to_string(), Temp::Unique);
                        self.local_paths
                            .insert(format!("fd:{}", fd.id), PathKey::Var(tmp.id.to_string()));
                        self.local_paths
                            .insert(tmp.id.to_string(), PathKey::Var(tmp.id.to_string()));
                    }
                }
            }
            _ => {}
        }
    }

    /// Marks the container `target` (a name, or an attribute of `self`) as holding data of the
    /// read `t`.
    fn carry_into(&mut self, target: &Expr, t: Taint) {
        match target {
            Expr::Name(n) => {
                self.taint.entry(n.id.to_string()).or_insert(t);
            }
            // `self.servers[port] = entry` for each entry of the document: the attribute caches
            // the document's data as much as `self.servers = doc` would.
            Expr::Attribute(a)
                if self.is_receiver(&a.value) && !self.self_taint.contains_key(a.attr.as_str()) =>
            {
                self.cache_on_self(a.attr.as_str(), t);
            }
            _ => {}
        }
    }

    /// `self.<attr>` holds data of the read `t` from here on, and other methods of the class see
    /// it as a snapshot of that file. (`load(self, path)` caches what `path` held in this call;
    /// `save(self, path)` in another method may be handed any other file, so a parameter's file
    /// is no snapshot.)
    fn cache_on_self(&mut self, attr: &str, t: Taint) {
        self.self_taint.insert(attr.to_string(), t);
        let read = &self.reads[t.0];
        if !read.cached && !read.key.has_param() {
            self.result
                .self_snapshots
                .push((attr.to_string(), (read.key.clone(), read.range)));
        } else if !read.cached {
            self.param_snapshots.push((attr.to_string(), t));
        }
    }

    // ---- expressions -------------------------------------------------------------------

    /// Visits every call in an expression, in evaluation order (roughly), for writes, lock
    /// calls, summaries and closures.
    fn exprs(&mut self, expr: &'a Expr) {
        let mut calls: Vec<&'a ast::ExprCall> = Vec::new();
        collect_calls(expr, &mut calls);
        for call in calls {
            self.call(call);
        }
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        let q = self.qualified(&call.func);
        let args = &call.arguments.args;
        if q.as_deref()
            .is_some_and(|q| q == TOKEN_FILE_READER || CREDENTIAL_BUILDERS.contains(&q))
        {
            self.result.handles_credentials = true;
        }
        if let Some(callee) = self
            .callee_id_of(&call.func)
            .filter(|id| super::held_by_callers::is_private(id))
        {
            let kinds = self.regions.iter().map(|(_, k)| *k).collect();
            self.result.private_calls.push((callee, kinds));
        }
        // `fn()` on a callable parameter: the wrapper runs it under the locks held here.
        if let Expr::Name(n) = call.func.as_ref() {
            if self.f.params.contains(&n.id.as_str()) {
                let kinds = self.regions.iter().map(|(_, k)| *k).collect();
                self.result
                    .summary
                    .calls_param
                    .push((n.id.to_string(), kinds));
            }
        }
        // Manual lock acquisition and release: local lock objects, then the module's.
        let local_manual = match call.func.as_ref() {
            Expr::Attribute(a) if matches!(a.attr.as_str(), "acquire" | "release") => {
                match a.value.as_ref() {
                    Expr::Name(n) => self
                        .local_locks
                        .get(n.id.as_str())
                        .map(|k| (*k, a.attr.as_str() == "acquire", n.id.to_string())),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((kind, acquire, text)) =
            local_manual.or_else(|| self.locks.manual_lock(call, q.as_deref(), self.f.receiver))
        {
            if acquire {
                let id = self.fresh_region();
                self.regions.push((id, kind));
                self.manual.push((text, id));
            } else if let Some(pos) = self.manual.iter().rposition(|(t, _)| *t == text) {
                let (_, id) = self.manual.remove(pos);
                self.regions.retain(|(r, _)| *r != id);
            }
            return;
        }
        // os.write(fd, json.dumps(value).encode()) on `fd = os.open(path, O_WRONLY | O_TRUNC)`
        if q.as_deref() == Some("os.write") && args.len() == 2 {
            if let Some(dumped) = self.dumps_value(&args[1]) {
                let taint = self.taint_of(dumped);
                let source = ValueSource::of(dumped, self.f);
                self.note_held(dumped, call.range());
                self.dump_to(&args[0], taint, call.range(), source);
            }
            return;
        }
        // json.dump(value, f)
        if self.is_json_call(&call.func, &["dump"]) {
            let value = call.arguments.find_argument_value("obj", 0);
            let target = call.arguments.find_argument_value("fp", 1);
            if let (Some(value), Some(target)) = (value, target) {
                let taint = self.taint_of(value);
                self.note_held(value, call.range());
                self.dump_to(target, taint, call.range(), ValueSource::of(value, self.f));
            }
            return;
        }
        if let Expr::Attribute(attr) = call.func.as_ref() {
            let method = attr.attr.as_str();
            // f.write(json.dumps(value)), p.write_text(json.dumps(value))
            if matches!(method, "write" | "write_text" | "write_bytes") {
                if let Some(dumped) = args.first().and_then(|a| self.dumps_value(a)) {
                    let taint = self.taint_of(dumped);
                    let source = ValueSource::of(dumped, self.f);
                    self.note_held(dumped, call.range());
                    if method == "write" {
                        self.dump_to(&attr.value, taint, call.range(), source);
                    } else {
                        let key = self.key(&attr.value);
                        match self.temp_of(&key) {
                            // `tmp.write_text(json.dumps(d)); tmp.replace(path)`
                            Some(temp) => {
                                let regions = self.regions.clone();
                                self.temp_writes.push(TempWrite {
                                    key,
                                    handle_name: None,
                                    temp,
                                    value: taint,
                                    source,
                                    regions,
                                });
                            }
                            None => self.write_file(
                                key,
                                taint,
                                call.range(),
                                Scheme::InPlace,
                                false,
                                source,
                            ),
                        }
                    }
                }
                return;
            }
            if matches!(method, "unlink") && args.is_empty() {
                let key = self.key(&attr.value);
                self.unlinked.push(key);
                return;
            }
            if matches!(method, "replace" | "rename") && args.len() == 1 && q.is_none() {
                let (src, dst) = (&attr.value, &args[0]);
                self.move_into_place(src, dst);
                return;
            }
        }
        match q.as_deref() {
            Some("os.replace" | "os.rename" | "shutil.move") if args.len() >= 2 => {
                self.move_into_place(&args[0], &args[1]);
                return;
            }
            Some("os.unlink" | "os.remove") if !args.is_empty() => {
                let key = self.key(&args[0]);
                self.unlinked.push(key);
                return;
            }
            _ => {}
        }
        // Helper summaries: writes, and callables run under a lock.
        let Some((summary, arg_map)) = self.summary_for(call) else {
            return;
        };
        let summary = summary.clone();
        let callee = self.callee_id(call);
        let closure = self.calls_closure(call);
        // `self.load(self.save_path)`: the file is read here, through the helper.
        for callee_key in &summary.reads {
            let key = self.callee_key(callee_key, &arg_map, closure);
            if !key.has_unknown()
                && !self
                    .reads
                    .iter()
                    .any(|r| r.key == key && r.range == call.range())
            {
                let Taint(idx) = self.record_read(key, call.range(), true, Vec::new());
                // The helper treats an unreadable file as missing.
                if summary.tolerant_reads.contains(callee_key) {
                    self.reads[idx].tolerated_in = Some(call.range());
                }
            }
        }
        // `self._read_data("data.json")`: `self.data` holds that file's document from here on.
        let on_self =
            matches!(call.func.as_ref(), Expr::Attribute(a) if self.is_receiver(&a.value));
        for (attr, callee_key) in summary.loads_into.iter().filter(|_| on_self) {
            let key = self.callee_key(callee_key, &arg_map, closure);
            let read = self
                .reads
                .iter()
                .rposition(|r| r.key == key && r.range == call.range());
            if let Some(idx) = read {
                self.self_taint.insert(attr.clone(), Taint(idx));
                self.self_fresh.remove(attr.as_str());
            }
        }
        for (callee_key, source, kinds) in &summary.writes {
            let key = self.callee_key(callee_key, &arg_map, closure);
            let (taint, source) = match source {
                // A closure writes a value of the enclosing function: its taint is known here.
                ValueSource::Free(n) if closure => (
                    self.taint.get(n).copied(),
                    if self.f.params.contains(&n.as_str()) {
                        ValueSource::Param(n.clone())
                    } else {
                        ValueSource::Free(n.clone())
                    },
                ),
                ValueSource::Free(_) => (None, ValueSource::Other),
                ValueSource::Param(p) => match arg_map.get(p) {
                    Some(arg) => (self.taint_of(arg), ValueSource::of(arg, self.f)),
                    None => (None, ValueSource::Other),
                },
                // What the helper loaded into `self` itself it writes back itself: its own
                // read-modify-write, reported there.
                ValueSource::SelfAttr(a) if summary.loads_into.iter().any(|(l, _)| l == a) => {
                    (None, ValueSource::SelfAttr(a.clone()))
                }
                // A copy cached on `self` by another method is a snapshot the helper sees too:
                // it reports the write-back itself, once, where it writes.
                ValueSource::SelfAttr(a) => (
                    self.self_taint
                        .get(a)
                        .copied()
                        .filter(|t| !self.reads[t.0].cached),
                    ValueSource::SelfAttr(a.clone()),
                ),
                ValueSource::Other | ValueSource::Constant => (None, source.clone()),
            };
            let mut regions = self.regions.clone();
            for kind in kinds {
                let id = self.fresh_region();
                regions.push((id, *kind));
            }
            self.check_rmw(&key, taint, call.range(), &regions);
            if let Some(callee) = &callee {
                self.result.helper_writes.push(HelperWrite {
                    callee: callee.clone(),
                    path: callee_key.to_string(),
                    func: call.func.range(),
                    absent: self.absent.iter().any(|a| a.same_file(&key)),
                });
                if self.reads.iter().any(|r| r.key.same_file(&key)) {
                    self.result.state_writers.push(callee.clone());
                }
            }
            self.summarize_write(key, source, &regions, call.range());
        }
        for (param, kinds) in &summary.calls_param {
            let Some(arg) = arg_map.get(param) else {
                continue;
            };
            let mut held: Vec<LockKind> = self.regions.iter().map(|(_, k)| *k).collect();
            held.extend(kinds.iter().copied());
            if let Some(range) = self.closure_range(arg) {
                self.result.closures_under_locks.push((range, held));
            }
        }
    }

    /// The definition a callable argument refers to: a nested `def` by name.
    fn closure_range(&self, arg: &Expr) -> Option<TextRange> {
        let Expr::Name(n) = arg else { return None };
        fn find(stmts: &[Stmt], name: &str) -> Option<TextRange> {
            stmts.iter().find_map(|s| match s {
                Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f.range()),
                _ => None,
            })
        }
        find(self.f.body, n.id.as_str())
    }

    /// The value serialized by `json.dumps(value)` inside an argument, if any; or by the
    /// object's own JSON serializer (`creds.to_json()` of google-auth credentials, pydantic's
    /// `model.model_dump_json()`), which yields JSON text of the receiver.
    fn dumps_value(&self, arg: &'a Expr) -> Option<&'a Expr> {
        self.dumped_in(arg).or_else(|| {
            // `text = json.dumps(data)` bound once, then `f.write(text)` or
            // `os.write(fd, text.encode())`.
            let name = match arg {
                Expr::Name(n) => n,
                Expr::Call(c) => match c.func.as_ref() {
                    Expr::Attribute(a) if a.attr.as_str() == "encode" => match a.value.as_ref() {
                        Expr::Name(n) => n,
                        _ => return None,
                    },
                    _ => return None,
                },
                _ => return None,
            };
            self.json_texts.get(name.id.as_str()).copied().or_else(|| {
                crate::lint::blocks::bound_once(self.f.body)
                    .into_iter()
                    .find(|(local, _)| *local == name.id.as_str())
                    .and_then(|(_, value)| self.dumped_in(value))
            })
        })
    }

    /// The document a `json.dumps(...)` (or `.to_json()`, `.model_dump_json()`) in `arg`
    /// serializes; pydantic v1's `.json(...)` too when it is the whole text written (elsewhere
    /// `.json()` is as often a response parsed: `f.write(resp.json()["text"])`).
    fn dumped_in(&self, arg: &'a Expr) -> Option<&'a Expr> {
        if let Expr::Call(c) = arg {
            if let Expr::Attribute(a) = c.func.as_ref() {
                if a.attr.as_str() == "json" && c.arguments.args.is_empty() {
                    return Some(a.value.as_ref());
                }
            }
        }
        let mut calls = Vec::new();
        collect_calls(arg, &mut calls);
        calls.into_iter().find_map(|c| {
            if let Expr::Attribute(a) = c.func.as_ref() {
                if matches!(a.attr.as_str(), "to_json" | "model_dump_json")
                    && c.arguments.args.is_empty()
                {
                    return Some(a.value.as_ref());
                }
            }
            self.is_json_call(&c.func, &["dumps"])
                .then(|| c.arguments.find_argument_value("obj", 0))
                .flatten()
        })
    }

    /// A JSON document dumped to a file object (a handle name or an inline `open`).
    fn dump_to(
        &mut self,
        target: &Expr,
        taint: Option<Taint>,
        range: TextRange,
        source: ValueSource,
    ) {
        let handle = match target {
            // `os.write(fd, ...)` on a descriptor from `mkstemp` writes the temporary file.
            Expr::Name(n) => self.handle_named(n.id.as_str()),
            Expr::Call(_) => self.opened(target).map(|(key, mode)| {
                let temp = self.temp_of(&key);
                Handle { key, mode, temp }
            }),
            _ => None,
        };
        let Some(handle) = handle else { return };
        match (handle.mode, handle.temp) {
            (Mode::Append, _) => {}
            (_, Some(temp)) => {
                let handle_name = match target {
                    Expr::Name(n) => Some(format!("{}.name", n.id)),
                    _ => None,
                };
                let regions = self.regions.clone();
                self.temp_writes.push(TempWrite {
                    key: handle.key,
                    handle_name,
                    temp,
                    value: taint,
                    source,
                    regions,
                });
            }
            (_, None) => self.write_file(handle.key, taint, range, Scheme::InPlace, false, source),
        }
    }

    /// `os.replace(tmp, path)` after a JSON write to `tmp`.
    fn move_into_place(&mut self, src: &Expr, dst: &Expr) {
        let src_text = match src {
            Expr::Name(n) => self.handle_paths.get(n.id.as_str()).cloned(),
            _ => None,
        }
        .or_else(|| dotted(src));
        let src_key = self.key(src);
        // A name bound once to a path with a part the module cannot spell (the process id) still
        // names the file it was bound to.
        let same_binding = |k: &PathKey| {
            matches!(src, Expr::Name(_)) && src_key != PathKey::Unknown && *k == src_key
        };
        let Some(pos) = self.temp_writes.iter().rposition(|t| {
            t.key.same_file(&src_key)
                || same_binding(&t.key)
                || (t.handle_name.is_some() && t.handle_name == src_text)
        }) else {
            // Not a temp file just written: the move takes the file away from its path (a
            // backup made before the new version is moved in), as deleting it would.
            if src_key != PathKey::Unknown {
                self.unlinked.push(src_key);
            }
            return;
        };
        let tw = self.temp_writes.remove(pos);
        let key = self.key(dst);
        let unlinked = self.unlinked.iter().any(|u| u.same_file(&key));
        let regions = tw.regions.clone();
        self.check_rmw(&key, tw.value, dst.range().cover(src.range()), &regions);
        // A shared temp name is safe while a lock serializes the writers: a cross-process lock,
        // or a thread lock the author took for the writers they expected, the threads of one
        // process; deleting the target first still leaves a window for lock-free readers.
        let scheme = match tw.temp {
            Temp::Fixed if regions.is_empty() => {
                Scheme::FixedTemp(src_text.unwrap_or_else(|| src_key.to_string()))
            }
            Temp::Fixed | Temp::Unique => Scheme::Atomic,
        };
        let shared_temp_risk = matches!(scheme, Scheme::FixedTemp(_));
        if shared_temp_risk || unlinked {
            self.result.risky_writes.push(RiskyWrite::new(
                &self.f.id,
                &key,
                src.range().cover(dst.range()),
                scheme,
                unlinked,
            ));
        }
        self.summarize_write(key, tw.source, &regions, dst.range());
    }

    fn note_held(&mut self, dumped: &Expr, at: TextRange) {
        if self.holds_state(dumped, 0) {
            self.result.held_documents.push(at);
        }
    }

    /// Whether a dumped document is state the process keeps in memory: reached from the
    /// receiver (`self.processor.to_json()`) or from a module global, its own or imported
    /// (`context[session]["history"]`, `plugin_config`), through attributes, subscripts, a
    /// method called on it, a conversion of it or a dict literal around it. A parameter's or a fresh local's document
    /// (`report.to_dict()`, `{"version": v}`) is what one call produced.
    fn holds_state(&self, expr: &Expr, depth: u8) -> bool {
        if depth > 6 {
            return false;
        }
        match expr {
            Expr::Attribute(a) => self.holds_state(&a.value, depth + 1),
            Expr::Subscript(s) => self.holds_state(&s.value, depth + 1),
            // `{"turns": self.history}`: a document built around it.
            Expr::Dict(d) => d
                .items
                .iter()
                .any(|item| self.holds_state(&item.value, depth + 1)),
            Expr::Call(c) => match (c.func.as_ref(), &*c.arguments.args) {
                (Expr::Attribute(a), _) => self.holds_state(&a.value, depth + 1),
                (Expr::Name(_), [arg]) => self.holds_state(arg, depth + 1),
                _ => false,
            },
            Expr::Name(n) => {
                let name = n.id.as_str();
                if self.f.receiver == Some(name) {
                    return true;
                }
                match self.semantic.resolve(self.scope, name, n.start()) {
                    Resolved::Binding(ScopeId::MODULE, b) => match &b.kind {
                        BindingKind::Assignment => true,
                        // `from config import plugin_config`, not a module imported whole.
                        BindingKind::Import(q) => q.contains('.'),
                        _ => false,
                    },
                    Resolved::Binding(_, b) if matches!(b.kind, BindingKind::Assignment) => {
                        crate::lint::blocks::bound_once(self.f.body)
                            .iter()
                            .find(|(local, _)| *local == name)
                            .is_some_and(|(_, v)| self.holds_state(v, depth + 1))
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    fn write_file(
        &mut self,
        key: PathKey,
        taint: Option<Taint>,
        range: TextRange,
        scheme: Scheme,
        unlinked_first: bool,
        source: ValueSource,
    ) {
        let regions = self.regions.clone();
        self.check_rmw(&key, taint, range, &regions);
        // A document of constants (`{}`, `{"traces": []}`) holds no state a cut-short write
        // could lose: writing it again restores it. Neither does the first write of a file
        // that did not exist (defaults, a copied template): it replaces nothing.
        let initial_document = scheme == Scheme::InPlace
            && (source == ValueSource::Constant || self.absent.iter().any(|a| a.same_file(&key)));
        if key != PathKey::Unknown && !initial_document {
            self.result.risky_writes.push(RiskyWrite::new(
                &self.f.id,
                &key,
                range,
                scheme,
                unlinked_first,
            ));
        }
        self.summarize_write(key, source, &regions, range);
    }

    fn summarize_write(
        &mut self,
        key: PathKey,
        source: ValueSource,
        regions: &[(u32, LockKind)],
        at: TextRange,
    ) {
        if key.has_unknown() {
            return;
        }
        self.result.written.push((key.clone(), at));
        // `self.content = response.json()` earlier in this function: what it writes is fresh,
        // not the caller's cached copy of the document.
        let source = match source {
            ValueSource::SelfAttr(a) if self.self_fresh.contains(&a) => ValueSource::Other,
            other => other,
        };
        let kinds = regions.iter().map(|(_, k)| *k).collect();
        self.result.summary.writes.push((key, source, kinds));
    }

    /// A write whose value derives from a read of the same file completes a read-modify-write.
    fn check_rmw(
        &mut self,
        key: &PathKey,
        taint: Option<Taint>,
        range: TextRange,
        regions: &[(u32, LockKind)],
    ) {
        let Some(Taint(idx)) = taint else { return };
        let read = &self.reads[idx];
        if !read.key.same_file(key) && !self.names_own_record(key, idx) {
            return;
        }
        self.result.derived_writes.push(range);
        let read = &self.reads[idx];
        let shared = |kind: LockKind| {
            read.regions
                .iter()
                .any(|(id, k)| *k == kind && regions.iter().any(|(w, _)| w == id))
        };
        let kind = if shared(LockKind::Process) {
            return;
        } else if read.regions.iter().any(|(_, k)| *k == LockKind::Process)
            && regions.iter().any(|(_, k)| *k == LockKind::Process)
        {
            RmwKind::SplitLock
        } else if shared(LockKind::Thread) {
            RmwKind::ThreadOnly
        } else if !read.regions.is_empty() && !regions.is_empty() {
            // Two separate `with self.lock:` blocks (often one in a load helper, one in a save
            // helper): even the threads the lock was meant for interleave in the gap.
            RmwKind::SplitLock
        } else {
            RmwKind::Unprotected
        };
        // A helper that is itself the read-modify-write is reported inside the helper.
        self.result
            .rmw
            .push(Rmw::new(kind, key, read.range, range, read.cached));
    }
}

type TaintMaps = (HashMap<String, Taint>, HashMap<String, Taint>);

/// Adds the taints of one branch to those of the others.
/// A `try` with a handler that catches a decoding failure (`json.JSONDecodeError`, `ValueError`,
/// `Exception`, `BaseException` or a bare `except:`) and does not raise again: the code goes on
/// as if the document were missing.
fn treats_unreadable_as_missing(t: &ast::StmtTry) -> bool {
    fn catches_decoding(e: &Expr) -> bool {
        match e {
            Expr::Tuple(t) => t.elts.iter().any(catches_decoding),
            Expr::Name(n) => matches!(
                n.id.as_str(),
                "JSONDecodeError" | "ValueError" | "Exception" | "BaseException"
            ),
            Expr::Attribute(a) => a.attr.as_str() == "JSONDecodeError",
            _ => false,
        }
    }
    t.handlers
        .iter()
        .any(|ast::ExceptHandler::ExceptHandler(h)| {
            h.type_.as_deref().is_none_or(catches_decoding)
                && !h.body.iter().any(|s| matches!(s, Stmt::Raise(_)))
        })
}

fn union_into(merged: &mut TaintMaps, branch: (&HashMap<String, Taint>, &HashMap<String, Taint>)) {
    for (k, v) in branch.0 {
        merged.0.entry(k.clone()).or_insert(*v);
    }
    for (k, v) in branch.1 {
        merged.1.entry(k.clone()).or_insert(*v);
    }
}

/// Methods of data-model objects that return their fields as a plain document: dataclasses
/// and attrs (`asdict`), pydantic v1 and v2, and the common hand-written spellings.
const SERIALIZING_METHODS: &[&str] = &["to_dict", "dict", "model_dump", "as_dict", "to_json_dict"];

/// Functions that return an object's fields as a plain document.
const SERIALIZING_FUNCTIONS: &[&str] = &["asdict", "vars", "jsonable_encoder"];

/// The object whose fields `expr` serializes: `asdict(task)`, `dataclasses.asdict(task)`,
/// `task.model_dump()`, `task.__dict__`, and per item `[t.to_dict() for t in tasks]` (then
/// `tasks`).
fn serialized(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::Call(c) => match (c.func.as_ref(), c.arguments.args.first()) {
            (Expr::Attribute(a), None) if SERIALIZING_METHODS.contains(&a.attr.as_str()) => {
                Some(&a.value)
            }
            (Expr::Name(n), Some(arg)) if SERIALIZING_FUNCTIONS.contains(&n.id.as_str()) => {
                Some(arg)
            }
            (Expr::Attribute(a), Some(arg)) if SERIALIZING_FUNCTIONS.contains(&a.attr.as_str()) => {
                Some(arg)
            }
            _ => None,
        },
        Expr::Attribute(a) if a.attr.as_str() == "__dict__" => Some(&a.value),
        Expr::ListComp(lc) => match (lc.generators.as_slice(), serialized(&lc.elt)) {
            ([g], Some(Expr::Name(item))) if matches!(&g.target, Expr::Name(t) if t.id == item.id) => {
                Some(&g.iter)
            }
            _ => None,
        },
        _ => None,
    }
}

/// Builtins that copy a document into another container, keeping its data.
const CONVERSIONS: &[&str] = &[
    "builtins.set",
    "builtins.list",
    "builtins.dict",
    "builtins.tuple",
    "builtins.frozenset",
    "builtins.sorted",
];

impl ValueSource {
    fn of(expr: &Expr, f: &Function) -> ValueSource {
        ValueSource::within(expr, f, 0)
    }

    /// `locals` counts the local names followed to their value: a name bound to an expression
    /// that names it again (`data = sorted(data)`) must not be followed for ever.
    fn within(expr: &Expr, f: &Function, locals: u8) -> ValueSource {
        // `asdict(task)`, `task.model_dump()`, `[t.to_dict() for t in tasks]`: the parameter's
        // (or attribute's) object serialized, field by field.
        if let Some(object) = serialized(expr) {
            return match ValueSource::within(object, f, locals) {
                source @ (ValueSource::Param(_) | ValueSource::SelfAttr(_)) => source,
                _ => ValueSource::Other,
            };
        }
        match expr {
            // `sorted(items)`, `list(items)`: the parameter's data in another container.
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && matches!(c.func.as_ref(), Expr::Name(n)
                        if CONVERSIONS.iter().any(|b| b.strip_prefix("builtins.") == Some(n.id.as_str()))) =>
            {
                match ValueSource::within(&c.arguments.args[0], f, locals) {
                    p @ ValueSource::Param(_) => p,
                    _ => ValueSource::Other,
                }
            }
            // `{"injected": sorted(items)}`: a document built around the parameter's data.
            Expr::Dict(d) => d
                .items
                .iter()
                .map(|item| ValueSource::within(&item.value, f, locals))
                .find(|s| matches!(s, ValueSource::Param(_)))
                .unwrap_or(if is_constant_document(expr) {
                    ValueSource::Constant
                } else {
                    ValueSource::Other
                }),
            Expr::Name(n) if f.params.contains(&n.id.as_str()) => {
                ValueSource::Param(n.id.to_string())
            }
            // `data = asdict(state)` (then `data["saved_at"] = now`), bound once: what it was
            // bound to.
            Expr::Name(n) if locals >= 3 => ValueSource::Free(n.id.to_string()),
            Expr::Name(n) => {
                let name = n.id.as_str();
                let locals_bound = crate::lint::blocks::bound_once(f.body);
                match locals_bound.iter().find(|(local, _)| *local == name) {
                    Some((_, v)) if !matches!(v, Expr::Name(_)) => {
                        match ValueSource::within(v, f, locals + 1) {
                            source @ (ValueSource::Param(_) | ValueSource::SelfAttr(_)) => source,
                            _ => ValueSource::Other,
                        }
                    }
                    _ => ValueSource::Free(name.to_string()),
                }
            }
            Expr::Attribute(a) => match (a.value.as_ref(), f.receiver) {
                (Expr::Name(n), Some(r)) if n.id.as_str() == r => {
                    ValueSource::SelfAttr(a.attr.to_string())
                }
                _ => ValueSource::Other,
            },
            _ if is_constant_document(expr) => ValueSource::Constant,
            _ => ValueSource::Other,
        }
    }
}

/// A literal built only from constants: the same document whatever the program's state.
fn is_constant_document(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::UnaryOp(u) => is_constant_document(&u.operand),
        Expr::List(l) => l.elts.iter().all(is_constant_document),
        Expr::Tuple(t) => t.elts.iter().all(is_constant_document),
        Expr::Dict(d) => d.items.iter().all(|item| {
            item.key.as_ref().is_some_and(is_constant_document) && is_constant_document(&item.value)
        }),
        _ => false,
    }
}

/// `os.O_WRONLY | os.O_TRUNC` mentions `O_TRUNC`.
/// `name`, `not name`, or a comparison of `name` (`name == ""`, `name is None`).
fn tests_name(test: &Expr, name: &str) -> bool {
    match test {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::UnaryOp(u) if u.op == ast::UnaryOp::Not => tests_name(&u.operand, name),
        Expr::Compare(c) => std::iter::once(c.left.as_ref())
            .chain(c.comparators.iter())
            .any(|e| matches!(e, Expr::Name(n) if n.id.as_str() == name)),
        _ => false,
    }
}

fn mentions_flag(flags: &Expr, flag: &str) -> bool {
    match flags {
        Expr::Attribute(a) => a.attr.as_str() == flag,
        Expr::Name(n) => n.id.as_str() == flag,
        Expr::BinOp(b) => mentions_flag(&b.left, flag) || mentions_flag(&b.right, flag),
        _ => false,
    }
}

/// A block that always leaves the function at its end.
/// The paths locals hold after branches that each fall through with `branches`. A local the
/// branches agree on keeps its path. One that only some branches set keeps it when it is a
/// parameter given a default (`if path is None: path = self.state_file`); any other is named by
/// itself (`if enterprise: t_id = none` leaves `t_id` whatever it was, or `"none"`). Two
/// different paths of one record family (`token_path(url)` and `token_path(legacy)`) keep the
/// first: the same store either way. With no branch falling through, nothing follows.
fn join_paths(
    branches: Vec<HashMap<String, PathKey>>,
    is_param: &dyn Fn(&str) -> bool,
) -> HashMap<String, PathKey> {
    let mut names: Vec<&String> = branches.iter().flat_map(|b| b.keys()).collect();
    names.sort_unstable();
    names.dedup();
    let mut joined = HashMap::default();
    for name in names {
        let keys: Vec<Option<&PathKey>> = branches.iter().map(|b| b.get(name)).collect();
        let present: Vec<&PathKey> = keys.iter().flatten().copied().collect();
        let Some(&first) = present.first() else {
            continue;
        };
        let all_set = present.len() == keys.len();
        let agree = present.iter().all(|k| *k == first);
        let one_family = || {
            first.record_family().is_some()
                && present
                    .iter()
                    .all(|k| k.record_family() == first.record_family())
        };
        let keep = if agree {
            all_set || is_param(name)
        } else {
            all_set && one_family()
        };
        if keep {
            joined.insert(name.clone(), first.clone());
        }
    }
    joined
}

fn ends_in_return(body: &[Stmt]) -> bool {
    matches!(body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
}

/// Modules whose functions send a request to a web server.
const HTTP_MODULES: &[&str] = &["requests", "httpx", "aiohttp", "urllib.request", "urllib3"];

/// Client sessions whose `get`/`post`/... methods send requests.
const HTTP_CLIENTS: &[&str] = &[
    "aiohttp.ClientSession",
    "requests.Session",
    "requests.sessions.Session",
    "httpx.Client",
    "httpx.AsyncClient",
];

/// `x.open("w")`: a call whose first positional argument is a literal file mode (`r`, `w`,
/// `a`, `x`, with `b`, `t`, `+`).
fn opens_by_mode_only(call: &ast::ExprCall) -> bool {
    matches!(call.arguments.args.first(), Some(Expr::StringLiteral(s)) if {
        let m = s.value.to_str();
        !m.is_empty() && m.len() <= 3 && m.chars().all(|c| "rwaxbt+".contains(c))
    })
}
