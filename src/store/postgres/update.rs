//! An update's transaction: the row lock (with a bounded, interruptible wait and the holder
//! named on timeout), then the write and commit, or the rollback.

use super::address::Address;
use super::pool::{connection_lost, database_error, Connection};
use super::{schema, Database, INTERRUPT_SLICE};
use crate::store::error::StoreError;
use crate::store::lock::InterruptCheck;
use crate::store::Durability;
use postgres::error::SqlState;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// (document key, process, thread) of the updates open in this process. The process id is
/// part of it because a child forked inside an update inherits the set: the child holds no
/// transaction, and its main thread may have the forking thread's id.
type Open = (String, u32, ThreadId);

fn active() -> &'static Mutex<HashSet<Open>> {
    static ACTIVE: OnceLock<Mutex<HashSet<Open>>> = OnceLock::new();
    ACTIVE.get_or_init(Default::default)
}

/// This thread's open update of a document; released on drop.
struct ActiveMark {
    key: String,
    pid: u32,
    thread: ThreadId,
}

impl ActiveMark {
    fn claim(key: &str, path: &std::path::Path) -> Result<Self, StoreError> {
        let thread = std::thread::current().id();
        let pid = std::process::id();
        let mut set = active().lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert((key.to_string(), pid, thread)) {
            return Err(StoreError::NestedUpdate {
                path: path.to_path_buf(),
            });
        }
        Ok(ActiveMark {
            key: key.to_string(),
            pid,
            thread,
        })
    }
}

impl Drop for ActiveMark {
    fn drop(&mut self) {
        let mut set = active().lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&(std::mem::take(&mut self.key), self.pid, self.thread));
    }
}

impl Database {
    /// Opens the update transaction and locks the row, waiting at most `timeout` (forever when
    /// `None`); with an interrupt check, the wait gives up its place every 50 ms to run it.
    pub fn begin(
        self: &Arc<Self>,
        timeout: Option<Duration>,
        mut interrupt: Option<InterruptCheck<'_>>,
        durability: Durability,
    ) -> Result<Held, StoreError> {
        let path = self.path();
        let mark = ActiveMark::claim(&self.key, &path)?;
        let started = Instant::now();
        let deadline = timeout.and_then(|t| started.checked_add(t));
        let (mut conn, mut idle) = self.take()?;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let slice = match (deadline, interrupt.is_some()) {
                (Some(d), true) => Some(
                    d.saturating_duration_since(Instant::now())
                        .min(INTERRUPT_SLICE),
                ),
                (Some(d), false) => Some(d.saturating_duration_since(Instant::now())),
                (None, true) => Some(INTERRUPT_SLICE),
                (None, false) => None,
            };
            // lock_timeout 0 means "no limit": a wait that must end now waits 1 ms.
            let limit_ms = slice.map_or(0, |s| s.as_millis().max(1));
            let sync = if durability == Durability::None {
                "; SET LOCAL synchronous_commit = off"
            } else {
                ""
            };
            // One round trip: open the transaction, bound the wait, lock the row.
            let locked = lock_row(
                &mut conn,
                &format!(
                    "BEGIN; SET LOCAL lock_timeout = {limit_ms}{sync}; SELECT body FROM {} WHERE name = {} FOR UPDATE",
                    self.address.qualified("documents"),
                    literal(&self.document)
                ),
            );
            if let Err(e) = &locked {
                if idle && connection_lost(e) {
                    // An idle connection the server ended meanwhile: nothing ran on it.
                    conn.discard();
                    conn = self.connect()?;
                    idle = false;
                    attempts -= 1;
                    continue;
                }
            }
            idle = false;
            match locked {
                Ok(None) => {
                    let created = conn.client.batch_execute("ROLLBACK").and_then(|()| {
                        create_row(
                            &mut conn,
                            &self.address.qualified("documents"),
                            &self.document,
                        )
                    });
                    if let Err(e) = created {
                        let err = self.error("create the row of", e);
                        conn.discard();
                        return Err(err);
                    }
                    attempts -= 1;
                }
                Ok(Some(body)) => {
                    return Ok(Held {
                        db: self.clone(),
                        conn: Some(conn),
                        body,
                        attempts,
                        waited: started.elapsed(),
                        keep_preserved: false,
                        _mark: mark,
                    })
                }
                Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                    if let Err(e) = conn.client.batch_execute("ROLLBACK") {
                        let err = self.error("roll back on", e);
                        conn.discard();
                        return Err(err);
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        let holder = holder(&mut conn, &self.address, &self.document);
                        self.give_back(conn);
                        return Err(StoreError::LockTimeout {
                            path,
                            lock_path: self.row(),
                            waited: started.elapsed(),
                            holder,
                        });
                    }
                    if let Some(check) = interrupt.as_mut() {
                        if let Err(reason) = check() {
                            self.give_back(conn);
                            return Err(StoreError::Interrupted { path, reason });
                        }
                    }
                }
                Err(e) => {
                    let err = self.error("lock", e);
                    if conn.client.batch_execute("ROLLBACK").is_ok() {
                        self.give_back(conn);
                    } else {
                        conn.discard();
                    }
                    return Err(err);
                }
            }
        }
    }
}

/// Runs the locking batch and returns the row's text (`None` inside when it has none yet);
/// `None` when there is no row.
#[allow(clippy::option_option)]
fn lock_row(conn: &mut Connection, batch: &str) -> Result<Option<Option<String>>, postgres::Error> {
    let messages = conn.client.simple_query(batch)?;
    Ok(messages.iter().find_map(|m| match m {
        postgres::SimpleQueryMessage::Row(row) => Some(row.get(0).map(str::to_string)),
        _ => None,
    }))
}

/// `text` as an SQL string literal. The escape-string form (`E'...'`, with `'` and `\`
/// doubled) means the same whatever `standard_conforming_strings` says; the text is UTF-8 and
/// the connection's encoding is UTF-8, and a document never holds NUL (JSON escapes it).
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Creates the document's row (with no text) in a transaction of its own, so that the row is
/// committed before anyone locks it: a waiter then finds the holder through the row's `xmax`.
fn create_row(
    conn: &mut Connection,
    documents: &str,
    document: &str,
) -> Result<(), postgres::Error> {
    conn.client.batch_execute(&format!(
        "INSERT INTO {documents} (name) VALUES ({}) ON CONFLICT (name) DO NOTHING",
        literal(document)
    ))
}

/// Who holds the row: the session whose transaction id is the row's `xmax`.
fn holder(conn: &mut Connection, address: &Address, document: &str) -> Option<String> {
    let sql = format!(
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), \
         coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?') \
         FROM {} d JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = d.xmax AND l.granted \
         JOIN pg_stat_activity a ON a.pid = l.pid WHERE d.name = $1 LIMIT 1",
        address.qualified("documents")
    );
    let row = conn.client.query_opt(&sql, &[&document]).ok()??;
    let backend: i32 = row.get(0);
    let application: String = row.get(1);
    let client: String = row.get(2);
    let since: String = row.get(3);
    let session =
        format!("PostgreSQL backend {backend}, client {client}, in its transaction since {since}");
    Some(match application.strip_prefix("swarmcheck ") {
        Some(ours) => format!("{ours} ({session})"),
        None if application.is_empty() => session,
        None => format!("application {application:?} ({session})"),
    })
}

/// An open update: the transaction is open and the row locked. Committing writes the new text;
/// dropping rolls back (the server would too if the process died).
pub struct Held {
    db: Arc<Database>,
    conn: Option<Connection>,
    /// The row's text, `None` when the document has none yet.
    pub body: Option<String>,
    pub attempts: u32,
    pub waited: Duration,
    /// A corrupt text was preserved inside this transaction: end it with COMMIT even when the
    /// update does not go on, so the preserved copy stays.
    keep_preserved: bool,
    _mark: ActiveMark,
}

impl Held {
    /// Keeps the corrupt text just read in `<schema>.corrupt` (committed even if the update
    /// then fails).
    pub fn preserve(&mut self, text: &str) -> Result<PathBuf, String> {
        let sql = schema::preserve_sql(&self.db.address);
        let conn = self.conn.as_mut().ok_or("the transaction is finished")?;
        let id: i64 = conn
            .client
            .query_one(&sql, &[&self.db.document, &text])
            .map(|r| r.get(0))
            .map_err(|e| {
                database_error(&self.db.path(), "preserve the corrupt document of", &e).to_string()
            })?;
        self.keep_preserved = true;
        Ok(self.db.preserved_name(id))
    }

    /// The previous generation kept by `keep_backup`, read in this transaction.
    pub fn backup(&mut self) -> Option<String> {
        let sql = schema::backup_sql(&self.db.address);
        let conn = self.conn.as_mut()?;
        conn.client
            .query_opt(&sql, &[&self.db.document])
            .ok()
            .flatten()
            .and_then(|r| r.get::<_, Option<String>>(0))
    }

    /// Writes `text` as the new generation and commits; returns the time spent.
    pub fn commit(mut self, text: &str, keep_backup: bool) -> Result<Duration, StoreError> {
        let started = Instant::now();
        let path = self.db.path();
        let mut conn = self.conn.take().ok_or_else(|| StoreError::Aborted {
            path: path.clone(),
            message: "the transaction is already finished".into(),
        })?;
        if !conn.mine() {
            conn.discard();
            return Err(StoreError::Aborted {
                path,
                message: "this process was forked inside the transaction: the connection is the parent's, so the child cannot commit".into(),
            });
        }
        // One round trip: write and commit.
        let written = conn.client.batch_execute(&format!(
            "UPDATE {} SET {}body = {}, updated_at = now(), generation = generation + 1 WHERE name = {}; COMMIT",
            self.db.address.qualified("documents"),
            if keep_backup { "backup = body, " } else { "" },
            literal(text),
            literal(&self.db.document)
        ));
        match written {
            Ok(()) => {
                self.db.give_back(conn);
                Ok(started.elapsed())
            }
            Err(e) => {
                let lost = connection_lost(&e);
                let mut err = self.db.error("commit to", e);
                if lost {
                    if let StoreError::Database { message, .. } = &mut err {
                        message.push_str(
                            "; the connection ended before the commit was acknowledged, so the update may or may not have been applied",
                        );
                    }
                }
                conn.discard();
                Err(err)
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if !conn.mine() {
            conn.discard();
            return;
        }
        let end = if self.keep_preserved {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        if conn.client.batch_execute(end).is_ok() {
            self.db.give_back(conn);
        }
    }
}
