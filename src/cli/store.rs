//! `swarmcheck store`: the locked JSON store for shell users. Every command goes through the
//! same lock, commit and metrics events as the library.

use super::{fail, Status};
use crate::store::json_text::{self, Edit, Style};
use crate::store::{CorruptPolicy, Durability, JsonStore, RawJson, StoreOptions};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Args)]
struct Common {
    /// Seconds to wait for the lock (default: wait as long as it takes).
    #[arg(long, global = true, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// none, file or full (default full).
    #[arg(long, global = true, default_value = "full")]
    durability: Durability,
    /// error, backup or default (default error).
    #[arg(long, global = true, default_value = "error")]
    on_corrupt: CorruptPolicy,
    /// Keep the previous generation as <FILE>.bak.
    #[arg(long, global = true)]
    backup: bool,
    /// Append a metrics event per operation to this JSON Lines file (default: $SWARMCHECK_METRICS).
    #[arg(long, global = true, value_name = "PATH")]
    metrics: Option<PathBuf>,
    /// Accept a document on a network filesystem (NFS, SMB, ...), where the file lock does not
    /// exclude other hosts. Prefer a PostgreSQL address for a swarm that spans hosts.
    #[arg(long, global = true)]
    allow_network_fs: bool,
}

/// FILE in every command may be a PostgreSQL address instead of a path:
/// `postgresql://[user[:password]@]host[:port]/database?document=NAME`.
#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Print the document, or the value at a JSON pointer (exit 1 when it is absent).
    Get {
        file: PathBuf,
        pointer: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Set the value at a JSON pointer (intermediate objects are created).
    Set {
        file: PathBuf,
        pointer: String,
        /// A JSON value (`42`, `"text"`, `{"a": 1}`).
        value: String,
        #[command(flatten)]
        common: Common,
    },
    /// Merge a JSON object into the document (RFC 7386), or increment a number atomically.
    /// Only the changed values are rewritten: the rest of the document keeps its bytes.
    Update {
        file: PathBuf,
        /// A JSON merge patch.
        #[arg(long, value_name = "JSON", conflicts_with = "incr")]
        merge: Option<String>,
        /// JSON pointer of the number to increment (created as 0 when missing).
        #[arg(long, value_name = "POINTER")]
        incr: Option<String>,
        /// Increment step: a JSON number. Integers add exactly, whatever their size; a
        /// fraction or exponent adds in binary64 floating point, as in Python.
        #[arg(long, default_value = "1", allow_negative_numbers = true)]
        by: String,
        #[command(flatten)]
        common: Common,
    },
    /// Create the PostgreSQL backend's schema and tables now (otherwise they are created on
    /// first use), for a database where the agents' role may not create tables.
    Init {
        /// postgresql://[user[:password]@]host[:port]/database[?schema=NAME]
        address: String,
    },
}

fn store(file: &PathBuf, common: &Common) -> Result<JsonStore<RawJson>, String> {
    let timeout = match common.timeout {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(format!(
                "--timeout must be a number of seconds >= 0, got {t}"
            ))
        }
        Some(t) => Duration::try_from_secs_f64(t).ok(),
        None => None,
    };
    if let Some(metrics) = &common.metrics {
        // The log is appended to after the operation, where a failure is only skipped: a
        // FIFO or device named here is refused now, before anything changes.
        if let Ok(meta) = std::fs::metadata(metrics) {
            if !meta.is_file() {
                return Err(format!(
                    "--metrics {}: it is {}, not a regular file",
                    metrics.display(),
                    crate::store::files::kind_of(&meta)
                ));
            }
        }
    }
    let options = StoreOptions {
        durability: common.durability,
        timeout,
        on_corrupt: common.on_corrupt,
        keep_backup: common.backup,
        metrics: common.metrics.clone(),
        allow_network_fs: common.allow_network_fs,
    };
    Ok(JsonStore::open(file, options, || {
        RawJson::new(b"{}".to_vec()).expect("valid JSON")
    }))
}

pub fn run(args: StoreArgs) -> Status {
    match run_inner(args) {
        Ok(status) => status,
        Err(message) => fail(miette::miette!("{message}")),
    }
}

/// A JSON value given on the command line, checked.
fn json_arg(text: &str, what: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes().to_vec();
    RawJson::new(bytes)
        .map(RawJson::into_bytes)
        .map_err(|e| format!("{what} is not JSON: {} at byte {}", e.reason, e.offset))
}

fn run_inner(args: StoreArgs) -> Result<Status, String> {
    match args.command {
        StoreCommand::Init { address } => {
            if !crate::store::postgres::address::is_address(&address) {
                return Err(format!(
                    "`store init` takes a PostgreSQL address (postgresql://...), not {address:?}: file documents need no setup"
                ));
            }
            // The document name is not needed to create the tables.
            let with_document = if address.contains("document=") {
                address
            } else if address.contains('?') {
                format!("{address}&document=init")
            } else {
                format!("{address}?document=init")
            };
            let store: JsonStore<RawJson> =
                JsonStore::open(&with_document, StoreOptions::default(), || {
                    RawJson::new(b"{}".to_vec()).expect("valid JSON")
                });
            let version = store.init().map_err(|e| e.to_string())?;
            let shown = store.path().display().to_string();
            let shown = shown.split('?').next().unwrap_or(&shown);
            println!(
                "the store's tables are ready in {shown} (schema version {})",
                version.unwrap_or_default()
            );
            Ok(Status::Ok)
        }
        StoreCommand::Get {
            file,
            pointer,
            common,
        } => {
            let tokens =
                json_text::pointer_tokens(&check_pointer(pointer.as_deref().unwrap_or(""))?);
            let doc = store(&file, &common)?.read().map_err(|e| e.to_string())?;
            let b = doc.as_bytes();
            match json_text::lookup(b, &tokens) {
                Some((span, _)) => {
                    let style = json_text::detect_style(b);
                    let text = if tokens.is_empty() {
                        // The whole document, as it is on disk (no copy).
                        std::borrow::Cow::Borrowed(&b[span])
                    } else {
                        std::borrow::Cow::Owned(json_text::reformat(&b[span], &style, 0))
                    };
                    outln!("{}", String::from_utf8_lossy(&text));
                    Ok(Status::Ok)
                }
                None => {
                    eprintln!(
                        "{}: nothing at {}",
                        file.display(),
                        pointer.unwrap_or_default()
                    );
                    Ok(Status::Failed)
                }
            }
        }
        StoreCommand::Set {
            file,
            pointer,
            value,
            common,
        } => {
            let pointer = check_pointer(&pointer)?;
            let value = json_arg(&value, "VALUE")?;
            edit(&store(&file, &common)?, |b, style| {
                set_pointer(b, style, &pointer, &value).map(|e| vec![e])
            })?;
            Ok(Status::Ok)
        }
        StoreCommand::Update {
            file,
            merge,
            incr,
            by,
            common,
        } => {
            let store = store(&file, &common)?;
            if let Some(patch) = merge {
                json_arg(&patch, "--merge")?;
                let patch: Value = serde_json::from_str(&patch)
                    .map_err(|e| format!("--merge is not JSON: {e}"))?;
                edit(&store, |b, style| {
                    let mut edits = Vec::new();
                    merge_patch(b, json_text::root(b), 0, &patch, style, &mut edits);
                    Ok(edits)
                })?;
                return Ok(Status::Ok);
            }
            let Some(pointer) = incr else {
                return Err("store update needs --merge JSON or --incr POINTER".to_string());
            };
            let pointer = check_pointer(&pointer)?;
            if !json_text::is_number(&by) {
                return Err(format!("--by must be a JSON number, got `{by}`"));
            }
            let mut new = String::new();
            edit(&store, |b, style| {
                let tokens = json_text::pointer_tokens(&pointer);
                let current = json_text::lookup(b, &tokens);
                let before = match &current {
                    Some((span, _)) => {
                        let text = std::str::from_utf8(&b[span.clone()]).unwrap_or_default();
                        if !json_text::is_number(text) {
                            return Err(format!("the value at {pointer} is not a number: {text}"));
                        }
                        text.to_string()
                    }
                    None => "0".to_string(),
                };
                new = json_text::add_numbers(&before, &by)?;
                match current {
                    Some((span, _)) => Ok(vec![Edit {
                        range: span,
                        text: new.clone().into_bytes(),
                    }]),
                    None => set_pointer(b, style, &pointer, new.as_bytes()).map(|e| vec![e]),
                }
            })?;
            crate::cli::output::committed(format!("{} at {pointer} is now {new}", file.display()));
            outln!("{new}");
            Ok(Status::Ok)
        }
    }
}

/// One locked read-modify-write of the document's bytes: `f` returns edits of the text read,
/// which are applied and committed; the rest of the document is written back unchanged.
fn edit(
    store: &JsonStore<RawJson>,
    f: impl FnOnce(&[u8], &Style) -> Result<Vec<Edit>, String>,
) -> Result<(), String> {
    let mut txn = store.begin().map_err(|e| e.to_string())?;
    let style = txn.style().clone();
    let edits = match f(txn.doc().as_bytes(), &style) {
        Ok(edits) => edits,
        Err(message) => {
            txn.abort("ABORTED");
            return Err(format!(
                "update of {} aborted: {message}; nothing was written",
                store.path().display()
            ));
        }
    };
    let doc = std::mem::replace(txn.doc_mut(), RawJson::trusted(Vec::new()));
    let new = json_text::apply(doc.as_bytes(), edits);
    drop(doc);
    txn.set_doc(RawJson::trusted(new));
    txn.commit().map_err(|e| e.to_string())
}

fn check_pointer(p: &str) -> Result<String, String> {
    if p.is_empty() || p.starts_with('/') {
        Ok(p.to_string())
    } else {
        Err(format!(
            "`{p}` is not a JSON pointer: it must start with `/` (e.g. /agents/0/status)"
        ))
    }
}

/// `{"t1": {"t2": ... value}}` for the tokens not found in the document, rendered at `depth`.
fn chain(tokens: &[String], value: &[u8], style: &Style, depth: usize) -> Vec<u8> {
    let mut text = value.to_vec();
    for token in tokens.iter().rev() {
        let mut wrapped = Vec::with_capacity(text.len() + token.len() + 8);
        wrapped.push(b'{');
        wrapped.extend_from_slice(json_text::quote(token).as_bytes());
        wrapped.push(b':');
        wrapped.extend_from_slice(&text);
        wrapped.push(b'}');
        text = wrapped;
    }
    json_text::reformat(&text, style, depth)
}

/// The edit that sets `value` at `pointer`, creating objects on the way (`-` appends to an
/// array, `null` on the way becomes an object).
fn set_pointer(b: &[u8], style: &Style, pointer: &str, value: &[u8]) -> Result<Edit, String> {
    let tokens = json_text::pointer_tokens(pointer);
    let mut span = json_text::root(b);
    for (depth, token) in tokens.iter().enumerate() {
        let last = depth + 1 == tokens.len();
        match b[span.start] {
            b'n' => {
                return Ok(Edit {
                    text: chain(&tokens[depth..], value, style, depth),
                    range: span,
                })
            }
            b'{' => match json_text::member(b, span.clone(), token) {
                Some(m) if last => {
                    return Ok(Edit {
                        range: m.value,
                        text: json_text::reformat(value, style, depth + 1),
                    })
                }
                Some(m) => span = m.value,
                None => {
                    let after = json_text::members(b, span.clone())
                        .last()
                        .map(|m| m.value.end);
                    let text = chain(&tokens[depth + 1..], value, style, depth + 1);
                    return Ok(json_text::insert_members(
                        span,
                        after,
                        &[(token.clone(), text)],
                        style,
                        depth,
                    ));
                }
            },
            b'[' => {
                if token == "-" {
                    let text = chain(&tokens[depth + 1..], value, style, depth + 1);
                    return Ok(json_text::append_element(b, span, &text, style, depth));
                }
                let element = json_text::pointer_index(token)
                    .and_then(|i| json_text::elements(b, span.clone()).nth(i))
                    .ok_or_else(|| {
                        format!("`{token}` is not an index of the array at {pointer}")
                    })?;
                if last {
                    return Ok(Edit {
                        range: element,
                        text: json_text::reformat(value, style, depth + 1),
                    });
                }
                span = element;
            }
            _ => {
                return Err(format!(
                    "cannot descend into {} at `{token}` of {pointer}",
                    String::from_utf8_lossy(&b[span])
                ))
            }
        }
    }
    Ok(Edit {
        range: span,
        text: json_text::reformat(value, style, 0),
    })
}

/// The edits of an RFC 7386 merge patch applied to the value at `span` (nested `depth` deep).
/// Members the patch does not name keep their bytes.
fn merge_patch(
    b: &[u8],
    span: Range<usize>,
    depth: usize,
    patch: &Value,
    style: &Style,
    edits: &mut Vec<Edit>,
) {
    let render = |v: &Value, depth: usize| {
        let compact = serde_json::to_vec(v).expect("a JSON value serializes");
        json_text::reformat(&compact, style, depth)
    };
    let Value::Object(patch_map) = patch else {
        edits.push(Edit {
            range: span,
            text: render(patch, depth),
        });
        return;
    };
    if b[span.start] != b'{' {
        let mut fresh = Value::Object(Default::default());
        merge_values(&mut fresh, patch);
        edits.push(Edit {
            range: span,
            text: render(&fresh, depth),
        });
        return;
    }
    let mut seen = vec![false; patch_map.len()];
    // Removed members go in runs: each run is removed with the separators around it.
    let mut last_kept: Option<usize> = None;
    let mut run: Option<(usize, Option<usize>)> = None;
    let mut last_end = None;
    let mut any = false;
    for m in json_text::members(b, span.clone()) {
        any = true;
        last_end = Some(m.value.end);
        let key = json_text::unquote(b, m.key.clone());
        let found = patch_map.keys().position(|k| *k == key);
        if let Some(i) = found {
            seen[i] = true;
        }
        match found.and_then(|_| patch_map.get(key.as_ref())) {
            Some(Value::Null) => {
                if run.is_none() {
                    run = Some((m.key.start, last_kept));
                }
            }
            other => {
                if let Some((start, _)) = run.take() {
                    edits.push(Edit {
                        range: start..m.key.start,
                        text: Vec::new(),
                    });
                }
                if let Some(v) = other {
                    merge_patch(b, m.value.clone(), depth + 1, v, style, edits);
                }
                last_kept = Some(m.value.end);
            }
        }
    }
    if let Some((_, before)) = run {
        let end = last_end.expect("a run has members");
        edits.push(Edit {
            range: match before {
                Some(kept_end) => kept_end..end,
                None => span.start + 1..span.end - 1,
            },
            text: Vec::new(),
        });
    }
    let added: Vec<(String, Vec<u8>)> = patch_map
        .iter()
        .zip(&seen)
        .filter(|((_, v), seen)| !**seen && !v.is_null())
        .map(|((k, v), _)| {
            let mut fresh = Value::Null;
            merge_values(&mut fresh, v);
            (k.clone(), render(&fresh, depth + 1))
        })
        .collect();
    if !added.is_empty() {
        let edit = json_text::insert_members(span.clone(), last_kept, &added, style, depth);
        if last_kept.is_none() && any {
            // Every member was removed: the new members replace the whole content.
            edits.retain(|e| e.range != (span.start + 1..span.end - 1));
        }
        edits.push(edit);
    }
}

/// RFC 7386 JSON merge patch on values (for the parts the patch creates).
fn merge_values(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let map = target.as_object_mut().expect("object");
    for (k, v) in patch {
        if v.is_null() {
            map.shift_remove(k);
        } else {
            merge_values(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}
