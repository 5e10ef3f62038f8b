//! The store on PostgreSQL, for swarms that span hosts: a file lock ends at the machine (and on
//! network filesystems, often before), a database row lock does not.
//!
//! Each document is one row of `<schema>.documents` (`name`, `body` as `text`, so the document's
//! bytes are kept exactly as the file backend keeps them: no `jsonb` reordering or number
//! rewriting). An update is one transaction: `SELECT ... FOR UPDATE` on the row (created on first
//! use), the caller's change, `UPDATE`, `COMMIT` (see [`update`]). The server releases the row lock when the
//! transaction ends for any reason, including the death of the client process. Lock-free reads
//! see the last committed text (MVCC). Waits are bounded with `lock_timeout`; the holder of a
//! contested row is found through the row's `xmax` (the locking transaction) in `pg_locks` and
//! `pg_stat_activity`.

pub mod address;
mod pool;
mod schema;
mod update;

use super::error::StoreError;
use address::Address;
use pool::{connection_lost, tls_client, Connection, Pool, POOL_SIZE};
use postgres::{Client, NoTls};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use pool::database_error;
pub use schema::SCHEMA_VERSION;
pub use update::Held;

/// How often a wait with an interrupt check gives up the row's queue to run the check.
const INTERRUPT_SLICE: Duration = Duration::from_millis(50);

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

impl Database {
    /// The store's view of `address`; nothing is connected until the first operation.
    pub fn new(address: Address) -> Result<Self, String> {
        let document = address
            .document
            .clone()
            .ok_or("the address names no document: add ?document=NAME")?;
        Ok(Database {
            key: address.display.clone(),
            pool: pool::pool_for(&address.connection_key),
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
        self.with_connection(
            |c| {
                let row = c.client.query_opt(&c.select, &[&self.document])?;
                Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
            },
            "read",
        )
    }

    /// Keeps a corrupt text in `<schema>.corrupt`, once per distinct text (outside any
    /// transaction of ours: it stays even when the operation then fails).
    pub fn preserve(&self, text: &str) -> Result<PathBuf, String> {
        let sql = schema::preserve_sql(&self.address);
        let id = self
            .with_connection(
                |c| {
                    c.client
                        .query_one(&sql, &[&self.document, &text])
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
        let sql = schema::backup_sql(&self.address);
        self.with_connection(
            |c| {
                let row = c.client.query_opt(&sql, &[&self.document])?;
                Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
            },
            "read the backup of",
        )
        .ok()
        .flatten()
    }
}
