//! Reads: what a value derives from, the documents a call loads, and the helper summaries that
//! stand for a call.

use super::*;

impl<'w, 'a> Walker<'w, 'a> {
    // ---- taint -------------------------------------------------------------------------

    /// The read a value derives from, if any. What an HTTP request returns is the server's
    /// answer, fetched anew, even when the request carries a field of the read (a refresh token):
    /// writing it back replaces the document, it does not merge into it.
    pub(super) fn taint_of(&self, expr: &Expr) -> Option<Taint> {
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
    pub(super) fn is_http_request(&self, call: &ast::ExprCall) -> bool {
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

    /// A class the module defines at its top level, named bare.
    pub(super) fn is_module_class(&self, func: &Expr) -> bool {
        let Expr::Name(n) = func else { return false };
        self.semantic
            .is_module_class(self.scope, n.id.as_str(), n.start())
    }

    /// `aiohttp.ClientSession()`, `requests.Session()`, `httpx.AsyncClient()`.
    pub(super) fn is_http_client(&self, expr: &Expr) -> bool {
        matches!(expr, Expr::Call(c) if self
            .qualified(&c.func)
            .is_some_and(|q| HTTP_CLIENTS.contains(&q.as_str())))
    }

    // ---- reads -------------------------------------------------------------------------

    /// If `expr` loads a JSON document, records the read and returns its taint.
    pub(super) fn read_expr(&mut self, expr: &Expr) -> Option<Taint> {
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
            // `AttrConfig(json.load(fp))`: an instance of a class of this module built from the
            // document alone (a dict subclass, a record) holds what it holds.
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && self.is_module_class(&c.func) =>
            {
                return self.read_expr(&c.arguments.args[0]);
            }
            // So does one built through an alternative constructor, `Stats.from_dict(json.load(fp))`
            // (but `Config.parse_raw(f.read())` parses text, below).
            Expr::Call(c)
                if c.arguments.args.len() == 1
                    && c.arguments.keywords.is_empty()
                    && matches!(c.func.as_ref(), Expr::Attribute(a)
                        if self.is_module_class(&a.value)) =>
            {
                match self.read_expr(&c.arguments.args[0]) {
                    Some(taint) => return Some(taint),
                    None => expr,
                }
            }
            // `for k, v in json.load(f).items():`: a view of the document.
            Expr::Call(c)
                if c.arguments.is_empty()
                    && matches!(c.func.as_ref(), Expr::Attribute(a)
                        if matches!(a.attr.as_str(), "items" | "keys" | "values" | "copy")
                            && matches!(a.value.as_ref(), Expr::Call(_))) =>
            {
                let Expr::Attribute(a) = c.func.as_ref() else {
                    return None;
                };
                return self.read_expr(&a.value);
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
        // pydantic parses a file's text as JSON into a model: `Config.parse_raw(f.read())`
        // (v1), `Config.model_validate_json(path.read_text())` (v2).
        if matches!(call.func.as_ref(), Expr::Attribute(a)
            if matches!(a.attr.as_str(), "parse_raw" | "model_validate_json"))
        {
            let source = call.arguments.args.first()?;
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
        // A helper that parses the text it is handed (`from_json(f.read())`): the document of
        // the file whose text that is.
        if let Some((summary, args)) = self.summary_for(call) {
            if let Some(text) = summary.parses_text.as_ref().and_then(|p| args.get(p)) {
                if let Some(key) = self.read_text_of(text) {
                    return Some(self.record_read(key, expr.range(), true, Vec::new()));
                }
            }
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

    pub(super) fn record_read(
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
    pub(super) fn readable_file(&self, expr: &Expr) -> Option<PathKey> {
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
    pub(super) fn read_text_of(&self, expr: &Expr) -> Option<PathKey> {
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
            return self.helper_text_of(call);
        };
        match attr.attr.as_str() {
            "read_text" | "read_bytes" => {
                Some(self.key(&attr.value)).filter(|k| *k != PathKey::Unknown)
            }
            "read" => self.readable_file(&attr.value),
            // The same text cleaned up before it is parsed: `content.strip()`,
            // `content.replace(",}", "}")` (XX-Net's config loader).
            "decode" | "strip" | "lstrip" | "rstrip" | "replace" => self.read_text_of(&attr.value),
            _ => self.helper_text_of(call),
        }
    }

    /// The file whose text a helper call returns (`aiotools.read_file(path)`), as the caller
    /// names it.
    fn helper_text_of(&self, call: &ast::ExprCall) -> Option<PathKey> {
        let (summary, args) = self.summary_for(call)?;
        let key = summary.returns_text.as_ref()?;
        let key = self.callee_key(key, &args, self.calls_closure(call));
        (!key.has_unknown()).then_some(key)
    }

    /// `open(p, mode)`, `io.open`, `codecs.open`, `p.open(mode)`, and the async openers: the path
    /// and mode.
    pub(super) fn opened(&self, expr: &Expr) -> Option<(PathKey, Mode)> {
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
    pub(super) fn callee_id(&self, call: &ast::ExprCall) -> Option<String> {
        let (func, _) = self.dispatched(call);
        self.callee_id_of(func)
    }

    /// The function a call runs and where its own arguments start: `f(a)` runs `f`;
    /// `asyncio.to_thread(f, a)` and `loop.run_in_executor(None, f, a)` run `f` in a thread.
    pub(super) fn dispatched<'c>(&self, call: &'c ast::ExprCall) -> (&'c Expr, usize) {
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

    pub(super) fn callee_id_of(&self, func: &Expr) -> Option<String> {
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
    pub(super) fn callee_key(
        &self,
        key: &PathKey,
        args: &HashMap<String, &Expr>,
        closure: bool,
    ) -> PathKey {
        let key = key.substitute(&|p| args.get(p).map(|a| self.key(a)));
        if closure {
            key.substitute_vars(&|v| self.local_paths.get(v).cloned())
        } else {
            key
        }
    }

    /// Whether the call runs a function defined inside this one.
    pub(super) fn calls_closure(&self, call: &ast::ExprCall) -> bool {
        self.callee_id(call)
            .is_some_and(|id| id.starts_with(&format!("{}.<locals>.", self.f.id)))
    }

    pub(super) fn summary_for<'c>(
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
