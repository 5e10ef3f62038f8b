//! Path expressions matched by structure: `self.queue_file`, `Path(base) / "queue.json"`,
//! `os.path.join(d, f"{name}.json")`. Two reads or writes concern the same file when their keys
//! are equal; an unknown path never equals anything.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PathKey {
    /// A parameter of the function, by name.
    Param(String),
    /// A name that is neither a parameter nor resolvable to a path expression.
    Var(String),
    /// A dotted chain: `self.queue_file`, `config.paths.registry`.
    Attr(String),
    /// A string literal.
    Lit(String),
    /// Parts joined into one path: `a / "b"`, `os.path.join(a, b)`.
    Join(Vec<PathKey>),
    /// Parts of an f-string, concatenated.
    Concat(Vec<PathKey>),
    /// A derived name: `p.with_suffix(".tmp")`, `p + ".tmp"`.
    Suffix(Box<PathKey>, String),
    /// What a project function returns for these arguments: `metadata_path(run)`,
    /// `self.state_file()`. Path helpers compute, they do not draw: the same call names the
    /// same file.
    Derived(String, Vec<PathKey>),
    /// A value that differs in every call (`time.time()`, `uuid4()`), by the call's name: a path
    /// built on it is private to the call that makes it, and the same as no other.
    Unique(String),
    Unknown,
}

impl PathKey {
    /// Whether two keys denote the same file. Unknown parts never match.
    pub fn same_file(&self, other: &PathKey) -> bool {
        !self.has_unknown() && self == other
    }

    pub fn has_unknown(&self) -> bool {
        self.has_part(&|k| matches!(k, PathKey::Unknown | PathKey::Unique(_)))
    }

    /// Whether a part of the path is unique to the call that builds it
    /// (`f"{cache}/text_{time.time()}.json"`): no other writer names that file.
    pub fn has_unique(&self) -> bool {
        self.has_part(&|k| matches!(k, PathKey::Unique(_)))
    }

    /// Whether the key or one of the parts it is built from (the parts of a join, an f-string
    /// or a helper's arguments, the base of a suffix) is one `leaf` accepts.
    fn has_part(&self, leaf: &dyn Fn(&PathKey) -> bool) -> bool {
        leaf(self)
            || match self {
                PathKey::Join(parts) | PathKey::Concat(parts) | PathKey::Derived(_, parts) => {
                    parts.iter().any(|p| p.has_part(leaf))
                }
                PathKey::Suffix(base, _) => base.has_part(leaf),
                _ => false,
            }
    }

    /// Whether the path is drawn from the state of `receiver` (a method's `self`): an attribute
    /// of it (`self.state_file`), what one of its methods returns (`self.path_for(run)`), or a
    /// path built on either (`self.dir / "queue.json"`).
    pub fn rooted_at(&self, receiver: &str) -> bool {
        let on_receiver = |chain: &str| {
            chain
                .strip_prefix(receiver)
                .is_some_and(|rest| rest.starts_with('.'))
        };
        match self {
            PathKey::Attr(chain) => on_receiver(chain),
            PathKey::Derived(function, _) => on_receiver(function),
            PathKey::Join(parts) | PathKey::Concat(parts) => {
                parts.first().is_some_and(|p| p.rooted_at(receiver))
            }
            PathKey::Suffix(base, _) => base.rooted_at(receiver),
            _ => false,
        }
    }

    /// Whether the path is what a method of `receiver` returns (`self.path()`), or built on
    /// that: each class computes its own, so the same spelling in another class is another
    /// file (an attribute, `self.token_file`, may hold a path handed from one object to the
    /// next).
    pub fn from_own_method(&self, receiver: &str) -> bool {
        match self {
            PathKey::Derived(function, _) => function
                .strip_prefix(receiver)
                .is_some_and(|rest| rest.starts_with('.')),
            PathKey::Join(parts) | PathKey::Concat(parts) => {
                parts.first().is_some_and(|p| p.from_own_method(receiver))
            }
            PathKey::Suffix(base, _) => base.from_own_method(receiver),
            _ => false,
        }
    }

    /// Whether the key names a parameter of its function: the same text in another function is
    /// another file.
    pub fn has_param(&self) -> bool {
        self.has_part(&|k| matches!(k, PathKey::Param(_)))
    }

    /// Replaces parameters with the keys of the arguments a caller passed.
    pub fn substitute(&self, args: &dyn Fn(&str) -> Option<PathKey>) -> PathKey {
        match self {
            PathKey::Param(name) => args(name).unwrap_or(PathKey::Unknown),
            // `f"{task.id}.json"` on a parameter `task`: the attribute of what the caller passed
            // (`current.id`), so the caller can tell which of its objects names the file.
            PathKey::Attr(chain) => match chain.split_once('.') {
                Some((head, rest)) => match args(head) {
                    Some(PathKey::Var(n) | PathKey::Param(n) | PathKey::Attr(n)) => {
                        PathKey::Attr(format!("{n}.{rest}"))
                    }
                    Some(_) => PathKey::Unknown,
                    None => self.clone(),
                },
                None => self.clone(),
            },
            PathKey::Join(parts) => {
                PathKey::Join(parts.iter().map(|p| p.substitute(args)).collect())
            }
            PathKey::Concat(parts) => {
                PathKey::concat(parts.iter().map(|p| p.substitute(args)).collect())
            }
            PathKey::Suffix(base, s) => PathKey::Suffix(Box::new(base.substitute(args)), s.clone()),
            PathKey::Derived(f, parts) => PathKey::Derived(
                f.clone(),
                parts.iter().map(|p| p.substitute(args)).collect(),
            ),
            other => other.clone(),
        }
    }

    /// Replaces free names (`Var`) that `vars` knows: a closure's `path` is the enclosing
    /// function's path.
    pub fn substitute_vars(&self, vars: &dyn Fn(&str) -> Option<PathKey>) -> PathKey {
        match self {
            PathKey::Var(name) => vars(name).unwrap_or_else(|| self.clone()),
            PathKey::Join(parts) => {
                PathKey::join(parts.iter().map(|p| p.substitute_vars(vars)).collect())
            }
            PathKey::Concat(parts) => {
                PathKey::concat(parts.iter().map(|p| p.substitute_vars(vars)).collect())
            }
            PathKey::Suffix(base, s) => {
                PathKey::Suffix(Box::new(base.substitute_vars(vars)), s.clone())
            }
            PathKey::Derived(f, parts) => PathKey::Derived(
                f.clone(),
                parts.iter().map(|p| p.substitute_vars(vars)).collect(),
            ),
            other => other.clone(),
        }
    }

    /// The key with the record-naming parts of a path template left open, when it has any:
    /// `tasks_dir / f"{task_id}.json"` and `tasks_dir / f"{task.id}.json"` are both
    /// `tasks_dir / f"{*}.json"`, one record store; so are `self.path_for(run, "meta.json")`
    /// and `self.path_for(other, "meta.json")`. Only f-string placeholders and a path helper's
    /// arguments are opened; a bare parameter or variable (a directory handed in) stays as it
    /// is. `None` when nothing was opened or a part is unknown.
    pub fn record_family(&self) -> Option<String> {
        fn open(key: &PathKey, opened: &mut bool) -> PathKey {
            let wild = PathKey::Var("*".into());
            match key {
                PathKey::Join(parts) => {
                    PathKey::Join(parts.iter().map(|p| open(p, opened)).collect())
                }
                PathKey::Suffix(base, s) => {
                    PathKey::Suffix(Box::new(open(base, opened)), s.clone())
                }
                PathKey::Concat(parts) if parts.iter().any(|p| matches!(p, PathKey::Lit(_))) => {
                    PathKey::Concat(
                        parts
                            .iter()
                            .map(|p| match p {
                                PathKey::Lit(_) => p.clone(),
                                _ => {
                                    *opened = true;
                                    wild.clone()
                                }
                            })
                            .collect(),
                    )
                }
                PathKey::Derived(f, args) => PathKey::Derived(
                    f.clone(),
                    args.iter()
                        .map(|a| match a {
                            PathKey::Lit(_) => a.clone(),
                            PathKey::Concat(_) => open(a, opened),
                            // The instance's own attributes and constants name the same
                            // directory on every call.
                            PathKey::Attr(chain) if is_fixed_attr(chain) => a.clone(),
                            _ => {
                                *opened = true;
                                wild.clone()
                            }
                        })
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        fn is_fixed_attr(chain: &str) -> bool {
            let root = chain.split('.').next().unwrap_or_default();
            let last = chain.rsplit('.').next().unwrap_or_default();
            matches!(root, "self" | "cls")
                || last
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }
        if self.has_unknown() {
            return None;
        }
        let mut opened = false;
        let family = open(self, &mut opened);
        opened.then(|| family.to_string())
    }

    /// Concatenates parts (an f-string's), flattening nested concatenations and merging adjacent
    /// literals, so that `f"{team_dir}/bot-latest"` after `team_dir = f"{self.base}/{t_id}"`
    /// equals `f"{self.base}/{t_id}/bot-latest"` written out whole.
    pub fn concat(parts: Vec<PathKey>) -> PathKey {
        let mut flat: Vec<PathKey> = Vec::with_capacity(parts.len());
        let push = |p: PathKey, flat: &mut Vec<PathKey>| match (flat.last_mut(), p) {
            (Some(PathKey::Lit(prev)), PathKey::Lit(next)) => prev.push_str(&next),
            (_, PathKey::Lit(next)) if next.is_empty() => {}
            (_, p) => flat.push(p),
        };
        for p in parts {
            match p {
                PathKey::Concat(inner) => {
                    for q in inner {
                        push(q, &mut flat);
                    }
                }
                other => push(other, &mut flat),
            }
        }
        if flat.len() == 1 {
            flat.pop().expect("one element")
        } else {
            PathKey::Concat(flat)
        }
    }

    /// Joins parts, flattening nested joins so `(a / "b") / "c"` equals `a / "b" / "c"`.
    pub fn join(parts: Vec<PathKey>) -> PathKey {
        let mut flat = Vec::with_capacity(parts.len());
        for p in parts {
            match p {
                PathKey::Join(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            flat.pop().expect("one element")
        } else {
            PathKey::Join(flat)
        }
    }
}

impl fmt::Display for PathKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathKey::Param(n) | PathKey::Var(n) | PathKey::Attr(n) => f.write_str(n),
            PathKey::Lit(s) => write!(f, "\"{s}\""),
            PathKey::Join(parts) => {
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" / ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
            PathKey::Concat(parts) => {
                f.write_str("f\"")?;
                for p in parts {
                    match p {
                        PathKey::Lit(s) => f.write_str(s)?,
                        other => write!(f, "{{{other}}}")?,
                    }
                }
                f.write_str("\"")
            }
            // `path + ".tmp"` reads as the name it makes; `api_dir + "state.json"` (a directory
            // prefix that ends in its separator) does not run together.
            PathKey::Suffix(base, s) if s.starts_with(|c: char| c.is_alphanumeric()) => {
                write!(f, "{base} + \"{s}\"")
            }
            PathKey::Suffix(base, s) => write!(f, "{base}{s}"),
            PathKey::Derived(func, args) => {
                write!(f, "{func}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match keyword_argument(a) {
                        Some((name, value)) => write!(f, "{name}={value}")?,
                        None => write!(f, "{a}")?,
                    }
                }
                f.write_str(")")
            }
            PathKey::Unique(call) => write!(f, "{call}()"),
            PathKey::Unknown => f.write_str("<path>"),
        }
    }
}

/// A path helper's keyword argument, as the walker keys it (`name=` before the value's key):
/// the name and the value.
fn keyword_argument(arg: &PathKey) -> Option<(&str, PathKey)> {
    let split = |s: &str| {
        let (name, rest) = s.split_once('=')?;
        let identifier = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        identifier.then_some((name.len(), rest.to_string()))
    };
    match arg {
        PathKey::Lit(s) => {
            let (len, rest) = split(s)?;
            Some((&s[..len], PathKey::Lit(rest)))
        }
        PathKey::Concat(parts) => match parts.split_first() {
            Some((PathKey::Lit(s), rest_parts)) => {
                let (len, rest) = split(s)?;
                let mut value = vec![PathKey::Lit(rest)];
                value.extend(rest_parts.iter().cloned());
                Some((&s[..len], PathKey::concat(value)))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A piece of a `%` format string (`'cells-%s.json' % user`): text, the value at a position of
/// the arguments, or one taken by name (`%(user)s`).
pub enum FormatPart {
    Text(String),
    Value(usize),
    Named,
}

/// `'cells-%s.json'` as text and placeholders; `%%` is a percent sign.
pub fn percent_format_parts(format: &str) -> Vec<FormatPart> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            text.push('%');
            continue;
        }
        if !text.is_empty() {
            parts.push(FormatPart::Text(std::mem::take(&mut text)));
        }
        let named = chars.peek() == Some(&'(');
        if named {
            for c in chars.by_ref() {
                if c == ')' {
                    break;
                }
            }
        }
        // Flags, width, precision and length, up to the conversion letter.
        for c in chars.by_ref() {
            if c.is_ascii_alphabetic() && !matches!(c, 'h' | 'l' | 'L') {
                break;
            }
        }
        if named {
            parts.push(FormatPart::Named);
        } else {
            parts.push(FormatPart::Value(next));
            next += 1;
        }
    }
    if !text.is_empty() {
        parts.push(FormatPart::Text(text));
    }
    parts
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_format_pieces() {
        use super::{percent_format_parts, FormatPart};
        let parts = percent_format_parts("last-%s-%05d.json 100%% %(user)s");
        let shown: Vec<String> = parts
            .iter()
            .map(|p| match p {
                FormatPart::Text(t) => format!("T:{t}"),
                FormatPart::Value(i) => format!("V:{i}"),
                FormatPart::Named => "N".to_string(),
            })
            .collect();
        assert_eq!(
            shown,
            ["T:last-", "V:0", "T:-", "V:1", "T:.json 100% ", "N"]
        );
    }

    use super::*;

    #[test]
    fn record_families_open_placeholders_and_helper_arguments() {
        let file = |name: PathKey| {
            PathKey::join(vec![
                PathKey::Derived("get_tasks_dir".into(), vec![]),
                PathKey::Concat(vec![name, PathKey::Lit(".json".into())]),
            ])
        };
        let by_param = file(PathKey::Param("task_id".into()));
        let by_attr = file(PathKey::Attr("task.id".into()));
        assert_ne!(by_param, by_attr);
        assert_eq!(by_param.record_family(), by_attr.record_family());
        assert_eq!(
            by_param.record_family().as_deref(),
            Some("get_tasks_dir() / f\"{*}.json\"")
        );
        let other_suffix = PathKey::join(vec![
            PathKey::Derived("get_tasks_dir".into(), vec![]),
            PathKey::Concat(vec![
                PathKey::Param("task_id".into()),
                PathKey::Lit(".log".into()),
            ]),
        ]);
        assert_ne!(other_suffix.record_family(), by_param.record_family());
        // A directory handed in is not opened, and a fixed name has no family.
        let fixed = PathKey::join(vec![
            PathKey::Param("d".into()),
            PathKey::Lit("a.json".into()),
        ]);
        assert_eq!(fixed.record_family(), None);
        let helper = |arg: &str| {
            PathKey::Derived(
                "self._save_path".into(),
                vec![PathKey::Param(arg.into()), PathKey::Lit("x".into())],
            )
        };
        assert_eq!(helper("a").record_family(), helper("b").record_family());
    }

    #[test]
    fn joins_flatten_and_unknown_never_matches() {
        let a = PathKey::join(vec![
            PathKey::join(vec![
                PathKey::Var("base".into()),
                PathKey::Lit("state".into()),
            ]),
            PathKey::Lit("queue.json".into()),
        ]);
        let b = PathKey::Join(vec![
            PathKey::Var("base".into()),
            PathKey::Lit("state".into()),
            PathKey::Lit("queue.json".into()),
        ]);
        assert!(a.same_file(&b));
        assert!(!PathKey::Unknown.same_file(&PathKey::Unknown));
        assert_eq!(b.to_string(), "base / \"state\" / \"queue.json\"");
    }

    #[test]
    fn keyword_arguments_of_helpers_show_as_written() {
        let key = PathKey::Derived(
            "self.path_of".into(),
            vec![
                PathKey::Var("user".into()),
                PathKey::Lit("kind=config".into()),
                PathKey::concat(vec![
                    PathKey::Lit("session=".into()),
                    PathKey::Var("name".into()),
                ]),
            ],
        );
        assert_eq!(
            key.to_string(),
            "self.path_of(user, kind=\"config\", session=name)"
        );
    }

    #[test]
    fn concatenations_flatten_and_merge_literals() {
        // `team = f"{self.base}/{t_id}"` then `f"{team}/bot-latest"`, against the path written
        // out whole.
        let team = PathKey::concat(vec![
            PathKey::Attr("self.base".into()),
            PathKey::Lit("/".into()),
            PathKey::Var("t_id".into()),
        ]);
        let nested = PathKey::concat(vec![team, PathKey::Lit("/bot-latest".into())]);
        let whole = PathKey::concat(vec![
            PathKey::Attr("self.base".into()),
            PathKey::Lit("/".into()),
            PathKey::Var("t_id".into()),
            PathKey::Lit("/".into()),
            PathKey::Lit("bot-latest".into()),
        ]);
        assert!(nested.same_file(&whole));
        // `f"{path}"` is `path`.
        let alone = PathKey::concat(vec![PathKey::Var("path".into())]);
        assert_eq!(alone, PathKey::Var("path".into()));
    }

    #[test]
    fn helper_calls_match_on_their_arguments() {
        let call =
            |arg: &str| PathKey::Derived("metadata_path".into(), vec![PathKey::Param(arg.into())]);
        assert!(call("run_id").same_file(&call("run_id")));
        assert!(!call("run_id").same_file(&call("other")));
        let seen = call("run_id").substitute(&|_| Some(PathKey::Var("RUN".into())));
        assert_eq!(seen.to_string(), "metadata_path(RUN)");
        let unknown = PathKey::Derived("f".into(), vec![PathKey::Unknown]);
        assert!(!unknown.same_file(&unknown));
    }

    #[test]
    fn substitution_maps_parameters() {
        let k = PathKey::Suffix(Box::new(PathKey::Param("path".into())), ".tmp".into());
        let s = k.substitute(&|n| (n == "path").then(|| PathKey::Attr("self.queue".into())));
        assert_eq!(s.to_string(), "self.queue.tmp");
    }

    #[test]
    fn substitution_maps_fields_of_parameters() {
        let field = |chain: &str| {
            PathKey::Concat(vec![
                PathKey::Attr(chain.into()),
                PathKey::Lit(".json".into()),
            ])
        };
        let args = |n: &str| match n {
            "task" => Some(PathKey::Var("current".into())),
            "job" => Some(PathKey::Unknown),
            _ => None,
        };
        // The caller's object names the file; a field of an unknown argument is unknown; a
        // chain on anything else (a module, `self`) stays as it is.
        assert_eq!(field("task.id").substitute(&args), field("current.id"));
        assert!(field("job.id").substitute(&args).has_unknown());
        assert_eq!(field("config.name").substitute(&args), field("config.name"));
    }
}
