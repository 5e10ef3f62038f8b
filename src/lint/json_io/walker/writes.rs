//! Writes: what a call dumps and where, moves into place, and the read-modify-writes they
//! complete.

use super::*;

impl<'w, 'a> Walker<'w, 'a> {
    /// The definition a callable argument refers to: a nested `def` by name.
    pub(super) fn closure_range(&self, arg: &Expr) -> Option<TextRange> {
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
    pub(super) fn dumps_value(&self, arg: &'a Expr) -> Option<&'a Expr> {
        self.dumped_in(arg).or_else(|| {
            // `text = json.dumps(data)` bound once, then `f.write(text)`,
            // `os.write(fd, text.encode())` or `p.write_text(text + "\n")`.
            let name = json_text_name(arg)?;
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
    pub(super) fn dumped_in(&self, arg: &'a Expr) -> Option<&'a Expr> {
        if let Expr::Call(c) = arg {
            if let Expr::Attribute(a) = c.func.as_ref() {
                if a.attr.as_str() == "json" && c.arguments.args.is_empty() {
                    return Some(a.value.as_ref());
                }
            }
        }
        let mut calls = Vec::new();
        collect_calls(arg, &mut calls);
        calls
            .into_iter()
            .find_map(|c| {
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
            .or_else(|| self.serialized_by_helper(arg))
    }

    /// The document of JSON text that a serializer helper of the module returns
    /// (`out.write(to_json())`, `f.write(dump(state) + "\n")`): the argument it serializes,
    /// or, when it serializes what it gathers itself, the call, whose arguments are what the
    /// caller hands it.
    fn serialized_by_helper(&self, arg: &'a Expr) -> Option<&'a Expr> {
        let call = whole_text(arg);
        let Expr::Call(c) = call else { return None };
        let (summary, _) = self.summary_for(c)?;
        if !summary.returns_json_text {
            return None;
        }
        let (_, skip) = self.dispatched(c);
        let serialized = summary.serializes.as_ref().and_then(|param| {
            let at = summary.params.iter().position(|p| p == param)?;
            c.arguments.find_argument_value(param, at + skip)
        });
        Some(serialized.unwrap_or(call))
    }

    /// The document `value` is JSON text of, when it is that text itself: `json.dumps(doc)`,
    /// its `.encode()`, the text with a literal appended (`json.dumps(doc) + "\n"`), or a name
    /// bound to one; not text that only contains it (a hash of `json.dumps(doc)`).
    pub(super) fn json_text(&self, value: &'a Expr) -> Option<&'a Expr> {
        match whole_text(value) {
            Expr::Call(c) if self.is_json_call(&c.func, &["dumps"]) => {
                c.arguments.find_argument_value("obj", 0)
            }
            Expr::Name(n) => self.json_texts.get(n.id.as_str()).copied(),
            text => self.serialized_by_helper(text),
        }
    }

    /// `f.write(text)` / `p.write_text(text)` of a parameter, in place: the function writes
    /// whatever text its caller hands it to that path (see `Summary::writes_text`).
    pub(super) fn note_text_parameter_write(
        &mut self,
        target: &Expr,
        method: &str,
        text: Option<&'a Expr>,
    ) {
        let Some(Expr::Name(param)) = text else {
            return;
        };
        if !self.f.params.contains(&param.id.as_str()) {
            return;
        }
        let key = if method == "write" {
            match self.file_object(target) {
                Some(h) if h.mode == Mode::Write && h.temp.is_none() => h.key,
                _ => return,
            }
        } else {
            let key = self.key(target);
            if self.temp_of(&key).is_some() {
                return;
            }
            key
        };
        if key.has_unknown() {
            return;
        }
        let kinds = self.regions.iter().map(|(_, k)| *k).collect();
        self.result
            .summary
            .writes_text
            .push((key, param.id.to_string(), kinds));
    }

    /// The file a write goes to: a handle name (`os.write(fd, ...)` on a descriptor from
    /// `mkstemp` writes the temporary file) or an inline `open(...)`.
    fn file_object(&self, target: &Expr) -> Option<Handle> {
        match target {
            Expr::Name(n) => self.handle_named(n.id.as_str()),
            Expr::Call(_) => self.opened(target).map(|(key, mode)| {
                let temp = self.temp_of(&key);
                Handle { key, mode, temp }
            }),
            _ => None,
        }
    }

    /// A JSON document dumped to a file object (a handle name or an inline `open`).
    pub(super) fn dump_to(
        &mut self,
        target: &Expr,
        taint: Option<Taint>,
        range: TextRange,
        source: ValueSource,
    ) {
        let Some(handle) = self.file_object(target) else {
            return;
        };
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
    pub(super) fn move_into_place(&mut self, src: &Expr, dst: &Expr) {
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

    pub(super) fn note_held(&mut self, dumped: &Expr, at: TextRange) {
        if self.holds_state(dumped, 0) {
            self.result.held_documents.push(at);
        }
    }

    /// Whether a dumped document is state the process keeps in memory: reached from the
    /// receiver (`self.processor.to_json()`) or from a module global, its own or imported
    /// (`context[session]["history"]`, `plugin_config`), through attributes, subscripts, a
    /// method called on it, a conversion of it or a dict literal around it. A parameter's or a fresh local's document
    /// (`report.to_dict()`, `{"version": v}`) is what one call produced.
    pub(super) fn holds_state(&self, expr: &Expr, depth: u8) -> bool {
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

    pub(super) fn write_file(
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
        // that did not exist (defaults, a copied template), nor of one this function deleted
        // first (`if os.path.exists(p): os.remove(p)`, then a fresh batch record): it
        // replaces nothing.
        let initial_document = scheme == Scheme::InPlace
            && (source == ValueSource::Constant
                || self.absent.iter().any(|a| a.same_file(&key))
                || self.deleted.iter().any(|d| d.same_file(&key)));
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

    pub(super) fn summarize_write(
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
    pub(super) fn check_rmw(
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

/// The local a written argument carries as the whole document, give or take a final newline
/// and an encoding: `text`, `text.encode()`, `text + "\n"`, `(text + "\n").encode("utf-8")`.
pub(super) fn json_text_name(arg: &Expr) -> Option<&ast::ExprName> {
    match whole_text(arg) {
        Expr::Name(n) => Some(n),
        _ => None,
    }
}

/// What carries the whole text of `arg`, give or take a final newline and an encoding: `text`
/// in `text.encode()`, `text + "\n"`, `(text + "\n").encode("utf-8")`.
fn whole_text(arg: &Expr) -> &Expr {
    match arg {
        Expr::Call(c) => match c.func.as_ref() {
            Expr::Attribute(a) if a.attr.as_str() == "encode" => whole_text(&a.value),
            _ => arg,
        },
        Expr::BinOp(b) if b.op == ast::Operator::Add => match (b.left.as_ref(), b.right.as_ref()) {
            (text, Expr::StringLiteral(_)) | (Expr::StringLiteral(_), text) => whole_text(text),
            _ => arg,
        },
        _ => arg,
    }
}
