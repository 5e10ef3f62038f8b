//! A cross-process locked JSON document store: the fix swarmcheck's SWC2xx rules recommend.
//!
//! Every [`JsonStore::update`] takes an OS file lock on a sidecar `<doc>.lock`, reads the
//! document, runs your closure on it, and commits the result atomically (unique temp file,
//! fsync, rename, directory fsync) before releasing the lock. [`JsonStore::read`] needs no lock:
//! commits are atomic renames, so a reader always sees a whole generation.
//!
//! ```no_run
//! use swarmcheck::store::{JsonStore, StoreOptions};
//! use serde_json::{json, Value};
//!
//! let store: JsonStore<Value> = JsonStore::open("registry.json", StoreOptions::default(), || json!({}));
//! store.update(|doc| {
//!     doc["agents"]["agent-7"] = json!({"status": "active"});
//!     Ok::<_, std::convert::Infallible>(())
//! })?;
//! let now = store.read()?;
//! # Ok::<(), swarmcheck::store::StoreError>(())
//! ```
//!
//! Corrupt documents (empty, truncated, not UTF-8, not JSON) are never silently replaced: their
//! bytes are first kept as `<doc>.corrupt-<timestamp>`, then [`CorruptPolicy`] decides. Each
//! operation can append one line to a metrics log (see [`metrics::Event`]).

pub mod commit;
mod error;
pub mod files;
pub mod json_text;
pub mod lock;
pub mod metrics;
pub mod netfs;
pub mod postgres;

pub use error::StoreError;
pub use json_text::Style;

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How far a commit goes to survive a power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// No fsync: atomic against crashes of the process, not of the machine.
    None,
    /// fsync the new file before the rename.
    File,
    /// fsync the file and, after the rename, its directory (default).
    #[default]
    Full,
}

impl Durability {
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::None => "none",
            Durability::File => "file",
            Durability::Full => "full",
        }
    }
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Durability::None),
            "file" => Ok(Durability::File),
            "full" => Ok(Durability::Full),
            other => Err(format!(
                "unknown durability `{other}` (expected none, file or full)"
            )),
        }
    }
}

/// What to do with a document that is not valid JSON. Every policy first preserves the bad
/// bytes as `<doc>.corrupt-<timestamp>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum CorruptPolicy {
    /// Fail with [`StoreError::Corrupt`] (default).
    #[default]
    Error,
    /// Continue from `<doc>.bak` (kept when [`StoreOptions::keep_backup`] is on).
    Backup,
    /// Continue from the default document.
    Default,
}

impl std::str::FromStr for CorruptPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(CorruptPolicy::Error),
            "backup" => Ok(CorruptPolicy::Backup),
            "default" => Ok(CorruptPolicy::Default),
            other => Err(format!(
                "unknown corruption policy `{other}` (expected error, backup or default)"
            )),
        }
    }
}

/// Documents larger than this are refused (a read never allocates more).
pub const MAX_DOCUMENT_BYTES: u64 = 4 << 30;

/// Nesting depth up to which a document can be read into a typed value (a serde type such as
/// `serde_json::Value`). Typed values are built and dropped recursively; deeper documents are
/// refused with [`StoreError::Schema`] (never as corrupt). [`RawJson`] documents have no limit.
pub const TYPED_MAX_DEPTH: usize = 10_000;

/// Stack for (de)serializing typed documents, on the heap (committed only as used).
const TYPED_STACK: usize = 256 << 20;

/// How a document type is read from its file and written back. Implemented for every serde type
/// (through `serde_json`, keeping key order and exact numbers) and for [`RawJson`] (the bytes).
pub trait Document: Sized {
    /// Builds the document from text that [`json_text::validate`] accepted. An error is the
    /// reason the JSON does not fit the type (a schema error, never corruption).
    fn decode(bytes: Vec<u8>, info: &json_text::Info) -> Result<Self, String>;
    /// The bytes to write, laid out in `style`.
    fn encode(&self, style: &Style) -> Result<Cow<'_, [u8]>, String>;
}

impl<T: Serialize + DeserializeOwned> Document for T {
    fn decode(bytes: Vec<u8>, info: &json_text::Info) -> Result<Self, String> {
        if info.max_depth > TYPED_MAX_DEPTH {
            return Err(format!(
                "it is nested {} levels deep, more than a typed document can hold ({TYPED_MAX_DEPTH}); read it as RawJson",
                info.max_depth
            ));
        }
        let parse = || {
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            de.disable_recursion_limit();
            let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
            de.end().map_err(|e| e.to_string())?;
            Ok(value)
        };
        if info.max_depth > 64 {
            stacker::grow(TYPED_STACK, parse)
        } else {
            parse()
        }
    }

    fn encode(&self, style: &Style) -> Result<Cow<'_, [u8]>, String> {
        let compact = stacker::maybe_grow(256 << 10, TYPED_STACK, || serde_json::to_vec(self))
            .map_err(|e| format!("the document cannot be serialized: {e}"))?;
        Ok(Cow::Owned(json_text::reformat_document(&compact, style)))
    }
}

/// A document as its bytes: valid JSON that the store writes back exactly as given. Nothing is
/// parsed into a tree, so any depth and size (up to [`MAX_DOCUMENT_BYTES`]) works, numbers keep
/// their digits and the layout stays the user's. The CLI and the Python package use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawJson(Vec<u8>);

impl RawJson {
    /// JSON text, kept byte for byte.
    pub fn new(bytes: Vec<u8>) -> Result<Self, json_text::SyntaxError> {
        check_text(&bytes)?;
        Ok(RawJson(bytes))
    }

    /// JSON text laid out in `style` (for example the style of the document it replaces).
    pub fn in_style(bytes: &[u8], style: &Style) -> Result<Self, json_text::SyntaxError> {
        check_text(bytes)?;
        Ok(RawJson(json_text::reformat_document(bytes, style)))
    }

    /// Bytes the caller built from validated pieces (the CLI's edits).
    pub(crate) fn trusted(bytes: Vec<u8>) -> Self {
        RawJson(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text (always valid UTF-8: checked on creation).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

fn check_text(bytes: &[u8]) -> Result<json_text::Info, json_text::SyntaxError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(json_text::SyntaxError {
            offset: e.valid_up_to(),
            reason: "invalid UTF-8".to_string(),
        });
    }
    json_text::validate(bytes)
}

impl Document for RawJson {
    fn decode(bytes: Vec<u8>, _info: &json_text::Info) -> Result<Self, String> {
        Ok(RawJson(bytes))
    }

    fn encode(&self, _style: &Style) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(&self.0))
    }
}

/// Options of a [`JsonStore`].
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    pub durability: Durability,
    /// `None` waits for the lock as long as it takes (a blocking, fair OS lock).
    pub timeout: Option<Duration>,
    pub on_corrupt: CorruptPolicy,
    /// Keep the previous generation as `<doc>.bak`.
    pub keep_backup: bool,
    /// The metrics log; `None` uses `SWARMCHECK_METRICS` when set, else logs nothing.
    pub metrics: Option<PathBuf>,
    /// Accept a document on a network filesystem (NFS, SMB, ...), where the file lock does not
    /// exclude other hosts. Refused by default: use a PostgreSQL address instead.
    pub allow_network_fs: bool,
}

/// A JSON document on disk, shared safely by threads and processes. Cheap to clone (the clones
/// share one configuration).
pub struct JsonStore<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for JsonStore<T> {
    fn clone(&self) -> Self {
        JsonStore {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<T> {
    /// The document's file, or for a PostgreSQL document its address without the password.
    path: PathBuf,
    lock_path: PathBuf,
    backend: Backend,
    /// The network filesystem under a file document, looked up on its first update.
    network_fs: std::sync::OnceLock<Option<&'static str>>,
    options: StoreOptions,
    default: Box<dyn Fn() -> T + Send + Sync>,
    metrics: Option<PathBuf>,
    updates: AtomicU64,
}

/// Where the document lives.
enum Backend {
    File,
    Postgres(Arc<postgres::Database>),
    /// An address that could not be parsed: every operation reports why.
    BadAddress(String),
}

/// Updates between sweeps of orphan temp files (the first update always sweeps).
const ORPHAN_SWEEP_EVERY: u64 = 64;

/// An open read-modify-write: the lock is held and the document read. [`Transaction::commit`]
/// writes the (changed) document; dropping the transaction without committing writes nothing
/// and releases the lock. Used by [`JsonStore::update`], and by bindings whose callers cannot
/// pass a closure (Python's `with` blocks).
pub struct Transaction<T> {
    store: Arc<Inner<T>>,
    guard: Option<lock::LockGuard>,
    doc: T,
    existed: bool,
    style: Style,
    read_identity: Option<commit::Generation>,
    /// The document as it was read, held open until the commit (see `Inner::load_pinned`).
    _pinned: Option<std::fs::File>,
    /// A PostgreSQL document's open transaction (the row lock), instead of `guard`.
    row: Option<postgres::Held>,
    read_io: Duration,
    held: Instant,
    event: metrics::Event,
    finished: bool,
}

impl<T: Document> JsonStore<T> {
    /// A store for the document at `path`; `default` builds the document when the file does not
    /// exist yet. Nothing is touched on disk until the first operation.
    ///
    /// `path` may also be a PostgreSQL address,
    /// `postgresql://[user[:password]@]host[:port]/database?document=NAME` (see
    /// [`postgres::address`]): the document is then a row, with the same semantics.
    pub fn open(
        path: impl AsRef<Path>,
        options: StoreOptions,
        default: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        let mut path = path.as_ref().to_path_buf();
        if let Some(text) = path.to_str().filter(|t| postgres::address::is_address(t)) {
            let env = |k: &str| std::env::var(k).ok();
            let (shown, backend) = match postgres::address::Address::parse(text, &env)
                .and_then(postgres::Database::new)
            {
                Ok(db) => (PathBuf::from(db.display()), Backend::Postgres(Arc::new(db))),
                // Never show a password that the unparsable address may hold.
                Err(reason) => (
                    PathBuf::from(postgres::address::redact(text)),
                    Backend::BadAddress(reason),
                ),
            };
            return Self::with_backend(shown, PathBuf::new(), backend, options, default);
        }
        // A symlinked document is updated where it points (renaming over the link would
        // replace the link, and the link and its target would use different lock files).
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            if let Ok(target) = std::fs::canonicalize(&path) {
                path = target;
            }
        }
        let lock_path = commit::sibling(&path, ".lock");
        Self::with_backend(path, lock_path, Backend::File, options, default)
    }

    fn with_backend(
        path: PathBuf,
        lock_path: PathBuf,
        backend: Backend,
        options: StoreOptions,
        default: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        let metrics = options.metrics.clone().or_else(|| {
            std::env::var_os("SWARMCHECK_METRICS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        JsonStore {
            inner: Arc::new(Inner {
                path,
                lock_path,
                backend,
                network_fs: std::sync::OnceLock::new(),
                options,
                default: Box::new(default),
                metrics,
                updates: AtomicU64::new(0),
            }),
        }
    }

    /// The document's file, or its PostgreSQL address without the password.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Creates a PostgreSQL document's schema and tables now (they are otherwise created on
    /// first use) and returns the schema version; for a file document, does nothing.
    pub fn init(&self) -> Result<Option<i64>, StoreError> {
        match &self.inner.backend {
            Backend::File => Ok(None),
            Backend::Postgres(db) => db.init().map(Some),
            Backend::BadAddress(reason) => Err(self.inner.bad_address(reason)),
        }
    }

    /// Locks, reads, calls `f` on the document, commits what `f` left, unlocks. When `f` returns
    /// an error or panics, nothing is written (a panic is resumed after the lock is released).
    pub fn update<R, E: std::fmt::Display>(
        &self,
        f: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<R, StoreError> {
        let mut txn = self.begin()?;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut txn.doc)));
        match outcome {
            Ok(Ok(value)) => txn.commit().map(|()| value),
            Ok(Err(e)) => {
                let message = e.to_string();
                txn.abort("ABORTED");
                Err(StoreError::Aborted {
                    path: self.inner.path.clone(),
                    message,
                })
            }
            Err(panic) => {
                txn.abort("PANIC");
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// Takes the lock and reads the document: the first half of an update. A signal that
    /// interrupts the wait for the lock does not end it.
    pub fn begin(&self) -> Result<Transaction<T>, StoreError> {
        self.begin_with(None)
    }

    /// Like [`JsonStore::begin`], asking `interrupt` whether to go on waiting after every
    /// signal that interrupts the wait for the lock, and at least every 50 ms while it waits;
    /// when it returns `Err(reason)`, the wait ends with [`StoreError::Interrupted`] and nothing
    /// is read or written. Bindings pass a check that runs their signal handlers.
    pub fn begin_interruptible(
        &self,
        interrupt: lock::InterruptCheck<'_>,
    ) -> Result<Transaction<T>, StoreError> {
        self.begin_with(Some(interrupt))
    }

    fn begin_with(
        &self,
        interrupt: Option<lock::InterruptCheck<'_>>,
    ) -> Result<Transaction<T>, StoreError> {
        let inner = &self.inner;
        let started = Instant::now();
        let mut event = inner.event("update");
        match &inner.backend {
            Backend::File => {}
            Backend::Postgres(db) => return self.begin_row(db, interrupt, event),
            Backend::BadAddress(reason) => {
                let e = inner.bad_address(reason);
                inner.log_unlocked(event, Duration::ZERO, &e);
                return Err(e);
            }
        }
        if !inner.options.allow_network_fs {
            let found = *inner
                .network_fs
                .get_or_init(|| netfs::network_filesystem(&inner.path));
            if let Some(filesystem) = found {
                let e = StoreError::NetworkFilesystem {
                    path: inner.path.clone(),
                    filesystem,
                };
                inner.log_unlocked(event, Duration::ZERO, &e);
                return Err(e);
            }
        }
        let acquired = lock::acquire(
            &inner.lock_path,
            &inner.path,
            inner.options.timeout,
            interrupt,
        );
        let guard = match acquired {
            Ok(g) => g,
            Err(e) => {
                inner.log_unlocked(event, started.elapsed(), &e);
                return Err(e);
            }
        };
        event.attempts = guard.attempts;
        event.wait_ms = ms(guard.waited);
        if guard.interrupted > 0 {
            event.retries.insert("EINTR".to_string(), guard.interrupted);
        }
        let held = Instant::now();
        if inner
            .updates
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(ORPHAN_SWEEP_EVERY)
        {
            let removed = commit::remove_orphans(&inner.path);
            if removed > 0 {
                let mut cleanup = inner.event("cleanup");
                cleanup.bytes = removed as u64;
                inner.log(cleanup);
            }
        }
        let io = Instant::now();
        match inner.load_pinned(&mut event) {
            Ok((doc, existed, style, pinned)) => Ok(Transaction {
                // The generation of the file actually read (not of whatever the path names now).
                read_identity: pinned
                    .as_ref()
                    .and_then(|f| f.metadata().ok())
                    .map(|m| commit::generation_of(&m)),
                _pinned: pinned,
                row: None,
                store: inner.clone(),
                guard: Some(guard),
                doc,
                existed,
                style,
                read_io: io.elapsed(),
                held,
                event,
                finished: false,
            }),
            Err(e) => {
                inner.log_unread(event, held, guard, &e);
                Err(e)
            }
        }
    }

    /// `begin` for a PostgreSQL document: the row lock instead of the file lock.
    fn begin_row(
        &self,
        db: &Arc<postgres::Database>,
        interrupt: Option<lock::InterruptCheck<'_>>,
        mut event: metrics::Event,
    ) -> Result<Transaction<T>, StoreError> {
        let inner = &self.inner;
        let started = Instant::now();
        let options = &inner.options;
        let mut held = match db.begin(options.timeout, interrupt, options.durability) {
            Ok(h) => h,
            Err(e) => {
                inner.log_unlocked(event, started.elapsed(), &e);
                return Err(e);
            }
        };
        event.attempts = held.attempts;
        event.wait_ms = ms(held.waited);
        let held_since = Instant::now();
        let loaded = match held.body.take() {
            None => Ok(((inner.default)(), false, Style::pretty())),
            Some(text) => inner.parse_loaded(text.into_bytes(), Origin::Row(&mut held), &mut event),
        };
        match loaded {
            Ok((doc, existed, style)) => Ok(Transaction {
                store: inner.clone(),
                guard: None,
                doc,
                existed,
                style,
                read_identity: None,
                _pinned: None,
                row: Some(held),
                read_io: held_since.elapsed(),
                held: held_since,
                event,
                finished: false,
            }),
            Err(e) => {
                // Dropping `held` ends the transaction: COMMIT when a corrupt text was
                // preserved in it.
                inner.log_unread(event, held_since, held, &e);
                Err(e)
            }
        }
    }

    /// The last committed document, without taking the lock.
    pub fn read(&self) -> Result<T, StoreError> {
        self.read_existing().map(|(doc, _)| doc)
    }

    /// Like [`JsonStore::read`], also telling whether the file existed (or the default was used).
    pub fn read_existing(&self) -> Result<(T, bool), StoreError> {
        let inner = &self.inner;
        let started = Instant::now();
        let mut event = inner.event("read");
        let result = inner.load(&mut event);
        event.io_ms = ms(started.elapsed());
        if let Err(e) = &result {
            event.outcome = "error".to_string();
            event.error_code = Some(e.code());
        }
        inner.log(event);
        result
    }
}

impl<T: Document> Transaction<T> {
    pub fn doc(&self) -> &T {
        &self.doc
    }

    pub fn doc_mut(&mut self) -> &mut T {
        &mut self.doc
    }

    /// Replaces the document to be committed.
    pub fn set_doc(&mut self, doc: T) {
        self.doc = doc;
    }

    /// Whether the file existed when read (else the document is the default).
    pub fn existed(&self) -> bool {
        self.existed
    }

    /// The layout of the document as read (two-space indentation for a new document); the
    /// commit writes in it.
    pub fn style(&self) -> &Style {
        &self.style
    }

    /// Commits the document atomically and releases the lock.
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.finished = true;
        let result = self.write();
        let store = self.store.clone();
        let mut event = std::mem::replace(&mut self.event, store.event("update"));
        event.hold_ms = ms(self.held.elapsed());
        self.guard.take();
        self.row.take();
        if let Err(e) = &result {
            event.outcome = "error".to_string();
            event.error_code = Some(e.code());
        }
        store.log(event);
        result
    }

    fn write(&mut self) -> Result<(), StoreError> {
        let inner = &self.store;
        if let Some(row) = self.row.take() {
            let bytes = self
                .doc
                .encode(&self.style)
                .map_err(|message| StoreError::Aborted {
                    path: inner.path.clone(),
                    message,
                })?;
            let recovered = self.event.outcome == "recovered";
            let text = std::str::from_utf8(&bytes).map_err(|_| StoreError::Aborted {
                path: inner.path.clone(),
                message: "the document is not UTF-8".to_string(),
            })?;
            let io = row.commit(text, inner.options.keep_backup && !recovered)?;
            self.event.io_ms = ms(self.read_io + io);
            self.event.bytes = bytes.len() as u64;
            return Ok(());
        }
        if !self
            .guard
            .as_ref()
            .is_some_and(lock::LockGuard::held_by_this_process)
        {
            return Err(StoreError::Aborted {
                path: inner.path.clone(),
                message: "this process was forked inside the transaction: the lock is the parent's, so the child cannot commit".to_string(),
            });
        }
        let bytes = self
            .doc
            .encode(&self.style)
            .map_err(|message| StoreError::Aborted {
                path: inner.path.clone(),
                message,
            })?;
        if !self.guard.as_ref().is_some_and(lock::LockGuard::is_current) {
            // The lock file was deleted while we held it, so a newcomer may be inside too. The
            // commit below still refuses to replace a document that changed since our read.
            *self
                .event
                .retries
                .entry("LOCK_FILE_REPLACED".to_string())
                .or_default() += 1;
        }
        // After recovering from a corrupt document, `.bak` still holds the last good generation:
        // backing up the corrupt file over it would lose that.
        let recovered = self.event.outcome == "recovered";
        let stats = commit::commit(
            &inner.path,
            self._pinned.as_ref(),
            &bytes,
            inner.options.durability,
            inner.options.keep_backup && !recovered,
            self.read_identity,
        )?;
        self.event.io_ms = ms(self.read_io + stats.io);
        self.event.bytes = stats.bytes;
        for (cause, n) in stats.retries {
            *self.event.retries.entry(cause).or_default() += n;
        }
        Ok(())
    }
}

impl<T> Transaction<T> {
    /// Releases the lock without writing. `code` is recorded as the event's error code.
    pub fn abort(mut self, code: &str) {
        self.finish_aborted(code);
    }

    fn finish_aborted(&mut self, code: &str) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.guard.take();
        self.row.take();
        let store = self.store.clone();
        let mut event = std::mem::replace(&mut self.event, store.event("update"));
        event.hold_ms = ms(self.held.elapsed());
        event.outcome = "aborted".to_string();
        event.error_code = Some(code.to_string());
        store.log(event);
    }
}

impl<T> Drop for Transaction<T> {
    fn drop(&mut self) {
        // Neither committed nor aborted (an early return, a panic): nothing is written.
        self.finish_aborted("ABORTED");
    }
}

impl<T> Inner<T> {
    fn event(&self, op: &str) -> metrics::Event {
        metrics::Event {
            v: 1,
            ts: String::new(),
            op: op.to_string(),
            path: self.path.display().to_string(),
            pid: std::process::id(),
            attempts: 0,
            wait_ms: 0.0,
            hold_ms: 0.0,
            io_ms: 0.0,
            bytes: 0,
            durability: self.options.durability.as_str().to_string(),
            outcome: "ok".to_string(),
            error_code: None,
            retries: BTreeMap::new(),
        }
    }

    fn bad_address(&self, reason: &str) -> StoreError {
        StoreError::Database {
            path: self.path.clone(),
            op: "use",
            message: reason.to_string(),
            code: "PG_ADDRESS".to_string(),
        }
    }

    /// Logs an update whose document could not be read under the lock, held since `held`:
    /// `lock` (the file lock or the row's transaction) is released first, as the event is
    /// appended after the lock is released.
    fn log_unread(
        &self,
        mut event: metrics::Event,
        held: Instant,
        lock: impl Sized,
        e: &StoreError,
    ) {
        event.hold_ms = ms(held.elapsed());
        event.outcome = "error".to_string();
        event.error_code = Some(e.code());
        drop(lock);
        self.log(event);
    }

    /// Logs an update that ended before it held the lock, after waiting `waited`.
    fn log_unlocked(&self, mut event: metrics::Event, waited: Duration, e: &StoreError) {
        event.wait_ms = ms(waited);
        event.outcome = match e {
            StoreError::LockTimeout { .. } => "timeout",
            StoreError::Interrupted { .. } => "aborted",
            _ => "error",
        }
        .to_string();
        event.error_code = Some(e.code());
        self.log(event);
    }

    fn log(&self, mut event: metrics::Event) {
        if let Some(path) = &self.metrics {
            event.ts = metrics::now_rfc3339();
            metrics::append(path, &event);
        }
    }
}

impl<T: Document> Inner<T> {
    /// Reads and parses the document, applying the corruption policy. Returns whether the file
    /// existed.
    fn load(&self, event: &mut metrics::Event) -> Result<(T, bool), StoreError> {
        self.load_pinned(event)
            .map(|(doc, existed, _, _)| (doc, existed))
    }

    /// Like `load`, also returning the open document file. A transaction keeps it open until it
    /// commits, so the document's inode cannot be freed and reused by another writer's file
    /// meanwhile (which would make the commit's identity check see "the same file" again).
    fn load_pinned(
        &self,
        event: &mut metrics::Event,
    ) -> Result<(T, bool, Style, Option<std::fs::File>), StoreError> {
        match &self.backend {
            Backend::File => {}
            Backend::Postgres(db) => {
                return match db.read()? {
                    None => Ok(((self.default)(), false, Style::pretty(), None)),
                    Some(text) => self
                        .parse_loaded(text.into_bytes(), Origin::Database(db), event)
                        .map(|(doc, existed, style)| (doc, existed, style, None)),
                }
            }
            Backend::BadAddress(reason) => return Err(self.bad_address(reason)),
        }
        // Never blocks on a FIFO, refuses devices and directories (a document symlinked to
        // /dev/zero), and never reads more than MAX_DOCUMENT_BYTES.
        let mut file = match files::open_regular(&self.path, true) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(((self.default)(), false, Style::pretty(), None))
            }
            Err(e) => return Err(StoreError::io(&self.path, "read", e)),
        };
        let bytes = files::read_bounded(&mut file, MAX_DOCUMENT_BYTES)
            .map_err(|e| StoreError::io(&self.path, "read", e))?;
        let (doc, existed, style) = self.parse_loaded(bytes, Origin::File(&file), event)?;
        Ok((doc, existed, style, Some(file)))
    }

    fn parse_loaded(
        &self,
        bytes: Vec<u8>,
        mut origin: Origin<'_>,
        event: &mut metrics::Event,
    ) -> Result<(T, bool, Style), StoreError> {
        event.bytes = bytes.len() as u64;
        let style = json_text::detect_style(&bytes);
        match parse(&bytes) {
            Ok(info) => match T::decode(bytes, &info) {
                Ok(doc) => Ok((doc, true, style)),
                Err(reason) => Err(StoreError::Schema {
                    path: self.path.clone(),
                    reason,
                }),
            },
            Err(Problem::Corrupt { offset, reason }) => {
                let preserved_as = origin.preserve(&self.path, &bytes).map_err(|cause| {
                    StoreError::CorruptNotPreserved {
                        path: self.path.clone(),
                        offset,
                        reason: reason.clone(),
                        cause,
                    }
                })?;
                let corrupt = StoreError::Corrupt {
                    path: self.path.clone(),
                    offset,
                    reason,
                    preserved_as: preserved_as.clone(),
                };
                // (document, whether it came from a file rather than the default)
                let recovered = match self.options.on_corrupt {
                    CorruptPolicy::Error => None,
                    CorruptPolicy::Default => Some(((self.default)(), false, Style::pretty())),
                    CorruptPolicy::Backup => origin.backup(&self.path).and_then(|b| {
                        let info = parse(&b).ok()?;
                        let style = json_text::detect_style(&b);
                        T::decode(b, &info).ok().map(|doc| (doc, true, style))
                    }),
                };
                let mut rec = self.event("recover");
                rec.error_code = Some("JSON_DECODE".to_string());
                rec.bytes = bytes.len() as u64;
                rec.outcome = if recovered.is_some() {
                    "recovered"
                } else {
                    "error"
                }
                .to_string();
                self.log(rec);
                match recovered {
                    Some(found) => {
                        event.outcome = "recovered".to_string();
                        Ok(found)
                    }
                    None => Err(corrupt),
                }
            }
        }
    }
}

/// Where a document's text was read from: where its corrupt bytes are preserved and its backup
/// is found.
enum Origin<'a> {
    File(&'a std::fs::File),
    /// A row read inside an update's transaction.
    Row(&'a mut postgres::Held),
    /// A row read without a lock.
    Database(&'a postgres::Database),
}

impl Origin<'_> {
    fn preserve(&mut self, doc: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
        // Text read from a row is valid UTF-8 (a `text` column).
        let text = || String::from_utf8_lossy(bytes);
        match self {
            Origin::File(file) => preserve(doc, file, bytes).map_err(|e| e.to_string()),
            Origin::Row(held) => held.preserve(&text()),
            Origin::Database(db) => db.preserve(&text()),
        }
    }

    fn backup(&mut self, doc: &Path) -> Option<Vec<u8>> {
        match self {
            Origin::File(_) => {
                let bak = commit::sibling(doc, ".bak");
                files::open_regular(&bak, false)
                    .and_then(|mut f| files::read_bounded(&mut f, MAX_DOCUMENT_BYTES))
                    .ok()
            }
            Origin::Row(held) => held.backup().map(String::into_bytes),
            Origin::Database(db) => db.backup().map(String::into_bytes),
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

enum Problem {
    Corrupt { offset: usize, reason: String },
}

/// Checks a document's syntax: corruption (not JSON) is decided here, by an iterative parser
/// with no depth limit, so valid JSON is never called corrupt; whether it fits the document
/// type is decided after (a schema error).
fn parse(bytes: &[u8]) -> Result<json_text::Info, Problem> {
    if bytes.is_empty() {
        return Err(Problem::Corrupt {
            offset: 0,
            reason: "the file is empty".to_string(),
        });
    }
    check_text(bytes).map_err(|e| Problem::Corrupt {
        offset: e.offset,
        reason: {
            let (line, col) = line_col(bytes, e.offset);
            format!("{} at line {line} column {col}", e.reason)
        },
    })
}

/// 1-based line and column (in bytes) of `offset`.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let col = offset - memchr::memrchr(b'\n', before).map_or(0, |p| p + 1) + 1;
    (line, col)
}

fn preserved_copy(doc: &Path, bytes: &[u8]) -> Option<PathBuf> {
    let dir = match doc.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = format!("{}.corrupt-", doc.file_name()?.to_string_lossy());
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let name = entry.file_name();
        // A regular file (not a symlink) of the same size, read without following links.
        let same_size = entry
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64);
        let same = || {
            let mut f = files::open_regular(&entry.path(), false).ok()?;
            (files::read_bounded(&mut f, bytes.len() as u64).ok()? == bytes).then_some(())
        };
        (name.to_string_lossy().starts_with(&prefix) && same_size && same().is_some())
            .then(|| entry.path())
    })
}

/// Keeps the exact bytes of a corrupt document as `<doc>.corrupt-<timestamp>`, once: when a
/// preserved copy with the same bytes exists (a reader seeing the same corruption again), that
/// copy is returned. The copy is created new (`O_EXCL`, never through a symlink) with the
/// document's permissions set on the descriptor before any byte is written; a copy that could
/// not be written completely is removed.
fn preserve(doc: &Path, file: &std::fs::File, bytes: &[u8]) -> std::io::Result<PathBuf> {
    if let Some(existing) = preserved_copy(doc, bytes) {
        return Ok(existing);
    }
    let mode = file.metadata().ok().map(|m| commit::mode_of(&m));
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let mut n = 0;
    let (target, mut copy) = loop {
        let suffix = if n == 0 {
            format!(".corrupt-{stamp}")
        } else {
            format!(".corrupt-{stamp}-{n}")
        };
        let target = commit::sibling(doc, &suffix);
        match commit::create_private(&target, mode) {
            Ok(f) => break (target, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    };
    use std::io::Write;
    let written = copy.write_all(bytes).and_then(|_| copy.sync_all());
    if let Err(e) = written {
        drop(copy);
        let _ = std::fs::remove_file(&target);
        return Err(e);
    }
    Ok(target)
}
