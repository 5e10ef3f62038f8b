//! The walk of one function: reads, writes and lock regions in statement order, with the taint
//! that links a write to the read it derives from, and the function's summary for its callers.

mod paths;
mod reads;
mod writes;

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
        json_returns: false,
        other_returns: false,
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
        deleted: Vec::new(),
        deletions: Vec::new(),
        branches: 0,
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
    w.result.summary.returns_json_text = w.json_returns && !w.other_returns;
    if !w.result.summary.returns_json_text {
        w.result.summary.serializes = None;
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
    /// Some `return` hands back JSON text ([`Walker::json_text`]), and some other value.
    json_returns: bool,
    other_returns: bool,
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
    /// Files this function has deleted on every path so far: by a delete in its own body,
    /// outside any branch, or under a test that the file exists (`if os.path.exists(p):
    /// os.remove(p)`). Not a file moved away, whose old copy still stands for the new one.
    deleted: Vec<PathKey>,
    /// Every file deleted so far (`os.remove(p)`, `p.unlink()`), on whatever path.
    deletions: Vec<PathKey>,
    /// Branches (of an `if`) the walk is in.
    branches: usize,
    reads: Vec<Read>,
    result: FunctionResult,
}

impl<'w, 'a> Walker<'w, 'a> {
    fn fresh_region(&mut self) -> u32 {
        self.next_region += 1;
        self.next_region
    }

    /// A delete outside any branch removes the file on every path through the function.
    fn note_deleted(&mut self, key: &PathKey) {
        if *key == PathKey::Unknown {
            return;
        }
        if self.branches == 0 {
            self.deleted.push(key.clone());
        }
        self.deletions.push(key.clone());
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
        self.branches += 1;
        self.body(stmts);
        self.branches -= 1;
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
                    if taint.is_none() && self.result.summary.returns_text.is_none() {
                        self.result.summary.returns_text =
                            self.read_text_of(value).filter(|k| !k.has_unknown());
                    }
                    match self.json_text(value) {
                        Some(document) => {
                            self.json_returns = true;
                            if let Expr::Name(n) = document {
                                if self.f.params.contains(&n.id.as_str()) {
                                    self.result.summary.serializes = Some(n.id.to_string());
                                }
                            }
                        }
                        None => self.other_returns = true,
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
                self.reads_in_test(&i.test);
                let before = (self.taint.clone(), self.self_taint.clone());
                let paths_before = self.local_paths.clone();
                // The path each branch that falls through leaves in each local.
                let mut paths_after: Vec<HashMap<String, PathKey>> = Vec::new();
                let existence = self.existence_test(&i.test);
                let depth = self.absent.len();
                if let Some((key, false)) = &existence {
                    self.absent.push(key.clone());
                }
                let deletions = self.deletions.len();
                self.branch(&i.body);
                self.absent.truncate(depth);
                // `if os.path.exists(p): os.remove(p)`: after it, the file is gone either way.
                if let (Some((key, true)), true) = (&existence, i.elif_else_clauses.is_empty()) {
                    if self.deletions[deletions..].iter().any(|d| d.same_file(key))
                        && self.branches == 0
                    {
                        self.deleted.push(key.clone());
                    }
                }
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
                // `if text == "": text = "[]"` stands in for an empty file on one branch: on the
                // other the name still holds the file's text, which is what gets parsed.
                let default_on_branch = self.branches > 0 && value.is_literal_expr();
                match self.read_text_of(value) {
                    Some(text) => self.texts.insert(name.clone(), text),
                    None if default_on_branch => None,
                    None => self.texts.remove(&name),
                };
                // `data = data.encode("utf-8")` after `data = json.dumps(doc)`: still `doc`.
                let document = self.dumped_in(value).or_else(|| {
                    writes::json_text_name(value)
                        .filter(|text| !matches!(value, Expr::Name(_)) || text.id != n.id)
                        .and_then(|text| self.json_texts.get(text.id.as_str()).copied())
                });
                match document {
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
    /// A document loaded only to be tested (`if json.loads(await read_file(p)) == new:
    /// return`, a change check before a write): the file is read here all the same.
    fn reads_in_test(&mut self, test: &'a Expr) {
        match test {
            Expr::Compare(c) => {
                self.read_expr(&c.left);
                for right in &*c.comparators {
                    self.read_expr(right);
                }
            }
            Expr::BoolOp(b) => {
                for v in &b.values {
                    self.reads_in_test(v);
                }
            }
            Expr::UnaryOp(u) => self.reads_in_test(&u.operand),
            other => {
                self.read_expr(other);
            }
        }
    }

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
        // `json.loads(text)` of a parameter: callers hand this function JSON text to parse.
        if self.result.summary.parses_text.is_none() && self.is_json_call(&call.func, &["loads"]) {
            if let Some(Expr::Name(text)) = call.arguments.find_argument_value("s", 0) {
                if self.f.params.contains(&text.id.as_str()) {
                    self.result.summary.parses_text = Some(text.id.to_string());
                }
            }
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
                self.note_text_parameter_write(&attr.value, method, args.first());
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
                self.note_deleted(&key);
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
                self.note_deleted(&key);
                self.unlinked.push(key);
                return;
            }
            _ => {}
        }
        // `utf8_data_to_file(f, data)` with `data = json.dumps(db)`: a helper handed a handle
        // open for writing and the JSON text writes the one to the other. What the project's
        // summary of the helper says (its reads, what runs under its lock) applies as well.
        if args.len() >= 2 {
            let handle = args.iter().find(|a| {
                matches!(a, Expr::Name(n)
                    if self.handle_named(n.id.as_str()).is_some_and(|h| h.mode == Mode::Write))
            });
            let dumped = args.iter().find_map(|a| self.dumps_value(a));
            if let (Some(handle), Some(dumped)) = (handle, dumped) {
                let taint = self.taint_of(dumped);
                let source = ValueSource::of(dumped, self.f);
                self.note_held(dumped, call.range());
                self.dump_to(handle, taint, call.range(), source);
            }
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
                let read_here = self.reads.iter().any(|r| r.key.same_file(&key));
                self.result.helper_writes.push(HelperWrite {
                    callee: callee.clone(),
                    path: callee_key.to_string(),
                    func: call.func.range(),
                    absent: self.absent.iter().any(|a| a.same_file(&key)),
                    key: (self.f.class.is_some() && !read_here && !key.has_param())
                        .then(|| key.clone()),
                    class: self.f.class.clone(),
                    call: call.range(),
                });
                if read_here {
                    self.result.state_writers.push((
                        callee.clone(),
                        callee_key.to_string(),
                        call.range(),
                    ));
                }
            }
            self.summarize_write(key, source, &regions, call.range());
        }
        // `aiotools.write_file(path, json.dumps(kvs))`: a JSON document written through a
        // helper that writes whatever text it is given.
        for (callee_key, param, kinds) in &summary.writes_text {
            let Some(dumped) = arg_map.get(param).and_then(|a| self.dumps_value(a)) else {
                continue;
            };
            let key = self.callee_key(callee_key, &arg_map, closure);
            let taint = self.taint_of(dumped);
            let source = ValueSource::of(dumped, self.f);
            self.note_held(dumped, call.range());
            let held = self.regions.len();
            for kind in kinds {
                let id = self.fresh_region();
                self.regions.push((id, *kind));
            }
            self.write_file(key, taint, call.range(), Scheme::InPlace, false, source);
            self.regions.truncate(held);
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
fn mentions_flag(flags: &Expr, flag: &str) -> bool {
    match flags {
        Expr::Attribute(a) => a.attr.as_str() == flag,
        Expr::Name(n) => n.id.as_str() == flag,
        Expr::BinOp(b) => mentions_flag(&b.left, flag) || mentions_flag(&b.right, flag),
        _ => false,
    }
}

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
        // A fresh name given only when the caller passes none (`if not message_id: message_id
        // = str(uuid4())`) is no default for the file: a caller's own id names a shared one.
        let keep = if agree {
            all_set || (is_param(name) && !first.has_unique())
        } else {
            all_set && one_family()
        };
        if keep {
            joined.insert(name.clone(), first.clone());
        }
    }
    joined
}

/// A block that always leaves the function at its end.
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
