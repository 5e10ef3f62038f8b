//! Keys that are new with every event: the evidence that a keyed container (SWC101, SWC105)
//! grows with traffic, not with the code or the configuration.
//!
//! A key of unknown provenance (`pair`, `path`, `name`, a caller's dict) may come from a catalogue
//! outside the code that is finite in practice: the exchange's markets, the files of a
//! directory, the channels of one workspace. Nothing in the code says which, so the keyed rules
//! stay silent on them and report only keys with evidence of novelty:
//! - generated at the call: `uuid4()`, the clock, `next(counter)`, `id(obj)`, `len(...)`, a
//!   content hash, or a position in what a call yields (`enumerate(stream())`);
//! - identifiers of things that keep arriving: a name, attribute or looked-up field called `id`
//!   or ending in `_id`/`Id`/`_uuid`/`_no`/`_seq`, `pid`/`sid` (a trailing `_`, as
//!   in `id_`, aside);
//! - objects or text that are one per event: connections, sockets, clients, sessions, requests,
//!   tasks, jobs, users, chats, conversations; prompts, queries, messages, content. (Not URLs:
//!   `base_url`, `api_url` are configuration more often than traffic.)
//!
//! The last two are hints from the name alone, documented as such in SWC101 and SWC105. A local
//! bound to `os.getpid()` overrides its name: one key per process is no growth.

use crate::lint::blocks::is_name;
use ruff_python_ast::{self as ast, Expr};

/// Nouns (the last `_`-separated word of a key's name) for things a long-running process meets
/// one after another without end. Not `thread`: a process's threads are a pool it sizes (worker
/// threads, a debuggee's threads), whose numbers and identifiers come back.
const EVENT_NOUNS: &[&str] = &[
    "connection",
    "conn",
    "websocket",
    "ws",
    "socket",
    "sock",
    "client",
    "peer",
    "session",
    "request",
    "req",
    "task",
    "job",
    "future",
    "user",
    "author",
    "member",
    "chat",
    "conversation",
];

/// Event nouns whose `_key` is as new as the object (`session_key`).
const KEYED_NOUNS: &[&str] = &[
    "session",
    "chat",
    "conversation",
    "user",
    "request",
    "task",
    "job",
];

/// Nouns for members of a pool sized at start-up (`shard_id`, `shard`): never evidence.
const POOL_NOUNS: &[&str] = &["shard"];

/// Nouns (the first `_`-separated word of a key's name) for entries of a catalogue that the
/// code, the configuration or an external registry fixes, not for things that arrive: the
/// cameras or devices a deployment configures, the providers, presets, templates, plugins and
/// translations it ships, the instruments and markets of an exchange, the types of a protocol,
/// the endpoints of a device or an API, the products of a vendor, the deployments an
/// orchestrator runs, the routers, backends and routing rules of a serving cluster, the channels
/// of a workspace or a radio service, the guilds (servers) a chat bot has been added to, the
/// servers a client is configured for (`server_uuid`), the tenants of a service (`camera_id`, `provider_id`,
/// `rec_type_id`, `endpoint_id`, `deployment_id`, `channel_id`, `guild_id`, also written
/// `guild.id`). Their ids are
/// identifiers, but of a finite set: never evidence by themselves.
const CATALOGUE_NOUNS: &[&str] = &[
    "camera",
    "device",
    "sensor",
    "provider",
    "preset",
    "template",
    "translation",
    "trans",
    "locale",
    "lang",
    "language",
    "plugin",
    "extension",
    "ext",
    "module",
    "app",
    "organization",
    "org",
    "exchange",
    "instrument",
    "market",
    "symbol",
    "currency",
    "level",
    "tag",
    "type",
    "kind",
    "category",
    "schema",
    "column",
    "field",
    "setting",
    "config",
    "option",
    "model",
    "strategy",
    "controller",
    "guideline",
    "question",
    "rfc",
    "import",
    "fn",
    "func",
    "function",
    "class",
    "cls",
    "endpoint",
    "route",
    "product",
    "vendor",
    "deployment",
    "router",
    "backend",
    "rule",
    "channel",
    "guild",
    "server",
    "tenant",
];

/// Nouns for free text and content: a cache keyed by them holds one entry per distinct input.
const CONTENT_NOUNS: &[&str] = &[
    "prompt",
    "query",
    "question",
    "text",
    "content",
    "message",
    "msg",
    "digest",
    "hash",
    "fingerprint",
    "etag",
];

/// `str` methods whose result is the receiver's text reshaped (case, whitespace, pieces).
const TEXT_METHODS: &[&str] = &[
    "lower",
    "upper",
    "casefold",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "rsplit",
    "partition",
    "rpartition",
    "removeprefix",
    "removesuffix",
    "replace",
    "encode",
    "decode",
];

/// Names of network addresses of peers: a login limiter keyed by them gains one per client.
const ADDRESS_NAMES: &[&str] = &["ip", "ip_addr", "ip_address", "remote_addr", "client_addr"];

/// Calls whose result is new on every call (the last segment of the callee).
const GENERATORS: &[(&str, &str)] = &[
    ("uuid1", "fresh `uuid1()` values"),
    ("uuid4", "fresh `uuid4()` values"),
    ("time", "clock readings"),
    ("time_ns", "clock readings"),
    ("monotonic", "clock readings"),
    ("monotonic_ns", "clock readings"),
    ("perf_counter", "clock readings"),
    ("now", "clock readings"),
    ("utcnow", "clock readings"),
    ("next", "values of a counter"),
    ("id", "object addresses (`id()`), one per object ever seen"),
    ("len", "sizes of a growing container"),
    ("hash", "content hashes, one per distinct input"),
    ("hexdigest", "content hashes, one per distinct input"),
    ("digest", "content hashes, one per distinct input"),
    ("token_hex", "fresh random tokens"),
    ("token_urlsafe", "fresh random tokens"),
];

/// What the walker knows about the names a key may use.
pub(super) struct KeyScope<'s, 'a> {
    /// The value of a local name stored to once in the current function.
    pub local: &'s dyn Fn(&str) -> Option<&'a Expr>,
    /// Loop variables counting positions in what a call yields (`enumerate(stream())`).
    pub stream_positions: &'s [&'a str],
    /// Whether a call's callee (`helper`, `self._make_key`) is a function or method of this
    /// module: a key it builds keeps what its arguments are.
    pub own_function: &'s dyn Fn(&Expr) -> bool,
    /// Why the values the module's callers pass as a parameter of the current function are new
    /// with each event (`None` for a name that is no parameter, or where no caller shows it).
    pub parameter: &'s dyn Fn(&str) -> Option<String>,
    /// Whether a name for text or content (`msg`, `text`) is evidence. Not for what a caller
    /// passes: a helper's callers pass messages written in the code (a warn-once set's
    /// deprecation texts) as often as traffic.
    pub content_names: bool,
    /// Whether a name is a parameter of the current function annotated as a class
    /// (`klass: type[Step]`): the classes the code defines are a fixed set.
    pub class_parameter: &'s dyn Fn(&str) -> bool,
}

/// Why `key` is new with each event, phrased for the finding ("keys are ..."); `None` when the
/// code gives no evidence either way.
pub(super) fn per_event_key<'a>(key: &'a Expr, scope: &KeyScope<'_, 'a>) -> Option<String> {
    evidence(key, scope, 0)
}

fn evidence<'a>(key: &'a Expr, scope: &KeyScope<'_, 'a>, depth: u8) -> Option<String> {
    let inner = |e: &'a Expr| evidence(e, scope, depth);
    match key {
        Expr::Name(n) => {
            let name = n.id.as_str();
            if scope.stream_positions.contains(&name) {
                return Some(format!(
                    "keys are positions (`{name}`) in what a call yields, which need not repeat"
                ));
            }
            // `pid = os.getpid()`: one key per process that runs this, whatever the name says.
            let local = (depth < 3).then(|| (scope.local)(name)).flatten();
            if local.is_some_and(is_own_pid) {
                return None;
            }
            // A fallback chain (`uid = router_uid or self._router_uid`) is what it copies,
            // whatever its own name says.
            if let Some(value) = local.filter(|v| is_alias(v)) {
                return evidence(value, scope, depth + 1);
            }
            named(name, scope.content_names)
                .or_else(|| {
                    (depth < 3)
                        .then(|| (scope.local)(name))
                        .flatten()
                        .and_then(|value| evidence(value, scope, depth + 1))
                })
                .or_else(|| (scope.parameter)(name))
        }
        // `ctx.guild.id`, `channel.id`: the identifier of a catalogue entry, as `guild_id` is.
        Expr::Attribute(a) if a.attr.as_str() == "id" && catalogue_entry(&a.value) => None,
        // `msg.id`; `uuid4().hex` is what the call made.
        Expr::Attribute(a) => {
            named(a.attr.as_str(), scope.content_names).or_else(|| match a.value.as_ref() {
                value @ Expr::Call(_) => inner(value),
                _ => None,
            })
        }
        // `order["id"]`
        Expr::Subscript(s) => match s.slice.as_ref() {
            Expr::StringLiteral(lit) => named(lit.value.to_str(), scope.content_names),
            // A piece by position keeps what the whole is: `e.text.split()[1]` is text of the
            // message, `msg_id[:8]` a prefix of an identifier.
            Expr::NumberLiteral(_) | Expr::UnaryOp(_) | Expr::Slice(_) => inner(&s.value),
            _ => None,
        },
        Expr::Tuple(t) => t.elts.iter().find_map(inner),
        Expr::List(l) => l.elts.iter().find_map(inner),
        Expr::BinOp(b) => inner(&b.left).or_else(|| inner(&b.right)),
        // `execution_id or ""`, `sid if sid else "default"`: the fallback is one key, and the
        // other keeps what it is.
        Expr::BoolOp(b) if b.op == ast::BoolOp::Or => b.values.iter().find_map(inner),
        Expr::If(i) => inner(&i.body).or_else(|| inner(&i.orelse)),
        Expr::FString(f) => f.value.elements().find_map(|e| match e {
            ast::InterpolatedStringElement::Interpolation(i) => inner(&i.expression),
            ast::InterpolatedStringElement::Literal(_) => None,
        }),
        Expr::Call(call) => call_evidence(call, scope, depth),
        _ => None,
    }
}

fn call_evidence<'a>(
    call: &'a ast::ExprCall,
    scope: &KeyScope<'_, 'a>,
    depth: u8,
) -> Option<String> {
    let args = &call.arguments.args;
    // `report.get("worker_id")`, `getattr(msg, "id")`: the field looked up names the key.
    let looked_up = match (call.func.as_ref(), args.as_ref()) {
        (Expr::Attribute(a), [Expr::StringLiteral(lit), ..]) if a.attr.as_str() == "get" => {
            Some(lit.value.to_str())
        }
        (f, [_, Expr::StringLiteral(lit), ..]) if is_name(f, "getattr") => Some(lit.value.to_str()),
        _ => None,
    };
    if let Some(field) = looked_up {
        return named(field, scope.content_names);
    }
    let callee = match call.func.as_ref() {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return None,
    };
    // Conversions keep what their argument is, and so does a type wrapping a value made at the
    // call (`ImageHash(sha256(img).hexdigest())`, a `NewType`): the same value in, the same key
    // out, or a new object per call. Not a name wrapped so (`Status(status_id)` of an `Enum`
    // is one of a fixed set).
    let wraps = callee.starts_with(|c: char| c.is_ascii_uppercase())
        && callee.chars().any(|c| c.is_ascii_lowercase())
        && call.arguments.keywords.is_empty()
        && matches!(args.first(), Some(Expr::Call(_)));
    if (wraps || matches!(callee, "str" | "int" | "repr" | "tuple" | "frozenset"))
        && args.len() == 1
    {
        return evidence(&args[0], scope, depth);
    }
    // `id(klass)` of a class: one address per class the code defines, not per event.
    if callee == "id"
        && matches!(args.as_ref(), [Expr::Name(n)] if (scope.class_parameter)(n.id.as_str()))
    {
        return None;
    }
    // So does a method that reshapes text: `query.strip().lower()` is the query normalised,
    // `e.text.split(maxsplit=1)` its words.
    if let Expr::Attribute(a) = call.func.as_ref() {
        if TEXT_METHODS.contains(&callee) {
            return evidence(&a.value, scope, depth);
        }
    }
    // A key built from parts keeps what its parts are: a path joined from a content hash, a
    // `"{}:{}".format(tool_id, ...)`, or the module's own key helper (`self._make_key(tool_id,
    // config)`).
    let builds = matches!(
        callee,
        "join" | "format" | "Path" | "PurePath" | "PurePosixPath"
    ) || (scope.own_function)(&call.func);
    if builds && depth < 3 {
        let mut parts = args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value));
        if let Some(why) = parts.find_map(|a| evidence(a, scope, depth + 1)) {
            return Some(why);
        }
    }
    // `hash(())` or `id(CONSTANT)` of nothing varying would be odd; a generator needs no
    // argument to be fresh, and `len(x)` / `id(x)` / `hash(x)` take one.
    GENERATORS
        .iter()
        .find(|(name, _)| *name == callee)
        .map(|(_, why)| format!("keys are {why}"))
}

/// An object named for an entry of a catalogue: `guild`, `ctx.guild`, `self._channel`.
fn catalogue_entry(owner: &Expr) -> bool {
    let Some(name) = crate::lint::blocks::last_segment(owner) else {
        return false;
    };
    is_catalogue_noun(&name.trim_start_matches('_').to_ascii_lowercase())
}

/// A copy of one of a few names, the first that is set: `router_uid or self._router_uid`,
/// `router_uid or "default"`. (A plain `user_id = session.id1` keeps its own name, which may
/// say more than the source's.)
fn is_alias(value: &Expr) -> bool {
    let plain = |e: &Expr| {
        matches!(
            e,
            Expr::Name(_) | Expr::Attribute(_) | Expr::StringLiteral(_) | Expr::NoneLiteral(_)
        )
    };
    matches!(value, Expr::BoolOp(b) if b.op == ast::BoolOp::Or && b.values.iter().all(plain))
}

/// `os.getpid()`: the same in every call of one process.
fn is_own_pid(value: &Expr) -> bool {
    matches!(value, Expr::Call(c) if matches!(c.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "getpid")
        || is_name(&c.func, "getpid"))
}

/// Why arguments passed as parameter `name` are new with each event (for a memo cache's key,
/// SWC103), from the name alone; `None` when the name gives no evidence.
pub fn per_event_parameter(name: &str) -> Option<String> {
    named(name, true)
}

/// Whether a `register*` function's name says it registers traffic, not what the code defines:
/// what it registers is a message, a user, a session, a client or a connection
/// (`register_message`, `registerUser`, `register_user_if_not_exists`), not a listener or a
/// handler of one (`register_connection_listener`). Not tasks or jobs, which a worker framework
/// registers by type (`app.register_task(MyTask)`).
pub fn registers_traffic(function: &str) -> bool {
    let rest = function.trim_start_matches('_');
    let Some(rest) = rest.strip_prefix("register") else {
        return false;
    };
    // Words, split at underscores and at the capitals of a camelCase name.
    let mut words: Vec<String> = Vec::new();
    for part in rest.split('_').filter(|p| !p.is_empty()) {
        let mut start = 0;
        for (i, c) in part.char_indices().skip(1) {
            if c.is_ascii_uppercase() {
                words.push(part[start..i].to_ascii_lowercase());
                start = i;
            }
        }
        words.push(part[start..].to_ascii_lowercase());
    }
    // The object is the words before a qualifier (`_if_not_exists`, `_for_chat`); its last
    // word is what is registered.
    let object: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .take_while(|w| {
            !matches!(
                *w,
                "if" | "for" | "to" | "with" | "by" | "from" | "in" | "on" | "at"
            )
        })
        .collect();
    let Some(&noun) = object.last() else {
        return false;
    };
    let noun = noun
        .strip_suffix('s')
        .filter(|w| w.len() > 2)
        .unwrap_or(noun);
    matches!(
        noun,
        "message"
            | "msg"
            | "user"
            | "member"
            | "session"
            | "client"
            | "connection"
            | "conn"
            | "peer"
            | "websocket"
            | "ws"
            | "chat"
            | "conversation"
            | "request"
    )
}

/// Whether `word` (lowercase, the first word of a name) is a noun for an entry of a fixed
/// catalogue (`provider` of `provider_id`, `template`): ids of a finite set.
pub(super) fn is_catalogue_noun(word: &str) -> bool {
    CATALOGUE_NOUNS.contains(&word)
}

/// Evidence from a key's name: an identifier, an event object, or content (when `content`).
fn named(name: &str, content: bool) -> Option<String> {
    let bare = name.trim_start_matches('_');
    let lower = bare.to_ascii_lowercase();
    // Members of a pool fixed when the process starts: a sharded bot's shards, whose ids are
    // `0..shard_count`, do not keep arriving.
    if POOL_NOUNS.iter().any(|p| lower.starts_with(p)) {
        return None;
    }
    // A catalogue entry's own id (`server_uuid`, `channel_id`), not the id of an event that
    // happens in one (`server_msg_id`, `channel_request_id`).
    let first = lower.split('_').next().unwrap_or(&lower);
    let names_an_event = lower
        .split('_')
        .skip(1)
        .any(|w| EVENT_NOUNS.contains(&w) || matches!(w, "message" | "msg"));
    if lower.contains('_') && CATALOGUE_NOUNS.contains(&first) && !names_an_event {
        return None;
    }
    // `transaction_per_request`, `per_user`: a setting that says how often something happens,
    // not the identity of a request or a user.
    if lower.split('_').any(|w| w == "per") {
        return None;
    }
    // `id_`: a trailing underscore only keeps a name clear of a builtin.
    let ident = lower.trim_end_matches('_');
    let identifier = matches!(
        ident,
        "id" | "uid" | "uuid" | "guid" | "pid" | "sid" | "ident"
    ) || ["_id", "_uuid", "_uid", "_pid", "_sid", "_no", "_seq"]
        .iter()
        .any(|s| ident.ends_with(s))
        // camelCase `taskId`
        || (bare.ends_with("Id") && bare.len() > 2)
        // `userid`, `sessionid`: an event noun run together with its identifier
        || lower
            .strip_suffix("id")
            .and_then(|stem| stem.rsplit('_').next())
            .is_some_and(|stem| EVENT_NOUNS.contains(&stem))
        || ADDRESS_NAMES
            .iter()
            .any(|a| lower == *a || lower.ends_with(&format!("_{a}")));
    if identifier {
        return Some(format!(
            "keys are `{name}` values: identifiers of things that keep arriving"
        ));
    }
    let mut words = lower.rsplit('_');
    let word = words.next().unwrap_or(&lower);
    // `session_key`, `chat_keys`: the key of a session or chat is as new as it is. Not a
    // `client_key`, which names an API client of the configuration as often.
    if matches!(word, "key" | "keys") {
        if let Some(noun) = words.next().filter(|w| KEYED_NOUNS.contains(w)) {
            return Some(format!(
                "keys are `{name}` values: one per {noun} the process meets, without end"
            ));
        }
    }
    let word = word
        .strip_suffix('s')
        .filter(|w| w.len() > 2)
        .unwrap_or(word);
    if EVENT_NOUNS.contains(&word) {
        return Some(format!(
            "keys are `{name}` values: one per {word} the process meets, without end"
        ));
    }
    if content && CONTENT_NOUNS.contains(&word) {
        return Some(format!(
            "keys are `{name}` values: text or content, one entry per distinct input"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{named, per_event_key, KeyScope};
    use ruff_python_ast::Expr;

    /// The evidence for the key `key` where `locals` are bound once as given.
    fn key_evidence(key: &str, locals: &[(&str, &str)]) -> Option<String> {
        let parsed: Vec<_> = locals
            .iter()
            .map(|(n, v)| (*n, ruff_python_parser::parse_expression(v).expect("valid")))
            .collect();
        let values: Vec<(&str, &Expr)> = parsed.iter().map(|(n, p)| (*n, p.expr())).collect();
        let local = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let no = |_: &Expr| false;
        let no_param = |_: &str| None;
        let no_class = |_: &str| false;
        let scope = KeyScope {
            local: &local,
            stream_positions: &[],
            own_function: &no,
            parameter: &no_param,
            content_names: true,
            class_parameter: &no_class,
        };
        let key = ruff_python_parser::parse_expression(key).expect("valid");
        per_event_key(key.expr(), &scope)
    }

    #[test]
    fn a_fallback_chain_is_what_it_copies_and_a_wrapper_what_it_wraps() {
        assert!(key_evidence("uid", &[("uid", "router_uid or self._router_uid")]).is_none());
        assert!(key_evidence("uid", &[("uid", "router_uid or 'default'")]).is_none());
        assert!(key_evidence("uid", &[("uid", "session.id1")]).is_some());
        assert!(key_evidence("ImageHash(hashlib.sha256(img).hexdigest())", &[]).is_some());
        assert!(key_evidence("Status(status_id)", &[]).is_none());
    }

    #[test]
    fn registering_traffic_is_told_from_registering_definitions() {
        use super::registers_traffic;
        for yes in [
            "register_message",
            "registerUser",
            "register_user_if_not_exists",
            "_register_clients",
            "register_connection",
        ] {
            assert!(registers_traffic(yes), "{yes}");
        }
        for no in [
            "register",
            "register_task",
            "register_provider",
            "registerJob",
            "registry_user",
            "register_messenger",
            "register_connection_listener",
            "registerUserHandler",
        ] {
            assert!(!registers_traffic(no), "{no}");
        }
    }

    #[test]
    fn ids_of_catalogue_entries_are_no_evidence() {
        for name in [
            "camera_id",
            "_provider_id",
            "instrument_id",
            "translation_id",
            "type_id",
            "endpoint_id",
            "product_id",
            "deployment_id",
            "guild_id",
        ] {
            assert_eq!(named(name, true), None, "{name}");
        }
        // A setting that says how often, not which.
        for name in ["transaction_per_request", "per_user"] {
            assert_eq!(named(name, true), None, "{name}");
        }
        // The noun must lead the name: a user's id keeps arriving whatever follows.
        for name in ["user_id", "session_id", "typeid_user_id"] {
            assert!(named(name, true).is_some(), "{name}");
        }
    }

    #[test]
    fn identifiers_and_event_nouns_are_evidence_other_names_are_not() {
        for name in [
            "id",
            "session_id",
            "taskId",
            "run_uuid",
            "cycle_no",
            "pid",
            "connection",
            "ws",
            "prompt",
            "user",
            "_request",
            "userid",
            "session_key",
            "client_ip",
            "etag",
            "id_",
            "message_id_",
        ] {
            assert!(named(name, true).is_some(), "{name}");
        }
        for name in [
            "pair",
            "path",
            "name",
            "key",
            "coin",
            "token",
            "provider",
            "index",
            "paid",
            "valid",
            "shard_id",
            "cache_key",
            "client_key",
            "message_key",
            "zip",
        ] {
            assert!(named(name, true).is_none(), "{name}");
        }
    }
}
