//! The store's tables, created on first use (or by `swarmcheck store init`) in their own schema,
//! with a version row so that a newer layout is refused instead of misread.

use super::address::Address;
use crate::store::error::StoreError;
use std::path::Path;

/// The layout this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Why the schema could not be used.
pub enum SchemaProblem {
    Database(postgres::Error),
    Newer(i64),
    Unreadable(String),
}

impl From<postgres::Error> for SchemaProblem {
    fn from(e: postgres::Error) -> Self {
        SchemaProblem::Database(e)
    }
}

pub fn error(path: &Path, problem: SchemaProblem) -> StoreError {
    match problem {
        SchemaProblem::Database(e) => {
            let mut err = super::database_error(path, "create or check the store's tables on", &e);
            if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                if let StoreError::Database { message, .. } = &mut err {
                    message.push_str(
                        "; have a role that may create them run `swarmcheck store init ADDRESS` once, then grant this role SELECT, INSERT and UPDATE on them",
                    );
                }
            }
            err
        }
        SchemaProblem::Newer(found) => StoreError::Database {
            path: path.to_path_buf(),
            op: "use",
            message: format!(
                "the store's tables are at schema version {found}, newer than this swarmcheck knows ({SCHEMA_VERSION}); upgrade swarmcheck"
            ),
            code: "PG_SCHEMA_VERSION".to_string(),
        },
        SchemaProblem::Unreadable(value) => StoreError::Database {
            path: path.to_path_buf(),
            op: "use",
            message: format!("the store's schema version row holds {value:?}, not a number"),
            code: "PG_SCHEMA_VERSION".to_string(),
        },
    }
}

/// Creates what is missing (under an advisory lock, as concurrent `CREATE ... IF NOT EXISTS`
/// can collide) and checks the version. Returns the version found.
pub fn ensure(client: &mut postgres::Client, address: &Address) -> Result<i64, SchemaProblem> {
    let meta = address.qualified("meta");
    let version_sql = format!("SELECT value FROM {meta} WHERE key = 'schema_version'");
    let found = match client.query_opt(&version_sql, &[]) {
        Ok(row) => row.map(|r| r.get::<_, String>(0)),
        Err(e)
            if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE)
                || e.code() == Some(&postgres::error::SqlState::INVALID_SCHEMA_NAME) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let value = match found {
        Some(v) => v,
        None => {
            create(client, address)?;
            client
                .query_one(&version_sql, &[])
                .map(|r| r.get::<_, String>(0))?
        }
    };
    let version: i64 = value
        .trim()
        .parse()
        .map_err(|_| SchemaProblem::Unreadable(value.clone()))?;
    if version > SCHEMA_VERSION {
        return Err(SchemaProblem::Newer(version));
    }
    Ok(version)
}

fn create(client: &mut postgres::Client, address: &Address) -> Result<(), postgres::Error> {
    let schema = &address.schema;
    let meta = address.qualified("meta");
    let documents = address.qualified("documents");
    let corrupt = address.qualified("corrupt");
    let mut txn = client.transaction()?;
    txn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('swarmcheck schema ' || $1)::bigint)",
        &[schema],
    )?;
    txn.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
         CREATE TABLE IF NOT EXISTS {meta} (key text PRIMARY KEY, value text NOT NULL);
         CREATE TABLE IF NOT EXISTS {documents} (
             name text PRIMARY KEY,
             body text,
             backup text,
             generation bigint NOT NULL DEFAULT 0,
             updated_at timestamptz NOT NULL DEFAULT now());
         CREATE TABLE IF NOT EXISTS {corrupt} (
             id bigserial PRIMARY KEY,
             name text NOT NULL,
             body text NOT NULL,
             found_at timestamptz NOT NULL DEFAULT now());
         INSERT INTO {meta} (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}')
             ON CONFLICT (key) DO NOTHING;"
    ))?;
    txn.commit()
}

/// Inserts a corrupt text unless the same text is already kept; returns the copy's id.
pub fn preserve_sql(address: &Address) -> String {
    let corrupt = address.qualified("corrupt");
    format!(
        "WITH found AS (SELECT id FROM {corrupt} WHERE name = $1 AND body = $2 LIMIT 1), \
         added AS (INSERT INTO {corrupt} (name, body) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id) \
         SELECT id FROM found UNION ALL SELECT id FROM added"
    )
}

pub fn backup_sql(address: &Address) -> String {
    format!(
        "SELECT backup FROM {} WHERE name = $1",
        address.qualified("documents")
    )
}
