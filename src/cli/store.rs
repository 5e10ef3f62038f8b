//! `swarmcheck store`: the locked JSON store for shell users. Every command goes through the
//! same lock, commit and metrics events as the library.

use super::{fail, Status};
use crate::store::{CorruptPolicy, Durability, JsonStore, StoreOptions};
use clap::{Args, Subcommand};
use serde_json::Value;
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
}

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
    Update {
        file: PathBuf,
        /// A JSON merge patch.
        #[arg(long, value_name = "JSON", conflicts_with = "incr")]
        merge: Option<String>,
        /// JSON pointer of the number to increment (created as 0 when missing).
        #[arg(long, value_name = "POINTER")]
        incr: Option<String>,
        /// Increment step.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        by: f64,
        #[command(flatten)]
        common: Common,
    },
}

fn store(file: &PathBuf, common: &Common) -> Result<JsonStore<Value>, String> {
    let timeout = match common.timeout {
        Some(t) if !(t.is_finite() && t >= 0.0) => {
            return Err(format!(
                "--timeout must be a number of seconds >= 0, got {t}"
            ))
        }
        Some(t) => Duration::try_from_secs_f64(t).ok(),
        None => None,
    };
    let options = StoreOptions {
        durability: common.durability,
        timeout,
        on_corrupt: common.on_corrupt,
        keep_backup: common.backup,
        metrics: common.metrics.clone(),
    };
    Ok(JsonStore::open(file, options, || {
        Value::Object(Default::default())
    }))
}

pub fn run(args: StoreArgs) -> Status {
    match run_inner(args) {
        Ok(status) => status,
        Err(message) => fail(miette::miette!("{message}")),
    }
}

fn run_inner(args: StoreArgs) -> Result<Status, String> {
    match args.command {
        StoreCommand::Get {
            file,
            pointer,
            common,
        } => {
            let doc = store(&file, &common)?.read().map_err(|e| e.to_string())?;
            let value = match pointer.as_deref() {
                None | Some("") => Some(&doc),
                Some(p) => doc.pointer(&check_pointer(p)?),
            };
            match value {
                Some(v) => {
                    println!("{}", serde_json::to_string_pretty(v).expect("serializable"));
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
            let value: Value =
                serde_json::from_str(&value).map_err(|e| format!("VALUE is not JSON: {e}"))?;
            store(&file, &common)?
                .update(|doc| set_pointer(doc, &pointer, value))
                .map_err(|e| e.to_string())?;
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
                let patch: Value = serde_json::from_str(&patch)
                    .map_err(|e| format!("--merge is not JSON: {e}"))?;
                store
                    .update(|doc| {
                        merge_patch(doc, &patch);
                        Ok::<_, String>(())
                    })
                    .map_err(|e| e.to_string())?;
                return Ok(Status::Ok);
            }
            let Some(pointer) = incr else {
                return Err("store update needs --merge JSON or --incr POINTER".to_string());
            };
            let pointer = check_pointer(&pointer)?;
            let new = store
                .update(|doc| {
                    let current = doc.pointer(&pointer).cloned().unwrap_or(Value::from(0));
                    let next = match &current {
                        Value::Number(n) if n.is_i64() && by.fract() == 0.0 => {
                            Value::from(n.as_i64().expect("i64") + by as i64)
                        }
                        Value::Number(n) => {
                            serde_json::Number::from_f64(n.as_f64().unwrap_or(0.0) + by)
                                .map(Value::Number)
                                .ok_or_else(|| "the result is not a finite number".to_string())?
                        }
                        other => {
                            return Err(format!("the value at {pointer} is not a number: {other}"))
                        }
                    };
                    set_pointer(doc, &pointer, next.clone())?;
                    Ok(next)
                })
                .map_err(|e| e.to_string())?;
            println!("{new}");
            Ok(Status::Ok)
        }
    }
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

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Sets `value` at `pointer`, creating objects on the way (`-` appends to an array).
fn set_pointer(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    if pointer.is_empty() {
        *doc = value;
        return Ok(());
    }
    let tokens: Vec<String> = pointer[1..].split('/').map(unescape).collect();
    let mut node = doc;
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        if node.is_null() {
            *node = Value::Object(Default::default());
        }
        node = match node {
            Value::Object(map) => {
                if last {
                    map.insert(token.clone(), value);
                    return Ok(());
                }
                map.entry(token.clone()).or_insert(Value::Null)
            }
            Value::Array(items) => {
                let index = if token == "-" {
                    items.push(Value::Null);
                    items.len() - 1
                } else {
                    token
                        .parse::<usize>()
                        .ok()
                        .filter(|&i| i < items.len())
                        .ok_or_else(|| {
                            format!("`{token}` is not an index of the array at {pointer}")
                        })?
                };
                if last {
                    items[index] = value;
                    return Ok(());
                }
                &mut items[index]
            }
            other => {
                return Err(format!(
                    "cannot descend into {other} at `{token}` of {pointer}"
                ))
            }
        };
    }
    Ok(())
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
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
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}
