//! The store's PostgreSQL backend against a real server (started by `scripts/test`; see
//! `common::pg_server`): the same commands and API as the file backend, the same bytes, bounded
//! waits that name the holder, corrupt rows preserved, and clear errors for bad addresses.

mod common;

use common::{pg_document, pg_server};
use serde_json::{json, Value};
use std::process::{Command, Output};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use swarmcheck::store::{CorruptPolicy, JsonStore, RawJson, StoreError, StoreOptions};

/// One test kills every connection of this process (the tests share its pid, which names the
/// connections); the others hold row locks across calls, so it runs alone.
static CONNECTIONS: RwLock<()> = RwLock::new(());

fn alongside_others() -> RwLockReadGuard<'static, ()> {
    CONNECTIONS.read().unwrap_or_else(PoisonError::into_inner)
}

fn alone() -> RwLockWriteGuard<'static, ()> {
    CONNECTIONS.write().unwrap_or_else(PoisonError::into_inner)
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swarmcheck"))
        .args(args)
        .env_remove("SWARMCHECK_METRICS")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The error text without miette's wrapping (line breaks, the margin, and so every space).
fn unwrapped(text: &str) -> String {
    text.replace(['\n', '│', ' '], "")
}

/// A direct client for what the store must not be able to do (corrupt a row, age the schema).
fn admin(server: &str) -> postgres::Client {
    server
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap()
}

fn document_name(address: &str) -> String {
    address.split("document=").nth(1).unwrap().to_string()
}

fn value_store(address: &str, options: StoreOptions) -> JsonStore<Value> {
    JsonStore::open(address, options, || json!({}))
}

#[test]
fn the_same_commands_give_the_same_bytes_as_the_file_backend() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "same-bytes");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.json");
    let file = file.to_str().unwrap();
    // Numbers with their digits, key order, unicode, nesting: what a JSON round trip breaks.
    let steps: &[&[&str]] = &[
        &[
            "set",
            "/b",
            r#"{"z": 1.50, "a": 123456789012345678901234567890, "é": "ü\n"}"#,
        ],
        &["set", "/a/list", "[1, 2.0, 3e5]"],
        &["update", "--incr", "/count"],
        &["update", "--incr", "/count", "--by", "41"],
        &["update", "--merge", r#"{"b": {"z": null, "new": true}}"#],
    ];
    for step in steps {
        let (cmd, rest) = step.split_first().unwrap();
        for doc in [file, address.as_str()] {
            let mut args = vec!["store", cmd, doc];
            args.extend_from_slice(rest);
            let out = cli(&args);
            assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        }
    }
    let from_file = cli(&["store", "get", file]);
    let from_row = cli(&["store", "get", &address]);
    assert!(from_row.status.success(), "{}", stderr(&from_row));
    assert_eq!(stdout(&from_file), stdout(&from_row));
    assert!(stdout(&from_row).contains("123456789012345678901234567890"));
    let counted = cli(&["store", "get", &address, "/count"]);
    assert_eq!(stdout(&counted).trim(), "42");
    // The row holds exactly the file's bytes.
    let row: String = admin(&server)
        .query_one(
            "SELECT body FROM swarmcheck.documents WHERE name = $1",
            &[&document_name(&address)],
        )
        .unwrap()
        .get(0);
    assert_eq!(row.as_bytes(), std::fs::read(file).unwrap());
}

#[test]
fn a_missing_document_reads_as_the_default_and_get_of_a_missing_pointer_exits_1() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "missing");
    let out = cli(&["store", "get", &address]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "{}");
    let out = cli(&["store", "get", &address, "/nothing"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_timed_out_wait_takes_the_timeout_and_names_the_holder() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "timeout");
    let store: JsonStore<RawJson> = JsonStore::open(&address, StoreOptions::default(), || {
        RawJson::new(b"{}".to_vec()).unwrap()
    });
    let txn = store.begin().unwrap();
    let started = Instant::now();
    let out = cli(&[
        "store",
        "update",
        &address,
        "--incr",
        "/n",
        "--timeout",
        "0.5",
    ]);
    let took = started.elapsed();
    drop(txn);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = unwrapped(&stderr(&out));
    assert!(message.contains("timedoutafter0.5"), "{message}");
    // The holder is this test process, named by the application name it connected with.
    assert!(
        message.contains(&format!("heldbypid={}", std::process::id())),
        "{message}"
    );
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    // Released: the next update goes through at once.
    let out = cli(&[
        "store",
        "update",
        &address,
        "--incr",
        "/n",
        "--timeout",
        "0.5",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_library_timeout_is_accurate() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "accurate");
    let holder = value_store(&address, StoreOptions::default());
    let txn = holder.begin().unwrap();
    let waiter = std::thread::spawn({
        let address = address.clone();
        move || {
            let options = StoreOptions {
                timeout: Some(Duration::from_millis(500)),
                ..Default::default()
            };
            let started = Instant::now();
            let err = value_store(&address, options)
                .update(|_| Ok::<_, String>(()))
                .unwrap_err();
            (started.elapsed(), err)
        }
    });
    let (took, err) = waiter.join().unwrap();
    drop(txn);
    assert!(matches!(err, StoreError::LockTimeout { .. }), "{err}");
    assert_eq!(err.code(), "LOCK_TIMEOUT");
    let off = took.as_secs_f64() - 0.5;
    assert!(off.abs() < 0.05, "waited {took:?}");
}

#[test]
fn a_nested_update_is_an_error_not_a_deadlock() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "nested");
    let store = value_store(&address, StoreOptions::default());
    let other = value_store(&address, StoreOptions::default());
    let inner = store
        .update(|doc| {
            doc["outer"] = json!(true);
            Ok::<_, String>(other.update(|_| Ok::<_, String>(())).err())
        })
        .unwrap();
    assert!(
        matches!(inner, Some(StoreError::NestedUpdate { .. })),
        "{inner:?}"
    );
    assert_eq!(store.read().unwrap(), json!({"outer": true}));
}

#[test]
fn a_failed_closure_writes_nothing_and_releases_the_row() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "abort");
    let store = value_store(&address, StoreOptions::default());
    store
        .update(|d| {
            d["n"] = json!(1);
            Ok::<_, String>(())
        })
        .unwrap();
    let err = store
        .update(|d| {
            d["n"] = json!(2);
            Err::<(), _>("changed my mind")
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::Aborted { .. }));
    let options = StoreOptions {
        timeout: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let n = value_store(&address, options)
        .update(|d| Ok::<_, String>(d["n"].clone()))
        .unwrap();
    assert_eq!(n, json!(1));
}

#[test]
fn a_corrupt_row_is_preserved_and_the_policies_apply() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "corrupt");
    let name = document_name(&address);
    let options = StoreOptions {
        keep_backup: true,
        ..Default::default()
    };
    let store = value_store(&address, options.clone());
    for n in 1..=2 {
        store
            .update(|d| {
                d["n"] = json!(n);
                Ok::<_, String>(())
            })
            .unwrap();
    }
    let mut db = admin(&server);
    db.execute(
        "UPDATE swarmcheck.documents SET body = '{\"n\": 3,' WHERE name = $1",
        &[&name],
    )
    .unwrap();
    // Default policy: an error, for the CLI exit 2, nothing written, the text preserved once.
    let out = cli(&["store", "update", &address, "--incr", "/n"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    let err = store.read().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    let kept: i64 = db
        .query_one(
            "SELECT count(*) FROM swarmcheck.corrupt WHERE name = $1 AND body = '{\"n\": 3,'",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(kept, 1, "the corrupt text is kept exactly once");
    // Backup policy: the update goes on from the previous generation.
    let backup = StoreOptions {
        on_corrupt: CorruptPolicy::Backup,
        ..options
    };
    let n = value_store(&address, backup)
        .update(|d| {
            d["n"] = json!(d["n"].as_i64().unwrap() + 10);
            Ok::<_, String>(d["n"].clone())
        })
        .unwrap();
    assert_eq!(n, json!(11), "continued from the backup generation (n = 1)");
    // Default policy: starts again from the default document.
    db.execute(
        "UPDATE swarmcheck.documents SET body = '' WHERE name = $1",
        &[&name],
    )
    .unwrap();
    let out = cli(&[
        "store",
        "update",
        &address,
        "--incr",
        "/m",
        "--on-corrupt",
        "default",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&cli(&["store", "get", &address])).trim(),
        "{\n  \"m\": 1\n}"
    );
}

#[test]
fn a_newer_schema_is_refused_and_nothing_is_written() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let schema = format!("future_{}", std::process::id());
    let base = format!("{server}?schema={schema}");
    let out = cli(&["store", "init", &base]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("schema version 1"));
    let address = format!("{base}&document=doc");
    assert!(cli(&["store", "set", &address, "/a", "1"]).status.success());
    admin(&server)
        .batch_execute(&format!(
            "UPDATE {schema}.meta SET value = '99' WHERE key = 'schema_version'"
        ))
        .unwrap();
    let out = cli(&["store", "set", &address, "/a", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        unwrapped(&stderr(&out)).contains("newerthanthisswarmcheckknows"),
        "{}",
        stderr(&out)
    );
    let body: String = admin(&server)
        .query_one(
            &format!("SELECT body FROM {schema}.documents WHERE name = 'doc'"),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(body.contains("\"a\": 1"), "{body}");
}

#[test]
fn bad_addresses_are_clear_errors_with_exit_2() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let (userinfo, rest) = server.split_once('@').unwrap();
    let host_port = rest.split('/').next().unwrap();
    let user = userinfo
        .trim_start_matches("postgresql://")
        .split(':')
        .next()
        .unwrap();
    let cases = [
        (
            format!("postgresql://{user}:wrong-password@{host_port}/swarmcheck_test?document=x"),
            "password authentication failed",
        ),
        (
            format!("{userinfo}@{host_port}/no_such_database?document=x"),
            "does not exist",
        ),
        (
            "postgresql://nobody:pw@127.0.0.1:1/db?document=x".to_string(),
            "Connection refused",
        ),
        (server.to_string(), "names no document"),
        (
            format!("{server}?document=x&frobnicate=1"),
            "invalid PostgreSQL address",
        ),
        (
            format!("{server}?document=x&schema=Bad-Name"),
            "not a plain identifier",
        ),
    ];
    for (address, expected) in cases {
        for args in [
            vec!["store", "get", &address],
            vec!["store", "set", &address, "/a", "1"],
        ] {
            let out = cli(&args);
            let err = unwrapped(&stderr(&out));
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(&unwrapped(expected)), "{args:?}: {err}");
            assert!(
                !err.contains("wrong-password") && !err.contains(":pw@"),
                "{err}"
            );
        }
    }
}

#[test]
fn a_terminated_connection_fails_one_update_and_the_next_one_succeeds() {
    let _alone = alone();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "terminated");
    let store = value_store(&address, StoreOptions::default());
    let bump = |store: &JsonStore<Value>| {
        store.update(|d| {
            d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
            Ok::<_, String>(())
        })
    };
    bump(&store).unwrap();
    let mut db = admin(&server);
    let kill_mine = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'swarmcheck pid={} host={}'",
        std::process::id(),
        swarmcheck::store::lock::hostname()
    );
    // Between updates: the idle connection is dead; the next update replaces it silently.
    let killed: i64 = db.query_one(&kill_mine, &[]).unwrap().get(0);
    assert!(killed >= 1);
    bump(&store).unwrap();
    // Inside an update: that update fails clearly and is not applied; the next one succeeds.
    let mut txn = store.begin().unwrap();
    txn.doc_mut()["n"] = json!(1000);
    let _: i64 = db.query_one(&kill_mine, &[]).unwrap().get(0);
    let err = txn.commit().unwrap_err();
    assert!(matches!(err, StoreError::Database { .. }), "{err}");
    assert!(err.code().starts_with("PG_"), "{}", err.code());
    bump(&store).unwrap();
    assert_eq!(store.read().unwrap(), json!({"n": 3}));
}

#[test]
fn concurrent_updates_from_processes_and_threads_lose_nothing() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, "count");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "for i in $(seq 25); do \"{}\" store update '{}' --incr /n >/dev/null || exit 1; done",
                    env!("CARGO_BIN_EXE_swarmcheck"),
                    address
                ))
                .spawn()
                .unwrap()
        })
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let address = address.clone();
            std::thread::spawn(move || {
                let store = value_store(&address, StoreOptions::default());
                for _ in 0..100 {
                    store
                        .update(|d| {
                            d["n"] = json!(d["n"].as_i64().unwrap_or(0) + 1);
                            Ok::<_, String>(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    // A lock-free reader sees only whole documents meanwhile.
    let reader = value_store(&address, StoreOptions::default());
    let mut last = 0;
    for _ in 0..200 {
        let n = reader.read().unwrap()["n"].as_i64().unwrap_or(0);
        assert!(n >= last, "went back from {last} to {n}");
        last = n;
    }
    for t in threads {
        t.join().unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(reader.read().unwrap(), json!({"n": 500}));
}

#[test]
fn sslmode_require_encrypts_and_verifies_the_server() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let Ok(dir) = std::env::var("SWARMCHECK_TEST_PG_DIR") else {
        panic!("SWARMCHECK_TEST_PG_DIR is not set: scripts/test sets it with the server");
    };
    let ca = format!("{dir}/ca.pem");
    let application = format!("tls-test-{}", std::process::id());
    let address = format!(
        "{}&sslmode=verify-full&sslrootcert={ca}&application_name={application}",
        pg_document(&server, "tls")
    );
    let store = value_store(&address, StoreOptions::default());
    store
        .update(|d| {
            d["secret"] = json!("over TLS");
            Ok::<_, String>(())
        })
        .unwrap();
    // The store's pooled session is still open: the server says it is encrypted.
    let encrypted: bool = admin(&server)
        .query_one(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
            &[&application],
        )
        .unwrap()
        .get(0);
    assert!(encrypted);
    // Without the CA the server's certificate is not trusted: no connection, not a plain one.
    let unverified = format!("{}&sslmode=require", pg_document(&server, "tls"));
    let out = cli(&["store", "get", &unverified]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        unwrapped(&stderr(&out)).contains("UnknownIssuer"),
        "{}",
        stderr(&out)
    );
    let missing = format!(
        "{}&sslmode=require&sslrootcert={dir}/no-such-ca.pem",
        pg_document(&server, "tls")
    );
    let out = cli(&["store", "get", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        unwrapped(&stderr(&out)).contains("no-such-ca.pem"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn quotes_and_backslashes_in_names_and_documents_are_kept_as_text() {
    let _shared = alongside_others();
    let Some(server) = pg_server() else { return };
    let address = pg_document(&server, r"o'brien\'; DROP TABLE x; --é");
    let value = r#"{"q": "it's", "b": "back\\slash \" and \u0027", "e": "'' \\\\ E'x'"}"#;
    let out = cli(&["store", "set", &address, "/v", value]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&["store", "get", &address, "/v"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(got, serde_json::from_str::<Value>(value).unwrap());
    let name = document_name(&address);
    assert!(name.contains("o'brien\\'; DROP TABLE x"));
    let body: String = admin(&server)
        .query_one(
            "SELECT body FROM swarmcheck.documents WHERE name = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert!(body.contains(r#""q": "it's""#), "{body}");
    assert!(body.contains(r#""e": "'' \\\\ E'x'""#), "{body}");
}
