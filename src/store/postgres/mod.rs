//! The store on PostgreSQL, for swarms that span hosts: a file lock ends at the machine (and on
//! network filesystems, often before), a database row lock does not.
//!
//! Each document is one row of `<schema>.documents` (`name`, `body` as `text`, so the document's
//! bytes are kept exactly as the file backend keeps them: no `jsonb` reordering or number
//! rewriting). An update is one transaction: `SELECT ... FOR UPDATE` on the row (created on first
//! use), the caller's change, `UPDATE`, `COMMIT`. The server releases the row lock when the
//! transaction ends for any reason, including the death of the client process. Lock-free reads
//! see the last committed text (MVCC). Waits are bounded with `lock_timeout`; the holder of a
//! contested row is found through the row's `xmax` (the locking transaction) in `pg_locks` and
//! `pg_stat_activity`.

pub mod address;
mod schema;

use super::error::StoreError;
use super::lock::InterruptCheck;
use super::Durability;
use address::Address;
use postgres::error::SqlState;
use postgres::{Client, NoTls, Statement};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

pub use schema::SCHEMA_VERSION;

/// How often a wait with an interrupt check gives up the row's queue to run the check.
const INTERRUPT_SLICE: Duration = Duration::from_millis(50);

/// Idle connections kept per server, role and schema for the next operation.
const POOL_SIZE: usize = 8;

/// A document's database and document name. Connections are shared by every store of the
/// process with the same server, role and schema (see [`Address::connection_key`]): opening a
/// store per update, as `with locked_json(address)` does, costs no new connection.
pub struct Database {
    address: Address,
    document: String,
    /// Identifies the document across stores of this process (nested-update detection).
    key: String,
    pool: Arc<Pool>,
}

/// The idle connections of one server, role and schema, and whether its tables are known to
/// be in place.
#[derive(Default)]
struct Pool {
    idle: Mutex<Vec<Connection>>,
    schema_ready: AtomicBool,
    /// The TLS client of `sslmode=require` and up, built once (it reads the roots from disk).
    tls: OnceLock<Result<tokio_postgres_rustls::MakeRustlsConnect, String>>,
}

/// A TLS client that verifies the server against `root_cert` or the system's roots.
fn tls_client(
    root_cert: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {}: no certificate in it",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err("sslmode asks for TLS, and no trusted root certificates were found on this system: name the server's CA with sslrootcert=PATH".to_string());
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn pool_for(key: &str) -> Arc<Pool> {
    static POOLS: OnceLock<Mutex<HashMap<String, Arc<Pool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    pools.entry(key.to_string()).or_default().clone()
}

/// A connection, with the lock-free read prepared on it. An update's statements go as two
/// simple-query batches instead (lock, then write and commit): one round trip each, which
/// shortens the time the row is held.
struct Connection {
    client: Client,
    /// The process that opened it: a forked child must neither use nor close its parent's
    /// connection (closing would end the parent's session).
    pid: u32,
    select: Statement,
}

impl Connection {
    fn mine(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Drops a connection, or in a forked child forgets it (its socket is the parent's).
    fn discard(self) {
        if !self.mine() {
            std::mem::forget(self);
        }
    }
}

/// (document key, thread) pairs with an open update in this process.
fn active() -> &'static Mutex<HashSet<(String, ThreadId)>> {
    static ACTIVE: OnceLock<Mutex<HashSet<(String, ThreadId)>>> = OnceLock::new();
    ACTIVE.get_or_init(Default::default)
}

/// This thread's open update of a document; released on drop.
struct ActiveMark {
    key: String,
    thread: ThreadId,
}

impl ActiveMark {
    fn claim(key: &str, path: &std::path::Path) -> Result<Self, StoreError> {
        let thread = std::thread::current().id();
        let mut set = active().lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert((key.to_string(), thread)) {
            return Err(StoreError::NestedUpdate {
                path: path.to_path_buf(),
            });
        }
        Ok(ActiveMark {
            key: key.to_string(),
            thread,
        })
    }
}

impl Drop for ActiveMark {
    fn drop(&mut self) {
        let mut set = active().lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&(std::mem::take(&mut self.key), self.thread));
    }
}

impl Database {
    /// The store's view of `address`; nothing is connected until the first operation.
    pub fn new(address: Address) -> Result<Self, String> {
        let document = address
            .document
            .clone()
            .ok_or("the address names no document: add ?document=NAME")?;
        Ok(Database {
            key: address.display.clone(),
            pool: pool_for(&address.connection_key),
            document,
            address,
        })
    }

    /// The address without its password.
    pub fn display(&self) -> &str {
        &self.address.display
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(&self.address.display)
    }

    fn row(&self) -> PathBuf {
        PathBuf::from(format!(
            "row {:?} of {}",
            self.document,
            self.address.qualified("documents")
        ))
    }

    fn error(&self, op: &'static str, e: postgres::Error) -> StoreError {
        database_error(&self.path(), op, &e)
    }

    /// A new session, under `application_name` unless the address names one.
    fn open_client(&self, application_name: &str) -> Result<Client, StoreError> {
        let mut config = self.address.config.clone();
        if !self.address.named_application {
            config.application_name(application_name);
        }
        let connected = match &self.address.tls {
            address::Tls::Off => config.connect(NoTls),
            address::Tls::Verified { root_cert } => {
                let tls = self
                    .pool
                    .tls
                    .get_or_init(|| tls_client(root_cert.as_deref()))
                    .clone()
                    .map_err(|message| StoreError::Database {
                        path: self.path(),
                        op: "connect to",
                        message,
                        code: "PG_TLS".to_string(),
                    })?;
                config.connect(tls)
            }
        };
        connected.map_err(|e| self.error("connect to", e))
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        // The lock holder is named from this when another process times out.
        let mut client = self.open_client(&format!(
            "swarmcheck pid={} host={}",
            std::process::id(),
            super::lock::hostname()
        ))?;
        if !self.pool.schema_ready.load(Ordering::Acquire) {
            schema::ensure(&mut client, &self.address)
                .map_err(|e| schema::error(&self.path(), e))?;
            self.pool.schema_ready.store(true, Ordering::Release);
        }
        let documents = self.address.qualified("documents");
        let prepare = |client: &mut Client, sql: String| {
            client
                .prepare(&sql)
                .map_err(|e| self.error("prepare statements on", e))
        };
        Ok(Connection {
            select: prepare(
                &mut client,
                format!("SELECT body FROM {documents} WHERE name = $1"),
            )?,
            client,
            pid: std::process::id(),
        })
    }

    /// An idle connection of this process, or a new one; the flag says whether it was idle
    /// (and so may have been closed by the server since).
    fn take(&self) -> Result<(Connection, bool), StoreError> {
        loop {
            let idle = self
                .pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop();
            match idle {
                Some(c) if c.mine() && !c.client.is_closed() => return Ok((c, true)),
                Some(c) => c.discard(),
                None => return self.connect().map(|c| (c, false)),
            }
        }
    }

    fn give_back(&self, conn: Connection) {
        if !conn.mine() || conn.client.is_closed() {
            conn.discard();
            return;
        }
        let mut pool = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    /// Runs `op` on a connection; an idle connection that turns out to be dead (the server
    /// restarted, or an administrator ended it) is replaced once, as nothing was done on it.
    fn with_connection<R>(
        &self,
        mut op: impl FnMut(&mut Connection) -> Result<R, postgres::Error>,
        what: &'static str,
    ) -> Result<R, StoreError> {
        let (mut conn, idle) = self.take()?;
        let result = match op(&mut conn) {
            Err(e) if idle && connection_lost(&e) => {
                conn.discard();
                conn = self.connect()?;
                op(&mut conn)
            }
            other => other,
        };
        let result = result.map_err(|e| self.error(what, e));
        self.give_back(conn);
        result
    }

    /// Creates the schema and tables now (`swarmcheck store init`), returning the version.
    pub fn init(&self) -> Result<i64, StoreError> {
        let mut client = self.open_client("swarmcheck store init")?;
        let version = schema::ensure(&mut client, &self.address)
            .map_err(|e| schema::error(&self.path(), e))?;
        self.pool.schema_ready.store(true, Ordering::Release);
        Ok(version)
    }

    /// The last committed text of the document, without a lock; `None` when there is none.
    pub fn read(&self) -> Result<Option<String>, StoreError> {
        let document = self.document.clone();
        self.with_connection(
            |c| {
                let stmt = c.select.clone();
                let row = c.client.query_opt(&stmt, &[&document])?;
                Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
            },
            "read",
        )
    }

    /// Keeps a corrupt text in `<schema>.corrupt`, once per distinct text (outside any
    /// transaction of ours: it stays even when the operation then fails).
    pub fn preserve(&self, text: &str) -> Result<PathBuf, String> {
        let document = self.document.clone();
        let sql = schema::preserve_sql(&self.address);
        let id = self
            .with_connection(
                |c| {
                    c.client
                        .query_one(&sql, &[&document, &text])
                        .map(|r| r.get::<_, i64>(0))
                },
                "preserve the corrupt document of",
            )
            .map_err(|e| e.to_string())?;
        Ok(self.preserved_name(id))
    }

    fn preserved_name(&self, id: i64) -> PathBuf {
        PathBuf::from(format!("{} id {id}", self.address.qualified("corrupt")))
    }

    /// The previous generation kept by `keep_backup`, if any.
    pub fn backup(&self) -> Option<String> {
        let document = self.document.clone();
        let sql = schema::backup_sql(&self.address);
        self.with_connection(
            |c| {
                let row = c.client.query_opt(&sql, &[&document])?;
                Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
            },
            "read the backup of",
        )
        .ok()
        .flatten()
    }

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
    /// Whether this process opened the transaction (false in a child forked inside it).
    pub fn opened_by_this_process(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::mine)
    }

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

/// The connection is gone (closed, reset, or ended by the server): nothing more can run on it.
fn connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            code.code().starts_with("08")
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
        }
        // An I/O error below the protocol.
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
    }
}

/// A client or server error, with the server's message, detail and hint when it sent them.
pub(crate) fn database_error(
    path: &std::path::Path,
    op: &'static str,
    e: &postgres::Error,
) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                m.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                m.push_str(&format!("; hint: {hint}"));
            }
            m
        }
        None => {
            let mut m = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                m.push_str(&format!(": {s}"));
                source = s.source();
            }
            m
        }
    };
    let code = match e.code() {
        Some(c) => format!("PG_{}", c.code()),
        None if connection_lost(e) => "PG_CONNECTION".to_string(),
        None => "PG_CLIENT".to_string(),
    };
    StoreError::Database {
        path: path.to_path_buf(),
        op,
        message,
        code,
    }
}
