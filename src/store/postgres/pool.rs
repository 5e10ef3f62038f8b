//! Connections to one server, role and schema, shared by every store of the process, and what
//! their failures mean.

use crate::store::error::StoreError;
use postgres::error::SqlState;
use postgres::{Client, Statement};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, OnceLock};

/// Idle connections kept per server, role and schema for the next operation.
pub const POOL_SIZE: usize = 8;

/// The idle connections of one server, role and schema, and whether its tables are known to
/// be in place.
#[derive(Default)]
pub struct Pool {
    pub idle: Mutex<Vec<Connection>>,
    pub schema_ready: AtomicBool,
    /// The TLS client of `sslmode=require` and up, built once (it reads the roots from disk).
    pub tls: OnceLock<Result<tokio_postgres_rustls::MakeRustlsConnect, String>>,
}

/// A TLS client that verifies the server against `root_cert` or the system's roots.
pub fn tls_client(
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

pub fn pool_for(key: &str) -> Arc<Pool> {
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
pub struct Connection {
    pub client: Client,
    /// The process that opened it: a forked child must neither use nor close its parent's
    /// connection (closing would end the parent's session).
    pub pid: u32,
    pub select: Statement,
}

impl Connection {
    pub fn mine(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Drops a connection, or in a forked child forgets it (its socket is the parent's).
    pub fn discard(self) {
        if !self.mine() {
            std::mem::forget(self);
        }
    }
}

/// The connection is gone (closed, reset, or ended by the server): nothing more can run on it.
pub fn connection_lost(e: &postgres::Error) -> bool {
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
pub fn database_error(path: &std::path::Path, op: &'static str, e: &postgres::Error) -> StoreError {
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
