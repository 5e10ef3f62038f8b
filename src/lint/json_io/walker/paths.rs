//! The walk's view of paths: the key a path expression names, and the existence tests that
//! guard a first write.

use super::*;

impl<'w, 'a> Walker<'w, 'a> {
    // ---- paths -------------------------------------------------------------------------

    pub(super) fn key(&self, expr: &Expr) -> PathKey {
        self.key_depth(expr, 0)
    }

    /// `os.path.exists(p)`, `p.exists()`, `p.is_file()` (and their negations) as a test: the
    /// file's key and whether the test holds when the file exists.
    pub(super) fn existence_test(&self, test: &Expr) -> Option<(PathKey, bool)> {
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
    pub(super) fn conjoined_existence<'e>(
        &self,
        test: &'e Expr,
    ) -> Option<((PathKey, bool), Vec<&'e Expr>)> {
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
    pub(super) fn existence_unless_forced(&self, test: &Expr) -> Option<(PathKey, bool)> {
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
    pub(super) fn absent_after_conjunction(&self, test: &Expr, elif: &Expr) -> Option<PathKey> {
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

    pub(super) fn key_depth(&self, expr: &Expr, depth: u32) -> PathKey {
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
                        // `{datetime.now():%Y-%m-%d}` names the same file all day.
                        ast::InterpolatedStringElement::Interpolation(i) => {
                            match self.key_depth(&i.expression, depth + 1) {
                                PathKey::Unique(_) if i.format_spec.is_some() => PathKey::Unknown,
                                key => key,
                            }
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
                    let parts =
                        crate::lint::json_io::paths::percent_format_parts(format.value.to_str())
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
                    Some(q) if super::super::origins::unique_per_call(q) => {
                        PathKey::Unique(q.to_string())
                    }
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
                    // `os.path.dirname(os.path.abspath(__file__))`: the directory of a fixed
                    // path is fixed too, the same wherever it is spelt so.
                    Some("os.path.dirname") if args.len() == 1 => PathKey::Derived(
                        "os.path.dirname".to_string(),
                        vec![self.key_depth(&args[0], depth + 1)],
                    ),
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
                            // Also named through the method's own class
                            // (`Config._settings_file()`, a static method): the same helper as
                            // through `self`. Not a parameter or a local that shadows the
                            // class's name.
                            (Expr::Attribute(a), _)
                                if self.is_receiver(&a.value)
                                    || matches!(a.value.as_ref(), Expr::Name(n)
                                        if self.f.class.as_deref() == Some(n.id.as_str())
                                            && self.is_module_class(&a.value)) =>
                            {
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
}

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
